// The venue's operations console: plain JavaScript over the operator API (spec/operator-api.md), served
// by the venue itself (no CDN, no build step). The token lives in this tab's sessionStorage and goes in
// an Authorization header; the page never writes server data as HTML (textContent only).
'use strict';

const state = { token: sessionStorage.getItem('venue.token'), user: null, role: null, tab: 'sessions',
  timer: null, book: null, firms: [] };

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === 'data') for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = dv;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function text(v) {
  if (v === null || v === undefined || v === '') return '-';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number' && !Number.isInteger(v)) return v.toFixed(1);
  if (Array.isArray(v)) return v.length ? v.join(', ') : '-';
  if (typeof v === 'object') {
    const parts = Object.entries(v).map(([k, x]) => `${k}:${x}`);
    return parts.length ? parts.join(' ') : '-';
  }
  return String(v);
}

function toast(message, bad = false) {
  const t = $('#toast');
  t.textContent = message;
  t.className = bad ? 'bad' : '';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, bad ? 9000 : 5000);
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body || {});
  }
  const res = await fetch(path, init);
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401 && path !== '/api/v1/login') {
    showLogin((data && data.error === 'token_expired') ? 'Your login expired: log in again.' : 'Log in again.');
    throw new ApiError(res.status, data);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// ---- login ----

function showLogin(message) {
  state.token = null;
  sessionStorage.removeItem('venue.token');
  clearInterval(state.timer);
  document.querySelectorAll('.view').forEach((v) => { v.hidden = true; });
  $('#tabs').hidden = true;
  $('#who').hidden = true;
  $('#login-view').hidden = false;
  $('#login-error').textContent = message || '';
  $('#login-user').focus();
}

async function startSession() {
  const me = await api('GET', '/api/v1/whoami');
  state.user = me.user;
  state.role = me.role;
  document.body.classList.toggle('viewer', me.role !== 'operator');
  $('#who-name').textContent = me.user;
  $('#who-role').textContent = me.role;
  $('#who-role').className = `badge ${me.role}`;
  $('#login-view').hidden = true;
  $('#tabs').hidden = false;
  $('#who').hidden = false;
  try { state.firms = (await api('GET', '/api/v1/kill-switches')).firms; } catch (e) { state.firms = []; }
  showTab(state.tab);
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#login-error').textContent = '';
  try {
    const r = await api('POST', '/api/v1/login', { user: $('#login-user').value, password: $('#login-password').value });
    state.token = r.token;
    sessionStorage.setItem('venue.token', r.token);
    $('#login-password').value = '';
    await startSession();
  } catch (e) {
    $('#login-error').textContent = e.message;
  }
});

$('#logout').addEventListener('click', async () => {
  try { await api('POST', '/api/v1/logout', {}); } catch (e) { /* logged out either way */ }
  showLogin('Logged out.');
});

// ---- tabs ----

const views = {
  sessions: { load: loadSessions, every: 2000 },
  instruments: { load: loadInstruments, every: 2000 },
  orders: { load: () => {}, every: 0 },
  kill: { load: loadKill, every: 3000 },
  audit: { load: loadAudit, every: 0 },
  health: { load: loadHealth, every: 0 },
};

function showTab(name) {
  state.tab = name;
  document.querySelectorAll('#tabs button').forEach((b) => b.classList.toggle('active', b.dataset.tab === name));
  document.querySelectorAll('.view').forEach((v) => { v.hidden = v.id !== `${name}-view`; });
  clearInterval(state.timer);
  const v = views[name];
  const run = () => Promise.resolve(v.load()).catch((e) => { if (e.status !== 401) toast(`${name}: ${e.message}`, true); });
  run();
  if (v.every) state.timer = setInterval(run, v.every);
}

document.querySelectorAll('#tabs button').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));

// ---- confirmation ----

// Asks before an action. `fields`: [{name, label, type, value, hint, options}]; resolves with their
// values, or null when cancelled.
function confirmAction(title, message, fields = []) {
  return new Promise((resolve) => {
    const dlg = $('#confirm');
    $('#confirm-title').textContent = title;
    $('#confirm-text').textContent = message;
    const box = $('#confirm-fields');
    box.replaceChildren();
    const inputs = {};
    for (const f of fields) {
      let input;
      if (f.options) {
        input = el('select', { name: f.name });
        for (const o of f.options) input.append(el('option', { value: o }, o));
        if (f.value !== undefined) input.value = f.value;
      } else if (f.type === 'checkboxes') {
        input = el('span', { class: 'checks' });
        input.values = new Set(f.value || []);
        for (const o of f.choices) {
          const cb = el('input', { type: 'checkbox', value: o, name: `${f.name}-${o}` });
          cb.checked = input.values.has(o);
          input.append(el('label', {}, cb, ` ${o} `));
        }
      } else {
        input = el('input', { name: f.name, type: f.type || 'text' });
        if (f.value !== undefined && f.value !== null) input.value = f.value;
        if (f.placeholder) input.placeholder = f.placeholder;
      }
      inputs[f.name] = { f, input };
      box.append(el('label', {}, f.label, input));
      if (f.hint) box.append(el('span', { class: 'muted hint' }, f.hint));
    }
    const finish = (value) => {
      dlg.close();
      $('#confirm-ok').onclick = null;
      $('#confirm-cancel').onclick = null;
      resolve(value);
    };
    $('#confirm-cancel').onclick = () => finish(null);
    $('#confirm-ok').onclick = (ev) => {
      ev.preventDefault();
      const out = {};
      for (const [name, { f, input }] of Object.entries(inputs)) {
        if (f.type === 'checkboxes') {
          out[name] = [...input.querySelectorAll('input:checked')].map((c) => c.value);
        } else if (f.type === 'number') {
          if (input.value !== '') out[name] = Number(input.value);
        } else if (input.value !== '' || f.keepEmpty) {
          out[name] = input.value;
        }
      }
      finish(out);
    };
    dlg.showModal();
    const first = box.querySelector('input, select');
    (first || $('#confirm-ok')).focus();
  });
}

async function act(title, message, method, path, fields, body = (v) => v) {
  const values = await confirmAction(title, message, fields);
  if (values === null) return false;
  try {
    const r = await api(method, path, body(values));
    toast(r.message || 'done');
    return true;
  } catch (e) {
    if (e.status !== 401) toast(`${title}: ${e.message}`, true);
    return false;
  }
}

const reasonField = [{ name: 'reason', label: 'Reason (audit log)', placeholder: 'optional' }];

// ---- sessions ----

async function loadSessions() {
  const data = await api('GET', '/api/v1/sessions');
  const filter = $('#sessions-filter').value.trim().toLowerCase();
  const rows = data.sessions.filter((s) => !filter ||
    [s.sender_comp_id, s.firm, s.state, String(s.id)].some((x) => x.toLowerCase().includes(filter)));
  $('#sessions-table tbody').replaceChildren(...rows.map(sessionRow));
  $('#sessions-updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

function sessionRow(s) {
  const name = s.sender_comp_id;
  const path = `/api/v1/sessions/${encodeURIComponent(name)}`;
  const button = (action, label, handler, danger = false) =>
    el('button', { type: 'button', class: danger ? 'danger' : '', data: { action, session: name }, on: { click: handler } }, label);
  const buttons = [];
  if (s.logged_on) {
    buttons.push(button('logout', 'Log out', () => act(`Log out ${name}?`,
      `A Logout is sent to ${name}; it may log on again.`, 'POST', `${path}/logout`, reasonField).then(loadSessions), true));
    buttons.push(button('disconnect', 'Disconnect', () => act(`Disconnect ${name}?`,
      'The connection is closed without a Logout.', 'POST', `${path}/disconnect`, reasonField).then(loadSessions), true));
  }
  if (s.enabled) {
    buttons.push(button('disable', 'Disable', () => act(`Disable ${name}?`,
      `Every Logon of ${name} is refused until it is enabled${s.logged_on ? '; it is logged out now' : ''}. Kept across restarts.`,
      'POST', `${path}/disable`, reasonField).then(loadSessions), true));
  } else {
    buttons.push(button('enable', 'Enable', () => act(`Enable ${name}?`, `${name} may log on again.`,
      'POST', `${path}/enable`, reasonField).then(loadSessions)));
  }
  if (!s.logged_on) {
    buttons.push(button('sequence', 'Set seq', () => act(`Set sequence numbers of ${name}`,
      'The next MsgSeqNum expected from the client and the next the venue sends (empty: unchanged).',
      'POST', `${path}/sequence`, [
        { name: 'next_in', label: 'Next in', type: 'number', value: s.next_in_seq },
        { name: 'next_out', label: 'Next out', type: 'number', value: s.next_out_seq }, ...reasonField]).then(loadSessions)));
    buttons.push(button('reset', 'Reset', () => act(`Reset ${name}?`,
      'Both sequence numbers go back to 1 and the stored messages are discarded (they can no longer be resent).',
      'POST', `${path}/reset`, reasonField).then(loadSessions), true));
  }
  buttons.push(button('unlock', 'Unlock', () => act(`Unlock ${name}?`,
    'Lifts the lock-outs after failed logons, for every source address.', 'POST', `${path}/unlock`, reasonField)));
  buttons.push(button('edit', 'Edit', () => editSession(name)));
  if (!s.logged_on) {
    buttons.push(button('remove', 'Remove', () => act(`Remove ${name}?`,
      `Session ${name} (id ${s.id}) is removed: its Logons are refused as unknown. Refused while it has live orders.`,
      'DELETE', path, reasonField).then(loadSessions), true));
  }
  const num = (v) => el('td', { class: 'num' }, text(v));
  const tr = el('tr', { data: { session: name, state: s.state } },
    num(s.id), el('td', {}, name), el('td', {}, s.firm), el('td', {}, s.role),
    el('td', { class: 'state' }, el('span', { class: `badge ${s.state}` }, s.state.replace('_', ' '))),
    el('td', {}, text(s.peer)), num(s.next_in_seq), num(s.next_out_seq),
    el('td', {}, s.last_activity ? s.last_activity.replace('T', ' ').replace('Z', '') : '-'),
    num(s.rate_in_per_s), num(s.rate_out_per_s), num(s.throttle_refused), el('td', {}, text(s.rejects)),
    num(s.live_orders), el('td', { class: 'actions' }, ...buttons));
  return tr;
}

$('#sessions-filter').addEventListener('input', () => loadSessions().catch(() => {}));

function firmNames() { return state.firms.map((f) => f.firm); }
function accountsOf(firm) { const f = state.firms.find((x) => x.firm === firm); return f ? f.accounts : []; }

function sessionFields(c, adding) {
  const firm = c.firm || firmNames()[0];
  const allAccounts = state.firms.flatMap((f) => f.accounts);
  const fields = [];
  if (adding) {
    fields.push({ name: 'id', label: 'Id', type: 'number', hint: 'a stable number no other session has (spec/venue-config.md, Ids)' });
    fields.push({ name: 'sender_comp_id', label: 'SenderCompID' });
  }
  fields.push(
    { name: 'firm', label: 'Firm', options: firmNames(), value: firm },
    { name: 'role', label: 'Role', options: ['order_entry', 'read_only'], value: c.role || 'order_entry' },
    { name: 'username', label: 'Username', value: c.username },
    { name: 'password', label: adding ? 'Password' : 'New password', type: 'password',
      hint: adding ? 'at least 8 characters' : 'empty: unchanged' },
    { name: 'accounts', label: 'Accounts', type: 'checkboxes', choices: allAccounts, value: c.accounts || accountsOf(firm).slice(0, 1),
      hint: "the firm's; the first is the default" },
    { name: 'transport', label: 'Transport', options: ['plain', 'tls'], value: c.transport || 'plain' },
    { name: 'allow_from', label: 'Allow from (CIDR)', value: (c.allow_from || []).join(', '), keepEmpty: true,
      hint: 'comma-separated; empty: any address' },
    { name: 'cancel_on_disconnect', label: 'Cancel on disconnect', options: ['off', 'day', 'all'], value: c.cancel_on_disconnect || 'off' },
    { name: 'orders_per_second', label: 'Orders per second', type: 'number', value: c.orders_per_second ?? 0, hint: '0: unlimited' },
    { name: 'burst', label: 'Burst', type: 'number', value: c.burst ?? 0 },
    { name: 'cancels_per_second', label: 'Cancels per second', type: 'number', value: c.cancels_per_second ?? 0 },
    { name: 'max_heartbeat_seconds', label: 'Max HeartBtInt', type: 'number', value: c.max_heartbeat_seconds ?? 120 });
  return fields;
}

function sessionBody(v) {
  const out = { ...v };
  if (typeof out.allow_from === 'string') {
    out.allow_from = out.allow_from.split(',').map((x) => x.trim()).filter((x) => x);
  }
  return out;
}

$('#session-add').addEventListener('click', async () => {
  if (await act('Add a session', 'The session can log on at once; it is kept across restarts.',
    'POST', '/api/v1/sessions', sessionFields({}, true), sessionBody)) loadSessions();
});

async function editSession(name) {
  let s;
  try { s = await api('GET', `/api/v1/sessions/${encodeURIComponent(name)}`); } catch (e) { toast(e.message, true); return; }
  if (await act(`Change ${name}`, 'Credentials and allow-list apply to its next Logon; limits and accounts at once. Kept across restarts.',
    'PATCH', `/api/v1/sessions/${encodeURIComponent(name)}`, sessionFields(s.config, false), sessionBody)) loadSessions();
}

// ---- instruments and books ----

async function loadInstruments() {
  const data = await api('GET', '/api/v1/instruments');
  const filter = $('#instruments-filter').value.trim().toUpperCase();
  const rows = data.instruments.filter((i) => !filter || i.symbol.includes(filter)).map((i) => {
    const path = `/api/v1/instruments/${encodeURIComponent(i.symbol)}`;
    const b = (action, label, msg) => el('button', { type: 'button', class: 'danger', data: { action, symbol: i.symbol },
      on: { click: () => act(`${label} ${i.symbol}?`, msg, 'POST', `${path}/${action}`, reasonField).then(loadInstruments) } }, label);
    const buttons = [el('button', { type: 'button', data: { action: 'book', symbol: i.symbol },
      on: { click: () => { state.book = i.symbol; loadBook(); } } }, 'Book')];
    if (i.status !== 'halted') buttons.push(b('halt', 'Halt', 'New orders and replaces are refused (1002); cancels are accepted.'));
    if (i.status !== 'open') buttons.push(b('resume', 'Resume', 'The instrument trades again.'));
    if (i.status !== 'closed') buttons.push(b('close', 'Close', 'Closed for the day: new orders refused (1003).'));
    return el('tr', { data: { symbol: i.symbol } }, el('td', {}, i.symbol),
      el('td', { class: 'status' }, el('span', { class: `badge ${i.status}` }, i.status)),
      el('td', { class: 'num' }, text(i.last_trade)), el('td', { class: 'num' }, i.shard), el('td', { class: 'actions' }, ...buttons));
  });
  $('#instruments-table tbody').replaceChildren(...rows);
  if (state.book) await loadBook();
}

async function loadBook() {
  const b = await api('GET', `/api/v1/instruments/${encodeURIComponent(state.book)}/book?depth=10`);
  $('#book-panel').hidden = false;
  $('#book-symbol').textContent = b.symbol;
  $('#book-status').textContent = b.status;
  $('#book-status').className = `badge ${b.status}`;
  $('#book-last').textContent = text(b.last_trade);
  $('#book-stops').textContent = b.stop_orders_waiting;
  const num = (v) => el('td', { class: 'num' }, v);
  $('#book-bids tbody').replaceChildren(...b.bids.map((l) => el('tr', {}, num(l.orders), num(l.qty), num(l.visible_qty), num(l.price))));
  $('#book-asks tbody').replaceChildren(...b.asks.map((l) => el('tr', {}, num(l.price), num(l.visible_qty), num(l.qty), num(l.orders))));
}

$('#instruments-filter').addEventListener('input', () => loadInstruments().catch(() => {}));

// ---- orders ----

$('#order-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const id = $('#order-id').value.trim();
  const clordid = $('#order-clordid').value.trim();
  const session = $('#order-session').value.trim();
  let q = id ? `order_id=${encodeURIComponent(id)}` : `clordid=${encodeURIComponent(clordid)}`;
  if (session) q += `&session=${encodeURIComponent(session)}`;
  const out = $('#order-result');
  try {
    showOrder(await api('GET', `/api/v1/orders?${q}`));
  } catch (e) {
    out.replaceChildren(el('p', { class: 'error' }, e.message));
  }
});

function fixField(fix, tag) {
  const m = `|${fix}`.match(new RegExp(`\\|${tag}=([^|]*)`));
  return m ? m[1] : null;
}

function showOrder(o) {
  const kv = el('div', { class: 'kv', id: 'order-summary' });
  const add = (k, v) => kv.append(el('div', {}, k), el('div', { data: { field: k } }, text(v)));
  add('OrderID', o.order_id);
  add('Session', o.session);
  if (o.live) for (const [k, v] of Object.entries(o.live)) add(k, v);
  else add('live', 'no (ended or unknown)');
  if (o.final_status) add('final OrdStatus', o.final_status);
  if (o.note) add('note', o.note);
  // Fills a trade bust (150=H) has cancelled: ExecRefID(19) names them.
  const busted = new Set(o.reports.filter((r) => r.exec_type === 'H').map((r) => fixField(r.fix, '19')));
  const rows = o.reports.map((r) => {
    const execId = fixField(r.fix, '17');
    const trade = fixField(r.fix, '880');
    const cells = [el('td', { class: 'num' }, r.venue_seq), el('td', {}, r.msg_type), el('td', {}, text(r.exec_type)),
      el('td', {}, text(execId)), el('td', {}, text(fixField(r.fix, '39'))), el('td', {}, text(fixField(r.fix, '14'))),
      el('td', {}, text(fixField(r.fix, '6'))), el('td', {}, text(trade))];
    const actions = el('td', { class: 'actions' });
    if (r.exec_type === 'F' && trade && busted.has(execId)) {
      actions.append(el('span', { class: 'muted', data: { busted: trade } }, 'busted'));
    } else if (r.exec_type === 'F' && trade) {
      actions.append(el('button', { type: 'button', class: 'danger', data: { action: 'bust', trade },
        on: { click: () => bustTrade(trade, execId) } }, 'Bust trade'));
    }
    cells.push(actions, el('td', { class: 'wrap' }, el('pre', { class: 'fix' }, r.fix)));
    return el('tr', { data: { exec: text(r.exec_type) } }, ...cells);
  });
  const table = el('table', { id: 'order-reports' }, el('thead', {}, el('tr', {}, ...['Venue seq', 'Msg', 'ExecType', 'ExecID',
    'OrdStatus', 'CumQty', 'AvgPx', 'TrdMatchID', 'Actions', 'FIX'].map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
  $('#order-result').replaceChildren(kv, el('h3', {}, `Reports (${o.reports.length})`), table);
}

async function bustTrade(trade, execId) {
  const ok = await act(`Bust trade ${trade}?`,
    'Both sides get an ExecutionReport with ExecType H (trade cancel) and corrected CumQty and AvgPx; a live order keeps trading, a filled one does not come back. Same trading day only; a trade is busted once. The rules: spec/rules-of-engagement.md 11a.',
    'POST', `/api/v1/trades/${encodeURIComponent(trade)}/bust`,
    [{ name: 'reason', label: 'Reason (both brokers see it; audit log)', placeholder: 'required' }]);
  if (ok) $('#order-form').requestSubmit();
  return ok && execId;
}

// ---- kill switch ----

async function loadKill() {
  const k = await api('GET', '/api/v1/kill-switches');
  state.firms = k.firms;
  const blockedAccounts = new Set(k.blocked_accounts);
  const kill = (scope, name, blocked) => {
    const body = { [scope]: name };
    return blocked
      ? el('button', { type: 'button', data: { action: 'release', [scope]: name },
        on: { click: () => act(`Release the kill switch of ${scope} ${name}?`, 'Its new orders are accepted again.',
          'POST', '/api/v1/kill-switch/release', reasonField, (v) => ({ ...body, ...v })).then(loadKill) } }, `Release ${name}`)
      : el('button', { type: 'button', class: 'danger', data: { action: 'engage', [scope]: name },
        on: { click: () => act(`Engage the kill switch of ${scope} ${name}?`,
          `Every live order of ${scope} ${name} is cancelled and its new orders are refused (2040) until released.`,
          'POST', '/api/v1/kill-switch', reasonField, (v) => ({ ...body, ...v })).then(loadKill) } }, `Kill ${name}`);
  };
  $('#kill-table tbody').replaceChildren(...k.firms.map((f) => el('tr', { data: { firm: f.firm } },
    el('td', {}, f.firm),
    el('td', { class: 'blocked' }, el('span', { class: `badge ${f.blocked ? 'blocked' : 'ok'}` }, f.blocked ? 'blocked' : 'trading')),
    el('td', {}, ...f.accounts.map((a) => el('span', { class: `badge ${blockedAccounts.has(a) ? 'blocked' : ''}` }, a)), ' '),
    el('td', { class: 'actions' }, kill('firm', f.firm, f.blocked),
      ...f.accounts.map((a) => kill('account', a, blockedAccounts.has(a)))))));
}

// ---- audit ----

async function loadAudit() {
  let q = 'limit=200';
  if ($('#audit-user').value.trim()) q += `&user=${encodeURIComponent($('#audit-user').value.trim())}`;
  if ($('#audit-action').value.trim()) q += `&action=${encodeURIComponent($('#audit-action').value.trim())}`;
  const a = await api('GET', `/api/v1/audit?${q}`);
  $('#audit-file').textContent = `file: ${a.file}`;
  $('#audit-table tbody').replaceChildren(...a.entries.map((e) => el('tr', { data: { seq: e.seq, action: e.action } },
    el('td', { class: 'num' }, e.seq), el('td', {}, e.time.replace('T', ' ').replace('Z', '')), el('td', {}, e.user),
    el('td', {}, text(e.role)), el('td', {}, text(e.from)), el('td', {}, e.action), el('td', {}, text(e.target)),
    el('td', { class: 'wrap' }, Object.keys(e.request).length ? JSON.stringify(e.request) : '-'),
    el('td', {}, el('span', { class: `badge ${e.result}` }, e.result)), el('td', { class: 'wrap' }, text(e.message)))));
}

$('#audit-refresh').addEventListener('click', () => loadAudit().catch((e) => toast(e.message, true)));

// ---- health ----

async function loadHealth() {
  const h = await api('GET', '/api/v1/health');
  const kvOf = (obj) => {
    const kv = el('div', { class: 'kv' });
    for (const [k, v] of Object.entries(obj)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) continue;
      kv.append(el('div', {}, k), el('div', {}, Array.isArray(v) ? `${v.length} entries` : text(v)));
    }
    return kv;
  };
  const parts = [el('h3', {}, 'Venue'), kvOf(h)];
  for (const e of h.engines) parts.push(el('h3', {}, `Engine shard ${e.shard}`), kvOf(e));
  parts.push(el('h3', {}, 'Report log'), kvOf(h.reports));
  parts.push(el('h3', {}, 'Kafka publishing'), h.kafka ? kvOf(h.kafka) : el('p', { class: 'muted' }, 'not configured'));
  $('#health-body').replaceChildren(...parts);
}

$('#health-refresh').addEventListener('click', () => loadHealth().catch((e) => toast(e.message, true)));

// ---- start ----

if (state.token) startSession().catch(() => showLogin(''));
else showLogin('');

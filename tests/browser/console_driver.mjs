// Drives the operator console in headless Chromium for tests/e2e/console_test.cpp, one step per line:
// the test writes a JSON step on stdin, the driver answers one JSON line on stdout
// ({"ok": true, "text": ...} or {"ok": false, "error": ...}). The scenario and its selectors live in the
// test; this file only knows Playwright.
//
//   {"cmd": "open", "url": "http://127.0.0.1:PORT/"}     launches Chromium (CHROMIUM or /usr/bin/chromium)
//   {"cmd": "fill", "selector": S, "value": V}            {"cmd": "click", "selector": S}
//   {"cmd": "check", "selector": S, "on": true}           {"cmd": "select", "selector": S, "value": V}
//   {"cmd": "wait", "selector": S, "state": "visible"}    waits (timeout_ms, default 10000)
//   {"cmd": "text", "selector": S}                        the element's text
//   {"cmd": "wait_text", "selector": S, "contains": T}    waits until the element's text contains T
//   {"cmd": "count", "selector": S}                       how many match (no waiting)
//   {"cmd": "shot", "name": N}                            SCREENSHOT_DIR/N.png, the whole page
//   {"cmd": "close"}
import { createInterface } from 'node:readline';
import path from 'node:path';
import { chromium } from 'playwright-core';

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = process.env.SCREENSHOT_DIR || '.';
let browser = null;
let page = null;
const consoleErrors = [];

function answer(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function step(s) {
  // Generous: on a machine busy with builds a password check or a refresh can take seconds.
  const timeout = s.timeout_ms || 30000;
  switch (s.cmd) {
    case 'open':
      // No GPU process: on a machine busy with builds, a screenshot waited more than 30 s for GPU compositing.
      browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
      page = await browser.newPage({ viewport: { width: 1700, height: 900 } });
      page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
      page.on('pageerror', (e) => consoleErrors.push(String(e)));
      await page.goto(s.url, { waitUntil: 'load', timeout });
      return { text: await page.title() };
    case 'fill':
      await page.locator(s.selector).fill(String(s.value), { timeout });
      return {};
    case 'click':
      await page.locator(s.selector).click({ timeout });
      return {};
    case 'check':
      await page.locator(s.selector).setChecked(s.on !== false, { timeout });
      return {};
    case 'select':
      await page.locator(s.selector).selectOption(String(s.value), { timeout });
      return {};
    case 'wait':
      await page.locator(s.selector).first().waitFor({ state: s.state || 'visible', timeout });
      return {};
    case 'text':
      return { text: await page.locator(s.selector).first().innerText({ timeout }) };
    case 'wait_text': {
      const until = Date.now() + timeout;
      let seen = '';
      while (Date.now() < until) {
        seen = await page.locator(s.selector).first().innerText({ timeout }).catch(() => '');
        if (seen.includes(s.contains)) return { text: seen };
        await page.waitForTimeout(50);
      }
      throw new Error(`${s.selector} never showed "${s.contains}" (last: "${seen}")`);
    }
    case 'count':
      return { count: await page.locator(s.selector).count() };
    case 'shot': {
      const file = path.join(shots, `${s.name}.png`);
      await page.screenshot({ path: file, fullPage: true, animations: 'disabled', timeout: Math.max(timeout, 90000) });
      return { text: file };
    }
    case 'close':
      if (browser) await browser.close();
      browser = null;
      return { console_errors: consoleErrors };
    default:
      throw new Error(`unknown step ${s.cmd}`);
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let s;
  try {
    s = JSON.parse(line);
  } catch (e) {
    answer({ ok: false, error: `not JSON: ${line}` });
    continue;
  }
  try {
    answer({ ok: true, ...(await step(s)) });
  } catch (e) {
    answer({ ok: false, error: String(e && e.message ? e.message : e).split('\n').slice(0, 6).join(' ') });
  }
  if (s.cmd === 'close') break;
}
if (browser) await browser.close();

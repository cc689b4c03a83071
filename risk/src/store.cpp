#include "venue/risk/store.h"

#include <sstream>
#include <stdexcept>

namespace venue::risk {

namespace {

constexpr std::size_t kRowsPerStatement = 500;

std::string q(pqxx::transaction_base& tx, const std::string& s) { return tx.quote(s); }
std::string ts(pqxx::transaction_base& tx, std::int64_t ns) { return tx.quote(iso_time_ms(ns)) + "::timestamptz"; }

Decimal dec(const pqxx::field& f) {
  auto d = Decimal::parse(f.c_str());
  if (!d) throw std::runtime_error("risk: column " + std::string(f.name()) + " holds " + f.c_str() + ", not a decimal");
  return *d;
}

Amount amt(const pqxx::field& f) {
  auto a = Amount::parse(f.c_str());
  if (!a) throw std::runtime_error("risk: column " + std::string(f.name()) + " holds " + f.c_str() + ", not an amount");
  return *a;
}

Side side_of(const pqxx::field& f) { return std::string(f.c_str()) == "2" ? Side::kSell : Side::kBuy; }
const char* side_text(Side s) { return s == Side::kSell ? "2" : "1"; }

// Runs `each` over `rows` in statements of kRowsPerStatement: "<head> values (...), (...) <tail>".
template <class T, class Fn>
void insert_rows(pqxx::transaction_base& tx, const std::vector<T>& rows, const std::string& head,
                 const std::string& tail, Fn each) {
  for (std::size_t i = 0; i < rows.size(); i += kRowsPerStatement) {
    std::string sql = head + " values ";
    const std::size_t end = std::min(rows.size(), i + kRowsPerStatement);
    for (std::size_t j = i; j < end; ++j) {
      if (j > i) sql += ",";
      sql += "(" + each(rows[j]) + ")";
    }
    sql += " " + tail;
    tx.exec(sql);
  }
}

std::string in_list(pqxx::transaction_base& tx, const std::vector<std::string>& ids, std::size_t from, std::size_t to) {
  std::string s;
  for (std::size_t i = from; i < to; ++i) {
    if (i > from) s += ",";
    s += q(tx, ids[i]);
  }
  return s;
}

Limit limit_of(const pqxx::row& r, int scope_col) {
  Limit l;
  l.scope = parse_scope(r[scope_col].c_str()).value_or(Scope::kAccount);
  l.entity = r[scope_col + 1].c_str();
  l.type = parse_limit_type(r[scope_col + 2].c_str()).value_or(LimitType::kMaxLoss);
  l.symbol = r[scope_col + 3].c_str();
  return l;
}

Command command_of(const pqxx::row& r) {
  std::string why;
  auto c = parse_command(r["body"].c_str(), &why);
  if (!c) throw std::runtime_error("risk: command " + std::string(r["id"].c_str()) + " in PostgreSQL: " + why);
  c->trigger_transact_ns = r["trigger_transact_ns"].as<std::int64_t>();
  return *c;
}

Ack ack_of(const pqxx::row& r, int at) {
  Ack a;
  a.command_id = r[at].c_str();
  a.result = r[at + 1].c_str();
  a.reason = r[at + 2].c_str();
  a.action = r[at + 3].c_str();
  a.firm = r[at + 4].c_str();
  a.account = r[at + 5].c_str();
  a.orders_cancelled = r[at + 6].as<std::int64_t>();
  if (!r[at + 7].is_null()) a.applied_ns = parse_iso_time(r[at + 7].c_str()).value_or(0);
  return a;
}

const char* kAckColumns =
    "a.command_id, a.result, a.reason, a.action, a.firm, a.account, a.orders_cancelled, "
    "to_char(a.applied_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

}  // namespace

void use_schema(pqxx::transaction_base& tx, const std::string& schema) {
  tx.exec("set local search_path to " + tx.quote_name(schema));
}

bool try_lock_service(pqxx::transaction_base& tx, const std::string& schema) {
  return tx.exec1("select pg_try_advisory_lock(hashtext(" + tx.quote("venue-risk:" + schema) + "))")[0].as<bool>();
}

LoadedState load_state(pqxx::transaction_base& tx) {
  LoadedState s;
  for (const auto& r : tx.exec("select account, firm, symbol, bought_qty, sold_qty, bought_notional, sold_notional, "
                               "net_qty, cost, realized from baselines")) {
    Baseline b{r[0].c_str(), r[1].c_str(), r[2].c_str(), {}};
    b.figures = PositionFigures{dec(r[3]), dec(r[4]), amt(r[5]), amt(r[6]), dec(r[7]), amt(r[8]), amt(r[9])};
    s.baselines.push_back(std::move(b));
  }
  for (const auto& r : tx.exec("select exec_id, venue_seq, order_id, trd_match_id, account, firm, symbol, side, qty, "
                               "price, transact_ns, trade_day, poss_resend, busted_by, busted_ns from fills "
                               "order by venue_seq")) {
    Fill f;
    f.exec_id = r[0].c_str();
    f.venue_seq = r[1].as<std::uint64_t>();
    f.order_id = r[2].c_str();
    f.trd_match_id = r[3].c_str();
    f.account = r[4].c_str();
    f.firm = r[5].c_str();
    f.symbol = r[6].c_str();
    f.side = side_of(r[7]);
    f.qty = dec(r[8]);
    f.price = dec(r[9]);
    f.transact_ns = r[10].as<std::int64_t>();
    f.trade_day = r[11].as<std::int32_t>();
    f.poss_resend = r[12].as<bool>();
    f.busted_by = r[13].c_str();
    f.busted_ns = r[14].as<std::int64_t>();
    s.fills.push_back(std::move(f));
  }
  for (const auto& r :
       tx.exec("select order_id, account, firm, symbol, side, leaves_qty, price, venue_seq from orders")) {
    s.orders.push_back(OrderState{r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), side_of(r[4]), dec(r[5]),
                                  dec(r[6]), r[7].as<std::uint64_t>()});
  }
  for (const auto& r : tx.exec("select symbol, price, venue_seq, trd_match_id from marks")) {
    s.marks.push_back(Mark{r[0].c_str(), dec(r[1]), r[2].as<std::uint64_t>(), r[3].c_str()});
  }
  for (const auto& r : tx.exec("select scope, entity, limit_type, symbol, firm, usage, limit_value, level, breached, "
                               "release_floor, coalesce(extract(epoch from breached_at) * 1000, 0)::bigint "
                               "from limit_states")) {
    const Limit l = limit_of(r, 0);
    LimitState st;
    st.firm = r[4].c_str();
    st.usage = amt(r[5]);
    st.limit = amt(r[6]);
    st.has_limit = true;
    st.level = r[7].as<int>();
    st.breached = r[8].as<bool>();
    if (!r[9].is_null()) st.release_floor = amt(r[9]);
    st.breached_at_ns = r[10].as<std::int64_t>() * 1'000'000;
    s.limit_states.emplace_back(LimitKey{l.scope, l.entity, l.type, l.symbol}, st);
  }
  for (const auto& r : tx.exec("select c.id, c.body, c.trigger_transact_ns from commands c left join acks a on "
                               "a.command_id = c.id where a.command_id is null and c.issuer = 'risk'")) {
    s.unanswered.push_back(command_of(r));
  }
  for (const auto& r : tx.exec("select command_id from acks")) s.acked.insert(r[0].c_str());
  for (const auto& r : tx.exec("select topic, partition, next_offset from offsets")) {
    s.offsets[{r[0].c_str(), r[1].as<std::int32_t>()}] = r[2].as<std::int64_t>();
  }
  const auto st = tx.exec("select next_venue_seq, array_to_string(skipped_seqs, ',') from state where id = 1");
  if (!st.empty()) {
    s.next_venue_seq = st[0][0].as<std::uint64_t>();
    std::istringstream in(st[0][1].c_str());
    std::string part;
    while (std::getline(in, part, ',')) {
      if (!part.empty()) s.skipped.push_back(std::stoull(part));
    }
  }
  return s;
}

void write_delta(pqxx::transaction_base& tx, const Delta& d) {
  const BookChanges& b = d.book;
  insert_rows(tx, b.fills,
              "insert into fills (exec_id, venue_seq, order_id, trd_match_id, account, firm, symbol, side, qty, price, "
              "transact_time, transact_ns, trade_day, poss_resend, busted_by, busted_ns)",
              "on conflict (exec_id) do update set busted_by = excluded.busted_by, busted_ns = excluded.busted_ns",
              [&](const Fill& f) {
                return q(tx, f.exec_id) + "," + std::to_string(f.venue_seq) + "," + q(tx, f.order_id) + "," +
                       q(tx, f.trd_match_id) + "," + q(tx, f.account) + "," + q(tx, f.firm) + "," + q(tx, f.symbol) +
                       ",'" + side_text(f.side) + "'," + f.qty.to_string() + "," + f.price.to_string() + "," +
                       ts(tx, f.transact_ns) + "," + std::to_string(f.transact_ns) + "," + std::to_string(f.trade_day) +
                       "," + (f.poss_resend ? "true" : "false") + "," + q(tx, f.busted_by) + "," +
                       std::to_string(f.busted_ns);
              });
  for (std::size_t i = 0; i < b.folded_fills.size(); i += kRowsPerStatement) {
    tx.exec("delete from fills where exec_id in (" +
            in_list(tx, b.folded_fills, i, std::min(b.folded_fills.size(), i + kRowsPerStatement)) + ")");
  }
  insert_rows(tx, b.baselines,
              "insert into baselines (account, firm, symbol, bought_qty, sold_qty, bought_notional, sold_notional, "
              "net_qty, cost, realized)",
              "on conflict (account, symbol) do update set firm = excluded.firm, bought_qty = excluded.bought_qty, "
              "sold_qty = excluded.sold_qty, bought_notional = excluded.bought_notional, sold_notional = "
              "excluded.sold_notional, net_qty = excluded.net_qty, cost = excluded.cost, realized = excluded.realized",
              [&](const Baseline& x) {
                const auto& f = x.figures;
                return q(tx, x.account) + "," + q(tx, x.firm) + "," + q(tx, x.symbol) + "," + f.bought_qty.to_string() +
                       "," + f.sold_qty.to_string() + "," + f.bought_notional.exact_string() + "," +
                       f.sold_notional.exact_string() + "," + f.net_qty.to_string() + "," + f.cost.exact_string() +
                       "," + f.realized.exact_string();
              });
  insert_rows(tx, b.orders, "insert into orders (order_id, account, firm, symbol, side, leaves_qty, price, venue_seq)",
              "on conflict (order_id) do update set leaves_qty = excluded.leaves_qty, price = excluded.price, "
              "venue_seq = excluded.venue_seq",
              [&](const OrderState& o) {
                return q(tx, o.order_id) + "," + q(tx, o.account) + "," + q(tx, o.firm) + "," + q(tx, o.symbol) + ",'" +
                       side_text(o.side) + "'," + o.leaves.to_string() + "," + o.price.to_string() + "," +
                       std::to_string(o.venue_seq);
              });
  for (std::size_t i = 0; i < b.ended_orders.size(); i += kRowsPerStatement) {
    tx.exec("delete from orders where order_id in (" +
            in_list(tx, b.ended_orders, i, std::min(b.ended_orders.size(), i + kRowsPerStatement)) + ")");
  }
  insert_rows(tx, b.marks, "insert into marks (symbol, price, venue_seq, trd_match_id)",
              "on conflict (symbol) do update set price = excluded.price, venue_seq = excluded.venue_seq, "
              "trd_match_id = excluded.trd_match_id",
              [&](const Mark& m) {
                return q(tx, m.symbol) + "," + m.price.to_string() + "," + std::to_string(m.venue_seq) + "," +
                       q(tx, m.trd_match_id);
              });
  for (const auto& [key, st] : d.limit_states) {
    const std::string where =
        "scope = " + q(tx, std::string(to_string(key.scope))) + " and entity = " + q(tx, key.entity) +
        " and limit_type = " + q(tx, std::string(to_string(key.type))) + " and symbol = " + q(tx, key.symbol);
    if (!st) {
      tx.exec("delete from limit_states where " + where);
      continue;
    }
    tx.exec(
        "insert into limit_states (scope, entity, limit_type, symbol, firm, usage, limit_value, level, breached, "
        "release_floor, breached_at, updated_at) values (" +
        q(tx, std::string(to_string(key.scope))) + "," + q(tx, key.entity) + "," +
        q(tx, std::string(to_string(key.type))) + "," + q(tx, key.symbol) + "," + q(tx, st->firm) + "," +
        st->usage.exact_string() + "," + st->limit.exact_string() + "," + std::to_string(st->level) + "," +
        (st->breached ? "true" : "false") + "," +
        (st->release_floor ? st->release_floor->exact_string() : std::string("null")) + "," +
        (st->breached_at_ns > 0 ? ts(tx, st->breached_at_ns) : std::string("null")) +
        ", now()) on conflict (scope, entity, limit_type, symbol) do update set firm = excluded.firm, usage = "
        "excluded.usage, limit_value = excluded.limit_value, level = excluded.level, breached = "
        "excluded.breached, release_floor = excluded.release_floor, breached_at = excluded.breached_at, "
        "updated_at = now()");
  }
  insert_rows(tx, d.alerts,
              "insert into alerts (id, at, kind, scope, firm, account, limit_type, symbol, level, usage, limit_value, "
              "venue_seq, exec_id, command_id, body)",
              "on conflict (id) do nothing", [&](const AlertRow& a) {
                const LimitEvent& e = a.event;
                return q(tx, a.id) + "," + ts(tx, a.at_ns) + "," +
                       (e.kind == LimitEvent::Kind::kBreach ? "'breach'" : "'warning'") + "," +
                       q(tx, std::string(to_string(e.key.scope))) + "," + q(tx, e.firm) + "," +
                       q(tx, e.key.scope == Scope::kAccount ? e.key.entity : "") + "," +
                       q(tx, std::string(to_string(e.key.type))) + "," + q(tx, e.key.symbol) + "," +
                       std::to_string(e.level) + "," + e.usage.exact_string() + "," + e.limit.exact_string() + "," +
                       std::to_string(e.trigger.venue_seq) + "," + q(tx, e.trigger.exec_id) + "," +
                       q(tx, a.command_id) + "," + q(tx, a.body);
              });
  for (const auto& c : d.commands) record_command(tx, c);
  for (const auto& id : d.published_commands) mark_published(tx, id);
  insert_rows(tx, d.acks,
              "insert into acks (command_id, result, reason, action, firm, account, orders_cancelled, applied_at)",
              "on conflict (command_id) do nothing", [&](const Ack& a) {
                return q(tx, a.command_id) + "," + q(tx, a.result) + "," + q(tx, a.reason) + "," + q(tx, a.action) +
                       "," + q(tx, a.firm) + "," + q(tx, a.account) + "," + std::to_string(a.orders_cancelled) + "," +
                       (a.applied_ns > 0 ? ts(tx, a.applied_ns) : std::string("null"));
              });
  insert_rows(tx, d.parked, "insert into parked (topic, partition, kafka_offset, venue_seq, reason, payload)", "",
              [&](const ParkedRow& p) {
                return q(tx, p.topic) + "," + std::to_string(p.partition) + "," + std::to_string(p.offset) + "," +
                       std::to_string(p.venue_seq) + "," + q(tx, p.reason) + "," + q(tx, p.payload);
              });
  insert_rows(tx, d.offsets, "insert into offsets (topic, partition, next_offset)",
              "on conflict (topic, partition) do update set next_offset = excluded.next_offset",
              [&](const OffsetRow& o) {
                return q(tx, o.topic) + "," + std::to_string(o.partition) + "," + std::to_string(o.next_offset);
              });
  if (d.has_sequence) {
    std::string skipped = "'{";
    for (std::size_t i = 0; i < d.skipped.size(); ++i) {
      if (i > 0) skipped += ",";
      skipped += std::to_string(d.skipped[i]);
    }
    skipped += "}'::bigint[]";
    tx.exec("insert into state (id, next_venue_seq, skipped_seqs, written_at) values (1, " +
            std::to_string(d.next_venue_seq) + ", " + skipped +
            ", now()) on conflict (id) do update set next_venue_seq = excluded.next_venue_seq, skipped_seqs = "
            "excluded.skipped_seqs, written_at = now()");
  }
}

std::int64_t limits_version(pqxx::transaction_base& tx) {
  return tx.exec1("select coalesce(max(id), 0) from limit_changes")[0].as<std::int64_t>();
}

std::vector<LimitRow> read_limits(pqxx::transaction_base& tx) {
  std::vector<LimitRow> out;
  for (const auto& r : tx.exec("select scope, entity, limit_type, symbol, value, "
                               "to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), updated_by "
                               "from limits order by scope, entity, limit_type, symbol")) {
    LimitRow row;
    row.limit = limit_of(r, 0);
    row.limit.value = amt(r[4]);
    row.updated_at = r[5].c_str();
    row.updated_by = r[6].c_str();
    out.push_back(std::move(row));
  }
  return out;
}

namespace {

std::string key_where(pqxx::transaction_base& tx, const Limit& l) {
  return "scope = " + q(tx, std::string(to_string(l.scope))) + " and entity = " + q(tx, l.entity) +
         " and limit_type = " + q(tx, std::string(to_string(l.type))) + " and symbol = " + q(tx, l.symbol);
}

void record_change(pqxx::transaction_base& tx, const Limit& l, const std::string& by, const std::string& action,
                   const std::string& old_value, const std::string& new_value, const std::string& note) {
  tx.exec(
      "insert into limit_changes (by, action, scope, entity, limit_type, symbol, old_value, new_value, note) "
      "values (" +
      q(tx, by) + "," + q(tx, action) + "," + q(tx, std::string(to_string(l.scope))) + "," + q(tx, l.entity) + "," +
      q(tx, std::string(to_string(l.type))) + "," + q(tx, l.symbol) + "," +
      (old_value.empty() ? std::string("null") : old_value) + "," +
      (new_value.empty() ? std::string("null") : new_value) + "," + q(tx, note) + ")");
}

}  // namespace

std::optional<Amount> set_limit(pqxx::transaction_base& tx, const Limit& l, const std::string& by,
                                const std::string& note) {
  // Changes of one key are serialised: the history's old values follow each other.
  const auto old = tx.exec("select value from limits where " + key_where(tx, l) + " for update");
  std::optional<Amount> previous;
  if (!old.empty()) previous = amt(old[0][0]);
  tx.exec("insert into limits (scope, entity, limit_type, symbol, value, updated_at, updated_by) values (" +
          q(tx, std::string(to_string(l.scope))) + "," + q(tx, l.entity) + "," + q(tx, std::string(to_string(l.type))) +
          "," + q(tx, l.symbol) + "," + l.value.exact_string() + ", now(), " + q(tx, by) +
          ") on conflict (scope, entity, limit_type, symbol) do update set value = excluded.value, updated_at = "
          "now(), updated_by = excluded.updated_by");
  record_change(tx, l, by, "set", previous ? previous->exact_string() : "", l.value.exact_string(), note);
  return previous;
}

bool seed_limit(pqxx::transaction_base& tx, const Limit& l, const std::string& by) {
  const auto r =
      tx.exec("insert into limits (scope, entity, limit_type, symbol, value, updated_at, updated_by) values (" +
              q(tx, std::string(to_string(l.scope))) + "," + q(tx, l.entity) + "," +
              q(tx, std::string(to_string(l.type))) + "," + q(tx, l.symbol) + "," + l.value.exact_string() +
              ", now(), " + q(tx, by) + ") on conflict do nothing returning 1");
  if (r.empty()) return false;
  record_change(tx, l, by, "set", "", l.value.exact_string(), "seeded from the configuration");
  return true;
}

bool delete_limit(pqxx::transaction_base& tx, const Limit& key, const std::string& by, const std::string& note) {
  const auto r = tx.exec("delete from limits where " + key_where(tx, key) + " returning value");
  if (r.empty()) return false;
  record_change(tx, key, by, "delete", amt(r[0][0]).exact_string(), "", note);
  return true;
}

std::vector<LimitChangeRow> limit_history(pqxx::transaction_base& tx, const std::string& entity, int max_rows) {
  std::vector<LimitChangeRow> out;
  const std::string where = entity.empty() ? "" : " where entity = " + q(tx, entity);
  for (const auto& r : tx.exec("select id, to_char(at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), by, "
                               "action, scope, entity, limit_type, symbol, coalesce(old_value::text, ''), "
                               "coalesce(new_value::text, ''), note from limit_changes" +
                               where + " order by id desc limit " + std::to_string(max_rows))) {
    LimitChangeRow c;
    c.id = r[0].as<std::int64_t>();
    c.at = r[1].c_str();
    c.by = r[2].c_str();
    c.action = r[3].c_str();
    c.limit = limit_of(r, 4);
    c.old_value = r[8].c_str();
    c.new_value = r[9].c_str();
    c.note = r[10].c_str();
    out.push_back(std::move(c));
  }
  return out;
}

void record_command(pqxx::transaction_base& tx, const Command& c) {
  tx.exec(
      "insert into commands (id, issued_at, issuer, action, firm, account, reason, limit_type, trigger_venue_seq, "
      "trigger_exec_id, trigger_transact_ns, body) values (" +
      q(tx, c.id) + "," + ts(tx, c.issued_ns) + "," + q(tx, c.issuer) + "," + q(tx, c.action) + "," + q(tx, c.firm) +
      "," + q(tx, c.account) + "," + q(tx, c.reason) + "," + q(tx, c.limit) + "," + std::to_string(c.trigger_seq) +
      "," + q(tx, c.trigger_exec_id) + "," + std::to_string(c.trigger_transact_ns) + "," + q(tx, command_json(c)) +
      ") on conflict (id) do nothing");
}

void mark_published(pqxx::transaction_base& tx, const std::string& id) {
  tx.exec("update commands set published_at = coalesce(published_at, now()) where id = " + q(tx, id));
}

std::vector<CommandRow> list_commands(pqxx::transaction_base& tx, const std::string& firm, int max_rows) {
  std::vector<CommandRow> out;
  const std::string where = firm.empty() ? "" : " where c.firm = " + q(tx, firm);
  for (const auto& r :
       tx.exec(std::string("select c.id, c.body, c.trigger_transact_ns, coalesce(to_char(c.published_at "
                           "at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''), ") +
               kAckColumns + " from commands c left join acks a on a.command_id = c.id" + where +
               " order by c.issued_at desc, c.id limit " + std::to_string(max_rows))) {
    CommandRow row;
    row.command = command_of(r);
    row.published_at = r[3].c_str();
    if (!r[4].is_null()) row.ack = ack_of(r, 4);
    out.push_back(std::move(row));
  }
  return out;
}

std::optional<Ack> find_ack(pqxx::transaction_base& tx, const std::string& command_id) {
  const auto r =
      tx.exec(std::string("select ") + kAckColumns + " from acks a where a.command_id = " + q(tx, command_id));
  if (r.empty()) return std::nullopt;
  return ack_of(r[0], 0);
}

std::vector<Ack> active_blocks(pqxx::transaction_base& tx) {
  std::vector<Ack> out;
  for (const auto& r : tx.exec(std::string("select * from (select distinct on (a.firm, a.account) ") + kAckColumns +
                               " from acks a where a.result = 'applied' order by a.firm, a.account, a.applied_at desc "
                               "nulls last, a.received_at desc) last where last.action in ('kill_firm', "
                               "'block_account')")) {
    out.push_back(ack_of(r, 0));
  }
  return out;
}

std::vector<AlertListRow> list_alerts(pqxx::transaction_base& tx, const std::string& firm, int max_rows) {
  std::vector<AlertListRow> out;
  const std::string where = firm.empty() ? "" : " where firm = " + q(tx, firm);
  for (const auto& r : tx.exec("select id, to_char(at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), kind, "
                               "scope, firm, account, limit_type, symbol, level, usage, limit_value, command_id "
                               "from alerts" +
                               where + " order by at desc, id limit " + std::to_string(max_rows))) {
    AlertListRow a;
    a.id = r[0].c_str();
    a.at = r[1].c_str();
    a.kind = r[2].c_str();
    a.scope = r[3].c_str();
    a.firm = r[4].c_str();
    a.account = r[5].c_str();
    a.limit = r[6].c_str();
    a.symbol = r[7].c_str();
    a.level = r[8].as<int>();
    a.usage = amt(r[9]).to_string();
    a.limit_value = amt(r[10]).to_string();
    a.command_id = r[11].c_str();
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace venue::risk

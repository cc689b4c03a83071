#include "venue/compliance/surveillance.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <unordered_set>

#include "venue/common/fixed_point.h"

namespace venue::compliance {

namespace tags = venue::fix_session::tags;

namespace {

constexpr std::int64_t kMs = 1'000'000;  // nanoseconds
constexpr std::size_t kMaxEvidence = 200;

std::int64_t units_of(const fix_session::FixFields& f, int tag) {
  const auto d = f.decimal(tag);
  return d ? d->units() : 0;
}

char char_of(const fix_session::FixFields& f, int tag) {
  const auto v = f.get(tag);
  return v && v->size() == 1 ? (*v)[0] : 0;
}

std::string dec(std::int64_t units) { return Decimal::from_units(units).to_string(); }

const char* side_name(char side) { return side == '1' ? "buy" : side == '2' ? "sell" : "other"; }

// |a - b| / b in basis points (b > 0).
std::int64_t bps(std::int64_t a, std::int64_t b) {
  if (b <= 0) return 0;
  const auto diff = static_cast<long double>(a - b);
  return static_cast<std::int64_t>(diff * 10000.0L / static_cast<long double>(b));
}

}  // namespace

std::optional<Event> event_from_record(const fix_session::ReportRecord& r) {
  // Trade busts (150=H) are not fed to the rules: an alert stands on what the owner did, and a bust of one
  // of its fills shows with the alert (busted_exec_ids, spec/compliance.md).
  if (r.msg_type != '8' || r.exec_type == 'H') return std::nullopt;
  const auto& f = r.fix;
  const auto t = f.timestamp_ns(tags::kTransactTime);
  if (!t) return std::nullopt;
  Event e;
  e.venue_seq = r.venue_seq;
  e.exec_type = r.exec_type;
  e.side = char_of(f, tags::kSide);
  e.ord_type = char_of(f, tags::kOrdType);
  e.tif = char_of(f, tags::kTimeInForce);
  e.ord_status = char_of(f, tags::kOrdStatus);
  e.liquidity = char_of(f, 851);
  e.exec_id = f.text(tags::kExecID);
  e.order_id = f.text(tags::kOrderID);
  e.orig_cl_ord_id = f.text(tags::kOrigClOrdID);
  e.account = r.account;
  e.firm = r.firm;
  e.session = r.session;
  e.symbol = f.text(tags::kSymbol);
  e.trd_match_id = f.text(tags::kTrdMatchID);
  e.traceparent = r.traceparent;
  e.order_qty = units_of(f, tags::kOrderQty);
  e.price = units_of(f, tags::kPrice);
  e.leaves = units_of(f, tags::kLeavesQty);
  e.last_qty = units_of(f, tags::kLastQty);
  e.last_px = units_of(f, tags::kLastPx);
  e.time_ns = *t;
  return e;
}

nlohmann::json evidence_json(const std::vector<Evidence>& evidence) {
  auto out = nlohmann::json::array();
  for (const auto& x : evidence) {
    out.push_back({{"exec_id", x.exec_id},
                   {"venue_seq", x.venue_seq},
                   {"role", x.role},
                   {"order_id", x.order_id},
                   {"account", x.account},
                   {"side", x.side},
                   {"qty", x.qty},
                   {"price", x.price}});
  }
  return out;
}

nlohmann::json alert_json(const Alert& a) {
  return {{"alert_id", a.id},
          {"rule", a.rule},
          {"firm", a.firm},
          {"account", a.account},
          {"owner", a.owner},
          {"symbol", a.symbol},
          {"summary", a.summary},
          {"event_time_ns", a.event_time_ns},
          {"trigger", {{"venue_seq", a.trigger_seq}}},
          {"figures", a.figures},
          {"evidence", evidence_json(a.evidence)}};
}

struct Surveillance::State {
  struct LiveOrder {
    std::string owner;
    std::string account;
    char side = 0;
    std::int64_t price = 0;
    std::int64_t qty = 0;
    std::int64_t leaves = 0;
    std::int64_t placed_ns = 0;
    std::string new_exec_id;
    std::uint64_t new_seq = 0;
    bool filled = false;
    bool near = false;
    std::int64_t distance_bps = 0;
  };
  // Price levels of one side: price -> (orders at it, and per owner).
  struct Side {
    std::map<std::int64_t, int> total;
    std::map<std::string, std::map<std::int64_t, int>> by_owner;
  };
  struct Symbol {
    std::unordered_map<std::string, LiveOrder> orders;
    Side bids;
    Side asks;
    std::int64_t last_px = 0;
    std::int64_t prev_px = 0;  // the last trade price before the last TrdMatchID
    std::string last_match;
  };
  std::unordered_map<std::string, Symbol> symbols;

  struct Fill {
    std::string exec_id;
    std::string order_id;
    std::string account;
    std::uint64_t seq = 0;
    char side = 0;
    std::int64_t time_ns = 0;
    std::int64_t qty = 0;
    std::int64_t px = 0;
    std::int64_t px_before = 0;
  };
  // (owner, symbol) -> the owner's recent fills on it.
  std::map<std::pair<std::string, std::string>, std::deque<Fill>> fills;

  struct Spoof {
    LiveOrder order;
    std::string order_id;
    std::string cancel_exec_id;
    std::uint64_t cancel_seq = 0;
    std::int64_t cancelled_ns = 0;
  };
  std::map<std::tuple<std::string, std::string, char>, std::deque<Spoof>> spoofs;

  struct Half {
    Event e;
    std::string owner;
  };
  std::unordered_map<std::string, Half> matches;  // TrdMatchID -> the first fill seen
  std::int64_t next_match_prune_ns = 0;

  struct OtrEntry {
    std::int64_t time_ns;
    bool fill;
    std::string exec_id;
    std::uint64_t seq;
    char exec_type;
  };
  struct OtrSecond {
    std::int64_t second;
    std::int64_t orders;
    std::int64_t fills;
  };
  // Counts per second of report time (the window slides by whole seconds), and the latest messages as
  // evidence: memory per account and instrument stays bounded at any rate.
  struct Otr {
    std::deque<OtrSecond> seconds;
    std::deque<OtrEntry> recent;
    std::int64_t orders = 0;
    std::int64_t fills = 0;
    std::int64_t quiet_until_ns = 0;
  };
  std::map<std::pair<std::string, std::string>, Otr> otr;
  std::unordered_set<std::string> counted_orders;  // live orders whose new-order message was counted

  struct Episode {
    char side = 0;
    std::int64_t last_ns = 0;
    std::int64_t ref_px = 0;
    std::int64_t end_px = 0;
    std::int64_t move_bps = 0;
    std::vector<Fill> burst;
  };
  struct Aggressive {
    std::deque<Fill> fills;
    std::unordered_map<std::string, int> orders[2];  // per side ('1' buy, '2' sell): order id -> fills
  };
  std::map<std::pair<std::string, std::string>, Aggressive> aggressive;
  std::map<std::pair<std::string, std::string>, Episode> episodes;
};

Surveillance::Surveillance(SurveillanceConfig cfg) : cfg_(std::move(cfg)), state_(std::make_unique<State>()) {
  for (const auto& g : cfg_.owners) {
    for (const auto& a : g.accounts) owner_by_account_[a] = g.name;
  }
}

Surveillance::~Surveillance() = default;

std::string Surveillance::owner_of(const std::string& account, const std::string& firm) const {
  if (account.empty()) return "firm:" + firm;
  const auto it = owner_by_account_.find(account);
  return it == owner_by_account_.end() ? account : it->second;
}

namespace {

Evidence evidence_of(const Event& e, std::string role) {
  return Evidence{e.exec_id,
                  e.venue_seq,
                  std::move(role),
                  e.order_id,
                  e.account,
                  side_name(e.side),
                  dec(e.exec_type == 'F' ? e.last_qty : e.order_qty),
                  dec(e.exec_type == 'F' ? e.last_px : e.price),
                  e.time_ns};
}

Alert base_alert(const char* rule, const Event& e, const std::string& owner) {
  Alert a;
  a.id = std::string(rule) + "-" + std::to_string(e.venue_seq);
  a.rule = rule;
  a.firm = e.firm;
  a.account = e.account;
  a.owner = owner;
  a.symbol = e.symbol;
  a.traceparent = e.traceparent;
  a.event_time_ns = e.time_ns;
  a.trigger_seq = e.venue_seq;
  return a;
}

}  // namespace

void Surveillance::on_event(const Event& e, std::vector<Alert>& out) {
  auto& st = *state_;
  if (e.symbol.empty()) return;
  const std::string owner = owner_of(e.account, e.firm);
  auto& sym = st.symbols[e.symbol];
  const auto key = std::make_pair(owner, e.symbol);

  auto level_add = [&](State::Side& side, const std::string& who, std::int64_t px, int n) {
    auto bump = [&](std::map<std::int64_t, int>& m) {
      auto& count = m[px];
      count += n;
      if (count <= 0) m.erase(px);
    };
    bump(side.total);
    auto& mine = side.by_owner[who];
    bump(mine);
    if (mine.empty()) side.by_owner.erase(who);
  };
  auto side_of = [&](char s) -> State::Side& { return s == '1' ? sym.bids : sym.asks; };
  // The best price on `s` among other owners' live orders; 0 when there is none.
  auto best_other = [&](char s, const std::string& who) -> std::int64_t {
    const auto& side = side_of(s);
    const auto mine_it = side.by_owner.find(who);
    auto check = [&](const auto& begin, const auto& end) -> std::int64_t {
      for (auto it = begin; it != end; ++it) {
        int mine = 0;
        if (mine_it != side.by_owner.end()) {
          const auto m = mine_it->second.find(it->first);
          if (m != mine_it->second.end()) mine = m->second;
        }
        if (it->second > mine) return it->first;
      }
      return 0;
    };
    return s == '1' ? check(side.total.rbegin(), side.total.rend()) : check(side.total.begin(), side.total.end());
  };
  auto remove_order = [&](const std::string& id) {
    const auto it = sym.orders.find(id);
    if (it == sym.orders.end()) return std::optional<State::LiveOrder>();
    State::LiveOrder o = std::move(it->second);
    sym.orders.erase(it);
    level_add(side_of(o.side), o.owner, o.price, -1);
    return std::optional<State::LiveOrder>(std::move(o));
  };
  auto add_order = [&](State::LiveOrder o) {
    // Near the touch: within max_distance_bps of the best price other owners show on the same side (or, with
    // none there, of the last trade, else of the other side's best).
    std::int64_t ref = best_other(o.side, o.owner);
    if (ref == 0) ref = sym.last_px;
    if (ref == 0) ref = best_other(o.side == '1' ? '2' : '1', o.owner);
    if (ref > 0) {
      const std::int64_t away = o.side == '1' ? bps(ref, o.price) : bps(o.price, ref);
      o.distance_bps = std::max<std::int64_t>(away, 0);
      o.near = o.distance_bps <= cfg_.spoofing.max_distance_bps;
    }
    level_add(side_of(o.side), o.owner, o.price, 1);
    sym.orders[e.order_id] = std::move(o);
  };

  const bool resting_kind = e.ord_type == '2' || e.ord_type == '4';
  const bool rests = resting_kind && e.tif != '3' && e.tif != '4' && e.price > 0;

  // --- order-to-trade ratio (per account and instrument) ---
  if (cfg_.order_to_trade.enabled) {
    // A new order counts once, on its first report (an acknowledgement, or a fill or cancel for an order that
    // traded or ended at once); a replace and a cancel request count each.
    bool new_order = false;
    if (!e.order_id.empty() && e.exec_type != 'I' && e.exec_type != 0) {
      const bool ended = e.ord_status == '2' || e.ord_status == '4' || e.ord_status == 'C' || e.ord_status == '8';
      const auto seen = st.counted_orders.find(e.order_id);
      if (seen == st.counted_orders.end()) {
        new_order = true;
        if (!ended) st.counted_orders.insert(e.order_id);
      } else if (ended) {
        st.counted_orders.erase(seen);
      }
    }
    const bool order_msg = new_order || e.exec_type == '5' || (e.exec_type == '4' && !e.orig_cl_ord_id.empty());
    const bool fill = e.exec_type == 'F';
    if (order_msg || fill) {
      auto& o = st.otr[{e.account, e.symbol}];
      const std::int64_t second = e.time_ns / 1'000'000'000;
      if (o.seconds.empty() || o.seconds.back().second != second) o.seconds.push_back({second, 0, 0});
      if (order_msg) {
        o.recent.push_back({e.time_ns, false, e.exec_id, e.venue_seq, new_order ? '0' : e.exec_type});
        ++o.orders;
        ++o.seconds.back().orders;
      }
      if (fill) {
        o.recent.push_back({e.time_ns, true, e.exec_id, e.venue_seq, e.exec_type});
        ++o.fills;
        ++o.seconds.back().fills;
      }
      const std::int64_t window = cfg_.order_to_trade.window_seconds * 1'000'000'000;
      while (!o.seconds.empty() && o.seconds.front().second <= second - cfg_.order_to_trade.window_seconds) {
        o.orders -= o.seconds.front().orders;
        o.fills -= o.seconds.front().fills;
        o.seconds.pop_front();
      }
      while (o.recent.size() > kMaxEvidence || (!o.recent.empty() && o.recent.front().time_ns / 1'000'000'000 <=
                                                                         second - cfg_.order_to_trade.window_seconds)) {
        o.recent.pop_front();
      }
      if (order_msg && e.time_ns >= o.quiet_until_ns && o.orders >= cfg_.order_to_trade.min_orders &&
          o.orders >= cfg_.order_to_trade.max_ratio * std::max<std::int64_t>(o.fills, 1)) {
        Alert a = base_alert("order_to_trade", e, owner);
        a.summary = "account " + e.account + " sent " + std::to_string(o.orders) + " order messages against " +
                    std::to_string(o.fills) + " fills on " + e.symbol + " within " +
                    std::to_string(cfg_.order_to_trade.window_seconds) + " s (limit ratio " +
                    std::to_string(cfg_.order_to_trade.max_ratio) + ")";
        a.figures = {{"order_messages", o.orders},
                     {"fills", o.fills},
                     {"ratio", static_cast<double>(o.orders) / static_cast<double>(std::max<std::int64_t>(o.fills, 1))},
                     {"window_seconds", cfg_.order_to_trade.window_seconds},
                     {"max_ratio", cfg_.order_to_trade.max_ratio},
                     {"min_orders", cfg_.order_to_trade.min_orders}};
        for (const auto& x : o.recent) {
          const char* role = x.fill               ? "fill"
                             : x.exec_type == '0' ? "new order"
                             : x.exec_type == '5' ? "replace"
                                                  : "cancel";
          a.evidence.push_back(Evidence{x.exec_id, x.seq, role, "", e.account, "", "", "", x.time_ns});
        }
        if (o.orders + o.fills > static_cast<std::int64_t>(o.recent.size())) {
          a.figures["evidence_is_the_latest"] = o.recent.size();
        }
        out.push_back(std::move(a));
        o.quiet_until_ns = e.time_ns + window;  // once per window
      }
    }
  }

  // --- the book, spoofing ---
  switch (e.exec_type) {
    case '0':
      if (rests && !sym.orders.contains(e.order_id)) {
        add_order({owner, e.account, e.side, e.price, e.order_qty, e.leaves, e.time_ns, e.exec_id, e.venue_seq, false,
                   false, 0});
      }
      break;
    case '5': {
      auto o = remove_order(e.order_id);
      if (o && e.ord_status != '2' && e.leaves > 0 && e.price > 0) {
        o->price = e.price;
        o->leaves = e.leaves;
        o->qty = e.order_qty;
        o->placed_ns = e.time_ns;
        o->new_exec_id = e.exec_id;
        o->new_seq = e.venue_seq;
        add_order(std::move(*o));
      }
      break;
    }
    case 'D': {
      const auto it = sym.orders.find(e.order_id);
      if (it != sym.orders.end()) {
        it->second.leaves = e.leaves;
      } else if (rests && e.leaves > 0) {  // a stop-limit order entering the book
        add_order({owner, e.account, e.side, e.price, e.order_qty, e.leaves, e.time_ns, e.exec_id, e.venue_seq, false,
                   false, 0});
      }
      break;
    }
    case 'C': remove_order(e.order_id); break;
    case '4': {
      auto o = remove_order(e.order_id);
      if (!o || !cfg_.spoofing.enabled) break;
      const auto& sp = cfg_.spoofing;
      const std::tuple<std::string, std::string, char> spoof_key{owner, e.symbol, o->side};
      auto& cands = st.spoofs[spoof_key];
      while (!cands.empty() && cands.front().cancelled_ns < e.time_ns - sp.trade_window_ms * kMs) cands.pop_front();
      if (o->filled || !o->near || e.time_ns - o->placed_ns > sp.max_lifetime_ms * kMs) break;
      cands.push_back({*o, e.order_id, e.exec_id, e.venue_seq, e.time_ns});
      const bool large = std::any_of(cands.begin(), cands.end(), [&](const State::Spoof& s) {
        return s.order.qty >= sp.min_order_qty * Decimal::kOne;
      });
      const bool many = static_cast<std::int64_t>(cands.size()) >= sp.min_orders;
      if (!large && !many) break;
      std::int64_t first_placed = e.time_ns;
      for (const auto& s : cands) first_placed = std::min(first_placed, s.order.placed_ns);
      std::vector<State::Fill> other;
      if (auto f = st.fills.find(key); f != st.fills.end()) {
        for (const auto& x : f->second) {
          if (x.side != o->side && x.time_ns >= first_placed && x.time_ns <= e.time_ns) other.push_back(x);
        }
      }
      if (other.empty()) break;
      Alert a = base_alert("spoofing", e, owner);
      std::int64_t qty = 0;
      for (const auto& s : cands) qty += s.order.qty;
      a.summary = "owner " + owner + " placed " + std::to_string(cands.size()) + " " + side_name(o->side) +
                  " order(s) for " + dec(qty) + " near the touch on " + e.symbol + ", cancelled within " +
                  std::to_string(sp.max_lifetime_ms) + " ms, while trading " + side_name(other.front().side) + " " +
                  std::to_string(other.size()) + " time(s)";
      std::int64_t longest = 0;
      std::int64_t farthest = 0;
      for (const auto& s : cands) {
        longest = std::max(longest, (s.cancelled_ns - s.order.placed_ns) / kMs);
        farthest = std::max(farthest, s.order.distance_bps);
        a.evidence.push_back(Evidence{s.order.new_exec_id, s.order.new_seq, "order placed", s.order_id, s.order.account,
                                      side_name(s.order.side), dec(s.order.qty), dec(s.order.price),
                                      s.order.placed_ns});
        a.evidence.push_back(Evidence{s.cancel_exec_id, s.cancel_seq, "order cancelled", s.order_id, s.order.account,
                                      side_name(s.order.side), dec(s.order.qty), dec(s.order.price), s.cancelled_ns});
      }
      for (const auto& x : other) {
        a.evidence.push_back(Evidence{x.exec_id, x.seq, std::string(side_name(x.side)) + " fill on the other side",
                                      x.order_id, x.account, side_name(x.side), dec(x.qty), dec(x.px), x.time_ns});
      }
      a.figures = {{"orders", cands.size()},
                   {"total_qty", dec(qty)},
                   {"longest_lifetime_ms", longest},
                   {"farthest_from_touch_bps", farthest},
                   {"opposite_fills", other.size()},
                   {"min_order_qty", sp.min_order_qty},
                   {"min_orders", sp.min_orders},
                   {"max_distance_bps", sp.max_distance_bps},
                   {"max_lifetime_ms", sp.max_lifetime_ms}};
      out.push_back(std::move(a));
      cands.clear();
      break;
    }
    default: break;
  }

  if (e.exec_type != 'F') return;

  // --- fills: the book, wash trades, momentum ignition ---
  const std::int64_t px_before =
      !sym.last_match.empty() && e.trd_match_id == sym.last_match ? sym.prev_px : sym.last_px;
  if (e.trd_match_id != sym.last_match) {
    sym.prev_px = sym.last_px;
    sym.last_match = e.trd_match_id;
  }
  sym.last_px = e.last_px;
  if (auto it = sym.orders.find(e.order_id); it != sym.orders.end()) {
    it->second.filled = true;
    it->second.leaves = e.leaves;
    if (e.leaves <= 0) remove_order(e.order_id);
  }
  const State::Fill fill{e.exec_id, e.order_id, e.account, e.venue_seq, e.side,
                         e.time_ns, e.last_qty, e.last_px, px_before};
  auto& mine = st.fills[key];
  mine.push_back(fill);
  const std::int64_t keep_ns =
      std::max(cfg_.spoofing.trade_window_ms + cfg_.spoofing.max_lifetime_ms, cfg_.momentum_ignition.window_ms) * kMs;
  while (!mine.empty() && mine.front().time_ns < e.time_ns - keep_ns) mine.pop_front();

  if (cfg_.wash_trade.enabled && !e.trd_match_id.empty()) {
    const std::string match_key = e.symbol + "/" + e.trd_match_id;
    const auto it = st.matches.find(match_key);
    if (it == st.matches.end()) {
      st.matches.emplace(match_key, State::Half{e, owner});
    } else {
      const auto first = std::move(it->second);
      st.matches.erase(it);
      if (first.owner == owner) {
        Alert a = base_alert("wash_trade", e, owner);
        a.summary = "owner " + owner + " was on both sides of trade " + e.trd_match_id + " on " + e.symbol + ": " +
                    dec(e.last_qty) + " @ " + dec(e.last_px) + " (accounts " + first.e.account + " and " + e.account +
                    ")";
        a.evidence.push_back(evidence_of(first.e, std::string(side_name(first.e.side)) + " fill"));
        a.evidence.push_back(evidence_of(e, std::string(side_name(e.side)) + " fill"));
        a.figures = {{"trd_match_id", e.trd_match_id},
                     {"qty", dec(e.last_qty)},
                     {"price", dec(e.last_px)},
                     {"accounts", {first.e.account, e.account}}};
        out.push_back(std::move(a));
      }
    }
    if (e.time_ns >= st.next_match_prune_ns) {
      st.next_match_prune_ns = e.time_ns + 10'000 * kMs;
      std::erase_if(st.matches, [&](const auto& m) { return m.second.e.time_ns < e.time_ns - 60'000 * kMs; });
    }
  }

  if (cfg_.momentum_ignition.enabled) {
    const auto& mi = cfg_.momentum_ignition;
    auto ep = st.episodes.find(key);
    if (ep != st.episodes.end() && e.time_ns - ep->second.last_ns > mi.reversal_window_ms * kMs) {
      st.episodes.erase(ep);
      ep = st.episodes.end();
    }
    if (ep != st.episodes.end() && e.side != ep->second.side) {
      Alert a = base_alert("momentum_ignition", e, owner);
      const auto& x = ep->second;
      a.summary = "owner " + owner + " moved " + e.symbol + " " + std::to_string(x.move_bps) + " bps (" +
                  dec(x.ref_px) + " to " + dec(x.end_px) + ") with " + std::to_string(x.burst.size()) + " aggressive " +
                  side_name(x.side) + " fills, then traded " + side_name(e.side) + " at " + dec(e.last_px);
      for (const auto& b : x.burst) {
        a.evidence.push_back(Evidence{b.exec_id, b.seq, std::string("aggressive ") + side_name(b.side) + " fill",
                                      b.order_id, b.account, side_name(b.side), dec(b.qty), dec(b.px), b.time_ns});
      }
      a.evidence.push_back(evidence_of(e, std::string("reversal ") + side_name(e.side) + " fill"));
      a.figures = {{"move_bps", x.move_bps},
                   {"from_price", dec(x.ref_px)},
                   {"to_price", dec(x.end_px)},
                   {"aggressive_fills", x.burst.size()},
                   {"reversal_price", dec(e.last_px)},
                   {"min_move_bps", mi.min_move_bps},
                   {"min_aggressive_orders", mi.min_aggressive_orders},
                   {"window_ms", mi.window_ms},
                   {"reversal_window_ms", mi.reversal_window_ms}};
      out.push_back(std::move(a));
      st.episodes.erase(ep);
      st.aggressive.erase(key);
    } else if (e.liquidity == '2') {
      auto& agg = st.aggressive[key];
      auto orders_of = [&](char side) -> std::unordered_map<std::string, int>& {
        return agg.orders[side == '1' ? 0 : 1];
      };
      agg.fills.push_back(fill);
      ++orders_of(e.side)[e.order_id];
      while (!agg.fills.empty() && agg.fills.front().time_ns < e.time_ns - mi.window_ms * kMs) {
        const auto& old = agg.fills.front();
        auto& m = orders_of(old.side);
        if (const auto it = m.find(old.order_id); it != m.end() && --it->second == 0) m.erase(it);
        agg.fills.pop_front();
      }
      if (static_cast<std::int64_t>(orders_of(e.side).size()) >= mi.min_aggressive_orders) {
        const auto first =
            std::find_if(agg.fills.begin(), agg.fills.end(), [&](const State::Fill& x) { return x.side == e.side; });
        const std::int64_t ref = first->px_before > 0 ? first->px_before : first->px;
        const std::int64_t move = e.side == '1' ? bps(e.last_px, ref) : bps(ref, e.last_px);
        if (move >= mi.min_move_bps) {
          std::vector<State::Fill> burst;
          for (auto it = first; it != agg.fills.end(); ++it) {
            if (it->side == e.side) burst.push_back(*it);
          }
          st.episodes[key] = State::Episode{e.side, e.time_ns, ref, e.last_px, move, std::move(burst)};
        }
      }
    }
  }
}

}  // namespace venue::compliance

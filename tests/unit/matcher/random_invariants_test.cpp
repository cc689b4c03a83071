#define BOOST_TEST_MODULE matcher_random_invariants
// Long random command streams through the engine, with every feature mixed in (order types, TIFs,
// icebergs, stops, STP modes, replaces, mass cancels, halts, timers, end of day, trade busts). After every
// command:
// the book's own invariants (never crossed, quantities add up, priority links intact, every order in
// exactly one place), and from the events alone: every order has one life (accepted, then fills, then
// at most one end), quantities are conserved (qty = cum + leaves on every report, fills on both sides
// add up), and trades happen at the resting order's price and never through the aggressor's limit.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <map>
#include <random>
#include <set>

#include "support/printers.h"
#include "venue/matcher/engine.h"

namespace m = venue::matcher;
using venue::Price;
using venue::Qty;

namespace {

struct Life {
  bool accepted = false;
  bool ended = false;
  std::int64_t qty = 0;
  std::int64_t cum = 0;
  venue::Side side{};
  venue::OrdType type{};
  std::int64_t price = 0;
};

// Checks what the events say against what a user would rely on.
class Auditor : public m::EventListener {
 public:
  std::map<std::uint64_t, Life> lives;
  std::set<std::uint64_t> exec_ids;
  std::vector<std::string> problems;
  std::uint64_t trades = 0;
  std::uint64_t busts = 0;
  std::vector<venue::TradeId> trade_ids;
  bool firm_scope = false;

  void problem(const std::string& p) {
    if (problems.size() < 20) problems.push_back(p);
  }
  void exec(venue::ExecId id) {
    if (!exec_ids.insert(id.value()).second) problem("ExecId reused: " + std::to_string(id.value()));
  }
  void check_view(const m::OrderView& v, const char* what) {
    if (v.cum_qty.count() + v.leaves_qty.count() != v.qty.count() && v.state != m::OrderState::kCancelled &&
        v.state != m::OrderState::kExpired && v.state != m::OrderState::kFilled) {
      problem(std::string(what) + ": qty != cum + leaves for order " + std::to_string(v.id.value()));
    }
    if (v.leaves_qty.count() < 0 || v.cum_qty.count() < 0) problem(std::string(what) + ": negative quantity");
    auto it = lives.find(v.id.value());
    if (it == lives.end() || !it->second.accepted) {
      problem(std::string(what) + " for an order never accepted: " + std::to_string(v.id.value()));
      return;
    }
    if (it->second.ended) problem(std::string(what) + " after the order ended: " + std::to_string(v.id.value()));
    if (it->second.cum != v.cum_qty.count()) problem(std::string(what) + ": cum does not match the fills reported");
  }
  void end(const m::OrderView& v) { lives[v.id.value()].ended = true; }

  void on_accepted(const m::AcceptedEvent& e) override {
    exec(e.exec_id);
    auto& l = lives[e.order.id.value()];
    if (l.accepted) problem("accepted twice");
    l.accepted = true;
    l.qty = e.order.qty.count();
    l.side = e.order.side;
    l.type = e.order.type;
    l.price = e.order.price.count();
    if (e.order.leaves_qty != e.order.qty) problem("accepted with leaves != qty");
  }
  void on_rejected(const m::RejectedEvent& e) override {
    exec(e.exec_id);
    if (lives.contains(e.order.id.value())) problem("a rejected order id was used before");
    lives[e.order.id.value()].ended = true;
  }
  void on_trade(const m::TradeEvent& e) override {
    ++trades;
    trade_ids.push_back(e.trade_id);
    exec(e.aggressor.exec_id);
    exec(e.resting.exec_id);
    const auto& a = e.aggressor.order;
    const auto& r = e.resting.order;
    if (a.side == r.side) problem("a trade between two orders of one side");
    if (e.price != r.price) problem("trade not at the resting order's price");
    if (a.type == venue::OrdType::kLimit || (a.type == venue::OrdType::kStopLimit && a.triggered)) {
      const bool through = a.side == venue::Side::kBuy ? e.price > a.price : e.price < a.price;
      if (through) problem("trade through the aggressor's limit");
    }
    if (e.qty.count() <= 0) problem("trade of nothing");
    for (const auto* v : {&a, &r}) {
      auto& l = lives[v->id.value()];
      l.cum += e.qty.count();
      check_view(*v, "trade");
      if (v->leaves_qty.count() == 0) l.ended = true;
    }
    const bool same = firm_scope ? a.owner.firm == r.owner.firm : a.owner.account == r.owner.account;
    if (a.stp != venue::StpMode::kNone && same) problem("self-trade not prevented");
  }
  void on_cancelled(const m::CancelledEvent& e) override {
    exec(e.exec_id);
    check_view(e.order, "cancel");
    if (e.order.leaves_qty.count() != 0) problem("cancelled with leaves");
    end(e.order);
  }
  void on_expired(const m::ExpiredEvent& e) override {
    exec(e.exec_id);
    check_view(e.order, "expiry");
    end(e.order);
  }
  void on_replaced(const m::ReplacedEvent& e) override {
    exec(e.exec_id);
    check_view(e.order, "replace");
    lives[e.order.id.value()].qty = e.order.qty.count();
    if (e.order.state == m::OrderState::kFilled) end(e.order);
  }
  void on_restated(const m::RestatedEvent& e) override {
    exec(e.exec_id);
    check_view(e.order, "restatement");
  }
  void on_triggered(const m::TriggeredEvent& e) override {
    exec(e.exec_id);
    check_view(e.order, "trigger");
  }
  void on_status(const m::StatusEvent& e) override { check_view(e.order, "status"); }
  // A bust takes the trade's quantity off both orders' fills; a live order gets it back as leaves.
  void on_trade_busted(const m::TradeBustedEvent& e) override {
    ++busts;
    exec(e.aggressor.exec_id);
    exec(e.resting.exec_id);
    for (const auto* side : {&e.aggressor, &e.resting}) {
      const auto& v = side->order;
      auto& l = lives[v.id.value()];
      l.cum -= e.qty.count();
      if (v.cum_qty.count() != l.cum) problem("bust: cum does not match the fills left");
      if (side->live == l.ended) problem("bust: live flag disagrees with the order's life");
      if (side->live && v.cum_qty.count() + v.leaves_qty.count() != v.qty.count()) problem("bust: qty != cum + leaves");
      if (!side->live && v.leaves_qty.count() != 0) problem("bust: a done order with leaves");
      if (v.state == m::OrderState::kFilled) problem("bust: an order still reported filled");
    }
  }
};

std::vector<m::InstrumentSpec> instruments() {
  std::vector<m::InstrumentSpec> v;
  for (std::uint32_t i = 1; i <= 3; ++i) {
    m::InstrumentSpec s;
    s.id = venue::InstrumentId(i);
    s.symbol = "I" + std::to_string(i);
    s.max_qty = Qty(1000);
    if (i == 2) {
      s.band_bps = 2000;  // +/-20% around 100
      s.reference_price = Price(100);
      s.band_reference = m::BandReference::kLastTrade;
    }
    v.push_back(s);
  }
  return v;
}

class Driver {
 public:
  Driver(std::uint64_t seed, m::EngineSettings settings) : rng_(seed), engine_(settings, instruments(), auditor_) {
    auditor_.firm_scope = settings.stp_scope == m::StpScope::kFirm;
  }

  void run(int commands) {
    for (int i = 0; i < commands; ++i) {
      m::Command c = next();
      c.seq = static_cast<std::uint64_t>(i) + 1;
      now_ += 1 + static_cast<std::int64_t>(below(1000));
      c.now_ns = now_;
      applied_.push_back(c);
      engine_.apply(c);
      const auto broken = engine_.check_invariants();
      BOOST_REQUIRE_MESSAGE(broken.empty(), "after command " << i << ": " << broken);
      BOOST_REQUIRE_MESSAGE(auditor_.problems.empty(), "after command " << i << ": " << auditor_.problems.front());
    }
  }
  const Auditor& auditor() const { return auditor_; }
  const m::Engine& engine() const { return engine_; }
  const std::vector<m::Command>& applied() const { return applied_; }

 private:
  std::uint64_t below(std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  venue::OrderId some_order() {
    if (ids_.empty() || chance(0.05)) return venue::OrderId(1 + below(1000));  // often unknown or gone
    return ids_[below(ids_.size())];
  }

  m::Command next() {
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.55) return new_order();
    if (r < 0.75) {
      return m::Command::make(
          m::CancelCmd{++ref_, some_order(), venue::FirmId(chance(0.9) ? 1 + below(2) : 0), m::CancelReason::kUser});
    }
    if (r < 0.90) {
      m::OrderView v{};
      const auto id = some_order();
      const bool known = engine_.find_order(id, v);
      const std::int64_t price =
          known && v.price.count() > 0 ? v.price.count() + static_cast<std::int64_t>(below(5)) - 2 : 0;
      const std::int64_t stop =
          known ? v.stop_price.count() + (known && !v.triggered ? static_cast<std::int64_t>(below(3)) - 1 : 0) : 0;
      return m::Command::make(m::ReplaceCmd{++ref_, id, venue::FirmId(1 + below(2)), Price(price), Price(stop),
                                            Qty(1 + static_cast<std::int64_t>(below(60))),
                                            Qty(known ? v.display_qty.count() : 0)});
    }
    if (r < 0.93) return m::Command::make(m::StatusCmd{++ref_, some_order(), venue::FirmId(1)});
    if (r < 0.945) {
      m::MassCancelCmd mc{};
      mc.client_ref = ++ref_;
      if (chance(0.5)) mc.account = venue::AccountId(1 + static_cast<std::uint32_t>(below(4)));
      if (chance(0.3)) mc.instrument = venue::InstrumentId(1 + static_cast<std::uint32_t>(below(3)));
      if (chance(0.3)) mc.side = static_cast<std::uint8_t>(1 + below(2));
      mc.reason = m::CancelReason::kMassCancel;
      return m::Command::make(mc);
    }
    if (r < 0.96) {
      const auto st = chance(0.5)   ? venue::TradingStatus::kOpen
                      : chance(0.5) ? venue::TradingStatus::kHalted
                                    : venue::TradingStatus::kClosed;
      return m::Command::make(m::TradingStatusCmd{venue::InstrumentId(1 + static_cast<std::uint32_t>(below(3))),
                                                  chance(0.7) ? venue::TradingStatus::kOpen : st});
    }
    if (r < 0.97) return m::Command::timer();
    if (r < 0.99) {
      const auto& t = auditor_.trade_ids;
      const venue::TradeId id = t.empty() || chance(0.1) ? venue::TradeId(1 + below(5000)) : t[below(t.size())];
      return m::Command::make(m::BustTradeCmd{++ref_, id});
    }
    if (r < 0.995)
      return m::Command::make(
          m::ReferencePriceCmd{venue::InstrumentId(2), Price(90 + static_cast<std::int64_t>(below(20)))});
    if (!end_of_day) return m::Command::timer();
    return m::Command::make(
        m::EndOfDayCmd{venue::InstrumentId(chance(0.5) ? 0 : 1 + static_cast<std::uint32_t>(below(3)))});
  }

  m::Command new_order() {
    m::NewOrderCmd n{};
    n.client_ref = ++ref_;
    n.instrument = venue::InstrumentId(1 + static_cast<std::uint32_t>(below(chance(0.02) ? 5 : 3)));
    n.owner = m::Owner{venue::SessionId(1 + static_cast<std::uint32_t>(below(3))),
                       venue::FirmId(1 + static_cast<std::uint32_t>(below(2))),
                       venue::AccountId(1 + static_cast<std::uint32_t>(below(4)))};
    n.side = chance(0.5) ? venue::Side::kBuy : venue::Side::kSell;
    const double t = std::uniform_real_distribution<double>(0, 1)(rng_);
    n.type = t < 0.8    ? venue::OrdType::kLimit
             : t < 0.88 ? venue::OrdType::kMarket
             : t < 0.94 ? venue::OrdType::kStopLimit
                        : venue::OrdType::kStop;
    const double f = std::uniform_real_distribution<double>(0, 1)(rng_);
    n.tif = f < 0.55  ? venue::TimeInForce::kDay
            : f < 0.7 ? venue::TimeInForce::kGtc
            : f < 0.8 ? venue::TimeInForce::kIoc
            : f < 0.9 ? venue::TimeInForce::kFok
                      : venue::TimeInForce::kGtd;
    const double s = std::uniform_real_distribution<double>(0, 1)(rng_);
    n.stp = s < 0.6   ? venue::StpMode::kNone
            : s < 0.7 ? venue::StpMode::kCancelNewest
            : s < 0.8 ? venue::StpMode::kCancelOldest
            : s < 0.9 ? venue::StpMode::kCancelBoth
                      : venue::StpMode::kDecrementAndCancel;
    n.qty = Qty(chance(0.01) ? 0 : 1 + static_cast<std::int64_t>(below(50)));
    if (n.type == venue::OrdType::kLimit || n.type == venue::OrdType::kStopLimit) {
      n.price = Price(95 + static_cast<std::int64_t>(below(11)));
    }
    if (n.type == venue::OrdType::kStop || n.type == venue::OrdType::kStopLimit) {
      n.stop_price = Price(95 + static_cast<std::int64_t>(below(11)));
    }
    if (chance(0.1) && n.tif != venue::TimeInForce::kIoc && n.tif != venue::TimeInForce::kFok &&
        n.type != venue::OrdType::kMarket) {
      n.display_qty = Qty(
          1 + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(std::max<std::int64_t>(n.qty.count(), 1)))));
    }
    if (n.tif == venue::TimeInForce::kIoc && chance(0.3)) n.min_qty = Qty(1 + static_cast<std::int64_t>(below(20)));
    if (n.tif == venue::TimeInForce::kGtd) n.expire_time_ns = now_ + 1 + static_cast<std::int64_t>(below(200'000));
    n.post_only = n.type == venue::OrdType::kLimit && chance(0.05);
    m::Command c = m::Command::make(n);
    return c;
  }

 public:
  void remember(venue::OrderId id) { ids_.push_back(id); }
  bool end_of_day = true;  // false: one long trading day (every trade stays bustable)

 private:
  std::mt19937_64 rng_;
  Auditor auditor_;
  m::Engine engine_;
  std::vector<venue::OrderId> ids_;
  std::vector<m::Command> applied_;
  std::uint64_t ref_ = 0;
  std::int64_t now_ = 1'000'000;
};

// Order ids are sequential per shard: commands can name recent ids without listening for them.
class SequentialDriver : public Driver {
 public:
  using Driver::Driver;
  void prime(std::uint64_t n) {
    for (std::uint64_t i = 1; i <= n; ++i) remember(venue::OrderId(i));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(random_streams_keep_every_invariant_with_account_stp_and_post_only_rejects) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      SequentialDriver d(seed, m::EngineSettings{});
      d.prime(4000);
      d.run(4000);
      BOOST_TEST(d.auditor().trades > 100U);  // the stream really trades
      BOOST_TEST(d.auditor().busts > 5U);     // and busts some of its trades
    }
  }
}

BOOST_AUTO_TEST_CASE(random_streams_keep_every_invariant_with_firm_stp_and_post_only_cancels) {
  for (std::uint64_t seed = 100; seed <= 105; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      m::EngineSettings s;
      s.stp_scope = m::StpScope::kFirm;
      s.post_only_policy = m::PostOnlyPolicy::kCancel;
      s.shard = 3;
      SequentialDriver d(seed, s);
      for (std::uint64_t i = 1; i <= 4000; ++i) d.remember(venue::OrderId((3ULL << 48) | i));
      d.run(4000);
      BOOST_TEST(d.auditor().trades > 100U);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_snapshot_reloaded_mid_stream_continues_identically) {
  // Two engines: one runs straight through; the other is saved and reloaded into a fresh engine half
  // way. Their states (hashes) must agree at the end.
  m::EngineSettings s;
  std::mt19937_64 rng(7);
  Auditor a1, a2;
  m::Engine straight(s, instruments(), a1);
  auto reloaded = std::make_unique<m::Engine>(s, instruments(), a2);
  std::vector<m::Command> cmds;
  for (int i = 0; i < 3000; ++i) {
    m::NewOrderCmd n{};
    n.client_ref = static_cast<std::uint64_t>(i);
    n.instrument = venue::InstrumentId(1 + static_cast<std::uint32_t>(rng() % 3));
    n.owner =
        m::Owner{venue::SessionId(1), venue::FirmId(1), venue::AccountId(1 + static_cast<std::uint32_t>(rng() % 3))};
    n.side = rng() % 2 == 0 ? venue::Side::kBuy : venue::Side::kSell;
    n.type = venue::OrdType::kLimit;
    n.tif = rng() % 5 == 0 ? venue::TimeInForce::kGtd : venue::TimeInForce::kDay;
    if (n.tif == venue::TimeInForce::kGtd) n.expire_time_ns = 10'000'000;
    n.price = Price(95 + static_cast<std::int64_t>(rng() % 11));
    n.qty = Qty(1 + static_cast<std::int64_t>(rng() % 30));
    n.display_qty = rng() % 7 == 0 ? Qty(1) : Qty(0);
    m::Command c =
        rng() % 4 == 0
            ? m::Command::make(m::CancelCmd{0, venue::OrderId(1 + rng() % (static_cast<std::uint64_t>(i) + 1)),
                                            venue::FirmId(), m::CancelReason::kUser})
            : m::Command::make(n);
    c.now_ns = 1'000'000 + i;
    c.seq = static_cast<std::uint64_t>(i) + 1;
    cmds.push_back(c);
  }
  m::Command timer = m::Command::timer();
  timer.now_ns = 20'000'000;
  cmds.push_back(timer);
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    straight.apply(cmds[i]);
    if (i == 1500) {
      const auto bytes = reloaded->save();
      auto fresh = std::make_unique<m::Engine>(s, instruments(), a2);
      std::string error;
      BOOST_REQUIRE_MESSAGE(fresh->load(bytes, error), error);
      BOOST_REQUIRE_EQUAL(fresh->state_hash(), reloaded->state_hash());
      BOOST_REQUIRE(fresh->check_invariants().empty());
      reloaded = std::move(fresh);
    }
    reloaded->apply(cmds[i]);
  }
  BOOST_TEST(straight.state_hash() == reloaded->state_hash());
  BOOST_TEST(straight.live_orders() == reloaded->live_orders());
  BOOST_TEST(straight.check_invariants().empty());
}

BOOST_AUTO_TEST_CASE(a_damaged_snapshot_is_refused_and_leaves_the_engine_untouched) {
  Auditor a;
  m::Engine e(m::EngineSettings{}, instruments(), a);
  m::NewOrderCmd n{};
  n.instrument = venue::InstrumentId(1);
  n.side = venue::Side::kBuy;
  n.type = venue::OrdType::kLimit;
  n.tif = venue::TimeInForce::kDay;
  n.price = Price(100);
  n.qty = Qty(5);
  e.apply(m::Command::make(n));
  auto bytes = e.save();
  const auto hash = e.state_hash();
  std::string error;
  auto truncated = bytes;
  truncated.resize(truncated.size() - 3);
  BOOST_TEST(!e.load(truncated, error));
  BOOST_TEST(!error.empty());
  auto wrong_shard = bytes;
  wrong_shard[8] ^= 0x01;
  BOOST_TEST(!e.load(wrong_shard, error));
  BOOST_TEST(e.state_hash() == hash);
  BOOST_TEST(e.live_orders() == 1U);
}

namespace {

// Every event as one line (kind, ids, quantities, state), to compare two runs event by event.
struct Transcript : m::EventListener {
  std::vector<std::string> lines;
  static std::string v(const m::OrderView& o) {
    return " " + std::to_string(o.id.value()) + "/" + std::to_string(o.client_ref) + " q" +
           std::to_string(o.qty.count()) + " c" + std::to_string(o.cum_qty.count()) + " l" +
           std::to_string(o.leaves_qty.count()) + " s" + std::to_string(static_cast<int>(o.state)) + " v" +
           std::to_string(static_cast<std::int64_t>(o.cum_value));
  }
  void add(const char* kind, std::uint64_t exec, const std::string& rest) {
    lines.push_back(std::string(kind) + " " + std::to_string(exec) + rest);
  }
  void on_accepted(const m::AcceptedEvent& e) override { add("accepted", e.exec_id.value(), v(e.order)); }
  void on_rejected(const m::RejectedEvent& e) override { add("rejected", e.exec_id.value(), v(e.order)); }
  void on_trade(const m::TradeEvent& e) override {
    add("trade", e.trade_id.value(), v(e.aggressor.order) + v(e.resting.order) + " " + std::to_string(e.qty.count()));
  }
  void on_cancelled(const m::CancelledEvent& e) override { add("cancelled", e.exec_id.value(), v(e.order)); }
  void on_expired(const m::ExpiredEvent& e) override { add("expired", e.exec_id.value(), v(e.order)); }
  void on_replaced(const m::ReplacedEvent& e) override { add("replaced", e.exec_id.value(), v(e.order)); }
  void on_cancel_rejected(const m::CancelRejectedEvent& e) override {
    add("cancel_rejected", e.client_ref, " " + std::to_string(static_cast<int>(e.code)));
  }
  void on_restated(const m::RestatedEvent& e) override { add("restated", e.exec_id.value(), v(e.order)); }
  void on_triggered(const m::TriggeredEvent& e) override { add("triggered", e.exec_id.value(), v(e.order)); }
  void on_status(const m::StatusEvent& e) override { add("status", e.request_ref, v(e.order)); }
  void on_mass_cancel_done(const m::MassCancelDoneEvent& e) override { add("mass", e.cancelled_count, ""); }
  void on_trade_busted(const m::TradeBustedEvent& e) override {
    add("busted", e.trade_id.value(),
        v(e.aggressor.order) + (e.aggressor.live ? " live" : " done") + v(e.resting.order) +
            (e.resting.live ? " live" : " done"));
  }
  void on_bust_rejected(const m::BustRejectedEvent& e) override {
    add("bust_rejected", e.trade_id.value(), " " + std::to_string(static_cast<int>(e.code)));
  }
};

}  // namespace

// A restart from a snapshot must bust trades exactly as the engine that never stopped would: the day's
// trades and the final state of the orders that traded and left are part of the snapshot.
BOOST_AUTO_TEST_CASE(engines_reloaded_from_snapshots_report_busts_as_the_one_that_never_stopped) {
  for (std::uint64_t seed = 300; seed <= 303; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      SequentialDriver d(seed, m::EngineSettings{});
      d.end_of_day = seed % 2 == 0;
      d.prime(3000);
      d.run(3000);
      BOOST_TEST(d.auditor().busts > 5U);
      const auto& cmds = d.applied();
      Transcript straight_events, reloaded_events;
      m::Engine straight(m::EngineSettings{}, instruments(), straight_events);
      auto reloaded = std::make_unique<m::Engine>(m::EngineSettings{}, instruments(), reloaded_events);
      for (std::size_t i = 0; i < cmds.size(); ++i) {
        if (i % 250 == 249) {
          const auto bytes = reloaded->save();
          auto fresh = std::make_unique<m::Engine>(m::EngineSettings{}, instruments(), reloaded_events);
          std::string error;
          BOOST_REQUIRE_MESSAGE(fresh->load(bytes, error), error);
          BOOST_REQUIRE_EQUAL(fresh->state_hash(), reloaded->state_hash());
          reloaded = std::move(fresh);
        }
        straight.apply(cmds[i]);
        reloaded->apply(cmds[i]);
      }
      BOOST_TEST(reloaded_events.lines == straight_events.lines);
      BOOST_TEST(reloaded->state_hash() == straight.state_hash());
      BOOST_TEST(straight.state_hash() == d.engine().state_hash());
    }
  }
}

BOOST_AUTO_TEST_CASE(applying_commands_in_batches_gives_the_same_events_and_state_as_one_at_a_time) {
  for (std::uint64_t seed = 200; seed <= 203; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      SequentialDriver d(seed, m::EngineSettings{});
      d.prime(3000);
      d.run(3000);
      const auto& cmds = d.applied();
      Transcript one, batched;
      m::Engine single(m::EngineSettings{}, instruments(), one);
      m::Engine batches(m::EngineSettings{}, instruments(), batched);
      for (const auto& c : cmds) single.apply(c);
      std::mt19937_64 rng(seed);
      for (std::size_t i = 0; i < cmds.size();) {
        const std::size_t n = std::min<std::size_t>(cmds.size() - i, 1 + rng() % 300);
        batches.apply(std::span<const m::Command>(cmds.data() + i, n));
        i += n;
      }
      BOOST_TEST(one.lines.size() > cmds.size());
      BOOST_TEST(batched.lines == one.lines);
      BOOST_TEST(batches.state_hash() == single.state_hash());
      BOOST_TEST(batches.state_hash() == d.engine().state_hash());
    }
  }
}

// validate() checks an order without optional fields (stop price, peak, MinQty, post-only, expire time)
// by a shorter path: the codes it can still fail with are the full path's, first failure first.
BOOST_AUTO_TEST_CASE(an_order_without_optional_fields_is_rejected_with_the_full_checks_codes) {
  struct Codes : m::EventListener {
    std::vector<venue::RejectCode> codes;
    void on_rejected(const m::RejectedEvent& e) override { codes.push_back(e.code); }
  } codes;
  m::Engine engine(m::EngineSettings{}, instruments(), codes);
  auto order = [](venue::OrdType type, venue::TimeInForce tif, std::int64_t price) {
    m::NewOrderCmd n{};
    n.instrument = venue::InstrumentId(1);
    n.side = venue::Side::kBuy;
    n.type = type;
    n.tif = tif;
    n.price = Price(price);
    n.qty = Qty(10);
    return m::Command::make(n);
  };
  using venue::OrdType;
  using venue::RejectCode;
  using venue::TimeInForce;
  engine.apply(order(OrdType::kStop, TimeInForce::kDay, 0));        // a stop order without its stop price
  engine.apply(order(OrdType::kStopLimit, TimeInForce::kGtd, 10));  // both wrong: the stop price first
  engine.apply(order(OrdType::kLimit, TimeInForce::kGtd, 10));      // GTD without an expire time
  engine.apply(order(OrdType::kLimit, TimeInForce::kDay, 10));      // accepted
  const std::vector<RejectCode> expected = {RejectCode::kStopPriceInvalid, RejectCode::kStopPriceInvalid,
                                            RejectCode::kExpireTimeInvalid};
  BOOST_TEST(codes.codes == expected, boost::test_tools::per_element());
  BOOST_TEST(engine.resting_orders() == 1U);
}

// An engine starts and keeps its orders where a limit on address space (ulimit -v, RLIMIT_AS) refuses the
// 16 GiB its order pool reserves (address space only): the pool reserves half as much, a quarter... It
// once threw std::bad_alloc at start, so the venue could not start on such a host. In a child process,
// so that the limit holds nowhere else.
BOOST_AUTO_TEST_CASE(an_engine_starts_and_rests_orders_under_a_limit_on_address_space) {
#if defined(__SANITIZE_ADDRESS__)
  BOOST_TEST_MESSAGE("skipped: AddressSanitizer's shadow memory needs the address space");
  return;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  BOOST_TEST_MESSAGE("skipped: AddressSanitizer's shadow memory needs the address space");
  return;
#endif
#endif
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    const rlimit limit{3ULL << 30, 3ULL << 30};  // 3 GiB
    if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(3);
    try {
      m::EventListener quiet;
      m::Engine engine(m::EngineSettings{}, instruments(), quiet);
      for (std::uint64_t i = 1; i <= 300'000; ++i) {
        m::NewOrderCmd n{};
        n.client_ref = i;
        n.instrument = venue::InstrumentId(1);
        n.side = venue::Side::kBuy;
        n.type = venue::OrdType::kLimit;
        n.tif = venue::TimeInForce::kDay;
        n.price = Price(90 - static_cast<std::int64_t>(i % 10));
        n.qty = Qty(1);
        m::Command c = m::Command::make(n);
        c.seq = i;
        engine.apply(c);
      }
      ::_exit(engine.resting_orders() == 300'000U ? 0 : 1);
    } catch (...) {
      ::_exit(2);
    }
  }
  int status = 0;
  BOOST_REQUIRE(::waitpid(child, &status, 0) == child);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0,
             "exit status " << WEXITSTATUS(status) << " (2: std::bad_alloc or another throw)");
}

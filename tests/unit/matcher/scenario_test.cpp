// Plain-text scenarios drive the engine: a book is given, a command is applied, and the events it
// produces must be exactly the expected ones. Every .scn file under tests/unit/matcher/scenarios/ is
// read; every scenario in it is a test case of its own. The format is described in
// tests/unit/matcher/scenarios/README.md. After every command the engine's invariants are checked.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>

#include "support/printers.h"
#include "venue/matcher/engine.h"

namespace fs = std::filesystem;
namespace m = venue::matcher;
using venue::Price;
using venue::Qty;

namespace {

struct Scenario {
  std::string file;
  int line = 0;
  std::string name;
  std::vector<std::pair<int, std::string>> lines;
};

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::string reason_name(m::CancelReason r) {
  switch (r) {
    case m::CancelReason::kUser: return "user";
    case m::CancelReason::kIocRemainder: return "ioc";
    case m::CancelReason::kFokUnfilled: return "fok";
    case m::CancelReason::kMinQtyUnmet: return "minqty";
    case m::CancelReason::kSelfTrade: return "stp";
    case m::CancelReason::kPostOnly: return "postonly";
    case m::CancelReason::kMassCancel: return "mass";
    case m::CancelReason::kKillSwitch: return "kill";
    case m::CancelReason::kDisconnect: return "disconnect";
    case m::CancelReason::kOperator: return "operator";
    case m::CancelReason::kReplacedToZero: return "replaced";
  }
  return "?";
}

std::string state_name(m::OrderState s) {
  switch (s) {
    case m::OrderState::kNew: return "new";
    case m::OrderState::kPartiallyFilled: return "partial";
    case m::OrderState::kFilled: return "filled";
    case m::OrderState::kCancelled: return "cancelled";
    case m::OrderState::kExpired: return "expired";
    case m::OrderState::kRejected: return "rejected";
  }
  return "?";
}

// Runs one scenario. Labels name orders (they become client refs); events are rendered as text.
class Runner : public m::EventListener {
 public:
  explicit Runner(const Scenario& sc) : sc_(sc) {}

  void run() {
    std::size_t i = 0;
    while (i < sc_.lines.size()) {
      const auto& [line_no, text] = sc_.lines[i];
      line_ = line_no;
      ++i;
      auto w = words(text);
      if (w.empty()) continue;
      if (w[0] == ">") {
        fail("an expectation without a command before it");
        continue;
      }
      bool given = false;
      if (w[0] == "given") {
        given = true;
        w.erase(w.begin());
      }
      if (config(w)) continue;
      if (check(w)) continue;
      std::vector<std::string> expected;
      while (i < sc_.lines.size() && words(sc_.lines[i].second).size() > 0 && words(sc_.lines[i].second)[0] == ">") {
        auto t = sc_.lines[i].second;
        expected.push_back(t.substr(t.find('>') + 1));
        auto& e = expected.back();
        e.erase(0, e.find_first_not_of(' '));
        e.erase(e.find_last_not_of(' ') + 1);
        ++i;
      }
      events_.clear();
      if (!command(w)) continue;
      const auto broken = engine().check_invariants();
      BOOST_TEST(broken.empty(), where() << "invariant broken after \"" << text << "\": " << broken);
      if (given) {
        for (const auto& e : events_) {
          BOOST_TEST((e.rfind("rejected", 0) != 0 && e.rfind("cancel_rejected", 0) != 0),
                     where() << "a given command was refused: " << e);
        }
        if (!expected.empty()) fail("a given command has expectations: drop \"given\" to check them");
        continue;
      }
      std::ostringstream want, got;
      for (const auto& e : expected) want << "\n    " << e;
      for (const auto& e : events_) got << "\n    " << e;
      BOOST_TEST(want.str() == got.str(),
                 where() << "\"" << text << "\" produced:" << got.str() << "\n  expected:" << want.str());
    }
  }

  // ----- EventListener: render each event as one line -----

  void on_accepted(const m::AcceptedEvent& e) override {
    remember(e.order);
    emit("accepted " + label(e.order.client_ref));
  }
  void on_rejected(const m::RejectedEvent& e) override {
    emit("rejected " + label(e.order.client_ref) + " " + std::string(venue::to_string(e.code)));
  }
  void on_trade(const m::TradeEvent& e) override {
    trades_.push_back(e.trade_id);
    emit("trade " + std::to_string(e.qty.count()) + "@" + std::to_string(e.price.count()) +
         " agg=" + label(e.aggressor.order.client_ref) + " rest=" + label(e.resting.order.client_ref));
    // ids are unique per event
    BOOST_TEST(e.aggressor.exec_id != e.resting.exec_id);
  }
  void on_cancelled(const m::CancelledEvent& e) override {
    emit("cancelled " + label(e.order.client_ref) + " " + reason_name(e.reason) +
         " qty=" + std::to_string(e.cancelled_qty.count()));
  }
  void on_expired(const m::ExpiredEvent& e) override {
    emit("expired " + label(e.order.client_ref) + " qty=" + std::to_string(e.expired_qty.count()));
  }
  void on_replaced(const m::ReplacedEvent& e) override {
    emit("replaced " + label(e.previous_ref) + "->" + label(e.order.client_ref) +
         (e.kept_priority ? " kept" : " moved") + " " + state_name(e.order.state) +
         " leaves=" + std::to_string(e.order.leaves_qty.count()));
  }
  void on_cancel_rejected(const m::CancelRejectedEvent& e) override {
    const char* what = e.request == m::CommandType::kCancel    ? "cancel"
                       : e.request == m::CommandType::kReplace ? "replace"
                                                               : "status";
    emit(std::string("cancel_rejected ") + what + " " + label(e.client_ref) + " " +
         std::string(venue::to_string(e.code)));
  }
  void on_restated(const m::RestatedEvent& e) override {
    emit("restated " + label(e.order.client_ref) + " by=" + std::to_string(e.reduced_qty.count()) +
         " leaves=" + std::to_string(e.order.leaves_qty.count()));
  }
  void on_triggered(const m::TriggeredEvent& e) override {
    emit("triggered " + label(e.order.client_ref) + " at=" + std::to_string(e.trigger_price.count()));
  }
  void on_status(const m::StatusEvent& e) override {
    emit("status " + label(e.order.client_ref) + " " + state_name(e.order.state) +
         " cum=" + std::to_string(e.order.cum_qty.count()) + " leaves=" + std::to_string(e.order.leaves_qty.count()));
  }
  void on_mass_cancel_done(const m::MassCancelDoneEvent& e) override {
    emit("mass_cancelled " + std::to_string(e.cancelled_count));
  }
  void on_trading_status(const m::TradingStatusEvent& e) override {
    emit("trading_status " + symbol_of(e.instrument) + " " + std::string(venue::to_string(e.status)));
  }
  void on_trade_busted(const m::TradeBustedEvent& e) override {
    auto side = [&](const m::BustSide& b) {
      return label(b.order.client_ref) + " " + state_name(b.order.state) +
             " cum=" + std::to_string(b.order.cum_qty.count()) +
             " leaves=" + std::to_string(b.order.leaves_qty.count()) + (b.live ? " live" : " done");
    };
    emit("busted " + trade_number(e.trade_id) + " " + std::to_string(e.qty.count()) + "@" +
         std::to_string(e.price.count()) + " agg=" + side(e.aggressor) + " rest=" + side(e.resting));
    BOOST_TEST(e.aggressor.exec_id != e.resting.exec_id);
  }
  void on_bust_rejected(const m::BustRejectedEvent& e) override {
    emit("bust_rejected " + trade_number(e.trade_id) + " " + std::string(venue::to_string(e.code)));
  }

 private:
  std::string where() const { return sc_.file + ":" + std::to_string(line_) + ": "; }
  void fail(const std::string& why) { BOOST_ERROR(where() << why); }
  void emit(std::string s) { events_.push_back(std::move(s)); }

  std::uint64_t ref(const std::string& label) {
    auto it = refs_.find(label);
    if (it != refs_.end()) return it->second;
    const std::uint64_t r = labels_.size() + 1;
    refs_[label] = r;
    labels_.push_back(label);
    return r;
  }
  std::string label(std::uint64_t r) const {
    if (r == 0) return "-";
    return r <= labels_.size() ? labels_[r - 1] : "ref" + std::to_string(r);
  }
  void remember(const m::OrderView& o) { order_of_[o.client_ref] = o.id; }
  // Trades are named by their number in the scenario (1: its first trade).
  std::string trade_number(venue::TradeId id) const {
    for (std::size_t i = 0; i < trades_.size(); ++i) {
      if (trades_[i] == id) return std::to_string(i + 1);
    }
    return "unknown";
  }

  venue::OrderId order_id(const std::string& label) {
    auto it = order_of_.find(ref(label));
    if (it == order_of_.end()) return venue::OrderId(999'999);  // never accepted: unknown to the engine
    return it->second;
  }

  std::string symbol_of(venue::InstrumentId id) const {
    for (const auto& s : specs_) {
      if (s.id == id) return s.symbol;
    }
    return "?";
  }
  venue::InstrumentId instrument(const std::string& symbol) {
    for (const auto& s : specs_) {
      if (s.symbol == symbol) return s.id;
    }
    return venue::InstrumentId(9999);  // unknown to the engine
  }

  m::Engine& engine() {
    if (!engine_) engine_ = std::make_unique<m::Engine>(settings_, specs_, *this);
    return *engine_;
  }

  static std::map<std::string, std::string> options(const std::vector<std::string>& w, std::size_t from) {
    std::map<std::string, std::string> o;
    for (std::size_t i = from; i < w.size(); ++i) {
      const auto eq = w[i].find('=');
      if (eq == std::string::npos) {
        o[w[i]] = "";
      } else {
        o[w[i].substr(0, eq)] = w[i].substr(eq + 1);
      }
    }
    return o;
  }

  static std::int64_t num(const std::map<std::string, std::string>& o, const std::string& k, std::int64_t def) {
    auto it = o.find(k);
    return it == o.end() ? def : std::stoll(it->second);
  }

  // instrument / settings / time lines
  bool config(const std::vector<std::string>& w) {
    if (w[0] == "instrument") {
      if (engine_) fail("instrument after the first command");
      m::InstrumentSpec s;
      s.symbol = w.at(1);
      auto o = options(w, 2);
      s.id =
          venue::InstrumentId(static_cast<std::uint32_t>(num(o, "id", static_cast<std::int64_t>(specs_.size()) + 1)));
      s.min_qty = Qty(num(o, "min", 1));
      s.max_qty = Qty(num(o, "max", 1'000'000));
      s.band_bps = num(o, "band_bps", 0);
      s.reference_price = Price(num(o, "ref", 0));
      if (o.contains("band_ref"))
        s.band_reference = o["band_ref"] == "last" ? m::BandReference::kLastTrade : m::BandReference::kStatic;
      if (o.contains("status")) {
        s.status = o["status"] == "halted"   ? venue::TradingStatus::kHalted
                   : o["status"] == "closed" ? venue::TradingStatus::kClosed
                                             : venue::TradingStatus::kOpen;
      }
      specs_.push_back(s);
      return true;
    }
    if (w[0] == "settings") {
      if (engine_) fail("settings after the first command");
      auto o = options(w, 1);
      if (o.contains("stp_scope"))
        settings_.stp_scope = o["stp_scope"] == "firm" ? m::StpScope::kFirm : m::StpScope::kAccount;
      if (o.contains("post_only")) {
        settings_.post_only_policy =
            o["post_only"] == "cancel" ? m::PostOnlyPolicy::kCancel : m::PostOnlyPolicy::kReject;
      }
      return true;
    }
    if (w[0] == "time") {
      now_ = std::stoll(w.at(1));
      return true;
    }
    return false;
  }

  // book / order / last checks
  bool check(const std::vector<std::string>& w) {
    if (w[0] == "book") {
      auto o = options(w, 2);
      const auto id = instrument(w.at(1));
      for (const auto* side : {"bids", "asks"}) {
        if (!o.contains(side)) continue;
        std::string got;
        for (const auto& l : engine().depth(id, std::string(side) == "bids" ? venue::Side::kBuy : venue::Side::kSell)) {
          if (!got.empty()) got += ",";
          got += std::to_string(l.qty.count()) + "@" + std::to_string(l.price.count());
        }
        if (got.empty()) got = "-";
        BOOST_TEST(got == o[side], where() << w[1] << " " << side << " are " << got << ", expected " << o[side]);
      }
      return true;
    }
    if (w[0] == "order") {
      m::OrderView v;
      const bool live = engine().find_order(order_id(w.at(1)), v);
      auto o = options(w, 2);
      if (o.contains("gone")) {
        BOOST_TEST(!live, where() << w[1] << " should not be live");
        return true;
      }
      BOOST_TEST(live, where() << w[1] << " should be live");
      if (!live) return true;
      auto expect = [&](const std::string& k, std::int64_t actual) {
        if (o.contains(k)) BOOST_TEST(actual == std::stoll(o[k]), where() << w[1] << " " << k << " is " << actual);
      };
      expect("qty", v.qty.count());
      expect("cum", v.cum_qty.count());
      expect("leaves", v.leaves_qty.count());
      expect("price", v.price.count());
      expect("stop", v.stop_price.count());
      if (o.contains("state"))
        BOOST_TEST(state_name(v.state) == o["state"], where() << w[1] << " state " << state_name(v.state));
      if (o.contains("avg_ticks_x1000")) {
        const auto avg = v.cum_qty.count() == 0 ? 0 : static_cast<std::int64_t>(v.cum_value * 1000 / v.cum_qty.count());
        BOOST_TEST(avg == std::stoll(o["avg_ticks_x1000"]), where() << w[1] << " avg " << avg);
      }
      return true;
    }
    if (w[0] == "last") {
      m::Engine::TopOfBook t;
      BOOST_REQUIRE(engine().top_of_book(instrument(w.at(1)), t));
      BOOST_TEST(t.last_trade.count() == std::stoll(w.at(2)), where() << "last trade " << t.last_trade.count());
      return true;
    }
    if (w[0] == "live") {
      BOOST_TEST(engine().live_orders() == std::stoull(w.at(1)), where() << "live orders " << engine().live_orders());
      return true;
    }
    return false;
  }

  m::Owner owner(const std::map<std::string, std::string>& o) {
    return m::Owner{venue::SessionId(static_cast<std::uint32_t>(num(o, "session", 1))),
                    venue::FirmId(static_cast<std::uint32_t>(num(o, "firm", 1))),
                    venue::AccountId(static_cast<std::uint32_t>(num(o, "acct", 1)))};
  }

  static std::pair<std::int64_t, std::int64_t> qty_at_price(const std::string& t, bool& market) {
    const auto at = t.find('@');
    market = t.substr(at + 1) == "MKT";
    return {std::stoll(t.substr(0, at)), market ? 0 : std::stoll(t.substr(at + 1))};
  }

  bool command(const std::vector<std::string>& w) {
    m::Command c;
    const std::string& verb = w[0];
    if (verb == "new") {
      // new <label> <symbol> <buy|sell> <qty>@<price|MKT> [day|ioc|fok|gtc|gtd] [key=value...]
      m::NewOrderCmd n{};
      n.client_ref = ref(w.at(1));
      n.instrument = instrument(w.at(2));
      n.side = w.at(3) == "buy" ? venue::Side::kBuy : venue::Side::kSell;
      bool market = false;
      auto [q, p] = qty_at_price(w.at(4), market);
      n.qty = Qty(q);
      n.price = Price(p);
      auto o = options(w, 5);
      n.tif = o.contains("ioc")   ? venue::TimeInForce::kIoc
              : o.contains("fok") ? venue::TimeInForce::kFok
              : o.contains("gtc") ? venue::TimeInForce::kGtc
              : o.contains("gtd") ? venue::TimeInForce::kGtd
                                  : venue::TimeInForce::kDay;
      n.stop_price = Price(num(o, "stop", 0));
      n.type = n.stop_price.count() != 0 ? (market ? venue::OrdType::kStop : venue::OrdType::kStopLimit)
                                         : (market ? venue::OrdType::kMarket : venue::OrdType::kLimit);
      n.display_qty = Qty(num(o, "display", 0));
      n.min_qty = Qty(num(o, "min", 0));
      n.expire_time_ns = num(o, "expire", 0);
      n.post_only = o.contains("postonly");
      n.owner = owner(o);
      static const std::map<std::string, venue::StpMode> kStp = {{"cn", venue::StpMode::kCancelNewest},
                                                                 {"co", venue::StpMode::kCancelOldest},
                                                                 {"cb", venue::StpMode::kCancelBoth},
                                                                 {"dc", venue::StpMode::kDecrementAndCancel}};
      n.stp = o.contains("stp") ? kStp.at(o["stp"]) : venue::StpMode::kNone;
      c = m::Command::make(n);
    } else if (verb == "cancel") {
      auto o = options(w, 2);
      static const std::map<std::string, m::CancelReason> kReasons = {{"user", m::CancelReason::kUser},
                                                                      {"disconnect", m::CancelReason::kDisconnect},
                                                                      {"kill", m::CancelReason::kKillSwitch},
                                                                      {"operator", m::CancelReason::kOperator}};
      c = m::Command::make(m::CancelCmd{ref(o.contains("as") ? o["as"] : w.at(1) + ".cxl"), order_id(w.at(1)),
                                        venue::FirmId(static_cast<std::uint32_t>(num(o, "firm", 1))),
                                        o.contains("reason") ? kReasons.at(o["reason"]) : m::CancelReason::kUser});
    } else if (verb == "replace") {
      // replace <label> qty=N price=P [stop=S] [display=D] [as=<new label>] [firm=F]
      auto o = options(w, 2);
      m::OrderView v{};
      engine().find_order(order_id(w.at(1)), v);
      const std::string as = o.contains("as") ? o["as"] : w.at(1);
      const auto id = order_id(w.at(1));
      const auto r = ref(as);
      order_of_[r] = id;
      c = m::Command::make(m::ReplaceCmd{r, id, venue::FirmId(static_cast<std::uint32_t>(num(o, "firm", 1))),
                                         Price(num(o, "price", v.price.count())),
                                         Price(num(o, "stop", v.stop_price.count())), Qty(num(o, "qty", v.qty.count())),
                                         Qty(num(o, "display", v.display_qty.count()))});
    } else if (verb == "mass") {
      auto o = options(w, 1);
      m::MassCancelCmd mc{};
      mc.client_ref = ref("mass" + std::to_string(line_));
      mc.session = venue::SessionId(static_cast<std::uint32_t>(num(o, "session", 0)));
      mc.firm = venue::FirmId(static_cast<std::uint32_t>(num(o, "firm", 0)));
      mc.account = venue::AccountId(static_cast<std::uint32_t>(num(o, "acct", 0)));
      if (o.contains("instrument")) mc.instrument = instrument(o["instrument"]);
      if (o.contains("side"))
        mc.side = static_cast<std::uint8_t>(o["side"] == "buy" ? venue::Side::kBuy : venue::Side::kSell);
      mc.reason = o.contains("kill") ? m::CancelReason::kKillSwitch : m::CancelReason::kMassCancel;
      if (o.contains("tif")) {
        mc.tif_mask = m::tif_bit(o["tif"] == "day"   ? venue::TimeInForce::kDay
                                 : o["tif"] == "gtc" ? venue::TimeInForce::kGtc
                                                     : venue::TimeInForce::kGtd);
      }
      c = m::Command::make(mc);
    } else if (verb == "status") {
      auto o = options(w, 2);
      c = m::Command::make(
          m::StatusCmd{ref(w.at(1)), order_id(w.at(1)), venue::FirmId(static_cast<std::uint32_t>(num(o, "firm", 1)))});
    } else if (verb == "halt" || verb == "open" || verb == "close") {
      const auto st = verb == "halt"    ? venue::TradingStatus::kHalted
                      : verb == "close" ? venue::TradingStatus::kClosed
                                        : venue::TradingStatus::kOpen;
      c = m::Command::make(m::TradingStatusCmd{w.size() > 1 ? instrument(w[1]) : venue::InstrumentId(), st});
    } else if (verb == "ref") {
      c = m::Command::make(m::ReferencePriceCmd{instrument(w.at(1)), Price(std::stoll(w.at(2)))});
    } else if (verb == "bust") {
      // bust <n>: the scenario's n-th trade (a number past the last names a trade that never was)
      const auto n = std::stoull(w.at(1));
      const venue::TradeId id = n >= 1 && n <= trades_.size() ? trades_[n - 1] : venue::TradeId(999'999);
      c = m::Command::make(m::BustTradeCmd{ref("bust" + std::to_string(line_)), id});
    } else if (verb == "timer") {
      c = m::Command::timer();
    } else if (verb == "eod") {
      c = m::Command::make(m::EndOfDayCmd{w.size() > 1 ? instrument(w[1]) : venue::InstrumentId()});
    } else {
      fail("unknown command \"" + verb + "\"");
      return false;
    }
    c.seq = ++seq_;
    c.now_ns = now_;
    engine().apply(c);
    return true;
  }

  const Scenario& sc_;
  int line_ = 0;
  m::EngineSettings settings_;
  std::vector<m::InstrumentSpec> specs_;
  std::unique_ptr<m::Engine> engine_;
  std::map<std::string, std::uint64_t> refs_;
  std::vector<std::string> labels_;
  std::map<std::uint64_t, venue::OrderId> order_of_;
  std::vector<std::string> events_;
  std::vector<venue::TradeId> trades_;
  std::int64_t now_ = 1'000'000'000;
  std::uint64_t seq_ = 0;
};

std::vector<Scenario> read_scenarios(const fs::path& file) {
  std::vector<Scenario> out;
  std::ifstream in(file);
  std::string text;
  int n = 0;
  while (std::getline(in, text)) {
    ++n;
    const auto hash = text.find('#');
    if (hash != std::string::npos) text.erase(hash);
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    if (text.rfind("scenario ", 0) == 0) {
      out.push_back(Scenario{file.filename().string(), n, text.substr(9), {}});
      continue;
    }
    if (out.empty()) out.push_back(Scenario{file.filename().string(), n, "unnamed", {}});
    out.back().lines.emplace_back(n, text);
  }
  return out;
}

std::string test_name(std::string s) {
  for (auto& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
}

}  // namespace

bool init_scenarios() {
  const char* src = std::getenv("VENUE_SOURCE_DIR");
  if (src == nullptr) {
    std::cerr << "VENUE_SOURCE_DIR is not set (ctest sets it)\n";
    return false;
  }
  const fs::path dir = fs::path(src) / "tests/unit/matcher/scenarios";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".scn") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "no scenario files in " << dir << "\n";
    return false;
  }
  auto& master = boost::unit_test::framework::master_test_suite();
  for (const auto& f : files) {
    auto* suite = BOOST_TEST_SUITE(test_name(f.stem().string()));
    for (auto& sc : read_scenarios(f)) {
      auto shared = std::make_shared<Scenario>(std::move(sc));
      suite->add(boost::unit_test::make_test_case([shared] { Runner(*shared).run(); }, test_name(shared->name),
                                                  shared->file, static_cast<std::size_t>(shared->line)));
    }
    master.add(suite);
  }
  return true;
}

int main(int argc, char* argv[]) { return boost::unit_test::unit_test_main(&init_scenarios, argc, argv); }

#define BOOST_TEST_MODULE matcher_journal
// The journal and the shard runtime: what is acknowledged survives a restart exactly (same state
// hash, same ids, same events), a torn tail is cut off, damage in the middle stops start-up with a
// clear message, snapshots bound replay and are themselves verified.
#include <unistd.h>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "support/printers.h"
#include "venue/matcher/journal.h"
#include "venue/matcher/shard.h"

namespace fs = std::filesystem;
namespace m = venue::matcher;
using venue::Price;
using venue::Qty;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("venue-journal-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<m::InstrumentSpec> instruments() {
  std::vector<m::InstrumentSpec> v;
  for (std::uint32_t i = 1; i <= 2; ++i) {
    m::InstrumentSpec s;
    s.id = venue::InstrumentId(i);
    s.symbol = "I" + std::to_string(i);
    v.push_back(s);
  }
  return v;
}

// Random commands that exercise every state change, ids resolved from a counter (ids are sequential).
std::vector<m::Command> commands(std::uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::vector<m::Command> out;
  std::uint64_t orders = 0;
  for (int i = 0; i < n; ++i) {
    const auto r = rng() % 100;
    if (r < 60 || orders == 0) {
      m::NewOrderCmd c{};
      c.client_ref = static_cast<std::uint64_t>(i) + 1;
      c.instrument = venue::InstrumentId(1 + static_cast<std::uint32_t>(rng() % 2));
      c.owner =
          m::Owner{venue::SessionId(1), venue::FirmId(1), venue::AccountId(1 + static_cast<std::uint32_t>(rng() % 3))};
      c.side = rng() % 2 == 0 ? venue::Side::kBuy : venue::Side::kSell;
      c.type = rng() % 10 == 0 ? venue::OrdType::kStopLimit : venue::OrdType::kLimit;
      c.tif = rng() % 6 == 0   ? venue::TimeInForce::kGtd
              : rng() % 5 == 0 ? venue::TimeInForce::kIoc
                               : venue::TimeInForce::kDay;
      if (c.tif == venue::TimeInForce::kGtd) c.expire_time_ns = 4'000'000'000'000'000'000;  // far future
      c.price = Price(95 + static_cast<std::int64_t>(rng() % 11));
      if (c.type == venue::OrdType::kStopLimit) c.stop_price = Price(95 + static_cast<std::int64_t>(rng() % 11));
      c.qty = Qty(1 + static_cast<std::int64_t>(rng() % 20));
      if (c.tif != venue::TimeInForce::kIoc && rng() % 8 == 0) c.display_qty = Qty(1);
      c.stp = rng() % 4 == 0 ? venue::StpMode::kCancelOldest : venue::StpMode::kNone;
      out.push_back(m::Command::make(c));
      ++orders;
    } else if (r < 85) {
      out.push_back(m::Command::make(m::CancelCmd{static_cast<std::uint64_t>(i) + 1, venue::OrderId(1 + rng() % orders),
                                                  venue::FirmId(1), m::CancelReason::kUser}));
    } else if (r < 97) {
      out.push_back(
          m::Command::make(m::ReplaceCmd{static_cast<std::uint64_t>(i) + 1, venue::OrderId(1 + rng() % orders),
                                         venue::FirmId(1), Price(95 + static_cast<std::int64_t>(rng() % 11)), Price(0),
                                         Qty(1 + static_cast<std::int64_t>(rng() % 20)), Qty(0)}));
    } else {
      out.push_back(
          m::Command::make(m::MassCancelCmd{static_cast<std::uint64_t>(i) + 1, venue::SessionId(), venue::FirmId(),
                                            venue::AccountId(1 + static_cast<std::uint32_t>(rng() % 3)),
                                            venue::InstrumentId(), 0, m::CancelReason::kMassCancel, 0}));
    }
  }
  return out;
}

// Collects the exec ids and kinds of every event it sees, in order.
struct Recorder : m::EventListener {
  std::vector<std::pair<int, std::uint64_t>> seen;
  void on_accepted(const m::AcceptedEvent& e) override { seen.emplace_back(1, e.exec_id.value()); }
  void on_rejected(const m::RejectedEvent& e) override { seen.emplace_back(2, e.exec_id.value()); }
  void on_trade(const m::TradeEvent& e) override { seen.emplace_back(3, e.aggressor.exec_id.value()); }
  void on_cancelled(const m::CancelledEvent& e) override { seen.emplace_back(4, e.exec_id.value()); }
  void on_replaced(const m::ReplacedEvent& e) override { seen.emplace_back(5, e.exec_id.value()); }
  void on_cancel_rejected(const m::CancelRejectedEvent& e) override { seen.emplace_back(6, e.order_id.value()); }
  void on_triggered(const m::TriggeredEvent& e) override { seen.emplace_back(7, e.exec_id.value()); }
  void on_mass_cancel_done(const m::MassCancelDoneEvent& e) override { seen.emplace_back(8, e.cancelled_count); }
};

m::ShardSettings settings(const fs::path& dir, m::EventListener* replay = nullptr) {
  m::ShardSettings s;
  s.instruments = instruments();
  s.journal = m::JournalSettings{dir, 0, m::SyncPolicy::kWrite, 64 * 1024};  // small segments: rotation is tested
  s.command_capacity = 1024;
  s.event_capacity = 1024;
  s.replay_listener = replay;
  std::int64_t t = 1'000'000'000;
  s.clock = [t]() mutable { return t += 1000; };
  return s;
}

// Runs commands through a shard (submitting from this thread, draining its events).
void run_through(m::Shard& shard, const std::vector<m::Command>& cmds, m::EventListener& sink) {
  std::size_t i = 0;
  while (i < cmds.size()) {
    if (shard.submit(cmds[i])) {
      ++i;
    } else {
      BOOST_REQUIRE(!shard.failed());
      shard.poll(sink, 1024);
    }
  }
  // Wait until every command has been applied.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (shard.stats().commands.load() < cmds.size() && std::chrono::steady_clock::now() < deadline) {
    shard.poll(sink, 1024);
  }
  BOOST_REQUIRE_EQUAL(shard.stats().commands.load(), cmds.size());
}

std::uint64_t live_hash(m::Shard& shard) { return shard.engine().state_hash(); }

void append_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out << bytes;
}

fs::path last_segment(const fs::path& dir) {
  fs::path last;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.rfind("journal-", 0) == 0 && (last.empty() || name > last.filename().string())) last = e.path();
  }
  return last;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_restart_replays_the_journal_to_the_same_state_and_the_same_events) {
  TempDir dir;
  const auto cmds = commands(1, 3000);
  Recorder live;
  std::uint64_t hash_before = 0;
  {
    m::Shard shard(settings(dir.path));
    shard.recover();
    shard.start();
    run_through(shard, cmds, live);
    shard.stop();
    while (shard.poll(live, 1024) > 0) {
    }
    hash_before = live_hash(shard);
  }
  // Remove the snapshot written at stop: the restart must rebuild everything from the journal.
  for (const auto& s : m::list_snapshots(m::JournalSettings{dir.path})) fs::remove(s.file);

  Recorder replayed;
  m::Shard again(settings(dir.path, &replayed));
  const auto info = again.recover();
  BOOST_TEST(info.snapshot_seq == 0U);
  BOOST_TEST(info.replayed == cmds.size());
  BOOST_TEST(info.checkpoints_verified == 1U);  // the checkpoint written at stop was checked
  BOOST_TEST(!info.tail_truncated);
  BOOST_TEST(again.engine().state_hash() == hash_before);
  BOOST_TEST(replayed.seen == live.seen);  // same events, same exec ids, same order
}

BOOST_AUTO_TEST_CASE(a_snapshot_bounds_replay_and_the_ids_continue_after_a_restart) {
  TempDir dir;
  const auto cmds = commands(2, 2000);
  Recorder sink;
  std::uint64_t hash_before = 0;
  {
    m::Shard shard(settings(dir.path));
    shard.recover();
    shard.start();
    run_through(shard, cmds, sink);
    shard.stop();
    hash_before = live_hash(shard);
  }
  m::Shard again(settings(dir.path));
  const auto info = again.recover();
  BOOST_TEST(info.snapshot_seq == cmds.size());
  BOOST_TEST(info.replayed == 0U);
  BOOST_TEST(again.engine().state_hash() == hash_before);

  // New orders after the restart get ids the journal never handed out before.
  Recorder more;
  again.start();
  m::NewOrderCmd c{};
  c.instrument = venue::InstrumentId(1);
  c.side = venue::Side::kBuy;
  c.type = venue::OrdType::kLimit;
  c.tif = venue::TimeInForce::kDay;
  c.price = Price(1);
  c.qty = Qty(1);
  run_through(again, {m::Command::make(c)}, more);
  again.stop();
  while (again.poll(more, 16) > 0) {
  }
  std::uint64_t max_before = 0;
  for (const auto& [kind, id] : sink.seen) {
    if (kind != 6 && kind != 8) max_before = std::max(max_before, id);
  }
  BOOST_REQUIRE(!more.seen.empty());
  BOOST_TEST(more.seen.front().second > max_before);
}

BOOST_AUTO_TEST_CASE(a_torn_record_at_the_tail_is_cut_off_and_start_up_goes_on) {
  TempDir dir;
  const auto cmds = commands(3, 500);
  Recorder sink;
  std::uint64_t hash_before = 0;
  {
    m::Shard shard(settings(dir.path));
    shard.recover();
    shard.start();
    run_through(shard, cmds, sink);
    shard.stop();
    hash_before = live_hash(shard);
  }
  for (const auto& s : m::list_snapshots(m::JournalSettings{dir.path})) fs::remove(s.file);
  // A write cut short: a record header promising 100 bytes, then 7 bytes.
  const auto seg = last_segment(dir.path);
  const auto size_before = fs::file_size(seg);
  append_bytes(seg, std::string("\x64\x00\x00\x00\x11\x22\x33\x44"
                                "abcdefg",
                                15));
  m::Shard again(settings(dir.path));
  const auto info = again.recover();
  BOOST_TEST(info.tail_truncated);
  BOOST_TEST(info.truncated_bytes == 15U);
  BOOST_TEST(fs::file_size(seg) == size_before);
  BOOST_TEST(again.engine().state_hash() == hash_before);
}

BOOST_AUTO_TEST_CASE(damage_in_the_middle_stops_start_up_with_the_file_and_offset) {
  TempDir dir;
  const auto cmds = commands(4, 400);
  Recorder sink;
  {
    m::Shard shard(settings(dir.path));
    shard.recover();
    shard.start();
    run_through(shard, cmds, sink);
    shard.stop();
  }
  for (const auto& s : m::list_snapshots(m::JournalSettings{dir.path})) fs::remove(s.file);
  const auto seg = last_segment(dir.path);
  {
    std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(200);
    f.put('\x5A');
  }
  m::Shard again(settings(dir.path));
  try {
    again.recover();
    BOOST_FAIL("recovery should refuse a journal damaged in the middle");
  } catch (const m::JournalError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("damaged in the middle") != std::string::npos, what);
    BOOST_TEST(what.find(seg.filename().string()) != std::string::npos, what);
    BOOST_TEST(what.find("valid records follow") != std::string::npos, what);
  }
}

BOOST_AUTO_TEST_CASE(a_checkpoint_that_disagrees_with_the_replayed_state_stops_start_up) {
  TempDir dir;
  m::JournalSettings js{dir.path};
  {
    m::JournalWriter w(js, 1);
    m::NewOrderCmd c{};
    c.instrument = venue::InstrumentId(1);
    c.side = venue::Side::kBuy;
    c.type = venue::OrdType::kLimit;
    c.tif = venue::TimeInForce::kDay;
    c.price = Price(10);
    c.qty = Qty(1);
    m::Command cmd = m::Command::make(c);
    cmd.seq = 1;
    w.append(cmd);
    w.append_checkpoint(12345);  // not the hash of that state
    w.flush();
  }
  m::Shard shard(settings(dir.path));
  BOOST_CHECK_EXCEPTION(shard.recover(), m::JournalError, [](const m::JournalError& e) {
    return std::string(e.what()).find("replay diverged at seq 1") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(a_damaged_snapshot_is_skipped_for_the_journal) {
  TempDir dir;
  const auto cmds = commands(5, 300);
  Recorder sink;
  std::uint64_t hash_before = 0;
  {
    m::Shard shard(settings(dir.path));
    shard.recover();
    shard.start();
    run_through(shard, cmds, sink);
    shard.stop();
    hash_before = live_hash(shard);
  }
  const auto snaps = m::list_snapshots(m::JournalSettings{dir.path});
  BOOST_REQUIRE_EQUAL(snaps.size(), 1U);
  {
    std::fstream f(snaps[0].file, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(60);
    f.put('\x01');
  }
  m::Shard again(settings(dir.path));
  const auto info = again.recover();
  BOOST_TEST(info.snapshot_seq == 0U);
  BOOST_REQUIRE_EQUAL(info.notes.size(), 1U);
  BOOST_TEST(info.notes[0].find("checksum") != std::string::npos, info.notes[0]);
  BOOST_TEST(info.replayed == cmds.size());
  BOOST_TEST(again.engine().state_hash() == hash_before);
}

BOOST_AUTO_TEST_CASE(segments_rotate_and_old_ones_are_pruned_behind_snapshots) {
  TempDir dir;
  auto s = settings(dir.path);
  s.snapshot_every = 1000;
  s.snapshots_kept = 1;
  const auto cmds = commands(6, 5000);
  Recorder sink;
  std::uint64_t hash_before = 0;
  {
    m::Shard shard(s);
    shard.recover();
    shard.start();
    run_through(shard, cmds, sink);
    shard.stop();
    hash_before = live_hash(shard);
    BOOST_TEST(shard.stats().snapshots.load() >= 4U);
  }
  std::size_t segments = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    if (e.path().filename().string().rfind("journal-", 0) == 0) ++segments;
  }
  BOOST_TEST(m::list_snapshots(m::JournalSettings{dir.path}).size() == 1U);
  BOOST_TEST(segments <= 3U);  // 5000 commands fill several 64 KiB segments; those behind the snapshot are gone
  m::Shard again(settings(dir.path));
  again.recover();
  BOOST_TEST(again.engine().state_hash() == hash_before);
}

BOOST_AUTO_TEST_CASE(with_fdatasync_the_journal_replays_the_same) {
  TempDir dir;
  auto s = settings(dir.path);
  s.journal = m::JournalSettings{dir.path, 0, m::SyncPolicy::kFdatasync, 64 * 1024};
  const auto cmds = commands(7, 300);
  Recorder sink;
  std::uint64_t hash_before = 0;
  {
    m::Shard shard(s);
    shard.recover();
    shard.start();
    run_through(shard, cmds, sink);
    shard.stop();
    hash_before = live_hash(shard);
  }
  for (const auto& snap : m::list_snapshots(m::JournalSettings{dir.path})) fs::remove(snap.file);
  m::Shard again(settings(dir.path));
  again.recover();
  BOOST_TEST(again.engine().state_hash() == hash_before);
}

BOOST_AUTO_TEST_CASE(a_journal_of_another_shard_is_refused) {
  TempDir dir;
  { m::JournalWriter w(m::JournalSettings{dir.path, 5}, 1); }
  m::Shard shard(settings(dir.path));
  BOOST_CHECK_EXCEPTION(shard.recover(), m::JournalError, [](const m::JournalError& e) {
    return std::string(e.what()).find("belongs to shard 5") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(starting_and_stopping_without_any_command_twice_is_fine) {
  TempDir dir;
  Recorder sink;
  std::uint64_t hash_before = 0;
  {
    m::Shard shard(settings(dir.path));
    shard.recover();
    shard.start();
    run_through(shard, commands(8, 50), sink);
    shard.stop();
    hash_before = live_hash(shard);
  }
  for (int run = 0; run < 3; ++run) {  // runs that apply nothing leave a segment holding only a checkpoint
    m::Shard idle(settings(dir.path));
    idle.recover();
    idle.start();
    idle.stop();
    BOOST_TEST(idle.engine().state_hash() == hash_before);
  }
  m::Shard again(settings(dir.path));
  BOOST_REQUIRE_NO_THROW(again.recover());
  BOOST_TEST(again.engine().state_hash() == hash_before);
}

BOOST_AUTO_TEST_CASE(recovery_in_two_steps_stops_where_asked_and_reports_the_rest) {
  TempDir dir;
  const auto cmds = commands(9, 1200);
  Recorder live;
  std::uint64_t hash_before = 0;
  {
    m::Shard shard(settings(dir.path));
    shard.recover();
    shard.start();
    run_through(shard, cmds, live);
    shard.stop();
    while (shard.poll(live, 1024) > 0) {
    }
    hash_before = live_hash(shard);
  }
  for (const auto& s : m::list_snapshots(m::JournalSettings{dir.path})) fs::remove(s.file);
  // The reference: an engine that saw only the first 500 commands.
  Recorder first_part;
  m::Engine reference(m::EngineSettings{}, instruments(), first_part);
  for (std::size_t i = 0; i < 500; ++i) {
    m::Command c = cmds[i];
    c.seq = i + 1;
    c.now_ns = 1'000'000'000 + static_cast<std::int64_t>(i + 1) * 1000;
    reference.apply(c);
  }
  m::Shard again(settings(dir.path));
  const auto first = again.recover(500);
  BOOST_TEST(first.last_seq == 500U);
  BOOST_TEST(again.engine().live_orders() == reference.live_orders());
  Recorder rest;
  const auto second = again.finish_recovery(&rest);
  BOOST_TEST(second.replayed == cmds.size() - 500);
  BOOST_TEST(again.engine().state_hash() == hash_before);
  // The events reported in the second step are exactly the live run's events after command 500.
  const std::vector<std::pair<int, std::uint64_t>> tail(live.seen.end() - static_cast<std::ptrdiff_t>(rest.seen.size()),
                                                        live.seen.end());
  BOOST_TEST(rest.seen == tail);
  BOOST_TEST(!rest.seen.empty());
}

namespace {

// What a gateway reads back after a restart (issue 11, item 7): the instruments' state and the orders.
struct ReadBack {
  std::vector<m::InstrumentState> instruments;
  m::OrderView order{};
  bool order_live = false;
  std::size_t trades_today = 0;
};

ReadBack read_back(const m::Engine& e, venue::OrderId order) {
  ReadBack r;
  e.for_each_instrument([&](const m::InstrumentState& s) { r.instruments.push_back(s); });
  r.order_live = e.find_order(order, r.order);
  r.trades_today = e.trades_today();
  return r;
}

struct BustSink : m::EventListener {
  std::vector<m::TradeBustedEvent> busts;
  std::vector<m::TradeEvent> trades;
  void on_trade(const m::TradeEvent& e) override { trades.push_back(e); }
  void on_trade_busted(const m::TradeBustedEvent& e) override { busts.push_back(e); }
};

}  // namespace

// An operator halts one instrument, a trade happens on the other and is busted; after a restart (from
// the journal alone, and again from the snapshot written at stop) the engine reports the halt, the last
// trade price and the busted order's corrected quantities, and the replayed bust is reported again.
BOOST_AUTO_TEST_CASE(a_restart_restores_trading_status_last_trade_and_busts) {
  TempDir dir;
  auto order = [](std::uint64_t ref, venue::Side side, std::int64_t qty) {
    m::NewOrderCmd c{};
    c.client_ref = ref;
    c.instrument = venue::InstrumentId(2);
    c.owner = m::Owner{venue::SessionId(1), venue::FirmId(1), venue::AccountId(ref)};
    c.side = side;
    c.type = venue::OrdType::kLimit;
    c.tif = venue::TimeInForce::kDay;
    c.price = Price(101);
    c.qty = Qty(qty);
    return m::Command::make(c);
  };
  const std::vector<m::Command> cmds = {
      m::Command::make(m::TradingStatusCmd{venue::InstrumentId(1), venue::TradingStatus::kHalted}),
      order(1, venue::Side::kSell, 10),  // order id 1, rests
      order(2, venue::Side::kBuy, 4),    // order id 2, trades 4 with order 1 (trade 1)
      order(3, venue::Side::kBuy, 2),    // order id 3, trades 2 with order 1 (trade 2)
      m::Command::make(m::BustTradeCmd{77, venue::TradeId(1)}),
  };
  BustSink live;
  ReadBack before;
  {
    m::Shard shard(settings(dir.path));
    shard.recover();
    shard.start();
    run_through(shard, cmds, live);
    shard.stop();
    while (shard.poll(live, 1024) > 0) {
    }
    before = read_back(shard.engine(), venue::OrderId(1));
  }
  BOOST_REQUIRE_EQUAL(live.trades.size(), 2U);
  BOOST_REQUIRE_EQUAL(live.busts.size(), 1U);
  BOOST_TEST(live.busts[0].request_ref == 77U);
  BOOST_TEST(live.busts[0].resting.live);
  BOOST_TEST(live.busts[0].resting.order.cum_qty.count() == 2);
  BOOST_TEST(live.busts[0].resting.order.leaves_qty.count() == 8);

  auto check = [&](const ReadBack& r, const char* how) {
    BOOST_TEST_CONTEXT(how) {
      BOOST_REQUIRE_EQUAL(r.instruments.size(), 2U);
      BOOST_TEST(r.instruments[0].id == venue::InstrumentId(1));
      BOOST_TEST(r.instruments[0].status == venue::TradingStatus::kHalted);
      BOOST_TEST(r.instruments[0].last_trade.count() == 0);
      BOOST_TEST(r.instruments[1].status == venue::TradingStatus::kOpen);
      BOOST_TEST(r.instruments[1].last_trade.count() == 101);
      BOOST_TEST(r.order_live);
      BOOST_TEST(r.order.cum_qty.count() == 2);  // 4 + 2 filled, the 4 busted
      BOOST_TEST(r.order.leaves_qty.count() == 8);
      BOOST_TEST(r.trades_today == 2U);
    }
  };
  check(before, "before the restart");

  // From the snapshot written at stop.
  {
    m::Shard again(settings(dir.path));
    again.recover();
    check(read_back(again.engine(), venue::OrderId(1)), "from the snapshot");
  }
  // From the journal alone: the bust is replayed, and reported to the replay listener.
  for (const auto& s : m::list_snapshots(m::JournalSettings{dir.path})) fs::remove(s.file);
  BustSink replayed;
  m::Shard again(settings(dir.path, &replayed));
  again.recover();
  check(read_back(again.engine(), venue::OrderId(1)), "from the journal");
  BOOST_REQUIRE_EQUAL(replayed.busts.size(), 1U);
  BOOST_TEST(replayed.busts[0].aggressor.exec_id == live.busts[0].aggressor.exec_id);
  BOOST_TEST(replayed.busts[0].resting.order.leaves_qty.count() == 8);
  // A second bust of the same trade after the restart is refused: the bust itself was journaled.
  BOOST_TEST(again.engine().trades_today() == 2U);
}

// Issue 11 (5): the GTD expiry timer ran only when the command ring was empty, so on a busy shard an
// expired GTD order stayed in the book and traded. Here the shard's clock passes the sell's expiry at the
// moment a crossing buy arrives, so the shard finds a command waiting when the expiry is due: the sell
// must expire before anything matches against it.
BOOST_AUTO_TEST_CASE(an_expired_gtd_order_never_trades_even_when_a_command_is_waiting) {
  TempDir dir;
  constexpr std::int64_t kStart = 1'000'000'000;
  constexpr std::int64_t kExpiry = kStart + 1'000'000'000;
  const auto order = [](std::uint64_t ref, venue::Side side, venue::TimeInForce tif, std::int64_t expire) {
    m::NewOrderCmd c{};
    c.client_ref = ref;
    c.instrument = venue::InstrumentId(1);
    c.owner = m::Owner{venue::SessionId(1), venue::FirmId(1), venue::AccountId(static_cast<std::uint32_t>(ref))};
    c.side = side;
    c.type = venue::OrdType::kLimit;
    c.tif = tif;
    c.expire_time_ns = expire;
    c.price = Price(100);
    c.qty = Qty(5);
    return m::Command::make(c);
  };
  struct Seen : m::EventListener {
    int trades = 0;
    int expired = 0;
    void on_trade(const m::TradeEvent&) override { ++trades; }
    void on_expired(const m::ExpiredEvent&) override { ++expired; }
  } seen;
  auto s = settings(dir.path);
  auto past_expiry = std::make_shared<std::atomic<bool>>(false);
  s.clock = [past_expiry, t = kStart]() mutable {
    t += 1000;
    return past_expiry->load() ? kExpiry + t : t;
  };
  m::Shard shard(s);
  shard.recover();
  shard.start();
  run_through(shard, {order(1, venue::Side::kSell, venue::TimeInForce::kGtd, kExpiry)}, seen);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the shard is parked, waiting for work
  past_expiry->store(true);
  BOOST_REQUIRE(shard.submit(order(2, venue::Side::kBuy, venue::TimeInForce::kDay, 0)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (shard.stats().commands.load() < 2 && std::chrono::steady_clock::now() < deadline) shard.poll(seen, 1024);
  shard.stop();
  while (shard.poll(seen, 1024) > 0) {
  }
  BOOST_TEST(seen.expired == 1);
  BOOST_TEST(seen.trades == 0, "the buy traded with a sell that had expired");
}

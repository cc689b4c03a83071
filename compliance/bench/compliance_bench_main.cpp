// compliance-bench: drives the compliance service's ingest with realistic report records and prints its
// figures (bench/README.md).
//
//   compliance-bench --brokers B --topic T --db URL --records N [--rate R] [--start-seq S] [--produce-only]
//                    [--watch-only] [--timeout-s T] [--wash-percent P]
//
// Produces N records like the venue's (venue.execution-reports headers, FIX 4.4 ExecutionReports of a
// mix of orders: acknowledgements, fills on both sides with one TrdMatchID, cancels, replaces, rejects;
// ~300 bytes each; keyed by OrderID) with venue-seq S, S+1, ... at R records/s (0: as fast as possible),
// while it watches compliance.chain_head every 10 ms. Prints the ingest rate (rows chained per second,
// from the first row seen to the last) and, for paced runs, the lag of each row: the time from its
// production to the moment its venue-seq was seen chained (p50, p99, max). --wash-percent P (0-100,
// default 0) makes P% of the crossings a session trading with itself: a wash trade, one surveillance
// alert each (as a load tool crossing its own orders on one account raises).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "venue/common/kafka.h"
#include "venue/fix_wire/wire.h"

namespace kafka = venue::kafka;
namespace fw = venue::fix_wire;

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "compliance-bench: " << why
            << "\nusage: compliance-bench --brokers B --topic T --db URL --records N [--rate R] [--start-seq S]"
            << " [--wash-percent P]"
               " [--produce-only] [--watch-only] [--timeout-s T]\n";
  std::exit(2);
}

struct Session {
  std::string comp;
  std::string firm;
  std::string account;
  std::unique_ptr<fw::FixEncoder> enc;
  std::uint64_t msg_seq = 1;
};

// One record: the FIX message and its headers.
struct Record {
  std::string key;
  std::string payload;
  std::vector<kafka::Header> headers;
};

class Generator {
 public:
  explicit Generator(int wash_percent) : wash_percent_(wash_percent) {
    const char* firms[] = {"ALPHA", "BETA", "GAMMA", "DELTA"};
    for (int i = 0; i < 8; ++i) {
      Session s;
      s.comp = "BRK" + std::to_string(i + 1);
      s.firm = firms[i % 4];
      s.account = s.firm + "-" + std::to_string(i / 4 + 1);
      s.enc = std::make_unique<fw::FixEncoder>("VENUE", s.comp);
      sessions_.push_back(std::move(s));
    }
  }

  // The next records of the mix (1 to 4 at a time) with venue-seqs from `seq` on.
  void next(std::uint64_t& seq, std::vector<Record>& out) {
    const int kind = static_cast<int>(step_++ % 10);
    const std::string sym = "SYM" + std::to_string(step_ % 50);
    Session& buyer = sessions_[step_ % sessions_.size()];
    // Crossings numbered 0, 1, 2, ...: the first wash_percent of every hundred are the buyer's own.
    const bool wash = kind < 6 && static_cast<int>(crossings_++ % 100) < wash_percent_;
    Session& seller = wash ? buyer : sessions_[(step_ + 3) % sessions_.size()];
    const std::uint64_t buy_id = ++order_id_;
    const std::uint64_t sell_id = ++order_id_;
    if (kind < 6) {  // a resting sell, then a buy crossing it: ack, ack... fills on both sides
      out.push_back(report(seq++, seller, sell_id, sym, '2', "0", "0", "10", "0", "", ""));
      out.push_back(report(seq++, buyer, buy_id, sym, '1', "F", "2", "0", "10", "100.25", std::to_string(++match_)));
      out.push_back(report(seq++, seller, sell_id, sym, '2', "F", "2", "0", "10", "100.25", std::to_string(match_)));
    } else if (kind < 8) {  // rests and is cancelled
      out.push_back(report(seq++, buyer, buy_id, sym, '1', "0", "0", "10", "0", "", ""));
      out.push_back(report(seq++, buyer, buy_id, sym, '1', "4", "4", "0", "0", "", ""));
    } else if (kind == 8) {  // replaced
      out.push_back(report(seq++, buyer, buy_id, sym, '1', "0", "0", "10", "0", "", ""));
      out.push_back(report(seq++, buyer, buy_id, sym, '1', "5", "0", "8", "0", "", ""));
    } else {  // refused
      out.push_back(report(seq++, buyer, buy_id, sym, '1', "8", "8", "0", "0", "", ""));
    }
  }

 private:
  Record report(std::uint64_t venue_seq, Session& s, std::uint64_t order_id, const std::string& sym, char side,
                const char* exec_type, const char* status, const char* leaves, const char* cum, const char* px,
                const std::string& match) {
    const auto t = clock_.format(fw::realtime_ns());
    std::string body;
    auto add = [&](int tag, std::string_view v) {
      body += std::to_string(tag);
      body += '=';
      body += v;
      body += '\x01';
    };
    add(1, s.account);
    add(6, px[0] != '\0' ? px : "0");
    add(11, "C" + std::to_string(order_id));
    add(14, cum);
    add(17, std::to_string(++exec_id_));
    if (px[0] != '\0') {
      add(31, px);
      add(32, "10");
    }
    add(37, std::to_string(order_id));
    add(38, "10");
    add(39, status);
    add(40, "2");
    add(44, "100.25");
    add(54, std::string(1, side));
    add(55, sym);
    if (std::strcmp(exec_type, "8") == 0) add(58, "1021 PriceOutsideBand: price 130.00 is outside the band");
    add(59, "0");
    add(60, t);
    add(150, exec_type);
    add(151, leaves);
    add(528, "A");
    if (!match.empty()) {
      add(851, side == '1' ? "2" : "1");
      add(880, match);
    }
    Record r;
    r.key = std::to_string(order_id);
    s.enc->append(r.payload, "8", s.msg_seq++, t, body);
    r.headers = {{"venue-seq", std::to_string(venue_seq)},
                 {"shard", "0"},
                 {"engine-seq", std::to_string(venue_seq)},
                 {"msg-type", "8"},
                 {"exec-type", exec_type},
                 {"session", s.comp},
                 {"firm", s.firm},
                 {"account", s.account},
                 {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
    return r;
  }

  std::vector<Session> sessions_;
  fw::UtcClock clock_;
  std::uint64_t step_ = 0;
  std::uint64_t order_id_ = 0;
  std::uint64_t exec_id_ = 0;
  std::uint64_t match_ = 0;
  std::uint64_t crossings_ = 0;
  int wash_percent_ = 0;
};

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers;
  std::string topic;
  std::string db;
  std::uint64_t records = 0;
  double rate = 0;
  std::uint64_t start_seq = 1;
  bool produce_only = false;
  bool watch_only = false;
  int timeout_s = 600;
  int wash_percent = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) usage(a + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "--brokers") {
      brokers = value();
    } else if (a == "--topic") {
      topic = value();
    } else if (a == "--db") {
      db = value();
    } else if (a == "--records") {
      records = std::stoull(value());
    } else if (a == "--rate") {
      rate = std::stod(value());
    } else if (a == "--start-seq") {
      start_seq = std::stoull(value());
    } else if (a == "--produce-only") {
      produce_only = true;
    } else if (a == "--watch-only") {
      watch_only = true;
    } else if (a == "--timeout-s") {
      timeout_s = std::stoi(value());
    } else if (a == "--wash-percent") {
      wash_percent = std::stoi(value());
      if (wash_percent < 0 || wash_percent > 100) usage("--wash-percent takes 0 to 100");
    } else {
      usage("unknown argument " + a);
    }
  }
  if (records == 0 || (!watch_only && (brokers.empty() || topic.empty())) || (!produce_only && db.empty())) {
    usage("--records, --brokers, --topic and --db are required");
  }
  const std::uint64_t last_seq = start_seq + records - 1;
  // Production time of each venue-seq (steady clock), for the lag.
  std::vector<std::int64_t> produced_at(records + 8, 0);
  std::atomic<std::uint64_t> produced{0};

  std::thread watcher;
  std::vector<std::pair<std::int64_t, std::uint64_t>> seen;  // (time, head)
  std::vector<double> lags_ms;
  std::atomic<bool> stop{false};
  if (!produce_only) {
    watcher = std::thread([&] {
      pqxx::connection c(db);
      std::uint64_t prev = 0;
      const std::int64_t deadline = now_ns() + static_cast<std::int64_t>(timeout_s) * 1'000'000'000;
      while (!stop && now_ns() < deadline) {
        std::uint64_t head = 0;
        try {
          pqxx::nontransaction tx(c);
          head = tx.exec1("select venue_seq from compliance.chain_head")[0].as<std::uint64_t>();
        } catch (const pqxx::sql_error&) {
          head = 0;  // the service has not created its schema yet
        }
        const std::int64_t t = now_ns();
        if (head != prev) {
          seen.emplace_back(t, head);
          if (!watch_only) {
            for (std::uint64_t s = std::max(prev + 1, start_seq); s <= std::min(head, last_seq); ++s) {
              const std::int64_t p = produced_at[s - start_seq];
              if (p != 0) lags_ms.push_back(static_cast<double>(t - p) / 1e6);
            }
          }
          prev = head;
        }
        if (head >= last_seq) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }

  if (!watch_only) {
    prometheus::Registry reg;
    kafka::Producer p({.brokers = brokers, .client_id = "compliance-bench", .properties = {{"linger.ms", "5"}}}, reg,
                      [](const kafka::Delivery& d) {
                        if (!d.ok) std::cerr << "delivery failed: " << d.error << "\n";
                      });
    Generator g(wash_percent);
    std::vector<Record> batch;
    std::uint64_t seq = start_seq;
    const std::int64_t t0 = now_ns();
    while (seq <= last_seq) {
      batch.clear();
      std::uint64_t from = seq;
      g.next(seq, batch);
      for (auto& r : batch) {
        if (from > last_seq) break;
        if (rate > 0) {
          const auto due = t0 + static_cast<std::int64_t>(static_cast<double>(produced.load()) / rate * 1e9);
          while (now_ns() < due) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        while (p.produce(topic, r.key, r.payload, r.headers) == kafka::Enqueue::kQueueFull) p.poll(10);
        produced_at[from - start_seq] = now_ns();
        ++from;
        ++produced;
        p.poll(0);
      }
      seq = std::min(seq, last_seq + 1);
    }
    p.flush(60'000);
    const double secs = static_cast<double>(now_ns() - t0) / 1e9;
    std::printf("produced %llu records in %.2f s (%.0f/s)\n", static_cast<unsigned long long>(records), secs,
                static_cast<double>(records) / secs);
  }
  if (watcher.joinable()) watcher.join();
  stop = true;
  if (!produce_only) {
    if (seen.size() < 2) {
      std::printf("the chain did not move (head seen %zu times)\n", seen.size());
      return 1;
    }
    const auto& [t_first, h_first] = seen.front();
    const auto& [t_last, h_last] = seen.back();
    const double secs = static_cast<double>(t_last - t_first) / 1e9;
    std::printf("chained venue-seq %llu..%llu: %llu rows in %.2f s = %.0f rows/s\n",
                static_cast<unsigned long long>(h_first), static_cast<unsigned long long>(h_last),
                static_cast<unsigned long long>(h_last - h_first), secs, static_cast<double>(h_last - h_first) / secs);
    if (!lags_ms.empty()) {
      std::printf("lag (produced -> chained in PostgreSQL) over %zu rows: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                  lags_ms.size(), pct(lags_ms, 0.5), pct(lags_ms, 0.99), pct(lags_ms, 1.0));
    }
    if (h_last < last_seq) {
      std::printf("INCOMPLETE: head %llu, expected %llu\n", static_cast<unsigned long long>(h_last),
                  static_cast<unsigned long long>(last_seq));
      return 1;
    }
  }
  return 0;
}

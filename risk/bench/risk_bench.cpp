// build/bin/risk-bench: how many fills per second the risk book takes, in memory (no Kafka, no
// PostgreSQL): each record read with the shared reader (read_report_record: headers, checksum, fields),
// applied to the book, and every touched figure checked against its limits, as the service does.
//
//   risk-bench [--fills N] [--accounts A] [--instruments I] [--runs R]
//
// Workload: A accounts in A/4 firms, I instruments, fills in pairs (a buy and a sell of one trade, two
// accounts), random sides, quantities 1-500 and prices that walk around 100; every account and firm has
// all five limits (set high enough that nothing breaches, so the figures are checked on every fill).
// Accounts whose figures only a mark move changed are checked once per 100 records (the service: once per
// batch read). Prints, per run, fills/s for "read+apply+check" and for "apply+check" (records already read), and the
// median over the runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "venue/fix_session/report_record.h"
#include "venue/risk/book.h"
#include "venue/risk/monitor.h"

namespace vr = venue::risk;
namespace fs = venue::fix_session;

namespace {

// Records per batch: the service applies what one poll brought (up to 5000) and then checks the
// figures marks moved; under a steady 10,000 reports/s a batch is a few tens of records.
constexpr std::size_t kBatch = 100;

struct Raw {
  std::string payload;
  std::vector<std::pair<std::string, std::string>> headers;
};

std::string fix_message(const std::string& body) {
  std::string head =
      "8=FIX.4.4\x01"
      "9=" +
      std::to_string(body.size()) + "\x01";
  std::string msg = head + body;
  unsigned sum = 0;
  for (unsigned char c : msg) sum += c;
  char cs[8];
  std::snprintf(cs, sizeof cs, "%03u", sum % 256);
  return msg + "10=" + cs + "\x01";
}

std::vector<Raw> workload(std::size_t fills, int accounts, int instruments) {
  std::mt19937_64 rng(42);  // NOLINT(cert-msc32-c,cert-msc51-cpp): the same workload every run, on purpose
  std::vector<int> price(static_cast<std::size_t>(instruments), 10000);  // cents
  std::vector<Raw> out;
  out.reserve(fills);
  std::uint64_t seq = 0;
  std::uint64_t order = 1000;
  while (out.size() < fills) {
    const int inst = static_cast<int>(rng() % static_cast<std::uint64_t>(instruments));
    auto& p = price[static_cast<std::size_t>(inst)];
    p = std::clamp(p + static_cast<int>(rng() % 21) - 10, 5000, 20000);
    const int qty = 1 + static_cast<int>(rng() % 500);
    const int buyer = static_cast<int>(rng() % static_cast<std::uint64_t>(accounts));
    const int seller = static_cast<int>(rng() % static_cast<std::uint64_t>(accounts));
    const std::string px = std::to_string(p / 100) + "." + (p % 100 < 10 ? "0" : "") + std::to_string(p % 100);
    const std::uint64_t match = seq / 2 + 1;
    for (int side = 1; side <= 2 && out.size() < fills; ++side) {
      const int acct = side == 1 ? buyer : seller;
      const std::string account = "ACC-" + std::to_string(acct);
      const std::string firm = "FIRM-" + std::to_string(acct % std::max(1, accounts / 4));
      const std::string session = "S" + std::to_string(acct);
      ++seq;
      ++order;
      const std::string body =
          "35=8\x01"
          "34=" +
          std::to_string(seq) +
          "\x01"
          "49=VENUE\x01"
          "52=20261206-14:03:11.402\x01"
          "56=" +
          session +
          "\x01"
          "1=" +
          account +
          "\x01"
          "6=" +
          px +
          "\x01"
          "11=C" +
          std::to_string(order) +
          "\x01"
          "14=" +
          std::to_string(qty) +
          "\x01"
          "17=" +
          std::to_string(seq) +
          "\x01"
          "31=" +
          px +
          "\x01"
          "32=" +
          std::to_string(qty) +
          "\x01"
          "37=" +
          std::to_string(order) +
          "\x01"
          "38=" +
          std::to_string(qty) +
          "\x01"
          "39=2\x01"
          "40=2\x01"
          "44=" +
          px +
          "\x01"
          "54=" +
          std::to_string(side) +
          "\x01"
          "55=SYM" +
          std::to_string(inst) +
          "\x01"
          "59=0\x01"
          "60=20261206-14:03:11.402\x01"
          "150=F\x01"
          "151=0\x01"
          "880=" +
          std::to_string(match) + "\x01";
      out.push_back(Raw{fix_message(body),
                        {{"venue-seq", std::to_string(seq)},
                         {"msg-type", "8"},
                         {"exec-type", "F"},
                         {"session", session},
                         {"firm", firm},
                         {"account", account}}});
    }
  }
  return out;
}

std::vector<vr::Limit> limits(int accounts) {
  std::vector<vr::Limit> out;
  const auto big = vr::Amount::parse("900000000000").value_or(vr::Amount());
  std::set<std::string> firms;
  for (int a = 0; a < accounts; ++a) {
    firms.insert("FIRM-" + std::to_string(a % std::max(1, accounts / 4)));
    for (auto t : vr::kAllLimitTypes) out.push_back({vr::Scope::kAccount, "ACC-" + std::to_string(a), t, "", big});
  }
  for (const auto& f : firms) {
    for (auto t : vr::kAllLimitTypes) out.push_back({vr::Scope::kFirm, f, t, "", big});
  }
  return out;
}

vr::Amount usage_of(const vr::Figures& f, vr::LimitType t) {
  switch (t) {
    case vr::LimitType::kGrossExposure: return f.gross_exposure;
    case vr::LimitType::kOpenOrderExposure: return f.open_order_exposure;
    case vr::LimitType::kDailyTradedNotional: return f.traded_today;
    case vr::LimitType::kMaxLoss: return f.loss();
    case vr::LimitType::kMaxNetPosition: break;
  }
  return {};
}

// The service's check of touched figures (service.cpp evaluate_touched), without its I/O.
// Accounts touched by mark moves are checked once per `batch` fills, as the service checks them once per
// batch of records.
void check(vr::Book& book, vr::Monitor& monitor, std::vector<vr::LimitEvent>& events,
           std::map<std::string, std::string>& marked, bool batch_end) {
  auto t = book.take_touched();
  for (auto& a : t.marked) marked.emplace(std::move(a.account), std::move(a.firm));
  if (batch_end) {
    for (const auto& [account, firm] : marked) t.accounts.push_back({account, firm});
    marked.clear();
  }
  std::set<std::string> firms;
  for (const auto& a : t.accounts) {
    firms.insert(a.firm);
    for (auto type : {vr::LimitType::kGrossExposure, vr::LimitType::kOpenOrderExposure,
                      vr::LimitType::kDailyTradedNotional, vr::LimitType::kMaxLoss}) {
      monitor.evaluate({vr::Scope::kAccount, a.account, type, ""}, a.firm,
                       usage_of(*book.account_figures(a.account), type), {}, 0, events);
    }
  }
  for (const auto& f : firms) {
    for (auto type : {vr::LimitType::kGrossExposure, vr::LimitType::kOpenOrderExposure,
                      vr::LimitType::kDailyTradedNotional, vr::LimitType::kMaxLoss}) {
      monitor.evaluate({vr::Scope::kFirm, f, type, ""}, f, usage_of(*book.firm_figures(f), type), {}, 0, events);
    }
  }
  for (const auto& p : t.positions) {
    monitor.evaluate({vr::Scope::kAccount, p.account, vr::LimitType::kMaxNetPosition, p.symbol}, p.firm,
                     abs(vr::Amount::of(book.account_net(p.account, p.symbol))), {}, 0, events);
    monitor.evaluate({vr::Scope::kFirm, p.firm, vr::LimitType::kMaxNetPosition, p.symbol}, p.firm,
                     abs(vr::Amount::of(book.firm_net(p.firm, p.symbol))), {}, 0, events);
  }
  monitor.take_changed();
}

double run(const std::vector<Raw>& raw, const std::vector<fs::ReportRecord>* parsed, int accounts) {
  vr::Book book(vr::BookSettings{});
  book.set_now(1'796'566'991'402'000'000);
  vr::Monitor monitor(vr::MonitorSettings{});
  monitor.set_limits(limits(accounts));
  std::vector<vr::LimitEvent> events;
  std::map<std::string, std::string> marked;
  const auto start = std::chrono::steady_clock::now();
  std::string why;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (parsed != nullptr) {
      book.apply((*parsed)[i]);
    } else {
      auto r = fs::read_report_record(raw[i].payload, raw[i].headers, &why);
      if (!r) {
        std::cerr << "risk-bench: bad record: " << why << "\n";
        std::exit(1);
      }
      book.apply(*r);
    }
    check(book, monitor, events, marked, i % kBatch == kBatch - 1);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!events.empty()) std::cerr << "risk-bench: " << events.size() << " warnings (limits too low?)\n";
  return static_cast<double>(raw.size()) / secs;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t fills = 1'000'000;
  int accounts = 40;
  int instruments = 20;
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const long v = std::strtol(argv[i + 1], nullptr, 10);
    if (v <= 0) {
      std::cerr << "risk-bench: " << a << " needs a positive number\n";
      return 2;
    }
    if (a == "--fills") {
      fills = static_cast<std::size_t>(v);
    } else if (a == "--accounts") {
      accounts = static_cast<int>(v);
    } else if (a == "--instruments") {
      instruments = static_cast<int>(v);
    } else if (a == "--runs") {
      runs = static_cast<int>(v);
    } else {
      std::cerr << "usage: risk-bench [--fills N] [--accounts A] [--instruments I] [--runs R]\n";
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::cerr << "usage: risk-bench [--fills N] [--accounts A] [--instruments I] [--runs R]\n";
    return 2;
  }
  const auto raw = workload(fills, accounts, instruments);
  std::vector<fs::ReportRecord> parsed;
  parsed.reserve(raw.size());
  std::string why;
  for (const auto& r : raw) parsed.push_back(*fs::read_report_record(r.payload, r.headers, &why));
  std::printf("risk-bench: %zu fills, %d accounts, %d instruments, 5 limits per account and firm\n", fills, accounts,
              instruments);
  std::vector<double> full;
  std::vector<double> apply_only;
  for (int i = 0; i < runs; ++i) {
    full.push_back(run(raw, nullptr, accounts));
    apply_only.push_back(run(raw, &parsed, accounts));
    std::printf("run %d: read+apply+check %.0f fills/s, apply+check %.0f fills/s\n", i + 1, full.back(),
                apply_only.back());
  }
  std::printf("median: read+apply+check %.0f fills/s, apply+check %.0f fills/s\n", median(full), median(apply_only));
  return 0;
}

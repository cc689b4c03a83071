// fixload: a FIX 4.4 order-entry load and latency client (see ../README.md).
//
// main parses the options, starts one LoadWorker thread per --threads, turns SIGINT/SIGTERM into a
// graceful stop (first: stop sending; second: stop waiting for reports), then merges the workers'
// figures and prints the result line on stdout.

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "load_worker.h"
#include "options.h"
#include "venue/fix_wire/connection.h"
#include "venue/fix_wire/wire.h"

namespace {

using venue::fix_gateway::bench::LoadOptions;
using venue::fix_gateway::bench::LoadWorker;
using venue::fix_gateway::bench::RunState;
using venue::fix_gateway::bench::StartCompletion;
using venue::fix_gateway::bench::WorkerStats;
using venue::fix_wire::TlsContext;

// A short random run id (base 36), so ClOrdIDs differ from run to run.
std::string make_run_id() {
  std::uint64_t x = static_cast<std::uint64_t>(venue::fix_gateway::bench::realtime_ns()) ^
                    (static_cast<std::uint64_t>(getpid()) << 40);
  x += 0x9e3779b97f4a7c15ULL;  // splitmix64 finaliser
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string id;
  for (int i = 0; i < 8; ++i) {
    id.push_back(kDigits[x % 36]);
    x /= 36;
  }
  return id;
}

double percentile_us(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  LoadOptions opt;
  try {
    auto parsed = venue::fix_gateway::bench::parse_load_options(argc, argv);
    if (!parsed) {
      std::fputs(venue::fix_gateway::bench::load_usage().c_str(), stdout);
      return 0;
    }
    opt = std::move(*parsed);
  } catch (const venue::fix_gateway::bench::UsageError& e) {
    std::fprintf(stderr, "fixload: %s (see fixload --help)\n", e.what());
    return 2;
  }

  std::unique_ptr<TlsContext> tls;
  if (opt.tls) {
    try {
      tls = std::make_unique<TlsContext>(opt.tls_verify, opt.tls_ca_file);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fixload: TLS set-up failed: %s\n", e.what());
      return 2;
    }
  }

  // Workers run with SIGINT/SIGTERM blocked; this thread takes them with sigtimedwait().
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const std::string run_id = opt.run_id.empty() ? make_run_id() : opt.run_id;
  RunState run(opt, run_id + "-");
  LoadWorker::StartBarrier start(opt.threads, StartCompletion{&run});
  std::fprintf(stderr,
               "fixload: run %s: %lld orders, mix %s, rate %s, in flight %lld, %d session(s) %s..%s -> %s at "
               "%s:%u, %d thread(s)%s\n",
               run_id.c_str(), static_cast<long long>(opt.orders),
               opt.mix == venue::fix_gateway::bench::Mix::kCross ? "cross" : "rest",
               opt.rate_per_sec > 0 ? std::to_string(opt.rate_per_sec).c_str() : "max",
               static_cast<long long>(opt.inflight), opt.sessions, opt.senders.front().c_str(),
               opt.senders.back().c_str(), opt.target.c_str(), opt.host.c_str(), opt.port, opt.threads,
               opt.tls ? ", TLS" : "");

  std::vector<std::unique_ptr<LoadWorker>> workers;
  workers.reserve(static_cast<std::size_t>(opt.threads));
  for (int w = 0; w < opt.threads; ++w) workers.push_back(std::make_unique<LoadWorker>(w, run, tls.get(), start));
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  threads.reserve(workers.size());
  for (auto& w : workers) {
    threads.emplace_back([&finished, worker = w.get()] {
      worker->run();
      finished.fetch_add(1);
    });
  }
  while (finished.load() < opt.threads) {
    const timespec tick{0, 50'000'000};
    if (sigtimedwait(&stop_signals, nullptr, &tick) > 0) {
      const int n = run.interrupts.fetch_add(1) + 1;
      std::fprintf(stderr, n == 1 ? "fixload: interrupted: no more orders; waiting for reports (again to stop)\n"
                                  : "fixload: interrupted again: logging out\n");
    }
  }
  for (auto& t : threads) t.join();
  const std::int64_t end_ns = venue::fix_gateway::bench::monotonic_ns();
  const std::int64_t cpu_ns = venue::fix_gateway::bench::process_cpu_ns() - run.start_cpu_ns;

  WorkerStats total;
  for (const auto& w : workers) total.merge(w->stats());

  std::vector<std::int64_t> latencies;
  latencies.reserve(static_cast<std::size_t>(total.answered));
  for (const std::int64_t l : run.latency_ns) {
    if (l >= 0) latencies.push_back(l);
  }
  std::sort(latencies.begin(), latencies.end());
  const auto answered = static_cast<std::int64_t>(latencies.size());
  const double seconds = answered > 0 ? static_cast<double>(total.last_report_ns - total.first_send_ns) / 1e9 : 0.0;
  const double per_sec = seconds > 0 ? static_cast<double>(answered) / seconds : 0.0;

  std::fprintf(stderr,
               "fixload: sent=%" PRId64 " answered=%" PRId64 " acks=%" PRId64 " fills=%" PRId64 " rejects=%" PRId64
               " timeouts=%" PRId64 " unsent=%" PRId64 "\n",
               total.sent, answered, total.acks, total.fills, total.rejects, total.timeouts, total.unsent);
  std::fprintf(stderr,
               "fixload: errors: disconnects=%" PRId64 " logon_failures=%" PRId64 " unexpected_logouts=%" PRId64
               " checksum=%" PRId64 " body_length=%" PRId64 " garbage=%" PRId64 " timeouts=%" PRId64 "\n",
               total.disconnects, total.logon_failures, total.unexpected_logouts, total.checksum_errors,
               total.length_errors, total.garbage, total.timeouts);
  std::fprintf(stderr,
               "fixload: session: seq_gaps=%" PRId64 " (%" PRId64 " messages missing) seq_too_low=%" PRId64
               " possdup_ignored=%" PRId64 " test_requests=%" PRId64 " resend_requests=%" PRId64
               " other_rejects=%" PRId64 " unknown_reports=%" PRId64 " logout_unconfirmed=%" PRId64 "\n",
               total.seq_gaps, total.seq_gap_messages, total.seq_too_low, total.poss_dups_ignored, total.test_requests,
               total.resend_requests, total.other_rejects, total.unknown_reports, total.logout_not_confirmed);
  if (!latencies.empty()) {
    double sum = 0;
    for (const auto l : latencies) sum += static_cast<double>(l);
    std::fprintf(stderr, "fixload: latency_us min=%.1f p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f max=%.1f mean=%.1f\n",
                 static_cast<double>(latencies.front()) / 1000.0, percentile_us(latencies, 0.5),
                 percentile_us(latencies, 0.9), percentile_us(latencies, 0.99), percentile_us(latencies, 0.999),
                 static_cast<double>(latencies.back()) / 1000.0, sum / static_cast<double>(latencies.size()) / 1000.0);
  }
  const double wall_s = static_cast<double>(end_ns - run.start_ns.load()) / 1e9;
  std::fprintf(stderr,
               "fixload: io: messages_in=%" PRId64 " bytes_in=%" PRId64 " bytes_out=%" PRId64 " reads=%" PRId64
               " writes=%" PRId64 "; cpu %.3f s over %.3f s = %.0f%% of one core, %.2f us per order\n",
               total.messages_in, total.bytes_in, total.bytes_out, total.reads, total.writes,
               static_cast<double>(cpu_ns) / 1e9, wall_s,
               wall_s > 0 ? 100.0 * static_cast<double>(cpu_ns) / 1e9 / wall_s : 0.0,
               total.sent > 0 ? static_cast<double>(cpu_ns) / 1000.0 / static_cast<double>(total.sent) : 0.0);

  const std::int64_t errors = total.errors();
  std::printf("orders=%" PRId64
              " seconds=%.3f orders_per_sec=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f rejects=%" PRId64
              " errors=%" PRId64 "\n",
              answered, seconds, per_sec, percentile_us(latencies, 0.5), percentile_us(latencies, 0.99),
              percentile_us(latencies, 0.999), total.rejects, errors);
  std::fflush(stdout);
  return errors > 0 ? 1 : 0;
}

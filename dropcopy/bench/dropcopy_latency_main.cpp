// dropcopy-latency: a drop-copy client that measures how late copies arrive.
//
// Logs on to a drop-copy session (ResetSeqNumFlag=Y: a benchmark session, its earlier copies are
// dropped), receives copies until --copies have arrived or --seconds have passed, and for each copy
// takes arrival time (CLOCK_REALTIME) minus the report's TransactTime(60), which the venue stamps when
// the engine processes the order, just before it sends the report. TransactTime has millisecond
// resolution (FIX 4.4 UTCTimestamp), so each figure is an upper bound, at most 1 ms above the real
// delay. Both ends read the same machine's clock.
//
// One line on stdout:
//   copies=<n> seconds=<s> copies_per_sec=<r> p50_ms=<a> p99_ms=<b> p999_ms=<c> max_ms=<d>
// Exit 0 on success, 1 when no copy arrived or the session failed, 2 for bad options.
#include <poll.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "venue/fix_session/fix_text.h"
#include "venue/fix_wire/connection.h"
#include "venue/fix_wire/wire.h"

namespace bench = venue::fix_wire;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9880;
  std::string sender = "DCBENCH";
  std::string target = "VENUEDC";
  std::string username;
  std::string password;
  long copies = 100000;
  long warmup = 1000;
  double seconds = 60;
  double idle_seconds = 5;
};

[[noreturn]] void usage(int code, const std::string& error = {}) {
  if (!error.empty()) std::cerr << "dropcopy-latency: " << error << "\n";
  std::cerr << "usage: dropcopy-latency [--host H] [--port P] [--sender S] [--target T] --username U --password W\n"
               "                        [--copies N] [--warmup W] [--seconds S] [--idle-seconds I]\n"
               "Receives drop copies and prints their delay (arrival - TransactTime): see the file's header.\n"
               "  --copies N        stop after N copies counted (default 100000)\n"
               "  --warmup W        copies received first and not counted (default 1000)\n"
               "  --seconds S       stop after S seconds in any case (default 60)\n"
               "  --idle-seconds I  stop when nothing arrived for I seconds after the first copy (default 5)\n";
  std::exit(code);
}

long number(const std::string& flag, const char* text, long min, long max) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < min || v > max) {
    usage(2, flag + " needs an integer in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") usage(0);
    if (i + 1 >= argc) usage(2, a + " needs a value (or is unknown)");
    const char* v = argv[++i];
    if (a == "--host")
      o.host = v;
    else if (a == "--port")
      o.port = static_cast<std::uint16_t>(number(a, v, 1, 65535));
    else if (a == "--sender")
      o.sender = v;
    else if (a == "--target")
      o.target = v;
    else if (a == "--username")
      o.username = v;
    else if (a == "--password")
      o.password = v;
    else if (a == "--copies")
      o.copies = number(a, v, 1, 1'000'000'000);
    else if (a == "--warmup")
      o.warmup = number(a, v, 0, 1'000'000'000);
    else if (a == "--seconds")
      o.seconds = static_cast<double>(number(a, v, 1, 86400));
    else if (a == "--idle-seconds")
      o.idle_seconds = static_cast<double>(number(a, v, 1, 3600));
    else
      usage(2, "unknown option " + a);
  }
  if (o.username.empty() || o.password.empty()) usage(2, "--username and --password are required");
  return o;
}

double percentile(std::vector<std::int64_t>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(std::lround(p * static_cast<double>(v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return static_cast<double>(v[k]) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  bench::Connection conn;
  const auto start_ns = bench::monotonic_ns();
  if (auto err = conn.open(o.host, o.port, start_ns + 5'000'000'000, nullptr); !err.empty()) {
    std::cerr << "dropcopy-latency: cannot connect to " << o.host << ":" << o.port << ": " << err << "\n";
    return 1;
  }
  bench::FixEncoder enc(o.sender, o.target);
  bench::UtcClock clock;
  std::uint64_t out_seq = 1;
  std::string out;
  auto send = [&](std::string_view type, std::string_view body) {
    enc.append(out, type, out_seq++, clock.format(bench::realtime_ns()), body);
  };
  {
    bench::FieldWriter w;
    w.add(98, std::string_view("0"));
    w.add(108, std::string_view("30"));
    w.add(141, 'Y');
    w.add(553, o.username);
    w.add(554, o.password);
    send("A", w.view());
  }

  std::vector<std::int64_t> delays;
  delays.reserve(static_cast<std::size_t>(std::min<long>(o.copies, 10'000'000)));
  std::string in;
  bool logged_on = false;
  long seen = 0;
  std::int64_t first_counted_ns = 0;
  std::int64_t last_counted_ns = 0;
  std::int64_t last_arrival_ns = 0;
  const auto deadline = start_ns + static_cast<std::int64_t>(o.seconds * 1e9);
  const auto idle_ns = static_cast<std::int64_t>(o.idle_seconds * 1e9);
  int status = 0;
  while (static_cast<long>(delays.size()) < o.copies) {
    const auto now = bench::monotonic_ns();
    if (now >= deadline) break;
    if (last_arrival_ns != 0 && now - last_arrival_ns >= idle_ns) break;
    while (!out.empty()) {
      const auto r = conn.write(out.data(), out.size());
      if (r.status == bench::IoStatus::kOk) {
        out.erase(0, r.bytes);
      } else if (r.status == bench::IoStatus::kWouldBlock) {
        break;
      } else {
        std::cerr << "dropcopy-latency: write failed: " << conn.error() << "\n";
        return 1;
      }
    }
    pollfd p{conn.fd(), static_cast<short>(POLLIN | (out.empty() ? 0 : POLLOUT)), 0};
    ::poll(&p, 1, 100);
    char buf[65536];
    for (;;) {
      const auto r = conn.read(buf, sizeof buf);
      if (r.status == bench::IoStatus::kOk) {
        in.append(buf, r.bytes);
        continue;
      }
      if (r.status == bench::IoStatus::kClosed || r.status == bench::IoStatus::kError) {
        std::cerr << "dropcopy-latency: the acceptor closed the connection" << (logged_on ? "" : " (Logon refused?)")
                  << "\n";
        status = 1;
      }
      break;
    }
    const auto arrival_real = bench::realtime_ns();
    const auto arrival_mono = bench::monotonic_ns();
    std::size_t pos = 0;
    for (;;) {
      bench::InboundMessage m;
      const auto f = bench::next_frame(std::string_view(in).substr(pos), m);
      if (f.status == bench::FrameStatus::kNeedMore) break;
      const std::string_view frame = std::string_view(in).substr(pos, f.consumed);
      pos += f.consumed;
      if (f.status != bench::FrameStatus::kMessage) continue;
      if (m.msg_type == "A") {
        logged_on = true;
        std::cerr << "dropcopy-latency: logged on\n";
      } else if (m.msg_type == "1") {
        bench::FieldWriter w;
        w.add(112, m.test_req_id);
        send("0", w.view());
      } else if (m.msg_type == "2") {
        // Nothing of ours is worth resending: one GapFill over the range asked for.
        bench::FieldWriter w;
        w.add(123, 'Y');
        w.add(36, out_seq);
        enc.append(out, "4", m.begin_seq, clock.format(bench::realtime_ns()), w.view(), "43=Y\001");
      } else if (m.msg_type == "5") {
        std::cerr << "dropcopy-latency: Logout: " << m.text << "\n";
        status = 1;
      } else if (m.msg_type == "8") {
        // A copy caught up from Kafka after the reset Logon (PossResend) is old, not a delay.
        if (venue::fix_session::raw_field(frame, "97") == "Y") continue;
        last_arrival_ns = arrival_mono;
        if (++seen <= o.warmup) continue;
        const auto t = venue::fix_session::parse_utc_timestamp(venue::fix_session::raw_field(frame, "60").value_or(""));
        if (!t) continue;
        if (first_counted_ns == 0) first_counted_ns = arrival_mono;
        last_counted_ns = arrival_mono;
        delays.push_back(arrival_real - *t);
        // Exactly --copies: the rest of this read is past the window (it printed up to 32 more before).
        if (static_cast<long>(delays.size()) == o.copies) break;
      }
    }
    in.erase(0, pos);
    if (status != 0) break;
  }
  if (delays.empty()) {
    std::cerr << "dropcopy-latency: no copy counted (" << seen << " received, warm-up " << o.warmup << ")\n";
    return 1;
  }
  const double secs = static_cast<double>(last_counted_ns - first_counted_ns) / 1e9;
  const auto n = delays.size();
  const double p50 = percentile(delays, 0.50);
  const double p99 = percentile(delays, 0.99);
  const double p999 = percentile(delays, 0.999);
  const double max = static_cast<double>(*std::max_element(delays.begin(), delays.end())) / 1e6;
  std::printf("copies=%zu seconds=%.1f copies_per_sec=%.0f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f\n", n, secs,
              secs > 0 ? static_cast<double>(n) / secs : 0.0, p50, p99, p999, max);
  return status;
}

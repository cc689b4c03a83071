// fixload's worker (load_worker.h): start-up, statistics, and the FIX session layer (logon, logout,
// heartbeats, reading, sequence numbers, rejects). The order flow is in load_worker_orders.cpp.
#include "load_worker.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "load_worker_session.h"

namespace venue::fix_gateway::bench {
namespace {

constexpr std::int64_t kLogoutWaitNs = 5'000'000'000;
// Diagnostics that can repeat per message are printed this many times, then summarised.
constexpr std::int64_t kMaxRepeatedLogs = 10;

std::string printable(std::string_view s) { return std::string(s.substr(0, 200)); }

}  // namespace

void log_line(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "fixload: %s\n", buf);
}

RunState::RunState(const LoadOptions& o, std::string prefix)
    : options(o),
      clordid_prefix(std::move(prefix)),
      sent_ns(static_cast<std::size_t>(o.orders), 0),
      latency_ns(static_cast<std::size_t>(o.orders), kNotSent) {}

std::int64_t process_cpu_ns() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto ns = [](const timeval& tv) {
    return static_cast<std::int64_t>(tv.tv_sec) * 1'000'000'000 + static_cast<std::int64_t>(tv.tv_usec) * 1000;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

void StartCompletion::operator()() noexcept {
  run->start_cpu_ns = process_cpu_ns();
  run->start_ns.store(monotonic_ns());
}

void WorkerStats::merge(const WorkerStats& o) {
  sent += o.sent;
  answered += o.answered;
  acks += o.acks;
  fills += o.fills;
  rejects += o.rejects;
  timeouts += o.timeouts;
  unsent += o.unsent;
  disconnects += o.disconnects;
  logon_failures += o.logon_failures;
  unexpected_logouts += o.unexpected_logouts;
  checksum_errors += o.checksum_errors;
  length_errors += o.length_errors;
  garbage += o.garbage;
  seq_gaps += o.seq_gaps;
  seq_gap_messages += o.seq_gap_messages;
  seq_too_low += o.seq_too_low;
  poss_dups_ignored += o.poss_dups_ignored;
  test_requests += o.test_requests;
  resend_requests += o.resend_requests;
  other_rejects += o.other_rejects;
  unknown_reports += o.unknown_reports;
  logout_not_confirmed += o.logout_not_confirmed;
  messages_in += o.messages_in;
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  reads += o.reads;
  writes += o.writes;
  first_send_ns = std::min(first_send_ns, o.first_send_ns);
  last_report_ns = std::max(last_report_ns, o.last_report_ns);
}

LoadWorker::LoadWorker(int worker, RunState& run, const TlsContext* tls, StartBarrier& start)
    : worker_(worker),
      run_(run),
      opt_(run.options),
      tls_(tls),
      start_(start),
      next_order_(worker),
      stride_(run.options.threads),
      window_((run.options.inflight + run.options.threads - 1) / run.options.threads) {
  for (int s = worker; s < opt_.sessions; s += opt_.threads) {
    sessions_.push_back(std::make_unique<Session>(s, opt_.senders[static_cast<std::size_t>(s)], opt_.account,
                                                  opt_.contra_account, opt_.target));
  }
  symbol_side_ = "\00155=" + opt_.symbol + "\00154=";
  qty_price_ = "\00138=" + std::to_string(opt_.qty) + "\00140=2\00144=";
  const int levels = opt_.mix == Mix::kRest ? opt_.levels : 1;
  for (int k = 0; k < levels; ++k) {
    const std::int64_t offset = opt_.mix == Mix::kRest ? (k + 1) * opt_.tick.units() : 0;
    buy_prices_.push_back(format_fixed(Decimal::from_units(opt_.price.units() - offset), opt_.price_decimals));
    sell_prices_.push_back(format_fixed(Decimal::from_units(opt_.price.units() + offset), opt_.price_decimals));
  }
}

LoadWorker::~LoadWorker() = default;

void LoadWorker::run() {
  // Timer slack of 1 ns: poll() timeouts then wake when asked, not up to 50 us later.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  logon_all();
  start_.arrive_and_wait();
  order_loop();
  logout_all();
}

// ---- session layer -------------------------------------------------------------------------------

void LoadWorker::logon_all() {
  const std::int64_t deadline = monotonic_ns() + opt_.connect_timeout_ns;
  for (auto& sp : sessions_) {
    Session& s = *sp;
    const auto err = s.conn.open(opt_.host, opt_.port, deadline, tls_);
    if (!err.empty()) {
      log_line("%s: %s", s.sender.c_str(), err.c_str());
      ++stats_.logon_failures;
      s.state = Session::State::kClosed;
      continue;
    }
    FieldWriter body;
    body.add(98, std::uint64_t{0});
    body.add(108, static_cast<std::uint64_t>(opt_.heartbeat_seconds));
    if (opt_.reset) body.add(141, 'Y');
    if (opt_.username) body.add(553, *opt_.username);
    if (opt_.password) body.add(554, *opt_.password);
    send_admin(s, "A", body.view());
    s.state = Session::State::kLogonSent;
    flush(s);
  }
  while (true) {
    const std::int64_t now = monotonic_ns();
    const bool waiting = std::any_of(sessions_.begin(), sessions_.end(),
                                     [](const auto& s) { return s->state == Session::State::kLogonSent; });
    if (!waiting || now >= deadline) break;
    poll_once(std::min(deadline - now, kMaxWaitNs));
  }
  for (auto& sp : sessions_) {
    if (sp->state != Session::State::kLogonSent) continue;
    log_line("%s: no Logon answer within the connect timeout", sp->sender.c_str());
    ++stats_.logon_failures;
    sp->conn.close();
    sp->state = Session::State::kClosed;
  }
}

void LoadWorker::logout_all() {
  for (auto& sp : sessions_) {
    if (sp->state != Session::State::kActive) continue;
    send_admin(*sp, "5", {});
    sp->state = Session::State::kLogoutSent;
    sp->logout_sent = true;
    flush(*sp);
  }
  const std::int64_t deadline = monotonic_ns() + std::min(opt_.timeout_ns, kLogoutWaitNs);
  while (true) {
    const std::int64_t now = monotonic_ns();
    const bool waiting = std::any_of(sessions_.begin(), sessions_.end(), [](const auto& s) {
      return s->state == Session::State::kLogoutSent && s->conn.is_open();
    });
    if (!waiting || now >= deadline) break;
    poll_once(std::min(deadline - now, kMaxWaitNs));
  }
  for (auto& sp : sessions_) {
    if (sp->logout_sent && !sp->logout_received) {
      log_line("%s: the acceptor did not confirm the Logout", sp->sender.c_str());
      ++stats_.logout_not_confirmed;
    }
    sp->conn.close();
    sp->state = Session::State::kClosed;
  }
}

void LoadWorker::send_admin(Session& s, std::string_view type, std::string_view body) {
  const auto ts = utc_.format(realtime_ns());
  s.encoder.append(s.out, type, s.next_out_seq, ts, body);
  s.seq_order.push_back(-1);
  ++s.next_out_seq;
  s.last_sent_ns = monotonic_ns();
}

void LoadWorker::send_heartbeats(std::int64_t now) {
  const std::int64_t interval = static_cast<std::int64_t>(opt_.heartbeat_seconds) * 1'000'000'000;
  for (auto& sp : sessions_) {
    if (sp->state == Session::State::kActive && now - sp->last_sent_ns >= interval) send_admin(*sp, "0", {});
  }
}

void LoadWorker::session_down(Session& s, const std::string& why, bool is_error) {
  if (!s.conn.is_open() && s.state == Session::State::kClosed) return;
  if (is_error) {
    log_line("%s: %s", s.sender.c_str(), why.c_str());
    ++stats_.disconnects;
  }
  s.conn.close();
  s.state = Session::State::kClosed;
  s.out.clear();
  s.out_head = 0;
  s.unstamped.clear();
  // Its orders will never be answered.
  std::int64_t lost = 0;
  for (const std::int64_t order : inflight_fifo_) {
    if (run_.latency_ns[static_cast<std::size_t>(order)] != kInFlight || &session_of_order(order) != &s) continue;
    run_.latency_ns[static_cast<std::size_t>(order)] = kLost;
    --inflight_;
    ++lost;
  }
  stats_.timeouts += lost;
  if (lost > 0) log_line("%s: %lld orders in flight are lost", s.sender.c_str(), static_cast<long long>(lost));
}

void LoadWorker::flush(Session& s) {
  if (s.out_head == s.out.size() || !s.conn.is_open()) return;
  if (!s.unstamped.empty()) {
    const std::int64_t now = monotonic_ns();
    for (const std::int64_t order : s.unstamped) run_.sent_ns[static_cast<std::size_t>(order)] = now;
    stats_.first_send_ns = std::min(stats_.first_send_ns, now);
    s.unstamped.clear();
  }
  while (s.out_head < s.out.size()) {
    const auto r = s.conn.write(s.out.data() + s.out_head, s.out.size() - s.out_head);
    ++stats_.writes;
    if (r.status == IoStatus::kOk) {
      s.out_head += r.bytes;
      stats_.bytes_out += static_cast<std::int64_t>(r.bytes);
    } else if (r.status == IoStatus::kWouldBlock) {
      break;
    } else {
      session_down(s, "write failed: " + s.conn.error(), true);
      return;
    }
  }
  if (s.out_head == s.out.size()) {
    s.out.clear();
    s.out_head = 0;
  } else if (s.out_head > (1U << 20)) {
    s.out.erase(0, s.out_head);
    s.out_head = 0;
  }
}

void LoadWorker::poll_once(std::int64_t wait_ns) {
  pollfd fds[1024];
  std::size_t n = 0;
  poll_index_.clear();
  bool buffered = false;
  for (std::size_t i = 0; i < sessions_.size() && n < std::size(fds); ++i) {
    Session& s = *sessions_[i];
    if (!s.conn.is_open()) continue;
    short events = POLLIN;
    if (s.out_head < s.out.size() || s.conn.wants_pollout()) events |= POLLOUT;
    fds[n++] = pollfd{s.conn.fd(), events, 0};
    poll_index_.push_back(static_cast<int>(i));
    buffered = buffered || s.conn.has_buffered_input();
  }
  if (n == 0) return;
  if (buffered) wait_ns = 0;
  timespec ts{static_cast<time_t>(std::max<std::int64_t>(wait_ns, 0) / 1'000'000'000),
              static_cast<long>(std::max<std::int64_t>(wait_ns, 0) % 1'000'000'000)};
  const int ready = ppoll(fds, n, &ts, nullptr);
  if (ready < 0) {
    if (errno != EINTR) log_line("poll: %s", std::strerror(errno));
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    Session& s = *sessions_[static_cast<std::size_t>(poll_index_[i])];
    if (!s.conn.is_open()) continue;
    if ((fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0 || s.conn.has_buffered_input()) {
      read_session(s, monotonic_ns());
    }
    if (s.conn.is_open() && (fds[i].revents & POLLOUT) != 0) flush(s);
  }
  // Session-layer answers written while handling (Heartbeats, GapFills, Logouts).
  for (auto& sp : sessions_) flush(*sp);
}

void LoadWorker::read_session(Session& s, std::int64_t now) {
  while (s.conn.is_open()) {
    if (s.in_len == s.in.size()) {
      // Cannot happen with next_frame's BodyLength bound, but never spin on a full buffer.
      ++stats_.garbage;
      log_line("%s: receive buffer full without a complete message; dropping it", s.sender.c_str());
      s.in_len = 0;
    }
    const std::size_t space = s.in.size() - s.in_len;
    const auto r = s.conn.read(s.in.data() + s.in_len, space);
    ++stats_.reads;
    if (r.status == IoStatus::kWouldBlock) return;
    if (r.status == IoStatus::kClosed || r.status == IoStatus::kError) {
      const bool expected = s.state == Session::State::kLogoutSent;
      if (s.state == Session::State::kLogonSent) {
        session_down(s,
                     "connection closed during Logon (acceptor does not know SenderCompID " + s.sender +
                         " / TargetCompID " + opt_.target + "?)",
                     true);
      } else {
        session_down(s, r.status == IoStatus::kClosed ? "connection closed by the acceptor" : s.conn.error(),
                     !expected);
      }
      return;
    }
    now = monotonic_ns();
    s.in_len += r.bytes;
    stats_.bytes_in += static_cast<std::int64_t>(r.bytes);

    std::size_t pos = 0;
    while (pos < s.in_len && s.conn.is_open()) {
      InboundMessage m;
      const Frame f = next_frame(std::string_view(s.in.data() + pos, s.in_len - pos), m);
      if (f.status == FrameStatus::kNeedMore) break;
      pos += f.consumed;
      switch (f.status) {
        case FrameStatus::kMessage:
          ++stats_.messages_in;
          handle(s, m, now);
          break;
        case FrameStatus::kBadChecksum:
          if (++stats_.checksum_errors <= kMaxRepeatedLogs)
            log_line("%s: bad CheckSum, message ignored", s.sender.c_str());
          break;
        case FrameStatus::kBadLength:
          if (++stats_.length_errors <= kMaxRepeatedLogs)
            log_line("%s: bad BodyLength, message ignored", s.sender.c_str());
          break;
        case FrameStatus::kGarbage:
          if (++stats_.garbage <= kMaxRepeatedLogs) log_line("%s: bytes outside any message skipped", s.sender.c_str());
          break;
        case FrameStatus::kNeedMore: break;
      }
    }
    if (!s.conn.is_open()) return;
    if (pos > 0) {
      std::memmove(s.in.data(), s.in.data() + pos, s.in_len - pos);
      s.in_len -= pos;
    }
    // A short read means the socket is drained; skip the read that would only say EAGAIN.
    if (r.bytes < space && !s.conn.has_buffered_input()) return;
  }
}

void LoadWorker::handle(Session& s, const InboundMessage& m, std::int64_t now) {
  const char type = m.msg_type.size() == 1 ? m.msg_type[0] : '\0';

  // Sequence numbers. Whatever answers our Logon (a Logon, or a Logout refusing it) starts the
  // acceptor's numbering.
  if (s.state == Session::State::kLogonSent) s.next_in_seq = m.seq;
  const bool is_reset = type == '4' && !m.gap_fill;
  if (!is_reset) {
    if (m.seq > s.next_in_seq) {
      ++stats_.seq_gaps;
      stats_.seq_gap_messages += static_cast<std::int64_t>(m.seq - s.next_in_seq);
      if (++gap_logs_ <= kMaxRepeatedLogs) {
        log_line("%s: sequence gap: expected %llu, received %llu (not requesting a resend)", s.sender.c_str(),
                 static_cast<unsigned long long>(s.next_in_seq), static_cast<unsigned long long>(m.seq));
      }
      s.next_in_seq = m.seq + 1;
    } else if (m.seq < s.next_in_seq) {
      if (m.poss_dup) {
        ++stats_.poss_dups_ignored;
        return;
      }
      ++stats_.seq_too_low;
      if (++gap_logs_ <= kMaxRepeatedLogs) {
        log_line("%s: MsgSeqNum too low: expected %llu, received %llu", s.sender.c_str(),
                 static_cast<unsigned long long>(s.next_in_seq), static_cast<unsigned long long>(m.seq));
      }
    } else {
      ++s.next_in_seq;
    }
  }

  switch (type) {
    case '8': handle_execution_report(s, m, now); break;
    case '0': break;
    case 'A':
      if (s.state == Session::State::kLogonSent) s.state = Session::State::kActive;
      break;
    case '1': {
      ++stats_.test_requests;
      FieldWriter body;
      body.add(112, m.test_req_id);
      send_admin(s, "0", body.view());
      break;
    }
    case '2': {
      ++stats_.resend_requests;
      log_line("%s: ResendRequest %llu..%llu answered with a GapFill to %llu", s.sender.c_str(),
               static_cast<unsigned long long>(m.begin_seq), static_cast<unsigned long long>(m.end_seq),
               static_cast<unsigned long long>(s.next_out_seq));
      if (m.begin_seq == 0 || m.begin_seq >= s.next_out_seq) break;
      const auto ts = utc_.format(realtime_ns());
      FieldWriter header;
      header.add(43, 'Y');
      header.add(122, ts);
      FieldWriter body;
      body.add(123, 'Y');
      body.add(36, s.next_out_seq);
      s.encoder.append(s.out, "4", m.begin_seq, ts, body.view(), header.view());
      break;
    }
    case '4':
      if (m.new_seq > s.next_in_seq || !m.gap_fill) s.next_in_seq = m.new_seq;
      break;
    case '5':
      if (s.state == Session::State::kLogoutSent) {
        s.logout_received = true;
        s.conn.close();
        s.state = Session::State::kClosed;
      } else {
        ++stats_.unexpected_logouts;
        std::string why = "Logout from the acceptor: '" + printable(m.text) + "'";
        if (m.text.find("MsgSeqNum too low") != std::string_view::npos) why += " (run with --reset?)";
        send_admin(s, "5", {});
        flush(s);
        log_line("%s: %s", s.sender.c_str(), why.c_str());
        session_down(s, why, false);
      }
      break;
    case '3':
    case '9':
    case 'j': handle_reject(s, m, now); break;
    default: break;
  }
}

void LoadWorker::handle_execution_report(Session& s, const InboundMessage& m, std::int64_t now) {
  const std::int64_t order = order_of_cl_ord_id(m.cl_ord_id);
  if (order < 0) {
    ++stats_.unknown_reports;
    return;
  }
  switch (m.exec_type) {
    case '0': ++stats_.acks; break;
    case 'F':
    case '1':
    case '2': ++stats_.fills; break;
    case '8':
      ++stats_.rejects;
      if (++reject_logs_ <= kMaxRepeatedLogs) {
        log_line("%s: order %s rejected: '%s'", s.sender.c_str(), printable(m.cl_ord_id).c_str(),
                 printable(m.text).c_str());
      }
      break;
    default: break;
  }
  if (run_.latency_ns[static_cast<std::size_t>(order)] == kInFlight) finish_order(order, now);
}

void LoadWorker::handle_reject(Session& s, const InboundMessage& m, std::int64_t now) {
  std::int64_t order = -1;
  const char type = m.msg_type[0];
  if (type == '9') {
    order = order_of_cl_ord_id(m.orig_cl_ord_id);
    if (order < 0) order = order_of_cl_ord_id(m.cl_ord_id);
  } else if (type == 'j') {
    order = order_of_cl_ord_id(m.business_ref_id);
    if (order < 0) order = order_of_seq(s, m.ref_seq);
  } else {
    order = order_of_seq(s, m.ref_seq);
  }
  const bool log = ++reject_logs_ <= kMaxRepeatedLogs;
  if (order < 0) {
    ++stats_.other_rejects;
    if (log) {
      log_line("%s: 35=%c for RefSeqNum %llu (not an order): '%s'", s.sender.c_str(), type,
               static_cast<unsigned long long>(m.ref_seq), printable(m.text).c_str());
    }
    return;
  }
  ++stats_.rejects;
  if (log)
    log_line("%s: 35=%c rejects order %lld: '%s'", s.sender.c_str(), type, static_cast<long long>(order),
             printable(m.text).c_str());
  if (run_.latency_ns[static_cast<std::size_t>(order)] == kInFlight) finish_order(order, now);
}

}  // namespace venue::fix_gateway::bench

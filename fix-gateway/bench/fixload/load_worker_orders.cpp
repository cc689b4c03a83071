// fixload's order flow (load_worker.h): the open-loop schedule, the window of orders in flight, their
// encoding, completion and expiry. The session layer is in load_worker.cpp.
#include <algorithm>

#include "load_worker.h"
#include "load_worker_session.h"

namespace venue::fix_gateway::bench {

// ---- orders --------------------------------------------------------------------------------------

std::int64_t LoadWorker::order_of_cl_ord_id(std::string_view id) const {
  if (!id.starts_with(run_.clordid_prefix)) return -1;
  std::uint64_t n = 0;
  if (!parse_uint(id.substr(run_.clordid_prefix.size()), n)) return -1;
  const auto order = static_cast<std::int64_t>(n);
  // Only this worker's orders: another worker's slots are not ours to write.
  if (order >= opt_.orders || order % stride_ != worker_) return -1;
  return order;
}

std::int64_t LoadWorker::order_of_seq(const Session& s, std::uint64_t seq) const {
  return seq < s.seq_order.size() ? s.seq_order[seq] : -1;
}

LoadWorker::Session& LoadWorker::session_of_order(std::int64_t order) {
  const auto global = order % opt_.sessions;
  return *sessions_[static_cast<std::size_t>(global / opt_.threads)];
}

std::int64_t LoadWorker::due_ns(std::int64_t order) const {
  return run_.start_ns.load(std::memory_order_relaxed) + order * 1'000'000'000 / opt_.rate_per_sec;
}

bool LoadWorker::any_open() const {
  return std::any_of(sessions_.begin(), sessions_.end(), [](const auto& s) { return s->conn.is_open(); });
}

void LoadWorker::encode_order(Session& s, std::int64_t order, std::string_view ts) {
  const bool buy = order % 2 == 0;
  const auto level = static_cast<std::size_t>(opt_.mix == Mix::kRest ? (order / 2) % opt_.levels : 0);
  char number[20];
  std::size_t digits = 0;
  for (auto v = static_cast<std::uint64_t>(order);; v /= 10) {
    number[digits++] = static_cast<char>('0' + v % 10);
    if (v < 10) break;
  }
  std::reverse(number, number + digits);

  FieldWriter body;
  body.add_raw("11=");
  body.add_raw(run_.clordid_prefix);
  body.add_raw({number, digits});
  // --contra-account: pair p = order / 2 trades between the two accounts, the buyer alternating by pair.
  body.add_raw((order / 2 + order % 2) % 2 == 0 ? s.account_field : s.contra_field);
  body.add_raw(symbol_side_);
  body.add_raw(buy ? "1" : "2");
  body.add_raw("\00160=");
  body.add_raw(ts);
  body.add_raw(qty_price_);
  body.add_raw(buy ? buy_prices_[level] : sell_prices_[level]);
  body.add_raw("\00159=0\001");
  s.encoder.append(s.out, "D", s.next_out_seq, ts, body.view());
  s.seq_order.push_back(order);
  ++s.next_out_seq;
  s.unstamped.push_back(order);
  run_.latency_ns[static_cast<std::size_t>(order)] = kInFlight;
  inflight_fifo_.push_back(order);
  ++inflight_;
  ++stats_.sent;
  ++sent_unpublished_;
}

bool LoadWorker::fill_window(std::int64_t now) {
  bool any = false;
  std::string_view ts;
  while (!stop_sending_ && next_order_ < opt_.orders && inflight_ < window_) {
    if (opt_.rate_per_sec > 0 && due_ns(next_order_) > now) break;
    Session& s = session_of_order(next_order_);
    if (s.state != Session::State::kActive) {
      ++stats_.unsent;
      next_order_ += stride_;
      continue;
    }
    if (!any) ts = utc_.format(realtime_ns());
    // The send time proper is taken in flush(), just before the send; this covers the gap until then.
    run_.sent_ns[static_cast<std::size_t>(next_order_)] = now;
    encode_order(s, next_order_, ts);
    s.last_sent_ns = now;
    next_order_ += stride_;
    any = true;
  }
  return any;
}

void LoadWorker::finish_order(std::int64_t order, std::int64_t now) {
  const auto i = static_cast<std::size_t>(order);
  run_.latency_ns[i] = now - run_.sent_ns[i];
  --inflight_;
  ++stats_.answered;
  ++answered_unpublished_;
  stats_.last_report_ns = now;
  last_answer_ns_ = now;
}

void LoadWorker::expire_orders(std::int64_t now) {
  auto in_flight = [&](std::int64_t o) { return run_.latency_ns[static_cast<std::size_t>(o)] == kInFlight; };
  while (!inflight_fifo_.empty() && !in_flight(inflight_fifo_.front())) inflight_fifo_.pop_front();
  if (inflight_fifo_.empty()) return;
  const auto age = [&](std::int64_t o) { return now - run_.sent_ns[static_cast<std::size_t>(o)]; };
  if (age(inflight_fifo_.front()) <= opt_.timeout_ns) return;

  const bool stalled = now - last_answer_ns_ > opt_.timeout_ns;
  std::int64_t lost = 0;
  for (auto it = inflight_fifo_.begin(); it != inflight_fifo_.end(); ++it) {
    if (!in_flight(*it)) continue;
    if (!stalled && age(*it) <= opt_.timeout_ns) break;
    run_.latency_ns[static_cast<std::size_t>(*it)] = kLost;
    --inflight_;
    ++lost;
  }
  stats_.timeouts += lost;
  if (stalled) {
    log_line("nothing answered for %.1f s: giving up on %lld orders in flight and on sending",
             static_cast<double>(opt_.timeout_ns) / 1e9, static_cast<long long>(lost));
    stop_sending_ = true;
  } else {
    log_line("%lld orders unanswered after %.1f s, counted as timeouts", static_cast<long long>(lost),
             static_cast<double>(opt_.timeout_ns) / 1e9);
  }
}

void LoadWorker::order_loop() {
  const std::int64_t start = run_.start_ns.load();
  last_answer_ns_ = start;
  next_progress_ns_ = start + opt_.progress_ns;
  std::int64_t progress_last_ns = start;

  while (true) {
    const std::int64_t now = monotonic_ns();
    const int interrupts = run_.interrupts.load(std::memory_order_relaxed);
    if (interrupts >= 1 && !stop_sending_) stop_sending_ = true;
    if (interrupts >= 2) {
      for (const std::int64_t o : inflight_fifo_) {
        if (run_.latency_ns[static_cast<std::size_t>(o)] != kInFlight) continue;
        run_.latency_ns[static_cast<std::size_t>(o)] = kLost;
        ++stats_.timeouts;
        --inflight_;
      }
    }
    expire_orders(now);
    if ((stop_sending_ || !any_open()) && next_order_ < opt_.orders) {
      stats_.unsent += (opt_.orders - next_order_ + stride_ - 1) / stride_;
      next_order_ = opt_.orders;
    }
    if (next_order_ >= opt_.orders && inflight_ == 0) break;
    if (!any_open()) break;

    send_heartbeats(now);
    fill_window(now);
    for (auto& sp : sessions_) flush(*sp);

    if (answered_unpublished_ > 0) {
      run_.answered.fetch_add(answered_unpublished_, std::memory_order_relaxed);
      answered_unpublished_ = 0;
    }
    if (sent_unpublished_ > 0) {
      run_.sent.fetch_add(sent_unpublished_, std::memory_order_relaxed);
      sent_unpublished_ = 0;
    }
    if (worker_ == 0 && opt_.progress_ns > 0 && now >= next_progress_ns_) {
      const std::int64_t answered = run_.answered.load(std::memory_order_relaxed);
      const double interval_s = static_cast<double>(now - progress_last_ns) / 1e9;
      log_line("%.1f s: sent=%lld answered=%lld (%.0f/s)", static_cast<double>(now - start) / 1e9,
               static_cast<long long>(run_.sent.load(std::memory_order_relaxed)), static_cast<long long>(answered),
               static_cast<double>(answered - progress_last_answered_) / interval_s);
      progress_last_answered_ = answered;
      progress_last_ns = now;
      next_progress_ns_ = now + opt_.progress_ns;
    }

    // How long poll() may wait: until the next scheduled send (minus the spin margin), heartbeat,
    // order timeout or progress line, whichever comes first.
    std::int64_t wait = 0;
    if (!opt_.busy_poll) {
      const std::int64_t after = monotonic_ns();
      std::int64_t deadline = after + kMaxWaitNs;
      const std::int64_t hb_ns = static_cast<std::int64_t>(opt_.heartbeat_seconds) * 1'000'000'000;
      for (auto& sp : sessions_) {
        if (sp->state == Session::State::kActive) deadline = std::min(deadline, sp->last_sent_ns + hb_ns);
      }
      if (!inflight_fifo_.empty()) {
        deadline = std::min(
            deadline, run_.sent_ns[static_cast<std::size_t>(inflight_fifo_.front())] + opt_.timeout_ns + 1'000'000);
      }
      if (worker_ == 0 && opt_.progress_ns > 0) deadline = std::min(deadline, next_progress_ns_);
      if (opt_.rate_per_sec > 0 && !stop_sending_ && next_order_ < opt_.orders && inflight_ < window_) {
        deadline = std::min(deadline, due_ns(next_order_) - opt_.spin_ns);
      }
      wait = std::max<std::int64_t>(0, deadline - after);
    }
    poll_once(wait);
  }
  if (answered_unpublished_ > 0) run_.answered.fetch_add(answered_unpublished_, std::memory_order_relaxed);
}

}  // namespace venue::fix_gateway::bench

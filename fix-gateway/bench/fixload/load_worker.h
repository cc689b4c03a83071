#pragma once
// The part of fixload that talks FIX: a LoadWorker owns some sessions (sockets, sequence numbers,
// buffers) and the orders that go over them, and runs them from one thread with poll():
//
//   connect + Logon (all its sessions)  ->  wait for every worker  ->  send/receive loop  ->  Logout
//
// The loop reads everything the sockets have (large reads), frames and scans it (fix_wire.h), answers
// the session layer (TestRequest -> Heartbeat, ResendRequest -> SequenceReset-GapFill, Heartbeats when
// idle), ends each order's latency at its first ExecutionReport (or a 3/9/j reject pointing at it),
// then encodes as many new orders as the window and the schedule allow and writes each session's
// batch with one send. Nothing on this path allocates once the buffers have grown.
//
// Orders: order i goes to session i % M (M sessions over all workers); worker w owns the sessions
// s with s % T == w, hence (T divides M) the orders with i % T == w. Its in-flight window is
// ceil(K / T). With --rate R order i is due at start + i/R seconds, an absolute schedule.
//
// Thread rules: each LoadWorker is used by exactly one thread. RunState is shared: its per-order
// vectors are written only at the indices a worker owns; its atomics are for progress lines only.

#include <atomic>
#include <barrier>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "options.h"
#include "venue/fix_wire/connection.h"
#include "venue/fix_wire/wire.h"

namespace venue::fix_gateway::bench {

// The FIX wire library (common/fix-wire) is fixload's vocabulary.
using fix_wire::Connection;
using fix_wire::FieldWriter;
using fix_wire::FixEncoder;
using fix_wire::Frame;
using fix_wire::FrameStatus;
using fix_wire::InboundMessage;
using fix_wire::IoResult;
using fix_wire::IoStatus;
using fix_wire::kSoh;
using fix_wire::monotonic_ns;
using fix_wire::next_frame;
using fix_wire::parse_uint;
using fix_wire::realtime_ns;
using fix_wire::TlsContext;
using fix_wire::UtcClock;

// Latency slot values other than an answered order's latency (which is >= 0).
inline constexpr std::int64_t kNotSent = -2;
inline constexpr std::int64_t kInFlight = -1;
inline constexpr std::int64_t kLost = -3;  // timed out, or its session died

struct RunState {
  RunState(const LoadOptions& o, std::string clordid_prefix);

  const LoadOptions& options;
  const std::string clordid_prefix;       // "<run id>-"; ClOrdID = prefix + order number
  std::vector<std::int64_t> sent_ns;      // CLOCK_MONOTONIC just before the send() that carried it
  std::vector<std::int64_t> latency_ns;   // or one of the k* slot values above
  std::atomic<std::int64_t> start_ns{0};  // schedule origin, set when every worker has logged on
  std::atomic<std::int64_t> answered{0};  // progress only
  std::atomic<std::int64_t> sent{0};      // progress only
  std::atomic<int> interrupts{0};         // 1: stop sending; 2: also stop waiting for reports
  std::int64_t start_cpu_ns = 0;          // process CPU time (user + system) at start_ns
};

struct WorkerStats {
  std::int64_t sent = 0;
  std::int64_t answered = 0;
  std::int64_t acks = 0;
  std::int64_t fills = 0;
  std::int64_t rejects = 0;
  std::int64_t timeouts = 0;
  std::int64_t unsent = 0;
  std::int64_t disconnects = 0;
  std::int64_t logon_failures = 0;
  std::int64_t unexpected_logouts = 0;
  std::int64_t checksum_errors = 0;
  std::int64_t length_errors = 0;
  std::int64_t garbage = 0;
  std::int64_t seq_gaps = 0;
  std::int64_t seq_gap_messages = 0;
  std::int64_t seq_too_low = 0;
  std::int64_t poss_dups_ignored = 0;
  std::int64_t test_requests = 0;
  std::int64_t resend_requests = 0;
  std::int64_t other_rejects = 0;    // 3/j that point at no order of this run
  std::int64_t unknown_reports = 0;  // ExecutionReports for ClOrdIDs not of this run
  std::int64_t logout_not_confirmed = 0;
  std::int64_t messages_in = 0;
  std::int64_t bytes_in = 0;
  std::int64_t bytes_out = 0;
  std::int64_t reads = 0;
  std::int64_t writes = 0;
  std::int64_t first_send_ns = INT64_MAX;
  std::int64_t last_report_ns = 0;

  void merge(const WorkerStats& o);
  std::int64_t errors() const {
    return timeouts + disconnects + logon_failures + unexpected_logouts + checksum_errors + length_errors + garbage;
  }
};

// CPU time (user + system) of the whole process so far.
std::int64_t process_cpu_ns();

// Runs once when every worker has logged on: fixes the schedule origin and the CPU time at start.
struct StartCompletion {
  RunState* run;
  void operator()() noexcept;
};

class LoadWorker {
 public:
  using StartBarrier = std::barrier<StartCompletion>;

  LoadWorker(int worker, RunState& run, const TlsContext* tls, StartBarrier& start);
  ~LoadWorker();
  LoadWorker(const LoadWorker&) = delete;
  LoadWorker& operator=(const LoadWorker&) = delete;

  void run();
  const WorkerStats& stats() const { return stats_; }

 private:
  struct Session;

  void logon_all();
  void order_loop();
  void logout_all();

  // One poll() over the open sessions, then reads, handles and flushes. `wait_ns` < 0: no waiting.
  void poll_once(std::int64_t wait_ns);
  void read_session(Session& s, std::int64_t now);
  void handle(Session& s, const InboundMessage& m, std::int64_t now);
  void handle_execution_report(Session& s, const InboundMessage& m, std::int64_t now);
  void handle_reject(Session& s, const InboundMessage& m, std::int64_t now);
  void flush(Session& s);
  void send_admin(Session& s, std::string_view type, std::string_view body);
  void send_heartbeats(std::int64_t now);
  void session_down(Session& s, const std::string& why, bool is_error);

  bool fill_window(std::int64_t now);
  void encode_order(Session& s, std::int64_t order, std::string_view ts);
  void expire_orders(std::int64_t now);
  void finish_order(std::int64_t order, std::int64_t now);
  std::int64_t order_of_cl_ord_id(std::string_view id) const;
  std::int64_t order_of_seq(const Session& s, std::uint64_t seq) const;
  Session& session_of_order(std::int64_t order);
  std::int64_t due_ns(std::int64_t order) const;
  bool any_open() const;

  const int worker_;
  RunState& run_;
  const LoadOptions& opt_;
  const TlsContext* tls_;
  StartBarrier& start_;
  std::vector<std::unique_ptr<Session>> sessions_;
  std::vector<int> poll_index_;  // pollfd slot -> session
  UtcClock utc_;
  WorkerStats stats_;

  // Orders this worker owns: first_order_, first_order_ + stride_, ... < orders.
  std::int64_t next_order_;
  const std::int64_t stride_;
  std::int64_t window_;
  std::int64_t inflight_ = 0;
  std::deque<std::int64_t> inflight_fifo_;  // in send order; answered ones are dropped lazily
  std::int64_t last_answer_ns_ = 0;
  bool stop_sending_ = false;
  std::int64_t answered_unpublished_ = 0;
  std::int64_t sent_unpublished_ = 0;
  std::int64_t next_progress_ns_ = 0;
  std::int64_t progress_last_answered_ = 0;
  std::int64_t gap_logs_ = 0;
  std::int64_t reject_logs_ = 0;

  // Pre-encoded NewOrderSingle pieces.
  std::string symbol_side_;  // "<SOH>55=SYM<SOH>54="
  std::string qty_price_;    // "<SOH>38=Q<SOH>40=2<SOH>44="
  std::vector<std::string> buy_prices_;
  std::vector<std::string> sell_prices_;
};

}  // namespace venue::fix_gateway::bench

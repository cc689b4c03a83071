#pragma once
// fixload's per-session state and its diagnostics line, shared by load_worker.cpp (the session layer)
// and load_worker_orders.cpp (the order flow). Private to fixload; owned by one worker thread.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "load_worker.h"

namespace venue::fix_gateway::bench {

inline constexpr std::size_t kInBufferSize = 1 << 20;
// Longest poll() wait, so that Ctrl-C and the progress line are noticed promptly.
inline constexpr std::int64_t kMaxWaitNs = 100'000'000;

// One line on standard error, "fixload: ...".
void log_line(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

struct LoadWorker::Session {
  enum class State : std::uint8_t { kDown, kLogonSent, kActive, kLogoutSent, kClosed };

  Session(int global_index, std::string sender_comp_id, const std::string& account, const std::string& contra,
          const std::string& target)
      : index(global_index),
        sender(std::move(sender_comp_id)),
        account_field("\0011=" + (account.empty() ? sender : account)),
        contra_field(contra.empty() ? account_field : "\0011=" + contra),
        encoder(sender, target),
        in(kInBufferSize) {}

  const int index;
  const std::string sender;
  const std::string account_field;  // "<SOH>1=ACC"
  const std::string contra_field;   // --contra-account's, or account_field
  Connection conn;
  FixEncoder encoder;
  State state = State::kDown;
  std::string out;
  std::size_t out_head = 0;  // bytes of `out` already written
  std::vector<char> in;
  std::size_t in_len = 0;
  std::vector<std::int64_t> unstamped;      // orders in `out` whose send time is not taken yet
  std::vector<std::int64_t> seq_order{-1};  // our MsgSeqNum -> order (-1: a session message)
  std::uint64_t next_out_seq = 1;
  std::uint64_t next_in_seq = 1;
  std::int64_t last_sent_ns = 0;
  bool logout_sent = false;
  bool logout_received = false;
};

}  // namespace venue::fix_gateway::bench

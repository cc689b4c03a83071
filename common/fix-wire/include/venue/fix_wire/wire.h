#pragma once
// FIX 4.4 on the wire without QuickFIX, for fixload's hot path.
//
//   FieldWriter   appends "tag=value<SOH>" fields to a fixed buffer (no allocation).
//   FixEncoder    wraps a message body in the standard header and trailer: 8, 9 (BodyLength), 35, 34,
//                 49, 52, 56, then the body, then 10 (CheckSum), into a caller's std::string.
//   UtcClock      formats SendingTime/TransactTime (YYYYMMDD-HH:MM:SS.sss), redoing the calendar
//                 part only when the second changes.
//   next_frame    finds one message at the front of received bytes, checks BodyLength and CheckSum and
//                 picks out the fields fixload acts on (a scan for tags, no field map).
//
// Misuse: FieldWriter silently refuses fields past its capacity (ok() turns false); callers size it for
// the messages they build. next_frame ignores data fields (95/96...): a SOH inside one ends the field.
//
// Thread rules: FixEncoder and UtcClock belong to one thread (UtcClock caches); next_frame is pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace venue::fix_wire {

// String literals here write SOH as the octal escape \001: always three digits, so a tag that follows
// ("\00149=") cannot be read as part of it, as it would after \x01.
inline constexpr char kSoh = '\x01';

class FieldWriter {
 public:
  static constexpr std::size_t kCapacity = 1024;

  void add(int tag, std::string_view value);
  void add(int tag, std::uint64_t value);
  void add(int tag, char value) { add(tag, std::string_view(&value, 1)); }
  // Appends bytes that already are complete fields ("1=ACC<SOH>55=ACME<SOH>").
  void add_raw(std::string_view fields);

  std::string_view view() const { return {buf_, len_}; }
  bool ok() const { return ok_; }
  void clear() {
    len_ = 0;
    ok_ = true;
  }

 private:
  void put(std::string_view s);
  char buf_[kCapacity];
  std::size_t len_ = 0;
  bool ok_ = true;
};

class FixEncoder {
 public:
  FixEncoder(const std::string& sender_comp_id, const std::string& target_comp_id);

  // Appends one complete message. `extra_header` holds further header fields (43, 122) already
  // encoded; `body` the message's own fields. Returns the bytes appended.
  std::size_t append(std::string& out, std::string_view msg_type, std::uint64_t seq, std::string_view sending_time,
                     std::string_view body, std::string_view extra_header = {}) const;

 private:
  std::string sender_field_;  // "<SOH>49=S<SOH>52="
  std::string target_field_;  // "<SOH>56=T<SOH>"
};

class UtcClock {
 public:
  static constexpr std::size_t kLength = 21;  // YYYYMMDD-HH:MM:SS.sss
  // Formats a CLOCK_REALTIME value in nanoseconds.
  std::string_view format(std::int64_t realtime_ns);

 private:
  std::int64_t cached_second_ = -1;
  char buf_[kLength + 1] = {};
};

// Clocks, in nanoseconds.
std::int64_t monotonic_ns();
std::int64_t realtime_ns();

// What fixload reads from a received message; views point into the receive buffer.
struct InboundMessage {
  std::string_view msg_type;
  std::uint64_t seq = 0;
  bool poss_dup = false;
  bool gap_fill = false;
  bool reset_seq_num = false;
  std::uint64_t begin_seq = 0;       // 7
  std::uint64_t end_seq = 0;         // 16
  std::uint64_t new_seq = 0;         // 36
  std::uint64_t ref_seq = 0;         // 45
  char exec_type = 0;                // 150
  char ord_status = 0;               // 39
  std::string_view cl_ord_id;        // 11
  std::string_view orig_cl_ord_id;   // 41
  std::string_view test_req_id;      // 112
  std::string_view business_ref_id;  // 379
  std::string_view text;             // 58
};

enum class FrameStatus : std::uint8_t {
  kMessage,      // a valid message: `consumed` bytes, fields in `msg`
  kNeedMore,     // no complete message yet
  kBadChecksum,  // a framed message whose CheckSum is wrong: skip `consumed` bytes
  kBadLength,    // BodyLength does not end at "10=": skip `consumed` bytes (to the real trailer)
  kGarbage,      // bytes that do not start a message: skip `consumed` bytes
};

struct Frame {
  FrameStatus status;
  std::size_t consumed = 0;
};

// Looks at the start of `data`. On kMessage `msg` is filled in; otherwise it is unspecified.
Frame next_frame(std::string_view data, InboundMessage& msg);

// Parses a non-negative decimal integer made only of digits (no sign, no spaces); false otherwise.
bool parse_uint(std::string_view s, std::uint64_t& out);

}  // namespace venue::fix_wire

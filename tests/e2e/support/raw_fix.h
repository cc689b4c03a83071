#pragma once
// A FIX client with no FIX engine: hand-built messages over a plain TCP socket, for what a real engine
// would never send (bad checksums, oversized BodyLength, wrong CompIDs, logons without credentials) and
// for logons the venue must refuse without moving any sequence number.
//
//   RawFixClient c(fix_port);
//   c.send(raw_message("A", 1, "BRK1", "VENUE", {{98, "0"}, {108, "5"}, {553, "brk1"}, {554, "bad"}}));
//   auto logout = c.read(2s);          // the venue's answer, parsed
//   BOOST_TEST(c.closed_within(2s));   // and the connection is closed
//
// Thread rules: one thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace venue::e2e {

using RawFields = std::vector<std::pair<int, std::string>>;

// A complete FIX 4.4 message: 8, 9 (computed), 35, 34, 49, 52, 56, the body fields, 10 (computed).
std::string raw_message(const std::string& type, int seq, const std::string& sender, const std::string& target,
                        const RawFields& body);
// 8=...|9=<body length>|<body>10=<checksum>| around `body` (which must start with 35= and end with SOH).
std::string frame_fix(const std::string& body, const std::string& begin_string = "FIX.4.4");
// The same message with its CheckSum(10) changed to a wrong value.
std::string with_bad_checksum(std::string msg);

// A parsed message: its fields in order.
struct RawMessage {
  std::string text;
  RawFields fields;
  std::optional<std::string> get(int tag) const;
  std::string type() const { return get(35).value_or(""); }
};
std::optional<RawMessage> parse_fix(const std::string& text);

class RawFixClient {
 public:
  explicit RawFixClient(std::uint16_t port);
  ~RawFixClient();
  RawFixClient(const RawFixClient&) = delete;
  RawFixClient& operator=(const RawFixClient&) = delete;

  void send(const std::string& bytes);
  // The next complete message, or nullopt (timeout or connection closed).
  std::optional<RawMessage> read(std::chrono::milliseconds timeout);
  // Reads until a message matching `type` arrives (others are kept in skipped()).
  std::optional<RawMessage> read_until(const std::string& type, std::chrono::milliseconds timeout);
  // True when the venue closes the connection within `timeout` (pending messages are read and kept).
  bool closed_within(std::chrono::milliseconds timeout);
  bool closed() const { return closed_; }
  const std::vector<RawMessage>& skipped() const { return skipped_; }

 private:
  bool fill(std::chrono::milliseconds timeout);
  std::optional<RawMessage> take();

  int fd_ = -1;
  bool closed_ = false;
  std::string buffer_;
  std::vector<RawMessage> skipped_;
};

}  // namespace venue::e2e

#pragma once
// Cuts a TCP byte stream into FIX messages, as FIX's transport rules say:
//   8=BeginString|9=BodyLength|...|10=CheckSum|
// A message is complete when BodyLength bytes after the 9= field are followed by a 10=nnn field. Bytes
// that cannot start a message (garbage, a BeginString field over 32 bytes, a BodyLength that does not
// lead to a CheckSum) are skipped up to the next "8=FIX" and counted; what is framed never depends on
// how the stream was cut into reads (fix_framer_fuzz checks it): FIX says a garbled message is ignored, and the session
// layer then recovers the sequence gap. The checksum itself is checked by the session layer (QuickFIX). A BodyLength
// above the limit, or more unframeable input than a message may be long, is refused: the caller closes the connection
// (a client cannot make the venue buffer without bound).
//
// Thread rules: one per connection, one thread.

#include <cstdint>
#include <string>
#include <vector>

namespace venue::fix_session {

class FixFramer {
 public:
  enum class Status : std::uint8_t { kOk, kOversized };

  explicit FixFramer(std::size_t max_body_bytes) : max_body_(max_body_bytes) {}

  // Adds bytes and appends every complete message to `out`.
  Status push(const char* data, std::size_t size, std::vector<std::string>& out);

  std::uint64_t errors() const { return errors_; }
  std::size_t buffered() const { return in_.size(); }
  // True when the bytes waiting hold a whole CheckSum field (<SOH>10=nnn<SOH>): the message they end was
  // not framed, so its BodyLength is wrong (too long: no more bytes will make it whole).
  bool holds_trailer() const;

 private:
  std::size_t max_body_;
  std::string in_;
  std::uint64_t errors_ = 0;
};

}  // namespace venue::fix_session

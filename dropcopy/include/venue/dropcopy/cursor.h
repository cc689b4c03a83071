#pragma once
// A drop-copy session's cursor: one line in a file next to the session's store files
// (FIX.4.4-<comp>-<client>.cursor) saying what the service has done for the session, so a restart can
// tell whether the store is behind (lost, deleted, restored from an older copy) and must be caught up
// from Kafka, and what a client that resets its sequence numbers was never sent:
//   venue-dropcopy-cursor 2 store-seq=<n> stored=<seq>:<ns> sent=<seq>:<ns> catch-up=<seq>:<ns>|none
//       sent-through=<topic>/<partition>@<offset>,...|none
// store-seq: the store's next outgoing MsgSeqNum when the line was written (a store that has fewer lost
// messages: it is behind); stored: the highest venue seq stored in the session's store; sent: the highest
// sent to the client while it was logged on; catch-up: the mark of a catch-up from Kafka not finished yet.
// Each venue seq comes with its report's TransactTime (ns since the epoch), which is where Kafka is
// searched from. sent-through: per partition of the topic, the offset below which every record in the
// session's scope went to the client while it was logged on (a highest venue seq alone cannot say that:
// partitions are read unevenly, so a record with a lower venue seq can come later). Version 1 lines
// (without sent-through) are still read.
//
// Thread rules: plain values and pure functions.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace venue::dropcopy {

struct Mark {
  std::uint64_t seq = 0;
  std::int64_t ns = 0;
  bool operator==(const Mark&) const = default;
};

struct Cursor {
  int store_seq = 1;
  Mark stored;
  Mark sent;
  std::optional<Mark> catch_up;
  std::string topic;                                  // the topic of sent_through; empty when none
  std::map<std::int32_t, std::int64_t> sent_through;  // partition -> offset
  bool operator==(const Cursor&) const = default;
};

std::string cursor_text(const Cursor& c);
// Offsets per partition of one topic, as the cursor's sent-through and the file of copied venue-seqs'
// handled-through write them: "<topic>/<partition>@<offset>,..." (partitions ascending), or "none" when
// `topic` or `offsets` is empty.
std::string offsets_text(const std::string& topic, const std::map<std::int32_t, std::int64_t>& offsets);
// Reads what offsets_text() writes ("none": true, topic and offsets left empty); false when malformed.
bool parse_offsets(const std::string& value, std::string& topic, std::map<std::int32_t, std::int64_t>& offsets);
// nullopt when `text` is not a cursor line of version 1 or 2 (the caller logs DC001 and checks the store
// against Kafka instead).
std::optional<Cursor> parse_cursor(const std::string& text);

}  // namespace venue::dropcopy

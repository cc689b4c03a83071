#pragma once
// The engine's journal: the source of truth for a shard's state.
//
// Every state-changing command is given the next sequence number and appended, write-ahead, before any
// of its outcomes leaves the engine. Records are checksummed (CRC-32C) and written in batches (one
// write() per batch). The journal is a folder of segment files `journal-<first seq>.log`; a writer
// always starts a new segment, and rotates when a segment grows past segment_bytes.
//
// Sync policy: kWrite (default) returns once the batch is in the kernel, so a crash of the process
// loses nothing acknowledged; kFdatasync also waits for the disk, so a power loss loses nothing either.
//
// Recovery (replay_journal) reads the segments in order and hands every command after a given sequence
// to the caller. A torn record at the very end of the last segment (a write cut short) is cut off;
// damage anywhere else (a bad checksum or a gap with valid records after it) stops start-up with a
// JournalError naming the file, the byte offset and the reason.
//
// Snapshots (`snapshot-<seq>.snap`, the engine's canonical state with its hash, checksummed) bound
// replay time: recovery loads the newest valid snapshot and replays only what follows it.
//
// On-disk layout (native little-endian):
//   segment header: "VENUEJNL" u32 version u16 shard u16 0 u64 first_seq
//   record:         u32 len  u32 crc32c(of the len bytes that follow)  u64 seq  u8 kind  body
//     kind 1 command:    u8 type  i64 now_ns  <the command's union member>
//     kind 2 checkpoint: u64 state_hash   (seq = the last command's; written at clean shutdown)
//
// Thread rules: a JournalWriter belongs to the shard's engine thread; the free functions may run on
// any thread, but not on a folder a writer is appending to (except read-only replay with
// repair_tail=false).
//
// Its place in the venue's recovery protocol (what is written before what, synced when, replayed how):
// spec/recovery.md.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "venue/matcher/commands.h"

namespace venue::matcher {

class JournalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class SyncPolicy : std::uint8_t { kWrite = 0, kFdatasync };

struct JournalSettings {
  std::filesystem::path dir;
  std::uint16_t shard = 0;
  SyncPolicy sync = SyncPolicy::kWrite;
  std::uint64_t segment_bytes = 256ULL << 20;
};

class JournalWriter {
 public:
  static constexpr std::uint32_t kFormatVersion = 1;

  // Creates the folder if needed and a new segment starting at next_seq.
  JournalWriter(const JournalSettings& settings, std::uint64_t next_seq);
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Buffers a command; its seq must be next_seq(). Nothing is written until flush().
  void append(const Command& c);
  // Buffers a checkpoint: the state hash after the last appended command.
  void append_checkpoint(std::uint64_t state_hash);
  // Writes everything buffered with one write() and syncs per policy. Throws JournalError; after an
  // error the writer refuses further use.
  void flush();

  std::uint64_t next_seq() const { return next_seq_; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  std::uint64_t flushes() const { return flushes_; }

 private:
  void open_segment();
  void write_all(const std::uint8_t* data, std::size_t size);

  JournalSettings settings_;
  std::uint64_t next_seq_;
  int fd_ = -1;
  std::uint64_t segment_size_ = 0;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t bytes_written_ = 0;
  std::uint64_t flushes_ = 0;
  bool failed_ = false;
};

struct ReplayResult {
  std::uint64_t last_seq = 0;     // the last command's seq in the journal (0: none)
  std::uint64_t replayed = 0;     // commands handed to on_command
  std::uint64_t checkpoints = 0;  // checkpoints handed to on_checkpoint
  bool tail_truncated = false;
  std::uint64_t truncated_bytes = 0;
  std::string truncated_file;
};

// Replays every command with after_seq < seq <= up_to, in order. Checkpoints in that range go to
// on_checkpoint (which may throw to stop). With repair_tail, a torn tail is truncated on disk (only when
// the replay reads to the end).
ReplayResult replay_journal(const JournalSettings& settings, std::uint64_t after_seq,
                            const std::function<void(const Command&)>& on_command,
                            const std::function<void(std::uint64_t seq, std::uint64_t state_hash)>& on_checkpoint,
                            bool repair_tail, std::uint64_t up_to = UINT64_MAX);

struct SnapshotInfo {
  std::filesystem::path file;
  std::uint64_t seq = 0;
};

// Writes a snapshot atomically (temporary file, fsync, rename, fsync of the folder).
void write_snapshot(const JournalSettings& settings, std::uint64_t seq, const std::vector<std::uint8_t>& state,
                    std::uint64_t state_hash);
// Snapshots in the folder, newest first (by name; validity is checked by read_snapshot). A folder that
// cannot be read is a JournalError.
std::vector<SnapshotInfo> list_snapshots(const JournalSettings& settings);
// Reads and verifies a snapshot (header, shard, checksum). False with the reason when invalid.
bool read_snapshot(const SnapshotInfo& info, const JournalSettings& settings, std::vector<std::uint8_t>& state,
                   std::uint64_t& state_hash, std::string& error);
// Deletes all but the newest `keep` snapshots and the segments that only hold commands older than the
// oldest kept snapshot. A file that cannot be removed is a JournalError (after removing the others).
void prune_journal(const JournalSettings& settings, std::size_t keep);

}  // namespace venue::matcher

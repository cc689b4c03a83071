#pragma once
// The gateway's order-identity log: what the engine does not keep but every ExecutionReport must echo
// (ClOrdID, OrigClOrdID, the Account text, OrderCapacity, ...), keyed by the client_ref the engine
// carries for each order. It is written (into the kernel, one write per gateway loop turn) before the
// commands it describes are handed to the engine, so after a restart every order the journal brings
// back has its identity. At start-up the log is read, then rewritten with only what is still needed
// (compaction), so it does not grow without bound.
//
// Record: u32 length, u32 crc32c, payload (framed_records.h). A torn record at the end is ignored (its
// command never reached the engine); a damaged record with whole ones after it (a bad disk) is skipped
// and counted, and the ones after it are read.
//
// Thread rules: the gateway thread.
//
// Its place in the venue's recovery protocol (what is written before what, synced when, replayed how):
// spec/recovery.md.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace venue::fix_gateway {

struct Identity {
  std::uint64_t ref = 0;
  std::uint8_t kind = 0;  // 'D', 'F', 'G', 'q'
  std::uint32_t session = 0;
  std::uint32_t account = 0;
  char capacity = 0;  // OrderCapacity(528), 0 when absent
  char stp = 0;       // tag 8000 as sent, 0 when absent
  bool post_only = false;
  std::string clordid;
  std::string orig_clordid;
  std::string expire_time;  // ExpireTime(126) text as sent
};

class IdentityLog {
 public:
  // Opens (creating) dir/identity.log and reads it.
  explicit IdentityLog(std::filesystem::path dir);
  ~IdentityLog();
  IdentityLog(const IdentityLog&) = delete;
  IdentityLog& operator=(const IdentityLog&) = delete;

  const std::unordered_map<std::uint64_t, Identity>& loaded() const { return loaded_; }
  // Keeps only the identities `keep` says yes to, rewriting the file atomically.
  void compact(const std::function<bool(const Identity&)>& keep);

  void append(const Identity& id);
  // Writes what append() buffered; throws std::runtime_error on an I/O error.
  void flush();
  // Durable: flush() syncs what it wrote to disk (fdatasync) before it returns.
  void set_durable(bool durable) { durable_ = durable; }
  std::uint64_t bytes_written() const { return bytes_; }
  // Found at open: damaged records skipped (whole records followed them) and the bytes of a torn tail.
  std::uint64_t damaged_records() const { return damaged_; }
  std::uint64_t torn_bytes() const { return torn_bytes_; }

 private:
  void open_for_append();
  std::filesystem::path dir_;
  std::filesystem::path file_;
  int fd_ = -1;
  std::string buffer_;
  std::unordered_map<std::uint64_t, Identity> loaded_;
  std::uint64_t damaged_ = 0;
  std::uint64_t torn_bytes_ = 0;
  std::uint64_t bytes_ = 0;
  bool durable_ = false;
};

}  // namespace venue::fix_gateway

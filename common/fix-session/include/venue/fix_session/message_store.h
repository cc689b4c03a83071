#pragma once
// VenueStore / VenueStoreFactory: the message store of every FIX session (every ExecutionReport stays
//     resendable). It keeps QuickFIX FileStore's files and format (<BeginString>-<Sender>-<Target>.body,
//     .header, .seqnums, .session; either can open what the other wrote), but writes in batches:
//     FileStore seeks, re-reads a block and flushes two or three files for every message (about ten
//     system calls each), which cost the venue and the drop copy a large share of their CPU. Here a
//     message and the sequence numbers are kept in memory until VenueStoreFactory::flush_all(), which
//     VenueAcceptor calls before it writes anything to a socket, so nothing reaches a counterparty
//     before it is in the store (in the OS: FileStore does not fsync either). The gateway also flushes
//     before it hands commands to the engine, so an order never reaches the engine before the incoming
//     sequence number of the message that carried it is written: after a crash, the broker's resend of
//     an order the engine took is below the expected number and dropped. A store that cannot be
//     written stops the process (fail-stop, exit code 74): sending what cannot be resent is worse.
//     A sequence reset starts new files (the old ones are moved aside and deleted on another thread:
//     truncating them in place waited for the disk) and forgets every offset (FileStore 1.15.1 kept stale
//     offsets after a reset, so a resend could read the wrong bytes). Memory does not grow with the
//     session day: FileStore keeps an offset per message; here one mark per 256 messages says where to
//     read .header from, and a resend reads the entries it needs from there.
//
// Thread rules: QuickFIX calls these on the gateway thread; flush_all() on the same thread.
//
// Its place in the venue's recovery protocol (what is written before what, synced when, replayed how):
// spec/recovery.md.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "venue/fix_session/quickfix.h"

namespace venue::fix_session {

class VenueStoreFactory;

class VenueStore final : public FIX::MessageStore {
 public:
  // Opens (or creates) the session's files under `path`. Throws FIX::IOException.
  VenueStore(const std::string& path, const FIX::SessionID& id, VenueStoreFactory* owner = nullptr);
  ~VenueStore() override;  // flushes what is pending (best effort)
  VenueStore(const VenueStore&) = delete;
  VenueStore& operator=(const VenueStore&) = delete;

  bool set(int n, const std::string& m) QF_THROW(FIX::IOException) override;
  void get(int begin, int end, std::vector<std::string>& out) const QF_THROW(FIX::IOException) override;
  int getNextSenderMsgSeqNum() const QF_THROW(FIX::IOException) override { return next_sender_; }
  int getNextTargetMsgSeqNum() const QF_THROW(FIX::IOException) override { return next_target_; }
  void setNextSenderMsgSeqNum(int n) QF_THROW(FIX::IOException) override;
  void setNextTargetMsgSeqNum(int n) QF_THROW(FIX::IOException) override;
  void incrNextSenderMsgSeqNum() QF_THROW(FIX::IOException) override { setNextSenderMsgSeqNum(next_sender_ + 1); }
  void incrNextTargetMsgSeqNum() QF_THROW(FIX::IOException) override { setNextTargetMsgSeqNum(next_target_ + 1); }
  FIX::UtcTimeStamp getCreationTime() const QF_THROW(FIX::IOException) override { return creation_; }
  void reset() QF_THROW(FIX::IOException) override;
  void refresh() QF_THROW(FIX::IOException) override;

  // Writes what is pending to the files. Throws FIX::IOException.
  // Writes what is pending; durable: also fdatasync()s each file written (see VenueStoreFactory).
  void flush(bool durable = false);
  // How many times QuickFIX reset this store (ResetSeqNumFlag, the session schedule) since it was opened.
  std::uint64_t resets() const { return resets_; }
  // What the store keeps in memory to find messages for a resend (one entry per 256 messages).
  std::size_t index_entries() const { return marks_.size(); }

 private:
  void open(bool truncate);
  void close_files();
  void pending();

  VenueStoreFactory* owner_;
  std::string body_name_;
  std::string header_name_;
  std::string seqnums_name_;
  std::string session_name_;
  int body_fd_ = -1;
  int header_fd_ = -1;
  int seqnums_fd_ = -1;
  void note_entry(int seq, off_t header_offset);
  static constexpr std::uint64_t kMarkEvery = 256;
  // Every kMarkEvery-th header entry: its sequence number and where it starts in .header.
  std::vector<std::pair<int, off_t>> marks_;
  std::uint64_t entries_ = 0;
  int last_seq_ = 0;
  bool ascending_ = true;     // every entry's number above the one before (else a resend reads all)
  off_t header_flushed_ = 0;  // bytes of .header on disk; header_buf_ follows them
  off_t body_flushed_ = 0;    // bytes of the body file on disk; body_buf_ follows them
  std::string body_buf_;
  std::string header_buf_;
  int next_sender_ = 1;
  int next_target_ = 1;
  bool seqnums_dirty_ = false;
  bool queued_ = false;  // in the owner's list of stores with something pending
  FIX::UtcTimeStamp creation_;
  std::uint64_t resets_ = 0;
  std::uint64_t discards_ = 0;  // files moved aside by resets (their names' numbers)
  std::thread discarder_;       // deletes the files the last reset moved aside
  friend class VenueStoreFactory;
};

class VenueStoreFactory final : public FIX::MessageStoreFactory {
 public:
  explicit VenueStoreFactory(std::string path) : path_(std::move(path)) {}
  FIX::MessageStore* create(const FIX::SessionID& id) override;
  void destroy(FIX::MessageStore* store) override;
  // The store of a session (Session::getStore() answers QuickFIX's wrapper, not this); null if none.
  const VenueStore* find(const FIX::SessionID& id) const {
    const auto it = created_.find(id);
    return it == created_.end() ? nullptr : it->second;
  }
  // Writes every store's pending messages and sequence numbers. A store that cannot be written stops
  // the process (logged, exit code 74).
  void flush_all();
  // Durable: flush_all() also syncs every file it writes to disk before it returns, so a message sent
  // after it survives a power cut in the store ([engine] sync = "fdatasync"; spec/recovery.md).
  void set_durable(bool durable) { durable_ = durable; }

 private:
  friend class VenueStore;
  bool durable_ = false;
  std::string path_;
  std::map<FIX::SessionID, VenueStore*> created_;
  std::vector<VenueStore*> pending_;
};

}  // namespace venue::fix_session

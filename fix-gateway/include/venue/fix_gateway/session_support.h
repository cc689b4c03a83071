#pragma once
// QuickFIX plumbing the venue provides itself:
//   VenueStoreFactory: a FileStore per session (every ExecutionReport stays resendable), except that a
//     sequence reset gives the session a fresh FileStore object: FileStore::reset() in QuickFIX 1.15.1
//     truncates the files but keeps its offsets table, so a resend after a reset could read the wrong
//     bytes.
//   JsonLogFactory: session events (logon, logout, resets, rejects) go to the venue's JSON log; the
//     messages themselves are not logged (they are in the store; logging each would cost a write).
//
// Thread rules: QuickFIX calls these on the gateway thread.

#include <memory>
#include <string>

#include "venue/fix_gateway/quickfix.h"

namespace venue::fix_gateway {

class VenueStore final : public FIX::MessageStore {
 public:
  VenueStore(std::string path, const FIX::SessionID& id);
  bool set(int n, const std::string& m) QF_THROW(FIX::IOException) override { return inner_->set(n, m); }
  void get(int b, int e, std::vector<std::string>& out) const QF_THROW(FIX::IOException) override {
    inner_->get(b, e, out);
  }
  int getNextSenderMsgSeqNum() const QF_THROW(FIX::IOException) override { return inner_->getNextSenderMsgSeqNum(); }
  int getNextTargetMsgSeqNum() const QF_THROW(FIX::IOException) override { return inner_->getNextTargetMsgSeqNum(); }
  void setNextSenderMsgSeqNum(int n) QF_THROW(FIX::IOException) override { inner_->setNextSenderMsgSeqNum(n); }
  void setNextTargetMsgSeqNum(int n) QF_THROW(FIX::IOException) override { inner_->setNextTargetMsgSeqNum(n); }
  void incrNextSenderMsgSeqNum() QF_THROW(FIX::IOException) override { inner_->incrNextSenderMsgSeqNum(); }
  void incrNextTargetMsgSeqNum() QF_THROW(FIX::IOException) override { inner_->incrNextTargetMsgSeqNum(); }
  FIX::UtcTimeStamp getCreationTime() const QF_THROW(FIX::IOException) override { return inner_->getCreationTime(); }
  void reset() QF_THROW(FIX::IOException) override;
  void refresh() QF_THROW(FIX::IOException) override { inner_->refresh(); }

 private:
  std::string path_;
  FIX::SessionID id_;
  std::unique_ptr<FIX::FileStore> inner_;
};

class VenueStoreFactory final : public FIX::MessageStoreFactory {
 public:
  explicit VenueStoreFactory(std::string path) : path_(std::move(path)) {}
  FIX::MessageStore* create(const FIX::SessionID& id) override { return new VenueStore(path_, id); }
  void destroy(FIX::MessageStore* store) override { delete store; }

 private:
  std::string path_;
};

class JsonLogFactory final : public FIX::LogFactory {
 public:
  FIX::Log* create() override;
  FIX::Log* create(const FIX::SessionID& id) override;
  void destroy(FIX::Log* log) override { delete log; }
};

}  // namespace venue::fix_gateway

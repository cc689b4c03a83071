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

#include <cstdint>
#include <map>
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
  // How many times QuickFIX reset this store (ResetSeqNumFlag, the session schedule) since it was opened.
  std::uint64_t resets() const { return resets_; }

 private:
  std::uint64_t resets_ = 0;
  std::string path_;
  FIX::SessionID id_;
  std::unique_ptr<FIX::FileStore> inner_;
};

class VenueStoreFactory final : public FIX::MessageStoreFactory {
 public:
  explicit VenueStoreFactory(std::string path) : path_(std::move(path)) {}
  FIX::MessageStore* create(const FIX::SessionID& id) override {
    auto* store = new VenueStore(path_, id);
    created_[id] = store;
    return store;
  }
  void destroy(FIX::MessageStore* store) override {
    std::erase_if(created_, [&](const auto& entry) { return entry.second == store; });
    delete store;
  }
  // The store of a session (Session::getStore() answers QuickFIX's wrapper, not this); null if none.
  const VenueStore* find(const FIX::SessionID& id) const {
    const auto it = created_.find(id);
    return it == created_.end() ? nullptr : it->second;
  }

 private:
  std::string path_;
  std::map<FIX::SessionID, VenueStore*> created_;
};

class JsonLogFactory final : public FIX::LogFactory {
 public:
  FIX::Log* create() override;
  FIX::Log* create(const FIX::SessionID& id) override;
  void destroy(FIX::Log* log) override { delete log; }
};

}  // namespace venue::fix_gateway

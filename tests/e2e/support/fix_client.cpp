#include "e2e/support/fix_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/SSLSocketInitiator.h>
#include <quickfix/Session.h>
#include <quickfix/SocketInitiator.h>

#include "e2e/support/venue_process.h"

namespace venue::e2e {

namespace {

// The connected socket of this process whose local port is `port`, or -1.
int socket_with_local_port(std::uint16_t port) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    sockaddr_in local{};
    socklen_t len = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0 || local.sin_family != AF_INET ||
        ntohs(local.sin_port) != port) {
      continue;
    }
    sockaddr_in peer{};
    len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0) return fd;
  }
  return -1;
}

}  // namespace

FixClient::FixClient(ClientOptions options)
    : options_(std::move(options)), id_("FIX.4.4", options_.sender, options_.target) {
  dir_ = options_.dir / options_.sender;
  std::filesystem::create_directories(dir_ / "store");
  std::filesystem::create_directories(dir_ / "log");
  stores_ = std::make_unique<FIX::FileStoreFactory>((dir_ / "store").string());
  logs_ = std::make_unique<FIX::FileLogFactory>((dir_ / "log").string());
}

FixClient::~FixClient() {
  try {
    if (logged_on_) {
      logout(2s);
    } else {
      close();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "e2e: closing client %s: %s\n", options_.sender.c_str(), e.what());
  }
  close();
}

void FixClient::connect() {
  if (initiator_) throw std::runtime_error(options_.sender + ": already connected (call close() or drop() first)");
  // A fresh source port per connection, so drop() can find this connection's socket.
  source_port_ = free_port();
  std::ostringstream cfg;
  cfg << "[DEFAULT]\n"
      << "ConnectionType=initiator\n"
      << "ReconnectInterval=3600\n"
      << "FileStorePath=" << (dir_ / "store").string() << "\n"
      << "FileLogPath=" << (dir_ / "log").string() << "\n"
      << "StartTime=00:00:00\nEndTime=00:00:00\n"
      << (options_.dictionary.empty()
              ? std::string("UseDataDictionary=N\n")
              : "UseDataDictionary=Y\nDataDictionary=" + options_.dictionary.string() +
                    "\nValidateUserDefinedFields=Y\nAllowUnknownMsgFields=N\nValidateFieldsOutOfOrder=Y\n"
                    "ValidateFieldsHaveValues=Y\n")
      << "SocketNodelay=Y\n"
      << "HeartBtInt=" << options_.heartbeat_seconds << "\n"
      << "CheckLatency=N\n"
      << "ResetOnLogon=N\nResetOnLogout=N\nResetOnDisconnect=N\n"
      << "PersistMessages=Y\n"
      << "LogonTimeout=10\nLogoutTimeout=2\n";
  if (options_.tls) {
    // The venue's certificate is self-signed: no verification (the test is about the transport).
    cfg << "SSLProtocol=+TLSv1_2 +TLSv1_3\n"
        << "CertificateVerifyLevel=0\n";
  }
  cfg << "[SESSION]\n"
      << "BeginString=FIX.4.4\n"
      << "SenderCompID=" << options_.sender << "\n"
      << "TargetCompID=" << options_.target << "\n"
      << "SocketConnectHost=127.0.0.1\n"
      << "SocketConnectPort=" << options_.port << "\n"
      << "SocketConnectSourcePort=" << source_port_ << "\n";
  std::istringstream in(cfg.str());
  settings_ = std::make_unique<FIX::SessionSettings>(in);
  if (options_.tls) {
    initiator_ = std::make_unique<FIX::SSLSocketInitiator>(*this, *stores_, *settings_, *logs_);
  } else {
    initiator_ = std::make_unique<FIX::SocketInitiator>(*this, *stores_, *settings_, *logs_);
  }
  polling_ = true;
  poller_ = std::thread([this] {
    while (polling_.load()) {
      const auto before = activity_.load();
      try {
        initiator_->poll(0.0);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "e2e: %s: initiator poll failed: %s\n", options_.sender.c_str(), e.what());
        std::this_thread::sleep_for(10ms);
      }
      if (activity_.load() == before) std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });
}

void FixClient::logon(std::chrono::milliseconds timeout) {
  connect();
  if (!wait_logged_on(timeout)) {
    throw std::runtime_error(options_.sender + ": not logged on within " + std::to_string(timeout.count()) +
                             " ms; received:\n" + recent());
  }
}

bool FixClient::wait_logged_on(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return logged_on_.load(); });
}

bool FixClient::wait_logged_out(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return !logged_on_.load(); });
}

void FixClient::logout(std::chrono::milliseconds timeout) {
  if (initiator_ && logged_on_) {
    if (FIX::Session* s = FIX::Session::lookupSession(id_)) s->logout("client logs out");
    if (!wait_logged_out(timeout)) {
      std::fprintf(stderr, "e2e: %s: no Logout answer within %lld ms\n", options_.sender.c_str(),
                   static_cast<long long>(timeout.count()));
    }
  }
  close();
}

void FixClient::drop() {
  stop_polling();
  if (source_port_ != 0) {
    const int fd = socket_with_local_port(source_port_);
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  }
  logged_on_ = false;
  destroy_initiator();
}

void FixClient::close() {
  stop_polling();
  destroy_initiator();
}

void FixClient::stop_polling() {
  polling_ = false;
  if (poller_.joinable()) poller_.join();
}

void FixClient::destroy_initiator() {
  if (!initiator_) return;
  initiator_->stop(true);
  initiator_.reset();
  settings_.reset();
  source_port_ = 0;
  {
    std::lock_guard lock(mutex_);
    logged_on_ = false;
  }
  cv_.notify_all();
}

void FixClient::send(FIX::Message msg) {
  if (!FIX::Session::sendToTarget(msg, id_)) throw std::runtime_error(options_.sender + ": message not sent");
}

void FixClient::onLogon(const FIX::SessionID&) {
  {
    std::lock_guard lock(mutex_);
    logged_on_ = true;
  }
  ++activity_;
  cv_.notify_all();
}

void FixClient::onLogout(const FIX::SessionID&) {
  {
    std::lock_guard lock(mutex_);
    logged_on_ = false;
  }
  ++activity_;
  cv_.notify_all();
}

void FixClient::toAdmin(FIX::Message& m, const FIX::SessionID&) {
  if (m.getHeader().getField(FIX::FIELD::MsgType) == "A") {
    if (!options_.username.empty()) m.setField(FIX::FIELD::Username, options_.username);
    if (!options_.password.empty()) m.setField(FIX::FIELD::Password, options_.password);
    if (options_.reset_seq_num) m.setField(FIX::FIELD::ResetSeqNumFlag, "Y");
  }
  record_out(m);
}

void FixClient::toApp(FIX::Message& m, const FIX::SessionID&) throw(FIX::DoNotSend) { record_out(m); }

void FixClient::fromAdmin(const FIX::Message& m,
                          const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                       FIX::IncorrectTagValue, FIX::RejectLogon) {
  record_in(m);
}

void FixClient::fromApp(const FIX::Message& m,
                        const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                     FIX::IncorrectTagValue, FIX::UnsupportedMessageType) {
  record_in(m);
}

void FixClient::record_in(const FIX::Message& m) {
  {
    std::lock_guard lock(mutex_);
    in_.push_back(Received{m, std::chrono::steady_clock::now()});
  }
  ++activity_;
  cv_.notify_all();
}

void FixClient::record_out(const FIX::Message& m) {
  {
    std::lock_guard lock(mutex_);
    out_.push_back(m);
  }
  ++activity_;
}

std::optional<FIX::Message> FixClient::wait_for(const std::function<bool(const FIX::Message&)>& pred,
                                                std::chrono::milliseconds timeout, std::size_t from) const {
  std::unique_lock lock(mutex_);
  std::size_t next = from;
  std::optional<FIX::Message> found;
  cv_.wait_for(lock, timeout, [&] {
    for (; next < in_.size(); ++next) {
      if (pred(in_[next].msg)) {
        found = in_[next].msg;
        return true;
      }
    }
    return false;
  });
  return found;
}

FIX::Message FixClient::expect(const Match& m, std::chrono::milliseconds timeout, std::size_t from) const {
  auto found = wait_for(m, timeout, from);
  if (!found) {
    throw std::runtime_error(options_.sender + ": no " + m.describe() + " within " + std::to_string(timeout.count()) +
                             " ms; last messages received:\n" + recent());
  }
  return *found;
}

bool FixClient::none_within(const Match& m, std::chrono::milliseconds quiet, std::size_t from) const {
  return !wait_for(m, quiet, from).has_value();
}

std::vector<FIX::Message> FixClient::all(const std::function<bool(const FIX::Message&)>& pred) const {
  std::lock_guard lock(mutex_);
  std::vector<FIX::Message> out;
  for (const auto& r : in_) {
    if (pred(r.msg)) out.push_back(r.msg);
  }
  return out;
}

std::vector<Received> FixClient::received() const {
  std::lock_guard lock(mutex_);
  return in_;
}

std::vector<FIX::Message> FixClient::sent() const {
  std::lock_guard lock(mutex_);
  return out_;
}

std::size_t FixClient::count() const {
  std::lock_guard lock(mutex_);
  return in_.size();
}

std::string FixClient::recent(std::size_t n) const {
  std::lock_guard lock(mutex_);
  std::string s;
  const std::size_t first = in_.size() > n ? in_.size() - n : 0;
  for (std::size_t i = first; i < in_.size(); ++i) s += "  " + printable(in_[i].msg) + "\n";
  if (s.empty()) s = "  (nothing)\n";
  return s;
}

int FixClient::next_sender_seq() const {
  FIX::Session* s = FIX::Session::lookupSession(id_);
  return s != nullptr ? s->getExpectedSenderNum() : -1;
}

int FixClient::next_target_seq() const {
  FIX::Session* s = FIX::Session::lookupSession(id_);
  return s != nullptr ? s->getExpectedTargetNum() : -1;
}

}  // namespace venue::e2e

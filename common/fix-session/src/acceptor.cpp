#include "venue/fix_session/acceptor.h"

#include "acceptor_impl.h"

namespace venue::fix_session {

using namespace acceptor_detail;

VenueAcceptor::VenueAcceptor(FIX::Application& app, FIX::MessageStoreFactory& stores,
                             const FIX::SessionSettings& settings, FIX::LogFactory& logs, AcceptorSettings acceptor,
                             LogonGate& gate)
    : FIX::Acceptor(app, stores, settings, logs), impl_(std::make_unique<Impl>()), gate_(gate) {
  impl_->self = this;
  impl_->app = &app;
  impl_->stores = dynamic_cast<VenueStoreFactory*>(&stores);
  impl_->settings = std::move(acceptor);
  impl_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->epoll_fd < 0 || impl_->wake_fd < 0) throw FIX::RuntimeError("epoll/eventfd: " + errno_text());
  impl_->add(impl_->wake_fd, &Impl::kWakeTag, EPOLLIN);
  impl_->checker = std::make_unique<PasswordChecker>([this] { wake(); });
  impl_->factory = std::make_unique<FIX::SessionFactory>(app, stores, &logs);
}

VenueAcceptor::~VenueAcceptor() {
  stop(true);
  for (auto& [id, c] : impl_->connections) impl_->drop(*c);
  impl_->connections.clear();
  impl_->checker.reset();
  for (auto& [id, s] : impl_->added) impl_->factory->destroy(s);
  impl_->added.clear();
  for (int fd : {impl_->plain_fd, impl_->tls_fd, impl_->wake_fd, impl_->epoll_fd}) {
    if (fd >= 0) ::close(fd);
  }
  if (impl_->ssl_ctx != nullptr) SSL_CTX_free(impl_->ssl_ctx);
}

void VenueAcceptor::onConfigure(const FIX::SessionSettings&) QF_THROW(FIX::ConfigError) {}

void VenueAcceptor::onInitialize(const FIX::SessionSettings&) QF_THROW(FIX::RuntimeError) {
  auto& s = impl_->settings;
  if (s.plain_port != 0 && impl_->plain_fd < 0) {
    impl_->plain_fd = listen_on(s.plain_address, s.plain_port);
    impl_->add(impl_->plain_fd, &Impl::kPlainTag, EPOLLIN);
  }
  if (s.tls_port != 0 && impl_->tls_fd < 0) {
    impl_->ssl_ctx = SSL_CTX_new(TLS_server_method());
    if (impl_->ssl_ctx == nullptr) throw FIX::RuntimeError("TLS: " + ssl_error_text());
    SSL_CTX_set_min_proto_version(impl_->ssl_ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(impl_->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // No TLS 1.3 session tickets: OpenSSL sends two by default, and engines that read one TLS record per
    // read (QuickFIX/J 2.3 on MINA 2.1) then leave the Logon reply unread in their buffer. A FIX session
    // lives all day; resuming a TLS session saves nothing worth that.
    SSL_CTX_set_num_tickets(impl_->ssl_ctx, 0);
    if (SSL_CTX_use_certificate_chain_file(impl_->ssl_ctx, s.tls_certificate.c_str()) != 1) {
      throw FIX::RuntimeError("TLS: cannot load certificate " + s.tls_certificate + ": " + ssl_error_text());
    }
    if (SSL_CTX_use_PrivateKey_file(impl_->ssl_ctx, s.tls_private_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(impl_->ssl_ctx) != 1) {
      throw FIX::RuntimeError("TLS: cannot use private key " + s.tls_private_key + ": " + ssl_error_text());
    }
    impl_->tls_fd = listen_on(s.tls_address, s.tls_port);
    impl_->add(impl_->tls_fd, &Impl::kTlsTag, EPOLLIN);
  }
}

void VenueAcceptor::onStart() {
  while (!isStopped()) onPoll(1.0);
}

bool VenueAcceptor::onPoll(double timeout) {
  Impl& m = *impl_;
  if (isStopped()) return false;
  // Password checks that finished.
  for (const auto& r : m.checker->poll()) {
    for (auto& [id, c] : m.connections) {
      if (c->state == Connection::State::kAuthenticating && c->ticket == r.ticket) {
        m.password_checked(*c, r.ok);
        break;
      }
    }
  }
  epoll_event events[128];
  const int ms = timeout <= 0 ? 0 : std::max(1, static_cast<int>(timeout * 1000));
  const int n = ::epoll_wait(m.epoll_fd, events, 128, ms);
  for (int i = 0; i < n; ++i) {
    void* tag = events[i].data.ptr;
    if (tag == &Impl::kWakeTag) {
      std::uint64_t v = 0;
      [[maybe_unused]] auto r = ::read(m.wake_fd, &v, sizeof v);
      continue;
    }
    if (tag == &Impl::kPlainTag) {
      m.accept_from(m.plain_fd, false);
      continue;
    }
    if (tag == &Impl::kTlsTag) {
      m.accept_from(m.tls_fd, true);
      continue;
    }
    auto* c = static_cast<Connection*>(tag);
    if (c->fd < 0) continue;
    bool alive = true;
    if ((events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) alive = m.read_some(*c);
    if (alive && (events[i].events & EPOLLOUT) != 0) alive = m.write_out(*c);
    if (!alive) m.drop(*c);
  }
  // Session timers (heartbeats, test requests, logon and logout timeouts, the session schedule).
  const auto now = std::chrono::steady_clock::now();
  if (now >= m.next_timer) {
    m.next_timer = now + std::chrono::seconds(1);
    for (auto& [number, c] : m.connections) {
      if ((c->state == Connection::State::kAwaitLogon || c->state == Connection::State::kAuthenticating) &&
          now - c->accepted_at >= m.settings.logon_timeout) {
        ++m.self->counters_.logon_timeouts;
        VENUE_LOG_KV(warning, "no Logon in time: connection closed", {{"peer", c->peer}});
        m.close_later(*c);
      }
    }
    for (const auto& id : session_ids()) {
      if (FIX::Session* s = find_session(id)) {
        try {
          s->next();
        } catch (const std::exception& e) {
          VENUE_LOG_KV(error, "session timer failed", {{"session", id.toString()}, {"error", e.what()}});
        }
      }
    }
  }
  if (m.stores != nullptr) m.stores->flush_all();
  m.flush_dirty();
  m.finish_closing();
  return true;
}

void VenueAcceptor::onStop() {
  for (auto& [id, c] : impl_->connections) {
    impl_->write_out(*c);
    impl_->drop(*c);
  }
  impl_->connections.clear();
  impl_->dirty.clear();
  impl_->closing.clear();
}

void VenueAcceptor::flush() {
  if (impl_->stores != nullptr) impl_->stores->flush_all();  // even with no one to write to
  impl_->flush_dirty();
  impl_->finish_closing();
}

void VenueAcceptor::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(impl_->wake_fd, &one, sizeof one);
}

std::uint16_t VenueAcceptor::plain_port() const { return impl_->plain_fd >= 0 ? local_port(impl_->plain_fd) : 0; }
std::uint16_t VenueAcceptor::tls_port() const { return impl_->tls_fd >= 0 ? local_port(impl_->tls_fd) : 0; }

std::string VenueAcceptor::peer_address(const FIX::SessionID& id) const {
  for (const auto& [key, c] : impl_->connections) {
    if (c->fd >= 0 && c->state == Connection::State::kActive && c->session_id == id) return c->peer;
  }
  return {};
}

FIX::Session* VenueAcceptor::find_session(const FIX::SessionID& id) const {
  if (auto it = impl_->added.find(id); it != impl_->added.end()) return it->second;
  if (impl_->removed.contains(id)) return nullptr;
  return getSession(id);
}

std::vector<FIX::SessionID> VenueAcceptor::session_ids() const {
  std::vector<FIX::SessionID> out;
  for (const auto& id : getSessions()) {
    if (!impl_->removed.contains(id)) out.push_back(id);
  }
  for (const auto& [id, s] : impl_->added) out.push_back(id);
  return out;
}

FIX::Session* VenueAcceptor::add_session(const FIX::SessionID& id, const FIX::Dictionary& settings) {
  if (find_session(id) != nullptr) throw FIX::ConfigError("session " + id.toString() + " exists");
  if (impl_->removed.erase(id) > 0) {
    // A configured session comes back as itself: QuickFIX keeps one Session per id in a global registry,
    // so a second one for the same id must never exist.
    VENUE_LOG_KV(info, "session added back", {{"session", id.toString()}});
    return getSession(id);
  }
  FIX::Session* s = impl_->factory->create(id, settings);
  impl_->added.emplace(id, s);
  VENUE_LOG_KV(info, "session added", {{"session", id.toString()}});
  return s;
}

bool VenueAcceptor::remove_session(const FIX::SessionID& id) {
  FIX::Session* s = find_session(id);
  if (s == nullptr) return false;
  for (auto& [number, c] : impl_->connections) {
    if (c->fd >= 0 && c->session_id == id && c->state != Connection::State::kAwaitLogon) impl_->drop(*c);
  }
  if (auto it = impl_->added.find(id); it != impl_->added.end()) {
    impl_->factory->destroy(it->second);
    impl_->added.erase(it);
  } else {
    impl_->removed.insert(id);
  }
  VENUE_LOG_KV(info, "session removed", {{"session", id.toString()}});
  return true;
}

AcceptorMetrics::AcceptorMetrics(prometheus::Registry& registry, const std::string& prefix) {
  auto& events = prometheus::BuildCounter()
                     .Name(prefix + "_acceptor_events_total")
                     .Help("FIX acceptor events: connections, refusals, timeouts, framing and TLS errors")
                     .Register(registry);
  auto& bytes = prometheus::BuildCounter()
                    .Name(prefix + "_acceptor_bytes_total")
                    .Help("Bytes read from and written to FIX connections")
                    .Register(registry);
  const std::pair<std::uint64_t AcceptorCounters::*, const char*> kEvents[] = {
      {&AcceptorCounters::connections, "connection"},
      {&AcceptorCounters::logons_refused, "logon_refused"},
      {&AcceptorCounters::logon_timeouts, "logon_timeout"},
      {&AcceptorCounters::connections_shed, "connection_shed"},
      {&AcceptorCounters::read_budget_hits, "read_budget_hit"},
      {&AcceptorCounters::framing_errors, "framing_error"},
      {&AcceptorCounters::oversized, "oversized_message"},
      {&AcceptorCounters::slow_consumers, "slow_consumer"},
      {&AcceptorCounters::tls_handshake_failures, "tls_handshake_failure"},
      {&AcceptorCounters::unsupported_messages, "unsupported_message"},
      {&AcceptorCounters::writes, "write"}};
  for (const auto& [member, name] : kEvents) counters_.emplace_back(member, &events.Add({{"event", name}}));
  counters_.emplace_back(&AcceptorCounters::bytes_in, &bytes.Add({{"direction", "in"}}));
  counters_.emplace_back(&AcceptorCounters::bytes_out, &bytes.Add({{"direction", "out"}}));
}

void AcceptorMetrics::update(const AcceptorCounters& now) {
  for (const auto& [member, counter] : counters_) {
    const std::uint64_t delta = now.*member - last_.*member;
    if (delta > 0) counter->Increment(static_cast<double>(delta));
  }
  last_ = now;
}

}  // namespace venue::fix_session

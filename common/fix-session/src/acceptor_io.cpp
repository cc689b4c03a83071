// The acceptor's connections: accept, read and frame within a per-turn budget, write, close (acceptor_impl.h).
#include "acceptor_impl.h"

namespace venue::fix_session {

using namespace acceptor_detail;

void VenueAcceptor::Impl::add(int fd, void* tag, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = tag;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) throw FIX::RuntimeError("epoll_ctl: " + errno_text());
}

void VenueAcceptor::Impl::watch_output(Connection& c, bool on) {
  if (c.want_write == on || c.fd < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0U);
  ev.data.ptr = &c;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
  c.want_write = on;
}

void VenueAcceptor::Impl::accept_from(int listen_fd, bool tls) {
  for (;;) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        VENUE_LOG_KV(warning, "accept failed", {{"error", errno_text()}});
      }
      return;
    }
    if (pending_logons() >= settings.max_pending_logons) {
      // Closed at once, unread: a flood of connections that never log on costs a socket for a moment.
      if (self->counters_.connections_shed++ % 1000 == 0) {
        VENUE_LOG_KV(warning, "connection closed at accept: too many connections not logged on",
                     {{"limit", settings.max_pending_logons}, {"shed_so_far", self->counters_.connections_shed}});
      }
      ::close(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>();
    c->owner = this;
    c->fd = fd;
    c->tls = tls;
    char ip[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
    c->peer = ip;
    c->framer = FixFramer(settings.max_message_bytes);
    if (tls) {
      c->ssl = SSL_new(ssl_ctx);
      SSL_set_fd(c->ssl, fd);
      SSL_set_accept_state(c->ssl);
    }
    add(fd, c.get(), EPOLLIN | EPOLLRDHUP);
    ++self->counters_.connections;
    VENUE_LOG_KV(info, "connection accepted", {{"peer", c->peer}, {"tls", tls}});
    connections.emplace(next_connection++, std::move(c));
  }
}

std::size_t VenueAcceptor::Impl::pending_logons() const {
  std::size_t n = 0;
  for (const auto& [number, c] : connections) {
    n += c->state == Connection::State::kAwaitLogon || c->state == Connection::State::kAuthenticating ? 1 : 0;
  }
  return n;
}

std::size_t VenueAcceptor::Impl::password_checks() const {
  std::size_t n = 0;
  for (const auto& [number, c] : connections) n += c->state == Connection::State::kAuthenticating ? 1 : 0;
  return n;
}

// Reads what is there, up to the turn's budget; false when the connection is gone.
bool VenueAcceptor::Impl::read_some(Connection& c) {
  char buf[kReadChunk];
  std::size_t read_this_turn = 0;
  for (;;) {
    // The turn's budget spent: the rest waits for the next turn (epoll is level-triggered, so the
    // socket is reported again; bytes TLS already decrypted are read first, as epoll cannot see them).
    if (read_this_turn >= settings.read_budget_bytes && (!c.tls || SSL_pending(c.ssl) == 0)) {
      ++self->counters_.read_budget_hits;
      return true;
    }
    ssize_t n = 0;
    if (c.tls) {
      const int r = SSL_read(c.ssl, buf, static_cast<int>(sizeof buf));
      if (r <= 0) {
        const int err = SSL_get_error(c.ssl, r);
        if (err == SSL_ERROR_WANT_READ) return true;
        if (err == SSL_ERROR_WANT_WRITE) {
          watch_output(c, true);
          return true;
        }
        if (!c.handshake_done) {
          ++self->counters_.tls_handshake_failures;
          VENUE_LOG_KV(warning, "TLS handshake failed", {{"peer", c.peer}, {"error", ssl_error_text()}});
        }
        ERR_clear_error();
        return false;
      }
      c.handshake_done = true;
      n = r;
    } else {
      n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n == 0) return false;
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        if (errno == EINTR) continue;
        return false;
      }
    }
    self->counters_.bytes_in += static_cast<std::uint64_t>(n);
    read_this_turn += static_cast<std::size_t>(n);
    if (!frame(c, buf, static_cast<std::size_t>(n))) return false;
    if (c.state == Connection::State::kClosing) return true;
  }
}

// Cuts complete FIX messages off the input and hands them on. False: drop the connection.
bool VenueAcceptor::Impl::frame(Connection& c, const char* data, std::size_t size) {
  std::vector<std::string> messages;
  const auto errors_before = c.framer.errors();
  const auto status = c.framer.push(data, size, messages);
  self->counters_.framing_errors += c.framer.errors() - errors_before;
  // Before a Logon there is no session whose sequence gap FIX's "ignore a garbled message" protects: a
  // first message that cannot be framed (a BodyLength that does not lead to its CheckSum, or bytes that
  // are not FIX at all) closes the connection at once instead of holding it until the logon timeout.
  if (c.state == Connection::State::kAwaitLogon && messages.empty() &&
      (c.framer.errors() > errors_before || c.framer.holds_trailer())) {
    refuse_and_close(c, nullptr, "garbled first message: BodyLength(9) does not lead to its CheckSum(10)");
    return true;
  }
  for (auto& m : messages) {
    if (c.state == Connection::State::kClosing) break;
    deliver(c, std::move(m));
  }
  if (status == FixFramer::Status::kOversized) {
    ++self->counters_.oversized;
    VENUE_LOG_KV(warning, "message too large, disconnecting",
                 {{"peer", c.peer}, {"limit", settings.max_message_bytes}});
    return false;
  }
  return true;
}

void VenueAcceptor::Impl::mark_dirty(Connection& c) {
  if (c.out.size() - c.out_sent == 0) return;
  dirty.push_back(&c);
}

void VenueAcceptor::Impl::close_later(Connection& c) {
  if (c.state == Connection::State::kClosing) return;
  c.state = Connection::State::kClosing;
  closing.push_back(&c);
}

// Writes pending output; false when the connection broke. Whatever the sessions stored is written
// to their stores first: nothing goes out that a restart could not resend.
bool VenueAcceptor::Impl::write_out(Connection& c) {
  if (stores != nullptr) stores->flush_all();
  while (c.out_sent < c.out.size()) {
    const char* p = c.out.data() + c.out_sent;
    const std::size_t n = c.out.size() - c.out_sent;
    ssize_t w = 0;
    if (c.tls) {
      const int r = SSL_write(c.ssl, p, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
      if (r <= 0) {
        const int err = SSL_get_error(c.ssl, r);
        if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
          watch_output(c, true);
          return true;
        }
        ERR_clear_error();
        return false;
      }
      w = r;
    } else {
      w = ::send(c.fd, p, n, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          watch_output(c, true);
          return true;
        }
        if (errno == EINTR) continue;
        return false;
      }
    }
    ++self->counters_.writes;
    self->counters_.bytes_out += static_cast<std::uint64_t>(w);
    c.out_sent += static_cast<std::size_t>(w);
  }
  c.out.clear();
  c.out_sent = 0;
  watch_output(c, false);
  return true;
}

void VenueAcceptor::Impl::flush_dirty() {
  // Connections may be marked more than once; writing an empty buffer is a no-op.
  auto list = std::move(dirty);
  dirty.clear();
  for (Connection* c : list) {
    if (c->fd < 0) continue;
    if (!write_out(*c)) {
      drop(*c);
      continue;
    }
    if (c->out.size() - c->out_sent > settings.max_output_bytes) {
      ++self->counters_.slow_consumers;
      VENUE_LOG_KV(warning, "client reads too slowly, disconnecting (its messages stay in the store for resend)",
                   {{"peer", c->peer}, {"unsent_bytes", c->out.size() - c->out_sent}});
      drop(*c);
    }
  }
}

// Closes a connection at once (after trying to write what is pending if it was closing anyway).
void VenueAcceptor::Impl::drop(Connection& c) {
  if (c.fd < 0) return;
  FIX::Session* s = c.session;
  if (s != nullptr) responders.erase(s);
  c.session = nullptr;
  if (s != nullptr) s->disconnect();  // calls back c.disconnect(); tells the application
  if (c.registered) FIX::Session::unregisterSession(c.session_id);
  c.registered = false;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
  if (c.ssl != nullptr) {
    SSL_shutdown(c.ssl);
    SSL_free(c.ssl);
    c.ssl = nullptr;
  }
  ::close(c.fd);
  VENUE_LOG_KV(info, "connection closed", {{"peer", c.peer}});
  c.fd = -1;
  c.state = Connection::State::kClosing;
}

void VenueAcceptor::Impl::finish_closing() {
  auto list = std::move(closing);
  closing.clear();
  for (Connection* c : list) {
    if (c->fd >= 0) {
      write_out(*c);  // the Logout, if any: best effort
      drop(*c);
    }
  }
  // Free the dropped ones (nothing refers to them any more).
  for (auto it = connections.begin(); it != connections.end();) {
    if (it->second->fd < 0) {
      it = connections.erase(it);
    } else {
      ++it;
    }
  }
}

bool VenueAcceptor::Connection::send(const std::string& msg) {
  quickfix_sent_ms = acceptor_detail::coarse_ms();
  if (msg.find("\x01"
               "35=2\x01") != std::string::npos)
    resend_asked_ms = quickfix_sent_ms;
  return append(msg);
}

bool VenueAcceptor::Connection::append(std::string_view msg) {
  if (fd < 0 || state == State::kClosing) return false;
  const bool was_empty = out.size() == out_sent;
  out.append(msg);
  if (was_empty) owner->dirty.push_back(this);
  return true;
}

void VenueAcceptor::Connection::disconnect() {
  // Called by QuickFIX from inside the session; the connection closes after this loop turn, once the
  // Logout (if one was just queued) is written.
  if (session != nullptr) owner->responders.erase(session);
  session = nullptr;
  owner->close_later(*this);
}

}  // namespace venue::fix_session

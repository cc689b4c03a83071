// The drop copy's sessions (service_impl.h): set-up, the store read-back after a restart, the start-up
// check of each store against its cursor, writing the cursors, and the file of the venue-seqs the main
// path has copied. Runs on the FIX thread.
#include <fcntl.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "service_impl.h"
#include "venue/common/fd_io.h"
#include "venue/common/log.h"
#include "venue/fix_session/auth.h"
#include "venue/fix_session/fix_text.h"
#include "venue/fix_session/session_settings.h"

namespace venue::dropcopy {

namespace {

std::optional<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Writes `text` to `file` through a temporary and a rename; false (with the reason) when it could not.
// durable: the temporary is synced before the rename and the folder after it, so that after a power cut
// the file holds either its old or its new text, and the new one once this returned.
bool replace_file(const std::filesystem::path& file, const std::string& text, std::string& why, bool durable) {
  const auto tmp = file.string() + ".new";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    why = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  int err = common::write_fully(fd, text);
  if (err == 0 && durable) err = common::sync_data(fd);
  ::close(fd);
  if (err != 0) {
    why = "cannot write " + tmp + ": " + std::strerror(err);
    return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    why = ec.message();
    return false;
  }
  if (!durable) return true;
  const auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  if (const int e = common::sync_dir(dir.c_str()); e != 0) {
    why = "cannot sync " + dir.string() + ": " + std::strerror(e);
    return false;
  }
  return true;
}

}  // namespace

void Service::Impl::set_up_sessions() {
  settings = std::make_unique<FIX::SessionSettings>();
  settings->set(fsn::acceptor_defaults({.comp_id = cfg.comp_id,
                                        .session_start_time = cfg.session_start_time,
                                        .session_end_time = cfg.session_end_time,
                                        .data_dictionary = cfg.data_dictionary,
                                        .store_dir = cfg.store_dir}));
  sessions.resize(cfg.sessions.size());
  auto& reg = *registry;
  auto& delivered_family = prometheus::BuildCounter()
                               .Name("dropcopy_copies_delivered_total")
                               .Help("Copies stored for a session (sent when it is logged on)")
                               .Register(reg);
  auto& dup_family = prometheus::BuildCounter()
                         .Name("dropcopy_duplicates_skipped_total")
                         .Help(
                             "Reports a session already had: read again after a restart, or published again by "
                             "the venue under the same venue-seq")
                         .Register(reg);
  auto& seq_family = prometheus::BuildGauge()
                         .Name("dropcopy_session_last_venue_seq")
                         .Help("Venue seq of the last copy a session got")
                         .Register(reg);
  auto& delay_family = prometheus::BuildGauge()
                           .Name("dropcopy_session_delay_seconds")
                           .Help("Venue TransactTime to copy, last copy")
                           .Register(reg);
  auto& waiting_family = prometheus::BuildGauge()
                             .Name("dropcopy_session_copies_waiting")
                             .Help("Copies stored for a session while its client was logged out, not yet sent")
                             .Register(reg);
  auto& caught_up_family = prometheus::BuildCounter()
                               .Name("dropcopy_copies_caught_up_total")
                               .Help("Copies a session got from Kafka because its store was behind (marked PossResend)")
                               .Register(reg);
  for (std::size_t i = 0; i < cfg.sessions.size(); ++i) {
    const auto& sc = cfg.sessions[i];
    const FIX::SessionID id = fsn::add_session(*settings, cfg.comp_id, sc.sender_comp_id);
    Session& s = sessions[i];
    s.cfg = &sc;
    s.id = id;
    fsn::LogonRules rules{sc.username, sc.password_hash, {}, sc.tls};
    for (const auto& a : sc.allow_from) {
      if (auto cidr = fsn::parse_cidr(a)) rules.allow.push_back(*cidr);
    }
    gate.set(id, std::move(rules));
    s.firms.insert(sc.firms.begin(), sc.firms.end());
    s.accounts.insert(sc.accounts.begin(), sc.accounts.end());
    const std::map<std::string, std::string> labels{{"session", sc.sender_comp_id}};
    s.delivered = &delivered_family.Add(labels);
    s.skipped_duplicates = &dup_family.Add(labels);
    s.last_seq_gauge = &seq_family.Add(labels);
    s.delay_gauge = &delay_family.Add(labels);
    s.caught_up = &caught_up_family.Add(labels);
    s.waiting_gauge = &waiting_family.Add(labels);
    s.cursor_file = cfg.store_dir / ("FIX.4.4-" + cfg.comp_id + "-" + sc.sender_comp_id + ".cursor");
    index[id] = i;
  }
  stores = std::make_unique<fsn::VenueStoreFactory>(cfg.store_dir.string());
  stores->set_durable(cfg.durable);
  logs = std::make_unique<fsn::JsonLogFactory>();
  fsn::AcceptorSettings as;
  as.plain_port = cfg.fix_port;
  as.tls_port = cfg.tls_port;
  as.tls_certificate = cfg.tls_certificate.string();
  as.tls_private_key = cfg.tls_private_key.string();
  as.comp_id = cfg.comp_id;
  as.supported_app_types = {"D", "F", "G", "H", "q"};  // refused with 380=6 rather than 380=3
  acceptor = std::make_unique<fsn::VenueAcceptor>(*this, *stores, *settings, *logs, as, gate);
  acceptor_metrics = std::make_unique<fsn::AcceptorMetrics>(*registry, "dropcopy");
  for (auto& s : sessions) {
    s.fix = acceptor->getSession(s.id);
    remember_stored(s);
    check_store(s);
  }
}

// The venue seqs of a session's most recent copies, read back from its store: a restart does not copy
// them again. Anything older was committed to Kafka before and is not read again.
void Service::Impl::remember_stored(Session& s) {
  if (s.fix == nullptr) return;
  const FIX::MessageStore* store = s.fix->getStore();
  // Counted in copies, not in sequence numbers: Logons, Logouts and heartbeats take numbers too without
  // being stored. A run hands over at most 2 * max_batch records not yet committed, each at most one
  // copy per session, and that holds across restarts too: a run counts from the committed offsets, so
  // what it reads again counts against its own bound, and a run whose commits did not land reads no
  // further. Yet once in CI (2026-12-07) a session offline through three restarts was sent 24 copies a
  // second time, marked PossResend(97)=Y: the last start read again from further back than that, with
  // no commit failure logged, and the cause was not found (dropcopy/README.md). So at least
  // kReadBackCopies are read back, a margin (a few MB of store per session, once at start).
  constexpr std::size_t kReadBackCopies = 10'000;
  const std::size_t want = std::max(static_cast<std::size_t>(cfg.max_batch) * 2 + 100, kReadBackCopies);
  const int chunk = static_cast<int>(want);
  int hi = store->getNextSenderMsgSeqNum() - 1;
  std::size_t copies = 0;
  std::vector<std::string> stored;
  while (hi >= 1 && copies < want) {
    const int lo = std::max(1, hi - chunk + 1);
    try {
      stored.clear();
      store->get(lo, hi, stored);
    } catch (const std::exception& e) {
      VENUE_LOG_KV(warning, "cannot read back a session's store",
                   {{"session", s.cfg->sender_comp_id}, {"error", e.what()}});
      return;
    }
    for (const auto& raw : stored) {
      const auto seq_text = fsn::raw_field(raw, "8001");
      if (!seq_text) continue;
      const std::uint64_t seq = std::strtoull(std::string(*seq_text).c_str(), nullptr, 10);
      s.already_stored.insert(seq);
      ++copies;
      if (seq >= s.stored.seq) {
        s.stored.seq = seq;
        if (auto t = fsn::parse_utc_timestamp(fsn::raw_field(raw, "60").value_or(""))) s.stored.ns = *t;
      }
    }
    hi = lo - 1;
  }
  if (!s.already_stored.empty()) {
    VENUE_LOG_KV(
        info, "copies already stored will not be copied again",
        {{"session", s.cfg->sender_comp_id}, {"count", s.already_stored.size()}, {"last_venue_seq", s.stored.seq}});
  }
}

// Decides at start-up whether a session's store is behind: it holds fewer messages than when its cursor
// was written (the store was lost, deleted or restored from an older copy), or there is no cursor at all
// (a new session, or the whole store folder was lost). Such a session is caught up from Kafka.
void Service::Impl::check_store(Session& s) {
  if (s.fix == nullptr) return;
  if (const auto* vs = stores->find(s.id)) s.store_resets = vs->resets();
  std::optional<Cursor> cursor;
  if (const auto text = read_file(s.cursor_file)) {
    cursor = parse_cursor(*text);
    if (!cursor) {
      VENUE_LOG_KV(warning, "DC001 drop-copy cursor file unreadable: the store is checked against Kafka instead",
                   {{"session", s.cfg->sender_comp_id}, {"file", s.cursor_file.string()}});
    }
  }
  if (cursor) {
    s.sent = cursor->sent;
    if (cursor->topic == cfg.topic) s.sent_through = cursor->sent_through;
    if (cursor->catch_up) request_catch_up(s, *cursor->catch_up, "catch-up not finished before the stop");
    // Sequence numbers only grow in a store (a reset rewrites the cursor at once): fewer than when the
    // cursor was written means messages were lost.
    if (s.fix->getStore()->getNextSenderMsgSeqNum() < cursor->store_seq) {
      request_catch_up(s, s.stored, "store behind its cursor (lost or restored)");
    }
  } else {
    // Nothing to compare with: everything in scope above what the store holds, which is cheap when the
    // store is intact (Kafka is read from a few seconds before its last copy).
    s.sent = s.stored;
    request_catch_up(s, s.stored, s.stored.seq == 0 ? "new or empty store" : "no cursor");
  }
}

void Service::Impl::write_cursors() {
  for (auto& s : sessions) {
    if (!s.cursor_dirty || s.fix == nullptr) continue;
    Cursor c{.store_seq = s.fix->getStore()->getNextSenderMsgSeqNum(),
             .stored = s.stored,
             .sent = s.sent,
             .catch_up = s.catch_up_from};
    if (!s.sent_through.empty()) {
      c.topic = cfg.topic;
      c.sent_through = s.sent_through;
    }
    std::string why;
    if (!replace_file(s.cursor_file, cursor_text(c), why, cfg.durable)) {
      VENUE_LOG_KV(warning, "DC002 cannot write a drop-copy cursor",
                   {{"session", s.cfg->sender_comp_id}, {"file", s.cursor_file.string()}, {"error", why}});
      continue;
    }
    s.cursor_dirty = false;
  }
  cursors_due = false;
}

// The venue-seqs the main path copied before the last stop. On a first start there is none. A file lost
// or unreadable while the sessions have copies (DC005): the copies read again after a crash are still
// recognised by each store's read-back (remember_stored), and every venue-seq below the first one read
// is copied marked PossResend(97)=Y (it may have been copied before).
void Service::Impl::load_seen() {
  seen_file = cfg.store_dir / "copied-venue-seqs";
  const bool had_copies = std::any_of(sessions.begin(), sessions.end(), [](const Session& s) {
    return s.stored.seq > 0 || s.sent.seq > 0 || std::filesystem::exists(s.cursor_file);
  });
  const auto text = read_file(seen_file);
  if (!text) {
    seen_history_unknown = had_copies;
    if (had_copies) {
      VENUE_LOG_KV(warning,
                   "DC005 no file of copied venue-seqs although the sessions have copies: reports below "
                   "the first one read are copied marked PossResend",
                   {{"file", seen_file.string()}});
    }
    return;
  }
  // Three lines of the set, then (since the handled-through line came in; older files lack it) a fourth.
  std::size_t cut = 0;
  for (int line = 0; line < 3 && cut != std::string::npos; ++line) {
    cut = text->find('\n', cut);
    if (cut != std::string::npos) ++cut;
  }
  const std::string set_text = cut == std::string::npos ? *text : text->substr(0, cut);
  const std::string rest = cut == std::string::npos ? std::string() : text->substr(cut);
  std::map<std::int32_t, std::int64_t> handled;
  bool rest_ok = rest.empty();
  if (const std::string prefix = "handled-through="; rest.rfind(prefix, 0) == 0 && rest.back() == '\n') {
    std::string topic;
    const std::string value = rest.substr(prefix.size(), rest.size() - prefix.size() - 1);
    rest_ok = value.find('\n') == std::string::npos && parse_offsets(value, topic, handled);
    if (topic != cfg.topic) handled.clear();  // another topic's offsets say nothing about this one
  }
  auto parsed = rest_ok ? VenueSeqSet::parse(set_text) : std::nullopt;
  if (parsed) {
    seen = std::move(*parsed);
    reread_until = std::move(handled);
    VENUE_LOG_KV(
        info, "copied venue-seqs read back",
        {{"floor", seen.floor()}, {"top", seen.top()}, {"handled_through", offsets_text(cfg.topic, reread_until)}});
  } else {
    seen_history_unknown = true;
    VENUE_LOG_KV(warning,
                 "DC005 file of copied venue-seqs unreadable: reports below the first one read are copied "
                 "marked PossResend",
                 {{"file", seen_file.string()}});
  }
}

void Service::Impl::write_seen() {
  if (!seen_dirty) return;
  std::string why;
  // Where the main path has got to (or, after a crash, the previous run had, if further): every venue-seq
  // in the set came from below it.
  std::map<std::int32_t, std::int64_t> handled = reread_until;
  for (const auto& [p, next] : main_next) {
    auto [it, fresh] = handled.emplace(p, next);
    if (!fresh) it->second = std::max(it->second, next);
  }
  if (!replace_file(seen_file, seen.text() + "handled-through=" + offsets_text(cfg.topic, handled) + "\n", why,
                    cfg.durable)) {
    VENUE_LOG_KV(warning, "DC005 cannot write the file of copied venue-seqs",
                 {{"file", seen_file.string()}, {"error", why}});
    return;
  }
  seen_dirty = false;
}

// After a turn's copies are flushed: for each client logged on, not catching up and sent everything this
// turn stored for it, every record the main path has handled went to it.
void Service::Impl::update_sent_through() {
  if (!main_known) return;  // the main path's start is not known yet: the cursor's offsets stand
  for (auto& s : sessions) {
    const bool stored_while_away = s.stored_while_away;
    s.stored_while_away = false;
    if (s.fix == nullptr || s.catch_up_from || stored_while_away || !s.fix->isLoggedOn()) continue;
    if (s.sent_through != main_next) {
      s.sent_through = main_next;
      s.cursor_dirty = true;
    }
  }
}

}  // namespace venue::dropcopy

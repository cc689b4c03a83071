#include "venue/fix_session/message_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <thread>
#include <vector>

#include "venue/common/fd_io.h"
#include "venue/common/log.h"

namespace venue::fix_session {

namespace {

// The sequence-number file, "SENDER : TARGET" as QuickFIX's FileStore writes it. strtol rather than
// sscanf: a number out of range is refused instead of undefined (clang-tidy cert-err34-c).
bool read_seqnums(const std::string& text, int& sender, int& target) {
  const auto number = [](const char*& p, int& out) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(p, &end, 10);
    if (end == p || errno == ERANGE || v <= 0 || v > std::numeric_limits<int>::max()) return false;
    out = static_cast<int>(v);
    p = end;
    return true;
  };
  const char* p = text.c_str();
  if (!number(p, sender)) return false;
  while (*p == ' ' || *p == '\t') ++p;
  if (*p != ':') return false;
  ++p;
  return number(p, target);
}

std::string errno_text() { return std::strerror(errno); }

int open_file(const std::string& name, bool truncate) {
  const int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
  if (fd < 0) throw FIX::IOException("cannot open " + name + ": " + errno_text());
  return fd;
}

// The whole file, or empty when it does not exist.
std::string slurp(const std::string& name) {
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    throw FIX::IOException("cannot open " + name + ": " + errno_text());
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const auto why = errno_text();
      ::close(fd);
      throw FIX::IOException("cannot read " + name + ": " + why);
    }
    if (r == 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  ::close(fd);
  return out;
}

void write_all(int fd, const std::string& data, const std::string& name) {
  if (const int e = common::write_fully(fd, data))
    throw FIX::IOException("cannot write " + name + ": " + std::strerror(e));
}

// The whole "seq,offset,size " entries of .header text from `p`, each handed to `on`; where they end
// (a torn last entry is left out). `on` returns false to stop early.
template <class On>
const char* parse_header(const char* p, const char* end, On&& on) {
  while (p < end) {
    const char* start = p;
    char* q = nullptr;
    const long seq = std::strtol(p, &q, 10);
    if (q == p || q >= end || *q != ',') return start;
    p = q + 1;
    const long long offset = std::strtoll(p, &q, 10);
    if (q == p || q >= end || *q != ',') return start;
    p = q + 1;
    const unsigned long long size = std::strtoull(p, &q, 10);
    if (q == p || q >= end || *q != ' ') return start;  // torn: the space ends an entry
    p = q + 1;
    if (!on(static_cast<int>(seq), static_cast<off_t>(offset), static_cast<std::size_t>(size), start)) return p;
  }
  return p;
}

std::string seqnums_text(int sender, int target) {
  char text[32];
  std::snprintf(text, sizeof text, "%10.10d : %10.10d", sender, target);
  return text;
}

}  // namespace

VenueStore::VenueStore(const std::string& path, const FIX::SessionID& id, VenueStoreFactory* owner) : owner_(owner) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw FIX::IOException("cannot create " + path + ": " + ec.message());
  const std::string& qualifier = id.getSessionQualifier();
  const std::string prefix =
      (std::filesystem::path(path) / (id.getBeginString().getString() + "-" + id.getSenderCompID().getString() + "-" +
                                      id.getTargetCompID().getString() + (qualifier.empty() ? "" : "-" + qualifier)))
          .string();
  body_name_ = prefix + ".body";
  header_name_ = prefix + ".header";
  seqnums_name_ = prefix + ".seqnums";
  session_name_ = prefix + ".session";
  // Files a reset moved aside and a crash kept from being deleted.
  const std::string discarded_prefix = std::filesystem::path(prefix).filename().string();
  for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(discarded_prefix + ".", 0) == 0 && name.find(".discarded-") != std::string::npos) {
      std::filesystem::remove(e.path(), ec);
    }
  }
  open(false);
}

VenueStore::~VenueStore() {
  if (discarder_.joinable()) discarder_.join();  // the files a reset moved aside are gone with the store
  try {
    flush();
  } catch (const std::exception& e) {
    VENUE_LOG_KV(error, "FIX store: pending messages not written at close",
                 {{"file", body_name_}, {"error", e.what()}});
  }
  close_files();
}

void VenueStore::close_files() {
  for (int* fd : {&body_fd_, &header_fd_, &seqnums_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

// Reads the files FileStore's way: "seq,offset,size " entries in .header (a later entry for the same
// seq wins; a torn last entry is ignored), "%10d : %10d" in .seqnums, the creation time in .session.
void VenueStore::open(bool truncate) {
  close_files();
  marks_.clear();
  entries_ = 0;
  last_seq_ = 0;
  ascending_ = true;
  header_flushed_ = 0;
  body_buf_.clear();
  header_buf_.clear();
  next_sender_ = 1;
  next_target_ = 1;
  creation_ = FIX::UtcTimeStamp();
  bool have_creation = false;
  std::size_t header_good = 0;  // bytes of .header up to its last whole entry
  std::size_t header_size = 0;
  if (!truncate) {
    const std::string header = slurp(header_name_);
    header_size = header.size();
    const char* p = header.c_str();
    const char* good = parse_header(p, p + header.size(), [&](int seq, off_t, std::size_t, const char* at) {
      note_entry(seq, static_cast<off_t>(at - p));
      return true;
    });
    header_good = static_cast<std::size_t>(good - p);
    const std::string seqnums = slurp(seqnums_name_);
    int sender = 0;
    int target = 0;
    if (read_seqnums(seqnums, sender, target)) {
      next_sender_ = sender;
      next_target_ = target;
    }
    const std::string session = slurp(session_name_);
    const auto token = session.substr(0, session.find_first_of(" \n\r\t"));
    if (!token.empty()) {
      try {
        creation_ = FIX::UtcTimeStampConvertor::convert(token);
        have_creation = true;
      } catch (const std::exception&) {
        VENUE_LOG_KV(warning, "FIX store: creation time unreadable, set to now", {{"file", session_name_}});
      }
    }
  }
  body_fd_ = open_file(body_name_, truncate);
  header_fd_ = open_file(header_name_, truncate);
  seqnums_fd_ = open_file(seqnums_name_, truncate);
  struct stat st {};
  if (::fstat(body_fd_, &st) != 0) throw FIX::IOException("cannot stat " + body_name_ + ": " + errno_text());
  body_flushed_ = st.st_size;
  if (header_good < header_size) {
    // A torn last entry (a crash mid-write): cut it, or the next entry would be glued to it.
    VENUE_LOG_KV(warning, "FIX store: torn last header entry cut", {{"file", header_name_}});
    if (::ftruncate(header_fd_, static_cast<off_t>(header_good)) != 0) {
      throw FIX::IOException("cannot cut " + header_name_ + ": " + errno_text());
    }
  }
  header_flushed_ = static_cast<off_t>(header_good);
  if (::lseek(body_fd_, 0, SEEK_END) < 0 || ::lseek(header_fd_, 0, SEEK_END) < 0) {
    throw FIX::IOException("cannot seek in " + body_name_ + ": " + errno_text());
  }
  if (!have_creation) {
    const int fd = open_file(session_name_, true);
    const std::string text = FIX::UtcTimeStampConvertor::convert(creation_);
    try {
      write_all(fd, text, session_name_);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }
  seqnums_dirty_ = true;
  pending();
}

void VenueStore::pending() {
  if (queued_ || owner_ == nullptr) return;
  queued_ = true;
  owner_->pending_.push_back(this);
}

bool VenueStore::set(int n, const std::string& m) QF_THROW(FIX::IOException) {
  const off_t offset = body_flushed_ + static_cast<off_t>(body_buf_.size());
  note_entry(n, header_flushed_ + static_cast<off_t>(header_buf_.size()));
  body_buf_ += m;
  header_buf_ += std::to_string(n);
  header_buf_ += ',';
  header_buf_ += std::to_string(offset);
  header_buf_ += ',';
  header_buf_ += std::to_string(m.size());
  header_buf_ += ' ';
  pending();
  return true;
}

void VenueStore::note_entry(int seq, off_t header_offset) {
  if (entries_ % kMarkEvery == 0) marks_.emplace_back(seq, header_offset);
  if (entries_ > 0 && seq <= last_seq_) ascending_ = false;
  last_seq_ = seq;
  ++entries_;
}

// Where a resend from `begin` reads: the header entries are found by reading .header from the last mark
// at or before `begin` (from the start when numbers ever went down: a later entry for a number wins).
void VenueStore::get(int begin, int end, std::vector<std::string>& out) const QF_THROW(FIX::IOException) {
  out.clear();
  if (begin <= 0 || end < begin) return;
  off_t from = 0;
  if (ascending_) {
    for (const auto& [seq, at] : marks_) {
      if (seq > begin) break;
      from = at;
    }
  }
  // The entries from there: the flushed part of .header, then what waits for the next flush.
  std::string text;
  if (from < header_flushed_) {
    text.resize(static_cast<std::size_t>(header_flushed_ - from));
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t r = ::pread(header_fd_, text.data() + done, text.size() - done, from + static_cast<off_t>(done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw FIX::IOException("cannot read " + header_name_ + ": " + errno_text());
      if (r == 0) break;
      done += static_cast<std::size_t>(r);
    }
    text.resize(done);
  }
  text += header_buf_;
  std::map<int, std::pair<off_t, std::size_t>> wanted;
  parse_header(text.c_str(), text.c_str() + text.size(), [&](int seq, off_t offset, std::size_t size, const char*) {
    if (seq >= begin && seq <= end) wanted[seq] = {offset, size};
    return !(ascending_ && seq > end);
  });
  for (const auto& [seq, entry] : wanted) {
    const auto [offset, size] = entry;
    if (offset >= body_flushed_) {
      const auto at = static_cast<std::size_t>(offset - body_flushed_);
      if (at + size <= body_buf_.size()) out.emplace_back(body_buf_, at, size);
      continue;
    }
    std::string m(size, '\0');
    std::size_t done = 0;
    while (done < size) {
      const ssize_t r = ::pread(body_fd_, m.data() + done, size - done, offset + static_cast<off_t>(done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw FIX::IOException("cannot read " + body_name_ + ": " + errno_text());
      if (r == 0) break;  // the body is shorter than the header says: the message is gone (gap-filled)
      done += static_cast<std::size_t>(r);
    }
    if (done == size) out.push_back(std::move(m));
  }
}

void VenueStore::setNextSenderMsgSeqNum(int n) QF_THROW(FIX::IOException) {
  next_sender_ = n;
  seqnums_dirty_ = true;
  pending();
}

void VenueStore::setNextTargetMsgSeqNum(int n) QF_THROW(FIX::IOException) {
  next_target_ = n;
  seqnums_dirty_ = true;
  pending();
}

void VenueStore::flush(bool durable) {
  // Body before header before sequence numbers: a header entry never points past the body, and a
  // sequence number never runs ahead of the messages it counts. Durable: each file is on disk before
  // the next is written, so the same holds after a power cut.
  const auto sync = [&](int fd, const std::string& name) {
    if (!durable) return;
    if (const int e = common::sync_data(fd); e != 0) {
      throw FIX::IOException("cannot sync " + name + ": " + std::strerror(e));
    }
  };
  if (!body_buf_.empty()) {
    write_all(body_fd_, body_buf_, body_name_);
    body_flushed_ += static_cast<off_t>(body_buf_.size());
    body_buf_.clear();
    sync(body_fd_, body_name_);
  }
  if (!header_buf_.empty()) {
    write_all(header_fd_, header_buf_, header_name_);
    header_flushed_ += static_cast<off_t>(header_buf_.size());
    header_buf_.clear();
    sync(header_fd_, header_name_);
  }
  if (seqnums_dirty_) {
    const std::string text = seqnums_text(next_sender_, next_target_);
    if (::pwrite(seqnums_fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
      throw FIX::IOException("cannot write " + seqnums_name_ + ": " + errno_text());
    }
    seqnums_dirty_ = false;
    sync(seqnums_fd_, seqnums_name_);
  }
}

// A reset starts new, empty files. Truncating the old ones in place made the session's thread (every
// session's: the acceptor's) wait for the disk: freeing a file's blocks waits for their writeback, which
// took 10 s once behind a build's writes. Instead the old files are renamed aside (a rename to a new
// name frees nothing) and deleted on a thread of their own; their bytes are dead either way.
void VenueStore::reset() QF_THROW(FIX::IOException) {
  close_files();
  std::vector<std::string> discarded;
  for (const std::string* name : {&body_name_, &header_name_, &seqnums_name_, &session_name_}) {
    const std::string aside = *name + ".discarded-" + std::to_string(::getpid()) + "-" + std::to_string(++discards_);
    if (::rename(name->c_str(), aside.c_str()) == 0) {
      discarded.push_back(aside);
    } else if (errno != ENOENT) {
      throw FIX::IOException("cannot move " + *name + " aside: " + errno_text());
    }
  }
  open(true);
  ++resets_;
  if (!discarded.empty()) {
    if (discarder_.joinable()) discarder_.join();  // the previous reset's, long done
    discarder_ = std::thread([files = std::move(discarded)] {
      for (const auto& f : files) ::unlink(f.c_str());
    });
  }
}

void VenueStore::refresh() QF_THROW(FIX::IOException) {
  flush();
  open(false);
}

FIX::MessageStore* VenueStoreFactory::create(const FIX::SessionID& id) {
  auto* store = new VenueStore(path_, id, this);
  created_[id] = store;
  return store;
}

void VenueStoreFactory::destroy(FIX::MessageStore* store) {
  std::erase_if(created_, [&](const auto& entry) { return entry.second == store; });
  std::erase(pending_, static_cast<VenueStore*>(store));
  delete store;
}

void VenueStoreFactory::flush_all() {
  if (pending_.empty()) return;
  for (VenueStore* s : pending_) {
    s->queued_ = false;
    try {
      s->flush(durable_);
    } catch (const std::exception& e) {
      VENUE_LOG_KV(fatal, "FIX store cannot be written: stopping before anything unstored is sent",
                   {{"error", e.what()}});
      log::shutdown();
      std::_Exit(74);
    }
  }
  pending_.clear();
}

}  // namespace venue::fix_session

#include "venue/matcher/journal.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "venue/common/crc32c.h"
#include "venue/common/fd_io.h"

namespace venue::matcher {

namespace fs = std::filesystem;
using venue::crc32c;

namespace {

constexpr char kSegmentMagic[8] = {'V', 'E', 'N', 'U', 'E', 'J', 'N', 'L'};
constexpr char kSnapshotMagic[8] = {'V', 'E', 'N', 'U', 'E', 'S', 'N', 'P'};
constexpr std::size_t kSegmentHeader = 24;
constexpr std::size_t kRecordPrefix = 8;    // len + crc
constexpr std::uint32_t kMinRecordLen = 9;  // seq + kind
constexpr std::uint32_t kMaxRecordLen = 512;
constexpr std::uint8_t kKindCommand = 1;
constexpr std::uint8_t kKindCheckpoint = 2;

std::string errno_text(int e) { return std::strerror(e); }

std::size_t member_size(CommandType t) {
  switch (t) {
    case CommandType::kNewOrder: return sizeof(NewOrderCmd);
    case CommandType::kCancel: return sizeof(CancelCmd);
    case CommandType::kReplace: return sizeof(ReplaceCmd);
    case CommandType::kMassCancel: return sizeof(MassCancelCmd);
    case CommandType::kStatus: return sizeof(StatusCmd);
    case CommandType::kSetTradingStatus: return sizeof(TradingStatusCmd);
    case CommandType::kSetReferencePrice: return sizeof(ReferencePriceCmd);
    case CommandType::kTimer: return 0;
    case CommandType::kEndOfDay: return sizeof(EndOfDayCmd);
    case CommandType::kBustTrade: return sizeof(BustTradeCmd);
  }
  return SIZE_MAX;
}

std::string seq_name(const char* prefix, std::uint64_t seq, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%020llu%s", prefix, static_cast<unsigned long long>(seq), suffix);
  return buf;
}

std::optional<std::uint64_t> parse_seq_name(const std::string& name, const std::string& prefix,
                                            const std::string& suffix) {
  if (name.size() != prefix.size() + 20 + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (std::size_t i = prefix.size(); i < prefix.size() + 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return v;
}

struct Segment {
  fs::path file;
  std::uint64_t first_seq;
};

// The names in a folder; a folder that cannot be read is a JournalError (never a filesystem_error:
// callers catch JournalError).
std::vector<fs::path> list_folder(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) out.push_back(it->path());
  if (ec) throw JournalError("journal: cannot list " + dir.string() + ": " + ec.message());
  return out;
}

std::vector<Segment> list_segments(const fs::path& dir) {
  std::vector<Segment> out;
  for (const auto& path : list_folder(dir)) {
    if (auto seq = parse_seq_name(path.filename().string(), "journal-", ".log")) out.push_back({path, *seq});
  }
  std::sort(out.begin(), out.end(), [](const Segment& a, const Segment& b) { return a.first_seq < b.first_seq; });
  return out;
}

void fsync_dir(const fs::path& dir) {
  if (const int e = common::sync_dir(dir.c_str()); e != 0)
    throw JournalError("journal: cannot sync folder " + dir.string() + ": " + errno_text(e));
}

// A read-only view of a whole file.
class MappedFile {
 public:
  explicit MappedFile(const fs::path& file) {
    fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw JournalError("journal: cannot open " + file.string() + ": " + errno_text(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw JournalError("journal: cannot stat " + file.string() + ": " + errno_text(errno));
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (p == MAP_FAILED) throw JournalError("journal: cannot map " + file.string() + ": " + errno_text(errno));
      data_ = static_cast<const std::uint8_t*>(p);
    }
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  int fd_ = -1;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

template <class T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// A record parsed at an offset, or why it is not one.
struct Parsed {
  bool ok = false;
  std::string why;
  std::uint64_t seq = 0;
  std::uint8_t kind = 0;
  std::size_t size = 0;  // whole record
  const std::uint8_t* body = nullptr;
  std::size_t body_size = 0;
};

Parsed parse_record(const std::uint8_t* data, std::size_t size, std::size_t off) {
  Parsed p;
  if (size - off < kRecordPrefix) {
    p.why = "record header cut short";
    return p;
  }
  const auto len = load<std::uint32_t>(data + off);
  const auto crc = load<std::uint32_t>(data + off + 4);
  if (len < kMinRecordLen || len > kMaxRecordLen) {
    p.why = "impossible record length " + std::to_string(len);
    return p;
  }
  if (size - off - kRecordPrefix < len) {
    p.why = "record cut short";
    return p;
  }
  const std::uint8_t* rec = data + off + kRecordPrefix;
  if (crc32c(rec, len) != crc) {
    p.why = "checksum mismatch";
    return p;
  }
  p.ok = true;
  p.seq = load<std::uint64_t>(rec);
  p.kind = rec[8];
  p.size = kRecordPrefix + len;
  p.body = rec + 9;
  p.body_size = len - 9;
  return p;
}

bool decode_command(const Parsed& r, Command& c) {
  if (r.body_size < 9) return false;
  c = Command();
  c.type = static_cast<CommandType>(r.body[0]);
  const std::size_t n = member_size(c.type);
  if (n == SIZE_MAX || r.body_size != 9 + n) return false;
  c.seq = r.seq;
  c.now_ns = load<std::int64_t>(r.body + 1);
  std::memcpy(reinterpret_cast<std::uint8_t*>(&c.new_order), r.body + 9, n);
  return true;
}

// Whether a segment file holds at least one command record (checkpoints do not count).
bool segment_has_commands(const fs::path& file) {
  MappedFile f(file);
  std::size_t off = kSegmentHeader;
  while (off < f.size()) {
    Parsed r = parse_record(f.data(), f.size(), off);
    if (!r.ok) return false;  // the rest is a torn tail
    if (r.kind == kKindCommand) return true;
    off += r.size;
  }
  return false;
}

}  // namespace

// ----- writer -----

JournalWriter::JournalWriter(const JournalSettings& settings, std::uint64_t next_seq)
    : settings_(settings), next_seq_(next_seq) {
  std::error_code ec;
  fs::create_directories(settings_.dir, ec);
  if (ec) throw JournalError("journal: cannot create " + settings_.dir.string() + ": " + ec.message());
  buffer_.reserve(1 << 20);
  open_segment();
}

JournalWriter::~JournalWriter() {
  if (!failed_ && !buffer_.empty()) {
    try {
      flush();
    } catch (const JournalError&) {
      // The owner flushes explicitly and handles errors; a destructor cannot report them.
    }
  }
  if (fd_ >= 0) ::close(fd_);
}

void JournalWriter::open_segment() {
  // Syncs only under kFdatasync (which already synced every batch of the old segment): under kWrite a
  // process crash cannot lose what is in the kernel, and syncing a whole segment here would stall the
  // engine for as long as the disk needs.
  const bool durable = settings_.sync == SyncPolicy::kFdatasync;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  const fs::path file = settings_.dir / seq_name("journal-", next_seq_, ".log");
  fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0 && errno == EEXIST) {
    // A segment starting at this seq exists: a run that applied no command left it behind (only its
    // header, or a shutdown checkpoint that recovery has verified). Anything with a command in it is
    // never overwritten.
    if (segment_has_commands(file)) {
      throw JournalError("journal: " + file.string() + " already exists with records: refusing to overwrite");
    }
    fd_ = ::open(file.c_str(), O_WRONLY | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  }
  if (fd_ < 0) throw JournalError("journal: cannot create " + file.string() + ": " + errno_text(errno));
  std::uint8_t header[kSegmentHeader] = {};
  std::memcpy(header, kSegmentMagic, 8);
  const std::uint32_t version = kFormatVersion;
  std::memcpy(header + 8, &version, 4);
  std::memcpy(header + 12, &settings_.shard, 2);
  std::memcpy(header + 16, &next_seq_, 8);
  write_all(header, sizeof header);
  if (durable) {
    if (::fdatasync(fd_) != 0) throw JournalError("journal: fdatasync failed: " + errno_text(errno));
    fsync_dir(settings_.dir);
  }
  segment_size_ = sizeof header;
}

void JournalWriter::append(const Command& c) {
  if (failed_) throw JournalError("journal: writer failed earlier");
  if (c.seq != next_seq_) {
    throw JournalError("journal: out-of-order append: seq " + std::to_string(c.seq) + ", expected " +
                       std::to_string(next_seq_));
  }
  const std::size_t n = member_size(c.type);
  if (n == SIZE_MAX) throw JournalError("journal: unknown command type");
  const auto len = static_cast<std::uint32_t>(8 + 1 + 1 + 8 + n);
  const std::size_t at = buffer_.size();
  buffer_.resize(at + kRecordPrefix + len);
  std::uint8_t* p = buffer_.data() + at;
  std::memcpy(p, &len, 4);
  std::uint8_t* rec = p + kRecordPrefix;
  std::memcpy(rec, &c.seq, 8);
  rec[8] = kKindCommand;
  rec[9] = static_cast<std::uint8_t>(c.type);
  std::memcpy(rec + 10, &c.now_ns, 8);
  std::memcpy(rec + 18, reinterpret_cast<const std::uint8_t*>(&c.new_order), n);
  const std::uint32_t crc = crc32c(rec, len);
  std::memcpy(p + 4, &crc, 4);
  ++next_seq_;
}

void JournalWriter::append_checkpoint(std::uint64_t state_hash) {
  const std::uint32_t len = 8 + 1 + 8;
  const std::size_t at = buffer_.size();
  buffer_.resize(at + kRecordPrefix + len);
  std::uint8_t* p = buffer_.data() + at;
  std::memcpy(p, &len, 4);
  std::uint8_t* rec = p + kRecordPrefix;
  const std::uint64_t seq = next_seq_ - 1;
  std::memcpy(rec, &seq, 8);
  rec[8] = kKindCheckpoint;
  std::memcpy(rec + 9, &state_hash, 8);
  const std::uint32_t crc = crc32c(rec, len);
  std::memcpy(p + 4, &crc, 4);
}

void JournalWriter::write_all(const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t w = ::write(fd_, data, size);
    if (w < 0) {
      if (errno == EINTR) continue;
      failed_ = true;
      throw JournalError("journal: write failed: " + errno_text(errno));
    }
    data += w;
    size -= static_cast<std::size_t>(w);
    bytes_written_ += static_cast<std::uint64_t>(w);
  }
}

void JournalWriter::flush() {
  if (failed_) throw JournalError("journal: writer failed earlier");
  if (buffer_.empty()) return;
  write_all(buffer_.data(), buffer_.size());
  segment_size_ += buffer_.size();
  buffer_.clear();
  ++flushes_;
  if (settings_.sync == SyncPolicy::kFdatasync && ::fdatasync(fd_) != 0) {
    failed_ = true;
    throw JournalError("journal: fdatasync failed: " + errno_text(errno));
  }
  if (segment_size_ >= settings_.segment_bytes) open_segment();
}

// ----- replay -----

ReplayResult replay_journal(const JournalSettings& settings, std::uint64_t after_seq,
                            const std::function<void(const Command&)>& on_command,
                            const std::function<void(std::uint64_t, std::uint64_t)>& on_checkpoint, bool repair_tail,
                            std::uint64_t up_to) {
  ReplayResult result;
  result.last_seq = after_seq;
  const auto segments = list_segments(settings.dir);
  // Skip segments that end before after_seq + 1 (the next segment starts at or below it).
  std::size_t first = 0;
  while (first + 1 < segments.size() && segments[first + 1].first_seq <= after_seq + 1) ++first;

  std::uint64_t expected = 0;  // next command seq; 0 until the first segment read sets it
  for (std::size_t si = first; si < segments.size(); ++si) {
    const auto& seg = segments[si];
    const bool last_segment = si + 1 == segments.size();
    MappedFile f(seg.file);
    const std::string where = seg.file.string();
    if (f.size() < kSegmentHeader) {
      if (last_segment) {
        // A segment whose header never reached the disk: nothing in it was acknowledged.
        result.tail_truncated = f.size() > 0;
        result.truncated_file = where;
        break;
      }
      throw JournalError("journal damaged: " + where + " is shorter than its header");
    }
    if (std::memcmp(f.data(), kSegmentMagic, 8) != 0)
      throw JournalError("journal damaged: " + where + " is not a journal segment");
    if (load<std::uint32_t>(f.data() + 8) != JournalWriter::kFormatVersion) {
      throw JournalError("journal: " + where + " has an unsupported format version");
    }
    if (load<std::uint16_t>(f.data() + 12) != settings.shard) {
      throw JournalError("journal: " + where + " belongs to shard " +
                         std::to_string(load<std::uint16_t>(f.data() + 12)));
    }
    const auto first_seq = load<std::uint64_t>(f.data() + 16);
    if (first_seq != seg.first_seq) throw JournalError("journal damaged: " + where + " header disagrees with its name");
    if (expected == 0) {
      if (first_seq > after_seq + 1) {
        throw JournalError("journal: records " + std::to_string(after_seq + 1) + " to " +
                           std::to_string(first_seq - 1) + " are missing (first segment " + where + ")");
      }
      expected = first_seq;
    } else if (first_seq != expected) {
      throw JournalError("journal: gap before " + where + ": expected seq " + std::to_string(expected) +
                         ", segment starts at " + std::to_string(first_seq));
    }

    std::size_t off = kSegmentHeader;
    while (off < f.size()) {
      if (expected > up_to) return result;  // the caller asked to stop here
      Parsed r = parse_record(f.data(), f.size(), off);
      std::string why = r.why;
      Command c;
      if (r.ok) {
        if (r.kind == kKindCommand) {
          if (r.seq != expected) {
            why = "sequence " + std::to_string(r.seq) + " where " + std::to_string(expected) + " was expected";
          } else if (!decode_command(r, c)) {
            why = "undecodable command";
          }
        } else if (r.kind == kKindCheckpoint) {
          if (r.seq + 1 != expected || r.body_size != 8) why = "misplaced checkpoint";
        } else {
          why = "unknown record kind";
        }
      }
      if (!why.empty()) {
        // Torn tail or damage? Look for any valid record after this point.
        std::size_t next_valid = 0;
        for (std::size_t scan = off + 1; last_segment && scan + kRecordPrefix + kMinRecordLen <= f.size(); ++scan) {
          // Cheap filters first (a plausible length and sequence), the checksum only for candidates.
          const auto len = load<std::uint32_t>(f.data() + scan);
          if (len < kMinRecordLen || len > kMaxRecordLen) continue;
          const auto seq = load<std::uint64_t>(f.data() + scan + kRecordPrefix);
          if (seq < expected || seq >= expected + (1ULL << 32)) continue;
          if (parse_record(f.data(), f.size(), scan).ok) {
            next_valid = scan;
            break;
          }
        }
        if (!last_segment || next_valid != 0) {
          throw JournalError(
              "journal damaged in the middle: " + where + " at byte " + std::to_string(off) + ": " + why +
              (next_valid != 0 ? " (valid records follow at byte " + std::to_string(next_valid) + ")" : "") +
              "; refusing to start, because replaying past it would lose acknowledged orders");
        }
        result.tail_truncated = true;
        result.truncated_bytes = f.size() - off;
        result.truncated_file = where;
        if (repair_tail && ::truncate(seg.file.c_str(), static_cast<off_t>(off)) != 0) {
          throw JournalError("journal: cannot truncate the torn tail of " + where + ": " + errno_text(errno));
        }
        break;
      }
      if (r.kind == kKindCommand) {
        ++expected;
        result.last_seq = r.seq;
        if (r.seq > after_seq) {
          on_command(c);
          ++result.replayed;
        }
      } else if (r.seq >= after_seq && on_checkpoint) {
        on_checkpoint(r.seq, load<std::uint64_t>(r.body));
        ++result.checkpoints;
      }
      off += r.size;
    }
  }
  return result;
}

// ----- snapshots -----

void write_snapshot(const JournalSettings& settings, std::uint64_t seq, const std::vector<std::uint8_t>& state,
                    std::uint64_t state_hash) {
  std::error_code ec;
  fs::create_directories(settings.dir, ec);
  const fs::path final_path = settings.dir / seq_name("snapshot-", seq, ".snap");
  const fs::path tmp = settings.dir / (final_path.filename().string() + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw JournalError("snapshot: cannot create " + tmp.string() + ": " + errno_text(errno));
  std::uint8_t header[48] = {};
  std::memcpy(header, kSnapshotMagic, 8);
  const std::uint32_t version = JournalWriter::kFormatVersion;
  const std::uint64_t size = state.size();
  const std::uint32_t crc = crc32c(state.data(), state.size());
  std::memcpy(header + 8, &version, 4);
  std::memcpy(header + 12, &settings.shard, 2);
  std::memcpy(header + 16, &seq, 8);
  std::memcpy(header + 24, &state_hash, 8);
  std::memcpy(header + 32, &size, 8);
  std::memcpy(header + 40, &crc, 4);
  auto write_all = [&](const std::uint8_t* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        const int e = errno;
        ::close(fd);
        throw JournalError("snapshot: write failed: " + errno_text(e));
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  };
  write_all(header, sizeof header);
  write_all(state.data(), state.size());
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    throw JournalError("snapshot: fsync failed: " + errno_text(e));
  }
  ::close(fd);
  fs::rename(tmp, final_path, ec);
  if (ec) throw JournalError("snapshot: rename failed: " + ec.message());
  fsync_dir(settings.dir);
}

std::vector<SnapshotInfo> list_snapshots(const JournalSettings& settings) {
  std::vector<SnapshotInfo> out;
  for (const auto& path : list_folder(settings.dir)) {
    if (auto seq = parse_seq_name(path.filename().string(), "snapshot-", ".snap")) out.push_back({path, *seq});
  }
  std::sort(out.begin(), out.end(), [](const SnapshotInfo& a, const SnapshotInfo& b) { return a.seq > b.seq; });
  return out;
}

bool read_snapshot(const SnapshotInfo& info, const JournalSettings& settings, std::vector<std::uint8_t>& state,
                   std::uint64_t& state_hash, std::string& error) {
  try {
    MappedFile f(info.file);
    if (f.size() < 48 || std::memcmp(f.data(), kSnapshotMagic, 8) != 0) {
      error = "not a snapshot";
      return false;
    }
    if (load<std::uint32_t>(f.data() + 8) != JournalWriter::kFormatVersion) {
      error = "unsupported snapshot version";
      return false;
    }
    if (load<std::uint16_t>(f.data() + 12) != settings.shard) {
      error = "snapshot of another shard";
      return false;
    }
    if (load<std::uint64_t>(f.data() + 16) != info.seq) {
      error = "snapshot header disagrees with its name";
      return false;
    }
    state_hash = load<std::uint64_t>(f.data() + 24);
    const auto size = load<std::uint64_t>(f.data() + 32);
    if (size != f.size() - 48) {
      error = "snapshot truncated";
      return false;
    }
    if (crc32c(f.data() + 48, size) != load<std::uint32_t>(f.data() + 40)) {
      error = "snapshot checksum mismatch";
      return false;
    }
    state.assign(f.data() + 48, f.data() + 48 + size);
    return true;
  } catch (const JournalError& e) {
    error = e.what();
    return false;
  }
}

void prune_journal(const JournalSettings& settings, std::size_t keep) {
  auto snaps = list_snapshots(settings);
  if (snaps.size() <= keep || keep == 0) return;
  // Everything that can go goes; the first failure is reported after (as a JournalError).
  std::string failure;
  auto remove = [&](const fs::path& file) {
    std::error_code ec;
    fs::remove(file, ec);
    if (ec && failure.empty()) failure = "journal: cannot remove " + file.string() + ": " + ec.message();
  };
  for (std::size_t i = keep; i < snaps.size(); ++i) remove(snaps[i].file);
  const std::uint64_t oldest_kept = snaps[keep - 1].seq;
  const auto segments = list_segments(settings.dir);
  // A segment can go when the next one starts at or before oldest_kept + 1 (all its commands are in
  // every kept snapshot).
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i + 1].first_seq <= oldest_kept + 1) remove(segments[i].file);
  }
  if (!failure.empty()) throw JournalError(failure);
}

}  // namespace venue::matcher

#include "venue/fix_gateway/report_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "framed_records.h"
#include "venue/common/crc32c.h"
#include "venue/common/fd_io.h"

namespace venue::fix_gateway {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'V', 'E', 'N', 'U', 'E', 'R', 'P', 'T'};
constexpr std::size_t kHeader = 16;
constexpr std::uint32_t kMaxRecord = 1U << 20;
// The smallest record: the fixed fields and four empty strings.
constexpr std::uint32_t kMinRecord = 8 + 2 + 8 + 8 + 1 + 1 + 4 * 4;

std::string seg_name(std::uint64_t first) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "reports-%020llu.log", static_cast<unsigned long long>(first));
  return buf;
}

std::vector<std::pair<std::uint64_t, fs::path>> segments(const fs::path& dir) {
  std::vector<std::pair<std::uint64_t, fs::path>> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.size() == 32 && name.rfind("reports-", 0) == 0 && name.compare(28, 4, ".log") == 0) {
      out.emplace_back(std::stoull(name.substr(8, 20)), e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream b;
  b << in.rdbuf();
  return b.str();
}

void write_all(int fd, const std::string& data) {
  if (const int e = common::write_fully(fd, data))
    throw std::runtime_error(std::string("report log: write failed: ") + std::strerror(e));
}

}  // namespace

std::uint64_t oldest_report_seq(const std::filesystem::path& dir) {
  std::uint64_t first = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (name.size() == 32 && name.rfind("reports-", 0) == 0) {
      const std::uint64_t seq = std::stoull(name.substr(8, 20));
      first = first == 0 ? seq : std::min(first, seq);
    }
  }
  return first;
}

std::string encode_report(const Report& r) {
  std::string p;
  framed::put<std::uint64_t>(p, r.venue_seq);
  framed::put<std::uint16_t>(p, r.shard);
  framed::put<std::uint64_t>(p, r.engine_seq);
  framed::put<std::uint64_t>(p, r.order_id);
  p += r.msg_type;
  p += r.exec_type;
  framed::put_str<std::uint32_t>(p, r.session);
  framed::put_str<std::uint32_t>(p, r.firm);
  framed::put_str<std::uint32_t>(p, r.account);
  framed::put_str<std::uint32_t>(p, r.payload);
  return framed::frame(p);
}

bool decode_report(const char* data, std::size_t size, Report& r) {
  framed::Reader<std::uint32_t> c{data, data + size};
  return c.get(r.venue_seq) && c.get(r.shard) && c.get(r.engine_seq) && c.get(r.order_id) && c.get(r.msg_type) &&
         c.get(r.exec_type) && c.get_str(r.session) && c.get_str(r.firm) && c.get_str(r.account) &&
         c.get_str(r.payload) && c.p == c.end;
}

// ----- writer -----

ReportLog::ReportLog(fs::path dir, std::uint64_t segment_bytes) : dir_(std::move(dir)), segment_bytes_(segment_bytes) {
  fs::create_directories(dir_);
  // What was reported, per shard (possibly a little behind the log after a crash: that only repeats).
  const bool state_read = read_state();
  const auto segs = segments(dir_);
  if (!segs.empty()) {
    // Without a readable state, what was reported comes from the reports themselves, in every segment
    // still on disk (older segments are whole: only the newest one is ever written to).
    if (!state_read) {
      for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
        const std::string data = read_file(segs[i].second);
        std::uint64_t next = segs[i].first;
        (void)scan_segment(data, next);
      }
    }
    // The next venue seq comes from the log itself; a torn last record is cut off.
    const auto& [first, path] = segs.back();
    const std::string data = read_file(path);
    if (data.size() < kHeader || std::memcmp(data.data(), kMagic, 8) != 0) {
      throw std::runtime_error("report log: " + path.string() + " is not a report log segment");
    }
    next_seq_ = first;
    const std::size_t off = scan_segment(data, next_seq_);
    if (off < data.size()) {
      // A torn tail (a crash cut the last write short) is cut off and its numbers used again: nothing
      // past it was ever readable. Damage with whole reports after it is not a torn tail: cutting there
      // would hand out again venue seqs that Kafka may already hold, so the venue does not start.
      const std::uint64_t expect = next_seq_;
      const std::size_t good = framed::next_good(data, off + 1, kMinRecord, kMaxRecord, [&](std::string_view p) {
        Report r;
        return decode_report(p.data(), p.size(), r) && r.venue_seq >= expect;
      });
      if (good != framed::kNone) {
        throw std::runtime_error("report log: " + path.string() + " is damaged at byte " + std::to_string(off) +
                                 " (report " + std::to_string(expect) + ") and whole reports follow at byte " +
                                 std::to_string(good) +
                                 "; the venue does not start, so that their venue seqs are not used twice "
                                 "(deploy/RUNBOOK.md: a damaged report log)");
      }
      if (::truncate(path.c_str(), static_cast<off_t>(off)) != 0) {
        throw std::runtime_error("report log: cannot cut the torn tail of " + path.string());
      }
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("report log: cannot open " + path.string() + ": " + std::strerror(errno));
    segment_size_ = off;
  } else {
    fresh_ = true;
    open_segment();
  }
  readable_.store(next_seq_ - 1, std::memory_order_release);
  state_fd_ = ::open((dir_ / "report.state").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (state_fd_ < 0)
    throw std::runtime_error("report log: cannot open report.state: " + std::string(std::strerror(errno)));
}

bool ReportLog::read_state() {
  const std::string st = read_file(dir_ / "report.state");
  state_bytes_ = st.size();
  framed::Reader<std::uint32_t> c{st.data(), st.data() + st.size()};
  std::uint32_t n = 0;
  if (!c.get(n) || n >= 4096) return false;
  std::map<std::uint16_t, std::uint64_t> m;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint16_t shard = 0;
    std::uint64_t seq = 0;
    if (!c.get(shard) || !c.get(seq)) return false;
    m[shard] = seq;
  }
  // The checksum covers what precedes it; bytes after it (an older, longer state) are ignored.
  const auto covered = static_cast<std::size_t>(c.p - st.data());
  std::uint32_t crc = 0;
  if (!c.get(crc) || crc != crc32c(st.data(), covered)) return false;
  reported_ = std::move(m);
  return true;
}

std::size_t ReportLog::scan_segment(const std::string& data, std::uint64_t& next_seq) {
  std::size_t off = kHeader;
  if (data.size() < kHeader) return data.size();
  for (;;) {
    const std::string_view payload = framed::record_at(data, off, kMaxRecord);
    Report r;
    if (payload.data() == nullptr || !decode_report(payload.data(), payload.size(), r) || r.venue_seq != next_seq) {
      return off;
    }
    ++next_seq;
    // Reports come in engine order per shard: one about engine seq S means every command before S was
    // reported in full (S itself may not be: its other events may not have been handled yet).
    if (r.shard != 0xFFFF && r.engine_seq > 0) {
      reported_[r.shard] = std::max(reported_[r.shard], r.engine_seq - 1);
    }
    off += framed::kFrame + payload.size();
  }
}

ReportLog::~ReportLog() {
  try {
    flush();
  } catch (const std::exception&) {
    // The owner flushes and reports errors; a destructor cannot.
  }
  if (fd_ >= 0) ::close(fd_);
  if (state_fd_ >= 0) ::close(state_fd_);
}

std::uint64_t ReportLog::reported_up_to(std::uint16_t shard) const {
  auto it = reported_.find(shard);
  return it == reported_.end() ? 0 : it->second;
}

void ReportLog::open_segment() {
  if (fd_ >= 0) ::close(fd_);
  // The header is written under a temporary name and the file renamed into place: a reader tailing the
  // log (the Kafka publisher) never finds a segment without its header.
  const fs::path path = dir_ / seg_name(next_seq_);
  const fs::path temp = dir_ / (seg_name(next_seq_) + ".new");
  fd_ = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("report log: cannot create " + temp.string() + ": " + std::strerror(errno));
  std::string header(kMagic, 8);
  framed::put<std::uint64_t>(header, next_seq_);
  write_all(fd_, header);
  if (durable_ && common::sync_data(fd_) != 0) {
    throw std::runtime_error("report log: cannot sync " + temp.string() + ": " + std::strerror(errno));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("report log: cannot rename " + temp.string() + ": " + std::strerror(errno));
  }
  if (durable_) {
    // The new name on disk too: a segment that a power cut unlinks would take its reports with it.
    if (common::sync_dir(dir_.c_str()) != 0)
      throw std::runtime_error("report log: cannot sync the folder " + dir_.string());
  }
  segment_size_ = header.size();
}

std::uint64_t ReportLog::append(Report& r) {
  r.venue_seq = next_seq_++;
  buffer_ += encode_report(r);
  return r.venue_seq;
}

void ReportLog::mark_reported(std::uint16_t shard, std::uint64_t engine_seq) {
  auto& at = reported_[shard];
  if (engine_seq > at) {
    at = engine_seq;
    state_dirty_ = true;
  }
}

void ReportLog::flush() {
  if (!buffer_.empty()) {
    write_all(fd_, buffer_);
    if (durable_) {
      if (const int e = common::sync_data(fd_); e != 0) {
        throw std::runtime_error(std::string("report log: cannot sync: ") + std::strerror(e));
      }
    }
    segment_size_ += buffer_.size();
    buffer_.clear();
    readable_.store(next_seq_ - 1, std::memory_order_release);
  }
  // The state before a new segment: a new segment holds no report to learn the state from at start.
  if (state_dirty_) write_state();
  if (segment_size_ >= segment_bytes_) open_segment();
}

void ReportLog::write_state() {
  std::string st;
  framed::put<std::uint32_t>(st, static_cast<std::uint32_t>(reported_.size()));
  for (const auto& [shard, seq] : reported_) {
    framed::put<std::uint16_t>(st, shard);
    framed::put<std::uint64_t>(st, seq);
  }
  framed::put<std::uint32_t>(st, crc32c(st.data(), st.size()));
  if (::pwrite(state_fd_, st.data(), st.size(), 0) != static_cast<ssize_t>(st.size())) {
    throw std::runtime_error(std::string("report log: cannot write report.state: ") + std::strerror(errno));
  }
  if (state_bytes_ > st.size() && ::ftruncate(state_fd_, static_cast<off_t>(st.size())) != 0) {
    throw std::runtime_error(std::string("report log: cannot cut report.state: ") + std::strerror(errno));
  }
  state_bytes_ = st.size();
  state_dirty_ = false;
}

void ReportLog::prune(std::uint64_t published) {
  const auto segs = segments(dir_);
  // A segment's reports all precede the next segment's first seq.
  for (std::size_t i = 0; i + 2 < segs.size(); ++i) {
    if (segs[i + 1].first - 1 <= published) fs::remove(segs[i].second);
  }
}

// ----- reader -----

ReportReader::ReportReader(fs::path dir, std::uint64_t after_seq) : dir_(std::move(dir)), want_(after_seq + 1) {}

ReportReader::~ReportReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool ReportReader::open_segment_for(std::uint64_t seq) {
  const auto segs = segments(dir_);
  const fs::path* best = nullptr;
  std::uint64_t best_first = 0;
  for (const auto& [first, path] : segs) {
    if (first <= seq) {
      best = &path;
      best_first = first;
    }
  }
  if (best == nullptr) {
    if (!segs.empty() && segs.front().first > seq) {
      throw std::runtime_error("report log: reports from " + std::to_string(seq) + " are no longer on disk");
    }
    return false;
  }
  if (fd_ >= 0 && segment_first_ == best_first) return true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(best->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return false;
  segment_first_ = best_first;
  buffer_.clear();
  char header[kHeader];
  if (::read(fd_, header, kHeader) != static_cast<ssize_t>(kHeader) || std::memcmp(header, kMagic, 8) != 0) {
    throw std::runtime_error("report log: " + best->string() + " has no valid header");
  }
  return true;
}

std::optional<Report> ReportReader::next() {
  for (;;) {
    if (fd_ < 0 && !open_segment_for(want_)) return std::nullopt;
    // A complete record in the buffer?
    if (buffer_.size() >= 8) {
      std::uint32_t len = 0;
      std::uint32_t crc = 0;
      std::memcpy(&len, buffer_.data(), 4);
      std::memcpy(&crc, buffer_.data() + 4, 4);
      if (len > kMaxRecord) throw std::runtime_error("report log: damaged record length");
      if (buffer_.size() >= 8 + len) {
        if (crc32c(buffer_.data() + 8, len) != crc) throw std::runtime_error("report log: checksum mismatch");
        Report r;
        if (!decode_report(buffer_.data() + 8, len, r)) throw std::runtime_error("report log: undecodable record");
        buffer_.erase(0, 8 + len);
        if (r.venue_seq < want_) continue;
        if (r.venue_seq != want_) {
          throw std::runtime_error("report log: expected report " + std::to_string(want_) + ", found " +
                                   std::to_string(r.venue_seq));
        }
        ++want_;
        return r;
      }
    }
    char buf[64 * 1024];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) {
      buffer_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    // End of this segment for now: has the writer moved on to a newer one?
    // (The writer names a segment after its first report, so one stat answers: no directory listing on
    // every poll of a tailing reader.)
    if (buffer_.empty() && want_ != segment_first_) {
      struct stat st {};
      if (::stat((dir_ / seg_name(want_)).c_str(), &st) == 0) {
        ::close(fd_);
        fd_ = -1;
        continue;
      }
    }
    return std::nullopt;
  }
}

}  // namespace venue::fix_gateway

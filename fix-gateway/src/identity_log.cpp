#include "venue/fix_gateway/identity_log.h"

#include <fcntl.h>
#include <unistd.h>
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
namespace {

constexpr std::uint32_t kMaxRecord = 1U << 20;
// The smallest record: the fixed fields and three empty strings.
constexpr std::uint32_t kMinRecord = 8 + 1 + 4 + 4 + 1 + 1 + 1 + 3 * 2;

std::string encode(const Identity& id) {
  std::string payload;
  framed::put<std::uint64_t>(payload, id.ref);
  payload += static_cast<char>(id.kind);
  framed::put<std::uint32_t>(payload, id.session);
  framed::put<std::uint32_t>(payload, id.account);
  payload += id.capacity;
  payload += id.stp;
  payload += static_cast<char>(id.post_only ? 1 : 0);
  framed::put_str<std::uint16_t>(payload, id.clordid);
  framed::put_str<std::uint16_t>(payload, id.orig_clordid);
  framed::put_str<std::uint16_t>(payload, id.expire_time);
  return framed::frame(payload);
}

bool decode(const char* p, std::size_t n, Identity& id) {
  framed::Reader<std::uint16_t> c{p, p + n};
  std::uint8_t post_only = 0;
  std::uint8_t kind = 0;
  return c.get(id.ref) && c.get(kind) && (id.kind = kind, true) && c.get(id.session) && c.get(id.account) &&
         c.get(id.capacity) && c.get(id.stp) && c.get(post_only) && (id.post_only = post_only != 0, true) &&
         c.get_str(id.clordid) && c.get_str(id.orig_clordid) && c.get_str(id.expire_time) && c.p == c.end;
}

void write_all(int fd, const std::string& data, const std::string& what) {
  if (const int e = common::write_fully(fd, data))
    throw std::runtime_error(what + ": write failed: " + std::strerror(e));
}

}  // namespace

IdentityLog::IdentityLog(std::filesystem::path dir) : dir_(std::move(dir)), file_(dir_ / "identity.log") {
  std::filesystem::create_directories(dir_);
  std::ifstream in(file_, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string data = buf.str();
  std::size_t off = 0;
  while (off < data.size()) {
    const std::string_view payload = framed::record_at(data, off, kMaxRecord);
    Identity id;
    if (payload.data() != nullptr && decode(payload.data(), payload.size(), id)) {
      loaded_[id.ref] = std::move(id);
      off += framed::kFrame + payload.size();
      continue;
    }
    // A damaged record: a torn tail when nothing whole follows (a crash cut the last write short), else a
    // bad disk. Identities are independent of each other: only the damaged one is lost (its order is
    // reported as unknown and counted), never the ones after it.
    const std::size_t good = framed::next_good(data, off + 1, kMinRecord, kMaxRecord, [](std::string_view p) {
      Identity probe;
      return decode(p.data(), p.size(), probe);
    });
    if (good == framed::kNone) {
      torn_bytes_ = data.size() - off;
      break;
    }
    ++damaged_;
    off = good;
  }
  open_for_append();
}

IdentityLog::~IdentityLog() {
  if (fd_ >= 0) {
    try {
      flush();
    } catch (const std::exception&) {
      // The owner flushes and reports; nothing more can be done here.
    }
    ::close(fd_);
  }
}

void IdentityLog::open_for_append() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("identity log " + file_.string() + ": " + std::strerror(errno));
}

void IdentityLog::compact(const std::function<bool(const Identity&)>& keep) {
  const auto tmp = dir_ / "identity.log.tmp";
  std::string data;
  for (auto it = loaded_.begin(); it != loaded_.end();) {
    if (keep(it->second)) {
      data += encode(it->second);
      ++it;
    } else {
      it = loaded_.erase(it);
    }
  }
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("identity log: cannot write " + tmp.string() + ": " + std::strerror(errno));
  write_all(fd, data, "identity log");
  ::fsync(fd);
  ::close(fd);
  std::filesystem::rename(tmp, file_);
  open_for_append();
}

void IdentityLog::append(const Identity& id) { buffer_ += encode(id); }

void IdentityLog::flush() {
  if (buffer_.empty()) return;
  write_all(fd_, buffer_, "identity log");
  if (durable_) {
    if (const int e = common::sync_data(fd_); e != 0) {
      throw std::runtime_error(std::string("identity log: cannot sync: ") + std::strerror(e));
    }
  }
  bytes_ += buffer_.size();
  buffer_.clear();
}

}  // namespace venue::fix_gateway

#include "venue/operator_api/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include "venue/common/log.h"

namespace venue::operator_api {

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso_time(std::int64_t ns) {
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>((ns / 1'000'000) % 1000));
  return buf;
}

std::string result_of(int status) {
  if (status >= 200 && status < 300) return "ok";
  if (status >= 400 && status < 500) return "refused";
  return "failed";
}

}  // namespace

nlohmann::json to_json(const AuditEntry& e) {
  nlohmann::json j{{"seq", e.seq},       {"time", iso_time(e.time_ns)}, {"user", e.user},     {"role", e.role},
                   {"from", e.from},     {"action", e.action},          {"target", e.target}, {"request", e.request},
                   {"result", e.result}, {"status", e.status},          {"code", e.code},     {"message", e.message}};
  if (e.done_ns != 0) j["done"] = iso_time(e.done_ns);
  return j;
}

nlohmann::json AuditLog::redact(const nlohmann::json& request) {
  if (request.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : request.items()) {
      out[k] = (k == "password" || k == "password_hash" || k == "token") ? nlohmann::json("***") : redact(v);
    }
    return out;
  }
  if (request.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : request) out.push_back(redact(v));
    return out;
  }
  return request;
}

AuditLog::AuditLog(std::filesystem::path file) : file_(std::move(file)) {
  if (file_.has_parent_path()) std::filesystem::create_directories(file_.parent_path());
  {
    std::ifstream in(file_);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned()) {
        ++damaged_;
        continue;
      }
      const auto seq = j["seq"].get<std::uint64_t>();
      next_seq_ = std::max(next_seq_, seq + 1);
      if (j.value("phase", "") == "request") {
        AuditEntry e;
        e.seq = seq;
        e.time_ns = j.value("time_ns", std::int64_t{0});
        e.user = j.value("user", "");
        e.role = j.value("role", "");
        e.from = j.value("from", "");
        e.action = j.value("action", "");
        e.target = j.value("target", "");
        e.request = j.value("request", nlohmann::json::object());
        entries_.push_back(std::move(e));
        if (entries_.size() > kKept) entries_.pop_front();
      } else {
        for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
          if (it->seq != seq) continue;
          it->status = j.value("status", 0);
          it->result = result_of(it->status);
          it->code = j.value("code", "");
          it->message = j.value("message", "");
          it->done_ns = j.value("time_ns", std::int64_t{0});
          break;
        }
      }
    }
    if (in.bad()) throw std::runtime_error("cannot read the audit log " + file_.string());
  }
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open the audit log " + file_.string() + ": " + std::strerror(errno));
  // A line torn by a crash ends here: the next entry starts on a line of its own.
  std::error_code ec;
  const auto size = std::filesystem::file_size(file_, ec);
  if (!ec && size > 0) {
    std::ifstream tail(file_, std::ios::binary);
    tail.seekg(static_cast<std::streamoff>(size - 1));
    if (tail.get() != '\n') append_line("\n");
  }
  if (damaged_ > 0) {
    VENUE_LOG_KV(error, "operator audit log: lines not understood were skipped",
                 {{"file", file_.string()}, {"lines", damaged_}});
  }
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

void AuditLog::append_line(const std::string& line) {
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("audit log write failed: " + std::string(std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) throw std::runtime_error("audit log sync failed: " + std::string(std::strerror(errno)));
}

std::uint64_t AuditLog::begin(AuditEntry e) {
  std::lock_guard lock(mutex_);
  e.seq = next_seq_;
  if (e.time_ns == 0) e.time_ns = now_ns();
  e.request = redact(e.request);
  const nlohmann::json j{
      {"seq", e.seq},       {"phase", "request"},  {"time_ns", e.time_ns}, {"time", iso_time(e.time_ns)},
      {"user", e.user},     {"role", e.role},      {"from", e.from},       {"action", e.action},
      {"target", e.target}, {"request", e.request}};
  append_line(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  ++next_seq_;
  entries_.push_back(std::move(e));
  if (entries_.size() > kKept) entries_.pop_front();
  return entries_.back().seq;
}

void AuditLog::finish(std::uint64_t seq, int status, const std::string& code, const std::string& message) {
  std::lock_guard lock(mutex_);
  const std::int64_t t = now_ns();
  const nlohmann::json j{{"seq", seq},       {"phase", "result"},           {"time_ns", t}, {"time", iso_time(t)},
                         {"status", status}, {"result", result_of(status)}, {"code", code}, {"message", message}};
  try {
    append_line(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  } catch (const std::exception& ex) {
    VENUE_LOG_KV(error, "operator audit log: a result could not be written",
                 {{"seq", seq}, {"status", status}, {"error", ex.what()}});
  }
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->seq != seq) continue;
    it->status = status;
    it->result = result_of(status);
    it->code = code;
    it->message = message;
    it->done_ns = t;
    break;
  }
}

std::vector<AuditEntry> AuditLog::query(const Query& q) const {
  std::lock_guard lock(mutex_);
  std::vector<AuditEntry> out;
  for (auto it = entries_.rbegin(); it != entries_.rend() && out.size() < q.limit; ++it) {
    if (q.before_seq && it->seq >= *q.before_seq) continue;
    if (!q.user.empty() && it->user != q.user) continue;
    if (!q.action.empty() && it->action.rfind(q.action, 0) != 0) continue;
    out.push_back(*it);
  }
  return out;
}

}  // namespace venue::operator_api

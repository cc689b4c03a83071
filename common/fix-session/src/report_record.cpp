#include "venue/fix_session/report_record.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "fix_chars.h"
#include "venue/fix_session/fix_text.h"

namespace venue::fix_session {

namespace {

bool fail(std::string* why, std::string reason) {
  if (why != nullptr) *why = std::move(reason);
  return false;
}

template <class T>
bool parse_unsigned(std::string_view s, T& out) {
  if (s.empty() || s.size() > 20) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

std::optional<FixFields> FixFields::parse(std::string_view text, std::string* why) {
  FixFields f;
  if (text.size() > std::numeric_limits<std::uint32_t>::max()) {
    fail(why, "message too long");
    return std::nullopt;
  }
  f.raw_.assign(text);
  const std::string_view raw(f.raw_);
  // One allocation for the field index (a report has about 35 fields; growing it took 6 or 7).
  f.fields_.reserve(static_cast<std::size_t>(std::count(raw.begin(), raw.end(), kSoh)) + 1);
  std::size_t pos = 0;
  std::size_t body_start = 0;
  std::size_t checksum_at = std::string_view::npos;
  while (pos < raw.size()) {
    const std::size_t eq = raw.find('=', pos);
    const std::size_t end = eq == std::string_view::npos ? eq : raw.find(kSoh, eq);
    if (end == std::string_view::npos) {
      fail(why, "field at byte " + std::to_string(pos) + " is not tag=value ended by SOH");
      return std::nullopt;
    }
    int tag = 0;
    if (!parse_unsigned(raw.substr(pos, eq - pos), tag) || tag <= 0) {
      fail(why, "bad tag \"" + std::string(raw.substr(pos, std::min<std::size_t>(eq - pos, 16))) + "\" at byte " +
                    std::to_string(pos));
      return std::nullopt;
    }
    if (checksum_at != std::string_view::npos) {
      fail(why, "fields after CheckSum(10)");
      return std::nullopt;
    }
    const auto index = f.fields_.size();
    if ((index == 0 && tag != 8) || (index == 1 && tag != 9)) {
      fail(why, index == 0 ? "does not start with BeginString(8)" : "BodyLength(9) is not the second field");
      return std::nullopt;
    }
    if (tag == 10) checksum_at = pos;
    f.fields_.push_back(Field{tag, static_cast<std::uint32_t>(eq + 1), static_cast<std::uint32_t>(end - eq - 1)});
    pos = end + 1;
    if (index == 1) body_start = pos;
  }
  if (f.fields_.size() < 3 || checksum_at == std::string_view::npos) {
    fail(why, "no CheckSum(10)");
    return std::nullopt;
  }
  std::size_t body_length = 0;
  if (!parse_unsigned(f.value_at(1), body_length) || body_length != checksum_at - body_start) {
    fail(why, "BodyLength(9) is " + std::string(f.value_at(1)) + ", the body has " +
                  std::to_string(checksum_at - body_start) + " bytes");
    return std::nullopt;
  }
  const unsigned sum = fix_checksum(std::string_view(raw).substr(0, checksum_at));
  unsigned declared = 0;
  const auto cs = f.value_at(f.fields_.size() - 1);
  if (cs.size() != 3 || !parse_unsigned(cs, declared) || declared != sum) {
    fail(why, "CheckSum(10) is " + std::string(cs) + ", the message sums to " + std::to_string(sum));
    return std::nullopt;
  }
  return f;
}

std::optional<std::string_view> FixFields::get(int tag) const {
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].tag == tag) return value_at(i);
  }
  return std::nullopt;
}

std::optional<Decimal> FixFields::decimal(int tag) const {
  const auto v = get(tag);
  if (!v) return std::nullopt;
  auto d = Decimal::parse(*v);
  if (!d) return std::nullopt;
  return *d;
}

std::optional<std::int64_t> FixFields::timestamp_ns(int tag) const {
  const auto v = get(tag);
  if (!v) return std::nullopt;
  return parse_utc_timestamp(*v);
}

std::optional<std::uint64_t> FixFields::unsigned_number(int tag) const {
  const auto v = get(tag);
  std::uint64_t n = 0;
  if (!v || !parse_unsigned(*v, n)) return std::nullopt;
  return n;
}

std::optional<ReportRecord> read_report_record(std::string_view payload,
                                               const std::vector<std::pair<std::string, std::string>>& headers,
                                               std::string* why, RecordProblem* problem) {
  if (problem != nullptr) *problem = RecordProblem::kMalformed;
  const auto mismatch = [problem] {
    if (problem != nullptr) *problem = RecordProblem::kMismatch;
  };
  ReportRecord r;
  auto header = [&](std::string_view key) -> const std::string* {
    for (const auto& [k, v] : headers) {
      if (k == key) return &v;
    }
    return nullptr;
  };
  const std::string* seq = header("venue-seq");
  if (seq == nullptr || !parse_unsigned(*seq, r.venue_seq) || r.venue_seq == 0) {
    fail(why, seq == nullptr ? "no venue-seq header" : "venue-seq header \"" + *seq + "\" is not a positive number");
    return std::nullopt;
  }
  const std::string* type = header("msg-type");
  if (type == nullptr || type->size() != 1 || type->find_first_of("89rj") != 0) {
    fail(why, type == nullptr ? "no msg-type header" : "msg-type header \"" + *type + "\" is not 8, 9, r or j");
    return std::nullopt;
  }
  r.msg_type = (*type)[0];
  const std::string* session = header("session");
  if (session == nullptr || session->empty()) {
    fail(why, "no session header");
    return std::nullopt;
  }
  r.session = *session;
  if (const std::string* v = header("shard"); v != nullptr && !parse_unsigned(*v, r.shard)) {
    fail(why, "shard header \"" + *v + "\" is not a number");
    return std::nullopt;
  }
  if (const std::string* v = header("engine-seq"); v != nullptr && !parse_unsigned(*v, r.engine_seq)) {
    fail(why, "engine-seq header \"" + *v + "\" is not a number");
    return std::nullopt;
  }
  if (const std::string* v = header("firm")) r.firm = *v;
  if (const std::string* v = header("account")) r.account = *v;
  if (const std::string* v = header("traceparent")) r.traceparent = *v;
  std::string fix_why;
  auto fix = FixFields::parse(payload, &fix_why);
  if (!fix) {
    fail(why, "payload is not a FIX message: " + fix_why);
    return std::nullopt;
  }
  r.fix = std::move(*fix);
  if (r.fix.text(tags::kMsgType) != std::string_view(&r.msg_type, 1)) {
    mismatch();
    fail(why,
         "MsgType(35) " + std::string(r.fix.text(tags::kMsgType)) + " disagrees with the msg-type header " + *type);
    return std::nullopt;
  }
  if (r.fix.text(tags::kTargetCompID) != r.session) {
    mismatch();
    fail(why, "TargetCompID(56) " + std::string(r.fix.text(tags::kTargetCompID)) +
                  " disagrees with the session header " + r.session);
    return std::nullopt;
  }
  if (r.fix.text(tags::kAccount) != r.account) {
    mismatch();
    fail(why, "Account(1) \"" + std::string(r.fix.text(tags::kAccount)) + "\" disagrees with the account header \"" +
                  r.account + "\"");
    return std::nullopt;
  }
  if (r.msg_type == '8') {
    const auto exec = r.fix.text(tags::kExecType);
    const std::string* exec_header = header("exec-type");
    if (exec.size() != 1 || (exec_header != nullptr && *exec_header != exec)) {
      if (exec.size() == 1) mismatch();
      fail(why, "ExecType(150) \"" + std::string(exec) + "\" missing or disagrees with the exec-type header");
      return std::nullopt;
    }
    r.exec_type = exec[0];
  }
  if (problem != nullptr) *problem = RecordProblem::kNone;
  return r;
}

std::optional<ReportRecord> read_report_record(RdKafka::Message& message, std::string* why, RecordProblem* problem) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (RdKafka::Headers* h = message.headers()) {
    for (const auto& each : h->get_all()) {
      headers.emplace_back(each.key(), std::string(static_cast<const char*>(each.value()), each.value_size()));
    }
  }
  const std::string_view payload(static_cast<const char*>(message.payload()), message.len());
  auto r = read_report_record(payload, headers, why, problem);
  if (!r) return r;
  r->topic = message.topic_name();
  r->partition = message.partition();
  r->offset = message.offset();
  const auto ts = message.timestamp();
  r->timestamp_ms = ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE ? -1 : ts.timestamp;
  return r;
}

int reject_code_of(std::string_view text) {
  int code = 0;
  const auto space = text.find(' ');
  if (space == std::string_view::npos || space == 0 || space > 5) return 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + space, code);
  return ec == std::errc() && ptr == text.data() + space ? code : 0;
}

}  // namespace venue::fix_session

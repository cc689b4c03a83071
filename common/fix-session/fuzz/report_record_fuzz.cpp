// libFuzzer target over read_report_record (report_record.h): how every consumer of
// venue.execution-reports (drop copy, compliance, risk) reads a Kafka record's headers and FIX payload.
//
// An input is the record's headers, one "key=value" per line, then an empty line, then the payload (the
// FIX message, SOH bytes as they are). Checked on every input:
//   - the reader returns a record or a reason (never nothing, never a crash);
//   - a record agrees with what the reader promises: venue-seq positive, msg-type one of 8 9 r j and the
//     same as MsgType(35), session non-empty and the same as TargetCompID(56), the account header the same
//     as Account(1), an ExecutionReport's ExecType one character;
//   - its fields are the payload exactly: walking the payload field by field gives each field's tag and
//     value in order and nothing else, BeginString first, BodyLength second and equal to the body's
//     length, CheckSum last and equal to the byte sum;
//   - the typed accessors (decimal, timestamp, unsigned number, reject code) answer for every field.
//
//   build-fuzz/bin/report_record_fuzz common/fix-session/fuzz/corpus/report_record
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "venue/fix_session/report_record.h"

namespace {

namespace fsn = venue::fix_session;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "report_record_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

void check_fields_are_the_payload(const fsn::FixFields& f, std::string_view payload) {
  check(f.raw() == payload, "the record keeps the payload as it came");
  check(f.size() >= 3 && f.tag_at(0) == 8 && f.tag_at(1) == 9 && f.tag_at(f.size() - 1) == 10,
        "8= first, 9= second, 10= last");
  std::size_t pos = 0;
  std::size_t body_start = 0;
  std::size_t checksum_at = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const std::size_t eq = payload.find('=', pos);
    check(eq != std::string_view::npos, "every field has a tag=");
    int tag = 0;
    const auto [ptr, ec] = std::from_chars(payload.data() + pos, payload.data() + eq, tag);
    check(ec == std::errc() && ptr == payload.data() + eq && tag == f.tag_at(i), "the field's tag is its text");
    const std::string_view value = f.value_at(i);
    check(payload.substr(eq + 1, value.size()) == value, "the field's value is its text");
    check(eq + 1 + value.size() < payload.size() && payload[eq + 1 + value.size()] == '\x01', "SOH ends the value");
    if (i == f.size() - 1) checksum_at = pos;
    pos = eq + value.size() + 2;
    if (i == 1) body_start = pos;
  }
  check(pos == payload.size(), "nothing after the last field");
  check(f.unsigned_number(9) == checksum_at - body_start, "BodyLength is the body's length");
  unsigned sum = 0;
  for (std::size_t i = 0; i < checksum_at; ++i) sum += static_cast<unsigned char>(payload[i]);
  check(f.unsigned_number(10) == sum % 256, "CheckSum is the byte sum");
  for (std::size_t i = 0; i < f.size(); ++i) {
    const int tag = f.tag_at(i);
    check(f.get(tag).has_value(), "get finds every tag present");
    (void)f.decimal(tag);
    (void)f.timestamp_ns(tag);
    (void)f.unsigned_number(tag);
  }
  (void)fsn::reject_code_of(f.text(fsn::tags::kText));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t pos = 0;
  while (pos < in.size()) {
    const std::size_t nl = in.find('\n', pos);
    if (nl == std::string_view::npos) break;
    const std::string_view line = in.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) break;
    const std::size_t eq = line.find('=');
    headers.emplace_back(std::string(line.substr(0, eq)),
                         eq == std::string_view::npos ? std::string() : std::string(line.substr(eq + 1)));
  }
  const std::string_view payload = in.substr(std::min(pos, in.size()));
  std::string why;
  const auto rec = fsn::read_report_record(payload, headers, &why);
  if (!rec) {
    check(!why.empty(), "a refused record says why");
    return 0;
  }
  check(rec->venue_seq > 0, "venue-seq is positive");
  check(std::string_view("89rj").find(rec->msg_type) != std::string_view::npos, "msg-type is 8, 9, r or j");
  check(rec->fix.text(fsn::tags::kMsgType) == std::string_view(&rec->msg_type, 1), "msg-type is MsgType(35)");
  check(!rec->session.empty() && rec->fix.text(fsn::tags::kTargetCompID) == rec->session,
        "session is TargetCompID(56)");
  check(rec->fix.text(fsn::tags::kAccount) == rec->account, "the account header is Account(1)");
  if (rec->msg_type == '8') {
    check(rec->fix.text(fsn::tags::kExecType).size() == 1 && rec->exec_type == rec->fix.text(fsn::tags::kExecType)[0],
          "an ExecutionReport has its one-character ExecType");
  }
  check_fields_are_the_payload(rec->fix, payload);
  // The payload alone parses the same way (what a consumer that only reads FIX gets).
  const auto again = fsn::FixFields::parse(payload, nullptr);
  check(again.has_value() && again->size() == rec->fix.size(), "the payload parses again the same");
  return 0;
}

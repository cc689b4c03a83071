#include "venue/compliance/audit_row.h"

#include <openssl/evp.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <iterator>

#include "venue/common/fixed_point.h"

namespace venue::compliance {

namespace fs = venue::fix_session;
namespace tags = venue::fix_session::tags;

const std::array<ColumnInfo, kColumnCount>& columns() {
  static const std::array<ColumnInfo, kColumnCount> kColumns{{
      {"venue_seq", ColKind::kInt},
      {"trading_day", ColKind::kDate},
      {"skipped_before", ColKind::kInt},
      {"msg_type", ColKind::kText},
      {"exec_type", ColKind::kText},
      {"exec_id", ColKind::kText},
      {"exec_ref_id", ColKind::kText},
      {"order_id", ColKind::kText},
      {"cl_ord_id", ColKind::kText},
      {"orig_cl_ord_id", ColKind::kText},
      {"session", ColKind::kText},
      {"firm", ColKind::kText},
      {"account", ColKind::kText},
      {"symbol", ColKind::kText},
      {"side", ColKind::kText},
      {"ord_type", ColKind::kText},
      {"time_in_force", ColKind::kText},
      {"order_qty", ColKind::kNumeric},
      {"price", ColKind::kNumeric},
      {"stop_px", ColKind::kNumeric},
      {"ord_status", ColKind::kText},
      {"last_qty", ColKind::kNumeric},
      {"last_px", ColKind::kNumeric},
      {"cum_qty", ColKind::kNumeric},
      {"leaves_qty", ColKind::kNumeric},
      {"avg_px", ColKind::kNumeric},
      {"order_capacity", ColKind::kText},
      {"transact_time", ColKind::kTimestamp},
      {"report_time", ColKind::kTimestamp},
      {"trd_match_id", ColKind::kText},
      {"last_liquidity_ind", ColKind::kText},
      {"reject_code", ColKind::kInt},
      {"text", ColKind::kText},
      {"poss_resend", ColKind::kBool},
      {"repeat_of_venue_seq", ColKind::kInt},
      {"bust_of_venue_seq", ColKind::kInt},
      {"shard", ColKind::kInt},
      {"engine_seq", ColKind::kInt},
      {"traceparent", ColKind::kText},
      {"kafka_partition", ColKind::kInt},
      {"kafka_offset", ColKind::kInt},
      {"raw_fix", ColKind::kText},
      {"error", ColKind::kText},
  }};
  return kColumns;
}

std::uint64_t AuditRow::venue_seq() const {
  std::uint64_t n = 0;
  if (v[kVenueSeq]) std::from_chars(v[kVenueSeq]->data(), v[kVenueSeq]->data() + v[kVenueSeq]->size(), n);
  return n;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::string printable_utf8(std::string_view s) {
  if (valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 16);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0 || c >= 0x80) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string pg_numeric_text(std::string_view d) {
  bool negative = false;
  if (!d.empty() && d[0] == '-') {
    negative = true;
    d.remove_prefix(1);
  }
  const auto dot = d.find('.');
  std::string_view integer = d.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view() : d.substr(dot + 1);
  while (integer.size() > 1 && integer[0] == '0') integer.remove_prefix(1);
  std::string out;
  bool zero = true;
  for (const char c : integer) zero = zero && c == '0';
  for (const char c : fraction) zero = zero && c == '0';
  if (negative && !zero) out += '-';
  out += integer.empty() ? std::string_view("0") : integer;
  if (!fraction.empty()) {
    out += '.';
    out += fraction;
  }
  return out;
}

namespace {

std::tm utc_tm(std::int64_t micros, std::int64_t& frac) {
  std::int64_t secs = micros / 1'000'000;
  frac = micros % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

// The UTC calendar fields of `micros` without gmtime_r and snprintf (both take locks and walk the time
// zone rules: a tenth of the COPY text's cost per row), by H. Hinnant's days-to-civil algorithm.
struct Civil {
  std::int64_t year;
  unsigned month, day, hour, minute, second;
  std::int64_t frac;  // microseconds, 0..999999
};

Civil civil_of_micros(std::int64_t micros) {
  std::int64_t secs = micros / 1'000'000;
  std::int64_t frac = micros % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  return {y,
          m,
          d,
          static_cast<unsigned>(sod / 3600),
          static_cast<unsigned>(sod % 3600 / 60),
          static_cast<unsigned>(sod % 60),
          frac};
}

void put_digits(char*& p, std::uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  p += width;
}

}  // namespace

std::string timestamp_literal(std::int64_t micros) {
  std::string out;
  append_timestamp_literal(micros, out);
  return out;
}

void append_timestamp_literal(std::int64_t micros, std::string& out) {
  const Civil c = civil_of_micros(micros);
  if (c.year < 0 || c.year > 9999) {  // outside what FIX can send: the general formatting
    std::int64_t frac = 0;
    const std::tm tm = utc_tm(micros, frac);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
    out += buf;
    return;
  }
  char buf[32];  // "YYYY-MM-DD HH:MM:SS.ffffff+00": 29 characters
  char* p = buf;
  put_digits(p, static_cast<std::uint64_t>(c.year), 4);
  *p++ = '-';
  put_digits(p, c.month, 2);
  *p++ = '-';
  put_digits(p, c.day, 2);
  *p++ = ' ';
  put_digits(p, c.hour, 2);
  *p++ = ':';
  put_digits(p, c.minute, 2);
  *p++ = ':';
  put_digits(p, c.second, 2);
  *p++ = '.';
  put_digits(p, static_cast<std::uint64_t>(c.frac), 6);
  *p++ = '+';
  *p++ = '0';
  *p++ = '0';
  out.append(buf, p);
}

std::string iso_timestamp(std::int64_t micros) {
  std::int64_t frac = 0;
  const std::tm tm = utc_tm(micros, frac);
  char buf[48];
  if (frac % 1000 == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac / 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  }
  return buf;
}

std::string date_of_micros(std::int64_t micros) {
  const Civil c = civil_of_micros(micros);
  if (c.year < 0 || c.year > 9999) {
    std::int64_t frac = 0;
    const std::tm tm = utc_tm(micros, frac);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return buf;
  }
  std::string out(10, '-');
  char* p = out.data();
  put_digits(p, static_cast<std::uint64_t>(c.year), 4);
  ++p;
  put_digits(p, c.month, 2);
  ++p;
  put_digits(p, c.day, 2);
  return out;
}

std::optional<std::uint64_t> venue_seq_header(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [k, v] : headers) {
    if (k != "venue-seq") continue;
    std::uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || ptr != v.data() + v.size() || n == 0 || n > (1ULL << 62)) return std::nullopt;
    return n;
  }
  return std::nullopt;
}

namespace {

// The columns every row has: where it was read, the headers, the raw message.
void set_common(AuditRow& row, std::uint64_t seq, std::string_view msg_type, std::string_view session,
                std::string_view firm, std::string_view account, std::string_view traceparent, std::int32_t partition,
                std::int64_t offset, std::string_view raw) {
  row.set(kVenueSeq, std::to_string(seq));
  row.set(kSkippedBefore, std::string("0"));
  row.set(kMsgType, printable_utf8(msg_type));
  row.set(kSession, printable_utf8(session));
  row.set(kFirm, printable_utf8(firm));
  row.set(kAccount, printable_utf8(account));
  if (!traceparent.empty()) row.set(kTraceparent, printable_utf8(traceparent));
  row.set(kKafkaPartition, std::to_string(partition));
  row.set(kKafkaOffset, std::to_string(offset));
  row.set(kRawFix, printable_utf8(raw));
  row.set(kPossResend, std::string("false"));
}

void set_time(AuditRow& row, std::int64_t report_micros) {
  row.set(kReportTime, std::to_string(report_micros));
  row.set(kTradingDay, date_of_micros(report_micros));
}

std::int64_t now_micros() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

}  // namespace

AuditRow row_from_bad_record(std::uint64_t venue_seq, const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view payload, std::int32_t partition, std::int64_t offset,
                             std::int64_t timestamp_ms, const std::string& reason) {
  auto header = [&](std::string_view key) -> std::string_view {
    for (const auto& [k, v] : headers) {
      if (k == key) return v;
    }
    return {};
  };
  AuditRow row;
  set_common(row, venue_seq, header("msg-type"), header("session"), header("firm"), header("account"),
             header("traceparent"), partition, offset, payload);
  set_time(row, timestamp_ms >= 0 ? timestamp_ms * 1000 : now_micros());
  row.set(kError, printable_utf8(reason));
  return row;
}

AuditRow row_from_record(const fs::ReportRecord& r, std::string* error) {
  AuditRow row;
  const auto& f = r.fix;
  set_common(row, r.venue_seq, std::string_view(&r.msg_type, 1), r.session, r.firm, r.account, r.traceparent,
             r.partition, r.offset, f.raw());
  const auto fallback_time = [&] { return r.timestamp_ms >= 0 ? r.timestamp_ms * 1000 : now_micros(); };
  std::string why;
  if (!valid_utf8(f.raw()) || !valid_utf8(r.session) || !valid_utf8(r.firm) || !valid_utf8(r.account) ||
      !valid_utf8(r.traceparent)) {
    why = "the record is not valid UTF-8 text (offending bytes shown as \\xHH)";
  }
  auto text = [&](Col c, int tag) {
    if (auto v = f.get(tag)) row.set(c, *v);
  };
  auto number = [&](Col c, int tag, const char* name) {
    const auto v = f.get(tag);
    if (!v) return;
    if (!Decimal::parse(*v)) {
      if (why.empty())
        why = std::string(name) + "(" + std::to_string(tag) + ") \"" + printable_utf8(*v) +
              "\" is not a FIX decimal in range";
      return;
    }
    row.set(c, pg_numeric_text(*v));
  };
  std::optional<std::int64_t> transact;
  if (f.has(tags::kTransactTime)) {
    transact = f.timestamp_ns(tags::kTransactTime);
    if (!transact && why.empty()) {
      why = "TransactTime(60) \"" + printable_utf8(f.text(tags::kTransactTime)) + "\" is not a UTCTimestamp";
    }
  }
  const auto sending = f.timestamp_ns(tags::kSendingTime);
  if (!why.empty()) {
    set_time(row, transact ? *transact / 1000 : sending ? *sending / 1000 : fallback_time());
    row.set(kError, why);
    if (error != nullptr) *error = why;
    return row;
  }
  if (r.exec_type != 0) row.set(kExecType, std::string(1, r.exec_type));
  text(kExecId, tags::kExecID);
  text(kExecRefId, kExecRefIdTag);
  text(kOrderId, tags::kOrderID);
  text(kClOrdId, tags::kClOrdID);
  text(kOrigClOrdId, tags::kOrigClOrdID);
  text(kSymbol, tags::kSymbol);
  text(kSide, tags::kSide);
  text(kOrdType, tags::kOrdType);
  text(kTimeInForce, tags::kTimeInForce);
  number(kOrderQty, tags::kOrderQty, "OrderQty");
  number(kPrice, tags::kPrice, "Price");
  number(kStopPx, tags::kStopPx, "StopPx");
  text(kOrdStatus, tags::kOrdStatus);
  number(kLastQty, tags::kLastQty, "LastQty");
  number(kLastPx, tags::kLastPx, "LastPx");
  number(kCumQty, tags::kCumQty, "CumQty");
  number(kLeavesQty, tags::kLeavesQty, "LeavesQty");
  number(kAvgPx, tags::kAvgPx, "AvgPx");
  text(kOrderCapacity, tags::kOrderCapacity);
  text(kTrdMatchId, tags::kTrdMatchID);
  text(kLastLiquidityInd, 851);
  text(kText, tags::kText);
  if (const int code = fs::reject_code_of(f.text(tags::kText)); code != 0) row.set(kRejectCode, std::to_string(code));
  if (r.poss_resend()) row.set(kPossResend, std::string("true"));
  row.set(kShard, std::to_string(r.shard));
  row.set(kEngineSeq, std::to_string(r.engine_seq));
  if (transact) row.set(kTransactTime, std::to_string(*transact / 1000));
  set_time(row, transact ? *transact / 1000 : sending ? *sending / 1000 : fallback_time());
  if (!why.empty()) {
    // A decimal out of range: the parsed columns are dropped, the raw message and the reason kept.
    AuditRow bad;
    set_common(bad, r.venue_seq, std::string_view(&r.msg_type, 1), r.session, r.firm, r.account, r.traceparent,
               r.partition, r.offset, f.raw());
    bad.v[kReportTime] = row.v[kReportTime];
    bad.v[kTradingDay] = row.v[kTradingDay];
    bad.set(kError, why);
    if (error != nullptr) *error = why;
    return bad;
  }
  return row;
}

namespace {

void append_canonical(std::span<const std::optional<std::string>> values, std::string& out) {
  for (const auto& v : values) {
    if (!v) {
      out += '-';
      continue;
    }
    char digits[24];
    const auto written = std::to_chars(std::begin(digits), std::end(digits), v->size());
    out.append(digits, written.ptr);
    out += ':';
    out += *v;
  }
}

// One SHA-256 context and one fetched digest per thread, reused for every row: OpenSSL 3 looks the
// digest up again (under a lock) on every EVP_sha256() initialisation, and a context is an allocation.
struct Sha256 {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Sha256() = default;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

}  // namespace

std::string canonical(std::span<const std::optional<std::string>> values) {
  std::string out;
  out.reserve(1024);
  append_canonical(values, out);
  return out;
}

std::string canonical(const AuditRow& row) { return canonical(std::span<const std::optional<std::string>>(row.v)); }

Hash chain_hash(const Hash& prev, std::string_view canonical_text) {
  thread_local Sha256 sha;
  Hash out{};
  unsigned int len = 0;
  EVP_DigestInit_ex(sha.ctx, sha.md, nullptr);
  EVP_DigestUpdate(sha.ctx, prev.data(), prev.size());
  EVP_DigestUpdate(sha.ctx, canonical_text.data(), canonical_text.size());
  EVP_DigestFinal_ex(sha.ctx, out.data(), &len);
  return out;
}

Hash chain_hash(const Hash& prev, const AuditRow& row) {
  thread_local std::string text;  // reused: no allocation per row once it is long enough
  text.clear();
  append_canonical(std::span<const std::optional<std::string>>(row.v), text);
  return chain_hash(prev, text);
}

std::string hex(const Hash& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (std::size_t i = 0; i < h.size(); ++i) {
    out[2 * i] = kDigits[h[i] >> 4];
    out[2 * i + 1] = kDigits[h[i] & 0xF];
  }
  return out;
}

std::optional<Hash> hash_from_hex(std::string_view text) {
  if (text.size() != 64) return std::nullopt;
  Hash h{};
  for (std::size_t i = 0; i < 32; ++i) {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(text.data() + 2 * i, text.data() + 2 * i + 2, v, 16);
    if (ec != std::errc() || p != text.data() + 2 * i + 2) return std::nullopt;
    h[i] = static_cast<unsigned char>(v);
  }
  return h;
}

namespace {

// Runs without a special character are appended whole (the raw FIX message is ~300 bytes of them).
void copy_escape(std::string_view s, std::string& out) {
  std::size_t from = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '\\' && c != '\t' && c != '\n' && c != '\r') continue;
    out.append(s.data() + from, i - from);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      default: out += "\\r";
    }
    from = i + 1;
  }
  out.append(s.data() + from, s.size() - from);
}

}  // namespace

void append_copy_line(const AuditRow& row, std::string& out) {
  const auto& cols = columns();
  for (std::size_t i = 0; i < row.v.size(); ++i) {
    const auto& v = row.v[i];
    if (!v) {
      out += "\\N";
    } else if (cols[i].kind == ColKind::kTimestamp) {
      std::int64_t micros = 0;
      std::from_chars(v->data(), v->data() + v->size(), micros);
      append_timestamp_literal(micros, out);
    } else {
      copy_escape(*v, out);
    }
    out += '\t';
  }
  out += "\\\\x";
  out += hex(row.prev_hash);
  out += "\t\\\\x";
  out += hex(row.row_hash);
  out += '\n';
}

std::string copy_column_list() {
  std::string out;
  for (const auto& c : columns()) {
    out += c.name;
    out += ", ";
  }
  return out + "prev_hash, row_hash";
}

std::string verify_select_list() {
  std::string out;
  for (const auto& c : columns()) {
    const std::string n = c.name;
    switch (c.kind) {
      case ColKind::kTimestamp: out += "(extract(epoch from " + n + ") * 1000000)::bigint::text"; break;
      case ColKind::kDate: out += "to_char(" + n + ", 'YYYY-MM-DD')"; break;
      default: out += n + "::text";
    }
    out += ", ";
  }
  return out + "encode(prev_hash, 'hex'), encode(row_hash, 'hex')";
}

}  // namespace venue::compliance

// Application messages taken straight from their text (AcceptorSettings::direct_app_types), on the
// acceptor's thread. QuickFIX's Session::next parses every message into a Message through its data
// dictionary, validates each field against it, reads the clock to check SendingTime and then calls
// fromApp: at full load that was about a third of the venue's FIX thread. Here a message that is
// plainly in order is checked against the same dictionary's rules, kept in flat tables, and handed to
// the application through the same fromApp; anything this code is not sure of goes to QuickFIX, which
// decides as it always did. So this path accepts a subset of what QuickFIX accepts and never refuses.
//
// Taken directly, all of these must hold (else QuickFIX's):
//   - the session is logged on through this connection, QuickFIX handled a message from it within the
//     last second (its heartbeat and TestRequest timers count from what it handles) and has not asked
//     for a resend within the last 30 seconds (it may hold later messages queued);
//   - the CheckSum is right, 8 (FIX.4.4), 9, 35 lead, 10 ends; the only other header fields are MsgSeqNum(34),
//   SenderCompID(49),
//     SendingTime(52) and TargetCompID(56), all before the body (so no PossDupFlag or PossResend, no
//     sub IDs, no OnBehalfOf);
//   - MsgSeqNum is the one expected (no leading zero), the CompIDs are the session's, SendingTime is a
//     well-formed UTCTimestamp within the session's 120 s of the venue's clock;
//   - every body field is defined by the dictionary for the message type, once, with a value in a
//     canonical form of its type (and one of its enumerated values, when it has those), and no field of
//     a repeating group; every field the dictionary requires is there.
// What QuickFIX does after fromApp, this does too: the expected incoming number moves on.
#include <quickfix/DataDictionary.h>

#include <array>
#include <bitset>
#include "acceptor_impl.h"

namespace venue::fix_session {

using namespace acceptor_detail;

namespace {

constexpr std::int64_t kQuickFixEveryMs = 1000;  // QuickFIX handles at least one message a second
constexpr std::int64_t kAfterResendRequestMs = 30'000;
constexpr std::int64_t kMaxLatencyNs = 120'000'000'000;  // session_settings.cpp: MaxLatency = 120
constexpr int kMaxTag = 10'000;
constexpr std::size_t kMaxTypes = 8;

enum class Format : std::uint8_t { kNone, kString, kChar, kInt, kDecimal, kBoolean, kTimestamp, kDate };

Format direct_format_of(FIX::TYPE::Type t) {
  switch (t) {
    case FIX::TYPE::String:
    case FIX::TYPE::Currency:
    case FIX::TYPE::Exchange:
    case FIX::TYPE::Country:
    case FIX::TYPE::MultipleValueString:
    case FIX::TYPE::MultipleStringValue:
    case FIX::TYPE::Language: return Format::kString;
    case FIX::TYPE::Char:
    case FIX::TYPE::MultipleCharValue: return Format::kChar;  // one character only: a subset of both
    case FIX::TYPE::Int:
    case FIX::TYPE::SeqNum:
    case FIX::TYPE::Length:
    case FIX::TYPE::DayOfMonth: return Format::kInt;
    case FIX::TYPE::Price:
    case FIX::TYPE::Amt:
    case FIX::TYPE::Qty:
    case FIX::TYPE::Float:
    case FIX::TYPE::PriceOffset:
    case FIX::TYPE::Percentage: return Format::kDecimal;
    case FIX::TYPE::Boolean: return Format::kBoolean;
    case FIX::TYPE::UtcTimeStamp: return Format::kTimestamp;
    case FIX::TYPE::LocalMktDate:
    case FIX::TYPE::UtcDate: return Format::kDate;
    default: return Format::kNone;  // groups, data, times of day, month-years: QuickFIX's
  }
}

// A UTCTimestamp with no fraction or one of 3, 6 or 9 digits (the lengths QuickFIX writes and reads
// alike); nullopt otherwise.
std::optional<std::int64_t> canonical_timestamp(std::string_view v) {
  if (v.size() != 17 && v.size() != 21 && v.size() != 24 && v.size() != 27) return std::nullopt;
  return parse_utc_timestamp(v);
}

bool all_digits(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// Canonical forms only, each of which QuickFIX's converter for the type accepts.
bool direct_well_formed(Format f, std::string_view v) {
  switch (f) {
    case Format::kString: return true;
    case Format::kChar: return v.size() == 1 && v[0] > ' ' && v[0] < 0x7f;
    case Format::kInt: {
      const std::string_view d = !v.empty() && v[0] == '-' ? v.substr(1) : v;
      return all_digits(d) && d.size() <= 9;
    }
    case Format::kDecimal: {
      const std::string_view d = !v.empty() && v[0] == '-' ? v.substr(1) : v;
      const std::size_t dot = d.find('.');
      if (d.size() > 20) return false;
      if (dot == std::string_view::npos) return all_digits(d);
      return all_digits(d.substr(0, dot)) && all_digits(d.substr(dot + 1));
    }
    case Format::kBoolean: return v == "Y" || v == "N";
    case Format::kTimestamp: return canonical_timestamp(v).has_value();
    case Format::kDate: {
      if (v.size() != 8 || !all_digits(v)) return false;
      const int month = (v[4] - '0') * 10 + (v[5] - '0');
      const int day = (v[6] - '0') * 10 + (v[7] - '0');
      return month >= 1 && month <= 12 && day >= 1 && day <= 31;
    }
    case Format::kNone: return false;
  }
  return false;
}

}  // namespace

struct VenueAcceptor::Impl::DirectRules {
  const FIX::DataDictionary* dictionary = nullptr;
  std::vector<std::string> types;               // index = the type's bit
  std::array<Format, kMaxTag> format{};         // kNone: not a field this path takes
  std::array<std::uint8_t, kMaxTag> allowed{};  // bit i: a field of types[i]
  std::array<bool, kMaxTag> enumerated{};       // the dictionary lists its values
  std::vector<std::vector<int>> required;       // per type

  DirectRules(const FIX::DataDictionary& dd, const std::vector<std::string>& wanted) : dictionary(&dd) {
    for (const auto& t : wanted) {
      if (types.size() < kMaxTypes && dd.isMsgType(t)) types.push_back(t);
    }
    required.resize(types.size());
    for (int tag = 1; tag < kMaxTag; ++tag) {
      FIX::TYPE::Type type = FIX::TYPE::Unknown;
      if (!dd.getFieldType(tag, type) || dd.isHeaderField(tag) || dd.isTrailerField(tag)) continue;
      format[tag] = direct_format_of(type);
      enumerated[tag] = dd.hasFieldValue(tag);
      for (std::size_t i = 0; i < types.size(); ++i) {
        if (!dd.isMsgField(types[i], tag)) continue;
        if (dd.isRequiredField(types[i], tag)) required[i].push_back(tag);
        // A field that starts or belongs to a repeating group is left to QuickFIX.
        if (dd.isGroup(types[i], tag) || type == FIX::TYPE::NumInGroup) continue;
        allowed[tag] = static_cast<std::uint8_t>(allowed[tag] | (1U << i));
      }
    }
  }
  int type_index(std::string_view t) const {
    for (std::size_t i = 0; i < types.size(); ++i) {
      if (types[i] == t) return static_cast<int>(i);
    }
    return -1;
  }
};

bool VenueAcceptor::Impl::take_direct(Connection& c, const std::string& msg) {
  FIX::Session* session = c.session;
  if (session == nullptr || c.state != Connection::State::kActive || !session->isLoggedOn()) return false;
  const std::int64_t now_ms = coarse_ms();
  if (now_ms - c.quickfix_fed_ms >= kQuickFixEveryMs || now_ms - c.resend_asked_ms < kAfterResendRequestMs) {
    return false;
  }
  if (direct == nullptr) {
    const auto& dd = session->getDataDictionaryProvider().getSessionDataDictionary(kBeginString);
    direct = std::make_shared<const DirectRules>(dd, settings.direct_app_types);
  }
  const DirectRules& rules = *direct;
  if (!checksum_ok(msg)) return false;  // garbled: QuickFIX ignores it

  // Walk the fields: 8, 9, 35 first, 10 last.
  const std::string_view m(msg);
  std::size_t pos = 0;
  int index = 0;
  int type = -1;
  bool in_body = false;
  std::bitset<kMaxTag> seen;
  std::string_view seq_text, sender, target, sending_time;
  const FIX::SessionID& id = session->getSessionID();
  while (pos < m.size()) {
    const std::size_t eq = m.find('=', pos);
    if (eq == std::string_view::npos) return false;
    const std::size_t end = m.find('\x01', eq);
    if (end == std::string_view::npos) return false;
    int tag = 0;
    const auto r = std::from_chars(m.data() + pos, m.data() + eq, tag);
    if (r.ec != std::errc() || r.ptr != m.data() + eq || tag <= 0 || tag >= kMaxTag || m[pos] == '0') return false;
    const std::string_view value = m.substr(eq + 1, end - eq - 1);
    if (value.empty()) return false;
    const int position = index++;
    pos = end + 1;
    if (position == 0) {
      if (tag != 8 || value != kBeginString) return false;
      continue;
    }
    if (position == 1) {
      if (tag != 9) return false;
      continue;
    }
    if (position == 2) {
      if (tag != 35) return false;
      type = rules.type_index(value);
      if (type < 0) return false;
      continue;
    }
    if (tag == 10) {
      if (pos != m.size()) return false;
      break;
    }
    if (seen[static_cast<std::size_t>(tag)]) return false;
    seen.set(static_cast<std::size_t>(tag));
    switch (tag) {
      case 34: seq_text = value; break;
      case 49: sender = value; break;
      case 52: sending_time = value; break;
      case 56: target = value; break;
      default: {
        if ((rules.allowed[static_cast<std::size_t>(tag)] & (1U << type)) == 0) return false;
        const Format f = rules.format[static_cast<std::size_t>(tag)];
        if (!direct_well_formed(f, value)) return false;
        if (rules.enumerated[static_cast<std::size_t>(tag)] &&
            !rules.dictionary->isFieldValue(tag, std::string(value))) {
          return false;
        }
        in_body = true;
        continue;
      }
    }
    if (in_body) return false;  // a header field after the body
  }
  if (type < 0 || seq_text.empty() || sender.empty() || target.empty() || sending_time.empty()) return false;
  for (const int tag : rules.required[static_cast<std::size_t>(type)]) {
    if (!seen[static_cast<std::size_t>(tag)]) return false;
  }
  int seq = 0;
  const auto sr = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), seq);
  if (sr.ec != std::errc() || sr.ptr != seq_text.data() + seq_text.size() || seq_text[0] == '0' ||
      seq != session->getExpectedTargetNum()) {
    return false;
  }
  if (sender != id.getTargetCompID().getString() || target != id.getSenderCompID().getString()) return false;
  const auto sent = canonical_timestamp(sending_time);
  if (!sent) return false;
  const std::int64_t skew = realtime_ns() - *sent;
  if (skew > kMaxLatencyNs || skew < -kMaxLatencyNs) return false;

  // In order: the application gets it as QuickFIX would give it, then the number moves on. Parsed
  // without the dictionary (it was checked above, and it has no groups).
  const FIX::Message message(msg, false);
  ++self->counters_.direct_in;
  try {
    app->fromApp(message, id);
  } catch (const std::exception& e) {
    // The fields fromApp reads were checked above, so this is not a bad message but a failure of the
    // application: handled as QuickFIX handles one (its next() lets it out, feed() disconnects).
    VENUE_LOG_KV(error, "session failed on a message", {{"peer", c.peer}, {"error", e.what()}});
    session->setNextTargetMsgSeqNum(seq + 1);
    c.disconnect();
    return true;
  }
  session->setNextTargetMsgSeqNum(seq + 1);
  return true;
}

}  // namespace venue::fix_session

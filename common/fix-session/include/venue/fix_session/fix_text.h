#pragma once
// FIX text helpers: UTCTimestamp formatting and parsing, and field access that does not throw.
//
// Thread rules: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "venue/fix_session/quickfix.h"

namespace venue::fix_session {

// "YYYYMMDD-HH:MM:SS.sss" (UTC) of nanoseconds since the epoch.
std::string utc_timestamp(std::int64_t ns);
// Parses "YYYYMMDD-HH:MM:SS" with an optional fraction of 1 to 9 digits; nullopt when malformed.
std::optional<std::int64_t> parse_utc_timestamp(std::string_view text);

// True for a time of day "HH:MM:SS" (00:00:00 to 23:59:59), as session schedules are written.
bool valid_time_of_day(const std::string& hh_mm_ss);

// FIX CheckSum(10) of `bytes`: the sum of their values modulo 256.
unsigned fix_checksum(std::string_view bytes);

// The field's value, or nullopt when absent.
std::optional<std::string> get_field(const FIX::FieldMap& m, int tag);

// The value of tag `tag` ("35", not "35=") in a raw FIX message, first occurrence, walking field by field
// (a tag's digits inside another field's value do not match); nullopt when absent.
std::optional<std::string_view> raw_field(std::string_view msg, std::string_view tag);

}  // namespace venue::fix_session

// Characters of the FIX wire format used by the session layer's own parsing (internal header).
#pragma once

namespace venue::fix_session {

inline constexpr char kSoh = '\x01';  // the field delimiter

}  // namespace venue::fix_session

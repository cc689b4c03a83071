#pragma once
// Stream operators so Boost.Test can print the venue's value types in failure messages.

#include <optional>
#include <ostream>

#include "venue/common/domain.h"
#include "venue/common/fixed_point.h"
#include "venue/common/reject_code.h"

namespace venue {

inline std::ostream& operator<<(std::ostream& o, NumError e) { return o << to_string(e); }
inline std::ostream& operator<<(std::ostream& o, RejectCode c) {
  return o << to_string(c) << '(' << static_cast<int>(c) << ')';
}
inline std::ostream& operator<<(std::ostream& o, Side s) { return o << to_string(s); }
inline std::ostream& operator<<(std::ostream& o, TimeInForce t) { return o << to_string(t); }
inline std::ostream& operator<<(std::ostream& o, OrdType t) { return o << to_string(t); }
inline std::ostream& operator<<(std::ostream& o, TradingStatus s) { return o << to_string(s); }
inline std::ostream& operator<<(std::ostream& o, StpMode m) { return o << "StpMode(" << static_cast<int>(m) << ')'; }
inline std::ostream& operator<<(std::ostream& o, Decimal d) { return o << d.to_string(); }
template <class Tag>
std::ostream& operator<<(std::ostream& o, FixedCount<Tag> c) {
  return o << c.count();
}
template <class Tag, class Rep>
std::ostream& operator<<(std::ostream& o, StrongId<Tag, Rep> id) {
  return o << id.value();
}

}  // namespace venue

namespace std {
template <class T>
std::ostream& operator<<(std::ostream& o, const std::optional<T>& v) {
  if (!v) return o << "nullopt";
  using venue::operator<<;
  return o << *v;
}
}  // namespace std

#pragma once
// "A,B,,C" -> {"A", "B", "", "C"}: the comma lists of the bench tools' command lines (fixload --sender,
// fix-baseline-acceptor --targets). Each tool checks the parts itself.

#include <string>
#include <string_view>
#include <vector>

namespace venue::fix_gateway::bench {

inline std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = s.find(',', start);
    out.emplace_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace venue::fix_gateway::bench

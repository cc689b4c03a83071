#define BOOST_TEST_MODULE reject_codes
// The published catalogue (spec/reject-codes.md) and the codes the venue sends are the same list.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "support/printers.h"
#include "support/source_dir.h"
#include "venue/common/reject_code.h"

namespace {

std::vector<std::string> split_row(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream s(line);
  std::string cell;
  std::getline(s, cell, '|');  // before the first '|'
  while (std::getline(s, cell, '|')) {
    const auto b = cell.find_first_not_of(' ');
    const auto e = cell.find_last_not_of(' ');
    cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
  }
  return cells;
}

std::string reason(int r) { return r < 0 ? "-" : std::to_string(r); }

}  // namespace

BOOST_AUTO_TEST_CASE(the_published_catalogue_lists_exactly_the_codes_the_venue_sends) {
  std::ifstream in(venue::test::source_dir() + "/spec/reject-codes.md");
  BOOST_REQUIRE_MESSAGE(in, "spec/reject-codes.md is missing");
  std::map<int, std::vector<std::string>> published;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) != 0) continue;
    auto cells = split_row(line);
    if (cells.size() < 6 || cells[0].empty() || cells[0][0] < '0' || cells[0][0] > '9') continue;
    published[std::stoi(cells[0])] = cells;
  }
  std::set<int> seen;
  for (const auto& info : venue::reject_catalogue()) {
    const int code = static_cast<int>(info.code);
    BOOST_TEST_CONTEXT("code " << code) {
      BOOST_TEST(seen.insert(code).second, "code listed twice in reject_codes.def");
      auto it = published.find(code);
      BOOST_REQUIRE_MESSAGE(it != published.end(), "code " << code << " is not in spec/reject-codes.md");
      const auto& row = it->second;
      BOOST_TEST(row[1] == "`" + std::string(info.name) + "`");
      BOOST_TEST(row[2] == reason(info.ord_rej_reason));
      BOOST_TEST(row[3] == reason(info.cxl_rej_reason));
      BOOST_TEST(row[4] == reason(info.business_reject_reason));
      BOOST_TEST(row[5] == std::string(info.text));
    }
  }
  for (const auto& [code, row] : published) {
    BOOST_TEST(seen.contains(code), "spec/reject-codes.md lists " << code << " which the venue does not have");
  }
}

BOOST_AUTO_TEST_CASE(codes_are_looked_up_by_number_and_name) {
  BOOST_TEST(venue::to_string(venue::RejectCode::kUnknownOrder) == "UnknownOrder");
  BOOST_TEST(venue::reject_code_from_number(1050) == venue::RejectCode::kUnknownOrder);
  BOOST_TEST(!venue::reject_code_from_number(1).has_value());
  BOOST_TEST(venue::reject_info(venue::RejectCode::kNone) == nullptr);
}

#include "e2e/support/catalogue.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "e2e/support/venue_process.h"

namespace venue::e2e {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" `");
  const auto e = s.find_last_not_of(" `");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::map<int, CatalogueEntry> load() {
  const auto path = source_dir() / "spec" / "reject-codes.md";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::map<int, CatalogueEntry> out;
  std::string line;
  while (std::getline(in, line)) {
    // | 1001 | `UnknownInstrument` | 1 | 1 | 2 | Unknown instrument |
    if (line.size() < 3 || line[0] != '|') continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) cells.push_back(trim(cell));
    if (cells.size() < 5 || cells[0].empty() || cells[0].find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    CatalogueEntry e;
    e.code = std::stoi(cells[0]);
    e.name = cells[1];
    e.ord_rej_reason = cells[2];
    e.cxl_rej_reason = cells[3];
    e.business_rej_reason = cells[4];
    out[e.code] = e;
  }
  if (out.empty()) throw std::runtime_error("no reject codes found in " + path.string());
  return out;
}

}  // namespace

const std::map<int, CatalogueEntry>& catalogue() {
  static const std::map<int, CatalogueEntry> c = load();
  return c;
}

}  // namespace venue::e2e

#include "workload.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>
#include <unordered_map>

namespace venue::matcher::bench {
namespace {

struct Parser {
  const std::string& name;
  std::size_t line = 0;
  Workload w;
  std::unordered_map<std::uint64_t, std::uint64_t> venue_id_of;
  std::unordered_map<std::uint64_t, std::uint32_t> instrument_of;

  [[noreturn]] void fail(const std::string& why) const {
    throw WorkloadError(name + ":" + std::to_string(line) + ": " + why);
  }

  template <class T>
  T integer(std::string_view tok, const char* what) const {
    T v{};
    auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
    if (ec != std::errc() || p != tok.data() + tok.size())
      fail(std::string("bad ") + what + " \"" + std::string(tok) + "\"");
    return v;
  }

  std::uint64_t resolve(std::uint64_t id) {
    auto it = venue_id_of.find(id);
    if (it == venue_id_of.end()) {
      ++w.unknown_ids;
      return 0;
    }
    return it->second;
  }

  void parse_line(std::string_view s) {
    if (auto hash = s.find('#'); hash != std::string_view::npos) s = s.substr(0, hash);
    std::string_view tok[9];
    std::size_t n = 0;
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
      if (i >= s.size()) break;
      const std::size_t b = i;
      while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') ++i;
      if (n == 9) fail("too many fields");
      tok[n++] = s.substr(b, i - b);
    }
    if (n == 0) return;
    WorkOp op{};
    if (tok[0] == "add") {
      if (n != 8) fail("add needs 7 fields: add <order_id> <account> <symbol> <buy|sell> <qty> <price|MKT> <tif>");
      op.op = Op::kAdd;
      const auto id = integer<std::uint64_t>(tok[1], "order id");
      op.account = integer<std::uint32_t>(tok[2], "account");
      const auto sym = integer<std::uint64_t>(tok[3], "symbol");
      auto [it, fresh] = instrument_of.try_emplace(sym, static_cast<std::uint32_t>(instrument_of.size() + 1));
      op.symbol = it->second;
      if (tok[4] == "buy") {
        op.side = 1;
      } else if (tok[4] == "sell") {
        op.side = 2;
      } else {
        fail("bad side \"" + std::string(tok[4]) + "\" (buy or sell)");
      }
      op.qty = integer<std::int64_t>(tok[5], "quantity");
      if (tok[6] == "MKT") {
        op.market = true;
      } else {
        op.price = integer<std::int64_t>(tok[6], "price");
      }
      if (tok[7] == "day") {
        op.tif = Tif::kDay;
      } else if (tok[7] == "ioc") {
        op.tif = Tif::kIoc;
      } else if (tok[7] == "fok") {
        op.tif = Tif::kFok;
      } else if (tok[7] == "gtc") {
        op.tif = Tif::kGtc;
      } else {
        fail("bad time in force \"" + std::string(tok[7]) + "\" (day, ioc, fok or gtc)");
      }
      op.order = ++w.adds;  // the engine's order counter for this add
      venue_id_of[id] = op.order;
    } else if (tok[0] == "cancel") {
      if (n != 2) fail("cancel needs 1 field: cancel <order_id>");
      op.op = Op::kCancel;
      op.order = resolve(integer<std::uint64_t>(tok[1], "order id"));
    } else if (tok[0] == "replace") {
      if (n != 4) fail("replace needs 3 fields: replace <order_id> <new_total_qty> <new_price>");
      op.op = Op::kReplace;
      op.order = resolve(integer<std::uint64_t>(tok[1], "order id"));
      op.qty = integer<std::int64_t>(tok[2], "quantity");
      op.price = integer<std::int64_t>(tok[3], "price");
    } else {
      fail("unknown command \"" + std::string(tok[0]) + "\" (add, cancel or replace)");
    }
    w.ops.push_back(op);
  }
};

}  // namespace

Workload parse_workload(const std::string& text, const std::string& name) {
  Parser p{name, 0, {}, {}, {}};
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++p.line;
    p.parse_line(std::string_view(text).substr(start, end - start));
    start = end + 1;
  }
  p.w.instruments = static_cast<std::uint32_t>(p.instrument_of.size());
  p.w.ops.shrink_to_fit();
  return std::move(p.w);
}

Workload load_workload(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw WorkloadError(file.string() + ": cannot read the workload file");
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_workload(buf.str(), file.string());
}

}  // namespace venue::matcher::bench

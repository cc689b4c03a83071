#pragma once
// The benchmark workload format and its loader (shared by matcher-bench, the workload generator and
// the tests). One command per line, '#' starts a comment, integers only:
//   add <order_id> <account> <symbol> <buy|sell> <qty> <price|MKT> <day|ioc|fok|gtc>
//   cancel <order_id>
//   replace <order_id> <new_total_qty> <new_price>
//
// load_workload() parses the whole file into compact operations, and resolves order ids the way a
// gateway would: every add gets the venue order id the engine will assign it (counters are sequential
// per new-order command), and cancel/replace carry the venue id of the most recent add with their
// workload id (0 when there is none: the engine rejects it as unknown, and the bench counts it).
//
// Thread rules: plain functions and values.

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace venue::matcher::bench {

enum class Op : std::uint8_t { kAdd = 1, kCancel, kReplace };
enum class Tif : std::uint8_t { kDay = 0, kIoc, kFok, kGtc };

struct WorkOp {
  std::uint64_t order;   // venue order id (add: the id it will get; cancel/replace: target, 0 unknown)
  std::int64_t price;    // ticks; 0 for MKT
  std::int64_t qty;      // lots (add: quantity; replace: new total quantity)
  std::uint32_t symbol;  // instrument id (1-based, in order of first appearance)
  std::uint32_t account;
  Op op;
  std::uint8_t side;  // 1 buy, 2 sell
  Tif tif;
  bool market;
};

struct Workload {
  std::vector<WorkOp> ops;
  std::uint32_t instruments = 0;
  std::uint64_t adds = 0;
  std::uint64_t unknown_ids = 0;  // cancel/replace of ids never added
};

class WorkloadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws WorkloadError "<file>:<line>: <reason>" for a malformed line.
Workload load_workload(const std::filesystem::path& file);
Workload parse_workload(const std::string& text, const std::string& name);

}  // namespace venue::matcher::bench

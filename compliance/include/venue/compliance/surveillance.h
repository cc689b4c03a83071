#pragma once
// Surveillance: the rules of spec/compliance.md evaluated over the audit trail's reports in venue-seq
// order, as they are chained. Deterministic: the same reports in the same order give the same alerts,
// so after a restart the state is rebuilt by feeding the last replay_seconds() of the trail again
// (alerts of that replay are dropped: they were stored with the rows that raised them).
//
//   Surveillance s(cfg.surveillance);
//   std::vector<Alert> alerts;
//   if (auto e = event_from_record(record)) s.on_event(*e, alerts);
//
// The rules (thresholds in SurveillanceConfig):
//   wash_trade         both fills of one TrdMatchID(880) belong to one beneficial owner
//   spoofing           large or many orders near the touch on one side, cancelled quickly, while the owner
//                      traded on the other side
//   order_to_trade     order messages (new, replace, cancel request) >= max_ratio x fills, per account and
//                      instrument over a sliding window
//   momentum_ignition  aggressive orders on one side move the last trade price, then the owner trades the
//                      other way
// The book the spoofing rule measures the touch against is rebuilt from the reports themselves (orders
// acknowledged, replaced, filled, cancelled).
//
// Thread rules: one thread.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "venue/compliance/config.h"
#include "venue/fix_session/report_record.h"

namespace venue::compliance {

// What the rules read of an ExecutionReport. Quantities and prices in Decimal units (1e-8).
struct Event {
  std::uint64_t venue_seq = 0;
  char exec_type = 0;
  char side = 0;
  char ord_type = 0;
  char tif = 0;
  char ord_status = 0;
  char liquidity = 0;  // LastLiquidityInd(851): '1' resting, '2' aggressor
  std::string exec_id;
  std::string order_id;
  std::string orig_cl_ord_id;
  std::string account;
  std::string firm;
  std::string session;
  std::string symbol;
  std::string trd_match_id;
  std::string traceparent;
  std::int64_t order_qty = 0;
  std::int64_t price = 0;  // 0: none
  std::int64_t leaves = 0;
  std::int64_t last_qty = 0;
  std::int64_t last_px = 0;
  std::int64_t time_ns = 0;  // TransactTime
};

// nullopt for anything the rules do not read (not an ExecutionReport, no TransactTime).
std::optional<Event> event_from_record(const fix_session::ReportRecord& record);

struct Evidence {
  std::string exec_id;
  std::uint64_t venue_seq = 0;
  std::string role;  // e.g. "buy fill", "spoof order placed", "spoof order cancelled"
  std::string order_id;
  std::string account;
  std::string side;
  std::string qty;
  std::string price;
  std::int64_t time_ns = 0;
};

struct Alert {
  std::string id;  // "<rule>-<trigger venue-seq>" (unique; the same after a restart)
  std::string rule;
  std::string firm;
  std::string account;
  std::string owner;
  std::string symbol;
  std::string summary;
  std::string traceparent;
  std::int64_t event_time_ns = 0;
  std::uint64_t trigger_seq = 0;
  nlohmann::json figures;
  std::vector<Evidence> evidence;
};

// The alert as published on venue.compliance-alerts (spec/compliance.md).
nlohmann::json alert_json(const Alert& a);
nlohmann::json evidence_json(const std::vector<Evidence>& evidence);

inline constexpr const char* kRules[] = {"wash_trade", "spoofing", "order_to_trade", "momentum_ignition"};

class Surveillance {
 public:
  explicit Surveillance(SurveillanceConfig cfg);
  ~Surveillance();
  Surveillance(const Surveillance&) = delete;
  Surveillance& operator=(const Surveillance&) = delete;

  void on_event(const Event& e, std::vector<Alert>& out);
  // The beneficial owner of an account: its [[surveillance.owner]] group, else the account itself.
  std::string owner_of(const std::string& account, const std::string& firm) const;

 private:
  struct State;
  SurveillanceConfig cfg_;
  std::unordered_map<std::string, std::string> owner_by_account_;
  std::unique_ptr<State> state_;
};

}  // namespace venue::compliance

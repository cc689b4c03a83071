#pragma once
// Limit usage against the limits in force: warnings at the configured levels, once per crossing, and a
// breach once per breach (spec/risk.md, "Warnings and breaches").
//
//   Monitor m({.levels = {50, 75, 90}, .rearm_points = 2});
//   m.set_limits(limits_from_postgres);
//   std::vector<LimitEvent> events;
//   m.evaluate({Scope::kFirm, "ALPHA", LimitType::kMaxLoss, ""}, "ALPHA", loss, trigger, events);
//
// Per figure (scope, entity, limit type and, for max_net_position, the instrument):
//   - a warning for each level usage reaches (usage >= level% of the limit) that was not alerted yet;
//     a level is armed again once usage falls below (level - rearm_points)%;
//   - a breach when usage > limit; not again until usage falls below (100 - rearm_points)% of the
//     limit, or until the entity is released (released()): after a release, only usage above what it
//     was at the release (and above the limit) breaches again, so a firm trading its position down is
//     not stopped again while one trading it up is.
//   - "at the release" means when the venue applied it (the ack's applied_at), not when this service
//     reads the ack: the venue lets the firm trade from that moment, and its first fills can be read
//     before the ack (two topics, no order between them). While a figure is breached its usage is kept
//     with the TransactTime of what moved it, so a release finds the usage of that moment; a figure
//     already above it when the ack is read breaches at once (released() returns that breach).
//
// Thread rules: not thread-safe; one owner.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "venue/risk/limits.h"
#include "venue/risk/money.h"

namespace venue::risk {

struct MonitorSettings {
  std::vector<int> levels = {50, 75, 90};  // percent, ascending, each 1..99
  int rearm_points = 2;
};

struct LimitKey {
  Scope scope = Scope::kAccount;
  std::string entity;
  LimitType type = LimitType::kMaxLoss;
  std::string symbol;  // the instrument, for kMaxNetPosition; "" otherwise
  friend auto operator<=>(const LimitKey&, const LimitKey&) = default;
};

// What caused an evaluation: a report (venue-seq, ExecID, its times and trace), or a limit change.
struct Trigger {
  std::uint64_t venue_seq = 0;
  std::string exec_id;
  std::string traceparent;
  std::int64_t transact_ns = 0;     // the fill's TransactTime(60); 0 when not a fill
  std::int64_t record_ms = -1;      // the record's Kafka timestamp
  std::int64_t limits_version = 0;  // > 0: caused by this change of the limits, not by a report
};

struct LimitState {
  std::string firm;  // the firm (of the account, for account scope)
  Amount usage;
  Amount limit;
  bool has_limit = false;
  int level = 0;  // highest warning level alerted and not armed again; 0: none
  bool breached = false;
  std::optional<Amount> release_floor;  // usage at a release while breached (see above)
  std::int64_t breached_at_ns = 0;
};

struct LimitEvent {
  enum class Kind : std::uint8_t { kWarning, kBreach };
  Kind kind = Kind::kWarning;
  LimitKey key;
  std::string firm;
  Amount usage;
  Amount limit;
  int level = 0;  // the warning level in percent; 100 for a breach
  Trigger trigger;
};

struct LimitKeyHash {
  std::size_t operator()(const LimitKey& k) const noexcept;
};

class Monitor {
 public:
  explicit Monitor(MonitorSettings settings);

  const MonitorSettings& settings() const { return settings_; }
  // Replaces the limits in force. States of figures that no longer have a limit are dropped.
  void set_limits(std::vector<Limit> limits);
  const std::vector<Limit>& limits() const { return limits_; }
  // The limit for a figure: for kMaxNetPosition the symbol's own, else the entity's "" (every instrument).
  const Limit* limit_for(const LimitKey& key) const;

  // Records a figure's usage and appends what it causes; `now_ns` stamps a breach. Nothing happens for a
  // figure without a limit.
  void evaluate(const LimitKey& key, const std::string& firm, Amount usage, const Trigger& trigger, std::int64_t now_ns,
                std::vector<LimitEvent>& out);
  // A release of `entity` (an account, or a firm: its own figures and its accounts') took effect at the
  // venue at `applied_ns` (0: unknown, the usage now is taken). Returns the breaches of figures whose
  // usage already rose above their usage at that moment (and above the limit); `now_ns` stamps them.
  std::vector<LimitEvent> released(Scope scope, const std::string& entity, std::int64_t applied_ns = 0,
                                   std::int64_t now_ns = 0);

  // The figures that have a limit, with their state (sorted).
  std::map<LimitKey, LimitState> states() const;
  const LimitState* state(const LimitKey& key) const;
  void restore_state(const LimitKey& key, const LimitState& state);
  // States changed since the last call; nullopt for one dropped (its limit deleted).
  std::vector<std::pair<LimitKey, std::optional<LimitState>>> take_changed();

 private:
  // A usage seen while breached: `at_ns` is the TransactTime of what moved it (or of the one before,
  // for a move without one, such as a limit change), 0 when unknown (restored at start).
  struct Seen {
    std::int64_t at_ns = 0;
    Amount usage;
    Trigger trigger;
  };
  static constexpr std::size_t kMaxSeen = 256;  // a release is read milliseconds after it applies
  struct Slot {
    const Limit* limit = nullptr;  // nullptr: the figure has no limit (remembered so it is not looked up again)
    LimitState state;
    bool has_state = false;
    bool changed = false;
    std::deque<Seen> since_breach;  // while breached: each usage since the breach, oldest first
  };
  static void record_seen(Slot& s, const Trigger& trigger);
  Slot& slot(const LimitKey& key);

  MonitorSettings settings_;
  std::vector<Limit> limits_;
  std::map<LimitKey, const Limit*> index_;  // symbol "" for the every-instrument limits
  std::unordered_map<LimitKey, Slot, LimitKeyHash> slots_;
  std::vector<LimitKey> changed_;
  std::vector<LimitKey> dropped_;
};

}  // namespace venue::risk

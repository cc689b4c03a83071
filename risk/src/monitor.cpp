#include "venue/risk/monitor.h"

#include <algorithm>

namespace venue::risk {

std::size_t LimitKeyHash::operator()(const LimitKey& k) const noexcept {
  const std::size_t h = std::hash<std::string>{}(k.entity) * 31 + std::hash<std::string>{}(k.symbol);
  return h * 31 + static_cast<std::size_t>(k.type) * 2 + static_cast<std::size_t>(k.scope);
}

Monitor::Monitor(MonitorSettings settings) : settings_(std::move(settings)) {
  std::sort(settings_.levels.begin(), settings_.levels.end());
}

void Monitor::set_limits(std::vector<Limit> limits) {
  limits_ = std::move(limits);
  index_.clear();
  for (const auto& l : limits_) index_[LimitKey{l.scope, l.entity, l.type, l.symbol}] = &l;
  for (auto it = slots_.begin(); it != slots_.end();) {
    it->second.limit = limit_for(it->first);
    if (it->second.limit == nullptr && it->second.has_state) {
      dropped_.push_back(it->first);
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
}

const Limit* Monitor::limit_for(const LimitKey& key) const {
  if (auto it = index_.find(key); it != index_.end()) return it->second;
  if (key.type == LimitType::kMaxNetPosition && !key.symbol.empty()) {
    LimitKey every = key;
    every.symbol.clear();
    if (auto it = index_.find(every); it != index_.end()) return it->second;
  }
  return nullptr;
}

Monitor::Slot& Monitor::slot(const LimitKey& key) {
  auto [it, fresh] = slots_.try_emplace(key);
  if (fresh) it->second.limit = limit_for(key);
  return it->second;
}

void Monitor::evaluate(const LimitKey& key, const std::string& firm, Amount usage, const Trigger& trigger,
                       std::int64_t now_ns, std::vector<LimitEvent>& out) {
  Slot& s = slot(key);
  if (s.limit == nullptr) return;
  const Limit& limit = *s.limit;
  LimitState& st = s.state;
  const bool moved = !s.has_state || st.usage != usage || st.limit != limit.value || st.firm != firm;
  bool changed = moved;
  s.has_state = true;
  st.firm = firm;
  st.usage = usage;
  st.limit = limit.value;
  st.has_limit = true;
  const int rearm = settings_.rearm_points;

  // Levels fallen below their re-arm point are armed again; levels reached and not alerted are alerted.
  while (st.level > 0 && !at_or_above_percent(usage, limit.value, st.level - rearm)) {
    int lower = 0;
    for (int l : settings_.levels) {
      if (l < st.level) lower = l;
    }
    st.level = lower;
    changed = true;
  }
  for (int l : settings_.levels) {
    if (l <= st.level || !at_or_above_percent(usage, limit.value, l)) continue;
    out.push_back(LimitEvent{LimitEvent::Kind::kWarning, key, firm, usage, limit.value, l, trigger});
    st.level = l;
    changed = true;
  }

  const bool over = usage > limit.value;
  if (st.release_floor && !over) {
    st.release_floor.reset();
    changed = true;
  }
  if (st.breached) {
    if (!at_or_above_percent(usage, limit.value, 100 - rearm)) {
      st.breached = false;
      s.since_breach.clear();
      changed = true;
    } else if (moved) {
      record_seen(s, trigger);
    }
  } else if (over && (!st.release_floor || usage > *st.release_floor)) {
    out.push_back(LimitEvent{LimitEvent::Kind::kBreach, key, firm, usage, limit.value, 100, trigger});
    st.breached = true;
    st.breached_at_ns = now_ns;
    st.release_floor.reset();
    s.since_breach.clear();
    record_seen(s, trigger);
    changed = true;
  }
  if (changed && !s.changed) {
    s.changed = true;
    changed_.push_back(key);
  }
}

void Monitor::record_seen(Slot& s, const Trigger& trigger) {
  const std::int64_t at_ns =
      trigger.transact_ns > 0 ? trigger.transact_ns : (s.since_breach.empty() ? 0 : s.since_breach.back().at_ns);
  s.since_breach.push_back(Seen{at_ns, s.state.usage, trigger});
  if (s.since_breach.size() > kMaxSeen) s.since_breach.pop_front();
}

std::vector<LimitEvent> Monitor::released(Scope scope, const std::string& entity, std::int64_t applied_ns,
                                          std::int64_t now_ns) {
  std::vector<LimitEvent> out;
  for (auto& [key, s] : slots_) {
    LimitState& st = s.state;
    const bool mine = (key.scope == scope && key.entity == entity) ||
                      (scope == Scope::kFirm && key.scope == Scope::kAccount && st.firm == entity);
    if (!mine || !s.has_state || !st.breached) continue;
    // The usage when the venue applied the release: the last one seen before that moment (what moved
    // it later traded after the release). A move in the release's millisecond counts as after it.
    Amount floor = st.usage;
    if (applied_ns > 0 && !s.since_breach.empty()) {
      floor = s.since_breach.front().usage;
      for (const auto& seen : s.since_breach) {
        if (seen.at_ns >= applied_ns) break;
        floor = seen.usage;
      }
    }
    const Trigger latest = s.since_breach.empty() ? Trigger{} : s.since_breach.back().trigger;
    s.since_breach.clear();
    st.breached = false;
    st.release_floor = floor;
    if (st.usage > st.limit && st.usage > floor) {
      out.push_back(LimitEvent{LimitEvent::Kind::kBreach, key, st.firm, st.usage, st.limit, 100, latest});
      st.breached = true;
      st.breached_at_ns = now_ns;
      st.release_floor.reset();
      record_seen(s, latest);
    }
    if (!s.changed) {
      s.changed = true;
      changed_.push_back(key);
    }
  }
  return out;
}

std::map<LimitKey, LimitState> Monitor::states() const {
  std::map<LimitKey, LimitState> out;
  for (const auto& [key, s] : slots_) {
    if (s.has_state && s.limit != nullptr) out.emplace(key, s.state);
  }
  return out;
}

const LimitState* Monitor::state(const LimitKey& key) const {
  auto it = slots_.find(key);
  return it == slots_.end() || !it->second.has_state || it->second.limit == nullptr ? nullptr : &it->second.state;
}

void Monitor::restore_state(const LimitKey& key, const LimitState& state) {
  Slot& s = slot(key);
  s.state = state;
  s.has_state = true;
  s.since_breach.clear();
  // Breached before the restart: its usage then is the last one known before any release to come.
  if (state.breached) s.since_breach.push_back(Seen{0, state.usage, Trigger{}});
}

std::vector<std::pair<LimitKey, std::optional<LimitState>>> Monitor::take_changed() {
  std::vector<std::pair<LimitKey, std::optional<LimitState>>> out;
  out.reserve(dropped_.size() + changed_.size());
  for (auto& key : dropped_) out.emplace_back(std::move(key), std::nullopt);
  dropped_.clear();
  for (auto& key : changed_) {
    auto it = slots_.find(key);
    if (it == slots_.end()) continue;  // dropped since: listed above
    it->second.changed = false;
    if (it->second.has_state) out.emplace_back(key, it->second.state);
  }
  changed_.clear();
  return out;
}

}  // namespace venue::risk

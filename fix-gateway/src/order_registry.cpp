// Live orders, requests in flight and ClOrdID maps (order_registry.h). Gateway thread.
#include "venue/fix_gateway/order_registry.h"

namespace venue::fix_gateway {

Order& OrderRegistry::add(Order o) {
  const std::uint64_t key = o.key;
  Order& stored = orders_.insert_or_assign(key, std::move(o)).first->second;
  if (stored.id.valid()) key_of_[stored.id.value()] = key;
  return stored;
}

Order* OrderRegistry::find(std::uint64_t key) {
  auto it = orders_.find(key);
  return it == orders_.end() ? nullptr : &it->second;
}

Order* OrderRegistry::by_id(OrderId id) {
  auto k = key_of_.find(id.value());
  if (k == key_of_.end()) return nullptr;
  return find(k->second);
}

Order* OrderRegistry::by_clordid(const SessionOrders& s, const std::string& clordid) {
  auto it = s.live.find(clordid);
  return it == s.live.end() ? nullptr : find(it->second);
}

void OrderRegistry::bind(Order& o, OrderId id) {
  o.id = id;
  key_of_[id.value()] = o.key;
}

Request* OrderRegistry::request(std::uint64_t ref) {
  auto it = requests_.find(ref);
  return it == requests_.end() ? nullptr : &it->second;
}

std::optional<char> OrderRegistry::final_status(OrderId id) const {
  auto it = final_status_.find(id.value());
  if (it == final_status_.end()) return std::nullopt;
  return it->second;
}

void OrderRegistry::finish(Order& o, SessionOrders& s, char status) {
  if (o.id.valid() && status != 0) {
    final_status_[o.id.value()] = status;
    final_order_.push_back(o.id.value());
    if (final_order_.size() > kFinalStatusKept) {
      final_status_.erase(final_order_.front());
      final_order_.pop_front();
    }
  }
  auto it = s.live.find(o.clordid);
  if (it != s.live.end() && it->second == o.key) s.live.erase(it);
  if (o.id.valid() && status != 0) {
    if (s.ended.insert_or_assign(o.clordid, EndedOrder{o.id.value(), status, o.account}).second) {
      s.ended_fifo.push_back(o.clordid);
      if (s.ended_fifo.size() > kEndedKeptPerSession) {
        s.ended.erase(s.ended_fifo.front());
        s.ended_fifo.pop_front();
      }
    }
  }
  if (o.id.valid()) key_of_.erase(o.id.value());
  orders_.erase(o.key);
}

}  // namespace venue::fix_gateway

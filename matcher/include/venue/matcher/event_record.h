#pragma once
// EventRecord: one engine event as a fixed-size value, so that events can cross from the engine thread
// to the gateway thread through a ring (and be replayed into any EventListener on the other side).
//
//   record.shard    the shard that produced it
//   dispatch(record, listener) calls the matching EventListener callback.
//
// Thread rules: value type.

#include <cstdint>
#include <type_traits>

#include "venue/matcher/events.h"

namespace venue::matcher {

enum class EventKind : std::uint8_t {
  kAccepted = 1,
  kRejected,
  kTrade,
  kCancelled,
  kExpired,
  kReplaced,
  kCancelRejected,
  kRestated,
  kTriggered,
  kStatus,
  kMassCancelDone,
  kTradingStatus,
  kTradeBusted,
  kBustRejected,
};

struct EventRecord {
  EventKind kind = EventKind::kAccepted;
  std::uint16_t shard = 0;
  union {
    AcceptedEvent accepted;
    RejectedEvent rejected;
    TradeEvent trade;
    CancelledEvent cancelled;
    ExpiredEvent expired;
    ReplacedEvent replaced;
    CancelRejectedEvent cancel_rejected;
    RestatedEvent restated;
    TriggeredEvent triggered;
    StatusEvent status;
    MassCancelDoneEvent mass_cancel_done;
    TradingStatusEvent trading_status;
    TradeBustedEvent trade_busted;
    BustRejectedEvent bust_rejected;
  };

  EventRecord() : accepted{} {}
  const EventHeader& header() const;
};

static_assert(std::is_trivially_copyable_v<EventRecord>);

void dispatch(const EventRecord& record, EventListener& listener);

// An EventListener that turns each event into a record and hands it to `sink(const EventRecord&)`.
template <class Sink>
class RecordingListener final : public EventListener {
 public:
  RecordingListener(std::uint16_t shard, Sink sink) : shard_(shard), sink_(std::move(sink)) {}
  void on_accepted(const AcceptedEvent& e) override {
    put(EventKind::kAccepted, [&](EventRecord& r) { r.accepted = e; });
  }
  void on_rejected(const RejectedEvent& e) override {
    put(EventKind::kRejected, [&](EventRecord& r) { r.rejected = e; });
  }
  void on_trade(const TradeEvent& e) override {
    put(EventKind::kTrade, [&](EventRecord& r) { r.trade = e; });
  }
  void on_cancelled(const CancelledEvent& e) override {
    put(EventKind::kCancelled, [&](EventRecord& r) { r.cancelled = e; });
  }
  void on_expired(const ExpiredEvent& e) override {
    put(EventKind::kExpired, [&](EventRecord& r) { r.expired = e; });
  }
  void on_replaced(const ReplacedEvent& e) override {
    put(EventKind::kReplaced, [&](EventRecord& r) { r.replaced = e; });
  }
  void on_cancel_rejected(const CancelRejectedEvent& e) override {
    put(EventKind::kCancelRejected, [&](EventRecord& r) { r.cancel_rejected = e; });
  }
  void on_restated(const RestatedEvent& e) override {
    put(EventKind::kRestated, [&](EventRecord& r) { r.restated = e; });
  }
  void on_triggered(const TriggeredEvent& e) override {
    put(EventKind::kTriggered, [&](EventRecord& r) { r.triggered = e; });
  }
  void on_status(const StatusEvent& e) override {
    put(EventKind::kStatus, [&](EventRecord& r) { r.status = e; });
  }
  void on_mass_cancel_done(const MassCancelDoneEvent& e) override {
    put(EventKind::kMassCancelDone, [&](EventRecord& r) { r.mass_cancel_done = e; });
  }
  void on_trading_status(const TradingStatusEvent& e) override {
    put(EventKind::kTradingStatus, [&](EventRecord& r) { r.trading_status = e; });
  }
  void on_trade_busted(const TradeBustedEvent& e) override {
    put(EventKind::kTradeBusted, [&](EventRecord& r) { r.trade_busted = e; });
  }
  void on_bust_rejected(const BustRejectedEvent& e) override {
    put(EventKind::kBustRejected, [&](EventRecord& r) { r.bust_rejected = e; });
  }

 private:
  template <class Fill>
  void put(EventKind kind, Fill&& fill) {
    EventRecord& r = sink_.slot();
    r.kind = kind;
    r.shard = shard_;
    fill(r);
    sink_.commit();
  }
  std::uint16_t shard_;
  Sink sink_;
};

}  // namespace venue::matcher

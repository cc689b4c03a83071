#pragma once
// Events: every outcome of a command, reported through one listener interface.
//
// A listener overrides the callbacks it cares about; the others do nothing. Callbacks run on the engine's
// thread, synchronously, in the order the outcomes happen; the book may be mid-match when a trade is
// reported, so a listener must not call back into the engine, must not block and must not throw (the
// engine's runtime publishes events to other threads through a ring instead of doing work here).
//
// Every event that becomes an ExecutionReport carries a fresh ExecId from one per-shard counter; trade
// events carry one per side. Ids are deterministic: replaying the journal reproduces them exactly.
//
// Thread rules: callbacks on the engine thread only.

#include <cstdint>

#include "venue/common/domain.h"
#include "venue/common/fixed_point.h"
#include "venue/common/reject_code.h"
#include "venue/matcher/commands.h"

namespace venue::matcher {

enum class OrderState : std::uint8_t {
  kNew = 0,  // resting or waiting for its stop trigger, nothing filled
  kPartiallyFilled,
  kFilled,
  kCancelled,
  kExpired,
  kRejected,
};

// A snapshot of an order as it is after the event.
struct OrderView {
  OrderId id;
  std::uint64_t client_ref;
  InstrumentId instrument;
  Owner owner;
  Side side;
  OrdType type;
  TimeInForce tif;
  StpMode stp;
  bool post_only;
  bool triggered;  // a stop order whose trigger fired (or any non-stop order)
  OrderState state;
  Price price;  // limit price; for market orders the band limit applied (0 without a band)
  Price stop_price;
  Qty qty;  // total order quantity
  Qty cum_qty;
  Qty leaves_qty;
  Qty display_qty;
  std::int64_t expire_time_ns;
  __int128 cum_value;  // sum over fills of price ticks x lots; AvgPx = cum_value / cum_qty ticks
};

struct EventHeader {
  std::uint64_t seq;    // the command's sequence number
  std::int64_t now_ns;  // the command's time: TransactTime
};

struct AcceptedEvent {
  EventHeader header;
  ExecId exec_id;
  OrderView order;
};

struct RejectedEvent {
  EventHeader header;
  ExecId exec_id;
  RejectCode code;
  OrderView order;  // the order as it was asked for; state kRejected, id assigned
};

struct Fill {
  ExecId exec_id;
  OrderView order;  // after the fill
};

struct TradeEvent {
  EventHeader header;
  TradeId trade_id;
  InstrumentId instrument;
  Price price;  // always the resting order's price
  Qty qty;
  Side aggressor_side;
  Fill aggressor;
  Fill resting;
};

struct CancelledEvent {
  EventHeader header;
  ExecId exec_id;
  CancelReason reason;
  Qty cancelled_qty;          // the leaves quantity taken off
  std::uint64_t request_ref;  // client_ref of the cancel or mass-cancel request (0 for engine-made cancels)
  OrderView order;
};

struct ExpiredEvent {
  EventHeader header;
  ExecId exec_id;
  Qty expired_qty;
  OrderView order;
};

struct ReplacedEvent {
  EventHeader header;
  ExecId exec_id;
  std::uint64_t previous_ref;  // the order's client_ref before the replace
  bool kept_priority;
  OrderView order;  // after the replace (and before any fill the replace causes)
};

// A cancel, replace or status request that could not be honoured.
struct CancelRejectedEvent {
  EventHeader header;
  CommandType request;  // kCancel, kReplace or kStatus
  std::uint64_t client_ref;
  OrderId order_id;
  RejectCode code;
  bool order_known;  // true when `order` holds the order's current state
  OrderView order;
};

// An order's quantity reduced by the engine while it stays live (decrement-and-cancel self-trade
// prevention): qty and leaves are lower by reduced_qty, priority is kept.
struct RestatedEvent {
  EventHeader header;
  ExecId exec_id;
  Qty reduced_qty;
  OrderView order;
};

struct TriggeredEvent {
  EventHeader header;
  ExecId exec_id;
  Price trigger_price;  // the last trade price that fired it
  OrderView order;
};

struct StatusEvent {
  EventHeader header;
  std::uint64_t request_ref;
  OrderView order;
};

struct MassCancelDoneEvent {
  EventHeader header;
  MassCancelCmd request;
  std::uint64_t cancelled_count;
};

struct TradingStatusEvent {
  EventHeader header;
  InstrumentId instrument;
  TradingStatus status;
};

// One side of a busted trade: the order as it is after the correction (CumQty and cum_value lower by the
// trade; a live order's LeavesQty higher by it; a done order stays done, Filled becoming Cancelled).
struct BustSide {
  ExecId exec_id;
  bool live;  // the order still works (rests or waits for its trigger)
  OrderView order;
};

// A trade of the day cancelled by an operator (ExecType H on both sides).
struct TradeBustedEvent {
  EventHeader header;
  std::uint64_t request_ref;
  TradeId trade_id;
  InstrumentId instrument;
  Price price;
  Qty qty;
  Side aggressor_side;
  BustSide aggressor;
  BustSide resting;
};

// A bust the engine refused: kUnknownTrade (no such trade today, or its day has ended) or
// kTradeAlreadyBusted.
struct BustRejectedEvent {
  EventHeader header;
  std::uint64_t request_ref;
  TradeId trade_id;
  RejectCode code;
};

class EventListener {
 public:
  virtual ~EventListener() = default;
  virtual void on_accepted(const AcceptedEvent&) {}
  virtual void on_rejected(const RejectedEvent&) {}
  virtual void on_trade(const TradeEvent&) {}
  virtual void on_cancelled(const CancelledEvent&) {}
  virtual void on_expired(const ExpiredEvent&) {}
  virtual void on_replaced(const ReplacedEvent&) {}
  virtual void on_cancel_rejected(const CancelRejectedEvent&) {}
  virtual void on_restated(const RestatedEvent&) {}
  virtual void on_triggered(const TriggeredEvent&) {}
  virtual void on_status(const StatusEvent&) {}
  virtual void on_mass_cancel_done(const MassCancelDoneEvent&) {}
  virtual void on_trading_status(const TradingStatusEvent&) {}
  virtual void on_trade_busted(const TradeBustedEvent&) {}
  virtual void on_bust_rejected(const BustRejectedEvent&) {}
};

}  // namespace venue::matcher

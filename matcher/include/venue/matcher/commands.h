#pragma once
// Commands: everything that can change the engine's state, as fixed-size trivially copyable records.
// They travel through the command ring, are written to the journal byte for byte, and are replayed
// from it, so a change to any layout here must bump Journal::kFormatVersion (a new command type with a
// new member leaves the existing records as they were: old journals still read).
//
// Each Command carries the sequence number and the time (now_ns, nanoseconds since the Unix epoch)
// the sequencer gave it; the engine never reads a clock, which makes replay exact.
//
// Thread rules: value types.

#include <cstdint>
#include <type_traits>

#include "venue/common/domain.h"
#include "venue/common/fixed_point.h"

namespace venue::matcher {

// Who entered an order: the FIX session, its firm and the account the order is for.
struct Owner {
  SessionId session;
  FirmId firm;
  AccountId account;
};

// Why an order left the book other than by a fill or an expiry.
enum class CancelReason : std::uint8_t {
  kUser = 1,        // OrderCancelRequest
  kIocRemainder,    // IOC remainder, or a market order's remainder
  kFokUnfilled,     // FOK that could not fill in full
  kMinQtyUnmet,     // IOC with MinQty that could not fill MinQty at once
  kSelfTrade,       // self-trade prevention
  kPostOnly,        // post-only that would have taken liquidity (policy "cancel")
  kMassCancel,      // OrderMassCancelRequest
  kKillSwitch,      // risk or operations kill switch
  kDisconnect,      // cancel-on-disconnect
  kOperator,        // operations console
  kReplacedToZero,  // replace to a quantity at or below the filled quantity
};

enum class CommandType : std::uint8_t {
  kNewOrder = 1,
  kCancel,
  kReplace,
  kMassCancel,
  kStatus,
  kSetTradingStatus,
  kSetReferencePrice,
  kTimer,      // expire GTD orders whose expire time is at or before now_ns
  kEndOfDay,   // expire Day orders; the day's trades can no longer be busted
  kBustTrade,  // an operator cancels one of the day's trades (ExecType H)
};

struct NewOrderCmd {
  std::uint64_t client_ref;  // the gateway's handle for the order (echoed in every event of the order)
  InstrumentId instrument;
  Owner owner;
  Side side;
  OrdType type;
  TimeInForce tif;
  StpMode stp;
  bool post_only;
  Price price;       // limit price (Limit, StopLimit)
  Price stop_price;  // trigger (Stop, StopLimit)
  Qty qty;
  Qty display_qty;              // iceberg peak; 0 = fully visible
  Qty min_qty;                  // IOC only; 0 = none
  std::int64_t expire_time_ns;  // GTD only
};

struct CancelCmd {
  std::uint64_t client_ref;  // the cancel request's handle
  OrderId order;
  FirmId requester_firm;  // must own the order; 0 = operations (any order)
  CancelReason reason;
};

// A replace keeps side, instrument, type and TIF; it changes price, stop price, quantity and peak.
// qty is the new total order quantity (FIX OrderQty), filled quantity included.
struct ReplaceCmd {
  std::uint64_t client_ref;  // the new handle (new ClOrdID); the order carries it afterwards
  OrderId order;
  FirmId requester_firm;
  Price price;
  Price stop_price;
  Qty qty;
  Qty display_qty;
};

// Cancels every live order matching all the given filters (0 / invalid = any).
struct MassCancelCmd {
  std::uint64_t client_ref;
  SessionId session;
  FirmId firm;
  AccountId account;
  InstrumentId instrument;
  std::uint8_t side;  // 0 any, else Side
  CancelReason reason;
  std::uint8_t tif_mask;  // 0 any, else bit (1 << TimeInForce value) set for each TIF to cancel
};

constexpr std::uint8_t tif_bit(TimeInForce t) { return static_cast<std::uint8_t>(1U << static_cast<unsigned>(t)); }

struct StatusCmd {
  std::uint64_t client_ref;
  OrderId order;
  FirmId requester_firm;
};

struct TradingStatusCmd {
  InstrumentId instrument;  // invalid (0) = every instrument of the shard
  TradingStatus status;
};

struct ReferencePriceCmd {
  InstrumentId instrument;
  Price price;
};

struct EndOfDayCmd {
  InstrumentId instrument;  // invalid (0) = every instrument of the shard
};

// Cancels a trade of the current trading day: both orders' CumQty and AvgPx are corrected, and an order
// that is still live gets the busted quantity back as LeavesQty (spec/rules-of-engagement.md, "Trade
// busts"). Operators only: the gateway's admin path is the one sender.
struct BustTradeCmd {
  std::uint64_t request_ref;  // the operator request's handle (echoed in the outcome)
  TradeId trade;
};

struct Command {
  CommandType type;
  std::uint64_t seq;    // assigned by the sequencer; 0 in tests that apply commands directly
  std::int64_t now_ns;  // assigned by the sequencer
  union {
    NewOrderCmd new_order;
    CancelCmd cancel;
    ReplaceCmd replace;
    MassCancelCmd mass_cancel;
    StatusCmd status;
    TradingStatusCmd trading_status;
    ReferencePriceCmd reference_price;
    EndOfDayCmd end_of_day;
    BustTradeCmd bust_trade;
  };

  Command() : type(CommandType::kTimer), seq(0), now_ns(0), new_order{} {}
  static Command make(const NewOrderCmd& c) {
    Command x;
    x.type = CommandType::kNewOrder;
    x.new_order = c;
    return x;
  }
  static Command make(const CancelCmd& c) {
    Command x;
    x.type = CommandType::kCancel;
    x.cancel = c;
    return x;
  }
  static Command make(const ReplaceCmd& c) {
    Command x;
    x.type = CommandType::kReplace;
    x.replace = c;
    return x;
  }
  static Command make(const MassCancelCmd& c) {
    Command x;
    x.type = CommandType::kMassCancel;
    x.mass_cancel = c;
    return x;
  }
  static Command make(const StatusCmd& c) {
    Command x;
    x.type = CommandType::kStatus;
    x.status = c;
    return x;
  }
  static Command make(const TradingStatusCmd& c) {
    Command x;
    x.type = CommandType::kSetTradingStatus;
    x.trading_status = c;
    return x;
  }
  static Command make(const ReferencePriceCmd& c) {
    Command x;
    x.type = CommandType::kSetReferencePrice;
    x.reference_price = c;
    return x;
  }
  static Command make(const EndOfDayCmd& c) {
    Command x;
    x.type = CommandType::kEndOfDay;
    x.end_of_day = c;
    return x;
  }
  static Command make(const BustTradeCmd& c) {
    Command x;
    x.type = CommandType::kBustTrade;
    x.bust_trade = c;
    return x;
  }
  static Command timer() { return Command(); }
};

static_assert(std::is_trivially_copyable_v<Command>);
static_assert(sizeof(Command) <= 112, "commands travel through a ring of fixed-size slots");

// Whether a command changes state (and so is journaled). Status queries are not journaled.
constexpr bool is_journaled(CommandType t) { return t != CommandType::kStatus; }

}  // namespace venue::matcher

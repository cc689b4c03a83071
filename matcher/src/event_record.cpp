#include "venue/matcher/event_record.h"

namespace venue::matcher {

const EventHeader& EventRecord::header() const {
  switch (kind) {
    case EventKind::kAccepted: return accepted.header;
    case EventKind::kRejected: return rejected.header;
    case EventKind::kTrade: return trade.header;
    case EventKind::kCancelled: return cancelled.header;
    case EventKind::kExpired: return expired.header;
    case EventKind::kReplaced: return replaced.header;
    case EventKind::kCancelRejected: return cancel_rejected.header;
    case EventKind::kRestated: return restated.header;
    case EventKind::kTriggered: return triggered.header;
    case EventKind::kStatus: return status.header;
    case EventKind::kMassCancelDone: return mass_cancel_done.header;
    case EventKind::kTradingStatus: return trading_status.header;
    case EventKind::kTradeBusted: return trade_busted.header;
    case EventKind::kBustRejected: return bust_rejected.header;
  }
  return accepted.header;
}

void dispatch(const EventRecord& r, EventListener& l) {
  switch (r.kind) {
    case EventKind::kAccepted: l.on_accepted(r.accepted); return;
    case EventKind::kRejected: l.on_rejected(r.rejected); return;
    case EventKind::kTrade: l.on_trade(r.trade); return;
    case EventKind::kCancelled: l.on_cancelled(r.cancelled); return;
    case EventKind::kExpired: l.on_expired(r.expired); return;
    case EventKind::kReplaced: l.on_replaced(r.replaced); return;
    case EventKind::kCancelRejected: l.on_cancel_rejected(r.cancel_rejected); return;
    case EventKind::kRestated: l.on_restated(r.restated); return;
    case EventKind::kTriggered: l.on_triggered(r.triggered); return;
    case EventKind::kStatus: l.on_status(r.status); return;
    case EventKind::kMassCancelDone: l.on_mass_cancel_done(r.mass_cancel_done); return;
    case EventKind::kTradingStatus: l.on_trading_status(r.trading_status); return;
    case EventKind::kTradeBusted: l.on_trade_busted(r.trade_busted); return;
    case EventKind::kBustRejected: l.on_bust_rejected(r.bust_rejected); return;
  }
}

}  // namespace venue::matcher

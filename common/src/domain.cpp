#include "venue/common/domain.h"

namespace venue {

std::string_view to_string(Side s) {
  switch (s) {
    case Side::kBuy: return "buy";
    case Side::kSell: return "sell";
  }
  return "?";
}

std::string_view to_string(TimeInForce t) {
  switch (t) {
    case TimeInForce::kDay: return "day";
    case TimeInForce::kIoc: return "ioc";
    case TimeInForce::kFok: return "fok";
    case TimeInForce::kGtc: return "gtc";
    case TimeInForce::kGtd: return "gtd";
  }
  return "?";
}

std::string_view to_string(OrdType t) {
  switch (t) {
    case OrdType::kMarket: return "market";
    case OrdType::kLimit: return "limit";
    case OrdType::kStop: return "stop";
    case OrdType::kStopLimit: return "stop_limit";
  }
  return "?";
}

std::string_view to_string(StpMode m) {
  switch (m) {
    case StpMode::kNone: return "none";
    case StpMode::kCancelNewest: return "cancel_newest";
    case StpMode::kCancelOldest: return "cancel_oldest";
    case StpMode::kCancelBoth: return "cancel_both";
    case StpMode::kDecrementAndCancel: return "decrement_and_cancel";
  }
  return "?";
}

std::string_view to_string(TradingStatus s) {
  switch (s) {
    case TradingStatus::kOpen: return "open";
    case TradingStatus::kHalted: return "halted";
    case TradingStatus::kClosed: return "closed";
  }
  return "?";
}

}  // namespace venue

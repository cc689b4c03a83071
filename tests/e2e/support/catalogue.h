#pragma once
// The reject-code catalogue as brokers read it: spec/reject-codes.md, parsed. The tests take the FIX
// reason values they expect from the document itself, so they check the venue against its published
// contract.
//
//   const CatalogueEntry& e = catalogue().at(1021);   // e.name "PriceOutsideBand", e.ord_rej_reason "0"
//
// Thread rules: catalogue() is loaded once (first call), then read-only.

#include <map>
#include <string>

namespace venue::e2e {

struct CatalogueEntry {
  int code = 0;
  std::string name;
  std::string ord_rej_reason;       // OrdRejReason(103) on a 35=8 150=8; "-" when never sent there
  std::string cxl_rej_reason;       // CxlRejReason(102) on a 35=9
  std::string business_rej_reason;  // BusinessRejectReason(380) on a 35=j
};

// Loaded from $VENUE_SOURCE_DIR/spec/reject-codes.md; throws if it cannot be read or has no codes.
const std::map<int, CatalogueEntry>& catalogue();

}  // namespace venue::e2e

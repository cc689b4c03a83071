#pragma once
// Boost.Test glue for the end-to-end suites: the global fixture that ends the program's venue, and the
// assertions every suite makes about refusals (the message type, the FIX reason field the catalogue
// gives, and Text starting with the code and its name).
//
//   BOOST_TEST_GLOBAL_FIXTURE(venue::e2e::SuiteVenueFixture);
//   auto rej = brk1.expect(er(id, "8"));
//   check_order_reject(rej, 3001);
//
// Thread rules: the test's thread.

#include <boost/test/results_collector.hpp>
#include <boost/test/tree/traverse.hpp>
#include <boost/test/tree/visitor.hpp>
#include <boost/test/unit_test.hpp>
#include <string>

#include "e2e/support/catalogue.h"
#include "e2e/support/messages.h"
#include "e2e/support/test_venue.h"

namespace venue::e2e {

// Stops the program's venue at the end if a test has not, checks it exited 0, and keeps its folder
// (logs, stores, journal) when anything failed.
struct SuiteVenueFixture {
  SuiteVenueFixture() = default;
  SuiteVenueFixture(const SuiteVenueFixture&) = delete;
  SuiteVenueFixture& operator=(const SuiteVenueFixture&) = delete;
  ~SuiteVenueFixture() {
    if (!suite_venue_started()) return;
    namespace ut = boost::unit_test;
    // The master suite's results are summed up only after this runs: look at each test case.
    struct AllPassed : ut::test_tree_visitor {
      bool passed = true;
      void visit(const ut::test_case& tc) override {
        passed = passed && ut::results_collector.results(tc.p_id).passed();
      }
    } all;
    ut::traverse_test_tree(ut::framework::master_test_suite(), all, true);
    const bool passed = all.passed;
    const int code = suite_venue().stop();
    if (code != 0) std::fprintf(stderr, "e2e: FAILED: the venue exited with code %d (expected 0)\n", code);
    release_suite_venue(!passed || code != 0);
  }
};

inline const CatalogueEntry& catalogue_entry(int code) {
  auto it = catalogue().find(code);
  if (it == catalogue().end()) throw std::runtime_error("code " + std::to_string(code) + " is not in the catalogue");
  return it->second;
}

// Text(58) starts with "<code> <Name>" (spec/reject-codes.md).
inline void check_reject_text(const FIX::Message& m, int code) {
  const std::string prefix = std::to_string(code) + " " + catalogue_entry(code).name;
  const std::string text = field(m, FIX::FIELD::Text);
  BOOST_TEST(text.rfind(prefix, 0) == 0u,
             "Text(58) \"" << text << "\" should start with \"" << prefix << "\" in " << printable(m));
}

// A refused order: ExecutionReport 150=8 39=8 with the catalogue's OrdRejReason(103).
inline void check_order_reject(const FIX::Message& m, int code) {
  BOOST_TEST_CONTEXT(printable(m)) {
    BOOST_TEST(msg_type(m) == "8");
    BOOST_TEST(field(m, FIX::FIELD::ExecType) == "8");
    BOOST_TEST(field(m, FIX::FIELD::OrdStatus) == "8");
    BOOST_TEST(field(m, FIX::FIELD::OrdRejReason) == catalogue_entry(code).ord_rej_reason);
    check_reject_text(m, code);
  }
}

// A refused cancel or replace: OrderCancelReject with the catalogue's CxlRejReason(102);
// CxlRejResponseTo(434) 1 for a cancel, 2 for a replace.
inline void check_cancel_reject(const FIX::Message& m, int code, const std::string& response_to) {
  BOOST_TEST_CONTEXT(printable(m)) {
    BOOST_TEST(msg_type(m) == "9");
    BOOST_TEST(field(m, FIX::FIELD::CxlRejReason) == catalogue_entry(code).cxl_rej_reason);
    BOOST_TEST(field(m, FIX::FIELD::CxlRejResponseTo) == response_to);
    check_reject_text(m, code);
  }
}

// A refused application message: BusinessMessageReject with the catalogue's BusinessRejectReason(380).
inline void check_business_reject(const FIX::Message& m, int code) {
  BOOST_TEST_CONTEXT(printable(m)) {
    BOOST_TEST(msg_type(m) == "j");
    BOOST_TEST(field(m, FIX::FIELD::BusinessRejectReason) == catalogue_entry(code).business_rej_reason);
    check_reject_text(m, code);
  }
}

}  // namespace venue::e2e

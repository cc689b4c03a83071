#pragma once
// Execution reports for the risk unit tests, as the venue publishes them (spec/kafka-topics.md): a FIX
// 4.4 message with a right BodyLength and CheckSum, and the record headers, read with the shared reader.
//
//   Reports r;                                          // venue-seq 1, 2, 3, ... ExecID the same
//   auto fill = r.fill({.account = "A1", .side = "1", .qty = "10", .px = "100"});
//   book.apply(fill);
//
// Thread rules: the test's thread.

#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "venue/fix_session/report_record.h"

namespace venue::risk::test {

struct ReportFields {
  std::string exec_type;  // for report()
  std::string account = "A1";
  std::string firm = "F1";
  std::string symbol = "ACME";
  std::string side = "1";
  std::string qty;  // LastQty (fills), OrderQty otherwise
  std::string px;   // LastPx (fills), Price otherwise
  std::string leaves = "0";
  std::string order_id;  // default: a new one per order() call
  std::string exec_id;   // default: the venue-seq
  std::string match;     // TrdMatchID
  std::string exec_ref;  // ExecRefID(19) on a bust
  std::string transact;  // TransactTime(60); empty: Reports::transact
  std::string stop_px;
  bool poss_resend = false;
  std::uint64_t venue_seq = 0;  // 0: the next one
};

inline std::string fix_message(const std::string& body) {
  std::string msg =
      "8=FIX.4.4\x01"
      "9=" +
      std::to_string(body.size()) + "\x01" + body;
  unsigned sum = 0;
  for (unsigned char c : msg) sum += c;
  char cs[8];
  std::snprintf(cs, sizeof cs, "%03u", sum % 256);
  return msg + "10=" + cs + "\x01";
}

class Reports {
 public:
  std::uint64_t next_seq = 1;
  std::uint64_t next_order = 1000;
  std::string transact = "20261206-14:03:11.402";  // of every report that does not give its own

  fix_session::ReportRecord fill(ReportFields f) {
    f.exec_type = "F";
    if (f.match.empty()) f.match = "T" + std::to_string(next_seq);
    return report(f);
  }
  fix_session::ReportRecord bust(ReportFields f) {
    f.exec_type = "H";
    return report(f);
  }
  // Any ExecutionReport: 0 new, 4 cancelled, 5 replaced, 8 rejected, C expired, D restated, I status.
  fix_session::ReportRecord report(const ReportFields& f) {
    const Raw raw = build(f);
    std::string why;
    auto r = fix_session::read_report_record(raw.payload, raw.headers, &why);
    if (!r) throw std::runtime_error("test report refused: " + why);
    return *r;
  }

  // The record as it goes on Kafka: the FIX message and the headers.
  struct Raw {
    std::uint64_t venue_seq = 0;
    std::string payload;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  Raw raw_fill(ReportFields f) {
    f.exec_type = "F";
    if (f.match.empty()) f.match = "T" + std::to_string(next_seq);
    return build(f);
  }
  Raw build(ReportFields f) {
    const std::uint64_t seq = f.venue_seq != 0 ? f.venue_seq : next_seq++;
    if (f.order_id.empty()) f.order_id = std::to_string(next_order);
    if (f.exec_id.empty()) f.exec_id = std::to_string(seq);
    if (f.transact.empty()) f.transact = transact;
    const bool is_fill = f.exec_type == "F" || f.exec_type == "H";
    std::string b =
        "35=8\x01"
        "34=" +
        std::to_string(seq) +
        "\x01"
        "49=VENUE\x01"
        "52=" +
        f.transact +
        "\x01"
        "56=S" +
        f.firm + "\x01";
    if (f.poss_resend) b += "97=Y\x01";
    if (!f.account.empty()) b += "1=" + f.account + "\x01";
    b += "6=0\x01"
         "11=C" +
         f.order_id +
         "\x01"
         "14=0\x01"
         "17=" +
         f.exec_id + "\x01";
    if (!f.exec_ref.empty()) b += "19=" + f.exec_ref + "\x01";
    if (is_fill && !f.px.empty()) b += "31=" + f.px + "\x01";
    if (is_fill && !f.qty.empty()) b += "32=" + f.qty + "\x01";
    b += "37=" + f.order_id +
         "\x01"
         "38=" +
         (f.qty.empty() ? "1" : f.qty) +
         "\x01"
         "39=0\x01"
         "40=2\x01";
    if (!is_fill && !f.px.empty()) b += "44=" + f.px + "\x01";
    b += "54=" + f.side +
         "\x01"
         "55=" +
         f.symbol + "\x01";
    if (!f.transact.empty()) b += "60=" + f.transact + "\x01";
    if (!f.stop_px.empty()) b += "99=" + f.stop_px + "\x01";
    b += "150=" + f.exec_type +
         "\x01"
         "151=" +
         f.leaves + "\x01";
    if (!f.match.empty()) b += "880=" + f.match + "\x01";
    std::vector<std::pair<std::string, std::string>> headers{{"venue-seq", std::to_string(seq)},
                                                             {"msg-type", "8"},
                                                             {"exec-type", f.exec_type},
                                                             {"session", "S" + f.firm},
                                                             {"firm", f.firm},
                                                             {"account", f.account},
                                                             {"traceparent", "00-trace" + std::to_string(seq) + "-01"}};
    return Raw{seq, fix_message(b), std::move(headers)};
  }
  // A new order id for the next report of a new order.
  std::string new_order() { return std::to_string(++next_order); }
};

}  // namespace venue::risk::test

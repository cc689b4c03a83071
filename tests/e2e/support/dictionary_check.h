#pragma once
// What a broker that loads the venue's published dictionary (spec/fix/VENUE-FIX44.xml, "the
// machine-readable half of the Rules of Engagement") would say about the messages the venue sent: each
// message is validated like the venue validates its own input (ValidateUserDefinedFields=Y,
// AllowUnknownMsgFields=N, ValidateFieldsHaveValues=Y, fields out of order allowed).
//
//   for (const auto& v : dictionary_violations(client.all([](auto&) { return true; }))) BOOST_ERROR(v);
//
// Thread rules: pure function (the dictionary is loaded once).

#include <string>
#include <vector>

#include <quickfix/Message.h>

namespace venue::e2e {

// One line per message the dictionary refuses: the reason and the message.
std::vector<std::string> dictionary_violations(const std::vector<FIX::Message>& messages);

}  // namespace venue::e2e

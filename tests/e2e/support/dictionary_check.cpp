#include "e2e/support/dictionary_check.h"

#include <quickfix/DataDictionary.h>
#include <quickfix/Exceptions.h>

#include "e2e/support/messages.h"
#include "e2e/support/venue_process.h"

namespace venue::e2e {

namespace {

const FIX::DataDictionary& venue_dictionary() {
  static const FIX::DataDictionary dd = [] {
    FIX::DataDictionary d((source_dir() / "spec" / "fix" / "VENUE-FIX44.xml").string());
    d.checkFieldsOutOfOrder(false);
    d.checkFieldsHaveValues(true);
    d.checkUserDefinedFields(true);
    d.allowUnknownMsgFields(false);
    return d;
  }();
  return dd;
}

}  // namespace

std::vector<std::string> dictionary_violations(const std::vector<FIX::Message>& messages) {
  const FIX::DataDictionary& dd = venue_dictionary();
  std::vector<std::string> out;
  for (const auto& m : messages) {
    std::string text;
    m.toString(text);
    try {
      // Parsed again with the dictionary, as the broker's engine would read it off the wire.
      const FIX::Message parsed(text, dd, true);
      dd.validate(parsed);
    } catch (const FIX::Exception& e) {
      out.push_back(std::string(e.what()) + ": " + printable(text));
    }
  }
  return out;
}

}  // namespace venue::e2e

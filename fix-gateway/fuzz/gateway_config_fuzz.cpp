// libFuzzer target over the configuration readers, from TOML text: the venue's configuration
// (config.h: parse_config) and the instrument file (matcher/reference_data.h), both through common's
// TOML reader (common/config.h) with toml++ underneath.
//
// An input is: byte 0 chooses the reader (even: venue.toml, odd: instruments.toml); the rest is the file.
// Checked on every input:
//   - the reader returns a configuration or throws ConfigError listing at least one problem, each
//     "name:line:column: reason" or "name: reason" (any other exception, a crash or a hang is a failure);
//   - an accepted venue configuration keeps the promises the gateway relies on: every firm, account and
//     session id unique and non-zero, every account's firm and every session's firm exist, a session's
//     accounts exist and are its firm's, an order-entry session has at least one;
//   - an accepted instrument file: ids and symbols unique, tick and lot sizes positive, min_qty <= max_qty,
//     the reference price non-negative (the translation divides by the sizes).
//
//   build-fuzz/bin/gateway_config_fuzz fix-gateway/fuzz/corpus/gateway_config
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "venue/common/config.h"
#include "venue/fix_gateway/config.h"
#include "venue/matcher/reference_data.h"

namespace {

namespace fg = venue::fix_gateway;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "gateway_config_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

void check_venue(const fg::GatewayConfig& c) {
  std::set<std::uint32_t> firms;
  std::set<std::uint32_t> accounts;
  std::set<std::uint32_t> sessions;
  for (const auto& f : c.firms) check(f.id.valid() && firms.insert(f.id.value()).second, "firm ids unique");
  for (const auto& a : c.accounts) {
    check(a.id.valid() && accounts.insert(a.id.value()).second, "account ids unique");
    check(c.firm(a.firm) != nullptr, "an account's firm exists");
    check(c.account(a.name) == &a && c.account(a.id) == &a, "an account is found by its name and id");
  }
  for (const auto& s : c.sessions) {
    check(s.id.valid() && sessions.insert(s.id.value()).second, "session ids unique");
    check(c.firm(s.firm) != nullptr, "a session's firm exists");
    check(s.role != fg::SessionRole::kOrderEntry || !s.accounts.empty(), "an order-entry session has an account");
    for (const auto& id : s.accounts) {
      const fg::AccountConfig* a = c.account(id);
      check(a != nullptr && a->firm == s.firm, "a session's accounts exist and are its firm's");
    }
  }
}

void check_instruments(const std::vector<venue::matcher::InstrumentSpec>& specs) {
  std::set<std::uint32_t> ids;
  std::set<std::string> symbols;
  check(!specs.empty(), "at least one instrument");
  for (const auto& s : specs) {
    check(ids.insert(s.id.value()).second && symbols.insert(s.symbol).second, "ids and symbols unique");
    check(s.tick_size.units() > 0 && s.lot_size.units() > 0, "tick and lot sizes positive");
    check(s.min_qty.count() >= 1 && s.min_qty <= s.max_qty, "1 <= min_qty <= max_qty");
    check(s.reference_price.count() >= 0, "the reference price is not negative");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if ((data[0] & 1) == 0) {
      check_venue(fg::parse_config(text, "venue.toml", "/nonexistent-venue-fuzz"));
    } else {
      check_instruments(venue::matcher::parse_reference_data(text, "instruments.toml"));
    }
  } catch (const venue::config::ConfigError& e) {
    check(!e.problems().empty(), "a refused file lists its problems");
    for (const auto& p : e.problems()) {
      check(p.rfind(data[0] & 1 ? "instruments.toml" : "venue.toml", 0) == 0, "a problem names the file");
    }
  }
  return 0;
}

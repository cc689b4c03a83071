#pragma once
// build/bin/risk's command line (cli.h): what its files share: the argument set, the error that ends a
// command, the configuration and option helpers, the PostgreSQL transaction and the table printer of
// cli.cpp. The commands over the service's HTTP views are in cli_views.cpp, those over limits, alerts
// and commands in cli_limits.cpp. Private to the library.

#include <filesystem>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "venue/risk/config.h"
#include "venue/risk/store.h"

namespace venue::risk::cli_detail {

using nlohmann::json;

struct CliError {
  int exit_code;
  std::string text;  // starts with the code
};

[[noreturn]] inline void fail(int exit_code, const std::string& text) { throw CliError{exit_code, text}; }

struct Args {
  std::string command;
  std::string sub;
  std::map<std::string, std::string> opts;
  std::set<std::string> flags;
  std::string get(const std::string& k) const {
    auto it = opts.find(k);
    return it == opts.end() ? std::string() : it->second;
  }
  bool has(const std::string& k) const { return opts.count(k) != 0; }
};

std::filesystem::path config_path(const Args& a);
Config cli_config(const Args& a);
std::string choose(const Args& a, const std::string& key, std::initializer_list<const char*> allowed);
std::string operator_name(const Args& a);
int last_n(const Args& a);

// --- PostgreSQL ----------------------------------------------------------------------------------------

template <class Fn>
auto with_db(const Config& cfg, Fn fn) {
  if (cfg.database_url.empty()) fail(2, "E205 [database] url is empty (is VENUE_PG_URL set? source .local/env)");
  try {
    pqxx::connection conn(cfg.database_url);
    pqxx::work tx(conn);
    use_schema(tx, cfg.schema);
    if constexpr (std::is_void_v<decltype(fn(tx))>) {
      fn(tx);
      tx.commit();
    } else {
      auto r = fn(tx);
      tx.commit();
      return r;
    }
  } catch (const pqxx::broken_connection& e) {
    fail(3, std::string("E303 PostgreSQL is not reachable: ") + e.what());
  } catch (const pqxx::undefined_table&) {
    fail(3, "E303 the risk schema \"" + cfg.schema + "\" does not exist yet: start the service once");
  } catch (const pqxx::sql_error& e) {
    fail(3, std::string("E303 PostgreSQL refused: ") + e.what());
  }
}

// Rows printed as an aligned table, CSV or JSON objects.
void print_rows(const std::string& format, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

// The commands (besides serve, in cli.cpp).
int positions(const Args& a);  // cli_views.cpp
int exposure(const Args& a);   // cli_views.cpp
int status(const Args& a);     // cli_views.cpp
int limits(const Args& a);     // cli_limits.cpp
int release(const Args& a);    // cli_limits.cpp
int alerts(const Args& a);     // cli_limits.cpp
int commands(const Args& a);   // cli_limits.cpp

}  // namespace venue::risk::cli_detail

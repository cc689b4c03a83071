#pragma once
// Configuration: one file format (TOML) for every venue process, every key documented, every mistake
// reported with the file, line and reason.
//
// A process describes its configuration once, as a function that reads a Table:
//
//   void read(venue::config::Table& t, MyConfig& c) {
//     c.port = t.integer("port", "TCP port the acceptor listens on", 9878, {1, 65535});
//     auto db = t.table("database", "Where the audit trail is kept");
//     c.db_url = db.string("url", "libpq connection URI", venue::config::kRequired);
//   }
//
// and that one function both loads files (load_file) and writes the reference of every key, its type,
// default and meaning (reference_markdown), so the documentation cannot drift from the code.
//
// Loading collects every problem before failing: a missing required key, a wrong type, a value out of
// range, a value not among the allowed choices, and any key the reader never asked for (a typo, or a
// key from another version) are all listed in one ConfigError, each as "file:line:column: reason".
// Decimal values (prices, sizes) are written as strings ("0.01"), never TOML floats, which would
// round them.
//
// Thread rules: a Table is used by one thread, during loading only.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "venue/common/fixed_point.h"

namespace toml {
inline namespace v3 {
class table;
class node;
}  // namespace v3
}  // namespace toml

namespace venue::config {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

struct RequiredTag {};
inline constexpr RequiredTag kRequired{};

struct Range {
  std::int64_t min;
  std::int64_t max;
};

struct Context;

class Table {
 public:
  // An integer, with a default or kRequired, inside [range.min, range.max].
  std::int64_t integer(std::string_view key, std::string_view doc, std::int64_t default_value, Range range);
  std::int64_t integer(std::string_view key, std::string_view doc, RequiredTag, Range range);
  bool boolean(std::string_view key, std::string_view doc, bool default_value);
  std::string string(std::string_view key, std::string_view doc, std::string_view default_value);
  std::string string(std::string_view key, std::string_view doc, RequiredTag);
  // A decimal written as a string; must be > 0 when positive is true.
  Decimal decimal(std::string_view key, std::string_view doc, RequiredTag, bool positive);
  std::optional<Decimal> optional_decimal(std::string_view key, std::string_view doc, bool positive);
  std::vector<std::string> strings(std::string_view key, std::string_view doc);
  // One of a fixed set of words; the reference lists them.
  std::string choice(std::string_view key, std::string_view doc, std::initializer_list<std::string_view> choices,
                     std::string_view default_value);

  // A required sub-table [key].
  Table table(std::string_view key, std::string_view doc);
  // An optional sub-table; nullopt when absent (and when writing the reference, a table to describe).
  std::optional<Table> optional_table(std::string_view key, std::string_view doc);
  // An array of tables [[key]]; empty when absent unless at_least_one.
  std::vector<Table> tables(std::string_view key, std::string_view doc, bool at_least_one);

  // Reports a problem found by the reader's own cross-checks, at this table's (or a key's) location.
  void fail(std::string_view key, std::string_view reason);

  const std::string& path() const { return path_; }

 private:
  friend struct Context;
  friend void load(std::string_view, std::string_view, const std::function<void(Table&)>&);
  friend std::string reference_markdown(const std::function<void(Table&)>&);
  Table(const toml::table* data, std::string path, Context* ctx) : data_(data), path_(std::move(path)), ctx_(ctx) {}

  const toml::node* find(std::string_view key);
  std::string key_path(std::string_view key) const;
  void document(std::string_view key, std::string_view type, std::string default_text, std::string_view doc);

  const toml::table* data_;  // nullptr when writing the reference
  std::string path_;
  Context* ctx_;
};

// Parses `text` (named `source_name` in messages) and runs `read` over it. Throws ConfigError.
void load(std::string_view text, std::string_view source_name, const std::function<void(Table&)>& read);
// Reads the file and loads it. Throws ConfigError (also for a file that cannot be read).
void load_file(const std::filesystem::path& file, const std::function<void(Table&)>& read);
// The reference of every key `read` asks for: a Markdown table.
std::string reference_markdown(const std::function<void(Table&)>& read);

// A file name from the configuration: empty stays empty, a relative one is taken from `base` (the
// configuration file's folder).
std::filesystem::path resolve_path(const std::filesystem::path& base, const std::string& name);
// A value that may name an environment variable: "$NAME" is NAME's value; any other value is itself.
// An unset or empty variable is a problem at `key`, or (lenient: for reference and check-only runs)
// the empty string.
std::string from_environment(Table& t, std::string_view key, const std::string& value, bool lenient = false);

// The three entry points of a process's configuration, around its one reader
// `read(Table& root, Config& out, const std::filesystem::path& base_dir)` (relative file names in the
// configuration are taken from base_dir: the file's folder):
//   Config parse_config(text, name, base_dir) { return config::parse<Config>(read_config, text, name, base_dir); }
//   Config load_config(file)                  { return config::load<Config>(read_config, file); }
//   std::string config_reference()            { return config::reference<Config>(read_config); }
template <class Config, class Read>
Config parse(Read&& read, std::string_view text, std::string_view name, const std::filesystem::path& base_dir) {
  Config c;
  load(text, name, [&](Table& t) { read(t, c, base_dir); });
  return c;
}
template <class Config, class Read>
Config load(Read&& read, const std::filesystem::path& file) {
  Config c;
  const auto base = std::filesystem::absolute(file).parent_path();
  load_file(file, [&](Table& t) { read(t, c, base); });
  return c;
}
template <class Config, class Read>
std::string reference(Read&& read) {
  return reference_markdown([&](Table& t) {
    Config c;
    read(t, c, std::filesystem::path());
  });
}

}  // namespace venue::config

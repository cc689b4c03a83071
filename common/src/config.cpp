#include "venue/common/config.h"

#include <toml++/toml.h>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace venue::config {

namespace {

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

std::string quoted_list(std::initializer_list<std::string_view> words) {
  std::string out;
  for (auto w : words) {
    if (!out.empty()) out += ", ";
    out += '"';
    out += w;
    out += '"';
  }
  return out;
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(join_lines(problems)), problems_(std::move(problems)) {}

struct KeyDoc {
  std::string path;
  std::string type;
  std::string default_text;
  std::string doc;
};

struct Context {
  std::string source;
  std::vector<std::string> problems;
  std::set<const toml::node*> consumed;
  std::vector<KeyDoc> docs;
  std::set<std::string> documented;
  bool documenting = false;

  std::string where(const toml::node* node) const {
    std::ostringstream s;
    s << source;
    if (node != nullptr && node->source().begin) {
      s << ':' << node->source().begin.line << ':' << node->source().begin.column;
    }
    return s.str();
  }

  void problem(const toml::node* node, const std::string& message) { problems.push_back(where(node) + ": " + message); }

  // Every key the reader never asked for is an error, reported where it stands.
  void check_unknown(const toml::table& t, const std::string& path) {
    for (const auto& [k, v] : t) {
      const std::string p = path.empty() ? std::string(k.str()) : path + "." + std::string(k.str());
      if (!consumed.contains(&v)) {
        problems.push_back(where(&v) + ": unknown key \"" + p + "\"");
        continue;
      }
      if (const auto* sub = v.as_table()) check_unknown(*sub, p);
      if (const auto* arr = v.as_array()) {
        for (const auto& el : *arr) {
          if (const auto* st = el.as_table()) check_unknown(*st, p + "[]");
        }
      }
    }
  }
};

std::string Table::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void Table::document(std::string_view key, std::string_view type, std::string default_text, std::string_view doc) {
  if (!ctx_->documenting) return;
  std::string p = key_path(key);
  if (!ctx_->documented.insert(p).second) return;
  ctx_->docs.push_back(KeyDoc{std::move(p), std::string(type), std::move(default_text), std::string(doc)});
}

const toml::node* Table::find(std::string_view key) {
  if (data_ == nullptr) return nullptr;
  const toml::node* node = data_->get(key);
  if (node != nullptr) ctx_->consumed.insert(node);
  return node;
}

void Table::fail(std::string_view key, std::string_view reason) {
  if (ctx_->documenting) return;
  const toml::node* node = data_ != nullptr ? data_->get(key) : nullptr;
  if (node == nullptr) node = data_;
  ctx_->problem(node, "\"" + key_path(key) + "\": " + std::string(reason));
}

namespace {

template <class T>
std::optional<T> typed(Context* ctx, const toml::node* node, const std::string& path, std::string_view type_name) {
  if (auto v = node->value<T>()) {
    // value<int64_t>() also converts floats; insist on the exact TOML type.
    if constexpr (std::is_same_v<T, std::int64_t>) {
      if (!node->is_integer()) {
        ctx->problem(node, "\"" + path + "\" must be " + std::string(type_name));
        return std::nullopt;
      }
    }
    return v;
  }
  ctx->problem(node, "\"" + path + "\" must be " + std::string(type_name));
  return std::nullopt;
}

}  // namespace

std::int64_t Table::integer(std::string_view key, std::string_view doc, std::int64_t default_value, Range range) {
  document(key, "integer " + std::to_string(range.min) + ".." + std::to_string(range.max),
           std::to_string(default_value), doc);
  const auto* node = find(key);
  if (node == nullptr) return default_value;
  auto v = typed<std::int64_t>(ctx_, node, key_path(key), "an integer");
  if (!v) return default_value;
  if (*v < range.min || *v > range.max) {
    ctx_->problem(node, "\"" + key_path(key) + "\" is " + std::to_string(*v) + ", must be between " +
                            std::to_string(range.min) + " and " + std::to_string(range.max));
    return default_value;
  }
  return *v;
}

std::int64_t Table::integer(std::string_view key, std::string_view doc, RequiredTag, Range range) {
  document(key, "integer " + std::to_string(range.min) + ".." + std::to_string(range.max), "required", doc);
  if (data_ != nullptr && data_->get(key) == nullptr) {
    ctx_->problem(data_, "missing required key \"" + key_path(key) + "\"");
    return range.min;
  }
  return integer(key, doc, range.min, range);
}

bool Table::boolean(std::string_view key, std::string_view doc, bool default_value) {
  document(key, "boolean", default_value ? "true" : "false", doc);
  const auto* node = find(key);
  if (node == nullptr) return default_value;
  return typed<bool>(ctx_, node, key_path(key), "true or false").value_or(default_value);
}

std::string Table::string(std::string_view key, std::string_view doc, std::string_view default_value) {
  document(key, "string", "\"" + std::string(default_value) + "\"", doc);
  const auto* node = find(key);
  if (node == nullptr) return std::string(default_value);
  return typed<std::string>(ctx_, node, key_path(key), "a string").value_or(std::string(default_value));
}

std::string Table::string(std::string_view key, std::string_view doc, RequiredTag) {
  document(key, "string", "required", doc);
  if (data_ != nullptr && data_->get(key) == nullptr) {
    ctx_->problem(data_, "missing required key \"" + key_path(key) + "\"");
    return {};
  }
  return string(key, doc, "");
}

std::optional<Decimal> Table::optional_decimal(std::string_view key, std::string_view doc, bool positive) {
  document(key, positive ? "decimal string > 0" : "decimal string", "none", doc);
  const auto* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_string()) {
    ctx_->problem(node, "\"" + key_path(key) + "\" must be a decimal written as a string, e.g. \"0.01\"");
    return std::nullopt;
  }
  const auto text = node->value<std::string>().value_or("");
  auto d = Decimal::parse(text);
  if (!d) {
    ctx_->problem(node, "\"" + key_path(key) + "\" is \"" + text + "\": " + std::string(venue::to_string(d.error())));
    return std::nullopt;
  }
  if (positive && d->units() <= 0) {
    ctx_->problem(node, "\"" + key_path(key) + "\" must be greater than zero");
    return std::nullopt;
  }
  return *d;
}

Decimal Table::decimal(std::string_view key, std::string_view doc, RequiredTag, bool positive) {
  document(key, positive ? "decimal string > 0" : "decimal string", "required", doc);
  if (data_ != nullptr && data_->get(key) == nullptr) {
    ctx_->problem(data_, "missing required key \"" + key_path(key) + "\"");
    return Decimal::from_units(1);
  }
  return optional_decimal(key, doc, positive).value_or(Decimal::from_units(1));
}

std::vector<std::string> Table::strings(std::string_view key, std::string_view doc) {
  document(key, "array of strings", "[]", doc);
  const auto* node = find(key);
  std::vector<std::string> out;
  if (node == nullptr) return out;
  const auto* arr = node->as_array();
  if (arr == nullptr) {
    ctx_->problem(node, "\"" + key_path(key) + "\" must be an array of strings");
    return out;
  }
  for (const auto& el : *arr) {
    if (auto s = el.value<std::string>(); s && el.is_string()) {
      out.push_back(*s);
    } else {
      ctx_->problem(&el, "\"" + key_path(key) + "\" must contain only strings");
    }
  }
  return out;
}

std::string Table::choice(std::string_view key, std::string_view doc, std::initializer_list<std::string_view> choices,
                          std::string_view default_value) {
  document(key, "one of " + quoted_list(choices), "\"" + std::string(default_value) + "\"", doc);
  const auto* node = find(key);
  if (node == nullptr) return std::string(default_value);
  auto v = typed<std::string>(ctx_, node, key_path(key), "a string");
  if (!v) return std::string(default_value);
  for (auto c : choices) {
    if (c == *v) return *v;
  }
  ctx_->problem(node, "\"" + key_path(key) + "\" is \"" + *v + "\", must be one of " + quoted_list(choices));
  return std::string(default_value);
}

Table Table::table(std::string_view key, std::string_view doc) {
  document(key, "table", "required", doc);
  if (data_ == nullptr) return Table(nullptr, key_path(key), ctx_);
  const auto* node = find(key);
  if (node == nullptr) {
    ctx_->problem(data_, "missing required table [" + key_path(key) + "]");
    return Table(nullptr, key_path(key), ctx_);
  }
  if (const auto* t = node->as_table()) return Table(t, key_path(key), ctx_);
  ctx_->problem(node, "\"" + key_path(key) + "\" must be a table");
  return Table(nullptr, key_path(key), ctx_);
}

std::optional<Table> Table::optional_table(std::string_view key, std::string_view doc) {
  document(key, "table", "absent", doc);
  if (ctx_->documenting) return Table(nullptr, key_path(key), ctx_);
  const auto* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* t = node->as_table()) return Table(t, key_path(key), ctx_);
  ctx_->problem(node, "\"" + key_path(key) + "\" must be a table");
  return std::nullopt;
}

std::vector<Table> Table::tables(std::string_view key, std::string_view doc, bool at_least_one) {
  document(key, "array of tables [[" + key_path(key) + "]]", at_least_one ? "at least one" : "none", doc);
  std::vector<Table> out;
  if (ctx_->documenting) {
    out.push_back(Table(nullptr, key_path(key) + "[]", ctx_));
    return out;
  }
  const auto* node = find(key);
  if (node == nullptr) {
    if (at_least_one) ctx_->problem(data_, "at least one [[" + key_path(key) + "]] is required");
    return out;
  }
  const auto* arr = node->as_array();
  if (arr == nullptr) {
    ctx_->problem(node, "\"" + key_path(key) + "\" must be an array of tables [[" + key_path(key) + "]]");
    return out;
  }
  for (const auto& el : *arr) {
    if (const auto* t = el.as_table()) {
      out.push_back(Table(t, key_path(key) + "[]", ctx_));
    } else {
      ctx_->problem(&el, "\"" + key_path(key) + "\" must contain only tables");
    }
  }
  if (out.empty() && at_least_one) ctx_->problem(node, "at least one [[" + key_path(key) + "]] is required");
  return out;
}

void load(std::string_view text, std::string_view source_name, const std::function<void(Table&)>& read) {
  Context ctx;
  ctx.source = std::string(source_name);
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream s;
    s << source_name << ':' << e.source().begin.line << ':' << e.source().begin.column << ": " << e.description();
    throw ConfigError({s.str()});
  }
  Table t(&root, "", &ctx);
  read(t);
  ctx.check_unknown(root, "");
  if (!ctx.problems.empty()) throw ConfigError(std::move(ctx.problems));
}

void load_file(const std::filesystem::path& file, const std::function<void(Table&)>& read) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError({file.string() + ": cannot read the configuration file"});
  std::ostringstream buf;
  buf << in.rdbuf();
  load(buf.str(), file.string(), read);
}

std::string reference_markdown(const std::function<void(Table&)>& read) {
  Context ctx;
  ctx.documenting = true;
  Table t(nullptr, "", &ctx);
  read(t);
  std::ostringstream out;
  out << "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto& d : ctx.docs) {
    out << "| `" << d.path << "` | " << d.type << " | " << d.default_text << " | " << d.doc << " |\n";
  }
  return out.str();
}

std::filesystem::path resolve_path(const std::filesystem::path& base, const std::string& name) {
  if (name.empty()) return {};
  const std::filesystem::path path(name);
  return path.is_absolute() ? path : base / path;
}

std::string from_environment(Table& t, std::string_view key, const std::string& value, bool lenient) {
  if (value.empty() || value[0] != '$') return value;
  const char* env = std::getenv(value.c_str() + 1);
  if (env == nullptr || *env == '\0') {
    if (!lenient) t.fail(key, "environment variable " + value.substr(1) + " is not set");
    return {};
  }
  return env;
}

}  // namespace venue::config

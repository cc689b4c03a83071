#include "e2e/support/test_venue.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace venue::e2e {

namespace {

struct SessionSpec {
  const char* comp_id;
  const char* firm;
  const char* extra;  // more TOML lines
};

// See test_venue.h for what each session is for.
constexpr SessionSpec kSessions[] = {
    {"BRK1", "ALPHA",
     "accounts = [\"ALPHA-1\", \"ALPHA-2\", \"RISK-1\"]\ncancel_on_disconnect = \"day\"\nextended_fields = true\n"},
    {"BRK2", "BETA", "accounts = [\"BETA-1\", \"BETA-2\"]\ncancel_on_disconnect = \"all\"\nextended_fields = true\n"},
    {"BRK3", "GAMMA", "accounts = [\"GAMMA-1\", \"KILL-1\"]\ncancel_on_disconnect = \"off\"\n"},
    {"TLS1", "BETA", "accounts = [\"BETA-1\"]\ntransport = \"tls\"\n"},
    {"WATCH", "ALPHA", "role = \"read_only\"\n"},
    {"THROT", "BETA", "accounts = [\"BETA-2\"]\norders_per_second = 5\nburst = 5\nthrottle_logout_after_seconds = 2\n"},
    {"FAR", "ALPHA", "accounts = [\"ALPHA-1\"]\nallow_from = [\"10.0.0.0/8\"]\n"},
    {"RAW", "ALPHA", "accounts = [\"ALPHA-1\", \"ALPHA-2\"]\n"},
    {"LOCK", "ALPHA", "accounts = [\"ALPHA-1\"]\n"},
    {"KF", "DELTA", "accounts = [\"DELTA-1\"]\n"},
    {"HB", "ALPHA", "accounts = [\"ALPHA-1\"]\nmax_heartbeat_seconds = 30\n"},
    {"BACK", "ALPHA", "accounts = [\"ALPHA-1\"]\n"},
    {"STD", "BETA", "accounts = [\"BETA-1\", \"BETA-2\"]\n"},
    {"RST", "ALPHA", "accounts = [\"ALPHA-1\"]\nreset_on_logon = true\n"},
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string instruments_toml() {
  std::string t = "# Written by the end-to-end tests (tests/e2e/support/test_venue.cpp).\n";
  char buf[64];
  for (int i = 1; i <= 150; ++i) {
    std::snprintf(buf, sizeof buf, "S%03d", i);
    t += "\n[[instrument]]\nid = " + std::to_string(i) + "\nsymbol = \"" + buf +
         "\"\ntick_size = \"0.01\"\nlot_size = \"1\"\nmin_qty = 1\nmax_qty = 100000\n"
         "reference_price = \"100.00\"\nband_bps = 1000\n";
  }
  t += R"(
[[instrument]]
id = 201
symbol = "LOT100"
tick_size = "0.05"
lot_size = "100"
min_qty = 1
max_qty = 10000
reference_price = "25.00"
band_bps = 500

[[instrument]]
id = 202
symbol = "MINMAX"
tick_size = "0.01"
lot_size = "1"
min_qty = 10
max_qty = 1000
reference_price = "100.00"
band_bps = 1000

[[instrument]]
id = 203
symbol = "NOREF"
tick_size = "0.01"
lot_size = "1"

[[instrument]]
id = 204
symbol = "NOREFB"
tick_size = "0.01"
lot_size = "1"
band_bps = 500
band_reference = "last_trade"
)";
  return t;
}

}  // namespace

TestVenue::TestVenue(const std::string& name, std::string extra_toml)
    : dir_("venue-e2e-" + name), extra_toml_(std::move(extra_toml)) {
  fix_port_ = free_port();
  tls_port_ = free_port();
  metrics_port_ = free_port();
  operator_port_ = free_port();
  write_files();
  process_ = std::make_unique<VenueProcess>(dir() / "venue.toml", dir() / "venue.log", metrics_port_);
  process_->start();
}

TestVenue::~TestVenue() {
  clients_.clear();
  if (process_ && process_->running()) process_->stop();
}

void TestVenue::write_files() {
  std::filesystem::create_directories(dir() / "tls");
  run_command("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -keyout '" +
              (dir() / "tls" / "venue.key").string() + "' -out '" + (dir() / "tls" / "venue.crt").string() +
              "' 2>/dev/null");
  password_hash_ = run_command("echo '" + std::string(kPassword) + "' | '" + (bin_dir() / "venue-passwd").string() +
                               "' --iterations 1000");
  while (!password_hash_.empty() && (password_hash_.back() == '\n' || password_hash_.back() == '\r')) {
    password_hash_.pop_back();
  }
  operator_hash_ = run_command("echo '" + std::string(kOperatorPassword) + "' | '" +
                               (bin_dir() / "venue-passwd").string() + "' --iterations 1000");
  while (!operator_hash_.empty() && (operator_hash_.back() == '\n' || operator_hash_.back() == '\r')) {
    operator_hash_.pop_back();
  }
  write_file(dir() / "instruments.toml", instruments_toml());
  write_config(Layout{});
}

void TestVenue::write_config(const Layout& layout) {
  const std::string& hash = password_hash_;
  std::string t = "# Written by the end-to-end tests (tests/e2e/support/test_venue.cpp).\n";
  t += "[venue]\ncomp_id = \"VENUE\"\n";
  t += "fix_port = " + std::to_string(fix_port_) + "\n";
  t += "tls_port = " + std::to_string(tls_port_) + "\n";
  t += "tls_certificate = \"tls/venue.crt\"\ntls_private_key = \"tls/venue.key\"\n";
  t += "store_dir = \"state/fixstore\"\nstate_dir = \"state/gateway\"\n";
  t += "data_dictionary = \"" + (source_dir() / "spec" / "fix" / "VENUE-FIX44.xml").string() + "\"\n";
  t += "metrics_bind = \"127.0.0.1\"\nmetrics_port = " + std::to_string(metrics_port_) + "\n";
  t += "log_level = \"info\"\n";
  t += "\n[operator_api]\nport = " + std::to_string(operator_port_) + "\n";
  for (const auto& [user, role] : {std::pair{"ops", "operator"}, {"view", "viewer"}}) {
    t += "\n[[operator_api.user]]\nname = \"" + std::string(user) + "\"\nrole = \"" + role + "\"\npassword_hash = \"" +
         operator_hash_ + "\"\n";
  }
  t += "\n[risk]\nprice_collar_bps = 2000\n";
  t += "\n[engine]\ninstruments = \"instruments.toml\"\njournal_dir = \"state/journal\"\nsync = \"write\"\n"
       "idle = \"backoff\"\nstp_scope = \"account\"\npost_only = \"reject\"\n";
  // VENUE_E2E_ENGINE_THREAD=gateway: the same tests against an engine on the gateway thread.
  if (const char* thread = std::getenv("VENUE_E2E_ENGINE_THREAD"); thread != nullptr && *thread != '\0') {
    t += "thread = \"" + std::string(thread) + "\"\n";
  }
  if (!layout.end_of_day_time.empty()) t += "end_of_day_time = \"" + layout.end_of_day_time + "\"\n";
  // Ids deliberately not in file order: what the journal stores must not depend on where an entry stands.
  std::vector<std::string> entries;  // firms, then accounts, then sessions
  const auto emit = [&] {
    if (layout.reversed) std::reverse(entries.begin(), entries.end());
    for (const auto& e : entries) t += e;
    entries.clear();
  };
  const std::pair<const char*, int> firms[] = {{"ALPHA", 11}, {"BETA", 7}, {"GAMMA", 3}, {"DELTA", 20}};
  for (const auto& [firm, id] : firms) {
    entries.push_back("\n[[firm]]\nid = " + std::to_string(id) + "\nname = \"" + std::string(firm) + "\"\n");
  }
  emit();
  const std::pair<const char*, const char*> accounts[] = {
      {"ALPHA-1", "ALPHA"}, {"ALPHA-2", "ALPHA"}, {"BETA-1", "BETA"},  {"BETA-2", "BETA"},
      {"GAMMA-1", "GAMMA"}, {"KILL-1", "GAMMA"},  {"DELTA-1", "DELTA"}};
  int account_id = 100;
  for (const auto& [account, firm] : accounts) {
    entries.push_back("\n[[account]]\nid = " + std::to_string(account_id--) + "\nname = \"" + std::string(account) +
                      "\"\nfirm = \"" + firm + "\"\n");
  }
  entries.push_back(
      "\n[[account]]\nid = 1\nname = \"RISK-1\"\nfirm = \"ALPHA\"\nmax_order_qty = 100\nmax_order_notional = \"5000\"\n"
      "credit_limit = \"12000\"\n");
  emit();
  if (layout.insert_session) {
    t += "\n[[session]]\nid = 999\nsender_comp_id = \"NEWCO\"\nfirm = \"ALPHA\"\nusername = \"newco\"\n"
         "password_hash = \"" +
         hash + "\"\naccounts = [\"ALPHA-1\"]\n";
  }
  int session_id = 500;
  for (const auto& s : kSessions) {
    const int session_id_now = session_id--;
    if (layout.drop_session == s.comp_id) continue;
    entries.push_back("\n[[session]]\nid = " + std::to_string(session_id_now) + "\nsender_comp_id = \"" +
                      std::string(s.comp_id) + "\"\nfirm = \"" + s.firm + "\"\nusername = \"" + lower(s.comp_id) +
                      "\"\npassword_hash = \"" + hash + "\"\n" + s.extra);
  }
  emit();
  t += extra_toml_;
  write_file(dir() / "venue.toml", t);
}

ClientOptions TestVenue::options(const std::string& comp_id) const {
  ClientOptions o;
  o.sender = comp_id;
  o.port = comp_id == "TLS1" ? tls_port_ : fix_port_;
  o.tls = comp_id == "TLS1";
  o.username = lower(comp_id);
  o.password = kPassword;
  o.heartbeat_seconds = 5;
  o.dir = dir() / "clients";
  return o;
}

FixClient& TestVenue::client_object(const std::string& comp_id) {
  auto it = clients_.find(comp_id);
  if (it == clients_.end()) it = clients_.emplace(comp_id, std::make_unique<FixClient>(options(comp_id))).first;
  return *it->second;
}

FixClient& TestVenue::client(const std::string& comp_id) {
  FixClient& c = client_object(comp_id);
  if (!c.logged_on()) {
    c.close();
    c.logon();
  }
  return c;
}

std::string TestVenue::symbol() {
  if (next_symbol_ > 150) throw std::runtime_error("out of pool instruments: add more in test_venue.cpp");
  char buf[8];
  std::snprintf(buf, sizeof buf, "S%03d", next_symbol_++);
  return buf;
}

std::string TestVenue::id(const std::string& hint) { return hint + "-" + std::to_string(next_id_++); }

std::string TestVenue::login(const std::string& user, const std::string& password, int ttl_seconds) const {
  nlohmann::json body{{"user", user}, {"password", password}};
  if (ttl_seconds > 0) body["ttl_seconds"] = ttl_seconds;
  const auto r = http_request(operator_port_, "POST", "/api/v1/login", body.dump());
  if (r.status != 200) return "";
  return nlohmann::json::parse(r.body).value("token", "");
}

HttpResponse TestVenue::api(const std::string& method, const std::string& target, const std::string& body,
                            const std::string& user) const {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string& token = tokens_[user];
    if (token.empty()) token = login(user, kOperatorPassword);
    std::vector<std::pair<std::string, std::string>> headers{{"Authorization", "Bearer " + token}};
    if (method != "GET") headers.emplace_back("Content-Type", "application/json");
    auto r = http_request(operator_port_, method, target, body, headers);
    if (r.status != 401) return r;
    token.clear();  // the venue restarted (tokens live in its memory): log in again
  }
  throw std::runtime_error(method + " " + target + ": the operator API refused the login of " + user);
}

nlohmann::json TestVenue::sessions() const {
  const auto r = api("GET", "/api/v1/sessions");
  if (r.status != 200) throw std::runtime_error("GET /api/v1/sessions: HTTP " + std::to_string(r.status));
  return nlohmann::json::parse(r.body)["sessions"];
}

nlohmann::json TestVenue::session(const std::string& comp_id) const {
  for (const auto& s : sessions()) {
    if (s.value("sender_comp_id", "") == comp_id) return s;
  }
  throw std::runtime_error("no session " + comp_id + " in /api/v1/sessions");
}

HttpResponse TestVenue::kill_switch(const std::string& key, const std::string& value, bool release) const {
  return api("POST", release ? "/api/v1/kill-switch/release" : "/api/v1/kill-switch",
             nlohmann::json{{key, value}}.dump());
}

HttpResponse TestVenue::trading_status(const std::string& symbol, const std::string& status) const {
  const std::string verb = status == "halted" ? "halt" : status == "closed" ? "close" : "resume";
  return api("POST", "/api/v1/instruments/" + symbol + "/" + verb, "{}");
}

int TestVenue::stop() {
  // The venue logs every session out at shutdown; the clients answer while they still poll, then are
  // closed (they can log on again after start()).
  const int code = process_->stop();
  for (auto& entry : clients_) entry.second->close();
  if (code != 0) {
    std::fprintf(stderr, "e2e: the venue exited with code %d; log tail:\n%s\n", code, process_->log_tail(60).c_str());
  }
  return code;
}

void TestVenue::start() { process_->start(); }

namespace {
std::unique_ptr<TestVenue>& the_venue() {
  static std::unique_ptr<TestVenue> v;
  return v;
}
}  // namespace

TestVenue& suite_venue() {
  auto& v = the_venue();
  if (!v) {
    v = std::make_unique<TestVenue>(program_invocation_short_name);
  }
  return *v;
}

bool suite_venue_started() { return the_venue() != nullptr; }

void release_suite_venue(bool keep_files) {
  auto& v = the_venue();
  if (!v) return;
  if (keep_files) v->keep_files();
  v.reset();
}

}  // namespace venue::e2e

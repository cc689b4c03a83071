// build/bin/venuectl: the operator API from a terminal, for people, scripts and runbooks. Every view and
// action of the console (spec/operator-api.md), as a table or as the API's JSON (--json).
//
//   venuectl --user ops sessions
//   VENUECTL_TOKEN=$(venuectl --user ops login) venuectl session logout BRK1 --reason "broker asked"
//   venuectl help session            (or: venuectl session --help)
//
// Exit codes (kExit* below; also in `venuectl --help`): 0 done; 1 the venue refused (not found, conflict,
// invalid input); 2 bad command line; 3 not logged in or not allowed (401, 403); 4 the API could not be
// reached or failed (network, timeout, 5xx).
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "client.h"

namespace api = venue::operator_api;
using nlohmann::json;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitAuth = 3;
constexpr int kExitUnavailable = 4;

struct Options {
  std::string url;
  std::string user;
  std::string password_file;
  std::string token;
  std::string ca_file;
  bool insecure = false;
  bool json_out = false;
  int timeout = 10;
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Ends the run with an exit code (its message already printed).
struct Exit {
  int code;
};

std::string env(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

std::string first_line(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) throw UsageError("cannot read a line from " + file);
  return line;
}

std::string ask_password(const std::string& user) {
  if (isatty(STDIN_FILENO) == 0) throw UsageError("no password: give --password-file or VENUECTL_PASSWORD");
  std::cerr << "password for " << user << ": ";
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  return line;
}

// Command line words after the command: positional words and --name value options.
struct Args {
  std::vector<std::string> words;
  std::map<std::string, std::string> opts;
  std::string need(std::size_t i, const char* what) const {
    if (i >= words.size()) throw UsageError(std::string("missing ") + what);
    return words[i];
  }
  std::optional<std::string> opt(const std::string& name) const {
    auto it = opts.find(name);
    return it == opts.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
};

std::string url_encode(const std::string& s) {
  std::ostringstream o;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      o << c;
    } else {
      o << '%' << std::uppercase << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(c) << std::dec;
    }
  }
  return o.str();
}

// KEY=VALUE words of `session add` and `session change` as the API's JSON.
json session_fields(const std::vector<std::string>& words, std::size_t from) {
  static const std::vector<std::string> kIntegers = {"id",
                                                     "orders_per_second",
                                                     "burst",
                                                     "cancels_per_second",
                                                     "throttle_logout_after_seconds",
                                                     "max_heartbeat_seconds"};
  static const std::vector<std::string> kLists = {"accounts", "allow_from"};
  json out = json::object();
  for (std::size_t i = from; i < words.size(); ++i) {
    const auto eq = words[i].find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("expected KEY=VALUE, got \"" + words[i] + "\"");
    const std::string key = words[i].substr(0, eq);
    std::string value = words[i].substr(eq + 1);
    if (key == "password" && !value.empty() && value[0] == '@') value = first_line(value.substr(1));
    if (std::find(kIntegers.begin(), kIntegers.end(), key) != kIntegers.end()) {
      try {
        out[key] = std::stoll(value);
      } catch (const std::exception&) {
        throw UsageError(key + " must be a number");
      }
    } else if (std::find(kLists.begin(), kLists.end(), key) != kLists.end()) {
      json list = json::array();
      std::stringstream ss(value);
      for (std::string item; std::getline(ss, item, ',');) {
        if (!item.empty()) list.push_back(item);
      }
      out[key] = list;
    } else if (key == "enabled") {
      if (value != "true" && value != "false") throw UsageError("enabled must be true or false");
      out[key] = value == "true";
    } else {
      out[key] = value;
    }
  }
  return out;
}

std::string cell(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_float()) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(1) << v.get<double>();
    return o.str();
  }
  if (v.is_object()) {
    std::string s;
    for (const auto& [k, x] : v.items()) s += (s.empty() ? "" : " ") + k + ":" + cell(x);
    return s.empty() ? "-" : s;
  }
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + cell(x);
    return s.empty() ? "-" : s;
  }
  return v.dump();
}

void table(const json& rows, const std::vector<std::pair<std::string, std::string>>& columns) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> width;
  width.reserve(columns.size());
  for (const auto& [title, key] : columns) width.push_back(title.size());
  for (const auto& r : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      line.push_back(cell(r.contains(columns[i].second) ? r[columns[i].second] : json(nullptr)));
      width[i] = std::max(width[i], line.back().size());
    }
    cells.push_back(std::move(line));
  }
  auto print = [&](const std::vector<std::string>& line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      std::cout << std::left << std::setw(static_cast<int>(width[i]) + (i + 1 < line.size() ? 2 : 0)) << line[i];
    }
    std::cout << "\n";
  };
  std::vector<std::string> head;
  head.reserve(columns.size());
  for (const auto& [title, key] : columns) head.push_back(title);
  print(head);
  for (const auto& line : cells) print(line);
}

void key_values(const json& obj, const std::string& indent = "") {
  for (const auto& [k, v] : obj.items()) {
    if (v.is_object() && !v.empty()) {
      std::cout << indent << k << ":\n";
      key_values(v, indent + "  ");
    } else {
      std::cout << indent << k << ": " << cell(v) << "\n";
    }
  }
}

struct Context {
  Options o;
  api::Client client;
  std::function<std::string()> login;  // a token for this run
};

int exit_code_of(int status) {
  if (status >= 200 && status < 300) return kExitOk;
  if (status == 401 || status == 403) return kExitAuth;
  if (status >= 400 && status < 500) return kExitRefused;
  return kExitUnavailable;
}

// Sends, prints, and returns the exit code. `show` prints a successful answer as a table.
int call(Context& ctx, const std::string& method, const std::string& target, const json& body,
         const std::function<void(const json&)>& show) {
  if (ctx.o.token.empty()) ctx.o.token = ctx.login();
  ctx.client.set_token(ctx.o.token);
  const auto r = ctx.client.request(method, target, body.is_null() ? "" : body.dump());
  if (r.status == 0) {
    std::cerr << "venuectl: cannot reach " << ctx.o.url << ": " << r.error << "\n";
    return kExitUnavailable;
  }
  if (ctx.o.json_out) {
    std::cout << (r.body.is_null() ? r.text : r.body.dump(2)) << "\n";
  } else if (r.status >= 200 && r.status < 300) {
    show(r.body);
  } else {
    std::cerr << "venuectl: " << r.status << " " << (r.body.is_object() ? r.body.value("error", "") : "") << ": "
              << (r.body.is_object() ? r.body.value("message", r.text) : r.text) << "\n";
    if (r.body.is_object() && r.body.contains("problems")) {
      for (const auto& p : r.body["problems"]) std::cerr << "  " << p.get<std::string>() << "\n";
    }
  }
  return exit_code_of(r.status);
}

void show_message(const json& b) {
  std::cout << b.value("message", "done") << "\n";
  if (b.contains("audit_seq")) std::cout << "(audit log entry " << b["audit_seq"] << ")\n";
}

void show_sessions(const json& b) {
  table(b["sessions"], {{"ID", "id"},
                        {"SENDER", "sender_comp_id"},
                        {"FIRM", "firm"},
                        {"ROLE", "role"},
                        {"STATE", "state"},
                        {"PEER", "peer"},
                        {"IN", "next_in_seq"},
                        {"OUT", "next_out_seq"},
                        {"LAST ACTIVITY", "last_activity"},
                        {"MSG/S IN", "rate_in_per_s"},
                        {"MSG/S OUT", "rate_out_per_s"},
                        {"THROTTLED", "throttle_refused"},
                        {"REJECTS", "rejects"},
                        {"LIVE", "live_orders"}});
}

struct Command {
  std::string name;     // "session logout"
  std::string usage;    // arguments
  std::string summary;  // one line
  std::function<int(Context&, const Args&)> run;
};

std::vector<Command> commands();

int session_action(Context& c, const Args& a, const std::string& verb) {
  json body = json::object();
  if (auto reason = a.opt("reason")) body["reason"] = *reason;
  if (verb == "sequence") {
    for (const auto& [opt, key] : {std::pair{"next-in", "next_in"}, {"next-out", "next_out"}}) {
      if (auto v = a.opt(opt)) {
        try {
          body[key] = std::stoi(*v);
        } catch (const std::exception&) {
          throw UsageError(std::string("--") + opt + " must be a number");
        }
      }
    }
  }
  return call(c, "POST", "/api/v1/sessions/" + url_encode(a.need(0, "SESSION")) + "/" + verb, body, show_message);
}

int kill_switch(Context& c, const Args& a, bool release) {
  json body = json::object();
  if (auto f = a.opt("firm")) body["firm"] = *f;
  if (auto acc = a.opt("account")) body["account"] = *acc;
  if (auto reason = a.opt("reason")) body["reason"] = *reason;
  if (body.contains("firm") == body.contains("account")) throw UsageError("give --firm F or --account A");
  return call(c, "POST", release ? "/api/v1/kill-switch/release" : "/api/v1/kill-switch", body, show_message);
}

std::vector<Command> commands() {
  std::vector<Command> out;
  auto add = [&](std::string n, std::string u, std::string s, std::function<int(Context&, const Args&)> f) {
    out.push_back({std::move(n), std::move(u), std::move(s), std::move(f)});
  };
  add("login", "[--ttl SECONDS]", "log in and print a token (export VENUECTL_TOKEN=... to reuse it)",
      [](Context& c, const Args&) {
        std::cout << c.login() << "\n";
        return kExitOk;
      });
  add("logout", "", "end the token (VENUECTL_TOKEN or --token)", [](Context& c, const Args&) {
    return call(c, "POST", "/api/v1/logout", json::object(), [](const json&) { std::cout << "logged out\n"; });
  });
  add("whoami", "", "the logged-in user and role", [](Context& c, const Args&) {
    return call(c, "GET", "/api/v1/whoami", nullptr, [](const json& b) { key_values(b); });
  });
  add("sessions", "", "the session grid: state, sequence numbers, activity, rates, throttle hits, rejects, live orders",
      [](Context& c, const Args&) { return call(c, "GET", "/api/v1/sessions", nullptr, show_sessions); });
  add("session show", "SESSION", "one session (id or SenderCompID) with its settings", [](Context& c, const Args& a) {
    return call(c, "GET", "/api/v1/sessions/" + url_encode(a.need(0, "SESSION")), nullptr,
                [](const json& b) { key_values(b); });
  });
  for (const auto& [verb, summary] : std::vector<std::pair<std::string, std::string>>{
           {"logout", "send the session a Logout [--reason TEXT]; it may log on again"},
           {"disconnect", "close the session's connection without a Logout"},
           {"disable", "refuse its Logons until enabled (logs it out first) [--reason TEXT]; kept across restarts"},
           {"enable", "accept its Logons again"},
           {"sequence", "set the next sequence numbers [--next-in N] [--next-out N] (session logged out)"},
           {"reset", "both sequence numbers to 1, stored messages discarded (session logged out)"},
           {"unlock", "lift the failed-logon lock-outs"}}) {
    add("session " + verb, verb == "sequence" ? "SESSION [--next-in N] [--next-out N]" : "SESSION [--reason TEXT]",
        summary, [verb = verb](Context& c, const Args& a) { return session_action(c, a, verb); });
  }
  add("session add", "KEY=VALUE...",
      "add a session: id= sender_comp_id= firm= username= password=SECRET|@FILE (or password_hash=) "
      "accounts=A,B [role= transport= allow_from=CIDR,.. orders_per_second= ...] (spec/venue-config.md keys)",
      [](Context& c, const Args& a) {
        return call(c, "POST", "/api/v1/sessions", session_fields(a.words, 0), show_message);
      });
  add("session change", "SESSION KEY=VALUE...",
      "change credentials (username=, password=), limits (orders_per_second= ...), allow_from=, accounts= ...",
      [](Context& c, const Args& a) {
        return call(c, "PATCH", "/api/v1/sessions/" + url_encode(a.need(0, "SESSION")), session_fields(a.words, 1),
                    show_message);
      });
  add("session remove", "SESSION", "remove a session (logged out, no live orders)", [](Context& c, const Args& a) {
    return call(c, "DELETE", "/api/v1/sessions/" + url_encode(a.need(0, "SESSION")), json::object(), show_message);
  });
  add("kill-switch engage", "--firm F | --account A [--reason TEXT]",
      "cancel the firm's or account's live orders and refuse new ones until released",
      [](Context& c, const Args& a) { return kill_switch(c, a, false); });
  add("kill-switch release", "--firm F | --account A", "accept the firm's or account's orders again",
      [](Context& c, const Args& a) { return kill_switch(c, a, true); });
  add("kill-switch list", "", "firms and accounts blocked now", [](Context& c, const Args&) {
    return call(c, "GET", "/api/v1/kill-switches", nullptr, [](const json& b) {
      std::cout << "blocked firms: " << cell(b["blocked_firms"])
                << "\nblocked accounts: " << cell(b["blocked_accounts"]) << "\n";
    });
  });
  add("instruments", "", "instruments with their trading status and last trade", [](Context& c, const Args&) {
    return call(c, "GET", "/api/v1/instruments", nullptr, [](const json& b) {
      table(b["instruments"], {{"SYMBOL", "symbol"}, {"STATUS", "status"}, {"SHARD", "shard"}, {"LAST", "last_trade"}});
    });
  });
  for (const auto& verb : {"halt", "resume", "close"}) {
    add(std::string("instrument ") + verb, "SYMBOL [--reason TEXT]",
        std::string(verb) == "halt"     ? "halt trading: new orders and replaces refused, cancels accepted"
        : std::string(verb) == "resume" ? "open the instrument again"
                                        : "close the instrument for the day",
        [verb = std::string(verb)](Context& c, const Args& a) {
          json body = json::object();
          if (auto reason = a.opt("reason")) body["reason"] = *reason;
          return call(c, "POST", "/api/v1/instruments/" + url_encode(a.need(0, "SYMBOL")) + "/" + verb, body,
                      show_message);
        });
  }
  add("book", "SYMBOL [--depth N]", "the top levels of an instrument's book", [](Context& c, const Args& a) {
    const std::string depth = a.opt("depth").value_or("5");
    return call(
        c, "GET", "/api/v1/instruments/" + url_encode(a.need(0, "SYMBOL")) + "/book?depth=" + url_encode(depth),
        nullptr, [](const json& b) {
          std::cout << b.value("symbol", "") << " (" << b.value("status", "") << "), last trade "
                    << cell(b["last_trade"]) << "\nbids:\n";
          table(b["bids"], {{"PRICE", "price"}, {"QTY", "qty"}, {"SHOWN", "visible_qty"}, {"ORDERS", "orders"}});
          std::cout << "asks:\n";
          table(b["asks"], {{"PRICE", "price"}, {"QTY", "qty"}, {"SHOWN", "visible_qty"}, {"ORDERS", "orders"}});
        });
  });
  add("order", "--order-id N | --clordid X [--session S]", "an order and every report sent about it",
      [](Context& c, const Args& a) {
        std::string q;
        if (auto id = a.opt("order-id")) q = "order_id=" + url_encode(*id);
        if (auto cl = a.opt("clordid")) q = "clordid=" + url_encode(*cl);
        if (q.empty()) throw UsageError("give --order-id N or --clordid X");
        if (auto s = a.opt("session")) q += "&session=" + url_encode(*s);
        return call(c, "GET", "/api/v1/orders?" + q, nullptr, [](const json& b) {
          std::cout << "order " << cell(b["order_id"]) << " session " << cell(b["session"]) << "\n";
          if (!b["live"].is_null()) key_values(b["live"], "  ");
          if (b.contains("final_status")) std::cout << "  final status: " << cell(b["final_status"]) << "\n";
          table(b["reports"], {{"SEQ", "venue_seq"}, {"TYPE", "msg_type"}, {"EXEC", "exec_type"}, {"FIX", "fix"}});
        });
      });
  add("trade bust", "TRADE --reason TEXT",
      "cancel a trade of today by its TrdMatchID(880): both sides get ExecType H with corrected CumQty/AvgPx "
      "(exit 1: unknown trade 1060 or already busted 1061; 4: the engine could not take it)",
      [](Context& c, const Args& a) {
        const std::string trade = a.need(0, "TRADE");
        const auto reason = a.opt("reason");
        if (!reason || reason->empty()) throw UsageError("give --reason TEXT (both brokers see it)");
        json body{{"reason", *reason}};
        return call(c, "POST", "/api/v1/trades/" + url_encode(trade) + "/bust", body, [](const json& b) {
          show_message(b);
          if (b.contains("result") && b["result"].contains("sides")) {
            table(b["result"]["sides"], {{"SIDE", "side"},
                                         {"SESSION", "session"},
                                         {"ORDER", "order_id"},
                                         {"CLORDID", "clordid"},
                                         {"EXECID", "exec_id"},
                                         {"EXECREFID", "exec_ref_id"},
                                         {"STATUS", "ord_status"},
                                         {"CUMQTY", "cum_qty"},
                                         {"LEAVES", "leaves_qty"},
                                         {"AVGPX", "avg_px"}});
          }
        });
      });
  add("health", "", "engines, journal, report log and Kafka publishing", [](Context& c, const Args&) {
    return call(c, "GET", "/api/v1/health", nullptr, [](const json& b) { key_values(b); });
  });
  add("audit", "[--limit N] [--user U] [--action A] [--before SEQ]", "the operator audit log, newest first",
      [](Context& c, const Args& a) {
        std::string q = "limit=" + url_encode(a.opt("limit").value_or("50"));
        for (const auto& k : {"user", "action", "before"}) {
          if (auto v = a.opt(k)) q += std::string("&") + k + "=" + url_encode(*v);
        }
        return call(c, "GET", "/api/v1/audit?" + q, nullptr, [](const json& b) {
          table(b["entries"], {{"SEQ", "seq"},
                               {"TIME", "time"},
                               {"USER", "user"},
                               {"FROM", "from"},
                               {"ACTION", "action"},
                               {"TARGET", "target"},
                               {"RESULT", "result"},
                               {"MESSAGE", "message"}});
        });
      });
  return out;
}

void help(std::ostream& os, const std::string& topic = "") {
  if (topic.empty()) {
    os << "usage: venuectl [OPTIONS] COMMAND [ARGS]   (venuectl help COMMAND, or COMMAND --help)\n\n"
          "Options (each also from the environment):\n"
          "  --url URL            the operator API (VENUECTL_URL; default http://127.0.0.1:19110)\n"
          "  --user NAME          who logs in (VENUECTL_USER)\n"
          "  --password-file F    the password is its first line (else VENUECTL_PASSWORD, else asked)\n"
          "  --token TOKEN        a token from `venuectl login` (VENUECTL_TOKEN): no login per command\n"
          "  --json               print the API's JSON answer instead of a table\n"
          "  --ca-file F          https: trust this CA certificate; --insecure: verify nothing (tests)\n"
          "  --timeout SECONDS    default 10\n\nCommands:\n";
  }
  for (const auto& c : commands()) {
    if (!topic.empty() && c.name != topic && c.name.rfind(topic + " ", 0) != 0) continue;
    os << "  " << c.name << (c.usage.empty() ? "" : " " + c.usage) << "\n      " << c.summary << "\n";
  }
  if (topic.empty()) {
    os << "\nExit codes: 0 done; 1 the venue refused (not found, conflict, invalid); 2 bad command line;\n"
          "3 not logged in or not allowed (401, 403); 4 the API could not be reached or failed (5xx).\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> argv_words(argv + 1, argv + argc);
  Options o;
  o.url = env("VENUECTL_URL", "http://127.0.0.1:19110");
  o.user = env("VENUECTL_USER");
  o.token = env("VENUECTL_TOKEN");
  std::vector<std::string> rest;
  bool want_help = false;
  try {
    for (std::size_t i = 0; i < argv_words.size(); ++i) {
      const std::string& w = argv_words[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argv_words.size()) throw UsageError(w + " needs a value");
        return argv_words[++i];
      };
      if (rest.empty() && w == "--url") {
        o.url = value();
      } else if (rest.empty() && w == "--user") {
        o.user = value();
      } else if (rest.empty() && w == "--password-file") {
        o.password_file = value();
      } else if (rest.empty() && w == "--token") {
        o.token = value();
      } else if (rest.empty() && w == "--ca-file") {
        o.ca_file = value();
      } else if (rest.empty() && w == "--timeout") {
        o.timeout = std::stoi(value());
      } else if (w == "--insecure") {
        o.insecure = true;
      } else if (w == "--json") {
        o.json_out = true;
      } else if (w == "-h" || w == "--help") {
        want_help = true;
      } else {
        rest.push_back(w);
      }
    }
    if (!rest.empty() && rest[0] == "help") {
      help(std::cout, rest.size() > 1 ? rest[1] + (rest.size() > 2 ? " " + rest[2] : "") : "");
      return kExitOk;
    }
    const auto all = commands();
    const Command* found = nullptr;
    std::size_t used = 0;
    for (const auto& c : all) {
      std::stringstream ss(c.name);
      std::vector<std::string> parts;
      for (std::string p; ss >> p;) parts.push_back(p);
      if (rest.size() >= parts.size() && std::equal(parts.begin(), parts.end(), rest.begin())) {
        if (found == nullptr || parts.size() > used) {
          found = &c;
          used = parts.size();
        }
      }
    }
    if (found == nullptr) {
      if (want_help || rest.empty()) {
        help(rest.empty() ? std::cout : std::cerr, rest.empty() ? "" : rest[0]);
        return rest.empty() && want_help ? kExitOk : kExitUsage;
      }
      throw UsageError("unknown command \"" + rest[0] + "\" (venuectl --help lists them)");
    }
    if (want_help) {
      help(std::cout, found->name);
      return kExitOk;
    }
    Args args;
    for (std::size_t i = used; i < rest.size(); ++i) {
      if (rest[i].rfind("--", 0) == 0) {
        if (i + 1 >= rest.size()) throw UsageError(rest[i] + " needs a value");
        args.opts[rest[i].substr(2)] = rest[i + 1];
        ++i;
      } else {
        args.words.push_back(rest[i]);
      }
    }
    api::Client client({.url = o.url,
                        .token = o.token,
                        .ca_file = o.ca_file,
                        .insecure = o.insecure,
                        .timeout = std::chrono::seconds(o.timeout)});
    std::string why;
    if (!client.valid(&why)) throw UsageError("--url " + o.url + ": " + why);
    Context ctx{o, client, {}};
    ctx.login = [&ctx, &args]() -> std::string {
      if (ctx.o.user.empty()) throw UsageError("not logged in: give --user NAME (or VENUECTL_USER, or VENUECTL_TOKEN)");
      std::string password = ctx.o.password_file.empty() ? env("VENUECTL_PASSWORD") : first_line(ctx.o.password_file);
      if (password.empty()) password = ask_password(ctx.o.user);
      json body{{"user", ctx.o.user}, {"password", password}};
      if (auto ttl = args.opt("ttl")) body["ttl_seconds"] = std::stoll(*ttl);
      ctx.client.set_token("");
      const auto r = ctx.client.request("POST", "/api/v1/login", body.dump());
      if (r.status == 0) {
        std::cerr << "venuectl: cannot reach " << ctx.o.url << ": " << r.error << "\n";
        throw Exit{kExitUnavailable};
      }
      if (r.status != 200) {
        std::cerr << "venuectl: login refused: " << (r.body.is_object() ? r.body.value("message", r.text) : r.text)
                  << "\n";
        throw Exit{exit_code_of(r.status)};
      }
      return r.body.value("token", "");
    };
    return found->run(ctx, args);
  } catch (const Exit& e) {
    return e.code;
  } catch (const UsageError& e) {
    std::cerr << "venuectl: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "venuectl: " << e.what() << "\n";
    return kExitUsage;
  }
}

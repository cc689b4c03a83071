#include "e2e/support/dropcopy_process.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

#include "e2e/support/test_venue.h"

namespace venue::e2e {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

DropcopyProcess::DropcopyProcess(std::filesystem::path dir, const std::string& kafka_toml,
                                 const std::vector<DropcopySession>& sessions)
    : dir_(std::move(dir)), fix_port_(free_port()), metrics_port_(free_port()) {
  std::filesystem::create_directories(dir_);
  std::string hash = run_command("echo '" + std::string(kPassword) + "' | '" + (bin_dir() / "venue-passwd").string() +
                                 "' --iterations 1000");
  while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r')) hash.pop_back();
  std::string t = "# Written by tests/e2e/support/dropcopy_process.cpp.\n[dropcopy]\ncomp_id = \"VENUEDC\"\n";
  t += "fix_port = " + std::to_string(fix_port_) + "\nmetrics_port = " + std::to_string(metrics_port_) + "\n";
  t += "store_dir = \"fixstore\"\n";
  t += "data_dictionary = \"" + (source_dir() / "spec" / "fix" / "VENUE-FIX44.xml").string() + "\"\n";
  t += "\n" + kafka_toml + "\n";
  for (const auto& s : sessions) {
    t += "\n[[session]]\nsender_comp_id = \"" + s.comp_id + "\"\nusername = \"" + lower(s.comp_id) +
         "\"\npassword_hash = \"" + hash + "\"\n" + s.toml;
  }
  std::ofstream(dir_ / "dropcopy.toml") << t;
  process_ = std::make_unique<VenueProcess>(dir_ / "dropcopy.toml", dir_ / "dropcopy.log", metrics_port_, "dropcopy");
}

ClientOptions DropcopyProcess::options(const std::string& comp_id, bool reset_seq_num, const std::string& tag) const {
  ClientOptions o;
  o.sender = comp_id;
  o.target = "VENUEDC";
  o.port = fix_port_;
  o.username = lower(comp_id);
  o.password = kPassword;
  o.reset_seq_num = reset_seq_num;
  o.dir = dir_ / ("clients" + (tag.empty() ? std::string() : "-" + tag));
  return o;
}

double DropcopyProcess::metric(const std::string& series) const {
  return metric_value(process_->http("GET", "/metrics").body, series).value_or(-1);
}

std::string DropcopyProcess::log_text() const {
  std::ifstream in(process_->log_file());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace venue::e2e

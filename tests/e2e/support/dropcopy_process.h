#pragma once
// The drop-copy service (build/bin/dropcopy) for the end-to-end tests: a configuration written into a
// test folder (the sessions given, each with username = its CompID in lower case and password
// kPassword), the process on free ports, its /metrics, its log, and its clients' options.
//
//   DropcopyProcess dc(dir, "[kafka]\nbrokers = \"...\"\ntopic = \"t\"\n", {{"DCALL", "scope = \"all\"\n"}});
//   dc.process().start();
//   FixClient officer(dc.options("DCALL"));
//   double n = dc.metric("dropcopy_copies_delivered_total{session=\"DCALL\"}");
//
// Thread rules: the test's thread.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "e2e/support/fix_client.h"
#include "e2e/support/venue_process.h"

namespace venue::e2e {

struct DropcopySession {
  std::string comp_id;
  std::string toml;  // more keys of its [[session]] table (scope, firms, level, ...)
};

class DropcopyProcess {
 public:
  // `kafka_toml`: the whole [kafka] table (brokers, topic, group_id, security ...).
  DropcopyProcess(std::filesystem::path dir, const std::string& kafka_toml,
                  const std::vector<DropcopySession>& sessions);
  DropcopyProcess(const DropcopyProcess&) = delete;
  DropcopyProcess& operator=(const DropcopyProcess&) = delete;

  VenueProcess& process() { return *process_; }
  std::uint16_t fix_port() const { return fix_port_; }
  const std::filesystem::path& dir() const { return dir_; }
  // Options of a client of `comp_id` whose FIX files live under dir()/clients-<tag>.
  ClientOptions options(const std::string& comp_id, bool reset_seq_num = false, const std::string& tag = "") const;
  // A value from /metrics, e.g. metric("dropcopy_copies_delivered_total{session=\"DCALL\"}"); -1 when absent.
  double metric(const std::string& series) const;
  // The whole log so far.
  std::string log_text() const;

 private:
  std::filesystem::path dir_;
  std::uint16_t fix_port_;
  std::uint16_t metrics_port_;
  std::unique_ptr<VenueProcess> process_;
};

}  // namespace venue::e2e

#pragma once
// The risk service (build/bin/risk --config FILE): positions, exposure and P&L from the venue's execution
// reports, limits with warnings, and the automatic kill switch. How it works: risk/README.md; what
// officers read and the formats it produces: spec/risk.md.
//
//   venue::risk::Service service(cfg, obs.shared_registry());
//   service.add_routes(obs.http());            // /positions /exposure /status /limits, before obs.start()
//   obs.add_readiness_check("risk", [&] { return service.ready(); });
//   service.run();                              // until ShutdownSignal::requested(); throws on a fatal error
//
// Threads: run()'s thread (Kafka in and out, the book, limits, commands); the PostgreSQL writer
// (writer.h); the HTTP thread, whose handlers read the book under a mutex, so /positions shows exactly
// the figures the limits are checked against at that moment.
//
// Thread rules: construct, add_routes and run from one thread; ready() and the routes from any.

#include <prometheus/registry.h>
#include <memory>

#include "venue/common/http_server.h"
#include "venue/risk/config.h"

namespace venue::risk {

class Service {
 public:
  Service(Config cfg, std::shared_ptr<prometheus::Registry> registry);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void add_routes(HttpServer& http);
  // Loaded, caught up with Kafka once, Kafka and PostgreSQL reachable. The failing parts are listed by
  // GET /status.
  bool ready() const;
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace venue::risk

#pragma once
// The operational endpoints every venue process exposes on its metrics port:
//   GET /metrics  Prometheus text format of the process's registry
//   GET /healthz  200 while the process is alive and serving
//   GET /readyz   200 when every readiness check passes, else 503 with the failing checks as JSON
//
// Use:
//   venue::Observability obs("127.0.0.1", 9101);
//   auto& rejects = prometheus::BuildCounter().Name("venue_rejects_total").Register(obs.registry());
//   obs.add_readiness_check("kafka", [&] { return producer.connected(); });
//   obs.start();
// Further routes (the venue's admin API) can be added to http() before start().
//
// Thread rules: add_readiness_check() and http().route() before start(); checks run on the HTTP thread
// and must be thread-safe and quick; the registry is thread-safe.

#include <prometheus/registry.h>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "venue/common/http_server.h"

namespace venue {

class Observability {
 public:
  Observability(std::string bind_address, std::uint16_t port);

  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }
  HttpServer& http() { return http_; }

  void add_readiness_check(std::string name, std::function<bool()> check);
  void start() { http_.start(); }
  void stop() { http_.stop(); }
  std::uint16_t port() const { return http_.port(); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  HttpServer http_;
  std::vector<std::pair<std::string, std::function<bool()>>> checks_;
};

}  // namespace venue

#include "venue/common/observability.h"

#include <prometheus/text_serializer.h>
#include <nlohmann/json.hpp>

namespace venue {

Observability::Observability(std::string bind_address, std::uint16_t port)
    : registry_(std::make_shared<prometheus::Registry>()), http_(std::move(bind_address), port) {
  http_.route("GET", "/metrics", [this](const HttpRequest&) {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                        prometheus::TextSerializer().Serialize(registry_->Collect())};
  });
  http_.route("GET", "/healthz", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "ok\n"}; });
  http_.route("GET", "/readyz", [this](const HttpRequest&) {
    nlohmann::json failing = nlohmann::json::array();
    for (const auto& [name, check] : checks_) {
      if (!check()) failing.push_back(name);
    }
    if (failing.empty()) return HttpResponse{200, "text/plain", "ready\n"};
    return json_response(503, nlohmann::json{{"ready", false}, {"failing", failing}}.dump());
  });
}

void Observability::add_readiness_check(std::string name, std::function<bool()> check) {
  checks_.emplace_back(std::move(name), std::move(check));
}

}  // namespace venue

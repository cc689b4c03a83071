#pragma once
// The venue's part of the operator API (spec/operator-api.md): its views and actions as routes of
// operator_api::Server, each turned into one short job on the gateway thread through Gateway's admin_*
// calls, with the request's deadline. What needs time runs on the API's worker thread, never the
// gateway's: password hashing for new session credentials, and searching the report log for an order's
// reports.
//
//   operator_api::Server api(operator_api_settings(cfg), registry);
//   add_operator_routes(api, gateway);
//   api.start();
//
// Thread rules: add_operator_routes() before api.start(); the handlers run on the API's workers.

#include "venue/fix_gateway/config.h"
#include "venue/fix_gateway/gateway.h"
#include "venue/operator_api/server.h"

namespace venue::fix_gateway {

operator_api::ServerSettings operator_api_settings(const GatewayConfig& c);
void add_operator_routes(operator_api::Server& api, Gateway& gateway);

// A session's settings from the operator API's JSON (the keys of a [[session]] table; "password" is
// hashed into password_hash), read by the configuration's own reader. On a refusal, the reasons.
std::optional<SessionConfig> session_from_json(const nlohmann::json& body, const GatewayConfig& c,
                                               std::vector<std::string>& problems);

}  // namespace venue::fix_gateway

#include "venue/common/pg.h"

namespace venue::pg {

Client::Client(ClientSettings settings, prometheus::Registry& registry) : settings_(std::move(settings)) {
  const std::map<std::string, std::string> labels{{"client", settings_.name}};
  errors_ = &prometheus::BuildCounter()
                 .Name("venue_pg_errors_total")
                 .Help("PostgreSQL errors (connection and SQL)")
                 .Register(registry)
                 .Add(labels);
  retries_ = &prometheus::BuildCounter()
                  .Name("venue_pg_retries_total")
                  .Help("Transactions run again after a lost connection")
                  .Register(registry)
                  .Add(labels);
  connects_ = &prometheus::BuildCounter()
                   .Name("venue_pg_connects_total")
                   .Help("Connections opened to PostgreSQL")
                   .Register(registry)
                   .Add(labels);
}

pqxx::connection& Client::connection() {
  if (conn_ && conn_->is_open()) return *conn_;
  conn_ = std::make_unique<pqxx::connection>(settings_.url);
  connects_->Increment();
  return *conn_;
}

}  // namespace venue::pg

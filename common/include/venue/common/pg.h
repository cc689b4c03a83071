#pragma once
// A libpqxx connection that survives a database restart: transaction() runs the caller's work in a
// transaction and, when the connection breaks, reconnects with backoff and runs it again, up to
// RetryPolicy::attempts times. Every error and retry is counted (venue_pg_errors_total,
// venue_pg_retries_total, labelled with the client name).
//
//   venue::pg::Client db({.url = url, .name = "compliance"}, registry);
//   auto n = db.transaction([](pqxx::work& tx) { return tx.exec1("select count(*) from audit")[0].as<long>(); });
//
// Only a broken connection is retried (the work must then be safe to run again: it ran in a transaction
// that did not commit, or whose commit outcome is unknown - pqxx::in_doubt_error is NOT retried and is
// rethrown). SQL errors are rethrown at once.
//
// Thread rules: one Client per thread.

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <chrono>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <type_traits>

#include "venue/common/log.h"

namespace venue::pg {

struct ClientSettings {
  std::string url;
  std::string name;
  int attempts = 5;
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
};

class Client {
 public:
  Client(ClientSettings settings, prometheus::Registry& registry);

  template <class Work>
  auto transaction(Work&& work) -> std::invoke_result_t<Work, pqxx::work&> {
    auto backoff = settings_.first_backoff;
    for (int attempt = 1;; ++attempt) {
      try {
        pqxx::work tx(connection());
        if constexpr (std::is_void_v<std::invoke_result_t<Work, pqxx::work&>>) {
          work(tx);
          tx.commit();
          return;
        } else {
          auto result = work(tx);
          tx.commit();
          return result;
        }
      } catch (const pqxx::in_doubt_error&) {
        errors_->Increment();
        throw;
      } catch (const pqxx::broken_connection& e) {
        errors_->Increment();
        conn_.reset();
        if (attempt >= settings_.attempts) throw;
        retries_->Increment();
        VENUE_LOG_KV(warning, "postgres connection lost, retrying",
                     {{"client", settings_.name}, {"attempt", attempt}, {"error", e.what()}});
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, settings_.max_backoff);
      } catch (const std::exception&) {
        errors_->Increment();
        throw;
      }
    }
  }

  // The live connection, (re)connecting when needed. Throws pqxx::broken_connection when it cannot.
  pqxx::connection& connection();

 private:
  ClientSettings settings_;
  std::unique_ptr<pqxx::connection> conn_;
  prometheus::Counter* errors_;
  prometheus::Counter* retries_;
  prometheus::Counter* connects_;
};

}  // namespace venue::pg

#define BOOST_TEST_MODULE pg_roundtrip
// libpqxx through the real PostgreSQL that deploy/local/services starts (VENUE_PG_URL).
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "venue/common/pg.h"

namespace {

std::string url() {
  const char* u = std::getenv("VENUE_PG_URL");
  if (u == nullptr || *u == '\0') {
    throw std::runtime_error("VENUE_PG_URL is not set: run under deploy/local/with-services --pg");
  }
  return u;
}

double metric(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name == name) return family.metric.at(0).counter.value;
  }
  return -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(rows_written_in_a_transaction_read_back_exactly) {
  prometheus::Registry registry;
  venue::pg::Client db({.url = url(), .name = "it"}, registry);
  db.transaction([](pqxx::work& tx) {
    tx.exec0("create temporary table if not exists fills (exec_id bigint primary key, px numeric(20,8), qty bigint)");
  });
  const auto count = db.transaction([](pqxx::work& tx) {
    tx.exec0("create table if not exists it_fills (exec_id bigint primary key, px numeric(20,8), qty bigint)");
    tx.exec0("truncate it_fills");
    tx.exec_params0("insert into it_fills values ($1, $2, $3)", 1, "101.25000001", 300);
    tx.exec_params0("insert into it_fills values ($1, $2, $3)", 2, "92233720368.54775807", 1);
    return tx.exec1("select count(*) from it_fills")[0].as<long>();
  });
  BOOST_TEST(count == 2);
  auto px = db.transaction(
      [](pqxx::work& tx) { return tx.exec1("select px::text from it_fills where exec_id = 2")[0].as<std::string>(); });
  BOOST_TEST(px == "92233720368.54775807");  // numeric keeps every digit a fixed-point price has
}

BOOST_AUTO_TEST_CASE(a_failed_statement_rolls_back_and_is_counted) {
  prometheus::Registry registry;
  venue::pg::Client db({.url = url(), .name = "it2"}, registry);
  db.transaction([](pqxx::work& tx) {
    tx.exec0("create table if not exists it_unique (id int primary key)");
    tx.exec0("truncate it_unique");
  });
  BOOST_CHECK_THROW(db.transaction([](pqxx::work& tx) {
    tx.exec0("insert into it_unique values (1)");
    tx.exec0("insert into it_unique values (1)");
  }),
                    pqxx::unique_violation);
  BOOST_TEST(db.transaction([](pqxx::work& tx) { return tx.exec1("select count(*) from it_unique")[0].as<long>(); }) ==
             0);
  BOOST_TEST(metric(registry, "venue_pg_errors_total") == 1.0);
}

BOOST_AUTO_TEST_CASE(a_lost_connection_is_reopened_and_the_work_retried) {
  prometheus::Registry registry;
  venue::pg::Client db({.url = url(), .name = "it3"}, registry);
  const auto pid = db.transaction([](pqxx::work& tx) { return tx.exec1("select pg_backend_pid()")[0].as<int>(); });
  {
    // Another connection kills ours, as a database failover would.
    pqxx::connection admin(url());
    pqxx::work tx(admin);
    tx.exec_params("select pg_terminate_backend($1)", pid);
    tx.commit();
  }
  const auto again = db.transaction([](pqxx::work& tx) { return tx.exec1("select 42")[0].as<int>(); });
  BOOST_TEST(again == 42);
  BOOST_TEST(metric(registry, "venue_pg_retries_total") == 1.0);
}

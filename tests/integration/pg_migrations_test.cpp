#define BOOST_TEST_MODULE pg_migrations
// Schema migrations against the real PostgreSQL that deploy/local/services starts (VENUE_PG_URL), as a
// service that owns a schema meets them at start: applied once and in order, a newer database refused,
// an edited migration refused, a failing migration leaving nothing behind.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <pqxx/pqxx>

#include "venue/common/pg_migrations.h"

namespace pg = venue::pg;

namespace {

std::string url() {
  const char* u = std::getenv("VENUE_PG_URL");
  if (u == nullptr || *u == '\0') {
    throw std::runtime_error("VENUE_PG_URL is not set: run under deploy/local/with-services --pg");
  }
  return u;
}

// A fresh schema per test case.
std::string fresh_schema(pqxx::connection& c, const std::string& name) {
  pqxx::work tx(c);
  tx.exec("drop schema if exists " + name + " cascade");
  tx.commit();
  return name;
}

const std::vector<pg::Migration> kTwo{
    {1, "0001_orders", "create table orders (id bigint primary key, qty bigint not null);"},
    {2, "0002_orders_symbol", "alter table orders add column symbol text not null default '';"},
};

bool throws_with(const std::function<void()>& fn, const std::string& text) {
  try {
    fn();
  } catch (const pg::MigrationError& e) {
    BOOST_TEST_MESSAGE(e.what());
    return std::string(e.what()).find(text) != std::string::npos;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(migrations_are_applied_once_in_order_and_recorded) {
  pqxx::connection c(url());
  const auto schema = fresh_schema(c, "it_migrate_once");
  BOOST_TEST(pg::schema_version(c, schema) == 0);
  const auto first = pg::migrate(c, schema, {kTwo[0]}, "test");
  BOOST_TEST(first.from_version == 0);
  BOOST_TEST(first.to_version == 1);
  BOOST_TEST(first.applied == std::vector<std::string>{"0001_orders"});
  const auto second = pg::migrate(c, schema, kTwo, "test");
  BOOST_TEST(second.from_version == 1);
  BOOST_TEST(second.applied == std::vector<std::string>{"0002_orders_symbol"});
  const auto again = pg::migrate(c, schema, kTwo, "test");
  BOOST_TEST(again.applied.empty());
  BOOST_TEST(again.to_version == 2);
  pqxx::work tx(c);
  BOOST_TEST(tx.exec1("select count(*) from " + schema + ".schema_migrations")[0].as<int>() == 2);
  tx.exec("set search_path to " + schema);
  tx.exec("insert into orders (id, qty, symbol) values (1, 10, 'ACME')");
}

BOOST_AUTO_TEST_CASE(a_database_newer_than_the_binary_is_refused_and_left_alone) {
  pqxx::connection c(url());
  const auto schema = fresh_schema(c, "it_migrate_newer");
  pg::migrate(c, schema, kTwo, "newer binary");
  BOOST_TEST(throws_with([&] { pg::migrate(c, schema, {kTwo[0]}, "older binary"); },
                         "is at version 2; this binary knows versions up to 1"));
  BOOST_TEST(pg::schema_version(c, schema) == 2);
}

BOOST_AUTO_TEST_CASE(a_migration_edited_after_it_was_applied_is_refused) {
  pqxx::connection c(url());
  const auto schema = fresh_schema(c, "it_migrate_edited");
  pg::migrate(c, schema, kTwo, "test");
  auto edited = kTwo;
  edited[1].sql = "alter table orders add column symbol varchar(12) not null default '';";
  BOOST_TEST(throws_with([&] { pg::migrate(c, schema, edited, "test"); }, "must never be edited once applied"));
}

BOOST_AUTO_TEST_CASE(a_failing_migration_leaves_the_schema_at_the_last_good_version) {
  pqxx::connection c(url());
  const auto schema = fresh_schema(c, "it_migrate_failing");
  auto bad = kTwo;
  bad.push_back({3, "0003_broken", "alter table no_such_table add column x int;"});
  BOOST_CHECK_THROW(pg::migrate(c, schema, bad, "test"), pqxx::sql_error);
  BOOST_TEST(pg::schema_version(c, schema) == 2);
}

BOOST_AUTO_TEST_CASE(a_list_with_a_gap_or_a_bad_name_is_refused_before_touching_the_database) {
  pqxx::connection c(url());
  const auto schema = fresh_schema(c, "it_migrate_gap");
  BOOST_TEST(throws_with([&] { pg::migrate(c, schema, {kTwo[1]}, "test"); }, "expected a file named 0001_"));
  BOOST_TEST(throws_with([&] { pg::migrate(c, schema, {{1, "0001_x", "  \n"}}, "test"); }, "is empty"));
  BOOST_TEST(throws_with([&] { pg::migrate(c, "Bad-Name", kTwo, "test"); }, "bad schema name"));
  BOOST_TEST(pg::schema_version(c, schema) == 0);
}

#define BOOST_TEST_MODULE dropcopy_cursor
// The drop-copy cursor file: what a restart reads to decide whether a session's store is behind. A
// cursor it cannot read must be refused (the service then checks the store against Kafka), never half
// read: a wrong "stored" mark would skip a catch-up a lost store needs.
#include "venue/dropcopy/cursor.h"

#include <boost/test/unit_test.hpp>

using venue::dropcopy::Cursor;
using venue::dropcopy::Mark;
using venue::dropcopy::offsets_text;
using venue::dropcopy::parse_cursor;
using venue::dropcopy::parse_offsets;

BOOST_AUTO_TEST_CASE(a_written_cursor_reads_back_the_same) {
  const Cursor plain{
      .store_seq = 77, .stored = {1234, 1795785870152000000}, .sent = {1200, 1795785870100000000}, .catch_up = {}};
  BOOST_TEST(venue::dropcopy::cursor_text(plain) ==
             "venue-dropcopy-cursor 2 store-seq=77 stored=1234:1795785870152000000 sent=1200:1795785870100000000 "
             "catch-up=none sent-through=none\n");
  BOOST_TEST((parse_cursor(venue::dropcopy::cursor_text(plain)) == plain));
  const Cursor pending{.store_seq = 2, .stored = {0, 0}, .sent = {80, 5}, .catch_up = Mark{80, 5}};
  BOOST_TEST((parse_cursor(venue::dropcopy::cursor_text(pending)) == pending));
  Cursor through = plain;
  through.topic = "venue.execution-reports";
  through.sent_through = {{0, 120}, {1, 0}, {7, 9'000'000'000}};
  BOOST_TEST(venue::dropcopy::cursor_text(through).find(
                 " sent-through=venue.execution-reports/0@120,1@0,7@9000000000\n") != std::string::npos);
  BOOST_TEST((parse_cursor(venue::dropcopy::cursor_text(through)) == through));
}

BOOST_AUTO_TEST_CASE(a_version_1_cursor_is_still_read_without_sent_through) {
  const auto c = parse_cursor("venue-dropcopy-cursor 1 store-seq=5 stored=3:30 sent=2:20 catch-up=none\n");
  BOOST_TEST_REQUIRE(c.has_value());
  BOOST_TEST(c->sent.seq == 2U);
  BOOST_TEST(c->sent_through.empty());
}

BOOST_AUTO_TEST_CASE(anything_else_is_refused) {
  for (const char* bad : {
           "",
           "\n",
           "venue-dropcopy-cursor 2 store-seq=5 stored=1:1 sent=1:1 catch-up=none",    // unknown version
           "venue-dropcopy-cursor 1 store-seq=5 stored=1:1 sent=1:1",                  // cut short
           "venue-dropcopy-cursor 1 store-seq=5 stored=1:1 sent=1:1 catch-up=none x",  // trailing words
           "venue-dropcopy-cursor 1 store-seq=5 sent=1:1 stored=1:1 catch-up=none",    // fields swapped
           "venue-dropcopy-cursor 1 store-seq=5 stored=1 sent=1:1 catch-up=none",      // no time
           "venue-dropcopy-cursor 1 store-seq=5 stored=-1:1 sent=1:1 catch-up=none",   // negative seq
           "venue-dropcopy-cursor 1 store-seq=5 stored=1:1x sent=1:1 catch-up=none",   // not a number
           "venue-dropcopy-cursor 1 store-seq=5 stored=1:1 sent=1:1 catch-up=",        // empty mark
           "venue-dropcopy-cursor 1 store-seq=5 stored=1:1 sent=1:1 catch-up=maybe",   // not a mark
           "venue-dropcopy-cursor 1 store-seq=5 stored=99999999999999999999:1 sent=1:1 catch-up=none",  // too big
           "venue-dropcopy-cursor 1 store-seq=0 stored=1:1 sent=1:1 catch-up=none",                     // seq 0
           "venue-dropcopy-cursor 1 store-seq=x stored=1:1 sent=1:1 catch-up=none",                     // not a number
           "venue-dropcopy-cursor 1 stored=1:1 sent=1:1 catch-up=none",                                 // no store-seq
           "venue-dropcopy-cursor 2 store-seq=5 stored=1:1 sent=1:1 catch-up=none",                     // v2 cut short
           "venue-dropcopy-cursor 1 store-seq=5 stored=1:1 sent=1:1 catch-up=none sent-through=none",   // v1 with v2's
           "venue-dropcopy-cursor 2 store-seq=5 stored=1:1 sent=1:1 catch-up=none sent-through=t/",     // no partition
           "venue-dropcopy-cursor 2 store-seq=5 stored=1:1 sent=1:1 catch-up=none sent-through=/0@1",   // no topic
           "venue-dropcopy-cursor 2 store-seq=5 stored=1:1 sent=1:1 catch-up=none sent-through=t/1@5,0@3",  // order
           "venue-dropcopy-cursor 2 store-seq=5 stored=1:1 sent=1:1 catch-up=none sent-through=t/0@-1",     // negative
           "venue-dropcopy-cursor 2 store-seq=5 stored=1:1 sent=1:1 catch-up=none sent-through=t/0@1,0@2",  // twice
           "venue-dropcopy-cursor 2 store-seq=5 stored=1:1 sent=1:1 catch-up=none sent-through=t/0=1",      // no @
           "\x00\x01garbage",
       }) {
    BOOST_TEST_CONTEXT("\"" << bad << "\"") { BOOST_TEST(!parse_cursor(bad).has_value()); }
  }
}

BOOST_AUTO_TEST_CASE(offsets_of_a_topic_read_back_the_same) {
  const std::map<std::int32_t, std::int64_t> offsets{{0, 12}, {3, 0}, {7, 9000000000}};
  std::string topic;
  std::map<std::int32_t, std::int64_t> back;
  BOOST_TEST(offsets_text("venue.execution-reports", offsets) == "venue.execution-reports/0@12,3@0,7@9000000000");
  BOOST_TEST(parse_offsets(offsets_text("venue.execution-reports", offsets), topic, back));
  BOOST_TEST(topic == "venue.execution-reports");
  BOOST_TEST((back == offsets));
  BOOST_TEST(offsets_text("t", {}) == "none");
  BOOST_TEST(offsets_text("", offsets) == "none");
  topic.clear();
  back.clear();
  BOOST_TEST(parse_offsets("none", topic, back));
  BOOST_TEST((topic.empty() && back.empty()));
  for (const char* bad : {"", "t/", "/0@1", "t/1@5,0@3", "t/0@-1", "t/0=1", "t/0@1 "}) {
    BOOST_TEST_CONTEXT("\"" << bad << "\"") { BOOST_TEST(!parse_offsets(bad, topic, back)); }
  }
}

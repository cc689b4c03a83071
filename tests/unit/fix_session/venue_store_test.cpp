#define BOOST_TEST_MODULE fix_gateway_venue_store
// The FIX sessions' message store: what a broker or a drop-copy client can have resent. It writes
// QuickFIX FileStore's files in batches; these tests hold it to FileStore's format both ways (a venue
// upgraded in place keeps its sessions' history), to "nothing on disk is torn or ahead of itself", and to
// reads seeing messages that are not yet written out.
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "venue/fix_session/message_store.h"

namespace fs = std::filesystem;
namespace fsn = venue::fix_session;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("venue-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

const FIX::SessionID kId("FIX.4.4", "VENUE", "BRK1");

std::string msg(int n) {
  return "8=FIX.4.4\x01"
         "9=5\x01"
         "35=8\x01"
         "34=" +
         std::to_string(n) +
         "\x01"
         "10=000\x01";
}

std::vector<std::string> all(const FIX::MessageStore& s, int last) {
  std::vector<std::string> out;
  s.get(1, last, out);
  return out;
}

std::uintmax_t size_of(const TempDir& d, const char* ext) {
  return fs::file_size(d.path / ("FIX.4.4-VENUE-BRK1" + std::string(ext)));
}

}  // namespace

BOOST_AUTO_TEST_CASE(quickfix_filestore_history_opens_unchanged) {
  TempDir d;
  FIX::UtcTimeStamp created;
  {
    FIX::FileStore fs(d.path.string(), kId);
    for (int i = 1; i <= 3; ++i) {
      fs.set(i, msg(i));
      fs.incrNextSenderMsgSeqNum();
    }
    fs.setNextTargetMsgSeqNum(7);
    created = fs.getCreationTime();
  }
  fsn::VenueStore s(d.path.string(), kId);
  BOOST_TEST(s.getNextSenderMsgSeqNum() == 4);
  BOOST_TEST(s.getNextTargetMsgSeqNum() == 7);
  BOOST_TEST(all(s, 3) == (std::vector<std::string>{msg(1), msg(2), msg(3)}));
  BOOST_TEST(FIX::UtcTimeStampConvertor::convert(s.getCreationTime()) == FIX::UtcTimeStampConvertor::convert(created));
}

BOOST_AUTO_TEST_CASE(what_it_writes_quickfix_filestore_reads) {
  TempDir d;
  {
    fsn::VenueStoreFactory f(d.path.string());
    FIX::MessageStore* s = f.create(kId);
    for (int i = 1; i <= 3; ++i) {
      s->set(i, msg(i));
      s->incrNextSenderMsgSeqNum();
    }
    s->incrNextTargetMsgSeqNum();
    f.flush_all();
    f.destroy(s);
  }
  FIX::FileStore fs(d.path.string(), kId);
  BOOST_TEST(fs.getNextSenderMsgSeqNum() == 4);
  BOOST_TEST(fs.getNextTargetMsgSeqNum() == 2);
  BOOST_TEST(all(fs, 3) == (std::vector<std::string>{msg(1), msg(2), msg(3)}));
}

BOOST_AUTO_TEST_CASE(messages_wait_in_memory_until_flush_all_yet_can_be_resent) {
  TempDir d;
  fsn::VenueStoreFactory f(d.path.string());
  FIX::MessageStore* s = f.create(kId);
  f.flush_all();
  s->set(1, msg(1));
  s->incrNextSenderMsgSeqNum();
  BOOST_TEST(size_of(d, ".body") == 0u);  // not yet written
  BOOST_TEST(all(*s, 1) == std::vector<std::string>{msg(1)});
  f.flush_all();
  BOOST_TEST(size_of(d, ".body") == msg(1).size());
  s->set(2, msg(2));
  // One written, one pending: a resend of both reads each from where it is.
  BOOST_TEST(all(*s, 2) == (std::vector<std::string>{msg(1), msg(2)}));
  f.destroy(s);  // closing writes what is pending
  fsn::VenueStore again(d.path.string(), kId);
  BOOST_TEST(again.getNextSenderMsgSeqNum() == 2);
  BOOST_TEST(all(again, 2) == (std::vector<std::string>{msg(1), msg(2)}));
}

BOOST_AUTO_TEST_CASE(a_reset_forgets_everything_and_is_counted) {
  TempDir d;
  fsn::VenueStoreFactory f(d.path.string());
  FIX::MessageStore* s = f.create(kId);
  for (int i = 1; i <= 3; ++i) {
    s->set(i, msg(i));
    s->incrNextSenderMsgSeqNum();
  }
  f.flush_all();
  BOOST_TEST(f.find(kId)->resets() == 0u);
  s->reset();
  BOOST_TEST(f.find(kId)->resets() == 1u);
  BOOST_TEST(s->getNextSenderMsgSeqNum() == 1);
  BOOST_TEST(all(*s, 3).empty());
  s->set(1, msg(9));
  f.flush_all();
  // The new message 1 is read back, not the old bytes at the old offset.
  BOOST_TEST(all(*s, 3) == std::vector<std::string>{msg(9)});
  BOOST_TEST(size_of(d, ".body") == msg(9).size());
  f.destroy(s);
  BOOST_TEST(f.find(kId) == nullptr);
}

// A reset moves the old files aside instead of truncating them on the session's thread (which waited for
// the disk), and they are deleted; a crash that left some behind is cleaned up at the next open.
BOOST_AUTO_TEST_CASE(a_reset_leaves_only_the_new_files_and_a_reopen_reads_them) {
  TempDir d;
  {
    fsn::VenueStoreFactory f(d.path.string());
    FIX::MessageStore* s = f.create(kId);
    for (int i = 1; i <= 3; ++i) s->set(i, msg(i));
    s->setNextSenderMsgSeqNum(4);
    f.flush_all();
    s->reset();
    s->set(1, msg(7));
    s->setNextSenderMsgSeqNum(2);
    f.flush_all();
    f.destroy(s);
  }
  const auto listing = [&] {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(d.path)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::string> four{"FIX.4.4-VENUE-BRK1.body", "FIX.4.4-VENUE-BRK1.header",
                                      "FIX.4.4-VENUE-BRK1.seqnums", "FIX.4.4-VENUE-BRK1.session"};
  for (int i = 0; i < 200 && listing() != four; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  BOOST_TEST(listing() == four);
  std::ofstream(d.path / "FIX.4.4-VENUE-BRK1.body.discarded-1-1") << "left by a crash";
  fsn::VenueStore again(d.path.string(), kId);
  BOOST_TEST(all(again, 3) == std::vector<std::string>{msg(7)});
  BOOST_TEST(again.getNextSenderMsgSeqNum() == 2);
  BOOST_TEST(listing() == four);
}

BOOST_AUTO_TEST_CASE(a_torn_header_entry_after_a_crash_is_ignored) {
  TempDir d;
  {
    fsn::VenueStore s(d.path.string(), kId);
    s.set(1, msg(1));
    s.set(2, msg(2));
    s.setNextSenderMsgSeqNum(3);
    s.flush();
  }
  std::ofstream(d.path / "FIX.4.4-VENUE-BRK1.header", std::ios::app) << "3,4";  // cut mid-entry
  {
    fsn::VenueStore s(d.path.string(), kId);
    BOOST_TEST(all(s, 3) == (std::vector<std::string>{msg(1), msg(2)}));
    BOOST_TEST(s.getNextSenderMsgSeqNum() == 3);
    s.set(3, msg(3));  // written after the cut, not glued to the torn bytes
    s.flush();
  }
  fsn::VenueStore s(d.path.string(), kId);
  BOOST_TEST(all(s, 3) == (std::vector<std::string>{msg(1), msg(2), msg(3)}));
  FIX::FileStore quickfix(d.path.string(), kId);
  BOOST_TEST(all(quickfix, 3) == (std::vector<std::string>{msg(1), msg(2), msg(3)}));
}

BOOST_AUTO_TEST_CASE(sequence_numbers_on_disk_never_run_ahead_of_the_messages) {
  // Until flush_all() the files are as a crash would leave them: the numbers and the messages of the
  // last flush, consistent with each other.
  TempDir d;
  fsn::VenueStoreFactory f(d.path.string());
  FIX::MessageStore* s = f.create(kId);
  f.flush_all();
  s->set(1, msg(1));
  s->incrNextSenderMsgSeqNum();
  s->incrNextTargetMsgSeqNum();
  {
    FIX::FileStore crashed_view(d.path.string(), kId);
    BOOST_TEST(crashed_view.getNextSenderMsgSeqNum() == 1);
    BOOST_TEST(crashed_view.getNextTargetMsgSeqNum() == 1);
    BOOST_TEST(all(crashed_view, 1).empty());
  }
  f.flush_all();
  FIX::FileStore written(d.path.string(), kId);
  BOOST_TEST(written.getNextSenderMsgSeqNum() == 2);
  BOOST_TEST(written.getNextTargetMsgSeqNum() == 2);
  BOOST_TEST(all(written, 1) == std::vector<std::string>{msg(1)});
  f.destroy(s);
}

// Issue 11 (11): a busy session's store kept an offset per message in memory for the whole session day.
// Now one mark per 256 messages; resends of any range, flushed or pending, before or after a reopen and
// after numbers went down (a later entry for a number wins), still find every message.
BOOST_AUTO_TEST_CASE(memory_does_not_grow_per_message_and_every_range_resends) {
  TempDir d;
  constexpr int kMessages = 20'000;
  {
    fsn::VenueStoreFactory f(d.path.string());
    auto* s = static_cast<fsn::VenueStore*>(f.create(kId));
    for (int i = 1; i <= kMessages; ++i) {
      s->set(i, msg(i));
      if (i % 1000 == 0) f.flush_all();
    }
    s->set(kMessages + 1, msg(kMessages + 1));  // pending
    BOOST_TEST(s->index_entries() <= static_cast<std::size_t>(kMessages / 256 + 1));
    std::vector<std::string> out;
    for (const auto& [from, to] : std::vector<std::pair<int, int>>{
             {1, 1}, {255, 258}, {256, 256}, {257, 513}, {19'990, kMessages + 1}, {kMessages + 1, kMessages + 5}}) {
      s->get(from, to, out);
      std::vector<std::string> want;
      for (int i = from; i <= std::min(to, kMessages + 1); ++i) want.push_back(msg(i));
      BOOST_TEST(out == want, "resend " << from << " to " << to);
    }
    f.flush_all();
    f.destroy(s);
  }
  fsn::VenueStore again(d.path.string(), kId);
  std::vector<std::string> out;
  again.get(12'345, 12'350, out);
  BOOST_TEST(out.size() == 6U);
  BOOST_TEST(out.front() == msg(12'345));
  // Numbers going down (an operator set the next number back): the later message for a number is resent.
  again.set(5, msg(500));
  again.get(4, 6, out);
  BOOST_TEST(out == (std::vector<std::string>{msg(4), msg(500), msg(6)}));
}

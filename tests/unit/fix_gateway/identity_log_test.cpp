#define BOOST_TEST_MODULE fix_gateway_identity_log
// The identity log: the ClOrdIDs and other FIX fields of live orders, read back at start-up.
#include <unistd.h>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "venue/fix_gateway/identity_log.h"

namespace fs = std::filesystem;
namespace fg = venue::fix_gateway;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("venue-identity-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

fg::Identity identity(std::uint64_t ref) {
  fg::Identity id;
  id.ref = ref;
  id.session = 1;
  id.account = 2;
  id.clordid = "order-" + std::to_string(ref);
  return id;
}

// The byte offset of record `index` (0-based) in a log of identities written one after another.
std::size_t offset_of(const fs::path& file, int index) {
  std::ifstream in(file, std::ios::binary);
  std::size_t off = 0;
  for (int i = 0; i < index; ++i) {
    std::uint32_t len = 0;
    in.seekg(static_cast<std::streamoff>(off));
    in.read(reinterpret_cast<char*>(&len), 4);
    off += 8 + len;
  }
  return off;
}

}  // namespace

BOOST_AUTO_TEST_CASE(identities_come_back_after_a_restart) {
  TempDir dir;
  {
    fg::IdentityLog log(dir.path);
    for (std::uint64_t ref = 1; ref <= 3; ++ref) log.append(identity(ref));
    log.flush();
  }
  fg::IdentityLog again(dir.path);
  BOOST_TEST(again.loaded().size() == 3U);
  BOOST_TEST(again.loaded().at(2).clordid == "order-2");
  BOOST_TEST(again.damaged_records() == 0U);
}

// Before: reading stopped at the first damaged record, so every order after it lost its ClOrdID and its
// fills were reported nowhere but in a counter.
BOOST_AUTO_TEST_CASE(a_damaged_record_costs_only_its_own_identity) {
  TempDir dir;
  {
    fg::IdentityLog log(dir.path);
    for (std::uint64_t ref = 1; ref <= 5; ++ref) log.append(identity(ref));
    log.flush();
  }
  const fs::path file = dir.path / "identity.log";
  {
    std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset_of(file, 1) + 8 + 2));  // inside the second record's ref
    f.put('\x55');
  }
  fg::IdentityLog again(dir.path);
  BOOST_TEST(again.damaged_records() == 1U);
  BOOST_TEST(again.loaded().size() == 4U);
  for (std::uint64_t ref : {1, 3, 4, 5}) BOOST_TEST(again.loaded().count(ref) == 1U, "order " << ref);
}

BOOST_AUTO_TEST_CASE(a_torn_last_record_is_ignored_and_not_counted_as_damage) {
  TempDir dir;
  {
    fg::IdentityLog log(dir.path);
    for (std::uint64_t ref = 1; ref <= 2; ++ref) log.append(identity(ref));
    log.flush();
  }
  const fs::path file = dir.path / "identity.log";
  fs::resize_file(file, fs::file_size(file) - 3);
  fg::IdentityLog again(dir.path);
  BOOST_TEST(again.loaded().size() == 1U);
  BOOST_TEST(again.damaged_records() == 0U);
  BOOST_TEST(again.torn_bytes() > 0U);
}

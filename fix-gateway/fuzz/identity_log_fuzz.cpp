// libFuzzer target over the identity log's reader (identity_log.h): identity.log as found on disk after a
// crash, a power cut or a bad disk, opened as the venue opens it at start-up.
//
// An input is the file's bytes (byte 0 flags: bit 0 puts a valid record first, so the fuzzer starts
// from a log that has something in it). It is written as identity.log in a temporary folder and opened.
// Checked on every input:
//   - opening loads a set of identities or throws its error (std::runtime_error), never a crash or a hang;
//   - opening twice loads the same identities;
//   - what the venue then does (compact, keeping everything; append a new identity; flush) is read back
//     complete by the next start: the identities loaded before and the appended one, unchanged.
//
//   build-fuzz/bin/identity_log_fuzz fix-gateway/fuzz/corpus/identity_log
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "venue/common/crc32c.h"
#include "venue/fix_gateway/identity_log.h"

namespace {

namespace fg = venue::fix_gateway;
namespace fs = std::filesystem;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "identity_log_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

bool same(const fg::Identity& a, const fg::Identity& b) {
  return a.ref == b.ref && a.kind == b.kind && a.session == b.session && a.account == b.account &&
         a.capacity == b.capacity && a.stp == b.stp && a.post_only == b.post_only && a.clordid == b.clordid &&
         a.orig_clordid == b.orig_clordid && a.expire_time == b.expire_time;
}

bool same(const std::unordered_map<std::uint64_t, fg::Identity>& a,
          const std::unordered_map<std::uint64_t, fg::Identity>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [ref, id] : a) {
    const auto it = b.find(ref);
    if (it == b.end() || !same(id, it->second)) return false;
  }
  return true;
}

fs::path g_dir;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (g_dir.empty()) g_dir = fs::temp_directory_path() / ("venue-identity-log-fuzz-" + std::to_string(::getpid()));
  fs::remove_all(g_dir);
  fs::create_directories(g_dir);
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0) {
    // A record as IdentityLog writes it: ref 1, 'D', session 3, account 70, 'A', 'N', post-only, "C1".
    std::string p;
    const std::uint64_t ref = 1;
    const std::uint32_t session = 3;
    const std::uint32_t account = 70;
    p.append(reinterpret_cast<const char*>(&ref), 8);
    p += 'D';
    p.append(reinterpret_cast<const char*>(&session), 4);
    p.append(reinterpret_cast<const char*>(&account), 4);
    p += "AN";
    p += '\x01';
    p += std::string("\x02\x00", 2) + "C1" + std::string("\x00\x00\x00\x00", 4);
    const auto len = static_cast<std::uint32_t>(p.size());
    const std::uint32_t crc = venue::crc32c(p.data(), p.size());
    file.insert(0, std::string(reinterpret_cast<const char*>(&len), 4) +
                       std::string(reinterpret_cast<const char*>(&crc), 4) + p);
  }
  std::ofstream(g_dir / "identity.log", std::ios::binary) << file;

  std::unordered_map<std::uint64_t, fg::Identity> loaded;
  try {
    fg::IdentityLog first(g_dir);
    loaded = first.loaded();
  } catch (const std::runtime_error&) {
    return 0;
  }
  fg::Identity added;
  added.ref = 1;
  for (const auto& [ref, id] : loaded) added.ref = std::max(added.ref, ref + 1);
  added.kind = 'G';
  added.session = 3;
  added.account = 71;
  added.clordid = "NEW";
  added.orig_clordid = "C1";
  added.expire_time = "20261207-10:00:00";
  {
    fg::IdentityLog log(g_dir);
    check(same(log.loaded(), loaded), "opening twice loads the same identities");
    log.compact([](const fg::Identity&) { return true; });
    check(same(log.loaded(), loaded), "compaction keeping everything keeps everything");
    log.append(added);
    log.flush();
  }
  fg::IdentityLog next(g_dir);
  loaded[added.ref] = added;
  check(same(next.loaded(), loaded), "the next start reads back every identity and the one appended");
  return 0;
}

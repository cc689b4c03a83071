#pragma once
// Writing a whole buffer to a file descriptor (and syncing it), for the gateway's own files (report log, identity log,
// FIX message stores); each caller turns a failure into its own error.
//
// Thread rules: a pure function.

#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace venue::common {

// Writes all of `data`, going on after short writes and EINTR. 0, or the errno of the write that failed.
inline int write_fully(int fd, std::string_view data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    off += static_cast<std::size_t>(w);
  }
  return 0;
}

// fdatasync(2), going on after EINTR. 0, or its errno.
inline int sync_data(int fd) {
  for (;;) {
    if (::fdatasync(fd) == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

}  // namespace venue::common

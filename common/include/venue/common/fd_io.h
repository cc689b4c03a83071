#pragma once
// Writing a whole buffer to a file descriptor (and syncing it, and the folder a file is in), for the processes'
// own files (report log, identity log, journal, FIX message stores, the drop copy's cursors); each caller turns a
// failure into its own error.
//
// Thread rules: a pure function.

#include <fcntl.h>
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

// fsync(2) of a folder: after a file in it was created, renamed or unlinked, so that the name is on disk
// too. 0, or the errno of the open or of the sync.
inline int sync_dir(const char* dir) {
  const int fd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = 0;
  while (::fsync(fd) != 0) {
    if (errno != EINTR) {
      err = errno;
      break;
    }
  }
  ::close(fd);
  return err;
}

}  // namespace venue::common

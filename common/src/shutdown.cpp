#include "venue/common/shutdown.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <atomic>
#include <csignal>
#include <cstdlib>

namespace venue {
namespace {

// A futex word so that wait() sleeps in the kernel and the handler can wake it (futex wake is
// async-signal-safe: it is a plain syscall).
std::atomic<int> g_requested{0};
std::atomic<bool> g_reopen{false};

void wake_all() {
  syscall(SYS_futex, reinterpret_cast<int*>(&g_requested), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
}

extern "C" void on_signal(int sig) {
  if (sig == SIGHUP) {
    g_reopen.store(true);
    return;
  }
  if (g_requested.exchange(1) == 1) _exit(130);
  wake_all();
}

}  // namespace

void ShutdownSignal::install() {
  struct sigaction sa {};
  sa.sa_handler = &on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  // A peer closing a socket must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

bool ShutdownSignal::requested() { return g_requested.load(std::memory_order_relaxed) != 0; }

bool ShutdownSignal::wait(std::chrono::milliseconds timeout) {
  if (requested()) return true;
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1'000'000);
  syscall(SYS_futex, reinterpret_cast<int*>(&g_requested), FUTEX_WAIT_PRIVATE, 0, &ts, nullptr, 0);
  return requested();
}

void ShutdownSignal::wait() {
  while (!wait(std::chrono::milliseconds(1000))) {
  }
}

void ShutdownSignal::request() {
  g_requested.store(1);
  wake_all();
}

bool ShutdownSignal::take_reopen_request() { return g_reopen.exchange(false); }

}  // namespace venue

#pragma once
// Clean shutdown on SIGINT and SIGTERM, and log reopening on SIGHUP.
//
// Use, in main before starting any thread:
//   venue::ShutdownSignal::install();
//   while (!venue::ShutdownSignal::requested()) { ... }     // or ShutdownSignal::wait()
// A second SIGINT/SIGTERM while shutting down ends the process at once (exit code 130) so an operator
// is never stuck with a hung process.
//
// Thread rules: install() once from main; requested(), wait() and request() from any thread.

#include <chrono>

namespace venue {

class ShutdownSignal {
 public:
  static void install();
  static bool requested();
  // Blocks until a shutdown is requested or the timeout passes; true if requested.
  static bool wait(std::chrono::milliseconds timeout);
  static void wait();
  // Asks for shutdown from inside the process (e.g. a fatal error on a worker thread).
  static void request();
  // True once after each SIGHUP (then false until the next).
  static bool take_reopen_request();
};

}  // namespace venue

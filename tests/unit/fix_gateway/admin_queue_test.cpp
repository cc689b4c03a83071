// AdminQueue: an operator request waits for the gateway thread only until its deadline, and a request
// whose caller gave up is never run afterwards (it would change the venue after its caller was told
// "nothing was done").
#define BOOST_TEST_MODULE fix_gateway_admin_queue
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "venue/fix_gateway/admin_queue.h"

using venue::fix_gateway::AdminQueue;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(a_job_runs_on_the_thread_that_runs_the_queue_and_its_answer_comes_back) {
  AdminQueue q;
  std::atomic<bool> stop{false};
  std::thread::id ran_on;
  std::thread gateway([&] {
    while (!stop) {
      q.run_pending();
      std::this_thread::sleep_for(1ms);
    }
  });
  const int answer = q.call<int>(
      [&] {
        ran_on = std::this_thread::get_id();
        return 42;
      },
      -1, std::chrono::steady_clock::now() + 5s);
  stop = true;
  gateway.join();
  BOOST_TEST(answer == 42);
  BOOST_TEST((ran_on == gateway.get_id() || ran_on != std::this_thread::get_id()));
  BOOST_TEST(q.expired() == 0U);
}

BOOST_AUTO_TEST_CASE(a_job_whose_caller_timed_out_is_never_run_later) {
  AdminQueue q;
  std::atomic<int> runs{0};
  const auto started = std::chrono::steady_clock::now();
  const int answer = q.call<int>(
      [&] {
        ++runs;
        return 1;
      },
      -1, started + 50ms);
  BOOST_TEST(answer == -1);
  BOOST_TEST((std::chrono::steady_clock::now() - started >= 50ms));
  q.run_pending();  // the gateway thread gets to it now: too late
  BOOST_TEST(runs.load() == 0, "the abandoned job ran after its caller was told it timed out");
  BOOST_TEST(q.expired() == 1U);
}

BOOST_AUTO_TEST_CASE(a_job_that_started_before_the_deadline_is_waited_for_and_its_real_answer_returned) {
  AdminQueue q;
  std::atomic<bool> started{false};
  std::thread gateway([&] {
    const auto give_up = std::chrono::steady_clock::now() + 5s;
    while (!started && std::chrono::steady_clock::now() < give_up) {
      q.run_pending();
      std::this_thread::yield();
    }
  });
  const int answer = q.call<int>(
      [&] {
        started = true;
        std::this_thread::sleep_for(600ms);  // runs on past the caller's deadline
        return 7;
      },
      -1, std::chrono::steady_clock::now() + 300ms);
  gateway.join();
  BOOST_TEST(answer == 7);
  BOOST_TEST(q.expired() == 0U);
}

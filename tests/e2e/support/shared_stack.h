#pragma once
// The one stack (the venue and the downstream processes a test program needs: Kafka topics, `dropcopy`,
// `compliance`, `risk`) that every test case of a program shares: made at its first use, ended after the
// last test case, and its folder kept (its path printed) when a test case failed or E2E_KEEP is set.
//
//   class Stack { ... const std::filesystem::path& dir() const; void keep_files(); };
//   Stack& stack() { return shared_stack<Stack>(); }
//   using StackFixture = SharedStackFixture<Stack>;
//   BOOST_TEST_GLOBAL_FIXTURE(StackFixture);
//
// Whether every test case passed is read case by case: the master suite's own result is summed up only
// after global fixtures end, so asking it here always said "passed" and a failed run's files were
// removed.
//
// Thread rules: the test's thread.

#include <boost/test/results_collector.hpp>
#include <boost/test/tree/traverse.hpp>
#include <boost/test/tree/visitor.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace venue::e2e {

template <class Stack>
std::unique_ptr<Stack>& shared_stack_ptr() {
  static std::unique_ptr<Stack> s;
  return s;
}

template <class Stack>
Stack& shared_stack() {
  auto& s = shared_stack_ptr<Stack>();
  if (!s) s = std::make_unique<Stack>();
  return *s;
}

// True when every test case that ran so far passed.
inline bool every_test_case_passed() {
  namespace ut = boost::unit_test;
  struct AllPassed : ut::test_tree_visitor {
    bool passed = true;
    void visit(const ut::test_case& tc) override { passed = passed && ut::results_collector.results(tc.p_id).passed(); }
  } all;
  ut::traverse_test_tree(ut::framework::master_test_suite(), all, true);
  return all.passed;
}

template <class Stack>
struct SharedStackFixture {
  SharedStackFixture() = default;
  SharedStackFixture(const SharedStackFixture&) = delete;
  SharedStackFixture& operator=(const SharedStackFixture&) = delete;
  ~SharedStackFixture() {
    auto& s = shared_stack_ptr<Stack>();
    if (!s) return;
    if (!every_test_case_passed() || std::getenv("E2E_KEEP") != nullptr) {
      s->keep_files();
      std::fprintf(stderr, "e2e: files kept in %s\n", s->dir().c_str());
    }
    s.reset();
  }
};

}  // namespace venue::e2e

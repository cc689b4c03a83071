#pragma once
// What the acceptor's tests share: a VenueAcceptor with one configured session (VENUE-BRK1, password
// "pw"), polled by a thread of its own, and an application that records logons. Driven over loopback by
// the raw FIX client of the e2e support.
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "e2e/support/raw_fix.h"
#include "e2e/support/venue_process.h"
#include "venue/fix_session/acceptor.h"
#include "venue/fix_session/json_log.h"
#include "venue/fix_session/logon_policy.h"
#include "venue/fix_session/message_store.h"
#include "venue/fix_session/session_settings.h"

namespace venue::fix_session::test {

namespace fs = venue::fix_session;

struct App final : FIX::Application {
  std::mutex mutex;
  std::multiset<std::string> logons;  // SenderCompIDs of the clients that logged on
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    std::lock_guard lock(mutex);
    logons.insert(id.getTargetCompID().getString());
  }
  void onLogout(const FIX::SessionID&) override {}
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) QF_THROW(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&)
      QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {}
  void fromApp(const FIX::Message& m, const FIX::SessionID&)
      QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
               FIX::UnsupportedMessageType) override {
    std::lock_guard lock(mutex);
    app_messages.push_back(m.toString());
  }
  std::vector<std::string> app_messages;  // what fromApp got, as text
  std::vector<std::string> received() {
    std::lock_guard lock(mutex);
    return app_messages;
  }
  std::size_t count(const std::string& comp_id) {
    std::lock_guard lock(mutex);
    return logons.count(comp_id);
  }
};

// An acceptor with one configured session (BRK1), polled by a thread of its own; the test hands it work
// through run() (everything on the acceptor's thread, as its thread rules require).
struct Fixture {
  venue::e2e::TempDir dir{"acceptor-sessions"};
  App app;
  FIX::SessionSettings settings;
  fs::VenueStoreFactory stores{(dir.path() / "store").string()};
  fs::JsonLogFactory logs;
  fs::LogonPolicy gate;
  std::string hash = fs::hash_password("pw", 1000);
  std::uint16_t port = venue::e2e::free_port();
  std::unique_ptr<fs::VenueAcceptor> acceptor;
  std::mutex mutex;
  std::deque<std::function<void()>> jobs;
  std::atomic<bool> stop{false};
  std::thread thread;

  explicit Fixture(const std::function<void(fs::AcceptorSettings&)>& tune = {}, std::string brk1_hash = {}) {
    if (!brk1_hash.empty()) hash = std::move(brk1_hash);
    std::filesystem::create_directories(dir.path() / "store");
    settings.set(fs::acceptor_defaults({.comp_id = "VENUE",
                                        .data_dictionary = venue::e2e::source_dir() / "spec/fix/VENUE-FIX44.xml",
                                        .store_dir = dir.path() / "store"}));
    const auto id = fs::add_session(settings, "VENUE", "BRK1");
    gate.set(id, fs::LogonRules{"brk1", hash, {}, false});
    fs::AcceptorSettings as;
    as.plain_port = port;
    as.comp_id = "VENUE";
    if (tune) tune(as);
    acceptor = std::make_unique<fs::VenueAcceptor>(app, stores, settings, logs, as, gate);
    acceptor->poll(0);  // opens the listener
    thread = std::thread([this] {
      while (!stop) {
        std::deque<std::function<void()>> todo;
        {
          std::lock_guard lock(mutex);
          todo.swap(jobs);
        }
        for (auto& j : todo) j();
        acceptor->poll(0.005);
      }
      acceptor->stop(true);
    });
  }
  ~Fixture() {
    stop = true;
    thread.join();
  }
  template <class F>
  auto run(F fn) {
    auto task = std::make_shared<std::packaged_task<decltype(fn())()>>(fn);
    {
      std::lock_guard lock(mutex);
      jobs.emplace_back([task] { (*task)(); });
    }
    acceptor->wake();
    return task->get_future().get();
  }
  // Adds a session as the gateway does: settings, logon rules, then the acceptor.
  void add(const std::string& comp_id) {
    run([&] {
      const FIX::SessionID id("FIX.4.4", "VENUE", comp_id);
      if (!settings.has(id)) fs::add_session(settings, "VENUE", comp_id);
      gate.set(id, fs::LogonRules{"user", hash, {}, false});
      acceptor->add_session(id, settings.get(id));
      return 0;
    });
  }
  bool remove(const std::string& comp_id) {
    return run([&] { return acceptor->remove_session(FIX::SessionID("FIX.4.4", "VENUE", comp_id)); });
  }
};

// A Logon from `sender` to VENUE with HeartBtInt 30, Username `user` and the fixture's password.
inline std::string logon(const std::string& sender, int seq, const std::string& user) {
  return venue::e2e::raw_message("A", seq, sender, "VENUE", {{98, "0"}, {108, "30"}, {553, user}, {554, "pw"}});
}

}  // namespace venue::fix_session::test

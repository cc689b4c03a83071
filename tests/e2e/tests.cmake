# End-to-end tests: the real venue process (build/bin/venue) driven over loopback by QuickFIX initiators
# and a raw FIX client. Label e2e; ci/test runs them with the integration tests. They need no Kafka or
# PostgreSQL. See e2e/README.md.

add_library(venue_e2e_support STATIC
  e2e/support/catalogue.cpp
  e2e/support/dictionary_check.cpp
  e2e/support/dropcopy_process.cpp
  e2e/support/fix_client.cpp
  e2e/support/kafka_broker.cpp
  e2e/support/messages.cpp
  e2e/support/raw_fix.cpp
  e2e/support/raw_session.cpp
  e2e/support/test_venue.cpp
  e2e/support/venue_process.cpp)
target_include_directories(venue_e2e_support PUBLIC ${PROJECT_SOURCE_DIR}/tests)
find_package(OpenSSL 3 REQUIRED)
target_link_libraries(venue_e2e_support PUBLIC venue::quickfix venue::common nlohmann_json::nlohmann_json Threads::Threads
                                                OpenSSL::SSL)
venue_set_warnings(venue_e2e_support)
venue_set_sanitizers(venue_e2e_support)
venue_unoptimised_driver(venue_e2e_support)

# The stock FIX 4.4 dictionary ci/setup fetches (QuickFIX/J's), for the interoperability suite.
if(DEFINED ENV{VENUE_CACHE})
  set(VENUE_STOCK_FIX44 "$ENV{VENUE_CACHE}/fix/quickfixj-2.3.1-FIX44.xml")
else()
  set(VENUE_STOCK_FIX44 "$ENV{HOME}/.cache/venue/fix/quickfixj-2.3.1-FIX44.xml")
endif()

set(VENUE_E2E_SUITES session orders rejects throttle cancel_on_disconnect resend restart crash interop operator_api venuectl)
# Suites whose cases are split over several files (one program: one venue started once), the files after
# e2e/<suite>_test.cpp in the order their cases run.
set(VENUE_E2E_orders_MORE_SOURCES e2e/orders_lifecycle_test.cpp)
set(VENUE_E2E_rejects_MORE_SOURCES e2e/rejects_engine_test.cpp)
add_custom_target(e2e_tests)
foreach(suite IN LISTS VENUE_E2E_SUITES)
  venue_test(NAME e2e_${suite}_test LABELS e2e SOURCES e2e/${suite}_test.cpp ${VENUE_E2E_${suite}_MORE_SOURCES}
             DEPS venue_e2e_support venue::quickfix venue::common
             ENVIRONMENT "VENUE_BIN_DIR=${CMAKE_BINARY_DIR}/bin;VENUE_STOCK_FIX44=${VENUE_STOCK_FIX44}" TIMEOUT 600)
  # The tests start the venue binary and make password hashes with venue-passwd.
  add_dependencies(e2e_${suite}_test venue venue-passwd venuectl)
  add_dependencies(e2e_tests e2e_${suite}_test)
endforeach()
# The same orders, crash and restart suites against a venue whose engine runs on the gateway thread
# ([engine] thread = "gateway", VENUE_E2E_ENGINE_THREAD): every behaviour the same, without a hand-off.
foreach(suite IN ITEMS orders crash restart)
  add_test(NAME e2e_${suite}_inline_engine_test COMMAND e2e_${suite}_test --log_level=test_suite --report_level=short)
  set_tests_properties(e2e_${suite}_inline_engine_test PROPERTIES LABELS e2e TIMEOUT 600
    ENVIRONMENT "VENUE_SOURCE_DIR=${PROJECT_SOURCE_DIR};VENUE_BIN_DIR=${CMAKE_BINARY_DIR}/bin;VENUE_STOCK_FIX44=${VENUE_STOCK_FIX44};VENUE_E2E_ENGINE_THREAD=gateway")
endforeach()
set_tests_properties(e2e_session_test PROPERTIES COST 17)
set_tests_properties(e2e_throttle_test PROPERTIES COST 10)

# The console in headless Chromium (Debian's chromium, Playwright from tests/browser/, installed by
# ci/setup). Screenshots in build/console-screenshots/.
venue_test(NAME e2e_console_test LABELS e2e SOURCES e2e/console_test.cpp
           DEPS venue_e2e_support venue::quickfix venue::common
           ENVIRONMENT "VENUE_BIN_DIR=${CMAKE_BINARY_DIR}/bin;VENUE_BROWSER_DIR=${PROJECT_SOURCE_DIR}/tests/browser;SCREENSHOT_DIR=${CMAKE_BINARY_DIR}/console-screenshots"
           TIMEOUT 600 COST 11)
add_dependencies(e2e_console_test venue venue-passwd)
add_dependencies(e2e_tests e2e_console_test)
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/console-screenshots)

# Drop copy end to end: the venue, the real Kafka broker and the dropcopy process (label integration:
# it needs deploy/local/with-services --kafka).
venue_test(NAME e2e_dropcopy_test LABELS integration outage SOURCES e2e/dropcopy_test.cpp e2e/dropcopy_recovery_test.cpp
           DEPS venue_e2e_support venue::quickfix venue::common
           ENVIRONMENT "VENUE_BIN_DIR=${CMAKE_BINARY_DIR}/bin" TIMEOUT 900 COST 70)
add_dependencies(e2e_dropcopy_test venue venue-passwd dropcopy)
add_dependencies(e2e_tests e2e_dropcopy_test)
# The drop copy fed records the test writes to Kafka itself: each fault where the test puts it.
venue_test(NAME e2e_dropcopy_records_test LABELS integration outage SOURCES e2e/dropcopy_records_test.cpp
           DEPS venue_e2e_support venue::quickfix venue::common
           ENVIRONMENT "VENUE_BIN_DIR=${CMAKE_BINARY_DIR}/bin" TIMEOUT 600 COST 32)
add_dependencies(e2e_dropcopy_records_test venue-passwd dropcopy)
add_dependencies(e2e_tests e2e_dropcopy_records_test)

# Trade busts end to end: the venue, Kafka, the drop copy, the operator API (label integration: it needs
# deploy/local/with-services --kafka).
venue_test(NAME e2e_trade_bust_test LABELS integration SOURCES e2e/trade_bust_test.cpp
           DEPS venue_e2e_support venue::quickfix venue::common nlohmann_json::nlohmann_json
           ENVIRONMENT "VENUE_BIN_DIR=${CMAKE_BINARY_DIR}/bin;VENUE_STOCK_FIX44=${VENUE_STOCK_FIX44}" TIMEOUT 600 COST 7)
add_dependencies(e2e_trade_bust_test venue venue-passwd dropcopy)
add_dependencies(e2e_tests e2e_trade_bust_test)

# Compliance end to end: the venue, Kafka, PostgreSQL and the compliance process (label integration: it
# needs deploy/local/with-services --pg --kafka).
venue_test(NAME e2e_compliance_test LABELS integration outage SOURCES e2e/compliance_test.cpp
           e2e/compliance_verify_test.cpp e2e/compliance_recovery_test.cpp
           DEPS venue_e2e_support venue::quickfix venue::common
           ENVIRONMENT "VENUE_BIN_DIR=${CMAKE_BINARY_DIR}/bin" TIMEOUT 600 COST 33)
add_dependencies(e2e_compliance_test venue venue-passwd compliance)
add_dependencies(e2e_tests e2e_compliance_test)

# The automatic kill switch end to end: the venue, Kafka, PostgreSQL and the risk process (label
# integration: it needs deploy/local/with-services --pg --kafka).
venue_test(NAME e2e_risk_test LABELS integration SOURCES e2e/risk_test.cpp
           DEPS venue_e2e_support venue::quickfix venue::common nlohmann_json::nlohmann_json
           ENVIRONMENT "VENUE_BIN_DIR=${CMAKE_BINARY_DIR}/bin" TIMEOUT 900 COST 12)
add_dependencies(e2e_risk_test venue venue-passwd risk)
add_dependencies(e2e_tests e2e_risk_test)

# The venue's consumer of venue.risk-control against the real Kafka broker (label integration).
venue_test(NAME e2e_risk_control_test LABELS integration SOURCES e2e/risk_control_test.cpp
           DEPS venue_e2e_support venue::quickfix venue::common
           ENVIRONMENT "VENUE_BIN_DIR=${CMAKE_BINARY_DIR}/bin" TIMEOUT 600 COST 11)
add_dependencies(e2e_risk_control_test venue venue-passwd)
add_dependencies(e2e_tests e2e_risk_control_test)

# FIX gateway unit tests (included from tests/CMakeLists.txt).

venue_test(NAME fix_gateway_dictionary_test LABELS unit SOURCES unit/fix_gateway/dictionary_test.cpp
           DEPS venue::quickfix)
venue_test(NAME fix_gateway_config_test LABELS unit SOURCES unit/fix_gateway/config_test.cpp DEPS venue::fix_gateway)
venue_test(NAME fix_gateway_throttle_test LABELS unit SOURCES unit/fix_gateway/throttle_test.cpp DEPS venue::fix_gateway)
venue_test(NAME fix_gateway_report_log_test LABELS unit SOURCES unit/fix_gateway/report_log_test.cpp
           DEPS venue::fix_gateway)
venue_test(NAME fix_gateway_publisher_read_error_test LABELS unit
           SOURCES unit/fix_gateway/publisher_read_error_test.cpp DEPS venue::fix_gateway)
venue_test(NAME fix_gateway_pre_trade_risk_test LABELS unit SOURCES unit/fix_gateway/pre_trade_risk_test.cpp
           DEPS venue::fix_gateway)
venue_test(NAME fix_gateway_inbound_test LABELS unit SOURCES unit/fix_gateway/inbound_test.cpp DEPS venue::fix_gateway)
venue_test(NAME fix_gateway_report_builder_test LABELS unit SOURCES unit/fix_gateway/report_builder_test.cpp
           DEPS venue::fix_gateway)
venue_test(NAME fix_gateway_admin_queue_test LABELS unit SOURCES unit/fix_gateway/admin_queue_test.cpp
           DEPS venue::fix_gateway)
venue_test(NAME fix_gateway_identity_log_test LABELS unit SOURCES unit/fix_gateway/identity_log_test.cpp
           DEPS venue::fix_gateway)

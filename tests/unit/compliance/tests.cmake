# The compliance service's unit tests (label unit).
venue_test(NAME compliance_rules_test LABELS unit SOURCES unit/compliance/rules_test.cpp DEPS venue::compliance)
venue_test(NAME compliance_chain_test LABELS unit SOURCES unit/compliance/chain_test.cpp DEPS venue::compliance)
venue_test(NAME compliance_config_test LABELS unit SOURCES unit/compliance/config_test.cpp DEPS venue::compliance)
venue_test(NAME compliance_staging_test LABELS unit SOURCES unit/compliance/staging_test.cpp DEPS venue::compliance)

# FIX gateway unit tests (included from tests/CMakeLists.txt).

venue_test(NAME fix_gateway_dictionary_test LABELS unit SOURCES unit/fix_gateway/dictionary_test.cpp
           DEPS venue::quickfix)

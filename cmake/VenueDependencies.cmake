# Third-party libraries, all from Debian packages (ci/setup installs them).
# Each is an imported target; their headers are system includes, so the venue's own warnings-as-errors
# never trip on them.

find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS log log_setup thread unit_test_framework program_options)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(nlohmann_json 3.11 CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka++)
pkg_check_modules(RDKAFKA_C REQUIRED IMPORTED_TARGET rdkafka)

# Boost.Log from Debian is the shared build.
add_library(venue_boost_log INTERFACE)
target_compile_definitions(venue_boost_log INTERFACE BOOST_LOG_DYN_LINK)
target_link_libraries(venue_boost_log INTERFACE Boost::log Boost::log_setup Boost::thread)
add_library(venue::boost_log ALIAS venue_boost_log)

# QuickFIX 1.15.1: `pkg-config quickfix` reports the wrong version and adds libxml2 flags; the library
# is enough. Its headers use throw() specifications and std::auto_ptr (see ../shared/design/FACTS.md):
# clang accepts them under C++20 with these two warnings off. HAVE_SSL exposes the SSL acceptors.
find_library(QUICKFIX_LIBRARY quickfix REQUIRED)
find_path(QUICKFIX_INCLUDE_DIR quickfix/Application.h REQUIRED)
add_library(venue_quickfix INTERFACE)
target_include_directories(venue_quickfix SYSTEM INTERFACE ${QUICKFIX_INCLUDE_DIR})
target_link_libraries(venue_quickfix INTERFACE ${QUICKFIX_LIBRARY} Threads::Threads)
target_compile_definitions(venue_quickfix INTERFACE HAVE_SSL=1)
target_compile_options(venue_quickfix INTERFACE -Wno-dynamic-exception-spec -Wno-deprecated-declarations)
add_library(venue::quickfix ALIAS venue_quickfix)

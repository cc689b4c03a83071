#pragma once
// `build/bin/risk`: the service and the officers' commands (positions, exposure, status, limits,
// release, alerts, commands). `risk help` lists them; `risk COMMAND --help` explains one.
//
// Exit codes: 0 done; 1 the operation did not succeed (a release refused or not answered in time);
// 2 bad arguments or configuration (the message starts with a code, E2xx); 3 the service, PostgreSQL
// or Kafka could not be reached (E3xx).
//
// Thread rules: called once from main.

namespace venue::risk {

int run_cli(int argc, char** argv);

}  // namespace venue::risk

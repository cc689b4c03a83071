// build/bin/risk: the risk service and the risk officers' commands (venue/risk/cli.h, risk/README.md).
#include "venue/risk/cli.h"

int main(int argc, char** argv) { return venue::risk::run_cli(argc, argv); }

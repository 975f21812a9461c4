// Wires the cloud together: store + ingest + live view + HTTP API, until SIGINT/SIGTERM.
// Thread-safety: call once, from main.
#pragma once

#include "hoistway/cloud/server/server_config.hpp"

namespace hoistway::cloud {

// Returns the process exit code (sysexits.h).
int run_server(const server_config& config);

}  // namespace hoistway::cloud

// The ingest server's configuration file (TOML; every key documented in
// config/ingest.example.toml), read whole: the ingest's settings and the API server's.
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "hoistway/cloud/ingest/ingest_config.hpp"
#include "hoistway/common/result.hpp"

namespace hoistway::cloud {

// [http]: the API server's threads and every bound an outsider meets (see portal/http.hpp). Each
// open connection is a file descriptor: the process's LimitNOFILE must exceed max_connections plus
// the metrics listener's connections plus ~64 for the store, the broker and the logs (at the
// limit accept() fails with EMFILE, which the server survives by backing off, but then it
// serves no one new).
struct http_config {
  int threads = 1;  // I/O threads: accept, parse, write
  int workers = 4;  // handler threads for every route but the slow ones
  // Handler threads of their own (nice +10) for the slow routes (accounts: Argon2id, mail). One
  // leaves a two-core machine a core for everything else under a sign-in flood; raise it with
  // the cores (bench/README.md, http_flood).
  int slow_workers = 1;
  std::size_t queue = 256;  // requests waiting for a worker, per lane; beyond: 503
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_address = 64;
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t max_streams = 256;
  std::size_t max_streams_per_key = 8;
  std::chrono::milliseconds stream_check{2'000};  // a stream re-checks its key this often
  std::string metrics_listen;                     // "host:port": /metrics there only; "" none
  std::string metrics_token_file;  // a file holding the bearer token /metrics then needs
  // The built web pages (node web/build.mjs) served under /; "" finds them beside the executable
  // (bin/../web, bin/../share/hoistway/web) or serves the API alone.
  std::string web_root;
};

// The whole server's configuration: the ingest's (ingest_config) and, beside it, the API
// server's listener and bounds ([http]) and the accounts' section, as read from one ingest.toml.
struct server_config : ingest_config {
  std::string http_address = "127.0.0.1";
  std::uint16_t http_port = 8080;
  http_config http;
  std::string source_path;              // the file this was read from, for messages
  std::optional<toml::table> accounts;  // the [accounts] section, read by accounts::module

  static common::result<server_config> load(const std::string& path);
};

}  // namespace hoistway::cloud

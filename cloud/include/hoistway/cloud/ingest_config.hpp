// The ingest server's configuration (TOML; every key documented in config/ingest.example.toml).
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/result.hpp"

namespace hoistway::cloud {

// A device provisioned from the configuration file (hoistway-admin manages the same table).
struct device_provision {
  std::string device_id;
  std::uint32_t key_id = 1;
  std::vector<std::uint8_t> key;
  std::vector<std::string> units;  // unit ids by car index
};

// [retention]: how long raw run-state samples (and the status log) are kept; see retention.hpp.
struct retention_config {
  std::int64_t samples_days = 30;    // raw frames (the samples' archive); 0 keeps them forever
  std::int64_t status_log_days = 0;  // the status log (availability); 0 keeps it forever
  std::chrono::seconds sweep_interval{3600};  // from the end of one sweep to the next
  std::size_t batch_rows = 1000;              // rows scanned or deleted per step (one transaction)
  bool enabled() const { return samples_days > 0 || status_log_days > 0; }
};

// [http]: the API server's threads and every bound an outsider meets (see http.hpp). Each open
// connection is a file descriptor: the process's LimitNOFILE must exceed max_connections plus
// the metrics listener's connections plus ~64 for the store, the broker and the logs (at the
// limit accept() fails with EMFILE, which the server survives by backing off, but then it
// serves no one new).
struct http_config {
  int threads = 1;          // I/O threads: accept, parse, write
  int workers = 4;          // handler threads for every route but the slow ones
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
};

struct ingest_config {
  common::mqtt::options mqtt;
  std::string share_group = "ingest";  // "" subscribes without a shared subscription
  std::string http_address = "127.0.0.1";
  std::uint16_t http_port = 8080;
  http_config http;
  std::string store_path;
  std::size_t max_frame_bytes = 256 * 1024;
  std::size_t max_batch_frames = 512;               // frames per SQLite transaction
  std::chrono::milliseconds offline_after{30'000};  // no frame for this long → offline
  // While frames keep coming, a device's stored-ack goes out at most this often (the acks are
  // cumulative, so one carries all the commits since the last); when the writer runs out of
  // frames, every pending ack goes at once. 0: after every commit.
  std::chrono::milliseconds ack_interval{100};
  // Rejected messages are kept as dead letters for study, within bounds an outsider cannot push:
  // at most dead_letters_per_s rows a second of frames, and as many of presence and command
  // results (the rest are only counted), at most dead_letters_max_rows rows (the oldest go
  // first), none older than dead_letters_days.
  std::size_t dead_letters_per_s = 50;
  std::size_t dead_letters_max_rows = 10'000;
  std::int64_t dead_letters_days = 14;
  // Each device's record budget (verifier.hpp's device_budget): a sustained rate and a burst.
  // An agent catching up a full default outbox (200,000 records) fits in the burst.
  std::uint64_t device_records_per_s = 20'000;
  std::uint64_t device_burst_records = 400'000;
  std::vector<device_provision> devices;
  retention_config retention;
  std::string source_path;              // the file this was read from, for messages
  std::optional<toml::table> accounts;  // the [accounts] section, read by accounts::module

  static common::result<ingest_config> load(const std::string& path);
};

}  // namespace hoistway::cloud

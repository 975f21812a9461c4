// What the ingest needs of the configuration: the broker link, the store, the writer's batching
// and acks, the dead letters, each device's budget, the devices provisioned from the file, and
// retention. server_config (server/server_config.hpp) reads it from ingest.toml's [ingest],
// [mqtt], [store], [retention] and [[device]] sections, with the API server's settings beside it.
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "hoistway/cloud/ingest/retention.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/mqtt.hpp"

namespace hoistway::cloud {

struct ingest_config {
  common::mqtt::options mqtt;
  std::string share_group = "ingest";  // "" subscribes without a shared subscription
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
};

}  // namespace hoistway::cloud

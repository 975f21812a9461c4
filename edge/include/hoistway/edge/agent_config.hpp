// The agent's configuration (TOML; every key documented in config/agent.example.toml).
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/edge/deriver.hpp"

namespace hoistway::edge {

struct agent_config {
  std::string device_id;
  std::string controller_socket;
  std::chrono::milliseconds sample_interval{100};  // 10 Hz
  common::mqtt::options mqtt;
  std::uint32_t key_id = 1;
  std::vector<std::uint8_t> key;  // HMAC-SHA256 key, 16–64 bytes
  std::string outbox_path;
  std::uint64_t outbox_max_records = 200'000;
  std::size_t max_batch_records = 256;
  std::size_t max_unacked_records = 2048;  // publish window
  std::chrono::milliseconds ack_timeout{10'000};
  deriver_options derive;
  // The technician CLI's Unix socket (mode 0660) and how many recent events it keeps in memory.
  std::string cli_socket = "/run/hoistway/agent.sock";
  std::size_t cli_events_kept = 1000;
  // Down-link commands older (or further in the future) than this are rejected as expired.
  std::chrono::seconds command_max_age{300};
  std::string config_path;
  std::string config_hash;  // SHA-256 of the file, for the birth message

  // Loads and validates; the error lists every problem with file:line.
  static common::result<agent_config> load(const std::string& path);
};

}  // namespace hoistway::edge

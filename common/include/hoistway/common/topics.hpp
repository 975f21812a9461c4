// The MQTT topic contract (ARCHITECTURE.md "Wire contract"). Every device publishes only under
// hoistway/v1/dev/{device_id}/; the broker's ACL enforces it.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hoistway::common::topics {

inline constexpr std::string_view prefix = "hoistway/v1/dev/";

// Agent → cloud, QoS 1: signed frames (frame.fbs).
inline std::string up(std::string_view device) {
  return std::string(prefix) + std::string(device) + "/up";
}
// Cloud → agent, QoS 1: stored-acks (ack.fbs).
inline std::string ack(std::string_view device) {
  return std::string(prefix) + std::string(device) + "/ack";
}
// Agent → cloud, QoS 1, retained: "online" JSON birth on connect; "offline" as the last will.
inline std::string state(std::string_view device) {
  return std::string(prefix) + std::string(device) + "/state";
}

// Cloud → agent, QoS 1: signed down-link commands (JSON; ARCHITECTURE.md "Commands").
inline std::string cmd(std::string_view device) {
  return std::string(prefix) + std::string(device) + "/cmd";
}
// Agent → cloud, QoS 1: the signed result of each command, accepted or rejected.
inline std::string cmd_result(std::string_view device) {
  return std::string(prefix) + std::string(device) + "/cmd_result";
}

// Subscription filters for the cloud.
inline constexpr std::string_view all_up = "hoistway/v1/dev/+/up";
inline constexpr std::string_view all_state = "hoistway/v1/dev/+/state";
inline constexpr std::string_view all_cmd_result = "hoistway/v1/dev/+/cmd_result";

// Extracts the device id from hoistway/v1/dev/{device}/{leaf}; nullopt if it does not match.
inline std::optional<std::string_view> device_of(std::string_view topic, std::string_view leaf) {
  if (!topic.starts_with(prefix)) return std::nullopt;
  topic.remove_prefix(prefix.size());
  const auto slash = topic.find('/');
  if (slash == std::string_view::npos || slash == 0 || topic.substr(slash + 1) != leaf) {
    return std::nullopt;
  }
  return topic.substr(0, slash);
}

// Device ids: 1–64 of [A-Za-z0-9._-]; they appear in topics and file names.
inline bool valid_device_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace hoistway::common::topics

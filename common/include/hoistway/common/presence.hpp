// An agent's presence on hoistway/v1/dev/{id}/state: its birth ("online", published retained at
// every connect) and its last will ("offline", published by the broker when the connection
// drops). Both are signed control messages (downlink.hpp's JSON form) with the device's presence
// key (crypto::key_purpose::presence), so nobody without the device key can mark a device online
// or raise a false "device offline".
//
// A signature alone does not stop a replay of an old will. Every connect is a session numbered
// within the agent's boot (boot counter, session counter): the will registered for a connect and
// the birth published on it carry the same (boot, session). The cloud takes a birth only from a
// later session than the last it took, and a will only from that session or a later one
// (supersedes()), so a will replayed from an earlier connect changes nothing.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/common/downlink.hpp"

namespace hoistway::common::presence {

enum class status : std::uint8_t { online, offline };
std::string_view to_string(status s) noexcept;

struct announcement {
  status state = status::online;
  std::string device_id;
  std::uint32_t boot = 0;     // the agent's boot counter (outbox)
  std::uint64_t session = 0;  // the connect within that boot, from 1
  std::int64_t sent_at_ms = 0;
  // The whole body as JSON text: the fields above and, in a birth, what the agent reports of
  // itself (agent_version, controller_id, firmware, outbox_depth, …).
  std::string body_json;
};

// The signed message for `a`; `details_json` (a JSON object's text, or empty) adds its fields
// to the body.
std::vector<std::uint8_t> sign(const announcement& a, std::string_view details_json,
                               std::uint32_t key_id, std::span<const std::uint8_t> key);

// Checks a presence message from the topic of `device_id`: size, version, key id, MAC (presence
// key), then the body (status, device_id equal to the topic's, boot, session). Rejections reuse
// downlink::reject_reason.
std::expected<announcement, downlink::rejection> verify(std::span<const std::uint8_t> message,
                                                        std::string_view device_id,
                                                        std::uint32_t key_id,
                                                        std::span<const std::uint8_t> key);

// Whether `next` may replace `last` (the announcement last taken for the device): a birth from a
// later (boot, session); a will from the same (boot, session) or a later one.
bool supersedes(const announcement& next, const announcement& last) noexcept;

}  // namespace hoistway::common::presence

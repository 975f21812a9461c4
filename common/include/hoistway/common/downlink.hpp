// Signed control messages in one JSON form: down-link commands (cloud -> agent on
// hoistway/v1/dev/{id}/cmd), their results (agent -> cloud on .../cmd_result) and the agent's
// presence (presence.hpp), authenticated with HMAC-SHA256 under a key derived from the device's
// for each kind and direction (crypto::purpose_key). The format is the wire contract's "Commands"
// section in ARCHITECTURE.md:
//   message = {"v":2,"key_id":K,"body":"<JSON text>","mac":"<hex HMAC-SHA256(purpose key, body)>"}
//   command body = {"id","device_id","issued_at_ms","command","args"}
//   result body  = {"id","device_id","ok","reason"?,"detail"?,"result"?,"at_ms"}
// Version 1 signed with the device key itself for both directions; it is refused
// (unsupported_version).
// Both sides live here: the agent verifies commands and signs results; the cloud signs commands
// and verifies results. Checks run in the conventions' order: size cap -> version -> key id and
// MAC (constant time) -> body structure -> meaning (device, age, replay, command, arguments). Each
// rejection has its own reason. Pure functions plus a small replay guard; no I/O. Thread-safety:
// functions are stateless; a replay_guard belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/common/crypto.hpp"

namespace hoistway::common::downlink {

inline constexpr std::size_t max_message_bytes = 4096;
inline constexpr int version = 2;

enum class command_kind : std::uint8_t { ping, request_snapshot, set_sampling_rate };

enum class reject_reason : std::uint8_t {
  oversized,
  bad_format,  // not a JSON object with v, key_id, body, mac of the right types
  unsupported_version,
  unknown_key,  // key_id is not the device's
  bad_mac,
  bad_body,  // the authenticated body is not a well-formed command
  wrong_device,
  expired,   // issued too long ago or too far in the future
  replayed,  // this command id was already accepted
  unknown_command,
  bad_argument,
};
inline constexpr std::size_t reject_reason_count = 11;
std::string_view to_string(reject_reason reason) noexcept;
std::string_view to_string(command_kind kind) noexcept;

struct command {
  std::string id;
  std::string device_id;
  std::int64_t issued_at_ms = 0;
  command_kind kind = command_kind::ping;
  double sample_hz = 0;  // set_sampling_rate
};

struct rejection {
  reject_reason reason;
  std::string detail;
  std::string id;  // the command id if it could be read (after authentication only)
};

struct verify_options {
  std::string_view device_id;
  std::uint32_t key_id = 1;
  std::span<const std::uint8_t> key;
  std::int64_t now_ms = 0;
  std::int64_t max_age_ms = 300'000;
  double min_hz = 0.5;
  double max_hz = 100.0;
};

// Verifies and decodes a command message (everything but replay, which needs state).
std::expected<command, rejection> verify_command(std::span<const std::uint8_t> message,
                                                 const verify_options& options);

// Remembers accepted command ids for the age window, so a replay within it is rejected; older
// replays are already rejected as expired. Bounded: at most `capacity` ids. The agent keeps the
// ids it accepts in its outbox too (outbox::remember_command) and fills a new guard from there
// (restore), so a replay is refused across restarts.
class replay_guard {
 public:
  explicit replay_guard(std::size_t capacity = 4096) : capacity_(capacity) {}
  // True (and remembered) if `id` was not seen; false for a replay.
  bool accept(const std::string& id, std::int64_t now_ms, std::int64_t max_age_ms);
  // Remembers an id accepted earlier, at `accepted_ms` (oldest first).
  void restore(const std::string& id, std::int64_t accepted_ms);

 private:
  std::size_t capacity_;
  std::deque<std::pair<std::int64_t, std::string>> order_;
  std::set<std::string> ids_;
};

// A command's result as the agent reported it (after its MAC verified).
struct command_result {
  std::string id;
  std::string device_id;
  bool ok = false;
  std::string reason;  // the agent's reject_reason when !ok
  std::string detail;
  std::string result_json = "{}";  // the result object when ok
  std::int64_t at_ms = 0;
};

struct result_verify_options {
  std::string_view device_id;  // the device whose topic carried the result
  std::uint32_t key_id = 1;
  std::span<const std::uint8_t> key;
};

// The cloud's side: verifies a result message (size cap -> version -> key id and MAC -> body ->
// device). Rejections reuse reject_reason (oversized, bad_format, unsupported_version,
// unknown_key, bad_mac, bad_body, wrong_device).
std::expected<command_result, rejection> verify_result(std::span<const std::uint8_t> message,
                                                       const result_verify_options& options);

// Builds a signed message around `body_json` for `purpose`, with the key derived from the
// device key `key` (used for results and presence, and by tests and tools to build commands).
std::vector<std::uint8_t> sign(std::string_view body_json, std::uint32_t key_id,
                               std::span<const std::uint8_t> key, crypto::key_purpose purpose);
// Checks a signed message up to its MAC (size cap -> version -> key id -> MAC, for `purpose`
// with the key derived from the device key `key`) and answers its authenticated body text.
std::expected<std::string, rejection> open_signed(std::span<const std::uint8_t> message,
                                                  std::uint32_t key_id,
                                                  std::span<const std::uint8_t> key,
                                                  crypto::key_purpose purpose);
// A command body (for tests and tools).
std::string command_body(const command& c);
// The result body the agent answers with.
std::string result_body(std::string_view id, std::string_view device_id, std::int64_t at_ms,
                        const std::optional<rejection>& rejected, std::string_view result_json);

}  // namespace hoistway::common::downlink

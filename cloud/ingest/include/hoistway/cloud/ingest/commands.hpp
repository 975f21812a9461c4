// Down-link commands the operator sends to agents (`hoistway-admin device command`), kept in the
// cloud store as a durable queue: the operator's tool inserts a row; the ingest (the only cloud
// process on the broker) claims it, signs it with the device's key, publishes it on the device's
// cmd topic and records the agent's signed result from cmd_result. A row's life:
//   queued -> sent -> done | rejected            (the agent's answer)
//   queued -> expired                            (no ingest sent it within max_wait)
//   queued -> undeliverable                      (unknown or disabled device)
//   sent   -> unanswered                         (no result within the agent's age window)
// Claiming is one UPDATE per row, so several ingest processes never send a command twice.
// Thread-safety: functions use the caller's connection, on the caller's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/common/downlink.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/sqlite.hpp"

namespace hoistway::cloud::commands {

// A row's place in the life above. Its text (to_string) is the store's state column and the
// JSON's "state"; parse_state reads it back, nullopt for any other text.
enum class command_state : std::uint8_t {
  queued,
  sent,
  done,
  rejected,
  expired,
  undeliverable,
  unanswered,
};
std::string_view to_string(command_state state) noexcept;
std::optional<command_state> parse_state(std::string_view text) noexcept;
// True while the command may still be answered (queued or sent).
constexpr bool open(command_state state) noexcept {
  return state == command_state::queued || state == command_state::sent;
}

struct row {
  std::string id;
  std::string device_id;
  common::downlink::command_kind kind = common::downlink::command_kind::ping;
  double hz = 0;  // set_sampling_rate
  command_state state = command_state::queued;
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> sent_ms;
  std::optional<std::int64_t> answered_ms;
  std::string reason;  // rejected/undeliverable/expired: why
  std::string detail;
  std::string result_json;  // done: the agent's result object
};

// The "commands" component of the store's schema.
common::status migrate(common::sqlite::database& db);

// Queues a command (a new UUID); hz only for set_sampling_rate (0.5-100).
common::result<row> enqueue(common::sqlite::database& db, const std::string& device_id,
                            common::downlink::command_kind kind, double hz, std::int64_t now_ms);
common::result<std::optional<row>> find(common::sqlite::database& db, const std::string& id);
// A device's commands, newest first.
common::result<std::vector<row>> recent(common::sqlite::database& db, const std::string& device_id,
                                        int limit);

// For the ingest: expires queued commands older than max_wait_ms and sent ones unanswered for
// longer than answer_window_ms, then claims (queued -> sent) and returns the rest, oldest first.
common::result<std::vector<row>> claim_due(common::sqlite::database& db, std::int64_t now_ms,
                                           std::int64_t max_wait_ms, std::int64_t answer_window_ms);
// Puts a claimed command back (publishing failed), or marks it undeliverable with a reason.
common::status unclaim(common::sqlite::database& db, const std::string& id);
common::status mark_undeliverable(common::sqlite::database& db, const std::string& id,
                                  const std::string& reason, std::int64_t now_ms);
// Records a verified result. False if no sent command of that device has the id (a stray,
// replayed or late result changes nothing).
common::result<bool> record_result(common::sqlite::database& db,
                                   const common::downlink::command_result& result,
                                   std::int64_t now_ms);

// The signed message for a claimed command, issued now.
std::vector<std::uint8_t> message_for(const row& command, std::int64_t now_ms, std::uint32_t key_id,
                                      std::span<const std::uint8_t> key);

}  // namespace hoistway::cloud::commands

// The technician CLI protocol (hoistctl <-> agent): newline-delimited JSON over the agent's Unix
// socket. One request line, then one or more answer lines:
//   {"cmd":"status"}                                          -> {"ok":true, ...}
//   {"cmd":"events","since_ms":T,"limit":N,"follow":true}     -> {"ok":true,"events":[...]},
//                                                                then {"event":{...}} per event
//   {"cmd":"visit_start","technician":"T-42","car":1} ("car" optional, default 0) /
//   {"cmd":"visit_end"}
//   {"cmd":"checklist","item":"brakes","result":"ok"|"ng","note":"..."}
//   {"cmd":"outbox"} / {"cmd":"config_show"} / {"cmd":"ping"}
//   {"cmd":"flush"}                -> {"progress":{...}} lines, then {"ok":true,...}
// A rejected request is answered {"ok":false,"reason":"<reject_reason>","error":"<detail>"}.
// Parsing is a pure function (no I/O), so every rejection is tested without sockets.
// Thread-safety: stateless functions; call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hoistway/common/records.hpp"

namespace hoistway::edge::cli {

// A request line longer than this is rejected (too_long) and the connection closed.
inline constexpr std::size_t max_request_bytes = 4096;
inline constexpr std::size_t max_events_limit = 10'000;

enum class command : std::uint8_t {
  status,
  events,
  visit_start,
  visit_end,
  checklist,
  outbox,
  flush,
  config_show,
  ping,
};

// Why a request was rejected; the agent counts each reason (shown by `hoistctl status`).
enum class reject_reason : std::uint8_t {
  too_long,       // over max_request_bytes without a newline
  bad_json,       // not JSON
  not_an_object,  // JSON, but not an object with a string "cmd"
  unknown_command,
  bad_argument,  // a field missing, of the wrong type, out of range or unknown
  conflict,      // not possible now (no visit open, one already open)
  busy,          // a request arrived before the previous one's answer was complete
  internal,      // the agent could not do it (outbox failure)
};
inline constexpr std::size_t reject_reason_count = 8;
std::string_view to_string(reject_reason reason) noexcept;
std::string_view to_string(command cmd) noexcept;

struct request {
  command cmd = command::status;
  std::optional<std::int64_t> since_ms;  // events: wall time, ms since epoch
  std::size_t limit = 100;               // events: at most this many from history
  bool follow = false;                   // events: then stream new ones
  std::string technician;                // visit_start
  std::uint8_t car = 0;                  // visit_start: the car worked on, as status numbers them
  std::string item;                      // checklist
  bool ok = true;                        // checklist: ok / ng
  std::string note;                      // checklist
};

struct rejection {
  reject_reason reason = reject_reason::bad_argument;
  std::string detail;
};

// Parses one request line (without its newline).
std::expected<request, rejection> parse_request(std::string_view line);
// The request line hoistctl sends (without the newline).
std::string encode_request(const request& r);
// The answer line for a rejection.
std::string encode_rejection(const rejection& r);

// Valid technician ids: 1-64 of A-Z a-z 0-9 . _ @ -.
bool valid_technician(std::string_view id);
// Checklist items: 1-64 printable characters; notes: up to 200, no control characters.
bool valid_item(std::string_view item);
bool valid_note(std::string_view note);

// A record as JSON for the CLI: {"seq","car","wall_ms","time","kind", ...body fields}.
nlohmann::json to_json(const common::record& rec);

}  // namespace hoistway::edge::cli

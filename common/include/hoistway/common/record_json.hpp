// Record bodies as JSON, the same for the HTTP API and the technician CLI. Field names follow
// schemas/records.fbs. Pure functions.
// Thread-safety: stateless.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "hoistway/common/records.hpp"

namespace hoistway::common {

nlohmann::json to_json(const record_body& body);
nlohmann::json to_json(const run_state& state);
// Exactly to_json(body).dump(), written directly for the bodies the ingest stores most (run
// states, trips, door cycles): no JSON tree is built for them.
std::string to_json_text(const record_body& body);
std::string to_json_text(const run_state& state);

// The inverse of to_json(run_state), for states stored as JSON text (the cloud's unit_status):
// nullopt if `text` is not a JSON object. A missing field, or one of the wrong type, reads as
// run_state{}'s; a name no enum value has reads as unknown (direction: none).
std::optional<run_state> run_state_from_json_text(std::string_view text);
// A car mode by its to_string() name; car_mode::unknown if no mode has it.
car_mode car_mode_named(std::string_view name);

}  // namespace hoistway::common

// Record bodies as JSON, the same for the HTTP API and the technician CLI. Field names follow
// schemas/records.fbs. Pure functions.
// Thread-safety: stateless.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "hoistway/common/records.hpp"

namespace hoistway::common {

nlohmann::json to_json(const record_body& body);
nlohmann::json to_json(const run_state& state);
// Exactly to_json(body).dump(), written directly for the bodies the ingest stores most (run
// states, trips, door cycles): no JSON tree is built for them.
std::string to_json_text(const record_body& body);
std::string to_json_text(const run_state& state);

}  // namespace hoistway::common

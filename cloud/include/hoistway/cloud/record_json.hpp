// Records as the HTTP API shows them (JSON). Pure functions.
// Thread-safety: stateless.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "hoistway/common/records.hpp"

namespace hoistway::cloud {

nlohmann::json to_json(const common::record_body& body);
nlohmann::json to_json(const common::run_state& state);
// Exactly to_json(body).dump(), written directly for the bodies the ingest stores most (run
// states, trips, door cycles): no JSON tree is built for them.
std::string to_json_text(const common::record_body& body);
std::string to_json_text(const common::run_state& state);

}  // namespace hoistway::cloud

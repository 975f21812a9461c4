// Record bodies as JSON, the same for the HTTP API and the technician CLI. Field names follow
// schemas/records.fbs. Pure functions.
// Thread-safety: stateless.
#pragma once

#include <nlohmann/json.hpp>

#include "hoistway/common/records.hpp"

namespace hoistway::common {

nlohmann::json to_json(const record_body& body);
nlohmann::json to_json(const run_state& state);

}  // namespace hoistway::common

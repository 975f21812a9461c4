// Records as the HTTP API shows them (JSON). Pure functions.
// Thread-safety: stateless.
#pragma once

#include <nlohmann/json.hpp>

#include "hoistway/common/records.hpp"

namespace hoistway::cloud {

nlohmann::json to_json(const common::record_body& body);
nlohmann::json to_json(const common::run_state& state);

}  // namespace hoistway::cloud

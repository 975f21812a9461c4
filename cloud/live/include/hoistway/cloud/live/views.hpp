// The JSON of a unit's status and of an alert, as the API answers them and the event stream
// pushes them. The ingest writer builds them for the stream, the portal's queries for reads: one
// writer for both, so a pushed event and a GET of the same thing cannot differ.
// Thread-safety: pure functions (alert_json reads the row it is given).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hoistway/common/records.hpp"
#include "hoistway/common/sqlite.hpp"

namespace hoistway::cloud {

// A unit's status as the API and the push stream show it.
nlohmann::json status_json(const std::string& unit_id, const common::run_state& state,
                           std::int64_t wall_ms);
// Exactly status_json(...).dump(), written without building the tree (one per unit and
// transaction on the ingest's hot path).
std::string status_json_text(const std::string& unit_id, const common::run_state& state,
                             std::int64_t wall_ms);
// Alert JSON as the API shows it, read back from a row of the alerts table selected with
// alert_columns, in that order.
nlohmann::json alert_json(common::sqlite::statement& row);
inline constexpr std::string_view alert_columns =
    "alert_id, unit_id, kind, code, state, detail, raised_ms, acknowledged_ms, acknowledged_by, "
    "cleared_ms";

}  // namespace hoistway::cloud

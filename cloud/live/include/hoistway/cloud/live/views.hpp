// The JSON of a unit's status and of an alert, as the API answers them and the event stream
// pushes them. The ingest writer builds them for the stream, the portal's queries for reads: one
// writer for both, so a pushed event and a GET of the same thing cannot differ.
// Thread-safety: pure functions (alert_json reads the row it is given).
#pragma once

#include <cstdint>
#include <optional>
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
// acknowledged_by is an API key's id or a session account's name; acknowledged_by_kind says
// which ("api_key", "portal"); acknowledged_email and comment are a person's.
inline constexpr std::string_view alert_columns =
    "alert_id, unit_id, kind, code, state, detail, raised_ms, acknowledged_ms, acknowledged_by, "
    "cleared_ms, acknowledged_by_kind, acknowledged_email, acknowledged_comment";

// A car's earthquake restoration as the API shows it and the stream pushes it, read from a row
// selected with restoration_sql (?1 = unit_id): {unit_id, state, stopped_at,
// awaiting_inspection_at, restored_at, updated_at}.
nlohmann::json restoration_json(common::sqlite::statement& row);
inline constexpr std::string_view restoration_sql =
    "SELECT unit_id, state, stopped_ms, awaiting_ms, restored_ms, updated_ms FROM "
    "earthquake_restoration WHERE unit_id = ?1";

// Inspection work status (issue 15): a technician's open visit on a unit, as hoistctl visit
// recorded it, and its checklist so far.
struct open_visit {
  std::string visit_id;
  std::string technician;
  std::int64_t started_ms = 0;
  std::int64_t items_done = 0;  // checklist items recorded (distinct)
  std::int64_t items_ng = 0;    // of which found NG
};
// The unit's open visit (the newest, if several): bind ?1 = unit_id; columns in open_visit's
// order.
inline constexpr std::string_view open_visit_sql =
    "SELECT v.visit_id, v.technician, v.started_ms, "
    "(SELECT COUNT(DISTINCT item) FROM visit_checklist c WHERE c.visit_id = v.visit_id), "
    "(SELECT COUNT(DISTINCT item) FROM visit_checklist c WHERE c.visit_id = v.visit_id AND "
    "c.ok = 0) "
    "FROM visits v WHERE v.unit_id = ?1 AND v.ended_ms IS NULL ORDER BY v.started_ms DESC LIMIT 1";
// The `technician` object of a unit's status: on site with a registered visit; on site
// unregistered (the car is in inspection mode and no visit is open; `since` is when it entered
// it, 0 if not known); or nobody. checklist.total is null: hoistctl does not declare a list.
nlohmann::json technician_json(const std::optional<open_visit>& visit, bool in_inspection,
                               std::int64_t inspection_since_ms);

}  // namespace hoistway::cloud

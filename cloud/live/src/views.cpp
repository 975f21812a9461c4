// The JSON of a unit's status and of an alert: one writer for the ingest's pushes and the
// portal's reads, so a stream event and a GET of the same thing cannot differ.
#include "hoistway/cloud/live/views.hpp"

#include "hoistway/common/record_json.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::cloud {

using nlohmann::json;
namespace sqlite = common::sqlite;

json status_json(const std::string& unit_id, const common::run_state& state, std::int64_t wall_ms) {
  auto status = to_json(state);
  status["unit_id"] = unit_id;
  status["updated_at"] = common::format_rfc3339(wall_ms);
  return status;
}

std::string status_json_text(const std::string& unit_id, const common::run_state& state,
                             std::int64_t wall_ms) {
  // The state's own keys all sort before "unit_id" and "updated_at" (dump() sorts keys), so
  // they are appended before its closing brace.
  auto text = to_json_text(state);
  text.pop_back();
  text += ",\"unit_id\":";
  text += json(unit_id).dump();
  text += ",\"updated_at\":\"";
  text += common::format_rfc3339(wall_ms);
  text += "\"}";
  return text;
}

json alert_json(sqlite::statement& r) {
  auto time_or_null = [&r](int col) {
    return r.is_null(col) ? json() : json(common::format_rfc3339(r.column_int(col)));
  };
  auto text_or_null = [&r](int col) { return r.is_null(col) ? json() : json(r.column_text(col)); };
  return {{"alert_id", r.column_int(0)},
          {"unit_id", r.column_text(1)},
          {"kind", r.column_text(2)},
          {"code", r.column_int(3)},
          {"state", r.column_text(4)},
          {"detail", r.column_text(5)},
          {"raised_at", common::format_rfc3339(r.column_int(6))},
          {"acknowledged_at", time_or_null(7)},
          {"acknowledged_by", r.is_null(8) ? json() : json(r.column_text(8))},
          {"cleared_at", time_or_null(9)},
          {"acknowledged_by_kind", text_or_null(10)},
          {"acknowledged_by_email", text_or_null(11)},
          {"comment", text_or_null(12)}};
}

json restoration_json(sqlite::statement& r) {
  auto time_or_null = [&r](int col) {
    return r.is_null(col) ? json() : json(common::format_rfc3339(r.column_int(col)));
  };
  return {{"unit_id", r.column_text(0)},    {"state", r.column_text(1)},
          {"stopped_at", time_or_null(2)},  {"awaiting_inspection_at", time_or_null(3)},
          {"restored_at", time_or_null(4)}, {"updated_at", time_or_null(5)}};
}

json technician_json(const std::optional<open_visit>& visit, bool in_inspection,
                     std::int64_t inspection_since_ms) {
  if (visit) {
    return {
        {"on_site", true},
        {"registered", true},
        {"since", common::format_rfc3339(visit->started_ms)},
        {"technician", visit->technician},
        {"visit_id", visit->visit_id},
        {"in_inspection_mode", in_inspection},
        {"checklist", {{"done", visit->items_done}, {"ng", visit->items_ng}, {"total", nullptr}}}};
  }
  return {{"on_site", in_inspection},
          {"registered", false},
          {"since", in_inspection && inspection_since_ms > 0
                        ? json(common::format_rfc3339(inspection_since_ms))
                        : json()},
          {"technician", nullptr},
          {"visit_id", nullptr},
          {"in_inspection_mode", in_inspection},
          {"checklist", nullptr}};
}

}  // namespace hoistway::cloud

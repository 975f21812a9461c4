// JSON for record bodies. Field names follow schemas/records.fbs.
#include "hoistway/common/record_json.hpp"

#include <string>
#include <type_traits>

namespace hoistway::common {

using nlohmann::json;

json to_json(const run_state& s) {
  return {
      {"position_mm", s.position_mm},  {"speed_mm_s", s.speed_mm_s},     {"floor", s.floor},
      {"direction", to_string(s.dir)}, {"door", to_string(s.door)},      {"load_kg", s.load_kg},
      {"mode", to_string(s.mode)},     {"in_door_zone", s.in_door_zone}, {"alarm", s.alarm},
      {"fault_codes", s.fault_codes},  {"in_service", s.in_service},     {"snapshot", s.snapshot}};
}

json to_json(const record_body& body) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, run_state>) {
          return to_json(v);
        } else if constexpr (std::is_same_v<T, trip>) {
          return {{"from_floor", v.from_floor},   {"to_floor", v.to_floor},
                  {"start_ms", v.start_ms},       {"end_ms", v.end_ms},
                  {"duration_ms", v.duration_ms}, {"peak_speed_mm_s", v.peak_speed_mm_s},
                  {"distance_mm", v.distance_mm}};
        } else if constexpr (std::is_same_v<T, door_cycle>) {
          return {{"floor", v.floor}, {"open_ms", v.open_ms}, {"reopens", v.reopens}};
        } else if constexpr (std::is_same_v<T, fault_event>) {
          return {{"code", v.code}, {"severity", to_string(v.level)}, {"raised", v.raised}};
        } else if constexpr (std::is_same_v<T, entrapment>) {
          return {{"started", v.started},
                  {"floor", v.floor},
                  {"position_mm", v.position_mm},
                  {"load_kg", v.load_kg},
                  {"alarm", v.alarm}};
        } else if constexpr (std::is_same_v<T, mode_change>) {
          return {{"from", to_string(v.from)}, {"to", to_string(v.to)}};
        } else if constexpr (std::is_same_v<T, power_change>) {
          return {{"lost", v.lost}};
        } else if constexpr (std::is_same_v<T, earthquake_operation>) {
          return {{"started", v.started}, {"floor", v.floor}};
        } else if constexpr (std::is_same_v<T, technician_visit>) {
          return {{"started", v.started}, {"visit_id", v.visit_id}, {"technician", v.technician}};
        } else if constexpr (std::is_same_v<T, checklist_item>) {
          return {{"visit_id", v.visit_id}, {"item", v.item}, {"ok", v.ok}, {"note", v.note}};
        } else if constexpr (std::is_same_v<T, usage_rollup>) {
          return {{"interval_start_ms", v.interval_start_ms},
                  {"interval_s", v.interval_s},
                  {"trips", v.trips},
                  {"starts", v.starts},
                  {"door_cycles", v.door_cycles},
                  {"running_s", v.running_s},
                  {"distance_mm", v.distance_mm}};
        } else if constexpr (std::is_same_v<T, clock_jump>) {
          return {{"delta_ms", v.delta_ms}};
        } else {
          static_assert(std::is_same_v<T, outbox_drop>);
          return {{"dropped_samples", v.dropped_samples},
                  {"dropped_other", v.dropped_other},
                  {"first_seq", v.first_seq},
                  {"last_seq", v.last_seq}};
        }
      },
      body);
}

}  // namespace hoistway::common

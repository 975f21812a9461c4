// Loading and validating building files.
#include "hoistway/sim/building.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "hoistway/sim/time_text.hpp"
#include "toml_util.hpp"

namespace hoistway::sim {

using common::errc;
using detail::data_error;

std::string_view to_string(traffic_profile value) noexcept {
  switch (value) {
    case traffic_profile::none:
      return "none";
    case traffic_profile::office:
      return "office";
    case traffic_profile::residential:
      return "residential";
  }
  return "none";
}

namespace {

constexpr std::int64_t max_car_count = 8;
constexpr std::int64_t max_landings = 128;

common::status read_building(std::string_view src, const toml::table& root, building_spec& out) {
  const toml::node* node = root.get("building");
  if (node == nullptr || !node->is_table()) {
    return data_error(src, node, "missing [building] table");
  }
  const auto& t = *node->as_table();
  if (auto ok = detail::check_keys(src, t,
                                   {"name", "controller_id", "firmware", "fire_recall_floor",
                                    "parking_floor", "parking_delay"});
      !ok) {
    return ok;
  }
  if (auto ok = detail::read_string(src, t, "name", out.name); !ok) return ok;
  if (auto ok = detail::read_string(src, t, "controller_id", out.controller_id); !ok) return ok;
  if (auto ok = detail::read_string(src, t, "firmware", out.firmware); !ok) return ok;
  if (out.controller_id.empty()) return data_error(src, node, "[building] needs a controller_id");
  if (out.name.empty()) out.name = out.controller_id;
  if (auto ok = detail::read_int_as(src, t, "fire_recall_floor", 0, max_landings - 1,
                                    out.fire_recall_floor);
      !ok) {
    return ok;
  }
  if (auto ok =
          detail::read_int_as(src, t, "parking_floor", 0, max_landings - 1, out.parking_floor);
      !ok) {
    return ok;
  }
  if (const toml::node* delay = t.get("parking_delay");
      delay != nullptr && delay->is_boolean() && !delay->as_boolean()->get()) {
    out.parking_delay_ms = -1;
  } else {
    std::int64_t ms = out.parking_delay_ms;
    if (auto ok = detail::read_duration_ms(src, t, "parking_delay", ms); !ok) return ok;
    if (ms > 86'400'000) return data_error(src, t.get("parking_delay"), "parking_delay above 1d");
    out.parking_delay_ms = static_cast<std::int32_t>(ms);
  }
  return {};
}

common::status read_landings(std::string_view src, const toml::table& root, building_spec& out) {
  const toml::node* node = root.get("landings");
  const toml::array* list = node != nullptr ? node->as_array() : nullptr;
  if (list == nullptr || !list->is_array_of_tables()) {
    return data_error(src, node, "missing [[landings]] (one table per landing, lowest first)");
  }
  if (list->size() < 2 || list->size() > static_cast<std::size_t>(max_landings)) {
    return data_error(src, node,
                      fmt::format("need 2..{} landings, got {}", max_landings, list->size()));
  }
  for (const auto& item : *list) {
    const auto& t = *item.as_table();
    if (auto ok = detail::check_keys(src, t, {"name", "level_mm"}); !ok) return ok;
    landing l;
    l.name = std::to_string(out.landings.size());
    if (auto ok = detail::read_string(src, t, "name", l.name); !ok) return ok;
    if (t.get("level_mm") == nullptr) return data_error(src, &item, "landing needs level_mm");
    if (auto ok = detail::read_int_as(src, t, "level_mm", 0, 1'000'000, l.level_mm); !ok) return ok;
    if (out.landings.empty() && l.level_mm != 0) {
      return data_error(src, t.get("level_mm"), "the lowest landing must have level_mm = 0");
    }
    if (!out.landings.empty() && l.level_mm < out.landings.back().level_mm + 1500) {
      return data_error(
          src, t.get("level_mm"),
          fmt::format("level_mm {} must be at least 1500 above the landing below ({})", l.level_mm,
                      out.landings.back().level_mm));
    }
    out.landings.push_back(std::move(l));
  }
  return {};
}

common::status read_cars(std::string_view src, const toml::table& root, building_spec& out) {
  const toml::node* node = root.get("cars");
  if (node == nullptr || !node->is_table()) return data_error(src, node, "missing [cars] table");
  const auto& t = *node->as_table();
  if (auto ok = detail::check_keys(src, t,
                                   {"count",
                                    "rated_speed_mm_s",
                                    "acceleration_mm_s2",
                                    "jerk_mm_s3",
                                    "leveling_speed_mm_s",
                                    "leveling_distance_mm",
                                    "leveling_tolerance_mm",
                                    "door_zone_mm",
                                    "inspection_speed_mm_s",
                                    "rescue_speed_mm_s",
                                    "brake_deceleration_mm_s2",
                                    "start_delay_ms",
                                    "rated_load_kg",
                                    "door_open_ms",
                                    "door_close_ms",
                                    "dwell_hall_ms",
                                    "dwell_car_ms",
                                    "transfer_ms",
                                    "nudging_after_reopens",
                                    "max_reopens"});
      !ok) {
    return ok;
  }
  std::int64_t count = 0;
  if (t.get("count") == nullptr) return data_error(src, node, "[cars] needs count");
  if (auto ok = detail::read_int(src, t, "count", 1, max_car_count, count); !ok) return ok;
  car_spec c;
  auto rd = [&](std::string_view key, std::int64_t lo, std::int64_t hi, auto& field) {
    return detail::read_int_as(src, t, key, lo, hi, field);
  };
  common::status ok;
  if (ok = rd("rated_speed_mm_s", 100, 10'000, c.rated_speed_mm_s); !ok) return ok;
  if (ok = rd("acceleration_mm_s2", 100, 3'000, c.acceleration_mm_s2); !ok) return ok;
  if (ok = rd("jerk_mm_s3", 100, 10'000, c.jerk_mm_s3); !ok) return ok;
  if (ok = rd("leveling_speed_mm_s", 10, 500, c.leveling_speed_mm_s); !ok) return ok;
  if (ok = rd("leveling_distance_mm", 0, 500, c.leveling_distance_mm); !ok) return ok;
  if (ok = rd("leveling_tolerance_mm", 1, 100, c.leveling_tolerance_mm); !ok) return ok;
  if (ok = rd("door_zone_mm", 20, 300, c.door_zone_mm); !ok) return ok;
  if (ok = rd("inspection_speed_mm_s", 50, 630, c.inspection_speed_mm_s); !ok) return ok;
  if (ok = rd("rescue_speed_mm_s", 20, 630, c.rescue_speed_mm_s); !ok) return ok;
  if (ok = rd("brake_deceleration_mm_s2", 500, 15'000, c.brake_deceleration_mm_s2); !ok) return ok;
  if (ok = rd("start_delay_ms", 0, 10'000, c.start_delay_ms); !ok) return ok;
  if (ok = rd("rated_load_kg", 100, 10'000, c.rated_load_kg); !ok) return ok;
  if (ok = rd("door_open_ms", 500, 20'000, c.door_open_ms); !ok) return ok;
  if (ok = rd("door_close_ms", 500, 20'000, c.door_close_ms); !ok) return ok;
  if (ok = rd("dwell_hall_ms", 500, 60'000, c.dwell_hall_ms); !ok) return ok;
  if (ok = rd("dwell_car_ms", 500, 60'000, c.dwell_car_ms); !ok) return ok;
  if (ok = rd("transfer_ms", 100, 10'000, c.transfer_ms); !ok) return ok;
  if (ok = rd("nudging_after_reopens", 1, 100, c.nudging_after_reopens); !ok) return ok;
  if (ok = rd("max_reopens", 1, 1000, c.max_reopens); !ok) return ok;
  if (c.leveling_speed_mm_s >= c.rated_speed_mm_s) {
    return data_error(src, t.get("leveling_speed_mm_s"),
                      "leveling speed must be below rated speed");
  }
  if (c.inspection_speed_mm_s > c.rated_speed_mm_s || c.rescue_speed_mm_s > c.rated_speed_mm_s) {
    return data_error(src, node, "inspection and rescue speeds must not exceed rated speed");
  }
  if (c.max_reopens <= c.nudging_after_reopens) {
    return data_error(src, t.get("max_reopens"), "max_reopens must exceed nudging_after_reopens");
  }
  out.cars.assign(static_cast<std::size_t>(count), c);
  return {};
}

common::status read_traffic(std::string_view src, const toml::table& root, building_spec& out) {
  const toml::node* node = root.get("traffic");
  if (node == nullptr) return {};
  if (!node->is_table()) return data_error(src, node, "[traffic] must be a table");
  const auto& t = *node->as_table();
  if (auto ok = detail::check_keys(src, t,
                                   {"profile", "population", "lobby_floor", "intensity",
                                    "start_time", "start_day", "light_curtain_probability"});
      !ok) {
    return ok;
  }
  auto& tr = out.traffic;
  std::string profile = std::string(to_string(tr.profile));
  if (auto ok = detail::read_string(src, t, "profile", profile); !ok) return ok;
  if (profile == "office") {
    tr.profile = traffic_profile::office;
  } else if (profile == "residential") {
    tr.profile = traffic_profile::residential;
  } else if (profile == "none") {
    tr.profile = traffic_profile::none;
  } else {
    return data_error(
        src, t.get("profile"),
        fmt::format("unknown traffic profile '{}' (office, residential, none)", profile));
  }
  if (auto ok = detail::read_int_as(src, t, "population", 0, 100'000, tr.population); !ok)
    return ok;
  if (auto ok = detail::read_int_as(src, t, "lobby_floor", 0, max_landings - 1, tr.lobby_floor);
      !ok) {
    return ok;
  }
  if (auto ok = detail::read_double(src, t, "intensity", 0.0, 100.0, tr.intensity); !ok) return ok;
  if (auto ok = detail::read_double(src, t, "light_curtain_probability", 0.0, 1.0,
                                    tr.light_curtain_probability);
      !ok) {
    return ok;
  }
  std::string day;
  if (auto ok = detail::read_string(src, t, "start_day", day); !ok) return ok;
  if (!day.empty()) {
    constexpr std::array<std::string_view, 7> days{"monday", "tuesday",  "wednesday", "thursday",
                                                   "friday", "saturday", "sunday"};
    const auto* found = std::find(days.begin(), days.end(), day);
    if (found == days.end()) {
      return data_error(
          src, t.get("start_day"),
          fmt::format("start_day '{}' is not a day of the week (monday..sunday)", day));
    }
    tr.start_day = static_cast<std::int32_t>(found - days.begin());
  }
  std::string start;
  if (auto ok = detail::read_string(src, t, "start_time", start); !ok) return ok;
  if (!start.empty()) {
    auto tod = parse_time_of_day_s(start);
    if (!tod) return data_error(src, t.get("start_time"), tod.error().message);
    tr.start_time_of_day_s = *tod;
  }
  return {};
}

}  // namespace

common::result<building_spec> parse_building(std::string_view toml_text,
                                             std::string_view source_name) {
  auto root = detail::parse_toml(toml_text, source_name);
  if (!root) return std::unexpected(root.error());
  if (auto ok = detail::check_keys(source_name, *root, {"building", "landings", "cars", "traffic"});
      !ok) {
    return std::unexpected(ok.error());
  }
  building_spec out;
  for (auto step : {read_building, read_landings, read_cars, read_traffic}) {
    if (auto ok = step(source_name, *root, out); !ok) return std::unexpected(ok.error());
  }
  const auto floors = static_cast<std::int16_t>(out.landings.size());
  auto check_floor = [&](std::int16_t floor, std::string_view what,
                         const toml::node* where) -> common::status {
    if (floor >= floors) {
      return data_error(source_name, where,
                        fmt::format("{} {} is not a landing (0..{})", what, floor, floors - 1));
    }
    return {};
  };
  const toml::node* b = root->get("building");
  if (auto ok = check_floor(out.fire_recall_floor, "fire_recall_floor", b); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_floor(out.parking_floor, "parking_floor", b); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_floor(out.traffic.lobby_floor, "lobby_floor", root->get("traffic")); !ok) {
    return std::unexpected(ok.error());
  }
  return out;
}

common::result<building_spec> load_building(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return common::fail(errc::io, fmt::format("{}: cannot open file", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return common::fail(errc::io, fmt::format("{}: read error", path.string()));
  return parse_building(text.str(), path.string());
}

}  // namespace hoistway::sim

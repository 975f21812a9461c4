// Loading and validating scenario files.
#include "hoistway/sim/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <span>
#include <sstream>

#include "hoistway/sim/time_text.hpp"
#include "toml_util.hpp"

namespace hoistway::sim {

using common::errc;
using detail::data_error;

namespace {

constexpr std::array<std::string_view, injected_fault_count> fault_names{
    "door_lock_failure", "door_obstruction", "leveling_error",         "safety_chain_open",
    "drive_fault",       "entrapment",       "door_close_degradation", "brake_degradation"};

constexpr std::array<std::string_view, 13> action_names{
    "inject",     "clear",         "set_mode",   "earthquake", "earthquake_reset",
    "power_loss", "power_restore", "fire_alarm", "fire_reset", "inspection_move",
    "car_call",   "passenger",     "alarm"};

std::string join(auto const& names) {
  std::string out;
  for (auto n : names) out += fmt::format("{}{}", out.empty() ? "" : ", ", n);
  return out;
}

common::status read_header(std::string_view src, const toml::table& root, scenario& out) {
  const toml::node* node = root.get("scenario");
  if (node == nullptr) return {};
  if (!node->is_table()) return data_error(src, node, "[scenario] must be a table");
  const auto& t = *node->as_table();
  if (auto ok =
          detail::check_keys(src, t, {"name", "description", "duration", "start_time", "promises"});
      !ok) {
    return ok;
  }
  if (auto ok = detail::read_string(src, t, "name", out.name); !ok) return ok;
  if (auto ok = detail::read_string(src, t, "description", out.description); !ok) return ok;
  if (t.get("duration") != nullptr) {
    std::int64_t ms = 0;
    if (auto ok = detail::read_duration_ms(src, t, "duration", ms); !ok) return ok;
    out.duration_ms = ms;
  }
  if (t.get("start_time") != nullptr) {
    std::string start;
    if (auto ok = detail::read_string(src, t, "start_time", start); !ok) return ok;
    auto tod = parse_time_of_day_s(start);
    if (!tod) return data_error(src, t.get("start_time"), tod.error().message);
    out.start_time_of_day_s = *tod;
  }
  if (const toml::node* p = t.get("promises")) {
    const auto* list = p->as_array();
    if (list == nullptr) return data_error(src, p, "'promises' must be an array of event names");
    for (const auto& item : *list) {
      const auto* name = item.as_string();
      const auto kind = name != nullptr ? event_from_name(name->get()) : std::nullopt;
      if (!kind) return data_error(src, &item, "'promises' holds an unknown event name");
      out.promises.push_back(*kind);
    }
  }
  return {};
}

common::status read_random(std::string_view src, const toml::table& root, scenario& out) {
  const toml::node* node = root.get("random");
  if (node == nullptr) return {};
  if (!node->is_table()) return data_error(src, node, "[random] must be a table");
  const auto& t = *node->as_table();
  for (const auto& [key, value] : t) {
    if (key.str() == "clear_after") continue;
    const auto fault = injected_fault_from_name(key.str());
    if (!fault || *fault == injected_fault::door_close_degradation ||
        *fault == injected_fault::brake_degradation) {
      return data_error(src, &value,
                        fmt::format("unknown random fault '{}' (per car and day: {}, or "
                                    "clear_after)",
                                    key.str(), join(std::span(fault_names).first(6))));
    }
    double rate = 0.0;
    if (auto ok = detail::read_double(src, t, key.str(), 0.0, 1000.0, rate); !ok) return ok;
    out.random.per_car_day[static_cast<std::size_t>(*fault)] = rate;
  }
  if (auto ok = detail::read_duration_ms(src, t, "clear_after", out.random.clear_after_ms); !ok) {
    return ok;
  }
  return {};
}

common::status read_action(std::string_view src, const toml::table& t, std::int16_t floors,
                           std::int16_t cars, scenario_action& a) {
  if (auto ok = detail::check_keys(src, t,
                                   {"time", "action", "car", "fault", "duration", "rate", "mode",
                                    "distance_mm", "floor", "to_floor", "count"});
      !ok) {
    return ok;
  }
  if (t.get("time") == nullptr) return data_error(src, &t, "action needs a 'time'");
  if (auto ok = detail::read_duration_ms(src, t, "time", a.at_ms); !ok) return ok;
  std::string action;
  if (auto ok = detail::read_string(src, t, "action", action); !ok) return ok;
  const auto* found = std::find(action_names.begin(), action_names.end(), action);
  if (found == action_names.end()) {
    return data_error(src, t.get("action") != nullptr ? t.get("action") : &t,
                      fmt::format("unknown action '{}' (one of: {})", action, join(action_names)));
  }
  a.kind = static_cast<action_kind>(found - action_names.begin());
  if (auto ok = detail::read_int_as(src, t, "car", 0, cars - 1, a.car); !ok) return ok;
  if (auto ok = detail::read_duration_ms(src, t, "duration", a.duration_ms); !ok) return ok;
  if (auto ok = detail::read_double(src, t, "rate", 0.0, 1e6, a.rate); !ok) return ok;
  if (auto ok = detail::read_int_as(src, t, "distance_mm", -1'000'000, 1'000'000, a.distance_mm);
      !ok) {
    return ok;
  }
  if (auto ok = detail::read_int_as(src, t, "floor", 0, floors - 1, a.floor); !ok) return ok;
  if (auto ok = detail::read_int_as(src, t, "to_floor", 0, floors - 1, a.to_floor); !ok) return ok;
  if (auto ok = detail::read_int_as(src, t, "count", 1, 10'000, a.count); !ok) return ok;
  auto require = [&](std::string_view key) -> common::status {
    if (t.get(key) == nullptr) {
      return data_error(src, &t, fmt::format("action '{}' needs '{}'", action, key));
    }
    return {};
  };
  switch (a.kind) {
    case action_kind::inject:
    case action_kind::clear: {
      if (auto ok = require("fault"); !ok) return ok;
      std::string name;
      if (auto ok = detail::read_string(src, t, "fault", name); !ok) return ok;
      const auto fault = injected_fault_from_name(name);
      if (!fault) {
        return data_error(src, t.get("fault"),
                          fmt::format("unknown fault '{}' (one of: {})", name, join(fault_names)));
      }
      a.fault = *fault;
      if (a.kind == action_kind::inject && (a.fault == injected_fault::door_close_degradation ||
                                            a.fault == injected_fault::brake_degradation)) {
        if (auto ok = require("rate"); !ok) return ok;
      }
      break;
    }
    case action_kind::set_mode: {
      if (auto ok = require("mode"); !ok) return ok;
      std::string name;
      if (auto ok = detail::read_string(src, t, "mode", name); !ok) return ok;
      if (name == "normal") {
        a.mode = common::car_mode::normal;
      } else if (name == "inspection") {
        a.mode = common::car_mode::inspection;
      } else if (name == "independent") {
        a.mode = common::car_mode::independent;
      } else if (name == "out_of_service") {
        a.mode = common::car_mode::out_of_service;
      } else {
        return data_error(src, t.get("mode"),
                          fmt::format("mode '{}' cannot be set by a scenario (normal, inspection, "
                                      "independent, out_of_service; fire, earthquake and power "
                                      "have their own actions)",
                                      name));
      }
      break;
    }
    case action_kind::inspection_move:
      if (auto ok = require("distance_mm"); !ok) return ok;
      if (auto ok = require("car"); !ok) return ok;
      break;
    case action_kind::car_call:
      if (auto ok = require("floor"); !ok) return ok;
      break;
    case action_kind::passenger:
      if (auto ok = require("floor"); !ok) return ok;
      if (auto ok = require("to_floor"); !ok) return ok;
      if (a.floor == a.to_floor) return data_error(src, &t, "passenger: floor equals to_floor");
      break;
    case action_kind::alarm:
      if (auto ok = require("car"); !ok) return ok;
      if (a.duration_ms == 0) a.duration_ms = 5000;
      break;
    default:
      break;
  }
  return {};
}

}  // namespace

std::string_view to_string(injected_fault fault) noexcept {
  const auto i = static_cast<std::size_t>(fault);
  return i < fault_names.size() ? fault_names[i] : "unknown";
}

std::optional<injected_fault> injected_fault_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < fault_names.size(); ++i) {
    if (fault_names[i] == name) return static_cast<injected_fault>(i);
  }
  return std::nullopt;
}

std::string_view to_string(action_kind kind) noexcept {
  const auto i = static_cast<std::size_t>(kind);
  return i < action_names.size() ? action_names[i] : "unknown";
}

common::result<scenario> parse_scenario(std::string_view toml_text, std::string_view source_name,
                                        std::int16_t floors, std::int16_t cars) {
  auto root = detail::parse_toml(toml_text, source_name);
  if (!root) return std::unexpected(root.error());
  if (auto ok = detail::check_keys(source_name, *root, {"scenario", "random", "at"}); !ok) {
    return std::unexpected(ok.error());
  }
  scenario out;
  if (auto ok = read_header(source_name, *root, out); !ok) return std::unexpected(ok.error());
  if (auto ok = read_random(source_name, *root, out); !ok) return std::unexpected(ok.error());
  if (const toml::node* node = root->get("at")) {
    const auto* list = node->as_array();
    if (list == nullptr || !list->is_array_of_tables()) {
      return std::unexpected(
          data_error(source_name, node, "'at' must be [[at]] tables, one per action").error());
    }
    for (const auto& item : *list) {
      scenario_action a;
      a.line = item.source().begin.line;
      if (auto ok = read_action(source_name, *item.as_table(), floors, cars, a); !ok) {
        return std::unexpected(ok.error());
      }
      out.actions.push_back(a);
    }
  }
  std::stable_sort(out.actions.begin(), out.actions.end(),
                   [](const auto& x, const auto& y) { return x.at_ms < y.at_ms; });
  return out;
}

common::result<scenario> load_scenario(const std::filesystem::path& path, std::int16_t floors,
                                       std::int16_t cars) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return common::fail(errc::io, fmt::format("{}: cannot open file", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path.string(), floors, cars);
}

}  // namespace hoistway::sim

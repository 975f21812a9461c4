// JSON for record bodies. Field names follow schemas/records.fbs.
#include "hoistway/common/record_json.hpp"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

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

namespace {

// Writes one JSON object with its keys in the order given, which must be nlohmann's (sorted, as
// std::map keeps them) for the text to equal dump()'s. Values are numbers, booleans and strings
// that need no escaping (enum names).
class object_writer {
 public:
  explicit object_writer(std::string& out) : out_(out) { out_ += '{'; }
  ~object_writer() { out_ += '}'; }
  object_writer(const object_writer&) = delete;
  object_writer& operator=(const object_writer&) = delete;

  object_writer& number(std::string_view key, std::int64_t value) {
    name(key);
    append(value);
    return *this;
  }
  object_writer& boolean(std::string_view key, bool value) {
    name(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  object_writer& plain_string(std::string_view key, std::string_view value) {
    name(key);
    out_ += '"';
    out_ += value;
    out_ += '"';
    return *this;
  }
  object_writer& numbers(std::string_view key, const std::vector<std::uint16_t>& values) {
    name(key);
    out_ += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_ += ',';
      append(values[i]);
    }
    out_ += ']';
    return *this;
  }

 private:
  void name(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += key;
    out_ += "\":";
  }
  void append(std::int64_t value) {
    char buffer[24];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    out_.append(buffer, end);
  }
  std::string& out_;
  bool first_ = true;
};

}  // namespace

std::string to_json_text(const run_state& state) {
  std::string out;
  out.reserve(256);
  const auto* s = &state;
  object_writer(out)
      .boolean("alarm", s->alarm)
      .plain_string("direction", to_string(s->dir))
      .plain_string("door", to_string(s->door))
      .numbers("fault_codes", s->fault_codes)
      .number("floor", s->floor)
      .boolean("in_door_zone", s->in_door_zone)
      .boolean("in_service", s->in_service)
      .number("load_kg", s->load_kg)
      .plain_string("mode", to_string(s->mode))
      .number("position_mm", s->position_mm)
      .boolean("snapshot", s->snapshot)
      .number("speed_mm_s", s->speed_mm_s);
  return out;
}

std::string to_json_text(const record_body& body) {
  if (const auto* s = std::get_if<run_state>(&body)) return to_json_text(*s);
  std::string out;
  if (const auto* t = std::get_if<trip>(&body)) {
    out.reserve(160);
    object_writer(out)
        .number("distance_mm", t->distance_mm)
        .number("duration_ms", t->duration_ms)
        .number("end_ms", t->end_ms)
        .number("from_floor", t->from_floor)
        .number("peak_speed_mm_s", t->peak_speed_mm_s)
        .number("start_ms", t->start_ms)
        .number("to_floor", t->to_floor);
  } else if (const auto* d = std::get_if<door_cycle>(&body)) {
    object_writer(out)
        .number("floor", d->floor)
        .number("open_ms", d->open_ms)
        .number("reopens", d->reopens);
  } else {
    // Replace, never throw: the cloud checks strings are UTF-8 (wire::valid_text), and a string
    // that still is not must not take a writer thread down.
    out = to_json(body).dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return out;
}

namespace {
// An enum value by its to_string() name; `fallback` if none has it. The enums count up from 0 to
// `last` (controller_state.hpp).
template <typename E>
E named(std::string_view name, E last, E fallback) {
  for (int v = 0; v <= static_cast<int>(last); ++v) {
    if (to_string(static_cast<E>(v)) == name) return static_cast<E>(v);
  }
  return fallback;
}

template <typename T>
T field(const json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  if constexpr (std::is_same_v<T, bool>) {
    return it->is_boolean() ? it->get<bool>() : fallback;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return it->is_string() ? it->get<std::string>() : fallback;
  } else {
    if (!it->is_number_integer()) return fallback;
    const auto v = it->get<std::int64_t>();
    return std::in_range<T>(v) ? static_cast<T>(v) : fallback;
  }
}
}  // namespace

car_mode car_mode_named(std::string_view name) {
  return named(name, car_mode::unknown, car_mode::unknown);
}

std::optional<run_state> run_state_from_json_text(std::string_view text) {
  const auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  run_state s;
  s.position_mm = field(j, "position_mm", s.position_mm);
  s.speed_mm_s = field(j, "speed_mm_s", s.speed_mm_s);
  s.floor = field(j, "floor", s.floor);
  s.dir = named(field(j, "direction", std::string()), direction::down, direction::none);
  s.door = named(field(j, "door", std::string()), door_state::unknown, door_state::unknown);
  s.load_kg = field(j, "load_kg", s.load_kg);
  s.mode = car_mode_named(field(j, "mode", std::string()));
  s.in_door_zone = field(j, "in_door_zone", s.in_door_zone);
  s.alarm = field(j, "alarm", s.alarm);
  s.snapshot = field(j, "snapshot", s.snapshot);
  s.in_service = field(j, "in_service", s.in_service);
  if (const auto it = j.find("fault_codes"); it != j.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (c.is_number_unsigned() && std::in_range<std::uint16_t>(c.get<std::uint64_t>())) {
        s.fault_codes.push_back(static_cast<std::uint16_t>(c.get<std::uint64_t>()));
      }
    }
  }
  return s;
}

}  // namespace hoistway::common

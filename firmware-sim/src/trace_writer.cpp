// JSON-lines trace of the model's events.
#include "hoistway/sim/trace_writer.hpp"

#include <fmt/format.h>

#include "hoistway/sim/fault_codes.hpp"

namespace hoistway::sim {

namespace {

void append_faults(std::string& out, const std::vector<std::uint16_t>& codes) {
  out += "[";
  for (std::size_t i = 0; i < codes.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "{}{}", i == 0 ? "" : ",", codes[i]);
  }
  out += "]";
}

void append_details(std::string& out, const sim_event& e) {
  auto add = [&](std::string_view key, auto value) {
    fmt::format_to(std::back_inserter(out), ",\"{}\":{}", key, value);
  };
  auto add_str = [&](std::string_view key, std::string_view value) {
    fmt::format_to(std::back_inserter(out), ",\"{}\":\"{}\"", key, value);
  };
  switch (e.kind) {
    case event_kind::trip_started:
      add("from_floor", e.value);
      add("to_floor", e.detail);
      break;
    case event_kind::trip_ended:
      add("stop_error_mm", e.detail);
      break;
    case event_kind::trip_retargeted:
      add("to_floor", e.value);
      break;
    case event_kind::door_closing:
      add("nudging", e.value != 0 ? "true" : "false");
      break;
    case event_kind::door_closed:
      add("closing_ms", e.value);
      break;
    case event_kind::door_reopened:
      add("reopens", e.value);
      add("physical", e.detail != 0 ? "true" : "false");
      break;
    case event_kind::door_lock_failed:
      add("attempt", e.value);
      break;
    case event_kind::passengers_moved:
      add("left", e.value);
      add("entered", e.detail);
      break;
    case event_kind::hall_call:
      add("call_floor", e.value);
      add_str("call_dir", common::to_string(static_cast<common::direction>(e.detail)));
      break;
    case event_kind::mode_changed:
      add_str("from", common::to_string(static_cast<common::car_mode>(e.value)));
      add_str("to", common::to_string(static_cast<common::car_mode>(e.detail)));
      break;
    case event_kind::fault_raised:
    case event_kind::fault_cleared:
      add("code", e.value);
      add_str("fault", to_string(static_cast<fault_code>(e.value)));
      break;
    case event_kind::emergency_stop:
    case event_kind::brake_test:
      add("stopping_distance_mm", e.value);
      break;
    case event_kind::relevel:
      add("error_mm", e.value);
      break;
    case event_kind::entrapment_started:
      add("passengers", e.value);
      break;
    case event_kind::inspection_move:
      add("target_mm", e.value);
      break;
    case event_kind::door_degraded:
      add("closing_ms", e.value);
      break;
    case event_kind::scenario_action:
      add("action_index", e.value);
      break;
    default:
      break;
  }
}

}  // namespace

std::string format_trace_line(const sim_event& e, const group_model& model) {
  std::string out;
  out.reserve(256);
  fmt::format_to(std::back_inserter(out), "{{\"t_ms\":{},\"event\":\"{}\"", e.t_ms,
                 to_string(e.kind));
  if (e.car >= 0 && static_cast<std::size_t>(e.car) < model.car_count()) {
    const auto s = model.car_state(static_cast<std::size_t>(e.car));
    fmt::format_to(std::back_inserter(out),
                   ",\"car\":{},\"floor\":{},\"position_mm\":{},\"speed_mm_s\":{},\"dir\":\"{}\","
                   "\"door\":\"{}\",\"mode\":\"{}\",\"load_kg\":{},\"in_door_zone\":{},"
                   "\"alarm\":{},\"faults\":",
                   s.car, s.floor, s.position_mm, s.speed_mm_s, common::to_string(s.dir),
                   common::to_string(s.door), common::to_string(s.mode), s.load_kg, s.in_door_zone,
                   s.alarm);
    append_faults(out, s.fault_codes);
  } else {
    // A group event (a landing call, a scenario action): the car fields are null so that every
    // line has the same keys.
    const auto floor = e.kind == event_kind::hall_call ? std::to_string(e.value) : "null";
    fmt::format_to(std::back_inserter(out),
                   ",\"car\":null,\"floor\":{},\"position_mm\":null,\"speed_mm_s\":null,"
                   "\"dir\":null,\"door\":null,\"mode\":null,\"load_kg\":null,"
                   "\"in_door_zone\":null,\"alarm\":null,\"faults\":null",
                   floor);
  }
  append_details(out, e);
  out += "}";
  return out;
}

void trace_writer::file_closer::operator()(std::FILE* f) const noexcept {
  if (f != nullptr && f != stdout) std::fclose(f);
}

common::result<trace_writer> trace_writer::open(const std::filesystem::path& path) {
  trace_writer w;
  w.path_ = path.string();
  if (path == "-") {
    w.file_.reset(stdout);
  } else {
    w.file_.reset(std::fopen(path.c_str(), "wb"));
    if (!w.file_) return common::fail(common::errc::io, w.path_ + ": cannot open for writing");
  }
  return w;
}

common::status trace_writer::flush() {
  if (!file_) return {};
  std::fwrite(buffer_.data(), 1, buffer_.size(), file_.get());
  buffer_.clear();
  if (std::fflush(file_.get()) != 0 || std::ferror(file_.get()) != 0) {
    return common::fail(common::errc::io, path_ + ": write error");
  }
  return {};
}

void trace_writer::write(const sim_event& event, const group_model& model) {
  buffer_ += format_trace_line(event, model);
  buffer_ += '\n';
  ++lines_;
  if (buffer_.size() >= 1 << 16) {
    std::fwrite(buffer_.data(), 1, buffer_.size(), file_.get());
    buffer_.clear();
  }
}

common::status trace_writer::close() {
  if (!file_) return {};
  std::fwrite(buffer_.data(), 1, buffer_.size(), file_.get());
  buffer_.clear();
  const bool failed = std::fflush(file_.get()) != 0 || std::ferror(file_.get()) != 0;
  file_.reset();
  if (failed) return common::fail(common::errc::io, path_ + ": write error");
  return {};
}

}  // namespace hoistway::sim

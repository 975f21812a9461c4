// The --trace output: one JSON object per line for every event of the model, with the state of
// the event's car at that moment: t_ms, car, event, floor, position_mm, speed_mm_s, dir, door,
// mode, load_kg, in_door_zone, alarm, faults, plus event-specific fields (see
// format_trace_line). Group events (landing calls, scenario actions) have "car":null and null
// car fields.
// Thread-safety: a writer is owned by the model's thread.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "hoistway/common/result.hpp"
#include "hoistway/sim/group_model.hpp"
#include "hoistway/sim/sim_event.hpp"

namespace hoistway::sim {

// One trace line (without the newline) for `event`, reading car state from `model`.
std::string format_trace_line(const sim_event& event, const group_model& model);

class trace_writer {
 public:
  // Opens (truncates) the file; "-" writes to stdout. Errors: errc::io.
  static common::result<trace_writer> open(const std::filesystem::path& path);

  void write(const sim_event& event, const group_model& model);
  // Writes out what is buffered (real-time runs flush every tick, so the file can be tailed).
  common::status flush();
  // Flushes; reports a write error that happened since opening.
  common::status close();
  std::uint64_t lines() const noexcept { return lines_; }

 private:
  struct file_closer {
    void operator()(std::FILE* f) const noexcept;
  };
  std::unique_ptr<std::FILE, file_closer> file_;
  std::string path_;
  std::uint64_t lines_ = 0;
  std::string buffer_;
};

}  // namespace hoistway::sim

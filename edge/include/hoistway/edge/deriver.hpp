// Turns successive controller reads into records: run-state changes at once, periodic full
// snapshots, and the events a monitoring centre needs (trips, door cycles, faults, entrapments,
// mode changes, power, earthquake operation). Pure logic: no I/O, time comes in with each read.
// Thread-safety: one thread owns a deriver.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "hoistway/common/controller_state.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/edge/fault_catalog.hpp"

namespace hoistway::edge {

struct deriver_options {
  std::chrono::milliseconds snapshot_interval{60'000};
  // A car stopped outside the door zone, loaded, doors closed, for this long is an entrapment.
  std::chrono::milliseconds entrapment_after{30'000};
  std::uint16_t occupied_load_kg = 20;
  // Usage roll-ups (trips, starts, door cycles, running time, distance) per car per interval;
  // intervals end on wall-clock multiples of it (…:00, :15, :30, :45 for 15 min).
  std::chrono::milliseconds rollup_interval{900'000};
  // Severity of each fault code, and which ones take the car out of service.
  fault_catalog faults = fault_catalog::builtin();
};

// A derived record body for one car, with the times of the read that produced it.
struct derived {
  std::uint8_t car = 0;
  common::record_body body;
};

class deriver {
 public:
  explicit deriver(deriver_options options) : options_(std::move(options)) {}

  // One read of the group at monotonic `mono_ms` / wall `wall_ms`. Usage roll-ups come after
  // the read's other records, one per car, when an interval ends.
  std::vector<derived> observe(const common::group_state& group, std::int64_t mono_ms,
                               std::int64_t wall_ms);
  // Forces a snapshot of every car on the next observe() (e.g. on a cloud request).
  void request_snapshot() { snapshot_due_ = true; }

  // In service: normal (or parking) mode, power on, safety chain closed, and no active fault
  // that blocks service (warnings do not). Reads only the options: safe from any thread.
  bool in_service(const common::car_state& car) const;
  common::run_state to_run_state(const common::car_state& car, bool snapshot) const;

 private:
  struct car_track {
    common::car_state last;
    std::int64_t last_snapshot_mono = 0;
    // Trip in progress.
    bool moving = false;
    std::int16_t trip_from = 0;
    std::int64_t trip_start_wall = 0;
    std::int64_t trip_start_mono = 0;
    std::int32_t trip_start_pos = 0;
    std::uint32_t trip_peak_speed = 0;
    std::uint64_t trip_distance = 0;
    // Door cycle in progress.
    bool door_cycle = false;
    std::int64_t door_open_mono = 0;
    std::uint16_t door_reopens = 0;
    // Entrapment.
    std::optional<std::int64_t> stuck_since_mono;
    bool entrapped = false;
    // Usage in the current roll-up interval.
    std::int64_t last_mono = 0;
    std::uint32_t trips = 0;
    std::uint32_t starts = 0;
    std::uint32_t door_cycles = 0;
    std::int64_t running_ms = 0;
    std::uint64_t distance_mm = 0;
  };

  void derive_car(car_track& track, const common::car_state& now, std::int64_t mono_ms,
                  std::int64_t wall_ms, std::vector<derived>& out);

  void roll_up(std::int64_t mono_ms, std::int64_t wall_ms, std::vector<derived>& out);

  deriver_options options_;
  std::vector<std::optional<car_track>> cars_;
  bool snapshot_due_ = false;
  // The current roll-up interval (0 until the first read).
  std::int64_t rollup_start_wall_ = 0;
  std::int64_t rollup_start_mono_ = 0;
  std::int64_t rollup_due_mono_ = 0;
};

}  // namespace hoistway::edge

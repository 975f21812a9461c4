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
#include "hoistway/edge/trip_tracker.hpp"

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
  // The building's landing levels (mm above the lowest, one per landing, strictly ascending):
  // trips are placed by position against them. Empty: the controller's answer is used, and
  // without one the settled floor indication.
  std::vector<std::int32_t> landing_levels_mm;
  trip_tracker_options tracking;
};

// How a car's usage roll-ups agree with the controller's own counters, since the deriver began.
// Where the controller offers counters, a roll-up's starts, door cycles, running time and
// distance are the counters' growth over the interval (they cannot miss a run between two
// reads); trips, which a controller does not count, are always derived.
struct usage_reconciliation {
  std::uint64_t rollups = 0;
  std::uint64_t from_counters = 0;         // roll-ups whose figures are the controller's
  std::uint64_t counters_missing = 0;      // the controller offered none (at either end)
  std::uint64_t counters_reset = 0;        // a counter went backwards (board swapped or reset)
  std::uint64_t counters_implausible = 0;  // a counter grew faster than a car can
  // Controller minus derived, summed over the roll-ups taken from counters.
  std::int64_t starts_diff = 0;
  std::int64_t door_cycles_diff = 0;
  std::int64_t running_ms_diff = 0;
  std::int64_t distance_mm_diff = 0;
};

// A derived record body for one car, with the times of the read that produced it.
struct derived {
  std::uint8_t car = 0;
  common::record_body body;
};

class deriver {
 public:
  explicit deriver(deriver_options options);

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

  // Per car index (empty slots for cars never seen).
  std::vector<usage_reconciliation> reconciliation() const;
  // Landing tables the controller answered that were not strictly ascending (ignored).
  std::uint64_t landing_tables_rejected() const noexcept { return landing_tables_rejected_; }
  // The landing table in use: configured, answered by the controller, or learned from doors
  // open at settled floor indications (empty: the settled floor indication is used).
  const landing_table& landings() const noexcept { return landings_; }

 private:
  struct car_track {
    common::car_state last;
    std::int64_t last_snapshot_mono = 0;
    trip_tracker trips_seen;
    // Door cycle in progress.
    bool door_cycle = false;
    std::int64_t door_open_mono = 0;
    std::uint16_t door_reopens = 0;
    bool reopens_reported = false;  // the controller counts reopens (some never do)
    std::int64_t closing_since_mono = 0;
    std::int64_t full_close_ms = 0;  // how long the last complete closing was seen to take
    std::int64_t last_door_mono = 0;
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
    // The controller's counters at the start of the roll-up interval and at the last read.
    std::optional<common::car_counters> counters_start;
    std::optional<common::car_counters> counters_last;
    usage_reconciliation reconciled;
  };

  // The table to use for this read: the configured one, else the controller's if valid.
  void update_landings(const common::group_state& group);
  void learn_landings(const common::group_state& group, std::int64_t mono_ms);

  void derive_car(car_track& track, const common::car_state& now, std::int64_t mono_ms,
                  std::int64_t wall_ms, std::vector<derived>& out);

  // Takes starts, door cycles, running time and distance from the controller's counters when
  // they can be believed, and counts how they differ from the derived figures.
  void reconcile(car_track& track, std::int64_t elapsed_ms, common::usage_rollup& u);
  void roll_up(std::int64_t mono_ms, std::int64_t wall_ms, std::vector<derived>& out);

  deriver_options options_;
  std::vector<std::optional<car_track>> cars_;
  bool snapshot_due_ = false;
  landing_table configured_landings_;
  landing_table landings_;
  std::vector<std::int32_t> answered_levels_;  // the controller's last table, as answered
  std::uint64_t landing_tables_rejected_ = 0;
  struct learned_level {
    std::int32_t level_mm = 0;
    std::uint32_t sightings = 0;
    std::int64_t last_mono = 0;
  };
  std::vector<learned_level> learned_;  // one per landing (group.floors, at most 256)
  landing_table learned_table_;
  // The current roll-up interval (0 until the first read).
  std::int64_t rollup_start_wall_ = 0;
  std::int64_t rollup_start_mono_ = 0;
  std::int64_t rollup_due_mono_ = 0;
};

}  // namespace hoistway::edge

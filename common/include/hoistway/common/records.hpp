// The domain records an edge agent derives and the cloud stores: one struct per record body of
// schemas/records.fbs, a record (sequence number, car, times, body), and a batch.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hoistway/common/controller_state.hpp"

namespace hoistway::common {

struct run_state {
  std::int32_t position_mm = 0;
  std::int32_t speed_mm_s = 0;
  std::int16_t floor = 0;
  direction dir = direction::none;
  door_state door = door_state::unknown;
  std::uint16_t load_kg = 0;
  car_mode mode = car_mode::unknown;
  bool in_door_zone = false;
  bool alarm = false;
  std::vector<std::uint16_t> fault_codes;
  bool snapshot = false;
  bool in_service = false;
  bool operator==(const run_state&) const = default;
};

struct trip {
  std::int16_t from_floor = 0;
  std::int16_t to_floor = 0;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::uint32_t duration_ms = 0;
  std::uint32_t peak_speed_mm_s = 0;
  std::uint32_t distance_mm = 0;
  bool operator==(const trip&) const = default;
};

struct door_cycle {
  std::int16_t floor = 0;
  std::uint32_t open_ms = 0;
  std::uint16_t reopens = 0;
  bool operator==(const door_cycle&) const = default;
};

struct fault_event {
  std::uint16_t code = 0;
  severity level = severity::info;
  bool raised = true;
  bool operator==(const fault_event&) const = default;
};

struct entrapment {
  bool started = true;
  std::int16_t floor = 0;
  std::int32_t position_mm = 0;
  std::uint16_t load_kg = 0;
  bool alarm = false;
  bool operator==(const entrapment&) const = default;
};

struct mode_change {
  car_mode from = car_mode::unknown;
  car_mode to = car_mode::unknown;
  bool operator==(const mode_change&) const = default;
};

struct power_change {
  bool lost = true;
  bool operator==(const power_change&) const = default;
};

struct earthquake_operation {
  bool started = true;
  std::int16_t floor = 0;
  bool operator==(const earthquake_operation&) const = default;
};

struct technician_visit {
  bool started = true;
  std::string visit_id;
  std::string technician;
  bool operator==(const technician_visit&) const = default;
};

struct checklist_item {
  std::string visit_id;
  std::string item;
  bool ok = true;
  std::string note;
  bool operator==(const checklist_item&) const = default;
};

struct usage_rollup {
  std::int64_t interval_start_ms = 0;
  std::uint32_t interval_s = 0;
  std::uint32_t trips = 0;
  std::uint32_t starts = 0;
  std::uint32_t door_cycles = 0;
  std::uint32_t running_s = 0;
  std::uint64_t distance_mm = 0;
  bool operator==(const usage_rollup&) const = default;
};

struct clock_jump {
  std::int64_t delta_ms = 0;
  bool operator==(const clock_jump&) const = default;
};

struct outbox_drop {
  std::uint64_t dropped_samples = 0;
  std::uint64_t dropped_other = 0;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  bool operator==(const outbox_drop&) const = default;
};

// Alternatives are in the order of the RecordBody union (index + 1 = union type).
using record_body = std::variant<run_state, trip, door_cycle, fault_event, entrapment, mode_change,
                                 power_change, earthquake_operation, technician_visit,
                                 checklist_item, usage_rollup, clock_jump, outbox_drop>;

// The record kind's name as used in storage, the HTTP API and the CLI ("run_state", "trip", …).
std::string_view kind_name(const record_body& body) noexcept;
// Samples may be compacted or dropped under outbox pressure; every other kind is an event.
inline bool is_sample(const record_body& body) noexcept {
  return std::holds_alternative<run_state>(body);
}

struct record {
  std::uint64_t seq = 0;
  std::uint8_t car = 0;
  std::int64_t wall_ms = 0;
  std::int64_t mono_ms = 0;
  std::uint32_t boot = 0;
  record_body body;
  bool operator==(const record&) const = default;
};

struct batch {
  std::string device_id;
  std::uint32_t boot = 0;
  std::string boot_id;
  std::int64_t sent_at_ms = 0;
  std::uint64_t outbox_floor = 0;  // the agent holds no record below this seq
  std::uint64_t covers_from = 0;   // missing seqs in [covers_from, last record] were dropped
  std::vector<record> records;
  bool operator==(const batch&) const = default;
};

}  // namespace hoistway::common

// What the agent knows of a controller's fault codes: each code's severity and whether it takes
// the car out of service. A warning (a slow door, a lengthening brake distance) is a fault the
// portal shows, but the car still carries passengers and is counted as available.
//
// The built-in catalogue is that of the controller family hoistway-sim models (codes grouped by
// hundreds: 1xx doors, 2xx leveling, 3xx safety chain, 4xx drive, 5xx power, 6xx seismic,
// 7xx building alarms). Codes it does not know are judged by their hundreds, and anything major or
// worse counts as out of service: an unknown fault is not assumed harmless. Sites with another
// controller family override or add codes in the agent's config ([[faults]]).
// Thread-safety: immutable after construction; safe to read from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

#include "hoistway/common/controller_state.hpp"

namespace hoistway::edge {

struct fault_info {
  common::severity level = common::severity::major;
  bool blocks_service = true;
};

class fault_catalog {
 public:
  // The catalogue of the simulated controller family (see above).
  static fault_catalog builtin();

  // Adds a code or replaces what is known of it.
  void set(std::uint16_t code, fault_info info) { known_[code] = info; }

  // What is known of `code`, or the judgement by its hundreds for an unknown one.
  fault_info lookup(std::uint16_t code) const;
  bool knows(std::uint16_t code) const { return known_.contains(code); }

  bool operator==(const fault_catalog&) const = default;

 private:
  std::map<std::uint16_t, fault_info> known_;
};

// "info" | "minor" | "major" | "critical"
std::optional<common::severity> parse_severity(std::string_view text);

}  // namespace hoistway::edge

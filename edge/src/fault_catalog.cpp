// The fault-code catalogue of the controller family the agent reads.
#include "hoistway/edge/fault_catalog.hpp"

namespace hoistway::edge {

using common::severity;

fault_catalog fault_catalog::builtin() {
  fault_catalog c;
  c.set(101, {severity::major, true});     // door lock failure: the car cannot leave
  c.set(102, {severity::minor, true});     // door obstruction: the doors cannot close
  c.set(103, {severity::minor, false});    // slow door close: a warning
  c.set(201, {severity::minor, false});    // leveling error: relevels and runs on
  c.set(301, {severity::critical, true});  // safety chain open
  c.set(302, {severity::critical, true});  // entrapment (stuck between floors)
  c.set(401, {severity::major, true});     // drive tripped
  c.set(402, {severity::major, false});    // brake distance above limit: a warning to act on
  c.set(501, {severity::major, true});     // power failure
  c.set(601, {severity::critical, true});  // earthquake sensor
  c.set(701, {severity::major, false});    // building fire alarm: the mode (fire recall) says it
  return c;
}

fault_info fault_catalog::lookup(std::uint16_t code) const {
  if (const auto it = known_.find(code); it != known_.end()) return it->second;
  severity level = severity::major;
  switch (code / 100) {
    case 1:
    case 2:
      level = severity::minor;
      break;
    case 3:
    case 6:
      level = severity::critical;
      break;
    default:
      break;
  }
  return {level, level >= severity::major};
}

std::optional<severity> parse_severity(std::string_view text) {
  for (const auto s : {severity::info, severity::minor, severity::major, severity::critical}) {
    if (common::to_string(s) == text) return s;
  }
  return std::nullopt;
}

}  // namespace hoistway::edge

// Names of the record kinds, as stored and as the HTTP API and CLI show them.
#include "hoistway/common/records.hpp"

#include <iterator>

namespace hoistway::common {

std::string_view kind_name(const record_body& body) noexcept {
  static constexpr std::string_view names[] = {"run_state",      "trip",         "door_cycle",
                                               "fault",          "entrapment",   "mode_change",
                                               "power_change",   "earthquake",   "technician_visit",
                                               "checklist_item", "usage_rollup", "clock_jump",
                                               "outbox_drop"};
  static_assert(std::size(names) == std::variant_size_v<record_body>);
  return names[body.index()];
}

}  // namespace hoistway::common

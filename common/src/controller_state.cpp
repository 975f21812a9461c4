// Names of the controller-state enums, as they appear in JSON (HTTP API, traces, CLI).
#include "hoistway/common/controller_state.hpp"

namespace hoistway::common {

std::string_view to_string(direction value) noexcept {
  switch (value) {
    case direction::none:
      return "none";
    case direction::up:
      return "up";
    case direction::down:
      return "down";
  }
  return "unknown";
}

std::string_view to_string(door_state value) noexcept {
  switch (value) {
    case door_state::closed:
      return "closed";
    case door_state::opening:
      return "opening";
    case door_state::open:
      return "open";
    case door_state::closing:
      return "closing";
    case door_state::unknown:
      return "unknown";
  }
  return "unknown";
}

std::string_view to_string(car_mode value) noexcept {
  switch (value) {
    case car_mode::normal:
      return "normal";
    case car_mode::inspection:
      return "inspection";
    case car_mode::independent:
      return "independent";
    case car_mode::fire_recall:
      return "fire_recall";
    case car_mode::earthquake:
      return "earthquake";
    case car_mode::power_failure:
      return "power_failure";
    case car_mode::out_of_service:
      return "out_of_service";
    case car_mode::parking:
      return "parking";
    case car_mode::unknown:
      return "unknown";
  }
  return "unknown";
}

std::string_view to_string(severity value) noexcept {
  switch (value) {
    case severity::info:
      return "info";
    case severity::minor:
      return "minor";
    case severity::major:
      return "major";
    case severity::critical:
      return "critical";
  }
  return "unknown";
}

}  // namespace hoistway::common

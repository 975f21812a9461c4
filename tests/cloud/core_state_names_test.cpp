// The names of the cloud's states at the JSON and SQL edge: each enum's text reads back as the
// same value, and nothing else reads back (command states are held in core_commands_test).
#include <doctest/doctest.h>

#include "hoistway/cloud/ingest/projector.hpp"
#include "hoistway/cloud/live/event_bus.hpp"

namespace {

namespace hc = hoistway::cloud;

TEST_CASE("alert_kind: the alerts table's text reads back") {
  for (auto k : {hc::alert_kind::entrapment, hc::alert_kind::out_of_service, hc::alert_kind::fault,
                 hc::alert_kind::earthquake, hc::alert_kind::device_offline}) {
    CHECK(hc::parse_alert_kind(hc::to_string(k)) == k);
  }
  CHECK(hc::to_string(hc::alert_kind::out_of_service) == "out_of_service");
  CHECK_FALSE(hc::parse_alert_kind("fire").has_value());
  CHECK_FALSE(hc::parse_alert_kind("unknown").has_value());
}

TEST_CASE("push_type: the stream's event names") {
  CHECK(hc::to_string(hc::push_type::status) == "status");
  CHECK(hc::to_string(hc::push_type::alert) == "alert");
}

}  // namespace

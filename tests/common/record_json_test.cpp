// to_json_text: the ingest's direct JSON writer must give exactly nlohmann's dump(), byte for
// byte, since the stored text (records.body, events.body, unit_status) is what readers parse.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "hoistway/common/record_json.hpp"

namespace hc = hoistway::common;
using hoistway::common::to_json;
using hoistway::common::to_json_text;

TEST_CASE("record_json: to_json_text equals to_json().dump() for every body") {
  std::mt19937 rng(7);
  auto any = [&rng](auto lo, auto hi) {
    return static_cast<decltype(lo)>(std::uniform_int_distribution<std::int64_t>(
        static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi))(rng));
  };
  for (int i = 0; i < 2000; ++i) {
    hc::run_state s;
    s.position_mm =
        any(std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max());
    s.speed_mm_s = any(-5000, 5000);
    s.floor =
        any(std::numeric_limits<std::int16_t>::min(), std::numeric_limits<std::int16_t>::max());
    s.dir = static_cast<hc::direction>(any(0, 2));
    s.door = static_cast<hc::door_state>(any(0, static_cast<int>(hc::door_state::unknown)));
    s.load_kg = any(std::uint16_t{0}, std::numeric_limits<std::uint16_t>::max());
    s.mode = static_cast<hc::car_mode>(any(0, static_cast<int>(hc::car_mode::unknown)));
    s.in_door_zone = any(0, 1) == 1;
    s.alarm = any(0, 1) == 1;
    s.snapshot = any(0, 1) == 1;
    s.in_service = any(0, 1) == 1;
    for (int k = any(0, 3); k > 0; --k)
      s.fault_codes.push_back(any(std::uint16_t{0}, std::uint16_t{65535}));
    REQUIRE(to_json_text(s) == to_json(s).dump());
    REQUIRE(to_json_text(hc::record_body(s)) == to_json(hc::record_body(s)).dump());
    REQUIRE(hc::run_state_from_json_text(to_json_text(s)) == s);  // the inverse

    hc::trip t{any(std::int16_t{-5}, std::int16_t{200}),
               any(std::int16_t{-5}, std::int16_t{200}),
               any(std::int64_t{0}, std::numeric_limits<std::int64_t>::max()),
               any(std::int64_t{-1}, std::int64_t{1'900'000'000'000}),
               any(std::uint32_t{0}, std::numeric_limits<std::uint32_t>::max()),
               any(std::uint32_t{0}, std::uint32_t{20000}),
               any(std::uint32_t{0}, std::numeric_limits<std::uint32_t>::max())};
    REQUIRE(to_json_text(hc::record_body(t)) == to_json(hc::record_body(t)).dump());

    hc::door_cycle d{any(std::int16_t{-3}, std::int16_t{300}),
                     any(std::uint32_t{0}, std::numeric_limits<std::uint32_t>::max()),
                     any(std::uint16_t{0}, std::uint16_t{65535})};
    REQUIRE(to_json_text(hc::record_body(d)) == to_json(hc::record_body(d)).dump());
  }
  // The other bodies take nlohmann's path.
  const hc::record_body visit = hc::technician_visit{true, "v-1", "Tanaka \"Ken\""};
  CHECK(to_json_text(visit) == to_json(visit).dump());
}

TEST_CASE("record_json: run_state_from_json_text reads what is there and defaults the rest") {
  CHECK_FALSE(hc::run_state_from_json_text("").has_value());
  CHECK_FALSE(hc::run_state_from_json_text("[1,2]").has_value());
  CHECK_FALSE(hc::run_state_from_json_text("{\"floor\":").has_value());
  CHECK(hc::run_state_from_json_text("{}") == hc::run_state{});
  // Wrong types, out-of-range numbers and unknown names read as the defaults, never throw.
  const auto odd = hc::run_state_from_json_text(
      R"({"floor":"3","load_kg":70000,"speed_mm_s":1.5,"mode":"warp","door":"ajar",)"
      R"("direction":"sideways","alarm":1,"fault_codes":[101,-1,70000,"x",202],"in_service":true})");
  REQUIRE(odd.has_value());
  CHECK(odd->floor == 0);
  CHECK(odd->load_kg == 0);
  CHECK(odd->speed_mm_s == 0);
  CHECK(odd->mode == hc::car_mode::unknown);
  CHECK(odd->door == hc::door_state::unknown);
  CHECK(odd->dir == hc::direction::none);
  CHECK_FALSE(odd->alarm);
  CHECK(odd->fault_codes == std::vector<std::uint16_t>{101, 202});
  CHECK(odd->in_service);
  CHECK(hc::car_mode_named("fire_recall") == hc::car_mode::fire_recall);
  CHECK(hc::car_mode_named("") == hc::car_mode::unknown);
}

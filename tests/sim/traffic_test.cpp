// Passenger traffic volumes and shapes per profile, and realistic trips per car and day.
#include <doctest/doctest.h>

#include "hoistway/sim/group_model.hpp"
#include "hoistway/sim/traffic.hpp"
#include "sim_test_util.hpp"

using namespace hoistway::sim;

namespace {

struct counts {
  std::uint64_t total = 0;
  std::array<std::uint64_t, 24> incoming{};
  std::array<std::uint64_t, 24> outgoing{};
};

counts generate(const traffic_spec& spec, std::int16_t floors, std::int64_t until_ms) {
  traffic_generator gen(spec, floors, 99);
  counts c;
  while (gen.next_arrival_ms() < until_ms) {
    const auto p = gen.pop();
    ++c.total;
    const auto hour =
        static_cast<std::size_t>((p.arrival_ms / 1000 + spec.start_time_of_day_s) % 86'400 / 3600);
    if (p.kind == journey_kind::incoming) ++c.incoming[hour];
    if (p.kind == journey_kind::outgoing) ++c.outgoing[hour];
    REQUIRE(p.origin != p.destination);
    REQUIRE(p.origin >= 0);
    REQUIRE(p.destination < floors);
  }
  return c;
}

}  // namespace

TEST_CASE("arrival volumes match the profile within 5 % over three days") {
  for (auto profile : {traffic_profile::office, traffic_profile::residential}) {
    CAPTURE(to_string(profile));
    traffic_spec spec;
    spec.profile = profile;
    spec.population = 500;
    spec.start_time_of_day_s = 0;
    const std::int64_t three_days = 3 * 86'400'000LL;
    const auto c = generate(spec, 12, three_days);
    const double expected = expected_journeys(spec, 0, three_days);
    CHECK(static_cast<double>(c.total) == doctest::Approx(expected).epsilon(0.05));
  }
}

TEST_CASE("office traffic has an up-peak, a lunch peak, a down-peak and quiet nights") {
  traffic_spec spec;
  spec.profile = traffic_profile::office;
  spec.population = 1000;
  spec.start_time_of_day_s = 0;
  const auto c = generate(spec, 10, 86'400'000);
  CHECK(c.incoming[8] > 5 * c.outgoing[8]);    // 08-09 up-peak
  CHECK(c.outgoing[17] > 5 * c.incoming[17]);  // 17-18 down-peak
  CHECK(c.outgoing[12] > c.outgoing[10] * 3);  // lunch
  CHECK(c.incoming[3] + c.outgoing[3] < 10);   // night
}

TEST_CASE("residential traffic goes down in the morning and up in the evening") {
  traffic_spec spec;
  spec.profile = traffic_profile::residential;
  spec.population = 1000;
  spec.start_time_of_day_s = 0;
  const auto c = generate(spec, 15, 86'400'000);
  CHECK(c.outgoing[7] > 3 * c.incoming[7]);
  CHECK(c.incoming[18] > 2 * c.outgoing[18]);
}

TEST_CASE("office weekends are quiet, residential ones are not") {
  for (auto profile : {traffic_profile::office, traffic_profile::residential}) {
    traffic_spec spec;
    spec.profile = profile;
    spec.population = 1000;
    spec.start_time_of_day_s = 0;
    spec.start_day = 4;  // Friday
    const auto friday = generate(spec, 10, 86'400'000).total;
    spec.start_day = 5;  // Saturday
    const auto saturday = generate(spec, 10, 86'400'000).total;
    if (profile == traffic_profile::office) {
      CHECK(saturday * 5 < friday);
    } else {
      CHECK(saturday * 10 > friday * 9);
    }
    // A whole week matches its expectation too (the weekend switch crosses midnight).
    spec.start_day = 3;
    spec.start_time_of_day_s = 12 * 3600;
    const auto week = generate(spec, 10, 7 * 86'400'000LL).total;
    CHECK(static_cast<double>(week) ==
          doctest::Approx(expected_journeys(spec, 0, 7 * 86'400'000LL)).epsilon(0.04));
  }
}

TEST_CASE("a busy office car makes several hundred to a few thousand trips a day") {
  group_model model(test::shipped_building("demo-office"), {}, 21);
  model.advance_to(86'400'000);
  for (const auto& car : model.statistics().cars) {
    CHECK(car.trips > 300);
    CHECK(car.trips < 5000);
    CHECK(car.door_cycles > 300);
  }
  const auto& s = model.statistics();
  CHECK(s.passengers_delivered > 2000);
  const double mean_wait_s =
      static_cast<double>(s.wait_ms_total) / static_cast<double>(s.passengers_boarded) / 1000.0;
  CHECK(mean_wait_s < 60.0);
}

// S-curve motion profiles: exact end points, limits respected, continuity, replanning.
#include <doctest/doctest.h>

#include <cmath>

#include "hoistway/sim/motion.hpp"

using hoistway::sim::motion_limits;
using hoistway::sim::motion_profile;

namespace {

// Samples a profile every millisecond and checks limits and continuity.
void check_profile(const motion_profile& p, const motion_limits& lim, double from, double to) {
  CHECK(p.at(0.0).position == doctest::Approx(from));
  CHECK(p.end_position() == to);
  CHECK(p.at(p.duration() + 1.0).position == to);
  CHECK(p.at(p.duration() + 1.0).speed == 0.0);
  double prev_pos = from;
  double prev_speed = p.at(0.0).speed;  // a replanned profile starts at cruise speed
  double prev_accel = p.at(0.0).accel;
  const double dt = 0.001;
  const double dir = to > from ? 1.0 : -1.0;
  for (double t = dt; t <= p.duration() + dt; t += dt) {
    const auto s = p.at(t);
    REQUIRE(std::abs(s.speed) <= lim.speed + 1e-6);
    REQUIRE(std::abs(s.accel) <= lim.accel + 1e-6);
    REQUIRE(std::abs(s.position - prev_pos) <= lim.speed * dt + 1e-6);
    REQUIRE((s.position - prev_pos) * dir >= -1e-6);  // never backs up
    REQUIRE(std::abs(s.speed - prev_speed) <= lim.accel * dt + 1e-6);
    REQUIRE(std::abs(s.accel - prev_accel) <= lim.jerk * dt + 1e-3);
    prev_pos = s.position;
    prev_speed = s.speed;
    prev_accel = s.accel;
  }
  CHECK(prev_pos == doctest::Approx(to).epsilon(1e-9));
}

}  // namespace

TEST_CASE("trips of every length end exactly at the target within the limits") {
  const motion_limits lim{1600.0, 900.0, 1200.0, 80.0, 40.0};
  for (double distance : {3.0, 30.0, 60.0, 300.0, 1000.0, 3600.0, 4500.0, 12000.0, 33300.0}) {
    CAPTURE(distance);
    check_profile(motion_profile::trip(0.0, distance, lim), lim, 0.0, distance);
    check_profile(motion_profile::trip(distance + 500.0, 500.0, lim), lim, distance + 500.0, 500.0);
  }
}

TEST_CASE("a long trip reaches rated speed and cruises, a short one does not") {
  const motion_limits lim{1600.0, 900.0, 1200.0, 80.0, 40.0};
  const auto long_trip = motion_profile::trip(0.0, 33300.0, lim);
  CHECK(long_trip.peak_speed() == doctest::Approx(1600.0));
  REQUIRE(long_trip.cruise_begin());
  CHECK(long_trip.at(*long_trip.cruise_begin() + 0.5).speed == doctest::Approx(1600.0));
  CHECK(long_trip.direction() == 1);
  const auto one_floor = motion_profile::trip(3600.0, 0.0, lim);
  CHECK(one_floor.peak_speed() < 1600.0);
  CHECK(one_floor.direction() == -1);
  // A typical one-floor run of 3.6 m takes a few seconds.
  CHECK(one_floor.duration() > 3.0);
  CHECK(one_floor.duration() < 8.0);
}

TEST_CASE("the last part of a trip is the creep at leveling speed") {
  const motion_limits lim{1600.0, 900.0, 1200.0, 80.0, 40.0};
  const auto p = motion_profile::trip(0.0, 10000.0, lim);
  auto t = p.time_at(10000.0 - 20.0);
  REQUIRE(t);
  CHECK(p.at(*t).speed <= 80.0 + 1e-6);
  CHECK(p.at(*t).speed > 10.0);
}

TEST_CASE("time_at finds the crossing of intermediate levels in order") {
  const motion_limits lim{1600.0, 900.0, 1200.0, 80.0, 40.0};
  const auto p = motion_profile::trip(0.0, 33300.0, lim);
  double prev = 0.0;
  for (double level : {4500.0, 8100.0, 11700.0, 15300.0, 29700.0}) {
    auto t = p.time_at(level);
    REQUIRE(t);
    CHECK(*t > prev);
    CHECK(p.at(*t).position == doctest::Approx(level).epsilon(1e-6));
    prev = *t;
  }
  CHECK_FALSE(p.time_at(-10.0));
  CHECK_FALSE(p.time_at(40000.0));
}

TEST_CASE("stopping earlier during the cruise is continuous and respects the limits") {
  const motion_limits lim{1600.0, 900.0, 1200.0, 80.0, 40.0};
  const auto p = motion_profile::trip(0.0, 33300.0, lim);
  REQUIRE(p.cruise_begin());
  const double t = *p.cruise_begin() + 1.0;
  const auto earliest = p.earliest_stop(t, lim);
  REQUIRE(earliest);
  CHECK_FALSE(p.stop_earlier(t, *earliest - 100.0, lim));  // too close to stop
  const double target = std::ceil(*earliest / 3600.0) * 3600.0 + 900.0;
  const auto q = p.stop_earlier(t, target, lim);
  REQUIRE(q);
  CHECK(q->at(0.0).position == doctest::Approx(p.at(t).position));
  CHECK(q->at(0.0).speed == doctest::Approx(p.at(t).speed));
  check_profile(*q, lim, p.at(t).position, target);
}

TEST_CASE("a brake stop decelerates at the brake's rate from the current state") {
  const auto p = motion_profile::brake_stop({10000.0, -1600.0, 0.0}, 2500.0);
  CHECK(p.duration() == doctest::Approx(0.64));
  CHECK(p.end_position() == doctest::Approx(10000.0 - 1600.0 * 1600.0 / 5000.0));
  CHECK(p.at(0.32).speed == doctest::Approx(-800.0));
  CHECK(p.at(1.0).speed == 0.0);
}

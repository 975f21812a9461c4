// Jerk-limited (S-curve) motion of a car along its hoistway: a profile is a sequence of
// constant-jerk segments, so position, speed and acceleration are exact closed forms at any
// time. Trips end with a creep at leveling speed into the landing. Pure math, no I/O.
// Units: mm, mm/s, mm/s^2, mm/s^3, seconds relative to the profile's start.
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <vector>

namespace hoistway::sim {

struct motion_limits {
  double speed = 1600.0;
  double accel = 900.0;
  double jerk = 1200.0;
  double leveling_speed = 80.0;
  double leveling_distance = 40.0;  // 0: no creep (inspection and rescue moves)
};

struct motion_sample {
  double position = 0.0;
  double speed = 0.0;  // signed
  double accel = 0.0;  // signed
};

class motion_profile {
 public:
  // A car at rest at `position`.
  static motion_profile at_rest(double position);
  // Rest to rest from `from` to `to` within `limits`, ending with the leveling creep.
  static motion_profile trip(double from, double to, const motion_limits& limits);
  // Machine-brake stop from `state` at constant deceleration (no jerk limit: an emergency).
  static motion_profile brake_stop(const motion_sample& state, double deceleration);

  motion_sample at(double t) const;
  double duration() const noexcept { return duration_; }
  double end_position() const noexcept { return end_position_; }
  double peak_speed() const noexcept { return peak_speed_; }
  bool moving() const noexcept { return duration_ > 0.0; }
  int direction() const noexcept { return direction_; }  // +1 up, -1 down, 0 at rest

  // When the car cruises at constant peak speed: [begin, end) in profile time, if it does.
  std::optional<double> cruise_begin() const noexcept { return cruise_begin_; }
  std::optional<double> cruise_end() const noexcept { return cruise_end_; }

  // Replans from time `t` (within the cruise) to stop at `to` instead, if the car can still
  // stop there within the limits; the new profile starts at `t`.
  std::optional<motion_profile> stop_earlier(double t, double to,
                                             const motion_limits& limits) const;
  // The nearest position ahead at which a stop planned at time `t` (within the cruise) can end.
  std::optional<double> earliest_stop(double t, const motion_limits& limits) const;

  // First time the position reaches `level` (strictly moving towards it), if it does.
  std::optional<double> time_at(double level) const;

  // Distance for an S-curve speed change between v1 and v2 (both >= 0).
  static double transition_distance(double v1, double v2, const motion_limits& limits);
  static double transition_time(double v1, double v2, const motion_limits& limits);

 private:
  struct segment {
    double t0 = 0.0;
    double duration = 0.0;
    double p0 = 0.0;
    double v0 = 0.0;
    double a0 = 0.0;
    double jerk = 0.0;
  };
  class builder;

  std::vector<segment> segments_;
  double duration_ = 0.0;
  double start_position_ = 0.0;
  double end_position_ = 0.0;
  double peak_speed_ = 0.0;
  int direction_ = 0;
  std::optional<double> cruise_begin_;
  std::optional<double> cruise_end_;
};

}  // namespace hoistway::sim

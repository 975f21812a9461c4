// Durations and times of day as people write them in building files, scenarios and on the
// command line: "90", "90s", "250ms", "15m", "2h", "3d", "1h30m", "01:30:00".
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hoistway/common/result.hpp"

namespace hoistway::sim {

// A duration in ms; a bare number means seconds. Negative values are rejected.
common::result<std::int64_t> parse_duration_ms(std::string_view text);
// "HH:MM" or "HH:MM:SS" within one day, in seconds since midnight.
common::result<std::int32_t> parse_time_of_day_s(std::string_view text);
// "d+hh:mm:ss.mmm" for logs.
std::string format_sim_time(std::int64_t t_ms);

}  // namespace hoistway::sim

// Tests of time.hpp: RFC 3339 text and the clocks.
#include "hoistway/common/time.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace {

namespace hc = hoistway::common;

// 2024-02-29T12:34:56.789Z
constexpr std::int64_t leap_day_ms = 1'709'210'096'789;

}  // namespace

TEST_CASE("format_rfc3339 of known instants") {
  CHECK(hc::format_rfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(hc::format_rfc3339(1) == "1970-01-01T00:00:00.001Z");
  CHECK(hc::format_rfc3339(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(hc::format_rfc3339(leap_day_ms) == "2024-02-29T12:34:56.789Z");
  CHECK(hc::format_rfc3339(1'709'251'199'999) == "2024-02-29T23:59:59.999Z");
  CHECK(hc::format_rfc3339(1'709'251'200'000) == "2024-03-01T00:00:00.000Z");
  CHECK(hc::format_rfc3339(1'700'000'000'000) == "2023-11-14T22:13:20.000Z");
  CHECK(hc::format_rfc3339(951'782'400'050) == "2000-02-29T00:00:00.050Z");
  CHECK(hc::format_rfc3339(253'402'300'799'999) == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("parse_rfc3339 with Z, offsets and fractions") {
  CHECK(hc::parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(hc::parse_rfc3339("1969-12-31T23:59:59.999Z") == -1);
  CHECK(hc::parse_rfc3339("2024-02-29T12:34:56.789Z") == leap_day_ms);
  CHECK(hc::parse_rfc3339("2024-02-29t12:34:56.789z") == leap_day_ms);
  CHECK(hc::parse_rfc3339("2024-02-29T21:34:56.789+09:00") == leap_day_ms);
  CHECK(hc::parse_rfc3339("2024-02-29T07:04:56.789-05:30") == leap_day_ms);
  CHECK(hc::parse_rfc3339("2024-02-29T12:34:56.789+00:00") == leap_day_ms);
  CHECK(hc::parse_rfc3339("2024-02-29T12:34:56.789-00:00") == leap_day_ms);
  // An offset that crosses the date line.
  CHECK(hc::parse_rfc3339("2024-03-01T08:34:56.789+20:00") == leap_day_ms);

  const std::int64_t whole = leap_day_ms - 789;
  CHECK(hc::parse_rfc3339("2024-02-29T12:34:56Z") == whole);
  CHECK(hc::parse_rfc3339("2024-02-29T12:34:56.7Z") == whole + 700);
  CHECK(hc::parse_rfc3339("2024-02-29T12:34:56.78Z") == whole + 780);
  CHECK(hc::parse_rfc3339("2024-02-29T12:34:56.789Z") == whole + 789);
  CHECK(hc::parse_rfc3339("2024-02-29T12:34:56.7891Z") == whole + 789);
  CHECK(hc::parse_rfc3339("2024-02-29T12:34:56.78919Z") == whole + 789);
  CHECK(hc::parse_rfc3339("2024-02-29T12:34:56.789999Z") == whole + 789);  // truncated
  CHECK(hc::parse_rfc3339("2024-02-29T12:34:56.05+09:00") == whole + 50 - 9 * 3'600'000);
}

TEST_CASE("parse_rfc3339 rejects malformed text") {
  const std::string_view bad[] = {
      "",
      "2024-02-29",
      "2024-02-29T12:34:56",      // no zone
      "2024-02-29T12:34:56.789",  // no zone
      "2024-02-29T12:34:56.Z",    // empty fraction
      "2024-02-29X12:34:56Z",     // wrong separator
      "2024/02/29T12:34:56Z",
      "2023-02-29T12:34:56Z",  // not a leap year
      "2024-02-30T12:34:56Z",
      "2024-13-01T12:34:56Z",
      "2024-00-01T12:34:56Z",
      "2024-01-00T12:34:56Z",
      "2024-01-01T24:00:00Z",
      "2024-01-01T23:60:00Z",
      "2024-01-01T23:59:61Z",
      "2024-01-01T12:34:56+0900",  // offset without colon
      "2024-01-01T12:34:56+09",
      "2024-01-01T12:34:56+09:",
      "2024-01-01T12:34:56+24:00",
      "2024-01-01T12:34:56+09:60",
      "2024-01-01T12:34:56ZZ",
      "2024-01-01T12:34:56Z ",
      " 2024-01-01T12:34:56Z",
      "2024-01-01T12:34:56+09:00Z",
      "+024-01-01T12:34:56Z",
      "2024-1-01T12:34:56Z0",
      "2024-01-01T1a:34:56Z",
      "2024-01-01T12:34:56,5Z",
  };
  for (const auto text : bad) {
    CAPTURE(text);
    CHECK_FALSE(hc::parse_rfc3339(text).has_value());
  }
}

TEST_CASE("format then parse is the identity over random instants") {
  std::mt19937_64 rng(1709210096);
  // Years 0001 to 9999: what four year digits can say.
  std::uniform_int_distribution<std::int64_t> instant(-62'135'596'800'000, 253'402'300'799'999);
  for (int i = 0; i < 5000; ++i) {
    const std::int64_t ms = instant(rng);
    const auto text = hc::format_rfc3339(ms);
    CAPTURE(ms);
    CAPTURE(text);
    REQUIRE(text.size() == 24);
    CHECK(hc::parse_rfc3339(text) == ms);
  }
}

TEST_CASE("manual_clock moves only when told") {
  hc::manual_clock clock(1'000, 50);
  CHECK(clock.wall_ms() == 1'000);
  CHECK(clock.mono_ms() == 50);
  clock.advance(250);
  CHECK(clock.wall_ms() == 1'250);
  CHECK(clock.mono_ms() == 300);
  clock.jump_wall(-10'000);  // the wall clock steps back; monotonic time does not
  CHECK(clock.wall_ms() == -8'750);
  CHECK(clock.mono_ms() == 300);
  const hc::clock& as_base = clock;
  CHECK(as_base.wall_ms() == -8'750);

  const hc::manual_clock defaults;
  CHECK(defaults.wall_ms() == 1'700'000'000'000);
  CHECK(defaults.mono_ms() == 0);
}

TEST_CASE("system_clock tracks the system time, its monotonic time does not go back") {
  const hc::system_clock clock;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  CHECK(clock.wall_ms() >= now - 1'000);
  CHECK(clock.wall_ms() <= now + 1'000);
  const auto a = clock.mono_ms();
  const auto b = clock.mono_ms();
  CHECK(b >= a);
}

// Tests of the controller-link codec (link_codec.hpp): messages and length-prefix framing.
#include "hoistway/common/link_codec.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace {

namespace hc = hoistway::common;
namespace hlink = hoistway::common::link;

hc::group_state three_car_group() {
  hc::group_state group;
  group.controller_id = "ctl-tower-b";
  group.firmware = "4.2.1-rc3";
  group.sim_time_ms = 86'400'123;
  group.floors = 24;
  for (std::uint8_t i = 0; i < 3; ++i) {
    hc::car_state car;
    car.car = i;
    car.position_mm = 3'200 * (i + 1) - 150;
    car.speed_mm_s = i == 1 ? -1'750 : 1'000 * i;
    car.floor = static_cast<std::int16_t>(5 + i);
    car.dir = i == 1 ? hc::direction::down : hc::direction::up;
    car.door = i == 2 ? hc::door_state::unknown : hc::door_state::opening;
    car.load_kg = static_cast<std::uint16_t>(300 + 70 * i);
    car.rated_load_kg = 1'600;
    car.mode = i == 2 ? hc::car_mode::unknown : hc::car_mode::independent;
    car.in_door_zone = false;  // default is true
    car.alarm = true;
    car.fault_codes = {static_cast<std::uint16_t>(100 + i), 4'000, 65'535};
    car.safety_chain_ok = false;  // default is true
    car.power_ok = false;         // default is true
    car.inspection_switch = true;
    car.door_reopens = static_cast<std::uint16_t>(i + 2);
    if (i != 1) {  // car 1's controller keeps no counters
      car.counters =
          hc::car_counters{1'000'000ULL + i, 2'000'000ULL, 86'400'000'000ULL, (1ULL << 40) + i};
    }
    group.cars.push_back(car);
  }
  for (std::int16_t f = 0; f < group.floors; ++f)
    group.landing_levels_mm.push_back(f * 3'100 - 3'100);
  return group;
}

}  // namespace

TEST_CASE("request round trip") {
  const auto bytes = hlink::encode_request(hlink::request_kind::read_state);
  const auto decoded = hlink::decode_request(bytes);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == hlink::request_kind::read_state);
}

TEST_CASE("response round trip with a group of several cars, every field set") {
  const auto group = three_car_group();
  const auto bytes = hlink::encode_response(group);
  const auto decoded = hlink::decode_response(bytes);
  REQUIRE(decoded.has_value());
  CHECK(decoded->controller_id == "ctl-tower-b");
  CHECK(decoded->cars.size() == 3);
  CHECK(*decoded == group);
}

TEST_CASE("response round trip of default-valued cars and an empty group") {
  hc::group_state group;
  group.cars.resize(2);
  auto decoded = hlink::decode_response(hlink::encode_response(group));
  REQUIRE(decoded.has_value());
  CHECK(*decoded == group);
  group.cars.clear();
  decoded = hlink::decode_response(hlink::encode_response(group));
  REQUIRE(decoded.has_value());
  CHECK(*decoded == group);
}

TEST_CASE("an error response becomes errc::unavailable with the controller's message") {
  const auto decoded = hlink::decode_response(hlink::encode_error_response("bus timeout on car 2"));
  REQUIRE_FALSE(decoded.has_value());
  CHECK(decoded.error().code == hc::errc::unavailable);
  CHECK(decoded.error().message.find("bus timeout on car 2") != std::string::npos);
}

TEST_CASE("a response with an unknown enum value is corrupt") {
  auto group = three_car_group();
  group.cars[1].mode = static_cast<hc::car_mode>(9);
  auto decoded = hlink::decode_response(hlink::encode_response(group));
  REQUIRE_FALSE(decoded.has_value());
  CHECK(decoded.error().code == hc::errc::corrupt);
  group = three_car_group();
  group.cars[0].door = static_cast<hc::door_state>(5);
  CHECK_FALSE(hlink::decode_response(hlink::encode_response(group)).has_value());
  group = three_car_group();
  group.cars[2].dir = static_cast<hc::direction>(3);
  CHECK_FALSE(hlink::decode_response(hlink::encode_response(group)).has_value());
}

TEST_CASE("decode_response rejects foreign and oversized bytes") {
  CHECK(hlink::decode_response({}).error().code == hc::errc::corrupt);
  // A request has no HWL1 identifier.
  const auto request = hlink::encode_request(hlink::request_kind::read_state);
  CHECK(hlink::decode_response(request).error().code == hc::errc::corrupt);
  // Wrong identifier.
  auto bytes = hlink::encode_response(three_car_group());
  bytes[4] = 'X';
  CHECK(hlink::decode_response(bytes).error().code == hc::errc::corrupt);
  // Over the cap, even if it would otherwise verify: pad a valid response.
  auto padded = hlink::encode_response(three_car_group());
  CHECK(hlink::decode_response(padded).has_value());
  padded.resize(hlink::max_message_bytes + 1, 0);
  CHECK(hlink::decode_response(padded).error().code == hc::errc::corrupt);
}

TEST_CASE("decode_request rejects garbage and unknown kinds") {
  CHECK_FALSE(hlink::decode_request({}).has_value());
  const std::vector<std::uint8_t> junk{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8};
  CHECK(hlink::decode_request(junk).error().code == hc::errc::corrupt);
  const auto unknown = hlink::encode_request(static_cast<hlink::request_kind>(1));
  CHECK(hlink::decode_request(unknown).error().code == hc::errc::corrupt);
  const std::vector<std::uint8_t> big(hlink::max_message_bytes + 1, 0);
  CHECK(hlink::decode_request(big).error().code == hc::errc::corrupt);
}

TEST_CASE("frame_message prepends the little-endian length") {
  const std::vector<std::uint8_t> message(0x01'02'03, 0xab);
  const auto framed = hlink::frame_message(message);
  REQUIRE(framed.size() == message.size() + 4);
  CHECK(framed[0] == 0x03);
  CHECK(framed[1] == 0x02);
  CHECK(framed[2] == 0x01);
  CHECK(framed[3] == 0x00);
  CHECK(std::vector<std::uint8_t>(framed.begin() + 4, framed.end()) == message);

  const auto response = hlink::encode_response(three_car_group());
  const auto framed_response = hlink::frame_message(response);
  const auto length =
      hlink::parse_length_prefix(std::span<const std::uint8_t, 4>(framed_response.data(), 4));
  REQUIRE(length.has_value());
  CHECK(*length == response.size());
  const auto body = std::span<const std::uint8_t>(framed_response).subspan(4, *length);
  const auto decoded = hlink::decode_response(body);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == three_car_group());
}

TEST_CASE("parse_length_prefix: zero and over the cap are rejected, the cap itself is not") {
  auto parse = [](std::uint32_t n) {
    const std::array<std::uint8_t, 4> prefix{
        static_cast<std::uint8_t>(n & 0xffU), static_cast<std::uint8_t>((n >> 8U) & 0xffU),
        static_cast<std::uint8_t>((n >> 16U) & 0xffU), static_cast<std::uint8_t>(n >> 24U)};
    return hlink::parse_length_prefix(prefix);
  };
  constexpr auto cap = static_cast<std::uint32_t>(hlink::max_message_bytes);
  CHECK(parse(0).error().code == hc::errc::corrupt);
  CHECK(parse(1).value() == 1);
  CHECK(parse(cap).value() == hlink::max_message_bytes);
  CHECK(parse(cap + 1).error().code == hc::errc::corrupt);
  CHECK_FALSE(parse(0xffff'ffffU).has_value());
  CHECK_FALSE(parse(0x8000'0000U).has_value());
}

TEST_CASE("every truncation of a response is rejected (or loses only padding)") {
  const auto group = three_car_group();
  const auto bytes = hlink::encode_response(group);
  std::size_t content_end = bytes.size();
  while (content_end > 0 && bytes[content_end - 1] == 0) --content_end;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    const auto decoded = hlink::decode_response(std::span<const std::uint8_t>(bytes).first(n));
    if (n < content_end) {
      CHECK_FALSE(decoded.has_value());
    } else if (decoded) {
      CHECK(*decoded == group);
    }
  }
  const auto request = hlink::encode_request(hlink::request_kind::read_state);
  for (std::size_t n = 0; n < 8 && n < request.size(); ++n) {
    CHECK_FALSE(hlink::decode_request(std::span<const std::uint8_t>(request).first(n)).has_value());
  }
}

TEST_CASE("random garbage and mutated responses never crash the decoders") {
  const auto group = three_car_group();
  const auto valid = hlink::encode_response(group);
  std::mt19937 rng(4231);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::uint8_t> junk(static_cast<std::size_t>(rng() % 400));
    for (auto& b : junk) b = static_cast<std::uint8_t>(byte(rng));
    if (junk.size() >= 8 && i % 2 == 0) {
      junk[4] = 'H';
      junk[5] = 'W';
      junk[6] = 'L';
      junk[7] = '1';
    }
    (void)hlink::decode_response(junk);
    (void)hlink::decode_request(junk);

    auto mutated = valid;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      mutated[rng() % mutated.size()] = static_cast<std::uint8_t>(byte(rng));
    }
    const auto decoded = hlink::decode_response(mutated);
    if (decoded) {
      CHECK(decoded->cars.size() <= 256);  // bounded by the verifier's table limit
    }
  }
}

// Regression (fixed): encode_response passed controller_id/firmware as c_str() to
// CreateGroupStateDirect, so text after an embedded NUL is silently dropped.
TEST_CASE("strings with an embedded NUL survive the round trip") {
  auto group = three_car_group();
  group.controller_id = std::string("ctl\0b", 5);
  group.firmware = std::string("4.2\0x", 5);
  const auto decoded = hlink::decode_response(hlink::encode_response(group));
  REQUIRE(decoded.has_value());
  CHECK(decoded->controller_id == group.controller_id);
  CHECK(decoded->firmware == group.firmware);
}

TEST_CASE("a landing table that cannot be true is refused with its reason") {
  auto group = three_car_group();
  SUBCASE("not strictly ascending") {
    group.landing_levels_mm[5] = group.landing_levels_mm[4];
    const auto decoded = hlink::decode_response(hlink::encode_response(group));
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().message.find("ascending") != std::string::npos);
  }
  SUBCASE("not one level per landing") {
    group.landing_levels_mm.pop_back();
    const auto decoded = hlink::decode_response(hlink::encode_response(group));
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().message.find("one level per landing") != std::string::npos);
  }
  SUBCASE("longer than any building") {
    group.floors = 0;  // no landing count to hold it against
    group.landing_levels_mm.clear();
    for (std::int32_t f = 0; f < 300; ++f) group.landing_levels_mm.push_back(f * 3'000);
    const auto decoded = hlink::decode_response(hlink::encode_response(group));
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().message.find("too long") != std::string::npos);
  }
  SUBCASE("absent is fine") {
    group.landing_levels_mm.clear();
    const auto decoded = hlink::decode_response(hlink::encode_response(group));
    REQUIRE(decoded.has_value());
    CHECK(decoded->landing_levels_mm.empty());
  }
}

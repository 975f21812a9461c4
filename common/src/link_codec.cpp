// Controller-link codec: the only code that touches controller_link_generated.h.
#include "hoistway/common/link_codec.hpp"

#include <flatbuffers/flatbuffers.h>

#include <string>

#include "hoistway/wire/controller_link_generated.h"

namespace hoistway::common::link {
namespace {

namespace fb = hoistway::link;
namespace wire = hoistway::wire;

// Tight verifier limits: a group has at most a few dozen cars.
flatbuffers::Verifier make_verifier(std::span<const std::uint8_t> bytes) {
  return flatbuffers::Verifier(bytes.data(), bytes.size(), /*max_depth=*/16, /*max_tables=*/256);
}

template <typename E>
bool enum_in_range(E value, E last) {
  return static_cast<unsigned>(value) <= static_cast<unsigned>(last);
}

}  // namespace

std::vector<std::uint8_t> encode_request(request_kind kind) {
  flatbuffers::FlatBufferBuilder fbb(64);
  fbb.Finish(fb::CreateRequest(fbb, static_cast<fb::RequestKind>(kind)));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

result<request_kind> decode_request(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > max_message_bytes) return fail(errc::corrupt, "request too large");
  auto verifier = make_verifier(bytes);
  if (!verifier.VerifyBuffer<fb::Request>(nullptr)) {
    return fail(errc::corrupt, "request is not a valid controller-link Request");
  }
  const auto* request = flatbuffers::GetRoot<fb::Request>(bytes.data());
  if (request->kind() != fb::RequestKind::read_state) {
    return fail(errc::corrupt, "unknown request kind");
  }
  return request_kind::read_state;
}

std::vector<std::uint8_t> encode_response(const group_state& state) {
  flatbuffers::FlatBufferBuilder fbb(256 + 96 * state.cars.size());
  std::vector<flatbuffers::Offset<fb::CarState>> cars;
  cars.reserve(state.cars.size());
  for (const auto& car : state.cars) {
    auto faults = fbb.CreateVector(car.fault_codes);
    flatbuffers::Offset<fb::CarCounters> counters;
    if (car.counters) {
      counters = fb::CreateCarCounters(fbb, car.counters->trips, car.counters->door_cycles,
                                       car.counters->running_ms, car.counters->distance_mm);
    }
    fb::CarStateBuilder b(fbb);
    b.add_car(car.car);
    b.add_position_mm(car.position_mm);
    b.add_speed_mm_s(car.speed_mm_s);
    b.add_floor(car.floor);
    b.add_direction(static_cast<wire::Direction>(car.dir));
    b.add_door(static_cast<wire::DoorState>(car.door));
    b.add_load_kg(car.load_kg);
    b.add_rated_load_kg(car.rated_load_kg);
    b.add_mode(static_cast<wire::Mode>(car.mode));
    b.add_in_door_zone(car.in_door_zone);
    b.add_alarm(car.alarm);
    b.add_fault_codes(faults);
    b.add_safety_chain_ok(car.safety_chain_ok);
    b.add_power_ok(car.power_ok);
    b.add_inspection_switch(car.inspection_switch);
    b.add_door_reopens(car.door_reopens);
    if (car.counters) b.add_counters(counters);
    cars.push_back(b.Finish());
  }
  auto controller_id = fbb.CreateString(state.controller_id);
  auto firmware = fbb.CreateString(state.firmware);
  auto car_vec = fbb.CreateVector(cars);
  flatbuffers::Offset<flatbuffers::Vector<std::int32_t>> levels;
  if (!state.landing_levels_mm.empty()) levels = fbb.CreateVector(state.landing_levels_mm);
  auto group = fb::CreateGroupState(fbb, controller_id, firmware, state.sim_time_ms, state.floors,
                                    car_vec, levels);
  fbb.Finish(fb::CreateResponse(fbb, true, 0, group), fb::ResponseIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

std::vector<std::uint8_t> encode_error_response(std::string_view message) {
  flatbuffers::FlatBufferBuilder fbb(128);
  auto text = fbb.CreateString(message.data(), message.size());
  fbb.Finish(fb::CreateResponse(fbb, false, text), fb::ResponseIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

result<group_state> decode_response(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > max_message_bytes) return fail(errc::corrupt, "response too large");
  if (bytes.size() < 8 ||
      !flatbuffers::BufferHasIdentifier(bytes.data(), fb::ResponseIdentifier())) {
    return fail(errc::corrupt, "response lacks the HWL1 identifier");
  }
  auto verifier = make_verifier(bytes);
  if (!fb::VerifyResponseBuffer(verifier)) {
    return fail(errc::corrupt, "response failed FlatBuffers verification");
  }
  const auto* response = fb::GetResponse(bytes.data());
  if (!response->ok()) {
    return fail(errc::unavailable,
                std::string("controller error: ") +
                    (response->error() ? response->error()->str() : "unspecified"));
  }
  const auto* in = response->state();
  if (in == nullptr) return fail(errc::corrupt, "response has no state");
  group_state out;
  if (in->controller_id()) out.controller_id = in->controller_id()->str();
  if (in->firmware()) out.firmware = in->firmware()->str();
  out.sim_time_ms = in->sim_time_ms();
  out.floors = in->floors();
  if (const auto* levels = in->landing_levels_mm(); levels != nullptr && levels->size() > 0) {
    // A landing table that cannot be true would misplace every trip: refuse the answer.
    if (levels->size() > max_landings) return fail(errc::corrupt, "landing table too long");
    if (out.floors > 0 && levels->size() != static_cast<std::size_t>(out.floors)) {
      return fail(errc::corrupt, "landing table does not have one level per landing");
    }
    out.landing_levels_mm.assign(levels->begin(), levels->end());
    for (std::size_t i = 1; i < out.landing_levels_mm.size(); ++i) {
      if (out.landing_levels_mm[i] <= out.landing_levels_mm[i - 1]) {
        return fail(errc::corrupt, "landing levels are not strictly ascending");
      }
    }
  }
  if (in->cars()) {
    out.cars.reserve(in->cars()->size());
    for (const auto* car : *in->cars()) {
      if (!enum_in_range(car->direction(), wire::Direction::MAX) ||
          !enum_in_range(car->door(), wire::DoorState::MAX) ||
          !enum_in_range(car->mode(), wire::Mode::MAX)) {
        return fail(errc::corrupt, "car state has an unknown enum value");
      }
      car_state c;
      c.car = car->car();
      c.position_mm = car->position_mm();
      c.speed_mm_s = car->speed_mm_s();
      c.floor = car->floor();
      c.dir = static_cast<direction>(car->direction());
      c.door = static_cast<door_state>(car->door());
      c.load_kg = car->load_kg();
      c.rated_load_kg = car->rated_load_kg();
      c.mode = static_cast<car_mode>(car->mode());
      c.in_door_zone = car->in_door_zone();
      c.alarm = car->alarm();
      if (car->fault_codes())
        c.fault_codes.assign(car->fault_codes()->begin(), car->fault_codes()->end());
      c.safety_chain_ok = car->safety_chain_ok();
      c.power_ok = car->power_ok();
      c.inspection_switch = car->inspection_switch();
      c.door_reopens = car->door_reopens();
      if (const auto* k = car->counters()) {
        c.counters = car_counters{k->trips(), k->door_cycles(), k->running_ms(), k->distance_mm()};
      }
      out.cars.push_back(std::move(c));
    }
  }
  return out;
}

std::vector<std::uint8_t> frame_message(std::span<const std::uint8_t> message) {
  std::vector<std::uint8_t> out(4 + message.size());
  const auto n = static_cast<std::uint32_t>(message.size());
  out[0] = static_cast<std::uint8_t>(n & 0xffU);
  out[1] = static_cast<std::uint8_t>((n >> 8U) & 0xffU);
  out[2] = static_cast<std::uint8_t>((n >> 16U) & 0xffU);
  out[3] = static_cast<std::uint8_t>((n >> 24U) & 0xffU);
  std::copy(message.begin(), message.end(), out.begin() + 4);
  return out;
}

result<std::size_t> parse_length_prefix(std::span<const std::uint8_t, 4> prefix) {
  const std::uint32_t n = static_cast<std::uint32_t>(prefix[0]) |
                          (static_cast<std::uint32_t>(prefix[1]) << 8U) |
                          (static_cast<std::uint32_t>(prefix[2]) << 16U) |
                          (static_cast<std::uint32_t>(prefix[3]) << 24U);
  if (n == 0) return fail(errc::corrupt, "zero-length message");
  if (n > max_message_bytes) return fail(errc::corrupt, "message length exceeds the cap");
  return static_cast<std::size_t>(n);
}

}  // namespace hoistway::common::link

// libFuzzer target: the cloud's receive path for a frame from the network, with a fixed device
// key: open_envelope (size cap, identifier, envelope) -> verify_mac -> decode_payload.
// Findings are crashes, sanitizer reports, or a payload that decodes without having verified.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "hoistway/common/wire_codec.hpp"

namespace {

constexpr std::uint8_t fixed_key[32] = {
    0x68, 0x6f, 0x69, 0x73, 0x74, 0x77, 0x61, 0x79, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65,
    0x79, 0x2d, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64};
constexpr std::int64_t now_ms = 1'750'000'000'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace wire = hoistway::common::wire;
  const std::span<const std::uint8_t> frame(data, size);
  const auto envelope = wire::open_envelope(frame);
  if (!envelope) return 0;
  // The views must lie inside the frame.
  const auto inside = [&frame](std::span<const std::uint8_t> part) {
    return part.empty() || (part.data() >= frame.data() &&
                            part.data() + part.size() <= frame.data() + frame.size());
  };
  if (!inside(envelope->payload) || !inside(envelope->mac)) std::abort();

  // Exercise the payload decoder whether or not the MAC verifies: the MAC is a gate for the
  // receiver, but decode_payload itself must be safe on any bytes.
  const bool authentic = wire::verify_mac(*envelope, fixed_key);
  const auto batch = wire::decode_payload(*envelope, now_ms);
  if (batch && batch->device_id != envelope->device_id) std::abort();
  (void)authentic;
  // The outbox decoder sees the same kind of bytes.
  (void)wire::decode_record(frame);
  (void)wire::decode_ack(frame);
  return 0;
}

// The wire contract codec (schemas/frame.fbs, records.fbs, ack.fbs): the only code that includes
// the generated FlatBuffers headers for frames. Decoding is staged so that a receiver checks in
// the order the conventions require: size cap → identifier → envelope structure → (the caller
// looks up the device) → MAC → payload structure → meaning. Pure functions: no I/O.
// Thread-safety: stateless; call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/common/records.hpp"
#include "hoistway/common/result.hpp"

namespace hoistway::common::wire {

inline constexpr std::size_t default_max_frame_bytes = 256 * 1024;
inline constexpr std::size_t max_records_per_batch = 4096;

// Why a frame was rejected. Each reason has its own counter at the receiver.
enum class reject_reason : std::uint8_t {
  oversized,
  bad_identifier,
  bad_envelope,
  device_mismatch,    // topic and envelope disagree (checked by the caller)
  unknown_device,     // checked by the caller
  bad_mac,
  bad_payload,
  bad_meaning,
};
inline constexpr std::size_t reject_reason_count = 8;
std::string_view to_string(reject_reason reason) noexcept;

struct rejection {
  reject_reason reason;
  std::string detail;
};

template <typename T>
using decode_result = std::expected<T, rejection>;

// A record on its own, as the edge outbox stores it (a FlatBuffer with a Record root).
std::vector<std::uint8_t> encode_record(const record& rec);
result<record> decode_record(std::span<const std::uint8_t> bytes);

// Builds an Envelope: the batch is serialised as the payload and signed with `key`.
std::vector<std::uint8_t> encode_frame(const batch& b, std::uint32_t key_id,
                                       std::span<const std::uint8_t> key);

// The outer layer of a frame, read after size, identifier and envelope verification. The spans
// point into the frame's bytes.
struct envelope_view {
  std::string_view device_id;
  std::uint32_t key_id = 0;
  std::span<const std::uint8_t> payload;
  std::span<const std::uint8_t> mac;
};

decode_result<envelope_view> open_envelope(std::span<const std::uint8_t> frame,
                                           std::size_t max_frame_bytes = default_max_frame_bytes);
// Constant-time MAC check of the payload.
bool verify_mac(const envelope_view& envelope, std::span<const std::uint8_t> key);
// Verifies the payload's structure and meaning and decodes it. `now_ms` bounds sane times.
decode_result<batch> decode_payload(const envelope_view& envelope, std::int64_t now_ms);

// The stored-ack the cloud publishes (ack.fbs).
struct stored_ack {
  std::string device_id;
  std::uint64_t stored_through = 0;
  bool operator==(const stored_ack&) const = default;
};
std::vector<std::uint8_t> encode_ack(const stored_ack& ack);
result<stored_ack> decode_ack(std::span<const std::uint8_t> bytes);

}  // namespace hoistway::common::wire

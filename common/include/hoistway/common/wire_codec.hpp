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
// Car indexes run 0..max_car: a group controller drives at most a dozen cars; the bound keeps a
// device from naming (and so creating) hundreds of units.
inline constexpr std::uint8_t max_car = 31;

// Why a frame was rejected. Each reason has its own counter at the receiver.
enum class reject_reason : std::uint8_t {
  oversized,
  bad_identifier,
  bad_envelope,
  device_mismatch,  // topic and envelope disagree (checked by the caller)
  unknown_device,   // checked by the caller
  bad_mac,
  bad_payload,
  bad_meaning,
  unprocessable,  // the receiver could not store a frame that passed every check
  rate_limited,   // the device sent more records than its budget (checked by the caller)
};
inline constexpr std::size_t reject_reason_count = 10;
std::string_view to_string(reject_reason reason) noexcept;

struct rejection {
  reject_reason reason;
  std::string detail;
  // For a frame whose MAC verified and whose structure is sound but whose meaning is not: the
  // seqs its first and last record claim (0 when unknown). The receiver acknowledges such a
  // frame (it keeps it as a dead letter), so the agent moves past it instead of resending it
  // for ever.
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
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
// Meaning: every record has a body of its type; seqs strictly increase from at or above
// covers_from and outbox_floor; wall times within ten years back and a day ahead; cars 0..max_car;
// enums known; strings valid UTF-8 without NUL; trips, roll-ups and drop reports within physical
// bounds (meaning_error below).
decode_result<batch> decode_payload(const envelope_view& envelope, std::int64_t now_ms);

// Why a decoded record cannot be true, or empty if it can: the per-record meaning checks
// decode_payload applies (time sanity aside).
std::string meaning_error(const record& rec);

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF) without NUL: what a record's strings must be to reach JSON and SQL intact.
bool valid_text(std::string_view text) noexcept;

// The stored-ack the cloud publishes (ack.fbs), signed with the key the device's key derives for
// stored-acks (crypto::key_purpose::stored_ack) over device_id, a 0 byte and stored_through
// (8 bytes, big-endian): only the cloud, which holds the device key, can tell an agent that its
// records are stored.
struct stored_ack {
  std::string device_id;
  std::uint64_t stored_through = 0;
  std::uint32_t key_id = 0;
  std::vector<std::uint8_t> mac;  // empty: unsigned (an old cloud's, or a forgery)
  bool operator==(const stored_ack&) const = default;
};
// The signed ack for `device_id` up to `stored_through`, with the device key `key` (id key_id).
stored_ack sign_ack(std::string device_id, std::uint64_t stored_through, std::uint32_t key_id,
                    std::span<const std::uint8_t> key);
// Whether the ack's MAC is the one the device key `key` makes (constant time); false unsigned.
bool verify_ack(const stored_ack& ack, std::span<const std::uint8_t> key);
// Encodes the ack's fields as they are (sign_ack first), and decodes them: structure only; the
// receiver checks the MAC (verify_ack) and the meaning.
std::vector<std::uint8_t> encode_ack(const stored_ack& ack);
result<stored_ack> decode_ack(std::span<const std::uint8_t> bytes);

}  // namespace hoistway::common::wire

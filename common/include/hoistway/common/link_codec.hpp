// Encoding and decoding of controller-link messages (schemas/controller_link.fbs), and the
// length-prefixed framing used on the link's stream socket. Pure functions: no I/O.
// Thread-safety: stateless; call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "hoistway/common/controller_state.hpp"
#include "hoistway/common/result.hpp"

namespace hoistway::common::link {

// Largest message either side accepts; a bigger length prefix is rejected before reading.
inline constexpr std::size_t max_message_bytes = 64 * 1024;
// Most landings a controller's landing table may list (the tallest buildings have ~160).
inline constexpr std::size_t max_landings = 256;

enum class request_kind : std::uint8_t { read_state = 0 };

std::vector<std::uint8_t> encode_request(request_kind kind);
result<request_kind> decode_request(std::span<const std::uint8_t> bytes);

std::vector<std::uint8_t> encode_response(const group_state& state);
std::vector<std::uint8_t> encode_error_response(std::string_view message);
// Verifies and decodes a response; a controller's error answer becomes errc::unavailable.
result<group_state> decode_response(std::span<const std::uint8_t> bytes);

// Prepends the 4-byte little-endian length.
std::vector<std::uint8_t> frame_message(std::span<const std::uint8_t> message);
// Reads a length prefix; rejects zero and anything above max_message_bytes.
result<std::size_t> parse_length_prefix(std::span<const std::uint8_t, 4> prefix);

}  // namespace hoistway::common::link

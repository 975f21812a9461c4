// libFuzzer target: the controller link's decoders on arbitrary bytes (what a broken or hostile
// controller, or the edge agent, could send): decode_response, decode_request, parse_length_prefix.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "hoistway/common/link_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace link = hoistway::common::link;
  const std::span<const std::uint8_t> bytes(data, size);
  if (const auto state = link::decode_response(bytes)) {
    // A decoded state must survive a re-encode unchanged.
    const auto again = link::decode_response(link::encode_response(*state));
    if (!again || *again != *state) std::abort();
  }
  (void)link::decode_request(bytes);
  if (size >= 4) {
    if (const auto n = link::parse_length_prefix(bytes.first<4>())) {
      if (*n == 0 || *n > link::max_message_bytes) std::abort();
    }
  }
  return 0;
}

// The checks an up-link frame passes before the writer may store it, in order: size cap →
// identifier → topic and envelope name the same device → known, active device → HMAC with that
// device's key (constant time) → FlatBuffers verifier with tight limits → meaning (sane times,
// known enums). Either the decoded batch or the first failed check with its reason.
//
// The ingest runs these on Paho's callback thread, beside the writer, so that the per-byte work
// (the MAC, the verifier, decoding) of the next frames overlaps the storing of the previous ones.
//
// Architecture invariants:
// - A frame whose device is unknown, disabled, or named with an unknown key id makes the
//   verifier read the device table again (hoistway-admin may have added or re-keyed it since),
//   at most once a second, so a flood of frames from strangers cannot load the store; and every
//   10 s regardless, so a device disabled while it keeps sending is refused within 10 s.
// - The device table is read on the verifier's own connection; it never writes.
//
// Thread-safety: one thread at a time (the ingest's Paho callback thread).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "hoistway/cloud/store.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/wire_codec.hpp"

namespace hoistway::cloud {

class verifier {
 public:
  // Reads the device table from `db` (a connection of the verifier's own).
  static common::result<verifier> open(store db, std::shared_ptr<common::clock> clock,
                                       std::size_t max_frame_bytes);

  // Checks a frame that arrived on `topic` (hoistway/v1/dev/{device}/up); `now_ms` bounds the
  // record times it accepts.
  common::wire::decode_result<common::batch> check(std::string_view topic,
                                                   std::span<const std::uint8_t> frame,
                                                   std::int64_t now_ms);

 private:
  verifier(store db, std::shared_ptr<common::clock> clock, std::size_t max_frame_bytes)
      : store_(std::move(db)), clock_(std::move(clock)), max_frame_bytes_(max_frame_bytes) {}
  common::status reload();
  // Reloads the device table unless it was read less than a second ago.
  bool maybe_reload();

  store store_;
  std::shared_ptr<common::clock> clock_;
  std::size_t max_frame_bytes_;
  std::map<std::string, device_row, std::less<>> devices_;
  std::int64_t loaded_mono_ms_ = 0;
};

}  // namespace hoistway::cloud

// The checks an up-link frame passes before the writer may store it, in order: size cap →
// identifier → topic and envelope name the same device → known, active device → HMAC with that
// device's key (constant time) → FlatBuffers verifier with tight limits → meaning (sane times,
// known enums). Either the decoded batch or the first failed check with its reason.
//
// The ingest runs these on Paho's callback thread, beside the writer, so that the per-byte work
// (the MAC, the verifier, decoding) of the next frames overlaps the storing of the previous ones.
//
// Architecture invariants:
// - The device table (device_table below) is read on the verifier's own connection; it never
//   writes. A device disabled or re-keyed is refused within 10 s even while it keeps sending.
//
// Thread-safety: one thread at a time (the ingest's Paho callback thread).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/wire_codec.hpp"

namespace hoistway::cloud {

// The device table (ids, keys, active flags) as one thread sees it, on a store connection of
// its own: read at open; again, at most once a second, when asked for a device it does not hold
// as active (or not with the key id asked for), since hoistway-admin may have added, enabled or
// re-keyed it; and every 10 s regardless, so that a device disabled or re-keyed is seen within
// that even while it keeps sending. The at-most-once-a-second bound keeps a flood of frames from
// strangers off the store.
//
// Thread-safety: one thread at a time.
class device_table {
 public:
  static common::result<device_table> open(store db, std::shared_ptr<common::clock> clock);

  // The device's row (active or not) after the reads above, or nullptr if the table has none.
  const device_row* find(std::string_view device_id,
                         std::optional<std::uint32_t> key_id = std::nullopt);

 private:
  device_table(store db, std::shared_ptr<common::clock> clock)
      : store_(std::move(db)), clock_(std::move(clock)) {}
  common::status reload();
  // Reloads the table unless it was read less than a second ago.
  bool maybe_reload();

  store store_;
  std::shared_ptr<common::clock> clock_;
  std::map<std::string, device_row, std::less<>> devices_;
  std::int64_t loaded_mono_ms_ = 0;
};

// How many records a device may send: a token bucket per device, refilled at `per_second` up to
// `burst`. A device with a valid key cannot take the shared writer for itself: what it sends
// over the budget is refused (rate_limited: counted, not stored, not acknowledged, so an agent
// resends it later). An agent catching up a full outbox (200,000 records) stays well within the
// defaults. per_second 0: no budget.
struct device_budget {
  std::uint64_t per_second = 0;
  std::uint64_t burst = 0;
};

class verifier {
 public:
  static common::result<verifier> open(store db, std::shared_ptr<common::clock> clock,
                                       std::size_t max_frame_bytes, device_budget budget = {});

  // Checks a frame that arrived on `topic` (hoistway/v1/dev/{device}/up); `now_ms` bounds the
  // record times it accepts. Last, a decoded frame is charged to its device's budget.
  common::wire::decode_result<common::batch> check(std::string_view topic,
                                                   std::span<const std::uint8_t> frame,
                                                   std::int64_t now_ms);

 private:
  verifier(device_table devices, std::shared_ptr<common::clock> clock, std::size_t max_frame_bytes,
           device_budget budget)
      : devices_(std::move(devices)),
        clock_(std::move(clock)),
        max_frame_bytes_(max_frame_bytes),
        budget_(budget) {}
  // Takes `records` from the device's bucket; false if it holds fewer.
  bool charge(std::string_view device_id, std::size_t records);

  device_table devices_;
  std::shared_ptr<common::clock> clock_;
  std::size_t max_frame_bytes_;
  device_budget budget_;
  struct bucket {
    double tokens = 0;
    std::int64_t refilled_mono_ms = 0;
  };
  // Known devices only (a frame is charged after its MAC verified): bounded by the registry.
  std::map<std::string, bucket, std::less<>> buckets_;
};

}  // namespace hoistway::cloud

// The checks of an up-link frame.
#include "hoistway/cloud/ingest/verifier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "hoistway/common/topics.hpp"

namespace hoistway::cloud {

using common::wire::reject_reason;
using common::wire::rejection;

namespace {
// However well the devices send, the table is read again this often, so that a device disabled
// or re-keyed with hoistway-admin is seen within it.
constexpr std::int64_t refresh_ms = 10'000;
}  // namespace

common::result<device_table> device_table::open(store db, std::shared_ptr<common::clock> clock) {
  device_table t(std::move(db), std::move(clock));
  if (auto st = t.reload(); !st) return std::unexpected(st.error());
  return t;
}

common::status device_table::reload() {
  auto devices = store_.devices();
  if (!devices) return std::unexpected(devices.error());
  loaded_mono_ms_ = clock_->mono_ms();
  devices_.clear();
  for (auto& d : *devices) {
    std::string id = d.device_id;
    devices_.emplace(std::move(id), std::move(d));
  }
  return {};
}

bool device_table::maybe_reload() {
  if (clock_->mono_ms() - loaded_mono_ms_ < 1000) return false;
  if (auto st = reload(); !st) {
    spdlog::warn("device reload: {}", st.error().message);
    return false;
  }
  return true;
}

const device_row* device_table::find(std::string_view device_id,
                                     std::optional<std::uint32_t> key_id) {
  // A failed reload is logged by maybe_reload; the table read before stays in use.
  if (clock_->mono_ms() - loaded_mono_ms_ >= refresh_ms) (void)maybe_reload();
  auto it = devices_.find(device_id);
  const bool known =
      it != devices_.end() && it->second.active && (!key_id || *key_id == it->second.key_id);
  if (!known && maybe_reload()) it = devices_.find(device_id);
  return it != devices_.end() ? &it->second : nullptr;
}

common::result<verifier> verifier::open(store db, std::shared_ptr<common::clock> clock,
                                        std::size_t max_frame_bytes, device_budget budget) {
  auto devices = device_table::open(std::move(db), clock);
  if (!devices) return std::unexpected(devices.error());
  return verifier(std::move(*devices), std::move(clock), max_frame_bytes, budget);
}

bool verifier::charge(std::string_view device_id, std::size_t records) {
  if (budget_.per_second == 0) return true;
  const auto now = clock_->mono_ms();
  auto it = buckets_.find(device_id);
  if (it == buckets_.end()) {
    it = buckets_.emplace(std::string(device_id), bucket{static_cast<double>(budget_.burst), now})
             .first;
  }
  auto& b = it->second;
  const auto elapsed_ms = static_cast<double>(std::max<std::int64_t>(0, now - b.refilled_mono_ms));
  b.tokens = std::min(static_cast<double>(budget_.burst),
                      b.tokens + elapsed_ms * static_cast<double>(budget_.per_second) / 1000.0);
  b.refilled_mono_ms = now;
  if (b.tokens < static_cast<double>(records)) return false;
  b.tokens -= static_cast<double>(records);
  return true;
}

common::wire::decode_result<common::batch> verifier::check(std::string_view topic,
                                                           std::span<const std::uint8_t> frame,
                                                           std::int64_t now_ms) {
  auto reject = [](reject_reason r, std::string detail) {
    return std::unexpected(rejection{r, std::move(detail)});
  };
  const auto topic_device = common::topics::device_of(topic, "up");
  if (!topic_device) return reject(reject_reason::device_mismatch, "topic is not a device up-link");
  auto envelope = common::wire::open_envelope(frame, max_frame_bytes_);
  if (!envelope) return std::unexpected(envelope.error());
  if (envelope->device_id != *topic_device) {
    return reject(reject_reason::device_mismatch, "envelope device differs from the topic's");
  }
  const auto* device = devices_.find(envelope->device_id, envelope->key_id);
  if (device == nullptr || !device->active) {
    return reject(reject_reason::unknown_device, std::string(envelope->device_id));
  }
  if (envelope->key_id != device->key_id) {
    return reject(reject_reason::bad_mac, "unknown key id " + std::to_string(envelope->key_id));
  }
  if (!common::wire::verify_mac(*envelope, device->key)) {
    return reject(reject_reason::bad_mac, "MAC does not verify");
  }
  auto batch = common::wire::decode_payload(*envelope, now_ms);
  if (batch && !charge(batch->device_id, batch->records.size())) {
    return reject(reject_reason::rate_limited, std::to_string(batch->records.size()) +
                                                   " records over the device's budget of " +
                                                   std::to_string(budget_.per_second) + "/s");
  }
  return batch;
}

}  // namespace hoistway::cloud

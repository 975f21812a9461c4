// The up-link window (window.hpp): pure bookkeeping over seqs and the clock.
#include "hoistway/edge/uplink/window.hpp"

#include <algorithm>

namespace hoistway::edge {

std::string_view to_string(ack_rejection r) noexcept {
  switch (r) {
    case ack_rejection::malformed:
      return "malformed";
    case ack_rejection::foreign:
      return "foreign";
    case ack_rejection::unsigned_ack:
      return "unsigned";
    case ack_rejection::unknown_key:
      return "unknown_key";
    case ack_rejection::bad_mac:
      return "bad_mac";
    case ack_rejection::beyond_sent:
      return "beyond_sent";
  }
  return "unknown";
}

uplink_window::uplink_window(uplink_identity identity, uplink_limits limits,
                             std::uint64_t acked_through,
                             std::shared_ptr<const common::clock> clock)
    : identity_(std::move(identity)),
      limits_(limits),
      clock_(std::move(clock)),
      acked_through_(acked_through),
      sent_through_(acked_through),
      highest_sent_(acked_through),
      last_ack_progress_mono_(clock_->mono_ms()) {}

void uplink_window::connected() {
  connected_ = true;
  connected_since_wall_ = clock_->wall_ms();
  sent_through_ = acked_through_;
  last_ack_progress_mono_ = clock_->mono_ms();
}

void uplink_window::disconnected() { connected_ = false; }

std::optional<batch_request> uplink_window::next_batch() const {
  if (!connected_) return std::nullopt;
  if (sent_through_ - acked_through_ >= limits_.max_unacked_records) return std::nullopt;
  return batch_request{std::max(sent_through_, acked_through_), limits_.max_batch_records};
}

std::uint64_t uplink_window::covers_from(std::uint64_t first_seq,
                                         std::optional<std::uint64_t> previous_held) const {
  return previous_held ? *previous_held + 1 : std::min(first_seq, acked_through_ + 1);
}

void uplink_window::sent(std::uint64_t last_seq) {
  sent_through_ = last_seq;
  highest_sent_ = std::max(highest_sent_, last_seq);
}

bool uplink_window::check_ack_timeout() {
  const auto now = clock_->mono_ms();
  if (!connected_ || sent_through_ <= acked_through_) {
    last_ack_progress_mono_ = now;
    return false;
  }
  if (now - last_ack_progress_mono_ <= limits_.ack_timeout.count()) return false;
  sent_through_ = acked_through_;
  last_ack_progress_mono_ = now;
  ++resends_;
  return true;
}

std::expected<common::wire::stored_ack, ack_rejection> uplink_window::check_ack(
    std::span<const std::uint8_t> payload) const {
  auto ack = common::wire::decode_ack(payload);
  if (!ack) return std::unexpected(ack_rejection::malformed);
  if (ack->device_id != identity_.device_id) return std::unexpected(ack_rejection::foreign);
  if (ack->mac.empty()) return std::unexpected(ack_rejection::unsigned_ack);
  if (ack->key_id != identity_.key_id) return std::unexpected(ack_rejection::unknown_key);
  if (!common::wire::verify_ack(*ack, identity_.key)) {
    return std::unexpected(ack_rejection::bad_mac);
  }
  if (ack->stored_through > highest_sent_) return std::unexpected(ack_rejection::beyond_sent);
  return std::move(*ack);
}

std::expected<std::uint64_t, ack_rejection> uplink_window::take_ack(
    std::span<const std::uint8_t> payload) {
  auto ack = check_ack(payload);
  if (!ack) {
    ++acks_rejected_[static_cast<std::size_t>(ack.error())];
    return std::unexpected(ack.error());
  }
  last_ack_wall_ = clock_->wall_ms();
  return ack->stored_through;
}

void uplink_window::acknowledged(std::uint64_t acked_through) {
  if (acked_through <= acked_through_) return;
  acked_through_ = acked_through;
  last_ack_progress_mono_ = clock_->mono_ms();
  sent_through_ = std::max(sent_through_, acked_through_);
}

std::uint64_t uplink_window::acks_rejected_total() const {
  std::uint64_t total = 0;
  for (const auto n : acks_rejected_) total += n;
  return total;
}

}  // namespace hoistway::edge

// The up-link window: which outbox records the agent publishes next, when it sends them again,
// and which stored-acks it may act on. A value with no I/O: the agent reads the outbox and
// publishes; the window says from where and how much, and takes what comes back. Time comes from
// the clock it is given, so a test drives resends with a manual clock.
//
// Architecture invariants:
// - Records go in seq order. After a (re)connect, or when no ack made progress for ack_timeout
//   while records were in flight, everything not acknowledged goes again from acked_through + 1.
// - A batch is asked for only while fewer than max_unacked_records are in flight
//   (sent_through - acked_through).
// - An ack is acted on only if it is this device's, signed with its key id and key, and covers
//   no seq published: highest_sent starts at the acked_through the outbox held at start, so an
//   ack that claims more than was ever sent (a forgery, a cloud's mistake, a rolled-back outbox)
//   deletes nothing. Every refusal is counted by its reason.
// - acked_through never goes back; covers_from never claims that a held record was dropped.
//
// Thread-safety: one thread owns a window (the agent's io_context thread).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/common/time.hpp"
#include "hoistway/common/wire_codec.hpp"

namespace hoistway::edge {

// Why a stored-ack was refused; each has its own counter (hoistctl status).
enum class ack_rejection : std::uint8_t {
  malformed,     // not a stored-ack
  foreign,       // another device's
  unsigned_ack,  // no MAC (a cloud from before acks were signed, or a forgery)
  unknown_key,   // signed with a key id that is not this agent's
  bad_mac,
  beyond_sent,  // covers seqs this agent has not sent: it cannot be true
};
inline constexpr std::size_t ack_rejection_count = 6;
std::string_view to_string(ack_rejection r) noexcept;

// Who the agent is to the cloud: whose acks it takes and the key that signs them.
struct uplink_identity {
  std::string device_id;
  std::uint32_t key_id = 1;
  std::vector<std::uint8_t> key;
};

struct uplink_limits {
  std::size_t max_batch_records = 256;
  std::uint64_t max_unacked_records = 2048;
  std::chrono::milliseconds ack_timeout{10'000};
};

// The next batch to read from the outbox: up to max_records held records with seq > after_seq.
struct batch_request {
  std::uint64_t after_seq = 0;
  std::size_t max_records = 0;
  bool operator==(const batch_request&) const = default;
};

class uplink_window {
 public:
  // `acked_through`: what the outbox holds as acknowledged (from before this start, too).
  uplink_window(uplink_identity identity, uplink_limits limits, std::uint64_t acked_through,
                std::shared_ptr<const common::clock> clock);

  // ---- the connection
  // After every (re)connect: everything not acknowledged goes again, in order.
  void connected();
  void disconnected();
  bool is_connected() const { return connected_; }
  std::int64_t connected_since_wall_ms() const { return connected_since_wall_; }

  // ---- sending
  // What to read and publish next; nullopt while disconnected or with the window full.
  std::optional<batch_request> next_batch() const;
  // The batch's covers_from: from just after the held record before its first (`previous_held`,
  // read from the outbox), so the cloud learns of a gap the cap made; with none held before it,
  // from acked_through + 1 (or its first seq, if lower).
  std::uint64_t covers_from(std::uint64_t first_seq,
                            std::optional<std::uint64_t> previous_held) const;
  // A batch ending at `last_seq` was handed to the link.
  void sent(std::uint64_t last_seq);
  // Called on every tick: with records in flight and no ack progress for ack_timeout, rewinds so
  // that they go again. Returns whether it rewound.
  bool check_ack_timeout();

  // ---- acks
  // Checks a stored-ack's payload; returns the seq it says is stored through, or why it is
  // refused (counted). An accepted ack may say nothing new (stored_through <= acked_through).
  std::expected<std::uint64_t, ack_rejection> take_ack(std::span<const std::uint8_t> payload);
  // The outbox deleted through `acked_through` (after an accepted ack): progress.
  void acknowledged(std::uint64_t acked_through);

  // ---- what hoistctl status shows
  std::uint64_t acked_through() const { return acked_through_; }
  std::uint64_t sent_through() const { return sent_through_; }
  std::uint64_t highest_sent() const { return highest_sent_; }
  std::int64_t last_ack_wall_ms() const { return last_ack_wall_; }
  std::uint64_t acks_rejected(ack_rejection r) const {
    return acks_rejected_[static_cast<std::size_t>(r)];
  }
  std::uint64_t acks_rejected_total() const;
  std::uint64_t resends() const { return resends_; }

 private:
  std::expected<common::wire::stored_ack, ack_rejection> check_ack(
      std::span<const std::uint8_t> payload) const;

  uplink_identity identity_;
  uplink_limits limits_;
  std::shared_ptr<const common::clock> clock_;
  bool connected_ = false;
  std::uint64_t acked_through_ = 0;
  std::uint64_t sent_through_ = 0;
  std::uint64_t highest_sent_ = 0;  // the highest seq published this boot (or acked before it)
  std::int64_t last_ack_progress_mono_ = 0;
  std::int64_t connected_since_wall_ = 0;
  std::int64_t last_ack_wall_ = 0;
  std::uint64_t resends_ = 0;  // rewinds after an ack timeout
  std::array<std::uint64_t, ack_rejection_count> acks_rejected_{};
};

}  // namespace hoistway::edge

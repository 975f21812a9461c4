// Down-link commands on the agent (ARCHITECTURE.md, "Commands"): each command message is
// verified (common/downlink: size, version, key, MAC, body, device, age), checked against the
// replay guard, whose ids are kept in the outbox so that a replay is refused across restarts
// (unreadable or unkeepable ids refuse commands: fail closed), run through the agent's
// `effects`, counted, and answered with a signed result, accepted or rejected. The agent
// publishes the result on its cmd_result topic; this unit does no network I/O, so
// tests/edge/command_handler_test.cpp drives it with a real outbox and no broker.
//
// Thread-safety: none; the agent calls it on its io_context thread only.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "hoistway/common/downlink.hpp"
#include "hoistway/edge/outbox.hpp"

namespace hoistway::edge {

class command_handler {
 public:
  struct identity {
    std::string device_id;
    std::uint32_t key_id = 1;
    std::vector<std::uint8_t> key;
    std::chrono::milliseconds max_age{300'000};  // [commands] max_age_s
    std::string boot_id;                         // for ping's answer
  };
  // What the commands do to the agent.
  struct effects {
    std::function<std::uint64_t()> outbox_depth;     // ping's answer
    std::function<void()> request_snapshot;          // the next read is a full snapshot
    std::function<double(double hz)> set_sample_hz;  // answers the rate now in force
  };

  // `box` outlives the handler. Reads back the ids accepted within twice the age window before
  // `now_ms`; if they cannot be read, every command is refused (replayed) until a restart.
  command_handler(identity who, outbox& box, effects run, std::int64_t now_ms);

  // Verifies and runs one command message at `now_ms`; the signed result to publish.
  std::vector<std::uint8_t> handle(std::span<const std::uint8_t> message, std::int64_t now_ms);

  std::uint64_t accepted() const { return accepted_; }
  const std::array<std::uint64_t, common::downlink::reject_reason_count>& rejected() const {
    return rejected_;
  }

 private:
  std::int64_t max_age_ms() const;

  identity who_;
  outbox& box_;
  effects run_;
  common::downlink::replay_guard replay_;
  bool replay_unknown_ = false;  // the accepted ids could not be read at start
  std::uint64_t accepted_ = 0;
  std::array<std::uint64_t, common::downlink::reject_reason_count> rejected_{};
};

}  // namespace hoistway::edge

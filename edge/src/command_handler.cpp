// Down-link commands on the agent (command_handler.hpp).
#include "hoistway/edge/command_handler.hpp"

#include <spdlog/spdlog.h>

#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "hoistway/common/crypto.hpp"
#include "hoistway/common/version.hpp"
#include "hoistway/edge/cli/views.hpp"

namespace hoistway::edge {

namespace downlink = common::downlink;
using nlohmann::json;

command_handler::command_handler(identity who, outbox& box, effects run, std::int64_t now_ms)
    : who_(std::move(who)), box_(box), run_(std::move(run)) {
  auto ids = box_.accepted_commands(now_ms - 2 * max_age_ms(), 4096);
  if (!ids) {
    // Fail closed: without the ids, every command is refused until they read (see handle()).
    spdlog::error("outbox: reading accepted command ids: {}", ids.error().message);
    replay_unknown_ = true;
    return;
  }
  for (const auto& [id, at] : *ids) replay_.restore(id, at);
}

std::int64_t command_handler::max_age_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(who_.max_age).count();
}

std::vector<std::uint8_t> command_handler::handle(std::span<const std::uint8_t> message,
                                                  std::int64_t now_ms) {
  downlink::verify_options options;
  options.device_id = who_.device_id;
  options.key_id = who_.key_id;
  options.key = who_.key;
  options.now_ms = now_ms;
  options.max_age_ms = max_age_ms();
  auto cmd = downlink::verify_command(message, options);
  std::optional<downlink::rejection> rejected;
  std::string id;
  json result = json::object();
  if (!cmd) {
    rejected = cmd.error();
    id = cmd.error().id;
  } else if (id = cmd->id; replay_unknown_) {
    rejected = downlink::rejection{downlink::reject_reason::replayed,
                                   "the ids accepted before this start could not be read", id};
  } else if (!replay_.accept(cmd->id, now_ms, options.max_age_ms)) {
    rejected =
        downlink::rejection{downlink::reject_reason::replayed, "command id already accepted", id};
  } else if (auto kept = box_.remember_command(id, now_ms, now_ms - 2 * options.max_age_ms);
             !kept) {
    // Run nothing the guard could not keep: after a restart it would run again on a replay.
    rejected = downlink::rejection{downlink::reject_reason::replayed,
                                   "cannot keep the command id: " + kept.error().message, id};
  } else {
    switch (cmd->kind) {
      case downlink::command_kind::ping:
        result = {{"pong", true},
                  {"agent_version", common::version},
                  {"boot_id", who_.boot_id},
                  {"outbox_depth", run_.outbox_depth()}};
        break;
      case downlink::command_kind::request_snapshot:
        run_.request_snapshot();
        result = {{"snapshot", "requested"}};
        break;
      case downlink::command_kind::set_sampling_rate:
        result = {{"sample_hz", run_.set_sample_hz(cmd->sample_hz)}};
        break;
    }
    ++accepted_;
    spdlog::info("command {} ({}) done", downlink::to_string(cmd->kind), id);
  }
  if (rejected) {
    ++rejected_[static_cast<std::size_t>(rejected->reason)];
    spdlog::warn("command rejected: {} ({})", downlink::to_string(rejected->reason),
                 rejected->detail);
  }
  const auto body = downlink::result_body(id, who_.device_id, now_ms, rejected, cli::dump(result));
  return downlink::sign(body, who_.key_id, who_.key, common::crypto::key_purpose::command_result);
}

}  // namespace hoistway::edge

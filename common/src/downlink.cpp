// Down-link commands: verification and signing.
#include "hoistway/common/downlink.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

#include "hoistway/common/crypto.hpp"

namespace hoistway::common::downlink {

using nlohmann::json;

std::string_view to_string(reject_reason reason) noexcept {
  switch (reason) {
    case reject_reason::oversized:
      return "oversized";
    case reject_reason::bad_format:
      return "bad_format";
    case reject_reason::unsupported_version:
      return "unsupported_version";
    case reject_reason::unknown_key:
      return "unknown_key";
    case reject_reason::bad_mac:
      return "bad_mac";
    case reject_reason::bad_body:
      return "bad_body";
    case reject_reason::wrong_device:
      return "wrong_device";
    case reject_reason::expired:
      return "expired";
    case reject_reason::replayed:
      return "replayed";
    case reject_reason::unknown_command:
      return "unknown_command";
    case reject_reason::bad_argument:
      return "bad_argument";
  }
  return "unknown";
}

std::string_view to_string(command_kind kind) noexcept {
  switch (kind) {
    case command_kind::ping:
      return "ping";
    case command_kind::request_snapshot:
      return "request_snapshot";
    case command_kind::set_sampling_rate:
      return "set_sampling_rate";
  }
  return "unknown";
}

namespace {

std::unexpected<rejection> reject(reject_reason r, std::string detail, std::string id = {}) {
  return std::unexpected(rejection{r, std::move(detail), std::move(id)});
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::expected<std::string, rejection> open_signed(std::span<const std::uint8_t> message,
                                                  std::uint32_t key_id,
                                                  std::span<const std::uint8_t> key,
                                                  crypto::key_purpose purpose) {
  if (message.size() > max_message_bytes) {
    return reject(reject_reason::oversized, std::to_string(message.size()) +
                                                " bytes exceeds the cap of " +
                                                std::to_string(max_message_bytes));
  }
  const auto outer = json::parse(message.begin(), message.end(), nullptr, false);
  if (outer.is_discarded() || !outer.is_object()) {
    return reject(reject_reason::bad_format, "not a JSON object");
  }
  if (!outer.contains("v") || !outer["v"].is_number_integer()) {
    return reject(reject_reason::bad_format, "no integer \"v\"");
  }
  if (outer["v"].get<std::int64_t>() != version) {
    return reject(reject_reason::unsupported_version,
                  "version " + std::to_string(outer["v"].get<std::int64_t>()) +
                      " (supported: " + std::to_string(version) + ")");
  }
  if (!outer.contains("key_id") || !outer["key_id"].is_number_unsigned() ||
      !outer.contains("body") || !outer["body"].is_string() || !outer.contains("mac") ||
      !outer["mac"].is_string()) {
    return reject(reject_reason::bad_format, "needs key_id (integer), body and mac (strings)");
  }
  if (outer["key_id"].get<std::uint64_t>() != key_id) {
    return reject(reject_reason::unknown_key,
                  "key id " + std::to_string(outer["key_id"].get<std::uint64_t>()));
  }
  auto body_text = outer["body"].get<std::string>();
  auto mac = common::crypto::from_hex(outer["mac"].get<std::string>());
  if (!mac || mac->size() != 32)
    return reject(reject_reason::bad_mac, "mac is not 32 bytes of hex");
  auto signing_key = crypto::purpose_key(key, purpose);
  const auto expected = crypto::hmac_sha256(signing_key, crypto::as_bytes(body_text));
  crypto::secure_zero(signing_key);
  if (!crypto::constant_time_equal(expected, *mac)) {
    return reject(reject_reason::bad_mac, "MAC does not verify");
  }
  return body_text;
}

std::expected<command, rejection> verify_command(std::span<const std::uint8_t> message,
                                                 const verify_options& options) {
  auto opened = open_signed(message, options.key_id, options.key, crypto::key_purpose::command);
  if (!opened) return std::unexpected(std::move(opened.error()));
  const auto& body_text = *opened;

  // Authenticated: now the body's structure, then its meaning.
  const auto body = json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return reject(reject_reason::bad_body, "body is not a JSON object");
  std::string id;
  if (body.contains("id") && body["id"].is_string()) id = body["id"].get<std::string>();
  if (id.empty() || id.size() > 64)
    return reject(reject_reason::bad_body, "id must be 1-64 characters");
  if (!body.contains("device_id") || !body["device_id"].is_string() ||
      !body.contains("issued_at_ms") || !body["issued_at_ms"].is_number_integer() ||
      !body.contains("command") || !body["command"].is_string() ||
      (body.contains("args") && !body["args"].is_object())) {
    return reject(reject_reason::bad_body,
                  "needs device_id, command (strings), issued_at_ms (integer), args (object)", id);
  }
  command c;
  c.id = id;
  c.device_id = body["device_id"].get<std::string>();
  c.issued_at_ms = body["issued_at_ms"].get<std::int64_t>();
  if (c.device_id != options.device_id) {
    return reject(reject_reason::wrong_device, "addressed to " + c.device_id.substr(0, 64), id);
  }
  if (std::llabs(options.now_ms - c.issued_at_ms) > options.max_age_ms) {
    return reject(reject_reason::expired,
                  "issued " + std::to_string((options.now_ms - c.issued_at_ms) / 1000) +
                      " s ago; the window is " + std::to_string(options.max_age_ms / 1000) + " s",
                  id);
  }
  const auto name = body["command"].get<std::string>();
  const json args = body.contains("args") ? body["args"] : json::object();
  if (name == "ping") {
    c.kind = command_kind::ping;
  } else if (name == "request_snapshot") {
    c.kind = command_kind::request_snapshot;
  } else if (name == "set_sampling_rate") {
    c.kind = command_kind::set_sampling_rate;
    if (!args.contains("hz") || !args["hz"].is_number()) {
      return reject(reject_reason::bad_argument, "set_sampling_rate needs args.hz (a number)", id);
    }
    c.sample_hz = args["hz"].get<double>();
    if (!std::isfinite(c.sample_hz) || c.sample_hz < options.min_hz ||
        c.sample_hz > options.max_hz) {
      return reject(reject_reason::bad_argument, "hz must be from 0.5 to 100", id);
    }
  } else {
    return reject(reject_reason::unknown_command, "unknown command \"" + name.substr(0, 64) + "\"",
                  id);
  }
  for (const auto& [key, value] : args.items()) {
    if (!(c.kind == command_kind::set_sampling_rate && key == "hz")) {
      return reject(reject_reason::bad_argument, "unknown argument \"" + key.substr(0, 64) + "\"",
                    id);
    }
  }
  return c;
}

std::expected<command_result, rejection> verify_result(std::span<const std::uint8_t> message,
                                                       const result_verify_options& options) {
  auto opened =
      open_signed(message, options.key_id, options.key, crypto::key_purpose::command_result);
  if (!opened) return std::unexpected(std::move(opened.error()));
  const auto body = json::parse(*opened, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return reject(reject_reason::bad_body, "body is not a JSON object");
  const auto text = [&body](const char* key) -> const std::string* {
    const auto it = body.find(key);
    return it != body.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  const auto* id = text("id");
  const auto* device = text("device_id");
  const auto ok = body.find("ok");
  const auto at = body.find("at_ms");
  if (id == nullptr || id->empty() || id->size() > 64 || device == nullptr || ok == body.end() ||
      !ok->is_boolean() || at == body.end() || !at->is_number_integer()) {
    return reject(reject_reason::bad_body,
                  "needs id (1-64 characters), device_id, ok (boolean) and at_ms (integer)");
  }
  if (*device != options.device_id) {
    return reject(reject_reason::wrong_device, "from " + device->substr(0, 64), *id);
  }
  command_result r;
  r.id = *id;
  r.device_id = *device;
  r.ok = ok->get<bool>();
  r.at_ms = at->get<std::int64_t>();
  if (const auto* reason = text("reason")) r.reason = reason->substr(0, 64);
  if (const auto* detail = text("detail")) r.detail = detail->substr(0, 512);
  if (const auto it = body.find("result"); it != body.end()) {
    if (!it->is_object()) return reject(reject_reason::bad_body, "result must be an object", *id);
    r.result_json = dump(*it);
  }
  return r;
}

bool replay_guard::accept(const std::string& id, std::int64_t now_ms, std::int64_t max_age_ms) {
  // Forget ids older than twice the window (a command is valid up to max_age on either side).
  while (!order_.empty() &&
         (order_.front().first < now_ms - 2 * max_age_ms || order_.size() >= capacity_)) {
    ids_.erase(order_.front().second);
    order_.pop_front();
  }
  if (ids_.contains(id)) return false;
  ids_.insert(id);
  order_.emplace_back(now_ms, id);
  return true;
}

void replay_guard::restore(const std::string& id, std::int64_t accepted_ms) {
  if (ids_.contains(id)) return;
  if (order_.size() >= capacity_) {
    ids_.erase(order_.front().second);
    order_.pop_front();
  }
  ids_.insert(id);
  order_.emplace_back(accepted_ms, id);
}

std::vector<std::uint8_t> sign(std::string_view body_json, std::uint32_t key_id,
                               std::span<const std::uint8_t> key, crypto::key_purpose purpose) {
  auto signing_key = crypto::purpose_key(key, purpose);
  const auto mac = crypto::hmac_sha256(signing_key, crypto::as_bytes(body_json));
  crypto::secure_zero(signing_key);
  const auto text = dump(json{{"v", version},
                              {"key_id", key_id},
                              {"body", std::string(body_json)},
                              {"mac", common::crypto::to_hex(mac)}});
  return {text.begin(), text.end()};
}

std::string command_body(const command& c) {
  json j = {{"id", c.id},
            {"device_id", c.device_id},
            {"issued_at_ms", c.issued_at_ms},
            {"command", to_string(c.kind)},
            {"args", json::object()}};
  if (c.kind == command_kind::set_sampling_rate) j["args"]["hz"] = c.sample_hz;
  return dump(j);
}

std::string result_body(std::string_view id, std::string_view device_id, std::int64_t at_ms,
                        const std::optional<rejection>& rejected, std::string_view result_json) {
  json j = {{"id", std::string(id)}, {"device_id", std::string(device_id)}, {"at_ms", at_ms}};
  if (rejected) {
    j["ok"] = false;
    j["reason"] = to_string(rejected->reason);
    j["detail"] = rejected->detail;
  } else {
    j["ok"] = true;
    const auto result = json::parse(result_json, nullptr, false);
    j["result"] = result.is_discarded() ? json::object() : result;
  }
  return dump(j);
}

}  // namespace hoistway::common::downlink

// Signed presence: births and last wills.
#include "hoistway/common/presence.hpp"

#include <nlohmann/json.hpp>

#include <tuple>

namespace hoistway::common::presence {

using nlohmann::json;

std::string_view to_string(status s) noexcept { return s == status::online ? "online" : "offline"; }

std::vector<std::uint8_t> sign(const announcement& a, std::string_view details_json,
                               std::uint32_t key_id, std::span<const std::uint8_t> key) {
  auto body =
      json::parse(details_json.empty() ? std::string_view("{}") : details_json, nullptr, false);
  if (!body.is_object()) body = json::object();
  body["status"] = to_string(a.state);
  body["device_id"] = a.device_id;
  body["boot"] = a.boot;
  body["session"] = a.session;
  body["sent_at_ms"] = a.sent_at_ms;
  return downlink::sign(body.dump(-1, ' ', false, json::error_handler_t::replace), key_id, key,
                        crypto::key_purpose::presence);
}

std::expected<announcement, downlink::rejection> verify(std::span<const std::uint8_t> message,
                                                        std::string_view device_id,
                                                        std::uint32_t key_id,
                                                        std::span<const std::uint8_t> key) {
  auto opened = downlink::open_signed(message, key_id, key, crypto::key_purpose::presence);
  if (!opened) return std::unexpected(std::move(opened.error()));
  auto refuse = [](downlink::reject_reason reason, std::string detail) {
    return std::unexpected(downlink::rejection{reason, std::move(detail), {}});
  };
  const auto body = json::parse(*opened, nullptr, false);
  if (!body.is_object()) return refuse(downlink::reject_reason::bad_body, "not a JSON object");
  const auto state = body.find("status");
  const auto device = body.find("device_id");
  const auto boot = body.find("boot");
  const auto session = body.find("session");
  const auto sent = body.find("sent_at_ms");
  if (state == body.end() || !state->is_string() || device == body.end() || !device->is_string() ||
      boot == body.end() || !boot->is_number_unsigned() || session == body.end() ||
      !session->is_number_unsigned() || sent == body.end() || !sent->is_number_integer()) {
    return refuse(downlink::reject_reason::bad_body,
                  "needs status, device_id (strings), boot, session, sent_at_ms (integers)");
  }
  announcement a;
  const auto& name = state->get_ref<const std::string&>();
  if (name == "online") {
    a.state = status::online;
  } else if (name == "offline") {
    a.state = status::offline;
  } else {
    return refuse(downlink::reject_reason::bad_body, "status is neither online nor offline");
  }
  a.device_id = device->get<std::string>();
  if (a.device_id != device_id) {
    return refuse(downlink::reject_reason::wrong_device, "from " + a.device_id.substr(0, 64));
  }
  if (boot->get<std::uint64_t>() > UINT32_MAX) {
    return refuse(downlink::reject_reason::bad_body, "boot is out of range");
  }
  a.boot = static_cast<std::uint32_t>(boot->get<std::uint64_t>());
  a.session = session->get<std::uint64_t>();
  a.sent_at_ms = sent->get<std::int64_t>();
  a.body_json = std::move(*opened);
  return a;
}

bool supersedes(const announcement& next, const announcement& last) noexcept {
  const auto n = std::make_tuple(next.boot, next.session);
  const auto l = std::make_tuple(last.boot, last.session);
  return next.state == status::online ? n > l : n >= l;
}

}  // namespace hoistway::common::presence

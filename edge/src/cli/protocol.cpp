// The technician CLI protocol: request parsing and record JSON.
#include "hoistway/edge/cli/protocol.hpp"

#include <type_traits>

#include "hoistway/common/record_json.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::edge::cli {

using nlohmann::json;

std::string_view to_string(reject_reason reason) noexcept {
  switch (reason) {
    case reject_reason::too_long:
      return "too_long";
    case reject_reason::bad_json:
      return "bad_json";
    case reject_reason::not_an_object:
      return "not_an_object";
    case reject_reason::unknown_command:
      return "unknown_command";
    case reject_reason::bad_argument:
      return "bad_argument";
    case reject_reason::conflict:
      return "conflict";
    case reject_reason::busy:
      return "busy";
    case reject_reason::internal:
      return "internal";
  }
  return "unknown";
}

std::string_view to_string(command cmd) noexcept {
  switch (cmd) {
    case command::status:
      return "status";
    case command::events:
      return "events";
    case command::visit_start:
      return "visit_start";
    case command::visit_end:
      return "visit_end";
    case command::checklist:
      return "checklist";
    case command::outbox:
      return "outbox";
    case command::flush:
      return "flush";
    case command::config_show:
      return "config_show";
    case command::ping:
      return "ping";
  }
  return "unknown";
}

bool valid_technician(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) return false;
  }
  return true;
}

namespace {

bool no_controls(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

std::unexpected<rejection> bad(std::string detail) {
  return std::unexpected(rejection{reject_reason::bad_argument, std::move(detail)});
}

}  // namespace

bool valid_item(std::string_view item) {
  return !item.empty() && item.size() <= 64 && no_controls(item);
}
bool valid_note(std::string_view note) { return note.size() <= 200 && no_controls(note); }

std::expected<request, rejection> parse_request(std::string_view line) {
  if (line.size() > max_request_bytes) {
    return std::unexpected(
        rejection{reject_reason::too_long,
                  "requests are at most " + std::to_string(max_request_bytes) + " bytes"});
  }
  const auto j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::unexpected(rejection{reject_reason::bad_json, "not JSON"});
  if (!j.is_object() || !j.contains("cmd") || !j["cmd"].is_string()) {
    return std::unexpected(
        rejection{reject_reason::not_an_object, "expected an object with a string \"cmd\""});
  }
  const auto name = j["cmd"].get<std::string>();
  request r;
  static constexpr command all[] = {command::status,    command::events,      command::visit_start,
                                    command::visit_end, command::checklist,   command::outbox,
                                    command::flush,     command::config_show, command::ping};
  bool known = false;
  for (const auto c : all) {
    if (to_string(c) == name) {
      r.cmd = c;
      known = true;
    }
  }
  if (!known) {
    return std::unexpected(rejection{reject_reason::unknown_command,
                                     "unknown command \"" + name.substr(0, 64) + "\""});
  }
  // Each command names the fields it takes; any other is an error, as in the config files.
  auto allowed = [&](std::initializer_list<std::string_view> keys) -> std::optional<std::string> {
    for (const auto& [key, value] : j.items()) {
      if (key == "cmd") continue;
      bool ok = false;
      for (const auto k : keys) ok = ok || key == k;
      if (!ok) return key.substr(0, 64);
    }
    return std::nullopt;
  };
  std::optional<std::string> unknown;
  switch (r.cmd) {
    case command::events: {
      unknown = allowed({"since_ms", "limit", "follow"});
      if (unknown) break;
      if (j.contains("since_ms")) {
        if (!j["since_ms"].is_number_integer() || j["since_ms"].get<std::int64_t>() < 0) {
          return bad("since_ms must be a non-negative integer (ms since the epoch)");
        }
        r.since_ms = j["since_ms"].get<std::int64_t>();
      }
      if (j.contains("limit")) {
        if (!j["limit"].is_number_unsigned() || j["limit"].get<std::uint64_t>() == 0 ||
            j["limit"].get<std::uint64_t>() > max_events_limit) {
          return bad("limit must be an integer from 1 to " + std::to_string(max_events_limit));
        }
        r.limit = static_cast<std::size_t>(j["limit"].get<std::uint64_t>());
      }
      if (j.contains("follow")) {
        if (!j["follow"].is_boolean()) return bad("follow must be true or false");
        r.follow = j["follow"].get<bool>();
      }
      break;
    }
    case command::visit_start: {
      unknown = allowed({"technician", "car"});
      if (unknown) break;
      if (!j.contains("technician") || !j["technician"].is_string()) {
        return bad("visit_start needs a string \"technician\"");
      }
      r.technician = j["technician"].get<std::string>();
      if (!valid_technician(r.technician)) {
        return bad("technician must be 1-64 of A-Z a-z 0-9 . _ @ -");
      }
      if (j.contains("car")) {
        if (!j["car"].is_number_unsigned() || j["car"].get<std::uint64_t>() > 255) {
          return bad("car must be an integer from 0 to 255");
        }
        r.car = static_cast<std::uint8_t>(j["car"].get<std::uint64_t>());
      }
      break;
    }
    case command::checklist: {
      unknown = allowed({"item", "result", "note"});
      if (unknown) break;
      if (!j.contains("item") || !j["item"].is_string())
        return bad("checklist needs a string \"item\"");
      r.item = j["item"].get<std::string>();
      if (!valid_item(r.item)) return bad("item must be 1-64 printable characters");
      if (!j.contains("result") || !j["result"].is_string()) {
        return bad("checklist needs \"result\": \"ok\" or \"ng\"");
      }
      const auto result = j["result"].get<std::string>();
      if (result != "ok" && result != "ng") return bad("result must be \"ok\" or \"ng\"");
      r.ok = result == "ok";
      if (j.contains("note")) {
        if (!j["note"].is_string()) return bad("note must be a string");
        r.note = j["note"].get<std::string>();
        if (!valid_note(r.note))
          return bad("note must be at most 200 characters, no control characters");
      }
      break;
    }
    default:
      unknown = allowed({});
      break;
  }
  if (unknown) return bad("unknown field \"" + *unknown + "\" for " + name);
  return r;
}

std::string encode_request(const request& r) {
  json j = {{"cmd", to_string(r.cmd)}};
  switch (r.cmd) {
    case command::events:
      if (r.since_ms) j["since_ms"] = *r.since_ms;
      j["limit"] = r.limit;
      j["follow"] = r.follow;
      break;
    case command::visit_start:
      j["technician"] = r.technician;
      j["car"] = r.car;
      break;
    case command::checklist:
      j["item"] = r.item;
      j["result"] = r.ok ? "ok" : "ng";
      if (!r.note.empty()) j["note"] = r.note;
      break;
    default:
      break;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string encode_rejection(const rejection& r) {
  return json{{"ok", false}, {"reason", to_string(r.reason)}, {"error", r.detail}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

json to_json(const common::record& rec) {
  json j = {{"seq", rec.seq},
            {"car", rec.car},
            {"wall_ms", rec.wall_ms},
            {"time", common::format_rfc3339(rec.wall_ms)},
            {"kind", common::kind_name(rec.body)}};
  j["body"] = common::to_json(rec.body);
  return j;
}

}  // namespace hoistway::edge::cli

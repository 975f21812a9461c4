// Loading agent.toml.
#include "hoistway/edge/agent_config.hpp"

#include <fstream>
#include <sstream>

#include "hoistway/common/config.hpp"
#include "hoistway/common/crypto.hpp"
#include "hoistway/common/topics.hpp"

namespace hoistway::edge {

common::result<agent_config> agent_config::load(const std::string& path) {
  auto table = common::config::load_file(path);
  if (!table) return std::unexpected(table.error());
  common::config::reader root(*table, path);
  root.only({"device_id", "controller", "mqtt", "security", "outbox", "publish", "events", "cli",
             "commands", "faults"});

  agent_config c;
  c.device_id = root.required_text("device_id");
  if (!c.device_id.empty() && !common::topics::valid_device_id(c.device_id)) {
    root.add_error("device_id", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }

  auto controller = root.child("controller");
  controller.only({"socket", "sample_hz", "landing_levels_mm", "landing_window_mm"});
  c.controller_socket = controller.required_text("socket");
  const auto hz = controller.number("sample_hz", 10.0, 0.5, 100.0);
  c.sample_interval = std::chrono::milliseconds(static_cast<std::int64_t>(1000.0 / hz));
  // The building's landing levels: trips are placed by the car's position against them. When
  // absent, the controller's answer is used (or, failing that, levels learned on site).
  if (const auto* node = root.table("controller").get("landing_levels_mm")) {
    const auto* levels = node->as_array();
    bool ok = levels != nullptr && !levels->empty() && levels->size() <= 256;
    for (std::size_t i = 0; ok && i < levels->size(); ++i) {
      const auto v = (*levels)[i].value<std::int64_t>();
      ok = v && *v >= -1'000'000 && *v <= 2'000'000 &&
           (i == 0 || *v > c.derive.landing_levels_mm.back());
      if (ok) c.derive.landing_levels_mm.push_back(static_cast<std::int32_t>(*v));
    }
    if (!ok) {
      c.derive.landing_levels_mm.clear();
      controller.add_error("landing_levels_mm",
                           "must be 1 to 256 strictly ascending integers (mm above the lowest "
                           "landing, one per landing)");
    }
  }
  c.derive.tracking.landing_window_mm =
      static_cast<std::int32_t>(controller.integer("landing_window_mm", 75, 5, 1000));

  auto mqtt = root.child("mqtt");
  mqtt.only({"uri", "username", "password", "password_file", "keep_alive_s", "reconnect_min_ms",
             "reconnect_max_ms", "tls"});
  c.mqtt.server_uri = mqtt.text("uri", "tcp://127.0.0.1:1883");
  c.mqtt.username = mqtt.text("username", "");
  // The password may be in a file of its own (0600), so the config file can be readable by the
  // technicians' tools without handing them the broker credentials.
  c.mqtt.password = mqtt.secret("password", "password_file").value;
  c.mqtt.keep_alive = std::chrono::seconds(mqtt.integer("keep_alive_s", 20, 2, 3600));
  c.mqtt.reconnect_min =
      std::chrono::milliseconds(mqtt.integer("reconnect_min_ms", 250, 10, 60'000));
  c.mqtt.reconnect_max =
      std::chrono::milliseconds(mqtt.integer("reconnect_max_ms", 30'000, 100, 3'600'000));
  c.mqtt.client_id = "agent-" + c.device_id;
  c.mqtt.session_kind = common::mqtt::session::clean;
  if (mqtt.table("tls").size() > 0) {
    auto tls = mqtt.child("tls");
    tls.only({"ca_file", "cert_file", "key_file"});
    c.mqtt.tls = common::mqtt::tls_options{tls.required_text("ca_file"), tls.text("cert_file", ""),
                                           tls.text("key_file", ""), true};
  }

  auto security = root.child("security");
  security.only({"key_id", "key_hex", "key_file"});
  c.key_id = static_cast<std::uint32_t>(security.integer("key_id", 1, 0, UINT32_MAX));
  // The key inline (key_hex) or, better, in a file of its own that only the agent's user reads
  // (key_file: the hex digits, one line; refused if group or others may read it).
  const auto errors_before = security.errors().size();
  auto [key_hex, key_key] = security.secret("key_hex", "key_file");
  if (key_hex.empty() && security.errors().size() == errors_before) {
    security.add_error("key_hex", "is required (or key_file)");
  }
  if (!key_hex.empty()) {
    auto key = common::crypto::from_hex(key_hex);
    const std::string origin = key_key == "key_file" ? security.text("key_file", "") + ": " : "";
    if (!key) {
      security.add_error(key_key, origin + key.error().message);
    } else if (key->size() < 16 || key->size() > 64) {
      security.add_error(key_key, origin + "must be 16 to 64 bytes (32 to 128 hex digits)");
    } else {
      c.key = std::move(*key);
    }
  }

  auto outbox = root.child("outbox");
  outbox.only({"path", "max_records"});
  c.outbox_path = outbox.required_text("path");
  c.outbox_max_records =
      static_cast<std::uint64_t>(outbox.integer("max_records", 200'000, 100, 100'000'000));

  auto publish = root.child("publish");
  publish.only({"max_batch_records", "max_unacked_records", "ack_timeout_s"});
  c.max_batch_records =
      static_cast<std::size_t>(publish.integer("max_batch_records", 256, 1, 4096));
  c.max_unacked_records =
      static_cast<std::size_t>(publish.integer("max_unacked_records", 2048, 1, 1'000'000));
  c.ack_timeout = std::chrono::seconds(publish.integer("ack_timeout_s", 10, 1, 3600));

  auto events = root.child("events");
  events.only({"snapshot_interval_s", "entrapment_after_s", "rollup_interval_s"});
  c.derive.snapshot_interval =
      std::chrono::seconds(events.integer("snapshot_interval_s", 60, 1, 86'400));
  c.derive.entrapment_after =
      std::chrono::seconds(events.integer("entrapment_after_s", 30, 1, 3600));
  c.derive.rollup_interval =
      std::chrono::seconds(events.integer("rollup_interval_s", 900, 10, 86'400));

  // [[faults]]: codes of another controller family, or a site's own judgement of a code.
  std::size_t fault_index = 0;
  for (const auto* t : root.tables("faults")) {
    auto f = root.child(*t, "faults[" + std::to_string(fault_index++) + "]");
    f.only({"code", "severity", "blocks_service"});
    if (!t->contains("code")) f.add_error("code", "is required");
    const auto code = static_cast<std::uint16_t>(f.integer("code", 0, 1, 65'535));
    const auto level_text = f.required_text("severity");
    const auto level = parse_severity(level_text);
    if (!level_text.empty() && !level) {
      f.add_error("severity", "must be one of info, minor, major, critical");
    }
    const auto level_or = level.value_or(common::severity::major);
    const bool blocks = f.boolean("blocks_service", level_or >= common::severity::major);
    if (code != 0) c.derive.faults.set(code, {level_or, blocks});
  }

  auto cli = root.child("cli");
  cli.only({"socket", "events_kept"});
  c.cli_socket = cli.text("socket", "/run/hoistway/agent.sock");
  if (c.cli_socket.empty() || c.cli_socket.size() >= 108) {
    cli.add_error("socket", "must be a path of 1 to 107 characters");
  }
  c.cli_events_kept = static_cast<std::size_t>(cli.integer("events_kept", 1000, 10, 100'000));

  auto commands = root.child("commands");
  commands.only({"max_age_s"});
  c.command_max_age = std::chrono::seconds(commands.integer("max_age_s", 300, 5, 86'400));

  c.mqtt.will =
      common::mqtt::last_will{common::topics::state(c.device_id), R"({"status":"offline"})",
                              common::mqtt::qos::at_least_once, common::mqtt::retain::yes};

  if (auto st = root.finish(); !st) return std::unexpected(st.error());
  c.config_path = path;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  c.config_hash =
      common::crypto::to_hex(common::crypto::sha256(common::crypto::as_bytes(text.str())));
  return c;
}

}  // namespace hoistway::edge

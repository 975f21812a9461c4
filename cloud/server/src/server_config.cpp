// Loading ingest.toml.
#include "hoistway/cloud/server/server_config.hpp"

#include "hoistway/common/config.hpp"
#include "hoistway/common/crypto.hpp"
#include "hoistway/common/topics.hpp"

namespace hoistway::cloud {

common::result<server_config> server_config::load(const std::string& path) {
  auto table = common::config::load_file(path);
  if (!table) return std::unexpected(table.error());
  common::config::reader root(*table, path);
  root.only({"mqtt", "http", "store", "ingest", "retention", "devices", "accounts"});
  server_config c;
  c.source_path = path;
  if (const auto* accounts = table->get("accounts")) {
    if (const auto* t = accounts->as_table()) {
      c.accounts = *t;
    } else {
      root.add_error("accounts", "expected a table");
    }
  }

  auto mqtt = root.child("mqtt");
  mqtt.only({"uri", "client_id", "username", "password", "password_file", "share_group"});
  c.mqtt.server_uri = mqtt.text("uri", "tcp://127.0.0.1:1883");
  c.mqtt.client_id = mqtt.text("client_id", "hoistway-ingest");
  c.mqtt.username = mqtt.text("username", "");
  // The service user's password may be in a file of its own (0600; the same file
  // `hoistway-admin broker write --service-password-file` hashes into the broker's password
  // file), so ingest.toml holds no secret.
  c.mqtt.password = mqtt.secret("password", "password_file").value;
  c.mqtt.session_kind = common::mqtt::session::persistent;
  c.mqtt.max_inflight = 256;
  c.share_group = mqtt.text("share_group", "ingest");

  auto http = root.child("http");
  http.only({"address", "port", "threads", "workers", "slow_workers", "queue", "max_connections",
             "max_connections_per_address", "max_body_bytes", "header_timeout_ms",
             "body_timeout_ms", "idle_timeout_ms", "write_timeout_ms", "max_streams",
             "max_streams_per_key", "stream_check_ms", "metrics_listen", "metrics_token_file",
             "web_root"});
  c.http_address = http.text("address", "127.0.0.1");
  c.http_port = static_cast<std::uint16_t>(http.integer("port", 8080, 0, 65535));
  {
    auto& h = c.http;
    const http_config d;
    auto ms = [&http](std::string_view key, std::chrono::milliseconds fallback, std::int64_t min,
                      std::int64_t max) {
      return std::chrono::milliseconds(http.integer(key, fallback.count(), min, max));
    };
    auto size = [&http](std::string_view key, std::size_t fallback, std::int64_t min,
                        std::int64_t max) {
      return static_cast<std::size_t>(
          http.integer(key, static_cast<std::int64_t>(fallback), min, max));
    };
    h.threads = static_cast<int>(http.integer("threads", d.threads, 1, 64));
    h.workers = static_cast<int>(http.integer("workers", d.workers, 1, 256));
    h.slow_workers = static_cast<int>(http.integer("slow_workers", d.slow_workers, 1, 256));
    h.queue = size("queue", d.queue, 1, 100'000);
    h.max_connections = size("max_connections", d.max_connections, 1, 1'000'000);
    h.max_connections_per_address =
        size("max_connections_per_address", d.max_connections_per_address, 1, 1'000'000);
    if (h.max_connections_per_address > h.max_connections) {
      http.add_error("max_connections_per_address", "must not exceed max_connections");
    }
    h.max_body_bytes = size("max_body_bytes", d.max_body_bytes, 1024, 16 << 20);
    h.header_timeout = ms("header_timeout_ms", d.header_timeout, 100, 600'000);
    h.body_timeout = ms("body_timeout_ms", d.body_timeout, 100, 3'600'000);
    h.idle_timeout = ms("idle_timeout_ms", d.idle_timeout, 100, 3'600'000);
    h.write_timeout = ms("write_timeout_ms", d.write_timeout, 100, 3'600'000);
    h.max_streams = size("max_streams", d.max_streams, 0, 1'000'000);
    h.max_streams_per_key = size("max_streams_per_key", d.max_streams_per_key, 0, 1'000'000);
    h.stream_check = ms("stream_check_ms", d.stream_check, 100, 60'000);
    h.metrics_listen = http.text("metrics_listen", "");
    if (!h.metrics_listen.empty()) {
      const auto colon = h.metrics_listen.rfind(':');
      const auto port =
          colon == std::string::npos ? std::string() : h.metrics_listen.substr(colon + 1);
      const bool digits = !port.empty() && port.size() <= 5 &&
                          port.find_first_not_of("0123456789") == std::string::npos;
      if (colon == 0 || !digits || std::stoul(port) > 65535) {
        http.add_error("metrics_listen", "must be host:port, e.g. \"127.0.0.1:9464\"");
      }
    }
    h.metrics_token_file = http.text("metrics_token_file", "");
    h.web_root = http.text("web_root", "");
  }

  auto store = root.child("store");
  store.only({"path"});
  c.store_path = store.required_text("path");

  auto ingest = root.child("ingest");
  ingest.only({"max_frame_bytes", "max_batch_frames", "offline_after_s", "ack_interval_ms",
               "dead_letters_per_s", "dead_letters_max_rows", "dead_letters_days",
               "device_records_per_s", "device_burst_records"});
  c.max_frame_bytes =
      static_cast<std::size_t>(ingest.integer("max_frame_bytes", 256 * 1024, 1024, 16 << 20));
  c.max_batch_frames =
      static_cast<std::size_t>(ingest.integer("max_batch_frames", 512, 1, 100'000));
  c.offline_after = std::chrono::seconds(ingest.integer("offline_after_s", 30, 1, 86'400));
  c.ack_interval = std::chrono::milliseconds(ingest.integer("ack_interval_ms", 100, 0, 5'000));
  c.dead_letters_per_s =
      static_cast<std::size_t>(ingest.integer("dead_letters_per_s", 50, 0, 10'000));
  c.dead_letters_max_rows =
      static_cast<std::size_t>(ingest.integer("dead_letters_max_rows", 10'000, 100, 10'000'000));
  c.dead_letters_days = ingest.integer("dead_letters_days", 14, 1, 3'650);
  c.device_records_per_s =
      static_cast<std::uint64_t>(ingest.integer("device_records_per_s", 20'000, 0, 100'000'000));
  c.device_burst_records = static_cast<std::uint64_t>(
      ingest.integer("device_burst_records", 400'000, 4'096, 1'000'000'000));

  auto retention = root.child("retention");
  retention.only({"samples_days", "status_log_days", "sweep_interval_s", "batch_rows"});
  c.retention.samples_days = retention.integer("samples_days", 30, 0, 36'500);
  c.retention.status_log_days = retention.integer("status_log_days", 0, 0, 36'500);
  c.retention.sweep_interval =
      std::chrono::seconds(retention.integer("sweep_interval_s", 3600, 60, 7 * 86'400));
  c.retention.batch_rows =
      static_cast<std::size_t>(retention.integer("batch_rows", 1000, 10, 100'000));
  // The status log is derived from the samples: dropping it first would make availability
  // answer "unknown" for days whose samples are still stored.
  if (c.retention.status_log_days > 0 &&
      (c.retention.samples_days == 0 || c.retention.status_log_days < c.retention.samples_days)) {
    retention.add_error("status_log_days",
                        "must be 0 (keep forever) or at least samples_days (and samples_days "
                        "must then not be 0): availability must not end before the samples do");
  }

  for (const auto* t : root.tables("devices")) {
    auto d = root.child(*t, "devices[" + std::to_string(c.devices.size()) + "]");
    d.only({"device_id", "key_id", "key_hex", "units"});
    device_provision p;
    p.device_id = d.required_text("device_id");
    if (!p.device_id.empty() && !common::topics::valid_device_id(p.device_id)) {
      d.add_error("device_id", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
    }
    p.key_id = static_cast<std::uint32_t>(d.integer("key_id", 1, 0, UINT32_MAX));
    auto key = common::crypto::from_hex(d.required_text("key_hex"));
    if (!key || key->size() < 16 || key->size() > 64) {
      d.add_error("key_hex", "must be 16 to 64 bytes of hex");
    } else {
      p.key = std::move(*key);
    }
    if (const auto* units = t->get("units")) {
      if (const auto* array = units->as_array()) {
        for (const auto& u : *array) {
          if (const auto* s = u.as_string();
              s != nullptr && !s->get().empty() && s->get().size() <= 64) {
            p.units.push_back(s->get());
          } else {
            d.add_error("units",
                        "every unit id must be a non-empty string of at most 64 characters");
          }
        }
      } else {
        d.add_error("units", "expected an array of unit ids");
      }
    }
    c.devices.push_back(std::move(p));
  }
  if (auto st = root.finish(); !st) return std::unexpected(st.error());
  return c;
}

}  // namespace hoistway::cloud

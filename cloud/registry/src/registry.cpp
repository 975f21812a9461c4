// The operator's registry on the cloud store.
#include "hoistway/cloud/registry/registry.hpp"

#include <nlohmann/json.hpp>

#include "hoistway/cloud/registry/time_zone.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/crypto.hpp"
#include "hoistway/common/secret_file.hpp"
#include "hoistway/common/topics.hpp"

namespace hoistway::cloud {

using common::errc;
using common::fail;
namespace crypto = common::crypto;
namespace sqlite = common::sqlite;

std::vector<std::string> floor_labels_from(const std::string& json_text) {
  std::vector<std::string> out;
  if (json_text.empty()) return out;
  const auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& label : j) {
    if (label.is_string()) out.push_back(label.get<std::string>());
  }
  return out;
}

namespace {

constexpr std::size_t max_name = 200;

common::status check_id(std::string_view what, std::string_view id) {
  if (!valid_registry_id(id)) {
    return fail(errc::invalid_argument, std::string(what) + " id '" + std::string(id) +
                                            "' must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  return {};
}

common::status check_text(std::string_view what, std::string_view text, bool required) {
  if (required && text.empty())
    return fail(errc::invalid_argument, std::string(what) + " is required");
  if (text.size() > max_name) {
    return fail(errc::invalid_argument, std::string(what) + " is longer than 200 bytes");
  }
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return fail(errc::invalid_argument, std::string(what) + " contains a control character");
    }
  }
  return {};
}

// Runs a prepared statement and collects rows through `row`.
template <typename T, typename F>
common::result<std::vector<T>> collect(sqlite::statement& stmt, F row) {
  std::vector<T> out;
  while (true) {
    auto step = stmt.step();
    if (!step) return std::unexpected(step.error());
    if (*step == sqlite::step_result::done) break;
    out.push_back(row(stmt));
  }
  return out;
}

std::string random_password() {
  // 24 characters of an unambiguous alphabet: ~140 bits.
  static constexpr std::string_view alphabet =
      "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  auto bytes = crypto::random_bytes(24);
  for (const auto b : bytes) out.push_back(alphabet[b % alphabet.size()]);
  return out;
}

}  // namespace

bool valid_registry_id(std::string_view id) { return common::topics::valid_device_id(id); }

std::optional<parsed_api_key> parse_api_key(std::string_view token) {
  // hwk_<12 hex>_<64 hex>
  if (token.size() != 4 + 12 + 1 + 64 || !token.starts_with("hwk_") || token[16] != '_') {
    return std::nullopt;
  }
  const auto key_id = token.substr(4, 12);
  if (!crypto::from_hex(key_id)) return std::nullopt;
  auto secret = crypto::from_hex(token.substr(17));
  if (!secret) return std::nullopt;
  return parsed_api_key{std::string(key_id), std::move(*secret)};
}

std::string broker_password_hash(std::string_view password) {
  const auto salt = crypto::random_bytes(12);
  const auto hash = crypto::pbkdf2_sha512(password, salt, 101, 64);
  return "$7$101$" + crypto::to_base64(salt) + "$" + crypto::to_base64(hash);
}

common::result<registry> registry::open(const std::string& store_path,
                                        std::shared_ptr<common::clock> clock) {
  auto db = sqlite::database::open(store_path, {.sync = sqlite::durability::full});
  if (!db) return std::unexpected(db.error());
  if (auto st = migrate_store(*db); !st) return std::unexpected(st.error());
  return registry(std::move(*db), std::move(clock));
}

common::result<bool> registry::exists(std::string_view sql, const std::string& id) {
  auto stmt = db_.prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return *row == sqlite::step_result::row;
}

common::status registry::add_customer(const std::string& customer_id, const std::string& name) {
  if (auto st = check_id("customer", customer_id); !st) return st;
  if (auto st = check_text("customer name", name, true); !st) return st;
  auto found = exists("SELECT 1 FROM customers WHERE customer_id = ?1", customer_id);
  if (!found) return std::unexpected(found.error());
  if (*found) return fail(errc::conflict, "customer " + customer_id + " exists already");
  auto stmt =
      db_.prepare("INSERT INTO customers(customer_id, name, created_ms) VALUES (?1, ?2, ?3)");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->bind(1, customer_id).bind(2, name).bind(3, clock_->wall_ms()).run();
}

common::result<std::vector<customer_info>> registry::customers() {
  auto stmt =
      db_.prepare("SELECT customer_id, name, created_ms FROM customers ORDER BY customer_id");
  if (!stmt) return std::unexpected(stmt.error());
  return collect<customer_info>(*stmt, [](sqlite::statement& s) {
    return customer_info{s.column_text(0), s.column_text(1), s.column_int(2)};
  });
}

common::status registry::add_building(const std::string& building_id,
                                      const std::string& customer_id, const std::string& name,
                                      const std::string& address) {
  if (auto st = check_id("building", building_id); !st) return st;
  if (auto st = check_text("building name", name, true); !st) return st;
  if (auto st = check_text("address", address, false); !st) return st;
  auto customer = exists("SELECT 1 FROM customers WHERE customer_id = ?1", customer_id);
  if (!customer) return std::unexpected(customer.error());
  if (!*customer) return fail(errc::not_found, "no customer " + customer_id);
  auto found = exists("SELECT 1 FROM buildings WHERE building_id = ?1", building_id);
  if (!found) return std::unexpected(found.error());
  if (*found) return fail(errc::conflict, "building " + building_id + " exists already");
  auto stmt = db_.prepare(
      "INSERT INTO buildings(building_id, customer_id, name, address) VALUES (?1, ?2, ?3, ?4)");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->bind(1, building_id).bind(2, customer_id).bind(3, name).bind(4, address).run();
}

common::result<std::vector<building_info>> registry::buildings(const std::string& customer_id) {
  auto stmt = db_.prepare(
      "SELECT building_id, customer_id, name, address, time_zone FROM buildings "
      "WHERE ?1 = '' OR customer_id = ?1 ORDER BY building_id");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, customer_id);
  return collect<building_info>(*stmt, [](sqlite::statement& s) {
    return building_info{s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3),
                         s.column_text(4)};
  });
}

common::status registry::set_time_zone(const std::string& building_id,
                                       const std::string& time_zone) {
  if (!valid_time_zone(time_zone)) {
    return fail(errc::invalid_argument,
                "'" + time_zone + "' is not a time zone this system knows (e.g. Asia/Tokyo)");
  }
  auto stmt = db_.prepare("UPDATE buildings SET time_zone = ?2 WHERE building_id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = stmt->bind(1, building_id).bind(2, time_zone).run(); !st) return st;
  if (db_.changes() == 0) return fail(errc::not_found, "no building " + building_id);
  return {};
}

common::status registry::set_layout(const std::string& unit_id, const unit_layout& layout) {
  if (layout.landings < 1 || layout.landings > 256)
    return fail(errc::invalid_argument, "a unit serves 1 to 256 landings");
  if (!layout.floor_labels.empty() &&
      layout.floor_labels.size() != static_cast<std::size_t>(layout.landings)) {
    return fail(errc::invalid_argument, "give one floor label per landing (" +
                                            std::to_string(layout.landings) + "), lowest first");
  }
  for (const auto& label : layout.floor_labels) {
    if (auto st = check_text("floor label", label, true); !st) return st;
    if (label.size() > 8 || label.find(',') != std::string::npos)
      return fail(errc::invalid_argument, "a floor label is 1 to 8 characters, no comma");
  }
  const auto labels =
      layout.floor_labels.empty() ? std::string() : nlohmann::json(layout.floor_labels).dump();
  auto stmt = db_.prepare("UPDATE units SET landings = ?2, floor_labels = ?3 WHERE unit_id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = stmt->bind(1, unit_id).bind(2, layout.landings).bind(3, labels).run(); !st)
    return st;
  if (db_.changes() == 0) return fail(errc::not_found, "no unit " + unit_id);
  return {};
}

common::result<device_secrets> registry::add_device(const std::string& device_id,
                                                    std::optional<std::vector<std::uint8_t>> key) {
  if (auto st = check_id("device", device_id); !st) return std::unexpected(st.error());
  if (key && (key->size() < 16 || key->size() > 64)) {
    return fail(errc::invalid_argument, "a device key is 16 to 64 bytes");
  }
  auto found = exists("SELECT 1 FROM devices WHERE device_id = ?1", device_id);
  if (!found) return std::unexpected(found.error());
  if (*found) return fail(errc::conflict, "device " + device_id + " exists already");
  device_secrets secrets;
  secrets.device_id = device_id;
  secrets.key_id = 1;
  const auto key_bytes = key ? *key : crypto::random_bytes(32);
  secrets.key_hex = crypto::to_hex(key_bytes);
  secrets.mqtt_username = device_id;
  secrets.mqtt_password = random_password();
  auto stmt = db_.prepare(
      "INSERT INTO devices(device_id, key_id, key, mqtt_password_hash) VALUES (?1, ?2, ?3, ?4)");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = stmt->bind(1, device_id)
                    .bind(2, secrets.key_id)
                    .bind(3, std::span<const std::uint8_t>(key_bytes))
                    .bind(4, broker_password_hash(secrets.mqtt_password))
                    .run();
      !st) {
    return std::unexpected(st.error());
  }
  return secrets;
}

common::result<device_secrets> registry::rotate_device_secrets(const std::string& device_id) {
  auto stmt = db_.prepare("SELECT key_id FROM devices WHERE device_id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, device_id);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (*row != sqlite::step_result::row) return fail(errc::not_found, "no device " + device_id);
  device_secrets secrets;
  secrets.device_id = device_id;
  secrets.key_id = static_cast<std::uint32_t>(stmt->column_int(0) + 1);
  const auto key = crypto::random_bytes(32);
  secrets.key_hex = crypto::to_hex(key);
  secrets.mqtt_username = device_id;
  secrets.mqtt_password = random_password();
  auto update = db_.prepare(
      "UPDATE devices SET key_id = ?2, key = ?3, mqtt_password_hash = ?4 WHERE device_id = ?1");
  if (!update) return std::unexpected(update.error());
  if (auto st = update->bind(1, device_id)
                    .bind(2, secrets.key_id)
                    .bind(3, std::span<const std::uint8_t>(key))
                    .bind(4, broker_password_hash(secrets.mqtt_password))
                    .run();
      !st) {
    return std::unexpected(st.error());
  }
  return secrets;
}

common::status registry::set_device_active(const std::string& device_id, bool active) {
  auto stmt = db_.prepare("UPDATE devices SET active = ?2 WHERE device_id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = stmt->bind(1, device_id).bind(2, active).run(); !st) return st;
  if (db_.changes() == 0) return fail(errc::not_found, "no device " + device_id);
  return {};
}

common::result<std::vector<device_info>> registry::devices() {
  auto stmt = db_.prepare(
      "SELECT device_id, key_id, active, stored_through, last_seen_ms, "
      "mqtt_password_hash IS NOT NULL, coverage, late_records FROM devices ORDER BY device_id");
  if (!stmt) return std::unexpected(stmt.error());
  return collect<device_info>(*stmt, [](sqlite::statement& s) {
    device_info d;
    d.device_id = s.column_text(0);
    d.key_id = static_cast<std::uint32_t>(s.column_int(1));
    d.active = s.column_int(2) != 0;
    d.stored_through = static_cast<std::uint64_t>(s.column_int(3));
    if (!s.is_null(4)) d.last_seen_ms = s.column_int(4);
    d.has_mqtt_password = s.column_int(5) != 0;
    // The writer only stores well-formed coverage; a row that is not reads as no gaps.
    if (auto c = seq_coverage::from_text(d.stored_through, s.column_text(6))) {
      d.missing = c->missing();
    }
    d.late_records = static_cast<std::uint64_t>(s.column_int(7));
    return d;
  });
}

common::status registry::add_unit(const std::string& unit_id, const std::string& device_id,
                                  std::uint8_t car, const std::string& building_id,
                                  const std::string& name) {
  if (auto st = check_id("unit", unit_id); !st) return st;
  if (auto st = check_text("unit name", name, false); !st) return st;
  auto device = exists("SELECT 1 FROM devices WHERE device_id = ?1", device_id);
  if (!device) return std::unexpected(device.error());
  if (!*device) return fail(errc::not_found, "no device " + device_id);
  auto building = exists("SELECT 1 FROM buildings WHERE building_id = ?1", building_id);
  if (!building) return std::unexpected(building.error());
  if (!*building) return fail(errc::not_found, "no building " + building_id);
  auto taken =
      db_.prepare("SELECT unit_id FROM units WHERE unit_id = ?1 OR (device_id = ?2 AND car = ?3)");
  if (!taken) return std::unexpected(taken.error());
  taken->bind(1, unit_id).bind(2, device_id).bind(3, car);
  auto row = taken->step();
  if (!row) return std::unexpected(row.error());
  if (*row == sqlite::step_result::row) {
    return fail(errc::conflict,
                "unit " + taken->column_text(0) + " already has that id or that device and car");
  }
  auto stmt = db_.prepare(
      "INSERT INTO units(unit_id, device_id, car, building_id, name) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->bind(1, unit_id)
      .bind(2, device_id)
      .bind(3, car)
      .bind(4, building_id)
      .bind(5, name)
      .run();
}

common::result<std::vector<unit_info>> registry::units(const std::string& customer_id) {
  auto stmt = db_.prepare(
      "SELECT u.unit_id, u.device_id, u.car, COALESCE(u.building_id, ''), u.name, "
      "COALESCE(b.customer_id, ''), EXISTS(SELECT 1 FROM contracts c WHERE c.unit_id = u.unit_id "
      "AND c.kind = 'monitoring' AND c.starts_ms <= ?2 AND (c.ends_ms IS NULL OR c.ends_ms > ?2)), "
      "u.landings, u.floor_labels "
      "FROM units u LEFT JOIN buildings b ON b.building_id = u.building_id "
      "WHERE ?1 = '' OR b.customer_id = ?1 ORDER BY u.unit_id");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, customer_id).bind(2, clock_->wall_ms());
  return collect<unit_info>(*stmt, [](sqlite::statement& s) {
    unit_info u;
    u.unit_id = s.column_text(0);
    u.device_id = s.column_text(1);
    u.car = static_cast<std::uint8_t>(s.column_int(2));
    u.building_id = s.column_text(3);
    u.name = s.column_text(4);
    u.customer_id = s.column_text(5);
    u.monitored = s.column_int(6) != 0;
    u.landings = static_cast<int>(s.column_int(7));
    u.floor_labels = floor_labels_from(s.column_text(8));
    return u;
  });
}

common::result<std::int64_t> registry::add_contract(const std::string& unit_id,
                                                    std::int64_t starts_ms,
                                                    std::optional<std::int64_t> ends_ms) {
  auto unit = exists("SELECT 1 FROM units WHERE unit_id = ?1", unit_id);
  if (!unit) return std::unexpected(unit.error());
  if (!*unit) return fail(errc::not_found, "no unit " + unit_id);
  if (ends_ms && *ends_ms <= starts_ms) {
    return fail(errc::invalid_argument, "a contract must end after it starts");
  }
  auto stmt = db_.prepare(
      "INSERT INTO contracts(unit_id, kind, starts_ms, ends_ms) VALUES (?1, 'monitoring', ?2, ?3)");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = stmt->bind(1, unit_id).bind(2, starts_ms).bind(3, ends_ms).run(); !st) {
    return std::unexpected(st.error());
  }
  return db_.last_insert_rowid();
}

common::status registry::end_contracts(const std::string& unit_id, std::int64_t at_ms) {
  // A contract running at `at_ms` ends then; one that starts later never takes effect (it ends
  // where it starts).
  auto stmt = db_.prepare(
      "UPDATE contracts SET ends_ms = MAX(starts_ms, ?2) WHERE unit_id = ?1 "
      "AND (ends_ms IS NULL OR ends_ms > ?2)");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = stmt->bind(1, unit_id).bind(2, at_ms).run(); !st) return st;
  if (db_.changes() == 0) return fail(errc::not_found, "unit " + unit_id + " has no open contract");
  return {};
}

common::result<std::vector<contract_info>> registry::contracts(const std::string& unit_id) {
  auto stmt = db_.prepare(
      "SELECT contract_id, unit_id, kind, starts_ms, ends_ms FROM contracts "
      "WHERE ?1 = '' OR unit_id = ?1 ORDER BY contract_id");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, unit_id);
  return collect<contract_info>(*stmt, [](sqlite::statement& s) {
    contract_info c{s.column_int(0), s.column_text(1), s.column_text(2), s.column_int(3), {}};
    if (!s.is_null(4)) c.ends_ms = s.column_int(4);
    return c;
  });
}

common::result<api_key_secret> registry::create_api_key(const std::string& customer_id,
                                                        const std::string& label) {
  if (auto st = check_text("label", label, false); !st) return std::unexpected(st.error());
  auto customer = exists("SELECT 1 FROM customers WHERE customer_id = ?1", customer_id);
  if (!customer) return std::unexpected(customer.error());
  if (!*customer) return fail(errc::not_found, "no customer " + customer_id);
  const auto key_id = crypto::to_hex(crypto::random_bytes(6));
  const auto secret = crypto::random_bytes(32);
  const auto digest = crypto::sha256(secret);
  auto stmt = db_.prepare(
      "INSERT INTO api_keys(key_id, customer_id, secret_sha256, label, created_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = stmt->bind(1, key_id)
                    .bind(2, customer_id)
                    .bind(3, std::span<const std::uint8_t>(digest))
                    .bind(4, label)
                    .bind(5, clock_->wall_ms())
                    .run();
      !st) {
    return std::unexpected(st.error());
  }
  return api_key_secret{key_id, "hwk_" + key_id + "_" + crypto::to_hex(secret)};
}

common::status registry::revoke_api_key(const std::string& key_id) {
  auto stmt =
      db_.prepare("UPDATE api_keys SET revoked_ms = ?2 WHERE key_id = ?1 AND revoked_ms IS NULL");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = stmt->bind(1, key_id).bind(2, clock_->wall_ms()).run(); !st) return st;
  if (db_.changes() == 0) return fail(errc::not_found, "no active API key " + key_id);
  return {};
}

common::result<std::vector<api_key_info>> registry::api_keys(const std::string& customer_id) {
  auto stmt = db_.prepare(
      "SELECT key_id, customer_id, label, created_ms, revoked_ms FROM api_keys "
      "WHERE ?1 = '' OR customer_id = ?1 ORDER BY created_ms, key_id");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, customer_id);
  return collect<api_key_info>(*stmt, [](sqlite::statement& s) {
    api_key_info k{s.column_text(0), s.column_text(1), s.column_text(2), s.column_int(3), {}};
    if (!s.is_null(4)) k.revoked_ms = s.column_int(4);
    return k;
  });
}

common::status registry::write_broker_files(const std::string& password_file,
                                            const std::string& acl_file,
                                            const std::string& service_user,
                                            const std::string& service_password) {
  if (auto st = check_id("service user", service_user); !st) return st;
  auto clash = exists("SELECT 1 FROM devices WHERE device_id = ?1", service_user);
  if (!clash) return std::unexpected(clash.error());
  if (*clash) {
    return fail(errc::conflict, "the service user '" + service_user +
                                    "' is a device id: it would get the device's topics too");
  }
  if (service_password.size() < 12) {
    return fail(errc::invalid_argument, "the service password must have at least 12 characters");
  }
  auto stmt = db_.prepare(
      "SELECT device_id, mqtt_password_hash FROM devices "
      "WHERE active = 1 AND mqtt_password_hash IS NOT NULL ORDER BY device_id");
  if (!stmt) return std::unexpected(stmt.error());
  std::string passwords = service_user + ":" + broker_password_hash(service_password) + "\n";
  // The service user's read rules also cover its shared subscriptions: mosquitto (2.0) checks a
  // "$share/<group>/<filter>" subscription against the filter without the "$share/<group>/" part.
  // No rule is given to anonymous clients (the broker refuses them: allow_anonymous false).
  std::string acl =
      "# Written by hoistway-admin broker write: each device publishes only its own up, state\n"
      "# and cmd_result and reads only its own ack and cmd; the ingest's service user reads\n"
      "# every device's up, state and cmd_result and writes acks and commands. No one else\n"
      "# has a rule: the broker must refuse anonymous clients (allow_anonymous false).\n"
      "user " +
      service_user +
      "\n"
      "topic read hoistway/v1/dev/+/up\n"
      "topic read hoistway/v1/dev/+/state\n"
      "topic write hoistway/v1/dev/+/ack\n"
      "topic write hoistway/v1/dev/+/cmd\n"
      "topic read hoistway/v1/dev/+/cmd_result\n";
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    const auto device = stmt->column_text(0);
    passwords += device + ":" + stmt->column_text(1) + "\n";
    acl += "\nuser " + device + "\n";
    for (const auto* leaf : {"up", "state", "cmd_result"}) {
      acl += "topic write hoistway/v1/dev/" + device + "/" + leaf + "\n";
    }
    for (const auto* leaf : {"ack", "cmd"}) {
      acl += "topic read hoistway/v1/dev/" + device + "/" + leaf + "\n";
    }
  }
  // The ACL names every device: it is no secret, but it is the broker's security policy, so it is
  // written as carefully as the password file (0600 from creation, replaced atomically).
  for (const auto& [path, text] : {std::pair{password_file, passwords}, std::pair{acl_file, acl}}) {
    if (auto st = common::secret_file::write(path, text); !st) return st;
  }
  return {};
}

}  // namespace hoistway::cloud

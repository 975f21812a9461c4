// The operator's registry: customers, buildings, units, monitoring contracts, devices (keys and
// MQTT credentials) and API keys, in the cloud store. What `hoistway-admin` manages.
//
// Secrets (device keys, MQTT passwords, API key tokens) are returned once, when made; the store
// keeps the device key (the ingest needs it to verify MACs) but only hashes of MQTT passwords
// (PBKDF2-SHA512, the broker's format) and of API key secrets (SHA-256 of 256 random bits).
//
// Thread-safety: a registry (one connection) belongs to one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hoistway/cloud/store/coverage.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/sqlite.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::cloud {

struct customer_info {
  std::string customer_id;
  std::string name;
  std::int64_t created_ms = 0;
};

struct building_info {
  std::string building_id;
  std::string customer_id;
  std::string name;
  std::string address;
  std::string time_zone;  // IANA name; empty: not set
};

struct unit_info {
  std::string unit_id;
  std::string device_id;
  std::uint8_t car = 0;
  std::string building_id;  // empty: not yet placed in a building
  std::string name;
  std::string customer_id;                // through the building; empty when unplaced
  bool monitored = false;                 // an open monitoring contract now
  int landings = 0;                       // 0: not set
  std::vector<std::string> floor_labels;  // lowest landing first; empty: not set
};

// The units table's floor_labels column (a JSON array of strings) read back; empty if unset.
std::vector<std::string> floor_labels_from(const std::string& json_text);

// A unit's hoistway, for the portal to draw: its landing count and their labels.
struct unit_layout {
  int landings = 0;                       // 1-256
  std::vector<std::string> floor_labels;  // empty, or one per landing (1-8 characters each)
};

struct device_info {
  std::string device_id;
  std::uint32_t key_id = 1;
  bool active = true;
  std::uint64_t stored_through = 0;
  seq_ranges missing;              // gaps below the highest seq stored, oldest first
  std::uint64_t late_records = 0;  // records that arrived after a higher seq was stored
  std::optional<std::int64_t> last_seen_ms;
  bool has_mqtt_password = false;
};

struct contract_info {
  std::int64_t contract_id = 0;
  std::string unit_id;
  std::string kind;
  std::int64_t starts_ms = 0;
  std::optional<std::int64_t> ends_ms;
};

struct api_key_info {
  std::string key_id;
  std::string customer_id;
  std::string label;
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> revoked_ms;
};

// Shown once when a device is added or its secrets are rotated.
struct device_secrets {
  std::string device_id;
  std::uint32_t key_id = 1;
  std::string key_hex;
  std::string mqtt_username;  // = device_id
  std::string mqtt_password;
};

struct api_key_secret {
  std::string key_id;
  std::string token;  // "hwk_<key_id>_<secret hex>": what a client sends as a Bearer token
};

// Splits and checks the shape of an API key token; nullopt if malformed.
struct parsed_api_key {
  std::string key_id;
  std::vector<std::uint8_t> secret;
};
std::optional<parsed_api_key> parse_api_key(std::string_view token);

// Ids of customers, buildings, units and devices: 1–64 of [A-Za-z0-9._-].
bool valid_registry_id(std::string_view id);

class registry {
 public:
  static common::result<registry> open(const std::string& store_path,
                                       std::shared_ptr<common::clock> clock);

  common::status add_customer(const std::string& customer_id, const std::string& name);
  common::result<std::vector<customer_info>> customers();

  common::status add_building(const std::string& building_id, const std::string& customer_id,
                              const std::string& name, const std::string& address);
  common::result<std::vector<building_info>> buildings(const std::string& customer_id = {});
  // Sets a building's time zone (an IANA name the system knows, e.g. Asia/Tokyo).
  common::status set_time_zone(const std::string& building_id, const std::string& time_zone);

  // A new device with a fresh 32-byte key (or the given one) and MQTT password.
  common::result<device_secrets> add_device(const std::string& device_id,
                                            std::optional<std::vector<std::uint8_t>> key = {});
  common::result<device_secrets> rotate_device_secrets(const std::string& device_id);
  common::status set_device_active(const std::string& device_id, bool active);
  common::result<std::vector<device_info>> devices();

  common::status add_unit(const std::string& unit_id, const std::string& device_id,
                          std::uint8_t car, const std::string& building_id,
                          const std::string& name);
  common::result<std::vector<unit_info>> units(const std::string& customer_id = {});
  // Sets how many landings a unit serves and, optionally, their labels ("B1", "1", "2", …).
  common::status set_layout(const std::string& unit_id, const unit_layout& layout);

  common::result<std::int64_t> add_contract(const std::string& unit_id, std::int64_t starts_ms,
                                            std::optional<std::int64_t> ends_ms);
  // Ends every open monitoring contract of the unit at `at_ms`.
  common::status end_contracts(const std::string& unit_id, std::int64_t at_ms);
  common::result<std::vector<contract_info>> contracts(const std::string& unit_id = {});

  common::result<api_key_secret> create_api_key(const std::string& customer_id,
                                                const std::string& label);
  common::status revoke_api_key(const std::string& key_id);
  common::result<std::vector<api_key_info>> api_keys(const std::string& customer_id = {});

  // Writes the broker's password file and ACL for the active devices with an MQTT password:
  // each device (user = its id) may publish only its own up, state and cmd_result topics and
  // read only its own ack and cmd; `service_user` (the ingest) reads every device's up, state and
  // cmd_result (also through "$share/<group>/..." subscriptions) and writes every device's ack
  // and cmd. Nothing is granted to anyone else: the broker must refuse anonymous clients.
  // Files are mode 0600 from creation and replaced atomically (common/secret_file.hpp).
  // Errors: invalid_argument (service user not an id, password under 12 characters), conflict
  // (the service user is a device id), io.
  common::status write_broker_files(const std::string& password_file, const std::string& acl_file,
                                    const std::string& service_user,
                                    const std::string& service_password);

  // The registry's connection, for the modules that keep their tables in the same store
  // (commands.hpp).
  common::sqlite::database& db() { return db_; }

 private:
  registry(common::sqlite::database db, std::shared_ptr<common::clock> clock)
      : db_(std::move(db)), clock_(std::move(clock)) {}
  common::result<bool> exists(std::string_view sql, const std::string& id);
  common::sqlite::database db_;
  std::shared_ptr<common::clock> clock_;
};

// The broker's (mosquitto 2.0) password-file hash: "$7$101$<salt b64>$<PBKDF2-SHA512 b64>".
std::string broker_password_hash(std::string_view password);

}  // namespace hoistway::cloud

// hoistway-admin: the operator's CLI for the registry (customers, buildings, units, monitoring
// contracts, devices and their down-link commands, API keys, broker credentials). Thin: each
// subcommand parses its options and calls one registry function; output is text for people or JSON
// with --json. Exit codes follow sysexits.h: 64 usage, 65 bad input, 66 not found, 69 unavailable,
// 73 conflict (cannot create), 74 I/O, 78 configuration.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <iostream>
#include <optional>
#include <thread>

#include "hoistway/cloud/accounts/module.hpp"
#include "hoistway/cloud/ingest/commands.hpp"
#include "hoistway/cloud/registry/registry.hpp"
#include "hoistway/cloud/server/server_config.hpp"
#include "hoistway/cloud/store/archive.hpp"
#include "hoistway/common/crypto.hpp"
#include "hoistway/common/exit_codes.hpp"
#include "hoistway/common/secret_file.hpp"
#include "hoistway/common/time.hpp"

namespace {

using hoistway::common::errc;
using nlohmann::json;
namespace cloud = hoistway::cloud;
namespace common = hoistway::common;
namespace ex = hoistway::common::exit_code;

int exit_code_for(errc code) {
  switch (code) {
    case errc::invalid_argument:
      return ex::data_error;
    case errc::not_found:
      return ex::no_input;
    case errc::conflict:
      return ex::cant_create;
    case errc::unavailable:
      return ex::unavailable;
    case errc::io:
      return ex::io_error;
    default:
      return ex::software;
  }
}

struct context {
  std::string config_path;
  std::string store_path;
  bool as_json = false;
  std::shared_ptr<common::clock> clock = std::make_shared<common::system_clock>();
  std::optional<cloud::registry> reg;
  int exit_code = 0;

  // Opens the registry on first use; false (with exit_code set) if it cannot.
  bool open() {
    if (reg) return true;
    if (store_path.empty()) {
      auto config = cloud::server_config::load(config_path);
      if (!config) {
        std::cerr << "hoistway-admin: " << config.error().message << "\n";
        exit_code = ex::config;
        return false;
      }
      store_path = config->store_path;
    }
    auto opened = cloud::registry::open(store_path, clock);
    if (!opened) {
      std::cerr << "hoistway-admin: " << opened.error().message << "\n";
      exit_code = ex::io_error;
      return false;
    }
    reg.emplace(std::move(*opened));
    return true;
  }

  // Reports an outcome: a JSON document or a line of text.
  void ok(const json& document, const std::string& text) {
    if (as_json) {
      std::cout << document.dump(2) << "\n";
    } else if (!text.empty()) {
      std::cout << text << "\n";
    }
  }
  void failed(const common::error& e) {
    if (as_json) {
      std::cout << json{{"error", common::to_string(e.code)}, {"message", e.message}}.dump()
                << "\n";
    }
    std::cerr << "hoistway-admin: " << e.message << "\n";
    exit_code = exit_code_for(e.code);
  }
};

std::optional<std::int64_t> parse_time(const std::string& text) {
  if (text.empty() || text == "now") return std::nullopt;
  return common::parse_rfc3339(text);
}

// Seq ranges as [[first, last], ...].
json missing_json(const cloud::seq_ranges& ranges) {
  json out = json::array();
  for (const auto& [first, last] : ranges) out.push_back({first, last});
  return out;
}

json optional_time(const std::optional<std::int64_t>& ms) {
  return ms ? json(common::format_rfc3339(*ms)) : json();
}

// What `customer` subcommands parse into; CLI11 writes here, the callbacks read.
struct customer_options {
  std::string id;
  std::string name;
};

void add_customer_commands(CLI::App& app, context& ctx, customer_options& o) {
  auto* customer =
      app.add_subcommand("customer", "Customers (building owners)")->require_subcommand(1);
  auto* add = customer->add_subcommand("add", "Add a customer");
  add->add_option("id", o.id, "customer id (A-Z a-z 0-9 . _ -)")->required();
  add->add_option("--name", o.name, "display name")->required();
  add->callback([&ctx, &o] {
    if (!ctx.open()) return;
    if (auto st = ctx.reg->add_customer(o.id, o.name); !st) return ctx.failed(st.error());
    ctx.ok({{"customer_id", o.id}, {"name", o.name}}, "customer " + o.id + " added");
  });
  customer->add_subcommand("list", "List customers")->callback([&ctx] {
    if (!ctx.open()) return;
    auto list = ctx.reg->customers();
    if (!list) return ctx.failed(list.error());
    json out = json::array();
    std::string text;
    for (const auto& c : *list) {
      out.push_back({{"customer_id", c.customer_id},
                     {"name", c.name},
                     {"created_at", common::format_rfc3339(c.created_ms)}});
      text += c.customer_id + "\t" + c.name + "\n";
    }
    ctx.ok({{"customers", out}}, text.empty() ? "(no customers)" : text.substr(0, text.size() - 1));
  });
}

// What `building` subcommands parse into; CLI11 writes here, the callbacks read.
struct building_options {
  std::string id;
  std::string customer;
  std::string name;
  std::string address;
  std::string filter;
  std::string time_zone;
};

void add_building_commands(CLI::App& app, context& ctx, building_options& o) {
  auto* building = app.add_subcommand("building", "Buildings of a customer")->require_subcommand(1);
  auto* add = building->add_subcommand("add", "Add a building");
  add->add_option("id", o.id, "building id")->required();
  add->add_option("--customer", o.customer, "owning customer id")->required();
  add->add_option("--name", o.name, "display name")->required();
  add->add_option("--address", o.address, "postal address");
  add->add_option("--time-zone", o.time_zone, "IANA time zone, e.g. Asia/Tokyo");
  add->callback([&ctx, &o] {
    if (!ctx.open()) return;
    if (auto st = ctx.reg->add_building(o.id, o.customer, o.name, o.address); !st)
      return ctx.failed(st.error());
    if (!o.time_zone.empty()) {
      if (auto st = ctx.reg->set_time_zone(o.id, o.time_zone); !st) return ctx.failed(st.error());
    }
    ctx.ok({{"building_id", o.id},
            {"customer_id", o.customer},
            {"name", o.name},
            {"address", o.address},
            {"time_zone", o.time_zone}},
           "building " + o.id + " added");
  });
  auto* set = building->add_subcommand("set", "Change a building's time zone");
  set->add_option("id", o.id, "building id")->required();
  set->add_option("--time-zone", o.time_zone, "IANA time zone, e.g. Asia/Tokyo")->required();
  set->callback([&ctx, &o] {
    if (!ctx.open()) return;
    if (auto st = ctx.reg->set_time_zone(o.id, o.time_zone); !st) return ctx.failed(st.error());
    ctx.ok({{"building_id", o.id}, {"time_zone", o.time_zone}},
           "building " + o.id + ": time zone " + o.time_zone);
  });
  auto* list = building->add_subcommand("list", "List buildings");
  list->add_option("--customer", o.filter, "only this customer's");
  list->callback([&ctx, &o] {
    if (!ctx.open()) return;
    auto rows = ctx.reg->buildings(o.filter);
    if (!rows) return ctx.failed(rows.error());
    json out = json::array();
    std::string text;
    for (const auto& b : *rows) {
      out.push_back({{"building_id", b.building_id},
                     {"customer_id", b.customer_id},
                     {"name", b.name},
                     {"address", b.address},
                     {"time_zone", b.time_zone}});
      text += b.building_id + "\t" + b.customer_id + "\t" + b.name + "\n";
    }
    ctx.ok({{"buildings", out}}, text.empty() ? "(no buildings)" : text.substr(0, text.size() - 1));
  });
}

json secrets_json(const cloud::device_secrets& s) {
  return {{"device_id", s.device_id},
          {"key_id", s.key_id},
          {"key_hex", s.key_hex},
          {"mqtt_username", s.mqtt_username},
          {"mqtt_password", s.mqtt_password}};
}

std::string secrets_text(const cloud::device_secrets& s) {
  return "device " + s.device_id + "\n  key_id        " + std::to_string(s.key_id) +
         "\n  key_hex       " + s.key_hex + "\n  mqtt username " + s.mqtt_username +
         "\n  mqtt password " + s.mqtt_password +
         "\n(the key and password are shown once: put them in the agent's configuration; "
         "--secrets-out FILE writes them to a 0600 file instead of the terminal)";
}

// A device's new secrets go either to stdout (shown once, for a person at a terminal) or, with
// --secrets-out, only into a 0600 file: stdout (often a log) then names the file, never a secret.
void report_secrets(context& ctx, const cloud::device_secrets& s, const std::string& secrets_out,
                    const std::string& verb) {
  if (secrets_out.empty()) return ctx.ok(secrets_json(s), secrets_text(s));
  if (auto st = common::secret_file::write(secrets_out, secrets_json(s).dump(2) + "\n"); !st) {
    // The registry holds the new secrets already; say so, or the operator retries into a
    // conflict (add) or rotates again (rotate) without knowing why.
    ctx.failed({st.error().code, st.error().message + " (the device was " + verb +
                                     ": `device rotate " + s.device_id +
                                     " --secrets-out FILE` issues new secrets)"});
    return;
  }
  ctx.ok({{"device_id", s.device_id},
          {"key_id", s.key_id},
          {"mqtt_username", s.mqtt_username},
          {"secrets_file", secrets_out}},
         "device " + s.device_id + " " + verb + " (key id " + std::to_string(s.key_id) +
             "); its key and MQTT password are in " + secrets_out + " (mode 0600)");
}

struct device_command_options;
void add_device_command_commands(CLI::App* device, context& ctx, device_command_options& o);

// What `device` subcommands parse into; CLI11 writes here, the callbacks read.
struct device_options {
  std::string id;
  std::string key_hex;
  std::string key_file;
  std::string secrets_out;
  std::int64_t after = 0;
  std::int64_t limit = 1000;
};

void add_device_commands(CLI::App& app, context& ctx, device_options& o,
                         device_command_options& command) {
  auto* device = app.add_subcommand("device", "Devices (edge agents) and their secrets")
                     ->require_subcommand(1);
  auto* add = device->add_subcommand("add", "Add a device with a new key and MQTT password");
  add->add_option("id", o.id, "device id (also its MQTT user name)")->required();
  auto* key_file_option = add->add_option(
      "--key-file", o.key_file,
      "use the HMAC key (32-128 hex digits, one line) in this file (mode 0600 or 0400) instead "
      "of a new one; - reads it from standard input");
  add->add_option("--key-hex", o.key_hex,
                  "deprecated: the key on the command line, where ps and the shell history see "
                  "it; use --key-file")
      ->excludes(key_file_option);
  add->add_option("--secrets-out", o.secrets_out,
                  "write the key and MQTT password to this file (JSON, mode 0600) instead of "
                  "printing them");
  add->callback([&ctx, &o] {
    if (!ctx.open()) return;
    std::optional<std::vector<std::uint8_t>> key;
    std::string hex = o.key_hex;
    if (!o.key_hex.empty()) {
      // Kept so existing provisioning scripts run, but every use says what it exposes.
      std::cerr << "hoistway-admin: warning: --key-hex puts the device key on the command line, "
                   "where other users (ps, /proc) and the shell history can read it; use "
                   "--key-file FILE, or --key-file - to read it from standard input\n";
    }
    if (!o.key_file.empty()) {
      auto text = common::secret_file::read(o.key_file);
      if (!text) return ctx.failed(text.error());
      hex = std::move(*text);
    }
    if (!hex.empty()) {
      auto bytes = common::crypto::from_hex(hex);
      if (!bytes) {
        return ctx.failed({bytes.error().code, (o.key_file.empty() ? "--key-hex" : o.key_file) +
                                                   ": " + bytes.error().message});
      }
      key = std::move(*bytes);
    }
    auto secrets = ctx.reg->add_device(o.id, key);
    if (!secrets) return ctx.failed(secrets.error());
    report_secrets(ctx, *secrets, o.secrets_out, "added");
  });
  auto* rotate = device->add_subcommand("rotate", "Give a device a new key and MQTT password");
  rotate->add_option("id", o.id, "device id")->required();
  rotate->add_option("--secrets-out", o.secrets_out,
                     "write the new key and MQTT password to this file (JSON, mode 0600) "
                     "instead of printing them");
  rotate->callback([&ctx, &o] {
    if (!ctx.open()) return;
    auto secrets = ctx.reg->rotate_device_secrets(o.id);
    if (!secrets) return ctx.failed(secrets.error());
    report_secrets(ctx, *secrets, o.secrets_out, "rotated");
  });
  for (const bool active : {false, true}) {
    auto* cmd = device->add_subcommand(
        active ? "enable" : "disable",
        active ? "Accept frames from a device again"
               : "Reject a device's frames (and drop it from the broker files)");
    cmd->add_option("id", o.id, "device id")->required();
    cmd->callback([&ctx, &o, active] {
      if (!ctx.open()) return;
      if (auto st = ctx.reg->set_device_active(o.id, active); !st) return ctx.failed(st.error());
      ctx.ok({{"device_id", o.id}, {"active", active}},
             "device " + o.id + (active ? " enabled" : " disabled"));
    });
  }
  device->add_subcommand("list", "List devices")->callback([&ctx] {
    if (!ctx.open()) return;
    auto rows = ctx.reg->devices();
    if (!rows) return ctx.failed(rows.error());
    json out = json::array();
    std::string text;
    for (const auto& d : *rows) {
      out.push_back({{"device_id", d.device_id},
                     {"key_id", d.key_id},
                     {"active", d.active},
                     {"stored_through", d.stored_through},
                     {"missing", missing_json(d.missing)},
                     {"late_records", d.late_records},
                     {"last_seen_at", optional_time(d.last_seen_ms)},
                     {"has_mqtt_password", d.has_mqtt_password}});
      text += d.device_id + "\t" + (d.active ? "active" : "disabled") + "\tstored through " +
              std::to_string(d.stored_through);
      if (!d.missing.empty()) text += "\tmissing " + cloud::format_seq_ranges(d.missing);
      if (d.late_records > 0) text += "\t" + std::to_string(d.late_records) + " late";
      text += "\n";
    }
    ctx.ok({{"devices", out}}, text.empty() ? "(no devices)" : text.substr(0, text.size() - 1));
  });
  add_device_command_commands(device, ctx, command);

  auto* records = device->add_subcommand(
      "records", "What a device delivered: its stored records in seq order, each once");
  records->add_option("id", o.id, "device id")->required();
  records->add_option("--after", o.after, "only records with a greater seq")
      ->check(CLI::NonNegativeNumber);
  records->add_option("--limit", o.limit, "at most this many")->check(CLI::Range(1, 10'000'000));
  records->callback([&ctx, &o] {
    if (!ctx.open()) return;
    auto rows = cloud::archived_records(ctx.reg->db(), o.id, static_cast<std::uint64_t>(o.after),
                                        static_cast<std::size_t>(o.limit));
    if (!rows) return ctx.failed(rows.error());
    std::string text;
    for (const auto& r : *rows) {
      text += std::to_string(r["seq"].get<std::uint64_t>()) + " " +
              common::format_rfc3339(r["wall_ms"].get<std::int64_t>()) + " car " +
              std::to_string(r["car"].get<int>()) + " " + r["kind"].get<std::string>() + " " +
              r["body"].dump() + "\n";
    }
    ctx.ok({{"device_id", o.id}, {"records", *rows}},
           text.empty() ? "(no records)" : text.substr(0, text.size() - 1));
  });
}

json command_json(const cloud::commands::row& c) {
  json out = {{"command_id", c.id},
              {"device_id", c.device_id},
              {"command", common::downlink::to_string(c.kind)},
              {"state", to_string(c.state)},
              {"created_at", common::format_rfc3339(c.created_ms)},
              {"sent_at", optional_time(c.sent_ms)},
              {"answered_at", optional_time(c.answered_ms)}};
  if (c.kind == common::downlink::command_kind::set_sampling_rate) out["hz"] = c.hz;
  if (!c.reason.empty()) out["reason"] = c.reason;
  if (!c.detail.empty()) out["detail"] = c.detail;
  if (!c.result_json.empty()) out["result"] = json::parse(c.result_json, nullptr, false);
  return out;
}

std::string command_text(const cloud::commands::row& c) {
  std::string text = c.id + "\t" + std::string(common::downlink::to_string(c.kind)) + "\t" +
                     std::string(to_string(c.state));
  if (!c.reason.empty()) text += " (" + c.reason + (c.detail.empty() ? "" : ": " + c.detail) + ")";
  if (!c.result_json.empty()) text += "\t" + c.result_json;
  return text;
}

// Down-link commands: queued in the store; the ingest signs and sends them and records the
// agent's signed result (ingest/commands.hpp).
// What `device command` subcommands parse into; CLI11 writes here, the callbacks read.
struct device_command_options {
  std::string id;
  std::string what;
  double hz = 0;
  double wait_s = 15;
  int limit = 20;
};

void add_device_command_commands(CLI::App* device, context& ctx, device_command_options& o) {
  auto* send = device->add_subcommand(
      "command", "Send a signed command to a device's agent (through the running ingest)");
  send->add_option("id", o.id, "device id")->required();
  send->add_option("command", o.what, "ping | snapshot | sampling-rate")
      ->required()
      ->check(CLI::IsMember({"ping", "snapshot", "sampling-rate"}));
  send->add_option("--hz", o.hz, "sampling-rate: samples per second, 0.5-100");
  send->add_option("--wait", o.wait_s, "seconds to wait for the agent's answer (0: just queue it)")
      ->check(CLI::Range(0.0, 600.0));
  send->callback([&ctx, &o] {
    using common::downlink::command_kind;
    if (!ctx.open()) return;
    if (auto st = cloud::commands::migrate(ctx.reg->db()); !st) return ctx.failed(st.error());
    const auto kind = o.what == "ping"       ? command_kind::ping
                      : o.what == "snapshot" ? command_kind::request_snapshot
                                             : command_kind::set_sampling_rate;
    if (kind == command_kind::set_sampling_rate && o.hz == 0) {
      return ctx.failed({common::errc::invalid_argument, "sampling-rate needs --hz"});
    }
    auto queued = cloud::commands::enqueue(ctx.reg->db(), o.id, kind, o.hz, ctx.clock->wall_ms());
    if (!queued) return ctx.failed(queued.error());
    auto current = *queued;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(std::llround(o.wait_s * 1000));
    using cloud::commands::command_state;
    while (o.wait_s > 0 && cloud::commands::open(current.state) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto found = cloud::commands::find(ctx.reg->db(), current.id);
      if (!found) return ctx.failed(found.error());
      if (*found) current = std::move(**found);
    }
    ctx.ok(command_json(current), command_text(current));
    if (o.wait_s == 0 || current.state == command_state::done) return;
    if (current.state == command_state::rejected) {
      ctx.exit_code = ex::data_error;  // the agent refused it, with its reason
    } else if (cloud::commands::open(current.state) || current.state == command_state::unanswered) {
      std::cerr << "hoistway-admin: no answer within " << o.wait_s << " s; the command is "
                << to_string(current.state) << " (see `device commands " << o.id << "`)\n";
      ctx.exit_code = ex::temp_failure;
    } else {
      std::cerr << "hoistway-admin: " << current.detail << "\n";
      ctx.exit_code = ex::unavailable;  // expired or undeliverable
    }
  });

  auto* list = device->add_subcommand("commands", "A device's recent commands and results");
  list->add_option("id", o.id, "device id")->required();
  list->add_option("--limit", o.limit, "how many, newest first")->check(CLI::Range(1, 1000));
  list->callback([&ctx, &o] {
    if (!ctx.open()) return;
    if (auto st = cloud::commands::migrate(ctx.reg->db()); !st) return ctx.failed(st.error());
    auto rows = cloud::commands::recent(ctx.reg->db(), o.id, o.limit);
    if (!rows) return ctx.failed(rows.error());
    json out = json::array();
    std::string text;
    for (const auto& c : *rows) {
      out.push_back(command_json(c));
      text += command_text(c) + "\n";
    }
    ctx.ok({{"commands", out}}, text.empty() ? "(no commands)" : text.substr(0, text.size() - 1));
  });
}

// What `unit` subcommands parse into; CLI11 writes here, the callbacks read.
struct unit_options {
  std::string id;
  std::string device;
  std::string building;
  std::string name;
  std::string customer;
  int car = 0;
  int landings = 0;
  std::string floor_labels;
};

// "B1,1,2" → {"B1", "1", "2"} (labels are checked by the registry).
std::vector<std::string> split_labels(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    out.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void add_unit_commands(CLI::App& app, context& ctx, unit_options& o) {
  auto* unit = app.add_subcommand("unit", "Units (elevator cars)")->require_subcommand(1);
  auto* add = unit->add_subcommand("add", "Add a unit: a car of a device, in a building");
  add->add_option("id", o.id, "unit id")->required();
  add->add_option("--device", o.device, "the device (agent) that reads its controller")->required();
  add->add_option("--car", o.car, "the car's index in the device's group (0-based)")
      ->required()
      ->check(CLI::Range(0, 255));
  add->add_option("--building", o.building, "the building it stands in")->required();
  add->add_option("--name", o.name, "display name");
  add->add_option("--landings", o.landings, "how many landings the car serves (1-256)")
      ->check(CLI::Range(1, 256));
  add->add_option("--floor-labels", o.floor_labels,
                  "the landings' labels, lowest first, comma-separated: \"B1,1,2,3\"");
  add->callback([&ctx, &o] {
    if (!ctx.open()) return;
    if (auto st =
            ctx.reg->add_unit(o.id, o.device, static_cast<std::uint8_t>(o.car), o.building, o.name);
        !st) {
      return ctx.failed(st.error());
    }
    if (o.landings > 0) {
      if (auto st = ctx.reg->set_layout(o.id, {o.landings, split_labels(o.floor_labels)}); !st)
        return ctx.failed(st.error());
    }
    ctx.ok({{"unit_id", o.id},
            {"device_id", o.device},
            {"car", o.car},
            {"building_id", o.building},
            {"name", o.name}},
           "unit " + o.id + " added");
  });
  auto* set = unit->add_subcommand("set", "Change a unit's landings and floor labels");
  set->add_option("id", o.id, "unit id")->required();
  set->add_option("--landings", o.landings, "how many landings the car serves (1-256)")
      ->required()
      ->check(CLI::Range(1, 256));
  set->add_option("--floor-labels", o.floor_labels,
                  "the landings' labels, lowest first, comma-separated: \"B1,1,2,3\"");
  set->callback([&ctx, &o] {
    if (!ctx.open()) return;
    const auto labels = split_labels(o.floor_labels);
    if (auto st = ctx.reg->set_layout(o.id, {o.landings, labels}); !st)
      return ctx.failed(st.error());
    ctx.ok({{"unit_id", o.id}, {"landings", o.landings}, {"floor_labels", labels}},
           "unit " + o.id + ": " + std::to_string(o.landings) + " landings");
  });
  auto* list = unit->add_subcommand("list", "List units");
  list->add_option("--customer", o.customer, "only this customer's");
  list->callback([&ctx, &o] {
    if (!ctx.open()) return;
    auto rows = ctx.reg->units(o.customer);
    if (!rows) return ctx.failed(rows.error());
    json out = json::array();
    std::string text;
    for (const auto& u : *rows) {
      out.push_back({{"unit_id", u.unit_id},
                     {"device_id", u.device_id},
                     {"car", u.car},
                     {"building_id", u.building_id},
                     {"customer_id", u.customer_id},
                     {"name", u.name},
                     {"monitored", u.monitored},
                     {"landings", u.landings},
                     {"floor_labels", u.floor_labels}});
      text += u.unit_id + "\t" + u.device_id + "/" + std::to_string(u.car) + "\t" + u.building_id +
              "\t" + (u.monitored ? "monitored" : "not monitored") + "\n";
    }
    ctx.ok({{"units", out}}, text.empty() ? "(no units)" : text.substr(0, text.size() - 1));
  });
}

// What `contract` subcommands parse into; CLI11 writes here, the callbacks read.
struct contract_options {
  std::string unit;
  std::string from;
  std::string to;
  std::string at;
};

void add_contract_commands(CLI::App& app, context& ctx, contract_options& o) {
  auto* contract = app.add_subcommand("contract", "Monitoring contracts")->require_subcommand(1);
  auto* add = contract->add_subcommand("add", "Put a unit under a monitoring contract");
  add->add_option("--unit", o.unit, "unit id")->required();
  add->add_option("--from", o.from, "start (RFC 3339; default now)");
  add->add_option("--to", o.to, "end (RFC 3339; default open-ended)");
  add->callback([&ctx, &o] {
    if (!ctx.open()) return;
    const auto starts = o.from.empty() ? ctx.clock->wall_ms() : parse_time(o.from).value_or(-1);
    const auto ends = parse_time(o.to);
    if (starts < 0 || (!o.to.empty() && !ends)) {
      return ctx.failed({errc::invalid_argument, "--from/--to take RFC 3339 times"});
    }
    auto id = ctx.reg->add_contract(o.unit, starts, ends);
    if (!id) return ctx.failed(id.error());
    ctx.ok({{"contract_id", *id},
            {"unit_id", o.unit},
            {"starts_at", common::format_rfc3339(starts)},
            {"ends_at", optional_time(ends)}},
           "contract " + std::to_string(*id) + " for " + o.unit);
  });
  auto* end = contract->add_subcommand("end", "End a unit's open monitoring contracts");
  end->add_option("--unit", o.unit, "unit id")->required();
  end->add_option("--at", o.at, "when (RFC 3339; default now)");
  end->callback([&ctx, &o] {
    if (!ctx.open()) return;
    const auto when = o.at.empty() ? std::optional(ctx.clock->wall_ms()) : parse_time(o.at);
    if (!when) return ctx.failed({errc::invalid_argument, "--at takes an RFC 3339 time"});
    if (auto st = ctx.reg->end_contracts(o.unit, *when); !st) return ctx.failed(st.error());
    ctx.ok({{"unit_id", o.unit}, {"ended_at", common::format_rfc3339(*when)}},
           "contracts of " + o.unit + " ended");
  });
  auto* list = contract->add_subcommand("list", "List contracts");
  list->add_option("--unit", o.unit, "only this unit's");
  list->callback([&ctx, &o] {
    if (!ctx.open()) return;
    auto rows = ctx.reg->contracts(o.unit);
    if (!rows) return ctx.failed(rows.error());
    json out = json::array();
    std::string text;
    for (const auto& c : *rows) {
      out.push_back({{"contract_id", c.contract_id},
                     {"unit_id", c.unit_id},
                     {"kind", c.kind},
                     {"starts_at", common::format_rfc3339(c.starts_ms)},
                     {"ends_at", optional_time(c.ends_ms)}});
      text += std::to_string(c.contract_id) + "\t" + c.unit_id + "\t" +
              common::format_rfc3339(c.starts_ms) + " .. " +
              (c.ends_ms ? common::format_rfc3339(*c.ends_ms) : std::string("open")) + "\n";
    }
    ctx.ok({{"contracts", out}}, text.empty() ? "(no contracts)" : text.substr(0, text.size() - 1));
  });
}

// What `api key` subcommands parse into; CLI11 writes here, the callbacks read.
struct api_key_options {
  std::string customer;
  std::string label;
  std::string key_id;
};

void add_api_key_commands(CLI::App& app, context& ctx, api_key_options& o) {
  auto* key = app.add_subcommand("api-key", "API keys for portal back ends (one customer each)")
                  ->require_subcommand(1);
  auto* create = key->add_subcommand("create", "Create a key; the token is shown once");
  create->add_option("--customer", o.customer, "the customer it acts for")->required();
  create->add_option("--label", o.label, "what it is for");
  create->callback([&ctx, &o] {
    if (!ctx.open()) return;
    auto secret = ctx.reg->create_api_key(o.customer, o.label);
    if (!secret) return ctx.failed(secret.error());
    ctx.ok({{"key_id", secret->key_id}, {"customer_id", o.customer}, {"token", secret->token}},
           secret->token + "\n(send it as 'Authorization: Bearer <token>'; it is shown once)");
  });
  auto* revoke = key->add_subcommand("revoke", "Revoke a key");
  revoke->add_option("key_id", o.key_id, "the key's id (the 12 hex digits after hwk_)")->required();
  revoke->callback([&ctx, &o] {
    if (!ctx.open()) return;
    if (auto st = ctx.reg->revoke_api_key(o.key_id); !st) return ctx.failed(st.error());
    ctx.ok({{"key_id", o.key_id}, {"revoked", true}}, "key " + o.key_id + " revoked");
  });
  auto* list = key->add_subcommand("list", "List keys (never their secrets)");
  list->add_option("--customer", o.customer, "only this customer's");
  list->callback([&ctx, &o] {
    if (!ctx.open()) return;
    auto rows = ctx.reg->api_keys(o.customer);
    if (!rows) return ctx.failed(rows.error());
    json out = json::array();
    std::string text;
    for (const auto& k : *rows) {
      out.push_back({{"key_id", k.key_id},
                     {"customer_id", k.customer_id},
                     {"label", k.label},
                     {"created_at", common::format_rfc3339(k.created_ms)},
                     {"revoked_at", optional_time(k.revoked_ms)}});
      text += k.key_id + "\t" + k.customer_id + "\t" + (k.revoked_ms ? "revoked" : "active") +
              "\t" + k.label + "\n";
    }
    ctx.ok({{"api_keys", out}}, text.empty() ? "(no API keys)" : text.substr(0, text.size() - 1));
  });
}

// What `broker` subcommands parse into; CLI11 writes here, the callbacks read.
struct broker_options {
  std::string passwords;
  std::string acl;
  std::string user = "hoistway-ingest";
  std::string password_file;
};

void add_broker_commands(CLI::App& app, context& ctx, broker_options& o) {
  auto* broker = app.add_subcommand("broker", "Mosquitto credentials")->require_subcommand(1);
  auto* write = broker->add_subcommand(
      "write",
      "Write the broker's password file and ACL from the registry (devices publish only "
      "under their own topics)");
  write->add_option("--password-file", o.passwords, "mosquitto password_file to write")->required();
  write->add_option("--acl-file", o.acl, "mosquitto acl_file to write")->required();
  write->add_option("--service-user", o.user, "the ingest's MQTT user name");
  write
      ->add_option("--service-password-file", o.password_file,
                   "file holding the ingest's MQTT password (one line, mode 0600 or 0400; - reads "
                   "standard input)")
      ->required();
  write->callback([&ctx, &o] {
    if (!ctx.open()) return;
    auto secret = common::secret_file::read(o.password_file);
    if (!secret) return ctx.failed(secret.error());
    if (auto st = ctx.reg->write_broker_files(o.passwords, o.acl, o.user, *secret); !st) {
      return ctx.failed(st.error());
    }
    ctx.ok({{"password_file", o.passwords}, {"acl_file", o.acl}},
           "wrote " + o.passwords + " and " + o.acl + " (send mosquitto SIGHUP to reload)");
  });
}

// eService accounts: the operator's side of the customer guide. Needs --config with an
// [accounts] section; the mails are queued durably and sent by the running server.
// What `eservice` subcommands parse into; CLI11 writes here, the callbacks read.
struct eservice_options {
  std::string email;
  std::string customer;
  std::string language;
};

void add_eservice_commands(CLI::App& app, context& ctx, eservice_options& o) {
  auto* eservice =
      app.add_subcommand("eservice", "eService accounts (operator actions)")->require_subcommand(1);
  auto open_actions = [&ctx]() -> std::unique_ptr<cloud::accounts::operator_actions> {
    if (ctx.config_path.empty()) {
      ctx.failed(
          {errc::invalid_argument, "eservice commands need --config (the [accounts] section)"});
      ctx.exit_code = ex::usage;
      return nullptr;
    }
    auto config = cloud::server_config::load(ctx.config_path);
    if (!config) {
      std::cerr << "hoistway-admin: " << config.error().message << "\n";
      ctx.exit_code = ex::config;
      return nullptr;
    }
    if (!config->accounts) {
      std::cerr << "hoistway-admin: " << ctx.config_path << " has no [accounts] section\n";
      ctx.exit_code = ex::config;
      return nullptr;
    }
    auto actions = cloud::accounts::operator_actions::open(*config->accounts, config->source_path,
                                                           config->store_path, ctx.clock);
    if (!actions) {
      ctx.failed(actions.error());
      if (actions.error().code == errc::invalid_argument) ctx.exit_code = ex::config;
      return nullptr;
    }
    return std::move(*actions);
  };
  auto* reg = eservice->add_subcommand(
      "register",
      "Register a customer's e-mail for eService; sends mail 1 (registration complete)");
  reg->add_option("--email", o.email, "the customer's e-mail address (the login)")->required();
  reg->add_option("--customer", o.customer, "the customer id it belongs to")->required();
  reg->add_option("--language", o.language, "ja or en (default: the configured one)")
      ->check(CLI::IsMember({"ja", "en"}));
  reg->callback([&ctx, &o, open_actions] {
    auto actions = open_actions();
    if (!actions) return;
    if (auto st = actions->register_eservice(o.email, o.customer, o.language); !st)
      return ctx.failed(st.error());
    ctx.ok({{"email", o.email}, {"customer_id", o.customer}, {"registered", true}},
           "eService account " + o.email + " registered; mail 1 queued");
  });
  auto* issue = eservice->add_subcommand(
      "issue-password", "Issue a 5-character temporary password; sends mail 2 with it and the URL");
  issue->add_option("email", o.email, "the account's e-mail address")->required();
  issue->callback([&ctx, &o, open_actions] {
    auto actions = open_actions();
    if (!actions) return;
    if (auto st = actions->issue_password(o.email); !st) return ctx.failed(st.error());
    ctx.ok({{"email", o.email}, {"temporary_password_sent", true}},
           "temporary password for " + o.email + " queued (mail 2)");
  });
  auto* reset = eservice->add_subcommand("reset-security-answer",
                                         "Clear the security question (forgot security answer)");
  reset->add_option("email", o.email, "the account's e-mail address")->required();
  reset->callback([&ctx, &o, open_actions] {
    auto actions = open_actions();
    if (!actions) return;
    if (auto st = actions->reset_security_answer(o.email); !st) return ctx.failed(st.error());
    ctx.ok({{"email", o.email}, {"security_answer_reset", true}},
           "security question of " + o.email + " cleared; set again at the next login");
  });
  eservice
      ->add_subcommand("sales-requests",
                       "Customer-portal access requests waiting for the sales contact")
      ->callback([&ctx, open_actions] {
        auto actions = open_actions();
        if (!actions) return;
        auto rows = actions->sales_requests();
        if (!rows) return ctx.failed(rows.error());
        json out = json::array();
        std::string text;
        for (const auto& r : *rows) {
          out.push_back({{"id", r.id},
                         {"created_at", common::format_rfc3339(r.created_ms)},
                         {"email", r.email},
                         {"customer_id", r.customer_id},
                         {"company", r.company},
                         {"name", r.name},
                         {"mobile", r.mobile_e164}});
          text += std::to_string(r.id) + "\t" + r.email + "\t" + r.company + "\t" + r.name + "\t" +
                  r.mobile_e164 + "\n";
        }
        ctx.ok({{"sales_requests", out}},
               text.empty() ? "(no requests)" : text.substr(0, text.size() - 1));
      });
  eservice->add_subcommand("send-mail", "Send queued mails now (when no server runs)")
      ->callback([&ctx, open_actions] {
        auto actions = open_actions();
        if (!actions) return;
        auto sent = actions->send_pending();
        if (!sent) return ctx.failed(sent.error());
        ctx.ok({{"sent", *sent}}, std::to_string(*sent) + " mail(s) sent");
      });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "hoistway-admin: manage customers, buildings, units, contracts, devices and API keys"};
  context ctx;
  app.add_option("-c,--config", ctx.config_path,
                 "the ingest's TOML configuration (for the store path)");
  app.add_option("--store", ctx.store_path, "the cloud store's SQLite file (instead of --config)");
  app.add_flag("--json", ctx.as_json, "print JSON");
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 64 usage, 65 bad input, 66 not found, 73 exists already, 74 I/O, "
      "78 configuration.");
  // What each noun's subcommands parse into: alive until their callbacks have run.
  customer_options customer;
  building_options building;
  device_options device;
  device_command_options device_command;
  unit_options unit;
  contract_options contract;
  api_key_options api_key;
  broker_options broker;
  eservice_options eservice;
  add_customer_commands(app, ctx, customer);
  add_building_commands(app, ctx, building);
  add_device_commands(app, ctx, device, device_command);
  add_unit_commands(app, ctx, unit);
  add_contract_commands(app, ctx, contract);
  add_api_key_commands(app, ctx, api_key);
  add_broker_commands(app, ctx, broker);
  add_eservice_commands(app, ctx, eservice);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return ex::usage;
  }
  if (ctx.config_path.empty() && ctx.store_path.empty() && ctx.exit_code == 0 && !ctx.reg) {
    std::cerr << "hoistway-admin: give --config FILE or --store FILE\n";
    return ex::usage;
  }
  return ctx.exit_code;
}

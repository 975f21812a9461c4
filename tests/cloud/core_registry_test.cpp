// Tests of the operator's registry (registry.hpp) on a real store file: customers, buildings,
// devices, units, contracts, API keys and the broker's password file and ACL.
#include "hoistway/cloud/registry/registry.hpp"

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include "temp_dir.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/crypto.hpp"
#include "hoistway/common/time.hpp"

namespace {

namespace hc = hoistway::cloud;
namespace common = hoistway::common;
namespace crypto = hoistway::common::crypto;
namespace fs = std::filesystem;
using common::errc;

using temp_dir = hoistway::testing::temp_dir;

struct fixture {
  temp_dir dir;
  std::shared_ptr<common::manual_clock> clock = std::make_shared<common::manual_clock>();
  hc::registry reg = open_registry();

  hc::registry open_registry() {
    auto r = hc::registry::open(dir.file("cloud.db"), clock);
    REQUIRE_OK(r);
    return std::move(*r);
  }
};

template <typename T>
errc code_of(const T& result) {
  REQUIRE_FALSE(result.has_value());
  return result.error().code;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(const std::string& text) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (const char c : text) {
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad > 0) return std::nullopt;
    const auto pos = alphabet.find(c);
    if (pos == std::string::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xffU));
    }
  }
  if (pad > 2) return std::nullopt;
  return out;
}

// Splits "user:$7$101$<salt>$<hash>" into user, salt and hash; REQUIREs the shape.
struct password_line {
  std::string user;
  std::vector<std::uint8_t> salt;
  std::vector<std::uint8_t> hash;
};
password_line parse_password_line(const std::string& line) {
  static const std::regex shape(
      R"(^([A-Za-z0-9._-]+):\$7\$101\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$)");
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_match(line, m, shape), line);
  auto salt = base64_decode(m[2].str());
  auto hash = base64_decode(m[3].str());
  REQUIRE(salt.has_value());
  REQUIRE(hash.has_value());
  return {m[1].str(), *salt, *hash};
}

// The ACL as user → set of "read|write topic".
std::map<std::string, std::set<std::string>> parse_acl(const std::string& text) {
  std::map<std::string, std::set<std::string>> out;
  std::string user;
  for (const auto& line : lines_of(text)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("user ", 0) == 0) {
      user = line.substr(5);
      out[user];
      continue;
    }
    REQUIRE_MESSAGE(line.rfind("topic ", 0) == 0, line);
    REQUIRE_MESSAGE(!user.empty(), "a topic line before any user line: " << line);
    out[user].insert(line.substr(6));
  }
  return out;
}

// The files in a test's directory other than the store's own (cloud.db and its WAL and shm).
std::set<std::string> files_beside_store(const temp_dir& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    const auto name = e.path().filename().string();
    if (name.rfind("cloud.db", 0) != 0) out.insert(name);
  }
  return out;
}

}  // namespace

TEST_CASE("registry: customers are added once and listed by id") {
  fixture f;
  REQUIRE(f.reg.add_customer("cust-b", "Beta Corp"));
  f.clock->advance(5000);
  REQUIRE(f.reg.add_customer("cust-a", "Alpha KK"));
  CHECK(code_of(f.reg.add_customer("cust-a", "Other")) == errc::conflict);

  auto list = f.reg.customers();
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].customer_id == "cust-a");
  CHECK((*list)[0].name == "Alpha KK");
  CHECK((*list)[0].created_ms == f.clock->wall_ms());
  CHECK((*list)[1].customer_id == "cust-b");
  CHECK((*list)[1].created_ms == f.clock->wall_ms() - 5000);
}

TEST_CASE("registry: bad customer ids and names are rejected") {
  fixture f;
  for (const auto& id :
       std::vector<std::string>{"", "a b", "x/y", "semi;colon", "ü", std::string(65, 'c')}) {
    CAPTURE(id);
    CHECK(code_of(f.reg.add_customer(id, "Name")) == errc::invalid_argument);
  }
  CHECK(f.reg.add_customer(std::string(64, 'c'), "Longest id"));
  CHECK(f.reg.add_customer("A.b_c-9", "Every allowed character"));
  for (const auto& name : std::vector<std::string>{
           std::string(), std::string("new\nline"), std::string("tab\t"), std::string("nul\0x", 5),
           std::string("del\x7f"), std::string("esc\x1b[31m"), std::string(201, 'n')}) {
    CAPTURE(name);
    CHECK(code_of(f.reg.add_customer("c1", name)) == errc::invalid_argument);
  }
  CHECK(f.reg.add_customer("c1", std::string(200, 'n')));
  CHECK(f.reg.add_customer("c2", "日本エレベーター株式会社"));
  auto list = f.reg.customers();
  REQUIRE(list);
  CHECK(list->size() == 4);
}

TEST_CASE("registry: buildings need an existing customer and a unique valid id") {
  fixture f;
  REQUIRE(f.reg.add_customer("c1", "One"));
  REQUIRE(f.reg.add_customer("c2", "Two"));
  CHECK(code_of(f.reg.add_building("b1", "nobody", "Tower", "")) == errc::not_found);
  REQUIRE(f.reg.add_building("b1", "c1", "Tower", "1-1 Chiyoda, Tokyo"));
  REQUIRE(f.reg.add_building("b2", "c2", "Annex", ""));
  CHECK(code_of(f.reg.add_building("b1", "c2", "Again", "")) == errc::conflict);
  CHECK(code_of(f.reg.add_building("b 3", "c1", "Bad id", "")) == errc::invalid_argument);
  CHECK(code_of(f.reg.add_building("", "c1", "No id", "")) == errc::invalid_argument);
  CHECK(code_of(f.reg.add_building("b3", "c1", "", "")) == errc::invalid_argument);
  CHECK(code_of(f.reg.add_building("b3", "c1", "Bell\a", "")) == errc::invalid_argument);
  CHECK(code_of(f.reg.add_building("b3", "c1", "Fine", "line\r\nbreak")) == errc::invalid_argument);

  auto all = f.reg.buildings();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  auto mine = f.reg.buildings("c1");
  REQUIRE(mine);
  REQUIRE(mine->size() == 1);
  CHECK((*mine)[0].building_id == "b1");
  CHECK((*mine)[0].customer_id == "c1");
  CHECK((*mine)[0].name == "Tower");
  CHECK((*mine)[0].address == "1-1 Chiyoda, Tokyo");
}

TEST_CASE("registry: devices get a generated or given key, rotate and switch on and off") {
  fixture f;
  auto generated = f.reg.add_device("dev-1");
  REQUIRE(generated);
  CHECK(generated->device_id == "dev-1");
  CHECK(generated->key_id == 1);
  CHECK(std::regex_match(generated->key_hex, std::regex("^[0-9a-f]{64}$")));
  CHECK(generated->mqtt_username == "dev-1");
  CHECK(generated->mqtt_password.size() >= 20);

  const std::vector<std::uint8_t> key(16, 0xab);
  auto given = f.reg.add_device("dev-2", key);
  REQUIRE(given);
  CHECK(given->key_hex == crypto::to_hex(key));
  CHECK(given->mqtt_password != generated->mqtt_password);

  CHECK(code_of(f.reg.add_device("dev-1")) == errc::conflict);
  CHECK(code_of(f.reg.add_device("dev 3")) == errc::invalid_argument);
  CHECK(code_of(f.reg.add_device("dev-3", std::vector<std::uint8_t>(15, 1))) ==
        errc::invalid_argument);
  CHECK(code_of(f.reg.add_device("dev-3", std::vector<std::uint8_t>(65, 1))) ==
        errc::invalid_argument);

  // The ingest reads the key from the store: it must be exactly the one given out.
  {
    auto st = hc::store::open(f.dir.file("cloud.db"));
    REQUIRE(st);
    auto rows = st->devices();
    REQUIRE(rows);
    std::map<std::string, hc::device_row> by_id;
    for (auto& r : *rows) by_id[r.device_id] = r;
    CHECK(by_id.at("dev-2").key == key);
    CHECK(crypto::to_hex(by_id.at("dev-1").key) == generated->key_hex);
  }

  auto rotated = f.reg.rotate_device_secrets("dev-1");
  REQUIRE(rotated);
  CHECK(rotated->key_id == 2);
  CHECK(rotated->key_hex != generated->key_hex);
  CHECK(rotated->mqtt_password != generated->mqtt_password);
  auto again = f.reg.rotate_device_secrets("dev-1");
  REQUIRE(again);
  CHECK(again->key_id == 3);
  CHECK(code_of(f.reg.rotate_device_secrets("nope")) == errc::not_found);

  REQUIRE(f.reg.set_device_active("dev-2", false));
  CHECK(code_of(f.reg.set_device_active("nope", false)) == errc::not_found);
  auto devices = f.reg.devices();
  REQUIRE(devices);
  REQUIRE(devices->size() == 2);
  CHECK((*devices)[0].device_id == "dev-1");
  CHECK((*devices)[0].key_id == 3);
  CHECK((*devices)[0].active);
  CHECK((*devices)[0].has_mqtt_password);
  CHECK((*devices)[0].missing.empty());
  CHECK((*devices)[0].late_records == 0);
  CHECK((*devices)[1].device_id == "dev-2");
  CHECK_FALSE((*devices)[1].active);
  REQUIRE(f.reg.set_device_active("dev-2", true));
  devices = f.reg.devices();
  REQUIRE(devices);
  CHECK((*devices)[1].active);

  // What the ingest's writer records of a device's deliveries: its gaps and late arrivals.
  {
    auto st = hc::store::open(f.dir.file("cloud.db"));
    REQUIRE(st);
    hc::seq_coverage coverage(3);
    coverage.add(10, 12);
    coverage.add(20, 20);
    auto tx = st->begin();
    REQUIRE(tx);
    REQUIRE(st->set_coverage("dev-1", coverage, 4, 1'000));
    REQUIRE(st->set_coverage("dev-1", coverage, 2, 2'000));  // counts add up
    REQUIRE(tx->commit());
  }
  devices = f.reg.devices();
  REQUIRE(devices);
  CHECK((*devices)[0].stored_through == 3);
  CHECK((*devices)[0].missing == hc::seq_ranges{{4, 9}, {13, 19}});
  CHECK((*devices)[0].late_records == 6);
}

TEST_CASE("registry: units need a known device and building and a free car") {
  fixture f;
  REQUIRE(f.reg.add_customer("c1", "One"));
  REQUIRE(f.reg.add_customer("c2", "Two"));
  REQUIRE(f.reg.add_building("b1", "c1", "Tower", ""));
  REQUIRE(f.reg.add_building("b2", "c2", "Annex", ""));
  REQUIRE(f.reg.add_device("d1"));
  REQUIRE(f.reg.add_device("d2"));

  CHECK(code_of(f.reg.add_unit("u1", "nodev", 0, "b1", "Car A")) == errc::not_found);
  CHECK(code_of(f.reg.add_unit("u1", "d1", 0, "nobuilding", "Car A")) == errc::not_found);
  CHECK(code_of(f.reg.add_unit("u 1", "d1", 0, "b1", "Car A")) == errc::invalid_argument);
  CHECK(code_of(f.reg.add_unit("u1", "d1", 0, "b1", "Car\nA")) == errc::invalid_argument);
  REQUIRE(f.reg.add_unit("u1", "d1", 0, "b1", "Car A"));
  REQUIRE(f.reg.add_unit("u2", "d1", 1, "b1", "Car B"));
  REQUIRE(f.reg.add_unit("u3", "d2", 0, "b2", "Annex car"));
  CHECK(code_of(f.reg.add_unit("u4", "d1", 1, "b1", "Same car")) == errc::conflict);
  CHECK(code_of(f.reg.add_unit("u1", "d2", 5, "b2", "Same id")) == errc::conflict);

  auto all = f.reg.units();
  REQUIRE(all);
  CHECK(all->size() == 3);
  auto mine = f.reg.units("c1");
  REQUIRE(mine);
  REQUIRE(mine->size() == 2);
  CHECK((*mine)[0].unit_id == "u1");
  CHECK((*mine)[0].device_id == "d1");
  CHECK((*mine)[0].car == 0);
  CHECK((*mine)[0].building_id == "b1");
  CHECK((*mine)[0].customer_id == "c1");
  CHECK((*mine)[0].name == "Car A");
  CHECK_FALSE((*mine)[0].monitored);
  CHECK((*mine)[1].unit_id == "u2");
  CHECK((*mine)[1].car == 1);
  auto theirs = f.reg.units("c2");
  REQUIRE(theirs);
  REQUIRE(theirs->size() == 1);
  CHECK((*theirs)[0].customer_id == "c2");
}

TEST_CASE("registry: contracts decide whether a unit is monitored now") {
  fixture f;
  REQUIRE(f.reg.add_customer("c1", "One"));
  REQUIRE(f.reg.add_building("b1", "c1", "Tower", ""));
  REQUIRE(f.reg.add_device("d1"));
  for (std::uint8_t car = 0; car < 4; ++car) {
    REQUIRE(f.reg.add_unit("u" + std::to_string(car), "d1", car, "b1", ""));
  }
  const auto now = f.clock->wall_ms();
  auto monitored = [&f](const std::string& unit) {
    auto units = f.reg.units();
    REQUIRE(units);
    for (const auto& u : *units) {
      if (u.unit_id == unit) return u.monitored;
    }
    FAIL("no unit " << unit);
    return false;
  };

  CHECK(code_of(f.reg.add_contract("nope", now, std::nullopt)) == errc::not_found);
  CHECK(code_of(f.reg.add_contract("u0", now, now - 1)) == errc::invalid_argument);
  CHECK(code_of(f.reg.add_contract("u0", now, now)) == errc::invalid_argument);

  auto open = f.reg.add_contract("u0", now - 1000, std::nullopt);  // open-ended, running
  REQUIRE(open);
  REQUIRE(f.reg.add_contract("u1", now - 2000, now - 1000));    // ended
  REQUIRE(f.reg.add_contract("u2", now + 1000, std::nullopt));  // not yet started
  REQUIRE(f.reg.add_contract("u3", now - 1000, now + 500));     // ends soon
  CHECK(monitored("u0"));
  CHECK_FALSE(monitored("u1"));
  CHECK_FALSE(monitored("u2"));
  CHECK(monitored("u3"));

  f.clock->advance(1000);
  CHECK(monitored("u2"));        // started
  CHECK_FALSE(monitored("u3"));  // ended

  REQUIRE(f.reg.end_contracts("u0", f.clock->wall_ms()));
  CHECK_FALSE(monitored("u0"));
  CHECK(code_of(f.reg.end_contracts("u0", f.clock->wall_ms())) == errc::not_found);

  auto contracts = f.reg.contracts("u0");
  REQUIRE(contracts);
  REQUIRE(contracts->size() == 1);
  CHECK((*contracts)[0].contract_id == *open);
  CHECK((*contracts)[0].kind == "monitoring");
  CHECK((*contracts)[0].starts_ms == now - 1000);
  REQUIRE((*contracts)[0].ends_ms.has_value());
  CHECK(*(*contracts)[0].ends_ms == f.clock->wall_ms());
  auto all = f.reg.contracts();
  REQUIRE(all);
  CHECK(all->size() == 4);
}

TEST_CASE("registry: API key tokens have their format, parse back, and revoke once") {
  fixture f;
  REQUIRE(f.reg.add_customer("c1", "One"));
  CHECK(code_of(f.reg.create_api_key("nobody", "x")) == errc::not_found);
  CHECK(code_of(f.reg.create_api_key("c1", "bad\nlabel")) == errc::invalid_argument);
  auto key = f.reg.create_api_key("c1", "dashboard");
  REQUIRE(key);
  CHECK(std::regex_match(key->key_id, std::regex("^[0-9a-f]{12}$")));
  CHECK(std::regex_match(key->token, std::regex("^hwk_[0-9a-f]{12}_[0-9a-f]{64}$")));
  CHECK(key->token.substr(4, 12) == key->key_id);
  auto other = f.reg.create_api_key("c1", "");
  REQUIRE(other);
  CHECK(other->key_id != key->key_id);
  CHECK(other->token != key->token);

  auto parsed = hc::parse_api_key(key->token);
  REQUIRE(parsed.has_value());
  CHECK(parsed->key_id == key->key_id);
  CHECK(parsed->secret.size() == 32);
  CHECK(crypto::to_hex(parsed->secret) == key->token.substr(17));

  const std::string good = key->token;
  std::vector<std::string> bad = {
      "",
      "hwk_",
      good.substr(0, good.size() - 1),             // one short
      good + "0",                                  // one long
      "hwx_" + good.substr(4),                     // prefix
      "HWK_" + good.substr(4),                     // prefix case
      good.substr(0, 16) + "-" + good.substr(17),  // separator
      "hwk_zzzzzzzzzzzz_" + good.substr(17),       // key id not hex
      good.substr(0, 17) + std::string(64, 'g'),   // secret not hex
      "Bearer " + good,
  };
  for (const auto& token : bad) {
    CAPTURE(token);
    CHECK_FALSE(hc::parse_api_key(token).has_value());
  }

  f.clock->advance(777);
  REQUIRE(f.reg.revoke_api_key(key->key_id));
  CHECK(code_of(f.reg.revoke_api_key(key->key_id)) == errc::not_found);
  CHECK(code_of(f.reg.revoke_api_key("000000000000")) == errc::not_found);
  auto keys = f.reg.api_keys("c1");
  REQUIRE(keys);
  REQUIRE(keys->size() == 2);
  for (const auto& k : *keys) {
    CHECK(k.customer_id == "c1");
    if (k.key_id == key->key_id) {
      CHECK(k.label == "dashboard");
      REQUIRE(k.revoked_ms.has_value());
      CHECK(*k.revoked_ms == f.clock->wall_ms());
    } else {
      CHECK_FALSE(k.revoked_ms.has_value());
    }
  }
}

TEST_CASE("registry: broker files give each device only its own topics and verifiable hashes") {
  fixture f;
  auto d1 = f.reg.add_device("dev-1");
  auto d2 = f.reg.add_device("dev-2");
  REQUIRE(f.reg.add_device("dev-off"));
  REQUIRE(d1);
  REQUIRE(d2);
  REQUIRE(f.reg.set_device_active("dev-off", false));
  const auto passwords = f.dir.file("passwd");
  const auto acl = f.dir.file("acl");
  const std::string service_password = "service-password-123";

  CHECK(code_of(f.reg.write_broker_files(passwords, acl, "bad user", service_password)) ==
        errc::invalid_argument);
  CHECK(code_of(f.reg.write_broker_files(passwords, acl, "ingest", "short")) ==
        errc::invalid_argument);
  CHECK_FALSE(fs::exists(passwords));
  REQUIRE(f.reg.write_broker_files(passwords, acl, "ingest", service_password));

  for (const auto& file : {passwords, acl}) {
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  CHECK(files_beside_store(f.dir) == std::set<std::string>{"acl", "passwd"});

  // Password file: one line per active device and the service user, mosquitto's $7$ format.
  std::map<std::string, password_line> users;
  for (const auto& line : lines_of(read_file(passwords))) {
    if (line.empty()) continue;
    auto parsed = parse_password_line(line);
    CHECK(parsed.salt.size() >= 8);
    CHECK(parsed.hash.size() == 64);
    users[parsed.user] = parsed;
  }
  CHECK(users.size() == 3);
  CHECK(users.contains("ingest"));
  CHECK(users.contains("dev-1"));
  CHECK(users.contains("dev-2"));
  CHECK_FALSE(users.contains("dev-off"));

  auto verifies = [](const password_line& line, const std::string& password) {
    return crypto::pbkdf2_sha512(password, line.salt, 101, line.hash.size()) == line.hash;
  };
  CHECK(verifies(users.at("dev-1"), d1->mqtt_password));
  CHECK(verifies(users.at("dev-2"), d2->mqtt_password));
  CHECK(verifies(users.at("ingest"), service_password));
  CHECK_FALSE(verifies(users.at("dev-1"), d2->mqtt_password));
  CHECK(users.at("dev-1").salt != users.at("dev-2").salt);

  // ACL: each device writes only its own up/state/cmd_result and reads only its own ack/cmd.
  const auto rules = parse_acl(read_file(acl));
  for (const std::string device : {"dev-1", "dev-2"}) {
    CAPTURE(device);
    REQUIRE(rules.contains(device));
    const std::string base = "hoistway/v1/dev/" + device + "/";
    const std::set<std::string> expected = {"write " + base + "up", "write " + base + "state",
                                            "write " + base + "cmd_result", "read " + base + "ack",
                                            "read " + base + "cmd"};
    CHECK(rules.at(device) == expected);
  }
  CHECK_FALSE(rules.contains("dev-off"));
  REQUIRE(rules.contains("ingest"));
  // The ingest reads what devices send (its $share subscriptions are checked against these
  // filters) and writes what they read; nothing else, and no '#' anywhere.
  const std::set<std::string> service_rules = {
      "read hoistway/v1/dev/+/up", "read hoistway/v1/dev/+/state",
      "read hoistway/v1/dev/+/cmd_result", "write hoistway/v1/dev/+/ack",
      "write hoistway/v1/dev/+/cmd"};
  CHECK(rules.at("ingest") == service_rules);
  CHECK(rules.size() == 3);  // the ingest and the two active devices: nobody else has a rule
  for (const auto& [user, user_rules] : rules) {
    for (const auto& rule : user_rules) CHECK(rule.find('#') == std::string::npos);
  }

  // Rotating a device's secrets rewrites its hash: the old password no longer verifies.
  auto rotated = f.reg.rotate_device_secrets("dev-1");
  REQUIRE(rotated);
  REQUIRE(f.reg.write_broker_files(passwords, acl, "ingest", service_password));
  bool found = false;
  for (const auto& line : lines_of(read_file(passwords))) {
    if (line.rfind("dev-1:", 0) != 0) continue;
    found = true;
    const auto parsed = parse_password_line(line);
    CHECK(verifies(parsed, rotated->mqtt_password));
    CHECK_FALSE(verifies(parsed, d1->mqtt_password));
  }
  CHECK(found);
}

// Broker files hold password hashes and the broker's policy: they never exist under a mode wider
// than 0600, not even while being written, whatever the caller's umask or the old file's mode.
TEST_CASE("registry: broker files are 0600 whatever the umask, and replace wider files") {
  fixture f;
  REQUIRE(f.reg.add_device("dev-1"));
  const auto passwords = f.dir.file("passwd");
  const auto acl = f.dir.file("acl");
  for (const auto& file : {passwords, acl}) {
    std::ofstream(file) << "old\n";
    REQUIRE(::chmod(file.c_str(), 0644) == 0);
  }
  const auto old_mask = ::umask(0);
  const auto written = f.reg.write_broker_files(passwords, acl, "ingest", "service-password-123");
  ::umask(old_mask);
  REQUIRE_OK(written);
  for (const auto& file : {passwords, acl}) {
    CAPTURE(file);
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(read_file(file).find("old") == std::string::npos);
  }
  CHECK(files_beside_store(f.dir) == std::set<std::string>{"acl", "passwd"});

  // A directory that cannot take the files: an io error, and the old files stay as they were.
  CHECK(code_of(f.reg.write_broker_files(f.dir.file("missing/passwd"), acl, "ingest",
                                         "service-password-123")) == errc::io);
}

TEST_CASE("registry: broker_password_hash salts every hash") {
  const auto a = hc::broker_password_hash("same password");
  const auto b = hc::broker_password_hash("same password");
  CHECK(a != b);
  const auto line = parse_password_line("u:" + a);
  CHECK(crypto::pbkdf2_sha512("same password", line.salt, 101, 64) == line.hash);
}

TEST_CASE("registry: valid_registry_id") {
  CHECK(hc::valid_registry_id("a"));
  CHECK(hc::valid_registry_id("Tower-1_B.2"));
  CHECK(hc::valid_registry_id(std::string(64, 'x')));
  CHECK_FALSE(hc::valid_registry_id(""));
  CHECK_FALSE(hc::valid_registry_id(std::string(65, 'x')));
  CHECK_FALSE(hc::valid_registry_id("a/b"));
  CHECK_FALSE(hc::valid_registry_id("a+b"));
  CHECK_FALSE(hc::valid_registry_id("a#"));
}

// write_broker_files accepts a service user that is also a device id: the password file then
// has two lines for that user and the ACL two "user" sections, so the device would get the
// service's rights (read every device's up-link, write every device's acks and commands).
// Regression (fixed)
TEST_CASE("registry: the broker's service user may not be a device id") {
  fixture f;
  REQUIRE(f.reg.add_device("dev-1"));
  const auto st = f.reg.write_broker_files(f.dir.file("passwd"), f.dir.file("acl"), "dev-1",
                                           "service-password-123");
  CHECK_FALSE(st.has_value());
  if (st) {
    const auto rules = read_file(f.dir.file("acl"));
    std::size_t sections = 0;
    for (const auto& line : lines_of(rules)) sections += line == "user dev-1" ? 1U : 0U;
    CHECK(sections == 1);
  }
}

// Tests of agent.toml loading (agent_config.hpp): defaults, errors that name file:line:key, and
// secrets read from private files (key_file, password_file).
#include "hoistway/edge/agent_config.hpp"

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using hoistway::edge::agent_config;

using hoistway::testing::temp_file;

const std::string key_hex(64, 'a');

std::string minimal() {
  return "device_id = \"dev-1\"\n"
         "[controller]\n"
         "socket = \"/tmp/ctl.sock\"\n"
         "[security]\n"
         "key_hex = \"" +
         key_hex +
         "\"\n"
         "[outbox]\n"
         "path = \"/tmp/outbox.db\"\n";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("agent_config: a minimal file gets the documented defaults") {
  temp_file f(minimal());
  auto c = agent_config::load(f.path());
  REQUIRE_OK(c);
  CHECK(c->device_id == "dev-1");
  CHECK(c->controller_socket == "/tmp/ctl.sock");
  CHECK(c->sample_interval == std::chrono::milliseconds(100));
  CHECK(c->mqtt.server_uri == "tcp://127.0.0.1:1883");
  CHECK(c->mqtt.client_id == "agent-dev-1");
  CHECK_FALSE(c->mqtt.tls.has_value());
  REQUIRE(c->mqtt.will.has_value());
  CHECK(c->mqtt.will->topic == "hoistway/v1/dev/dev-1/state");
  CHECK(c->key.size() == 32);
  CHECK(c->key_id == 1);
  CHECK(c->outbox_max_records == 200'000);
  CHECK(c->max_batch_records == 256);
  CHECK(c->ack_timeout == std::chrono::seconds(10));
  CHECK(c->derive.snapshot_interval == std::chrono::seconds(60));
  CHECK(c->derive.entrapment_after == std::chrono::seconds(30));
  CHECK(c->derive.rollup_interval == std::chrono::minutes(15));
  CHECK(c->cli_socket == "/run/hoistway/agent.sock");
  CHECK(c->cli_events_kept == 1000);
  CHECK(c->command_max_age == std::chrono::seconds(300));
  CHECK(c->config_hash.size() == 64);
  CHECK(c->config_path == f.path());
}

TEST_CASE("agent_config: [[faults]] add and override codes, bad entries are named") {
  {
    temp_file f(minimal() +
                "[[faults]]\ncode = 402\nseverity = \"critical\"\nblocks_service = true\n"
                "[[faults]]\ncode = 9100\nseverity = \"minor\"\n");
    auto c = agent_config::load(f.path());
    REQUIRE_OK(c);
    CHECK(c->derive.faults.lookup(402).level == hoistway::common::severity::critical);
    CHECK(c->derive.faults.lookup(402).blocks_service);
    CHECK(c->derive.faults.knows(9100));
    CHECK_FALSE(c->derive.faults.lookup(9100).blocks_service);  // minor: default false
    CHECK_FALSE(c->derive.faults.lookup(103).blocks_service);   // built-in kept
  }
  temp_file f(minimal() +
              "[[faults]]\nseverity = \"minor\"\n"                             // no code
              "[[faults]]\ncode = 70000\nseverity = \"minor\"\n"               // out of range
              "[[faults]]\ncode = 5\nseverity = \"awful\"\n"                   // unknown severity
              "[[faults]]\ncode = 6\nseverity = \"minor\"\nblocks = true\n");  // typo
  auto c = agent_config::load(f.path());
  REQUIRE_FALSE(c.has_value());
  const auto& message = c.error().message;
  CHECK(message.find("faults[0].code") != std::string::npos);
  CHECK(message.find("faults[1].code") != std::string::npos);
  CHECK(message.find("faults[2].severity") != std::string::npos);
  CHECK(message.find("faults[3].blocks") != std::string::npos);
}

TEST_CASE("agent_config: every key of the example file is accepted") {
  const auto example = fs::path(HOISTWAY_SOURCE_DIR) / "config" / "agent.example.toml";
  REQUIRE(fs::exists(example));
  auto c = agent_config::load(example.string());
  REQUIRE_OK(c);
  CHECK(c->sample_interval == std::chrono::milliseconds(100));
}

TEST_CASE("agent_config: every error names file:line and the key, all reported at once") {
  const std::string text =
      "device_id = \"bad id!\"\n"     // 1
      "colour = \"blue\"\n"           // 2: unknown key
      "[controller]\n"                // 3
      "socket = \"/tmp/ctl.sock\"\n"  // 4
      "sample_hz = 1000\n"            // 5: out of range
      "[mqtt]\n"                      // 6
      "keep_alive_s = \"20\"\n"       // 7: wrong type
      "[security]\n"                  // 8
      "key_hex = \"abcd\"\n"          // 9: too short
      "[outbox]\n"                    // 10
      "path = \"/tmp/outbox.db\"\n"   // 11
      "max_records = 5\n"             // 12: below the minimum
      "[cli]\n"                       // 13
      "sockt = \"/tmp/x\"\n"          // 14: typo
      "[events]\n"                    // 15
      "rollup_interval_s = 1\n";      // 16
  temp_file f(text);
  auto c = agent_config::load(f.path());
  REQUIRE_FALSE(c.has_value());
  const auto errors = lines_of(c.error().message);
  const std::vector<std::pair<int, std::string>> expected{{1, "device_id"},
                                                          {2, "colour"},
                                                          {5, "controller.sample_hz"},
                                                          {7, "mqtt.keep_alive_s"},
                                                          {9, "security.key_hex"},
                                                          {12, "outbox.max_records"},
                                                          {14, "cli.sockt"},
                                                          {16, "events.rollup_interval_s"}};
  CHECK(errors.size() == expected.size());
  for (const auto& [line, key] : expected) {
    const std::string where = f.path() + ":" + std::to_string(line) + ":";
    bool found = false;
    for (const auto& e : errors) {
      found = found || (e.rfind(where, 0) == 0 && e.find(": " + key + ": ") != std::string::npos);
    }
    CHECK_MESSAGE(found, "no error at " << where << " for " << key << " in:\n"
                                        << c.error().message);
  }
}

TEST_CASE("agent_config: a missing required key is named with the file and a line") {
  temp_file f("[controller]\nsample_hz = 5\n[security]\nkey_hex = \"" + key_hex + "\"\n");
  auto c = agent_config::load(f.path());
  REQUIRE_FALSE(c.has_value());
  const auto errors = lines_of(c.error().message);
  for (const std::string key : {"device_id", "controller.socket", "outbox.path"}) {
    bool found = false;
    for (const auto& e : errors) {
      found = found || (e.rfind(f.path() + ":", 0) == 0 && e.find(key) != std::string::npos);
    }
    CHECK_MESSAGE(found, key << " not named in:\n" << c.error().message);
  }
}

TEST_CASE("agent_config: a syntax error names file:line:column") {
  temp_file f("device_id = \n");
  auto c = agent_config::load(f.path());
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message.rfind(f.path() + ":1:", 0) == 0);
}

TEST_CASE("agent_config: a missing file is an error naming it") {
  auto c = agent_config::load("/nonexistent/agent.toml");
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message.find("/nonexistent/agent.toml") != std::string::npos);
}

TEST_CASE("agent_config: TLS needs a CA file, client certificate optional") {
  temp_file f(minimal() +
              "[mqtt]\nuri = \"ssl://broker:8883\"\n[mqtt.tls]\ncert_file = \"c.pem\"\n");
  auto c = agent_config::load(f.path());
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message.find("mqtt.tls.ca_file") != std::string::npos);
  temp_file ok(minimal() +
               "[mqtt]\nuri = \"ssl://broker:8883\"\n[mqtt.tls]\nca_file = \"ca.pem\"\n");
  auto c2 = agent_config::load(ok.path());
  REQUIRE_OK(c2);
  REQUIRE(c2->mqtt.tls.has_value());
  CHECK(c2->mqtt.tls->ca_file == "ca.pem");
  CHECK(c2->mqtt.tls->verify_server);
}

namespace {

// A config whose [security] names a key file instead of key_hex, and that file.
struct key_file_case {
  temp_file key;
  temp_file config;
  key_file_case(const std::string& key_text, mode_t mode, const std::string& mqtt = "")
      : key(key_text),
        config("device_id = \"dev-1\"\n[controller]\nsocket = \"/tmp/ctl.sock\"\n" + mqtt +
               "[security]\nkey_id = 3\nkey_file = \"" + key.path() +
               "\"\n[outbox]\npath = \"/tmp/outbox.db\"\n") {
    REQUIRE(::chmod(key.path().c_str(), mode) == 0);
  }
};

// Loading fails with one error, at `key` (section.key), that says `reason`.
void check_refused(const key_file_case& c, const std::string& key, const std::string& reason) {
  auto loaded = agent_config::load(c.config.path());
  REQUIRE_FALSE(loaded.has_value());
  const auto& message = loaded.error().message;
  CAPTURE(message);
  CHECK(lines_of(message).size() == 1);
  CHECK(message.find(": " + key + ": ") != std::string::npos);
  CHECK(message.find(reason) != std::string::npos);
}

}  // namespace

TEST_CASE("agent_config: [security] key_file reads the key from a private file") {
  key_file_case c(std::string(64, 'b') + "\n", 0600);
  auto loaded = agent_config::load(c.config.path());
  REQUIRE_OK(loaded);
  CHECK(loaded->key == std::vector<std::uint8_t>(32, 0xbb));
  CHECK(loaded->key_id == 3);
  // The config file itself holds no key.
  std::ifstream in(c.config.path());
  std::ostringstream text;
  text << in.rdbuf();
  CHECK(text.str().find(std::string(64, 'b')) == std::string::npos);
}

TEST_CASE("agent_config: a key file that is missing, open to others or not a key is refused") {
  SUBCASE("missing") {
    key_file_case c(key_hex, 0600);
    const auto path = c.key.path();
    fs::remove(path);
    check_refused(c, "security.key_file", path + ": cannot open");
  }
  SUBCASE("readable by group or others") {
    for (const mode_t mode : {0644U, 0640U, 0604U, 0660U}) {
      CAPTURE(mode);
      key_file_case c(key_hex, mode);
      check_refused(c, "security.key_file", "group or others may read or write it");
    }
  }
  SUBCASE("not hex") {
    key_file_case c(std::string(63, 'a') + "z", 0600);
    check_refused(c, "security.key_file", c.key.path() + ": hex string has a non-hex digit");
  }
  SUBCASE("too short") {
    key_file_case c("abcd", 0600);
    check_refused(c, "security.key_file", "must be 16 to 64 bytes");
  }
  SUBCASE("empty") {
    key_file_case c("\n", 0600);
    check_refused(c, "security.key_file", "is empty");
  }
  SUBCASE("two lines") {
    key_file_case c(key_hex + "\n" + key_hex + "\n", 0600);
    check_refused(c, "security.key_file", "more than one line");
  }
}

TEST_CASE("agent_config: key_hex and key_file: exactly one") {
  {
    temp_file key(key_hex);
    REQUIRE(::chmod(key.path().c_str(), 0600) == 0);
    std::string text = minimal();
    text.replace(text.find("[outbox]"), 0, "key_file = \"" + key.path() + "\"\n");
    temp_file f(text);
    auto loaded = agent_config::load(f.path());
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().message.find("security.key_file: give key_hex or key_file, not both") !=
          std::string::npos);
  }
  temp_file neither(
      "device_id = \"dev-1\"\n[controller]\nsocket = \"/tmp/ctl.sock\"\n"
      "[outbox]\npath = \"/tmp/outbox.db\"\n");
  auto loaded = agent_config::load(neither.path());
  REQUIRE_FALSE(loaded.has_value());
  CHECK(loaded.error().message.find("security.key_hex: is required (or key_file)") !=
        std::string::npos);
}

TEST_CASE("agent_config: [mqtt] password_file reads the broker password from a private file") {
  temp_file password("the broker password\n");
  REQUIRE(::chmod(password.path().c_str(), 0600) == 0);
  {
    key_file_case c(key_hex, 0600,
                    "[mqtt]\nusername = \"dev-1\"\npassword_file = \"" + password.path() + "\"\n");
    auto loaded = agent_config::load(c.config.path());
    REQUIRE_OK(loaded);
    CHECK(loaded->mqtt.username == "dev-1");
    CHECK(loaded->mqtt.password == "the broker password");
  }
  {
    key_file_case c(key_hex, 0600,
                    "[mqtt]\npassword = \"x\"\npassword_file = \"" + password.path() + "\"\n");
    check_refused(c, "mqtt.password_file", "not both");
  }
  REQUIRE(::chmod(password.path().c_str(), 0644) == 0);
  key_file_case c(key_hex, 0600, "[mqtt]\npassword_file = \"" + password.path() + "\"\n");
  check_refused(c, "mqtt.password_file", "group or others may read or write it");
}

TEST_CASE("agent_config: [controller] landing_levels_mm must be strictly ascending integers") {
  auto with_levels = [](const std::string& levels) {
    std::string text = minimal();
    const auto at = text.find("[security]");
    text.insert(at, "landing_levels_mm = " + levels + "\nlanding_window_mm = 120\n");
    return text;
  };
  {
    temp_file f(with_levels("[0, 4500, 8100]"));
    auto c = agent_config::load(f.path());
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
    CHECK(c->derive.landing_levels_mm == std::vector<std::int32_t>{0, 4500, 8100});
    CHECK(c->derive.tracking.landing_window_mm == 120);
  }
  for (const auto* bad : {"[0, 4500, 4500]", "[0, \"3000\"]", "[]", "7", "[0, 9000, 4500]"}) {
    CAPTURE(bad);
    temp_file f(with_levels(bad));
    auto c = agent_config::load(f.path());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message.find("landing_levels_mm") != std::string::npos);
  }
  temp_file f(minimal());
  auto c = agent_config::load(f.path());
  REQUIRE(c.has_value());
  CHECK(c->derive.landing_levels_mm.empty());
  CHECK(c->derive.tracking.landing_window_mm == 75);
}

// Tests of agent.toml loading (agent_config.hpp): defaults, and errors that name file:line:key.
#include "hoistway/edge/agent_config.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using hoistway::edge::agent_config;

class temp_file {
 public:
  explicit temp_file(const std::string& text) {
    static std::atomic<int> counter{0};
    path_ =
        (fs::temp_directory_path() / ("hoistway-agent-config-test-" + std::to_string(::getpid()) +
                                      "-" + std::to_string(counter++) + ".toml"))
            .string();
    std::ofstream(path_) << text;
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

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
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
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

TEST_CASE("agent_config: [[faults]] add and override codes; bad entries are named") {
  {
    temp_file f(minimal() +
                "[[faults]]\ncode = 402\nseverity = \"critical\"\nblocks_service = true\n"
                "[[faults]]\ncode = 9100\nseverity = \"minor\"\n");
    auto c = agent_config::load(f.path());
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
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
  const auto example = fs::path(__FILE__).parent_path().parent_path().parent_path() / "config" /
                       "agent.example.toml";
  REQUIRE(fs::exists(example));
  auto c = agent_config::load(example.string());
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
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

TEST_CASE("agent_config: TLS needs a CA file; client certificate optional") {
  temp_file f(minimal() +
              "[mqtt]\nuri = \"ssl://broker:8883\"\n[mqtt.tls]\ncert_file = \"c.pem\"\n");
  auto c = agent_config::load(f.path());
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message.find("mqtt.tls.ca_file") != std::string::npos);
  temp_file ok(minimal() +
               "[mqtt]\nuri = \"ssl://broker:8883\"\n[mqtt.tls]\nca_file = \"ca.pem\"\n");
  auto c2 = agent_config::load(ok.path());
  REQUIRE_MESSAGE(c2.has_value(), (c2 ? "" : c2.error().message));
  REQUIRE(c2->mqtt.tls.has_value());
  CHECK(c2->mqtt.tls->ca_file == "ca.pem");
  CHECK(c2->mqtt.tls->verify_server);
}

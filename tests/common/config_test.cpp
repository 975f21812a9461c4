// Tests of the strict TOML configuration reader (config.hpp).
#include "hoistway/common/config.hpp"

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include "temp_dir.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace hc = hoistway::common;
namespace cfg = hoistway::common::config;

constexpr std::string_view sample = R"(name = "edge-7"
port = 1883
ratio = 0.25
whole = 3
enabled = true
bad_int = "x"
big = 70000
empty = ""
not_a_number = nan

[mqtt]
uri = "tcp://broker:1883"
keep_alive = 0
typo_key = 1

[[devices]]
id = "a"

[[devices]]
id = "b"
extra = 1
)";

toml::table parse_sample() {
  auto table = cfg::parse_text(sample, "cfg.toml");
  REQUIRE_OK(table);
  return std::move(*table);
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("parse_text reports a syntax error as name:LINE:COL") {
  const auto result = cfg::parse_text("a = 1\nb = = 2\n", "broken.toml");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == hc::errc::invalid_argument);
  const auto& message = result.error().message;
  CAPTURE(message);
  REQUIRE(message.starts_with("broken.toml:2:"));
  // A column number follows the line, then the reason.
  const auto col_end = message.find(':', std::string_view("broken.toml:2:").size());
  REQUIRE(col_end != std::string::npos);
  const auto column = message.substr(14, col_end - 14);
  CHECK_FALSE(column.empty());
  CHECK(column.find_first_not_of("0123456789") == std::string::npos);
  CHECK(message.size() > col_end + 2);
}

TEST_CASE("load_file reads a file and names a missing one") {
  const hoistway::testing::temp_dir dir("hoistway-config-test");
  const auto path = dir.write("agent.toml", "name = \"x\"\n");
  const auto loaded = cfg::load_file(path);
  REQUIRE(loaded.has_value());
  CHECK(loaded->get("name") != nullptr);
  const auto missing = cfg::load_file(dir.file("missing.toml"));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == hc::errc::not_found);
  CHECK(contains(missing.error().message, "missing.toml"));
}

TEST_CASE("typed getters return values and fallbacks without errors") {
  const auto table = parse_sample();
  cfg::reader r(table, "cfg.toml");
  CHECK(r.text("name", "d") == "edge-7");
  CHECK(r.text("absent", "fallback") == "fallback");
  CHECK(r.integer("port", 0, 1, 65'535) == 1883);
  CHECK(r.integer("absent", 42, 1, 65'535) == 42);
  CHECK(r.integer("port", 0, 1883, 1883) == 1883);  // bounds are inclusive
  CHECK(r.number("ratio", 1.0, 0.0, 1.0) == doctest::Approx(0.25));
  CHECK(r.number("whole", 0.0, 0.0, 10.0) == doctest::Approx(3.0));  // an integer is a number
  CHECK(r.boolean("enabled", false));
  CHECK(r.boolean("absent", true));
  CHECK(r.table("mqtt").size() == 3);
  CHECK(r.table("absent").empty());
  CHECK(r.errors().empty());
  CHECK(r.finish().has_value());
}

TEST_CASE("range errors name the file, line and key, and return the fallback") {
  const auto table = parse_sample();
  cfg::reader r(table, "cfg.toml");
  CHECK(r.integer("big", 5, 1, 65'535) == 5);
  CHECK(r.number("ratio", 0.5, 0.5, 1.0) == 0.5);
  CHECK(r.number("not_a_number", 0.5, 0.0, 1.0) == 0.5);  // NaN is out of every range
  REQUIRE(r.errors().size() == 3);
  CHECK(r.errors()[0].starts_with("cfg.toml:7:"));
  CHECK(contains(r.errors()[0], ": big: must be between 1 and 65535"));
  CHECK(r.errors()[1].starts_with("cfg.toml:3:"));
  CHECK(contains(r.errors()[1], "ratio"));
  CHECK(contains(r.errors()[2], "not_a_number"));
}

TEST_CASE("type errors") {
  const auto table = parse_sample();
  cfg::reader r(table, "cfg.toml");
  CHECK(r.integer("bad_int", 9, 0, 100) == 9);
  CHECK(r.integer("ratio", 9, 0, 100) == 9);  // a float is not an integer
  CHECK(r.text("port", "fb") == "fb");
  CHECK(r.boolean("port", false) == false);
  CHECK(r.number("name", 1.5, 0.0, 2.0) == 1.5);
  CHECK(r.table("name").empty());
  CHECK(r.tables("name").empty());
  CHECK(r.tables("mqtt").empty());
  const auto& e = r.errors();
  REQUIRE(e.size() == 8);
  CHECK(contains(e[0], "bad_int: expected an integer"));
  CHECK(contains(e[1], "ratio: expected an integer"));
  CHECK(contains(e[2], "port: expected a string"));
  CHECK(contains(e[3], "port: expected true or false"));
  CHECK(contains(e[4], "name: expected a number"));
  CHECK(contains(e[5], "name: expected a table"));
  CHECK(contains(e[6], "name: expected an array of tables ([[name]])"));
  CHECK(contains(e[7], "mqtt: expected an array of tables"));
}

TEST_CASE("required_text") {
  const auto table = parse_sample();
  cfg::reader r(table, "cfg.toml");
  CHECK(r.required_text("name") == "edge-7");
  CHECK(r.errors().empty());
  CHECK(r.required_text("absent").empty());
  CHECK(r.required_text("empty").empty());
  REQUIRE(r.errors().size() == 2);
  CHECK(contains(r.errors()[0], "absent: is required"));
  CHECK(r.errors()[1].starts_with("cfg.toml:8:"));
  CHECK(contains(r.errors()[1], "empty: must not be empty"));
}

// Regression (fixed): required_text on a non-string added "expected a string" and then also the
// false "must not be empty".
TEST_CASE("required_text of a non-string reports one type error") {
  const auto table = parse_sample();
  cfg::reader r(table, "cfg.toml");
  CHECK(r.required_text("port").empty());
  REQUIRE(r.errors().size() == 1);
  CHECK(contains(r.errors()[0], "port: expected a string"));
}

TEST_CASE("only() reports every unknown key") {
  const auto table = parse_sample();
  cfg::reader r(table, "cfg.toml");
  r.only({"name", "port", "ratio", "whole", "enabled", "big", "empty", "mqtt", "devices"});
  REQUIRE(r.errors().size() == 2);
  std::string all = r.errors()[0] + "\n" + r.errors()[1];
  CHECK(contains(all, "bad_int: unknown key"));
  CHECK(contains(all, "not_a_number: unknown key"));
  CHECK(contains(all, "cfg.toml:6:"));  // where bad_int is

  cfg::reader clean(table, "cfg.toml");
  clean.only({"name", "port", "ratio", "whole", "enabled", "bad_int", "big", "empty",
              "not_a_number", "mqtt", "devices"});
  CHECK(clean.errors().empty());
}

TEST_CASE("child readers report into the parent with a dotted prefix") {
  const auto table = parse_sample();
  cfg::reader r(table, "cfg.toml");
  {
    auto mqtt = r.child("mqtt");
    CHECK(mqtt.required_text("uri") == "tcp://broker:1883");
    CHECK(mqtt.integer("keep_alive", 20, 1, 3'600) == 20);
    mqtt.only({"uri", "keep_alive"});
    // The child itself shares the error list.
    CHECK(mqtt.errors().size() == 2);
  }
  REQUIRE(r.errors().size() == 2);
  CHECK(r.errors()[0].starts_with("cfg.toml:13:"));
  CHECK(contains(r.errors()[0], "mqtt.keep_alive: must be between 1 and 3600"));
  CHECK(contains(r.errors()[1], "mqtt.typo_key: unknown key"));

  // A child of an absent table reads fallbacks; a missing required key is still named.
  auto absent = r.child("storage");
  CHECK(absent.text("path", "/var/lib/x") == "/var/lib/x");
  absent.required_text("path");
  REQUIRE(r.errors().size() == 3);
  CHECK(contains(r.errors()[2], "storage.path: is required"));

  // Grandchildren keep the full path.
  auto grandchild = absent.child("inner");
  grandchild.add_error("k", "custom reason");
  CHECK(contains(r.errors().back(), "storage.inner.k: custom reason"));
}

TEST_CASE("tables() reads arrays of tables, element readers report into the parent") {
  const auto table = parse_sample();
  cfg::reader r(table, "cfg.toml");
  const auto devices = r.tables("devices");
  REQUIRE(devices.size() == 2);
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    auto device = r.child(*devices[i], "devices[" + std::to_string(i) + "]");
    ids.push_back(device.required_text("id"));
    device.only({"id"});
  }
  CHECK(ids == std::vector<std::string>{"a", "b"});
  REQUIRE(r.errors().size() == 1);
  CHECK(r.errors()[0].starts_with("cfg.toml:21:"));
  CHECK(contains(r.errors()[0], "devices[1].extra: unknown key"));
  CHECK(r.tables("absent").empty());

  const auto mixed = cfg::parse_text("list = [{ a = 1 }, 2]\n", "m.toml");
  REQUIRE(mixed.has_value());
  cfg::reader m(*mixed, "m.toml");
  CHECK(m.tables("list").size() == 1);
  REQUIRE(m.errors().size() == 1);
  CHECK(contains(m.errors()[0], "list: every element must be a table"));
}

TEST_CASE("finish() lists every error, one per line") {
  const auto table = parse_sample();
  cfg::reader r(table, "cfg.toml");
  r.integer("big", 0, 0, 10);
  r.text("port", "");
  r.child("mqtt").integer("keep_alive", 1, 1, 2);
  r.required_text("absent");
  const auto st = r.finish();
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code == hc::errc::invalid_argument);
  const auto& message = st.error().message;
  CHECK(std::count(message.begin(), message.end(), '\n') == 3);
  std::string joined;
  for (const auto& e : r.errors()) joined += (joined.empty() ? "" : "\n") + e;
  CHECK(message == joined);
  CHECK(contains(message, "big"));
  CHECK(contains(message, "port"));
  CHECK(contains(message, "mqtt.keep_alive"));
  CHECK(contains(message, "absent"));
}

// Tests of the [mqtt] section of ingest.toml (server/server_config.hpp): the service user's
// credentials, the password from a private file (password_file) rather than in the config.
#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "hoistway/cloud/server/server_config.hpp"
#include "ingest_toml.hpp"
#include "temp_dir.hpp"

TEST_CASE("ingest config: [mqtt] credentials, the password inline or from a private file") {
  hoistway::testing::temp_dir dir{"hoistway-ingest-mqtt-config"};
  const auto password_file = dir.file("mqtt-password");
  std::ofstream(password_file) << "service password 123\n";
  REQUIRE(::chmod(password_file.c_str(), 0600) == 0);
  auto load = [&dir](const std::string& mqtt) {
    return hoistway::testing::load_ingest_toml(dir, "[mqtt]\n" + mqtt);
  };
  auto fails_with = [&dir](const std::string& mqtt, const std::string& what) {
    hoistway::testing::check_ingest_toml_fails(dir, "[mqtt]\n" + mqtt, what);
  };

  SUBCASE("defaults: no credentials, a persistent session, the shared group") {
    auto c = load("");
    REQUIRE_OK(c);
    CHECK(c->mqtt.server_uri == "tcp://127.0.0.1:1883");
    CHECK(c->mqtt.client_id == "hoistway-ingest");
    CHECK(c->mqtt.username.empty());
    CHECK(c->mqtt.password.empty());
    CHECK(c->share_group == "ingest");
  }
  SUBCASE("password_file") {
    auto c = load("username = \"hoistway-ingest\"\npassword_file = \"" + password_file + "\"\n");
    REQUIRE_OK(c);
    CHECK(c->mqtt.username == "hoistway-ingest");
    CHECK(c->mqtt.password == "service password 123");
  }
  SUBCASE("inline password") {
    auto c = load("username = \"u\"\npassword = \"inline\"\n");
    REQUIRE_OK(c);
    CHECK(c->mqtt.password == "inline");
  }
  SUBCASE("refusals name the key and the reason") {
    fails_with("password = \"x\"\npassword_file = \"" + password_file + "\"\n",
               "mqtt.password_file: give password or password_file, not both");
    fails_with("password_file = \"" + dir.file("missing") + "\"\n",
               "mqtt.password_file: " + dir.file("missing") + ": cannot open");
    REQUIRE(::chmod(password_file.c_str(), 0640) == 0);
    fails_with("password_file = \"" + password_file + "\"\n",
               "mqtt.password_file: " + password_file + ": group or others may read or write it");
    fails_with("passwd_file = \"x\"\n", "mqtt.passwd_file: unknown key");
  }
}

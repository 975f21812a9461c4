// Tests of the tenancy directory (directory.hpp) on a real store file written by the registry:
// API key authentication, unit scoping per customer, and snapshot refresh.
#include "hoistway/cloud/registry/directory.hpp"

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <unistd.h>
#include "temp_dir.hpp"
#include "tenancy.hpp"

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "hoistway/cloud/accounts/account_store.hpp"
#include "hoistway/cloud/registry/registry.hpp"
#include "hoistway/common/time.hpp"

namespace {

namespace hc = hoistway::cloud;
namespace common = hoistway::common;
namespace fs = std::filesystem;

using temp_dir = hoistway::testing::temp_dir;

// Customers A and B with a building each; A has a monitored unit and an unmonitored one, B a
// monitored one. A has an active and a revoked key, B an active key.
struct fixture {
  temp_dir dir;
  std::shared_ptr<common::manual_clock> clock = std::make_shared<common::manual_clock>();
  std::string path = dir.file("cloud.db");
  hoistway::testing::tenancy tenancy{path, clock};
  hc::registry& reg = tenancy.registry();
  hc::api_key_secret key_a, key_a_revoked, key_b;
  std::shared_ptr<hc::directory> dir_;

  fixture() {
    hoistway::testing::two_customers(tenancy, clock->wall_ms() - 1000);
    key_a = make_key("A");
    key_a_revoked = make_key("A");
    key_b = make_key("B");
    REQUIRE(reg.revoke_api_key(key_a_revoked.key_id));
    auto d = hc::directory::open(path, clock, std::chrono::milliseconds(1000));
    REQUIRE_OK(d);
    dir_ = *d;
  }

  hc::api_key_secret make_key(const std::string& customer) { return tenancy.key(customer); }
  hc::directory& d() { return *dir_; }
};

hc::auth_failure failure_of(const std::expected<hc::caller, hc::auth_failure>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

}  // namespace

TEST_CASE("directory: authentication fails with the right kind") {
  fixture f;
  using hc::auth_failure;
  CHECK(failure_of(f.d().authenticate("", "")) == auth_failure::missing);
  CHECK(failure_of(f.d().authenticate("Basic dXNlcjpwYXNz", "")) == auth_failure::malformed);
  CHECK(failure_of(f.d().authenticate("Bearer", "")) == auth_failure::malformed);
  CHECK(failure_of(f.d().authenticate("Bearer ", "")) == auth_failure::malformed);
  CHECK(failure_of(f.d().authenticate("Bearer not-a-key", "")) == auth_failure::malformed);
  CHECK(failure_of(f.d().authenticate(f.key_a.token, "")) == auth_failure::malformed);  // no scheme
  CHECK(failure_of(f.d().authenticate("Bearer " + f.key_a.token + " ", "")) ==
        auth_failure::malformed);
  CHECK(failure_of(f.d().authenticate("", "hwk_short")) == auth_failure::malformed);

  // Well formed but unknown: an unknown key id, or a known id with the wrong secret.
  const std::string unknown_id = "hwk_000000000000_" + f.key_a.token.substr(17);
  CHECK(failure_of(f.d().authenticate("Bearer " + unknown_id, "")) ==
        auth_failure::unknown_or_revoked);
  std::string wrong_secret = f.key_a.token;
  wrong_secret.back() = wrong_secret.back() == '0' ? '1' : '0';
  CHECK(failure_of(f.d().authenticate("Bearer " + wrong_secret, "")) ==
        auth_failure::unknown_or_revoked);
  // Another customer's key id with this key's secret.
  const std::string crossed = f.key_b.token.substr(0, 17) + f.key_a.token.substr(17);
  CHECK(failure_of(f.d().authenticate("Bearer " + crossed, "")) ==
        auth_failure::unknown_or_revoked);
  // Revoked.
  CHECK(failure_of(f.d().authenticate("Bearer " + f.key_a_revoked.token, "")) ==
        auth_failure::unknown_or_revoked);
  CHECK(failure_of(f.d().authenticate("", f.key_a_revoked.token)) ==
        auth_failure::unknown_or_revoked);
}

TEST_CASE("directory: a good token names its customer and key") {
  fixture f;
  auto a = f.d().authenticate("Bearer " + f.key_a.token, "");
  REQUIRE(a.has_value());
  CHECK(a->customer_id == "A");
  CHECK(a->key_id == f.key_a.key_id);
  auto b = f.d().authenticate("", f.key_b.token);  // X-API-Key
  REQUIRE(b.has_value());
  CHECK(b->customer_id == "B");
  CHECK(b->key_id == f.key_b.key_id);
}

TEST_CASE("directory: unit_of answers only for the customer's own units") {
  fixture f;
  auto own = f.d().unit_of("A", "uA1");
  REQUIRE(own.has_value());
  CHECK(own->unit_id == "uA1");
  CHECK(own->customer_id == "A");
  CHECK(own->building_id == "bA");
  CHECK(own->name == "Alpha 1");
  CHECK(own->monitored);
  auto unmonitored = f.d().unit_of("A", "uA2");
  REQUIRE(unmonitored.has_value());
  CHECK_FALSE(unmonitored->monitored);

  CHECK_FALSE(f.d().unit_of("A", "uB1").has_value());
  CHECK_FALSE(f.d().unit_of("B", "uA1").has_value());
  CHECK_FALSE(f.d().unit_of("A", "nope").has_value());
  CHECK_FALSE(f.d().unit_of("", "uA1").has_value());
  CHECK_FALSE(f.d().unit_of("nobody", "uA1").has_value());

  auto units_a = f.d().units_of("A");
  REQUIRE(units_a.size() == 2);
  CHECK(units_a[0].unit_id == "uA1");
  CHECK(units_a[1].unit_id == "uA2");
  auto units_b = f.d().units_of("B");
  REQUIRE(units_b.size() == 1);
  CHECK(units_b[0].unit_id == "uB1");
  CHECK(f.d().units_of("").empty());
}

TEST_CASE("directory: registry changes show once the snapshot is max_age old") {
  fixture f;
  // Changes after the snapshot was taken.
  REQUIRE(f.reg.add_unit("uA3", "dA", 2, "bA", "Alpha 3"));
  REQUIRE(f.reg.add_contract("uA2", f.clock->wall_ms() - 10, std::nullopt));
  REQUIRE(f.reg.end_contracts("uB1", f.clock->wall_ms()));
  auto new_key = f.make_key("B");
  REQUIRE(f.reg.revoke_api_key(f.key_a.key_id));

  f.clock->advance(999);  // not yet max_age
  CHECK_FALSE(f.d().unit_of("A", "uA3").has_value());
  CHECK_FALSE(f.d().unit_of("A", "uA2").value().monitored);
  CHECK(f.d().unit_of("B", "uB1").value().monitored);
  CHECK(f.d().authenticate("Bearer " + f.key_a.token, "").has_value());
  CHECK(failure_of(f.d().authenticate("Bearer " + new_key.token, "")) ==
        hc::auth_failure::unknown_or_revoked);

  f.clock->advance(1);  // max_age reached: the next call reloads
  auto added = f.d().unit_of("A", "uA3");
  REQUIRE(added.has_value());
  CHECK(added->name == "Alpha 3");
  CHECK_FALSE(added->monitored);
  CHECK(f.d().unit_of("A", "uA2").value().monitored);
  CHECK_FALSE(f.d().unit_of("B", "uB1").value().monitored);
  CHECK(f.d().units_of("A").size() == 3);
  CHECK(failure_of(f.d().authenticate("Bearer " + f.key_a.token, "")) ==
        hc::auth_failure::unknown_or_revoked);
  auto b = f.d().authenticate("Bearer " + new_key.token, "");
  REQUIRE(b.has_value());
  CHECK(b->customer_id == "B");
}

TEST_CASE("directory: a contract that ends while the server runs ends monitoring at refresh") {
  fixture f;
  REQUIRE(f.reg.add_unit("uA3", "dA", 2, "bA", "Alpha 3"));
  REQUIRE(f.reg.add_contract("uA3", f.clock->wall_ms() - 10, f.clock->wall_ms() + 1500));
  f.clock->advance(1000);
  CHECK(f.d().unit_of("A", "uA3").value().monitored);
  f.clock->advance(1000);  // the contract ended 500 ms ago; the snapshot is 1000 ms old
  CHECK_FALSE(f.d().unit_of("A", "uA3").value().monitored);
}

TEST_CASE("directory: the registry's and the accounts' unit lists say monitored as it does") {
  fixture f;
  const auto now = f.clock->wall_ms();
  // Besides uA1 and uB1 (running) and uA2 (none): one that starts later, one ended, one running
  // until later, one that ends exactly now (ended).
  f.tenancy.unit("uA3", "dA", 2, "bA", "Alpha 3").contract("uA3", now + 10);
  f.tenancy.unit("uA4", "dA", 3, "bA", "Alpha 4").contract("uA4", now - 100, now - 10);
  f.tenancy.unit("uA5", "dA", 4, "bA", "Alpha 5").contract("uA5", now - 100, now + 100);
  f.tenancy.unit("uA6", "dA", 5, "bA", "Alpha 6").contract("uA6", now - 100, now);
  f.clock->advance(1000);
  f.clock->jump_wall(-1000);  // the snapshot reloads (mono moved on) at the same wall time
  REQUIRE(f.d().refresh());
  const std::map<std::string, bool> expected{{"uA1", true},  {"uA2", false}, {"uA3", false},
                                             {"uA4", false}, {"uA5", true},  {"uA6", false}};
  std::map<std::string, bool> dir;
  for (const auto& u : f.d().units_of("A")) dir[u.unit_id] = u.monitored;
  CHECK(dir == expected);
  std::map<std::string, bool> reg;
  auto units = f.reg.units("A");
  REQUIRE_OK(units);
  for (const auto& u : *units) reg[u.unit_id] = u.monitored;
  CHECK(reg == expected);
  auto accounts = hoistway::cloud::accounts::account_store::open(f.path);
  REQUIRE_OK(accounts);
  auto listed = (*accounts)->customer_units("A", now);
  REQUIRE_OK(listed);
  std::map<std::string, bool> acc;
  for (const auto& u : *listed) acc[u.unit_id] = u.monitored;
  CHECK(acc == expected);
}

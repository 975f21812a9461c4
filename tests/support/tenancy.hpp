// Tenancy for the cloud tests (customers, buildings, devices, units, monitoring contracts, API
// keys), built through the registry: the code hoistway-admin runs, so a test's tenancy is one an
// operator could make, and a change to the tables reaches every test through one place. Each step
// REQUIREs success.
//   hoistway::testing::tenancy t(path, clock);
//   t.customer("A", "Alpha").building("bA", "A", "Alpha Tower").device("dA")
//       .unit("uA1", "dA", 0, "bA", "Alpha 1").contract("uA1", from_ms);
// two_customers() builds the cast most cloud tests share.
// Thread-safety: a registry connection, on the test's thread.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "hoistway/cloud/registry/registry.hpp"
#include "hoistway/common/time.hpp"
#include "require_ok.hpp"

namespace hoistway::testing {

class tenancy {
 public:
  tenancy(const std::string& store_path, std::shared_ptr<common::clock> clock)
      : registry_(open(store_path, std::move(clock))) {}

  tenancy& customer(const std::string& id, const std::string& name) {
    REQUIRE_OK(registry_.add_customer(id, name));
    return *this;
  }
  tenancy& building(const std::string& id, const std::string& customer, const std::string& name,
                    const std::string& address = "") {
    REQUIRE_OK(registry_.add_building(id, customer, name, address));
    return *this;
  }
  tenancy& device(const std::string& id) {
    REQUIRE_OK(registry_.add_device(id));
    return *this;
  }
  tenancy& unit(const std::string& id, const std::string& device, std::uint8_t car,
                const std::string& building, const std::string& name) {
    REQUIRE_OK(registry_.add_unit(id, device, car, building, name));
    return *this;
  }
  // A monitoring contract from `starts_ms` (until `ends_ms`, if given).
  tenancy& contract(const std::string& unit, std::int64_t starts_ms,
                    std::optional<std::int64_t> ends_ms = std::nullopt) {
    REQUIRE_OK(registry_.add_contract(unit, starts_ms, ends_ms));
    return *this;
  }
  // A new API key of the customer (its token is in the answer, as hoistway-admin prints it once).
  cloud::api_key_secret key(const std::string& customer, const std::string& label = "test") {
    auto k = registry_.create_api_key(customer, label);
    REQUIRE_OK(k);
    return *k;
  }

  cloud::registry& registry() { return registry_; }

 private:
  static cloud::registry open(const std::string& path, std::shared_ptr<common::clock> clock) {
    auto r = cloud::registry::open(path, std::move(clock));
    REQUIRE_OK(r);
    return std::move(*r);
  }
  cloud::registry registry_;
};

// The cast most cloud tests share: customers A (Alpha) and B (Beta), a building each (bA, bB),
// one device each (dA, dB); units uA1 and uA2 (cars 0 and 1 of dA) and uB1 (dB); uA1 and uB1
// monitored from `contracts_from_ms`, uA2 not monitored.
inline void two_customers(tenancy& t, std::int64_t contracts_from_ms) {
  t.customer("A", "Alpha").customer("B", "Beta");
  t.building("bA", "A", "Alpha Tower").building("bB", "B", "Beta Tower");
  t.device("dA").device("dB");
  t.unit("uA1", "dA", 0, "bA", "Alpha 1").unit("uA2", "dA", 1, "bA", "Alpha 2");
  t.unit("uB1", "dB", 0, "bB", "Beta 1");
  t.contract("uA1", contracts_from_ms).contract("uB1", contracts_from_ms);
}

}  // namespace hoistway::testing

// Tests of crypto.hpp against published vectors (FIPS 180-2 examples, RFC 4231).
#include "hoistway/common/crypto.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace {

namespace crypto = hoistway::common::crypto;

std::vector<std::uint8_t> repeat(std::uint8_t value, std::size_t n) {
  return std::vector<std::uint8_t>(n, value);
}

std::string hmac_hex(const std::vector<std::uint8_t>& key, const std::vector<std::uint8_t>& data) {
  return crypto::to_hex(crypto::hmac_sha256(key, data));
}

std::vector<std::uint8_t> bytes_of(std::string_view text) {
  const auto span = crypto::as_bytes(text);
  return {span.begin(), span.end()};
}

}  // namespace

TEST_CASE("SHA-256 known answers") {
  CHECK(crypto::to_hex(crypto::sha256({})) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(crypto::to_hex(crypto::sha256(crypto::as_bytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(crypto::to_hex(crypto::sha256(
            crypto::as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1'000'000, 'a');
  CHECK(crypto::to_hex(crypto::sha256(crypto::as_bytes(million))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("HMAC-SHA256: RFC 4231 test cases") {
  SUBCASE("1: 20-byte key") {
    CHECK(hmac_hex(repeat(0x0b, 20), bytes_of("Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  }
  SUBCASE("2: key shorter than the output") {
    CHECK(hmac_hex(bytes_of("Jefe"), bytes_of("what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
  SUBCASE("3: 50 bytes of 0xdd") {
    CHECK(hmac_hex(repeat(0xaa, 20), repeat(0xdd, 50)) ==
          "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  }
  SUBCASE("4: 25-byte counting key") {
    std::vector<std::uint8_t> key(25);
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i + 1);
    CHECK(hmac_hex(key, repeat(0xcd, 50)) ==
          "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  }
  SUBCASE("5: truncation to 128 bits") {
    CHECK(hmac_hex(repeat(0x0c, 20), bytes_of("Test With Truncation")).substr(0, 32) ==
          "a3b6167473100ee06e0c796c2955552b");
  }
  SUBCASE("6: key larger than the block size") {
    CHECK(hmac_hex(repeat(0xaa, 131),
                   bytes_of("Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }
  SUBCASE("7: key and data larger than the block size") {
    CHECK(hmac_hex(repeat(0xaa, 131),
                   bytes_of("This is a test using a larger than block-size key and a larger "
                            "than block-size data. The key needs to be hashed before being "
                            "used by the HMAC algorithm.")) ==
          "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  }
}

TEST_CASE("constant_time_equal") {
  const std::vector<std::uint8_t> a{1, 2, 3, 4};
  auto b = a;
  CHECK(crypto::constant_time_equal(a, b));
  CHECK(crypto::constant_time_equal({}, {}));
  for (std::size_t i = 0; i < a.size(); ++i) {
    b = a;
    b[i] ^= 0x80U;
    CHECK_FALSE(crypto::constant_time_equal(a, b));
  }
  CHECK_FALSE(crypto::constant_time_equal(a, std::vector<std::uint8_t>{1, 2, 3}));
  CHECK_FALSE(crypto::constant_time_equal(std::vector<std::uint8_t>{1, 2, 3}, a));
  CHECK_FALSE(crypto::constant_time_equal(a, {}));
}

TEST_CASE("hex round trip and bad hex") {
  std::vector<std::uint8_t> all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  const auto hex = crypto::to_hex(all);
  CHECK(hex.size() == 512);
  CHECK(hex.substr(0, 8) == "00010203");
  CHECK(hex.substr(504) == "fcfdfeff");
  const auto back = crypto::from_hex(hex);
  REQUIRE(back.has_value());
  CHECK(*back == all);

  const auto upper = crypto::from_hex("DEADbeef");
  REQUIRE(upper.has_value());
  CHECK(*upper == std::vector<std::uint8_t>{0xde, 0xad, 0xbe, 0xef});
  CHECK(crypto::from_hex("").value().empty());
  CHECK(crypto::to_hex({}).empty());

  for (const std::string_view bad : {"abc", "0g", "g0", " 0", "0x12", "12-4", "zz", "1\0"}) {
    CAPTURE(bad);
    const auto result = crypto::from_hex(bad);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == hoistway::common::errc::invalid_argument);
  }
  CHECK_FALSE(crypto::from_hex(std::string_view("1\0", 2)).has_value());
}

TEST_CASE("random_uuid is a version-4, RFC 4122 variant UUID, unique over 1000 draws") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto uuid = crypto::random_uuid();
    REQUIRE(uuid.size() == 36);
    for (std::size_t pos = 0; pos < uuid.size(); ++pos) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
        CHECK(uuid[pos] == '-');
      } else {
        CHECK(((uuid[pos] >= '0' && uuid[pos] <= '9') || (uuid[pos] >= 'a' && uuid[pos] <= 'f')));
      }
    }
    CHECK(uuid[14] == '4');
    CHECK(std::string_view("89ab").find(uuid[19]) != std::string_view::npos);
    seen.insert(uuid);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("random_bytes is not constant") {
  const auto a = crypto::random_bytes(64);
  const auto b = crypto::random_bytes(64);
  REQUIRE(a.size() == 64);
  CHECK(a != b);
  CHECK(std::adjacent_find(a.begin(), a.end(), std::not_equal_to<>()) != a.end());
  CHECK(crypto::random_bytes(0).empty());
  // Larger than one CTR-DRBG request (1024 bytes): the tail must be filled too.
  const auto big = crypto::random_bytes(5000);
  CHECK(std::count(big.end() - 1000, big.end(), std::uint8_t{0}) < 100);
}

TEST_CASE("secure_zero clears the bytes") {
  auto key = crypto::random_bytes(32);
  key[0] = 1;
  crypto::secure_zero(key);
  CHECK(std::all_of(key.begin(), key.end(), [](std::uint8_t b) { return b == 0; }));
}

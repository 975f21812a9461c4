// Account protection that holds: each defect an attacker found in an earlier version has a case
// here that failed on the code before it. Work is compared by counting Argon2id calls (the
// fixture's counting hasher), never by time.
#include "accounts_test_fixture.hpp"

#include <chrono>
#include <latch>
#include <thread>

#include "hoistway/cloud/accounts/account_store.hpp"
#include "hoistway/cloud/accounts/throttle.hpp"

using namespace accounts_test;

namespace {
const std::string taro = "taro@sakura.example.jp";
const std::string hana = "hana@fuji.example.jp";
const std::string ghost = "ghost@sakura.example.jp";

json login(const std::string& email, const std::string& password) {
  return {{"email", email}, {"password", password}};
}

// Argon2id calls made by one request.
int hashes_of(fixture& f, const std::function<void()>& request) {
  const auto before = f.hashes();
  request();
  return f.hashes() - before;
}

std::uint64_t counter(fixture& f, const std::string& name) {
  f.module().flush();  // writes that failed after their answer count when they fail
  for (const auto& [k, v] : f.module().counters()) {
    if (k == name) return v;
  }
  FAIL("no counter " << name);
  return 0;
}
}  // namespace

TEST_CASE(
    "a correct password never clears the security answer's failures: answers cannot be guessed "
    "without end") {
  fixture f;
  f.sign_up(taro, "C1");
  f.post("/api/v1/eservice/logout", json::object());
  // Someone who knows the password guesses the answer, signing in again between guesses.
  int wrong = 0;
  for (int round = 0; round < 3 && wrong < 5; ++round) {
    REQUIRE(f.post("/api/v1/eservice/login", login(taro, "newpass123")).status == 200);
    for (int i = 0; i < 2 && wrong < 5; ++i, ++wrong) {
      CHECK(f.post("/api/v1/eservice/security-answer", {{"answer", "Tama" + std::to_string(wrong)}})
                .status == 401);
    }
  }
  REQUIRE(wrong == 5);
  REQUIRE(f.post("/api/v1/eservice/login", login(taro, "newpass123")).status == 200);
  const auto before = f.hashes();
  auto r = f.post("/api/v1/eservice/security-answer", {{"answer", "Pochi"}});
  CHECK(r.status == 429);                 // even the right answer
  CHECK(f.hashes() == before);            // refused before hashing
  CHECK(fixture::retry_after(r) > 3600);  // the answer's own lock (24 h by default)
  // The portal's access request asks the same answer: locked there too.
  CHECK(f.audit("security_answer_locked").size() == 1);
  // The operator's reset clears it; a new question is set at the next sign-in.
  REQUIRE(f.ops().reset_security_answer(taro));
  r = f.post("/api/v1/eservice/login", login(taro, "newpass123"));
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["next"] == "security_setup");
}

TEST_CASE("a stranger's wrong passwords from another address never lock the owner out") {
  fixture f;
  f.sign_up(taro, "C1");
  f.post("/api/v1/eservice/logout", json::object());
  const auto owner_jar = f.jar;
  f.jar.clear();
  f.address = "198.51.100.66";
  // The stranger hammers for an hour, as fast as the delays let it.
  int failures = 0;
  int delayed = 0;
  int last_wait = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = f.post("/api/v1/eservice/login", login(taro, "guess" + std::to_string(i) + "xx"));
    if (r.status == 401) {
      ++failures;
      continue;
    }
    REQUIRE(r.status == 429);
    ++delayed;
    const auto wait = fixture::retry_after(r);
    CHECK(wait >= last_wait);  // the delay only grows while the stranger keeps failing
    last_wait = wait;
    f.clock().advance(static_cast<std::int64_t>(wait) * 1000);
    if (f.clock().wall_ms() - 1'700'000'000'000 > 3600LL * 1000) break;
  }
  CHECK(failures == acc::failures_one_address_can_make(acc::throttle_settings{}, 3600LL * 1000));
  CHECK(delayed > 5);
  CHECK(last_wait == 900);  // capped at pair_delay_max_s
  // The owner, from home, is not locked out at all.
  f.jar = owner_jar;
  f.address = "192.0.2.10";
  f.sign_in(taro, "newpass123", "Pochi");
  CHECK(f.audit("account_locked").empty());
}

TEST_CASE(
    "the account's safety lock needs many addresses, holds for the owner too, and is persisted") {
  fixture f;
  f.sign_up(taro, "C1");
  f.post("/api/v1/eservice/logout", json::object());
  // 100 failures within the hour from 100 addresses (a botnet): the account locks.
  for (int i = 0; i < 100; ++i) {
    f.address = "203.0.113." + std::to_string(i);
    CHECK(f.post("/api/v1/eservice/login", login(taro, "wrongpass1")).status == 401);
  }
  CHECK(f.audit("account_locked").size() == 1);
  f.address = "192.0.2.10";
  const auto before = f.hashes();
  auto r = f.post("/api/v1/eservice/login", login(taro, "newpass123"));
  CHECK(r.status == 429);
  CHECK(f.hashes() == before);
  CHECK(fixture::retry_after(r) == 900);
  // Persisted: another process (or a restart) sees it.
  auto store = acc::account_store::open(f.path());
  REQUIRE(store);
  CHECK((*store)->locked_until("account:" + taro, f.clock().wall_ms()).value() ==
        f.clock().wall_ms() + 900'000);
  f.clock().advance(900'001);
  f.sign_in(taro, "newpass123", "Pochi");
}

TEST_CASE("every path of sign-in and reset costs exactly one Argon2id, the code routes none") {
  fixture f;
  f.sign_up(taro, "C1");  // permanent password, question, logged in
  REQUIRE(f.ops().register_eservice(hana, "C2", ""));
  REQUIRE(f.ops().issue_password(hana));  // a temporary password only
  const auto hana_temp = f.temp_password(hana);
  f.jar.clear();
  auto one = [&](const std::string& what, const std::string& path, const json& body,
                 unsigned status) {
    CAPTURE(what);
    f.jar.erase("hw_eservice");
    hoistway::cloud::http_response r;
    CHECK(hashes_of(f, [&] { r = f.post(path, body); }) == 1);
    CHECK(r.status == status);
    // A fresh address each time, so no path is throttled by the ones before it.
    f.address =
        "198.51.100." + std::to_string(std::stoi(f.address.substr(f.address.rfind('.') + 1)) + 1);
  };
  f.address = "198.51.100.1";
  one("unknown e-mail", "/api/v1/eservice/login", login(ghost, "whatever12"), 401);
  one("wrong password", "/api/v1/eservice/login", login(taro, "wrongpass1"), 401);
  one("empty password", "/api/v1/eservice/login", login(taro, ""), 401);
  one("very long password", "/api/v1/eservice/login", login(taro, std::string(300, 'a')), 401);
  one("temporary-length password, no temporary one", "/api/v1/eservice/login", login(taro, "abcde"),
      401);
  one("right password", "/api/v1/eservice/login", login(taro, "newpass123"), 200);
  one("wrong temporary password", "/api/v1/eservice/login", login(hana, "zzzzz"), 401);
  one("permanent-length password, no permanent one", "/api/v1/eservice/login",
      login(hana, "abcdefgh12"), 401);
  one("right temporary password", "/api/v1/eservice/login", login(hana, hana_temp), 200);
  // Taro asks for a reset: now he holds a valid temporary password AND his permanent one.
  f.clock().advance(61'000);
  one("reset, mailed", "/api/v1/eservice/forgot-password", {{"email", taro}}, 202);
  const auto taro_temp = f.temp_password(taro);
  one("reset within the resend interval (suppressed)", "/api/v1/eservice/forgot-password",
      {{"email", taro}}, 202);
  one("reset of an unknown address", "/api/v1/eservice/forgot-password", {{"email", ghost}}, 202);
  one("reset of a never-logged-in account", "/api/v1/eservice/forgot-password", {{"email", hana}},
      202);
  one("two valid passwords, a wrong one", "/api/v1/eservice/login", login(taro, "wrongpass2"), 401);
  one("two valid passwords, a wrong short one", "/api/v1/eservice/login", login(taro, "qqqqq"),
      401);
  one("two valid passwords, the temporary one", "/api/v1/eservice/login", login(taro, taro_temp),
      200);
  one("two valid passwords, the permanent one", "/api/v1/eservice/login", login(taro, "newpass123"),
      200);
  one("portal sign-in, unknown", "/api/v1/portal/login", login(ghost, "Sakura#2024"), 401);
  one("portal sign-in, no portal account", "/api/v1/portal/login", login(taro, "Sakura#2024"), 401);

  // The routes that name an address but check no secret hash nothing, on every path.
  auto none = [&](const std::string& what, const std::string& path, const json& body) {
    CAPTURE(what);
    CHECK(hashes_of(f, [&] { CHECK(f.post(path, body).status / 100 != 5); }) == 0);
  };
  f.clock().advance(61'000);
  none("code for a logged-in account", "/api/v1/portal/access-request/code", {{"email", taro}});
  none("code again (suppressed)", "/api/v1/portal/access-request/code", {{"email", taro}});
  none("code for an unknown address", "/api/v1/portal/access-request/code", {{"email", ghost}});
  none("code for a never-logged-in account", "/api/v1/portal/access-request/code",
       {{"email", hana}});
  none("verify, wrong", "/api/v1/portal/access-request/verify",
       {{"email", taro}, {"code", "000000"}});
  none("verify, unknown", "/api/v1/portal/access-request/verify",
       {{"email", ghost}, {"code", "000000"}});
  none("forgotten answer", "/api/v1/eservice/forgot-security-answer", {{"email", taro}});
  none("forgotten answer, unknown", "/api/v1/eservice/forgot-security-answer", {{"email", ghost}});
}

TEST_CASE("throttled requests are refused before any hashing: 429, Retry-After, problem+json") {
  fixture f("throttle.address_requests_per_minute = 5\n");
  REQUIRE(f.ops().register_eservice(taro, "C1", ""));
  const auto before = f.hashes();
  for (int i = 0; i < 5; ++i)
    CHECK(f.post("/api/v1/eservice/login", login(ghost, "x1234567")).status == 401);
  CHECK(f.hashes() == before + 5);
  for (const auto* path : {"/api/v1/eservice/login", "/api/v1/portal/login"}) {
    auto r = f.post(path, login(taro, "x1234567"));
    CHECK(r.status == 429);
    CHECK(r.content_type == "application/problem+json");
    CHECK(fixture::body(r)["status"] == 429);
    CHECK(fixture::retry_after(r) >= 1);
  }
  auto r = f.post("/api/v1/eservice/forgot-password", {{"email", taro}});
  CHECK(r.status == 429);
  CHECK(f.hashes() == before + 5);  // nothing hashed for any refused request
  CHECK(f.mails(taro, "temporary_password").empty());
  CHECK(counter(f, "address_rate") == 3);
  // /metrics shows the same (the server hands metrics_text() to the API).
  CHECK(f.module().metrics_text().find(
            "hoistway_accounts_refused_total{reason=\"address_rate\"} 3\n") != std::string::npos);
  // The bucket refills: a request a minute later goes through.
  f.clock().advance(60'000);
  CHECK(f.post("/api/v1/eservice/login", login(ghost, "x1234567")).status == 401);
  // Another address was never affected.
  f.address = "203.0.113.5";
  CHECK(f.post("/api/v1/eservice/login", login(ghost, "x1234567")).status == 401);
}

TEST_CASE("the pair's progressive delay is checked before hashing and doubles up to its cap") {
  fixture f("throttle.pair_delay_max_s = 8\nthrottle.account_failures = 1000\n");
  f.sign_up(taro, "C1");
  f.jar.clear();
  for (int i = 0; i < 5; ++i)
    CHECK(f.post("/api/v1/eservice/login", login(taro, "wrongpass1")).status == 401);
  std::vector<int> waits;
  for (int i = 0; i < 6; ++i) {
    const auto before = f.hashes();
    auto r = f.post("/api/v1/eservice/login", login(taro, "newpass123"));
    REQUIRE(r.status == 429);
    CHECK(f.hashes() == before);
    waits.push_back(fixture::retry_after(r));
    f.clock().advance(static_cast<std::int64_t>(waits.back()) * 1000);
    CHECK(f.post("/api/v1/eservice/login", login(taro, "wrongpass1")).status == 401);
  }
  CHECK(waits == std::vector<int>{1, 2, 4, 8, 8, 8});
  // The right password, once allowed, ends the delay for this address.
  f.clock().advance(8000);
  REQUIRE(f.post("/api/v1/eservice/login", login(taro, "newpass123")).status == 200);
  f.jar.erase("hw_eservice");
  CHECK(f.post("/api/v1/eservice/login", login(taro, "wrongpass1")).status == 401);
  CHECK(f.post("/api/v1/eservice/login", login(taro, "newpass123")).status == 200);
}

TEST_CASE(
    "mails: \"not eligible\" and codes under the resend interval and a daily cap per recipient") {
  fixture f;
  REQUIRE(f.ops().register_eservice(hana, "C2", ""));  // never logged in: "not eligible"
  f.sign_up(taro, "C1");
  for (const auto& who : {hana, taro}) {
    const auto kind = who == hana ? "portal_not_eligible" : "portal_code";
    CAPTURE(kind);
    // Requests at once: one mail.
    for (int i = 0; i < 5; ++i)
      CHECK(f.post("/api/v1/portal/access-request/code", {{"email", who}}).status == 202);
    CHECK(f.mails(who, kind).size() == 1);
    // A request a minute from many addresses (so no per-address cap applies) for a day.
    for (int i = 0; i < 40; ++i) {
      f.clock().advance(61'000);
      f.address = "198.51.100." + std::to_string(i);
      CHECK(f.post("/api/v1/portal/access-request/code", {{"email", who}}).status == 202);
    }
    CHECK(f.mails(who, kind).size() == 10);  // mails_per_recipient_per_day
    f.clock().advance(24LL * 3600 * 1000);
    CHECK(f.post("/api/v1/portal/access-request/code", {{"email", who}}).status == 202);
    CHECK(f.mails(who, kind).size() == 11);
    f.address = "192.0.2.10";
  }
  CHECK(counter(f, "mail_suppressed") > 0);
}

TEST_CASE("mails: a daily cap per requesting address, temporary passwords under the same caps") {
  fixture f("limits.mails_per_address_per_day = 3\n");
  std::vector<std::string> people;
  for (int i = 0; i < 5; ++i) {
    people.push_back("person" + std::to_string(i) + "@sakura.example.jp");
    REQUIRE(f.ops().register_eservice(people.back(), "C1", ""));
  }
  f.clock().advance(61'000);
  for (const auto& p : people)
    CHECK(f.post("/api/v1/eservice/forgot-password", {{"email", p}}).status == 202);
  std::size_t mailed = 0;
  for (const auto& p : people) mailed += f.mails(p, "temporary_password").size();
  CHECK(mailed == 3);
  // From another address the rest get theirs.
  f.address = "203.0.113.20";
  for (const auto& p : people)
    CHECK(f.post("/api/v1/eservice/forgot-password", {{"email", p}}).status == 202);
  mailed = 0;
  for (const auto& p : people) mailed += f.mails(p, "temporary_password").size();
  CHECK(mailed == 5);
  // And per recipient: at most 10 a day whoever asks.
  for (int i = 0; i < 30; ++i) {
    f.clock().advance(61'000);
    f.address = "203.0.113." + std::to_string(100 + i);
    CHECK(f.post("/api/v1/eservice/forgot-password", {{"email", people[0]}}).status == 202);
  }
  CHECK(f.mails(people[0], "temporary_password").size() == 10);
}

TEST_CASE("per-address daily caps on code requests, verifications and resets") {
  fixture f;
  f.sign_up(taro, "C1");
  for (int i = 0; i < 20; ++i)
    CHECK(f.post("/api/v1/portal/access-request/code", {{"email", ghost}}).status == 202);
  auto r = f.post("/api/v1/portal/access-request/code", {{"email", taro}});
  CHECK(r.status == 429);
  CHECK(fixture::retry_after(r) > 3600);
  CHECK(counter(f, "daily_cap") == 1);
  f.address = "203.0.113.7";
  CHECK(f.post("/api/v1/portal/access-request/code", {{"email", taro}}).status == 202);
  // Verifications: 50 a day per address (each also counts as a failure: stay under that lock by
  // spreading them over time).
  f.address = "203.0.113.8";
  for (int i = 0; i < 50; ++i) {
    CHECK(f.post("/api/v1/portal/access-request/verify", {{"email", ghost}, {"code", "123456"}})
              .status == 400);
    f.clock().advance(60'000);
  }
  CHECK(f.post("/api/v1/portal/access-request/verify", {{"email", taro}, {"code", "123456"}})
            .status == 429);
  f.address = "203.0.113.9";
  REQUIRE(f.post("/api/v1/portal/access-request/code", {{"email", taro}}).status == 202);
  CHECK(f.post("/api/v1/portal/access-request/verify", {{"email", taro}, {"code", f.code(taro)}})
            .status == 200);
  // Resets (forgotten password or answer), 20 a day per address.
  f.address = "203.0.113.10";
  for (int i = 0; i < 10; ++i)
    CHECK(f.post("/api/v1/eservice/forgot-password", {{"email", ghost}}).status == 202);
  for (int i = 0; i < 10; ++i)
    CHECK(f.post("/api/v1/eservice/forgot-security-answer", {{"email", ghost}}).status == 202);
  CHECK(f.post("/api/v1/eservice/forgot-password", {{"email", taro}}).status == 429);
}

TEST_CASE("fail closed: a broken store refuses sign-in (503), never lets it through") {
  fixture f;
  f.sign_up(taro, "C1");
  f.post("/api/v1/eservice/logout", json::object());
  {
    auto db = hoistway::common::sqlite::database::open(f.path());
    REQUIRE(db);
    REQUIRE(db->exec("DROP TABLE login_throttle"));
  }
  const auto before = f.hashes();
  for (const auto* path : {"/api/v1/eservice/login", "/api/v1/portal/login"}) {
    auto r = f.post(path, login(taro, "newpass123"));
    CHECK(r.status == 503);
    CHECK(fixture::retry_after(r) >= 1);
    CHECK_FALSE(f.jar.contains("hw_eservice"));
  }
  CHECK(f.hashes() == before);  // refused before hashing
  CHECK(counter(f, "store_failed") == 2);
}

TEST_CASE(
    "a store that cannot write: no half-done sign-in, failures and resets are logged and counted") {
  fixture f;
  f.sign_up(taro, "C1");
  f.post("/api/v1/eservice/logout", json::object());
  {
    auto db = hoistway::common::sqlite::database::open(f.path());
    REQUIRE(db);
    REQUIRE(db->exec("DROP TABLE account_audit"));
  }
  // The right password: its session and audit row go in one write; no session without both.
  auto r = f.post("/api/v1/eservice/login", login(taro, "newpass123"));
  CHECK(r.status == 503);
  CHECK_FALSE(f.jar.contains("hw_eservice"));
  CHECK(f.rows("account_sessions") == 0);
  CHECK(counter(f, "store_failed") == 1);
  // A wrong password is still a wrong password (the throttle counted it in memory); the lost row
  // is counted.
  CHECK(f.post("/api/v1/eservice/login", login(taro, "wrongpass1")).status == 401);
  CHECK(counter(f, "store_failed") == 2);
  // A reset whose write fails sends nothing: the temporary password and its mail are one write.
  f.clock().advance(61'000);
  const auto mails = f.mails(taro, "temporary_password").size();
  CHECK(f.post("/api/v1/eservice/forgot-password", {{"email", taro}}).status == 202);
  CHECK(f.mails(taro, "temporary_password").size() == mails);
  CHECK(f.post("/api/v1/portal/access-request/code", {{"email", taro}}).status == 202);
  CHECK(f.mails(taro, "portal_code").empty());
  CHECK(counter(f, "store_failed") == 4);
}

TEST_CASE("a burst of resets for one address mails once: the caps are decided inside the write") {
  fixture f("hashing.wait_ms = 5000\nhashing.queue = 64\n");
  f.sign_up(taro, "C1");
  f.clock().advance(61'000);
  const auto before = f.mails(taro, "temporary_password").size();
  const auto csrf = f.jar["hw_csrf"];
  std::vector<std::thread> clients;
  std::atomic<int> accepted{0};
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&, i] {
      hoistway::cloud::http_request r;
      r.method = "POST";
      r.path = r.target = "/api/v1/eservice/forgot-password";
      r.remote_address = "203.0.113." + std::to_string(i);
      r.headers["content-type"] = "application/json";
      r.headers["cookie"] = "hw_csrf=" + csrf;
      r.headers["x-csrf-token"] = csrf;
      r.body = json{{"email", taro}}.dump();
      if (auto response = f.handle(r); response && response->status == 202) ++accepted;
    });
  }
  for (auto& t : clients) t.join();
  CHECK(accepted == 16);
  CHECK(f.mails(taro, "temporary_password").size() == before + 1);
  CHECK(f.audit("password_reset_suppressed").size() == 15);
}

TEST_CASE(
    "the hash gate: a flood never runs more Argon2id at once than configured, the rest get 503") {
  // A hasher that blocks inside its first call until the test lets it go.
  class blocking_hasher final : public counting_hasher {
   public:
    bool verify(const std::string& stored, std::string_view secret) const override {
      if (!blocked.exchange(true)) {
        entered.count_down();
        release.wait();
      }
      return counting_hasher::verify(stored, secret);
    }
    mutable std::atomic<bool> blocked{true};  // not while the customer signs up
    mutable std::latch entered{1};
    mutable std::latch release{1};
  };
  auto hasher = std::make_shared<blocking_hasher>();
  fixture f("hashing.wait_ms = 50\n", hasher);
  f.sign_up(taro, "C1");
  hasher->blocked = false;
  auto request = [&](const std::string& address, const std::string& password) {
    hoistway::cloud::http_request r;
    r.method = "POST";
    r.path = r.target = "/api/v1/eservice/login";
    r.remote_address = address;
    r.headers["content-type"] = "application/json";
    r.headers["cookie"] = "hw_csrf=" + f.jar["hw_csrf"];
    r.headers["x-csrf-token"] = f.jar["hw_csrf"];
    r.body = login(taro, password).dump();
    return r;
  };
  unsigned first_status = 0;
  std::thread first([&] {
    auto r = f.handle(request("203.0.113.1", "wrongpass1"));
    first_status = r ? r->status : 0;
  });
  hasher->entered.wait();  // the only slot is taken
  const auto before = hasher->calls.load();
  auto r = f.raw(request("203.0.113.2", "newpass123"));
  CHECK(r.status == 503);
  CHECK(fixture::retry_after(r) == 1);
  CHECK(hasher->calls.load() == before);
  CHECK(counter(f, "hash_busy") == 1);
  hasher->release.count_down();
  first.join();
  CHECK(first_status == 401);
  CHECK(f.raw(request("203.0.113.2", "newpass123")).status == 200);
}

TEST_CASE("hash_gate: slots, a short wait, a bounded queue") {
  acc::hash_gate gate(1, std::chrono::milliseconds(20), 1);
  {
    auto a = gate.acquire();
    REQUIRE(a);
    CHECK(gate.in_use() == 1);
    CHECK_FALSE(gate.acquire());  // waited 20 ms, in vain
    CHECK(gate.refused() == 1);
  }
  CHECK(gate.in_use() == 0);
  auto b = gate.acquire();
  CHECK(b);
  // With no queue a caller is refused without waiting (a wait would take the full minute).
  acc::hash_gate no_queue(1, std::chrono::milliseconds(60'000), 0);
  auto c = no_queue.acquire();
  REQUIRE(c);
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(no_queue.acquire());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
}

TEST_CASE("throttle: bounded, least recently used first, IPv6 throttled per /64") {
  acc::throttle t(100);
  for (int i = 0; i < 1000; ++i) t.fail("k" + std::to_string(i), 5, 60'000, 60'000, 0);
  CHECK(t.size() == 100);
  CHECK(t.evicted() == 900);
  // Expired entries go before live ones are evicted.
  acc::throttle u(10);
  for (int i = 0; i < 10; ++i) CHECK(u.take("old" + std::to_string(i), 60, 0) == 0);
  for (int i = 0; i < 10; ++i) CHECK(u.take("new" + std::to_string(i), 60, 120'000) == 0);
  CHECK(u.evicted() == 0);
  // Token bucket and windows.
  acc::throttle v(10);
  CHECK(v.take("r", 2, 0) == 0);
  CHECK(v.take("r", 2, 0) == 0);
  CHECK(v.take("r", 2, 0) == 30'000);
  CHECK(v.take("r", 2, 30'000) == 0);
  CHECK(v.count("d", 2, 1000, 0) == 0);
  CHECK(v.count("d", 2, 1000, 10) == 0);
  CHECK(v.count("d", 2, 1000, 20) == 980);
  CHECK(v.count("d", 2, 1000, 1000) == 0);

  CHECK(acc::client_key("192.0.2.1") == "192.0.2.1");
  CHECK(acc::client_key("::ffff:192.0.2.1") == "192.0.2.1");
  CHECK(acc::client_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64");
  CHECK(acc::client_key("2001:db8:1:2:ffff::1") == acc::client_key("2001:db8:1:2::9"));
  CHECK(acc::client_key("2001:db8:1:3::1") != acc::client_key("2001:db8:1:2::1"));
  CHECK(acc::client_key(std::string(500, 'x')).size() == 64);
}

TEST_CASE("pruning keeps the accounts' tables bounded, in short steps") {
  fixture f;
  const auto now = f.clock().wall_ms();
  const auto day = 24LL * 3600 * 1000;
  {
    auto db = hoistway::common::sqlite::database::open(f.path());
    REQUIRE(db);
    REQUIRE(db->exec("BEGIN"));
    for (int i = 0; i < 3000; ++i) {
      const auto at = i < 1000 ? now - 100 * day : now - 1000 + i;  // 1000 old, 2000 recent
      REQUIRE(db->exec("INSERT INTO account_audit(at_ms, event, email, address, detail) VALUES (" +
                       std::to_string(at) + ", 'login_failed', 'x@y.example', '192.0.2.1', '')"));
    }
    for (int i = 0; i < 300; ++i) {
      const auto at = i < 200 ? now - 40 * day : now;
      REQUIRE(
          db->exec("INSERT INTO mail_outbox(kind, sender, recipient, subject, body, created_ms, "
                   "next_attempt_ms, "
                   "sent_ms) VALUES ('portal_code', 'a@b.example', 'c@d.example', 's', '', " +
                   std::to_string(at) + ", 0, " + std::to_string(at) + ")"));
      REQUIRE(
          db->exec("INSERT INTO account_sessions VALUES (randomblob(32), 'eservice', 1, "
                   "'signed_in', 0, 0, " +
                   std::to_string(i < 200 ? now - 1 : now + day) + ")"));
      REQUIRE(db->exec("INSERT INTO login_throttle VALUES ('k" + std::to_string(i) + "', 0, 0, " +
                       std::to_string(i < 200 ? now - 1 : now + day) + ")"));
    }
    REQUIRE(db->exec("COMMIT"));
  }
  auto store = acc::account_store::open(f.path());
  REQUIRE(store);
  acc::retention_settings r;
  r.audit_max_rows = 1500;
  r.batch_rows = 100;
  r.max_steps = 5;
  auto first = (*store)->prune(now, r);
  REQUIRE(first);
  CHECK(first->steps == 5);
  CHECK(first->deleted == 500);  // never more than max_steps × batch_rows at once
  CHECK_FALSE(first->done);
  int runs = 1;
  std::int64_t deleted = first->deleted;
  for (auto report = first; !report->done; ++runs) {
    report = (*store)->prune(now, r);
    REQUIRE(report);
    CHECK(report->deleted <= 500);
    deleted += report->deleted;
  }
  CHECK(runs >= 5);
  CHECK(deleted == 1500 + 200 + 200 + 200);
  CHECK(f.rows("account_audit") == 1500);  // the 1000 old ones, then the oldest beyond the cap
  CHECK(f.rows("mail_outbox") == 100);
  CHECK(f.rows("account_sessions") == 100);
  CHECK(f.rows("login_throttle") == 100);
  auto again = (*store)->prune(now, r);
  REQUIRE(again);
  CHECK(again->deleted == 0);
  CHECK(again->done);
}

TEST_CASE("failed sign-ins from strangers write no row beyond the bounded audit log") {
  fixture f;
  // 200 unknown addresses × 1 failure: the throttle lives in memory, no throttle rows are written.
  for (int i = 0; i < 200; ++i) {
    f.address = "198.51.100." + std::to_string(i % 250);
    f.post("/api/v1/eservice/login",
           login("nobody" + std::to_string(i) + "@x.example", "x1234567"));
  }
  CHECK(f.rows("login_throttle") == 0);
  CHECK(f.rows("account_audit") == 200);
  CHECK(counter(f, "throttle_entries") > 0);
}

TEST_CASE("group commit: a failing write undoes only itself") {
  fixture f;
  auto store = acc::account_store::open(f.path(), acc::write_mode::grouped, 4);
  REQUIRE(store);
  auto ok =
      (*store)->write([&](acc::write_batch& w) { return w.audit(1, "a", "x@y.example", "", ""); });
  CHECK(ok);
  auto bad = (*store)->write([&](acc::write_batch& w) -> hoistway::common::status {
    if (auto st = w.audit(2, "b", "x@y.example", "", ""); !st) return st;
    return hoistway::common::fail(hoistway::common::errc::conflict, "no");
  });
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == hoistway::common::errc::conflict);
  CHECK(f.audit("a").size() == 1);
  CHECK(f.audit("b").empty());
  // Many writers at once all land.
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 10; ++j) {
        auto st = (*store)->write(
            [&](acc::write_batch& w) { return w.audit(3, "c", std::to_string(i), "", ""); });
        if (!st && st.error().code != hoistway::common::errc::unavailable) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failed == 0);
}

TEST_CASE("an account keeps at most 20 sessions: signing in again and again grows nothing") {
  fixture f;
  f.sign_up(taro, "C1");
  for (int i = 0; i < 30; ++i) {
    f.jar.erase("hw_eservice");
    f.address = "203.0.113." + std::to_string(i);  // many devices
    f.sign_in(taro, "newpass123", "Pochi");
  }
  CHECK(f.rows("account_sessions") == acc::max_sessions_per_account);
  CHECK(f.get("/api/v1/eservice/units").status == 200);  // the newest still works
}

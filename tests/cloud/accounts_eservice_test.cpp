// eService over the module's HTTP face: operator registration and mails ① ②, the temporary
// password → password change → security question → login with the question, forgot password,
// forgot security answer, profile, units, throttling, no enumeration, CSRF.
#include "accounts_test_fixture.hpp"

#include <fstream>
#include <set>
#include <sstream>

using namespace accounts_test;

namespace {
const std::string taro = "taro@sakura.example.jp";
}

TEST_CASE(
    "operator registration queues mail ①, issue-password mail ② holds 5 characters and the URL") {
  fixture f;
  REQUIRE(f.ops().register_eservice(" Taro@Sakura.example.jp ", "C1", ""));
  auto first = f.mails(taro);
  REQUIRE(first.size() == 1);
  CHECK(first[0].subject == "【Hoistway】eService ご登録完了のお知らせ");
  REQUIRE(f.ops().issue_password(taro));
  auto second = f.mails(taro, "temporary_password");
  REQUIRE(second.size() == 1);
  CHECK(second[0].subject == "【Hoistway】eService お申し込みに関するお知らせ");
  CHECK(f.temp_password(taro).size() == 5);
  CHECK(second[0].body.find("http://127.0.0.1:8080/api/v1/eservice/login") != std::string::npos);

  CHECK(f.ops().register_eservice(taro, "C1", "").error().code == hoistway::common::errc::conflict);
  CHECK(f.ops().register_eservice("x@y.example", "NOPE", "").error().code ==
        hoistway::common::errc::not_found);
  CHECK(f.ops().register_eservice("not-an-address", "C1", "").error().code ==
        hoistway::common::errc::invalid_argument);
  CHECK(f.ops().issue_password("nobody@sakura.example.jp").error().code ==
        hoistway::common::errc::not_found);

  REQUIRE(f.ops().register_eservice("jane@sakura.example.jp", "C1", "en"));
  REQUIRE(f.ops().issue_password("jane@sakura.example.jp"));
  auto english = f.mails("jane@sakura.example.jp");
  CHECK(english[0].subject == "[Hoistway] eService registration complete");
  CHECK(english[1].subject == "[Hoistway] About your eService application");
  CHECK(f.temp_password("jane@sakura.example.jp").size() == 5);
  CHECK(f.audit("eservice_registered").size() == 2);
}

TEST_CASE(
    "first login: temporary password → password change → security question → login with the "
    "question") {
  fixture f;
  REQUIRE(f.ops().register_eservice(taro, "C1", ""));
  REQUIRE(f.ops().issue_password(taro));
  const auto temp = f.temp_password(taro);

  auto r = f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "wrong"}});
  CHECK(r.status == 401);
  r = f.post("/api/v1/eservice/login", {{"email", taro}, {"password", temp}});
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["next"] == "change_password");
  CHECK(f.last_cookie.find("HttpOnly") != std::string::npos);
  CHECK(f.last_cookie.find("SameSite=Lax") != std::string::npos);
  CHECK(f.last_cookie.find("Secure") == std::string::npos);
  CHECK(f.jar["hw_eservice"].size() == 32);  // 128 bits, hex

  // Only the password change is open: no units, no question setup.
  CHECK(f.get("/api/v1/eservice/units").status == 401);
  CHECK(f.post("/api/v1/eservice/security-question",
               {{"question_id", "pet_name"}, {"answer", "Pochi"}})
            .status == 409);

  auto change = [&](const std::string& current, const std::string& next, const std::string& again) {
    return f.post("/api/v1/eservice/password", {{"email", taro},
                                                {"current_password", current},
                                                {"new_password", next},
                                                {"new_password_confirm", again}});
  };
  auto field = [](const hoistway::cloud::http_response& resp) {
    return fixture::body(resp)["errors"][0]["field"].get<std::string>();
  };
  r = change(temp, "abc1234", "abc1234");  // 7
  CHECK(r.status == 422);
  CHECK(field(r) == "new_password");
  CHECK(change(temp, "abcdefghij1234567890x", "abcdefghij1234567890x").status == 422);  // 21
  CHECK(change(temp, "abcd123!", "abcd123!").status == 422);                            // a symbol
  r = change(temp, "abcd1234", "abcd1235");
  CHECK(r.status == 422);
  CHECK(field(r) == "new_password_confirm");
  r = change("wrong", "abcd1234", "abcd1234");
  CHECK(r.status == 422);
  CHECK(field(r) == "current_password");
  r = change(temp, "abcd1234", "abcd1234");
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["next"] == "security_setup");
  CHECK(fixture::body(r)["questions"][0]["text"] == "ペットの名前は?");

  // The security question: 3-20 characters of the allowed set, one of the listed questions.
  r = f.post("/api/v1/eservice/security-question", {{"question_id", "pet_name"}, {"answer", "ab"}});
  CHECK(r.status == 422);
  CHECK(f.post("/api/v1/eservice/security-question",
               {{"question_id", "pet_name"}, {"answer", "Po!chi"}})
            .status == 422);
  CHECK(f.post("/api/v1/eservice/security-question",
               {{"question_id", "shoe_size"}, {"answer", "Pochi"}})
            .status == 422);
  r = f.post("/api/v1/eservice/security-question",
             {{"question_id", "pet_name"}, {"answer", "Pochi 2.0"}});
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["next"] == "login");
  CHECK_FALSE(f.jar.contains("hw_eservice"));

  // The temporary password was single-use.
  CHECK(f.post("/api/v1/eservice/login", {{"email", taro}, {"password", temp}}).status == 401);
  r = f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "abcd1234"}});
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["next"] == "security_challenge");
  CHECK(fixture::body(r)["question"]["text"] == "ペットの名前は?");
  CHECK(f.get("/api/v1/eservice/units").status == 401);  // no session before the answer
  CHECK(f.post("/api/v1/eservice/security-answer", {{"answer", "pochi 2.0"}}).status == 401);
  r = f.post("/api/v1/eservice/security-answer", {{"answer", "Pochi 2.0"}});
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["next"] == "top");
  CHECK(fixture::body(r)["account"]["has_logged_in"] == true);
  CHECK(f.audit("first_login").size() == 1);

  r = f.get("/api/v1/eservice/units");
  REQUIRE(r.status == 200);
  auto units = fixture::body(r)["units"];
  REQUIRE(units.size() == 3);  // C1's units only
  for (const auto& u : units) CHECK(u["building_id"] == "B1");
  CHECK(units[0]["unit_id"] == "U1");
  CHECK(units[0]["monitored"] == true);
  CHECK(units[2]["unit_id"] == "U4");
  CHECK(units[2]["monitored"] == false);  // its contract ended
  r = f.get("/api/v1/eservice/inspection-reports");
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["reports"].empty());

  // Profile update.
  r = f.post("/api/v1/eservice/profile", {{"display_name", "Yamada Taro"}, {"language", "en"}});
  REQUIRE(r.status == 200);
  CHECK(fixture::body(f.get("/api/v1/eservice/profile"))["language"] == "en");
  CHECK(f.post("/api/v1/eservice/profile", {{"language", "fr"}}).status == 422);

  // Later logins ask the question again, in the account's language now.
  CHECK(f.post("/api/v1/eservice/logout", json::object()).status == 200);
  CHECK(f.get("/api/v1/eservice/units").status == 401);
  r = f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "abcd1234"}});
  CHECK(fixture::body(r)["question"]["text"] == "What is your pet's name?");
}

TEST_CASE("a temporary password expires, the login screen's language picks the question's") {
  fixture f("[policy]\ntemp_password_valid_days = 2\n");
  REQUIRE(f.ops().register_eservice(taro, "C1", ""));
  REQUIRE(f.ops().issue_password(taro));
  const auto temp = f.temp_password(taro);
  f.clock().advance(2LL * 24 * 3600 * 1000 + 1);
  CHECK(f.post("/api/v1/eservice/login", {{"email", taro}, {"password", temp}}).status == 401);
  // The FAQ flow for a customer who never signed in: a fresh temporary password.
  REQUIRE(f.post("/api/v1/eservice/forgot-password", {{"email", taro}}).status == 202);
  const auto fresh = f.temp_password(taro);
  REQUIRE(f.post("/api/v1/eservice/login", {{"email", taro}, {"password", fresh}}).status == 200);
  REQUIRE(f.post("/api/v1/eservice/password", {{"email", taro},
                                               {"current_password", fresh},
                                               {"new_password", "newpass123"},
                                               {"new_password_confirm", "newpass123"}})
              .status == 200);
  REQUIRE(f.post("/api/v1/eservice/security-question",
                 {{"question_id", "pet_name"}, {"answer", "Pochi"}})
              .status == 200);
  auto r = f.post("/api/v1/eservice/login",
                  {{"email", taro}, {"password", "newpass123"}, {"language", "en"}});
  CHECK(fixture::body(r)["question"]["text"] == "What is your pet's name?");
}

TEST_CASE("under TLS (cookie_secure) every cookie is Secure") {
  fixture f("cookie_secure = true\n");
  f.get("/api/v1/eservice/login");
  CHECK(f.last_cookie.find("; Secure") != std::string::npos);
  REQUIRE(f.ops().register_eservice(taro, "C1", ""));
  REQUIRE(f.ops().issue_password(taro));
  REQUIRE(f.post("/api/v1/eservice/login", {{"email", taro}, {"password", f.temp_password(taro)}})
              .status == 200);
  CHECK(f.last_cookie.find("hw_eservice=") == 0);
  CHECK(f.last_cookie.find("; HttpOnly; SameSite=Lax; Secure") != std::string::npos);
}

TEST_CASE("remember me gives a persistent, longer session") {
  fixture f;
  f.sign_up(taro, "C1");
  CHECK(f.last_cookie.find("Max-Age") == std::string::npos);  // a browser-session cookie
  f.clock().advance(9LL * 3600 * 1000);
  CHECK(f.get("/api/v1/eservice/units").status == 401);  // 8 hours

  auto r = f.post("/api/v1/eservice/login",
                  {{"email", taro}, {"password", "newpass123"}, {"remember", true}});
  REQUIRE(r.status == 200);
  r = f.post("/api/v1/eservice/security-answer", {{"answer", "Pochi"}});
  REQUIRE(r.status == 200);
  CHECK(f.last_cookie.find("Max-Age=2592000") != std::string::npos);
  f.clock().advance(9LL * 3600 * 1000);
  CHECK(f.get("/api/v1/eservice/units").status == 200);
  f.clock().advance(30LL * 24 * 3600 * 1000);
  CHECK(f.get("/api/v1/eservice/units").status == 401);
}

TEST_CASE(
    "forgot password mails a new temporary password and voids the previous one (click once)") {
  fixture f;
  f.sign_up(taro, "C1");
  const auto first_temp = f.temp_password(taro);
  f.clock().advance(61'000);
  auto r = f.post("/api/v1/eservice/forgot-password", {{"email", taro}});
  CHECK(r.status == 202);
  const auto known_body = r.body;
  const auto second = f.temp_password(taro);
  CHECK(second != first_temp);
  // A second click within the interval sends nothing more.
  const auto count = f.mails(taro, "temporary_password").size();
  CHECK(f.post("/api/v1/eservice/forgot-password", {{"email", taro}}).status == 202);
  CHECK(f.mails(taro, "temporary_password").size() == count);
  f.clock().advance(61'000);
  CHECK(f.post("/api/v1/eservice/forgot-password", {{"email", taro}}).status == 202);
  const auto third = f.temp_password(taro);
  CHECK(f.post("/api/v1/eservice/login", {{"email", taro}, {"password", second}}).status == 401);
  r = f.post("/api/v1/eservice/login", {{"email", taro}, {"password", third}});
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["next"] == "change_password");
  // The old password still works until it is changed (anyone can ask for a reset).
  r = f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "newpass123"}});
  CHECK(fixture::body(r)["next"] == "security_challenge");
  // After a change with the temporary password, the question is asked at the next login.
  REQUIRE(f.post("/api/v1/eservice/login", {{"email", taro}, {"password", third}}).status == 200);
  r = f.post("/api/v1/eservice/password", {{"email", taro},
                                           {"current_password", third},
                                           {"new_password", "another123"},
                                           {"new_password_confirm", "another123"}});
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["next"] == "login");
  CHECK(f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "newpass123"}}).status ==
        401);
  f.sign_in(taro, "another123", "Pochi");

  // An unknown address gets the same answer, and no mail.
  const auto before = f.mails().size();
  r = f.post("/api/v1/eservice/forgot-password", {{"email", "nobody@sakura.example.jp"}});
  CHECK(r.status == 202);
  CHECK(r.body == known_body);
  CHECK(f.mails().size() == before);
}

TEST_CASE("forgot security answer: the operator resets it and the next login sets a new one") {
  fixture f;
  f.sign_up(taro, "C1");
  auto r = f.post("/api/v1/eservice/forgot-security-answer", {{"email", taro}});
  CHECK(r.status == 202);
  CHECK(f.audit("security_answer_reset_requested").size() == 1);
  REQUIRE(f.ops().reset_security_answer(taro));
  r = f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "newpass123"}});
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["next"] == "security_setup");
  REQUIRE(f.post("/api/v1/eservice/security-question",
                 {{"question_id", "birth_city"}, {"answer", "Sapporo"}})
              .status == 200);
  f.sign_in(taro, "newpass123", "Sapporo");
  CHECK(f.ops().reset_security_answer("nobody@x.example").error().code ==
        hoistway::common::errc::not_found);
}

TEST_CASE(
    "throttling: five failures from an address delay it on that account, known or not, many lock "
    "the address") {
  fixture f;
  f.sign_up(taro, "C1");
  f.post("/api/v1/eservice/logout", json::object());
  for (int i = 0; i < 5; ++i) {
    CHECK(f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "wrongpass1"}}).status ==
          401);
  }
  auto r = f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "newpass123"}});
  CHECK(r.status == 429);  // even the right password, from this address
  CHECK(fixture::retry_after(r) >= 1);
  CHECK(f.audit("sign_in_delayed").size() == 1);
  // An unknown address locks the same way, so a lock tells nothing.
  for (int i = 0; i < 5; ++i) {
    CHECK(f.post("/api/v1/eservice/login",
                 {{"email", "ghost@sakura.example.jp"}, {"password", "x1234567"}})
              .status == 401);
  }
  auto ghost = f.post("/api/v1/eservice/login",
                      {{"email", "ghost@sakura.example.jp"}, {"password", "x1234567"}});
  CHECK(ghost.status == 429);
  CHECK(ghost.body == r.body);
  f.clock().advance(15LL * 60 * 1000 + 1);
  CHECK(f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "newpass123"}}).status ==
        200);
  // Wrong security answers have their own lock.
  for (int i = 0; i < 5; ++i)
    CHECK(f.post("/api/v1/eservice/security-answer", {{"answer", "Tama"}}).status == 401);
  CHECK(f.post("/api/v1/eservice/security-answer", {{"answer", "Pochi"}}).status == 429);
  CHECK(f.audit("security_answer_locked").size() == 1);

  // Per address: 20 failures on different accounts lock the address for every account.
  f.clock().advance(15LL * 60 * 1000 + 1);
  f.address = "198.51.100.7";
  for (int i = 0; i < 20; ++i) {
    f.post("/api/v1/eservice/login",
           {{"email", "user" + std::to_string(i) + "@x.example"}, {"password", "x1234567"}});
  }
  CHECK(f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "newpass123"}}).status ==
        429);
  f.address = "203.0.113.9";
  CHECK(f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "newpass123"}}).status ==
        200);
  CHECK(f.audit("address_locked").size() == 1);
}

TEST_CASE("no enumeration: unknown e-mail and wrong password answer alike") {
  fixture f;
  f.sign_up(taro, "C1");
  auto known = f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "wrongpass1"}});
  auto unknown = f.post("/api/v1/eservice/login",
                        {{"email", "nobody@sakura.example.jp"}, {"password", "wrongpass1"}});
  CHECK(known.status == unknown.status);
  CHECK(known.body == unknown.body);
  auto a = f.post("/api/v1/eservice/forgot-security-answer", {{"email", taro}});
  auto b =
      f.post("/api/v1/eservice/forgot-security-answer", {{"email", "nobody@sakura.example.jp"}});
  CHECK(a.body == b.body);
}

TEST_CASE("CSRF: state-changing requests need the double-submit token, as JSON") {
  fixture f;
  auto screen = f.get("/api/v1/eservice/login");
  REQUIRE(screen.status == 200);
  const auto token = fixture::body(screen)["csrf_token"].get<std::string>();
  CHECK(token == f.jar["hw_csrf"]);
  CHECK(f.last_cookie.find("HttpOnly") == std::string::npos);  // the page script reads it
  CHECK(f.call("POST", "/api/v1/eservice/forgot-password", R"({"email":"a@b.example"})", false)
            .status == 403);
  auto request = [&](const std::string& header, const std::string& type) {
    hoistway::cloud::http_request r;
    r.method = "POST";
    r.path = "/api/v1/eservice/forgot-password";
    r.headers["cookie"] = "hw_csrf=" + token;
    if (!header.empty()) r.headers["x-csrf-token"] = header;
    r.headers["content-type"] = type;
    r.body = R"({"email":"a@b.example"})";
    return f.raw(r).status;
  };
  CHECK(request("0123456789abcdef0123456789abcdef", "application/json") ==
        403);  // not the cookie's
  CHECK(request("", "application/json") == 403);
  CHECK(request(token, "application/x-www-form-urlencoded") == 415);
  CHECK(request(token, "application/json") == 202);
  CHECK(f.call("POST", "/api/v1/eservice/forgot-password", "email=a@b.example").status == 400);
  CHECK(f.call("PUT", "/api/v1/eservice/profile", "{}").status == 405);
}

TEST_CASE("the module answers only its own routes, others are left to the core API") {
  fixture f;
  hoistway::cloud::http_request r;
  r.method = "GET";
  r.path = "/api/v1/units";
  CHECK_FALSE(f.handle(r));
  auto screen = f.get("/api/v1/eservice/nothing-here");
  CHECK(screen.status == 404);
  CHECK(screen.content_type == "application/problem+json");
}

TEST_CASE("cloud/openapi.yaml describes exactly the accounts routes the module serves") {
  const auto path = std::filesystem::path(HOISTWAY_SOURCE_DIR) / "cloud" / "openapi.yaml";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, path.string());
  std::set<std::pair<std::string, std::string>> documented;
  const std::regex path_line(R"(^  (/api/v1/(eservice|portal)/[^:\s]*):\s*$)");
  const std::regex other_path(R"(^  (/[^:\s]*):\s*$)");
  const std::regex method_line(R"(^    (get|post|put|patch|delete):.*$)");
  std::string current;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, path_line)) {
      current = m[1];
    } else if (std::regex_match(line, m, other_path) ||
               (!line.empty() && line[0] != ' ' && line[0] != '#')) {
      current.clear();
    } else if (!current.empty() && std::regex_match(line, m, method_line)) {
      std::string method = m[1];
      for (auto& c : method) c = static_cast<char>(c - 'a' + 'A');
      documented.emplace(method, current);
    }
  }
  std::set<std::pair<std::string, std::string>> served;
  fixture f;
  for (const auto& [method, route] : hoistway::cloud::accounts::module::routes()) {
    served.emplace(method, route);
    CAPTURE(method);
    CAPTURE(route);
    CHECK(documented.contains({std::string(method), std::string(route)}));
    auto concrete = std::regex_replace(std::string(route), std::regex(R"(\{unit_id\})"), "U1");
    auto r = f.call(std::string(method), concrete, "{}");
    CHECK(r.body.find("no route for") == std::string::npos);
  }
  for (const auto& op : documented) {
    CAPTURE(op.first);
    CAPTURE(op.second);
    CHECK(served.contains(op));
  }
}

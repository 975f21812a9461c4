// The customer-portal access request over the module's HTTP face: the 6-digit code (wrong,
// expired, reused, sixth try, a new code voids the old), the form's rules, the eService security
// answer, the sales queue, monitored units only, and one customer never sees another's units.
#include "accounts_test_fixture.hpp"

#include "hoistway/cloud/accounts/mail.hpp"

using namespace accounts_test;

namespace {
const std::string taro = "taro@sakura.example.jp";
const std::string hana = "hana@fuji.example.jp";

json good_form() {
  return {{"password", "Sakura#2024"},
          {"password_confirm", "Sakura#2024"},
          {"company", "Sakura Building Co."},
          {"last_name", "Yamada"},
          {"first_name", "Taro"},
          {"country", "JP"},
          {"mobile_phone", "9011112222"},
          {"privacy_policy_accepted", true},
          {"privacy_policy_version", "2024-04-01"},
          {"terms_of_use_accepted", true},
          {"terms_of_use_version", "2024-04-01"}};
}

std::vector<std::string> error_fields(const hoistway::cloud::http_response& r) {
  std::vector<std::string> out;
  const auto body = fixture::body(r);
  for (const auto& e : body["errors"]) out.push_back(e["field"]);
  return out;
}

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void verified(fixture& f, const std::string& email) {
  f.clock().advance(61'000);
  REQUIRE(f.post("/api/v1/portal/access-request/code", {{"email", email}}).status == 202);
  auto r =
      f.post("/api/v1/portal/access-request/verify", {{"email", email}, {"code", f.code(email)}});
  REQUIRE(r.status == 200);
}
}  // namespace

TEST_CASE("the portal is only for an eService account that has completed a login") {
  fixture f;
  REQUIRE(f.ops().register_eservice(taro, "C1", ""));
  REQUIRE(f.ops().issue_password(taro));
  auto screen = f.get("/api/v1/portal/access-request");
  REQUIRE(screen.status == 200);
  CHECK(fixture::body(screen)["privacy_policy_version"] == "2024-04-01");
  auto r = f.post("/api/v1/portal/access-request/code", {{"email", taro}});
  CHECK(r.status == 202);
  const auto eligible_answer = r.body;
  CHECK(f.mails(taro, "portal_code").empty());
  CHECK(f.mails(taro, "portal_not_eligible").size() == 1);
  // Unknown addresses get the same answer and nothing is mailed.
  const auto before = f.mails().size();
  r = f.post("/api/v1/portal/access-request/code", {{"email", "nobody@sakura.example.jp"}});
  CHECK(r.status == 202);
  CHECK(r.body == eligible_answer);
  CHECK(f.mails().size() == before);
  CHECK(f.post("/api/v1/portal/access-request/form", good_form()).status == 401);
}

TEST_CASE(
    "verification code: 6 digits, 10 minutes, 5 tries, single use, a new code voids the old") {
  fixture f;
  f.sign_up(taro, "C1");
  auto send = [&] {
    f.clock().advance(61'000);
    REQUIRE(f.post("/api/v1/portal/access-request/code", {{"email", taro}}).status == 202);
    return f.code(taro);
  };
  auto verify = [&](const std::string& code) {
    return f.post("/api/v1/portal/access-request/verify", {{"email", taro}, {"code", code}});
  };
  const auto first = send();
  CHECK(first.size() == 6);
  auto mail = f.mails(taro, "portal_code").back();
  CHECK(mail.subject == "HoistwayCustomerPortal アカウントの電子メール確認コード");

  // Wrong.
  const auto wrong = first == "000000" ? std::string("111111") : std::string("000000");
  auto r = verify(wrong);
  CHECK(r.status == 400);
  const auto wrong_body = r.body;
  // A resend within a minute sends nothing; then a new code voids the old one.
  CHECK(f.post("/api/v1/portal/access-request/code", {{"email", taro}}).status == 202);
  CHECK(f.mails(taro, "portal_code").size() == 1);
  const auto second = send();
  CHECK(verify(first).status == (first == second ? 200 : 400));
  // Expired: valid for 10 minutes.
  const auto third = send();
  f.clock().advance(10 * 60 * 1000 + 1);
  r = verify(third);
  CHECK(r.status == 400);
  CHECK(r.body == wrong_body);  // one answer for every failure
  // Sixth try: five wrong tries spend the code, even the right one fails after them.
  const auto fourth = send();
  const auto not_it = fourth == "000000" ? std::string("111111") : std::string("000000");
  for (int i = 0; i < 5; ++i) CHECK(verify(not_it).status == 400);
  CHECK(verify(fourth).status == 400);
  // Single use.
  const auto fifth = send();
  CHECK(verify(fifth).status == 200);
  CHECK(f.jar.contains("hw_request"));
  CHECK(verify(fifth).status == 400);
  const auto reasons = f.audit("code_rejected");
  CHECK(has(reasons, "wrong"));
  CHECK(has(reasons, "expired"));
  CHECK(has(reasons, "exhausted"));
  CHECK(has(reasons, "used"));
  CHECK(verify("12345").status == 400);  // not 6 digits
}

TEST_CASE(
    "the access-request form: each rule, then the eService answer, then the account and the sales "
    "queue") {
  fixture f("sales_email = \"sales@hoistway.example\"\n");
  f.sign_up(taro, "C1");
  verified(f, taro);

  auto form = good_form();
  form["password"] = form["password_confirm"] = "abcdEFGH";  // 2 of 4 classes
  auto r = f.post("/api/v1/portal/access-request/form", form);
  CHECK(r.status == 422);
  CHECK(has(error_fields(r), "password"));
  form = good_form();
  form["password_confirm"] = "Sakura#2025";
  CHECK(has(error_fields(f.post("/api/v1/portal/access-request/form", form)), "password_confirm"));
  form = good_form();
  form["mobile_phone"] = "090-1111-2222";
  r = f.post("/api/v1/portal/access-request/form", form);
  CHECK(r.status == 422);
  CHECK(has(error_fields(r), "mobile_phone"));
  CHECK(r.body.find("9011112222") != std::string::npos);
  form = good_form();
  form["privacy_policy_accepted"] = false;
  form.erase("terms_of_use_accepted");
  r = f.post("/api/v1/portal/access-request/form", form);
  CHECK(has(error_fields(r), "privacy_policy_accepted"));
  CHECK(has(error_fields(r), "terms_of_use_accepted"));
  form = good_form();
  form["terms_of_use_version"] = "2019-01-01";
  CHECK(has(error_fields(f.post("/api/v1/portal/access-request/form", form)),
            "terms_of_use_version"));
  form = good_form();
  form["company"] = "";
  form["country"] = "US";
  r = f.post("/api/v1/portal/access-request/form", form);
  CHECK(has(error_fields(r), "company"));
  CHECK(has(error_fields(r), "country"));
  CHECK(f.post("/api/v1/portal/access-request/security-answer", {{"answer", "Pochi"}}).status ==
        409);

  r = f.post("/api/v1/portal/access-request/form", good_form());
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["next"] == "security_question");
  CHECK(fixture::body(r)["question"]["text"] == "ペットの名前は?");
  CHECK(f.post("/api/v1/portal/access-request/security-answer", {{"answer", "Tama"}}).status ==
        401);
  r = f.post("/api/v1/portal/access-request/security-answer", {{"answer", "Pochi"}});
  REQUIRE(r.status == 201);
  CHECK(fixture::body(r)["account"]["mobile_phone"] == "+819011112222");
  CHECK(f.jar.contains("hw_portal"));

  auto queue = f.ops().sales_requests();
  REQUIRE(queue);
  REQUIRE(queue->size() == 1);
  CHECK((*queue)[0].email == taro);
  CHECK((*queue)[0].company == "Sakura Building Co.");
  CHECK((*queue)[0].customer_id == "C1");
  CHECK(f.mails("sales@hoistway.example", "sales_request").size() == 1);

  // Consents are stored with their version and time.
  auto db = hoistway::common::sqlite::database::open(f.path());
  REQUIRE(db);
  auto s = db->prepare(
      "SELECT privacy_policy_version, privacy_policy_accepted_ms, terms_of_use_version, "
      "mobile_e164 FROM portal_accounts");
  REQUIRE(s);
  REQUIRE(*s->step() == hoistway::common::sqlite::step_result::row);
  CHECK(s->column_text(0) == "2024-04-01");
  CHECK(s->column_int(1) == f.clock().wall_ms());
  CHECK(s->column_text(2) == "2024-04-01");
  CHECK(s->column_text(3) == "+819011112222");

  // Real-time data only for units under a monitoring contract, only the customer's own.
  r = f.get("/api/v1/portal/units");
  REQUIRE(r.status == 200);
  auto units = fixture::body(r)["units"];
  REQUIRE(units.size() == 1);
  CHECK(units[0]["unit_id"] == "U1");
  CHECK(units[0]["status_url"] == "/api/v1/portal/units/U1/status");
  {
    auto status_db = hoistway::common::sqlite::database::open(f.path());
    REQUIRE(status_db);
    REQUIRE(status_db->exec(
        R"(INSERT INTO unit_status VALUES ('U1', '{"floor":3,"in_service":true}', 1700000000000))"));
  }
  r = f.get("/api/v1/portal/units/U1/status");
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["status"]["floor"] == 3);
  CHECK(f.get("/api/v1/portal/units/U2/status").status == 404);  // no monitoring contract
  CHECK(f.get("/api/v1/portal/units/U4/status").status == 404);  // the contract ended
  CHECK(f.get("/api/v1/portal/units/U3/status").status == 404);  // another customer's

  // No second account; a later sign-in with the portal password.
  f.clock().advance(61'000);
  CHECK(f.post("/api/v1/portal/access-request/code", {{"email", taro}}).status == 202);
  CHECK(f.audit("code_portal_exists").size() == 1);
  CHECK(f.post("/api/v1/portal/logout", json::object()).status == 200);
  CHECK(f.get("/api/v1/portal/units").status == 401);
  CHECK(f.post("/api/v1/portal/login", {{"email", taro}, {"password", "newpass123"}}).status ==
        401);
  CHECK(f.post("/api/v1/portal/login", {{"email", taro}, {"password", "Sakura#2024"}}).status ==
        200);
  CHECK(f.get("/api/v1/portal/units").status == 200);
}

TEST_CASE("one customer never sees another's units") {
  fixture f;
  f.sign_up(taro, "C1");
  auto taro_jar = f.jar;
  f.jar.clear();
  f.sign_up(hana, "C2", "fujipass99", "Mike");
  auto r = f.get("/api/v1/eservice/units");
  REQUIRE(r.status == 200);
  auto units = fixture::body(r)["units"];
  REQUIRE(units.size() == 1);
  CHECK(units[0]["unit_id"] == "U3");
  verified(f, hana);
  REQUIRE(f.post("/api/v1/portal/access-request/form", good_form()).status == 200);
  REQUIRE(f.post("/api/v1/portal/access-request/security-answer", {{"answer", "Mike"}}).status ==
          201);
  units = fixture::body(f.get("/api/v1/portal/units"))["units"];
  REQUIRE(units.size() == 1);
  CHECK(units[0]["unit_id"] == "U3");
  f.jar = taro_jar;
  units = fixture::body(f.get("/api/v1/eservice/units"))["units"];
  for (const auto& u : units) CHECK(u["unit_id"] != "U3");
}

TEST_CASE(
    "wrong eService answers in the portal request count towards the answer's lock and void the "
    "request") {
  fixture f;
  f.sign_up(taro, "C1");
  verified(f, taro);
  REQUIRE(f.post("/api/v1/portal/access-request/form", good_form()).status == 200);
  for (int i = 0; i < 5; ++i) {
    CHECK(f.post("/api/v1/portal/access-request/security-answer", {{"answer", "Tama"}}).status ==
          401);
  }
  CHECK(f.post("/api/v1/portal/access-request/security-answer", {{"answer", "Pochi"}}).status ==
        401);  // voided
  // The password still works; the answer, wherever it is asked, is locked.
  auto r = f.post("/api/v1/eservice/login", {{"email", taro}, {"password", "newpass123"}});
  REQUIRE(r.status == 200);
  CHECK(fixture::body(r)["next"] == "security_challenge");
  CHECK(f.post("/api/v1/eservice/security-answer", {{"answer", "Pochi"}}).status == 429);
}

namespace {
class fake_transport final : public hoistway::cloud::accounts::mail_transport {
 public:
  int failures_left = 0;
  std::vector<std::string> sent;
  hoistway::common::status send(const std::string&, const std::string& to,
                                const std::string& message) override {
    if (failures_left > 0) {
      --failures_left;
      return hoistway::common::fail(hoistway::common::errc::unavailable,
                                    "smtp: connection refused");
    }
    sent.push_back(to + "\n" + message);
    return {};
  }
};
}  // namespace

TEST_CASE("mail outbox: durable, retried with backoff, given up after max_attempts") {
  fixture f;
  REQUIRE(f.ops().register_eservice(taro, "C1", ""));
  REQUIRE(f.ops().register_eservice(hana, "C2", "en"));
  auto transport = std::make_unique<fake_transport>();
  auto* t = transport.get();
  hoistway::cloud::accounts::smtp_settings smtp;
  smtp.max_attempts = 3;
  smtp.backoff_initial_s = 5;
  auto clock = std::shared_ptr<hoistway::common::manual_clock>(&f.clock(), [](auto*) {});
  auto sender =
      hoistway::cloud::accounts::mail_sender::open(f.path(), smtp, clock, std::move(transport));
  REQUIRE(sender);
  t->failures_left = 1;
  CHECK((*sender)->send_due().value() == 1);  // the first fails, the second goes
  CHECK((*sender)->send_due().value() == 0);  // not due yet
  f.clock().advance(5000);
  CHECK((*sender)->send_due().value() == 1);
  REQUIRE(t->sent.size() == 2);
  CHECK(t->sent[1].find("Subject: =?UTF-8?B?") != std::string::npos);
  CHECK(t->sent[1].find("Content-Type: text/plain; charset=UTF-8") != std::string::npos);
  for (const auto& m : f.mails()) CHECK(m.body.empty());  // erased once delivered

  REQUIRE(f.ops().issue_password(taro));
  t->failures_left = 10;
  CHECK((*sender)->send_due().value() == 0);
  f.clock().advance(5000);
  CHECK((*sender)->send_due().value() == 0);
  f.clock().advance(10000);  // doubled
  CHECK((*sender)->send_due().value() == 0);
  f.clock().advance(3600 * 1000);
  CHECK((*sender)->send_due().value() == 0);
  CHECK(t->failures_left == 7);  // three attempts, then failed for good
  CHECK(f.audit("mail_failed").size() == 1);
}

TEST_CASE("mime: a Japanese subject becomes encoded words, the body base64") {
  hoistway::cloud::accounts::queued_mail m{"k", "from@x.example", "to@y.example",
                                           "【Hoistway】eService ご登録完了のお知らせ", "本文"};
  const auto text = hoistway::cloud::accounts::mime_message(m, 0, "id@x");
  CHECK(text.find("Subject: =?UTF-8?B?") != std::string::npos);
  CHECK(text.find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n") != std::string::npos);
  CHECK(text.find("\r\n\r\n5pys5paH\r\n") != std::string::npos);  // base64 of 本文
}

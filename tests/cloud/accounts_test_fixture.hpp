// A test installation of the accounts module: a store file with two customers, their buildings,
// units and contracts; the module and the operator face on it, a manual clock, a cookie jar, and
// the mail outbox read back from the database. Argon2id runs with the test profile, through a
// hasher that counts its calls (each call is one Argon2id).
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hoistway/cloud/accounts/module.hpp"
#include "hoistway/cloud/accounts/password_hash.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/config.hpp"
#include "hoistway/common/sqlite.hpp"
#include "temp_dir.hpp"

namespace accounts_test {

using nlohmann::json;
namespace hc = hoistway::cloud;
namespace acc = hoistway::cloud::accounts;
using common_result_string = hoistway::common::result<std::string>;

// Argon2id with the test cost, counting every call: the paths that must cost the same are
// compared by these counts, not by time.
class counting_hasher : public acc::password_hasher {
 public:
  counting_hasher() : acc::password_hasher(test_cost()) {}
  common_result_string hash(std::string_view secret) const override {
    ++calls;
    return acc::password_hasher::hash(secret);
  }
  bool verify(const std::string& stored, std::string_view secret) const override {
    ++calls;
    return acc::password_hasher::verify(stored, secret);
  }
  void verify_nothing(std::string_view secret) const override {
    ++calls;
    acc::password_hasher::verify_nothing(secret);
  }
  mutable std::atomic<int> calls{0};

 private:
  static acc::hashing_settings test_cost() {
    acc::hashing_settings s;
    s.profile = acc::hash_profile::test;
    s.iterations = 1;
    s.memory_bytes = 8U * 1024U;
    return s;
  }
};

struct mail_row {
  std::string kind, recipient, subject, body;
};

class fixture {
 public:
  // `extra_toml` is appended to the base settings (root keys first, then any tables).
  explicit fixture(const std::string& extra_toml = "",
                   std::shared_ptr<counting_hasher> counter = std::make_shared<counting_hasher>())
      : hasher(std::move(counter)) {
    path_ = dir_.file("cloud.db");
    {
      auto st = hc::store::open(path_);
      REQUIRE(st);
    }
    auto db = hoistway::common::sqlite::database::open(path_);
    REQUIRE(db);
    REQUIRE(db->exec(R"sql(
INSERT INTO customers VALUES ('C1', 'Sakura Building Co.', 0), ('C2', 'Fuji Tower KK', 0);
INSERT INTO buildings(building_id, customer_id, name, address) VALUES ('B1', 'C1', 'Sakura Building', 'Tokyo'), ('B2', 'C2', 'Fuji Tower', 'Osaka');
INSERT INTO devices(device_id, key_id, key) VALUES ('d1', 1, x'00'), ('d2', 1, x'00');
INSERT INTO units(unit_id, device_id, car, building_id, name) VALUES
  ('U1', 'd1', 0, 'B1', 'Sakura 1'), ('U2', 'd1', 1, 'B1', 'Sakura 2'), ('U4', 'd1', 2, 'B1', 'Sakura 3'),
  ('U3', 'd2', 0, 'B2', 'Fuji 1');
INSERT INTO contracts(unit_id, kind, starts_ms, ends_ms) VALUES
  ('U1', 'monitoring', 0, NULL), ('U3', 'monitoring', 0, NULL), ('U4', 'monitoring', 0, 1000);
)sql"));
    // The tests speak plain HTTP and plain SMTP, so they turn the TLS defaults off explicitly.
    std::string text =
        "smtp.url = \"smtp://127.0.0.1:9\"\nsmtp.require_tls = false\nresend_interval_s = 60\n"
        "hashing.profile = \"test\"\n";
    if (extra_toml.find("cookie_secure") == std::string::npos) text += "cookie_secure = false\n";
    text += extra_toml;
    auto table = hoistway::common::config::parse_text(text, "accounts.toml");
    REQUIRE_MESSAGE(table, (table ? "" : table.error().message));
    table_ = *table;
    auto m = acc::module::create(table_, "accounts.toml", path_, clock_, hasher);
    REQUIRE_MESSAGE(m, (m ? "" : m.error().message));
    module_ = std::move(*m);
    auto ops = acc::operator_actions::open(table_, "accounts.toml", path_, clock_);
    REQUIRE(ops);
    ops_ = std::move(*ops);
  }
  ~fixture() {
    module_.reset();
    ops_.reset();
  }

  std::shared_ptr<counting_hasher> hasher;
  int hashes() const { return hasher->calls.load(); }
  acc::operator_actions& ops() { return *ops_; }
  acc::module& module() { return *module_; }
  hoistway::common::manual_clock& clock() { return *clock_; }
  const std::string& path() const { return path_; }
  std::map<std::string, std::string> jar;
  std::string address = "192.0.2.10";

  hc::http_response get(const std::string& path) { return call("GET", path, ""); }
  hc::http_response post(const std::string& path, const json& body) {
    return call("POST", path, body.dump());
  }

  hc::http_response call(const std::string& method, const std::string& path,
                         const std::string& body, bool with_csrf = true) {
    if (with_csrf && method != "GET" && !jar.contains("hw_csrf")) get("/api/v1/eservice/login");
    hc::http_request r;
    r.method = method;
    r.path = path;
    r.target = path;
    r.body = body;
    r.remote_address = address;
    r.headers["content-type"] = "application/json";
    if (with_csrf && jar.contains("hw_csrf")) r.headers["x-csrf-token"] = jar["hw_csrf"];
    std::string cookies;
    for (const auto& [k, v] : jar) cookies += (cookies.empty() ? "" : "; ") + k + "=" + v;
    if (!cookies.empty()) r.headers["cookie"] = cookies;
    auto response = module_->handle(r);
    REQUIRE(response);
    last_cookie.clear();
    for (const auto& [name, value] : response->headers) {
      if (name != "Set-Cookie") continue;
      last_cookie = value;
      const auto eq = value.find('=');
      const auto semi = value.find(';');
      const auto key = value.substr(0, eq);
      const auto val = value.substr(eq + 1, semi - eq - 1);
      if (value.find("Max-Age=0") != std::string::npos || val.empty()) {
        jar.erase(key);
      } else {
        jar[key] = val;
      }
    }
    return *response;
  }
  std::string last_cookie;

  hc::http_response raw(const hc::http_request& r) {
    auto response = module_->handle(r);
    REQUIRE(response);
    return *response;
  }
  std::optional<hc::http_response> handle(const hc::http_request& r) { return module_->handle(r); }

  static json body(const hc::http_response& r) { return json::parse(r.body); }
  // The Retry-After header in seconds, or -1 without one.
  static int retry_after(const hc::http_response& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Retry-After") return std::stoi(v);
    }
    return -1;
  }

  std::vector<mail_row> mails(const std::string& recipient = "", const std::string& kind = "") {
    module_->flush();  // the writes requests do not wait for
    auto db = hoistway::common::sqlite::database::open(path_);
    REQUIRE(db);
    auto s = db->prepare("SELECT kind, recipient, subject, body FROM mail_outbox ORDER BY mail_id");
    REQUIRE(s);
    std::vector<mail_row> out;
    while (*s->step() == hoistway::common::sqlite::step_result::row) {
      mail_row m{s->column_text(0), s->column_text(1), s->column_text(2), s->column_text(3)};
      if ((recipient.empty() || m.recipient == recipient) && (kind.empty() || m.kind == kind))
        out.push_back(m);
    }
    return out;
  }

  std::string last_match(const std::string& recipient, const std::string& kind,
                         const std::string& pattern) {
    auto list = mails(recipient, kind);
    REQUIRE_FALSE(list.empty());
    std::smatch m;
    const auto& text = list.back().body;
    REQUIRE(std::regex_search(text, m, std::regex(pattern)));
    return m[1];
  }
  std::string temp_password(const std::string& email) {
    return last_match(email, "temporary_password", "(?:仮パスワード|Temporary password): (\\S+)");
  }
  std::string code(const std::string& email) {
    return last_match(email, "portal_code", "(?:確認コード|Verification code): (\\d+)");
  }

  std::int64_t rows(const std::string& table) {
    module_->flush();  // the writes requests do not wait for
    auto db = hoistway::common::sqlite::database::open(path_);
    REQUIRE(db);
    auto s = db->prepare("SELECT COUNT(*) FROM " + table);
    REQUIRE(s);
    REQUIRE(*s->step() == hoistway::common::sqlite::step_result::row);
    return s->column_int(0);
  }

  std::vector<std::string> audit(const std::string& event) {
    module_->flush();  // the writes requests do not wait for
    auto db = hoistway::common::sqlite::database::open(path_);
    REQUIRE(db);
    auto s = db->prepare("SELECT detail FROM account_audit WHERE event = ?1 ORDER BY event_id");
    REQUIRE(s);
    s->bind(1, event);
    std::vector<std::string> out;
    while (*s->step() == hoistway::common::sqlite::step_result::row)
      out.push_back(s->column_text(0));
    return out;
  }

  // Registers, issues a password, changes it, sets the question, signs in: a customer who has
  // completed an eService login.
  void sign_up(const std::string& email, const std::string& customer,
               const std::string& password = "newpass123", const std::string& answer = "Pochi") {
    REQUIRE(ops().register_eservice(email, customer, ""));
    REQUIRE(ops().issue_password(email));
    const auto temp = temp_password(email);
    REQUIRE(post("/api/v1/eservice/login", {{"email", email}, {"password", temp}}).status == 200);
    auto r = post("/api/v1/eservice/password", {{"email", email},
                                                {"current_password", temp},
                                                {"new_password", password},
                                                {"new_password_confirm", password}});
    REQUIRE(r.status == 200);
    r = post("/api/v1/eservice/security-question",
             {{"question_id", "pet_name"}, {"answer", answer}});
    REQUIRE(r.status == 200);
    sign_in(email, password, answer);
  }
  void sign_in(const std::string& email, const std::string& password, const std::string& answer) {
    auto r = post("/api/v1/eservice/login", {{"email", email}, {"password", password}});
    REQUIRE(r.status == 200);
    REQUIRE(body(r)["next"] == "security_challenge");
    r = post("/api/v1/eservice/security-answer", {{"answer", answer}});
    REQUIRE(r.status == 200);
  }

 private:
  hoistway::testing::temp_dir dir_{"hoistway-accounts"};
  std::string path_;
  toml::table table_;
  std::shared_ptr<hoistway::common::manual_clock> clock_ =
      std::make_shared<hoistway::common::manual_clock>();
  std::unique_ptr<acc::module> module_;
  std::unique_ptr<acc::operator_actions> ops_;
};

}  // namespace accounts_test

// The accounts routes' HTTP vocabulary (http_helpers.hpp).
#include "http_helpers.hpp"

#include <utility>

#include "hoistway/cloud/portal/api.hpp"
#include "hoistway/common/crypto.hpp"

namespace hoistway::cloud::accounts {

std::map<std::string, std::string> cookies_of(const http_request& request) {
  std::map<std::string, std::string> out;
  const auto header = request.header("cookie");
  std::string_view rest(header);
  while (!rest.empty()) {
    const auto end = rest.find(';');
    auto part = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
  }
  return out;
}

std::string text_of(const json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag_of(const json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_boolean() && it->get<bool>();
}

http_response reply(unsigned status, const json& body) {
  http_response r;
  r.status = status;
  r.body = body.dump();
  return r;
}

http_response problem_with(unsigned status, std::string_view title, std::string_view detail,
                           const json& extra) {
  auto r = problem(status, title, detail);
  auto body = json::parse(r.body);
  for (const auto& [k, v] : extra.items()) body[k] = v;
  r.body = body.dump();
  return r;
}

http_response with_cookie(http_response r, std::string value) {
  r.headers.emplace_back("Set-Cookie", std::move(value));
  return r;
}

http_response accepted(std::string_view detail) {
  return reply(202, {{"status", "accepted"}, {"detail", detail}});
}

http_response no_session(std::string_view what) {
  return problem(401, "Unauthorized",
                 std::string("sign in first") + (what.empty() ? "" : ": ") + std::string(what));
}

std::string set_cookie(std::string_view name, std::string_view value, std::string_view path,
                       std::optional<std::int64_t> max_age_s, bool secure, bool http_only) {
  std::string c = std::string(name) + "=" + std::string(value) + "; Path=" + std::string(path);
  if (max_age_s) c += "; Max-Age=" + std::to_string(*max_age_s);
  if (http_only) c += "; HttpOnly";
  c += "; SameSite=Lax";
  if (secure) c += "; Secure";
  return c;
}

void field_errors::add(std::string_view field, std::string_view message) {
  list.push_back({{"field", field}, {"message", message}});
}

http_response field_errors::response() const {
  return problem_with(422, "Unprocessable Content", "some fields need correcting",
                      {{"errors", list}});
}

http_response single_field(std::string_view field, std::string_view message) {
  field_errors e;
  e.add(field, message);
  return e.response();
}

std::vector<std::uint8_t> digest_of(std::string_view text) {
  const auto d = common::crypto::sha256(common::crypto::as_bytes(text));
  return {d.begin(), d.end()};
}

token new_token() {
  auto text = common::crypto::to_hex(common::crypto::random_bytes(16));  // 128 bits
  auto digest = digest_of(text);
  return {std::move(text), std::move(digest)};
}

std::string questions_text(const settings& config, const std::string& id,
                           const std::string& language) {
  for (const auto& q : config.questions) {
    if (q.id == id) return language == "en" ? q.en : q.ja;
  }
  return id;
}

json questions_json(const settings& config, const std::string& language) {
  json list = json::array();
  for (const auto& q : config.questions) {
    list.push_back({{"id", q.id}, {"text", language == "en" ? q.en : q.ja}});
  }
  return list;
}

json countries_json() {
  return json::array({{{"country", "JP"}, {"language", "ja"}, {"label", "Japan/Japanese"}},
                      {{"country", "JP"}, {"language", "en"}, {"label", "Japan/English"}}});
}

json units_json(const std::vector<customer_unit>& units, bool monitored_only) {
  json list = json::array();
  for (const auto& u : units) {
    if (monitored_only && !u.monitored) continue;
    json item = {{"unit_id", u.unit_id},
                 {"name", u.name},
                 {"building_id", u.building_id},
                 {"building_name", u.building_name},
                 {"monitored", u.monitored}};
    if (u.monitored) item["status_url"] = "/api/v1/portal/units/" + u.unit_id + "/status";
    list.push_back(std::move(item));
  }
  return list;
}

}  // namespace hoistway::cloud::accounts

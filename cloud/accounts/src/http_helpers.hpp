// The accounts routes' HTTP vocabulary: the request as a route sees it (`call`), cookies and
// tokens, JSON bodies and replies, 422 field errors, and the lists the screens show. Pure
// functions of their arguments (new_token() draws from the CSPRNG); private to the accounts room.
//
// Thread-safety: free functions with no shared state; call from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hoistway/cloud/accounts/account_store.hpp"
#include "hoistway/cloud/accounts/settings.hpp"
#include "hoistway/cloud/portal/http.hpp"

namespace hoistway::cloud::accounts {

using json = nlohmann::json;

inline constexpr std::string_view eservice_prefix = "/api/v1/eservice/";
inline constexpr std::string_view portal_prefix = "/api/v1/portal/";
// Both sessions' cookies go to every /api/v1 route: the data routes (units, alerts, the stream)
// take a signed-in session as well as an API key, so the browser never holds a key.
inline constexpr std::string_view session_cookie_path = "/api/v1";
inline constexpr const char* csrf_cookie = "hw_csrf";
inline constexpr const char* eservice_cookie = "hw_eservice";
inline constexpr const char* portal_cookie = "hw_portal";
inline constexpr const char* request_cookie = "hw_request";
inline constexpr std::int64_t day_ms = 24LL * 3600 * 1000;

// One request as the routes see it: its cookies, its JSON body (an object; empty for GET) and
// the throttled unit of its client address.
struct call {
  const http_request& request;
  std::map<std::string, std::string> cookies;
  json body;
  std::string address;  // the throttled unit: the IPv4 address or the IPv6 /64
};

std::map<std::string, std::string> cookies_of(const http_request& request);

// A string field of the body, "" if absent or not a string.
std::string text_of(const json& body, const char* key);
// A boolean field of the body, false if absent or not a boolean.
bool flag_of(const json& body, const char* key);

http_response reply(unsigned status, const json& body);
// A problem+json with extra members (e.g. "next", "errors").
http_response problem_with(unsigned status, std::string_view title, std::string_view detail,
                           const json& extra);
http_response with_cookie(http_response r, std::string value);
// 202 for requests whose outcome the answer must not tell (resets, codes).
http_response accepted(std::string_view detail);
http_response no_session(std::string_view what);

// A Set-Cookie value: HttpOnly unless told, SameSite=Lax, Secure when `secure`.
std::string set_cookie(std::string_view name, std::string_view value, std::string_view path,
                       std::optional<std::int64_t> max_age_s, bool secure, bool http_only = true);

// 422 with one entry per field that failed.
struct field_errors {
  json list = json::array();
  void add(std::string_view field, std::string_view message);
  bool empty() const { return list.empty(); }
  http_response response() const;
};
http_response single_field(std::string_view field, std::string_view message);

struct token {
  std::string text;                  // what the cookie holds (hex)
  std::vector<std::uint8_t> digest;  // what the database holds
};
std::vector<std::uint8_t> digest_of(std::string_view text);
// A fresh 128-bit token.
token new_token();

std::string questions_text(const settings& config, const std::string& id,
                           const std::string& language);
json questions_json(const settings& config, const std::string& language);
json countries_json();
// A customer's units for the screens (`monitored_only`: the portal's real-time list).
json units_json(const std::vector<customer_unit>& units, bool monitored_only);

}  // namespace hoistway::cloud::accounts

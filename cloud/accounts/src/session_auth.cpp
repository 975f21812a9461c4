// Browser sessions on the data routes: the session cookie → a caller, and the watch that ends a
// signed-out session's event stream (module.hpp, session_auth).
#include <array>
#include <atomic>
#include <map>
#include <mutex>

#include "hoistway/cloud/accounts/account_store.hpp"
#include "hoistway/cloud/accounts/module.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/crypto.hpp"
#include "hoistway/common/sqlite.hpp"

namespace hoistway::cloud::accounts {
namespace {

namespace sqlite = common::sqlite;

// Why a cookie did not give a caller; each is counted.
enum class session_refusal : std::size_t {
  malformed,    // not the 32 hex digits a token is
  unknown,      // no such session (never was, signed out, pruned)
  expired,      // past its expiry
  mid_login,    // a login not finished (password change, security question)
  store_error,  // the store could not be read (the request is refused: 503)
};
constexpr std::size_t refusal_count = 5;
constexpr std::array<std::string_view, refusal_count> refusal_names = {
    "malformed", "unknown", "expired", "mid_login", "store_error"};

constexpr std::string_view portal_cookie = "hw_portal";
constexpr std::string_view eservice_cookie = "hw_eservice";

bool is_token(std::string_view text) {
  if (text.size() != 32) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

struct watched {
  std::atomic<bool> ended{false};
  std::int64_t expires_ms = 0;
};

class session_auth_impl final : public session_auth {
 public:
  session_auth_impl(sqlite::database db, std::shared_ptr<common::clock> clock,
                    std::size_t max_watched)
      : db_(std::move(db)), clock_(std::move(clock)), max_watched_(max_watched) {}

  session_lookup resolve(const http_request& request) override {
    session_lookup out;
    for (const auto kind : {session_kind::portal, session_kind::eservice}) {
      const auto value =
          request.cookie(kind == session_kind::portal ? portal_cookie : eservice_cookie);
      if (value.empty()) continue;
      auto one = resolve_one(kind, value);
      if (one.outcome == session_check::signed_in || one.outcome == session_check::unavailable)
        return one;
      out = std::move(one);  // refused: the other cookie may still be signed in
    }
    return out;
  }

  std::function<bool()> watch(const caller& who) override {
    std::shared_ptr<watched> entry;
    {
      std::lock_guard lock(watch_mutex_);
      if (watched_.size() >= max_watched_) drop_unwatched();
      if (watched_.size() < max_watched_) {
        entry = std::make_shared<watched>();
        entry->expires_ms = who.session_expires_ms;
        watched_.emplace(who.session_digest, entry);
      } else {
        ++watch_full_;
      }
    }
    auto clock = clock_;
    if (!entry) {
      // Over the bound (never with the streams' caps below it): the expiry alone still holds.
      return [clock, until = who.session_expires_ms] { return clock->wall_ms() < until; };
    }
    return [clock, entry] { return !entry->ended.load() && clock->wall_ms() < entry->expires_ms; };
  }

  void recheck() override {
    std::vector<std::pair<std::string, std::shared_ptr<watched>>> list;
    {
      std::lock_guard lock(watch_mutex_);
      drop_unwatched();
      list.assign(watched_.begin(), watched_.end());
    }
    const auto now = clock_->wall_ms();
    for (const auto& [digest, entry] : list) {
      if (entry->ended) continue;
      auto row = find(digest);
      if (!row) continue;  // a store error: ask again at the next recheck
      if (!*row || (*row)->stage != "signed_in" || (*row)->expires_ms <= now) entry->ended = true;
    }
  }

  std::string metrics_text() const override {
    std::string out =
        "# HELP hoistway_sessions_resolved_total Data-route requests taken by a signed-in "
        "session, by kind.\n# TYPE hoistway_sessions_resolved_total counter\n";
    out += "hoistway_sessions_resolved_total{kind=\"portal\"} " +
           std::to_string(resolved_portal_.load()) + "\n";
    out += "hoistway_sessions_resolved_total{kind=\"eservice\"} " +
           std::to_string(resolved_eservice_.load()) + "\n";
    out +=
        "# HELP hoistway_sessions_refused_total Session cookies on data routes that gave no "
        "caller, by reason.\n# TYPE hoistway_sessions_refused_total counter\n";
    for (std::size_t i = 0; i < refusal_count; ++i) {
      out += "hoistway_sessions_refused_total{reason=\"" + std::string(refusal_names[i]) + "\"} " +
             std::to_string(refused_[i].load()) + "\n";
    }
    std::size_t size = 0;
    {
      std::lock_guard lock(watch_mutex_);
      size = watched_.size();
    }
    out +=
        "# HELP hoistway_sessions_watched Sessions with an open event stream, re-checked every "
        "second.\n# TYPE hoistway_sessions_watched gauge\nhoistway_sessions_watched " +
        std::to_string(size) + "\n";
    out +=
        "# HELP hoistway_sessions_watch_full_total Streams watched by expiry only: the watch "
        "table was full.\n# TYPE hoistway_sessions_watch_full_total counter\n"
        "hoistway_sessions_watch_full_total " +
        std::to_string(watch_full_.load()) + "\n";
    return out;
  }

 private:
  struct session_row_view {
    std::string kind;
    std::string stage;
    std::int64_t expires_ms = 0;
    std::string customer_id;
    std::string language;
    std::string name;
    std::string email;
  };

  session_lookup refuse(session_refusal why, std::string detail) {
    ++refused_[static_cast<std::size_t>(why)];
    session_lookup out;
    out.outcome =
        why == session_refusal::store_error ? session_check::unavailable : session_check::refused;
    out.detail = std::move(detail);
    return out;
  }

  session_lookup resolve_one(session_kind kind, const std::string& value) {
    if (!is_token(value))
      return refuse(session_refusal::malformed, "the session cookie is malformed");
    const auto digest = common::crypto::sha256(common::crypto::as_bytes(value));
    const auto digest_hex = common::crypto::to_hex(digest);
    auto row = find(digest_hex);
    if (!row) return refuse(session_refusal::store_error, row.error().message);
    const bool portal = kind == session_kind::portal;
    if (!*row || (*row)->kind != (portal ? "portal" : "eservice"))
      return refuse(session_refusal::unknown, "the session is unknown or signed out: sign in");
    const auto& r = **row;
    if (r.expires_ms <= clock_->wall_ms())
      return refuse(session_refusal::expired, "the session has expired: sign in again");
    if (r.stage != "signed_in")
      return refuse(session_refusal::mid_login, "the sign-in is not finished");
    session_lookup out;
    out.outcome = session_check::signed_in;
    out.who.customer_id = r.customer_id;
    out.who.key_id = "session:" + digest_hex.substr(0, 16);
    out.who.kind = portal ? caller_kind::portal_session : caller_kind::eservice_session;
    out.who.name = r.name;
    out.who.email = r.email;
    out.who.language = r.language;
    out.who.session_digest = digest_hex;
    out.who.session_expires_ms = r.expires_ms;
    ++(portal ? resolved_portal_ : resolved_eservice_);
    return out;
  }

  // The session by its token's digest (hex), with its account; nullopt inside if none.
  common::result<std::optional<session_row_view>> find(const std::string& digest_hex) {
    std::vector<std::uint8_t> digest;
    digest.reserve(digest_hex.size() / 2);
    for (std::size_t i = 0; i + 1 < digest_hex.size(); i += 2) {
      digest.push_back(static_cast<std::uint8_t>(std::stoi(digest_hex.substr(i, 2), nullptr, 16)));
    }
    std::lock_guard lock(db_mutex_);
    if (!select_) {
      // A portal account's customer and language are its eService account's.
      auto s = db_.prepare(
          "SELECT s.kind, s.stage, s.expires_ms, e.customer_id, e.language, e.email, "
          "e.display_name, p.last_name, p.first_name, p.email "
          "FROM account_sessions s "
          "LEFT JOIN portal_accounts p ON s.kind = 'portal' AND p.portal_id = s.account_id "
          "JOIN eservice_accounts e ON e.account_id = "
          "  (CASE WHEN s.kind = 'portal' THEN p.eservice_id ELSE s.account_id END) "
          "WHERE s.token_sha256 = ?1");
      if (!s) return std::unexpected(s.error());
      select_.emplace(std::move(*s));
    }
    auto& s = *select_;
    s.reset();
    s.bind(1, std::span<const std::uint8_t>(digest));
    std::optional<session_row_view> out;
    auto step = s.step();
    if (!step) {
      s.reset();
      return std::unexpected(step.error());
    }
    if (*step == sqlite::step_result::row) {
      session_row_view v;
      v.kind = s.column_text(0);
      v.stage = s.column_text(1);
      v.expires_ms = s.column_int(2);
      v.customer_id = s.column_text(3);
      v.language = s.column_text(4);
      if (v.kind == "portal") {
        v.email = s.column_text(9);
        v.name = s.column_text(7) + " " + s.column_text(8);  // family name first, as in Japan
      } else {
        v.email = s.column_text(5);
        v.name = s.column_text(6).empty() ? v.email : s.column_text(6);
      }
      out = std::move(v);
    }
    s.reset();
    return out;
  }

  // With watch_mutex_ held: forgets the sessions no stream watches any more.
  void drop_unwatched() {
    std::erase_if(watched_, [](const auto& kv) { return kv.second.use_count() == 1; });
  }

  std::mutex db_mutex_;
  sqlite::database db_;
  std::optional<sqlite::statement> select_;
  std::shared_ptr<common::clock> clock_;
  const std::size_t max_watched_;
  mutable std::mutex watch_mutex_;
  std::multimap<std::string, std::shared_ptr<watched>> watched_;
  std::atomic<std::uint64_t> resolved_portal_{0};
  std::atomic<std::uint64_t> resolved_eservice_{0};
  std::array<std::atomic<std::uint64_t>, refusal_count> refused_{};
  std::atomic<std::uint64_t> watch_full_{0};
};

}  // namespace

common::result<std::shared_ptr<session_auth>> session_auth::open(
    const std::string& store_path, std::shared_ptr<common::clock> clock, std::size_t max_watched) {
  {
    // The tables the lookup reads: the store's tenancy, then the accounts' own.
    auto tenancy = store::open(store_path);
    if (!tenancy) return std::unexpected(tenancy.error());
    auto db = sqlite::database::open(store_path, {.sync = sqlite::durability::full});
    if (!db) return std::unexpected(db.error());
    if (auto st = migrate_accounts(*db); !st) return std::unexpected(st.error());
  }
  auto db = sqlite::database::open(store_path, {.sync = sqlite::durability::full});
  if (!db) return std::unexpected(db.error());
  return std::shared_ptr<session_auth>(
      std::make_shared<session_auth_impl>(std::move(*db), std::move(clock), max_watched));
}

}  // namespace hoistway::cloud::accounts

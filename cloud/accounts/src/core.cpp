// The actions the accounts' HTTP face and operator face share (core.hpp).
#include "core.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "hoistway/cloud/accounts/policy.hpp"

namespace hoistway::cloud::accounts {

using common::errc;
using common::fail;

core::core(settings config, std::shared_ptr<common::clock> clock,
           std::unique_ptr<account_store> store, std::shared_ptr<const password_hasher> hasher)
    : config_(std::move(config)),
      clock_(std::move(clock)),
      store_(std::move(store)),
      hasher_(hasher ? std::move(hasher)
                     : std::make_shared<const password_hasher>(config_.hashing)) {}

common::status core::register_eservice(const std::string& email_raw, const std::string& customer_id,
                                       const std::string& language_raw, const std::string& actor) {
  auto email = normalize_email(email_raw);
  if (!email) return std::unexpected(email.error());
  const auto language = language_or_default(language_raw);
  if (language != "ja" && language != "en")
    return fail(errc::invalid_argument, "language must be ja or en");
  const auto t = now();
  const auto mail = compose(mail_kind::registration_complete, language, config_, *email,
                            {{"url", config_.eservice_url}});
  auto st = store_->write([&](write_batch& w) -> common::status {
    auto id = w.insert_eservice(*email, customer_id, language, t);
    if (!id) return std::unexpected(id.error());
    if (auto a = w.audit(t, "eservice_registered", *email, actor, "customer " + customer_id); !a)
      return a;
    return w.enqueue_mail(mail, "", t);
  });
  if (st) mail_queued();
  return st;
}

common::result<core::issued_password> core::prepare_password(
    const eservice_account& account) const {
  const auto password = make_temp_password(config_.rules);
  auto hash = hasher_->hash(password);
  if (!hash) return std::unexpected(hash.error());
  const auto expires = now() + config_.rules.temp_password_valid_ms;
  return issued_password{
      *hash, expires,
      compose(mail_kind::temporary_password, account.language, config_, account.email,
              {{"password", password},
               {"url", config_.eservice_url},
               {"expires", common::format_rfc3339(expires)}})};
}

common::status core::write_password(write_batch& w, const eservice_account& account,
                                    const issued_password& p, std::int64_t now_ms,
                                    const std::string& actor, std::string_view event,
                                    std::string_view requested_by) {
  if (auto st = w.set_temp_password(account.id, p.hash, now_ms, p.expires_ms); !st) return st;
  if (auto st = w.audit(now_ms, event, account.email, actor); !st) return st;
  return w.enqueue_mail(p.mail, requested_by, now_ms);
}

common::result<eservice_account> core::find(const std::string& email_raw) {
  auto email = normalize_email(email_raw);
  if (!email) return std::unexpected(email.error());
  auto account = store_->find_eservice(*email);
  if (!account) return std::unexpected(account.error());
  if (!*account) return fail(errc::not_found, "no eService account for " + *email);
  return **account;
}

common::result<std::unique_ptr<core>> make_core(const toml::table& section,
                                                const std::string& source,
                                                const std::string& store_path,
                                                std::shared_ptr<common::clock> clock,
                                                write_mode mode,
                                                std::shared_ptr<const password_hasher> hasher) {
  auto config = settings::load(section, source);
  if (!config) return std::unexpected(config.error());
  if (config->hashing.profile == hash_profile::test) {
    spdlog::warn(
        "accounts: [accounts.hashing] profile = \"test\": password hashing is weak; tests only");
  }
  auto store = account_store::open(store_path, mode, config->limits.write_queue);
  if (!store) return std::unexpected(store.error());
  return std::make_unique<core>(std::move(*config), std::move(clock), std::move(*store),
                                std::move(hasher));
}

}  // namespace hoistway::cloud::accounts

// What the accounts' two faces share: the settings, the store, the hasher and the clock, and the
// actions both take (registering an eService account, issuing a temporary password). Private to
// the accounts room.
//
// Thread-safety: const members and store() may be used from any thread (account_store is
// thread-safe); on_mail is set once, before any request.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "hoistway/cloud/accounts/account_store.hpp"
#include "hoistway/cloud/accounts/mail.hpp"
#include "hoistway/cloud/accounts/password_hash.hpp"
#include "hoistway/cloud/accounts/settings.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::cloud::accounts {

class core {
 public:
  core(settings config, std::shared_ptr<common::clock> clock, std::unique_ptr<account_store> store,
       std::shared_ptr<const password_hasher> hasher);

  const settings& config() const { return config_; }
  account_store& store() { return *store_; }
  const password_hasher& hasher() const { return *hasher_; }
  std::int64_t now() const { return clock_->wall_ms(); }
  std::function<void()> on_mail;  // wakes the sender

  void mail_queued() const {
    if (on_mail) on_mail();
  }

  std::string language_or_default(const std::string& language) const {
    return language.empty() ? config_.default_language : language;
  }

  common::status register_eservice(const std::string& email_raw, const std::string& customer_id,
                                   const std::string& language_raw, const std::string& actor);

  // The writes of issuing a temporary password (every earlier one stops working): for the
  // operator and for a customer's reset (`requested_by`: the client address, or "").
  struct issued_password {
    std::string hash;
    std::int64_t expires_ms = 0;
    queued_mail mail;
  };
  common::result<issued_password> prepare_password(const eservice_account& account) const;
  static common::status write_password(write_batch& w, const eservice_account& account,
                                       const issued_password& p, std::int64_t now_ms,
                                       const std::string& actor, std::string_view event,
                                       std::string_view requested_by);

  // The eService account of an address; not_found if none.
  common::result<eservice_account> find(const std::string& email_raw);

 private:
  settings config_;
  std::shared_ptr<common::clock> clock_;
  std::unique_ptr<account_store> store_;
  std::shared_ptr<const password_hasher> hasher_;
};

// Reads the [accounts] section and opens the store (`mode`: grouped for the server, immediate
// for hoistway-admin). `hasher`: null for Argon2id with the configured cost.
common::result<std::unique_ptr<core>> make_core(const toml::table& section,
                                                const std::string& source,
                                                const std::string& store_path,
                                                std::shared_ptr<common::clock> clock,
                                                write_mode mode,
                                                std::shared_ptr<const password_hasher> hasher);

}  // namespace hoistway::cloud::accounts

// The accounts module's operator face: what `hoistway-admin eservice …` does (module.hpp's
// operator_actions). Each call commits on the caller's thread before it returns (write_mode
// immediate); mails wait in the durable outbox for the server's sender, or send_pending().
#include <memory>
#include <utility>

#include "core.hpp"
#include "hoistway/cloud/accounts/mail.hpp"
#include "hoistway/cloud/accounts/module.hpp"

namespace hoistway::cloud::accounts {

namespace {

class operator_impl final : public operator_actions {
 public:
  operator_impl(std::unique_ptr<core> c, std::unique_ptr<mail_sender> sender)
      : core_(std::move(c)), sender_(std::move(sender)) {}

  common::status register_eservice(const std::string& email, const std::string& customer_id,
                                   const std::string& language) override {
    return core_->register_eservice(email, customer_id, language, "operator");
  }

  common::status issue_password(const std::string& email) override {
    auto a = core_->find(email);
    if (!a) return std::unexpected(a.error());
    auto p = core_->prepare_password(*a);
    if (!p) return std::unexpected(p.error());
    const auto now = core_->now();
    auto st = core_->store().write([&](write_batch& w) {
      return core::write_password(w, *a, *p, now, "operator", "temp_password_issued", "");
    });
    if (st) core_->mail_queued();
    return st;
  }

  common::status reset_security_answer(const std::string& email) override {
    auto a = core_->find(email);
    if (!a) return std::unexpected(a.error());
    const auto now = core_->now();
    // Clearing the question also clears the answer's failures and lock.
    return core_->store().write([&](write_batch& w) -> common::status {
      if (auto st = w.set_security(a->id, "", "", now); !st) return st;
      return w.audit(now, "security_answer_reset", a->email, "operator");
    });
  }

  common::result<std::size_t> send_pending() override { return sender_->send_due(); }

  common::result<std::vector<sales_request>> sales_requests() override {
    return core_->store().sales_requests();
  }

 private:
  std::unique_ptr<core> core_;
  std::unique_ptr<mail_sender> sender_;
};

}  // namespace

common::result<std::unique_ptr<operator_actions>> operator_actions::open(
    const toml::table& section, const std::string& source, const std::string& store_path,
    std::shared_ptr<common::clock> clock) {
  auto c = make_core(section, source, store_path, clock, write_mode::immediate, nullptr);
  if (!c) return std::unexpected(c.error());
  auto sender = mail_sender::open(store_path, (*c)->config().smtp, clock, nullptr);
  if (!sender) return std::unexpected(sender.error());
  return std::unique_ptr<operator_actions>(new operator_impl(std::move(*c), std::move(*sender)));
}

}  // namespace hoistway::cloud::accounts

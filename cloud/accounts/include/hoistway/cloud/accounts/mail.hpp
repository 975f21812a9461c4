// The mails the guide describes, in Japanese (the guide's subjects) and English, and their
// delivery: composed mails wait in the durable `mail_outbox` table; a sender thread hands them to
// an SMTP server through libcurl (the only user of libcurl), retrying with exponential backoff
// until `max_attempts`, then marks them failed and audits it. A body may hold a temporary
// password or a code, so it is erased once the mail is delivered (or given up).
//
// Thread-safety: compose()/mime_message() are pure. A mail_sender owns its own connection; its
// start()/stop()/send_due() are called from one owner thread, wake() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "hoistway/cloud/accounts/account_store.hpp"
#include "hoistway/cloud/accounts/settings.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/sqlite.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::cloud::accounts {

enum class mail_kind {
  registration_complete,  // ① eService ご登録完了のお知らせ
  temporary_password,  // ② eService お申し込みに関するお知らせ (temporary password, URL)
  portal_code,         // … アカウントの電子メール確認コード (6-digit code)
  portal_not_eligible,  // a code was asked for an address that has not completed an eService login
  sales_request,        // to the sales contact: a customer-portal access request
};
std::string_view to_string(mail_kind kind);

// `language` is "ja" or "en"; `values` fills the template (password, code, url, expires, …).
queued_mail compose(mail_kind kind, const std::string& language, const settings& config,
                    const std::string& recipient, const std::map<std::string, std::string>& values);

// RFC 5322 text: UTF-8 subject as RFC 2047 encoded words, base64 body, CRLF line ends.
std::string mime_message(const queued_mail& mail, std::int64_t date_ms,
                         const std::string& message_id);

// Hands one message to an SMTP server.
class mail_transport {
 public:
  virtual ~mail_transport() = default;
  virtual common::status send(const std::string& from, const std::string& to,
                              const std::string& message) = 0;
};
std::unique_ptr<mail_transport> make_smtp_transport(const smtp_settings& smtp);

class mail_sender {
 public:
  static common::result<std::unique_ptr<mail_sender>> open(
      const std::string& store_path, const smtp_settings& smtp,
      std::shared_ptr<common::clock> clock, std::unique_ptr<mail_transport> transport);
  ~mail_sender();
  // Sends every due mail once; returns how many were delivered.
  common::result<std::size_t> send_due();
  void start();  // a thread: send_due() every poll interval, or at once after wake()
  void stop();
  void wake();

 private:
  mail_sender(common::sqlite::database db, const smtp_settings& smtp,
              std::shared_ptr<common::clock> clock, std::unique_ptr<mail_transport> transport);
  void run();
  common::sqlite::database db_;
  smtp_settings smtp_;
  std::shared_ptr<common::clock> clock_;
  std::unique_ptr<mail_transport> transport_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace hoistway::cloud::accounts

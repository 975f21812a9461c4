// Mail templates, MIME, the SMTP transport (libcurl) and the outbox sender.
#include "hoistway/cloud/accounts/mail.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "hoistway/common/crypto.hpp"

namespace hoistway::cloud::accounts {

namespace sqlite = common::sqlite;

std::string_view to_string(mail_kind kind) {
  switch (kind) {
    case mail_kind::registration_complete:
      return "registration_complete";
    case mail_kind::temporary_password:
      return "temporary_password";
    case mail_kind::portal_code:
      return "portal_code";
    case mail_kind::portal_not_eligible:
      return "portal_not_eligible";
    case mail_kind::sales_request:
      return "sales_request";
  }
  return "unknown";
}

namespace {

std::string fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    const std::string token = "{" + key + "}";
    for (auto pos = text.find(token); pos != std::string::npos;
         pos = text.find(token, pos + value.size())) {
      text.replace(pos, token.size(), value);
    }
  }
  return text;
}

std::string base64(std::string_view data) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  auto byte = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(data[k]));
  };
  for (; i + 2 < data.size(); i += 3) {
    const auto n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += table[n & 63];
  }
  if (i + 1 == data.size()) {
    const auto n = byte(i) << 16;
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == data.size()) {
    const auto n = (byte(i) << 16) | (byte(i + 1) << 8);
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// RFC 2047 encoded words of at most 45 bytes each, split on UTF-8 character boundaries.
std::string encode_header(std::string_view text) {
  const bool ascii = std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (ascii && text.size() < 900) return std::string(text);
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.size(), start + 45);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

std::string rfc5322_date(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

struct templates {
  const char* subject_ja;
  const char* body_ja;
  const char* subject_en;
  const char* body_en;
};

templates template_for(mail_kind kind) {
  switch (kind) {
    case mail_kind::registration_complete:
      return {"【{brand_ja}】eService ご登録完了のお知らせ",
              "{email} 様\n\n"
              "お客様の情報を eService に登録しました。\n"
              "ログインに必要な仮パスワードは、別のメール「【{brand_ja}】eService "
              "お申し込みに関するお知らせ」で"
              "お送りします（2～5 営業日以内）。\n\n"
              "eService: {url}\n\n{brand_ja}\n",
              "[{brand_en}] eService registration complete",
              "Dear customer ({email}),\n\n"
              "Your details have been registered in eService.\n"
              "The temporary password you need to sign in follows in a separate mail, "
              "\"[{brand_en}] About your eService application\" (within 2-5 business days).\n\n"
              "eService: {url}\n\n{brand_en}\n"};
    case mail_kind::temporary_password:
      return {"【{brand_ja}】eService お申し込みに関するお知らせ",
              "{email} 様\n\n"
              "eService へのログインに必要な仮パスワードをお知らせします。\n\n"
              "仮パスワード: {password}\n"
              "eService URL: {url}\n"
              "有効期限: {expires}\n\n"
              "仮パスワードでログインすると、パスワードの変更画面が表示されます。\n"
              "新しいパスワードは 8～20 文字の半角英数字です（記号は使用できません）。\n"
              "このメールより前にお送りした仮パスワードは使用できません。\n\n{brand_ja}\n",
              "[{brand_en}] About your eService application",
              "Dear customer ({email}),\n\n"
              "Here is the temporary password you need to sign in to eService.\n\n"
              "Temporary password: {password}\n"
              "eService URL: {url}\n"
              "Valid until: {expires}\n\n"
              "After you sign in with it you will be asked to choose a new password: 8 to 20 "
              "half-width letters and digits (no symbols).\n"
              "Temporary passwords sent before this mail no longer work.\n\n{brand_en}\n"};
    case mail_kind::portal_code:
      return {"{portal_name} アカウントの電子メール確認コード",
              "{email} 様\n\n"
              "アクセス要求の確認コードです。\n\n"
              "確認コード: {code}\n\n"
              "このコードの有効期限は {minutes} 分です。以前にお送りしたコードは使用できません。\n"
              "お心当たりのない場合は、このメールを破棄してください。\n\n{portal_name}\n",
              "{portal_name} account email verification code",
              "Dear customer ({email}),\n\n"
              "Here is the verification code for your access request.\n\n"
              "Verification code: {code}\n\n"
              "The code is valid for {minutes} minutes. Codes sent earlier no longer work.\n"
              "If you did not ask for it, please ignore this mail.\n\n{portal_name}\n"};
    case mail_kind::portal_not_eligible:
      return {"{portal_name} アカウントの電子メール確認コード",
              "{email} 様\n\n"
              "カスタマーポータルのアクセス要求を受け付けましたが、確認コードをお送りできません。\n"
              "カスタマーポータルのご登録には、eService への一度以上のログインが必要です。\n"
              "eService にログインしてから、もう一度お試しください: {url}\n\n{portal_name}\n",
              "{portal_name} account email verification code",
              "Dear customer ({email}),\n\n"
              "We received an access request for the customer portal but cannot send a code yet:\n"
              "the customer portal needs an eService account that has signed in at least once.\n"
              "Please sign in to eService first, then try again: {url}\n\n{portal_name}\n"};
    case mail_kind::sales_request:
      return {
          "【{brand_ja}】カスタマーポータル アクセス要求: {company}",
          "カスタマーポータルのアクセス要求がありました。24～48 時間以内にご連絡ください。\n\n"
          "会社名: {company}\n氏名: {name}\nメール: {email}\n携帯電話: {mobile}\n顧客 ID: "
          "{customer}\n",
          "[{brand_en}] Customer portal access request: {company}",
          "A customer asked for customer portal access. Please contact them within 24-48 hours.\n\n"
          "Company: {company}\nName: {name}\nE-mail: {email}\nMobile: {mobile}\nCustomer: "
          "{customer}\n"};
  }
  return {"", "", "", ""};
}

}  // namespace

queued_mail compose(mail_kind kind, const std::string& language, const settings& config,
                    const std::string& recipient,
                    const std::map<std::string, std::string>& values) {
  auto all = values;
  all.emplace("brand_ja", config.brand_ja);
  all.emplace("brand_en", config.brand_en);
  all.emplace("portal_name", config.portal_name);
  all.emplace("email", recipient);
  const auto t = template_for(kind);
  const bool ja = language != "en";
  const bool portal = kind == mail_kind::portal_code || kind == mail_kind::portal_not_eligible;
  queued_mail m;
  m.kind = std::string(to_string(kind));
  m.sender =
      portal && !config.smtp.portal_from.empty() ? config.smtp.portal_from : config.smtp.from;
  m.recipient = recipient;
  m.subject = fill(ja ? t.subject_ja : t.subject_en, all);
  m.body = fill(ja ? t.body_ja : t.body_en, all);
  return m;
}

std::string mime_message(const queued_mail& mail, std::int64_t date_ms,
                         const std::string& message_id) {
  std::string out;
  out += "Date: " + rfc5322_date(date_ms) + "\r\n";
  out += "From: " + mail.sender + "\r\n";
  out += "To: " + mail.recipient + "\r\n";
  out += "Message-ID: <" + message_id + ">\r\n";
  out += "Subject: " + encode_header(mail.subject) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "\r\n";
  const auto body = base64(mail.body);
  for (std::size_t i = 0; i < body.size(); i += 76) out += body.substr(i, 76) + "\r\n";
  return out;
}

namespace {

class curl_transport final : public mail_transport {
 public:
  explicit curl_transport(const smtp_settings& smtp) : smtp_(smtp) {
    // Once per process; a failure shows in every send as curl_easy_init failing.
    static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
    (void)global;
  }

  common::status send(const std::string& from, const std::string& to,
                      const std::string& message) override {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) return common::fail(common::errc::internal, "curl_easy_init failed");
    struct reader_state {
      std::string_view rest;
    } state{message};
    auto read = +[](char* buffer, std::size_t size, std::size_t count, void* user) -> std::size_t {
      auto* s = static_cast<reader_state*>(user);
      const auto n = std::min(size * count, s->rest.size());
      std::copy_n(s->rest.data(), n, buffer);
      s->rest.remove_prefix(n);
      return n;
    };
    curl_slist* recipients = curl_slist_append(nullptr, ("<" + to + ">").c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(recipients,
                                                                     &curl_slist_free_all);
    const std::string mail_from = "<" + from + ">";
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, smtp_.url.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read);
    curl_easy_setopt(c, CURLOPT_READDATA, &state);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(smtp_.timeout_s));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(std::min(smtp_.timeout_s, 10)));
    if (smtp_.require_tls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!smtp_.username.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, smtp_.username.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, smtp_.password.c_str());
    }
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
      return common::fail(common::errc::unavailable,
                          std::string("smtp: ") + curl_easy_strerror(rc));
    return {};
  }

 private:
  smtp_settings smtp_;
};

}  // namespace

std::unique_ptr<mail_transport> make_smtp_transport(const smtp_settings& smtp) {
  return std::make_unique<curl_transport>(smtp);
}

mail_sender::mail_sender(sqlite::database db, const smtp_settings& smtp,
                         std::shared_ptr<common::clock> clock,
                         std::unique_ptr<mail_transport> transport)
    : db_(std::move(db)), smtp_(smtp), clock_(std::move(clock)), transport_(std::move(transport)) {}

mail_sender::~mail_sender() { stop(); }

common::result<std::unique_ptr<mail_sender>> mail_sender::open(
    const std::string& store_path, const smtp_settings& smtp, std::shared_ptr<common::clock> clock,
    std::unique_ptr<mail_transport> transport) {
  auto db = sqlite::database::open(store_path, {.sync = sqlite::durability::full});
  if (!db) return std::unexpected(db.error());
  if (auto st = migrate_accounts(*db); !st) return std::unexpected(st.error());
  if (!transport) transport = make_smtp_transport(smtp);
  return std::unique_ptr<mail_sender>(
      new mail_sender(std::move(*db), smtp, std::move(clock), std::move(transport)));
}

common::result<std::size_t> mail_sender::send_due() {
  const auto now = clock_->wall_ms();
  struct due_mail {
    std::int64_t id;
    std::int64_t attempts;
    queued_mail mail;
  };
  std::vector<due_mail> due;
  {
    auto s = db_.prepare(
        "SELECT mail_id, attempts, kind, sender, recipient, subject, body FROM mail_outbox "
        "WHERE sent_ms IS NULL AND failed_ms IS NULL AND next_attempt_ms <= ?1 ORDER BY mail_id "
        "LIMIT 50");
    if (!s) return std::unexpected(s.error());
    s->bind(1, now);
    while (true) {
      auto row = s->step();
      if (!row) return std::unexpected(row.error());
      if (*row == sqlite::step_result::done) break;
      due.push_back({s->column_int(0),
                     s->column_int(1),
                     {s->column_text(2), s->column_text(3), s->column_text(4), s->column_text(5),
                      s->column_text(6)}});
    }
  }
  std::size_t sent = 0;
  for (const auto& d : due) {
    // Claim the mail for this attempt (another process may send from the same outbox).
    const auto lease = now + static_cast<std::int64_t>(smtp_.timeout_s) * 2000;
    auto claim = db_.prepare(
        "UPDATE mail_outbox SET next_attempt_ms = ?2 WHERE mail_id = ?1 AND next_attempt_ms <= ?3 "
        "AND sent_ms IS NULL AND failed_ms IS NULL");
    if (!claim) return std::unexpected(claim.error());
    if (auto st = claim->bind(1, d.id).bind(2, lease).bind(3, now).run(); !st)
      return std::unexpected(st.error());
    if (db_.changes() == 0) continue;
    const auto message = mime_message(d.mail, now, common::crypto::random_uuid() + "@hoistway");
    const auto result = transport_->send(d.mail.sender, d.mail.recipient, message);
    const auto done = clock_->wall_ms();
    if (result) {
      // The body may hold a temporary password or a code: it is erased once delivered.
      auto s = db_.prepare(
          "UPDATE mail_outbox SET sent_ms = ?2, attempts = attempts + 1, body = '' WHERE mail_id = "
          "?1");
      if (!s) return std::unexpected(s.error());
      if (auto st = s->bind(1, d.id).bind(2, done).run(); !st) return std::unexpected(st.error());
      // The mail is out and marked sent; a lost audit row is worth a log line, not a resend.
      if (auto st = audit(db_, done, "mail_sent", d.mail.recipient, "", d.mail.kind); !st) {
        spdlog::warn("accounts: audit of mail {}: {}", d.id, st.error().message);
      }
      ++sent;
      continue;
    }
    const auto attempts = d.attempts + 1;
    const bool give_up = attempts >= smtp_.max_attempts;
    std::int64_t backoff = static_cast<std::int64_t>(smtp_.backoff_initial_s) * 1000;
    for (std::int64_t i = 1;
         i < attempts && backoff < static_cast<std::int64_t>(smtp_.backoff_max_s) * 1000; ++i) {
      backoff *= 2;
    }
    backoff = std::min(backoff, static_cast<std::int64_t>(smtp_.backoff_max_s) * 1000);
    spdlog::warn("accounts: mail {} to {} failed (attempt {}): {}", d.id, d.mail.recipient,
                 attempts, result.error().message);
    auto s = db_.prepare(
        "UPDATE mail_outbox SET attempts = ?2, next_attempt_ms = ?3, last_error = ?4, failed_ms = "
        "?5, "
        "body = CASE WHEN ?5 IS NULL THEN body ELSE '' END WHERE mail_id = ?1");
    if (!s) return std::unexpected(s.error());
    s->bind(1, d.id).bind(2, attempts).bind(3, done + backoff).bind(4, result.error().message);
    if (give_up) {
      s->bind(5, done);
    } else {
      s->bind_null(5);
    }
    if (auto st = s->run(); !st) return std::unexpected(st.error());
    if (give_up) {
      if (auto st = audit(db_, done, "mail_failed", d.mail.recipient, "",
                          d.mail.kind + ": " + result.error().message);
          !st) {
        spdlog::warn("accounts: audit of mail {}: {}", d.id, st.error().message);
      }
    }
  }
  return sent;
}

void mail_sender::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void mail_sender::stop() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void mail_sender::wake() {
  {
    std::lock_guard guard(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

void mail_sender::run() {
  while (true) {
    try {
      if (auto n = send_due(); !n) spdlog::warn("accounts: mail outbox: {}", n.error().message);
    } catch (const std::exception& e) {
      spdlog::error("accounts: mail sender: {}", e.what());
    }
    std::unique_lock guard(mutex_);
    cv_.wait_for(guard, std::chrono::milliseconds(smtp_.poll_interval_ms),
                 [this] { return stopping_ || woken_; });
    woken_ = false;
    if (stopping_) return;
  }
}

}  // namespace hoistway::cloud::accounts

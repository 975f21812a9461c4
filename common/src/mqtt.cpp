// Paho MQTT C++ behind hoistway::common::mqtt::link.
//
// Reconnection is ours, not Paho's: Paho's automatic reconnect has whole-second intervals and no
// jitter, and a fleet that lost its broker must not come back in lock-step. One small thread
// waits out the backoff and starts the next attempt.
#include "hoistway/common/mqtt.hpp"

#include <mqtt/async_client.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

namespace hoistway::common::mqtt {
namespace {

class paho_link final : public link, private ::mqtt::callback {
 public:
  explicit paho_link(const options& opts)
      : opts_(opts),
        client_(opts.server_uri, opts.client_id,
                ::mqtt::create_options(MQTTVERSION_3_1_1, opts.max_buffered)) {
    client_.set_callback(*this);
    ::mqtt::connect_options_builder builder;
    builder.clean_session(opts.session_kind == session::clean)
        .keep_alive_interval(opts.keep_alive)
        .max_inflight(opts.max_inflight)
        .automatic_reconnect(false)
        .connect_timeout(std::chrono::seconds(5));
    if (!opts.username.empty()) builder.user_name(opts.username);
    if (!opts.password.empty()) builder.password(opts.password);
    if (opts.will) {
      builder.will(::mqtt::message(opts.will->topic, opts.will->payload,
                                   static_cast<int>(opts.will->level),
                                   opts.will->retained == retain::yes));
    }
    if (opts.tls) {
      ::mqtt::ssl_options ssl;
      ssl.set_trust_store(opts.tls->ca_file);
      if (!opts.tls->cert_file.empty()) ssl.set_key_store(opts.tls->cert_file);
      if (!opts.tls->key_file.empty()) ssl.set_private_key(opts.tls->key_file);
      ssl.set_enable_server_cert_auth(opts.tls->verify_server);
      ssl.set_verify(opts.tls->verify_server);
      builder.ssl(std::move(ssl));
    }
    connect_options_ = builder.finalize();
  }

  paho_link(const paho_link&) = delete;
  paho_link& operator=(const paho_link&) = delete;

  ~paho_link() override { disconnect(std::chrono::milliseconds(0)); }

  void on_message(message_handler handler) override { message_handler_ = std::move(handler); }
  void on_connection(connection_handler handler) override {
    connection_handler_ = std::move(handler);
  }
  void set_subscriptions(std::vector<subscription> subs) override {
    std::lock_guard lock(mutex_);
    subscriptions_ = std::move(subs);
  }

  status connect() override {
    {
      std::lock_guard lock(mutex_);
      if (started_) return {};
      started_ = true;
    }
    reconnector_ = std::thread([this] { reconnect_loop(); });
    request_attempt(std::chrono::milliseconds(0));
    return {};
  }

  bool connected() const override { return connected_.load(); }

  status publish(const std::string& topic, std::span<const std::uint8_t> payload, qos level,
                 retain retained) override {
    try {
      auto msg = ::mqtt::make_message(topic, payload.data(), payload.size(),
                                      static_cast<int>(level), retained == retain::yes);
      client_.publish(msg);
      return {};
    } catch (const ::mqtt::exception& e) {
      return fail(errc::unavailable, std::string("publish: ") + e.what());
    }
  }

  void disconnect(std::chrono::milliseconds timeout) override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (reconnector_.joinable()) reconnector_.join();
    try {
      if (client_.is_connected()) {
        client_.disconnect(static_cast<int>(timeout.count()))
            ->wait_for(timeout + std::chrono::seconds(1));
      }
    } catch (const ::mqtt::exception&) {
      // Already gone: nothing left to flush.
    }
    try {
      client_.disable_callbacks();
    } catch (const ::mqtt::exception&) {
      // Paho throws (-1) when the connection was already lost; there is nothing to disable.
    }
    connected_ = false;
  }

 private:
  // ---- ::mqtt::callback (Paho's thread) ------------------------------------------------------
  void connected(const std::string& /*cause*/) override {
    connected_ = true;
    {
      std::lock_guard lock(mutex_);
      attempt_ = 0;
    }
    std::vector<subscription> subs;
    {
      std::lock_guard lock(mutex_);
      subs = subscriptions_;
    }
    for (const auto& sub : subs) {
      try {
        client_.subscribe(sub.filter, static_cast<int>(sub.level));
      } catch (const ::mqtt::exception&) {
        // The connection dropped again; connection_lost schedules the next attempt.
      }
    }
    if (connection_handler_) connection_handler_(true, {});
  }

  void connection_lost(const std::string& cause) override {
    connected_ = false;
    if (connection_handler_) connection_handler_(false, cause.empty() ? "connection lost" : cause);
    schedule_retry();
  }

  void message_arrived(::mqtt::const_message_ptr msg) override {
    if (!message_handler_) return;
    const auto& bytes = msg->get_payload_ref();
    // One memcpy: the char → uint8_t range constructor copies byte by byte.
    message m{msg->get_topic(), std::vector<std::uint8_t>(bytes.size())};
    if (!bytes.empty()) std::memcpy(m.payload.data(), bytes.data(), bytes.size());
    message_handler_(std::move(m));
  }

  // ---- reconnection --------------------------------------------------------------------------
  // Exponential backoff with "equal jitter": half fixed, half random. Caller holds mutex_.
  std::chrono::milliseconds next_backoff_locked() {
    const int n = std::min(attempt_++, 16);
    const auto ceiling =
        std::min<std::int64_t>(opts_.reconnect_max.count(), opts_.reconnect_min.count() << n);
    std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(ceiling / 2, 1));
    return std::chrono::milliseconds(ceiling / 2 + jitter(rng_));
  }

  void request_attempt(std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    next_attempt_ = std::chrono::steady_clock::now() + delay;
    attempt_pending_ = true;
    wake_.notify_all();
  }

  void schedule_retry() {
    std::lock_guard lock(mutex_);
    next_attempt_ = std::chrono::steady_clock::now() + next_backoff_locked();
    attempt_pending_ = true;
    wake_.notify_all();
  }

  void reconnect_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (!attempt_pending_) {
        wake_.wait(lock, [this] { return stopping_ || attempt_pending_; });
        continue;
      }
      if (wake_.wait_until(lock, next_attempt_, [this] { return stopping_; })) break;
      if (std::chrono::steady_clock::now() < next_attempt_) continue;
      attempt_pending_ = false;
      lock.unlock();
      try_connect();
      lock.lock();
    }
  }

  void try_connect() {
    try {
      auto options = connect_options_;
      if (opts_.will_for_connect) {
        const auto will = opts_.will_for_connect();
        options.set_will_message(::mqtt::message(
            will.topic, will.payload, static_cast<int>(will.level), will.retained == retain::yes));
      }
      auto token = client_.connect(options);
      if (!token->wait_for(std::chrono::seconds(10)) || !client_.is_connected()) {
        if (!connected_.load()) {
          if (connection_handler_) connection_handler_(false, "connect attempt failed");
          schedule_retry();
        }
      }
    } catch (const ::mqtt::exception& e) {
      if (connection_handler_) connection_handler_(false, e.what());
      schedule_retry();
    }
  }

  options opts_;
  ::mqtt::async_client client_;
  ::mqtt::connect_options connect_options_;
  message_handler message_handler_;
  connection_handler connection_handler_;
  std::atomic<bool> connected_{false};

  std::mutex mutex_;
  std::condition_variable wake_;
  int attempt_ = 0;                              // guarded by mutex_
  std::mt19937_64 rng_{std::random_device{}()};  // guarded by mutex_
  std::vector<subscription> subscriptions_;
  std::chrono::steady_clock::time_point next_attempt_{};
  bool attempt_pending_ = false;
  bool started_ = false;
  bool stopping_ = false;
  std::thread reconnector_;
};

}  // namespace

result<std::unique_ptr<link>> link::create(const options& opts) {
  if (opts.client_id.empty()) return fail(errc::invalid_argument, "mqtt client_id is empty");
  try {
    return std::unique_ptr<link>(std::make_unique<paho_link>(opts));
  } catch (const ::mqtt::exception& e) {
    return fail(errc::invalid_argument, std::string("mqtt: ") + e.what());
  }
}

}  // namespace hoistway::common::mqtt

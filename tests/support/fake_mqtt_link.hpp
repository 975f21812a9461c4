// An MQTT link with no broker, for tests that drive the agent's whole loop: it records what is
// published, and the test connects, drops and delivers messages as Paho's thread would.
// Thread-safety: every method may be called from any thread (the agent's and the test's); the
// handlers are called on the caller's thread, as Paho calls them on its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hoistway/common/mqtt.hpp"

namespace hoistway::testing {

// What the test sees of a fake link; shared between the link (owned by the agent) and the test.
class fake_broker {
 public:
  struct published {
    std::string topic;
    std::vector<std::uint8_t> payload;
  };

  // Whether the next connect() succeeds; while false, connect() fails as Paho's would.
  void refuse_connect(bool refuse) {
    std::lock_guard lock(mutex_);
    refuse_connect_ = refuse;
  }
  // Whether publish() fails (errc::unavailable), as when Paho's buffer is full.
  void fail_publish(bool fail) {
    std::lock_guard lock(mutex_);
    fail_publish_ = fail;
  }

  // The connection comes up (again) or goes down: calls the agent's connection handler.
  void connect_up() { notify_connection(true, ""); }
  void drop(const std::string& cause = "test: connection lost") { notify_connection(false, cause); }
  // Delivers a message to the agent, as a subscription would.
  void deliver(std::string topic, std::vector<std::uint8_t> payload) {
    common::mqtt::link::message_handler handler;
    {
      std::lock_guard lock(mutex_);
      handler = on_message_;
    }
    if (handler) handler({std::move(topic), std::move(payload)});
  }

  std::vector<published> messages() const {
    std::lock_guard lock(mutex_);
    return published_;
  }
  std::vector<published> messages_on(const std::string& topic) const {
    std::vector<published> out;
    for (auto& m : messages()) {
      if (m.topic == topic) out.push_back(std::move(m));
    }
    return out;
  }
  bool disconnected() const {
    std::lock_guard lock(mutex_);
    return disconnected_;
  }
  std::vector<common::mqtt::subscription> subscriptions() const {
    std::lock_guard lock(mutex_);
    return subscriptions_;
  }

  // Waits (up to `limit`, a bound for a broken test, not a speed check) until `done()` holds;
  // rechecked after every publish and at least every 10 ms.
  bool wait_for(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(20)) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  friend class fake_mqtt_link;

  void notify_connection(bool up, const std::string& cause) {
    common::mqtt::link::connection_handler handler;
    {
      std::lock_guard lock(mutex_);
      connected_ = up;
      handler = on_connection_;
    }
    if (handler) handler(up, cause);
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<published> published_;
  std::vector<common::mqtt::subscription> subscriptions_;
  common::mqtt::link::message_handler on_message_;
  common::mqtt::link::connection_handler on_connection_;
  bool connected_ = false;
  bool disconnected_ = false;
  bool refuse_connect_ = false;
  bool fail_publish_ = false;
};

class fake_mqtt_link final : public common::mqtt::link {
 public:
  explicit fake_mqtt_link(std::shared_ptr<fake_broker> broker) : broker_(std::move(broker)) {}

  void on_message(message_handler handler) override {
    std::lock_guard lock(broker_->mutex_);
    broker_->on_message_ = std::move(handler);
  }
  void on_connection(connection_handler handler) override {
    std::lock_guard lock(broker_->mutex_);
    broker_->on_connection_ = std::move(handler);
  }
  void set_subscriptions(std::vector<common::mqtt::subscription> subs) override {
    std::lock_guard lock(broker_->mutex_);
    broker_->subscriptions_ = std::move(subs);
  }
  // Connects at once (the handler runs on the caller's thread, and the agent posts it).
  common::status connect() override {
    {
      std::lock_guard lock(broker_->mutex_);
      if (broker_->refuse_connect_) {
        return common::fail(common::errc::unavailable, "fake broker refuses connections");
      }
    }
    broker_->connect_up();
    return {};
  }
  bool connected() const override {
    std::lock_guard lock(broker_->mutex_);
    return broker_->connected_;
  }
  common::status publish(const std::string& topic, std::span<const std::uint8_t> payload,
                         common::mqtt::qos, common::mqtt::retain) override {
    std::lock_guard lock(broker_->mutex_);
    if (broker_->fail_publish_ || !broker_->connected_) {
      return common::fail(common::errc::unavailable, "fake broker: not now");
    }
    broker_->published_.push_back({topic, {payload.begin(), payload.end()}});
    broker_->changed_.notify_all();
    return {};
  }
  void disconnect(std::chrono::milliseconds) override {
    std::lock_guard lock(broker_->mutex_);
    broker_->connected_ = false;
    broker_->disconnected_ = true;
    broker_->on_message_ = nullptr;
    broker_->on_connection_ = nullptr;
  }

 private:
  std::shared_ptr<fake_broker> broker_;
};

}  // namespace hoistway::testing

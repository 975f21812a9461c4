// A broker link for unit tests (common::mqtt::link): what the code under test publishes is kept
// in a broker_side the test holds; the test delivers messages through it, on its own thread, as
// Paho would on its. publish() can be made to fail, as Paho's does with the broker away.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hoistway/common/mqtt.hpp"

namespace hoistway::testing {

namespace mqtt = hoistway::common::mqtt;

// What the ingest sent and what the test delivers, shared between the test and the link the
// ingest owns.
struct broker_side {
  std::mutex mutex;
  mqtt::link::message_handler deliver;
  std::vector<mqtt::subscription> subscriptions;
  std::vector<mqtt::message> published;
  bool connected = false;
  bool refuse_publish = false;  // publish() fails (errc::unavailable), as with the broker away

  std::vector<mqtt::message> sent() {
    std::lock_guard lock(mutex);
    return published;
  }
};

// The broker link as the ingest sees it: what it publishes is kept; messages come from the test
// (on the test's thread, as they would on Paho's).
class fake_link final : public mqtt::link {
 public:
  explicit fake_link(std::shared_ptr<broker_side> side) : side_(std::move(side)) {}
  void on_message(message_handler handler) override {
    std::lock_guard lock(side_->mutex);
    side_->deliver = std::move(handler);
  }
  void on_connection(connection_handler) override {}
  void set_subscriptions(std::vector<mqtt::subscription> subs) override {
    std::lock_guard lock(side_->mutex);
    side_->subscriptions = std::move(subs);
  }
  hoistway::common::status connect() override {
    std::lock_guard lock(side_->mutex);
    side_->connected = true;
    return {};
  }
  bool connected() const override {
    std::lock_guard lock(side_->mutex);
    return side_->connected;
  }
  hoistway::common::status publish(const std::string& topic, std::span<const std::uint8_t> payload,
                                   mqtt::qos, mqtt::retain) override {
    std::lock_guard lock(side_->mutex);
    if (side_->refuse_publish) {
      return hoistway::common::fail(hoistway::common::errc::unavailable, "broker away");
    }
    side_->published.push_back({topic, {payload.begin(), payload.end()}});
    return {};
  }
  void disconnect(std::chrono::milliseconds) override {
    std::lock_guard lock(side_->mutex);
    side_->connected = false;
    side_->deliver = nullptr;
  }

 private:
  std::shared_ptr<broker_side> side_;
};

}  // namespace hoistway::testing

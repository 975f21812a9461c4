// The MQTT link: the only module that uses Paho MQTT C++. Edge and cloud both speak MQTT through
// it; Paho's exceptions end here and become transport errors.
// Thread-safety: all methods may be called from any thread. Handlers run on Paho's callback
// thread, and the connection handler also on the link's reconnect thread (a failed connect
// attempt reports there), so it may run on both at once: handlers must only copy what they get
// and post it onto the owner's executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hoistway/common/result.hpp"

namespace hoistway::common::mqtt {

enum class qos : int { at_most_once = 0, at_least_once = 1 };
enum class retain { no, yes };
enum class session { clean, persistent };

struct last_will {
  std::string topic;
  std::string payload;
  qos level = qos::at_least_once;
  retain retained = retain::yes;
};

struct tls_options {
  std::string ca_file;    // server verification (required for TLS)
  std::string cert_file;  // optional client certificate
  std::string key_file;
  bool verify_server = true;
};

struct options {
  std::string server_uri = "tcp://127.0.0.1:1883";  // ssl://host:8883 for TLS
  std::string client_id;
  std::string username;
  std::string password;
  session session_kind = session::clean;
  std::chrono::seconds keep_alive{20};
  std::chrono::milliseconds reconnect_min{250};
  std::chrono::milliseconds reconnect_max{30'000};
  std::optional<last_will> will;
  // When set, called before every connect attempt (on the link's reconnect thread, so it must be
  // thread-safe); its will replaces `will` for that connect. The agent numbers its sessions so.
  std::function<last_will()> will_for_connect;
  std::optional<tls_options> tls;
  int max_inflight = 64;
  int max_buffered = 10'000;  // messages Paho may hold while disconnected
};

struct message {
  std::string topic;
  std::vector<std::uint8_t> payload;
};

struct subscription {
  std::string filter;
  qos level = qos::at_least_once;
};

class link {
 public:
  using message_handler = std::function<void(message)>;
  // connected == true after every (re)connect; false with a cause when the connection is lost.
  using connection_handler = std::function<void(bool connected, const std::string& cause)>;

  static result<std::unique_ptr<link>> create(const options& opts);
  virtual ~link() = default;

  // Set before connect(). The subscriptions are (re)made after every connect.
  virtual void on_message(message_handler handler) = 0;
  virtual void on_connection(connection_handler handler) = 0;
  virtual void set_subscriptions(std::vector<subscription> subs) = 0;

  // Starts connecting; reconnects automatically with exponential backoff. Returns once the first
  // attempt is under way, not when it succeeds.
  virtual status connect() = 0;
  virtual bool connected() const = 0;
  // Queues a publish. Fails (errc::unavailable) when Paho cannot take it now.
  virtual status publish(const std::string& topic, std::span<const std::uint8_t> payload, qos level,
                         retain retained) = 0;
  // Publishes queued messages for up to `timeout`, then disconnects; no more callbacks after it.
  virtual void disconnect(std::chrono::milliseconds timeout) = 0;
};

}  // namespace hoistway::common::mqtt

// The edge agent: samples the controller, derives records, commits them to the outbox, publishes
// signed frames and deletes what the cloud acknowledged as stored.
//
// Threading: one io_context thread owns everything (controller client, deriver, outbox, publish
// state). Paho's callback thread only posts acks and connection changes onto it.
#pragma once

#include <memory>

#include "hoistway/common/result.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/edge/agent_config.hpp"
#include "hoistway/edge/uplink/link_factory.hpp"

namespace hoistway::edge {

class agent {
 public:
  // Opens the outbox and prepares the MQTT link (made by `make_link`: Paho's unless a test gives
  // its own); connects nothing yet.
  static common::result<std::unique_ptr<agent>> create(
      agent_config config, std::shared_ptr<common::clock> clock,
      const link_factory& make_link = paho_link_factory());
  virtual ~agent() = default;
  // Runs until stop() or SIGINT/SIGTERM. Returns the process exit code.
  virtual int run() = 0;
  // Thread-safe.
  virtual void stop() = 0;
};

}  // namespace hoistway::edge

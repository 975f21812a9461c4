// How the agent gets its MQTT link: production makes Paho's (common::mqtt::link::create); a test
// gives one that records what is published and delivers what it is told, with no broker.
// Thread-safety: a factory is called once, on the thread that creates the agent.
#pragma once

#include <functional>
#include <memory>

#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/result.hpp"

namespace hoistway::edge {

using link_factory = std::function<common::result<std::unique_ptr<common::mqtt::link>>(
    const common::mqtt::options&)>;

// The real link, over Paho.
inline link_factory paho_link_factory() {
  return [](const common::mqtt::options& options) { return common::mqtt::link::create(options); };
}

}  // namespace hoistway::edge

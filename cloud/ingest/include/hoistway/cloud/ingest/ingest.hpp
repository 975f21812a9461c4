// The ingest pipeline: MQTT frames in → checked in order (size, identifier, envelope, device,
// MAC, payload, meaning) → stored idempotently in batched transactions → stored-ack published
// after the commit → the live view updated.
//
// Threading: Paho's callback thread checks each frame (verifier.hpp: envelope, device, MAC,
// payload, meaning; the device table read on a connection of its own) and queues it with its
// verdict (a bounded queue: when it is full, Paho waits, and the broker holds the rest), so the
// checks of the next frames overlap the storing of the previous ones. One writer thread owns the
// store's write connection and the coverage; nothing else writes the database.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "hoistway/cloud/ingest/ingest_config.hpp"
#include "hoistway/cloud/live/counters.hpp"
#include "hoistway/cloud/live/event_bus.hpp"
#include "hoistway/cloud/live/live_view.hpp"
#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/wire_codec.hpp"

namespace hoistway::cloud {

// Makes the ingest's link to the broker from the [mqtt] options. The server's is Paho's
// (common::mqtt::link::create); a test hands in a link of its own that it drives by hand.
using mqtt_link_factory = std::function<common::result<std::unique_ptr<common::mqtt::link>>(
    const common::mqtt::options&)>;

class ingest {
 public:
  // Opens the store (migrating it), provisions the configured devices, loads the view. The link
  // comes from `make_link` (null: Paho's). The writer decides by `clock` when acks are due and
  // devices offline; it gathers group commits and backs off a failing store in real time.
  static common::result<std::unique_ptr<ingest>> create(const ingest_config& config,
                                                        std::shared_ptr<live_view> view,
                                                        std::shared_ptr<event_bus> bus,
                                                        std::shared_ptr<common::clock> clock,
                                                        const mqtt_link_factory& make_link = {});
  virtual ~ingest() = default;

  // Connects to the broker and starts the writer thread.
  virtual common::status start() = 0;
  // Stops taking messages, finishes the queued ones, disconnects. Idempotent.
  virtual void stop() = 0;
  virtual const ingest_counters& counters() const = 0;
  virtual bool broker_connected() const = 0;
};

}  // namespace hoistway::cloud

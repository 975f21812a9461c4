// The agent's event loop.
#include "hoistway/edge/agent.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "hoistway/common/crypto.hpp"
#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/topics.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "hoistway/edge/controller_client.hpp"
#include "hoistway/edge/deriver.hpp"
#include "hoistway/edge/outbox.hpp"

namespace hoistway::edge {
namespace {

namespace asio = boost::asio;
using common::errc;

class agent_impl final : public agent {
 public:
  agent_impl(agent_config config, std::shared_ptr<common::clock> clock, outbox box,
             std::unique_ptr<common::mqtt::link> link, std::uint32_t boot)
      : config_(std::move(config)),
        clock_(std::move(clock)),
        box_(std::move(box)),
        link_(std::move(link)),
        controller_(config_.controller_socket),
        deriver_(config_.derive),
        boot_(boot),
        boot_id_(common::crypto::random_uuid()),
        sample_timer_(io_),
        signals_(io_, SIGINT, SIGTERM) {}

  int run() override {
    spdlog::info("agent {} boot {} ({}) starting; outbox holds {} records", config_.device_id,
                 boot_, boot_id_, box_.depth());
    link_->set_subscriptions(
        {{common::topics::ack(config_.device_id), common::mqtt::qos::at_least_once}});
    link_->on_message([this](common::mqtt::message m) {
      asio::post(io_, [this, m = std::move(m)] { on_message(m); });
    });
    link_->on_connection([this](bool up, const std::string& cause) {
      asio::post(io_, [this, up, cause] { on_connection(up, cause); });
    });
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (!ec) {
        spdlog::info("signal {}: stopping", signo);
        shutdown();
      }
    });
    if (auto st = link_->connect(); !st) {
      spdlog::error("mqtt: {}", st.error().message);
      return 69;  // EX_UNAVAILABLE
    }
    last_wall_ = clock_->wall_ms();
    last_mono_ = clock_->mono_ms();
    schedule_sample();
    io_.run();
    link_->disconnect(std::chrono::milliseconds(2000));
    spdlog::info("agent stopped; outbox holds {} records", box_.depth());
    return exit_code_;
  }

  void stop() override {
    asio::post(io_, [this] { shutdown(); });
  }

 private:
  void shutdown() {
    stopping_ = true;
    sample_timer_.cancel();
    signals_.cancel();
  }

  void schedule_sample() {
    if (stopping_) return;
    sample_timer_.expires_after(config_.sample_interval);
    sample_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      sample();
      check_ack_timeout();
      pump();
      schedule_sample();
    });
  }

  // One controller read → derived records → one durable commit.
  void sample() {
    const auto wall = clock_->wall_ms();
    const auto mono = clock_->mono_ms();
    std::vector<common::record> records;
    const auto jump = (wall - last_wall_) - (mono - last_mono_);
    if (std::abs(jump) > 1000) {
      spdlog::warn("wall clock jumped by {} ms", jump);
      records.push_back({0, 0, wall, mono, boot_, common::clock_jump{jump}});
    }
    last_wall_ = wall;
    last_mono_ = mono;

    auto state = controller_.read_state();
    if (!state) {
      if (controller_ok_) spdlog::warn("controller: {}", state.error().message);
      controller_ok_ = false;
      ++controller_errors_;
    } else {
      if (!controller_ok_)
        spdlog::info("controller {} ({}) reachable", state->controller_id, state->firmware);
      controller_ok_ = true;
      firmware_ = state->firmware;
      for (auto& d : deriver_.observe(*state, mono, wall)) {
        records.push_back({0, d.car, wall, mono, boot_, std::move(d.body)});
      }
    }
    if (records.empty()) return;
    if (auto st = box_.append(records); !st) {
      // The outbox is the agent's promise; without it we must not pretend to run.
      spdlog::critical("outbox append failed: {}", st.error().message);
      exit_code_ = 74;  // EX_IOERR
      shutdown();
    }
  }

  void on_connection(bool up, const std::string& cause) {
    if (!up) {
      if (connected_) spdlog::warn("mqtt disconnected: {}", cause);
      connected_ = false;
      return;
    }
    spdlog::info("mqtt connected to {}", config_.mqtt.server_uri);
    connected_ = true;
    // Everything not yet acknowledged goes again, in order.
    sent_through_ = box_.acked_through();
    last_ack_progress_mono_ = clock_->mono_ms();
    publish_birth();
    pump();
  }

  void publish_birth() {
    const auto stats = box_.stats();
    nlohmann::json birth = {{"status", "online"},
                            {"agent_version", agent_version},
                            {"firmware", firmware_},
                            {"config_hash", config_.config_hash},
                            {"boot", boot_},
                            {"boot_id", boot_id_},
                            {"outbox_depth", stats.depth},
                            {"dropped_samples", stats.dropped_samples},
                            {"sent_at_ms", clock_->wall_ms()}};
    const auto text = birth.dump();
    (void)link_->publish(common::topics::state(config_.device_id), common::crypto::as_bytes(text),
                         common::mqtt::qos::at_least_once, common::mqtt::retain::yes);
  }

  void on_message(const common::mqtt::message& m) {
    if (m.topic != common::topics::ack(config_.device_id)) return;
    auto ack = common::wire::decode_ack(m.payload);
    if (!ack || ack->device_id != config_.device_id) {
      ++rejected_acks_;
      spdlog::warn("rejected a malformed or foreign ack ({} so far)", rejected_acks_);
      return;
    }
    if (ack->stored_through > box_.acked_through()) {
      if (auto st = box_.acknowledge(ack->stored_through); !st) {
        ++rejected_acks_;
        spdlog::warn("ack {}: {}", ack->stored_through, st.error().message);
        return;
      }
      last_ack_progress_mono_ = clock_->mono_ms();
      sent_through_ = std::max(sent_through_, box_.acked_through());
    }
    pump();
  }

  void check_ack_timeout() {
    if (!connected_ || sent_through_ <= box_.acked_through()) {
      last_ack_progress_mono_ = clock_->mono_ms();
      return;
    }
    if (clock_->mono_ms() - last_ack_progress_mono_ > config_.ack_timeout.count()) {
      spdlog::warn("no stored-ack for {} ms: resending from seq {}", config_.ack_timeout.count(),
                   box_.acked_through() + 1);
      sent_through_ = box_.acked_through();
      last_ack_progress_mono_ = clock_->mono_ms();
    }
  }

  // Publishes batches while the window allows.
  void pump() {
    while (connected_ && !stopping_) {
      const auto acked = box_.acked_through();
      const auto in_flight = sent_through_ - acked;
      if (in_flight >= config_.max_unacked_records) return;
      auto records = box_.read_after(std::max(sent_through_, acked), config_.max_batch_records);
      if (!records) {
        spdlog::error("outbox read failed: {}", records.error().message);
        return;
      }
      if (records->empty()) return;
      common::batch b;
      b.device_id = config_.device_id;
      b.boot = boot_;
      b.boot_id = boot_id_;
      b.sent_at_ms = clock_->wall_ms();
      b.outbox_floor = box_.floor();
      const auto first = records->front().seq;
      const auto previous = box_.previous_held(first);
      b.covers_from = previous ? *previous + 1 : std::min(first, acked + 1);
      const auto last = records->back().seq;
      b.records = std::move(*records);
      const auto frame = common::wire::encode_frame(b, config_.key_id, config_.key);
      if (auto st = link_->publish(common::topics::up(config_.device_id), frame,
                                   common::mqtt::qos::at_least_once, common::mqtt::retain::no);
          !st) {
        spdlog::warn("publish: {}", st.error().message);
        return;
      }
      sent_through_ = last;
    }
  }

  agent_config config_;
  std::shared_ptr<common::clock> clock_;
  outbox box_;
  std::unique_ptr<common::mqtt::link> link_;
  controller_client controller_;
  deriver deriver_;
  std::uint32_t boot_;
  std::string boot_id_;
  std::string firmware_;

  asio::io_context io_;
  asio::steady_timer sample_timer_;
  asio::signal_set signals_;

  bool stopping_ = false;
  bool connected_ = false;
  bool controller_ok_ = true;
  int exit_code_ = 0;
  std::uint64_t sent_through_ = 0;
  std::int64_t last_ack_progress_mono_ = 0;
  std::int64_t last_wall_ = 0;
  std::int64_t last_mono_ = 0;
  std::uint64_t controller_errors_ = 0;
  std::uint64_t rejected_acks_ = 0;
};

}  // namespace

common::result<std::unique_ptr<agent>> agent::create(agent_config config,
                                                     std::shared_ptr<common::clock> clock) {
  auto box = outbox::open({config.outbox_path, config.outbox_max_records});
  if (!box) return std::unexpected(box.error());
  auto boot = box->next_boot();
  if (!boot) return std::unexpected(boot.error());
  auto link = common::mqtt::link::create(config.mqtt);
  if (!link) return std::unexpected(link.error());
  return std::unique_ptr<agent>(std::make_unique<agent_impl>(
      std::move(config), std::move(clock), std::move(*box), std::move(*link), *boot));
}

}  // namespace hoistway::edge

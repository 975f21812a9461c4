// The agent's event loop: sampling, outbox, publishing, acks, the technician CLI and down-link
// commands, all on one io_context thread.
#include "hoistway/edge/agent.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <deque>
#include <expected>
#include <map>

#include "hoistway/common/crypto.hpp"
#include "hoistway/common/downlink.hpp"
#include "hoistway/common/exit_codes.hpp"
#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/presence.hpp"
#include "hoistway/common/topics.hpp"
#include "hoistway/common/version.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "hoistway/edge/cli/server.hpp"
#include "hoistway/edge/cli/views.hpp"
#include "hoistway/edge/command_handler.hpp"
#include "hoistway/edge/controller_client.hpp"
#include "hoistway/edge/deriver.hpp"
#include "hoistway/edge/flush_tracker.hpp"
#include "hoistway/edge/outbox.hpp"
#include "hoistway/edge/systemd.hpp"
#include "hoistway/edge/uplink/window.hpp"

namespace hoistway::edge {
namespace {

namespace asio = boost::asio;
namespace downlink = common::downlink;
using nlohmann::json;

using cli::dump;

class agent_impl final : public agent {
 public:
  agent_impl(agent_config config, std::shared_ptr<common::clock> clock, outbox box,
             std::unique_ptr<common::mqtt::link> link, std::uint32_t boot, std::string boot_id,
             std::shared_ptr<std::atomic<std::uint64_t>> session)
      : config_(std::move(config)),
        clock_(std::move(clock)),
        box_(std::move(box)),
        window_({config_.device_id, config_.key_id, config_.key},
                {config_.max_batch_records, config_.max_unacked_records, config_.ack_timeout},
                box_.acked_through(), clock_),
        link_(std::move(link)),
        controller_(config_.controller_socket),
        deriver_(config_.derive),
        boot_(boot),
        boot_id_(std::move(boot_id)),
        session_(std::move(session)),
        sample_interval_(config_.sample_interval),
        sample_timer_(io_),
        cli_retry_timer_(io_),
        progress_timer_(io_),
        signals_(io_, SIGINT, SIGTERM) {}

  int run() override {
    started_wall_ = clock_->wall_ms();
    commands_.emplace(
        command_handler::identity{
            config_.device_id, config_.key_id, config_.key,
            std::chrono::duration_cast<std::chrono::milliseconds>(config_.command_max_age),
            boot_id_},
        box_,
        command_handler::effects{
            [this] { return box_.depth(); }, [this] { deriver_.request_snapshot(); },
            [this](double hz) {
              sample_interval_ =
                  std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(1000.0 / hz)));
              return sample_hz();
            }},
        started_wall_);
    spdlog::info("agent {} boot {} ({}) starting; outbox holds {} records", config_.device_id,
                 boot_, boot_id_, box_.depth());
    // The CLI is the technician's window, not the agent's purpose: if its socket cannot be
    // made (a missing runtime directory, a stale path owned by someone else), the agent samples
    // and delivers all the same and tries again every 10 s.
    open_cli();

    link_->set_subscriptions(
        {{common::topics::ack(config_.device_id), common::mqtt::qos::at_least_once},
         {common::topics::cmd(config_.device_id), common::mqtt::qos::at_least_once}});
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
      return common::exit_code::unavailable;
    }
    last_wall_ = clock_->wall_ms();
    last_mono_ = clock_->mono_ms();
    watchdog_ = systemd::watchdog_interval();
    schedule_sample();
    systemd::notify("READY=1\nSTATUS=sampling " + config_.controller_socket);
    io_.run();
    reader_.join();  // a read in flight ends within the controller timeout
    systemd::notify("STOPPING=1");
    try {
      link_->disconnect(std::chrono::milliseconds(2000));
    } catch (const std::exception& e) {
      // Paho can refuse to drop its callbacks while a connect attempt is in flight; the outbox
      // is committed, so nothing is lost by leaving without a clean MQTT goodbye.
      spdlog::warn("mqtt: disconnect: {}", e.what());
    }
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
    cli_retry_timer_.cancel();
    progress_timer_.cancel();
    signals_.cancel();
    if (cli_) cli_->stop();
    followers_.clear();
    flushes_.clear();
  }

  // The sampling tick runs on the io_context; the controller read itself runs on `reader_`, so
  // a hung or slow controller never holds up hoistctl, acks or commands. A tick that finds the
  // previous read still in flight skips (counted as a late read).
  void open_cli() {
    if (stopping_ || cli_) return;
    auto server = cli_server::listen(
        io_, config_.cli_socket,
        [this](const cli::request& r, std::shared_ptr<cli_reply> reply) {
          on_cli(r, std::move(reply));
        },
        [this](cli::reject_reason r) { ++cli_rejected_[static_cast<std::size_t>(r)]; });
    if (!server) {
      if (cli_failures_++ == 0) {
        spdlog::error("cli: {}; running without the technician CLI, retrying every 10 s",
                      server.error().message);
      }
      cli_retry_timer_.expires_after(std::chrono::seconds(10));
      cli_retry_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) open_cli();
      });
      return;
    }
    cli_ = std::move(*server);
    spdlog::info("cli: serving {}", config_.cli_socket);
  }

  void schedule_sample() {
    if (stopping_) return;
    sample_timer_.expires_after(sample_interval_);
    sample_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      start_read();
      check_ack_timeout();
      pump();
      feed_watchdog();
      schedule_sample();
    });
  }

  void start_read() {
    if (read_in_flight_) {
      ++late_reads_;
      return;
    }
    read_in_flight_ = true;
    asio::post(reader_, [this] {
      auto state = controller_.read_state();
      asio::post(io_, [this, state = std::move(state)]() mutable {
        read_in_flight_ = false;
        if (!stopping_) sample(std::move(state));
      });
    });
  }

  void feed_watchdog() {
    if (!watchdog_) return;
    const auto now = clock_->mono_ms();
    const auto half = std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_).count() / 2;
    if (now - last_watchdog_mono_ >= half) {
      last_watchdog_mono_ = now;
      systemd::notify("WATCHDOG=1");
    }
  }

  // ---- sampling -----------------------------------------------------------------------------
  // One controller read → derived records → one durable commit.
  void sample(common::result<common::group_state> state) {
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

    if (!state) {
      if (controller_ok_) spdlog::warn("controller: {}", state.error().message);
      controller_ok_ = false;
      ++controller_errors_;
    } else {
      if (!controller_ok_ || last_read_wall_ == 0) {
        spdlog::info("controller {} ({}) reachable", state->controller_id, state->firmware);
      }
      controller_ok_ = true;
      last_read_wall_ = wall;
      for (auto& d : deriver_.observe(*state, mono, wall)) {
        records.push_back({0, d.car, wall, mono, boot_, std::move(d.body)});
      }
      group_ = std::move(*state);
    }
    commit(records);
  }

  // Commits records to the outbox (assigning their seqs) and shows the events to the CLI.
  bool commit(std::vector<common::record>& records) {
    if (records.empty()) {
      // Drops the cap made are reported with the next records; with none coming, on their own.
      if (box_.unreported_drops().dropped_samples > 0) {
        if (auto st = box_.report_drops(clock_->wall_ms(), clock_->mono_ms(), boot_); !st) {
          spdlog::error("outbox: reporting drops: {}", st.error().message);
        }
      }
      return true;
    }
    if (auto st = box_.append(records); !st) {
      // The outbox is the agent's promise; without it we must not pretend to run.
      spdlog::critical("outbox append failed: {}", st.error().message);
      exit_code_ = common::exit_code::io_error;
      shutdown();
      return false;
    }
    for (const auto& rec : records) {
      if (common::is_sample(rec.body)) continue;
      recent_.push_back(rec);
      while (recent_.size() > config_.cli_events_kept) recent_.pop_front();
      if (followers_.empty()) continue;
      const auto line = dump(json{{"event", cli::to_json(rec)}});
      std::erase_if(followers_, [](const auto& f) { return !f->open(); });
      for (auto& f : followers_) f->send(line);
    }
    return true;
  }

  // ---- MQTT -------------------------------------------------------------------------------------
  void on_connection(bool up, const std::string& cause) {
    if (!up) {
      if (window_.is_connected()) spdlog::warn("mqtt disconnected: {}", cause);
      window_.disconnected();
      return;
    }
    spdlog::info("mqtt connected to {}", config_.mqtt.server_uri);
    window_.connected();  // everything not yet acknowledged goes again, in order
    publish_birth();
    pump();
  }

  // The signed birth of this connect's session (the same (boot, session) as the will the link
  // registered for it: presence.hpp).
  void publish_birth() {
    const auto stats = box_.stats();
    const json details = {{"agent_version", common::version},
                          {"controller_id", group_.controller_id},
                          {"firmware", group_.firmware},
                          {"config_hash", config_.config_hash},
                          {"boot_id", boot_id_},
                          {"outbox_depth", stats.depth},
                          {"dropped_samples", stats.dropped_samples},
                          {"unreported_dropped", box_.unreported_drops().dropped_samples},
                          {"sample_hz", sample_hz()}};
    const common::presence::announcement birth{common::presence::status::online,
                                               config_.device_id,
                                               boot_,
                                               session_->load(),
                                               clock_->wall_ms(),
                                               {}};
    const auto message = common::presence::sign(birth, dump(details), config_.key_id, config_.key);
    if (auto st = link_->publish(common::topics::state(config_.device_id), message,
                                 common::mqtt::qos::at_least_once, common::mqtt::retain::yes);
        !st) {
      // The next connect publishes a new birth; the cloud sees the frames meanwhile.
      spdlog::warn("birth: {}", st.error().message);
    }
  }

  void on_message(const common::mqtt::message& m) {
    if (stopping_) return;
    if (m.topic == common::topics::cmd(config_.device_id)) {
      on_command(m);
      return;
    }
    if (m.topic != common::topics::ack(config_.device_id)) return;
    auto stored_through = window_.take_ack(m.payload);
    if (!stored_through) {
      spdlog::warn("rejected a stored-ack: {} ({} rejected so far)",
                   to_string(stored_through.error()), window_.acks_rejected_total());
      return;
    }
    if (*stored_through > box_.acked_through()) {
      if (auto st = box_.acknowledge(*stored_through); !st) {
        ++ack_failures_;
        spdlog::warn("ack {}: {}", *stored_through, st.error().message);
        return;
      }
      window_.acknowledged(box_.acked_through());
      report_flush_progress();
    }
    pump();
  }

  void check_ack_timeout() {
    if (window_.check_ack_timeout()) {
      spdlog::warn("no stored-ack for {} ms: resending from seq {}", config_.ack_timeout.count(),
                   window_.acked_through() + 1);
    }
  }

  // Publishes batches while the window allows.
  void pump() {
    while (!stopping_) {
      const auto next = window_.next_batch();
      if (!next) return;
      auto records = box_.read_after(next->after_seq, next->max_records);
      if (!records) {
        ++outbox_read_failures_;
        spdlog::error("outbox read failed: {}; publishing paused", records.error().message);
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
      if (!previous) {
        // Without it, covers_from would tell the cloud that records still held were dropped:
        // publish nothing until the outbox reads again (the next tick tries).
        ++outbox_read_failures_;
        spdlog::error("outbox read failed: {}; publishing paused", previous.error().message);
        return;
      }
      b.covers_from = window_.covers_from(first, *previous);
      const auto last = records->back().seq;
      b.records = std::move(*records);
      const auto frame = common::wire::encode_frame(b, config_.key_id, config_.key);
      if (auto st = link_->publish(common::topics::up(config_.device_id), frame,
                                   common::mqtt::qos::at_least_once, common::mqtt::retain::no);
          !st) {
        ++publish_failures_;
        spdlog::warn("publish: {}", st.error().message);
        return;
      }
      window_.sent(last);
    }
  }

  // ---- down-link commands
  // -------------------------------------------------------------------------
  void on_command(const common::mqtt::message& m) {
    const auto message = commands_->handle(m.payload, clock_->wall_ms());
    if (auto st = link_->publish(common::topics::cmd_result(config_.device_id), message,
                                 common::mqtt::qos::at_least_once, common::mqtt::retain::no);
        !st) {
      // The cloud marks the command unanswered after its window; the operator may send again.
      spdlog::warn("command result: {}", st.error().message);
    }
  }

  double sample_hz() const { return cli::sample_hz(sample_interval_); }

  // ---- technician CLI -------------------------------------------------------------------------
  void on_cli(const cli::request& r, std::shared_ptr<cli_reply> reply) {
    switch (r.cmd) {
      case cli::command::status:
        answer(reply, status_json());
        break;
      case cli::command::events:
        cli_events(r, reply);
        break;
      case cli::command::visit_start:
        cli_visit_start(r, reply);
        break;
      case cli::command::visit_end:
        cli_visit_end(reply);
        break;
      case cli::command::checklist:
        cli_checklist(r, reply);
        break;
      case cli::command::outbox:
        cli_outbox(reply);
        break;
      case cli::command::flush:
        cli_flush(reply);
        break;
      case cli::command::config_show:
        answer(reply, cli::config_view(config_, sample_hz()));
        break;
      case cli::command::ping:
        answer(reply, {{"ok", true}, {"pong", true}});
        break;
    }
  }

  static void answer(const std::shared_ptr<cli_reply>& reply, const json& j) {
    reply->send(dump(j));
    reply->done();
  }

  void refuse(const std::shared_ptr<cli_reply>& reply, cli::reject_reason reason,
              std::string detail) {
    ++cli_rejected_[static_cast<std::size_t>(reason)];
    spdlog::info("cli: refused: {} ({})", cli::to_string(reason), detail);
    reply->send(cli::encode_rejection({reason, std::move(detail)}));
    reply->done();
  }

  json status_json() {
    cli::controller_facts controller;
    controller.reachable = controller_ok_ && last_read_wall_ > 0;
    controller.last_read_wall_ms = last_read_wall_;
    controller.errors = controller_errors_;
    controller.late_reads = late_reads_;
    controller.group = &group_;
    for (const auto& c : group_.cars) controller.in_service.push_back(deriver_.in_service(c));
    cli::status_facts facts;
    facts.config = &config_;
    facts.agent_version = common::version;
    facts.boot = boot_;
    facts.boot_id = boot_id_;
    facts.now_wall_ms = clock_->wall_ms();
    facts.started_wall_ms = started_wall_;
    facts.sample_hz = sample_hz();
    facts.controller = std::move(controller);
    facts.uplink = &window_;
    facts.publish_failures = publish_failures_;
    facts.outbox_read_failures = outbox_read_failures_;
    facts.outbox = box_.stats();
    facts.visit = &box_.visit();
    if (commands_) {
      facts.commands_accepted = commands_->accepted();
      facts.commands_rejected = commands_->rejected();
    }
    facts.cli_rejected = cli_rejected_;
    return cli::status_view(facts);
  }

  void cli_events(const cli::request& r, const std::shared_ptr<cli_reply>& reply) {
    const auto since = r.since_ms.value_or(0);
    std::map<std::uint64_t, common::record> found;
    // The outbox holds what is not yet acknowledged (possibly from before this boot); the ring
    // holds what this boot committed, acknowledged or not.
    auto held = box_.read_events_since(since, cli::max_events_limit);
    if (held) {
      for (auto& rec : *held) found.emplace(rec.seq, std::move(rec));
    }
    for (const auto& rec : recent_) {
      if (rec.wall_ms >= since) found.emplace(rec.seq, rec);
    }
    json events = json::array();
    auto it = found.begin();
    if (found.size() > r.limit)
      std::advance(it, static_cast<std::ptrdiff_t>(found.size() - r.limit));
    for (; it != found.end(); ++it) events.push_back(cli::to_json(it->second));
    reply->send(dump(json{{"ok", true}, {"events", events}, {"follow", r.follow}}));
    if (r.follow) {
      followers_.push_back(reply);  // done() never: the stream lasts until the client leaves
    } else {
      reply->done();
    }
  }

  common::record new_record(common::record_body body, std::uint8_t car) {
    return {0, car, clock_->wall_ms(), clock_->mono_ms(), boot_, std::move(body)};
  }

  void cli_visit_start(const cli::request& r, const std::shared_ptr<cli_reply>& reply) {
    if (const auto& v = box_.visit()) {
      refuse(reply, cli::reject_reason::conflict,
             "visit " + v->visit_id + " by " + v->technician + " is open since " +
                 common::format_rfc3339(v->started_wall_ms) +
                 ": end it first (hoistctl visit end)");
      return;
    }
    // The controller's cars as last read; before the first read (the controller link down), any
    // car is taken: the technician's record must not wait for the controller.
    if (!group_.cars.empty() &&
        std::ranges::none_of(group_.cars, [&](const auto& c) { return c.car == r.car; })) {
      std::string cars;
      for (const auto& c : group_.cars) cars += (cars.empty() ? "" : ", ") + std::to_string(c.car);
      refuse(reply, cli::reject_reason::bad_argument,
             "no car " + std::to_string(r.car) + " on this controller (its cars: " + cars + ")");
      return;
    }
    const auto visit_id = common::crypto::random_uuid();
    std::vector<common::record> records{
        new_record(common::technician_visit{true, visit_id, r.technician}, r.car)};
    if (!commit(records)) {
      refuse(reply, cli::reject_reason::internal, "the outbox failed; see the agent's log");
      return;
    }
    spdlog::info("technician {} on site (visit {})", r.technician, visit_id);
    answer(reply, {{"ok", true},
                   {"visit_id", visit_id},
                   {"technician", r.technician},
                   {"car", r.car},
                   {"seq", records[0].seq}});
  }

  void cli_visit_end(const std::shared_ptr<cli_reply>& reply) {
    const auto v = box_.visit();
    if (!v) {
      refuse(reply, cli::reject_reason::conflict, "no visit is open");
      return;
    }
    std::vector<common::record> records{
        new_record(common::technician_visit{false, v->visit_id, v->technician}, v->car)};
    if (!commit(records)) {
      refuse(reply, cli::reject_reason::internal, "the outbox failed; see the agent's log");
      return;
    }
    spdlog::info("technician {} left (visit {})", v->technician, v->visit_id);
    answer(reply, {{"ok", true},
                   {"visit_id", v->visit_id},
                   {"technician", v->technician},
                   {"duration_s", (records[0].wall_ms - v->started_wall_ms) / 1000},
                   {"seq", records[0].seq}});
  }

  void cli_checklist(const cli::request& r, const std::shared_ptr<cli_reply>& reply) {
    const auto& v = box_.visit();
    if (!v) {
      refuse(reply, cli::reject_reason::conflict,
             "no visit is open: start one first (hoistctl visit start --technician ID)");
      return;
    }
    std::vector<common::record> records{
        new_record(common::checklist_item{v->visit_id, r.item, r.ok, r.note}, v->car)};
    const auto visit_id = v->visit_id;
    if (!commit(records)) {
      refuse(reply, cli::reject_reason::internal, "the outbox failed; see the agent's log");
      return;
    }
    answer(reply, {{"ok", true},
                   {"visit_id", visit_id},
                   {"item", r.item},
                   {"result", r.ok ? "ok" : "ng"},
                   {"seq", records[0].seq}});
  }

  void cli_outbox(const std::shared_ptr<cli_reply>& reply) {
    auto by_kind = box_.depth_by_kind();
    answer(reply, cli::outbox_view(box_.stats(), config_.outbox_max_records,
                                   by_kind ? *by_kind : decltype(by_kind)::value_type{},
                                   box_.unreported_drops().dropped_samples, clock_->wall_ms()));
  }

  // Flush: done when the cloud has acknowledged everything committed before the request.
  void cli_flush(const std::shared_ptr<cli_reply>& reply) {
    const auto target = box_.stats().next_seq - 1;
    flushes_.add(reply, box_.acked_through(), target);
    report_flush_progress();
    pump();
    if (!flushes_.empty()) schedule_progress();
  }

  void schedule_progress() {
    progress_timer_.expires_after(std::chrono::milliseconds(250));
    progress_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      report_flush_progress();
      if (!flushes_.empty()) schedule_progress();
    });
  }

  void report_flush_progress() {
    if (flushes_.empty()) return;
    flushes_.report(box_.acked_through(), box_.depth(), window_.is_connected());
  }

  agent_config config_;
  std::shared_ptr<common::clock> clock_;
  outbox box_;
  uplink_window window_;  // what to publish next, resends, which acks to take
  std::unique_ptr<common::mqtt::link> link_;
  controller_client controller_;
  deriver deriver_;
  std::uint32_t boot_;
  std::string boot_id_;
  // This boot's connect counter, shared with the link's will_for_connect (the reconnect thread).
  std::shared_ptr<std::atomic<std::uint64_t>> session_;
  common::group_state group_;  // the last successful read
  std::chrono::milliseconds sample_interval_;

  asio::io_context io_;
  asio::thread_pool reader_{1};  // controller reads (owns controller_ while a read is in flight)
  bool read_in_flight_ = false;
  std::uint64_t late_reads_ = 0;
  std::uint64_t cli_failures_ = 0;
  asio::steady_timer sample_timer_;
  asio::steady_timer cli_retry_timer_;
  asio::steady_timer progress_timer_;
  asio::signal_set signals_;
  std::unique_ptr<cli_server> cli_;

  std::deque<common::record> recent_;  // recent events (not samples), for the CLI
  std::vector<std::shared_ptr<cli_reply>> followers_;
  flush_tracker flushes_;                    // hoistctl flush requests waiting for acks
  std::optional<command_handler> commands_;  // made in run(): it reads the accepted ids

  bool stopping_ = false;
  bool controller_ok_ = true;
  int exit_code_ = 0;
  std::int64_t last_wall_ = 0;
  std::int64_t last_mono_ = 0;
  std::int64_t started_wall_ = 0;
  std::int64_t last_read_wall_ = 0;
  std::optional<std::chrono::microseconds> watchdog_;
  std::int64_t last_watchdog_mono_ = 0;
  std::uint64_t controller_errors_ = 0;
  std::uint64_t ack_failures_ = 0;          // acks that passed every check, outbox failed
  std::uint64_t outbox_read_failures_ = 0;  // reads that paused publishing
  std::uint64_t publish_failures_ = 0;
  std::array<std::uint64_t, cli::reject_reason_count> cli_rejected_{};
};

}  // namespace

common::result<std::unique_ptr<agent>> agent::create(agent_config config,
                                                     std::shared_ptr<common::clock> clock,
                                                     const link_factory& make_link) {
  auto box = outbox::open({config.outbox_path, config.outbox_max_records});
  if (!box) return std::unexpected(box.error());
  auto boot = box->next_boot();
  if (!boot) return std::unexpected(boot.error());
  // Every connect is a new presence session: the will registered for it carries the session's
  // number, and so does the birth published on it (presence.hpp).
  auto session = std::make_shared<std::atomic<std::uint64_t>>(0);
  config.mqtt.will_for_connect = [device = config.device_id, key_id = config.key_id,
                                  key = config.key, boot = *boot, session] {
    // sent_at_ms 0: the broker publishes a will when the connection drops, not when it is made.
    const common::presence::announcement will{
        common::presence::status::offline, device, boot, ++*session, 0, {}};
    const auto message = common::presence::sign(will, {}, key_id, key);
    return common::mqtt::last_will{common::topics::state(device),
                                   std::string(message.begin(), message.end()),
                                   common::mqtt::qos::at_least_once, common::mqtt::retain::yes};
  };
  auto link = make_link(config.mqtt);
  if (!link) return std::unexpected(link.error());
  return std::unique_ptr<agent>(std::make_unique<agent_impl>(
      std::move(config), std::move(clock), std::move(*box), std::move(*link), *boot,
      common::crypto::random_uuid(), std::move(session)));
}

}  // namespace hoistway::edge

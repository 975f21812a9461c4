// The ingest pipeline.
#include "hoistway/cloud/ingest/ingest.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "hoistway/cloud/ingest/ack_coalescer.hpp"
#include "hoistway/cloud/ingest/command_sender.hpp"
#include "hoistway/cloud/ingest/commands.hpp"
#include "hoistway/cloud/ingest/intake.hpp"
#include "hoistway/cloud/ingest/presence_tracker.hpp"
#include "hoistway/cloud/ingest/projector.hpp"
#include "hoistway/cloud/ingest/retention.hpp"
#include "hoistway/cloud/ingest/verifier.hpp"
#include "hoistway/cloud/live/views.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/downlink.hpp"
#include "hoistway/common/presence.hpp"
#include "hoistway/common/record_json.hpp"
#include "hoistway/common/topics.hpp"

namespace hoistway::cloud {
namespace {

using common::wire::reject_reason;
using common::wire::rejection;

constexpr std::size_t queue_capacity = 20'000;
// Down-link commands: how often the queue is looked at, how long a command may wait to be sent
// (no ingest running), and how long a sent one waits for its result (the agents' default age
// window: a later answer is still recorded).
constexpr command_sender::timing command_timing{std::chrono::milliseconds(250),
                                                std::chrono::milliseconds(60'000),
                                                std::chrono::milliseconds(300'000)};
// How often the WAL is copied back into the database file, beside the writer (checkpointer).
constexpr std::chrono::milliseconds checkpoint_interval{100};
// How long after a commit the writer gathers frames for the next one (group commit), by the
// injected clock; the wait is cut into slices so that a clock that does not follow real time (a
// test's manual clock) is looked at again.
constexpr std::chrono::milliseconds batch_gather{10};
constexpr std::chrono::milliseconds batch_gather_slice{5};
// After the store fails, the batch is tried again after a pause that doubles up to the maximum.
constexpr std::chrono::milliseconds store_retry_min{100};
constexpr std::chrono::milliseconds store_retry_max{5'000};
// How often the dead letters are pruned to their configured bounds.
constexpr std::chrono::milliseconds dead_letter_prune_interval{60'000};

// A message waiting for the writer, with when it arrived (for the ack latency) and, for an
// up-link frame, what the verifier made of it.
struct queued {
  common::mqtt::message message;
  std::chrono::steady_clock::time_point arrived;
  std::optional<common::wire::decode_result<common::batch>> verdict;
  bool discarded = false;  // set aside: neither stored nor dead-lettered (ingest_impl::set_aside)
  bool keep_dead_letter = false;  // a rejected frame within the dead letters' budget (enqueue)
};

// At most `per_second` takes in each one-second window; one thread.
class window_budget {
 public:
  explicit window_budget(std::size_t per_second) : per_second_(per_second) {}
  bool take(std::int64_t mono_ms) {
    if (mono_ms - window_start_ms_ >= 1000) {
      window_start_ms_ = mono_ms;
      taken_ = 0;
    }
    if (taken_ >= per_second_) return false;
    ++taken_;
    return true;
  }

 private:
  std::size_t per_second_;
  std::int64_t window_start_ms_ = std::numeric_limits<std::int64_t>::min() / 2;
  std::size_t taken_ = 0;
};

// How much of a rejected message a dead letter keeps: a frame its device signed, whole enough to
// study (its meaning was refused); anything else, a prefix (a stranger's bytes, mostly junk).
constexpr std::size_t dead_letter_bytes_signed = 64 * 1024;
constexpr std::size_t dead_letter_bytes_other = 2 * 1024;

class ingest_impl final : public ingest {
 public:
  ingest_impl(ingest_config config, std::shared_ptr<live_view> view, std::shared_ptr<event_bus> bus,
              std::shared_ptr<common::clock> clock, store db,
              std::unique_ptr<common::mqtt::link> link)
      : config_(std::move(config)),
        view_(std::move(view)),
        bus_(std::move(bus)),
        clock_(std::move(clock)),
        store_(std::move(db)),
        link_(std::move(link)) {}

  ~ingest_impl() override { stop(); }

  common::status load() {
    if (auto st = commands::migrate(store_.db()); !st) return st;
    auto writer = intake::open(store_, [this](const std::string& device, std::uint8_t car) {
      return unit_for(device, car);
    });
    if (!writer) return std::unexpected(writer.error());
    intake_.emplace(std::move(*writer));
    auto sweeper = retention::create(store_.db(), config_.retention, counters_.retention);
    if (!sweeper) return std::unexpected(sweeper.error());
    retention_.emplace(std::move(*sweeper));
    auto device_db = store::open(config_.store_path);
    if (!device_db) return std::unexpected(device_db.error());
    auto devices = device_table::open(std::move(*device_db), clock_);
    if (!devices) return std::unexpected(devices.error());
    devices_.emplace(std::move(*devices));
    commands_.emplace(
        store_.db(), *link_, [this](const std::string& id) { return active_device(id); },
        counters_.commands_sent, command_timing);
    if (auto st = store_.leave_checkpoints(); !st) return st;
    auto copier = checkpointer::start(config_.store_path, checkpoint_interval);
    if (!copier) return std::unexpected(copier.error());
    checkpointer_ = std::move(*copier);
    auto verifier_db = store::open(config_.store_path);
    if (!verifier_db) return std::unexpected(verifier_db.error());
    auto checks = verifier::open(std::move(*verifier_db), clock_, config_.max_frame_bytes,
                                 {config_.device_records_per_s, config_.device_burst_records});
    if (!checks) return std::unexpected(checks.error());
    verifier_.emplace(std::move(*checks));
    auto units = store_.units();
    if (!units) return std::unexpected(units.error());
    for (const auto& u : *units) {
      units_[{u.device_id, u.car}] = u.unit_id;
      view_->add_unit(u.unit_id, u.device_id, u.car);
    }
    auto statuses = store_.unit_statuses();
    if (!statuses) return std::unexpected(statuses.error());
    for (const auto& s : *statuses) {
      auto state = common::run_state_from_json_text(s.status_json);
      if (state) view_->apply(s.unit_id, *state, s.updated_ms);
    }
    return {};
  }

  // The device's row if it is known and active (device_table: read again if not, at most once
  // a second), for down-link commands and their results.
  const device_row* active_device(const std::string& id) {
    const auto* device = devices_->find(id);
    return device != nullptr && device->active ? device : nullptr;
  }

  common::status start() override {
    std::string up(common::topics::all_up);
    std::string state(common::topics::all_state);
    std::string results(common::topics::all_cmd_result);
    if (!config_.share_group.empty()) {
      up = "$share/" + config_.share_group + "/" + up;
      results = "$share/" + config_.share_group + "/" + results;
    }
    link_->set_subscriptions({{up, common::mqtt::qos::at_least_once},
                              {state, common::mqtt::qos::at_least_once},
                              {results, common::mqtt::qos::at_least_once}});
    link_->on_message([this](common::mqtt::message m) { enqueue(std::move(m)); });
    link_->on_connection([this](bool up_now, const std::string& cause) {
      if (up_now) {
        spdlog::info("mqtt connected to {}", config_.mqtt.server_uri);
      } else {
        spdlog::warn("mqtt: {}", cause);
      }
    });
    writer_ = std::thread([this] { writer_loop(); });
    return link_->connect();
  }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopped_ = true;
    }
    link_->disconnect(std::chrono::milliseconds(1000));
    ready_.notify_all();
    space_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

  const ingest_counters& counters() const override { return counters_; }
  bool broker_connected() const override { return link_->connected(); }

 private:
  // ---- Paho's thread -------------------------------------------------------------------------
  // Checks an up-link frame here (verifier.hpp), so that the per-byte work of the next frames
  // overlaps the writer storing the previous ones, and queues it with its verdict.
  //
  // A rejected frame reaches the writer only if it has something to write: a dead letter within
  // this second's budget, or seqs to acknowledge (a frame signed by its device but refused for
  // its meaning). The rest is counted here: a flood of junk costs no wake-up of the writer and
  // no commit.
  void enqueue(common::mqtt::message m) {
    const auto arrived = std::chrono::steady_clock::now();
    std::optional<common::wire::decode_result<common::batch>> verdict;
    bool keep_dead_letter = false;
    if (common::topics::device_of(m.topic, "up")) {
      verdict = verifier_->check(m.topic, m.payload, clock_->wall_ms());
      if (!*verdict) {
        const auto& why = verdict->error();
        keep_dead_letter = why.reason != reject_reason::rate_limited &&
                           frame_dead_letters_.take(clock_->mono_ms());
        if (!keep_dead_letter && why.first_seq == 0) {
          ++counters_.frames_in;
          ++counters_.rejected[static_cast<std::size_t>(why.reason)];
          if (why.reason != reject_reason::rate_limited) ++counters_.dead_letters_suppressed;
          return;
        }
      }
    }
    std::unique_lock lock(mutex_);
    space_.wait(lock, [this] { return stopped_ || queue_.size() < queue_capacity; });
    if (stopped_) return;
    queue_.push_back({std::move(m), arrived, std::move(verdict), false, keep_dead_letter});
    counters_.queue_depth = queue_.size();
    ready_.notify_one();
  }

  // ---- the writer thread ---------------------------------------------------------------------
  void writer_loop() {
    std::vector<queued> work;
    auto backoff = std::chrono::milliseconds(0);
    while (true) {
      if (work.empty()) {
        std::unique_lock lock(mutex_);
        // While a retention sweep is in progress, idle time goes to its steps; otherwise the
        // writer wakes for the command queue.
        ready_.wait_for(lock, sweeping_ ? std::chrono::milliseconds(0) : command_timing.poll,
                        [this] { return stopped_ || !queue_.empty(); });
        if (queue_.empty() && stopped_) return;
        // Group commit: a batch that is not full waits until batch_gather after the previous
        // commit, so a stream of small frames shares one durable commit and one ack per device
        // instead of paying both per frame (at most batch_gather of added latency).
        const auto gather_until_ms = last_commit_mono_ms_ + batch_gather.count();
        while (!queue_.empty() && queue_.size() < config_.max_batch_frames && !stopped_) {
          const auto left = gather_until_ms - clock_->mono_ms();
          if (left <= 0) break;
          ready_.wait_for(lock, std::min(std::chrono::milliseconds(left), batch_gather_slice),
                          [this] { return stopped_ || queue_.size() >= config_.max_batch_frames; });
        }
        if (queue_.empty()) {
          lock.unlock();
          check_offline();
          send_commands();
          housekeeping();
          continue;
        }
        const auto n = std::min(queue_.size(), config_.max_batch_frames);
        work.assign(std::make_move_iterator(queue_.begin()),
                    std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
        counters_.queue_depth = queue_.size();
        lock.unlock();
        space_.notify_all();
      }
      if (!process(work)) {
        // The store failed (disk full, I/O error, locked): nothing was stored or acknowledged.
        // The batch is kept and tried again after a growing pause; meanwhile the queue fills,
        // Paho waits and the broker holds the rest. Nothing is lost, nothing spins.
        ++counters_.store_failures;
        backoff = std::clamp(backoff * 2, store_retry_min, store_retry_max);
        std::unique_lock lock(mutex_);
        ready_.wait_until(lock, std::chrono::steady_clock::now() + backoff,
                          [this] { return stopped_; });
        if (stopped_) return;  // unacknowledged: the agents resend
        continue;
      }
      backoff = std::chrono::milliseconds(0);
      work.clear();
      bool idle = false;
      {
        std::lock_guard lock(mutex_);
        idle = queue_.empty();
      }
      publish_acks(idle);
      send_commands();
      housekeeping();  // at most one bounded retention step between two batches
    }
  }

  // Between batches: a bounded retention step, and the dead letters kept within their bounds
  // (at most once a minute).
  void housekeeping() {
    auto more = retention_->step(clock_->wall_ms(), clock_->mono_ms());
    if (!more) spdlog::warn("retention sweep abandoned: {}", more.error().message);
    sweeping_ = more && *more;
    const auto mono = clock_->mono_ms();
    if (mono - last_dead_letter_prune_mono_ < dead_letter_prune_interval.count()) return;
    last_dead_letter_prune_mono_ = mono;
    const auto cutoff = clock_->wall_ms() - config_.dead_letters_days * 86'400'000;
    auto pruned = store_.prune_dead_letters(config_.dead_letters_max_rows, cutoff);
    if (!pruned) {
      spdlog::warn("dead letters: pruning failed: {}", pruned.error().message);
    } else {
      counters_.dead_letters_pruned += static_cast<std::uint64_t>(*pruned);
    }
  }

  // What the messages of one transaction came to, counted once it commits.
  struct tally {
    std::uint64_t frames_in = 0;
    std::uint64_t frames_accepted = 0;
    std::array<std::uint64_t, common::wire::reject_reason_count> rejected{};
    std::vector<std::string> devices_heard;  // devices whose frames were accepted
    std::vector<std::pair<std::string, presence>> presences;
    std::map<std::string, common::presence::announcement> presence_taken;
  };

  // How one attempt at a transaction ended: committed; the store failed; or one message (at
  // `culprit`) could not be stored because of what it holds, with `why`.
  struct attempt {
    enum { committed, store_failed, refused } outcome = committed;
    std::size_t culprit = 0;
    std::string why;
  };

  // Stores a batch of messages in one transaction; false if the store failed (nothing stored).
  // A message the store refuses because of what it holds (not because the store failed) is set
  // aside and the batch runs again without it, so that no message can wedge the writer: a frame
  // becomes a rejected, dead-lettered and acknowledged one (`unprocessable`); anything else is
  // dropped with a count. Each pass sets one message aside, so this ends.
  bool process(std::vector<queued>& messages) {
    while (true) {
      auto result = attempt_batch(messages);
      if (result.outcome == attempt::committed) return true;
      if (result.outcome == attempt::store_failed) return false;
      set_aside(messages[result.culprit], std::move(result.why));
    }
  }

  // Turns a message the store refused into a rejection for the next attempt.
  void set_aside(queued& entry, std::string why) {
    spdlog::warn("message on {} set aside: {}", entry.message.topic, why);
    if (entry.verdict && *entry.verdict) {
      const auto& records = (*entry.verdict)->records;
      const auto first = records.empty() ? 0 : records.front().seq;
      const auto last = records.empty() ? 0 : records.back().seq;
      entry.verdict =
          std::unexpected(rejection{reject_reason::unprocessable, std::move(why), first, last});
      entry.keep_dead_letter = true;  // rare, and worth studying: outside the budget
      return;
    }
    // A rejection, a presence or a command result the store cannot take either: counted, gone.
    entry.discarded = true;
    ++counters_.messages_discarded;
  }

  attempt attempt_batch(std::vector<queued>& messages) {
    const auto now = clock_->wall_ms();
    auto tx = store_.begin();
    if (!tx) {
      spdlog::error("store: {}", tx.error().message);
      return {attempt::store_failed, 0, {}};
    }
    pushes_.clear();
    tally counted;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      common::status step;
      try {
        step = take(messages[i], now, counted);
      } catch (const std::exception& e) {
        step = common::fail(common::errc::internal, std::string("exception: ") + e.what());
      }
      if (step) continue;
      abandon(*tx);
      if (step.error().code == common::errc::io) {
        spdlog::error("store: {}; the batch is rolled back", step.error().message);
        return {attempt::store_failed, 0, {}};
      }
      return {attempt::refused, i, step.error().message};
    }
    auto acks = intake_->persist(now);
    if (!acks) return end_failed(*tx, messages, acks.error());
    const auto statuses = intake_->take_states();
    for (const auto& [unit, s] : statuses) {
      if (auto st = store_.upsert_unit_status({unit, to_json_text(s.last), s.last_ms}); !st) {
        return end_failed(*tx, messages, st.error());
      }
    }
    if (auto st = tx->commit(); !st) {
      // Nothing was stored: the batch is tried again.
      spdlog::error("store commit failed: {}", st.error().message);
      abandon(*tx);
      return {attempt::store_failed, 0, {}};
    }
    ++counters_.transactions;
    counters_.alerts_suppressed = intake_->projection().alerts_suppressed();
    const auto committed = std::exchange(uncommitted_, {});
    counters_.records_stored += committed.fresh;
    counters_.records_duplicate += committed.duplicate;
    counters_.records_late += committed.late;
    counters_.frames_in += counted.frames_in;
    counters_.frames_accepted += counted.frames_accepted;
    for (std::size_t r = 0; r < counted.rejected.size(); ++r) {
      counters_.rejected[r] += counted.rejected[r];
    }
    last_commit_mono_ms_ = clock_->mono_ms();
    for (const auto& device : counted.devices_heard) presence_.heard(device, now);
    // Only now, with the records durable, may the agents forget them (publish_acks()).
    for (const auto& a : *acks) {
      acks_.committed(a.device_id, a.stored_through);
      view_->device_seen(a.device_id, now);
    }
    for (const auto& entry : messages) {
      if (!entry.verdict || !*entry.verdict || entry.discarded) continue;
      acks_.answered((*entry.verdict)->device_id, micros(entry.arrived));
    }
    publish_pushes();  // the transaction's alerts first, then each unit's newest status
    for (const auto& [unit, s] : statuses) {
      view_->apply(unit, s.newest, s.newest_ms);
      bus_->publish(unit, push_type::status, status_json_text(unit, s.newest, s.newest_ms));
    }
    for (const auto& [device, p] : counted.presences) {
      view_->set_presence(device, p);
      if (p == presence::offline) presence_.said_offline(device);
    }
    for (auto& [device, announced] : counted.presence_taken) {
      presence_.taken(device, std::move(announced));
    }
    check_offline();
    return {attempt::committed, 0, {}};
  }

  // The end of a transaction (coverage, unit status) failed: no single message is to blame. A
  // store failure is retried; a failure of the values themselves, which would recur, is found
  // by running the messages one transaction each, so the one that causes it is set aside.
  attempt end_failed(common::sqlite::transaction& tx, std::vector<queued>& messages,
                     const common::error& e) {
    spdlog::error("store: {}; the batch is rolled back", e.message);
    abandon(tx);
    if (e.code == common::errc::io) return {attempt::store_failed, 0, {}};
    if (messages.size() == 1) return {attempt::refused, 0, e.message};
    for (auto& message : messages) {
      std::vector<queued> one;
      one.push_back(std::move(message));
      const bool stored = process(one);
      message = std::move(one.front());
      message.discarded = true;  // done with, one way or the other
      if (!stored) return {attempt::store_failed, 0, {}};
    }
    return {attempt::committed, 0, {}};
  }

  // One message, inside the writer's transaction. Errors: errc::io when the store failed;
  // anything else when the message's contents cannot be stored.
  common::status take(queued& entry, std::int64_t now, tally& counted) {
    if (entry.discarded) return {};
    const auto& m = entry.message;
    if (auto dev = common::topics::device_of(m.topic, "state")) {
      return take_presence(std::string(*dev), m, now, counted);
    }
    if (auto dev = common::topics::device_of(m.topic, "cmd_result")) {
      return take_command_result(std::string(*dev), m, now);
    }
    ++counted.frames_in;
    auto& verdict = *entry.verdict;
    if (!verdict) {
      const auto& why = verdict.error();
      ++counted.rejected[static_cast<std::size_t>(why.reason)];
      spdlog::debug("rejected frame on {}: {} ({})", m.topic, to_string(why.reason), why.detail);
      if (entry.keep_dead_letter) {
        ++counters_.dead_letters;
        const auto signed_frame = why.first_seq != 0;
        if (auto st = store_.add_dead_letter(
                now, m.topic, to_string(why.reason), why.detail, m.payload,
                signed_frame ? dead_letter_bytes_signed : dead_letter_bytes_other);
            !st) {
          return st;
        }
      } else if (why.reason != reject_reason::rate_limited) {
        // Over its budget, a device's frame is only counted: kept, it would spend what the
        // budget saves, and the agent sends it again.
        ++counters_.dead_letters_suppressed;
      }
      // A frame that passed its MAC but will never be stored is acknowledged all the same: the
      // dead letter keeps it, and its agent moves on instead of resending it for ever.
      if (why.first_seq != 0) {
        const auto device = common::topics::device_of(m.topic, "up");
        if (device) return intake_->refuse(std::string(*device), why.first_seq, why.last_seq);
      }
      return {};
    }
    auto written = intake_->write(*verdict, m.payload, now, pushes_);
    if (!written) return std::unexpected(written.error());
    uncommitted_.fresh += written->fresh;
    uncommitted_.duplicate += written->duplicate;
    uncommitted_.late += written->late;
    ++counted.frames_accepted;
    counted.devices_heard.push_back(verdict->device_id);
    return {};
  }

  // Keeps a rejected presence or command result for study, at most dead_letters_per_s a second
  // (a flood is only counted); frames have a budget of their own (enqueue). The table's size and
  // age are bounded by housekeeping().
  common::status dead_letter(std::int64_t now, const std::string& topic, std::string_view reason,
                             const std::string& detail, std::span<const std::uint8_t> bytes) {
    const auto mono = clock_->mono_ms();
    if (mono - dead_letter_window_mono_ >= 1000) {
      dead_letter_window_mono_ = mono;
      dead_letters_in_window_ = 0;
    }
    if (dead_letters_in_window_ >= config_.dead_letters_per_s) {
      ++counters_.dead_letters_suppressed;
      return {};
    }
    ++dead_letters_in_window_;
    ++counters_.dead_letters;
    return store_.add_dead_letter(now, topic, reason, detail, bytes, dead_letter_bytes_other);
  }

  // Rolls the writer's transaction back and forgets what the writer remembered of it (coverage,
  // run states, the projector's open alerts and last status rows).
  void abandon(common::sqlite::transaction& tx) {
    tx.rollback();
    uncommitted_ = {};
    if (auto st = intake_->rollback(); !st) {
      spdlog::error("store: re-reading the projection's state failed: {}", st.error().message);
    }
  }

  static std::int64_t micros(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  }

  // Publishes the stored-acks of committed records: all of them when `all`, otherwise those of
  // devices last acked at least ack_interval ago. An ack is cumulative, so one carries every
  // commit since the previous; it travels at most once (QoS 0): an agent that misses the last
  // resends after its ack timeout and is acked again (its resend is a duplicate), and the broker
  // and both clients are spared a PUBACK and an in-flight slot per ack.
  void publish_acks(bool all) {
    const auto now = std::chrono::steady_clock::now();
    for (const auto& pending : acks_.take(clock_->mono_ms(), all)) {
      const auto& device = pending.device_id;
      // Signed with the device's key (its ack key): only the cloud can make an agent forget.
      if (const auto* dev = active_device(device)) {
        const auto ack = common::wire::encode_ack(
            common::wire::sign_ack(device, pending.stored_through, dev->key_id, dev->key));
        if (link_->publish(common::topics::ack(device), ack, common::mqtt::qos::at_most_once,
                           common::mqtt::retain::no)) {
          ++counters_.acks_published;
        }
      }
      counters_.ack_latency_sum_us +=
          static_cast<std::uint64_t>(pending.frames * micros(now) - pending.arrived_sum_us);
      counters_.ack_latency_count += static_cast<std::uint64_t>(pending.frames);
    }
  }

  // ---- down-link commands (writer thread) -----------------------------------------------------
  void send_commands() { commands_->poll(clock_->wall_ms(), clock_->mono_ms()); }

  // A result on hoistway/v1/dev/{device}/cmd_result: verified with the device's key, then
  // recorded against the command it answers (inside the caller's transaction). Errors: the
  // store's (a refused result is dead-lettered, not an error).
  common::status take_command_result(const std::string& device, const common::mqtt::message& m,
                                     std::int64_t now) {
    auto refuse = [&](std::string_view reason, const std::string& detail) {
      ++counters_.command_results_rejected;
      spdlog::debug("rejected command result on {}: {} ({})", m.topic, reason, detail);
      return dead_letter(now, m.topic, "cmd_result_" + std::string(reason), detail, m.payload);
    };
    const auto* dev = active_device(device);
    if (dev == nullptr) return refuse("unknown_device", device);
    auto result = common::downlink::verify_result(m.payload, {device, dev->key_id, dev->key});
    if (!result) {
      return refuse(common::downlink::to_string(result.error().reason), result.error().detail);
    }
    auto recorded = commands::record_result(store_.db(), *result, now);
    if (!recorded) return std::unexpected(recorded.error());
    if (!*recorded) {
      return refuse("unknown_command", "no command " + result->id + " awaits a result");
    }
    ++counters_.command_results;
    spdlog::info("command {} on {}: {}", result->id, device,
                 result->ok ? "done" : "rejected (" + result->reason + ")");
    return {};
  }

  void publish_pushes() {
    for (auto& p : pushes_) bus_->publish(std::move(p.unit_id), p.type, p.data.dump());
    pushes_.clear();
  }

  std::vector<std::string> units_of_device(const std::string& device) const {
    std::vector<std::string> out;
    for (const auto& [key, unit] : units_) {
      if (key.first == device) out.push_back(unit);
    }
    return out;
  }

  // Raises device_offline for devices silent longer than offline_after (or whose last will
  // said offline); clears it when they are heard from again.
  void check_offline() {
    const auto now = clock_->wall_ms();
    const auto changes = presence_.changes(now);  // device, now offline?
    if (changes.empty()) return;
    auto tx = store_.begin();
    if (!tx) return;
    pushes_.clear();
    for (const auto& [device, offline] : changes) {
      const auto units = units_of_device(device);
      auto& projection = intake_->projection();
      auto st = offline ? projection.device_offline(units, now, pushes_)
                        : projection.device_online(units, now, pushes_);
      if (!st) {
        spdlog::error("alerts: {}", st.error().message);
        abandon(*tx);
        return;
      }
    }
    if (auto st = tx->commit(); !st) {
      spdlog::error("store commit failed: {}", st.error().message);
      abandon(*tx);
      return;
    }
    for (const auto& [device, offline] : changes) presence_.marked(device, offline);
    publish_pushes();
  }

  std::optional<std::string> unit_for(const std::string& device, std::uint8_t car) {
    const auto key = std::make_pair(device, car);
    if (auto it = units_.find(key); it != units_.end()) return it->second;
    auto unit = store_.ensure_unit(device, car);
    if (!unit) {
      spdlog::warn("no unit for {} car {}: {}", device, car, unit.error().message);
      return std::nullopt;
    }
    units_[key] = unit->unit_id;
    view_->add_unit(unit->unit_id, device, car);
    return unit->unit_id;
  }

  // A presence message on hoistway/v1/dev/{device}/state: taken only if the device signed it
  // (its presence key) and it is not older than the last one taken (presence.hpp: a will
  // replayed from an earlier connect changes nothing). A forgery is rejected, counted and
  // dead-lettered; a stale one only counted.
  common::status take_presence(const std::string& device, const common::mqtt::message& m,
                               std::int64_t now, tally& counted) {
    const auto* dev = active_device(device);
    auto announced = dev == nullptr
                         ? std::unexpected(common::downlink::rejection{
                               common::downlink::reject_reason::unknown_key, "unknown device", {}})
                         : common::presence::verify(m.payload, device, dev->key_id, dev->key);
    if (!announced) {
      ++counters_.presence_rejected;
      spdlog::debug("rejected presence on {}: {} ({})", m.topic,
                    common::downlink::to_string(announced.error().reason),
                    announced.error().detail);
      return dead_letter(
          now, m.topic,
          "presence_" + std::string(common::downlink::to_string(announced.error().reason)),
          announced.error().detail, m.payload);
    }
    // The last taken: this transaction's, else the committed one.
    const auto pending = counted.presence_taken.find(device);
    if (!presence_.takes(device, *announced,
                         pending == counted.presence_taken.end() ? nullptr : &pending->second)) {
      ++counters_.presence_stale;
      return {};
    }
    ++counters_.presence_accepted;
    counted.presences.emplace_back(device, announced->state == common::presence::status::online
                                               ? presence::online
                                               : presence::offline);
    counted.presence_taken.insert_or_assign(device, std::move(*announced));
    return {};
  }

  ingest_config config_;
  std::shared_ptr<live_view> view_;
  std::shared_ptr<event_bus> bus_;
  std::shared_ptr<common::clock> clock_;
  store store_;
  std::unique_ptr<common::mqtt::link> link_;
  ingest_counters counters_;

  // Writer thread only.
  std::optional<intake> intake_;
  intake::written uncommitted_;  // records counted once their transaction commits
  // Dead letters written in the current one-second window, and when it began (mono ms).
  std::int64_t dead_letter_window_mono_ = 0;
  std::size_t dead_letters_in_window_ = 0;
  std::int64_t last_dead_letter_prune_mono_ = 0;
  // For the group commit's gathering (clock_'s mono time); the first batch does not wait.
  std::int64_t last_commit_mono_ms_ = std::numeric_limits<std::int64_t>::min() / 2;
  std::optional<retention> retention_;
  bool sweeping_ = false;
  std::vector<pushed> pushes_;
  // Stored-acks committed but not yet published, per device, with the frames they answer.
  ack_coalescer acks_{config_.ack_interval};
  // Frames heard, announcements taken, device_offline alerts open (known devices only).
  presence_tracker presence_{config_.offline_after};
  std::optional<device_table> devices_;
  std::map<std::pair<std::string, std::uint8_t>, std::string> units_;
  std::optional<command_sender> commands_;

  // Paho's callback thread only (set by load(), before start()).
  std::optional<verifier> verifier_;
  window_budget frame_dead_letters_{config_.dead_letters_per_s};
  std::unique_ptr<checkpointer> checkpointer_;

  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<queued> queue_;
  bool stopped_ = false;
  std::thread writer_;
};

}  // namespace

common::result<std::unique_ptr<ingest>> ingest::create(const ingest_config& config,
                                                       std::shared_ptr<live_view> view,
                                                       std::shared_ptr<event_bus> bus,
                                                       std::shared_ptr<common::clock> clock,
                                                       const mqtt_link_factory& make_link) {
  auto db = store::open(config.store_path);
  if (!db) return std::unexpected(db.error());
  for (const auto& device : config.devices) {
    if (auto st = db->provision(device); !st) return std::unexpected(st.error());
  }
  auto link = make_link ? make_link(config.mqtt) : common::mqtt::link::create(config.mqtt);
  if (!link) return std::unexpected(link.error());
  auto impl = std::make_unique<ingest_impl>(config, std::move(view), std::move(bus),
                                            std::move(clock), std::move(*db), std::move(*link));
  if (auto st = impl->load(); !st) return std::unexpected(st.error());
  return std::unique_ptr<ingest>(std::move(impl));
}

}  // namespace hoistway::cloud

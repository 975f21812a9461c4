// The tenancy snapshot behind API authentication and scoping.
#include "hoistway/cloud/registry/directory.hpp"

#include <spdlog/spdlog.h>

#include "hoistway/cloud/registry/registry.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/crypto.hpp"

namespace hoistway::cloud {

namespace sqlite = common::sqlite;

common::result<std::shared_ptr<directory>> directory::open(const std::string& store_path,
                                                           std::shared_ptr<common::clock> clock,
                                                           std::chrono::milliseconds max_age) {
  auto db = sqlite::database::open(store_path, {.sync = sqlite::durability::normal});
  if (!db) return std::unexpected(db.error());
  if (auto st = migrate_store(*db); !st) return std::unexpected(st.error());
  auto dir = std::shared_ptr<directory>(new directory(std::move(*db), std::move(clock), max_age));
  auto first = dir->load();
  if (!first) return std::unexpected(first.error());
  dir->snapshot_ = std::move(*first);
  return dir;
}

common::result<std::shared_ptr<const directory::snapshot>> directory::load() {
  auto next = std::make_shared<snapshot>();
  next->loaded_mono_ms = clock_->mono_ms();
  auto keys = db_.prepare(
      "SELECT key_id, customer_id, secret_sha256 FROM api_keys WHERE revoked_ms IS NULL");
  if (!keys) return std::unexpected(keys.error());
  while (true) {
    auto row = keys->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    next->keys[keys->column_text(0)] = {keys->column_text(1), keys->column_blob(2)};
  }
  auto units = db_.prepare(
      "SELECT u.unit_id, COALESCE(b.customer_id, ''), COALESCE(u.building_id, ''), u.name, "
      "EXISTS(SELECT 1 FROM contracts c WHERE c.unit_id = u.unit_id AND c.kind = 'monitoring' "
      "AND c.starts_ms <= ?1 AND (c.ends_ms IS NULL OR c.ends_ms > ?1)) "
      "FROM units u LEFT JOIN buildings b ON b.building_id = u.building_id");
  if (!units) return std::unexpected(units.error());
  units->bind(1, clock_->wall_ms());
  while (true) {
    auto row = units->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    unit_entry u{units->column_text(0), units->column_text(1), units->column_text(2),
                 units->column_text(3), units->column_int(4) != 0};
    next->units[u.unit_id] = std::move(u);
  }
  return std::shared_ptr<const snapshot>(std::move(next));
}

std::string_view to_string(caller_kind kind) noexcept {
  switch (kind) {
    case caller_kind::api_key:
      return "api_key";
    case caller_kind::portal_session:
      return "portal";
    case caller_kind::eservice_session:
      return "eservice";
  }
  return "api_key";
}

bool directory::snapshot::key_active(const caller& who) const {
  const auto it = keys.find(who.key_id);
  return it != keys.end() && it->second.customer_id == who.customer_id;
}

bool directory::snapshot::monitored_for(const std::string& customer_id,
                                        const std::string& unit_id) const {
  const auto it = units.find(unit_id);
  return it != units.end() && !it->second.customer_id.empty() &&
         it->second.customer_id == customer_id && it->second.monitored;
}

std::shared_ptr<const directory::snapshot> directory::cached() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

bool directory::stale(const snapshot& s) const {
  return clock_->mono_ms() - s.loaded_mono_ms >= max_age_.count();
}

common::status directory::reload() {
  if (!stale(*cached())) return {};  // another thread loaded it while this one waited
  auto fresh = load();
  if (!fresh) {
    spdlog::warn("directory refresh failed, serving the previous snapshot: {}",
                 fresh.error().message);
    return std::unexpected(fresh.error());
  }
  std::lock_guard lock(snapshot_mutex_);
  snapshot_ = std::move(*fresh);
  return {};
}

std::shared_ptr<const directory::snapshot> directory::current() {
  auto snap = cached();
  if (!stale(*snap)) return snap;
  // One thread loads; the others answer from the previous snapshot (at most a load older)
  // rather than queue behind it.
  std::unique_lock lock(load_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return snap;
  (void)reload();  // a failure is logged; the previous snapshot serves meanwhile
  return cached();
}

common::status directory::refresh() {
  std::lock_guard lock(load_mutex_);
  return reload();
}

std::expected<caller, auth_failure> directory::authenticate(const std::string& authorization,
                                                            const std::string& x_api_key) {
  std::string token = x_api_key;
  if (token.empty() && !authorization.empty()) {
    static constexpr std::string_view bearer = "Bearer ";
    if (authorization.size() <= bearer.size() ||
        authorization.compare(0, bearer.size(), bearer) != 0) {
      return std::unexpected(auth_failure::malformed);
    }
    token = authorization.substr(bearer.size());
  }
  if (token.empty()) return std::unexpected(auth_failure::missing);
  auto parsed = parse_api_key(token);
  if (!parsed) return std::unexpected(auth_failure::malformed);
  const auto snap = current();
  const auto it = snap->keys.find(parsed->key_id);
  const auto digest = common::crypto::sha256(parsed->secret);
  if (it == snap->keys.end() ||
      !common::crypto::constant_time_equal(digest, it->second.secret_sha256)) {
    return std::unexpected(auth_failure::unknown_or_revoked);
  }
  caller who;
  who.customer_id = it->second.customer_id;
  who.key_id = parsed->key_id;
  return who;
}

std::optional<unit_entry> directory::unit_of(const std::string& customer_id,
                                             const std::string& unit_id) {
  const auto snap = current();
  const auto it = snap->units.find(unit_id);
  if (it == snap->units.end() || it->second.customer_id.empty() ||
      it->second.customer_id != customer_id) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<unit_entry> directory::units_of(const std::string& customer_id) {
  const auto snap = current();
  std::vector<unit_entry> out;
  for (const auto& [id, u] : snap->units) {
    if (!u.customer_id.empty() && u.customer_id == customer_id) out.push_back(u);
  }
  return out;
}

}  // namespace hoistway::cloud

// Reading the simulator's TOML files with positioned errors.
#include "toml_util.hpp"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "hoistway/sim/time_text.hpp"

namespace hoistway::sim::detail {

using common::errc;

std::string where(std::string_view source, const toml::node* node, std::string_view reason) {
  if (node != nullptr && node->source().begin) {
    const auto& pos = node->source().begin;
    return fmt::format("{}:{}:{}: {}", source, pos.line, pos.column, reason);
  }
  return fmt::format("{}: {}", source, reason);
}

std::unexpected<common::error> data_error(std::string_view source, const toml::node* node,
                                          std::string_view reason) {
  return common::fail(errc::invalid_argument, where(source, node, reason));
}

common::result<toml::table> parse_toml(std::string_view text, std::string_view source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& pos = e.source().begin;
    return common::fail(errc::invalid_argument,
                        fmt::format("{}:{}:{}: {}", source, pos.line, pos.column, e.description()));
  }
}

common::status check_keys(std::string_view source, const toml::table& table,
                          std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, node] : table) {
    bool known = false;
    for (auto name : allowed) known = known || key.str() == name;
    if (!known) {
      std::string names;
      for (auto name : allowed) names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
      return data_error(source, &node,
                        fmt::format("unknown key '{}' (expected one of: {})", key.str(), names));
    }
  }
  return {};
}

common::status read_int(std::string_view source, const toml::table& table, std::string_view key,
                        std::int64_t min, std::int64_t max, std::int64_t& out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return {};
  const auto* value = node->as_integer();
  if (value == nullptr) {
    return data_error(source, node, fmt::format("'{}' must be an integer", key));
  }
  const std::int64_t v = value->get();
  if (v < min || v > max) {
    return data_error(source, node,
                      fmt::format("'{}' = {} is out of range [{}, {}]", key, v, min, max));
  }
  out = v;
  return {};
}

common::status read_double(std::string_view source, const toml::table& table, std::string_view key,
                           double min, double max, double& out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return {};
  double v = 0.0;
  if (const auto* f = node->as_floating_point()) {
    v = f->get();
  } else if (const auto* i = node->as_integer()) {
    v = static_cast<double>(i->get());
  } else {
    return data_error(source, node, fmt::format("'{}' must be a number", key));
  }
  if (!std::isfinite(v) || v < min || v > max) {
    return data_error(source, node,
                      fmt::format("'{}' = {} is out of range [{}, {}]", key, v, min, max));
  }
  out = v;
  return {};
}

common::status read_string(std::string_view source, const toml::table& table, std::string_view key,
                           std::string& out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return {};
  const auto* value = node->as_string();
  if (value == nullptr) return data_error(source, node, fmt::format("'{}' must be a string", key));
  out = value->get();
  return {};
}

common::status read_duration_ms(std::string_view source, const toml::table& table,
                                std::string_view key, std::int64_t& out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return {};
  if (const auto* i = node->as_integer()) {
    if (i->get() < 0 || i->get() > std::int64_t{1} << 40) {
      return data_error(source, node, fmt::format("'{}' must be a non-negative duration", key));
    }
    out = i->get() * 1000;
    return {};
  }
  if (const auto* f = node->as_floating_point()) {
    if (!(f->get() >= 0.0 && f->get() < 1e12)) {
      return data_error(source, node, fmt::format("'{}' must be a non-negative duration", key));
    }
    out = std::llround(f->get() * 1000.0);
    return {};
  }
  if (const auto* s = node->as_string()) {
    auto parsed = parse_duration_ms(s->get());
    if (!parsed)
      return data_error(source, node, fmt::format("'{}': {}", key, parsed.error().message));
    out = *parsed;
    return {};
  }
  return data_error(source, node, fmt::format("'{}' must be a duration (\"15m\" or seconds)", key));
}

}  // namespace hoistway::sim::detail

// Shared helpers for reading the simulator's TOML files with errors that name the file, the line
// and the reason. Internal to hoistway_sim.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <expected>
#include <initializer_list>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "hoistway/common/result.hpp"

namespace hoistway::sim::detail {

// "source:line:col: reason" for a node (or the file alone when the node has no position).
std::string where(std::string_view source, const toml::node* node, std::string_view reason);

std::unexpected<common::error> data_error(std::string_view source, const toml::node* node,
                                          std::string_view reason);

// Parses text; a syntax error becomes errc::invalid_argument with toml++'s position.
common::result<toml::table> parse_toml(std::string_view text, std::string_view source);

// Rejects keys of `table` not in `allowed` (typos must not be ignored silently).
common::status check_keys(std::string_view source, const toml::table& table,
                          std::initializer_list<std::string_view> allowed);

// Reads an optional integer key into `out`, checking [min, max].
common::status read_int(std::string_view source, const toml::table& table, std::string_view key,
                        std::int64_t min, std::int64_t max, std::int64_t& out);

template <typename T>
common::status read_int_as(std::string_view source, const toml::table& table, std::string_view key,
                           std::int64_t min, std::int64_t max, T& out) {
  auto value = static_cast<std::int64_t>(out);
  auto ok = read_int(source, table, key, min, max, value);
  if (ok) out = static_cast<T>(value);
  return ok;
}

common::status read_double(std::string_view source, const toml::table& table, std::string_view key,
                           double min, double max, double& out);
common::status read_string(std::string_view source, const toml::table& table, std::string_view key,
                           std::string& out);
// A duration given as a number of seconds or a string such as "15m" (see time_text.hpp).
common::status read_duration_ms(std::string_view source, const toml::table& table,
                                std::string_view key, std::int64_t& out);

}  // namespace hoistway::sim::detail

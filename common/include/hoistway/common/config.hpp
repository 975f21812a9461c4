// Reading TOML configuration files strictly: every error names the file, line and key, unknown
// keys are errors (a typo must not silently fall back to a default), and values are range-checked.
// Thread-safety: a config_reader belongs to one thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "hoistway/common/result.hpp"

namespace hoistway::common::config {

// Parses the file; a syntax error comes back as "FILE:LINE:COL: reason".
result<toml::table> load_file(const std::string& path);
result<toml::table> parse_text(std::string_view text, const std::string& source_name);

// Reads typed values from one table, collecting every error before it reports.
class reader {
 public:
  reader(const toml::table& table, std::string source, std::string prefix = {})
      : table_(table), source_(std::move(source)), prefix_(std::move(prefix)) {}

  std::string text(std::string_view key, std::string fallback);
  std::string required_text(std::string_view key);
  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  double number(std::string_view key, double fallback, double min, double max);
  bool boolean(std::string_view key, bool fallback);
  // A secret given inline under `key`, or (better) in a file of its own named under `file_key`
  // (read with common/secret_file: refused if group or others may read it). Either, not both;
  // an empty value when neither. `from` is the key it came from, for messages about its value.
  struct secret_value {
    std::string value;
    std::string_view from;
  };
  secret_value secret(std::string_view key, std::string_view file_key);
  // A sub-table (empty if absent); errors if the key holds something else.
  const toml::table& table(std::string_view key);
  // An array of tables (e.g. [[devices]]).
  std::vector<const toml::table*> tables(std::string_view key);
  // Errors on any key not in `known`.
  void only(std::initializer_list<std::string_view> known);

  // A reader of a sub-table (or of one element of tables()) that reports into this one.
  reader child(std::string_view key);
  reader child(const toml::table& table, std::string prefix) const;

  void add_error(std::string_view key, std::string_view reason);
  // All errors so far, one per line; success if there were none.
  status finish() const;
  const std::vector<std::string>& errors() const { return *errors_; }

 private:
  std::string where(std::string_view key) const;
  const toml::table& table_;
  std::string source_;
  std::string prefix_;
  std::shared_ptr<std::vector<std::string>> errors_ = std::make_shared<std::vector<std::string>>();
};

}  // namespace hoistway::common::config

// Strict TOML reading for every Hoistway configuration file.
#include "hoistway/common/config.hpp"

#include <fstream>
#include <sstream>

#include "hoistway/common/secret_file.hpp"

namespace hoistway::common::config {
namespace {

std::string position(const std::string& source, const toml::source_region& region) {
  return source + ":" + std::to_string(region.begin.line) + ":" +
         std::to_string(region.begin.column);
}

const toml::table& empty_table() {
  static const toml::table empty;
  return empty;
}

}  // namespace

result<toml::table> parse_text(std::string_view text, const std::string& source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return fail(errc::invalid_argument,
                position(source_name, e.source()) + ": " + std::string(e.description()));
  }
}

result<toml::table> load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(errc::not_found, path + ": cannot open the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  if (text.size() > 4 * 1024 * 1024) return fail(errc::invalid_argument, path + ": file too large");
  return parse_text(text, path);
}

std::string reader::where(std::string_view key) const {
  const std::string name = prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
  if (const auto* node = table_.get(key)) return position(source_, node->source()) + ": " + name;
  if (table_.source().begin.line > 0) return position(source_, table_.source()) + ": " + name;
  return source_ + ": " + name;
}

void reader::add_error(std::string_view key, std::string_view reason) {
  errors_->push_back(where(key) + ": " + std::string(reason));
}

std::string reader::text(std::string_view key, std::string fallback) {
  const auto* node = table_.get(key);
  if (node == nullptr) return fallback;
  if (const auto* value = node->as_string()) return value->get();
  add_error(key, "expected a string");
  return fallback;
}

reader::secret_value reader::secret(std::string_view key, std::string_view file_key) {
  auto inline_value = text(key, "");
  const auto file = text(file_key, "");
  if (!inline_value.empty() && !file.empty()) {
    add_error(file_key, "give " + std::string(key) + " or " + std::string(file_key) + ", not both");
    return {};
  }
  if (file.empty()) {
    const std::string_view from = inline_value.empty() ? std::string_view() : key;
    return {std::move(inline_value), from};
  }
  auto read = secret_file::read(file);
  if (!read) {
    add_error(file_key, read.error().message);
    return {};
  }
  return {std::move(*read), file_key};
}

std::string reader::required_text(std::string_view key) {
  const auto* node = table_.get(key);
  if (node == nullptr) {
    add_error(key, "is required");
    return {};
  }
  if (!node->is_string()) {
    add_error(key, "expected a string");
    return {};
  }
  auto value = text(key, {});
  if (value.empty()) add_error(key, "must not be empty");
  return value;
}

std::int64_t reader::integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                             std::int64_t max) {
  const auto* node = table_.get(key);
  if (node == nullptr) return fallback;
  const auto* value = node->as_integer();
  if (value == nullptr) {
    add_error(key, "expected an integer");
    return fallback;
  }
  if (value->get() < min || value->get() > max) {
    add_error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return fallback;
  }
  return value->get();
}

double reader::number(std::string_view key, double fallback, double min, double max) {
  const auto* node = table_.get(key);
  if (node == nullptr) return fallback;
  double v = 0;
  if (const auto* f = node->as_floating_point()) {
    v = f->get();
  } else if (const auto* i = node->as_integer()) {
    v = static_cast<double>(i->get());
  } else {
    add_error(key, "expected a number");
    return fallback;
  }
  if (!(v >= min && v <= max)) {
    add_error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return fallback;
  }
  return v;
}

bool reader::boolean(std::string_view key, bool fallback) {
  const auto* node = table_.get(key);
  if (node == nullptr) return fallback;
  if (const auto* value = node->as_boolean()) return value->get();
  add_error(key, "expected true or false");
  return fallback;
}

const toml::table& reader::table(std::string_view key) {
  const auto* node = table_.get(key);
  if (node == nullptr) return empty_table();
  if (const auto* value = node->as_table()) return *value;
  add_error(key, "expected a table");
  return empty_table();
}

std::vector<const toml::table*> reader::tables(std::string_view key) {
  std::vector<const toml::table*> out;
  const auto* node = table_.get(key);
  if (node == nullptr) return out;
  const auto* array = node->as_array();
  if (array == nullptr) {
    add_error(key, "expected an array of tables ([[" + std::string(key) + "]])");
    return out;
  }
  for (const auto& element : *array) {
    if (const auto* t = element.as_table()) {
      out.push_back(t);
    } else {
      add_error(key, "every element must be a table");
    }
  }
  return out;
}

void reader::only(std::initializer_list<std::string_view> known) {
  for (const auto& [key, node] : table_) {
    bool found = false;
    for (const auto k : known) found = found || k == key.str();
    if (!found) add_error(key.str(), "unknown key");
  }
}

reader reader::child(std::string_view key) {
  return child(table(key), prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key));
}

reader reader::child(const toml::table& table, std::string prefix) const {
  reader r(table, source_, std::move(prefix));
  r.errors_ = errors_;
  return r;
}

status reader::finish() const {
  if (errors_->empty()) return {};
  std::string message;
  for (const auto& e : *errors_) {
    if (!message.empty()) message += "\n";
    message += e;
  }
  return fail(errc::invalid_argument, std::move(message));
}

}  // namespace hoistway::common::config

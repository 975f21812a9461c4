// doctest StringMakers for common's domain values, so that a failing CHECK(decoded == rec)
// prints the two records (through record_json, the form the API and hoistctl show) instead of
// "{?} == {?}", and a failing result prints its error. Include it in any test that compares them.
// Thread-safety: stateless.
#pragma once

#include <doctest/doctest.h>

#include <expected>
#include <sstream>
#include <string>

#include "hoistway/common/downlink.hpp"
#include "hoistway/common/record_json.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "require_ok.hpp"

namespace hoistway::testing {

inline std::string record_text(const common::record& r) {
  std::ostringstream out;
  out << "record{seq " << r.seq << ", car " << static_cast<int>(r.car) << ", wall_ms " << r.wall_ms
      << ", mono_ms " << r.mono_ms << ", boot " << r.boot << ", " << common::kind_name(r.body)
      << " " << common::to_json_text(r.body) << "}";
  return out.str();
}

}  // namespace hoistway::testing

namespace doctest {

template <>
struct StringMaker<hoistway::common::record_body> {
  static String convert(const hoistway::common::record_body& body) {
    return (std::string(hoistway::common::kind_name(body)) + " " +
            hoistway::common::to_json_text(body))
        .c_str();
  }
};

template <>
struct StringMaker<hoistway::common::record> {
  static String convert(const hoistway::common::record& r) {
    return hoistway::testing::record_text(r).c_str();
  }
};

template <>
struct StringMaker<hoistway::common::batch> {
  static String convert(const hoistway::common::batch& b) {
    std::ostringstream out;
    out << "batch{" << b.device_id << ", boot " << b.boot << " (" << b.boot_id << "), sent_at_ms "
        << b.sent_at_ms << ", outbox_floor " << b.outbox_floor << ", covers_from " << b.covers_from
        << ", " << b.records.size() << " records";
    for (const auto& r : b.records) out << "\n  " << hoistway::testing::record_text(r);
    out << "}";
    return out.str().c_str();
  }
};

template <>
struct StringMaker<hoistway::common::error> {
  static String convert(const hoistway::common::error& e) {
    return hoistway::testing::describe_error(e).c_str();
  }
};

template <>
struct StringMaker<hoistway::common::wire::reject_reason> {
  static String convert(hoistway::common::wire::reject_reason r) {
    return std::string(hoistway::common::wire::to_string(r)).c_str();
  }
};

template <>
struct StringMaker<hoistway::common::downlink::reject_reason> {
  static String convert(hoistway::common::downlink::reject_reason r) {
    return std::string(hoistway::common::downlink::to_string(r)).c_str();
  }
};

template <>
struct StringMaker<hoistway::common::wire::stored_ack> {
  static String convert(const hoistway::common::wire::stored_ack& a) {
    std::ostringstream out;
    out << "stored_ack{" << a.device_id << ", through " << a.stored_through << ", key " << a.key_id
        << ", " << (a.mac.empty() ? "unsigned" : "signed") << "}";
    return out.str().c_str();
  }
};

// A result or expected: its value, or "error: " and what its error says.
template <typename T, typename E>
struct StringMaker<std::expected<T, E>> {
  static String convert(const std::expected<T, E>& v) {
    if (!v.has_value()) {
      return ("error: " + hoistway::testing::describe_error(v.error())).c_str();
    }
    if constexpr (std::is_void_v<T>) {
      return "ok";
    } else {
      return StringMaker<T>::convert(*v);
    }
  }
};

}  // namespace doctest

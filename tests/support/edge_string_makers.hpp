// doctest StringMakers for the edge's values (ack refusals, CLI rejections, batch requests), on
// top of common's (string_makers.hpp).
// Thread-safety: stateless.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "hoistway/edge/cli/protocol.hpp"
#include "hoistway/edge/uplink/window.hpp"
#include "string_makers.hpp"

namespace doctest {

template <>
struct StringMaker<hoistway::edge::ack_rejection> {
  static String convert(hoistway::edge::ack_rejection r) {
    return std::string(hoistway::edge::to_string(r)).c_str();
  }
};

template <>
struct StringMaker<hoistway::edge::cli::reject_reason> {
  static String convert(hoistway::edge::cli::reject_reason r) {
    return std::string(hoistway::edge::cli::to_string(r)).c_str();
  }
};

template <>
struct StringMaker<hoistway::edge::batch_request> {
  static String convert(const hoistway::edge::batch_request& b) {
    return ("batch_request{after " + std::to_string(b.after_seq) + ", up to " +
            std::to_string(b.max_records) + "}")
        .c_str();
  }
};

}  // namespace doctest

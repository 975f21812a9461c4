// An ingest.toml written into a test's own directory and loaded, for the tests of its sections:
// `top` (top-level keys) first, then [store] with a path in the directory, then `sections`.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "hoistway/cloud/server/server_config.hpp"
#include "hoistway/common/result.hpp"
#include "temp_dir.hpp"

namespace hoistway::testing {

inline common::result<cloud::server_config> load_ingest_toml(const temp_dir& dir,
                                                             const std::string& sections,
                                                             const std::string& top = "") {
  const auto path = dir.file("ingest.toml");
  std::ofstream(path) << top << "[store]\npath = \"" << dir.file("cloud.db") << "\"\n" << sections;
  return cloud::server_config::load(path);
}

// Loading fails, and the message says `what`.
inline void check_ingest_toml_fails(const temp_dir& dir, const std::string& sections,
                                    const std::string& what, const std::string& top = "") {
  CAPTURE(sections);
  auto c = load_ingest_toml(dir, sections, top);
  REQUIRE_FALSE(c.has_value());
  CAPTURE(c.error().message);
  CHECK(c.error().message.find(what) != std::string::npos);
}

}  // namespace hoistway::testing

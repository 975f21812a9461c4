// Forwards to tests/support/temp_dir.hpp, for test files that include "temp_dir.hpp" from a build
// that does not put tests/support on their include path. New tests include support's directly.
// Thread-safety: see support/temp_dir.hpp.
#pragma once

#include "support/temp_dir.hpp"

// Names of the error codes, for logs and messages.
#include "hoistway/common/result.hpp"

namespace hoistway::common {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::not_found:
      return "not_found";
    case errc::io:
      return "io";
    case errc::corrupt:
      return "corrupt";
    case errc::unauthenticated:
      return "unauthenticated";
    case errc::unavailable:
      return "unavailable";
    case errc::conflict:
      return "conflict";
    case errc::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace hoistway::common

# Finds mbedTLS 2.28 as Debian ships it (no CMake config, no pkg-config file).
# Provides MbedTLS::mbedcrypto, MbedTLS::mbedx509, MbedTLS::mbedtls.
find_path(MbedTLS_INCLUDE_DIR NAMES mbedtls/md.h)
find_library(MbedTLS_CRYPTO_LIBRARY NAMES mbedcrypto)
find_library(MbedTLS_X509_LIBRARY NAMES mbedx509)
find_library(MbedTLS_TLS_LIBRARY NAMES mbedtls)

if(MbedTLS_INCLUDE_DIR AND EXISTS "${MbedTLS_INCLUDE_DIR}/mbedtls/version.h")
  file(STRINGS "${MbedTLS_INCLUDE_DIR}/mbedtls/version.h" _mbedtls_version_line
       REGEX "^#define[ \t]+MBEDTLS_VERSION_STRING[ \t]+\"[0-9.]+\"")
  string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" MbedTLS_VERSION "${_mbedtls_version_line}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(MbedTLS
  REQUIRED_VARS MbedTLS_INCLUDE_DIR MbedTLS_CRYPTO_LIBRARY MbedTLS_X509_LIBRARY MbedTLS_TLS_LIBRARY
  VERSION_VAR MbedTLS_VERSION)

if(MbedTLS_FOUND)
  foreach(_part IN ITEMS crypto x509 tls)
    string(TOUPPER ${_part} _upper)
    if(_part STREQUAL "crypto")
      set(_target mbedcrypto)
    else()
      set(_target mbed${_part})
    endif()
    if(NOT TARGET MbedTLS::${_target})
      add_library(MbedTLS::${_target} UNKNOWN IMPORTED)
      set_target_properties(MbedTLS::${_target} PROPERTIES
        IMPORTED_LOCATION "${MbedTLS_${_upper}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${MbedTLS_INCLUDE_DIR}")
    endif()
  endforeach()
  set_property(TARGET MbedTLS::mbedx509 APPEND PROPERTY INTERFACE_LINK_LIBRARIES MbedTLS::mbedcrypto)
  set_property(TARGET MbedTLS::mbedtls APPEND PROPERTY INTERFACE_LINK_LIBRARIES MbedTLS::mbedx509)
endif()
mark_as_advanced(MbedTLS_INCLUDE_DIR MbedTLS_CRYPTO_LIBRARY MbedTLS_X509_LIBRARY MbedTLS_TLS_LIBRARY)

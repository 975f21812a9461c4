# Accounts: eService and customer-portal registration and login (issue 6). Included from
# cloud/CMakeLists.txt. libsodium (Argon2id) is used only in src/accounts/password_hash.cpp and
# libcurl (SMTP) only in src/accounts/mail.cpp.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
find_package(CURL REQUIRED)

target_sources(hoistway_cloud PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/src/accounts/policy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/accounts/settings.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/accounts/password_hash.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/accounts/throttle.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/accounts/mail.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/accounts/account_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/accounts/module.cpp)
target_link_libraries(hoistway_cloud PRIVATE PkgConfig::SODIUM CURL::libcurl)

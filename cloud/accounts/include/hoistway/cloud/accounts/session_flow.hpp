// The eService sign-in as a pure transition function: (the session's stage, what the step
// established) → the next stage, back to the login screen, or "not the current step". Like asio's
// request parser it does no I/O: the routes read the session and the account, ask advance(), and
// write what it says; tests/cloud/accounts_session_flow_test.cpp walks every pair.
//
//   (none)             --temporary_password_ok-->  change_password
//   (none)             --password_ok-->            security_setup      (no question yet)
//   (none)             --password_ok-->            security_challenge  (a question is set)
//   change_password    --password_changed-->       security_setup      (no question yet)
//   change_password    --password_changed-->       login               (a question is set)
//   security_setup     --question_set-->           login               (where it is now asked)
//   security_challenge --answer_ok-->              signed_in
// A password sign-in starts anew from any stage (its cookie's session is ended). Every other pair
// is the wrong step (409, naming the current one). Only a correct security answer signs in.
//
// Thread-safety: pure functions; call from any thread.
#pragma once

#include <optional>
#include <string_view>

#include "hoistway/cloud/accounts/account_store.hpp"

namespace hoistway::cloud::accounts {

// What a step established (its secret was checked before advance() is asked).
enum class session_event {
  temporary_password_ok,  // a valid temporary password at the login screen
  password_ok,            // the permanent password at the login screen
  password_changed,       // the temporary password replaced by a permanent one
  question_set,           // a security question and answer chosen
  answer_ok,              // the security answer given correctly
};
std::string_view to_string(session_event event);

struct session_step {
  enum class kind {
    next_stage,     // a new session in `next`
    back_to_login,  // no session: the client goes to the login screen
    wrong_step,     // refused: the session is not at this step (`next`: where it is, if any)
  };
  kind outcome = kind::wrong_step;
  std::optional<session_stage> next;

  bool accepted() const { return outcome != kind::wrong_step; }
  friend bool operator==(const session_step&, const session_step&) = default;
};

// `current`: the stage of the session the request's cookie names (nullopt: none).
// `has_question`: the account has a security question and answer set.
session_step advance(std::optional<session_stage> current, session_event event, bool has_question);

}  // namespace hoistway::cloud::accounts

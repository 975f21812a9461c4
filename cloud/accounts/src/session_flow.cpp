// The eService sign-in's transition function (session_flow.hpp).
#include "hoistway/cloud/accounts/session_flow.hpp"

namespace hoistway::cloud::accounts {

std::string_view to_string(session_event event) {
  switch (event) {
    case session_event::temporary_password_ok:
      return "temporary_password_ok";
    case session_event::password_ok:
      return "password_ok";
    case session_event::password_changed:
      return "password_changed";
    case session_event::question_set:
      return "question_set";
    case session_event::answer_ok:
      return "answer_ok";
  }
  return "unknown";
}

session_step advance(std::optional<session_stage> current, session_event event, bool has_question) {
  using kind = session_step::kind;
  const auto to = [](session_stage s) { return session_step{kind::next_stage, s}; };
  const session_step login{kind::back_to_login, std::nullopt};
  const session_step wrong{kind::wrong_step, current};
  switch (event) {
    // A sign-in with a password needs no session: it starts over from wherever it was.
    case session_event::temporary_password_ok:
      return to(session_stage::change_password);
    case session_event::password_ok:
      return to(has_question ? session_stage::security_challenge : session_stage::security_setup);
    case session_event::password_changed:
      if (current != session_stage::change_password) return wrong;
      return has_question ? login : to(session_stage::security_setup);
    case session_event::question_set:
      if (current != session_stage::security_setup) return wrong;
      return login;
    case session_event::answer_ok:
      if (current != session_stage::security_challenge) return wrong;
      return to(session_stage::signed_in);
  }
  return wrong;
}

}  // namespace hoistway::cloud::accounts

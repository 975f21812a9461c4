// The eService sign-in's transition function (session_flow.hpp), pair by pair: every stage with
// every event, with and without a security question set.
#include <doctest/doctest.h>

#include <array>
#include <optional>

#include "hoistway/cloud/accounts/session_flow.hpp"

using namespace hoistway::cloud::accounts;
using kind = session_step::kind;

namespace {

constexpr std::array<std::optional<session_stage>, 5> all_stages{
    std::nullopt, session_stage::change_password, session_stage::security_setup,
    session_stage::security_challenge, session_stage::signed_in};
constexpr std::array<session_event, 5> all_events{
    session_event::temporary_password_ok, session_event::password_ok,
    session_event::password_changed, session_event::question_set, session_event::answer_ok};

}  // namespace

TEST_CASE("a password at the login screen starts anew from any stage") {
  for (const auto& from : all_stages) {
    for (const bool question : {false, true}) {
      CAPTURE(question);
      const auto temp = advance(from, session_event::temporary_password_ok, question);
      CHECK(temp.outcome == kind::next_stage);
      CHECK(temp.next == session_stage::change_password);
      const auto perm = advance(from, session_event::password_ok, question);
      CHECK(perm.outcome == kind::next_stage);
      CHECK(perm.next ==
            (question ? session_stage::security_challenge : session_stage::security_setup));
    }
  }
}

TEST_CASE("a changed password leads to setting a question, or back to login when one is set") {
  const auto without =
      advance(session_stage::change_password, session_event::password_changed, false);
  CHECK(without == session_step{kind::next_stage, session_stage::security_setup});
  const auto with = advance(session_stage::change_password, session_event::password_changed, true);
  CHECK(with == session_step{kind::back_to_login, std::nullopt});
}

TEST_CASE("a question set leads back to login, where it is asked") {
  for (const bool question : {false, true}) {
    CHECK(advance(session_stage::security_setup, session_event::question_set, question) ==
          session_step{kind::back_to_login, std::nullopt});
  }
}

TEST_CASE("only a correct security answer signs in") {
  CHECK(advance(session_stage::security_challenge, session_event::answer_ok, true) ==
        session_step{kind::next_stage, session_stage::signed_in});
  for (const auto& from : all_stages) {
    for (const auto event : all_events) {
      for (const bool question : {false, true}) {
        const auto step = advance(from, event, question);
        if (step.next != session_stage::signed_in || step.outcome != kind::next_stage) continue;
        CHECK(from == session_stage::security_challenge);
        CHECK(event == session_event::answer_ok);
      }
    }
  }
}

TEST_CASE("a step out of turn is refused and names the current stage") {
  struct turn {
    session_event event;
    session_stage wanted;
  };
  const std::array<turn, 3> turns{
      {{session_event::password_changed, session_stage::change_password},
       {session_event::question_set, session_stage::security_setup},
       {session_event::answer_ok, session_stage::security_challenge}}};
  for (const auto& t : turns) {
    CAPTURE(to_string(t.event));
    for (const auto& from : all_stages) {
      if (from == t.wanted) continue;
      for (const bool question : {false, true}) {
        const auto step = advance(from, t.event, question);
        CHECK_FALSE(step.accepted());
        CHECK(step.outcome == kind::wrong_step);
        CHECK(step.next == from);
      }
      // Acceptance depends on the stage alone (the routes ask before reading the account).
      CHECK(advance(from, t.event, false).accepted() == advance(from, t.event, true).accepted());
    }
  }
}

TEST_CASE("every event has a name") {
  for (const auto event : all_events) CHECK(to_string(event) != "unknown");
}

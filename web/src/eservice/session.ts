// What eService's screens share between steps: the e-mail typed at sign-in (the password-change
// screen asks for it again, as the guide's does), a notice for the next screen, and the signed-in
// account. The session itself lives in the server's HttpOnly cookie; nothing secret is kept here.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api } from "../lib/api";
import { navigate } from "../lib/router";

export interface EserviceAccount {
  email: string;
  customer_id: string;
  language: "ja" | "en";
  display_name: string;
  has_logged_in: boolean;
  first_login_at: string | null;
}

export interface Question {
  id: string;
  text: string;
}

export interface Step {
  next: "change_password" | "security_setup" | "security_challenge" | "login" | "top";
  questions?: Question[];
  question?: Question;
  account?: EserviceAccount;
}

export const flow = {
  email: "",
  questions: [] as Question[],
  notice: "" as "" | "question_set_notice" | "password_changed_notice" | "signed_out_notice",
};

// The screen a step leads to.
export function goToStep(step: Step["next"], after = "/eservice"): void {
  switch (step) {
    case "change_password":
      navigate("/eservice/password");
      return;
    case "security_setup":
      navigate("/eservice/security-question");
      return;
    case "top":
      navigate(after.startsWith("/eservice") ? after : "/eservice");
      return;
    default:
      navigate("/eservice/login");
  }
}

// The signed-in account, or a move to the login page (which comes back here after sign-in).
export function useEserviceAccount(): EserviceAccount | null {
  const [account, setAccount] = useState<EserviceAccount | null>(null);
  useEffect(() => {
    let live = true;
    api
      .get<{ stage: string; account?: EserviceAccount }>("/api/v1/eservice/session")
      .then((s) => {
        if (!live) return;
        if (s.stage === "signed_in" && s.account) setAccount(s.account);
        else navigate(`/eservice/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
      })
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 401) {
          navigate(`/eservice/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
        }
      });
    return () => {
      live = false;
    };
  }, []);
  return account;
}

export async function signOut(): Promise<void> {
  try {
    await api.post("/api/v1/eservice/logout", {});
  } finally {
    flow.notice = "signed_out_notice";
    navigate("/eservice/login");
  }
}

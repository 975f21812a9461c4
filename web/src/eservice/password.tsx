// The forced password change after a temporary password (the guide's step ⑤): e-mail or login
// ID, current password, new password twice; the 8–20 half-width alphanumeric rule ticks as typed.
import { useRef, useState } from "preact/hooks";
import { Layout } from "../components/layout";
import { ApiError, api, type FieldError } from "../lib/api";
import { translator, useLang } from "../lib/i18n";
import { eserviceWords } from "./messages";
import {
  Field,
  FormError,
  RuleList,
  length,
  refusalOf,
  useFocusError,
  useFocusHeading,
  type Refusal,
} from "./forms";
import { flow, goToStep, type Step } from "./session";

const t = translator(eserviceWords);

export function eservicePasswordRules(next: string, again: string, current: string) {
  const n = length(next);
  return [
    { met: n >= 8, text: t("rule_min8") },
    { met: n > 0 && n <= 20, text: t("rule_max20") },
    { met: n > 0 && /^[A-Za-z0-9]+$/.test(next), text: t("rule_alnum") },
    { met: n > 0 && next !== current, text: t("rule_differs") },
    { met: n > 0 && next === again, text: t("rule_same") },
  ];
}

function fieldText(f: FieldError): string | null {
  const m = f.message;
  switch (f.field) {
    case "email":
      return t("email_signed_in");
    case "current_password":
      return t("current_wrong");
    case "new_password":
      if (m.includes("characters")) return t("new_length");
      if (m.includes("only")) return t("new_chars");
      if (m.includes("differ")) return t("new_same_as_temp");
      return null;
    case "new_password_confirm":
      return t("new_differ");
    default:
      return null;
  }
}

export function PasswordScreen() {
  useLang();
  const [email, setEmail] = useState(flow.email);
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusHeading("password");
  useFocusError(refusal, formRef);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setRefusal(null);
    try {
      const step = await api.post<Step>("/api/v1/eservice/password", {
        email,
        current_password: current,
        new_password: next,
        new_password_confirm: again,
      });
      if (step.questions) flow.questions = step.questions;
      if (step.next === "login") flow.notice = "password_changed_notice";
      goToStep(step.next);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        const n = (err.body.next as Step["next"]) ?? "login";
        goToStep(n);
        return;
      }
      setRefusal(refusalOf(err, fieldText));
    } finally {
      setBusy(false);
    }
  }

  const f = refusal?.fields ?? {};
  return (
    <Layout service={t("service")} title={t("password_title")}>
      <p>{t("password_intro")}</p>
      <form class="form card" ref={formRef} onSubmit={submit} noValidate>
        <FormError text={refusal?.form ?? ""} lang={refusal?.formLang} />
        <Field id="pw-email" label={t("login_id")} required error={f.email?.text} errorLang={f.email?.lang}>
          {(aria) => (
            <input {...aria} type="email" autoComplete="username" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          )}
        </Field>
        <Field
          id="pw-current"
          label={t("current_password")}
          hint={t("current_password_hint")}
          required
          error={f.current_password?.text}
          errorLang={f.current_password?.lang}
        >
          {(aria) => (
            <input
              {...aria}
              type="password"
              autoComplete="current-password"
              value={current}
              onInput={(e) => setCurrent(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          id="pw-new"
          label={t("new_password")}
          hint={t("new_password_hint")}
          required
          error={f.new_password?.text}
          errorLang={f.new_password?.lang}
          extraId="pw-rules"
          extra={<RuleList id="pw-rules" label={t("rules_label")} rules={eservicePasswordRules(next, again, current)} />}
        >
          {(aria) => (
            <input
              {...aria}
              type="password"
              autoComplete="new-password"
              maxLength={64}
              value={next}
              onInput={(e) => setNext(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          id="pw-again"
          label={t("new_password_again")}
          required
          error={f.new_password_confirm?.text}
          errorLang={f.new_password_confirm?.lang}
        >
          {(aria) => (
            <input
              {...aria}
              type="password"
              autoComplete="new-password"
              maxLength={64}
              value={again}
              onInput={(e) => setAgain(e.currentTarget.value)}
            />
          )}
        </Field>
        <div class="actions">
          <button class="button" type="submit" disabled={busy}>
            {t("save_continue")}
          </button>
          <a href="/eservice/login">{t("back_to_login")}</a>
        </div>
      </form>
    </Layout>
  );
}

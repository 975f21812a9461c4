// The customer portal's sign-in: e-mail (the eService one) and the portal password; then the
// portal's own pages (/portal). A link leads to the access request.
import { useEffect, useRef, useState } from "preact/hooks";
import { Layout } from "../components/layout";
import { ApiError, api, type FieldError } from "../lib/api";
import { translator, useLang } from "../lib/i18n";
import { navigate } from "../lib/router";
import { accessWords } from "./messages";
import { Field, FormError, refusalOf, useFocusError, useFocusHeading, type Refusal } from "../eservice/forms";

const t = translator(accessWords);

function fieldText(f: FieldError): string | null {
  return f.field === "email" ? t("email_invalid") : null;
}

export function PortalLoginScreen() {
  useLang();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  // Sent here by the portal's pages because the session ended (portal/live.ts): said once.
  const [ended] = useState(() => {
    try {
      const flag = window.sessionStorage.getItem("hoistway.portal.expired") === "1";
      window.sessionStorage.removeItem("hoistway.portal.expired");
      return flag;
    } catch {
      return false;
    }
  });
  useFocusHeading("portal-login");
  useFocusError(refusal, formRef);
  useEffect(() => {
    // The screen's CSRF token (a cookie) before the first POST.
    api.get("/api/v1/portal/login").catch(() => undefined);
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setRefusal(null);
    try {
      await api.post("/api/v1/portal/login", { email, password, remember });
      navigate("/portal");
    } catch (err) {
      setRefusal(refusalOf(err, fieldText, (x: ApiError) => (x.status === 401 ? t("login_wrong") : null)));
    } finally {
      setBusy(false);
    }
  }

  const f = refusal?.fields ?? {};
  return (
    <Layout service={t("service")} title={t("login_title")}>
      {ended && (
        <p class="form-error" role="status">
          {t("session_ended")}
        </p>
      )}
      <form class="form card" ref={formRef} onSubmit={submit} noValidate>
        <FormError text={refusal?.form ?? ""} />
        <Field id="pl-email" label={t("login_email")} required error={f.email?.text} errorLang={f.email?.lang}>
          {(aria) => (
            <input {...aria} type="email" autoComplete="username" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          )}
        </Field>
        <Field id="pl-password" label={t("login_password")} required>
          {(aria) => (
            <input
              {...aria}
              type="password"
              autoComplete="current-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        <div class="check">
          <input type="checkbox" id="pl-remember" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
          <label for="pl-remember">{t("remember")}</label>
        </div>
        <div class="actions">
          <button class="button" type="submit" disabled={busy}>
            {t("login_button")}
          </button>
        </div>
      </form>
      <div class="login-links card">
        <p>
          {t("request_link_lead")} <a href="/portal/request">{t("request_link")}</a>
        </p>
        <p>
          {t("eservice_link_lead")} <a href="/eservice/login">{t("eservice_link")}</a>
        </p>
      </div>
    </Layout>
  );
}

// The profile: what the account is (e-mail / login ID, customer, first sign-in) and what the
// customer may change (display name; the language of mails and reports).
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type FieldError } from "../lib/api";
import { formatDateTime, translator, useLang } from "../lib/i18n";
import { eserviceWords } from "./messages";
import { Field, FormError, FormOk, refusalOf, useFocusError, useFocusHeading, type Refusal } from "./forms";
import { EserviceFrame } from "./top";
import { useEserviceAccount, type EserviceAccount } from "./session";

const t = translator(eserviceWords);

function fieldText(f: FieldError): string | null {
  if (f.field === "display_name") return t("display_name_long");
  return null;
}

export function ProfileScreen() {
  useLang();
  const signedIn = useEserviceAccount();
  const [account, setAccount] = useState<EserviceAccount | null>(null);
  const [name, setName] = useState("");
  const [language, setLanguage] = useState<"ja" | "en">("ja");
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusHeading("profile");
  useFocusError(refusal, formRef);
  useEffect(() => {
    if (!signedIn) return;
    setAccount(signedIn);
    setName(signedIn.display_name);
    setLanguage(signedIn.language);
  }, [signedIn]);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setSaved(false);
    setRefusal(null);
    try {
      const a = await api.post<EserviceAccount>("/api/v1/eservice/profile", { display_name: name, language });
      setAccount(a);
      setSaved(true);
    } catch (err) {
      setRefusal(refusalOf(err, fieldText));
    } finally {
      setBusy(false);
    }
  }

  const f = refusal?.fields ?? {};
  return (
    <EserviceFrame title={t("profile_title")} account={signedIn} current="profile">
      {account && (
        <>
          <dl class="profile card">
            <div>
              <dt>{t("profile_email")}</dt>
              <dd>{account.email}</dd>
            </div>
            <div>
              <dt>{t("profile_customer")}</dt>
              <dd>{account.customer_id}</dd>
            </div>
            <div>
              <dt>{t("profile_first_login")}</dt>
              <dd>{account.first_login_at ? formatDateTime(account.first_login_at) : "—"}</dd>
            </div>
          </dl>
          <form class="form card" ref={formRef} onSubmit={submit} noValidate>
            <FormError text={refusal?.form ?? ""} />
            <FormOk text={saved ? t("profile_saved") : ""} />
            <Field
              id="pf-name"
              label={t("profile_display_name")}
              hint={t("profile_display_name_hint")}
              error={f.display_name?.text}
              errorLang={f.display_name?.lang}
            >
              {(aria) => (
                <input {...aria} type="text" autoComplete="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
              )}
            </Field>
            <Field id="pf-language" label={t("profile_language")} error={f.language?.text} errorLang={f.language?.lang}>
              {(aria) => (
                <select {...aria} value={language} onChange={(e) => setLanguage(e.currentTarget.value === "en" ? "en" : "ja")}>
                  <option value="ja">{t("lang_ja")}</option>
                  <option value="en">{t("lang_en")}</option>
                </select>
              )}
            </Field>
            <div class="actions">
              <button class="button" type="submit" disabled={busy}>
                {t("save")}
              </button>
            </div>
          </form>
        </>
      )}
    </EserviceFrame>
  );
}

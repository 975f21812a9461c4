// The access-request form exactly as the guide draws it: the eService e-mail, "send verification
// code", "verify code"; password twice (8–16, 3 of 4 kinds, hinted live), company, names,
// country, mobile phone (no leading 0, no hyphens, with the example); the Privacy Policy and the
// Terms of Use each opened and ticked; "continue" → the eService security question → "send
// request" → signed in, and the sales representative's 24–48 hours.
import { useEffect, useRef, useState } from "preact/hooks";
import { Layout } from "../components/layout";
import { ApiError, api, type FieldError } from "../lib/api";
import { translator, useLang } from "../lib/i18n";
import { accessWords } from "./messages";
import {
  Field,
  FormError,
  FormOk,
  RuleList,
  length,
  refusalOf,
  useFocusError,
  useFocusHeading,
  type Refusal,
} from "../eservice/forms";

const t = translator(accessWords);
const symbols = "@#$%^&*-_+=[]{}|\\:',?/`~\"();.";

export function portalPasswordRules(pw: string, again: string) {
  const chars = Array.from(pw);
  const lower = chars.some((c) => c >= "a" && c <= "z");
  const upper = chars.some((c) => c >= "A" && c <= "Z");
  const digit = chars.some((c) => c >= "0" && c <= "9");
  const symbol = chars.some((c) => symbols.includes(c));
  const classes = [lower, upper, digit, symbol].filter(Boolean).length;
  const allowed = chars.every((c) => /[A-Za-z0-9]/.test(c) || symbols.includes(c));
  const n = length(pw);
  return [
    { met: n >= 8 && n <= 16, text: t("rule_len") },
    { met: classes >= 3, text: t("rule_classes", { n: classes }) },
    { met: lower, text: `· ${t("rule_lower")}` },
    { met: upper, text: `· ${t("rule_upper")}` },
    { met: digit, text: `· ${t("rule_digit")}` },
    { met: symbol, text: `· ${t("rule_symbol")}` },
    { met: n > 0 && allowed, text: t("rule_chars") },
    { met: n > 0 && pw === again, text: t("rule_same") },
  ];
}

export function mobileRules(m: string) {
  return [
    { met: m.length > 0 && /^[0-9]+$/.test(m), text: t("mobile_rule_digits") },
    { met: m.length > 0 && !m.startsWith("0") && !m.startsWith("+"), text: t("mobile_rule_zero") },
    { met: /^[789]0[0-9]{8}$/.test(m), text: t("mobile_rule_len") },
  ];
}

function fieldText(f: FieldError): string | null {
  const m = f.message;
  switch (f.field) {
    case "email":
      return t("email_invalid");
    case "password":
      if (m.includes("characters")) return t("password_length");
      if (m.includes("only")) return t("password_chars");
      if (m.includes("at least")) return t("password_classes");
      return null;
    case "password_confirm":
      return t("password_differ");
    case "company":
      return t("field_required", { n: 200 });
    case "last_name":
    case "first_name":
      return t("field_required", { n: 100 });
    case "country":
      return t("country_required");
    case "mobile_phone":
      if (m.includes("required")) return t("mobile_required");
      if (m.includes("country code")) return t("mobile_wrong_plus");
      if (m.includes("without the leading 0 and without hyphens")) return t("mobile_wrong_zero_hyphen");
      if (m.includes("without the leading 0")) return t("mobile_wrong_zero");
      if (m.includes("without hyphens")) return t("mobile_wrong_hyphen");
      if (m.includes("only digits")) return t("mobile_wrong_digits");
      if (m.includes("must have")) return t("mobile_wrong_len");
      if (m.includes("starts with")) return t("mobile_wrong_prefix");
      return null;
    case "privacy_policy_accepted":
      return t("must_tick_privacy");
    case "terms_of_use_accepted":
      return t("must_tick_terms");
    case "privacy_policy_version":
    case "terms_of_use_version":
      return t("version_changed");
    default:
      return null;
  }
}

interface Screen {
  privacy_policy_version: string;
  terms_of_use_version: string;
}

// A policy: opened in a modal dialog (focus kept inside, Escape closes); the box can be ticked
// once it has been opened.
function Policy(p: {
  id: string;
  title: string;
  body: string[];
  version: string;
  check: string;
  opened: boolean;
  onOpen: () => void;
  checked: boolean;
  onCheck: (v: boolean) => void;
  error?: { text: string; lang?: string };
}) {
  useLang();
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const hintId = `${p.id}-hint`;
  const errorId = `${p.id}-error`;
  return (
    <div class="field policy">
      <button
        type="button"
        class="link-button policy-open"
        ref={opener}
        aria-haspopup="dialog"
        onClick={() => {
          dialog.current?.showModal();
          p.onOpen();
        }}
      >
        {p.title}
      </button>
      <div class="check">
        <input
          type="checkbox"
          id={p.id}
          checked={p.checked}
          disabled={!p.opened}
          aria-invalid={p.error ? "true" : undefined}
          aria-describedby={[hintId, p.error ? errorId : ""].filter(Boolean).join(" ")}
          onChange={(e) => p.onCheck(e.currentTarget.checked)}
        />
        <label for={p.id}>{p.check}</label>
      </div>
      <p class="hint" id={hintId}>
        {p.opened ? t("opened", { v: p.version }) : t("open_first", { doc: p.title })}
      </p>
      {p.error && (
        <p class="error" id={errorId} lang={p.error.lang}>
          <span aria-hidden="true">⚠ </span>
          {p.error.text}
        </p>
      )}
      <dialog
        ref={dialog}
        class="policy-dialog"
        aria-labelledby={`${p.id}-title`}
        onClose={() => opener.current?.focus()}
      >
        <h2 id={`${p.id}-title`}>{p.title}</h2>
        <p class="hint">{t("policy_version", { v: p.version })}</p>
        {p.body.map((b) => (
          <p key={b}>{b}</p>
        ))}
        <form method="dialog">
          <button class="button" type="submit">
            {t("close")}
          </button>
        </form>
      </dialog>
    </div>
  );
}

type Stage = "form" | "question" | "done";

export function RequestScreen() {
  const lang = useLang();
  const [screen, setScreen] = useState<Screen | null>(null);
  const [stage, setStage] = useState<Stage>("form");
  const [email, setEmail] = useState("");
  const [codeSent, setCodeSent] = useState(false);
  const [code, setCode] = useState("");
  const [verified, setVerified] = useState(false);
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [company, setCompany] = useState("");
  const [lastName, setLastName] = useState("");
  const [firstName, setFirstName] = useState("");
  const [country, setCountry] = useState("JP");
  const [mobile, setMobile] = useState("");
  const [privacyOpened, setPrivacyOpened] = useState(false);
  const [termsOpened, setTermsOpened] = useState(false);
  const [privacy, setPrivacy] = useState(false);
  const [terms, setTerms] = useState(false);
  const [question, setQuestion] = useState("");
  const [questionId, setQuestionId] = useState("");
  const [answer, setAnswer] = useState("");
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  useFocusHeading(`request-${stage}`);
  useFocusError(refusal, formRef);

  // The eService question in the page's language (the server words it in the account's).
  useEffect(() => {
    if (!questionId) return;
    let live = true;
    api
      .get<{ questions: { id: string; text: string }[] }>(`/api/v1/eservice/security-questions?language=${lang}`)
      .then((r) => {
        const same = r.questions.find((q) => q.id === questionId);
        if (live && same) setQuestion(same.text);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [lang, questionId]);

  useEffect(() => {
    api
      .get<Screen>("/api/v1/portal/access-request")
      .then(setScreen)
      .catch((e: unknown) => setRefusal(refusalOf(e, () => null)));
  }, []);

  async function run(action: () => Promise<void>, statusText?: (e: ApiError) => string | null, at?: string) {
    if (busy) return;
    setBusy(true);
    setRefusal(null);
    try {
      await action();
    } catch (err) {
      let own: string | null = null;
      if (err instanceof ApiError && statusText) own = statusText(err);
      if (own && at) setRefusal({ form: "", fields: { [at]: { text: own } } });
      else setRefusal(refusalOf(err, fieldText, () => own));
    } finally {
      setBusy(false);
    }
  }

  const sendCode = () =>
    run(async () => {
      await api.post("/api/v1/portal/access-request/code", { email });
      setCodeSent(true);
      setVerified(false);
      setCode("");
      setTimeout(() => codeRef.current?.focus(), 0);
    });

  const verify = () =>
    run(
      async () => {
        if (!/^[0-9]{6}$/.test(code)) {
          setRefusal({ form: "", fields: { code: { text: t("code_format") } } });
          return;
        }
        await api.post("/api/v1/portal/access-request/verify", { email, code });
        setVerified(true);
        setTimeout(() => passwordRef.current?.focus(), 0);
      },
      (e) => (e.status === 400 ? t("code_wrong") : null),
      "code",
    );

  const submitForm = (e: Event) => {
    e.preventDefault();
    if (!verified) {
      const at = codeSent ? "code" : "email";
      setRefusal({ form: t("verify_first"), fields: { [at]: { text: t("verify_first") } } });
      return;
    }
    void run(
      async () => {
        const r = await api.post<{ question?: { id: string; text: string } }>("/api/v1/portal/access-request/form", {
          password,
          password_confirm: again,
          company,
          last_name: lastName,
          first_name: firstName,
          country,
          mobile_phone: mobile,
          privacy_policy_accepted: privacy,
          privacy_policy_version: screen?.privacy_policy_version ?? "",
          terms_of_use_accepted: terms,
          terms_of_use_version: screen?.terms_of_use_version ?? "",
        });
        setQuestion(r.question?.text ?? "");
        setQuestionId(r.question?.id ?? "");
        setStage("question");
      },
      (x) => {
        if (x.status === 401) {
          setVerified(false);
          return t("verify_first");
        }
        if (x.status === 409) return t("question_reset");
        return null;
      },
    );
  };

  const sendRequest = (e: Event) => {
    e.preventDefault();
    void run(
      async () => {
        await api.post("/api/v1/portal/access-request/security-answer", { answer });
        setStage("done");
      },
      (x) => {
        if (x.status === 401 && x.detail.includes("wrong")) return t("answer_wrong");
        if (x.status === 401) {
          setStage("form");
          setVerified(false);
          return t("restart");
        }
        if (x.status === 409 && x.detail.includes("exists")) return t("portal_exists");
        return null;
      },
      "answer",
    );
  };

  const f = refusal?.fields ?? {};
  if (stage === "done") {
    return (
      <Layout service={t("service")} title={t("done_title")} key="done">
        <div class="card">
          <FormOk text={t("done_text")} />
          <p>
            <a class="button" href="/portal">
              {t("to_portal")}
            </a>
          </p>
        </div>
      </Layout>
    );
  }
  if (stage === "question") {
    return (
      <Layout service={t("service")} title={t("question_title")} key="question">
        <p>{t("question_intro")}</p>
        <form class="form card" ref={formRef} onSubmit={sendRequest} noValidate>
          <FormError text={refusal?.form ?? ""} />
          {f.answer && f.answer.text === t("portal_exists") && (
            <p>
              <a href="/portal/login">{t("login_button")}</a>
            </p>
          )}
          <Field id="rq-answer" label={question || t("answer")} required error={f.answer?.text} errorLang={f.answer?.lang}>
            {(aria) => (
              <input
                {...aria}
                type="password"
                autoComplete="off"
                maxLength={64}
                value={answer}
                onInput={(e) => setAnswer(e.currentTarget.value)}
              />
            )}
          </Field>
          <div class="actions">
            <button class="button" type="submit" disabled={busy}>
              {t("send_request")}
            </button>
          </div>
        </form>
      </Layout>
    );
  }

  const text = (id: string, label: string, value: string, set: (v: string) => void, auto: string, max: number) => (
    <Field id={`rq-${id}`} label={label} required error={f[id]?.text} errorLang={f[id]?.lang}>
      {(aria) => (
        <input {...aria} type="text" autoComplete={auto} maxLength={max} value={value} onInput={(e) => set(e.currentTarget.value)} />
      )}
    </Field>
  );

  return (
    <Layout service={t("service")} title={t("request_title")} key="form">
      <p class="notice">{t("request_notice")}</p>
      <p>{t("request_needs_eservice")}</p>
      <form class="form card" ref={formRef} onSubmit={submitForm} noValidate>
        <FormError text={refusal?.form ?? ""} lang={refusal?.formLang} />
        <fieldset class="group">
          <legend>{t("email")}</legend>
          <Field id="rq-email" label={t("email")} hint={t("email_hint")} required error={f.email?.text} errorLang={f.email?.lang}>
            {(aria) => (
              <input
                {...aria}
                type="email"
                autoComplete="email"
                value={email}
                readOnly={verified}
                onInput={(e) => {
                  setEmail(e.currentTarget.value);
                  setVerified(false);
                }}
              />
            )}
          </Field>
          {!verified && (
            <div class="actions">
              <button type="button" class="button secondary" disabled={busy} onClick={() => void sendCode()}>
                {codeSent ? t("resend_code") : t("send_code")}
              </button>
            </div>
          )}
          {codeSent && !verified && <FormOk text={t("code_sent")} />}
          {codeSent && !verified && (
            <>
              <Field id="rq-code" label={t("code")} hint={t("code_hint")} required error={f.code?.text} errorLang={f.code?.lang}>
                {(aria) => (
                  <input
                    {...aria}
                    ref={codeRef}
                    type="text"
                    inputMode="numeric"
                    autoComplete="one-time-code"
                    maxLength={6}
                    value={code}
                    onInput={(e) => setCode(e.currentTarget.value.trim())}
                  />
                )}
              </Field>
              <div class="actions">
                <button type="button" class="button secondary" disabled={busy} onClick={() => void verify()}>
                  {t("verify_code")}
                </button>
              </div>
            </>
          )}
          {verified && <FormOk text={t("verified")} />}
        </fieldset>

        <Field
          id="rq-password"
          label={t("password")}
          hint={t("password_hint")}
          required
          error={f.password?.text}
          errorLang={f.password?.lang}
          extraId="rq-password-rules"
          extra={<RuleList id="rq-password-rules" label={t("rules_label")} rules={portalPasswordRules(password, again)} />}
        >
          {(aria) => (
            <input
              {...aria}
              ref={passwordRef}
              type="password"
              autoComplete="new-password"
              maxLength={64}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="rq-password_confirm" label={t("password_again")} required error={f.password_confirm?.text} errorLang={f.password_confirm?.lang}>
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
        {text("company", t("company"), company, setCompany, "organization", 200)}
        {text("last_name", t("last_name"), lastName, setLastName, "family-name", 100)}
        {text("first_name", t("first_name"), firstName, setFirstName, "given-name", 100)}
        <Field id="rq-country" label={t("country")} required error={f.country?.text} errorLang={f.country?.lang}>
          {(aria) => (
            <select {...aria} value={country} onChange={(e) => setCountry(e.currentTarget.value)}>
              <option value="JP">{t("country_jp")}</option>
            </select>
          )}
        </Field>
        <Field
          id="rq-mobile_phone"
          label={t("mobile")}
          hint={t("mobile_hint")}
          required
          error={f.mobile_phone?.text}
          errorLang={f.mobile_phone?.lang}
          extraId="rq-mobile-rules"
          extra={<RuleList id="rq-mobile-rules" label={t("mobile_rules_label")} rules={mobileRules(mobile)} />}
        >
          {(aria) => (
            <input
              {...aria}
              type="tel"
              inputMode="numeric"
              autoComplete="tel-national"
              placeholder="9011112222"
              maxLength={20}
              value={mobile}
              onInput={(e) => setMobile(e.currentTarget.value)}
            />
          )}
        </Field>
        <Policy
          id="rq-privacy"
          title={t("privacy")}
          body={[t("privacy_body1"), t("privacy_body2"), t("privacy_body3")]}
          version={screen?.privacy_policy_version ?? ""}
          check={t("privacy_check")}
          opened={privacyOpened}
          onOpen={() => setPrivacyOpened(true)}
          checked={privacy}
          onCheck={setPrivacy}
          error={f.privacy_policy_accepted ?? f.privacy_policy_version}
        />
        <Policy
          id="rq-terms"
          title={t("terms")}
          body={[t("terms_body1"), t("terms_body2"), t("terms_body3")]}
          version={screen?.terms_of_use_version ?? ""}
          check={t("terms_check")}
          opened={termsOpened}
          onOpen={() => setTermsOpened(true)}
          checked={terms}
          onCheck={setTerms}
          error={f.terms_of_use_accepted ?? f.terms_of_use_version}
        />
        <div class="actions">
          <a class="button secondary" href="/portal/login">
            {t("cancel")}
          </a>
          <button class="button" type="submit" disabled={busy}>
            {t("continue")}
          </button>
        </div>
      </form>
    </Layout>
  );
}

// eService's login page as the guide draws it: country/language, e-mail, password, remember me;
// links to new registration, "forgot password" (click once) and the profile. After a permanent
// password the same page asks the security question (with "forgot security answer").
import { useEffect, useRef, useState } from "preact/hooks";
import { Layout } from "../components/layout";
import { ApiError, api, type FieldError } from "../lib/api";
import { currentLang, setLang, translator, useLang } from "../lib/i18n";
import { currentQuery } from "../lib/router";
import { eserviceWords } from "./messages";
import { Field, FormError, FormOk, refusalOf, useFocusError, useFocusHeading, type Refusal } from "./forms";
import { flow, goToStep, type Question, type Step } from "./session";

const t = translator(eserviceWords);

export function emailText(f: FieldError): string | null {
  if (f.field === "email") return t("email_invalid");
  return null;
}

export function LoginScreen() {
  const lang = useLang();
  const [email, setEmail] = useState(flow.email);
  const [password, setPassword] = useState("");
  const [remember, setRemember] = useState(false);
  const [question, setQuestion] = useState<Question | null>(null);
  const [answer, setAnswer] = useState("");
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [notice, setNotice] = useState(flow.notice ? t(flow.notice) : "");
  const [forgotSent, setForgotSent] = useState(false);
  const [forgotAnswerSent, setForgotAnswerSent] = useState(false);
  const [forgotError, setForgotError] = useState<Refusal | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const answerRef = useRef<HTMLInputElement>(null);
  useFocusHeading("login");
  useFocusError(refusal, formRef);
  useFocusError(forgotError, formRef);
  useEffect(() => {
    flow.notice = "";
    // The screen's CSRF token (a cookie) before the first POST.
    api.get("/api/v1/eservice/login").catch(() => undefined);
  }, []);
  useEffect(() => {
    if (question) answerRef.current?.focus();
  }, [question?.id]);
  // The question in the page's language: the switch may change after the server asked it.
  useEffect(() => {
    if (!question) return;
    let live = true;
    api
      .get<{ questions: Question[] }>(`/api/v1/eservice/security-questions?language=${lang}`)
      .then((r) => {
        const same = r.questions.find((q) => q.id === question.id);
        if (live && same && same.text !== question.text) setQuestion(same);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [lang, question?.id]);

  const after = currentQuery().get("next") ?? "/eservice";

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setRefusal(null);
    setNotice("");
    try {
      if (!question) {
        flow.email = email.trim();
        const step = await api.post<Step>("/api/v1/eservice/login", {
          email,
          password,
          remember,
          language: currentLang(),
        });
        if (step.next === "security_challenge" && step.question) {
          setQuestion(step.question);
        } else {
          if (step.questions) flow.questions = step.questions;
          goToStep(step.next, after);
        }
      } else {
        const step = await api.post<Step>("/api/v1/eservice/security-answer", { answer });
        goToStep(step.next, after);
      }
    } catch (err) {
      setRefusal(
        refusalOf(err, emailText, (x: ApiError) => {
          if (x.status === 401 && !question) return t("login_wrong");
          if (x.status === 401 && question && x.detail.includes("wrong")) return t("answer_wrong");
          if (x.status === 401 && question) {
            setQuestion(null);
            return null;
          }
          if (x.status === 409) {
            setQuestion(null);
            return null;
          }
          return null;
        }),
      );
    } finally {
      setBusy(false);
    }
  }

  // "Click once only": the button stays disabled once the server has the request, and says why.
  async function forgotPassword() {
    setForgotError(null);
    if (!email.trim()) {
      setForgotError({ form: "", fields: { email: { text: t("forgot_password_need_email") } } });
      return;
    }
    setForgotSent(true);
    try {
      await api.post("/api/v1/eservice/forgot-password", { email });
    } catch (err) {
      setForgotSent(false);
      setForgotError(refusalOf(err, emailText));
    }
  }

  async function forgotAnswer() {
    setForgotError(null);
    setForgotAnswerSent(true);
    try {
      await api.post("/api/v1/eservice/forgot-security-answer", { email });
    } catch (err) {
      setForgotAnswerSent(false);
      setForgotError(refusalOf(err, emailText));
    }
  }

  const shown = refusal ?? forgotError;
  const emailError = shown?.fields.email;
  return (
    <Layout service={t("service")} title={t("login_title")}>
      <p class="brand-line">{t("brand_line")}</p>
      <FormOk text={notice} />
      <form class="form card" ref={formRef} onSubmit={submit} noValidate>
        <FormError text={shown?.form ?? ""} />
        <Field id="es-country" label={t("country_language")}>
          {(aria) => (
            <select
              {...aria}
              value={lang}
              onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value === "en" ? "en" : "ja")}
            >
              <option value="ja">{t("country_ja")}</option>
              <option value="en">{t("country_en")}</option>
            </select>
          )}
        </Field>
        <Field id="es-email" label={t("email")} required error={emailError?.text} errorLang={emailError?.lang}>
          {(aria) => (
            <input
              {...aria}
              type="email"
              autoComplete="username"
              value={email}
              readOnly={question !== null}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          )}
        </Field>
        {question === null ? (
          <>
            <Field id="es-password" label={t("password")} required>
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
              <input
                type="checkbox"
                id="es-remember"
                checked={remember}
                aria-describedby="es-remember-hint"
                onChange={(e) => setRemember(e.currentTarget.checked)}
              />
              <div>
                <label for="es-remember">{t("remember")}</label>
                <div class="hint" id="es-remember-hint">
                  {t("remember_hint")}
                </div>
              </div>
            </div>
          </>
        ) : (
          <section class="challenge" aria-labelledby="es-challenge-heading">
            <h2 id="es-challenge-heading">{t("security_password")}</h2>
            <p>{t("step_challenge_intro")}</p>
            <Field id="es-answer" label={question.text} required>
              {(aria) => (
                <input
                  {...aria}
                  ref={answerRef}
                  type="password"
                  autoComplete="off"
                  value={answer}
                  onInput={(e) => setAnswer(e.currentTarget.value)}
                />
              )}
            </Field>
          </section>
        )}
        <div class="actions">
          <button class="button" type="submit" disabled={busy} aria-disabled={busy ? "true" : undefined}>
            {t("login_button")}
          </button>
        </div>
        {question !== null && (
          <div class="once">
            <span>{t("forgot_answer")}</span>{" "}
            <button
              type="button"
              class="link-button"
              disabled={forgotAnswerSent}
              aria-describedby={forgotAnswerSent ? "es-forgot-answer-sent" : undefined}
              onClick={forgotAnswer}
            >
              {t("click_here")}
            </button>
            {forgotAnswerSent && <FormOk id="es-forgot-answer-sent" text={t("forgot_answer_sent")} />}
          </div>
        )}
      </form>
      {question === null && (
        <div class="login-links card">
          <p>
            {t("new_registration")} <a href="/eservice/register">{t("register_link")}</a>
          </p>
          <div class="once">
            <span id="es-forgot-label">{t("forgot_password")}</span>
            <br />
            <button
              type="button"
              class="link-button"
              id="es-forgot"
              disabled={forgotSent}
              aria-describedby={forgotSent ? "es-forgot-sent" : "es-forgot-label"}
              onClick={forgotPassword}
            >
              {t("forgot_password_button")}
            </button>
            {forgotSent && <FormOk id="es-forgot-sent" text={t("forgot_password_sent")} />}
          </div>
          <p>
            {t("update_profile")} <a href="/eservice/profile">{t("click_here")}</a>
          </p>
        </div>
      )}
    </Layout>
  );
}

// The security question setup (the guide's step ⑦): pick a question, type the answer (3–20 of
// half-width letters, digits and - + , ' * . _ space, hinted live); save, or cancel (signs out).
import { useEffect, useRef, useState } from "preact/hooks";
import { Layout } from "../components/layout";
import { ApiError, api, type FieldError } from "../lib/api";
import { translator, useLang } from "../lib/i18n";
import { eserviceWords } from "./messages";
import { Field, FormError, RuleList, length, refusalOf, useFocusError, useFocusHeading, type Refusal } from "./forms";
import { flow, goToStep, signOut, type Question, type Step } from "./session";

const t = translator(eserviceWords);

export function answerRules(answer: string) {
  const n = length(answer);
  return [
    { met: n >= 3, text: t("rule_min3") },
    { met: n > 0 && n <= 20, text: t("rule_max20") },
    { met: n > 0 && /^[A-Za-z0-9\-+,'*._ ]+$/.test(answer), text: t("rule_answer_chars") },
  ];
}

function fieldText(f: FieldError): string | null {
  if (f.field === "question_id") return t("question_choose");
  if (f.field === "answer") {
    if (f.message.includes("characters")) return t("answer_length");
    if (f.message.includes("only")) return t("answer_chars");
  }
  return null;
}

export function SecurityScreen() {
  const lang = useLang();
  const [questions, setQuestions] = useState<Question[]>(flow.questions);
  const [questionId, setQuestionId] = useState("");
  const [answer, setAnswer] = useState("");
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusHeading("security");
  useFocusError(refusal, formRef);
  // The list in the page's language (the ids stay; only the words change).
  useEffect(() => {
    api
      .get<{ questions: Question[] }>(`/api/v1/eservice/security-questions?language=${lang}`)
      .then((r) => setQuestions(r.questions))
      .catch(() => undefined);
  }, [lang]);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setRefusal(null);
    try {
      const step = await api.post<Step>("/api/v1/eservice/security-question", { question_id: questionId, answer });
      if (step.next === "login") flow.notice = "question_set_notice";
      goToStep(step.next);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        goToStep((err.body.next as Step["next"]) ?? "login");
        return;
      }
      setRefusal(refusalOf(err, fieldText));
    } finally {
      setBusy(false);
    }
  }

  const f = refusal?.fields ?? {};
  return (
    <Layout service={t("service")} title={t("question_title")}>
      <p>{t("question_intro")}</p>
      <form class="form card" ref={formRef} onSubmit={submit} noValidate>
        <FormError text={refusal?.form ?? ""} />
        <Field id="sq-question" label={t("question_label")} required error={f.question_id?.text} errorLang={f.question_id?.lang}>
          {(aria) => (
            <select {...aria} value={questionId} onChange={(e) => setQuestionId(e.currentTarget.value)}>
              <option value="">{t("question_select")}</option>
              {questions.map((q) => (
                <option value={q.id} key={q.id}>
                  {q.text}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          id="sq-answer"
          label={t("answer_setup_label")}
          hint={t("answer_hint")}
          required
          error={f.answer?.text}
          errorLang={f.answer?.lang}
          extraId="sq-rules"
          extra={<RuleList id="sq-rules" label={t("answer_rules_label")} rules={answerRules(answer)} />}
        >
          {(aria) => (
            <input {...aria} type="text" autoComplete="off" maxLength={64} value={answer} onInput={(e) => setAnswer(e.currentTarget.value)} />
          )}
        </Field>
        <div class="actions">
          <button class="button" type="submit" disabled={busy}>
            {t("save")}
          </button>
          <button class="button secondary" type="button" onClick={() => void signOut()}>
            {t("cancel")}
          </button>
        </div>
      </form>
    </Layout>
  );
}

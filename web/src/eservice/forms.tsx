// Form parts shared by eService's screens and the portal's way in (../access/): a field tied to
// its label, hint and error; a list of rules that tick as the user types; the words for a refusal
// the server gave; and focus moved to the new screen's heading or to the first error.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { ApiError, type FieldError } from "../lib/api";
import { translator, useLang } from "../lib/i18n";
import { formWords } from "./form-messages";

const t = translator(formWords);

export interface FieldProps {
  id: string;
  label: string;
  hint?: ComponentChildren;
  error?: string;
  errorLang?: string; // set when the error is the server's English words
  required?: boolean;
  children: (aria: {
    id: string;
    "aria-invalid": "true" | undefined;
    "aria-describedby": string | undefined;
    "aria-required": "true" | undefined;
  }) => ComponentChildren;
  extra?: ComponentChildren; // after the hint (rule lists)
  extraId?: string; // the extra's id, read with the field
}

// A labelled field: the input gets aria-invalid and aria-describedby (hint, rules, error).
export function Field(p: FieldProps) {
  const hintId = p.hint ? `${p.id}-hint` : "";
  const errorId = p.error ? `${p.id}-error` : "";
  const described = [hintId, p.extraId ?? "", errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field">
      <div class="label-row">
        <label for={p.id}>{p.label}</label>
        {/* Said by aria-required on the input; shown here for the eye. */}
        {p.required && (
          <span class="required" aria-hidden="true">
            ({t("required")})
          </span>
        )}
      </div>
      {p.hint && (
        <div class="hint" id={hintId}>
          {p.hint}
        </div>
      )}
      {p.children({
        id: p.id,
        "aria-invalid": p.error ? "true" : undefined,
        "aria-describedby": described,
        "aria-required": p.required ? "true" : undefined,
      })}
      {p.extra}
      {p.error && (
        <p class="error" id={errorId} lang={p.errorLang}>
          <span aria-hidden="true">⚠ </span>
          {p.error}
        </p>
      )}
    </div>
  );
}

export interface Rule {
  met: boolean;
  text: string;
}

// The rules of a field, each ticked as it is met (✓ and a word, not colour alone). Announced
// politely: a screen reader hears the change after the user stops typing, not over each key.
export function RuleList(p: { id: string; label: string; rules: Rule[] }) {
  useLang();
  return (
    <div class="rule-box">
      <span class="visually-hidden" id={`${p.id}-label`}>
        {p.label}
      </span>
      <ul class="rules" id={p.id} aria-labelledby={`${p.id}-label`} aria-live="polite">
        {p.rules.map((r) => (
          <li class={r.met ? "met" : ""} key={r.text}>
            {r.text}
            <span class="visually-hidden"> ({r.met ? t("rule_met") : t("rule_not_met")})</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

// A refusal in words, and the field it concerns. `fieldText` maps a server field error (English)
// to the page's language; unmapped ones are shown as the server said them (marked lang="en").
export interface Refusal {
  form: string; // the message above the form ("" when every error sits at a field)
  formLang?: string;
  fields: Record<string, { text: string; lang?: string }>;
}

export function refusalOf(
  e: unknown,
  fieldText: (f: FieldError) => string | null,
  statusText: (e: ApiError) => string | null = () => null,
): Refusal {
  if (!(e instanceof ApiError)) return { form: t("error_generic"), fields: {} };
  const fields: Refusal["fields"] = {};
  for (const f of e.errors) {
    const mine = fieldText(f);
    if (!fields[f.field]) fields[f.field] = mine ? { text: mine } : { text: f.message, lang: "en" };
  }
  if (e.errors.length > 0) return { form: t("fix_fields"), fields };
  const own = statusText(e);
  if (own) return { form: own, fields };
  return { form: generalText(e), fields };
}

// What every screen says for the server's general refusals.
export function generalText(e: ApiError): string {
  const wait = e.retryAfterS ?? 1;
  const detail = e.detail.toLowerCase();
  if (e.status === 0) return t("error_network");
  if (e.status === 429) {
    // The server's reasons (cloud/accounts' throttle), each in the page's words.
    if (detail.includes("security question")) return t("answer_locked", { s: waitText(wait) });
    if (detail.includes("daily limit")) return t("daily_limit", { s: waitText(wait) });
    if (!detail.includes("address") && detail.includes("failed attempts; try again later"))
      return t("account_locked", { s: waitText(wait) });
    return t("throttled", { s: waitText(wait) });
  }
  if (e.status === 503) return t("busy", { s: waitText(wait) });
  if (e.status === 403) return t("csrf");
  if (e.status === 401 && detail.includes("session")) return t("session_ended");
  return t("error_generic");
}

// "90 seconds" / "15 minutes" in the current language.
export function waitText(seconds: number): string {
  if (seconds >= 7200) return t("hours", { n: Math.ceil(seconds / 3600) });
  if (seconds >= 120) return t("minutes", { n: Math.ceil(seconds / 60) });
  return t("seconds", { n: seconds });
}

// The form's message: an alert, so it is read out when it appears.
export function FormError(p: { text: string; lang?: string; id?: string }) {
  if (!p.text) return null;
  return (
    <div class="form-error" role="alert" id={p.id} lang={p.lang} tabIndex={-1}>
      <span aria-hidden="true">⚠ </span>
      {p.text}
    </div>
  );
}

export function FormOk(p: { text: string; id?: string }) {
  if (!p.text) return null;
  return (
    <div class="form-ok" role="status" id={p.id}>
      <span aria-hidden="true">✓ </span>
      {p.text}
    </div>
  );
}

// Moves focus to the screen's heading when the screen (key) changes, so a screen reader starts
// at the new screen and keyboard users are not left on a control that is gone.
export function useFocusHeading(key: string) {
  useEffect(() => {
    const h = document.querySelector<HTMLElement>("#main h1");
    if (!h) return;
    h.setAttribute("tabindex", "-1");
    h.focus({ preventScroll: false });
  }, [key]);
}

// After a refusal: focus the first field in error, else the form's message.
export function useFocusError(refusal: Refusal | null, formRef: { current: HTMLElement | null }) {
  const seen = useRef<Refusal | null>(null);
  useEffect(() => {
    if (!refusal || refusal === seen.current) return;
    seen.current = refusal;
    const root = formRef.current;
    if (!root) return;
    const invalid = root.querySelector<HTMLElement>("[aria-invalid='true']");
    const alert = root.querySelector<HTMLElement>(".form-error");
    (invalid ?? alert)?.focus();
  }, [refusal]);
}

// Counts the characters of a typed text as the rules do (code points, not UTF-16 units).
export function length(s: string): number {
  return Array.from(s).length;
}

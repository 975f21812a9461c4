// Languages: Japanese first (the guide's wording), English by the switch in the header. The choice
// is remembered (localStorage) and sets <html lang>, so screen readers and fonts follow it.
// Messages live beside the screens that use them (eservice/messages.ts, portal/messages.ts,
// i18n/common.ts); each is a pair of dictionaries with the same keys, checked by the compiler.
import { useEffect, useState } from "preact/hooks";

export type Lang = "ja" | "en";
export const languages: readonly Lang[] = ["ja", "en"];
export type Messages = Record<string, string>;
export type Dictionary<K extends string = string> = { ja: Record<K, string>; en: Record<K, string> };

const storageKey = "hoistway.lang";
const listeners = new Set<() => void>();

function initial(): Lang {
  try {
    const saved = window.localStorage.getItem(storageKey);
    if (saved === "ja" || saved === "en") return saved;
  } catch {
    // storage refused (private mode): Japanese, the default
  }
  return "ja";
}

let lang: Lang = initial();
document.documentElement.lang = lang;

export function currentLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  if (next === lang) return;
  lang = next;
  document.documentElement.lang = next;
  try {
    window.localStorage.setItem(storageKey, next);
  } catch {
    // not remembered; the page still switches
  }
  listeners.forEach((l) => l());
}

// The current language; re-renders the caller when it changes.
export function useLang(): Lang {
  const [, force] = useState(0);
  useEffect(() => {
    const l = () => force((n) => n + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return lang;
}

// A message in the current language, with {name} replaced from vars.
export function format(text: string, vars?: Record<string, string | number>): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

// t for one dictionary: const t = translator(messages); t("login.title").
export function translator<K extends string>(dict: Dictionary<K>) {
  return (key: K, vars?: Record<string, string | number>): string =>
    format(dict[lang][key] ?? dict.ja[key] ?? key, vars);
}

// Dates and times in the current language ("as of" clocks use the viewer's zone unless a
// building's zone is given).
export function formatTime(iso: string | number | Date, timeZone?: string): string {
  const d = iso instanceof Date ? iso : new Date(iso);
  return new Intl.DateTimeFormat(lang === "ja" ? "ja-JP" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
    timeZone,
  }).format(d);
}

export function formatDateTime(iso: string | number | Date, timeZone?: string): string {
  const d = iso instanceof Date ? iso : new Date(iso);
  return new Intl.DateTimeFormat(lang === "ja" ? "ja-JP" : "en-GB", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
    timeZone,
  }).format(d);
}

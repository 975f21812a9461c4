// Status words, icons and classes: every status is shown as icon + word + colour, never colour
// alone. The icons are decorative (aria-hidden) because the word says it.
import { currentLang, translator } from "../lib/i18n";
import { portal } from "./messages";
import type { UnitStatus } from "./live";

const t = translator(portal);
type K = Parameters<typeof t>[0];

const known_modes = ["normal", "inspection", "independent", "fire_recall", "earthquake", "power_failure", "out_of_service", "parking"];
export function mode_word(mode: string | null | undefined): string {
  return t((known_modes.includes(mode ?? "") ? `mode_${mode}` : "mode_unknown") as K);
}

export function door_word(door: string | null | undefined): string {
  return t((["open", "opening", "closing", "closed"].includes(door ?? "") ? `door_${door}` : "door_unknown") as K);
}

export function direction_word(d: string | null | undefined): string {
  return t(d === "up" ? "dir_up" : d === "down" ? "dir_down" : "dir_none");
}

export function direction_icon(d: string | null | undefined): string {
  return d === "up" ? "▲" : d === "down" ? "▼" : "■";
}

export function kind_word(kind: string): string {
  return ["entrapment", "out_of_service", "fault", "earthquake", "device_offline"].includes(kind) ? t(`kind_${kind}` as K) : kind;
}

export function state_word(state: string): string {
  return ["raised", "acknowledged", "cleared"].includes(state) ? t(`state_${state}` as K) : state;
}

export type Service = "in" | "out" | "unknown";
export function service_of(s: UnitStatus | undefined): Service {
  if (!s || s.in_service == null) return "unknown";
  return s.in_service ? "in" : "out";
}

export function service_badge(svc: Service): { cls: string; icon: string; word: string } {
  if (svc === "in") return { cls: "ok", icon: "✓", word: t("in_service") };
  if (svc === "out") return { cls: "bad", icon: "✕", word: t("out_of_service") };
  return { cls: "stale", icon: "?", word: t("unknown") };
}

export function floor_label(labels: string[] | null | undefined, floor: number | null | undefined): string {
  if (floor == null) return "–";
  return labels?.[floor] ?? String(floor + 1);
}

export function duration_words(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.round((seconds % 3600) / 60)}min`;
  return `${Math.floor(seconds / 86400)}d ${Math.round((seconds % 86400) / 3600)}h`;
}

// hh:mm:ss in a time zone, with one formatter per (language, zone): building an
// Intl.DateTimeFormat costs far more than using one, and 200 tiles format every second.
const time_formats = new Map<string, Intl.DateTimeFormat>();
export function clock_time(iso: string, zone: string | null): string {
  const lang = currentLang();
  const key = `${lang}|${zone ?? ""}`;
  let f = time_formats.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(lang === "ja" ? "ja-JP" : "en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: zone ?? undefined });
    } catch {
      f = new Intl.DateTimeFormat(lang === "ja" ? "ja-JP" : "en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    }
    if (time_formats.size < 64) time_formats.set(key, f);
  }
  return f.format(new Date(iso));
}

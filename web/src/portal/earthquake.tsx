// The earthquake view (/portal/earthquake): per building, each car's place in the restoration
// after seismic operation: stopped by seismic control → awaiting inspection → restored, live.
// The states and their times come from GET /api/v1/earthquake and the stream's `earthquake`
// events; a server without that route: derived on the page from the live mode and in-service
// flag and the earthquake alerts of the last 72 h (a car with one was affected).
import { useCallback, useEffect, useState } from "preact/hooks";
import { api } from "../lib/api";
import { formatTime, translator, useLang } from "../lib/i18n";
import { PortalLayout, StreamBadge } from "./frame";
import { type Alert, type AlertNotice, type Restoration as ServerRestoration, type UnitStatus, put_restoration, restoration_of, status_of, useAlertNotices, useBuildings, useLiveVersion } from "./live";
import { portal } from "./messages";
import { AsOf } from "./overview";
import { floor_label, mode_word } from "./words";

const t = translator(portal);
// Units seen in seismic operation while the page was open (as good as an earthquake alert).
const seen_shaken = new Set<string>();
type Restoration = "stopped" | "awaiting" | "restored" | "not_affected";

export function restoration(s: UnitStatus | undefined, affected: boolean): Restoration {
  if (s?.mode === "earthquake") return "stopped";
  if (!affected) return "not_affected";
  if (!s || s.in_service !== true || s.mode === "inspection" || s.mode === "out_of_service") return "awaiting";
  return "restored";
}

const look: Record<Restoration, { cls: string; icon: string; key: "eq_stopped" | "eq_awaiting" | "eq_restored" | "eq_not_affected" }> = {
  stopped: { cls: "bad", icon: "■", key: "eq_stopped" },
  awaiting: { cls: "warn", icon: "⚒", key: "eq_awaiting" },
  restored: { cls: "ok", icon: "✓", key: "eq_restored" },
  not_affected: { cls: "info", icon: "–", key: "eq_not_affected" },
};

export function EarthquakePage() {
  useLang();
  useLiveVersion(true);
  const { buildings } = useBuildings();
  const [affected, setAffected] = useState<Map<string, string>>(new Map()); // unit → raised_at
  const [server, setServer] = useState<boolean | null>(null); // the server tracks restorations
  useEffect(() => {
    api.get<{ buildings: { cars: ServerRestoration[] }[] }>("/api/v1/earthquake?days=3").then(
      (r) => {
        for (const b of r.buildings) for (const c of b.cars) put_restoration(c);
        setServer(true);
      },
      () => setServer(false),
    );
    const from = new Date(Date.now() - 72 * 3600 * 1000);
    api.get<{ alerts: Alert[] }>(`/api/v1/alerts?${new URLSearchParams({ kind: "earthquake", limit: "1000" })}`).then(
      (r) => {
        const m = new Map<string, string>();
        for (const a of r.alerts) if (a.kind === "earthquake" && Date.parse(a.raised_at) >= from.getTime()) m.set(a.unit_id, a.raised_at);
        setAffected(m);
      },
      () => undefined,
    );
  }, []);
  const onNotice = useCallback((n: AlertNotice) => {
    if (n.alert.kind !== "earthquake") return;
    setAffected((old) => new Map(old).set(n.alert.unit_id, n.alert.raised_at));
  }, []);
  useAlertNotices(onNotice);
  return (
    <PortalLayout title={t("earthquake_title")} wide>
      <div class="overview-head">
        <p>{t("earthquake_lead")}</p>
        <StreamBadge />
      </div>
      {buildings?.map((b) => {
        const units = b.groups.flatMap((g) => g.units);
        const states = units.map((u): Restoration => {
          const s = status_of(u.unit_id);
          if (server) {
            const r = restoration_of(u.unit_id);
            return !r ? "not_affected" : r.state === "seismic_stop" ? "stopped" : r.state === "awaiting_inspection" ? "awaiting" : "restored";
          }
          if (s?.mode === "earthquake" && seen_shaken.size < 10000) seen_shaken.add(u.unit_id);
          return restoration(s, affected.has(u.unit_id) || seen_shaken.has(u.unit_id));
        });
        const count = (r: Restoration) => states.filter((s) => s === r).length;
        return (
          <section class="card" key={b.building_id} aria-labelledby={`eq-${b.building_id}`}>
            <h2 id={`eq-${b.building_id}`}>{b.name}</h2>
            <p class="eq-summary">{t("eq_summary", { stopped: count("stopped"), awaiting: count("awaiting"), restored: count("restored") })}</p>
            <ol class="eq-steps" aria-hidden="true">
              <li>{t("eq_stopped")}</li>
              <li>{t("eq_awaiting")}</li>
              <li>{t("eq_restored")}</li>
            </ol>
            <ul class="eq-units">
              {units.map((u, i) => {
                const r = states[i];
                const s = status_of(u.unit_id);
                const since = restoration_of(u.unit_id)?.stopped_at ?? affected.get(u.unit_id);
                return (
                  <li key={u.unit_id} class={`eq-unit eq-${r}`} data-unit={u.unit_id} data-restoration={r}>
                    <h3>
                      <a href={`/portal/units/${encodeURIComponent(u.unit_id)}`}>{u.name}</a>
                    </h3>
                    <p class={`badge ${look[r].cls}`}>
                      <span aria-hidden="true">{look[r].icon}</span> {t(look[r].key)}
                    </p>
                    <p class="hint">
                      {mode_word(s?.mode)} · {t("floor")} {floor_label(u.floor_labels, s?.floor)}
                      {since && ` · ${t("kind_earthquake")} ${formatTime(since, b.time_zone ?? undefined)}`}
                      {restoration_of(u.unit_id)?.restored_at && ` · ${t("eq_restored")} ${formatTime(restoration_of(u.unit_id)?.restored_at ?? "", b.time_zone ?? undefined)}`}
                    </p>
                    <AsOf unit_id={u.unit_id} zone={b.time_zone} />
                  </li>
                );
              })}
            </ul>
          </section>
        );
      })}
    </PortalLayout>
  );
}

// The unit page (/portal/units/:unit): live status, inspection work status, usage charts
// (uPlot; hour/day in the building's time zone), availability with unknown time shown apart,
// the events (paged), the unit's alerts and its visits with their reports.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api, ApiError } from "../lib/api";
import { formatDateTime, formatTime, translator, useLang } from "../lib/i18n";
import { PortalLayout, StreamBadge } from "./frame";
import { type Alert, type UnitStatus, put_status, status_of, unit_info, useBuildings, useUnitStatus } from "./live";
import { portal } from "./messages";
import { AsOf } from "./overview";
import { AlertTable } from "./alerts";
import { direction_icon, direction_word, door_word, floor_label, mode_word, service_badge, service_of } from "./words";

const t = translator(portal);

// "+09:00" for a time zone now (the usage buckets' boundaries).
export function utc_offset(zone: string | null): string {
  let minutes = -new Date().getTimezoneOffset();
  if (zone) {
    try {
      const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" }).formatToParts(new Date());
      const name = parts.find((p) => p.type === "timeZoneName")?.value ?? "";
      const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
      minutes = m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
    } catch {
      /* an unknown zone: the viewer's */
    }
  }
  const sign = minutes < 0 ? "-" : "+";
  const a = Math.abs(minutes);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

function LiveStatus(props: { unit_id: string; labels: string[] | null; zone: string | null }) {
  const s = useUnitStatus(props.unit_id);
  const svc = service_badge(service_of(s));
  return (
    <section class="card" aria-labelledby="live-h">
      <div class="card-head">
        <h2 id="live-h">{t("live_status")}</h2>
        <StreamBadge />
      </div>
      <p class={`badge ${svc.cls}`}>
        <span aria-hidden="true">{svc.icon}</span> {svc.word}
      </p>
      <dl class="facts" data-floor={s?.floor ?? ""}>
        <div>
          <dt>{t("floor")}</dt>
          <dd class="car-floor">{floor_label(props.labels, s?.floor)}</dd>
        </div>
        <div>
          <dt>{t("direction")}</dt>
          <dd>
            <span aria-hidden="true">{direction_icon(s?.direction)}</span> {direction_word(s?.direction)}
          </dd>
        </div>
        <div>
          <dt>{t("door")}</dt>
          <dd>{door_word(s?.door)}</dd>
        </div>
        <div>
          <dt>{t("mode")}</dt>
          <dd>{mode_word(s?.mode)}</dd>
        </div>
        {s?.load_kg != null && (
          <div>
            <dt>{t("load")}</dt>
            <dd>{s.load_kg} kg</dd>
          </div>
        )}
        {!!s?.fault_codes?.length && (
          <div>
            <dt>{t("faults")}</dt>
            <dd>{s.fault_codes.join(", ")}</dd>
          </div>
        )}
      </dl>
      {s?.alarm && (
        <p class="badge bad">
          <span aria-hidden="true">⚠</span> {t("alarm_on")}
        </p>
      )}
      <AsOf unit_id={props.unit_id} zone={props.zone} />
    </section>
  );
}

function TechnicianStatus(props: { unit_id: string; zone: string | null }) {
  const s = useUnitStatus(props.unit_id);
  const tech = s?.technician;
  return (
    <section class="card" aria-labelledby="tech-h">
      <h2 id="tech-h">{t("technician_title")}</h2>
      {!tech || !tech.on_site ? (
        <p data-technician="none">
          <span aria-hidden="true">○</span> {t("technician_none")}
        </p>
      ) : (
        <>
          <p class="badge warn" data-technician="on_site">
            <span aria-hidden="true">⚒</span> {tech.registered ? t("technician_on_site") : t("technician_unregistered")}
          </p>
          <dl class="facts">
            {tech.technician && (
              <div>
                <dt>{t("technician_who")}</dt>
                <dd>{tech.technician}</dd>
              </div>
            )}
            {tech.since && (
              <div>
                <dt>{t("technician_since")}</dt>
                <dd>{formatDateTime(tech.since, props.zone ?? undefined)}</dd>
              </div>
            )}
            {tech.checklist && (
              <div>
                <dt>{t("checklist_progress")}</dt>
                <dd>
                  {t("checklist_of", { done: tech.checklist.done, total: tech.checklist.total ?? "?" })}
                  {tech.checklist.ng > 0 && <> ({t("checklist_ng", { ng: tech.checklist.ng })})</>}
                  {tech.checklist.total ? (
                    <progress max={tech.checklist.total} value={tech.checklist.done} aria-label={t("checklist_progress")} />
                  ) : null}
                </dd>
              </div>
            )}
          </dl>
        </>
      )}
    </section>
  );
}

interface UsageBucket {
  start: string;
  trips: number;
  door_cycles: number;
  running_s: number;
  distance_m: number;
}
interface Usage {
  totals: { trips: number; door_cycles: number; running_s: number; distance_m: number };
  buckets: UsageBucket[];
}

const series = [
  { key: "trips", label: "trips", value: (b: UsageBucket) => b.trips },
  { key: "door_cycles", label: "door_cycles", value: (b: UsageBucket) => b.door_cycles },
  { key: "running", label: "running_min", value: (b: UsageBucket) => Math.round(b.running_s / 6) / 10 },
  { key: "distance", label: "distance_m", value: (b: UsageBucket) => b.distance_m },
] as const;

function Chart(props: { usage: Usage; which: (typeof series)[number]; bucket: "hour" | "day"; zone: string | null }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = props.usage.buckets.map((b) => Date.parse(b.start) / 1000);
    const ys = props.usage.buckets.map(props.which.value);
    const width = Math.max(280, Math.min(560, el.clientWidth || 320));
    const zone = props.zone ?? undefined;
    const step = props.bucket === "hour" ? 3600 : 86400;
    const plot = new uPlot(
      {
        width,
        height: 160,
        legend: { show: false },
        // Half a bucket either side, so the first and last bars are whole.
        scales: { x: { time: true, range: (_u, min, max) => [min - step / 2, max + step / 2] } },
        tzDate: zone ? (ts) => uPlot.tzDate(new Date(ts * 1e3), zone) : undefined,
        axes: [{ stroke: "#4f5b67" }, { stroke: "#4f5b67", size: 48 }],
        series: [{}, { label: t(props.which.label), stroke: "#1f4e79", fill: "rgba(31,78,121,0.25)", paths: uPlot.paths.bars!({ size: [0.8, 40] }), points: { show: false } }],
      },
      [xs, ys],
      el,
    );
    return () => plot.destroy();
  }, [props.usage, props.which, props.zone, props.bucket]);
  const sum = props.usage.buckets.reduce((a, b) => a + props.which.value(b), 0);
  return (
    <figure class="chart">
      <figcaption>
        {t(props.which.label)}: {t("total")} {Math.round(sum * 10) / 10}
      </figcaption>
      <div ref={box} class="chart-canvas" aria-hidden="true" />
      <details class="chart-table">
        <summary>{t(props.which.label)} (table)</summary>
        <table>
          <tbody>
            {props.usage.buckets.map((b) => (
              <tr key={b.start}>
                <th scope="row">{props.bucket === "hour" ? formatDateTime(b.start, props.zone ?? undefined) : formatDateTime(b.start, props.zone ?? undefined).slice(0, 10)}</th>
                <td>{props.which.value(b)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function UsageCharts(props: { unit_id: string; zone: string | null }) {
  const [bucket, setBucket] = useState<"hour" | "day">("hour");
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const to = new Date();
    const from = new Date(to.getTime() - (bucket === "hour" ? 24 : 14 * 24) * 3600 * 1000);
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), bucket, utc_offset: utc_offset(props.zone) });
    setError(null);
    api.get<Usage>(`/api/v1/units/${encodeURIComponent(props.unit_id)}/usage?${q}`).then(setUsage, (e: ApiError) => setError(e.detail || e.title));
  }, [props.unit_id, bucket, props.zone]);
  return (
    <section class="card" aria-labelledby="usage-h">
      <h2 id="usage-h">{t("usage_title")}</h2>
      <fieldset class="segmented">
        <legend>{t("usage_period")}</legend>
        {(["hour", "day"] as const).map((b) => (
          <label key={b}>
            <input type="radio" name="bucket" value={b} checked={bucket === b} onChange={() => setBucket(b)} /> {t(b === "hour" ? "usage_hour" : "usage_day")}
          </label>
        ))}
      </fieldset>
      {error && <p class="form-error">{error}</p>}
      {usage && (
        <div class="charts">
          {series.map((s) => (
            <Chart key={s.key} usage={usage} which={s} bucket={bucket} zone={props.zone} />
          ))}
        </div>
      )}
    </section>
  );
}

interface Availability {
  from: string;
  to: string;
  in_service_s: number;
  out_of_service_s: number;
  unknown_s: number;
  availability: number;
  availability_of_known?: number | null;
}

function AvailabilityBar(props: { unit_id: string; zone: string | null }) {
  const [a, setA] = useState<Availability | null>(null);
  const bar = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const to = new Date();
    const from = new Date(to.getTime() - 7 * 24 * 3600 * 1000);
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    api.get<Availability>(`/api/v1/units/${encodeURIComponent(props.unit_id)}/availability?${q}`).then(setA, () => setA(null));
  }, [props.unit_id]);
  const total = a ? a.in_service_s + a.out_of_service_s + a.unknown_s || 1 : 1;
  const pct = (v: number) => Math.round((v / total) * 1000) / 10;
  // Widths from code (the CSP forbids style attributes).
  useEffect(() => {
    if (!a || !bar.current) return;
    const parts = bar.current.querySelectorAll<HTMLElement>("[data-share]");
    parts.forEach((p) => (p.style.width = `${p.dataset.share}%`));
  }, [a]);
  return (
    <section class="card" aria-labelledby="avail-h">
      <h2 id="avail-h">{t("availability_title")}</h2>
      {a && (
        <>
          <div class="avail-bar" ref={bar} aria-hidden="true">
            <span class="seg in" data-share={pct(a.in_service_s)} />
            <span class="seg out" data-share={pct(a.out_of_service_s)} />
            <span class="seg unknown" data-share={pct(a.unknown_s)} />
          </div>
          <ul class="avail-legend">
            <li>
              <span class="swatch in" aria-hidden="true" /> {t("in_service_time")}: {pct(a.in_service_s)}%
            </li>
            <li>
              <span class="swatch out" aria-hidden="true" /> {t("out_of_service_time")}: {pct(a.out_of_service_s)}%
            </li>
            <li>
              <span class="swatch unknown" aria-hidden="true" /> {t("unknown_time")}: {pct(a.unknown_s)}%
            </li>
          </ul>
          {a.availability_of_known != null && (
            <p>
              {t("availability_of_known")}: {Math.round(a.availability_of_known * 1000) / 10}%
            </p>
          )}
        </>
      )}
    </section>
  );
}

interface Event {
  seq: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

function event_summary(e: Event): string {
  const d = e.data ?? {};
  const pick = ["from_floor", "to_floor", "code", "mode", "technician", "item", "result", "reason"].filter((k) => k in d);
  return pick.map((k) => `${k}: ${typeof d[k] === "object" ? JSON.stringify(d[k]) : String(d[k])}`).join(", ");
}

function Events(props: { unit_id: string; zone: string | null }) {
  const [events, setEvents] = useState<Event[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const load = (c: string | null) => {
    // Newest day first: the events of the last 24 h, oldest first, 50 at a time.
    const to = new Date();
    const from = new Date(to.getTime() - 24 * 3600 * 1000);
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), limit: "50" });
    if (c) q.set("cursor", c);
    api.get<{ events: Event[]; next_cursor: string | null }>(`/api/v1/units/${encodeURIComponent(props.unit_id)}/events?${q}`).then(
      (r) => {
        setEvents((old) => (c ? [...old, ...r.events] : r.events));
        setCursor(r.next_cursor);
        setDone(!r.next_cursor);
      },
      () => setDone(true),
    );
  };
  useEffect(() => load(null), [props.unit_id]);
  return (
    <section class="card" aria-labelledby="events-h">
      <h2 id="events-h">{t("events_title")}</h2>
      {events.length === 0 ? (
        <p>{t("events_none")}</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="events-h">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("event_time")}</th>
                <th scope="col">{t("event_type")}</th>
                <th scope="col">{t("event_detail")}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.seq}>
                  <td>{formatDateTime(e.at, props.zone ?? undefined)}:{formatTime(e.at, props.zone ?? undefined).slice(-2)}</td>
                  <td>{e.type}</td>
                  <td>{event_summary(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!done && cursor && (
        <button type="button" class="button secondary" onClick={() => load(cursor)}>
          {t("events_more")}
        </button>
      )}
    </section>
  );
}

interface Visit {
  visit_id: string;
  technician: string;
  started_at: string;
  ended_at: string | null;
  on_site: boolean;
}

function Visits(props: { unit_id: string; zone: string | null }) {
  const [visits, setVisits] = useState<Visit[] | null>(null);
  useEffect(() => {
    api.get<{ visits: Visit[] }>(`/api/v1/units/${encodeURIComponent(props.unit_id)}/visits`).then((r) => setVisits(r.visits), () => setVisits([]));
  }, [props.unit_id]);
  return (
    <section class="card" aria-labelledby="visits-h">
      <h2 id="visits-h">{t("visits_title")}</h2>
      {visits && visits.length === 0 && <p>{t("visits_none")}</p>}
      {visits && visits.length > 0 && (
        <ul class="visit-list">
          {visits.slice(0, 50).map((v) => (
            <li key={v.visit_id}>
              {formatDateTime(v.started_at, props.zone ?? undefined)} – {v.ended_at ? formatDateTime(v.ended_at, props.zone ?? undefined) : t("visit_ongoing")} · {v.technician} ·{" "}
              <a href={`/api/v1/units/${encodeURIComponent(props.unit_id)}/visits/${encodeURIComponent(v.visit_id)}/report?format=html`}>{t("visit_report")}</a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function UnitAlerts(props: { unit_id: string; zone: string | null }) {
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  useEffect(() => {
    api.get<{ alerts: Alert[] }>(`/api/v1/alerts?${new URLSearchParams({ unit_id: props.unit_id, limit: "20" })}`).then(
      // A server without the unit filter answers every unit's: keep this one's.
      (r) => setAlerts(r.alerts.filter((a) => a.unit_id === props.unit_id)),
      () => setAlerts([]),
    );
  }, [props.unit_id]);
  return (
    <section class="card" aria-labelledby="ualerts-h">
      <h2 id="ualerts-h">{t("unit_alerts")}</h2>
      {alerts && <AlertTable alerts={alerts} zone={props.zone} labelledby="ualerts-h" />}
    </section>
  );
}

export function UnitPage(props: { unit: string }) {
  useLang();
  const { buildings } = useBuildings();
  const found = unit_info(props.unit);
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    // Seed the status (the overview may not have loaded it yet).
    if (status_of(props.unit)) return;
    api.get<UnitStatus>(`/api/v1/units/${encodeURIComponent(props.unit)}/status`).then(put_status, (e) => {
      if (e instanceof ApiError && (e.status === 404 || e.status === 403)) setMissing(true);
    });
  }, [props.unit]);
  const zone = found?.building.time_zone ?? null;
  const name = found?.info.name ?? props.unit;
  const title = found ? `${found.building.name} ${name}` : name;
  if (missing || (buildings && !found))
    return (
      <PortalLayout title={props.unit}>
        <p>{t("not_found")}</p>
        <p>
          <a href="/portal">{t("back_to_overview")}</a>
        </p>
      </PortalLayout>
    );
  return (
    <PortalLayout title={title} wide>
      <div class="unit-grid">
        <LiveStatus unit_id={props.unit} labels={found?.info.floor_labels ?? null} zone={zone} />
        <TechnicianStatus unit_id={props.unit} zone={zone} />
        <AvailabilityBar unit_id={props.unit} zone={zone} />
        <UnitAlerts unit_id={props.unit} zone={zone} />
      </div>
      <UsageCharts unit_id={props.unit} zone={zone} />
      <Visits unit_id={props.unit} zone={zone} />
      <Events unit_id={props.unit} zone={zone} />
    </PortalLayout>
  );
}

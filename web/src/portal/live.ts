// The portal's live state: the customer's buildings (their groups and units) and each unit's
// newest status, kept current by one EventSource on /api/v1/stream for the whole app. Updates
// arriving between two frames are applied together in the next animation frame, and only the
// units that changed re-render (a listener per unit), so a page of 200 cars stays smooth.
// Everything here runs on the page's one thread.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../lib/api";
import { navigate } from "../lib/router";

export interface Technician {
  on_site: boolean;
  registered: boolean;
  since: string | null;
  technician: string | null;
  visit_id: string | null;
  in_inspection_mode: boolean;
  checklist: { done: number; ng: number; total: number | null } | null;
}

export interface UnitStatus {
  unit_id: string;
  name?: string;
  building_id?: string;
  monitored?: boolean;
  online?: boolean;
  last_seen_at?: string | null;
  in_service?: boolean | null;
  mode?: string | null;
  floor?: number | null;
  direction?: string | null;
  door?: string | null;
  load_kg?: number | null;
  position_mm?: number | null;
  speed_mm_s?: number | null;
  alarm?: boolean | null;
  fault_codes?: number[];
  updated_at?: string | null;
  expected_interval_s?: number;
  technician?: Technician | null;
}

export interface UnitInfo {
  unit_id: string;
  name: string;
  car: number;
  landings: number | null;
  floor_labels: string[] | null;
  monitored: boolean;
}

export interface Group {
  group_id: string;
  units: UnitInfo[];
}

export interface Building {
  building_id: string;
  name: string;
  time_zone: string | null;
  groups: Group[];
}

export interface Alert {
  alert_id: number;
  unit_id: string;
  kind: string;
  code?: number;
  state: "raised" | "acknowledged" | "cleared";
  detail?: string;
  raised_at: string;
  acknowledged_at?: string | null;
  acknowledged_by?: string | null;
  acknowledged_by_kind?: string | null;
  acknowledged_by_email?: string | null;
  comment?: string | null;
  cleared_at?: string | null;
}

// One car's restoration after an earthquake operation (GET /api/v1/earthquake, the stream's
// `earthquake` event).
export interface Restoration {
  unit_id: string;
  name?: string;
  state: "seismic_stop" | "awaiting_inspection" | "restored";
  stopped_at: string;
  awaiting_inspection_at: string | null;
  restored_at: string | null;
  updated_at: string;
}
const restorations = new Map<string, Restoration>(); // one per unit: bounded by the units
export function restoration_of(unit_id: string): Restoration | undefined {
  return restorations.get(unit_id);
}
export function put_restoration(r: Restoration) {
  if (!r || typeof r.unit_id !== "string" || typeof r.state !== "string") return;
  restorations.set(r.unit_id, r);
  status_listeners.forEach((l) => l());
}

export type StreamState = "connecting" | "live" | "reconnecting";

// How long silence is normal when the server does not say (the agents' snapshot period).
export const default_expected_interval_s = 60;

// A unit's landing levels learned from where it stops (position_mm at a floor, at rest), so a
// moving car is drawn between landings; until two levels are known it is drawn at its floor.
const levels = new Map<string, Map<number, number>>();

function learn(s: UnitStatus) {
  if (s.floor == null || s.position_mm == null) return;
  if (s.direction && s.direction !== "none") return;
  if (s.speed_mm_s != null && Math.abs(s.speed_mm_s) > 10) return;
  let m = levels.get(s.unit_id);
  if (!m) levels.set(s.unit_id, (m = new Map()));
  if (m.size < 256 || m.has(s.floor)) m.set(s.floor, s.position_mm);
}

// The car's position in landings (2.5 = half-way between the third and fourth landing).
export function fractional_floor(s: UnitStatus): number | null {
  if (s.floor == null) return null;
  const m = levels.get(s.unit_id);
  if (!m || s.position_mm == null || m.size < 2 || (s.direction ?? "none") === "none") return s.floor;
  const known = [...m.entries()].sort((a, b) => a[0] - b[0]);
  const p = s.position_mm;
  for (let i = 0; i + 1 < known.length; i++) {
    const [f0, p0] = known[i];
    const [f1, p1] = known[i + 1];
    if (p >= p0 && p <= p1 && p1 > p0) return f0 + ((p - p0) / (p1 - p0)) * (f1 - f0);
  }
  return s.floor;
}

// --- the store ------------------------------------------------------------------------------
const statuses = new Map<string, UnitStatus>();
const unit_listeners = new Map<string, Set<() => void>>();
const global_listeners = new Set<() => void>(); // buildings, stream state
const status_listeners = new Set<() => void>(); // any unit's status (pages that show many)
const pending = new Map<string, UnitStatus>();
let frame_requested = false;
let buildings: Building[] | null = null;
let buildings_error: ApiError | null = null;
let stream_state: StreamState = "connecting";
let source: EventSource | null = null;
let users = 0;
let retry_timer: number | undefined;
let version = 0;

export interface AlertNotice {
  alert: Alert;
  is_new: boolean;
}
const alert_listeners = new Set<(n: AlertNotice) => void>();
const seen_alerts = new Map<number, string>(); // id → state, bounded below
const max_seen_alerts = 2000;

// Per-frame apply: what the bench measures (the time a status takes to reach the DOM).
export const stats = { applied: 0, frames: 0, last_frame_ms: 0 };

function notify_global() {
  version++;
  global_listeners.forEach((l) => l());
}

function flush() {
  frame_requested = false;
  const started = performance.now();
  const changed = [...pending.keys()];
  for (const [id, s] of pending) {
    statuses.set(id, s);
    learn(s);
  }
  pending.clear();
  for (const id of changed) unit_listeners.get(id)?.forEach((l) => l());
  stats.applied += changed.length;
  stats.frames++;
  stats.last_frame_ms = performance.now() - started;
  if (changed.length) status_listeners.forEach((l) => l());
}

function schedule() {
  if (frame_requested) return;
  frame_requested = true;
  // A hidden tab gets no animation frames; a timer still applies updates there.
  if (document.visibilityState === "hidden") window.setTimeout(flush, 250);
  else window.requestAnimationFrame(flush);
}

export function put_status(s: UnitStatus) {
  if (!s || typeof s.unit_id !== "string") return;
  const before = pending.get(s.unit_id) ?? statuses.get(s.unit_id);
  // A stream status carries no technician or expected interval: keep what we had.
  pending.set(s.unit_id, {
    ...s,
    technician: s.technician !== undefined ? s.technician : before?.technician,
    expected_interval_s: s.expected_interval_s ?? before?.expected_interval_s,
    name: s.name ?? before?.name,
  });
  schedule();
}

function remember_alert(a: Alert): boolean {
  const had = seen_alerts.get(a.alert_id);
  seen_alerts.set(a.alert_id, a.state);
  if (seen_alerts.size > max_seen_alerts) {
    const oldest = seen_alerts.keys().next().value;
    if (oldest !== undefined) seen_alerts.delete(oldest);
  }
  return had === undefined;
}

function parse(e: MessageEvent): unknown {
  try {
    return JSON.parse(e.data as string);
  } catch {
    return null;
  }
}

async function load_buildings() {
  try {
    const r = await api.get<{ buildings: Building[] }>("/api/v1/buildings");
    buildings = r.buildings;
    buildings_error = null;
    for (const b of r.buildings)
      for (const g of b.groups)
        for (const u of g.units) {
          const st = (u as UnitInfo & { status?: UnitStatus }).status;
          if (st) put_status({ ...st, unit_id: u.unit_id, name: u.name });
        }
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      // A server without /buildings: the units, one group per building.
      try {
        const r = await api.get<{ units: UnitStatus[] }>("/api/v1/units");
        const by = new Map<string, Building>();
        for (const u of r.units) {
          if (u.monitored === false) continue;
          const id = u.building_id ?? "-";
          let b = by.get(id);
          if (!b) by.set(id, (b = { building_id: id, name: id, time_zone: null, groups: [{ group_id: id, units: [] }] }));
          b.groups[0].units.push({ unit_id: u.unit_id, name: u.name ?? u.unit_id, car: b.groups[0].units.length, landings: null, floor_labels: null, monitored: true });
          put_status(u);
        }
        buildings = [...by.values()];
        buildings_error = null;
      } catch (e2) {
        buildings_error = e2 instanceof ApiError ? e2 : new ApiError(0, "network", String(e2));
      }
    } else {
      buildings_error = e instanceof ApiError ? e : new ApiError(0, "network", String(e));
      if (buildings_error.status === 401) session_ended();
    }
  }
  notify_global();
}

// The session is gone (signed out elsewhere, expired): back to the sign-in, saying why.
export function session_ended() {
  close_stream();
  try {
    window.sessionStorage.setItem("hoistway.portal.expired", "1");
  } catch {
    /* not said */
  }
  navigate("/portal/login", { replace: true });
}

function set_state(s: StreamState) {
  if (s === stream_state) return;
  stream_state = s;
  notify_global();
}

function open_stream() {
  if (source) return;
  set_state(stream_state === "live" ? "reconnecting" : stream_state);
  const es = new EventSource("/api/v1/stream");
  source = es;
  es.onopen = () => set_state("live");
  es.onerror = () => {
    if (es.readyState === EventSource.CONNECTING) {
      set_state("reconnecting");
      return;
    }
    // Closed for good (an error status such as 401 or 429): find out whether the session
    // lives, then open a new stream after a pause.
    source = null;
    set_state("reconnecting");
    void api.get("/api/v1/portal/session").then(
      () => {
        if (users > 0) retry_timer = window.setTimeout(open_stream, 3000);
      },
      (err) => {
        if (err instanceof ApiError && err.status === 401) session_ended();
        else if (users > 0) retry_timer = window.setTimeout(open_stream, 3000);
      },
    );
  };
  es.addEventListener("status", (e) => {
    const s = parse(e as MessageEvent) as UnitStatus | null;
    if (s) put_status(s);
  });
  es.addEventListener("technician", (e) => {
    const d = parse(e as MessageEvent) as { unit_id?: string; technician?: Technician } | null;
    if (!d?.unit_id) return;
    const before = pending.get(d.unit_id) ?? statuses.get(d.unit_id) ?? { unit_id: d.unit_id };
    pending.set(d.unit_id, { ...before, technician: d.technician ?? null });
    schedule();
  });
  es.addEventListener("alert", (e) => {
    const a = parse(e as MessageEvent) as Alert | null;
    if (!a || typeof a.alert_id !== "number") return;
    const is_new = remember_alert(a);
    alert_listeners.forEach((l) => l({ alert: a, is_new }));
  });
  es.addEventListener("earthquake", (e) => {
    const r = parse(e as MessageEvent) as Restoration | null;
    if (r) put_restoration(r);
  });
  es.addEventListener("reset", () => void load_buildings());
  es.addEventListener("unit_removed", () => void load_buildings());
  es.addEventListener("end", () => {
    es.close();
    source = null;
    session_ended();
  });
}

function close_stream() {
  window.clearTimeout(retry_timer);
  source?.close();
  source = null;
  stream_state = "connecting";
}

// Pages that show live data call this; the stream stays open while one of them is on screen.
export function useLiveConnection() {
  useEffect(() => {
    users++;
    if (buildings === null) void load_buildings();
    open_stream();
    return () => {
      users--;
      // Leaving the portal (sign-out, another service): close it after the next page decides.
      window.setTimeout(() => {
        if (users === 0) close_stream();
      }, 0);
    };
  }, []);
}

// Re-renders the caller on any change of buildings or stream state, and with `statuses` also
// on every applied batch of statuses (pages that summarise many units).
export function useLiveVersion(with_statuses = false): number {
  const [, force] = useState(0);
  const shown = version;
  const shown_applied = stats.applied;
  useEffect(() => {
    const l = () => force((n) => n + 1);
    global_listeners.add(l);
    if (with_statuses) status_listeners.add(l);
    // Effects run after paint: a change in between found no listener here yet.
    if (version !== shown || (with_statuses && stats.applied !== shown_applied)) l();
    return () => {
      global_listeners.delete(l);
      status_listeners.delete(l);
    };
  }, [with_statuses]);
  return version;
}

export function useBuildings(): { buildings: Building[] | null; error: ApiError | null; state: StreamState } {
  useLiveVersion();
  return { buildings, error: buildings_error, state: stream_state };
}

export function reload_buildings() {
  void load_buildings();
}

export function unit_info(unit_id: string): { building: Building; info: UnitInfo } | null {
  for (const b of buildings ?? [])
    for (const g of b.groups)
      for (const u of g.units) if (u.unit_id === unit_id) return { building: b, info: u };
  return null;
}

export function status_of(unit_id: string): UnitStatus | undefined {
  return statuses.get(unit_id);
}

export function all_statuses(): UnitStatus[] {
  return [...statuses.values()];
}

// One unit's status; re-renders only when that unit changes.
export function useUnitStatus(unit_id: string): UnitStatus | undefined {
  const [, force] = useState(0);
  const shown = statuses.get(unit_id);
  useEffect(() => {
    const l = () => force((n) => n + 1);
    let set = unit_listeners.get(unit_id);
    if (!set) unit_listeners.set(unit_id, (set = new Set()));
    set.add(l);
    // Effects run after paint: a batch applied in between found no listener here yet.
    if (statuses.get(unit_id) !== shown) l();
    return () => {
      set?.delete(l);
      if (set?.size === 0) unit_listeners.delete(unit_id);
    };
  }, [unit_id]);
  return statuses.get(unit_id);
}

export function useAlertNotices(listener: (n: AlertNotice) => void) {
  useEffect(() => {
    alert_listeners.add(listener);
    return () => {
      alert_listeners.delete(listener);
    };
  }, [listener]);
}

// A clock that ticks every second, for "as of" ages and staleness.
const clock_listeners = new Set<() => void>();
let clock_timer: number | undefined;
export function useNow(): number {
  const [, force] = useState(0);
  useEffect(() => {
    const l = () => force((n) => n + 1);
    clock_listeners.add(l);
    if (clock_timer === undefined) clock_timer = window.setInterval(() => clock_listeners.forEach((c) => c()), 1000);
    return () => {
      clock_listeners.delete(l);
      if (clock_listeners.size === 0) {
        window.clearInterval(clock_timer);
        clock_timer = undefined;
      }
    };
  }, []);
  return Date.now();
}

export type Freshness = { stale: boolean; why: "offline" | "silent" | "none" | null; age_s: number | null };

// Stale: offline, never heard from, or silent longer than the expected interval.
export function freshness(s: UnitStatus | undefined, now: number): Freshness {
  if (!s || !s.updated_at) return { stale: true, why: "none", age_s: null };
  const seen = Date.parse(s.last_seen_at ?? s.updated_at);
  const updated = Date.parse(s.updated_at);
  const newest = Math.max(Number.isNaN(seen) ? 0 : seen, Number.isNaN(updated) ? 0 : updated);
  const age_s = Math.max(0, Math.round((now - newest) / 1000));
  if (s.online === false) return { stale: true, why: "offline", age_s };
  // Half an interval of slack: a snapshot due now may be on its way (batching, the network).
  const limit = (s.expected_interval_s ?? default_expected_interval_s) * 1.5;
  if (age_s > limit) return { stale: true, why: "silent", age_s };
  return { stale: false, why: null, age_s };
}

// Alerts (/portal/alerts): open and past, filtered by kind; new and changed alerts arrive from
// the stream. One alert (/portal/alerts/:id): its timeline (detected → acknowledged →
// technician on site → released → cleared) and the acknowledgement form (who is recorded by the
// server from the session; the comment is ours).
import { useCallback, useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../lib/api";
import { formatDateTime, translator, useLang } from "../lib/i18n";
import { currentQuery, navigate } from "../lib/router";
import { PortalLayout, StreamBadge } from "./frame";
import { type Alert, type AlertNotice, unit_info, useAlertNotices, useBuildings } from "./live";
import { portal } from "./messages";
import { kind_word, state_word } from "./words";

const t = translator(portal);
type K = Parameters<typeof t>[0];
const kinds = ["entrapment", "out_of_service", "fault", "earthquake", "device_offline"] as const;

function state_badge(state: string): string {
  return state === "raised" ? "bad" : state === "acknowledged" ? "warn" : "ok";
}
function state_icon(state: string): string {
  return state === "raised" ? "⚠" : state === "acknowledged" ? "✎" : "✓";
}

function unit_name(unit_id: string): string {
  const f = unit_info(unit_id);
  return f ? `${f.building.name} ${f.info.name}` : unit_id;
}

export function AlertTable(props: { alerts: Alert[]; zone?: string | null; labelledby: string }) {
  useLang();
  useBuildings();
  if (props.alerts.length === 0) return <p>{t("alerts_none")}</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-labelledby={props.labelledby}>
      <table class="alert-table">
        <thead>
          <tr>
            <th scope="col">{t("alerts_kind")}</th>
            <th scope="col">{t("alert_unit")}</th>
            <th scope="col">{t("alert_raised_at")}</th>
            <th scope="col">{t("alert_state")}</th>
          </tr>
        </thead>
        <tbody>
          {props.alerts.map((a) => (
            <tr key={a.alert_id} data-alert={a.alert_id} data-kind={a.kind}>
              <td>
                <a href={`/portal/alerts/${a.alert_id}`}>
                  {kind_word(a.kind)}
                  {a.kind === "fault" && a.code != null ? ` (${a.code})` : ""}
                </a>
              </td>
              <td>{unit_name(a.unit_id)}</td>
              <td>{formatDateTime(a.raised_at, (props.zone ?? unit_info(a.unit_id)?.building.time_zone) ?? undefined)}</td>
              <td>
                <span class={`badge ${state_badge(a.state)}`}>
                  <span aria-hidden="true">{state_icon(a.state)}</span> {state_word(a.state)}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AlertsPage() {
  useLang();
  const q = currentQuery();
  const view = q.get("view") === "past" ? "past" : "open";
  const kind = kinds.find((k) => k === q.get("kind")) ?? "";
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    const p = new URLSearchParams({ limit: "200" });
    if (view === "open") p.set("state", "open");
    if (kind) p.set("kind", kind);
    api.get<{ alerts: Alert[] }>(`/api/v1/alerts?${p}`).then(
      (r) => {
        // A server without the kind filter answers every kind: keep the chosen one. Past: cleared.
        setAlerts(r.alerts.filter((a) => (!kind || a.kind === kind) && (view === "open" ? a.state !== "cleared" : a.state === "cleared")));
        setError(null);
      },
      (e: ApiError) => setError(e.detail || e.title),
    );
  }, [view, kind]);
  useEffect(load, [load]);
  // Live: a new or changed alert updates the list in place.
  const onNotice = useCallback(
    (n: AlertNotice) => {
      const a = n.alert;
      setAlerts((old) => {
        if (!old) return old;
        const fits = (!kind || a.kind === kind) && (view === "open" ? a.state !== "cleared" : a.state === "cleared");
        const rest = old.filter((x) => x.alert_id !== a.alert_id);
        return fits ? [a, ...rest].sort((x, y) => Date.parse(y.raised_at) - Date.parse(x.raised_at)) : rest;
      });
    },
    [view, kind],
  );
  useAlertNotices(onNotice);
  const go = (next: { view?: string; kind?: string }) => {
    const p = new URLSearchParams();
    const v = next.view ?? view;
    const k = next.kind ?? kind;
    if (v === "past") p.set("view", "past");
    if (k) p.set("kind", k);
    const s = p.toString();
    navigate(`/portal/alerts${s ? `?${s}` : ""}`, { replace: true });
  };
  return (
    <PortalLayout title={t("alerts_title")} wide>
      <div class="overview-head">
        <span />
        <StreamBadge />
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <fieldset class="segmented">
          <legend>{t("alerts_filter")}</legend>
          {(["open", "past"] as const).map((v) => (
            <label key={v}>
              <input type="radio" name="view" value={v} checked={view === v} onChange={() => go({ view: v })} /> {t(v === "open" ? "alerts_open" : "alerts_past")}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="kind">{t("alerts_kind")}</label>
          <select id="kind" value={kind} onChange={(e) => go({ kind: (e.target as HTMLSelectElement).value })}>
            <option value="">{t("alerts_kind_all")}</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {kind_word(k)}
              </option>
            ))}
          </select>
        </div>
      </form>
      <h2 id="alerts-h">{t(view === "open" ? "alerts_open" : "alerts_past")}</h2>
      {error && <p class="form-error">{error}</p>}
      {alerts && <AlertTable alerts={alerts} labelledby="alerts-h" />}
    </PortalLayout>
  );
}

interface Step {
  step: string;
  at: string;
  detail?: string;
  by?: string;
  email?: string;
  comment?: string;
  technician?: string;
}
type AlertWithTimeline = Alert & { timeline?: Step[] };

const entrapment_steps = ["detected", "acknowledged", "technician_on_site", "released", "cleared"];
const other_steps = ["detected", "acknowledged", "cleared"];

// The timeline from the server's steps; a server without them: from the alert's own times.
function steps_of(a: AlertWithTimeline): Step[] {
  if (a.timeline?.length) return a.timeline;
  const s: Step[] = [{ step: "detected", at: a.raised_at, detail: a.detail }];
  if (a.acknowledged_at) s.push({ step: "acknowledged", at: a.acknowledged_at, by: a.acknowledged_by ?? undefined, comment: a.comment ?? undefined });
  if (a.cleared_at) s.push({ step: "cleared", at: a.cleared_at });
  return s;
}

function Timeline(props: { alert: AlertWithTimeline; zone: string | null }) {
  const steps = steps_of(props.alert);
  const order = props.alert.kind === "entrapment" ? entrapment_steps : other_steps;
  return (
    <ol class="timeline">
      {order.map((name) => {
        const s = steps.find((x) => x.step === name);
        return (
          <li key={name} class={s ? "done" : "pending"} data-step={name}>
            <span class="step-mark" aria-hidden="true">
              {s ? "●" : "○"}
            </span>
            <strong>{t(`step_${name}` as K)}</strong>{" "}
            {s ? <time dateTime={s.at}>{formatDateTime(s.at, props.zone ?? undefined)}</time> : <span class="muted">({t("step_pending")})</span>}
            {s?.by && (
              <span class="step-extra">
                {" "}
                · {t("ack_by")}: {s.by}
                {s.email ? ` <${s.email}>` : ""}
              </span>
            )}
            {s?.technician && <span class="step-extra"> · {s.technician}</span>}
            {s?.comment && <blockquote class="step-comment">{s.comment}</blockquote>}
          </li>
        );
      })}
    </ol>
  );
}

function AckForm(props: { alert: AlertWithTimeline; onDone: (a: AlertWithTimeline) => void }) {
  const [comment, setComment] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (comment.length > 500) {
      setError(t("ack_too_long"));
      document.getElementById("ack-comment")?.focus();
      return;
    }
    setBusy(true);
    try {
      await api.post(`/api/v1/alerts/${props.alert.alert_id}/ack`, { comment });
      const fresh = await api.get<AlertWithTimeline>(`/api/v1/alerts/${props.alert.alert_id}`).catch(() => null);
      setError(null);
      props.onDone(fresh ?? { ...props.alert, state: "acknowledged", comment });
    } catch (err) {
      const a = err as ApiError;
      setError(a.status === 409 ? t("ack_cleared") : a.errors?.[0]?.field === "comment" ? t("ack_too_long") : a.detail || a.title);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form ack-form" onSubmit={submit} noValidate>
      <h2>{t("ack_title")}</h2>
      <div class="field">
        <label for="ack-comment">{t("ack_comment")}</label>
        <textarea
          id="ack-comment"
          rows={3}
          maxLength={500}
          value={comment}
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? "ack-hint ack-error" : "ack-hint"}
          onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)}
        />
        <p class="hint" id="ack-hint">
          {t("ack_comment_hint")} ({comment.length}/500)
        </p>
        {error && (
          <p class="error" id="ack-error" role="alert">
            {error}
          </p>
        )}
      </div>
      <div class="actions">
        <button type="submit" class="button" disabled={busy}>
          {t("ack_submit")}
        </button>
      </div>
    </form>
  );
}

export function AlertPage(props: { id: string }) {
  useLang();
  useBuildings();
  const [alert, setAlert] = useState<AlertWithTimeline | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const load = useCallback(() => {
    if (!/^\d+$/.test(props.id)) {
      setError(t("not_found"));
      return;
    }
    api.get<AlertWithTimeline>(`/api/v1/alerts/${props.id}`).then(setAlert, async (e: ApiError) => {
      if (e.status === 404 || e.status === 405) {
        // A server without GET /alerts/{id}: find it in the list.
        const r = await api.get<{ alerts: Alert[] }>("/api/v1/alerts?limit=1000").catch(() => null);
        const a = r?.alerts.find((x) => String(x.alert_id) === props.id);
        if (a) setAlert(a);
        else setError(t("not_found"));
      } else setError(e.detail || e.title);
    });
  }, [props.id]);
  useEffect(load, [load]);
  const onNotice = useCallback(
    (n: AlertNotice) => {
      if (String(n.alert.alert_id) === props.id) load();
    },
    [props.id, load],
  );
  useAlertNotices(onNotice);
  const zone = alert ? unit_info(alert.unit_id)?.building.time_zone ?? null : null;
  const title = alert ? `${kind_word(alert.kind)} · ${unit_name(alert.unit_id)}` : t("alert_title", { id: props.id });
  return (
    <PortalLayout title={title}>
      {error && <p class="form-error">{error}</p>}
      {alert && (
        <>
          <p>
            <span class={`badge ${state_badge(alert.state)}`} data-state={alert.state}>
              <span aria-hidden="true">{state_icon(alert.state)}</span> {state_word(alert.state)}
            </span>{" "}
            <a href={`/portal/units/${encodeURIComponent(alert.unit_id)}`}>{unit_name(alert.unit_id)}</a>
          </p>
          {/* The server words the detail in English. */}
          {alert.detail && <p lang="en">{alert.detail}</p>}
          {alert.acknowledged_at && (
            <dl class="facts ack-facts">
              <div>
                <dt>{t("ack_by")}</dt>
                <dd class="ack-by">
                  {alert.acknowledged_by ?? "–"}
                  {alert.acknowledged_by_email ? ` <${alert.acknowledged_by_email}>` : ""}
                </dd>
              </div>
              <div>
                <dt>{t("ack_comment_shown")}</dt>
                <dd class="ack-comment">{alert.comment || "–"}</dd>
              </div>
            </dl>
          )}
          <section aria-labelledby="timeline-h">
            <h2 id="timeline-h">{t("alert_timeline")}</h2>
            <Timeline alert={alert} zone={zone} />
          </section>
          {saved && (
            <p class="form-ok" role="status">
              {t("ack_done")}
            </p>
          )}
          {alert.state === "raised" && (
            <AckForm
              alert={alert}
              onDone={(a) => {
                setAlert(a);
                setSaved(true);
              }}
            />
          )}
        </>
      )}
    </PortalLayout>
  );
}

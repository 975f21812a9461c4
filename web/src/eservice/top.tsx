// eService's top page: the customer's buildings and units, and the inspection reports (the
// technician visits), filtered by building, unit and period; each opens its printable report.
// The filters live in the address (?building=&unit=&from=&to=), so a filtered list can be shared.
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { Layout } from "../components/layout";
import { ApiError, api } from "../lib/api";
import { formatDateTime, translator, useLang } from "../lib/i18n";
import { currentQuery, navigate, useLocation } from "../lib/router";
import { eserviceWords } from "./messages";
import { FormError, generalText, useFocusHeading } from "./forms";
import { signOut, useEserviceAccount, type EserviceAccount } from "./session";

const t = translator(eserviceWords);

export interface Unit {
  unit_id: string;
  name: string;
  building_id: string;
  building_name: string;
  monitored: boolean;
}

export interface ReportRow {
  visit_id: string;
  unit_id: string;
  technician: string;
  started_ms: number;
  ended_ms: number | null;
}

// The frame of a signed-in eService page: navigation and sign-out.
export function EserviceFrame(p: {
  title: string;
  account: EserviceAccount | null;
  current: "top" | "profile" | "report";
  wide?: boolean;
  children: ComponentChildren;
}) {
  useLang();
  const nav = (
    <ul>
      <li>
        <a href="/eservice" aria-current={p.current === "top" ? "page" : undefined}>
          {t("nav_top")}
        </a>
      </li>
      <li>
        <a href="/eservice/profile" aria-current={p.current === "profile" ? "page" : undefined}>
          {t("nav_profile")}
        </a>
      </li>
    </ul>
  );
  const actions = p.account && (
    <>
      <span class="signed-in-as">{t("signed_in_as", { email: p.account.email })}</span>
      <button type="button" class="link-button" onClick={() => void signOut()}>
        {t("logout")}
      </button>
    </>
  );
  return (
    <Layout service={t("service")} title={p.title} nav={nav} actions={actions} wide={p.wide}>
      {p.account ? p.children : <p role="status">{t("loading")}</p>}
    </Layout>
  );
}

// Local calendar day (YYYY-MM-DD) of a time, in the viewer's zone, as <input type=date> gives it.
function day(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function TopScreen() {
  useLang();
  const account = useEserviceAccount();
  const { query } = useLocation();
  const [units, setUnits] = useState<Unit[] | null>(null);
  const [reports, setReports] = useState<ReportRow[] | null>(null);
  const [error, setError] = useState("");
  useFocusHeading("top");

  useEffect(() => {
    if (!account) return;
    Promise.all([
      api.get<{ units: Unit[] }>("/api/v1/eservice/units"),
      api.get<{ reports: ReportRow[] }>("/api/v1/eservice/inspection-reports"),
    ])
      .then(([u, r]) => {
        setUnits(u.units);
        setReports([...r.reports].sort((a, b) => b.started_ms - a.started_ms));
      })
      .catch((e: unknown) => setError(e instanceof ApiError ? generalText(e) : String(e)));
  }, [account]);

  const building = query.get("building") ?? "";
  const unit = query.get("unit") ?? "";
  const from = query.get("from") ?? "";
  const to = query.get("to") ?? "";
  const setFilter = (key: string, value: string) => {
    const q = currentQuery();
    if (value) q.set(key, value);
    else q.delete(key);
    // A unit outside the chosen building would hide every row: the unit choice goes with it.
    if (key === "building") q.delete("unit");
    const s = q.toString();
    navigate(`/eservice${s ? `?${s}` : ""}`, { replace: true });
  };

  const byBuilding = useMemo(() => {
    const m = new Map<string, { name: string; units: Unit[] }>();
    for (const u of units ?? []) {
      const b = m.get(u.building_id) ?? { name: u.building_name || u.building_id, units: [] };
      b.units.push(u);
      m.set(u.building_id, b);
    }
    return [...m.entries()];
  }, [units]);
  const unitOf = useMemo(() => new Map((units ?? []).map((u) => [u.unit_id, u])), [units]);
  const periodInvalid = from !== "" && to !== "" && to < from;
  const shown = (reports ?? []).filter((r) => {
    const u = unitOf.get(r.unit_id);
    if (building && u?.building_id !== building) return false;
    if (unit && r.unit_id !== unit) return false;
    const d = day(r.started_ms);
    if (from && d < from) return false;
    if (to && d > to) return false;
    return true;
  });
  const unitChoices = (units ?? []).filter((u) => !building || u.building_id === building);

  return (
    <EserviceFrame title={t("top_title")} account={account} current="top" wide>
      <FormError text={error} />
      <section aria-labelledby="units-heading">
        <h2 id="units-heading">{t("units_heading")}</h2>
        {units === null && !error && <p role="status">{t("loading")}</p>}
        {units !== null && units.length === 0 && <p>{t("no_units")}</p>}
        <div class="building-grid">
          {byBuilding.map(([id, b]) => (
            <section class="card building" key={id} aria-labelledby={`b-${id}`}>
              <h3 id={`b-${id}`}>{b.name}</h3>
              <ul class="unit-list">
                {b.units.map((u) => (
                  <li key={u.unit_id}>
                    <span class="unit-name">{u.name || u.unit_id}</span>{" "}
                    <span class="unit-id">
                      {t("unit_id")}: {u.unit_id}
                    </span>{" "}
                    {u.monitored ? (
                      <span class="badge ok">
                        <span aria-hidden="true">●</span> {t("monitored")}
                      </span>
                    ) : (
                      <span class="badge stale">
                        <span aria-hidden="true">○</span> {t("not_monitored")}
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      </section>

      <section aria-labelledby="reports-heading">
        <h2 id="reports-heading">{t("reports_heading")}</h2>
        <form class="filters card" aria-label={t("filters_label")} onSubmit={(e) => e.preventDefault()}>
          <div class="field">
            <label for="f-building">{t("filter_building")}</label>
            <select id="f-building" value={building} onChange={(e) => setFilter("building", e.currentTarget.value)}>
              <option value="">{t("filter_all")}</option>
              {byBuilding.map(([id, b]) => (
                <option value={id} key={id}>
                  {b.name}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="f-unit">{t("filter_unit")}</label>
            <select id="f-unit" value={unit} onChange={(e) => setFilter("unit", e.currentTarget.value)}>
              <option value="">{t("filter_all")}</option>
              {unitChoices.map((u) => (
                <option value={u.unit_id} key={u.unit_id}>
                  {(u.name || u.unit_id) + ` (${u.unit_id})`}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="f-from">{t("filter_from")}</label>
            <input id="f-from" type="date" value={from} onChange={(e) => setFilter("from", e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="f-to">{t("filter_to")}</label>
            <input
              id="f-to"
              type="date"
              value={to}
              aria-invalid={periodInvalid ? "true" : undefined}
              aria-describedby={periodInvalid ? "f-to-error" : undefined}
              onChange={(e) => setFilter("to", e.currentTarget.value)}
            />
            {periodInvalid && (
              <p class="error" id="f-to-error">
                <span aria-hidden="true">⚠ </span>
                {t("period_invalid")}
              </p>
            )}
          </div>
          <div class="actions filter-actions">
            <button type="button" class="button secondary" onClick={() => navigate("/eservice", { replace: true })}>
              {t("filter_clear")}
            </button>
          </div>
        </form>
        <p role="status" class="count">
          {reports === null ? (error ? "" : t("loading")) : t("reports_count", { n: shown.length })}
        </p>
        {reports !== null && reports.length === 0 && <p>{t("reports_empty")}</p>}
        {reports !== null && reports.length > 0 && shown.length === 0 && <p>{t("reports_none")}</p>}
        {shown.length > 0 && (
          <div class="table-wrap">
            <table class="reports">
              <caption class="visually-hidden">{t("reports_heading")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("col_date")}</th>
                  <th scope="col">{t("col_building")}</th>
                  <th scope="col">{t("col_unit")}</th>
                  <th scope="col">{t("col_technician")}</th>
                  <th scope="col">{t("col_state")}</th>
                  <th scope="col">{t("col_report")}</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((r) => {
                  const u = unitOf.get(r.unit_id);
                  const date = formatDateTime(r.started_ms);
                  return (
                    <tr key={r.visit_id}>
                      <td data-label={t("col_date")}>{date}</td>
                      <td data-label={t("col_building")}>{u?.building_name ?? ""}</td>
                      <td data-label={t("col_unit")}>{u ? `${u.name || u.unit_id} (${u.unit_id})` : r.unit_id}</td>
                      <td data-label={t("col_technician")}>{r.technician}</td>
                      <td>
                        {r.ended_ms ? (
                          <span class="badge ok">
                            <span aria-hidden="true">✓</span> {t("state_done")}
                          </span>
                        ) : (
                          <span class="badge info">
                            <span aria-hidden="true">⚙</span> {t("state_on_site")}
                          </span>
                        )}
                      </td>
                      <td>
                        <a
                          href={`/eservice/reports/${encodeURIComponent(r.unit_id)}/${encodeURIComponent(r.visit_id)}`}
                          aria-label={`${t("open_report")} (${u?.name || r.unit_id}, ${date})`}
                        >
                          {t("open_report")}
                        </a>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </EserviceFrame>
  );
}

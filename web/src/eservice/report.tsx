// One inspection report as an A4 page: written in the account's language (its profile's, not the
// page switch's: the report is the customer's document), printable from the browser (print CSS
// in eservice.css: @page A4 margins, rows and sections never split across pages, the table head
// repeated on every page), and "print / save as PDF" for a PDF.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api } from "../lib/api";
import { translator, useLang, type Lang } from "../lib/i18n";
import { eserviceWords } from "./messages";
import { FormError, generalText, useFocusHeading } from "./forms";
import { EserviceFrame, type ReportRow, type Unit } from "./top";
import { useEserviceAccount } from "./session";

const t = translator(eserviceWords);

interface ReportEvent {
  seq: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

interface VisitReport {
  visit_id: string;
  unit_id: string;
  technician: string;
  started_at: string;
  ended_at: string | null;
  on_site: boolean;
  checklist: { item: string; result: "ok" | "ng"; note: string; at: string }[];
  controller: { trips: number; door_cycles: number; mode_changes: ReportEvent[]; faults: ReportEvent[] };
}

const reportWords = {
  ja: {
    doc_title: "昇降機 点検報告書",
    report_no: "報告書番号",
    customer: "お客様ID",
    building: "建物",
    unit: "号機",
    technician: "点検技術者",
    started: "作業開始",
    ended: "作業終了",
    state: "状態",
    done: "完了",
    on_site: "作業中",
    checklist: "点検項目",
    no: "No.",
    item: "項目",
    result: "結果",
    note: "所見",
    time: "時刻",
    ok: "良",
    ng: "要是正",
    no_items: "記録された点検項目はありません。",
    controller: "作業中の運行記録",
    trips: "走行回数",
    door_cycles: "戸開閉回数",
    mode_changes: "運転モードの変化",
    faults: "故障記録",
    detail: "内容",
    none: "なし",
    summary: "点検項目 {n} 件（要是正 {ng} 件）",
    issued: "発行日時",
  },
  en: {
    doc_title: "Elevator inspection report",
    report_no: "Report number",
    customer: "Customer ID",
    building: "Building",
    unit: "Unit",
    technician: "Technician",
    started: "Work started",
    ended: "Work ended",
    state: "State",
    done: "Completed",
    on_site: "In progress",
    checklist: "Checklist",
    no: "No.",
    item: "Item",
    result: "Result",
    note: "Note",
    time: "Time",
    ok: "OK",
    ng: "Needs correction",
    no_items: "No checklist item was recorded.",
    controller: "What the controller recorded during the work",
    trips: "Trips",
    door_cycles: "Door cycles",
    mode_changes: "Mode changes",
    faults: "Faults",
    detail: "Detail",
    none: "None",
    summary: "{n} checklist items ({ng} need correction)",
    issued: "Issued",
  },
};
type ReportKey = keyof (typeof reportWords)["ja"];

function when(iso: string | number | null, lang: Lang): string {
  if (iso === null || iso === "") return "—";
  return new Intl.DateTimeFormat(lang === "ja" ? "ja-JP" : "en-GB", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(new Date(iso));
}

function dataText(data: Record<string, unknown>): string {
  return Object.entries(data ?? {})
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(", ");
}

export function ReportScreen(p: { unit: string; visit: string }) {
  useLang();
  const account = useEserviceAccount();
  const [row, setRow] = useState<ReportRow | null | undefined>(undefined);
  const [unit, setUnit] = useState<Unit | null>(null);
  const [report, setReport] = useState<VisitReport | null>(null);
  const [partial, setPartial] = useState(false);
  const [error, setError] = useState("");
  useFocusHeading(`report-${p.visit}`);

  useEffect(() => {
    if (!account) return;
    let live = true;
    Promise.all([
      api.get<{ units: Unit[] }>("/api/v1/eservice/units"),
      api.get<{ reports: ReportRow[] }>("/api/v1/eservice/inspection-reports"),
    ])
      .then(async ([u, r]) => {
        if (!live) return;
        setUnit(u.units.find((x) => x.unit_id === p.unit) ?? null);
        const found = r.reports.find((x) => x.visit_id === p.visit && x.unit_id === p.unit) ?? null;
        setRow(found);
        if (!found) return;
        try {
          const detail = await api.get<VisitReport>(
            `/api/v1/units/${encodeURIComponent(p.unit)}/visits/${encodeURIComponent(p.visit)}/report`,
          );
          if (live) setReport(detail);
        } catch {
          // The list's row is the customer's; the details route may refuse an eService session
          // on a server that does not take one yet: show what the list knows, and say so.
          if (live) setPartial(true);
        }
      })
      .catch((e: unknown) => live && setError(e instanceof ApiError ? generalText(e) : String(e)));
    return () => {
      live = false;
    };
  }, [account, p.unit, p.visit]);

  const lang: Lang = account?.language === "en" ? "en" : "ja";
  const r = (key: ReportKey, vars?: Record<string, string | number>) =>
    reportWords[lang][key].replace(/\{(\w+)\}/g, (w, n: string) => (vars && n in vars ? String(vars[n]) : w));
  const checklist = report?.checklist ?? [];
  const ng = checklist.filter((c) => c.result === "ng").length;
  const ended = report ? report.ended_at : row?.ended_ms ?? null;
  const started = report ? report.started_at : row?.started_ms ?? null;

  return (
    <EserviceFrame title={t("report_title")} account={account} current="report" wide>
      <div class="report-tools no-print">
        <a href="/eservice">{t("back_to_list")}</a>
        {row && (
          <div class="print-box">
            <button type="button" class="button" onClick={() => window.print()} aria-describedby="print-hint">
              <span aria-hidden="true">🖨</span> {t("print")}
            </button>
            <p class="hint" id="print-hint">
              {t("print_hint")}
            </p>
          </div>
        )}
      </div>
      <FormError text={error} />
      {row === undefined && !error && <p role="status">{t("loading")}</p>}
      {row === null && <FormError text={t("report_missing")} />}
      {partial && <p class="form-error no-print">{t("report_partial")}</p>}
      {row && (
        <article class="report" lang={lang} aria-labelledby="report-doc-title">
          <header class="report-head avoid-break">
            <h2 id="report-doc-title">{r("doc_title")}</h2>
            <p class="report-no">
              {r("report_no")}: {p.visit}
            </p>
            <dl class="report-meta">
              <div>
                <dt>{r("customer")}</dt>
                <dd>{account?.customer_id}</dd>
              </div>
              <div>
                <dt>{r("building")}</dt>
                <dd>{unit?.building_name || unit?.building_id || "—"}</dd>
              </div>
              <div>
                <dt>{r("unit")}</dt>
                <dd>{unit ? `${unit.name || unit.unit_id} (${unit.unit_id})` : p.unit}</dd>
              </div>
              <div>
                <dt>{r("technician")}</dt>
                <dd>{report?.technician ?? row.technician}</dd>
              </div>
              <div>
                <dt>{r("started")}</dt>
                <dd>{when(started, lang)}</dd>
              </div>
              <div>
                <dt>{r("ended")}</dt>
                <dd>{when(ended, lang)}</dd>
              </div>
              <div>
                <dt>{r("state")}</dt>
                <dd>
                  {ended ? (
                    <span class="badge ok">
                      <span aria-hidden="true">✓</span> {r("done")}
                    </span>
                  ) : (
                    <span class="badge info">
                      <span aria-hidden="true">⚙</span> {r("on_site")}
                    </span>
                  )}
                </dd>
              </div>
            </dl>
          </header>

          {report && (
            <>
              <section class="report-section" aria-labelledby="report-checklist">
                <h3 id="report-checklist">{r("checklist")}</h3>
                <p class="report-summary">{r("summary", { n: checklist.length, ng })}</p>
                {checklist.length === 0 ? (
                  <p>{r("no_items")}</p>
                ) : (
                  <table class="report-table checklist">
                    <thead>
                      <tr>
                        <th scope="col" class="num">
                          {r("no")}
                        </th>
                        <th scope="col">{r("item")}</th>
                        <th scope="col">{r("result")}</th>
                        <th scope="col">{r("note")}</th>
                        <th scope="col">{r("time")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {checklist.map((c, i) => (
                        <tr key={`${c.item}-${c.at}-${i}`}>
                          <td class="num">{i + 1}</td>
                          <td>{c.item}</td>
                          <td>
                            {c.result === "ok" ? (
                              <span class="result ok">
                                <span aria-hidden="true">✓ </span>
                                {r("ok")}
                              </span>
                            ) : (
                              <span class="result ng">
                                <span aria-hidden="true">✗ </span>
                                {r("ng")}
                              </span>
                            )}
                          </td>
                          <td>{c.note}</td>
                          <td class="nowrap">{when(c.at, lang)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>

              <section class="report-section" aria-labelledby="report-controller">
                <h3 id="report-controller">{r("controller")}</h3>
                <dl class="report-meta avoid-break">
                  <div>
                    <dt>{r("trips")}</dt>
                    <dd>{report.controller.trips}</dd>
                  </div>
                  <div>
                    <dt>{r("door_cycles")}</dt>
                    <dd>{report.controller.door_cycles}</dd>
                  </div>
                </dl>
                {(["mode_changes", "faults"] as const).map((k) => (
                  <div class="report-events" key={k}>
                    <h4>{r(k)}</h4>
                    {report.controller[k].length === 0 ? (
                      <p>{r("none")}</p>
                    ) : (
                      <table class="report-table">
                        <thead>
                          <tr>
                            <th scope="col">{r("time")}</th>
                            <th scope="col">{r("detail")}</th>
                          </tr>
                        </thead>
                        <tbody>
                          {report.controller[k].map((ev) => (
                            <tr key={ev.seq}>
                              <td class="nowrap">{when(ev.at, lang)}</td>
                              <td>{dataText(ev.data)}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    )}
                  </div>
                ))}
              </section>
            </>
          )}
          <footer class="report-foot">
            {r("issued")}: {when(new Date().toISOString(), lang)}
          </footer>
        </article>
      )}
    </EserviceFrame>
  );
}

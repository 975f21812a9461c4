// The portal's frame: <Layout> with the portal's navigation, the signed-in user and sign-out,
// the stream's state, and the two live regions that announce alerts without moving focus
// (role="status" for ordinary changes, role="alert" for a new entrapment). Checks the session on
// every portal page: without one, back to /portal/login.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { Layout } from "../components/layout";
import { api, ApiError } from "../lib/api";
import { translator, useLang } from "../lib/i18n";
import { navigate, useLocation } from "../lib/router";
import { type AlertNotice, session_ended, useAlertNotices, useBuildings, useLiveConnection, unit_info } from "./live";
import { portal } from "./messages";
import { kind_word, state_word } from "./words";

const t = translator(portal);

interface Account {
  email?: string;
  last_name?: string;
  first_name?: string;
}
let account: Account | null = null;
let first_screen = true;

function NavLink(props: { href: string; children: ComponentChildren }) {
  const { path } = useLocation();
  const current = props.href === "/portal" ? path === "/portal" : path.startsWith(props.href);
  return (
    <li>
      <a href={props.href} aria-current={current ? "page" : undefined}>
        {props.children}
      </a>
    </li>
  );
}

export function StreamBadge() {
  const { state } = useBuildings();
  const cls = state === "live" ? "badge ok" : state === "reconnecting" ? "badge warn" : "badge info";
  const icon = state === "live" ? "●" : state === "reconnecting" ? "↻" : "…";
  return (
    <span class={`stream-state ${cls}`} data-stream={state}>
      <span aria-hidden="true">{icon}</span> {t(`stream_${state}`)}
    </span>
  );
}

function Announcer() {
  const [polite, setPolite] = useState("");
  const [urgent, setUrgent] = useState("");
  const listener = useCallback((n: AlertNotice) => {
    const a = n.alert;
    const unit = unit_info(a.unit_id)?.info.name ?? a.unit_id;
    if (n.is_new && a.kind === "entrapment" && a.state === "raised") {
      setUrgent(t("announce_entrapment", { unit }));
    } else if (n.is_new) {
      setPolite(t("announce_new_alert", { unit, kind: kind_word(a.kind) }));
    } else {
      setPolite(t("announce_alert_changed", { unit, kind: kind_word(a.kind), state: state_word(a.state) }));
    }
  }, []);
  useAlertNotices(listener);
  return (
    <div class="announcer">
      <div role="status" class="announce-status">
        {polite}
      </div>
      <div role="alert" class="announce-alert">
        {urgent && (
          <p class="badge bad">
            <span aria-hidden="true">⚠</span> {urgent} <a href="/portal/alerts">{t("nav_alerts")}</a>
          </p>
        )}
      </div>
    </div>
  );
}

export function PortalLayout(props: { title: string; wide?: boolean; children: ComponentChildren; focusHeading?: boolean }) {
  useLang();
  useLiveConnection();
  const [who, setWho] = useState<Account | null>(account);
  useEffect(() => {
    let live = true;
    api.get<{ account?: Account }>("/api/v1/portal/session").then(
      (r) => {
        account = r.account ?? {};
        if (live) setWho(account);
      },
      (e) => {
        if (e instanceof ApiError && e.status === 401) session_ended();
      },
    );
    return () => {
      live = false;
    };
  }, []);
  // A new screen (not the first page loaded): focus its main landmark, which opens with the
  // heading, so a screen reader starts there. Once per screen, never on a live update.
  useEffect(() => {
    if (first_screen) {
      first_screen = false;
      return;
    }
    if (props.focusHeading !== false) document.getElementById("main")?.focus({ preventScroll: true });
  }, []);

  const sign_out = async () => {
    try {
      await api.post("/api/v1/portal/logout");
    } catch {
      /* gone already */
    }
    account = null;
    navigate("/portal/login");
  };
  const name = who ? [who.last_name, who.first_name].filter(Boolean).join(" ") || who.email || "" : "";
  return (
    <Layout
      service={t("portal_name")}
      title={props.title}
      wide={props.wide}
      actions={
        <>
          {name && <span class="who">{t("signed_in_as", { name })}</span>}
          <button type="button" class="link-button" onClick={sign_out}>
            {t("sign_out")}
          </button>
        </>
      }
      nav={
        <ul>
          <NavLink href="/portal">{t("nav_overview")}</NavLink>
          <NavLink href="/portal/alerts">{t("nav_alerts")}</NavLink>
          <NavLink href="/portal/earthquake">{t("nav_earthquake")}</NavLink>
        </ul>
      }
    >
      <Announcer />
      {props.children}
    </Layout>
  );
}

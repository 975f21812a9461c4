// The app: picks the screen for the path. Each service keeps its routes beside its screens.
import { accessRoutes } from "./access/routes";
import { eserviceRoutes } from "./eservice/routes";
import { portalRoutes } from "./portal/routes";
import { Layout } from "./components/layout";
import { common } from "./components/messages";
import { translator, useLang } from "./lib/i18n";
import { match, useLocation } from "./lib/router";
import type { Route } from "./lib/routes";

const t = translator(common);

function Home() {
  useLang();
  return (
    <Layout service="" title={t("home_title")}>
      <p>{t("home_lead")}</p>
      <ul class="service-choice">
        <li>
          <a class="card card-link" href="/eservice/login">
            <span class="card-title">{t("eservice")}</span>
            <span>{t("eservice_lead")}</span>
          </a>
        </li>
        <li>
          <a class="card card-link" href="/portal/login">
            <span class="card-title">{t("portal")}</span>
            <span>{t("portal_lead")}</span>
          </a>
        </li>
      </ul>
    </Layout>
  );
}

function NotFound() {
  useLang();
  return (
    <Layout service="" title={t("not_found_title")}>
      <p>{t("not_found_text")}</p>
      <p>
        <a href="/">{t("back_home")}</a>
      </p>
    </Layout>
  );
}

const routes: Route[] = [{ pattern: "/", view: () => <Home /> }, ...eserviceRoutes, ...accessRoutes, ...portalRoutes];

export function App() {
  const { path } = useLocation();
  useLang();
  for (const r of routes) {
    const params = match(r.pattern, path);
    if (params) return r.view(params);
  }
  return <NotFound />;
}

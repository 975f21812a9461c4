// The frame of every screen: a skip link, the header (product, service, language switch, the
// signed-in user's actions), the main landmark with the page's heading, and the footer.
import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { languages, setLang, translator, useLang } from "../lib/i18n";
import { common } from "./messages";

const t = translator(common);

export function LanguageSwitch() {
  const lang = useLang();
  return (
    <div class="lang-switch" role="group" aria-label={t("language")}>
      {languages.map((l) => (
        <button
          type="button"
          class="link-button"
          lang={l}
          aria-pressed={l === lang}
          onClick={() => setLang(l)}
          key={l}
        >
          {l === "ja" ? "日本語" : "English"}
        </button>
      ))}
    </div>
  );
}

export function Layout(props: {
  service: string; // "eService", the portal's name, or empty on the landing page
  title: string; // the page's heading; also the document title
  actions?: ComponentChildren; // header actions (sign out, profile)
  nav?: ComponentChildren; // the service's navigation
  wide?: boolean;
  children: ComponentChildren;
}) {
  useLang();
  useEffect(() => {
    document.title = props.service ? `${props.title} | ${props.service} | Hoistway` : props.title;
  }, [props.title, props.service]);
  return (
    <>
      <a class="skip-link" href="#main">
        {t("skip_to_content")}
      </a>
      <header class="site-header">
        <div class="brand">
          <a href="/" class="brand-name">
            Hoistway
          </a>
          {props.service && <span class="service-name">{props.service}</span>}
        </div>
        <div class="header-actions">
          <LanguageSwitch />
          {props.actions}
        </div>
      </header>
      {props.nav && (
        <nav class="site-nav" aria-label={t("navigation")}>
          {props.nav}
        </nav>
      )}
      <main id="main" class={props.wide ? "main wide" : "main"} tabIndex={-1}>
        <h1>{props.title}</h1>
        {props.children}
      </main>
      <footer class="site-footer">
        <span>© Hoistway</span>
      </footer>
    </>
  );
}

// Entry point: styles, then the app into #app. Links to the app's own pages navigate without a
// reload (a click with a modifier key, or a link to another origin or to /api, loads normally).
import { render } from "preact";
import { App } from "./app";
import { navigate } from "./lib/router";
import "./styles/base.css";

document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.("a");
  if (!a || a.target || a.hasAttribute("download")) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin || url.pathname.startsWith("/api/")) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});

const root = document.getElementById("app");
if (root) render(<App />, root);

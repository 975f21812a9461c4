// What every browser test shares: Debian's Chromium driven by playwright-core (never a
// downloaded browser), the stack's addresses (from run.py's environment), accessibility checks
// with axe-core, and screenshots at the two widths the issue names.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";

// The packages live in web/node_modules (web/package-lock.json; scripts/setup runs npm ci).
const require = createRequire(new URL("../../web/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const { AxeBuilder } = require("@axe-core/playwright");

export const baseUrl = process.env.HOISTWAY_BASE_URL ?? "http://127.0.0.1:8080";
export const screenshotDir = process.env.HOISTWAY_SCREENSHOTS ?? "screenshots";

// What scripts/demo wrote: API key, maildir, the demo login (see README).
export function credentials() {
  const path = process.env.HOISTWAY_CREDENTIALS;
  assert.ok(path, "HOISTWAY_CREDENTIALS is not set (run the tests through tests/browser/run.py)");
  return JSON.parse(readFileSync(path, "utf8"));
}

export const viewports = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
};

// The flags the machine needs: no sandbox as root, no GPU, and no background traffic (the
// network is closed; Chromium's own connections would only fail).
export async function launch() {
  return chromium.launch({
    executablePath: process.env.HOISTWAY_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

// A fresh context (cookies, storage) at a width, in a language; console errors and failed
// requests are collected, so a test can assert the page ran clean (a CSP violation is one).
export async function openPage(browser, { viewport = viewports.desktop, lang = "ja" } = {}) {
  // lang null: the browser's first visit (nothing remembered).
  const locale = lang === "en" ? "en-GB" : "ja-JP";
  const context = await browser.newContext({
    viewport,
    locale,
    timezoneId: "Asia/Tokyo",
  });
  if (lang) await context.addInitScript((l) => {
    try {
      // The first page of the context only: a later choice (the switch) must survive reloads.
      if (!window.localStorage.getItem("hoistway.lang")) window.localStorage.setItem("hoistway.lang", l);
    } catch {
      /* storage refused */
    }
  }, lang);
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") page.problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => page.problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => {
    const why = r.failure()?.errorText ?? "";
    // A stream closed by navigation is not a failure of the page.
    if (!why.includes("ERR_ABORTED")) page.problems.push(`request failed: ${r.url()} ${why}`);
  });
  return page;
}

// axe-core: no serious or critical violation (WCAG 2.x A and AA rules).
export async function assertAccessible(page, label) {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const text = bad
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("\n  ")}`)
    .join("\n");
  assert.equal(bad.length, 0, `${label}: accessibility violations:\n${text}`);
}

// A full-page screenshot into build/screenshots/NAME-WIDTH.png.
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const { width } = page.viewportSize();
  await page.screenshot({ path: join(screenshotDir, `${name}-${width}.png`), fullPage: true });
}

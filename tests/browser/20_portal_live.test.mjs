// run.py: --portal-account
// The customer portal's live pages against the demo at real speed: the overview follows the
// simulator (the floor on screen equals the agent's within 1 s), every tile says "as of", the
// unit page shows its sections, signing out (here or elsewhere) returns to the sign-in, and
// every screen passes axe in both languages at both widths (screenshots of each).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { assertAccessible, baseUrl, launch, openPage, screenshot, viewports } from "./lib.mjs";
import { agentFloors, apiPost, signIn } from "./portal_account.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function portalPage(options) {
  const page = await openPage(browser, options);
  await signIn(page);
  return page;
}

test("the overview draws every monitored car and goes live", async () => {
  const page = await portalPage({ lang: "en" });
  await page.goto(`${baseUrl}/portal`);
  await page.getByRole("heading", { level: 1, name: "Live overview" }).waitFor();
  for (const unit of ["OFFICE-1", "OFFICE-2", "TOWER-1", "TOWER-2"]) {
    await page.locator(`.car-tile[data-unit="${unit}"]`).waitFor();
  }
  await page.locator('[data-stream="live"]').first().waitFor({ timeout: 10000 });
  // Each tile: the time of its data, and its status in words (not colour alone).
  await page.waitForFunction(() => [...document.querySelectorAll(".car-tile .as-of")].every((e) => /as of \d\d:\d\d:\d\d/.test(e.textContent)));
  const words = await page.locator(".car-tile .badge").allTextContents();
  assert.ok(words.every((w) => /In service|Out of service|Unknown|Alarm/.test(w)), words.join("|"));
  assert.equal(await page.locator("svg.hoistway").count(), 2, "one hoistway per group");
  assert.ok((await page.locator("svg.hoistway .shaft-car").count()) >= 4, "a car in the shaft per unit");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("the floor on screen equals the agent's within 1 s", async () => {
  const page = await portalPage({ lang: "ja" });
  await page.goto(`${baseUrl}/portal`);
  await page.locator('.car-tile[data-unit="OFFICE-1"][data-floor]').waitFor();
  await page.locator('[data-stream="live"]').first().waitFor({ timeout: 10000 });
  // Every floor the page shows, with the wall-clock time it appeared (one clock for both sides).
  await page.evaluate(() => {
    window.__floors = [];
    const record = () => {
      for (const tile of document.querySelectorAll(".car-tile[data-unit]")) {
        const unit = tile.getAttribute("data-unit");
        const floor = tile.getAttribute("data-floor");
        const last = window.__floors.findLast((f) => f.unit === unit);
        if (!last || last.floor !== floor) window.__floors.push({ unit, floor, at: Date.now() });
      }
    };
    record();
    new MutationObserver(record).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-floor"] });
  });
  const samples = [];
  const moved = new Set();
  const deadline = Date.now() + 45000;
  while (Date.now() < deadline && (samples.length < 30 || moved.size === 0)) {
    const t0 = Date.now();
    const floors = agentFloors("demo-office");
    const t1 = Date.now();
    for (const [unit, floor] of Object.entries(floors)) samples.push({ unit, floor: String(floor), t0, t1 });
    await page.waitForTimeout(700);
    const history = await page.evaluate(() => window.__floors);
    for (const h of history) if (h.at > t0 && history.some((o) => o.unit === h.unit && o.at < h.at)) moved.add(h.unit);
  }
  await page.waitForTimeout(1100);
  const history = await page.evaluate(() => window.__floors);
  const misses = [];
  for (const s of samples) {
    // Shown at some moment between the read and 1 s after it: the floor current at t0 or any
    // floor that appeared before t1 + 1000.
    const before = history.filter((h) => h.unit === s.unit && h.at <= s.t0).at(-1);
    const during = history.filter((h) => h.unit === s.unit && h.at > s.t0 && h.at <= s.t1 + 1000);
    const shown = [before, ...during].filter(Boolean).map((h) => h.floor);
    if (!shown.includes(s.floor)) misses.push(`${s.unit} agent ${s.floor} at ${s.t0}, page ${shown.join(",")}`);
  }
  console.log(`floor samples ${samples.length}, page changes ${history.length}, units seen moving: ${[...moved].join(",")}`);
  assert.ok(samples.length >= 20, "enough samples");
  assert.ok(history.length > 2, "the page followed some movement");
  assert.deepEqual(misses, [], "every floor the agent read was on screen within 1 s");
  await page.context().close();
});

test("the unit page: live status, inspection work, usage, availability with unknown, events, visits", async () => {
  const page = await portalPage({ lang: "en" });
  await page.goto(`${baseUrl}/portal`);
  await page.getByRole("link", { name: "Details of Car 1" }).first().click();
  await page.waitForURL(/\/portal\/units\/OFFICE-1$/);
  for (const name of ["Operating status", "Inspection work status", "Usage", "Availability (last 7 days)", "Events", "Technician visits", "This unit's alerts"]) {
    await page.getByRole("heading", { level: 2, name }).waitFor();
  }
  await page.locator(".chart canvas").first().waitFor();
  assert.equal(await page.locator(".chart canvas").count(), 4, "four usage charts");
  await page.getByText("No data (unknown)").waitFor();
  await page.getByLabel("By day (last 14 days)").check();
  await page.locator(".chart canvas").first().waitFor();
  assert.match(await page.locator(".as-of").first().textContent(), /as of \d\d:\d\d:\d\d/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a unit whose agent falls silent turns stale, in words, and recovers", async () => {
  const page = await portalPage({ lang: "en" });
  await page.goto(`${baseUrl}/portal`);
  // (A car at rest is confirmed by its agent's snapshot every 60 s.)
  await page.locator('.car-tile[data-unit="TOWER-1"] .as-of[data-stale="no"]').waitFor({ timeout: 90000 });
  // The tower's agent of this test's own stack stops (SIGSTOP: no exit, no restart).
  const config = `${process.env.HOISTWAY_DEMO_RUN}/agent-demo-tower.toml`;
  const pid = Number(execFileSync("pgrep", ["-f", "-x", `\\S*hoistway-agent --config ${config}`], { encoding: "utf8" }).trim());
  assert.ok(pid > 0);
  process.kill(pid, "SIGSTOP");
  try {
    // Silent past 1.5 expected intervals (60 s unless the server says otherwise), or offline.
    await page.locator('.car-tile[data-unit="TOWER-1"] .as-of:is([data-stale="silent"], [data-stale="offline"])').waitFor({ timeout: 180000 });
    const text = await page.locator('.car-tile[data-unit="TOWER-1"] .as-of').textContent();
    assert.match(text, /this is not current/);
    assert.equal(await page.locator('.car-tile[data-unit="OFFICE-1"] .as-of').getAttribute("data-stale"), "no", "the office still talks");
    await assertAccessible(page, "overview with a stale unit");
    await screenshot(page, "portal-overview-stale-en");
  } finally {
    process.kill(pid, "SIGCONT");
  }
  await page.locator('.car-tile[data-unit="TOWER-1"] .as-of[data-stale="no"]').waitFor({ timeout: 120000 });
  await page.context().close();
});

test("a broken stream says so (reconnecting) and recovers by itself", async () => {
  const page = await portalPage({ lang: "en" });
  await page.goto(`${baseUrl}/portal`);
  await page.locator('[data-stream="live"]').first().waitFor({ timeout: 10000 });
  // The ingest of this test's own stack stops; its supervisor starts it again after 1 s.
  const config = `${process.env.HOISTWAY_DEMO_RUN}/ingest.toml`;
  const pid = execFileSync("pgrep", ["-f", "-x", `\\S*hoistway-ingest --config ${config}`], { encoding: "utf8" }).trim();
  assert.match(pid, /^\d+$/, `one ingest of this stack: ${pid}`);
  process.kill(Number(pid), "SIGTERM");
  await page.locator('[data-stream="reconnecting"]').first().waitFor({ timeout: 10000 });
  assert.match(await page.locator(".stream-state").first().textContent(), /Reconnecting/);
  await page.locator('[data-stream="live"]').first().waitFor({ timeout: 30000 });
  // Live again means data again: a tile's floor changes after the reconnect.
  await page.waitForFunction(() => document.querySelectorAll(".car-tile[data-floor]").length === 4);
  page.problems.length = 0; // the requests the restart failed
  await page.context().close();
});

test("signing out returns to the sign-in; so does a session ended elsewhere", async () => {
  const page = await portalPage({ lang: "en" });
  await page.goto(`${baseUrl}/portal`);
  await page.locator('[data-stream="live"]').first().waitFor({ timeout: 10000 });
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/portal\/login$/);

  const other = await portalPage({ lang: "en" });
  await other.goto(`${baseUrl}/portal/alerts`);
  await other.locator('[data-stream="live"]').first().waitFor({ timeout: 10000 });
  const r = await apiPost(other, "/api/v1/portal/logout");
  assert.equal(r.status(), 200);
  await other.waitForURL(/\/portal\/login$/, { timeout: 10000 });
  // The sign-in says why the page came back to it, once.
  await other.getByRole("status").filter({ hasText: "You were signed out, or your sign-in expired" }).waitFor();
  await other.reload();
  await other.getByRole("heading", { level: 1 }).waitFor();
  assert.equal(await other.getByText("You were signed out, or your sign-in expired").count(), 0);
  await page.context().close();
  await other.context().close();
});

const screens = [
  ["portal-overview", "/portal", ".car-tile[data-floor] .as-of"],
  ["portal-unit", "/portal/units/OFFICE-1", ".chart canvas"],
  ["portal-alerts", "/portal/alerts", "h2#alerts-h"],
  ["portal-earthquake", "/portal/earthquake", ".eq-unit"],
];
for (const lang of ["ja", "en"]) {
  for (const [width, viewport] of Object.entries(viewports)) {
    test(`the portal's screens are accessible (${lang}, ${width})`, async () => {
      const page = await portalPage({ lang, viewport });
      for (const [name, path, ready] of screens) {
        await page.goto(`${baseUrl}${path}`);
        await page.locator(ready).first().waitFor();
        await page.locator('[data-stream="live"]').first().waitFor({ timeout: 10000 }).catch(() => undefined);
        await assertAccessible(page, `${name} ${lang} ${width}`);
        // No horizontal scrolling on a phone.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 1, `${name} ${lang} ${width}: scrolls sideways by ${overflow}px`);
        await screenshot(page, lang === "ja" ? name : `${name}-en`);
      }
      assert.deepEqual(page.problems, []);
      await page.context().close();
    });
  }
}

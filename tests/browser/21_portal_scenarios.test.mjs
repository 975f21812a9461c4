// run.py: --portal-account --speedup 10 --scenario demo-office=tests/browser/scenarios/portal-entrapment.toml,demo-tower=tests/browser/scenarios/portal-earthquake.toml
// The portal in an emergency: the office's car 1 is trapped between floors (10 simulated minutes
// in, released 10 minutes later) while the tower has an earthquake (12 minutes in, reset at 22),
// at 10× speed (scenarios/portal-*.toml: the firmware-sim scenarios, timed for the test). The alert is on screen within 2 s of the API having it, announced with
// role="alert"; acknowledging it records who and the comment, and its timeline shows each step;
// the earthquake view shows each car stopped by seismic control, then restored.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { assertAccessible, baseUrl, launch, openPage, screenshot, viewports } from "./lib.mjs";
import { apiGet, signIn } from "./portal_account.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

let entrapmentId = null;

test("an entrapment is on screen within 2 s of the API having it, and announced", async () => {
  const page = await openPage(browser, { lang: "en" });
  await signIn(page);
  await page.goto(`${baseUrl}/portal/alerts`);
  await page.getByRole("heading", { level: 2, name: "Open" }).waitFor();
  await page.locator('[data-stream="live"]').first().waitFor({ timeout: 10000 });
  const already = await page.locator('tr[data-kind="entrapment"]').count();
  assert.equal(already, 0, "the entrapment comes after the page is open (10 simulated minutes in)");
  let apiAt = null;
  const deadline = Date.now() + 120000;
  while (Date.now() < deadline) {
    const { alerts } = await apiGet(page, "/api/v1/alerts?state=open");
    const a = alerts.find((x) => x.kind === "entrapment");
    if (a) {
      apiAt = Date.now();
      entrapmentId = a.alert_id;
      break;
    }
    await page.waitForTimeout(100);
  }
  assert.ok(apiAt, "the API has the entrapment");
  await page.locator(`tr[data-alert="${entrapmentId}"]`).waitFor({ timeout: 2000 });
  const shownAfter = Date.now() - apiAt;
  console.log(`entrapment on screen ${shownAfter} ms after the API answered it`);
  assert.ok(shownAfter <= 2000);
  assert.match(await page.getByRole("alert").first().textContent(), /Entrapment/);
  await assertAccessible(page, "alerts with an entrapment");
  await screenshot(page, "portal-alerts-entrapment-en");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("acknowledging records who and the comment; the timeline shows the steps", async () => {
  assert.ok(entrapmentId, "the previous test found the entrapment");
  const page = await openPage(browser, { lang: "ja" });
  await signIn(page);
  await page.goto(`${baseUrl}/portal/alerts`);
  await page.locator(`tr[data-alert="${entrapmentId}"] a`).click();
  await page.waitForURL(new RegExp(`/portal/alerts/${entrapmentId}$`));
  await page.locator('li[data-step="detected"].done').waitFor();
  const comment = "管理人が現地に向かいました。インターホンで乗客と通話中。";
  await page.getByLabel("コメント").fill(comment);
  await page.getByRole("button", { name: "確認を記録" }).click();
  await page.getByText("確認を記録しました。").waitFor();
  await page.locator('[data-state="acknowledged"]').waitFor();
  assert.match(await page.locator(".ack-by").textContent(), /Yamada|山田|@/);
  assert.equal(await page.locator(".ack-comment").textContent(), comment);
  await page.locator('li[data-step="acknowledged"].done').waitFor();
  await assertAccessible(page, "the acknowledged alert");
  await screenshot(page, "portal-alert");
  // It stays: a reload shows the same who and comment.
  await page.reload();
  assert.equal(await page.locator(".ack-comment").textContent(), comment);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("the earthquake view shows each tower car's restoration state", async () => {
  const page = await openPage(browser, { lang: "en" });
  await signIn(page);
  await page.goto(`${baseUrl}/portal/earthquake`);
  await page.getByRole("heading", { level: 1, name: "Earthquake restoration" }).waitFor();
  for (const unit of ["TOWER-1", "TOWER-2"]) {
    await page.locator(`.eq-unit[data-unit="${unit}"][data-restoration="stopped"]`).waitFor({ timeout: 240000 });
  }
  assert.match(await page.locator('.eq-unit[data-unit="TOWER-1"] .badge').textContent(), /Stopped by seismic control/);
  // The office was not shaken.
  assert.equal(await page.locator('.eq-unit[data-unit="OFFICE-2"]').getAttribute("data-restoration"), "not_affected");
  await assertAccessible(page, "earthquake, stopped");
  await screenshot(page, "portal-earthquake-stopped-en");
  for (const unit of ["TOWER-1", "TOWER-2"]) {
    await page.locator(`.eq-unit[data-unit="${unit}"][data-restoration="restored"]`).waitFor({ timeout: 300000 });
  }
  await screenshot(page, "portal-earthquake-restored-en");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("the entrapment's timeline: detected, acknowledged, released, cleared", async () => {
  assert.ok(entrapmentId, "the first test found the entrapment");
  const page = await openPage(browser, { lang: "en" });
  await signIn(page);
  await page.goto(`${baseUrl}/portal/alerts/${entrapmentId}`);
  await page.getByRole("heading", { level: 2, name: "Timeline" }).waitFor();
  // Released 10 simulated minutes after it began (60 s at 10×): the page follows the stream.
  await page.locator('li[data-step="released"].done').waitFor({ timeout: 240000 });
  const steps = await page.locator("ol.timeline li").evaluateAll((els) => els.map((e) => `${e.dataset.step}:${e.className}`));
  console.log(`timeline: ${steps.join(" ")}`);
  assert.equal(steps[0], "detected:done");
  assert.equal(steps[1], "acknowledged:done");
  for (const [width, viewport] of Object.entries(viewports)) {
    await page.setViewportSize(viewport);
    await assertAccessible(page, `alert ${width}`);
    await screenshot(page, "portal-alert-released-en");
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

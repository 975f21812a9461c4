// The pages' shell as the ingest serves it: Japanese first, English by the switch (remembered),
// the security headers on the page, no console error (a CSP violation would be one), and the
// start page accessible at both widths.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { assertAccessible, baseUrl, launch, openPage, screenshot, viewports } from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("the start page is Japanese by default, with the security headers", async () => {
  const page = await openPage(browser, { lang: null });
  const response = await page.goto(`${baseUrl}/`);
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers["content-security-policy"], /script-src 'self'/);
  assert.match(headers["content-security-policy"], /frame-ancestors 'none'/);
  assert.equal(headers["x-content-type-options"], "nosniff");
  assert.equal(headers["referrer-policy"], "same-origin");
  assert.equal(await page.getAttribute("html", "lang"), "ja");
  await page.getByRole("heading", { level: 1, name: "昇降機サービス" }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("the language switch changes the page and is remembered", async () => {
  const page = await openPage(browser, { lang: "ja" });
  await page.goto(`${baseUrl}/`);
  await page.getByRole("button", { name: "English" }).click();
  await page.getByRole("heading", { level: 1, name: "Elevator services" }).waitFor();
  assert.equal(await page.getAttribute("html", "lang"), "en");
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Elevator services" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "English" }).getAttribute("aria-pressed"), "true");
  await page.context().close();
});

test("an unknown page says so; an unknown asset is a 404", async () => {
  const page = await openPage(browser, { lang: "en" });
  await page.goto(`${baseUrl}/no/such/page`);
  await page.getByRole("heading", { level: 1, name: "Page not found" }).waitFor();
  const asset = await page.request.get(`${baseUrl}/assets/app-NOPE.js`);
  assert.equal(asset.status(), 404);
  await page.context().close();
});

for (const lang of ["ja", "en"]) {
  for (const [name, viewport] of Object.entries(viewports)) {
    test(`the start page is accessible (${lang}, ${name})`, async () => {
      const page = await openPage(browser, { lang, viewport });
      await page.goto(`${baseUrl}/`);
      await page.locator("h1").waitFor();
      await assertAccessible(page, `start ${lang} ${name}`);
      if (lang === "ja") await screenshot(page, "start");
      else await screenshot(page, "start-en");
      assert.deepEqual(page.problems, []);
      await page.context().close();
    });
  }
}

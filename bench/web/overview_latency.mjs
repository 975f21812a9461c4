// The live overview against a real stack (run through tests/browser/run.py, which starts
// scripts/demo on free ports and signs up a portal account):
//   1. bytes the first overview view transfers: every response but the event stream, as sent
//      (compressed), split into JS+CSS and the rest;
//   2. how long a car's change takes to reach the page: for each floor the overview shows, the
//      time it appeared in the DOM minus the status's updated_at (the agent's sample time; the
//      agent samples the controller at 10 Hz, which adds up to 100 ms before that), p50/p99 over
//      at least --changes changes (default 200).
// Usage: python3 tests/browser/run.py --bin build/bin --run --portal-account \
//          --speedup 4 --test bench/web/overview_latency.mjs
// Prints figures; asserts nothing about time.
import { baseUrl, launch, openPage } from "../../tests/browser/lib.mjs";
import { signIn } from "../../tests/browser/portal_account.mjs";

const want = Number(process.env.BENCH_CHANGES ?? 200);
const limitS = Number(process.env.BENCH_SECONDS ?? 600);

const browser = await launch();
try {
  const page = await openPage(browser, { lang: "ja" });
  await signIn(page);
  const sizes = [];
  page.on("requestfinished", async (r) => {
    if (r.url().includes("/api/v1/stream")) return;
    const s = await r.sizes().catch(() => null);
    if (s) sizes.push({ url: r.url(), type: r.resourceType(), bytes: s.responseBodySize + s.responseHeadersSize });
  });
  await page.goto(`${baseUrl}/portal`, { waitUntil: "load" });
  await page.locator(".car-tile[data-floor] .as-of").first().waitFor();
  await page.locator('[data-stream="live"]').first().waitFor({ timeout: 15000 });
  await page.waitForTimeout(1000);
  const code = sizes.filter((s) => s.type === "script" || s.type === "stylesheet").reduce((a, s) => a + s.bytes, 0);
  const all = sizes.reduce((a, s) => a + s.bytes, 0);
  console.log(`first overview view: JS+CSS ${(code / 1024).toFixed(1)} KiB compressed on the wire (target <= 150 KB); everything but the stream ${(all / 1024).toFixed(1)} KiB in ${sizes.length} responses`);

  await page.evaluate(() => {
    window.__lat = [];
    const last = new Map();
    new MutationObserver((records) => {
      const now = Date.now();
      for (const r of records) {
        const tile = r.target;
        const unit = tile.getAttribute("data-unit");
        const floor = tile.getAttribute("data-floor");
        const updated = Date.parse(tile.getAttribute("data-updated") ?? "");
        if (last.get(unit) === floor || Number.isNaN(updated)) continue;
        last.set(unit, floor);
        window.__lat.push(now - updated);
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-floor"] });
  });
  const started = Date.now();
  let n = 0;
  while (n < want && Date.now() - started < limitS * 1000) {
    await page.waitForTimeout(2000);
    n = await page.evaluate(() => window.__lat.length);
  }
  const lat = (await page.evaluate(() => window.__lat)).sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  console.log(`car change (agent sample) -> DOM over ${lat.length} floor changes in ${((Date.now() - started) / 1000).toFixed(0)} s: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${lat.at(-1)} ms (target p99 < 300 ms)`);
  await page.context().close();
} finally {
  await browser.close();
}

// The overview with 200 units on screen, fed by a synthetic stream: this script serves the built
// pages (build/web) and stands in for the API (a signed-in session, /buildings with 10 buildings
// × 2 groups × 10 cars of 20 landings, and an event stream sending status changes at a chosen
// rate), then measures in Chromium, for each rate, the frames the page draws and how many take
// longer than 1.5 frame times (dropped). No stack needed.
// Usage: node bench/web/overview_200.mjs [--web build/web] [--seconds 8] [--rates 100,400,1000,2000,4000]
// Prints figures; asserts nothing about time.
import { createServer } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { join, extname, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { launch, openPage } from "../../tests/browser/lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const web = resolve(opt("web", join(here, "../../build/web")));
const seconds = Number(opt("seconds", "8"));
const rates = opt("rates", "100,400,1000,2000,4000").split(",").map(Number);
if (!existsSync(join(web, "index.html"))) {
  console.error(`no ${web}/index.html: build the pages first (cmake --build build --target hoistway_web)`);
  process.exit(69);
}

const landings = 20;
const buildings = Array.from({ length: 10 }, (_, b) => ({
  building_id: `B${b}`,
  name: `Building ${b + 1}`,
  time_zone: "Asia/Tokyo",
  utc_offset: "+09:00",
  groups: Array.from({ length: 2 }, (_, g) => ({
    group_id: `B${b}-G${g}`,
    units: Array.from({ length: 10 }, (_, c) => ({
      unit_id: `B${b}-G${g}-C${c}`,
      name: `Car ${c + 1}`,
      car: c,
      landings,
      floor_labels: Array.from({ length: landings }, (_, i) => `${i + 1}F`),
      monitored: true,
      status: null,
    })),
  })),
}));
const units = buildings.flatMap((b) => b.groups.flatMap((g) => g.units.map((u) => u.unit_id)));
const state = new Map(units.map((u, i) => [u, { floor: i % landings, dir: 1 }]));

let rate = 0;
const streams = new Set();
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
const server = createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/api/v1/portal/session") return json(res, { stage: "signed_in", account: { email: "bench@example", last_name: "Bench" } });
  if (url.pathname === "/api/v1/buildings") return json(res, { buildings });
  if (url.pathname === "/api/v1/stream") {
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" });
    res.write(":\n\n");
    streams.add(res);
    req.on("close", () => streams.delete(res));
    return;
  }
  if (url.pathname.startsWith("/api/")) return json(res, {}, 404);
  const file = url.pathname.startsWith("/assets/") || url.pathname === "/favicon.svg" ? join(web, url.pathname) : join(web, "index.html");
  if (!file.startsWith(web) || !existsSync(file)) return json(res, {}, 404);
  res.writeHead(200, { "Content-Type": types[extname(file)] ?? "application/octet-stream" });
  res.end(readFileSync(file));
});
function json(res, body, status = 200) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}
let seq = 0;
function status_event(unit) {
  const s = state.get(unit);
  if (s.floor + s.dir < 0 || s.floor + s.dir >= landings) s.dir = -s.dir;
  s.floor += s.dir;
  const now = new Date().toISOString();
  const body = { unit_id: unit, online: true, in_service: true, mode: "normal", floor: s.floor, direction: s.dir > 0 ? "up" : "down", door: "closed", position_mm: s.floor * 3500, updated_at: now, last_seen_at: now };
  return `id: ${++seq}\nevent: status\ndata: ${JSON.stringify(body)}\n\n`;
}
// Sends the rate's changes in 10 ms slices, round-robin over the units.
let next = 0;
setInterval(() => {
  const per = rate / 100;
  let chunk = "";
  for (let i = 0; i < per; i++) chunk += status_event(units[next++ % units.length]);
  if (chunk) for (const s of streams) s.write(chunk);
}, 10);

await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await launch();
try {
  const page = await openPage(browser, { lang: "ja" });
  await page.goto(`${base}/portal`);
  await page.waitForFunction((n) => document.querySelectorAll(".car-tile").length === n, units.length);
  console.log(`overview with ${await page.locator(".car-tile").count()} units, ${await page.locator("svg.hoistway").count()} hoistways`);
  for (const r of rates) {
    rate = r;
    await page.waitForTimeout(1000);
    const result = await page.evaluate(async (ms) => {
      const frames = [];
      let last = performance.now();
      const end = last + ms;
      const shown0 = document.querySelectorAll(".car-tile").length;
      await new Promise((done) => {
        const tick = (t) => {
          frames.push(t - last);
          last = t;
          if (t < end) requestAnimationFrame(tick);
          else done();
        };
        requestAnimationFrame(tick);
      });
      const sorted = [...frames].sort((a, b) => a - b);
      return { shown0, frames: frames.length, long: frames.filter((f) => f > 25).length, p99: sorted[Math.floor(sorted.length * 0.99)] };
    }, seconds * 1000);
    const fps = result.frames / seconds;
    console.log(`${String(r).padStart(5)} status changes/s: ${fps.toFixed(1)} frames/s, ${result.long} of ${result.frames} frames over 25 ms (${((100 * result.long) / result.frames).toFixed(1)} %), p99 frame ${result.p99.toFixed(1)} ms`);
  }
  rate = 0;
  await page.context().close();
} finally {
  await browser.close();
  server.close();
  for (const s of streams) s.destroy();
}
process.exit(0);

// The customer-portal login the tests use: run.py --portal-account signs one up (or takes the
// demo's own) and hands it over in HOISTWAY_PORTAL_LOGIN. signIn() signs a page's context in
// through the API as the sign-in screen does (GET the screen for the CSRF token, POST the
// e-mail and password), so the portal's pages can be tested apart from the sign-in screen.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { baseUrl, credentials } from "./lib.mjs";

export function portalLogin() {
  const raw = process.env.HOISTWAY_PORTAL_LOGIN;
  assert.ok(raw, "HOISTWAY_PORTAL_LOGIN is not set (run.py --portal-account)");
  return JSON.parse(raw);
}

export async function signIn(page) {
  const { email, password } = portalLogin();
  const screen = await page.request.get(`${baseUrl}/api/v1/portal/login`);
  assert.equal(screen.status(), 200, "GET /api/v1/portal/login");
  const { csrf_token } = await screen.json();
  const r = await page.request.post(`${baseUrl}/api/v1/portal/login`, {
    data: { email, password },
    headers: { "X-CSRF-Token": csrf_token },
  });
  assert.equal(r.status(), 200, `portal sign-in: ${await r.text()}`);
  return csrf_token;
}

// A read with the page's session (its cookies), as the page would make it.
export async function apiGet(page, path) {
  const headers = {};
  const r = await page.request.get(`${baseUrl}${path}`, { headers });
  assert.equal(r.status(), 200, `GET ${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

// A write from the page's context (its cookies), e.g. signing out behind the page's back.
export async function apiPost(page, path, data = {}) {
  // The session cookies have Path=/api/v1: ask for that path's.
  const cookies = await page.context().cookies(`${baseUrl}/api/v1/`);
  const csrf = cookies.find((c) => c.name === "hw_csrf")?.value ?? "";
  return page.request.post(`${baseUrl}${path}`, { data, headers: { "X-CSRF-Token": csrf } });
}

// The agent's view of its controller (the truth the overview must follow): hoistctl status
// --json over the demo's hoistctl socket. {unit_id: floor}.
export function agentFloors(deviceId) {
  const creds = credentials();
  const device = creds.devices.find((d) => d.device_id === deviceId);
  assert.ok(device, `no device ${deviceId} in credentials.json`);
  const bin = process.env.HOISTWAY_BIN;
  assert.ok(bin, "HOISTWAY_BIN is not set");
  const out = execFileSync(join(bin, "hoistctl"), ["--socket", device.hoistctl_socket, "--json", "status"], {
    encoding: "utf8",
    timeout: 5000,
  });
  const status = JSON.parse(out);
  const floors = {};
  for (const car of status.controller.cars) floors[device.units[car.car]] = car.floor;
  return floors;
}

// What the account tests (10_eservice, 11_access_request) share: a fresh e-mail per test, the
// operator's hoistway-admin against the demo's store, the mails from the demo's SMTP sink (a
// Maildir; parsed by Python's email package, which decodes the Japanese subjects and bodies), a
// technician visit through hoistctl, and each screen checked in both languages at both widths.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import assert from "node:assert/strict";
import { assertAccessible, baseUrl, credentials, screenshot, viewports } from "./lib.mjs";

const bin = process.env.HOISTWAY_BIN ?? "build/bin";

export function newEmail(tag) {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@browser.example`;
}

export function admin(...args) {
  const c = credentials();
  const r = spawnSync(join(bin, "hoistway-admin"), ["--config", c.ingest_config, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, `hoistway-admin ${args.join(" ")}: ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export function hoistctl(socket, ...args) {
  const r = spawnSync(join(bin, "hoistctl"), ["--socket", socket, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, `hoistctl ${args.join(" ")}: ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const readMails = `
import email, email.policy, json, mailbox, sys
maildir, to = sys.argv[1:3]
out = []
for key in mailbox.Maildir(maildir, factory=None, create=False).keys():
    box = mailbox.Maildir(maildir, factory=None, create=False)
    msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    if str(msg["To"]) == to:
        out.append({"key": key, "subject": str(msg["Subject"]), "body": msg.get_content(),
                    "date": email.utils.parsedate_to_datetime(msg["Date"]).timestamp()})
print(json.dumps(out, ensure_ascii=False))
`;

// Every mail to `to` so far: [{key, subject, body, date}].
export function mails(to) {
  const r = spawnSync("python3", ["-c", readMails, credentials().maildir, to], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// The first mail to `to` whose subject holds `part` and whose key is not in `seen`.
export async function waitMail(to, part, seen = new Set(), timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = mails(to).filter((m) => !seen.has(m.key) && m.subject.includes(part));
    if (found.length) return found.sort((a, b) => a.date - b.date)[0];
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no mail "${part}" to ${to} within ${timeoutMs} ms`);
}

export const seenKeys = (to) => new Set(mails(to).map((m) => m.key));

// The operator registers the e-mail (mail 1) and issues a temporary password (mail 2): returns it.
export async function registerEservice(email) {
  admin("eservice", "register", "--email", email, "--customer", credentials().customer_id);
  await waitMail(email, "ご登録完了のお知らせ");
  const seen = seenKeys(email);
  admin("eservice", "issue-password", email);
  const mail = await waitMail(email, "お申し込みに関するお知らせ", seen);
  const temp = /仮パスワード: *(\S+)/.exec(mail.body);
  assert.ok(temp, `mail 2 holds no temporary password:\n${mail.body}`);
  return temp[1];
}

// The screen as it is now, checked with axe in both languages at both widths, with screenshots
// (NAME-1280.png / NAME-390.png for Japanese, NAME-en-… for English). The language switch in the
// header changes the page in place, so a screen in the middle of a flow is checked where it is.
export async function checkScreen(page, name) {
  const start = await page.getAttribute("html", "lang");
  const original = page.viewportSize();
  for (const lang of ["ja", "en"]) {
    await page.getByRole("button", { name: lang === "ja" ? "日本語" : "English", exact: true }).click();
    await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    for (const [width, viewport] of Object.entries(viewports)) {
      await page.setViewportSize(viewport);
      await assertAccessible(page, `${name} ${lang} ${width}`);
      // A 360 px phone layout never scrolls sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} ${lang} ${width}: the page is ${overflow} px wider than the screen`);
      await screenshot(page, lang === "ja" ? name : `${name}-en`);
    }
  }
  await page.setViewportSize(original);
  await page.getByRole("button", { name: start === "en" ? "English" : "日本語", exact: true }).click();
  await page.waitForFunction((l) => document.documentElement.lang === l, start);
}

// The field's error text (the page's .error beside the input, tied by aria-describedby).
export async function fieldError(page, inputId) {
  const input = page.locator(`#${inputId}`);
  await page.locator(`#${inputId}-error`).waitFor();
  assert.equal(await input.getAttribute("aria-invalid"), "true", `#${inputId} is not marked invalid`);
  const described = (await input.getAttribute("aria-describedby")) ?? "";
  assert.ok(described.split(" ").includes(`${inputId}-error`), `#${inputId} is not described by its error`);
  return (await page.locator(`#${inputId}-error`).innerText()).trim();
}

// The met rules of a rule list, by their text.
export async function metRules(page, listId) {
  // The rule's words only (each li also holds a visually hidden "met" for screen readers).
  return page.locator(`#${listId} li.met`).evaluateAll((lis) => lis.map((li) => li.firstChild?.textContent ?? ""));
}

// An eService account that has signed in once (what the portal's access request needs), made
// over the JSON API in its own request context: returns {email, password, answer}.
export async function signedInEservice(request) {
  const email = newEmail("portal");
  const temp = await registerEservice(email);
  const password = `Es${Date.now() % 1e9}x`;
  const answer = "Pochi";
  const screen = await (await request.get(`${baseUrl}/api/v1/eservice/login`)).json();
  const post = async (path, data) => {
    const r = await request.post(`${baseUrl}${path}`, {
      data,
      headers: { "X-CSRF-Token": screen.csrf_token, "Content-Type": "application/json" },
    });
    assert.ok(r.ok(), `${path}: ${r.status()} ${await r.text()}`);
    return r.json();
  };
  await post("/api/v1/eservice/login", { email, password: temp });
  await post("/api/v1/eservice/password", {
    email,
    current_password: temp,
    new_password: password,
    new_password_confirm: password,
  });
  await post("/api/v1/eservice/security-question", { question_id: "pet_name", answer });
  const step = await post("/api/v1/eservice/login", { email, password });
  assert.equal(step.next, "security_challenge");
  assert.equal((await post("/api/v1/eservice/security-answer", { answer })).next, "top");
  return { email, password, answer };
}

// eService in the browser, screen by screen as the guide walks it, against the real stack: the
// operator registers a new e-mail, the mails come from the demo's SMTP sink, and every rule's
// refusal is shown on the page at its field. The inspection report prints to an A4 PDF whose
// pages the content needs and whose table loses no row. Every screen passes axe in both
// languages at both widths, with screenshots.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseUrl, credentials, launch, openPage, screenshot, screenshotDir } from "./lib.mjs";
import {
  checkScreen,
  fieldError,
  hoistctl,
  metRules,
  newEmail,
  registerEservice,
  seenKeys,
  waitMail,
} from "./accounts.mjs";

let browser;
const ITEMS = 60; // checklist rows: more than one A4 page holds
const LONG_NOTE = "ロープの摩耗を測定。".repeat(3) + " wire rope wear measured at every sheave, within limits";
let visit = null; // the technician visit made in before(), once the cloud has it

async function api(path) {
  const r = await fetch(`${baseUrl}${path}`, { headers: { Authorization: `Bearer ${credentials().api_key}` } });
  return { status: r.status, body: r.ok ? await r.json() : null };
}

before(async () => {
  browser = await launch();
  // A technician visit on OFFICE-1 (car 0 of demo-office) with a long checklist, recorded at the
  // controller with hoistctl; the agent carries it to the cloud while the first tests run.
  const office = credentials().devices.find((d) => d.device_id === "demo-office");
  hoistctl(office.hoistctl_socket, "visit", "start", "--technician", "T-0042", "--car", "0");
  for (let i = 1; i <= ITEMS; i++) {
    const item = `item-${String(i).padStart(2, "0")} ${i % 3 === 0 ? "ドア装置" : i % 3 === 1 ? "巻上機" : "制御盤"}`;
    const args = ["checklist", "record", item, i % 17 === 0 ? "ng" : "ok"];
    if (i === 7) args.push("--note", LONG_NOTE);
    hoistctl(office.hoistctl_socket, ...args);
  }
  hoistctl(office.hoistctl_socket, "visit", "end");
});
after(async () => {
  await browser?.close();
});

async function waitVisit() {
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    const list = await api("/api/v1/units/OFFICE-1/visits");
    for (const v of list.body?.visits ?? list.body ?? []) {
      if (v.technician !== "T-0042" || !v.ended_at) continue;
      const report = await api(`/api/v1/units/OFFICE-1/visits/${encodeURIComponent(v.visit_id)}/report`);
      if (report.body?.checklist?.length === ITEMS) return report.body;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the visit did not reach the cloud within 60 s");
}

test("the login page: the guide's fields and links; a wrong password and throttling are said in words", async () => {
  const page = await openPage(browser, { lang: "ja" });
  await page.goto(`${baseUrl}/eservice/login`);
  await page.getByRole("heading", { level: 1, name: "ログイン" }).waitFor();
  await page.getByLabel("国/言語の選択").waitFor();
  await page.getByLabel("メールアドレス").waitFor();
  await page.getByLabel("パスワード", { exact: false }).first().waitFor();
  await page.getByLabel("記憶する").waitFor();
  await page.getByRole("link", { name: "登録" }).waitFor();
  await page.getByRole("button", { name: /ここをクリック/ }).waitFor();
  await checkScreen(page, "eservice-login");

  // Choosing Japan/English on the login page switches the page's language.
  await page.getByLabel("国/言語の選択").selectOption("en");
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  await page.getByLabel("Country/language").selectOption("ja");
  await page.getByRole("heading", { level: 1, name: "ログイン" }).waitFor();

  // An address nobody registered and a wrong password get the same words.
  const stranger = newEmail("stranger");
  await page.getByLabel("メールアドレス").fill(stranger);
  await page.locator("#es-password").fill("wrong-password");
  await page.getByRole("button", { name: "ログイン", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "メールアドレスまたはパスワードが正しくありません" }).waitFor();

  // A malformed address is refused at its field.
  await page.getByLabel("メールアドレス").fill("not-an-address");
  await page.getByRole("button", { name: "ログイン", exact: true }).click();
  assert.match(await fieldError(page, "es-email"), /正しい形式/);

  // After 5 failures of one account from one address the server delays the next tries (429 with
  // Retry-After): the page says so and for how long.
  await page.getByLabel("メールアドレス").fill(stranger);
  let throttled = "";
  for (let i = 0; i < 7 && !throttled; i++) {
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/api/v1/eservice/login") && r.request().method() === "POST"),
      page.getByRole("button", { name: "ログイン", exact: true }).click(),
    ]);
    if (response.status() === 429) {
      assert.ok(Number(response.headers()["retry-after"]) >= 1);
      const alert = page.getByRole("alert").filter({ hasText: "試行回数が多すぎます" });
      await alert.waitFor();
      throttled = await alert.innerText();
    } else {
      assert.equal(response.status(), 401);
      await page.getByRole("alert").filter({ hasText: "正しくありません" }).waitFor();
    }
  }
  assert.match(throttled, /\d+(秒|分)後/, "the page did not say how long to wait");
  await screenshot(page, "eservice-login-throttled");
  assert.deepEqual(page.problems.filter((p) => !p.includes("status of 4")), []);
  await page.context().close();
});

let account = null; // {email, password, answer} of the walk below

test("first sign-in: temporary password → password change → security question → login → the question → top", async () => {
  const email = newEmail("walk");
  const temp = await registerEservice(email);
  const page = await openPage(browser, { lang: "ja" });
  await page.goto(`${baseUrl}/eservice/login`);
  await page.getByLabel("メールアドレス").fill(email);
  await page.locator("#es-password").fill(temp);
  await page.getByRole("button", { name: "ログイン", exact: true }).click();

  // The forced password change, its rules ticking as typed.
  await page.getByRole("heading", { level: 1, name: "パスワードの変更" }).waitFor();
  assert.equal(await page.getByLabel("メールアドレスまたはログインID").inputValue(), email);
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1");
  await page.locator("#pw-current").fill(temp);
  await page.locator("#pw-new").fill("abc");
  assert.deepEqual(await metRules(page, "pw-rules"), ["20文字以内", "半角英字と数字のみ（記号・スペース・全角文字なし）", "仮パスワードと異なる"]);
  await page.locator("#pw-new").fill("demo-pass1");
  const met = await metRules(page, "pw-rules");
  assert.ok(met.some((m) => m.startsWith("8文字以上")), met.join("|"));
  assert.ok(!met.some((m) => m.startsWith("半角英字と数字のみ")), "a symbol must untick the alphanumeric rule");
  assert.equal(await page.locator("#pw-rules").getAttribute("aria-live"), "polite");
  await page.locator("#pw-again").fill("demo-pass1");
  await checkScreen(page, "eservice-password");
  // The server's refusal of a symbol, at its field, in the guide's words.
  await page.getByRole("button", { name: "保存して続ける" }).click();
  assert.match(await fieldError(page, "pw-new"), /半角英数字のみ/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "pw-new");
  // Too short, and the two new passwords differ.
  await page.locator("#pw-new").fill("abc123");
  await page.locator("#pw-again").fill("abc124");
  await page.getByRole("button", { name: "保存して続ける" }).click();
  assert.match(await fieldError(page, "pw-new"), /8文字以上20文字以内/);
  assert.match(await fieldError(page, "pw-again"), /一致しません/);
  await screenshot(page, "eservice-password-refused");
  // A wrong current password.
  const password = `Walk${Date.now() % 1e8}`;
  await page.locator("#pw-current").fill("zzzzz");
  await page.locator("#pw-new").fill(password);
  await page.locator("#pw-again").fill(password);
  await page.getByRole("button", { name: "保存して続ける" }).click();
  assert.match(await fieldError(page, "pw-current"), /仮パスワード）が正しくありません/);
  await page.locator("#pw-current").fill(temp);
  await page.getByRole("button", { name: "保存して続ける" }).click();

  // The security question: pick from the list, 3–20 of the allowed characters hinted live.
  await page.getByRole("heading", { level: 1, name: "セキュリティパスワードの設定" }).waitFor();
  const options = await page.locator("#sq-question option").allInnerTexts();
  assert.ok(options.includes("ペットの名前は?"), options.join("|"));
  await page.locator("#sq-answer").fill("ab");
  assert.ok(!(await metRules(page, "sq-rules")).some((m) => m.startsWith("3文字以上")));
  await page.locator("#sq-answer").fill("Pochi");
  assert.equal((await metRules(page, "sq-rules")).length, 3);
  await checkScreen(page, "eservice-security-question");
  // No question chosen; then a character the rule does not allow.
  await page.getByRole("button", { name: "保存", exact: true }).click();
  assert.match(await fieldError(page, "sq-question"), /質問を1つ選んでください/);
  await page.locator("#sq-question").selectOption("pet_name");
  await page.locator("#sq-answer").fill("ポチ!");
  await page.getByRole("button", { name: "保存", exact: true }).click();
  assert.match(await fieldError(page, "sq-answer"), /3文字以上20文字以内|半角英数と記号/);
  await page.locator("#sq-answer").fill("Pochi");
  await page.getByRole("button", { name: "保存", exact: true }).click();

  // Back at the login page: the new password, then the question (with "forgot security answer").
  await page.getByRole("heading", { level: 1, name: "ログイン" }).waitFor();
  await page.getByRole("status").filter({ hasText: "新しいパスワードでログインしてください" }).waitFor();
  await page.getByLabel("メールアドレス").fill(email);
  await page.locator("#es-password").fill(password);
  await page.getByRole("button", { name: "ログイン", exact: true }).click();
  await page.getByLabel("ペットの名前は?").waitFor();
  await page.getByText("セキュリティパスワードを忘れた時").waitFor();
  await checkScreen(page, "eservice-security-challenge");
  await page.getByLabel("ペットの名前は?").fill("Tama");
  await page.getByRole("button", { name: "ログイン", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "セキュリティパスワードの答えが正しくありません" }).waitFor();
  await page.getByLabel("ペットの名前は?").fill("Pochi");
  await page.getByRole("button", { name: "ログイン", exact: true }).click();

  // The top page: the customer's buildings and units.
  await page.getByRole("heading", { level: 1, name: "eService トップ" }).waitFor();
  await page.getByRole("heading", { level: 3, name: "Demo office" }).waitFor();
  await page.getByText("号機ID: OFFICE-1").waitFor();
  await page.getByText("号機ID: TOWER-2").waitFor();
  account = { email, password, answer: "Pochi", storage: await page.context().storageState() };
  assert.deepEqual(page.problems.filter((p) => !p.includes("status of 4")), []);
  await page.context().close();
});

test("forgot password: click once, a new temporary password arrives, and it signs in", async () => {
  // Registered, never signed in (the guide's FAQ case): the login page mails a temporary password.
  const email = newEmail("forgot");
  const page = await openPage(browser, { lang: "ja" });
  const { admin } = await import("./accounts.mjs");
  admin("eservice", "register", "--email", email, "--customer", credentials().customer_id);
  await page.goto(`${baseUrl}/eservice/login`);
  // Without an address the click is refused at the e-mail field.
  await page.getByRole("button", { name: /ここをクリック/ }).click();
  assert.match(await fieldError(page, "es-email"), /メールアドレスを入力してから/);
  const seen = seenKeys(email);
  await page.getByLabel("メールアドレス").fill(email);
  const button = page.getByRole("button", { name: /ここをクリック/ });
  await button.click();
  await page.getByRole("status").filter({ hasText: "新しい仮パスワード" }).waitFor();
  assert.equal(await button.isDisabled(), true, "the button must not take a second click");
  await checkScreen(page, "eservice-forgot-password");
  const mail = await waitMail(email, "お申し込みに関するお知らせ", seen);
  const temp = /仮パスワード: *(\S+)/.exec(mail.body)[1];
  await page.locator("#es-password").fill(temp);
  await page.getByRole("button", { name: "ログイン", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "パスワードの変更" }).waitFor();
  await page.context().close();
});

test("the new registration link explains the guide's registration", async () => {
  const page = await openPage(browser, { lang: "ja" });
  await page.goto(`${baseUrl}/eservice/login`);
  await page.getByRole("link", { name: "登録" }).click();
  await page.getByRole("heading", { level: 1, name: "新規登録" }).waitFor();
  await page.getByText("2～5営業日").waitFor();
  await page.getByRole("link", { name: "カスタマーポータルのアクセスを要求する" }).waitFor();
  await checkScreen(page, "eservice-register");
  await page.context().close();
});

test("inspection reports: the list filters by building, unit and period; the report prints to A4", async (t) => {
  assert.ok(account, "needs the sign-in of the test before");
  visit = await waitVisit();
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: "ja-JP",
    timezoneId: "Asia/Tokyo",
    storageState: account.storage,
  });
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(e.message));
  await page.goto(`${baseUrl}/eservice`);
  await page.getByRole("heading", { level: 2, name: "点検報告書" }).waitFor();
  const row = page.locator("table.reports tbody tr").filter({ hasText: "T-0042" });
  await row.first().waitFor();
  const all = await page.locator("table.reports tbody tr").count();
  await checkScreen(page, "eservice-top");

  // Filters: the tower's building hides the office's visit; the office's unit shows it.
  await page.getByLabel("建物", { exact: true }).selectOption({ label: "Lindenhof residential tower" });
  await page.getByRole("status").filter({ hasText: "件の点検報告書" }).waitFor();
  assert.equal(await row.count(), 0);
  assert.match(page.url(), /building=demo-tower/);
  await page.getByLabel("建物", { exact: true }).selectOption({ label: "Demo office" });
  await page.getByLabel("号機", { exact: true }).selectOption("OFFICE-1");
  assert.equal(await row.count(), 1);
  // The period: a day after the visit hides it; an end before the start is refused in words.
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
  await page.getByLabel("期間（開始日）").fill(tomorrow);
  assert.equal(await row.count(), 0);
  await page.getByLabel("期間（終了日）").fill(yesterday);
  assert.match(await fieldError(page, "f-to"), /終了日は開始日以降/);
  await page.getByLabel("期間（開始日）").fill(yesterday);
  await page.getByLabel("期間（終了日）").fill(tomorrow);
  assert.equal(await row.count(), 1);
  await page.getByRole("button", { name: "条件をクリア" }).click();
  assert.equal(await page.locator("table.reports tbody tr").count(), all);

  // The report, in the account's language (Japanese).
  await row.first().getByRole("link").click();
  await page.getByRole("heading", { level: 1, name: "点検報告書" }).waitFor();
  await page.locator("article.report").waitFor();
  // The details come from /api/v1/units/…/visits/…/report, which takes the eService session.
  await page.locator("table.checklist tbody tr").first().waitFor();
  assert.equal(await page.getByText("報告書の詳細を読み込めませんでした").count(), 0);
  assert.equal(await page.locator("article.report").getAttribute("lang"), "ja");
  const onScreen = await page.locator("table.checklist tbody tr td:nth-child(2)").allInnerTexts();
  assert.equal(onScreen.length, ITEMS);
  assert.equal(onScreen.length, visit.checklist.length);
  await page.getByRole("button", { name: "印刷 / PDFで保存" }).waitFor();
  await checkScreen(page, "eservice-report");

  // Print CSS: A4 with margins, rows never split.
  const rules = await page.evaluate(() => {
    const found = { page: "", rowAvoid: false };
    for (const sheet of document.styleSheets) {
      for (const rule of sheet.cssRules) {
        if (rule instanceof CSSPageRule) found.page = rule.cssText;
        if (rule instanceof CSSMediaRule && rule.conditionText === "print") {
          for (const r of rule.cssRules) {
            if (r.selectorText?.includes(".report-table tr") && r.style.breakInside === "avoid") found.rowAvoid = true;
          }
        }
      }
    }
    return found;
  });
  assert.match(rules.page, /size: a4/i);
  assert.ok(rules.rowAvoid, "the report's rows must not break across pages");

  // The PDF: as many pages as the content needs (its height at the printed width, in A4 pages
  // less the margins), and every row of the screen in it, whole.
  await page.emulateMedia({ media: "print" });
  await page.setViewportSize({ width: Math.round((210 - 24) * (96 / 25.4)), height: 800 });
  const needed = await page.evaluate(() => {
    const mm = 96 / 25.4;
    return Math.ceil(document.querySelector("article.report").getBoundingClientRect().height / ((297 - 30) * mm));
  });
  const pdf = await page.pdf({ format: "A4", preferCSSPageSize: true });
  mkdirSync(screenshotDir, { recursive: true });
  const pdfPath = join(screenshotDir, "eservice-report.pdf");
  writeFileSync(pdfPath, pdf);
  const info = spawnSync("pdfinfo", [pdfPath], { encoding: "utf8" });
  const text = spawnSync("pdftotext", [pdfPath, "-"], { encoding: "utf8" });
  if (info.status === null || text.status === null) {
    t.diagnostic("poppler-utils (pdfinfo, pdftotext) missing: scripts/setup installs them");
  }
  assert.equal(info.status, 0, info.stderr);
  const pages = Number(/Pages:\s+(\d+)/.exec(info.stdout)[1]);
  const size = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(info.stdout);
  assert.ok(Math.abs(Number(size[1]) - 595.3) < 2 && Math.abs(Number(size[2]) - 841.9) < 2, `not A4: ${size[0]}`);
  t.diagnostic(`report PDF: ${pages} pages for ${ITEMS} rows (the content needs ${needed})`);
  assert.ok(pages >= 2, "60 rows do not fit one A4 page: the PDF must have more than one");
  assert.ok(pages <= needed + 1, `${pages} pages for content that needs ${needed}: blank or wasted pages`);
  assert.equal(text.status, 0, text.stderr);
  const pdfText = text.stdout;
  const flat = pdfText.replace(/\s+/g, "");
  // Every row on the screen is in the PDF once, whole (its words, wherever a cell wraps).
  for (const item of onScreen) {
    const [id, ...words] = item.split(" ");
    const n = flat.split(id).length - 1;
    assert.equal(n, 1, `row "${item}" appears ${n} times in the PDF (clipped, lost or repeated)`);
    for (const w of words) assert.ok(flat.includes(w), `row "${item}": "${w}" is missing in the PDF`);
  }
  // No cell clipped: every piece of the long note is in the PDF.
  for (const piece of LONG_NOTE.split(/[。\s]+/).filter(Boolean)) {
    assert.ok(flat.includes(piece), `the long note is cut in the PDF: "${piece}" is missing`);
  }
  // The table head repeats on each page the table spans.
  const tablePages = pdfText.split("\f").filter((p) => /item-\d\d/.test(p));
  assert.ok(tablePages.length >= 2, "the checklist should span pages");
  for (const [i, p] of tablePages.entries()) assert.match(p, /項目/, `page ${i + 1} of the table has no head`);
  await page.emulateMedia({ media: "screen" });
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("profile: view and update; the report follows the account's language; logout", async () => {
  assert.ok(account, "needs the sign-in of the test before");
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: "ja-JP",
    timezoneId: "Asia/Tokyo",
    storageState: account.storage,
  });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/eservice/profile`);
  await page.getByRole("heading", { level: 1, name: "プロフィール" }).waitFor();
  await page.getByText(account.email).first().waitFor();
  await checkScreen(page, "eservice-profile");
  await page.getByLabel("表示名").fill("x".repeat(101));
  await page.getByLabel("メール・報告書の言語").selectOption("en");
  await page.getByRole("button", { name: "保存", exact: true }).click();
  assert.match(await fieldError(page, "pf-name"), /100文字以内/);
  await page.getByLabel("表示名").fill("山田 太郎");
  await page.getByRole("button", { name: "保存", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "プロフィールを保存しました" }).waitFor();
  await page.reload();
  assert.equal(await page.getByLabel("表示名").inputValue(), "山田 太郎");
  assert.equal(await page.getByLabel("メール・報告書の言語").inputValue(), "en");

  if (visit) {
    // The page stays Japanese; the report, the customer's document, is in the account's English.
    await page.goto(`${baseUrl}/eservice/reports/OFFICE-1/${encodeURIComponent(visit.visit_id)}`);
    await page.getByRole("heading", { level: 1, name: "点検報告書" }).waitFor();
    await page.getByRole("heading", { level: 2, name: "Elevator inspection report" }).waitFor();
    assert.equal(await page.locator("article.report").getAttribute("lang"), "en");
  }

  await page.getByRole("button", { name: "ログアウト" }).click();
  await page.getByRole("heading", { level: 1, name: "ログイン" }).waitFor();
  await page.getByRole("status").filter({ hasText: "ログアウトしました" }).waitFor();
  // Signed out: the top page sends back to the login page.
  await page.goto(`${baseUrl}/eservice`);
  await page.getByRole("heading", { level: 1, name: "ログイン" }).waitFor();
  assert.match(page.url(), /next=%2Feservice/);
  await context.close();
});

test("forgot security answer: click once, the request is recorded and said", async () => {
  assert.ok(account, "needs the sign-in of the test before");
  const page = await openPage(browser, { lang: "en" });
  await page.goto(`${baseUrl}/eservice/login`);
  await page.getByLabel("E-mail address").fill(account.email);
  await page.locator("#es-password").fill(account.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByLabel("What is your pet's name?").waitFor();
  const button = page.getByRole("button", { name: "Click here" });
  await button.click();
  await page.getByRole("status").filter({ hasText: "reset the security answer" }).waitFor();
  assert.equal(await button.isDisabled(), true);
  // The answer still signs in until the operator resets it; the next page is where it was asked for.
  await page.getByLabel("What is your pet's name?").fill(account.answer);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "eService home" }).waitFor();
  await page.context().close();
});

// The customer portal's way in, in the browser, against the real stack: the access-request form
// exactly as the guide walks it (the eService e-mail, a code by mail, verify, the password and
// mobile-phone rules hinted live and refused in words at their fields, the Privacy Policy and the
// Terms of Use each opened and ticked, the eService security question, the sales contact's
// 24–48 hours), then the portal sign-in. Every screen passes axe in both languages at both widths.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { baseUrl, credentials, launch, openPage, screenshot } from "./lib.mjs";
import { checkScreen, fieldError, metRules, seenKeys, signedInEservice, waitMail } from "./accounts.mjs";

let browser;
let customer = null; // {email, password (eService), answer, portalPassword}

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("the portal's sign-in page: fields, links, and a wrong password said in words", async () => {
  const page = await openPage(browser, { lang: "ja" });
  await page.goto(`${baseUrl}/portal/login`);
  await page.getByRole("heading", { level: 1, name: "カスタマーポータル ログイン" }).waitFor();
  await page.getByRole("link", { name: "アカウントを要求する" }).waitFor();
  await checkScreen(page, "portal-login");
  await page.getByLabel("メールアドレス").fill("nobody@browser.example");
  await page.getByLabel("パスワード", { exact: true }).fill("Wrong#Pass1");
  await page.getByRole("button", { name: "ログイン", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "メールアドレスまたはパスワードが正しくありません" }).waitFor();
  await page.getByLabel("メールアドレス").fill("two@@addresses");
  await page.getByRole("button", { name: "ログイン", exact: true }).click();
  assert.match(await fieldError(page, "pl-email"), /正しい形式/);
  await page.context().close();
});

test("the access request: code, verify, the form's rules refused at their fields, policies, the question, sent", async () => {
  const prep = await browser.newContext();
  customer = await signedInEservice(prep.request);
  await prep.close();

  const page = await openPage(browser, { lang: "ja" });
  await page.goto(`${baseUrl}/portal/login`);
  await page.getByRole("link", { name: "アカウントを要求する" }).click();
  await page.getByRole("heading", { level: 1, name: "アクセスを要求する" }).waitFor();
  await page.getByText("連絡先を入力すると弊社・営業担当者が24～48時間以内にお客様に連絡致します").waitFor();
  await checkScreen(page, "portal-request");

  // Continue before the e-mail is verified: refused, at the e-mail.
  await page.getByRole("button", { name: "続ける" }).click();
  assert.match(await fieldError(page, "rq-email"), /確認コードで確認してください/);

  // Send the code; a wrong code is refused at its field; the mailed one verifies.
  await page.getByLabel("メールアドレス", { exact: true }).fill(customer.email);
  const seen = seenKeys(customer.email);
  await page.getByRole("button", { name: "確認コードを送信する" }).click();
  await page.getByRole("status").filter({ hasText: "確認コード（数字6桁）をメールでお送りしました" }).waitFor();
  const mail = await waitMail(customer.email, "アカウントの電子メール確認コード", seen);
  const code = /確認コード: *(\d{6})/.exec(mail.body)[1];
  const wrong = code === "000000" ? "111111" : "000000";
  await page.getByLabel("確認コード", { exact: true }).fill(wrong);
  await page.getByRole("button", { name: "コードの確認" }).click();
  assert.match(await fieldError(page, "rq-code"), /確認コードが正しくない/);
  await page.getByLabel("確認コード", { exact: true }).fill(code);
  await page.getByRole("button", { name: "コードの確認" }).click();
  await page.getByRole("status").filter({ hasText: "メールアドレスが確認されました" }).waitFor();

  // The password's rules tick as typed: 2 kinds are not enough, 3 are.
  await page.getByLabel("パスワード", { exact: true }).fill("abcdefgh1234");
  let met = await metRules(page, "rq-password-rules");
  assert.ok(met.includes("8文字以上16文字以内"), met.join("|"));
  assert.ok(!met.some((m) => m.startsWith("次の4種類のうち3種類以上")), met.join("|"));
  await page.getByLabel("パスワード", { exact: true }).fill("Sakura#2024");
  met = await metRules(page, "rq-password-rules");
  assert.ok(met.some((m) => m.startsWith("次の4種類のうち3種類以上")), met.join("|"));
  // The mobile phone: the guide's example as typed on a phone breaks two rules.
  await page.getByLabel("携帯電話番号", { exact: true }).fill("090-1111-2222");
  assert.deepEqual(await metRules(page, "rq-mobile-rules"), []);
  await page.getByLabel("携帯電話番号", { exact: true }).fill("9011112222");
  assert.equal((await metRules(page, "rq-mobile-rules")).length, 3);

  // The server's refusals, each at its field: 2 kinds of characters, a mismatch, the example
  // typed with its 0 and hyphens, empty names, the policies neither opened nor ticked.
  await page.getByLabel("パスワード", { exact: true }).fill("abcdefgh1234");
  await page.getByLabel("新しいパスワードの確認").fill("abcdefgh1235");
  await page.getByLabel("携帯電話番号", { exact: true }).fill("090-1111-2222");
  await page.getByLabel("会社名").fill("Demo Office Co.");
  await page.getByRole("button", { name: "続ける" }).click();
  assert.match(await fieldError(page, "rq-password"), /3種類以上/);
  assert.match(await fieldError(page, "rq-password_confirm"), /一致しません/);
  assert.match(await fieldError(page, "rq-mobile_phone"), /先頭の0を抜き、ハイフンなし/);
  assert.match(await fieldError(page, "rq-last_name"), /入力してください/);
  assert.match(await fieldError(page, "rq-privacy"), /プライバシーポリシーをお読みのうえ/);
  assert.match(await fieldError(page, "rq-terms"), /利用規約をお読みのうえ/);
  await page.getByRole("alert").filter({ hasText: "入力内容をご確認ください" }).waitFor();
  await screenshot(page, "portal-request-refused");

  // The policies: the box can be ticked only once its text has been opened.
  const privacyBox = page.locator("#rq-privacy");
  assert.equal(await privacyBox.isDisabled(), true);
  await page.getByRole("button", { name: "Privacy Policy - プライバシーポリシー" }).click();
  const dialog = page.getByRole("dialog", { name: "Privacy Policy - プライバシーポリシー" });
  await dialog.waitFor();
  await dialog.getByText("Cookie").first().waitFor();
  await checkScreenOfDialog(page, "portal-privacy-policy");
  await dialog.getByRole("button", { name: "閉じる" }).click();
  await dialog.waitFor({ state: "hidden" });
  await privacyBox.check();
  await page.getByRole("button", { name: "Terms of Use - 利用規約" }).click();
  await page.getByRole("dialog", { name: "Terms of Use - 利用規約" }).getByRole("button", { name: "閉じる" }).click();
  await page.locator("#rq-terms").check();

  await page.getByLabel("パスワード", { exact: true }).fill("Sakura#2024");
  await page.getByLabel("新しいパスワードの確認").fill("Sakura#2024");
  await page.getByLabel("姓").fill("山田");
  await page.getByLabel("名", { exact: true }).fill("太郎");
  await page.getByLabel("携帯電話番号", { exact: true }).fill("9011112222");
  await page.getByRole("button", { name: "続ける" }).click();

  // The eService security question; a wrong answer is refused, the right one sends the request.
  await page.getByRole("heading", { level: 1, name: "セキュリティパスワード" }).waitFor();
  await page.getByLabel("ペットの名前は?").waitFor();
  await checkScreen(page, "portal-request-question");
  await page.getByLabel("ペットの名前は?").fill("Tama");
  await page.getByRole("button", { name: "リクエスト送信" }).click();
  assert.match(await fieldError(page, "rq-answer"), /答えが正しくありません/);
  await page.getByLabel("ペットの名前は?").fill(customer.answer);
  await page.getByRole("button", { name: "リクエスト送信" }).click();
  await page.getByRole("heading", { level: 1, name: "リクエストを送信しました" }).waitFor();
  await page.getByText("弊社・営業担当者が24～48時間以内にお客様に連絡致します").waitFor();
  await checkScreen(page, "portal-request-sent");
  customer.portalPassword = "Sakura#2024";
  // Signed in: the portal's session answers.
  const session = await page.request.get(`${baseUrl}/api/v1/portal/session`);
  assert.equal(session.status(), 200);
  assert.equal((await session.json()).account.email, customer.email);
  await page.getByRole("link", { name: "カスタマーポータルへ進む" }).click();
  await page.waitForURL(`${baseUrl}/portal`);
  await page.context().close();
});

// A dialog open over the page: axe and screenshots at both widths, in Japanese only (the switch
// is behind the modal dialog).
async function checkScreenOfDialog(page, name) {
  const { assertAccessible } = await import("./lib.mjs");
  const { viewports } = await import("./lib.mjs");
  const original = page.viewportSize();
  for (const [width, viewport] of Object.entries(viewports)) {
    await page.setViewportSize(viewport);
    await assertAccessible(page, `${name} ${width}`);
    await screenshot(page, name);
  }
  await page.setViewportSize(original);
}

test("the portal sign-in with the new account leads to the portal", async () => {
  assert.ok(customer?.portalPassword, "needs the access request of the test before");
  const page = await openPage(browser, { lang: "en" });
  await page.goto(`${baseUrl}/portal/login`);
  await page.getByRole("heading", { level: 1, name: "Customer portal sign-in" }).waitFor();
  await page.getByLabel("E-mail address").fill(customer.email);
  await page.getByLabel("Password", { exact: true }).fill(customer.password); // the eService one: not this
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "The e-mail address or the password is wrong" }).waitFor();
  await page.getByLabel("Password", { exact: true }).fill(customer.portalPassword);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(`${baseUrl}/portal`);
  await page.context().close();
});

test("the demo login from scripts/demo signs in to both services", async () => {
  const login = credentials().demo_login;
  assert.ok(login?.email && login?.password && login?.security_answer, JSON.stringify(login));
  const page = await openPage(browser, { lang: "ja" });
  await page.goto(`${baseUrl}/portal/login`);
  await page.getByLabel("メールアドレス").fill(login.email);
  await page.getByLabel("パスワード", { exact: true }).fill(login.password);
  await page.getByRole("button", { name: "ログイン", exact: true }).click();
  await page.waitForURL(`${baseUrl}/portal`);
  await page.goto(login.eservice_url);
  await page.getByLabel("メールアドレス").fill(login.email);
  await page.locator("#es-password").fill(login.password);
  await page.getByRole("button", { name: "ログイン", exact: true }).click();
  await page.getByLabel("ペットの名前は?").fill(login.security_answer);
  await page.getByRole("button", { name: "ログイン", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "eService トップ" }).waitFor();
  await page.context().close();
});

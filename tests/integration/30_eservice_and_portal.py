#!/usr/bin/env python3
"""30: eService and customer-portal registration end to end over HTTP (issue 6).

A real hoistway-ingest with an [accounts] section (the secure Argon2id profile), a real Mosquitto,
and a real SMTP sink (python3-aiosmtpd writing a Maildir) from which the mails are read. Two
customers walk the guide's screens with cookies and CSRF tokens as a browser would: the
temporary password, the password change, the security question, the sign-in with the question,
then the portal's 6-digit code, the form and the eService answer. Each sees only its own units,
and the portal only the monitored ones. Throttling, no enumeration and CSRF are checked on the
wire too: failures from one address delay only that address on the account, so the owner, from
another loopback address (127.0.0.2), still signs in.
"""

import argparse
import email
import email.policy
import email.utils
import functools
import http.client
import http.cookiejar
import json
import mailbox
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, wait_for  # noqa: E402

TARO = "taro@sakura.example.jp"
HANA = "hana@fuji.example.jp"


# -- the SMTP sink ---------------------------------------------------------------------------------
def start_smtp_sink(system):
    """python3-aiosmtpd on a free loopback port, storing every mail in a Maildir."""
    port = harness.free_port()
    maildir = os.path.join(system.dir, "mail")
    system.start("smtp-sink", ["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Mailbox", maildir])
    wait_for("the SMTP sink to listen", lambda: harness.port_open(port), timeout=10)
    return port, maildir


def read_mails(maildir):
    out = []
    if not os.path.isdir(maildir):
        return out
    for key, raw in mailbox.Maildir(maildir, factory=None, create=False).items():
        msg = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
        out.append({"to": str(msg["To"]), "subject": str(msg["Subject"]), "body": msg.get_content(),
                    "date": email.utils.parsedate_to_datetime(msg["Date"]), "key": key})
    out.sort(key=lambda m: (m["date"], m["key"]))
    return out


def wait_mail(maildir, to, subject_part, count=1):
    """The count-th mail to `to` whose subject contains subject_part."""
    def find():
        found = [m for m in read_mails(maildir) if m["to"] == to and subject_part in m["subject"]]
        return found[count - 1] if len(found) >= count else None
    return wait_for(f"mail #{count} '{subject_part}' to {to}", find, timeout=30)


# -- a browser-like client -------------------------------------------------------------------------
class SourceAddressHandler(urllib.request.HTTPHandler):
    """Connects from a chosen loopback address (all of 127.0.0.0/8 is local on Linux), so the
    server sees another client address."""

    def __init__(self, source):
        super().__init__()
        self.source = source

    def http_open(self, req):
        return self.do_open(functools.partial(http.client.HTTPConnection, source_address=(self.source, 0)), req)


class Browser:
    def __init__(self, port, source="127.0.0.1"):
        self.base = f"http://127.0.0.1:{port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  SourceAddressHandler(source))
        self.set_cookies = []

    def csrf(self):
        for c in self.jar:
            if c.name == "hw_csrf":
                return c.value
        return None

    def cookie(self, name):
        return next((c for c in self.jar if c.name == name), None)

    def request(self, method, path, body=None, csrf=True):
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if csrf and method != "GET":
            if self.csrf() is None:
                self.request("GET", "/api/v1/eservice/login")
            headers["X-CSRF-Token"] = self.csrf()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as r:
                status, hdrs, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        self.set_cookies = hdrs.get_all("Set-Cookie") or []
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return status, parsed, raw, hdrs

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body):
        return self.request("POST", path, body)

    def expect(self, method, path, body, want, what):
        status, parsed, raw, _ = self.request(method, path, body)
        check(status == want, f"{what}: {method} {path} answered {status}, wanted {want}: {raw[:300]!r}")
        return parsed


# -- set-up ----------------------------------------------------------------------------------------
def accounts_section(smtp_port, http_port):
    # Plain HTTP and a plain local SMTP sink: the TLS defaults (Secure cookies, STARTTLS) are
    # turned off explicitly, as in the demo. The pair delay starts at 30 s so the throttling check
    # below cannot race a slow machine; the address bucket is wide, since every browser here
    # shares 127.0.0.1 (the unit tests hold the default numbers).
    return "\n".join([
        "[accounts]",
        f'eservice_url = "http://127.0.0.1:{http_port}/api/v1/eservice/login"',
        f'portal_url = "http://127.0.0.1:{http_port}/api/v1/portal/access-request"',
        'sales_email = "sales@hoistway.example"',
        "resend_interval_s = 0",
        "cookie_secure = false",
        "[accounts.smtp]",
        f'url = "smtp://127.0.0.1:{smtp_port}"',
        "require_tls = false",
        "poll_interval_ms = 100",
        "backoff_initial_s = 1",
        "[accounts.throttle]",
        "address_requests_per_minute = 300",
        "pair_delay_initial_s = 30",
    ])


def add_tenancy(db_path):
    """Two customers, each with a building; Sakura has two units (one monitored), Fuji one. The
    ingest created the store file; its own devices and units are left alone."""
    with sqlite3.connect(db_path, timeout=10) as db:
        db.executescript("""
            INSERT INTO customers VALUES ('C-SAKURA', 'Sakura Building Co.', 0), ('C-FUJI', 'Fuji Tower KK', 0);
            INSERT INTO buildings(building_id, customer_id, name, address) VALUES ('B-SAKURA', 'C-SAKURA', 'Sakura Building', 'Tokyo'),
                                         ('B-FUJI', 'C-FUJI', 'Fuji Tower', 'Osaka');
            INSERT INTO devices(device_id, key_id, key) VALUES ('acc-dev-a', 1, x'00'), ('acc-dev-b', 1, x'00');
            INSERT INTO units(unit_id, device_id, car, building_id, name) VALUES
              ('A-1', 'acc-dev-a', 0, 'B-SAKURA', 'Car 1'), ('A-2', 'acc-dev-a', 1, 'B-SAKURA', 'Car 2'),
              ('B-1', 'acc-dev-b', 0, 'B-FUJI', 'Car 1');
            INSERT INTO contracts(unit_id, kind, starts_ms, ends_ms) VALUES
              ('A-1', 'monitoring', 0, NULL), ('B-1', 'monitoring', 0, NULL);
        """)
        has_visits = db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'visits'").fetchone()[0]
        if has_visits:
            # The visits of the cloud issue: a report for A-1 only.
            columns = [row[1] for row in db.execute("PRAGMA table_info(visits)")]
            values = {"visit_id": "V-1", "unit_id": "A-1", "technician": "Sato", "started_ms": 1,
                      "ended_ms": 2}
            names = [c for c in columns if c in values]
            db.execute(f"INSERT INTO visits({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                       [values[c] for c in names])
    return bool(has_visits)


def admin_has_eservice(system):
    admin = os.path.join(system.bin, "hoistway-admin")
    if not os.path.exists(admin):
        return False
    # The interface the issue names: eservice register --email E --customer C; issue-password E.
    r = subprocess.run([admin, "eservice", "register", "--help"], capture_output=True, timeout=30, text=True)
    return r.returncode == 0 and "--email" in r.stdout and "--customer" in r.stdout


def admin(system, *args):
    argv = [os.path.join(system.bin, "hoistway-admin"), "--config", os.path.join(system.dir, "ingest.toml"), *args]
    r = subprocess.run(argv, capture_output=True, timeout=60, text=True)
    check(r.returncode == 0, f"{' '.join(argv)} exited {r.returncode}: {r.stdout} {r.stderr}")


def register(system, browser, maildir, address, customer, use_admin):
    """The operator's part: the account and the temporary password (mails ① and ②)."""
    if use_admin:
        admin(system, "eservice", "register", "--email", address, "--customer", customer)
        wait_mail(maildir, address, "eService ご登録完了のお知らせ")
        admin(system, "eservice", "issue-password", address)
    else:
        # hoistway-admin has no `eservice` yet: register in the table, then the forgot-password
        # route mails a temporary password through the same path as issue-password.
        print("30: hoistway-admin has no 'eservice' command; registering through the table")
        with sqlite3.connect(os.path.join(system.dir, "cloud.db"), timeout=10) as db:
            db.execute("INSERT INTO eservice_accounts(email, customer_id, language, created_ms, updated_ms) "
                       "VALUES (?, ?, 'ja', 0, 0)", (address, customer))
        browser.expect("POST", "/api/v1/eservice/forgot-password", {"email": address}, 202, "forgot password")
    mail = wait_mail(maildir, address, "eService お申し込みに関するお知らせ")
    temp = re.search(r"仮パスワード: (\S+)", mail["body"]).group(1)
    check(len(temp) == 5, f"the temporary password has 5 characters: {temp!r}")
    check(f"127.0.0.1:{system.http_port}/api/v1/eservice/login" in mail["body"], "mail ② holds the URL")
    return temp


def eservice_first_login(b, address, temp, password, answer):
    body = b.expect("GET", "/api/v1/eservice/login", None, 200, "login screen")
    check(body["csrf_token"] == b.csrf(), "the login screen gives the CSRF token")
    check(b.expect("POST", "/api/v1/eservice/login", {"email": address, "password": temp}, 200,
                   "login with the temporary password")["next"] == "change_password", "temp → change password")
    cookie = " ".join(b.set_cookies)
    check("HttpOnly" in cookie and "SameSite=Lax" in cookie, f"session cookie attributes: {cookie}")
    b.expect("GET", "/api/v1/eservice/units", None, 401, "no units before the password change")
    for bad, why in (("abc1234", "7 characters"), ("abcd123!", "a symbol"), ("a" * 21, "21 characters")):
        b.expect("POST", "/api/v1/eservice/password",
                 {"email": address, "current_password": temp, "new_password": bad, "new_password_confirm": bad},
                 422, f"new password with {why}")
    b.expect("POST", "/api/v1/eservice/password",
             {"email": address, "current_password": temp, "new_password": password,
              "new_password_confirm": password + "x"}, 422, "confirmation differs")
    body = b.expect("POST", "/api/v1/eservice/password",
                    {"email": address, "current_password": temp, "new_password": password,
                     "new_password_confirm": password}, 200, "password change")
    check(body["next"] == "security_setup" and body["questions"], "then the security question setup")
    b.expect("POST", "/api/v1/eservice/security-question", {"question_id": "pet_name", "answer": "ab"}, 422,
             "a 2-character answer")
    check(b.expect("POST", "/api/v1/eservice/security-question", {"question_id": "pet_name", "answer": answer},
                   200, "security question")["next"] == "login", "back to the login page")
    eservice_login(b, address, password, answer)


def eservice_login(b, address, password, answer):
    body = b.expect("POST", "/api/v1/eservice/login", {"email": address, "password": password}, 200, "login")
    check(body["next"] == "security_challenge", f"the question is asked: {body}")
    check(body["question"]["text"] == "ペットの名前は?", f"the question in Japanese: {body}")
    b.expect("GET", "/api/v1/eservice/units", None, 401, "no session before the answer")
    body = b.expect("POST", "/api/v1/eservice/security-answer", {"answer": answer}, 200, "security answer")
    check(body["next"] == "top" and body["account"]["has_logged_in"], f"signed in: {body}")


def portal_request(b, maildir, address, answer, nth_code):
    screen = b.expect("GET", "/api/v1/portal/access-request", None, 200, "access-request screen")
    b.expect("POST", "/api/v1/portal/access-request/code", {"email": address}, 202, "send code")
    mail = wait_mail(maildir, address, "アカウントの電子メール確認コード", nth_code)
    code = re.search(r"確認コード: (\d{6})", mail["body"]).group(1)
    wrong = "000000" if code != "000000" else "111111"
    b.expect("POST", "/api/v1/portal/access-request/verify", {"email": address, "code": wrong}, 400, "wrong code")
    check(b.expect("POST", "/api/v1/portal/access-request/verify", {"email": address, "code": code}, 200,
                   "verify code")["next"] == "form", "then the form")
    b.expect("POST", "/api/v1/portal/access-request/verify", {"email": address, "code": code}, 400, "reused code")
    form = {"password": "Sakura#2024", "password_confirm": "Sakura#2024", "company": "Sakura Building Co.",
            "last_name": "Yamada", "first_name": "Taro", "country": "JP", "mobile_phone": "090-1111-2222",
            "privacy_policy_accepted": True, "privacy_policy_version": screen["privacy_policy_version"],
            "terms_of_use_accepted": True, "terms_of_use_version": screen["terms_of_use_version"]}
    status, body, raw, _ = b.post("/api/v1/portal/access-request/form", form)
    check(status == 422 and b"9011112222" in raw, f"090-1111-2222 is refused with the example: {raw!r}")
    form["mobile_phone"] = "9011112222"
    form["password"] = form["password_confirm"] = "abcdEFGH"
    b.expect("POST", "/api/v1/portal/access-request/form", form, 422, "2 of 4 classes")
    form["password"] = form["password_confirm"] = "Sakura#2024"
    body = b.expect("POST", "/api/v1/portal/access-request/form", form, 200, "form")
    check(body["next"] == "security_question", f"then the eService question: {body}")
    body = b.expect("POST", "/api/v1/portal/access-request/security-answer", {"answer": answer}, 201,
                    "eService answer")
    check(body["account"]["mobile_phone"] == "+819011112222", f"E.164: {body}")
    check(b.cookie("hw_portal") is not None, "signed in to the portal")


def unit_ids(body):
    return sorted(u["unit_id"] for u in body["units"])


def scenario(system):
    system.start_broker()
    smtp_port, maildir = start_smtp_sink(system)
    system.http_port = harness.free_port()
    system.write_ingest_config(accounts_section(smtp_port, system.http_port))
    system.start_ingest()
    has_visits = add_tenancy(os.path.join(system.dir, "cloud.db"))
    use_admin = admin_has_eservice(system)

    taro = Browser(system.http_port)
    b_csrf = Browser(system.http_port)
    status, _, _, _ = b_csrf.request("POST", "/api/v1/eservice/login", {"email": TARO, "password": "x"}, csrf=False)
    check(status == 403, f"a POST without the CSRF header is refused: {status}")

    temp = register(system, taro, maildir, TARO, "C-SAKURA", use_admin)
    eservice_first_login(taro, TARO, temp, "sakura2024", "Pochi")
    check(unit_ids(taro.expect("GET", "/api/v1/eservice/units", None, 200, "units")) == ["A-1", "A-2"],
          "taro sees his two units")
    reports = taro.expect("GET", "/api/v1/eservice/inspection-reports", None, 200, "reports")["reports"]
    check([r["unit_id"] for r in reports] == (["A-1"] if has_visits else []), f"the inspection reports: {reports}")

    portal_request(taro, maildir, TARO, "Pochi", 1)
    check(unit_ids(taro.expect("GET", "/api/v1/portal/units", None, 200, "portal units")) == ["A-1"],
          "the portal shows only the monitored unit")
    sales = wait_mail(maildir, "sales@hoistway.example", "Sakura Building Co.")
    check(TARO in sales["body"], "the sales contact is told")

    hana = Browser(system.http_port)
    temp = register(system, hana, maildir, HANA, "C-FUJI", use_admin)
    eservice_first_login(hana, HANA, temp, "fuji2024x", "Mike")
    check(unit_ids(hana.expect("GET", "/api/v1/eservice/units", None, 200, "units")) == ["B-1"],
          "hana sees only her unit")
    portal_request(hana, maildir, HANA, "Mike", 1)
    check(unit_ids(hana.expect("GET", "/api/v1/portal/units", None, 200, "portal units")) == ["B-1"],
          "hana's portal shows only her unit")
    check(unit_ids(taro.expect("GET", "/api/v1/portal/units", None, 200, "portal units")) == ["A-1"],
          "taro still sees only his")

    # No enumeration: unknown and known addresses answer alike.
    probe = Browser(system.http_port)
    s1, _, known, _ = probe.post("/api/v1/eservice/login", {"email": TARO, "password": "wrongpass1"})
    s2, _, unknown, _ = probe.post("/api/v1/eservice/login", {"email": "ghost@sakura.example.jp",
                                                               "password": "wrongpass1"})
    check(s1 == s2 == 401 and known == unknown, f"login answers differ: {known!r} / {unknown!r}")
    s1, _, known, _ = probe.post("/api/v1/eservice/forgot-password", {"email": HANA})
    s2, _, unknown, _ = probe.post("/api/v1/eservice/forgot-password", {"email": "ghost@sakura.example.jp"})
    check(s1 == s2 == 202 and known == unknown, "forgot-password answers differ")
    s1, _, known, _ = probe.post("/api/v1/portal/access-request/code", {"email": HANA})
    s2, _, unknown, _ = probe.post("/api/v1/portal/access-request/code", {"email": "ghost@sakura.example.jp"})
    check(s1 == s2 == 202 and known == unknown, "send-code answers differ")

    # Forgot password: a new temporary password, the previous one void.
    mail = wait_mail(maildir, HANA, "eService お申し込みに関するお知らせ", 2)
    new_temp = re.search(r"仮パスワード: (\S+)", mail["body"]).group(1)
    check(new_temp != temp, "a new temporary password")
    fresh = Browser(system.http_port)
    fresh.expect("POST", "/api/v1/eservice/login", {"email": HANA, "password": temp}, 401, "the old one is void")
    fresh.expect("POST", "/api/v1/eservice/login", {"email": HANA, "password": new_temp}, 200, "the new one works")

    # Throttling: (already one failure above) four more from this address delay this address on
    # the account, even for the right password, before anything is hashed ...
    for _ in range(4):
        probe.expect("POST", "/api/v1/eservice/login", {"email": TARO, "password": "wrongpass1"}, 401, "wrong")
    status, _, raw, hdrs = probe.post("/api/v1/eservice/login", {"email": TARO, "password": "sakura2024"})
    check(status == 429 and int(hdrs.get("Retry-After", "0")) >= 1, f"delayed: {status} {raw[:200]!r}")
    check(hdrs.get("Content-Type", "").startswith("application/problem+json"), f"429 as problem+json: {hdrs}")
    # ... but the owner, from another address, is not locked out.
    home = Browser(system.http_port, source="127.0.0.2")
    eservice_login(home, TARO, "sakura2024", "Pochi")

    db_path = os.path.join(system.dir, "cloud.db")

    def all_sent():
        with sqlite3.connect(db_path, timeout=10) as db:
            return db.execute("SELECT COUNT(*) FROM mail_outbox WHERE sent_ms IS NULL").fetchone()[0] == 0
    wait_for("every queued mail to be sent", all_sent, timeout=30)
    with sqlite3.connect(db_path, timeout=10) as db:
        events = {row[0] for row in db.execute("SELECT DISTINCT event FROM account_audit")}
        queued = db.execute("SELECT COUNT(*) FROM sales_requests").fetchone()[0]
        home_login = db.execute("SELECT COUNT(*) FROM account_audit WHERE event = 'login' AND address = '127.0.0.2'"
                                ).fetchone()[0]
        locks = db.execute("SELECT COUNT(*) FROM login_throttle").fetchone()[0]
    check(home_login == 1, f"the owner's sign-in from 127.0.0.2 is audited with its address: {home_login}")
    check(locks == 0, f"no account was locked (a stranger's failures delay only the stranger): {locks}")
    for e in ("first_login", "portal_account_created", "code_verified", "sign_in_delayed", "mail_sent"):
        check(e in events, f"audit event {e} in {sorted(events)}")
    check(queued == 2, f"two requests for the sales contact, not {queued}")
    print(f"30: {len(read_mails(maildir))} mails read from the sink; registration via "
          f"{'hoistway-admin' if use_admin else 'the table'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(harness.run(scenario, os.path.abspath(args.bin), "accounts"))

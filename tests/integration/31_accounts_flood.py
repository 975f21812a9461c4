#!/usr/bin/env python3
"""31: a flood of unauthenticated sign-in and reset requests against the accounts (issue 13).

A real hoistway-ingest with an [accounts] section (the secure Argon2id profile, the default
throttle), a real Mosquitto and SMTP sink. A customer completes the eService registration; then
32 clients on 127.0.0.1 flood POST /api/v1/eservice/login (wrong passwords for the customer and for
unknown addresses) and /api/v1/eservice/forgot-password (unknown addresses), while the owner signs
in from 127.0.0.2. Checked: the flood is answered 429 (Retry-After, problem+json) once its
address's budget is spent, nothing answers 500, every 503 says when to come back, the owner signs
in during the flood, no account is locked, and the rows written stay within what was admitted.
Figures (counts, the owner's sign-in time) are printed, not asserted.
"""

import argparse
import importlib
import json
import os
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

accounts = importlib.import_module("30_eservice_and_portal")

TARO = accounts.TARO
CLIENTS = 32
REQUESTS_PER_CLIENT = 12


def accounts_section(smtp_port, http_port):
    # Plain HTTP and a plain local sink: the TLS defaults are turned off explicitly; every limit
    # is the default.
    return "\n".join([
        "[accounts]",
        f'eservice_url = "http://127.0.0.1:{http_port}/api/v1/eservice/login"',
        "cookie_secure = false",
        "[accounts.smtp]",
        f'url = "smtp://127.0.0.1:{smtp_port}"',
        "require_tls = false",
        "poll_interval_ms = 100",
    ])


def flood(port, csrf, results, lock, index):
    """One flooding client: its own connection per request, the CSRF pair it was given."""
    for i in range(REQUESTS_PER_CLIENT):
        if i % 3 == 2:
            path, body = "/api/v1/eservice/forgot-password", {"email": f"nobody{index}-{i}@flood.example"}
        elif i % 3 == 1:
            path, body = "/api/v1/eservice/login", {"email": TARO, "password": f"guess{index}x{i}"}
        else:
            path, body = "/api/v1/eservice/login", {"email": f"nobody{index}-{i}@flood.example", "password": "x1234567"}
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-CSRF-Token": csrf,
                                              "Cookie": f"hw_csrf={csrf}"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, headers = r.status, r.headers
        except urllib.error.HTTPError as e:
            status, headers = e.code, e.headers
        except OSError:
            status, headers = "refused", {}  # the HTTP layer may cap connections per address
        with lock:
            results.append((status, headers.get("Retry-After") if headers else None,
                            headers.get("Content-Type", "") if headers else ""))


def scenario(system):
    system.start_broker()
    smtp_port, maildir = accounts.start_smtp_sink(system)
    system.http_port = harness.free_port()
    system.write_ingest_config(accounts_section(smtp_port, system.http_port))
    system.start_ingest()
    accounts.add_tenancy(os.path.join(system.dir, "cloud.db"))
    check(accounts.admin_has_eservice(system), "hoistway-admin has the eservice commands")

    taro = accounts.Browser(system.http_port)
    temp = accounts.register(system, taro, maildir, TARO, "C-SAKURA", True)
    accounts.eservice_first_login(taro, TARO, temp, "sakura2024", "Pochi")
    db_path = os.path.join(system.dir, "cloud.db")
    with sqlite3.connect(db_path, timeout=10) as db:
        audit_before = db.execute("SELECT COUNT(*) FROM account_audit").fetchone()[0]

    screen = accounts.Browser(system.http_port)
    csrf = screen.expect("GET", "/api/v1/eservice/login", None, 200, "login screen")["csrf_token"]
    results, lock = [], threading.Lock()
    threads = [threading.Thread(target=flood, args=(system.http_port, csrf, results, lock, i)) for i in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    # The owner, from home, while the flood runs.
    time.sleep(0.5)
    owner = accounts.Browser(system.http_port, source="127.0.0.2")
    owner_started = time.monotonic()
    accounts.eservice_login(owner, TARO, "sakura2024", "Pochi")
    owner_seconds = time.monotonic() - owner_started
    owner_during_flood = any(t.is_alive() for t in threads)
    for t in threads:
        t.join()
    flood_seconds = time.monotonic() - started

    statuses = {}
    for status, _, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    check(len(results) == CLIENTS * REQUESTS_PER_CLIENT, f"every request answered or refused: {len(results)}")
    check(statuses.get(500, 0) == 0, f"no 500: {statuses}")
    check(statuses.get(429, 0) > 0, f"the flood gets 429s: {statuses}")
    for status, retry_after, content_type in results:
        if status in (429, 503):
            check(retry_after is not None and int(retry_after) >= 1, f"{status} says when to come back")
        if status == 429:
            check(content_type.startswith("application/problem+json"), f"429 as problem+json: {content_type}")
    admitted = sum(n for s, n in statuses.items() if s in (202, 401))
    # 60 requests a minute from one address (the default bucket), however many clients it runs.
    check(admitted <= 60 + int(flood_seconds) + 1, f"the address's bucket holds: {admitted} admitted")
    with sqlite3.connect(db_path, timeout=10) as db:
        locks = db.execute("SELECT COUNT(*) FROM login_throttle").fetchone()[0]
        audit_rows = db.execute("SELECT COUNT(*) FROM account_audit").fetchone()[0] - audit_before
        sent_mail = db.execute("SELECT COUNT(*) FROM mail_outbox WHERE recipient LIKE '%@flood.example'"
                               ).fetchone()[0]
    check(locks == 0, f"no account locked by the flood: {locks}")
    check(sent_mail == 0, f"no mail to the flood's unknown addresses: {sent_mail}")
    # Each admitted request writes at most its event, a delay note and a lock note; refused ones none.
    check(audit_rows <= 3 * admitted + 3, f"audit rows within what was admitted: {audit_rows} for {admitted}")
    check(system.http_ok("/healthz"), "the ingest still answers")
    print(f"31: {len(results)} flood requests in {flood_seconds:.1f} s: {statuses}; owner signed in "
          f"{'during' if owner_during_flood else 'after'} the flood in {owner_seconds:.2f} s; "
          f"{audit_rows} audit rows")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(harness.run(scenario, os.path.abspath(args.bin), "accounts-flood"))

#!/usr/bin/env python3
"""Runs one browser test file (tests/browser/NAME.test.mjs, node:test + playwright-core) against
a real stack: scripts/demo itself (Mosquitto, hoistway-ingest with the accounts and the pages,
the simulated buildings and their agents, the SMTP sink), on free ports, in a temporary
directory. The test gets the stack's addresses in its environment:
  HOISTWAY_BASE_URL      http://127.0.0.1:PORT
  HOISTWAY_CREDENTIALS   the demo's credentials.json (API key, maildir, demo login, sockets)
  HOISTWAY_SCREENSHOTS   where screenshots go (BUILD/screenshots)
  HOISTWAY_DEMO_RUN      the demo's run directory (configs, logs, the store)
  HOISTWAY_PORTAL_LOGIN  with --portal-account: {"email", "password"} of a signed-up customer-portal
                         account of the demo customer (the demo's own login when credentials.json
                         has one, else made by scripts/walk-registration)
Exit status: node's (0 when every test passed); 77 when Chromium or Node.js is missing.
  run.py --bin BUILD/bin --test FILE [--speedup X] [--scenario SPEC] [--portal-account] [--keep]
A test file may ask for options in a first-lines comment: `// run.py: --scenario … --speedup 10`."""

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import SOURCE, System, free_port, wait_for  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--speedup", default="1")
    ap.add_argument("--scenario", default="",
                    help="HOISTWAY_DEMO_SCENARIO: a scenario file, or DEVICE=FILE,... (paths from the source root)")
    ap.add_argument("--portal-account", action="store_true",
                    help="sign up a customer-portal account first (HOISTWAY_PORTAL_LOGIN)")
    ap.add_argument("--run", action="store_true",
                    help="run FILE with plain node (a benchmark script), not node --test")
    ap.add_argument("--keep", action="store_true", help="keep the stack's files")
    argv = sys.argv[1:]
    test_index = argv.index("--test") + 1 if "--test" in argv else -1
    if 0 < test_index < len(argv):
        argv += file_options(argv[test_index])
    args = ap.parse_args(argv)

    chromium = os.environ.get("HOISTWAY_CHROMIUM", "/usr/bin/chromium")
    node = shutil.which("node")
    if not os.access(chromium, os.X_OK) or node is None:
        print(f"SKIP: needs {chromium} and node (scripts/setup installs them)")
        return 77
    if not os.path.isdir(os.path.join(SOURCE, "web", "node_modules")):
        print("SKIP: web/node_modules is missing (scripts/setup runs npm ci)")
        return 77

    bin_dir = os.path.abspath(args.bin)
    build_dir = os.path.dirname(bin_dir)
    system = System(bin_dir, "browser")
    demo_dir = os.path.join(system.dir, "demo")
    http_port = free_port()
    env = dict(os.environ,
               HOISTWAY_MQTT_PORT=str(free_port()),
               HOISTWAY_HTTP_PORT=str(http_port),
               HOISTWAY_SMTP_PORT=str(free_port()),
               HOISTWAY_SPEEDUP=args.speedup,
               HOISTWAY_DEMO_DIR=demo_dir,
               HOISTWAY_DEMO_BIN=bin_dir,
               HOISTWAY_DEMO_SCENARIO=scenario_spec(args.scenario))
    demo = system.start("demo", ["bash", os.path.join(SOURCE, "scripts", "demo")], env=env)
    ok = False
    try:
        def up():
            if not demo.alive():
                raise RuntimeError("the demo exited:\n" + demo.tail())
            with open(demo.log_path, errors="replace") as f:
                return "Hoistway demo is running" in f.read()
        wait_for("the demo to come up", up, timeout=240, interval=0.5)
        run_dir = os.path.join(demo_dir, f"run-{http_port}")
        extra = {}
        if args.portal_account:
            extra["HOISTWAY_PORTAL_LOGIN"] = json.dumps(portal_account(os.path.join(demo_dir, "credentials.json")))
        test_env = dict(os.environ, **extra,
                        HOISTWAY_BASE_URL=f"http://127.0.0.1:{http_port}",
                        HOISTWAY_CREDENTIALS=os.path.join(demo_dir, "credentials.json"),
                        HOISTWAY_SCREENSHOTS=os.path.join(build_dir, "screenshots"),
                        HOISTWAY_DEMO_RUN=run_dir,
                        HOISTWAY_BIN=bin_dir)
        started = time.monotonic()
        command = [node, os.path.abspath(args.test)] if args.run else [
            node, "--test", "--test-reporter=spec", "--test-concurrency=1", os.path.abspath(args.test)]
        code = subprocess.call(command, env=test_env, cwd=SOURCE)
        print(f"browser: {os.path.basename(args.test)} exited {code} after "
              f"{time.monotonic() - started:.1f} s")
        ok = code == 0
        return code
    except Exception as e:  # the stack did not come up: say why, with its logs
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        demo.stop(timeout=20)
        if not ok:
            system.report()
        if ok and not args.keep:
            shutil.rmtree(system.dir, ignore_errors=True)
        else:
            print(f"(files kept in {system.dir})", file=sys.stderr)


def file_options(test_path):
    """Options a test file asks for in its first lines: `// run.py: --scenario X --speedup 10`."""
    try:
        with open(test_path, encoding="utf-8") as f:
            head = [next(f, "") for _ in range(10)]
    except OSError:
        return []
    for line in head:
        m = re.match(r"\s*//\s*run\.py:\s*(.*)$", line)
        if m:
            return shlex.split(m.group(1))
    return []


def scenario_spec(spec):
    """Scenario paths relative to the source root made absolute (scripts/demo runs elsewhere)."""
    def absolute(path):
        return path if os.path.isabs(path) else os.path.join(SOURCE, path)
    if not spec:
        return ""
    if "=" not in spec:
        return absolute(spec)
    return ",".join(f"{d}={absolute(f)}" for d, f in (p.split("=", 1) for p in spec.split(",")))


def portal_account(credentials_path):
    """A signed-up customer-portal account of the demo customer: the demo's own login if
    credentials.json names one, else one made through the guide's screens over HTTP by
    scripts/walk-registration (its portal password is the one it documents, Sakura#2024)."""
    with open(credentials_path) as f:
        credentials = json.load(f)
    for key in ("portal_login", "demo_login"):
        login = credentials.get(key)
        if isinstance(login, dict) and login.get("email") and login.get("password"):
            portal = login.get("portal", login)
            if portal.get("email") and portal.get("password"):
                return {"email": portal["email"], "password": portal["password"]}
    address = f"portal-{int(time.time())}@demo.example"
    out = subprocess.run(["bash", os.path.join(SOURCE, "scripts", "walk-registration"), "--email", address,
                          "--credentials", credentials_path],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    if out.returncode != 0 or "is registered for eService and the customer portal" not in out.stdout:
        raise RuntimeError(f"walk-registration failed ({out.returncode}):\n{out.stdout[-3000:]}")
    return {"email": address, "password": "Sakura#2024"}


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Runs one browser test file (tests/browser/NAME.test.mjs, node:test + playwright-core) against
a real stack: scripts/demo itself (Mosquitto, hoistway-ingest with the accounts and the pages,
the simulated buildings and their agents, the SMTP sink), on free ports, in a temporary
directory. The test gets the stack's addresses in its environment:
  HOISTWAY_BASE_URL      http://127.0.0.1:PORT
  HOISTWAY_CREDENTIALS   the demo's credentials.json (API key, maildir, demo login, sockets)
  HOISTWAY_SCREENSHOTS   where screenshots go (BUILD/screenshots)
  HOISTWAY_DEMO_RUN      the demo's run directory (configs, logs, the store)
Exit status: node's (0 when every test passed); 77 when Chromium or Node.js is missing.
  run.py --bin BUILD/bin --test FILE [--speedup X] [--keep]"""

import argparse
import json
import os
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
    ap.add_argument("--keep", action="store_true", help="keep the stack's files")
    args = ap.parse_args()

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
               HOISTWAY_DEMO_BIN=bin_dir)
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
        test_env = dict(os.environ,
                        HOISTWAY_BASE_URL=f"http://127.0.0.1:{http_port}",
                        HOISTWAY_CREDENTIALS=os.path.join(demo_dir, "credentials.json"),
                        HOISTWAY_SCREENSHOTS=os.path.join(build_dir, "screenshots"),
                        HOISTWAY_DEMO_RUN=run_dir,
                        HOISTWAY_BIN=bin_dir)
        started = time.monotonic()
        code = subprocess.call([node, "--test", "--test-reporter=spec", "--test-concurrency=1",
                                os.path.abspath(args.test)], env=test_env, cwd=SOURCE)
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


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""23 store errors: the cloud store failing under the ingest loses nothing and claims nothing.

Against a real Mosquitto, ingest, simulator and agent: another process holds the cloud store's
write lock for longer than the ingest waits for it, twice. Meanwhile the ingest's transactions
fail (counted as store failures), it acknowledges nothing it did not store, and it does not spin.
When the lock goes, the batch it kept is stored, the agent's outbox drains, and the cloud holds
every seq the agent committed: no gap, no record reported dropped."""

import argparse
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, run  # noqa: E402
from store_faults import check_nothing_lost, cpu_seconds, start_fed_ingest  # noqa: E402

DEVICE, UNITS = "it-store", ["S-1", "S-2"]


def hold_write_lock(system, seconds):
    """Holds the store's write lock (BEGIN EXCLUSIVE) for `seconds`: longer than the ingest's
    busy timeout (5 s), so its transactions fail rather than wait."""
    db = sqlite3.connect(os.path.join(system.dir, "cloud.db"), timeout=10, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    time.sleep(seconds)
    db.execute("ROLLBACK")
    db.close()


def scenario(system):
    ingest, status = start_fed_ingest(system, DEVICE, UNITS, seed=3)
    cpu0 = cpu_seconds(ingest.proc.pid)
    for _ in range(2):
        acked = status()["broker"]["acked_through"]
        hold_write_lock(system, 16)
        # While locked, nothing was acknowledged that was not stored before the lock.
        check(status()["broker"]["acked_through"] <= acked + 200,
              "the ingest acknowledged little while its store was locked")
        time.sleep(1)
    failures = system.metric("hoistway_store_failures_total")
    check(failures >= 2, f"the failed transactions are counted: {failures}")
    cpu = cpu_seconds(ingest.proc.pid) - cpu0
    check(cpu < 10, f"the ingest did not spin while the store was locked: {cpu:.1f} CPU s")
    check(system.http_ok("/healthz"), "the ingest serves throughout")

    # Back to normal: nothing lost, nothing claimed.
    check_nothing_lost(system, DEVICE, status)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    sys.exit(run(scenario, ap.parse_args().bin, "store-errors"))

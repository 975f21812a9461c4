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
from harness import check, run, wait_for  # noqa: E402

DEVICE, UNITS = "it-store", ["S-1", "S-2"]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hold_write_lock(system, seconds):
    """Holds the store's write lock (BEGIN EXCLUSIVE) for `seconds`: longer than the ingest's
    busy timeout (5 s), so its transactions fail rather than wait."""
    db = sqlite3.connect(os.path.join(system.dir, "cloud.db"), timeout=10, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    time.sleep(seconds)
    db.execute("ROLLBACK")
    db.close()


def scenario(system):
    system.add_device(DEVICE, UNITS)
    system.start_broker()
    system.write_ingest_config("[ingest]\nack_interval_ms = 0\n")
    ingest = system.start_ingest()
    _, sock = system.start_sim(seed=3, extra=("--start-time", "08:30"), speedup="4")
    system.start_agent(DEVICE, sock, "[publish]\nack_timeout_s = 3\n")
    agent_sock = os.path.join(system.dir, f"hoistctl-{DEVICE}.sock")

    def status():
        return system.hoistctl_ok("status", socket=agent_sock)

    wait_for("the first acknowledged records", lambda: status()["broker"]["acked_through"] > 0,
             timeout=30)
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

    # Back to normal: the agent's outbox drains and the cloud holds every committed seq.
    committed = status()["outbox"]["next_seq"] - 1
    wait_for("the outbox to drain", lambda: status()["broker"]["acked_through"] >= committed,
             timeout=60)
    seqs = [r["seq"] for r in system.records(DEVICE)]
    check(seqs == list(range(1, len(seqs) + 1)), "the cloud's seqs run without a gap")
    check(len(seqs) >= committed, f"every committed record is stored: {len(seqs)} < {committed}")
    check(not any(r["kind"] == "outbox_drop" for r in system.records(DEVICE)),
          "no record was reported dropped")
    _, out = system.admin("device", "list")
    row = next(d for d in out["devices"] if d["device_id"] == DEVICE)
    check(row["missing"] == [], f"no missing range: {row}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    sys.exit(run(scenario, ap.parse_args().bin, "store-errors"))

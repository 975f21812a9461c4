#!/usr/bin/env python3
"""11 agent SIGKILL: the agent is killed with SIGKILL twenty times at random moments (seeded)
while the simulator runs and the cloud acknowledges. Nothing is lost and nothing duplicated: the
cloud's seqs for the device are exactly 1..last, where last is the agent's own last seq, and
records from every boot arrived."""

import argparse
import os
import random
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, run, wait_for  # noqa: E402

DEVICE = "it-sigkill"
KILLS = 20
SEED = 11


def scenario(system):
    system.add_device(DEVICE, ["IT-KILL-1", "IT-KILL-2"])
    system.start_broker()
    system.start_ingest()
    sim, sim_sock = system.start_sim(speedup="8", extra=("--start-time", "08:30"))
    cli_sock = os.path.join(system.dir, "agent.sock")
    system.write_agent_config(DEVICE, sim_sock, extra="\n".join([
        "[publish]", "ack_timeout_s = 2", "max_batch_records = 32", "[events]",
        "snapshot_interval_s = 1", "[cli]", f'socket = "{cli_sock}"']))

    rng = random.Random(SEED)
    for i in range(KILLS):
        agent = system.start_agent(DEVICE, sim_sock)
        time.sleep(rng.uniform(0.15, 2.0))
        check(agent.alive(), f"agent run {i + 1} died on its own:\n{agent.tail()}")
        agent.kill()  # SIGKILL

    system.start_agent(DEVICE, sim_sock)
    wait_for("the last agent to serve its CLI",
             lambda: system.hoistctl("ping", timeout=5)[0] == 0, timeout=15)
    # A run killed before it opened its outbox never took a boot number (likely under the
    # sanitizers, where start-up is slow), so the last boot is the last agent's own.
    _, status, _ = system.hoistctl("status")
    last_boot = status["boot"]
    check(KILLS // 2 < last_boot <= KILLS + 1, f"the last agent's boot {last_boot}")
    time.sleep(3)
    sim.stop()
    code, flushed, err = system.hoistctl("flush", "--timeout", "60")
    check(code == 0, f"flush after the kills, exit {code}: {err}")
    _, box, _ = system.hoistctl("outbox")
    last = box["next_seq"] - 1
    check(box["depth"] == 0 and box["dropped_samples"] == 0, f"outbox: {box}")

    db = sqlite3.connect(os.path.join(system.dir, "cloud.db"), timeout=10)
    try:
        stored_through = db.execute("SELECT stored_through FROM devices WHERE device_id = ?",
                                    (DEVICE,)).fetchone()[0]
    finally:
        db.close()
    rows = [(r["seq"], r["boot"]) for r in system.records(DEVICE)]
    seqs = [r[0] for r in rows]
    check(seqs == list(range(1, last + 1)),
          f"cloud seqs should be exactly 1..{last}: {len(seqs)} rows, missing "
          f"{sorted(set(range(1, last + 1)) - set(seqs))[:20]}")
    check(seqs[-1] == last and stored_through == last,
          f"the cloud's last seq {seqs[-1]} / stored_through {stored_through} == agent's {last}")
    boots = sorted({r[1] for r in rows})
    check(boots[-1] == last_boot, f"the last boot is {last_boot}: {boots}")
    check(len(boots) >= KILLS // 2, f"records from most boots (a kill may come before the first commit): {boots}")
    print(f"{KILLS} SIGKILLs: {last} records from {len(boots)} boots, all stored once")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(run(scenario, args.bin, "sigkill"))

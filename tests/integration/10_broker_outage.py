#!/usr/bin/env python3
"""10 broker outage: Mosquitto is stopped for a full minute while the simulator runs (at 4x, so
four minutes of building), then restarted on the same port. Every record reaches the cloud once, in
order: the cloud's seqs for the device are 1..last with no gap, the agent's outbox drains, and
within each agent boot the records' monotonic times follow their seqs."""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, run, wait_for  # noqa: E402

DEVICE = "it-outage"
OUTAGE_S = 60


def status(system):
    return system.hoistctl_ok("status")


def cloud_rows(system):
    """(seq, kind, boot, mono_ms, body as JSON text) of every record the cloud holds."""
    return [(r["seq"], r["kind"], r["boot"], r["mono_ms"], json.dumps(r["body"]))
            for r in system.records(DEVICE)]


def check_delivery(system, last):
    rows = cloud_rows(system)
    seqs = [r[0] for r in rows]
    check(seqs == list(range(1, last + 1)),
          f"cloud seqs should be exactly 1..{last}: {len(seqs)} rows, "
          f"missing {sorted(set(range(1, last + 1)) - set(seqs))[:20]}, "
          f"extra {sorted(set(seqs) - set(range(1, last + 1)))[:20]}")
    previous = {}
    for seq, _, boot, mono, _ in rows:
        check(mono >= previous.get(boot, -1), f"seq {seq}: monotonic time goes back within boot {boot}")
        previous[boot] = mono
    return rows


def scenario(system):
    system.add_device(DEVICE, ["IT-OUT-1", "IT-OUT-2"])
    broker = system.start_broker()
    system.start_ingest()
    sim, sim_sock = system.start_sim(speedup="4", extra=("--start-time", "08:30"))
    cli_sock = os.path.join(system.dir, "agent.sock")
    system.write_agent_config(DEVICE, sim_sock, extra="\n".join([
        "[publish]", "ack_timeout_s = 3", "[events]", "snapshot_interval_s = 1", "[cli]",
        f'socket = "{cli_sock}"']))
    system.start_agent(DEVICE, sim_sock)
    wait_for("the CLI socket", lambda: os.path.exists(cli_sock), timeout=10)
    wait_for("records stored in the cloud", lambda: status(system)["broker"]["acked_through"] > 10,
             timeout=30)

    broker.stop()
    outage_end = time.monotonic() + OUTAGE_S
    wait_for("the agent to see the broker gone", lambda: not status(system)["broker"]["connected"],
             timeout=15)
    depth_before = status(system)["outbox"]["depth"]
    code, visit, err = system.hoistctl("visit", "start", "--technician", "T-OUTAGE")
    check(code == 0, f"visit start during the outage: {err}")
    time.sleep(max(0.0, outage_end - time.monotonic()))
    during = status(system)
    check(during["outbox"]["depth"] > depth_before,
          f"the outbox grows while the broker is away: {depth_before} -> {during['outbox']['depth']}")

    system.start_broker(port=system.mqtt_port)
    wait_for("the agent to reconnect", lambda: status(system)["broker"]["connected"], timeout=30)
    code, _, err = system.hoistctl("visit", "end")
    check(code == 0, f"visit end: {err}")
    time.sleep(2)
    sim.stop()  # no new records from here on
    code, flushed, err = system.hoistctl("flush", "--timeout", "75")
    check(code == 0, f"flush after the outage should succeed, exit {code}: {err}")
    _, box, _ = system.hoistctl("outbox")
    check(box["depth"] == 0, f"the outbox drained: {box}")
    check(box["dropped_samples"] == 0, "nothing was dropped")
    last = box["next_seq"] - 1
    check(flushed["flushed_through"] == last, f"flushed through {flushed}, last seq {last}")
    rows = check_delivery(system, last)
    visits = [json.loads(r[4]) for r in rows if r[1] == "technician_visit"]
    check([v["started"] for v in visits] == [True, False] and
          visits[0]["visit_id"] == visit["visit_id"],
          f"the visit started during the outage arrived: {visits}")
    print(f"outage {OUTAGE_S} s: {last} records, {during['outbox']['depth']} held at the end of "
          f"the outage, all delivered once, in order")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(run(scenario, args.bin, "outage"))

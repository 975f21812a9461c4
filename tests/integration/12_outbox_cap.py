#!/usr/bin/env python3
"""12 outbox cap: a small cap (100 records) with the broker down. Events are kept (the visit
and its checklist among them), samples are dropped oldest first and counted; once the broker is
back, the OutboxDrop reports reach the cloud and account for every seq the cloud lacks."""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, run, wait_for  # noqa: E402

DEVICE = "it-cap"
CAP = 100


def outbox(system):
    code, box, err = system.hoistctl("outbox")
    check(code == 0, f"hoistctl outbox: {err}")
    return box


def scenario(system):
    system.add_device(DEVICE, ["IT-CAP-1", "IT-CAP-2"])
    broker = system.start_broker()
    system.start_ingest()
    broker.stop()  # the agent starts with the network down
    sim, sim_sock = system.start_sim(speedup="10", extra=("--start-time", "08:30"))
    cli_sock = os.path.join(system.dir, "agent.sock")
    system.write_agent_config(DEVICE, sim_sock, extra="\n".join([
        f"max_records = {CAP}", "[publish]", "ack_timeout_s = 3", "[events]",
        "snapshot_interval_s = 1", "[cli]", f'socket = "{cli_sock}"']))
    system.start_agent(DEVICE, sim_sock)
    wait_for("the CLI socket", lambda: os.path.exists(cli_sock), timeout=10)

    code, visit, err = system.hoistctl("visit", "start", "--technician", "T-CAP")
    check(code == 0, f"visit start: {err}")
    items = ["brakes", "ropes", "door gibs"]
    for item in items:
        code, _, err = system.hoistctl("checklist", "record", item, "ok")
        check(code == 0, f"checklist {item}: {err}")

    box = wait_for("samples to be dropped", lambda: (lambda b: b if b["dropped_samples"] >= 60
                                                      else None)(outbox(system)), timeout=60)
    check(box["by_kind"].get("technician_visit") == 1 and box["by_kind"].get("checklist_item") == 3,
          f"events are kept over the cap: {box['by_kind']}")
    check(box["samples"] + box["events"] <= max(CAP, box["events"]),
          f"samples were dropped down to the cap: {box}")
    check(box["by_kind"].get("outbox_drop", 0) >= 1, f"drops were reported: {box['by_kind']}")

    system.start_broker(port=system.mqtt_port)
    code, _, err = system.hoistctl("visit", "end")
    check(code == 0, f"visit end: {err}")
    time.sleep(1)
    sim.stop()
    code, _, err = system.hoistctl("flush", "--timeout", "75")
    check(code == 0, f"flush, exit {code}: {err}")
    # The last drops are reported on their own once there is room under the cap again (no new
    # records come to carry the report): wait for that, then flush the report too.
    wait_for("the last drops to be reported", lambda: outbox(system)["unreported_dropped"] == 0,
             timeout=10)
    code, _, err = system.hoistctl("flush", "--timeout", "30")
    check(code == 0, f"second flush, exit {code}: {err}")
    box = outbox(system)
    check(box["depth"] == 0, f"the outbox drained: {box}")
    check(box["unreported_dropped"] == 0, f"every drop was reported: {box}")
    last = box["next_seq"] - 1

    rows = system.records(DEVICE)
    seqs = {r["seq"] for r in rows}
    missing = sorted(set(range(1, last + 1)) - seqs)
    reports = [r["body"] for r in rows if r["kind"] == "outbox_drop"]
    reported = sum(r["dropped_samples"] for r in reports)
    check(reported == box["dropped_samples"],
          f"the cloud's OutboxDrop records count {reported}, the agent dropped "
          f"{box['dropped_samples']}")
    check(len(missing) == reported, f"{len(missing)} seqs missing in the cloud, {reported} reported")
    for m in missing:
        check(any(r["first_seq"] <= m <= r["last_seq"] for r in reports),
              f"missing seq {m} lies in no OutboxDrop range")
    check(max(seqs) == last, f"the cloud's last seq {max(seqs)} == agent's {last}")
    kinds = [r["kind"] for r in rows]
    check(kinds.count("technician_visit") == 2, "both visit records arrived")
    got = sorted(r["body"]["item"] for r in rows if r["kind"] == "checklist_item")
    check(got == sorted(items), f"every checklist item arrived: {got}")
    check([r for r in rows if r["kind"] == "technician_visit"][0]["body"]["visit_id"] ==
          visit["visit_id"], "the visit id is the one hoistctl printed")
    print(f"cap {CAP}: {reported} samples dropped and reported in {len(reports)} OutboxDrop "
          f"records; {len(seqs)} records stored; events all kept")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(run(scenario, args.bin, "cap"))

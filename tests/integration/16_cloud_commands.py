#!/usr/bin/env python3
"""16 commands from the cloud: `hoistway-admin device command` queues a command in the store;
the ingest signs it with the device's key and publishes it; the agent executes it and answers
with a signed result, which the ingest verifies and records. Checked: ping, snapshot and
sampling-rate answered (the agent's rate really changes); bad input refused before queuing;
an unknown or disabled device refused; a command queued while no ingest runs is sent when one
starts; forged or stray results are rejected, counted and dead-lettered, and change nothing."""

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, run, signed_message, wait_for  # noqa: E402

DEVICE = "it-cc"


def command(system, *args):
    return system.admin("device", "command", *args, check_exit=False)


def publish_result(system, body, key_hex):
    message = signed_message(key_hex, body, "command-result")
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(system.mqtt_port), "-q", "1",
                    "-t", f"hoistway/v1/dev/{DEVICE}/cmd_result", "-m", message], check=True,
                   timeout=10)


def scenario(system):
    system.add_device(DEVICE, ["IT-CC-1", "IT-CC-2"])
    system.add_device("it-cc-other", ["IT-CCO-1"])
    system.start_broker()
    ingest = system.start_ingest()
    _, sim_sock = system.start_sim(speedup="4", extra=("--start-time", "08:30"))
    cli_sock = os.path.join(system.dir, "agent.sock")
    system.write_agent_config(DEVICE, sim_sock, extra=f'[cli]\nsocket = "{cli_sock}"\n')
    system.start_agent(DEVICE, sim_sock)
    wait_for("the agent's records acknowledged",
             lambda: os.path.exists(cli_sock) and
             system.hoistctl_ok("status", timeout=30)["broker"]["acked_through"] > 0, timeout=30)

    # ping, snapshot, sampling-rate: each answered with a verified result.
    code, ping = command(system, DEVICE, "ping", "--wait", "20")
    check(code == 0 and ping["state"] == "done", f"ping: exit {code}, {ping}")
    check(ping["result"]["pong"] is True and ping["result"]["boot_id"], f"ping result: {ping}")
    code, snap = command(system, DEVICE, "snapshot", "--wait", "20")
    check(code == 0 and snap["state"] == "done", f"snapshot: exit {code}, {snap}")
    code, rate = command(system, DEVICE, "sampling-rate", "--hz", "2", "--wait", "20")
    check(code == 0 and rate["state"] == "done" and rate["result"]["sample_hz"] == 2,
          f"sampling-rate: exit {code}, {rate}")
    check(system.hoistctl_ok("status", timeout=30)["sample_hz"] == 2, "the agent samples at 2 Hz now")
    check(system.metric("hoistway_commands_sent_total") == 3, "three commands sent")
    check(system.metric("hoistway_command_results_total") == 3, "three results recorded")

    # Refused before anything is queued.
    code, _ = command(system, DEVICE, "sampling-rate", "--hz", "500", "--wait", "1")
    check(code == 65, f"a rate of 500 Hz is bad input (65), got {code}")
    code, _ = command(system, DEVICE, "sampling-rate", "--wait", "1")
    check(code == 65, f"sampling-rate without --hz is bad input (65), got {code}")
    code, _ = command(system, "no-such-device", "ping", "--wait", "1")
    check(code == 66, f"an unknown device is not found (66), got {code}")
    code, _ = command(system, DEVICE, "reboot", "--wait", "1")
    check(code == 64, f"an unknown command is a usage error (64), got {code}")
    system.admin("device", "disable", "it-cc-other")
    code, _ = command(system, "it-cc-other", "ping", "--wait", "1")
    check(code == 73, f"a disabled device refuses commands (73), got {code}")

    # Forged and stray results: rejected, counted, dead-lettered; the history is unchanged.
    before = system.admin("device", "commands", DEVICE)[1]["commands"]
    publish_result(system, json.dumps({"id": ping["command_id"], "device_id": DEVICE, "ok": False,
                                       "reason": "forged", "at_ms": int(time.time() * 1000)}),
                   "00" * 32)
    publish_result(system, json.dumps({"id": "no-such-command", "device_id": DEVICE, "ok": True,
                                       "result": {}, "at_ms": int(time.time() * 1000)}),
                   system.devices[DEVICE]["key"])
    wait_for("two rejected results",
             lambda: system.metric("hoistway_command_results_rejected_total") == 2, timeout=10)
    after = system.admin("device", "commands", DEVICE)[1]["commands"]
    check(after == before, f"rejected results change nothing:\n{before}\n{after}")
    db = sqlite3.connect(os.path.join(system.dir, "cloud.db"), timeout=10)
    reasons = sorted(r[0] for r in db.execute(
        "SELECT reason FROM dead_letters WHERE reason LIKE 'cmd_result%'"))
    db.close()
    check(reasons == ["cmd_result_bad_mac", "cmd_result_unknown_command"],
          f"dead letters: {reasons}")

    # No ingest: the command waits (75), and is sent when an ingest starts again.
    ingest.stop()
    code, waiting = command(system, DEVICE, "ping", "--wait", "1")
    check(code == 75 and waiting["state"] == "queued", f"no ingest: exit {code}, {waiting}")
    system.start_ingest()
    done = wait_for("the queued ping answered", lambda: next(
        (c for c in system.admin("device", "commands", DEVICE)[1]["commands"]
         if c["command_id"] == waiting["command_id"] and c["state"] == "done"), None), timeout=20)
    check(done["result"]["pong"] is True, f"the late ping's result: {done}")
    print(f"commands: {len(after) + 1} sent and answered; 2 forged/stray results rejected")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(run(scenario, args.bin, "cloud-commands"))

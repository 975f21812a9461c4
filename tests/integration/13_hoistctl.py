#!/usr/bin/env python3
"""13 hoistctl: the technician CLI works with the network down.

No broker at all: the agent samples the simulator and keeps everything in its outbox, and
hoistctl answers status, visit start/end, checklist, events (also --follow), outbox, config show,
flush (times out: exit 75), each also with --json; bad commands are rejected with the right
sysexits code and counted by the agent."""

import argparse
import json
import os
import socket
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, free_port, run, wait_for  # noqa: E402

DEVICE = "it-ctl"


def hoistctl(system, *args, timeout=20):
    return system.hoistctl(*args, timeout=timeout, json_out=False)


def ok_json(system, *args):
    return system.hoistctl_ok(*args, timeout=20)


def raw_request(path, line):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall(line)
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return json.loads(data.splitlines()[0])


def scenario(system):
    system.add_device(DEVICE, ["IT-CTL-1", "IT-CTL-2"])
    system.mqtt_port = free_port()  # nothing listens there: the network is "down"
    _, sim_sock = system.start_sim(speedup="4", extra=("--start-time", "08:30"))
    cli_sock = os.path.join(system.dir, "agent.sock")
    system.write_agent_config(DEVICE, sim_sock, extra=f'[cli]\nsocket = "{cli_sock}"\n')
    system.start_agent(DEVICE, sim_sock)
    wait_for("the CLI socket", lambda: os.path.exists(cli_sock), timeout=10)
    check(stat.S_IMODE(os.stat(cli_sock).st_mode) == 0o660, "the CLI socket is mode 0660")

    # status: the controller is read, the broker is not connected, the outbox fills.
    status = wait_for("a status with both cars",
                      lambda: (lambda s: s if len(s["controller"]["cars"]) == 2 else None)(
                          ok_json(system, "status")), timeout=10)
    check(status["device_id"] == DEVICE, "status names the device")
    check(status["controller"]["reachable"] is True, "the controller is reachable")
    check(status["broker"]["connected"] is False, "the broker is not connected")
    check(status["outbox"]["depth"] >= 2, f"the outbox holds records: {status['outbox']}")
    check(status["outbox"]["oldest_age_s"] is not None, "the oldest record's age is shown")
    check(status["visit"] is None, "no visit yet")
    code, out, _ = hoistctl(system, "status")
    check(code == 0 and "DISCONNECTED" in out and "car 1" in out, f"text status:\n{out}")

    # A checklist item without a visit is refused (65) with a reason.
    code, _, err = hoistctl(system, "checklist", "record", "brakes", "ok")
    check(code == 65 and "no visit is open" in err, f"checklist without a visit: {code} {err}")
    code, out, _ = hoistctl(system, "--json", "visit", "end")
    check(code == 65 and json.loads(out)["reason"] == "conflict", f"visit end without visit: {code}")

    # A visit on car 1 (of cars 0 and 1) with two checklist items; a car the controller does
    # not have is refused with the cars it has.
    code, _, err = hoistctl(system, "visit", "start", "--technician", "T-42", "--car", "7")
    check(code == 65 and "no car 7" in err and "0, 1" in err, f"an unknown car: {code} {err}")
    visit = ok_json(system, "visit", "start", "--technician", "T-42", "--car", "1")
    check(len(visit["visit_id"]) == 36 and visit["car"] == 1, f"visit id and car: {visit}")
    code, _, err = hoistctl(system, "visit", "start", "--technician", "T-43")
    check(code == 65 and "end it first" in err, f"a second visit is refused: {code} {err}")
    status = ok_json(system, "status")
    check(status["visit"]["technician"] == "T-42" and status["visit"]["car"] == 1,
          f"status shows the visit: {status['visit']}")

    follower = subprocess.Popen([os.path.join(system.bin, "hoistctl"), "--socket", cli_sock,
                                 "--json", "events", "--follow", "--limit", "1"],
                                stdout=subprocess.PIPE, text=True)
    try:
        first = json.loads(follower.stdout.readline())
        check(first["ok"] is True and len(first["events"]) <= 1, f"follow's first answer: {first}")
        item = ok_json(system, "checklist", "record", "brakes", "ok")
        check(item["visit_id"] == visit["visit_id"], "the checklist item belongs to the visit")
        code, out, _ = hoistctl(system, "checklist", "record", "door gibs", "ng", "--note", "worn")
        check(code == 0 and "door gibs: ng" in out, f"text checklist: {code} {out}")
        deadline = time.monotonic() + 10
        seen = []
        while time.monotonic() < deadline and not any(
                e["kind"] == "checklist_item" and e["body"]["item"] == "door gibs" for e in seen):
            seen.append(json.loads(follower.stdout.readline()))
        check(any(e["kind"] == "checklist_item" and e["body"]["item"] == "brakes" for e in seen),
              f"--follow streamed the checklist items: {seen}")
    finally:
        follower.kill()
        follower.wait()

    ended = ok_json(system, "visit", "end")
    check(ended["visit_id"] == visit["visit_id"], "visit end closes the open visit")

    events = ok_json(system, "events", "--since", "10m")["events"]
    kinds = [e["kind"] for e in events]
    check(kinds.count("technician_visit") == 2 and kinds.count("checklist_item") == 2,
          f"events lists the visit: {kinds}")
    check(all(e["car"] == 1 for e in events if e["kind"] in ("technician_visit", "checklist_item")),
          f"the visit's start, end and checklist records are car 1's: {events}")
    check("run_state" not in kinds, "events lists no samples")
    check([e["seq"] for e in events] == sorted(e["seq"] for e in events), "events in seq order")
    code, out, _ = hoistctl(system, "events", "--since", "10m")
    check(code == 0 and "technician=T-42" in out, f"text events:\n{out}")
    future = ok_json(system, "events", "--since", "2099-01-01T00:00:00Z")["events"]
    check(future == [], "--since in the future lists nothing")

    box = ok_json(system, "outbox")
    check(box["by_kind"].get("technician_visit") == 2 and box["by_kind"].get("checklist_item") == 2,
          f"outbox by kind: {box['by_kind']}")
    check(box["acked_through"] == 0 and box["dropped_samples"] == 0, f"outbox: {box}")

    config = ok_json(system, "config", "show")
    check(config["config"]["device_id"] == DEVICE, "config show")
    check(config["config"]["security"]["key_hex"] == "(redacted)", "the key is redacted")
    check(system.devices[DEVICE]["key"] not in json.dumps(config), "the key never appears")

    code, _, err = hoistctl(system, "flush", "--timeout", "1")
    check(code == 75, f"flush with the broker down times out with 75, not {code}: {err}")

    # Usage errors: 64.
    for args in (["frobnicate"], ["checklist", "record", "brakes", "maybe"],
                 ["visit", "start"], ["events", "--since", "yesterday"],
                 ["visit", "start", "--technician", "bad id"]):
        code, _, err = hoistctl(system, *args)
        check(code == 64, f"hoistctl {args} should exit 64, not {code}: {err}")
    # No agent there: 69.
    p = subprocess.run([os.path.join(system.bin, "hoistctl"), "--socket",
                        os.path.join(system.dir, "nobody.sock"), "status"],
                       capture_output=True, text=True)
    check(p.returncode == 69, f"an unreachable agent is 69, not {p.returncode}")
    # An unreadable explicit config: 78.
    p = subprocess.run([os.path.join(system.bin, "hoistctl"), "--config",
                        os.path.join(system.dir, "missing.toml"), "status"],
                       capture_output=True, text=True)
    check(p.returncode == 78, f"a missing --config is 78, not {p.returncode}")
    # The socket path from agent.toml's [cli] socket.
    p = subprocess.run([os.path.join(system.bin, "hoistctl"), "--config",
                        os.path.join(system.dir, f"agent-{DEVICE}.toml"), "ping"],
                       capture_output=True, text=True)
    check(p.returncode == 0 and "pong" in p.stdout, f"hoistctl --config finds the socket: {p}")

    # Malformed requests on the socket itself: each answered with its reason, and counted.
    cases = [(b"status\n", "bad_json"), (b"[1]\n", "not_an_object"),
             (b'{"cmd":"reboot"}\n', "unknown_command"),
             (b'{"cmd":"visit_start","technician":""}\n', "bad_argument"),
             (b"x" * 5000 + b"\n", "too_long")]
    for line, reason in cases:
        answer = raw_request(cli_sock, line)
        check(answer["ok"] is False and answer["reason"] == reason,
              f"{line[:30]!r} should be refused as {reason}: {answer}")
    rejected = ok_json(system, "status")["cli_rejected"]
    for _, reason in cases:
        check(rejected.get(reason, 0) >= 1, f"{reason} is counted: {rejected}")
    check(rejected.get("conflict", 0) >= 3, f"conflicts are counted: {rejected}")
    # The agent still serves after all that.
    check(ok_json(system, "ping")["pong"] is True, "the agent still answers")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(run(scenario, args.bin, "hoistctl"))

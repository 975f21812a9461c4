#!/usr/bin/env python3
"""01 end to end: simulator → agent → Mosquitto → ingest → SQLite → HTTP.

Checks that the status API follows each simulated car's floor (compared with what the simulator
itself reports over the controller link), and that a frame captured by a plain MQTT subscriber
decodes with `flatc --json` against schemas/ (the schema is the contract). A technician visit
started with hoistctl on car 1 reaches the portal as car 1's unit's, with its checklist."""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SOURCE, check, run, wait_for  # noqa: E402
from linkprobe import read_group  # noqa: E402

DEVICE = "it-office"
UNITS = ["IT-OFFICE-1", "IT-OFFICE-2"]


def decode_with_flatc(system, frame):
    """Decodes an envelope and its nested batch with flatc alone; returns (envelope, batch)."""
    schemas = os.path.join(SOURCE, "schemas")
    work = os.path.join(system.dir, "flatc")
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "frame.hwf"), "wb") as f:
        f.write(frame)
    subprocess.run(["flatc", "--json", "--strict-json", "-o", work, "-I", schemas,
                    os.path.join(schemas, "frame.fbs"), "--", os.path.join(work, "frame.hwf")],
                   check=True, capture_output=True)
    with open(os.path.join(work, "frame.json")) as f:
        envelope = json.load(f)
    payload = envelope["payload"]
    if isinstance(payload, list):  # flatc prints a nested buffer's bytes; decode them too
        with open(os.path.join(work, "batch.bin"), "wb") as f:
            f.write(bytes(payload))
        subprocess.run(["flatc", "--json", "--strict-json", "--root-type", "hoistway.wire.Batch",
                        "-o", work, "-I", schemas, os.path.join(schemas, "records.fbs"), "--",
                        os.path.join(work, "batch.bin")], check=True, capture_output=True)
        with open(os.path.join(work, "batch.json")) as f:
            batch = json.load(f)
    else:
        batch = payload
    return envelope, batch


def scenario(system):
    system.add_device(DEVICE, UNITS)
    system.start_broker()
    system.start_ingest()
    _, sock = system.start_sim(speedup="4", extra=("--start-time", "08:30"))

    # A plain subscriber captures the first frame the agent publishes.
    capture = os.path.join(system.dir, "captured.hwf")
    with open(capture, "wb") as out:
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(system.mqtt_port),
                                "-t", f"hoistway/v1/dev/{DEVICE}/up", "-C", "1", "-N"],
                               stdout=out)
    time.sleep(0.5)
    cli_sock = os.path.join(system.dir, "agent.sock")
    system.write_agent_config(DEVICE, sock, extra=f'[cli]\nsocket = "{cli_sock}"\n')
    system.start_agent(DEVICE, sock)

    def units_with_state():
        units = system.get_json("/api/v1/units")["units"]
        mine = {u["unit_id"]: u for u in units if u["unit_id"] in UNITS}
        return mine if len(mine) == 2 and all(u["floor"] is not None for u in mine.values()) else None

    wait_for("both units to have a status", units_with_state, timeout=30)

    # The status follows the simulator: whenever a car has stood at one floor for over a second
    # (two reads of the controller agree), the API must show that floor. Over 40 s the cars visit
    # several floors.
    matched = {0: set(), 1: set()}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(len(v) >= 2 for v in matched.values()):
        first = read_group(sock)
        time.sleep(1.2)
        statuses = {u: system.get_json(f"/api/v1/units/{u}/status") for u in UNITS}
        second = read_group(sock)
        for car in (0, 1):
            a, b = first["cars"][car], second["cars"][car]
            if a["speed_mm_s"] == 0 and b["speed_mm_s"] == 0 and a["floor"] == b["floor"] \
                    and a["position_mm"] == b["position_mm"]:
                status = statuses[UNITS[car]]
                check(status["floor"] == b["floor"],
                      f"car {car} stands at floor {b['floor']} but the API says {status['floor']}")
                check(status["online"] is True, f"unit {UNITS[car]} should be online")
                check(status["updated_at"].endswith("Z"), "updated_at must be RFC 3339 UTC")
                matched[car].add(b["floor"])
    check(all(len(v) >= 2 for v in matched.values()),
          f"the cars should have been seen standing at two floors or more: {matched}")

    status = system.get_json(f"/api/v1/units/{UNITS[0]}/status")
    for key in ("unit_id", "floor", "direction", "door", "mode", "online", "updated_at"):
        check(key in status, f"status lacks {key}")
    code, _, _ = system.http("/api/v1/units/NO-SUCH-UNIT/status")
    check(code == 404, f"an unknown unit must answer 404, not {code}")

    # The captured frame decodes with flatc and the schema alone.
    sub.wait(timeout=10)
    with open(capture, "rb") as f:
        frame = f.read()
    check(len(frame) > 0, "the subscriber captured no frame")
    envelope, batch = decode_with_flatc(system, frame)
    check(envelope["device_id"] == DEVICE, f"envelope device_id: {envelope.get('device_id')}")
    check(len(envelope["mac"]) == 32, "the MAC is HMAC-SHA256 (32 bytes)")
    check(batch["device_id"] == DEVICE, "batch device_id")
    check(len(batch["records"]) > 0 and batch["records"][0]["seq"] >= 1, "batch records")
    check(batch["records"][0]["body_type"] == "RunState", "the first record is a run-state sample")

    # A technician on site at car 1 (hoistctl on the controller): the visit, its checklist and
    # its end reach the portal as car 1's unit's, and car 0's unit shows none.
    def hoistctl(*argv):
        done = subprocess.run([os.path.join(system.bin, "hoistctl"), "--socket", cli_sock, "--json",
                               *argv], capture_output=True, text=True, timeout=30)
        check(done.returncode == 0, f"hoistctl {' '.join(argv)}: {done.returncode} {done.stderr}")
        return json.loads(done.stdout)

    visit = hoistctl("visit", "start", "--technician", "T-42", "--car", "1")
    hoistctl("checklist", "record", "brakes", "ng", "--note", "pads worn")
    hoistctl("visit", "end")

    def ended_visit():
        visits = system.get_json(f"/api/v1/units/{UNITS[1]}/visits")["visits"]
        return visits if visits and visits[0]["ended_at"] is not None else None

    visits = wait_for("the visit to reach car 1's unit", ended_visit, timeout=30)
    check([v["visit_id"] for v in visits] == [visit["visit_id"]] and visits[0]["technician"] ==
          "T-42" and visits[0]["checklist_items"] == 1 and visits[0]["checklist_ng"] == 1,
          f"car 1's visits: {visits}")
    report = system.get_json(f"/api/v1/units/{UNITS[1]}/visits/{visit['visit_id']}/report")
    check(json.dumps(report).count("pads worn") == 1, f"the report holds the checklist: {report}")
    check(system.get_json(f"/api/v1/units/{UNITS[0]}/visits")["visits"] == [],
          "car 0's unit has no visit")

    metrics = system.http("/metrics")[2].decode()
    check("hoistway_records_stored_total" in metrics, "metrics list stored records")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(run(scenario, os.path.abspath(args.bin), "e2e"))

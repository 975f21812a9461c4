#!/usr/bin/env python3
"""25 earthquake restoration: what the portal pages read after an earthquake operation.

Against a real Mosquitto, simulator and agent, the simulator playing the shipped
firmware-sim/scenarios/earthquake.toml (the seismic sensor trips 10 min in, the group is reset
30 min later; run 30 times faster here):
- /api/v1/earthquake shows every car stopped by seismic control, then restored, with times in
  order, and the stream announces each change (`event: earthquake`);
- the earthquake alerts carry their timeline (detected → acknowledged with who and the
  comment → cleared), and the alert list filters by kind;
- /api/v1/buildings shows the building's time zone and each car's hoistway (landings, labels)
  as hoistway-admin set them."""

import argparse
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SOURCE, check, run, wait_for  # noqa: E402

DEVICE, UNITS = "quake", ["Q-1", "Q-2"]
SPEEDUP = 30


class SseClient:
    """A minimal EventSource over /api/v1/stream, reading in a thread."""

    def __init__(self, system):
        self.events = []
        self.sock = socket.create_connection(("127.0.0.1", system.http_port), timeout=120)
        token = system.tokens["it-customer"]
        self.sock.sendall(f"GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n"
                          f"Authorization: Bearer {token}\r\n\r\n".encode())
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buf += chunk
                while b"\n\n" in buf:
                    block, buf = buf.split(b"\n\n", 1)
                    event = {}
                    for line in block.decode(errors="replace").splitlines():
                        if line.startswith("event: "):
                            event["event"] = line[7:]
                        elif line.startswith("data: "):
                            event["data"] = json.loads(line[6:])
                    if "event" in event:
                        self.events.append(event)
        except (OSError, ValueError):
            return

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def cars(system):
    body = system.get_json("/api/v1/earthquake")
    return {c["unit_id"]: c for b in body["buildings"] for c in b["cars"]}, body["active"]


def scenario(system):
    system.add_device(DEVICE, UNITS)
    system.start_broker()
    system.start_ingest()
    system.admin("building", "set", "it-customer-hq", "--time-zone", "Asia/Tokyo")
    for unit in UNITS:
        system.admin("unit", "set", unit, "--landings", "10", "--floor-labels",
                     "G,1,2,3,4,5,6,7,8,9")
    code, _ = system.admin("building", "set", "it-customer-hq", "--time-zone", "Nowhere/Void",
                           check_exit=False)
    check(code == 65, f"an unknown time zone is a usage error (65), not {code}")
    _, sock = system.start_sim(speedup=str(SPEEDUP), extra=(
        "--scenario", os.path.join(SOURCE, "firmware-sim", "scenarios", "earthquake.toml"),
        "--start-time", "10:00"))
    system.start_agent(DEVICE, sock)
    wait_for("both cars to report", lambda: all(
        system.get_json(f"/api/v1/units/{u}/status")["floor"] is not None for u in UNITS),
        timeout=40)

    # --- the overview: time zone and hoistways -------------------------------------------------
    buildings = system.get_json("/api/v1/buildings")["buildings"]
    check(len(buildings) == 1, f"one building: {buildings}")
    b = buildings[0]
    check(b["time_zone"] == "Asia/Tokyo" and b["utc_offset"] == "+09:00", f"time zone: {b}")
    listed = [u for g in b["groups"] for u in g["units"]]
    check([u["unit_id"] for u in listed] == UNITS, f"units: {listed}")
    check(all(u["landings"] == 10 and u["floor_labels"][0] == "G" for u in listed),
          f"hoistways: {listed}")
    check(all(u["status"]["expected_interval_s"] > 0 for u in listed), "expected_interval_s")

    # --- the earthquake: stopped by seismic control, then restored -----------------------------
    stream = SseClient(system)
    stopped = wait_for("every car in seismic stop", lambda: (lambda c: c if set(c) == set(UNITS)
                       and all(x["state"] == "seismic_stop" for x in c.values()) else None)(
                           cars(system)[0]), timeout=10 * 60 / SPEEDUP + 60)
    check(cars(system)[1] is True, "a restoration in progress is active")
    # Someone acknowledges one car's earthquake alert while it is open, with a comment.
    open_alerts = system.get_json("/api/v1/alerts?kind=earthquake&state=open")["alerts"]
    check({a["unit_id"] for a in open_alerts} == set(UNITS), f"open alerts: {open_alerts}")
    acked = open_alerts[0]
    code, _, body = system.http(f"/api/v1/alerts/{acked['alert_id']}/ack", method="POST",
                                body=json.dumps({"comment": "技術者を派遣しました"}).encode(),
                                headers={"Content-Type": "application/json"})
    check(code == 200, f"acknowledging answered {code}: {body[:200]!r}")
    check(json.loads(body)["comment"] == "技術者を派遣しました", f"the comment: {body[:300]!r}")
    restored = wait_for("every car restored", lambda: (lambda c: c if all(
        x["state"] == "restored" for x in c.values()) else None)(cars(system)[0]),
        timeout=30 * 60 / SPEEDUP + 60)
    for unit in UNITS:
        s = restored[unit]
        check(s["stopped_at"] == stopped[unit]["stopped_at"], f"{unit}: one restoration: {s}")
        check(s["stopped_at"] < s["awaiting_inspection_at"] <= s["restored_at"],
              f"{unit}: times in order: {s}")
    check(cars(system)[1] is False, "nothing left to restore")
    time.sleep(1)
    seen = [(e["data"]["unit_id"], e["data"]["state"]) for e in stream.events
            if e["event"] == "earthquake"]
    for unit in UNITS:
        states = [s for u, s in seen if u == unit]
        check(states[:1] == ["seismic_stop"] and states[-1:] == ["restored"],
              f"{unit}: the stream announced {states}")
    stream.close()

    # --- the earthquake alerts and their timeline ----------------------------------------------
    alerts = system.get_json("/api/v1/alerts?kind=earthquake")["alerts"]
    check({a["unit_id"] for a in alerts} == set(UNITS), f"earthquake alerts: {alerts}")
    check(all(a["kind"] == "earthquake" and a["state"] == "cleared" for a in alerts),
          f"filtered by kind, cleared by the reset: {alerts}")
    detail = system.get_json(f"/api/v1/alerts/{acked['alert_id']}")
    steps = [s["step"] for s in detail["timeline"]]
    check(steps == ["detected", "acknowledged", "cleared"], f"the timeline: {steps}")
    ack_step = detail["timeline"][1]
    check(ack_step["comment"] == "技術者を派遣しました" and ack_step["by_kind"] == "api_key",
          f"who and the comment: {ack_step}")
    other = next(a for a in alerts if a["alert_id"] != acked["alert_id"])
    steps = [s["step"] for s in system.get_json(f"/api/v1/alerts/{other['alert_id']}")["timeline"]]
    check(steps == ["detected", "cleared"], f"the timeline of an unacknowledged alert: {steps}")
    code, _, _ = system.http(f"/api/v1/alerts/{other['alert_id']}/ack", method="POST")
    check(code == 409, f"acknowledging a cleared alert answered {code}, not 409")

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(SOURCE, "build", "bin"))
    sys.exit(run(scenario, parser.parse_args().bin, "quake"))

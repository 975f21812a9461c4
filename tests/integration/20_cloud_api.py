#!/usr/bin/env python3
"""20 cloud API: tenancy, frame rejection, replay, SSE resume, ingest crash.

Against a real Mosquitto, simulator and agents:
- an API key of customer A gets 404 for every unit route of customer B's unit, 401 without a key,
  and a unit without a monitoring contract answers 403 for real-time data;
- a replayed frame changes nothing; bit-flipped, truncated, oversized, wrong-key and
  unknown-device frames are rejected, counted by reason and kept as dead letters;
- an SSE client sees status changes, and after a reconnect with Last-Event-ID misses nothing;
- the ingest killed with SIGKILL and restarted loses nothing;
- retention deletes old samples only, and a replay of deleted samples changes nothing."""

import argparse
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Failure, SseStream, check, run, wait_for  # noqa: E402

A_DEVICE, A_UNITS = "it-a", ["A-1", "A-2"]
B_DEVICE, B_UNITS = "it-b", ["B-1", "B-2"]


def rejected(system, reason):
    return system.metric("hoistway_frames_rejected_total", f'{{reason="{reason}"}}')


def capture_frames(system, device, count):
    out = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(system.mqtt_port), "-t",
                          f"hoistway/v1/dev/{device}/up", "-C", str(count), "-N", "-F", "%x\n"],
                         capture_output=True, text=True, timeout=60)
    return [bytes.fromhex(line) for line in out.stdout.split() if line]


def publish(system, topic, payload):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(system.mqtt_port), "-q", "1",
                    "-t", topic, "-s"], input=payload, check=True, timeout=30)


def envelope_fields(frame):
    """Finds (offset, length) of the payload and mac vectors of an Envelope by reading its
    FlatBuffers vtable (fields: 0 device_id, 1 key_id, 2 payload, 3 mac)."""
    root = struct.unpack_from("<I", frame, 0)[0]
    vtable = root - struct.unpack_from("<i", frame, root)[0]
    vt_len = struct.unpack_from("<H", frame, vtable)[0]

    def vector(field):
        slot = 4 + 2 * field
        check(slot < vt_len, "envelope field missing")
        at = root + struct.unpack_from("<H", frame, vtable + slot)[0]
        start = at + struct.unpack_from("<I", frame, at)[0]
        return start + 4, struct.unpack_from("<I", frame, start)[0]
    return vector(2), vector(3)


def records_of(system, device):
    return [r["seq"] for r in system.records(device)]


def check_replay_stores_nothing(system, frame, what):
    """Publishes A's `frame` again: counted as duplicates, nothing stored, no record added."""
    stored = system.metric("hoistway_records_stored_total")
    dup = system.metric("hoistway_records_duplicate_total")
    count = len(records_of(system, A_DEVICE))
    publish(system, f"hoistway/v1/dev/{A_DEVICE}/up", frame)
    wait_for(f"{what} to be counted as duplicates",
             lambda: system.metric("hoistway_records_duplicate_total") > dup, timeout=15)
    check(system.metric("hoistway_records_stored_total") == stored, f"{what} stores nothing")
    check(len(records_of(system, A_DEVICE)) == count, f"{what} adds no row")


def sse_client(system, last_event_id=None):
    """The API customer's stream (harness.SseStream), resumed from `last_event_id` if given."""
    return SseStream(system.http_port, system.tokens["it-customer"], last_event_id, timeout=30)


def scenario(system):
    system.add_device(A_DEVICE, A_UNITS, customer="it-customer")
    system.add_device(B_DEVICE, B_UNITS, customer="other-customer")
    system.start_broker()
    system.start_ingest()
    # A third unit of customer A without a monitoring contract.
    system.admin("device", "add", "it-c", "--key-hex", "00" * 32)
    system.admin("unit", "add", "A-NOCONTRACT", "--device", "it-c", "--car", "0", "--building",
                 "it-customer-hq")
    _, sock_a = system.start_sim(name="sim-a", speedup="4", extra=("--start-time", "08:30"))
    _, sock_b = system.start_sim(name="sim-b", seed=2, speedup="4", extra=("--start-time", "08:30"))
    system.start_agent(A_DEVICE, sock_a)
    system.start_agent(B_DEVICE, sock_b)
    db_path = os.path.join(system.dir, "cloud.db")

    wait_for("units of both customers to report", lambda: all(
        system.get_json(f"/api/v1/units/{u}/status", customer=c)["floor"] is not None
        for u, c in (("A-1", "it-customer"), ("B-1", "other-customer"))), timeout=40)

    # --- tenancy ----------------------------------------------------------------------------
    mine = wait_for("the unit without a contract to be listed", lambda: (lambda s: s if "A-NOCONTRACT" in s else None)({u["unit_id"] for u in system.get_json("/api/v1/units")["units"]}), timeout=5)
    check(mine == {"A-1", "A-2", "A-NOCONTRACT"}, f"customer A sees {mine}")
    for route in ("status", "events", "usage", "availability", "visits", "visits/v1/report"):
        for unit in ("B-1", "NO-SUCH-UNIT"):
            code, _, body = system.http(f"/api/v1/units/{unit}/{route}")
            check(code == 404, f"A's key on {unit}/{route} answered {code}, not 404")
            check(json.loads(body)["title"] == "Not Found", "404 is problem+json")
    code, headers, _ = system.http("/api/v1/units", headers={"Authorization": "Bearer nope"})
    check(code == 401 and "Bearer" in headers.get("WWW-Authenticate", ""), f"bad key: {code}")
    code, _, _ = system.http("/api/v1/units", headers={"Authorization": ""}, customer="none")
    check(code == 401, f"no key: {code}")
    code, _, _ = system.http("/api/v1/units/A-NOCONTRACT/status")
    check(code == 403, f"a unit without a contract answered {code} for its status, not 403")
    code, _, _ = system.http("/api/v1/units/A-NOCONTRACT/visits")
    check(code == 200, f"visits need no monitoring contract: {code}")

    # --- SSE: see changes, then resume without loss -----------------------------------------
    first = sse_client(system)
    wait_for("status events on the stream", lambda: len(first.numbered()) >= 3, timeout=30)
    check(all(e["data"]["unit_id"] in ("A-1", "A-2") for e in first.numbered()),
          "the stream carries only the caller's units")
    reference = sse_client(system, last_event_id=first.numbered()[0]["id"])
    first.close()
    last_seen = first.numbered()[-1]["id"]
    time.sleep(3)  # events happen while the first client is away
    resumed = sse_client(system, last_event_id=last_seen)
    wait_for("the resumed client to catch up", lambda: len(resumed.numbered()) >= 3, timeout=30)
    time.sleep(1)
    got = [e["id"] for e in resumed.numbered()]
    want = [e["id"] for e in reference.numbered() if e["id"] > last_seen][:len(got)]
    check(got[:len(want)] == want and len(want) >= 3,
          f"the resumed stream must continue exactly after {last_seen}: {got[:5]} vs {want[:5]}")
    resumed.close()
    reference.close()

    # --- replays and bad frames -------------------------------------------------------------
    frames = capture_frames(system, A_DEVICE, 2)
    check(len(frames) == 2, "captured frames")
    frame = frames[0]
    # Quiet both agents (stop their simulators) so that only the replays reach the store: the
    # stored-records counter the replay checks read is global.
    sim_a = next(p for p in system.processes if p.name == "sim-a")
    sim_a.stop()
    next(p for p in system.processes if p.name == "sim-b").stop()
    agent_db = os.path.join(system.dir, f"outbox-{A_DEVICE}.db")

    def drained(device=A_DEVICE):
        with sqlite3.connect(os.path.join(system.dir, f"outbox-{device}.db")) as db:
            return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    wait_for("the agent's outbox to drain", drained, timeout=60)
    time.sleep(1)
    wait_for("B's outbox to drain", lambda: drained(B_DEVICE), timeout=60)
    check_replay_stores_nothing(system, frame, "a replay")

    (p_off, p_len), (m_off, m_len) = envelope_fields(frame)
    check(m_len == 32, "the MAC is 32 bytes")
    flipped = bytearray(frame)
    flipped[p_off + p_len // 2] ^= 0x10
    wrong_key = bytearray(frame)
    wrong_key[m_off:m_off + 32] = hmac.new(b"\x01" * 32, frame[p_off:p_off + p_len],
                                          hashlib.sha256).digest()
    cases = [("bad_mac", bytes(flipped)), ("bad_mac", bytes(wrong_key)),
             ("bad_envelope", frame[: len(frame) // 2]),
             ("bad_identifier", b"\x00" * 64),
             ("oversized", frame[:8] + os.urandom(300 * 1024))]
    for reason, payload in cases:
        before = rejected(system, reason)
        publish(system, f"hoistway/v1/dev/{A_DEVICE}/up", payload)
        wait_for(f"a {reason} rejection", lambda: rejected(system, reason) > before, timeout=15)
    # A frame from a device the cloud does not know.
    before = rejected(system, "unknown_device")
    system.add_device("it-ghost", ["G-1"])
    system.devices["it-ghost"]["provisioned"] = True  # never registered in the cloud
    _, sock_g = system.start_sim(name="sim-g", seed=3, speedup="4")
    system.start_agent("it-ghost", sock_g)
    wait_for("unknown_device rejections", lambda: rejected(system, "unknown_device") > before, 20)
    with sqlite3.connect(db_path) as db:
        reasons = {r for (r,) in db.execute("SELECT DISTINCT reason FROM dead_letters")}
    check({"bad_mac", "bad_envelope", "bad_identifier", "oversized", "unknown_device"} <= reasons,
          f"dead letters keep every reason: {reasons}")
    check(system.http_ok("/healthz"), "the ingest survives every bad frame")

    # --- the ingest killed and restarted loses nothing --------------------------------------
    system.start_sim(name="sim-a", speedup="4", extra=("--start-time", "08:30"))
    ingest = next(p for p in system.processes if p.name == "ingest")
    for _ in range(2):
        time.sleep(3)
        ingest.signal(signal.SIGKILL)
        ingest.proc.wait()
        time.sleep(2)
        ingest = system.start_ingest()
    time.sleep(3)
    next(p for p in reversed(system.processes) if p.name == "sim-a").stop()
    wait_for("the agent's outbox to drain after the crashes", drained, timeout=90)
    with sqlite3.connect(agent_db) as db:
        last = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()[0]
    seqs = records_of(system, A_DEVICE)
    check(seqs == list(range(1, last + 1)),
          f"the cloud holds seqs 1..{last} exactly once (has {len(seqs)}, "
          f"missing {sorted(set(range(1, last + 1)) - set(seqs))[:10]})")

    # --- retention: old samples go, the rest stays, an old replay still changes nothing ------
    ingest.stop()
    day_ms = 86_400_000
    # Make every frame 40 days old (samples_days = 30): the sweep walks frames in arrival order
    # and stops at the first recent one, so B's interleaved frames must age too.
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE frames SET received_ms = received_ms - 40 * ?", (day_ms,))
        through = db.execute("SELECT stored_through FROM devices WHERE device_id = ?",
                             (A_DEVICE,)).fetchone()[0]
        events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    ingest = system.start_ingest()  # the first sweep runs at start
    wait_for("the retention sweep", lambda: system.metric("hoistway_retention_sweeps_total") >= 1,
             timeout=30)
    deleted = system.metric("hoistway_retention_rows_deleted_total", '{table="frames"}')
    with sqlite3.connect(db_path) as db:
        left = db.execute("SELECT COUNT(*) FROM frames WHERE device_id = ? AND last_seq <= ?",
                          (A_DEVICE, through)).fetchone()[0]
        check(left == 0 and deleted > 0, f"old raw frames deleted ({deleted}; {left} left)")
        check(db.execute("SELECT COUNT(*) FROM events").fetchone()[0] >= events, "events stay")
    check_replay_stores_nothing(system, frame, "a replay of deleted samples")
    with sqlite3.connect(db_path) as db:
        now_through = db.execute("SELECT stored_through FROM devices WHERE device_id = ?",
                                 (A_DEVICE,)).fetchone()[0]
    check(now_through == through, f"the ack stays at {through} (now {now_through})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(run(scenario, os.path.abspath(args.bin), "cloud-api"))

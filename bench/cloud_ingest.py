#!/usr/bin/env python3
"""Ingest throughput benchmark (issue 5), printed, never asserted.

Records per second that hoistway-ingest stores durably (and acknowledges) through a real
Mosquitto, as a ratio to the records per second the same broker delivers, for the same load, to
a subscriber that does nothing (same QoS 1, same $share/<group>/hoistway/v1/dev/+/up filter, same
link settings). Target: ratio >= 0.8.

One run: provisions N devices with hoistway-admin into a template store (each device its own HMAC
key and MQTT password) and writes the broker's password file and ACL with `hoistway-admin broker
write`. Then, for each repetition, on a fresh broker (a fresh broker so that no persistent
session of an earlier arm queues this arm's messages):
  (a) baseline: `bench_cloud_ingest subscribe` (the do-nothing subscriber), then
      `bench_cloud_ingest publish` (every device connects as itself and publishes its pre-encoded
      signed frames); rate = records / (last frame delivered - first publish);
  (b) checks only: `bench_cloud_ingest subscribe --check-store` runs every frame through the
      ingest's own checks (cloud::verifier: HMAC, FlatBuffers verifier, decoding, meaning) on
      Paho's thread, as hoistway-ingest does, and stores nothing: what checking alone costs;
  (c) ingest: hoistway-ingest on a fresh copy of the template store, then the same publisher,
      which waits until every device's stored-ack covers its last seq (the ingest acks after the
      commit); rate = records / (last ack received - first publish). Afterwards the store is
      checked: every record is held exactly once (read back from the frames archive
      with `hoistway-admin device records`).
With --junk-per-s N (issue 13: target junk/clean >= 0.9) a fourth arm runs in each repetition:
  (d) ingest with junk: as (c), on its own fresh broker and store copy, while `bench_cloud_ingest
      junk` publishes N junk frames a second, evenly paced, on connections of its own (from a
      second before the measured publisher starts until its last ack): random bytes, cut-short
      and bit-flipped copies of real frames, frames naming unknown devices, frames with a wrong
      MAC, frames over max_frame_bytes, signed-but-meaningless frames (tests/support/forge.hpp),
      frames of a revoked device, and frames on other devices' topics (which the ACL drops).
      Two junk devices are provisioned beside the measured ones: `junk-hostile`, known to the
      ingest, and `junk-stranger`, disabled in the store after the broker files were written
      (a revoked device whose broker entry is still there). The arms (c) and (d) swap order
      every repetition. The store is checked as in (c); /metrics is read at the measured
      publisher's t0 and after its last ack, so the junk delivered per second and the ingest's
      rejections by reason are those of the measured window; after the junk stops, every
      deliverable junk frame is accounted for (rejected, or accepted if a flipped bit survived).
      As for (c), it prints the CPU an ingest may use at the junk target: all cores for the
      clean arm's time / 0.9, less the publisher, the broker (with its junk share) and the junk
      publisher, which here share the cores with it.
Medians over the repetitions. Times are CLOCK_MONOTONIC, shared by the processes. Each arm also
prints the CPU seconds its publisher, broker and subscriber (or ingest) used inside the measured
window: on a small machine the three share the cores, so the ratio is as much about the ingest's
CPU per record as about its latency. From those it prints the CPU budget an ingest has at the
target (all cores for 1/0.8 of the baseline's time, less the publisher's and the broker's CPU)
beside what the checks alone and hoistway-ingest used.

Usage: bench/cloud_ingest.py --bin build/bin [--devices 100] [--frames 30] [--reps 3]
                             [--junk-per-s 1000]
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from harness import free_port, mosquitto_conf, port_open, wait_for  # noqa: E402

TARGET = 0.8
JUNK_TARGET = 0.9
SERVICE_USER = "hoistway-ingest"
# The junk publisher's devices: one the ingest knows, one revoked in the store (see above).
JUNK_HOSTILE = "junk-hostile"
JUNK_STRANGER = "junk-stranger"
# The ingest's [ingest] max_frame_bytes (its default); the junk's oversized frames exceed it.
MAX_FRAME_BYTES = 262144


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = os.path.abspath(args.bin)
        self.dir = tempfile.mkdtemp(prefix="hoistway-bench-ingest-")
        self.template = os.path.join(self.dir, "template.db")
        self.devices_file = os.path.join(self.dir, "devices.txt")
        self.junk_devices_file = os.path.join(self.dir, "junk-devices.txt")
        self.service_password = secrets.token_urlsafe(24)
        self.procs = []

    # -- setup ------------------------------------------------------------------------------
    def admin(self, *argv):
        done = subprocess.run([os.path.join(self.bin, "hoistway-admin"), "--store", self.template,
                               "--json", *argv], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"hoistway-admin {' '.join(argv)}: {done.stderr.strip()}")
        return json.loads(done.stdout) if done.stdout.strip() else None

    def provision(self):
        started = time.monotonic()
        self.admin("customer", "add", "bench", "--name", "Bench Ltd.")
        self.admin("building", "add", "bench-hq", "--customer", "bench", "--name", "Bench HQ")
        # `device add` waits for durable commits; four at a time overlap them (SQLite's busy
        # timeout serialises the writes). Cars get their units from the ingest itself
        # ("{device}-{car + 1}", store::ensure_unit), as for any car the registry did not name.
        devices = [f"bench-{i:04d}" for i in range(self.args.devices)]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            made = list(pool.map(lambda d: self.admin("device", "add", d), devices))
        with open(self.devices_file, "w") as f:
            f.writelines(f"{s['device_id']} {s['key_hex']} {s['mqtt_password']}\n" for s in made)
        if self.args.junk_per_s > 0:
            junk = [self.admin("device", "add", d) for d in (JUNK_HOSTILE, JUNK_STRANGER)]
            with open(self.junk_devices_file, "w") as f:
                f.writelines(f"{s['device_id']} {s['key_hex']} {s['mqtt_password']}\n"
                             for s in junk)
        pw_file = os.path.join(self.dir, "service.password")
        with open(pw_file, "w") as f:
            f.write(self.service_password + "\n")
        self.admin("broker", "write", "--password-file", os.path.join(self.dir, "mosquitto.passwd"),
                   "--acl-file", os.path.join(self.dir, "mosquitto.acl"),
                   "--service-user", SERVICE_USER, "--service-password-file", pw_file)
        if self.args.junk_per_s > 0:
            # Revoked after the broker files were written: the broker still lets it in, the
            # ingest no longer knows it.
            self.admin("device", "disable", JUNK_STRANGER)
        log(f"provisioned {self.args.devices} devices in {time.monotonic() - started:.1f} s "
            f"({self.dir})")

    # -- processes --------------------------------------------------------------------------
    def spawn(self, name, argv, stdin=None, stdout=None):
        logf = open(os.path.join(self.dir, f"{name}.log"), "ab")
        p = subprocess.Popen(argv, stdin=stdin, stdout=stdout or logf, stderr=logf,
                             start_new_session=True)
        p.logf = logf
        self.procs.append(p)
        return p

    def stop(self, p, timeout=15):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        p.logf.close()
        if p in self.procs:
            self.procs.remove(p)

    def stop_all(self):
        for p in list(reversed(self.procs)):
            self.stop(p)

    def start_broker(self, rep):
        port = free_port()
        data = os.path.join(self.dir, f"mosquitto-{rep}")
        os.makedirs(data, exist_ok=True)
        conf = os.path.join(self.dir, f"mosquitto-{rep}.conf")
        text = mosquitto_conf(port, data).replace("allow_anonymous true", "allow_anonymous false")
        text += (f"password_file {os.path.join(self.dir, 'mosquitto.passwd')}\n"
                 f"acl_file {os.path.join(self.dir, 'mosquitto.acl')}\n")
        if self.args.broker_message_size_limit:
            # What-if: the broker itself drops messages over the limit (the tests' and the
            # demo's brokers set none).
            text += f"message_size_limit {self.args.broker_message_size_limit}\n"
        with open(conf, "w") as f:
            f.write(text)
        p = self.spawn(f"mosquitto-{rep}", ["mosquitto", "-c", conf])
        wait_for("the broker to listen", lambda: port_open(port), timeout=10)
        return p, f"tcp://127.0.0.1:{port}"

    def load_argv(self, mode, uri):
        a = self.args
        tool = os.path.join(self.bin, "bench_cloud_ingest")
        if mode == "publish":
            return [tool, "publish", "--uri", uri, "--devices", self.devices_file,
                    "--frames", str(a.frames), "--min-records", str(a.min_records),
                    "--max-records", str(a.max_records), "--timeout", str(a.timeout)]
        if mode == "junk":
            return [tool, "junk", "--uri", uri, "--devices", self.junk_devices_file,
                    "--hostile", JUNK_HOSTILE, "--stranger", JUNK_STRANGER,
                    "--known", self.devices_file, "--rate", str(a.junk_per_s),
                    "--max-frame-bytes", str(MAX_FRAME_BYTES)] + \
                (["--skip", a.junk_skip] if a.junk_skip else [])
        return [tool, "subscribe", "--uri", uri, "--user", SERVICE_USER,
                "--password", self.service_password, "--timeout", str(a.timeout)]

    def count_stored(self, store):
        """(records, distinct (device, seq)) the store holds, read back with `hoistway-admin
        device records`, which decodes the frames archive."""
        with open(self.devices_file) as f:
            devices = [line.split()[0] for line in f if line.strip()]
        stored, distinct = 0, 0
        for d in devices:
            done = subprocess.run([os.path.join(self.bin, "hoistway-admin"), "--store", store,
                                   "--json", "device", "records", d, "--limit", "10000000"],
                                  capture_output=True, text=True, timeout=120, check=True)
            seqs = [r["seq"] for r in json.loads(done.stdout)["records"]]
            stored += len(seqs)
            distinct += len(set(seqs))
        return stored, distinct

    # -- the two arms -----------------------------------------------------------------------
    def run_publisher(self, name, uri, wait_acks, at_t0):
        """Runs the measured publisher; calls at_t0() when it is about to take t0 (its frames
        encoded, its devices connected), where the other processes' CPU readings start."""
        argv = self.load_argv("publish", uri) + (["--wait-acks"] if wait_acks else [])
        pub = self.spawn(name, argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        out = read_until(pub, "cpu_before_t0_s")
        at_t0()
        out.update(read_until(pub, "done"))
        return pub, out

    def baseline(self, rep, checks=False):
        """The do-nothing subscriber's arm; with `checks`, the checks-only subscriber's (every
        frame through the ingest's verifier, on a copy of the template store, nothing stored)."""
        arm = "c" if checks else "b"
        broker, uri = self.start_broker(f"{arm}{rep}")
        try:
            expect = self.args.devices * self.args.frames
            extra = []
            if checks:
                store = os.path.join(self.dir, f"checks-{rep}.db")
                shutil.copyfile(self.template, store)
                extra = ["--check-store", store]
            sub = self.spawn(f"{'checks' if checks else 'null'}-subscriber-{rep}",
                             self.load_argv("subscribe", uri) +
                             ["--expect-frames", str(expect)] + extra,
                             stdout=subprocess.PIPE)
            read_until(sub, "subscribed")
            time.sleep(0.3)  # the subscription is made after the connect
            before = {}
            pub, out = self.run_publisher(
                f"publisher-{arm}{rep}", uri, wait_acks=False,
                at_t0=lambda: before.update(broker=cpu_seconds(broker.pid),
                                            subscriber=cpu_seconds(sub.pid)))
            got = read_until(sub, "t_last_ns")
            cpu = {"publisher": cpu_seconds(pub.pid), "broker": cpu_seconds(broker.pid),
                   "subscriber": cpu_seconds(sub.pid)}
            window = window_cpu(cpu, before, out)
            sub.wait(30)
            pub.stdin.close()
            pub.wait(30)
            self.stop(sub)
            self.stop(pub)
            records = int(out["records"])
            if "timeout" in got or int(got["frames"]) != expect:
                raise RuntimeError(f"subscriber got {got.get('frames')} of {expect} frames")
            if checks and (int(got["rejected"]) != 0 or int(got["checked_records"]) != records):
                raise RuntimeError(f"checks-only subscriber: {got['rejected']} frames rejected, "
                                   f"{got['checked_records']} of {records} records checked")
            seconds = (int(got["t_last_ns"]) - int(out["t0_ns"])) / 1e9
            return {"records": records, "seconds": seconds, "rate": records / seconds,
                    "frames": expect, "publish_s": (int(out["t_published_ns"]) -
                                                    int(out["t0_ns"])) / 1e9, "cpu": cpu,
                    "window": window}
        finally:
            self.stop(broker)

    def ingest(self, rep, junk=False):
        """The ingest arm; with `junk`, the same while the junk publisher runs beside it."""
        tag = f"{'j' if junk else 'i'}{rep}"
        broker, uri = self.start_broker(tag)
        store = os.path.join(self.dir, f"cloud-{tag}.db")
        shutil.copyfile(self.template, store)
        http_port = free_port()
        conf = os.path.join(self.dir, f"ingest-{tag}.toml")
        with open(conf, "w") as f:
            f.write("\n".join([
                "[mqtt]", f'uri = "{uri}"', f'client_id = "ingest-bench-{tag}"',
                f'username = "{SERVICE_USER}"', f'password = "{self.service_password}"',
                "[http]", f"port = {http_port}",
                "[store]", f'path = "{store}"',
                "[ingest]", f"max_batch_frames = {self.args.max_batch_frames}",
                f"max_frame_bytes = {MAX_FRAME_BYTES}", ""]))
        ingest = self.spawn(f"ingest-{tag}", [os.path.join(self.bin, "hoistway-ingest"),
                                              "--config", conf])
        junk_proc = None
        result = {}
        try:
            wait_for("the ingest to connect", lambda: http_status(http_port, "/healthz") == 200,
                     timeout=20)
            time.sleep(0.3)  # the subscription is made after the connect
            procs = {"broker": broker, "ingest": ingest}
            if junk:
                junk_proc = self.spawn(f"junk-{rep}", self.load_argv("junk", uri),
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                procs["junk"] = junk_proc
                read_until(junk_proc, "started")
                time.sleep(1.0)  # the junk flows at its pace before the measured load starts
            marks = {}

            def at_t0():
                marks["cpu"] = {k: cpu_seconds(p.pid) for k, p in procs.items()}
                marks["t_ns"] = time.monotonic_ns()
                marks["metrics"] = read_metrics(http_port)

            pub, out = self.run_publisher(f"publisher-{tag}", uri, wait_acks=True, at_t0=at_t0)
            cpu = {"publisher": cpu_seconds(pub.pid)}
            cpu.update({k: cpu_seconds(p.pid) for k, p in procs.items()})
            t1_ns = time.monotonic_ns()
            metrics = read_metrics(http_port)
            window = window_cpu(cpu, marks["cpu"], out)
            pub.stdin.close()
            pub.wait(30)
            self.stop(pub)
            if "t_acked_ns" not in out:
                raise RuntimeError(f"ingest arm: not every device was acknowledged: {out}")
            records = int(out["records"])
            seconds = (int(out["t_acked_ns"]) - int(out["t0_ns"])) / 1e9
            frames = self.args.devices * self.args.frames
            if junk:
                junk_proc.stdin.close()
                junk_out = read_until(junk_proc, "junk_done")
                junk_proc.wait(30)
                self.stop(junk_proc)
                final = wait_drained(http_port)
                result["junk"] = junk_report(
                    junk_out, marks, t1_ns, metrics, final, frames,
                    0 < self.args.broker_message_size_limit <= MAX_FRAME_BYTES)
        finally:
            if junk_proc is not None:
                self.stop(junk_proc)
            self.stop(ingest)
            self.stop(broker)
        stored, distinct = self.count_stored(store)
        if stored != records or distinct != records:
            raise RuntimeError(f"store holds {stored} records ({distinct} distinct), "
                               f"published {records}")
        tx = metrics.get("hoistway_store_transactions_total", 0)
        acks = metrics.get("hoistway_ack_latency_seconds_count", 0)
        result.update({"records": records, "frames": frames, "seconds": seconds,
                       "rate": records / seconds,
                       "transactions": int(tx),
                       "ack_latency_ms": 1000 * metrics.get("hoistway_ack_latency_seconds_sum", 0) /
                       max(acks, 1),
                       "stored_checked": stored, "cpu": cpu, "window": window})
        return result


REJECTED = "hoistway_frames_rejected_total"


def rejected_by_reason(metrics):
    """{reason: count} from hoistway_frames_rejected_total{reason="…"}."""
    out = {}
    for key, value in metrics.items():
        m = re.fullmatch(REJECTED + r'\{reason="([a-z_]+)"\}', key)
        if m:
            out[m.group(1)] = value
    return out


def wait_drained(port, timeout=60):
    """The ingest's metrics once it has taken every message the broker held for it: nothing
    queued, and no frame counted in the last second."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        m = read_metrics(port)
        if (last is not None and m.get("hoistway_frames_in_total") ==
                last.get("hoistway_frames_in_total") and m.get("hoistway_ingest_queue_depth") == 0):
            return m
        last = m
        time.sleep(1.0)
    log("warning: the ingest was still taking frames when the wait ended")
    return last


def junk_report(junk_out, marks, t1_ns, metrics, final, measured_frames, limited):
    """What the junk arm's junk did: published per kind (the junk publisher's own counts), and
    from the ingest's /metrics, the junk delivered per second inside the measured window, its
    rejections by reason and dead letters there, and, once everything has drained, whether every
    junk frame the broker could deliver arrived (the ACL drops those on foreign topics)."""
    kinds = {k[len("published_"):]: int(v) for k, v in junk_out.items()
             if k.startswith("published_")}
    refused = sum(int(v) for k, v in junk_out.items() if k.startswith("refused_"))
    m0 = marks["metrics"]
    window_s = (t1_ns - marks["t_ns"]) / 1e9
    r0, r1, rf = rejected_by_reason(m0), rejected_by_reason(metrics), rejected_by_reason(final)

    def delta(a, b, name):
        return b.get(name, 0) - a.get(name, 0)

    # Delivered in the window: the rejections. The rare junk frame accepted is counted over the
    # whole run only: in the window it would be the difference of two counters the writer
    # updates a moment after it publishes the acks the window ends on.
    rejected_w = {r: r1.get(r, 0) - r0.get(r, 0) for r in r1}
    delivered_w = sum(rejected_w.values())
    # Over the whole run: every junk frame that arrived was rejected, or accepted (a flipped bit
    # in padding leaves a frame that verifies); the measured frames were all accepted.
    arrived = sum(rf.values()) + final.get("hoistway_frames_accepted_total", 0) - measured_frames
    deliverable = sum(kinds.values()) - kinds.get("foreign-topic", 0)
    if limited:  # the broker drops every oversized frame (they all exceed its limit)
        deliverable -= kinds.get("oversized", 0)
    return {"kinds": kinds, "refused": refused, "published_per_s": float(junk_out["per_s"]),
            "max_lag_ms": float(junk_out["max_lag_ms"]), "window_s": window_s,
            "delivered_per_s": delivered_w / window_s, "rejected": rejected_w,
            "dead_letters": delta(m0, metrics, "hoistway_dead_letters_total"),
            "dead_letters_suppressed": delta(m0, metrics, "hoistway_dead_letters_suppressed_total"),
            "arrived": arrived, "deliverable": deliverable,
            "accepted_total": final.get("hoistway_frames_accepted_total", 0) - measured_frames}


def cpu_seconds(pid):
    """CPU time (user + system, all threads) a live process has used; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def window_cpu(cpu, before, out):
    """The CPU seconds each process used inside the measured window: the publisher's from its
    own figure at t0 (it encodes every frame and connects before), the others' from a reading
    taken before the publisher started (they idle until it does)."""
    start = dict(before, publisher=float(out["cpu_before_t0_s"]))
    return {k: (v - start[k]) if v is not None and start.get(k) is not None else None
            for k, v in cpu.items()}


def format_cpu(cpu):
    return ", ".join(f"{k} {v:.2f}" if v is not None else f"{k} ?" for k, v in cpu.items())


def read_until(proc, key, timeout=300):
    """Reads key=value lines from proc's stdout until `key` appears; returns them as a dict."""
    out = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{proc.args[0]} {proc.args[1]} ended (exit {proc.poll()}) "
                               f"before printing {key}: {out}")
        keys = []
        for field in line.decode().split():
            k, _, v = field.partition("=")
            out[k] = v
            keys.append(k)
        if key in keys:
            return out
    raise RuntimeError(f"timed out waiting for {key}")


def http_status(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status
    except Exception:  # noqa: BLE001 - not up yet, or degraded
        return None


def read_metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def format_junk(j):
    rejected = ", ".join(f"{r} {int(n)}" for r, n in sorted(j["rejected"].items()) if n)
    return (f"published {j['published_per_s']:.0f}/s (max lag {j['max_lag_ms']:.0f} ms, "
            f"{j['refused']} refused by the client); in the measured window "
            f"{j['delivered_per_s']:.0f}/s delivered to the ingest over {j['window_s']:.2f} s, "
            f"rejected by reason: {rejected}; dead letters kept "
            f"{int(j['dead_letters'])}, only counted {int(j['dead_letters_suppressed'])}; "
            f"whole run: {int(j['arrived'])} arrived of {j['deliverable']} deliverable, "
            f"{int(j['accepted_total'])} of them accepted "
            f"({j['kinds'].get('foreign-topic', 0)} more sent on foreign topics, for the ACL to "
            f"drop)")


def print_junk_summary(args, ing, jnk):
    clean = statistics.median(x["rate"] for x in ing)
    dirty = statistics.median(x["rate"] for x in jnk)
    paired = [j["rate"] / i["rate"] for i, j in zip(ing, jnk)]
    skipped = f" less the turns of {args.junk_skip}" if args.junk_skip else ""
    if args.broker_message_size_limit:
        skipped += f" (broker message_size_limit {args.broker_message_size_limit})"
    print(f"junk: {args.junk_per_s} junk frames/s asked{skipped}, evenly paced, on two "
          f"connections of their own; medians of {len(jnk)}")
    print(f"hoistway-ingest clean: {clean:,.0f} records/s; with junk: {dirty:,.0f} records/s")
    print(f"junk ratio {dirty / clean:.3f} (target >= {JUNK_TARGET}): "
          f"{'met' if dirty / clean >= JUNK_TARGET else 'not met'}; per repetition "
          f"{', '.join(f'{r:.3f}' for r in paired)}")
    js = [x["junk"] for x in jnk]
    print(f"junk published {statistics.median(j['published_per_s'] for j in js):,.0f}/s, "
          f"delivered to the ingest in the measured window "
          f"{statistics.median(j['delivered_per_s'] for j in js):,.0f}/s (medians)")
    reasons = sorted({r for j in js for r in j["rejected"]})
    print("rejected in the measured window, by reason (per repetition): " + "; ".join(
        f"{r} {'/'.join(str(int(j['rejected'].get(r, 0))) for j in js)}" for r in reasons
        if any(j["rejected"].get(r, 0) for j in js)))
    kept = ", ".join(f"{int(j['dead_letters'])}/{int(j['dead_letters_suppressed'])}" for j in js)
    print(f"dead letters kept / only counted in the window (per repetition): {kept}; junk frames "
          f"accepted (a flipped bit that left a valid frame), whole run: "
          f"{', '.join(str(int(j['accepted_total'])) for j in js)}")
    kinds = {}
    for j in js:
        for k, n in j["kinds"].items():
            kinds[k] = kinds.get(k, 0) + n
    print(f"junk published per kind, all repetitions: "
          f"{', '.join(f'{k} {n}' for k, n in kinds.items())}")
    missing = [int(j["deliverable"] - j["arrived"]) for j in js]
    verdict = "yes" if not any(missing) else (
        "NO: " + ", ".join(str(x) for x in missing) +
        " missing (negative: more arrived than was deliverable, so the ACL let some through)")
    print(f"every deliverable junk frame arrived and was rejected or accepted: {verdict}; "
          f"frames on foreign topics, dropped by the ACL: "
          f"{', '.join(str(j['kinds'].get('foreign-topic', 0)) for j in js)}")
    for arm, xs in (("clean", ing), ("with junk", jnk)):
        print(f"CPU s in the measured window, {arm} (medians): " + ", ".join(
            f"{k} {statistics.median(x['window'][k] for x in xs if x['window'][k] is not None):.2f}"
            for k in xs[0]["window"]))
    budgets = [junk_budget(i, j) for i, j in zip(ing, jnk)]
    if budgets and all(b is not None for b in budgets):
        med = {k: statistics.median(b[k] for b in budgets) for k in budgets[0]}
        print(f"CPU budget at the junk target (each repetition's pair, medians): at "
              f"{JUNK_TARGET} the junk arm may last the clean one's time / {JUNK_TARGET} = "
              f"{med['window_s']:.2f} s, {os.cpu_count()} cores x that = "
              f"{med['cores_cpu_s']:.2f} CPU s; less the publisher {med['publisher']:.2f}, the "
              f"broker {med['broker']:.2f} (of which the junk's {med['broker_junk']:.2f}) and the "
              f"junk publisher {med['junk']:.2f} = {med['budget']:.2f} CPU s for the ingest; it "
              f"needs {med['ingest']:.2f} (of which the junk's {med['ingest_junk']:.2f}). The "
              f"junk costs the ingest {med['ingest_us_per_junk']:.0f} us a frame (the live frames "
              f"{med['ingest_us_per_frame']:.0f} us)")


def junk_budget(clean, junk):
    """The CPU an ingest may use if the junk arm is to reach the target, on all the cores,
    beside what the others need: the publisher as in the clean arm, the broker as in the clean
    arm plus its junk share, and the junk publisher (both junk shares per second of the junk
    arm, for the shorter time). Beside it, what this ingest needs in that time."""
    c, j = clean["window"], junk["window"]
    if any(x.get(k) is None for x in (c, j) for k in ("publisher", "broker", "ingest")) or \
            j.get("junk") is None:
        return None
    window = clean["seconds"] / JUNK_TARGET
    per_s = window / junk["seconds"]
    broker_junk = (j["broker"] - c["broker"]) * per_s
    ingest_junk = (j["ingest"] - c["ingest"]) * per_s
    cores_cpu = os.cpu_count() * window
    delivered = junk["junk"]["delivered_per_s"] * junk["seconds"]
    return {"window_s": window, "cores_cpu_s": cores_cpu, "publisher": c["publisher"],
            "broker": c["broker"] + broker_junk, "broker_junk": broker_junk,
            "junk": j["junk"] * per_s,
            "budget": cores_cpu - c["publisher"] - c["broker"] - broker_junk - j["junk"] * per_s,
            "ingest": c["ingest"] + ingest_junk, "ingest_junk": ingest_junk,
            "ingest_us_per_junk": 1e6 * (j["ingest"] - c["ingest"]) / max(delivered, 1),
            "ingest_us_per_frame": 1e6 * c["ingest"] / clean["frames"]}


def junk_bench_fields(args, ing, jnk):
    if not jnk:
        return ""
    clean = statistics.median(x["rate"] for x in ing)
    dirty = statistics.median(x["rate"] for x in jnk)
    delivered = statistics.median(x["junk"]["delivered_per_s"] for x in jnk)
    budgets = [junk_budget(i, j) for i, j in zip(ing, jnk)]
    budget = ""
    if all(b is not None for b in budgets):
        budget = (f" junk_ingest_cpu_budget_s={statistics.median(b['budget'] for b in budgets):.3f}"
                  f" junk_ingest_cpu_need_s={statistics.median(b['ingest'] for b in budgets):.3f}")
    return (f" junk_per_s={args.junk_per_s} clean_records_per_s={clean:.0f} "
            f"junk_records_per_s={dirty:.0f} junk_ratio={dirty / clean:.3f} "
            f"junk_delivered_per_s={delivered:.0f} junk_target={JUNK_TARGET}" + budget +
            (f" junk_skip={args.junk_skip}" if args.junk_skip else "") +
            (f" broker_message_size_limit={args.broker_message_size_limit}"
             if args.broker_message_size_limit else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--frames", type=int, default=30, help="frames per device")
    parser.add_argument("--min-records", type=int, default=32)
    parser.add_argument("--max-records", type=int, default=256)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--max-batch-frames", type=int, default=512,
                        help="the ingest's [ingest] max_batch_frames")
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--junk-per-s", type=int, default=0,
                        help="also run the ingest arm with this many junk frames a second "
                             "mixed in (issue 13: 1000)")
    parser.add_argument("--junk-skip", default="",
                        help="junk kinds (comma-separated) whose turns pass unsent, the others "
                             "keeping their rates: to find what a kind costs")
    parser.add_argument("--broker-message-size-limit", type=int, default=0,
                        help="what-if: the broker's message_size_limit (default: none, as the "
                             "tests and the demo run it)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    bench = Bench(args)
    ok = False
    try:
        bench.provision()
        base, chk, ing, jnk = [], [], [], []
        loads = []
        for rep in range(args.reps):
            loads.append(os.getloadavg()[0])
            b = bench.baseline(rep)
            base.append(b)
            log(f"rep {rep + 1}: baseline {b['rate']:,.0f} records/s ({b['frames']} frames, "
                f"{b['records']} records in {b['seconds']:.2f} s; publishing took "
                f"{b['publish_s']:.2f} s; CPU s in the window: {format_cpu(b['window'])})")
            c = bench.baseline(rep, checks=True)
            chk.append(c)
            log(f"rep {rep + 1}: checks   {c['rate']:,.0f} records/s ({c['records']} records "
                f"checked in {c['seconds']:.2f} s; CPU s in the window: {format_cpu(c['window'])})")
            # Clean and junk take turns going first, so that neither always meets the machine
            # a few seconds later than the other.
            arms = [False]
            if args.junk_per_s > 0:
                arms = [False, True] if rep % 2 == 0 else [True, False]
            for junk in arms:
                i = bench.ingest(rep, junk=junk)
                (jnk if junk else ing).append(i)
                log(f"rep {rep + 1}: {'ingest+junk' if junk else 'ingest  '} {i['rate']:,.0f} "
                    f"records/s ({i['records']} records stored and acked in {i['seconds']:.2f} s; "
                    f"{i['transactions']} transactions, mean ack latency "
                    f"{i['ack_latency_ms']:.0f} ms; store checked: {i['stored_checked']} records, "
                    f"none missing or twice; CPU s in the window: {format_cpu(i['window'])})")
                if junk:
                    log(f"rep {rep + 1}: junk: {format_junk(i['junk'])}")
        loads.append(os.getloadavg()[0])
        b_rate = statistics.median(x["rate"] for x in base)
        i_rate = statistics.median(x["rate"] for x in ing)
        c_rate = statistics.median(x["rate"] for x in chk)
        ratio = i_rate / b_rate
        print(f"load: {args.devices} devices x {args.frames} frames of {args.min_records}-"
              f"{args.max_records} records = {base[0]['records']} records, QoS 1; "
              f"medians of {args.reps}")
        print(f"baseline (do-nothing subscriber): {b_rate:,.0f} records/s delivered")
        print(f"checks only (the ingest's verifier, nothing stored): {c_rate:,.0f} records/s "
              f"checked: ratio {c_rate / b_rate:.3f} (the checks on one thread, as the ingest runs "
              f"them)")
        # What the machine leaves an ingest at the target: the ingest arm may last 1/TARGET of
        # the baseline's time on all the cores, less what the publisher and the broker need
        # (as in the baseline arm) in that time.
        cores = os.cpu_count()
        b_med = statistics.median(x["seconds"] for x in base)
        others = statistics.median(x["window"]["publisher"] + x["window"]["broker"]
                                   for x in base)
        budget = cores * b_med / TARGET - others
        c_cpu = statistics.median(x["window"]["subscriber"] for x in chk)
        i_cpu = statistics.median(x["window"]["ingest"] for x in ing)
        print(f"CPU budget at the target: {cores} cores x {b_med:.3f} s / {TARGET} - "
              f"{others:.2f} s (publisher and broker) = {budget:.2f} CPU s for the ingest; "
              f"the checks alone used {c_cpu:.2f}, hoistway-ingest {i_cpu:.2f}")
        print(f"hoistway-ingest: {i_rate:,.0f} records/s stored and acknowledged "
              f"({i_rate / c_rate:.3f} of the checks-only rate)")
        print(f"ratio {ratio:.3f} (target >= {TARGET}): "
              f"{'met' if ratio >= TARGET else 'not met'}")
        if jnk:
            print_junk_summary(args, ing, jnk)
        print(f"load average (1 min) at the start of each repetition, then at the end: "
              f"{', '.join(f'{x:.2f}' for x in loads)} ({os.cpu_count()} cores)")
        print(f"BENCH cloud_ingest date={datetime.date.today().isoformat()} "
              f"host={platform.node()} cpus={os.cpu_count()} devices={args.devices} "
              f"frames={args.frames} records={base[0]['records']} "
              f"baseline_records_per_s={b_rate:.0f} checks_records_per_s={c_rate:.0f} "
              f"ingest_records_per_s={i_rate:.0f} checks_ratio={c_rate / b_rate:.3f} "
              f"ingest_cpu_budget_s={budget:.3f} checks_cpu_s={c_cpu:.3f} ingest_cpu_s={i_cpu:.3f} "
              f"ratio={ratio:.3f} target={TARGET}" + junk_bench_fields(args, ing, jnk) +
              f" loadavg={statistics.median(loads):.2f}")
        ok = True
    finally:
        bench.stop_all()
        if ok and not args.keep:
            shutil.rmtree(bench.dir, ignore_errors=True)
        else:
            log(f"(files kept in {bench.dir})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

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
Medians over the repetitions. Times are CLOCK_MONOTONIC, shared by the processes. Each arm also
prints the CPU seconds its publisher, broker and subscriber (or ingest) used inside the measured
window: on a small machine the three share the cores, so the ratio is as much about the ingest's
CPU per record as about its latency. From those it prints the CPU budget an ingest has at the
target (all cores for 1/0.8 of the baseline's time, less the publisher's and the broker's CPU)
beside what the checks alone and hoistway-ingest used.

Usage: bench/cloud_ingest.py --bin build/bin [--devices 100] [--frames 30] [--reps 3]
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
SERVICE_USER = "hoistway-ingest"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = os.path.abspath(args.bin)
        self.dir = tempfile.mkdtemp(prefix="hoistway-bench-ingest-")
        self.template = os.path.join(self.dir, "template.db")
        self.devices_file = os.path.join(self.dir, "devices.txt")
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
        pw_file = os.path.join(self.dir, "service.password")
        with open(pw_file, "w") as f:
            f.write(self.service_password + "\n")
        self.admin("broker", "write", "--password-file", os.path.join(self.dir, "mosquitto.passwd"),
                   "--acl-file", os.path.join(self.dir, "mosquitto.acl"),
                   "--service-user", SERVICE_USER, "--service-password-file", pw_file)
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
    def run_publisher(self, name, uri, wait_acks):
        argv = self.load_argv("publish", uri) + (["--wait-acks"] if wait_acks else [])
        pub = self.spawn(name, argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        out = read_until(pub, "done")
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
            before = {"broker": cpu_seconds(broker.pid), "subscriber": cpu_seconds(sub.pid)}
            pub, out = self.run_publisher(f"publisher-{arm}{rep}", uri, wait_acks=False)
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

    def ingest(self, rep):
        broker, uri = self.start_broker(f"i{rep}")
        store = os.path.join(self.dir, f"cloud-{rep}.db")
        shutil.copyfile(self.template, store)
        http_port = free_port()
        conf = os.path.join(self.dir, f"ingest-{rep}.toml")
        with open(conf, "w") as f:
            f.write("\n".join([
                "[mqtt]", f'uri = "{uri}"', f'client_id = "ingest-bench-{rep}"',
                f'username = "{SERVICE_USER}"', f'password = "{self.service_password}"',
                "[http]", f"port = {http_port}",
                "[store]", f'path = "{store}"',
                "[ingest]", f"max_batch_frames = {self.args.max_batch_frames}", ""]))
        ingest = self.spawn(f"ingest-{rep}", [os.path.join(self.bin, "hoistway-ingest"),
                                              "--config", conf])
        try:
            wait_for("the ingest to connect", lambda: http_status(http_port, "/healthz") == 200,
                     timeout=20)
            time.sleep(0.3)  # the subscription is made after the connect
            before = {"broker": cpu_seconds(broker.pid), "ingest": cpu_seconds(ingest.pid)}
            pub, out = self.run_publisher(f"publisher-i{rep}", uri, wait_acks=True)
            cpu = {"publisher": cpu_seconds(pub.pid), "broker": cpu_seconds(broker.pid),
                   "ingest": cpu_seconds(ingest.pid)}
            window = window_cpu(cpu, before, out)
            metrics = read_metrics(http_port)
            pub.stdin.close()
            pub.wait(30)
            self.stop(pub)
            if "t_acked_ns" not in out:
                raise RuntimeError(f"ingest arm: not every device was acknowledged: {out}")
            records = int(out["records"])
            seconds = (int(out["t_acked_ns"]) - int(out["t0_ns"])) / 1e9
        finally:
            self.stop(ingest)
            self.stop(broker)
        stored, distinct = self.count_stored(store)
        if stored != records or distinct != records:
            raise RuntimeError(f"store holds {stored} records ({distinct} distinct), "
                               f"published {records}")
        tx = metrics.get("hoistway_store_transactions_total", 0)
        acks = metrics.get("hoistway_ack_latency_seconds_count", 0)
        return {"records": records, "seconds": seconds, "rate": records / seconds,
                "transactions": int(tx),
                "ack_latency_ms": 1000 * metrics.get("hoistway_ack_latency_seconds_sum", 0) /
                max(acks, 1),
                "stored_checked": stored, "cpu": cpu, "window": window}


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
        m = re.match(r"^([a-z_]+) ([0-9.e+-]+)$", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


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
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    bench = Bench(args)
    ok = False
    try:
        bench.provision()
        base, chk, ing = [], [], []
        for rep in range(args.reps):
            b = bench.baseline(rep)
            base.append(b)
            log(f"rep {rep + 1}: baseline {b['rate']:,.0f} records/s ({b['frames']} frames, "
                f"{b['records']} records in {b['seconds']:.2f} s; publishing took "
                f"{b['publish_s']:.2f} s; CPU s in the window: {format_cpu(b['window'])})")
            c = bench.baseline(rep, checks=True)
            chk.append(c)
            log(f"rep {rep + 1}: checks   {c['rate']:,.0f} records/s ({c['records']} records "
                f"checked in {c['seconds']:.2f} s; CPU s in the window: {format_cpu(c['window'])})")
            i = bench.ingest(rep)
            ing.append(i)
            log(f"rep {rep + 1}: ingest   {i['rate']:,.0f} records/s ({i['records']} records "
                f"stored and acked in {i['seconds']:.2f} s; {i['transactions']} transactions, "
                f"mean ack latency {i['ack_latency_ms']:.0f} ms; store checked: "
                f"{i['stored_checked']} records, none missing or twice; CPU s in the window: "
                f"{format_cpu(i['window'])})")
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
        print(f"BENCH cloud_ingest date={datetime.date.today().isoformat()} "
              f"host={platform.node()} cpus={os.cpu_count()} devices={args.devices} "
              f"frames={args.frames} records={base[0]['records']} "
              f"baseline_records_per_s={b_rate:.0f} checks_records_per_s={c_rate:.0f} "
              f"ingest_records_per_s={i_rate:.0f} checks_ratio={c_rate / b_rate:.3f} "
              f"ingest_cpu_budget_s={budget:.3f} checks_cpu_s={c_cpu:.3f} ingest_cpu_s={i_cpu:.3f} "
              f"ratio={ratio:.3f} target={TARGET}")
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

"""Integration harness: starts real Hoistway processes (Mosquitto, hoistway-ingest, hoistway-sim,
hoistway-agent) on loopback in a private temporary directory, and stops every one of them.

Used by the numbered scenarios beside it (tests/integration/NN_name.py), in the manner of
mosquitto's test/broker/NN-*.py: each scenario is a plain script that exits non-zero on failure.
"""

import contextlib
import hashlib
import hmac
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait_for(what, predicate, timeout=30.0, interval=0.1):
    """Polls predicate() until it returns a truthy value; returns it, or fails after timeout."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - a failing poll is retried until the deadline
            last_error = e
        time.sleep(interval)
    raise Failure(f"timed out after {timeout}s waiting for {what}" +
                  (f" (last error: {last_error})" if last_error else ""))


class Process:
    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)

    def alive(self):
        return self.proc.poll() is None

    def signal(self, signo):
        if self.alive():
            self.proc.send_signal(signo)

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL; returns the exit code."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""


class System:
    """One Hoistway installation in a temporary directory."""

    def __init__(self, bin_dir, name="it"):
        self.bin = bin_dir
        self.dir = tempfile.mkdtemp(prefix=f"hoistway-{name}-")
        self.processes = []
        self.mqtt_port = None
        self.http_port = None
        self.devices = {}

    # -- processes --------------------------------------------------------------------------
    def start(self, name, argv, env=None):
        p = Process(name, argv, os.path.join(self.dir, f"{name}.log"), env)
        self.processes.append(p)
        return p

    def start_broker(self, port=None):
        self.mqtt_port = port or self.mqtt_port or free_port()
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(mosquitto_conf(self.mqtt_port, os.path.join(self.dir, "mosquitto-data")))
        os.makedirs(os.path.join(self.dir, "mosquitto-data"), exist_ok=True)
        broker = self.start("mosquitto", ["mosquitto", "-c", conf])
        wait_for("the broker to listen", lambda: port_open(self.mqtt_port), timeout=10)
        return broker

    def add_device(self, device_id, units, customer="it-customer", monitored=True):
        self.devices[device_id] = {"key": secrets.token_hex(32), "units": units,
                                   "customer": customer, "monitored": monitored}

    def admin(self, *args, check_exit=True):
        """Runs hoistway-admin --json against this system's store; returns (exit code, JSON)."""
        argv = [os.path.join(self.bin, "hoistway-admin"), "--store",
                os.path.join(self.dir, "cloud.db"), "--json", *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if check_exit and done.returncode != 0:
            raise Failure(f"{' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
        try:
            return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None
        except json.JSONDecodeError:
            return done.returncode, None

    def records(self, device, after=0):
        """The device's records as the cloud store holds them (`hoistway-admin device records`):
        dicts with seq, car, kind, wall_ms, mono_ms, boot, received_ms, body; in seq order."""
        _, out = self.admin("device", "records", device, "--after", str(after),
                            "--limit", "10000000")
        return out["records"]

    def provision(self):
        """Registers every added device with hoistway-admin: its customer, a building, the units
        (one per car), monitoring contracts, and one API key per customer (self.tokens)."""
        self.tokens = getattr(self, "tokens", {})
        customers = {d["customer"] for d in self.devices.values()}
        for customer in sorted(customers):
            if customer in self.tokens:
                continue
            self.admin("customer", "add", customer, "--name", f"{customer} Ltd.")
            self.admin("building", "add", f"{customer}-hq", "--customer", customer,
                       "--name", "Head office", "--address", "1-1 Marunouchi, Tokyo")
            _, key = self.admin("api-key", "create", "--customer", customer, "--label", "tests")
            self.tokens[customer] = key["token"]
        for device_id, d in self.devices.items():
            if d.get("provisioned"):
                continue
            self.admin("device", "add", device_id, "--key-hex", d["key"])
            for car, unit in enumerate(d["units"]):
                self.admin("unit", "add", unit, "--device", device_id, "--car", str(car),
                           "--building", f"{d['customer']}-hq", "--name", f"Car {car + 1}")
                if d["monitored"]:
                    self.admin("contract", "add", "--unit", unit)
            d["provisioned"] = True

    def write_ingest_config(self, extra=""):
        self.http_port = self.http_port or free_port()
        path = os.path.join(self.dir, "ingest.toml")
        lines = [
            "[mqtt]",
            f'uri = "tcp://127.0.0.1:{self.mqtt_port}"',
            'client_id = "ingest-it"',
            "[http]",
            f"port = {self.http_port}",
            "[store]",
            f'path = "{os.path.join(self.dir, "cloud.db")}"',
            extra,
        ]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start_ingest(self):
        path = os.path.join(self.dir, "ingest.toml")
        if not os.path.exists(path):
            self.write_ingest_config()
        self.provision()
        p = self.start("ingest", [os.path.join(self.bin, "hoistway-ingest"), "--config", path])
        wait_for("the ingest to serve HTTP", lambda: self.http_ok("/healthz"), timeout=20)
        return p

    def start_sim(self, building="demo-office.toml", seed=1, speedup="1", name="sim", extra=()):
        sock = os.path.join(self.dir, f"{name}.sock")
        argv = [os.path.join(self.bin, "hoistway-sim"),
                "--building", os.path.join(SOURCE, "firmware-sim", "buildings", building),
                "--socket", sock, "--seed", str(seed), "--speedup", str(speedup), *extra]
        p = self.start(name, argv)
        wait_for("the simulator socket", lambda: os.path.exists(sock), timeout=10)
        return p, sock

    def write_agent_config(self, device_id, controller_socket, extra=""):
        path = os.path.join(self.dir, f"agent-{device_id}.toml")
        with open(path, "w") as f:
            f.write("\n".join([
                f'device_id = "{device_id}"',
                "[controller]",
                f'socket = "{controller_socket}"',
                "[mqtt]",
                f'uri = "tcp://127.0.0.1:{self.mqtt_port}"',
                "reconnect_min_ms = 100",
                "reconnect_max_ms = 1000",
                "[security]",
                "key_id = 1",
                f'key_hex = "{self.devices[device_id]["key"]}"',
                "[outbox]",
                f'path = "{os.path.join(self.dir, f"outbox-{device_id}.db")}"',
                # The technician CLI's socket, unless the caller configures [cli] itself.
                "" if "[cli]" in extra else "[cli]",
                "" if "[cli]" in extra else
                f'socket = "{os.path.join(self.dir, f"hoistctl-{device_id}.sock")}"',
                extra,
            ]) + "\n")
        return path

    def start_agent(self, device_id, controller_socket, extra=""):
        path = os.path.join(self.dir, f"agent-{device_id}.toml")
        if not os.path.exists(path):
            self.write_agent_config(device_id, controller_socket, extra)
        return self.start(f"agent-{device_id}",
                          [os.path.join(self.bin, "hoistway-agent"), "--config", path])

    # -- the technician CLI -----------------------------------------------------------------
    def hoistctl(self, *args, socket=None, timeout=120, json_out=True):
        """Runs hoistctl against an agent's CLI socket (default: agent.sock in this system's
        directory). With json_out (--json): (exit code, the parsed answer or None, stderr);
        otherwise (exit code, stdout, stderr)."""
        sock = socket or os.path.join(self.dir, "agent.sock")
        argv = [os.path.join(self.bin, "hoistctl"), "--socket", sock, *(("--json",) if json_out
                                                                        else ()), *args]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if not json_out:
            return p.returncode, p.stdout, p.stderr
        return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else None), p.stderr

    def hoistctl_ok(self, *args, socket=None, timeout=120):
        """hoistctl --json that must succeed; returns its answer."""
        code, answer, err = self.hoistctl(*args, socket=socket, timeout=timeout)
        check(code == 0, f"hoistctl {' '.join(args)} exited {code}: {err}")
        return answer

    # -- HTTP -------------------------------------------------------------------------------
    def http(self, path, method="GET", body=None, headers=None, customer="it-customer"):
        """An HTTP request; /api/v1 requests carry the customer's API key unless headers say
        otherwise."""
        headers = dict(headers or {})
        tokens = getattr(self, "tokens", {})
        if path.startswith("/api/v1/") and "Authorization" not in headers and customer in tokens:
            headers["Authorization"] = f"Bearer {tokens[customer]}"
        req = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}", method=method,
                                     data=body, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def http_ok(self, path):
        status, _, _ = self.http(path)
        return status == 200

    def metric(self, name, labels=""):
        """A value from the ingest's /metrics (labels as written there, e.g. '{reason="x"}');
        0.0 when the series is absent."""
        text = self.http("/metrics")[2].decode()
        for line in text.splitlines():
            if line.startswith(name + labels + " "):
                return float(line.split()[-1])
        return 0.0

    def get_json(self, path, customer="it-customer"):
        status, _, body = self.http(path, customer=customer)
        check(status == 200, f"GET {path} answered {status}: {body[:200]!r}")
        return json.loads(body)

    # -- teardown ---------------------------------------------------------------------------
    def stop_all(self):
        for p in reversed(self.processes):
            p.stop()

    def report(self):
        for p in self.processes:
            print(f"----- {p.name} ({' '.join(p.argv)}) -----\n{p.tail()}", file=sys.stderr)



class SseStream:
    """A minimal EventSource on /api/v1/stream, read in a thread: the HTTP status and headers,
    every event as {"event", "id" (if any), "data" (JSON, else the text)}, and whether the server
    ended the stream. `last_event_id` resumes, as a browser's EventSource does."""

    def __init__(self, port, token, last_event_id=None, timeout=60):
        self.events = []
        self.status = None
        self.headers = ""
        self.ended = threading.Event()
        self.lock = threading.Lock()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        headers = f"Authorization: Bearer {token}\r\n"
        if last_event_id is not None:
            headers += f"Last-Event-ID: {last_event_id}\r\n"
        self.sock.sendall(f"GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
                if self.status is None and b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    lines = head.decode(errors="replace").split("\r\n")
                    self.headers = "\n".join(lines[1:])
                    self.status = int(lines[0].split()[1])
                # Chunk-size lines are hex digits alone on a line: drop them with the blank ones.
                while b"\n\n" in buf:
                    block, buf = buf.split(b"\n\n", 1)
                    event = {}
                    for line in block.decode(errors="replace").splitlines():
                        if line.startswith("id: "):
                            event["id"] = int(line[4:])
                        elif line.startswith("event: "):
                            event["event"] = line[7:]
                        elif line.startswith("data: "):
                            try:
                                event["data"] = json.loads(line[6:])
                            except ValueError:
                                event["data"] = line[6:]
                    if "event" in event:
                        with self.lock:
                            self.events.append(event)
        except OSError:
            pass
        self.ended.set()

    def snapshot(self):
        """Every event so far (a copy)."""
        with self.lock:
            return list(self.events)

    def numbered(self):
        """The events with an id (the bus's status and alert records), in order."""
        return [e for e in self.snapshot() if "id" in e]

    def of_unit(self, unit):
        return [e for e in self.numbered() if isinstance(e.get("data"), dict)
                and e["data"].get("unit_id") == unit]

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def purpose_key(key_hex, purpose):
    """The key a device key derives for one kind of signed message (crypto::purpose_key):
    purpose is "stored-ack", "presence", "command" or "command-result"."""
    return hmac.new(bytes.fromhex(key_hex), f"hoistway/v1 {purpose}".encode(),
                    hashlib.sha256).digest()


def signed_message(key_hex, body, purpose, key_id=1, version=2):
    """A signed control message (common/downlink.hpp): {"v","key_id","body","mac"}."""
    mac = hmac.new(purpose_key(key_hex, purpose), body.encode(), hashlib.sha256).hexdigest()
    return json.dumps({"v": version, "key_id": key_id, "body": body, "mac": mac})


def port_open(port):
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def mosquitto_conf(port, data_dir):
    # Queue and in-flight limits set deliberately (shared/MEASURED.md): mosquitto's defaults drop
    # QoS 1 messages for a subscriber that falls behind.
    return "\n".join([
        "per_listener_settings false",
        f"user {pwd.getpwuid(os.getuid()).pw_name}",
        f"listener {port} 127.0.0.1",
        "allow_anonymous true",
        "persistence true",
        f"persistence_location {data_dir}/",
        "autosave_interval 30",
        "max_inflight_messages 100",
        "max_queued_messages 100000",
        "max_queued_bytes 0",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "",
    ])


def run(scenario, bin_dir, name):
    """Runs scenario(system), reporting process logs on failure; returns the exit code."""
    system = System(bin_dir, name)
    ok = False
    try:
        scenario(system)
        ok = True
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
    finally:
        system.stop_all()
        if not ok:
            system.report()
            print(f"(files kept in {system.dir})", file=sys.stderr)
        else:
            shutil.rmtree(system.dir, ignore_errors=True)
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    return 0 if ok else 1

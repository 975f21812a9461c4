#!/usr/bin/env python3
"""02 demo: the real scripts/demo, on free ports and in a temporary directory, runs as production
would. It comes up (every unit has a floor); every file it wrote is private (0600, directories
0700) and no secret (device keys, MQTT passwords, the API key) appears in a log, in its output or
on any process's command line; the broker refuses anonymous clients and wrong passwords; a device's
credentials can neither publish under another device's topics nor read its acks; the broker and
the ingest, killed with SIGKILL, are restarted by the demo (logged and counted), statuses keep
updating and the agents' outboxes drain (everything recorded before the kill is acknowledged);
SIGTERM to the demo stops every process it started. Beside it, hoistway-admin's secret handling:
a key from standard input, --secrets-out, a key file open to others refused."""

import argparse
import json
import os
import signal
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SOURCE, Failure, check, free_port, run, wait_for  # noqa: E402

DEVICES = ["demo-office", "demo-tower"]
UNITS = ["OFFICE-1", "OFFICE-2", "TOWER-1", "TOWER-2"]


class Demo:
    def __init__(self, system):
        self.system = system
        self.dir = os.path.join(system.dir, "demo")
        self.mqtt_port, self.http_port, self.smtp_port = free_port(), free_port(), free_port()
        self.run = os.path.join(self.dir, f"run-{self.http_port}")
        env = dict(os.environ,
                   HOISTWAY_MQTT_PORT=str(self.mqtt_port),
                   HOISTWAY_HTTP_PORT=str(self.http_port),
                   HOISTWAY_SMTP_PORT=str(self.smtp_port),
                   HOISTWAY_SPEEDUP="4",
                   HOISTWAY_DEMO_DIR=self.dir,
                   HOISTWAY_DEMO_BIN=system.bin)
        self.process = system.start("demo", ["bash", os.path.join(SOURCE, "scripts", "demo")],
                                    env=env)
        self.session = self.process.proc.pid  # start_new_session: the demo leads its session

    def output(self):
        with open(self.process.log_path, errors="replace") as f:
            return f.read()

    def read(self, name):
        with open(os.path.join(self.run, name)) as f:
            return f.read().strip()

    def supervisor_log(self):
        try:
            with open(os.path.join(self.run, "logs", "supervisor.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # -- HTTP with the demo's API key --------------------------------------------------------
    def get(self, path):
        import urllib.request
        req = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}",
                                     headers={"Authorization": f"Bearer {self.read('api-key')}"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def healthy(self):
        import urllib.request
        try:
            url = f"http://127.0.0.1:{self.http_port}/healthz"
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    # -- the agents' view, through hoistctl ---------------------------------------------------
    def agent(self, device, *args):
        sock = os.path.join(self.run, f"hoistctl-{device}.sock")
        code, answer, err = self.system.hoistctl(*args, socket=sock, timeout=30)
        check(code == 0, f"hoistctl {' '.join(args)} ({device}) exited {code}: {err}")
        return answer

    # -- processes ----------------------------------------------------------------------------
    def session_pids(self):
        """Every process still in the demo's session (the demo, its supervisors, their
        children, each in a process group of its own): none of them calls setsid."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == self.session and fields[0] != "Z":
                pids.append(int(entry))
        return pids

    def pid_of(self, needle):
        """The pid of the one process of the demo whose command line contains needle."""
        found = []
        for pid in self.session_pids():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv and os.path.basename(argv[0].decode(errors="replace")) in ("bash", "sh"):
                continue  # the demo and its supervisors carry the demo's own command line
            if needle.encode() in b" ".join(argv):
                found.append(pid)
        check(len(found) == 1, f"one process with {needle!r} in its command line, found {found}")
        return found[0]


def command_line(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f"{pid}: " + f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return f"{pid}: (gone)"


def mqtt_env(system, user, password):
    """An environment whose mosquitto_pub/sub read -u/-P from a private config file, so the test,
    too, keeps passwords off command lines."""
    xdg = os.path.join(system.dir, f"xdg-{user or 'anonymous'}")
    os.makedirs(xdg, mode=0o700, exist_ok=True)
    for tool in ("mosquitto_pub", "mosquitto_sub"):
        path = os.path.join(xdg, tool)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            if user:
                f.write(f"-u {user}\n-P {password}\n")
    return dict(os.environ, XDG_CONFIG_HOME=xdg)


def check_private_files(demo):
    """Every directory the demo made is 0700 and every file 0600 (umask 077), secrets included;
    the listed secret files exist."""
    expected = ["credentials.json", "api-key", "api-header", "ingest-mqtt-password",
                "ingest.toml", "mosquitto.passwd", "mosquitto.acl", "mosquitto.conf", "cloud.db"]
    for d in DEVICES:
        expected += [f"secrets-{d}.json", f"{d}.key", f"{d}.mqtt-password", f"agent-{d}.toml"]
    for name in expected:
        check(os.path.isfile(os.path.join(demo.run, name)), f"the demo wrote {name}")
    check(os.path.isfile(os.path.join(demo.dir, "credentials.json")), "top-level credentials.json")
    loose = []
    files = 0
    for base, dirs, names in os.walk(demo.dir):
        for name in dirs:
            mode = stat.S_IMODE(os.lstat(os.path.join(base, name)).st_mode)
            if mode & 0o077:
                loose.append(f"{os.path.join(base, name)} {oct(mode)}")
        for name in names:
            st = os.lstat(os.path.join(base, name))
            if not stat.S_ISREG(st.st_mode):
                continue  # the CLI's sockets are 0660 by design (the technicians' group)
            files += 1
            if stat.S_IMODE(st.st_mode) & 0o077:
                loose.append(f"{os.path.join(base, name)} {oct(stat.S_IMODE(st.st_mode))}")
    check(not loose, f"files or directories open to group or others: {loose}")
    return files


def secrets_of(demo):
    """Every secret the demo holds, by what it is."""
    out = {"api key": demo.read("api-key"),
           "ingest MQTT password": demo.read("ingest-mqtt-password")}
    for d in DEVICES:
        with open(os.path.join(demo.run, f"secrets-{d}.json")) as f:
            s = json.load(f)
        check(demo.read(f"{d}.key") == s["key_hex"], f"{d}.key holds the registry's key")
        check(demo.read(f"{d}.mqtt-password") == s["mqtt_password"], f"{d}'s MQTT password file")
        out[f"{d} key"] = s["key_hex"]
        out[f"{d} MQTT password"] = s["mqtt_password"]
    for what, value in out.items():
        check(len(value) >= 20, f"{what} looks like a secret")
    return out


def check_no_secret_leaks(demo, secrets):
    """No secret in any log file, in the demo's own output or on any command line."""
    texts = {"demo output": demo.output()}
    logs = os.path.join(demo.run, "logs")
    for name in os.listdir(logs):
        with open(os.path.join(logs, name), "rb") as f:
            texts[f"logs/{name}"] = f.read().decode(errors="replace")
    check(len(texts) >= 8, f"logs of every process: {sorted(texts)}")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    texts[f"command line of pid {entry}"] = f.read().decode(errors="replace")
            except OSError:
                pass
    leaks = [f"{what} in {where}" for where, text in texts.items()
             for what, value in secrets.items() if value in text or value.upper() in text]
    check(not leaks, f"secrets leaked: {leaks}")


def check_broker_refusals(demo, secrets):
    port = str(demo.mqtt_port)
    sub = ["mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", "#", "-C", "1", "-W", "3"]
    wrong = mqtt_env(demo.system, "demo-office", "not-the-password")
    for who, env in (("anonymous", mqtt_env(demo.system, "", "")), ("a wrong password", wrong)):
        p = subprocess.run(sub, capture_output=True, text=True, timeout=10, env=env)
        check(p.returncode != 0 and "not authorised" in p.stderr,
              f"{who} refused: exit {p.returncode}, {p.stderr.strip()!r}")

    office = mqtt_env(demo.system, "demo-office", secrets["demo-office MQTT password"])
    tower = mqtt_env(demo.system, "demo-tower", secrets["demo-tower MQTT password"])
    service = mqtt_env(demo.system, "hoistway-ingest", secrets["ingest MQTT password"])
    marker = "forged-by-demo-office"
    # Watchers: the service user sees what reaches the tower's up-link and state topics; the office
    # tries to read every device's acks; the tower reads its own (proof that acks flowed).
    watch = {
        "service": subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-V", "mqttv5", "-F", "%t %x",
             "-t", "hoistway/v1/dev/demo-tower/up", "-t", "hoistway/v1/dev/demo-tower/state",
             "-W", "12"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=service),
        "office": subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-F", "%t", "-t",
             "hoistway/v1/dev/+/ack", "-t", "hoistway/v1/dev/demo-tower/cmd", "-W", "12"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=office),
        "tower": subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-F", "%t", "-t",
             "hoistway/v1/dev/demo-tower/ack", "-t", "hoistway/v1/dev/demo-tower/cmd", "-W", "12"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=tower),
    }
    time.sleep(1.5)
    for leaf in ("up", "state", "cmd_result", "ack", "cmd"):
        p = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-V", "mqttv5",
                            "-q", "1", "-t", f"hoistway/v1/dev/demo-tower/{leaf}", "-m", marker],
                           capture_output=True, text=True, timeout=10, env=office)
        check("Not authorized" in p.stderr,
              f"the broker refuses demo-office's publish on demo-tower/{leaf}: {p.stderr!r}")
    # Traffic the office must not see: a signed command to the tower (snapshot), whose records
    # the ingest then acknowledges to the tower.
    p = subprocess.run([os.path.join(demo.system.bin, "hoistway-admin"), "--config",
                        os.path.join(demo.run, "ingest.toml"), "--json", "device", "command",
                        "demo-tower", "snapshot", "--wait", "8"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, f"the snapshot command to the tower: {p.returncode} {p.stderr}")
    done = {name: w.communicate(timeout=30) for name, w in watch.items()}
    seen = {name: out for name, (out, _) in done.items()}
    for name, (_, err) in done.items():
        # Logged in: the refusals above are the ACL's, not a failed login.
        check("refused" not in err.lower(), f"the {name} watcher connected: {err!r}")
    check(" " in seen["service"], f"the service user saw the tower's traffic: {seen['service']!r}")
    check(marker.encode().hex() not in seen["service"],
          "a forged message reached the tower's topics")
    tower_topics = seen["tower"].split()
    check("hoistway/v1/dev/demo-tower/cmd" in tower_topics and
          "hoistway/v1/dev/demo-tower/ack" in tower_topics,
          f"the tower read its command and acks while the office watched: {tower_topics}")
    office_topics = set(seen["office"].split())
    check(office_topics <= {"hoistway/v1/dev/demo-office/ack"},
          f"demo-office read only its own acks, got {office_topics}")
    return len(tower_topics)


def check_admin_secrets(system):
    """hoistway-admin takes a key from standard input or a private file, never needs it on the
    command line, and with --secrets-out prints no secret; a key file open to others is refused;
    --key-hex still works but warns."""
    store = os.path.join(system.dir, "admin-check.db")

    def admin(*args, stdin=None):
        return subprocess.run([os.path.join(system.bin, "hoistway-admin"), "--store", store,
                               *args], input=stdin, capture_output=True, text=True, timeout=30)

    key = os.urandom(32).hex()
    out = os.path.join(system.dir, "stdin-device.json")
    p = admin("device", "add", "stdin-device", "--key-file", "-", "--secrets-out", out,
              stdin=key + "\n")
    check(p.returncode == 0, f"device add --key-file -: {p.returncode} {p.stderr}")
    check(stat.S_IMODE(os.stat(out).st_mode) == 0o600, "--secrets-out writes a 0600 file")
    with open(out) as f:
        written = json.load(f)
    check(written["key_hex"] == key, "the key from standard input is the device's key")
    check(key not in p.stdout + p.stderr and written["mqtt_password"] not in p.stdout + p.stderr,
          "with --secrets-out no secret is printed")

    loose = os.path.join(system.dir, "loose.key")
    with open(loose, "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    os.chmod(loose, 0o644)
    p = admin("device", "add", "loose-device", "--key-file", loose)
    check(p.returncode == 65 and "group or others" in p.stderr,
          f"a key file others can read is refused: {p.returncode} {p.stderr}")

    p = admin("device", "add", "hex-device", "--key-hex", os.urandom(32).hex())
    check(p.returncode == 0 and "warning: --key-hex" in p.stderr,
          f"--key-hex works and warns: {p.returncode} {p.stderr}")


def outbox_of(demo, device):
    return demo.agent(device, "outbox")


def acked_through(demo, device):
    return demo.agent(device, "status")["broker"]["acked_through"]


def check_restart(demo, what, needle, restart_number):
    """SIGKILLs the process, then: the demo logs and counts the restart, a new process runs, the
    ingest is healthy, statuses keep updating, and every record the agents held at the kill is
    acknowledged (their outboxes drain)."""
    pid = demo.pid_of(needle)
    last = {d: outbox_of(demo, d)["next_seq"] - 1 for d in DEVICES}
    before = demo.get("/api/v1/units/OFFICE-1/status")["last_seen_at"]
    os.kill(pid, signal.SIGKILL)
    t0 = time.monotonic()
    wait_for(f"the demo to log the {what} restart",
             lambda: f"{what} exited on its own (killed by signal 9" in demo.supervisor_log() and
             f"restart {restart_number} in" in demo.supervisor_log(), timeout=15)
    new_pid = wait_for(f"a new {what}", lambda: demo.pid_of(needle), timeout=20)
    check(new_pid != pid, f"{what} runs again as a new process")
    wait_for("the ingest to be healthy again", demo.healthy, timeout=40)
    wait_for("OFFICE-1's status to update after the restart",
             lambda: demo.get("/api/v1/units/OFFICE-1/status")["last_seen_at"] > before,
             timeout=40)
    for d in DEVICES:
        wait_for(f"{d}'s outbox to drain through seq {last[d]}",
                 lambda d=d: acked_through(demo, d) >= last[d], timeout=60)
    depths = {d: outbox_of(demo, d)["depth"] for d in DEVICES}
    return time.monotonic() - t0, depths


def scenario(system):
    demo = Demo(system)
    try:
        wait_for("the demo to come up", lambda: "Hoistway demo is running" in demo.output() or
                 not demo.process.alive(), timeout=120, interval=0.5)
        check(demo.process.alive(), f"the demo exited: {demo.output()[-2000:]}")
        def units_with_floors():
            units = demo.get("/api/v1/units")["units"]
            return units if len(units) == 4 and all(
                isinstance(u.get("floor"), int) for u in units) else None
        units = wait_for("every unit to have a floor", units_with_floors, timeout=30)
        check(sorted(u["unit_id"] for u in units) == UNITS, f"the demo's units: {units}")

        files = check_private_files(demo)
        secrets = secrets_of(demo)
        check_no_secret_leaks(demo, secrets)
        tower_messages = check_broker_refusals(demo, secrets)
        check_admin_secrets(system)

        broker_s, broker_depths = check_restart(demo, "mosquitto", "mosquitto.conf", 1)
        ingest_s, ingest_depths = check_restart(demo, "ingest", "hoistway-ingest", 1)
        check(demo.supervisor_log().count("exited on its own") == 2,
              f"two restarts logged: {demo.supervisor_log()}")
        check_no_secret_leaks(demo, secrets)

        # SIGTERM: the demo stops every process it started, and ends.
        children = [p for p in demo.session_pids() if p != demo.session]
        check(len(children) >= 7, f"the demo's processes before the stop: {children}")
        demo.process.signal(signal.SIGTERM)
        try:
            code = demo.process.proc.wait(30)
        except subprocess.TimeoutExpired:
            raise Failure("the demo did not stop within 30 s of SIGTERM")
        check(code == 0, f"the demo exits 0 after SIGTERM, got {code}")
        deadline = time.monotonic() + 5
        while demo.session_pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        left = demo.session_pids()
        check(not left, f"processes left after the demo stopped: {[command_line(p) for p in left]}")
        print(f"demo: {files} private files, anonymous and cross-device access refused "
              f"({tower_messages} tower messages seen only by the tower); broker SIGKILL "
              f"recovered in {broker_s:.1f} s (outbox depths after {broker_depths}), ingest in {ingest_s:.1f} s "
              f"(depths {ingest_depths}); SIGTERM left no process")
    finally:
        # Whatever happened, nothing of the demo outlives the test.
        for pid in demo.session_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(run(scenario, args.bin, "demo"))

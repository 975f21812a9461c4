#!/usr/bin/env python3
"""14 down-link commands: signed commands on hoistway/v1/dev/{id}/cmd (ping, request_snapshot,
set_sampling_rate) are executed and answered on .../cmd_result with a signed result; invalid or
unauthenticated ones (bad MAC, unknown key, expired, replayed, wrong device, unknown command,
bad argument, not JSON) are rejected with their reason and counted (hoistctl status)."""

import argparse
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, purpose_key, run, signed_message, wait_for  # noqa: E402

DEVICE = "it-cmd"


def signed(key_hex, body, key_id=1):
    return signed_message(key_hex, body, "command", key_id)


def body(command, args=None, device=DEVICE, issued=None, cid=None):
    return json.dumps({"id": cid or str(uuid.uuid4()), "device_id": device,
                       "issued_at_ms": issued if issued is not None else int(time.time() * 1000),
                       "command": command, "args": args or {}})


def scenario(system):
    system.add_device(DEVICE, ["IT-CMD-1", "IT-CMD-2"])
    key = system.devices[DEVICE]["key"]
    system.start_broker()
    _, sim_sock = system.start_sim(speedup="4")
    cli_sock = os.path.join(system.dir, "agent.sock")
    system.write_agent_config(DEVICE, sim_sock, extra=f'[cli]\nsocket = "{cli_sock}"\n')
    system.start_agent(DEVICE, sim_sock)
    wait_for("the agent to connect",
             lambda: (lambda r: r[0] == 0 and r[1]["broker"]["connected"])(system.hoistctl("status", timeout=30)),
             timeout=20)

    replay_id = str(uuid.uuid4())
    now = int(time.time() * 1000)
    cases = [  # (message, expected ok, expected reason, check on the result)
        (signed(key, body("ping", cid=replay_id)), True, None, lambda r: r["pong"] is True),
        (signed(key, body("set_sampling_rate", {"hz": 5})), True, None, lambda r: r["sample_hz"] == 5),
        (signed(key, body("request_snapshot")), True, None, lambda r: r["snapshot"] == "requested"),
        (signed(key, body("ping", cid=replay_id)), False, "replayed", None),
        (signed("00" * 32, body("ping")), False, "bad_mac", None),
        (signed(key, body("ping"), key_id=9), False, "unknown_key", None),
        (signed(key, body("ping", issued=now - 3_600_000)), False, "expired", None),
        (signed(key, body("ping", device="someone-else")), False, "wrong_device", None),
        (signed(key, body("reboot")), False, "unknown_command", None),
        (signed(key, body("set_sampling_rate", {"hz": 1000})), False, "bad_argument", None),
        ("this is not json", False, "bad_format", None),
        (json.dumps({"v": 3, "key_id": 1, "body": "{}", "mac": "00"}), False, "unsupported_version", None),
        # Version 1 signed with the device key itself; a body signed for the other direction.
        (signed_message(key, body("ping"), "command", version=1), False, "unsupported_version", None),
        (signed_message(key, body("ping"), "command-result"), False, "bad_mac", None),
    ]
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(system.mqtt_port),
                            "-q", "1", "-t", f"hoistway/v1/dev/{DEVICE}/cmd_result",
                            "-C", str(len(cases)), "-W", "30"],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    for message, _, _, _ in cases:
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(system.mqtt_port), "-q", "1",
                        "-t", f"hoistway/v1/dev/{DEVICE}/cmd", "-m", message], check=True)
    out, _ = sub.communicate(timeout=40)
    results = [json.loads(line) for line in out.splitlines() if line.strip()]
    check(len(results) == len(cases), f"one result per command: {len(results)} of {len(cases)}")
    for (message, ok, reason, verify), result in zip(cases, results):
        mac = hmac.new(purpose_key(key, "command-result"), result["body"].encode(),
                       hashlib.sha256).hexdigest()
        check(result["v"] == 2 and result["mac"] == mac,
              f"the result is signed with the device's result key: {result}")
        answer = json.loads(result["body"])
        check(answer["device_id"] == DEVICE, "the result names the device")
        check(answer["ok"] is ok, f"{message[:80]} -> {answer}")
        if ok:
            check(verify(answer["result"]), f"result of {message[:80]}: {answer}")
            check(answer["id"] == json.loads(json.loads(message)["body"])["id"], "the result echoes the id")
        else:
            check(answer["reason"] == reason, f"{message[:80]} should be rejected as {reason}: {answer}")

    code, status, _ = system.hoistctl("status", timeout=30)
    check(status["sample_hz"] == 5, f"the sampling rate changed: {status['sample_hz']}")
    check(status["commands"]["accepted"] == 3, f"accepted commands: {status['commands']}")
    expected = {}
    for _, ok, reason, _ in cases:
        if not ok:
            expected[reason] = expected.get(reason, 0) + 1
    for reason, count in expected.items():
        check(status["commands"]["rejected"].get(reason) == count,
              f"{reason} counted {count} times: {status['commands']['rejected']}")

    # The replay guard outlives the agent: the first command, replayed after a restart, is
    # refused as replayed and not run again.
    agent = next(p for p in system.processes if p.name == f"agent-{DEVICE}")
    agent.stop()
    system.start_agent(DEVICE, sim_sock)
    wait_for("the restarted agent to connect",
             lambda: (lambda r: r[0] == 0 and r[1]["broker"]["connected"])(system.hoistctl("status", timeout=30)),
             timeout=20)
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(system.mqtt_port),
                            "-q", "1", "-t", f"hoistway/v1/dev/{DEVICE}/cmd_result",
                            "-C", "1", "-W", "20"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(system.mqtt_port), "-q", "1",
                    "-t", f"hoistway/v1/dev/{DEVICE}/cmd", "-m", cases[0][0]], check=True)
    out, _ = sub.communicate(timeout=30)
    check(out.strip(), "the replay after the restart is answered")
    answer = json.loads(json.loads(out)["body"])
    check(answer["ok"] is False and answer["reason"] == "replayed",
          f"a command replayed after a restart is refused: {answer}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(run(scenario, args.bin, "commands"))

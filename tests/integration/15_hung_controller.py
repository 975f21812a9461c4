#!/usr/bin/env python3
"""15 a hung controller and a missing CLI directory do not stop the agent.

The controller accepts the agent's connection and never answers; the CLI socket's directory does
not exist yet. The agent must keep running (no exit over its CLI), serve hoistctl as soon as the
directory appears, and answer it while controller reads hang: reads run off the agent's event
loop, so sampling ticks keep coming while a read is in flight (counted as late reads)."""

import argparse
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, free_port, run, wait_for  # noqa: E402

DEVICE = "it-hung"


class HungController:
    """A controller that accepts connections, reads what it is sent and never answers."""

    def __init__(self, path):
        self.path = path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(8)
        self.connections = 0
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        held = []
        while not self.stopped:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            held.append(conn)  # kept open, never answered

    def close(self):
        self.stopped = True
        self.server.close()


def hoistctl(system, sock, *args):
    """(exit code, answer, stderr, seconds taken)."""
    started = time.monotonic()
    code, answer, err = system.hoistctl(*args, socket=sock, timeout=20)
    return code, answer, err, time.monotonic() - started


def scenario(system):
    system.add_device(DEVICE, ["IT-HUNG-1"])
    system.mqtt_port = free_port()  # no broker: this scenario is about the agent alone
    controller = HungController(os.path.join(system.dir, "hung-controller.sock"))
    cli_dir = os.path.join(system.dir, "run")
    cli_sock = os.path.join(cli_dir, "agent.sock")
    system.write_agent_config(DEVICE, controller.path, extra=f'[cli]\nsocket = "{cli_sock}"\n')
    agent = system.start_agent(DEVICE, controller.path)

    # No CLI directory: the agent logs it and runs on.
    wait_for("the agent to say it runs without its CLI",
             lambda: "running without the technician CLI" in agent.tail(2000), timeout=10)
    wait_for("the agent to read the controller", lambda: controller.connections >= 2, timeout=10)
    check(agent.alive(), "the agent keeps running without its CLI socket")

    # The directory appears (as systemd's RuntimeDirectory would): the CLI comes up by itself.
    os.mkdir(cli_dir)
    wait_for("the CLI socket", lambda: os.path.exists(cli_sock), timeout=20)

    # hoistctl answers while every controller read hangs until its timeout.
    latencies = []
    status = None
    for _ in range(10):
        code, status, err, seconds = hoistctl(system, cli_sock, "status")
        check(code == 0, f"hoistctl status exited {code}: {err}")
        latencies.append(seconds)
    controller_status = status["controller"]
    check(controller_status["reachable"] is False, f"the controller is unreachable: {status}")
    check(controller_status["errors"] >= 1, f"failed reads are counted: {controller_status}")
    # Sampling ticks went on while a read was in flight: reads do not run on the event loop.
    late = wait_for("late reads to be counted",
                    lambda: (lambda s: s if s["controller"]["late_reads"] > 0 else None)(
                        hoistctl(system, cli_sock, "status")[1]), timeout=10)
    print(f"hoistctl status while the controller hangs: {len(latencies)} calls, "
          f"max {max(latencies) * 1000:.0f} ms, late reads {late['controller']['late_reads']}")
    code, out, _, _ = hoistctl(system, cli_sock, "ping")
    check(code == 0 and out["pong"] is True, "the agent answers ping")
    check(agent.alive(), "the agent is still running")
    controller.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(run(scenario, args.bin, "hung"))

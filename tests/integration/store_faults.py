"""What the store-fault scenarios (23, 24) share: one device's agent feeding a real ingest whose
store is made to fail, and the proof afterwards that the failure lost nothing and claimed nothing."""

import os

from harness import check, wait_for


def cpu_seconds(pid):
    """The CPU seconds (user + system) process `pid` has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_fed_ingest(system, device, units, seed):
    """Broker, ingest (acks at once), a 4x simulator and the device's agent; returns the ingest's
    process and a function that reads the agent's status, once records flow and are acknowledged."""
    system.add_device(device, units)
    system.start_broker()
    system.write_ingest_config("[ingest]\nack_interval_ms = 0\n")
    ingest = system.start_ingest()
    _, sock = system.start_sim(seed=seed, extra=("--start-time", "08:30"), speedup="4")
    system.start_agent(device, sock, "[publish]\nack_timeout_s = 3\n")
    agent_sock = os.path.join(system.dir, f"hoistctl-{device}.sock")

    def status():
        return system.hoistctl_ok("status", socket=agent_sock)

    wait_for("the first acknowledged records", lambda: status()["broker"]["acked_through"] > 0,
             timeout=30)
    return ingest, status


def check_nothing_lost(system, device, status, timeout=60):
    """Once the store works again: the agent's outbox drains and the cloud holds every seq the agent
    committed, without a gap, without a record reported dropped, without a missing range."""
    committed = status()["outbox"]["next_seq"] - 1
    wait_for("the outbox to drain", lambda: status()["broker"]["acked_through"] >= committed,
             timeout=timeout)
    records = system.records(device)
    seqs = [r["seq"] for r in records]
    check(seqs == list(range(1, len(seqs) + 1)), "the cloud's seqs run without a gap")
    check(len(seqs) >= committed, f"every committed record is stored: {len(seqs)} < {committed}")
    check(not any(r["kind"] == "outbox_drop" for r in records), "no record was reported dropped")
    _, out = system.admin("device", "list")
    row = next(d for d in out["devices"] if d["device_id"] == device)
    check(row["missing"] == [], f"no missing range: {row}")

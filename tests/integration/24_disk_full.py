#!/usr/bin/env python3
"""24 disk full: the cloud store's disk filling up under the ingest loses nothing and claims nothing.

Against a real Mosquitto, ingest, simulator and agent, the cloud store lives on a small tmpfs of its
own. The disk is then filled to the last byte by another file: the ingest's transactions fail
(SQLite answers SQLITE_FULL), they are counted as store failures, nothing is acknowledged that was
not stored, the ingest keeps serving and does not spin. When space comes back, the batch it kept is
stored, the agent's outbox drains, and the cloud holds every seq the agent committed: no gap, no
record reported dropped, no missing range.

Mounting a tmpfs needs root (or CAP_SYS_ADMIN); without it the scenario says so and is skipped."""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, run, wait_for  # noqa: E402
from store_faults import check_nothing_lost, cpu_seconds, start_fed_ingest  # noqa: E402

DEVICE, UNITS = "it-disk", ["D-1", "D-2"]
SKIPPED = 77  # ctest's SKIP_RETURN_CODE for this directory


def fill(path):
    """Writes zeros to `path` until the file system refuses (ENOSPC); returns the bytes written."""
    written = 0
    block = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                written += f.write(block)
            except OSError:
                break
        # The last partial block: byte by byte, so not even a page is left for SQLite.
        while True:
            try:
                written += f.write(b"\0")
            except OSError:
                return written


def scenario(system, disk):
    # The store on the tmpfs, through a symbolic link: SQLite follows it and keeps its -wal and
    # -shm files beside the real database file.
    os.symlink(os.path.join(disk, "cloud.db"), os.path.join(system.dir, "cloud.db"))
    ingest, status = start_fed_ingest(system, DEVICE, UNITS, seed=5)
    wait_for("some more records", lambda: status()["broker"]["acked_through"] > 40, timeout=30)
    failures0 = system.metric("hoistway_store_failures_total")
    filler = os.path.join(disk, "filler")
    written = fill(filler)
    print(f"filled the store's disk with {written} bytes")
    acked = status()["broker"]["acked_through"]
    cpu0 = cpu_seconds(ingest.proc.pid)
    wait_for("the ingest to count a store failure",
             lambda: system.metric("hoistway_store_failures_total") > failures0, timeout=60)
    time.sleep(8)
    during = status()["broker"]["acked_through"]
    failures = system.metric("hoistway_store_failures_total") - failures0
    print(f"while full: acked_through {acked} -> {during}, {failures} store failures")
    check(sorted(os.listdir(disk)) == ["cloud.db", "cloud.db-shm", "cloud.db-wal", "filler"],
          f"the store and its WAL are on the full disk: {sorted(os.listdir(disk))}")
    # SQLite may still fit a transaction in pages the WAL already holds; beyond those, nothing.
    check(during <= acked + 400, f"little acknowledged while the disk was full: {acked} -> {during}")
    cpu = cpu_seconds(ingest.proc.pid) - cpu0
    check(cpu < 8, f"the ingest did not spin while the disk was full: {cpu:.1f} CPU s")
    check(system.http_ok("/healthz"), "the ingest serves while its disk is full")
    check(ingest.alive(), "the ingest is still running")

    os.unlink(filler)
    check_nothing_lost(system, DEVICE, status, timeout=90)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    args = ap.parse_args()
    disk = None

    def with_disk(system):
        nonlocal disk
        disk = os.path.join(system.dir, "disk")
        os.mkdir(disk)
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", disk],
                               capture_output=True, text=True)
        if mount.returncode != 0:
            disk = None
            raise PermissionError(mount.stderr.strip() or "mount failed")
        try:
            scenario(system, disk)
        finally:
            # The processes first (the ingest holds the store open), then the disk, so the
            # harness's clean-up finds an ordinary directory.
            system.stop_all()
            subprocess.run(["umount", disk], check=False)
            disk = None

    try:
        return run(with_disk, args.bin, "disk-full")
    except PermissionError as e:
        print(f"SKIPPED: cannot mount a size-limited tmpfs here ({e}); needs root")
        return SKIPPED
    finally:
        if disk is not None:
            subprocess.run(["umount", "-l", disk], check=False)


if __name__ == "__main__":
    sys.exit(main())

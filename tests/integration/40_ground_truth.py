#!/usr/bin/env python3
# Reads at 10 Hz in real time: never beside a browser test (Chromium takes a core), which made
# a read late enough to miss a door cycle under load.
# ctest-resource-lock: realtime
"""40 ground truth: what the cloud stored against what the controller did, trip for trip.

The real stack (hoistway-sim with --trace, hoistway-agent, Mosquitto, hoistway-ingest) runs
several controllers side by side: two buildings, several seeds, 1x and 4x, reads at 10 Hz and
2 Hz, and scenarios with faults, inspection runs, earthquake operation and a power failure
(short timelines written here, so that a few minutes hold them). Then, per car:

- trips: the simulator's trace gives what the controller did (the journeys from rest at one
  landing to rest at another, as hoistway/sim/ground_truth.hpp defines them); the cloud's
  stored trips (`hoistway-admin device records`) are aligned with them in time order and
  compared: from/to floors, duration, distance. Lost, invented and misplaced trips are counted.
- door cycles: likewise, by closing time and landing.
- availability: in-service and out-of-service seconds from the trace's mode and fault changes
  against the availability API over the same window.

Prints the figures. Fails on any lost, invented or misplaced trip or door cycle at 10 Hz real
time; elsewhere on losses of 0.5 % or more; on availability that differs by more than one
sampling interval per state change (plus a second of rounding)."""

import argparse
import datetime
import json
import os
import sys
import time
import tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SOURCE, check, run, wait_for  # noqa: E402

WALL_S = 180  # each controller runs this long (wall time)
WINDOW_MARGIN_MS = 30_000  # sim time left out at each end of the comparison
LANDING_WINDOW_MM = 75
BLOCKING = {101, 102, 301, 302, 401, 501, 601}  # the agent's built-in fault catalogue
SERVICE_MODES = {"normal", "parking"}

# Short timelines (the shipped scenarios take an hour; these fit in the run).
EMERGENCIES = """
[scenario]
name = "emergencies"
description = "inspection runs on car 0, an earthquake, a power failure"
[[at]]
time = "40s"
action = "set_mode"
car = 0
mode = "inspection"
[[at]]
time = "55s"
action = "inspection_move"
car = 0
distance_mm = 2500
[[at]]
time = "70s"
action = "inspection_move"
car = 0
distance_mm = -1200
[[at]]
time = "85s"
action = "set_mode"
car = 0
mode = "normal"
[[at]]
time = "100s"
action = "earthquake"
[[at]]
time = "115s"
action = "earthquake_reset"
[[at]]
time = "130s"
action = "power_loss"
[[at]]
time = "148s"
action = "power_restore"
"""

FAULTS = """
[scenario]
name = "faults"
description = "door faults and leveling errors"
[[at]]
time = "35s"
action = "inject"
fault = "leveling_error"
car = 0
count = 4
[[at]]
time = "95s"
action = "inject"
fault = "door_lock_failure"
car = 1
duration = "20s"
[[at]]
time = "80s"
action = "inject"
fault = "door_obstruction"
car = 0
duration = "15s"
[[at]]
time = "120s"
action = "inject"
fault = "safety_chain_open"
car = 1
duration = "20s"
"""

# name, building, seed, speedup, sample Hz, start time, scenario text (or None), strict
RUNS = [
    ("office-1x-10hz", "demo-office", 1, 1, 10, "08:30", None, True),
    ("tower-1x-10hz-faults", "residential-tower", 2, 1, 10, "07:30", FAULTS, True),
    ("office-1x-10hz-emergencies", "demo-office", 3, 1, 10, "08:40", EMERGENCIES, True),
    ("office-1x-2hz", "demo-office", 4, 1, 2, "08:45", FAULTS, False),
    ("office-4x-10hz-emergencies", "demo-office", 5, 4, 10, "08:20", EMERGENCIES, False),
    ("tower-4x-2hz", "residential-tower", 6, 4, 2, "07:40", None, False),
]


def landing_levels(building):
    with open(os.path.join(SOURCE, "firmware-sim", "buildings", building + ".toml"), "rb") as f:
        return [landing["level_mm"] for landing in tomllib.load(f)["landings"]]


def landing_at(levels, position):
    best = min(range(len(levels)), key=lambda i: abs(levels[i] - position))
    return best if abs(levels[best] - position) <= LANDING_WINDOW_MM else None


def read_trace(path, levels, until_ms):
    """The controller's trips, door cycles and in-service changes per car, from its trace."""
    trips, cycles, service = {}, {}, {}
    state = {}
    with open(path) as f:
        for line in f:
            if not line.endswith("\n"):
                break  # the line being written
            e = json.loads(line)
            if e["t_ms"] > until_ms:
                break
            car = e["car"]
            if car is None:
                continue
            c = state.setdefault(car, {"journey": False, "from": None, "start": 0, "dist": 0,
                                       "pos": e["position_mm"], "door": "closed", "opened": 0})
            if c["journey"]:
                c["dist"] += abs(e["position_mm"] - c["pos"])
            c["pos"] = e["position_mm"]
            kind = e["event"]

            def finish(to, end):
                c["journey"] = False
                if c["from"] is not None and c["from"] != to:
                    trips.setdefault(car, []).append({"from": c["from"], "to": to,
                                                      "start": c["start"], "end": end,
                                                      "distance": c["dist"]})

            # A brake stop or inspection move that rests at a landing ends the journey there,
            # seen at the next door opening or run start (they emit no end of their own).
            if kind in ("trip_started", "inspection_move", "door_opening") and c["journey"]:
                at = landing_at(levels, e["position_mm"])
                if at is not None:
                    finish(at, c.get("stopped") or e["t_ms"])
            if kind in ("trip_started", "inspection_move"):
                c["stopped"] = None
                if not c["journey"]:
                    c.update(journey=True, start=e["t_ms"], dist=0,
                             **{"from": landing_at(levels, e["position_mm"])})
            elif kind == "emergency_stop":
                speed = abs(e["speed_mm_s"])
                c["stopped"] = e["t_ms"] + (2000 * e["stopping_distance_mm"] // speed if speed else 0)
            elif kind == "trip_ended" and c["journey"]:
                to = landing_at(levels, e["position_mm"])
                if to is not None:
                    finish(to, e["t_ms"])
            if kind == "door_opening":
                if c["door"] == "closed":
                    c["opened"] = e["t_ms"]
            elif kind == "door_closed" and c["door"] != "closed":
                cycles.setdefault(car, []).append(
                    {"floor": landing_at(levels, e["position_mm"]), "closed": e["t_ms"]})
            c["door"] = e["door"]
            in_service = e["mode"] in SERVICE_MODES and not (set(e["faults"]) & BLOCKING)
            changes = service.setdefault(car, [(0, True)])  # cars start in service
            if not changes or changes[-1][1] != in_service:
                changes.append((e["t_ms"], in_service))
    return trips, cycles, service


def align(truth, seen, slack, lo, hi, key_start, key_end, same):
    """Sequence alignment in time order (as hoistway/sim/ground_truth.cpp): returns matched,
    lost, invented, misplaced and the worst duration and distance differences. Only what ends
    inside [lo, hi] counts as lost or invented."""
    out = {"truth": 0, "matched": 0, "lost": 0, "invented": 0, "misplaced": 0, "dt": 0, "dd": 0,
           "problems": []}
    inside = lambda x: lo <= key_end(x) <= hi  # noqa: E731
    out["truth"] = sum(1 for t in truth if inside(t))
    i = j = 0
    while i < len(truth) and j < len(seen):
        t, s = truth[i], seen[j]
        if key_start(s) <= key_end(t) + slack and key_start(t) <= key_end(s) + slack:
            if same(t, s):
                out["matched"] += 1
                if "distance" in t:
                    out["dt"] = max(out["dt"], abs((s["end"] - s["start"]) - (t["end"] - t["start"])))
                    out["dd"] = max(out["dd"], abs(s["distance"] - t["distance"]))
            elif inside(t):
                out["misplaced"] += 1
                out["problems"].append(f"misplaced {t} as {s}")
            i += 1
            j += 1
        elif key_end(s) + slack < key_start(t):
            if inside(s):
                out["invented"] += 1
                out["problems"].append(f"invented {s}")
            j += 1
        else:
            if inside(t):
                out["lost"] += 1
                out["problems"].append(f"lost {t}")
            i += 1
    out["lost"] += sum(1 for t in truth[i:] if inside(t))
    out["invented"] += sum(1 for s in seen[j:] if inside(s))
    return out


def in_service_ms(changes, lo, hi):
    """In-service and out-of-service time inside [lo, hi] from (t, in_service) changes."""
    up = down = 0
    for k, (t, ok) in enumerate(changes):
        start = max(t, lo)
        end = min(changes[k + 1][0] if k + 1 < len(changes) else hi, hi)
        if end > start:
            if ok:
                up += end - start
            else:
                down += end - start
    return up, down


def rfc3339(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def scenario(system):
    for name, building, *_ in RUNS:
        system.add_device(f"gt-{name}", [f"GT-{name.upper()}-{car}" for car in (1, 2)])
    system.start_broker()
    system.start_ingest()

    # The buildings, busier (a few minutes must hold enough trips to mean something).
    for building in {r[1] for r in RUNS}:
        with open(os.path.join(SOURCE, "firmware-sim", "buildings", building + ".toml")) as f:
            lines = [line for line in f.read().splitlines() if not line.startswith("intensity")]
        text = "\n".join(lines).replace("[traffic]", "[traffic]\nintensity = 4.0", 1)
        with open(os.path.join(system.dir, building + ".toml"), "w") as f:
            f.write(text + "\n")

    started = {}
    for name, building, seed, speedup, hz, start_time, plan, _ in RUNS:
        extra = ["--start-time", start_time, "--trace", os.path.join(system.dir, f"{name}.jsonl")]
        if plan:
            path = os.path.join(system.dir, f"{name}.toml")
            with open(path, "w") as f:
                f.write(plan)
            extra += ["--scenario", path]
        launched_ms = time.time() * 1000
        _, sock = system.start_sim(os.path.join(system.dir, building + ".toml"), seed=seed, speedup=str(speedup),
                                   name=f"sim-{name}", extra=tuple(extra))
        device = f"gt-{name}"
        path = system.write_agent_config(device, sock)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("[controller]\n", f"[controller]\nsample_hz = {hz}\n", 1))
        system.start_agent(device, sock)
        started[name] = launched_ms

    time.sleep(WALL_S)
    stopped_ms = time.time() * 1000

    failures = []
    print(f"{'run':28} {'car':>3} {'trips':>5} {'lost':>4} {'inv':>4} {'mis':>4} "
          f"{'max|dt|ms':>9} {'max|dd|mm':>9} {'doors':>5} {'lost':>4} {'inv':>4} {'mis':>4} "
          f"{'up s':>6} {'api':>6} {'down s':>6} {'api':>6} {'changes':>7}")
    totals = {}
    run_trips = {}
    for name, building, seed, speedup, hz, start_time, plan, strict in RUNS:
        device = f"gt-{name}"
        levels = landing_levels(building)
        read_ms = 1000 // hz * speedup  # one sampling interval on the controller's clock

        def stored_everything():
            recs = system.records(device)
            return recs if recs and max(r["wall_ms"] for r in recs) >= stopped_ms - 2000 else None

        records = wait_for(f"{device}'s records up to the end of the run", stored_everything,
                           timeout=60, interval=1)
        # The controller's clock against the agent's wall clock: the simulator started its
        # clock when launched; the stored trips refine that to the median offset.
        rough = started[name]
        to_sim = lambda wall, w0: (wall - w0) * speedup  # noqa: E731
        sim_end = to_sim(stopped_ms, rough)
        trips, cycles, service = read_trace(os.path.join(system.dir, f"{name}.jsonl"), levels,
                                            sim_end + 5000)
        first_read = min(r["wall_ms"] for r in records)
        stored = {}
        for r in records:
            body = r["body"]
            if r["kind"] == "trip":
                stored.setdefault(("trip", r["car"]), []).append(body)
            elif r["kind"] == "door_cycle":
                stored.setdefault(("door", r["car"]), []).append({**body, "wall": r["wall_ms"]})
        offsets = []
        for car, ts in trips.items():
            for s in stored.get(("trip", car), []):
                for t in ts:
                    d = to_sim(s["start_ms"], rough) - t["start"]
                    if (t["from"], t["to"]) == (s["from_floor"], s["to_floor"]) and abs(d) < 3000:
                        offsets.append(d / speedup)
        offsets.sort()
        w0 = rough + (offsets[len(offsets) // 2] if offsets else 0)
        lo = to_sim(first_read, w0) + WINDOW_MARGIN_MS
        hi = to_sim(stopped_ms, w0) - WINDOW_MARGIN_MS
        for car in (0, 1):
            seen = [{"from": s["from_floor"], "to": s["to_floor"],
                     "start": to_sim(s["start_ms"], w0), "end": to_sim(s["end_ms"], w0),
                     "distance": s["distance_mm"]} for s in stored.get(("trip", car), [])]
            seen.sort(key=lambda s: s["start"])
            slack = read_ms + 300
            tr = align(trips.get(car, []), seen, slack, lo, hi, lambda x: x["start"],
                       lambda x: x["end"], lambda t, s: (t["from"], t["to"]) == (s["from"], s["to"]))
            seen_cycles = [{"floor": c["floor"], "closed": to_sim(c["wall"], w0)}
                           for c in stored.get(("door", car), [])]
            dc = align(cycles.get(car, []), seen_cycles, slack, lo, hi, lambda x: x["closed"],
                       lambda x: x["closed"], lambda t, s: t["floor"] == s["floor"])
            # Availability over the window, in wall time.
            unit = f"GT-{name.upper()}-{car + 1}"
            wlo, whi = w0 + lo / speedup, w0 + hi / speedup
            avail = system.get_json(f"/api/v1/units/{unit}/availability?from={rfc3339(wlo)}"
                                    f"&to={rfc3339(whi)}")
            up, down = in_service_ms(service.get(car, []), to_sim(wlo, w0), to_sim(whi, w0))
            changes = sum(1 for t, _ in service.get(car, []) if lo <= t <= hi)
            up_s, down_s = up / 1000 / speedup, down / 1000 / speedup
            print(f"{name:28} {car:>3} {tr['truth']:>5} {tr['lost']:>4} {tr['invented']:>4} "
                  f"{tr['misplaced']:>4} {tr['dt']:>9.0f} {tr['dd']:>9} {dc['truth']:>5} "
                  f"{dc['lost']:>4} {dc['invented']:>4} {dc['misplaced']:>4} {up_s:>6.0f} "
                  f"{avail['in_service_s']:>6} {down_s:>6.0f} {avail['out_of_service_s']:>6} "
                  f"{changes:>7}")
            for p in tr["problems"] + dc["problems"]:
                print(f"    {p}")
            key = "strict" if strict else "counted"
            agg = totals.setdefault(key, {"truth": 0, "bad": 0})
            agg["truth"] += tr["truth"]
            agg["bad"] += tr["lost"] + tr["misplaced"]
            if strict and tr["lost"] + tr["invented"] + tr["misplaced"] + dc["lost"] + \
                    dc["invented"] + dc["misplaced"] > 0:
                failures.append(f"{name} car {car}: trips or door cycles lost, invented or "
                                f"misplaced at 10 Hz real time")
            allowed_s = changes * (1000 / hz) / 1000 + 1.0
            if abs(avail["in_service_s"] - up_s) > allowed_s or \
                    abs(avail["out_of_service_s"] - down_s) > allowed_s:
                failures.append(f"{name} car {car}: availability {avail['in_service_s']} s up / "
                                f"{avail['out_of_service_s']} s down, the controller "
                                f"{up_s:.1f} / {down_s:.1f} (allowed {allowed_s:.1f} s)")
            run_trips[name] = run_trips.get(name, 0) + tr["truth"]
    for key, agg in totals.items():
        share = agg["bad"] / agg["truth"] if agg["truth"] else 0.0
        print(f"{key}: {agg['truth']} trips, {agg['bad']} lost or misplaced ({share:.2%})")
        if key == "counted" and share >= 0.005:
            failures.append(f"at 2 Hz or 4x, {share:.2%} of trips lost or misplaced (limit 0.5 %)")
    check(all(n >= 5 for n in run_trips.values()), f"too few trips to compare: {run_trips}")
    check(totals.get("strict", {}).get("truth", 0) >= 25, "too few trips to compare at 10 Hz")
    check(not failures, "; ".join(failures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True)
    sys.exit(run(scenario, parser.parse_args().bin, "ground-truth"))

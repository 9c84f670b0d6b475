#!/usr/bin/env python3
"""Sync soak: thousands of injected faults, then the convergence verdict.

    python3 tests/soak/sync_soak.py [--seeds 20] [--rounds 30] [--devices 4] [--rate 0.35]
                                    [--browser-rounds 0]

Not collected by pytest (no ``test_`` file name); run it by hand or in a
nightly job. Two phases:

1. Engine at scale: the real sync engine (``carelog.sync``) with the
   in-memory host twins (WebDAV with listings, WebDAV without, S3 with
   If-Match), an encrypted circle, ``--devices`` devices that record, edit
   one shared entry concurrently (and delete it), and sync in rotation
   while ``FaultPlan`` injects 500/503, timeouts, resets, lost answers,
   truncated bodies, garbage, wrong-shape JSON, stale files and stale
   listings at ``--rate``. After every run no device has lost an event.
   Then faults stop; a few clean rounds; every device must hold every
   event any device saved, once, and the same folded entries (conflicts
   included), and no plaintext on the host.
2. Browser (``--browser-rounds N``): tests/sync/test_faults_and_encryption.py
   ``test_faults_lose_nothing`` with N rounds (Chromium, real nginx,
   Playwright faults incl. timeouts and stale listings), through pytest.

Prints the faults injected by kind, the events saved, and "CONVERGED" or
"DIVERGED" per scenario; the exit status is 0 only when all converged.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "py"), str(ROOT / "tests" / "unit")]

from carelog.adapters.memory_transport import FaultPlan, MemoryHost  # noqa: E402
from carelog.sync.engine import SyncOptions  # noqa: E402

from test_sync_helpers import SENTINEL, Device, new_circle, server_bytes  # noqa: E402

SMALL = SyncOptions(segment_events=3, snapshot_part_events=4, snapshot_after_segments=6, keep_tail=1,
                    full_refresh_every=4, store_batch_events=5)  # a pull stores several batches


async def scenario(kind: str, seed: int, rounds: int, n_devices: int, rate: float) -> dict:
    host = MemoryHost.webdav(listing=False) if kind == "nolist" else MemoryHost(kind)
    await new_circle(host, cipher=True)
    plan = host.plan = FaultPlan(rate=rate, seed=seed)
    names = "abcdefghij"[:n_devices]
    devices = [Device(f"{n}{seed}", host, cipher=True, options=SMALL) for n in names]
    plan.enabled = False
    shared = await devices[0].create("shared " + SENTINEL)
    for d in devices:
        await d.sync()
    plan.enabled = True
    runs = lost = unexpected = 0
    for round_ in range(rounds):
        for i, d in enumerate(devices):
            if (round_ + i + seed) % 3:
                await d.create(f"{d.id} round {round_} {SENTINEL}")
            if (round_ * 7 + i) % 11 == 0:
                await d.revise(shared.entry, None if (round_ + i) % 4 == 0 else f"{d.id} edits in round {round_}")
            before = await d.ids()
            report = await d.sync()
            runs += 1
            unexpected += report.unexpected is not None
            if not (before <= await d.ids() and d.saved <= await d.ids()):
                lost += 1
    injected = plan.total
    plan.enabled = False
    for _ in range(4):
        for d in devices:
            await d.sync()
    everything = set().union(*(d.saved for d in devices))
    views, problems = [], []
    for d in devices:
        ids = [e.id for e in await d.events()]
        if len(ids) != len(set(ids)):
            problems.append(f"{d.id} stores an event twice")
        if set(ids) != everything:
            problems.append(f"{d.id} misses {len(everything - set(ids))} events")
        views.append(await d.view())
    if any(v != views[0] for v in views):
        problems.append("folded entries differ")
    if SENTINEL.encode() in server_bytes(host):
        problems.append("plaintext on the host")
    if lost:
        problems.append(f"{lost} runs lost local events")
    if unexpected:
        problems.append(f"{unexpected} runs hit an unexpected error")
    return {"kind": kind, "seed": seed, "runs": runs, "faults": injected, "events": len(everything),
            "problems": problems, "by_kind": Counter({k: v for k, v in plan.injected.items()})}


def engine_phase(args) -> bool:
    ok = True
    total = Counter()
    faults = events = runs = 0
    started = time.monotonic()
    for seed in range(1, args.seeds + 1):
        for kind in ("webdav", "s3", "nolist"):
            result = asyncio.run(scenario(kind, seed, args.rounds, args.devices, args.rate))
            faults += result["faults"]
            events += result["events"]
            runs += result["runs"]
            total.update(result["by_kind"])
            verdict = "CONVERGED" if not result["problems"] else "DIVERGED: " + "; ".join(result["problems"])
            ok &= not result["problems"]
            print(f"{kind:7} seed {seed:3}: {result['runs']:4} runs, {result['faults']:5} faults, "
                  f"{result['events']:5} events -> {verdict}", flush=True)
    print(f"\nengine phase: {runs} sync runs, {faults} faults injected, {events} events saved, "
          f"{time.monotonic() - started:.0f} s")
    if total:
        print("faults by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
    print("engine verdict:", "every saved entry on every device (CONVERGED)" if ok else "DIVERGED")
    return ok


def browser_phase(rounds: int) -> bool:
    env = {**os.environ, "CARELOG_FAULT_ROUNDS": str(rounds)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-s",
           "tests/sync/test_faults_and_encryption.py", "-k", "faults_lose_nothing"]
    print("\nbrowser phase:", " ".join(cmd), f"(CARELOG_FAULT_ROUNDS={rounds})", flush=True)
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("faults injected") or "passed" in line or "failed" in line:
            print("  " + line)
    print("browser verdict:", "CONVERGED" if done.returncode == 0 else "FAILED\n" + done.stdout[-3000:])
    return done.returncode == 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--devices", type=int, default=4)
    p.add_argument("--rate", type=float, default=0.35)
    p.add_argument("--browser-rounds", type=int, default=0, help="also run the browser fault test with N rounds")
    args = p.parse_args(argv)
    ok = engine_phase(args)
    if args.browser_rounds:
        ok = browser_phase(args.browser_rounds) and ok
    print("\nVERDICT:", "CONVERGED" if ok else "NOT CONVERGED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

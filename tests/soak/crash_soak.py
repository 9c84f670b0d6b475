"""Crash soak: hundreds of kill-and-restart cycles on one Chromium profile.

Not collected by pytest (the file name does not start with ``test_``). Run it
from the repository root after ``.venv/bin/python build.py``:

    .venv/bin/python tests/soak/crash_soak.py --cycles 300 [--seed 1] [--profile-every 50]

Each cycle starts Chromium on the persistent profile, logs notes through the
forms, SIGKILLs the browser at a random moment, restarts it and checks the
stored data (``tests/browser/crash.py``): every note shown as saved is there,
every record parses and folds, nothing unknown, the change feed matches.
A fresh profile is started every ``--profile-every`` cycles so the checks stay
quick. Prints one line per cycle and a summary; exit code 1 on the first failure.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "py")]

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.crash import check_after_restart, crash_profile, random_kill_delay, run_cycle  # noqa: E402
from tests.browser.helpers import AppServer  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile-every", type=int, default=50)
    args = parser.parse_args(argv)
    dist = REPO / "dist"
    if not (dist / "index.html").is_file():
        print("build first: .venv/bin/python build.py", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    server = AppServer(dist).start()
    totals = {"cycles": 0, "confirmed": 0, "attempted": 0, "kills": 0}
    started = time.monotonic()
    try:
        with sync_playwright() as pw:
            cycle = 0
            while cycle < args.cycles:
                with crash_profile() as profile:
                    results = []
                    for _ in range(min(args.profile_every, args.cycles - cycle)):
                        delay = random_kill_delay(rng)
                        problems: list[str] = []
                        result = run_cycle(pw.chromium, server, profile, cycle, delay, guard_problems=problems)
                        results.append(result)
                        try:
                            counts = check_after_restart(pw.chromium, server, profile, results)
                            assert not problems, problems
                        except AssertionError as error:
                            print(f"cycle {cycle}: FAILED: {error}", flush=True)
                            return 1
                        totals["cycles"] += 1
                        totals["kills"] += int(result.killed)
                        totals["confirmed"] += len(result.confirmed)
                        totals["attempted"] += len(result.attempted)
                        print(f"cycle {cycle}: kill at {delay:.2f} s, {len(result.confirmed)} shown saved, "
                              f"{len(result.attempted)} attempted; stored {counts}", flush=True)
                        cycle += 1
    finally:
        server.stop()
    print(f"crash soak: {totals['cycles']} cycles, {totals['kills']} kills, {totals['confirmed']} notes shown "
          f"as saved, all kept; {totals['attempted']} attempted; {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fuzz soak: thousands of hostile inputs through every parser of outside data.

Not collected by pytest (the file name does not start with ``test_``). Run it
from the repository root:

    .venv/bin/python tests/soak/fuzz_soak.py [--cases 5000] [--only backup-bytes,forms] [--seed 0]

Each target (``tests/unit/fuzz_targets.py``) feeds a Hypothesis-generated input
through the app's real path and checks that only the parser's own plain error
escapes and that a refusal changes no stored data. Prints, per target, how many
cases ran and how many were accepted or refused; exit code 1 on the first
broken rule (Hypothesis prints the smallest failing input).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "py"), str(REPO / "tests" / "unit")]

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from fuzz_targets import TARGETS  # noqa: E402


def soak(name: str, cases: int, seed_value: int) -> dict:
    strategy, run = TARGETS[name]
    seen = {"accepted": 0, "refused": 0}

    @seed(seed_value)
    @settings(max_examples=cases, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(value):
        seen[run(value)] += 1

    check()
    return seen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--only", default="")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or sorted(TARGETS)
    total = 0
    started = time.monotonic()
    for name in names:
        t0 = time.monotonic()
        try:
            seen = soak(name, args.cases, args.seed)
        except Exception as error:  # noqa: BLE001 - report and stop
            print(f"{name}: FAILED: {type(error).__name__}: {error}", flush=True)
            return 1
        ran = seen["accepted"] + seen["refused"]
        total += ran
        print(f"{name:26} {ran:6} cases  {seen['accepted']:6} accepted  {seen['refused']:6} refused  "
              f"{time.monotonic() - t0:6.1f} s", flush=True)
    print(f"fuzz soak: {total} cases over {len(names)} parsers, no uncaught exception, no change on refusal; "
          f"{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

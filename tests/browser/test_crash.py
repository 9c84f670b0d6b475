"""Killed mid-burst, nothing shown as saved is lost and nothing is half-written.

A Chromium with a persistent profile logs notes through the forms as fast as
the UI allows and is SIGKILLed at a random moment of the burst (the seeds
below make the moments repeatable); then it is started again on the same
profile. See ``crash.py`` for what is checked; ``tests/soak/crash_soak.py``
runs hundreds of cycles.
"""

from __future__ import annotations

import random

import pytest
from .crash import check_after_restart, crash_profile, random_kill_delay, run_cycle

pytestmark = pytest.mark.browser

CYCLES = 3
SEED = 5


def test_killed_mid_burst_keeps_every_saved_entry(browser, app_server, tmp_path):
    rng = random.Random(SEED)
    results, problems = [], []
    chromium = browser.browser_type  # the same Chromium build, launched per cycle on one profile
    with crash_profile(tmp_path) as profile:
        for cycle in range(CYCLES):
            # the first burst is killed early (its first saves in flight), later ones anywhere
            delay = 0.4 if cycle == 0 else random_kill_delay(rng)
            result = run_cycle(chromium, app_server, profile, cycle, delay, guard_problems=problems)
            assert result.killed, "the browser process was not found to kill"
            results.append(result)
            counts = check_after_restart(chromium, app_server, profile, results)
            assert counts["confirmed"] <= counts["notes"] <= counts["attempted"]
            print(f"cycle {cycle}: killed {delay:.1f} s in; {counts}")
    assert not problems, problems
    # the bursts really were cut short and really saved something
    assert sum(len(r.confirmed) for r in results) > 0
    assert any(len(r.attempted) < 200 for r in results)

"""Fuzz every parser of outside data through the app's real path: backup files
(raw bytes, any JSON, a real file with one part broken or cut, a correctly
encrypted file with anything inside), the transition-of-care import, sync
files and forms. Only the parser's own plain error escapes, and a refusal
never changes stored data (``fuzz_targets.py``). The soak script
``tests/soak/fuzz_soak.py`` runs 5,000+ cases of each."""

from __future__ import annotations

import pytest
from fuzz_targets import TARGETS
from hypothesis import HealthCheck, given, settings

EXAMPLES = 120


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_target(name):
    strategy, run = TARGETS[name]
    seen = {"accepted": 0, "refused": 0}

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategy)
    def check(value):
        seen[run(value)] += 1

    check()
    assert seen["refused"] > 0, f"{name}: no hostile input was refused: {seen}"

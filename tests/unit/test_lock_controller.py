"""The passphrase lock's controller flow over the in-memory vault twin:
first-use offer, setup (rules, recovery key), skip, unlock, wrong tries and
the growing wait, the recovery key, passphrase change, the idle setting, and
the views of each screen (escaped, labelled)."""

from __future__ import annotations

import asyncio

import pytest

from carelog.adapters.memory_vault import MemoryVault, normal_recovery_key
from carelog.ui import lock_views
from carelog.ui.lock_controller import IDLE_CHOICES, LockController, wait_seconds

PASS = "blue kettle sings at dawn"


class Clock:
    def __init__(self, now: int = 1_764_000_000_000):
        self.now = now

    def __call__(self) -> int:
        return self.now


def make():
    clock = Clock()
    vault = MemoryVault(now_ms=clock)
    return LockController(vault, now_ms=clock), vault, clock


def run(coro):
    return asyncio.run(coro)


async def _set_up(c):
    await c.load()
    await c.action("setup")
    await c.submit("lock-setup", {"passphrase": PASS, "confirm": PASS})
    key = c.state.recovery_key
    await c.action("recovery-done")
    return key


def test_first_use_offers_the_lock_and_setup_shows_the_recovery_key_once():
    c, vault, _ = make()

    async def flow():
        await c.load()
        assert c.state.screen == "offer"
        assert "Set a passphrase" in str(lock_views.render(c.state))
        await c.action("setup")
        html = str(lock_views.render(c.state))
        assert "cannot be read" in html and 'type="password"' in html
        await c.submit("lock-setup", {"passphrase": PASS, "confirm": PASS})
        assert c.state.screen == "recovery"
        key = c.state.recovery_key
        assert normal_recovery_key(key) == key and key in str(lock_views.render(c.state))
        assert vault.migrated  # what was stored is sealed before the key is shown
        await c.action("recovery-done")
        assert c.state.recovery_key == "" and c.state.screen == "none"
        html = str(lock_views.render(c.state))
        assert key not in html and "Lock now" in html
        return key
    run(flow())


@pytest.mark.parametrize("values, field, words", [
    ({"passphrase": "short", "confirm": "short"}, "passphrase", "at least 8 characters"),
    ({"passphrase": "        x", "confirm": "        x"}, "passphrase", "at least 8 characters"),
    ({"passphrase": PASS, "confirm": PASS + "!"}, "confirm", "not the same"),
])
def test_a_bad_new_passphrase_is_refused_plainly_and_turns_nothing_on(values, field, words):
    c, vault, _ = make()

    async def flow():
        await c.load()
        await c.action("setup")
        await c.submit("lock-setup", values)
    run(flow())
    assert field in c.state.errors and words in c.state.problem
    assert vault.choice == "" and c.state.screen == "setup"
    assert 'aria-invalid="true"' in str(lock_views.render(c.state))


def test_skip_needs_a_second_tap_after_a_clear_warning():
    c, vault, _ = make()

    async def flow():
        await c.load()
        await c.action("skip")
        assert c.state.screen == "skip_warning" and vault.choice == ""
        assert "anyone who picks up this tablet" in str(lock_views.render(c.state))
        await c.action("skip-confirm")
        assert vault.choice == "skipped" and c.state.screen == "none"
        c2 = LockController(vault, now_ms=lambda: 0)
        await c2.load()
        assert c2.state.screen == "none"  # the choice is remembered: no offer again
    run(flow())


def test_lock_and_unlock_with_the_passphrase():
    c, vault, _ = make()

    async def flow():
        await _set_up(c)
        await c.lock()
        assert c.state.screen == "locked" and c.state.locked and not vault.data_readable
        html = str(lock_views.render(c.state))
        assert "carelog is locked" in html and "Lock now" not in html
        assert await c.submit("unlock", {"passphrase": PASS}) is True
        assert c.state.screen == "none" and vault.data_readable
    run(flow())


def test_wrong_passphrases_wait_longer_each_time_and_the_wait_is_kept():
    c, vault, clock = make()

    async def flow():
        await _set_up(c)
        await c.lock()
        assert await c.submit("unlock", {"passphrase": "nope nope"}) is False
        assert c.state.problem == "That passphrase is not right. Try again in 1 second."
        # the right one during the wait is refused without counting a failure
        assert await c.submit("unlock", {"passphrase": PASS}) is False
        assert "Too many wrong tries. Try again in 1 second." == c.state.problem
        assert vault.failures == 1
        clock.now += 1_000
        await c.submit("unlock", {"passphrase": "nope again"})
        assert c.state.problem == "That passphrase is not right. Try again in 2 seconds."
        # a new controller (a reload) reads the stored failures and keeps the wait
        again = LockController(vault, now_ms=clock)
        await again.load()
        assert again.state.screen == "locked" and again.wait_left() == 2
        clock.now += 2_000
        assert await again.submit("unlock", {"passphrase": PASS}) is True
        assert vault.failures == 0
    run(flow())


def test_wait_grows_and_is_capped():
    assert [wait_seconds(n) for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert wait_seconds(9) == 256 and wait_seconds(10) == wait_seconds(1000) == 300


def test_the_recovery_key_unlocks_however_it_is_typed():
    c, vault, clock = make()

    async def flow():
        key = await _set_up(c)
        await c.lock()
        await c.action("use-recovery")
        assert 'name="recovery"' in str(lock_views.render(c.state))
        assert await c.submit("unlock-recovery", {"recovery": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF"}) is False
        assert c.state.problem.startswith("That recovery key is not right.")
        clock.now += 1_000
        typed = key.lower().replace("-", " ").replace("0", "o")
        assert await c.submit("unlock-recovery", {"recovery": typed}) is True
        assert "recovery key" in c.state.message
    run(flow())


def test_changing_the_passphrase_rewraps_and_refuses_a_wrong_current_one():
    c, vault, clock = make()

    async def flow():
        key = await _set_up(c)
        wraps = vault.wraps
        await c.action("settings")
        assert c.state.screen == "settings"
        new = "green teapot hums at noon"
        await c.submit("lock-change", {"current": "wrong one", "new": new, "confirm": new})
        assert "current" in c.state.errors and vault.wraps == wraps
        clock.now += 1_000
        await c.submit("lock-change", {"current": PASS, "new": new, "confirm": new})
        assert c.state.message.startswith("The passphrase is changed") and vault.wraps == wraps + 1
        await c.lock()
        clock.now += 1_000
        assert await c.submit("unlock", {"passphrase": PASS}) is False
        clock.now += 1_000
        assert await c.submit("unlock", {"passphrase": new}) is True
        # the recovery key can stand in for a forgotten current passphrase
        clock.now += 10_000
        await c.submit("lock-change", {"current": key, "new": PASS, "confirm": PASS})
        assert c.state.message.startswith("The passphrase is changed")
    run(flow())


def test_the_idle_time_is_one_of_the_offered_choices():
    c, vault, _ = make()

    async def flow():
        await _set_up(c)
        assert vault.idle_ms == 300_000  # default: 5 minutes
        await c.action("settings")
        html = str(lock_views.render(c.state))
        assert '<option value="300000" selected>' in html
        await c.submit("lock-idle", {"idle": "30000"})
        assert vault.idle_ms == 30_000 and "30 seconds" in c.state.message
        await c.submit("lock-idle", {"idle": "5"})
        assert vault.idle_ms == 30_000 and "idle" in c.state.errors
        await c.submit("lock-idle", {"idle": "<script>"})
        assert vault.idle_ms == 30_000
    run(flow())
    assert 300_000 in IDLE_CHOICES


def test_lock_views_escape_what_they_show():
    c, _, _ = make()
    c.state.screen = "locked"
    c.state.problem = "<script>alert(1)</script>"
    html = str(lock_views.render(c.state))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'for="lock-passphrase"' in html and 'autocomplete="current-password"' in html

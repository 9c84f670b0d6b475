"""The passphrase lock's screens as a pure controller over the ``Vault`` port.

No DOM and no crypto here: ``lock_dom`` feeds it forms and taps, the vault
(WebCrypto in the browser, ``MemoryVault`` in unit tests) does the keys.

    >>> import asyncio
    >>> from carelog.adapters.memory_vault import MemoryVault
    >>> async def demo():
    ...     c = LockController(MemoryVault(now_ms=lambda: 0), now_ms=lambda: 0)
    ...     await c.load()
    ...     await c.submit("lock-setup", {"passphrase": "blue kettle sings", "confirm": "blue kettle sings"})
    ...     return c.state.screen, len(c.state.recovery_key)
    >>> asyncio.run(demo())
    ('recovery', 29)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..ports import LockStatus, Vault

MIN_PASSPHRASE = 8
MAX_PASSPHRASE = 1024
MAX_WAIT_SECONDS = 300
# idle choices (milliseconds -> words), the default is 5 minutes
IDLE_CHOICES = {
    30_000: "30 seconds", 60_000: "1 minute", 120_000: "2 minutes", 300_000: "5 minutes",
    600_000: "10 minutes", 900_000: "15 minutes", 1_800_000: "30 minutes",
}
WRONG_PASSPHRASE = "That passphrase is not right. Try again in {wait}."
WRONG_RECOVERY = "That recovery key is not right. Check each group of four, then try again in {wait}."
WAIT_FIRST = "Too many wrong tries. Try again in {wait}."


def wait_seconds(failures: int) -> int:
    """Seconds to wait after ``failures`` wrong tries in a row: 1, 2, 4, ... up to 5 minutes.

    >>> [wait_seconds(n) for n in (0, 1, 2, 3, 10, 30)]
    [0, 1, 2, 4, 300, 300]
    """
    if failures <= 0:
        return 0
    return min(2 ** min(failures - 1, 20), MAX_WAIT_SECONDS)


def seconds_text(seconds: int) -> str:
    """ "1 second", "5 seconds" """
    return f"{seconds} second" if seconds == 1 else f"{seconds} seconds"


@dataclass
class LockState:
    """What the lock screens show. ``screen``: none | offer | setup |
    skip_warning | recovery | locked | settings."""

    screen: str = "none"
    status: LockStatus = field(default_factory=LockStatus)
    message: str = ""
    problem: str = ""
    errors: dict = field(default_factory=dict)
    recovery_key: str = ""     # shown once, right after setting up; then forgotten
    use_recovery: bool = False  # the unlock form asks for the recovery key
    encrypted: int = -1        # records sealed when the lock was turned on (-1: not yet)

    @property
    def locked(self) -> bool:
        return self.status.enabled and not self.status.unlocked


class LockController:
    """Owns the ``LockState``; every method leaves it ready to render.

    ``submit`` and ``action`` return True when the vault has just been
    unlocked (the DOM glue then shows the app again)."""

    def __init__(self, vault: Vault, now_ms: Callable[[], int]):
        self.vault = vault
        self.now_ms = now_ms
        self.state = LockState()

    async def load(self) -> None:
        """Read the lock's state and choose the screen: the unlock form, the
        first-use offer, or nothing."""
        s = self.state
        s.status = await self.vault.status()
        if s.locked:
            s.screen = "locked"
        elif s.status.choice == "" and s.screen == "none":
            s.screen = "offer"

    def wait_left(self) -> int:
        """Seconds before the next try is allowed (0: now)."""
        st = self.state.status
        if not st.failures:
            return 0
        until = st.last_failure_ms + wait_seconds(st.failures) * 1000
        return max(0, -(-(until - self.now_ms()) // 1000))

    def _clear(self) -> None:
        s = self.state
        s.message, s.problem, s.errors = "", "", {}

    # --- forms -------------------------------------------------------------

    async def submit(self, form: str, values: dict) -> bool:
        """Handle a lock form. True when it unlocked the vault."""
        self._clear()
        s = self.state
        if form in ("unlock", "unlock-recovery"):
            return await self._unlock(values, recovery=form == "unlock-recovery")
        if form == "lock-setup":
            new = self._new_passphrase(values, "passphrase", "confirm")
            if new is None:
                return False
            s.recovery_key = await self.vault.set_up(new)
            # what was stored before is sealed now, not after the key is written down
            s.encrypted = await self.vault.encrypt_existing()
            s.status = await self.vault.status()
            s.screen = "recovery"
            return False
        if form == "lock-change":
            current = str(values.get("current", ""))
            new = self._new_passphrase(values, "new", "confirm")
            if new is None:
                return False
            left = self.wait_left()
            if left:
                s.problem = WAIT_FIRST.format(wait=seconds_text(left))
                return False
            if not current or not await self.vault.change_passphrase(current, new):
                s.status = await self.vault.status()
                s.errors = {"current": "That is not the current passphrase or the recovery key."}
                s.problem = WRONG_PASSPHRASE.format(wait=seconds_text(wait_seconds(s.status.failures)))
                return False
            s.status = await self.vault.status()
            s.message = "The passphrase is changed. Use the new one from now on."
            return False
        if form == "lock-idle":
            try:
                ms = int(str(values.get("idle", "")))
            except ValueError:
                ms = 0
            if ms not in IDLE_CHOICES:
                s.errors = {"idle": "Choose one of the times in the list."}
                s.problem = "Please check: choose one of the times in the list."
                return False
            await self.vault.set_idle_ms(ms)
            s.status = await self.vault.status()
            s.message = f"carelog now locks itself after {IDLE_CHOICES[ms]} without use."
            return False
        s.problem = "Unknown form."
        return False

    def _new_passphrase(self, values: dict, name: str, confirm: str) -> str | None:
        s = self.state
        new = str(values.get(name, ""))
        again = str(values.get(confirm, ""))
        if len(new.strip()) < MIN_PASSPHRASE:
            s.errors[name] = f"Use at least {MIN_PASSPHRASE} characters. A few words you will remember is best."
        elif len(new) > MAX_PASSPHRASE:
            s.errors[name] = f"Use at most {MAX_PASSPHRASE} characters."
        elif new != again:
            s.errors[confirm] = "The two passphrases are not the same. Type it again."
        if s.errors:
            s.problem = "Please check: " + " ".join(s.errors.values())
            return None
        return new

    async def _unlock(self, values: dict, recovery: bool) -> bool:
        s = self.state
        s.use_recovery = recovery
        name = "recovery" if recovery else "passphrase"
        secret = str(values.get(name, ""))
        left = self.wait_left()
        if left:
            s.problem = WAIT_FIRST.format(wait=seconds_text(left))
            return False
        if not secret.strip():
            s.errors = {name: "Type the recovery key." if recovery else "Type the passphrase."}
            s.problem = s.errors[name]
            return False
        ok = await self.vault.unlock(secret, recovery=recovery)
        s.status = await self.vault.status()
        if not ok:
            wait = seconds_text(wait_seconds(s.status.failures))
            s.errors = {name: "Not right."}
            s.problem = (WRONG_RECOVERY if recovery else WRONG_PASSPHRASE).format(wait=wait)
            return False
        s.screen, s.use_recovery = "none", False
        if recovery:
            s.message = ("Unlocked with the recovery key. If the passphrase is forgotten, "
                         "set a new one in the lock settings.")
        return True

    # --- taps --------------------------------------------------------------

    async def action(self, name: str) -> bool:
        """Handle a ``data-lock`` button (all but "lock-now", see ``lock``)."""
        self._clear()
        s = self.state
        if name == "setup":
            s.screen = "setup"
        elif name == "skip":
            s.screen = "skip_warning"
        elif name == "skip-confirm":
            await self.vault.skip()
            s.status = await self.vault.status()
            s.screen = "none"
            s.message = "No passphrase. You can turn the lock on later in Settings."
        elif name == "recovery-done":
            s.recovery_key = ""  # shown once: gone from memory and screen
            s.status = await self.vault.status()
            s.screen = "none"
            s.message = "The lock is on. Everything on this tablet is encrypted."
        elif name == "settings":
            s.status = await self.vault.status()
            s.screen = "none" if s.screen == "settings" else "settings"
        elif name == "close":
            s.screen = "none"
        elif name == "use-recovery":
            s.use_recovery = True
        elif name == "use-passphrase":
            s.use_recovery = False
        return False

    async def lock(self) -> None:
        """Forget the data key and show only the unlock form."""
        await self.vault.lock()
        s = self.state
        self._clear()
        s.status = await self.vault.status()
        s.screen, s.use_recovery, s.recovery_key = "locked", False, ""

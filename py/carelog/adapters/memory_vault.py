"""An in-memory twin of the passphrase lock, for unit tests.

It keeps the same rules as public/js/vault.js (failures counted and stored,
recovery keys in groups of four, re-wrapping on a passphrase change) but no
real cryptography: secrets are compared as salted SHA-256 digests.

    >>> import asyncio
    >>> v = MemoryVault(now_ms=lambda: 0)
    >>> key = asyncio.run(v.set_up("correct horse"))
    >>> len(key.split("-"))
    6
"""

from __future__ import annotations

import hashlib
import os
from typing import Callable

from ..ports import LockStatus, Vault

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def normal_recovery_key(text: str) -> str | None:
    """The recovery key as typed, in its one canonical form (None if malformed)."""
    clean = str(text or "").upper().replace(" ", "").replace("-", "").replace("O", "0")
    clean = clean.replace("I", "1").replace("L", "1")
    if len(clean) != 24:
        return None
    return "-".join(clean[i:i + 4] for i in range(0, 24, 4))


class MemoryVault(Vault):
    """The lock's rules in memory. ``data_readable`` says whether a store
    behind it could read sealed data now."""

    def __init__(self, now_ms: Callable[[], int]):
        self.now_ms = now_ms
        self.choice = ""
        self.unlocked = False
        self.idle_ms = 300_000
        self.failures = 0
        self.last_failure_ms = 0
        self.migrated = False
        self.sealed_count = 0
        self._salt = os.urandom(16)
        self._pass: bytes | None = None
        self._recovery: bytes | None = None
        self.wraps = 0  # how often the data key was wrapped (a passphrase change adds one)

    def _digest(self, secret: str) -> bytes:
        return hashlib.sha256(self._salt + secret.encode("utf-8")).digest()

    @property
    def data_readable(self) -> bool:
        return self.choice != "on" or self.unlocked

    async def status(self) -> LockStatus:
        return LockStatus(enabled=self.choice == "on", unlocked=self.unlocked, choice=self.choice,
                          idle_ms=self.idle_ms, failures=self.failures, last_failure_ms=self.last_failure_ms,
                          migrated=self.migrated)

    async def set_up(self, passphrase: str) -> str:
        if self.choice == "on":
            raise RuntimeError("the lock is already on")
        raw = os.urandom(24)
        recovery = "-".join("".join(ALPHABET[b & 31] for b in raw[i:i + 4]) for i in range(0, 24, 4))
        self._pass, self._recovery = self._digest(passphrase), self._digest(recovery)
        self.choice, self.unlocked, self.migrated, self.wraps = "on", True, False, 2
        return recovery

    async def encrypt_existing(self) -> int:
        if not self.unlocked:
            raise RuntimeError("locked")
        self.migrated = True
        return self.sealed_count

    async def skip(self) -> None:
        if self.choice == "on":
            raise RuntimeError("the lock is on")
        self.choice = "skipped"

    def _fail(self) -> bool:
        self.failures += 1
        self.last_failure_ms = self.now_ms()
        return False

    async def unlock(self, secret: str, recovery: bool = False) -> bool:
        if self.choice != "on":
            return True
        if recovery:
            key = normal_recovery_key(secret)
            ok = key is not None and self._digest(key) == self._recovery
        else:
            ok = self._digest(secret) == self._pass
        if not ok:
            return self._fail()
        self.unlocked, self.failures, self.last_failure_ms = True, 0, 0
        return True

    async def lock(self) -> None:
        self.unlocked = False

    async def change_passphrase(self, current: str, new: str) -> bool:
        if self.choice != "on":
            raise RuntimeError("the lock is off")
        key = normal_recovery_key(current)
        if self._digest(current) != self._pass and (key is None or self._digest(key) != self._recovery):
            return self._fail()
        self._pass, self.failures, self.last_failure_ms = self._digest(new), 0, 0
        self.wraps += 1
        return True

    async def set_idle_ms(self, ms: int) -> None:
        self.idle_ms = max(10_000, int(ms))

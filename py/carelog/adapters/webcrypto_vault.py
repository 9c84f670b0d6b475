"""The passphrase lock in the browser: ``globalThis.carelogVault`` (public/js/vault.js).

WebCrypto derives the wrapping keys and holds the data key as a
non-extractable CryptoKey on the open database handle; this module only
passes strings across. ``js`` is imported lazily (the module imports under CPython).

    vault = WebCryptoVault(database.handle)
    if (await vault.status()).enabled and not await vault.unlock("correct horse"):
        ...
"""

from __future__ import annotations

import json
from typing import Any

from ..ports import LockStatus, StoreError, Vault


def _vault():
    import js  # noqa: PLC0415 - browser only

    helper = getattr(js, "carelogVault", None)
    if helper is None:
        raise StoreError("The lock helper did not load.")
    return helper


class WebCryptoVault(Vault):
    """``Vault`` over vault.js and one open carelog database handle."""

    def __init__(self, handle: Any):
        self._db = handle

    async def status(self) -> LockStatus:
        data = json.loads(await _vault().status(self._db))
        return LockStatus(enabled=bool(data["enabled"]), unlocked=bool(data["unlocked"]),
                          choice=str(data["choice"] or ""), idle_ms=int(data["idleMs"]),
                          failures=int(data["failures"]), last_failure_ms=int(data["lastFailureAt"]),
                          migrated=bool(data["migrated"]))

    async def set_up(self, passphrase: str) -> str:
        return str(await _vault().setUp(self._db, passphrase))

    async def encrypt_existing(self) -> int:
        return int(await _vault().encryptExisting(self._db, 500))

    async def skip(self) -> None:
        await _vault().skip(self._db)

    async def unlock(self, secret: str, recovery: bool = False) -> bool:
        return bool(await _vault().unlock(self._db, secret, "recovery" if recovery else "passphrase"))

    async def lock(self) -> None:
        _vault().lock(self._db)

    async def change_passphrase(self, current: str, new: str) -> bool:
        return bool(await _vault().changePassphrase(self._db, current, new))

    async def set_idle_ms(self, ms: int) -> None:
        await _vault().setIdle(self._db, int(ms))

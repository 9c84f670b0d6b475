"""The composition root: the one place where adapters are chosen and wired.

    >>> log = build_for_tests()          # CPython: in-memory twins
    >>> # in the browser: app = await build_for_browser()
"""

from __future__ import annotations

from .adapters.memory import CountingIds, FixedClock, MemoryEntryStore, MemorySettings, RandomIds
from .ports import Clock, EntryStore, IdSource, Settings
from .services import CareLog

TEST_EPOCH_MS = 1_764_000_000_000  # 2025-11-24T16:00:00Z


def build_for_tests(store: EntryStore | None = None, settings: Settings | None = None,
                    clock: Clock | None = None, ids: IdSource | None = None) -> CareLog:
    """A CareLog over in-memory twins (each part can be injected)."""
    # ``is None``, not ``or``: an empty store has len() 0 and would be replaced
    log = CareLog(MemoryEntryStore() if store is None else store,
                  MemorySettings() if settings is None else settings,
                  FixedClock(TEST_EPOCH_MS) if clock is None else clock,
                  CountingIds() if ids is None else ids)
    if isinstance(log.store, MemoryEntryStore):
        from .adapters.memory_vitaldays import MemoryVitalDays  # noqa: PLC0415 - tests only

        log.vital_days = MemoryVitalDays(log.store)  # the charts' cache (vitaldays_cache)
    return log


async def build_for_browser(db_name: str = "carelog") -> CareLog:
    """A started CareLog over IndexedDB and the browser's clock."""
    from .adapters.browser import BrowserClock, IndexedDB

    database = await IndexedDB.open(db_name)
    log = CareLog(database.entries, database.settings, BrowserClock(), RandomIds())
    log.vital_days = _vital_days(database)
    await log.start()
    return log


async def open_for_browser(db_name: str = "carelog"):
    """The CareLog (not started yet: the passphrase lock may be closed) and the
    ``Vault`` over the same IndexedDB database."""
    from .adapters.browser import BrowserClock, IndexedDB
    from .adapters.webcrypto_vault import WebCryptoVault

    database = await IndexedDB.open(db_name)
    log = CareLog(database.entries, database.settings, BrowserClock(), RandomIds())
    log.vital_days = _vital_days(database)
    return log, WebCryptoVault(database.handle)


def _vital_days(database):
    """The charts' cache over the same database (public/js/vitaldays.js)."""
    from .adapters.browser_vitaldays import IndexedDBVitalDays

    return IndexedDBVitalDays(database.handle)


def browser_sync_transports():
    """The browser's sync transports: ``(make_transport(authorization),
    make_s3_transport(credentials))``: ``fetch`` for a folder on a web server,
    signed ``fetch`` for an S3-compatible bucket."""
    from .adapters.browser_sync import FetchTransport
    from .adapters.s3_fetch import s3_fetch_transport

    return (lambda auth: FetchTransport(authorization=auth)), s3_fetch_transport

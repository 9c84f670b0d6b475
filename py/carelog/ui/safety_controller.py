"""Storage health and backups for the ``Controller`` (pure of the DOM).

The route ``#/storage`` shows the storage panel (``safety_views``): whether
the browser keeps the data, space used against the quota, the age of the last
backup, and iPhone/iPad advice. The DOM glue (``safety_dom``) hands over the
device facts through a ``StorageProbe`` and the crypto through ``derive`` and
``random_bytes``; ``export_backup`` and ``restore_backup`` do the rest.

    >>> import asyncio
    >>> from carelog.bootstrap import build_for_tests
    >>> from carelog.ui.controller import Controller
    >>> c = Controller(build_for_tests())
    >>> _ = asyncio.run(c.safety.navigate(["storage"]))
    >>> c.state.screen
    'storage'
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from ..domain.storage_health import StorageFacts, assess
from ..interop import backup
from ..ports import StorageFull, StorageUnavailable, StoreError
from .state import Toast

if TYPE_CHECKING:
    from .controller import Controller

LAST_BACKUP_KEY = "last_backup_ms"
SCREENS = frozenset({"storage"})
PAGE = 2_000
FULL = ("The tablet's storage is full, so the backup could not be restored. Nothing was changed. "
        "Free some space (old photos, videos or apps), then try again.")


class StorageProbe(abc.ABC):
    """What the browser says about storage (browser: ``navigator.storage``)."""

    @abc.abstractmethod
    async def estimate(self) -> tuple[int | None, int | None]:
        """(usage, quota) in bytes; None where unknown."""

    @abc.abstractmethod
    async def persisted(self) -> bool | None:
        """Whether the data is protected from eviction; None when unknown."""

    @abc.abstractmethod
    async def persist(self) -> bool | None:
        """Ask the browser to protect the data; the answer (None: cannot ask)."""

    @abc.abstractmethod
    def device(self) -> dict:
        """``user_agent``, ``platform``, ``max_touch_points``, ``standalone``."""


class SafetyScreens:
    """The storage-and-backup part of the controller; it writes ``controller.state``."""

    def __init__(self, controller: "Controller"):
        self.c = controller
        self.probe: StorageProbe | None = None
        self.derive: backup.Derive | None = None
        self.random_bytes: Callable[[int], bytes] | None = None

    @property
    def state(self):
        return self.c.state

    @property
    def log(self):
        return self.c.log

    # --- routes and buttons -----------------------------------------------

    async def navigate(self, parts: list[str]) -> bool:
        """``#/storage``: the storage panel."""
        if parts[:1] != ["storage"]:
            return False
        self.state.screen = "storage"
        self.state.safety.backup_problem = self.state.safety.restore_problem = ""
        await self.refresh()
        return True

    async def action(self, name: str, data: dict[str, Any]) -> bool:
        """``storage-persist``: ask the browser to keep the data."""
        if name != "storage-persist":
            return False
        granted = await self.probe.persist() if self.probe is not None else None
        self.state.storage.persisted = granted
        if granted:
            self.state.toast = Toast("The browser will keep carelog's data.")
        else:
            self.state.toast = Toast("The browser did not agree to keep the data for sure. Make backups often; "
                                     "adding carelog to the home screen helps.", tone="warn")
        await self.refresh()
        return True

    async def refresh(self) -> None:
        """Read the device facts and the last backup time again."""
        s = self.state
        if self.probe is not None:
            try:
                s.storage.usage, s.storage.quota = await self.probe.estimate()
                persisted = await self.probe.persisted()
                if persisted is not None:
                    s.storage.persisted = persisted
                for key, value in self.probe.device().items():
                    setattr(s.safety, key, value)
            except Exception:  # noqa: BLE001 - the panel then says "unknown"
                pass
        stored = await self.log.settings.get(LAST_BACKUP_KEY)
        s.safety.last_backup_ms = stored if isinstance(stored, int) and not isinstance(stored, bool) else None

    def facts(self) -> StorageFacts:
        s = self.state
        return StorageFacts(now_ms=s.now_ms or self.log.clock.now_ms(), persisted=s.storage.persisted,
                            usage=s.storage.usage, quota=s.storage.quota, last_backup_ms=s.safety.last_backup_ms,
                            user_agent=s.safety.user_agent, platform=s.safety.platform,
                            max_touch_points=s.safety.max_touch_points, standalone=s.safety.standalone)

    def findings(self):
        return assess(self.facts())

    # --- backups -------------------------------------------------------------

    async def all_events(self) -> list:
        """Every event this device stores (all recipients), through the change feed."""
        store, cursor, found = self.log.store, 0, []
        while True:
            page, cursor = await store.events_after(cursor, PAGE)
            found.extend(page)
            if len(page) < PAGE:
                return found

    async def export_backup(self, passphrase: Any, confirm: Any) -> tuple[str, bytes] | None:
        """The backup file (name, bytes), or None with ``backup_problem`` set."""
        s = self.state.safety
        s.backup_problem = ""
        try:
            backup.check_passphrase(passphrase, confirm)
            if self.derive is None or self.random_bytes is None:
                raise backup.BackupError("This browser cannot encrypt a backup.")
            now = self.log.clock.now_ms()
            data = await backup.seal(await self.all_events(), passphrase, derive=self.derive,
                                     salt=self.random_bytes(backup.SALT_BYTES), created_ms=now,
                                     device=self.log.device_id)
        except backup.BackupError as problem:
            s.backup_problem = str(problem)
            return None
        except (StoreError, StorageUnavailable) as error:
            s.backup_problem = f"The data could not be read for the backup: {error}."
            return None
        return backup.file_name(now), data

    async def backup_taken(self, created_ms: int | None = None) -> None:
        """Remember that a backup file was handed to the browser to save."""
        when = created_ms or self.log.clock.now_ms()
        try:
            await self.log.settings.put(LAST_BACKUP_KEY, when)
        except (StorageFull, StoreError, StorageUnavailable):
            pass  # the file exists; only the panel's reminder is not updated
        self.state.safety.last_backup_ms = when
        self.state.toast = Toast("Backup file made. Keep it somewhere other than this tablet, "
                                 "and keep the passphrase safe: without it the backup cannot be opened.")

    async def restore_backup(self, data: Any, passphrase: Any) -> int | None:
        """Merge a backup into this device: every entry not here yet is added, in
        one transaction; nothing is changed or removed. Returns how many were new,
        or None with ``restore_problem`` set (then nothing was stored)."""
        s = self.state.safety
        s.restore_problem = ""
        try:
            if self.derive is None:
                raise backup.BackupError("This browser cannot open an encrypted backup.")
            contents = await backup.open_backup(data, passphrase, derive=self.derive)
            added = await self.log.store.put_events(contents.events)
        except backup.BackupError as problem:
            s.restore_problem = str(problem) if "Nothing" in str(problem) else f"{problem} Nothing was restored."
            return None
        except StorageFull:
            s.restore_problem = FULL
            return None
        except (StoreError, StorageUnavailable) as error:
            s.restore_problem = f"The backup could not be saved: {error}. Nothing was restored."
            return None
        if contents.events:
            self.log.observe_stamp(max(e.hlc for e in contents.events))
        await self.c._load_recipients()
        known = len(contents.events) - added
        if added:
            self.state.toast = Toast(f"Backup restored: {added} new entries added"
                                     + (f", {known} were already here." if known else "."))
        else:
            self.state.toast = Toast("Nothing new: everything in this backup is already on this device.")
        return added

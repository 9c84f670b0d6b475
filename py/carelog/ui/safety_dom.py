"""The DOM glue of the storage and backup screen (``#/storage``).

It gives the controller's ``SafetyScreens`` the browser's facts
(``navigator.storage``, the user agent) and WebCrypto, and handles the two
backup forms itself, because they carry a file and must hand one back:

- "Make backup file": the passphrase goes to ``export_backup``; the sealed
  bytes become a ``Blob`` downloaded through a temporary ``<a download>``
  made with ``createElement`` (no markup), then ``backup_taken`` records it.
- "Restore from backup": the chosen file's bytes (``File.arrayBuffer``) and the
  passphrase go to ``restore_backup``.

    mount_safety(controller, app, js.document, js.window)   # before app.start()
"""

from __future__ import annotations

from typing import Any

from ..interop.backup import MAX_BACKUP_BYTES
from .jsnull import found
from .safety_controller import StorageProbe

FORMS = ("backup-export", "backup-restore")
REVOKE_MS = 60_000


class BrowserStorageProbe(StorageProbe):
    """``navigator.storage`` and what the browser says about the device."""

    def __init__(self, navigator: Any, window: Any):
        self.navigator = navigator
        self.window = window

    def _storage(self):
        return getattr(self.navigator, "storage", None)

    async def estimate(self):
        storage = self._storage()
        if storage is None or getattr(storage, "estimate", None) is None:
            return None, None
        found = await storage.estimate()
        usage, quota = getattr(found, "usage", None), getattr(found, "quota", None)
        return (int(usage) if isinstance(usage, (int, float)) else None,
                int(quota) if isinstance(quota, (int, float)) else None)

    async def persisted(self):
        storage = self._storage()
        if storage is None or getattr(storage, "persisted", None) is None:
            return None
        return bool(await storage.persisted())

    async def persist(self):
        storage = self._storage()
        if storage is None or getattr(storage, "persist", None) is None:
            return None
        return bool(await storage.persist())

    def device(self) -> dict:
        nav = self.navigator
        standalone = bool(getattr(nav, "standalone", False) is True)
        try:
            standalone = standalone or bool(self.window.matchMedia("(display-mode: standalone)").matches)
        except Exception:  # noqa: BLE001 - an old browser without matchMedia
            pass
        touch = getattr(nav, "maxTouchPoints", 0)
        return {"user_agent": str(getattr(nav, "userAgent", "") or ""),
                "platform": str(getattr(nav, "platform", "") or ""),
                "max_touch_points": int(touch) if isinstance(touch, (int, float)) else 0,
                "standalone": standalone}


def _value(form: Any, name: str) -> str:
    field = found(form.querySelector(f"[name={name}]"))
    return "" if field is None else str(field.value or "")


def download(document: Any, name: str, data: bytes) -> None:
    """Hand bytes to the browser as a downloaded file."""
    import js  # noqa: PLC0415 - browser only
    from pyodide.ffi import create_once_callable, to_js  # noqa: PLC0415

    array = js.Uint8Array.new(to_js(bytes(data)))
    blob = js.Blob.new(js.Array.of(array), to_js({"type": "application/json"}, dict_converter=js.Object.fromEntries))
    url = js.URL.createObjectURL(blob)
    link = document.createElement("a")
    link.href = url
    link.download = name
    link.hidden = True
    document.body.appendChild(link)
    link.click()
    link.remove()
    js.setTimeout(create_once_callable(lambda: js.URL.revokeObjectURL(url)), REVOKE_MS)


class SafetyForms:
    """Listens (capture phase, before the app's own listener) for the two backup forms."""

    def __init__(self, controller: Any, app: Any, document: Any):
        self.controller = controller
        self.app = app
        self.document = document

    def on_submit(self, event: Any) -> None:
        form = event.target
        name = str(getattr(form.dataset, "form", None) or "") if getattr(form, "dataset", None) else ""
        if name not in FORMS:
            return
        event.preventDefault()
        event.stopPropagation()
        work = self._export if name == "backup-export" else self._restore
        self.app.run_action(lambda: work(form))

    async def _export(self, form: Any) -> None:
        safety = self.controller.safety
        made = await safety.export_backup(_value(form, "backup_passphrase"), _value(form, "backup_confirm"))
        if made is None:
            return
        name, data = made
        download(self.document, name, data)
        await safety.backup_taken()

    async def _restore(self, form: Any) -> None:
        safety = self.controller.safety
        field = found(form.querySelector("[name=backup_file]"))
        files = None if field is None else field.files
        if files is None or int(files.length) == 0:
            safety.state.safety.restore_problem = "Choose the backup file first."
            return
        chosen = files.item(0)
        if int(chosen.size) > MAX_BACKUP_BYTES:
            safety.state.safety.restore_problem = "This file is too large to be a carelog backup. Nothing was restored."
            return
        import js  # noqa: PLC0415

        data = js.Uint8Array.new(await chosen.arrayBuffer()).to_bytes()
        await safety.restore_backup(data, _value(form, "restore_passphrase"))


# WebCrypto through the sync adapter, imported on the first backup or restore: it brings in
# the sync format (~40 ms that the first screen of a cold start does not need)
def _derive(*args: Any, **kwargs: Any):
    from ..adapters.browser_sync import WebCryptoCipher  # noqa: PLC0415

    return WebCryptoCipher.from_passphrase(*args, **kwargs)


def _random_bytes(n: int) -> bytes:
    from ..adapters.browser_sync import random_bytes  # noqa: PLC0415

    return random_bytes(n)


def mount_safety(controller: Any, app: Any, document: Any, window: Any) -> SafetyForms:
    """Give the controller the browser's storage facts and crypto; take over the backup forms."""
    import js  # noqa: PLC0415
    from pyodide.ffi import create_proxy  # noqa: PLC0415

    safety = controller.safety
    safety.probe = BrowserStorageProbe(js.navigator, window)
    safety.derive = _derive
    safety.random_bytes = _random_bytes
    forms = SafetyForms(controller, app, document)
    forms.proxy = create_proxy(forms.on_submit)
    document.addEventListener("submit", forms.proxy, True)
    return forms

"""Sync in the page: the status line, the settings panel, and when runs happen.

Mounted by main.py after the app started (``await mount_sync(log, document, window)``).

- Runs: "Sync now", soon after a save (the app's BroadcastChannel "changed"
  message, which a second channel object in this tab receives too), when the
  browser comes back ``online``, and on a timer (every 5 minutes; exponential
  backoff with jitter after failures).
- One tab at a time: the run holds the Web Lock ``carelog-sync``
  (``ifAvailable``: a tab that finds it taken skips; the other tab's run
  covers the same database).
- After a run that pulled entries it posts ``"synced"`` on
  BroadcastChannel("carelog"): every tab (this one too) re-reads its screen.

``PANEL`` is the mounted panel (tests reach it through ``?debug=1``).
"""

from __future__ import annotations

from typing import Any

from ..sync import format as fmt
from ..sync import s3_settings
from ..sync.engine import SyncError
from ..sync.service import AFTER_SAVE_MS, SyncService, describe
from . import sync_views
from .jsnull import found as _found
from .page_tasks import listen, spawn

LOCK_NAME = "carelog-sync"
KEY_NAME = "circle"
PANEL: "SyncPanel | None" = None


class BrowserKeyStore:
    """The circle key as a non-extractable CryptoKey in IndexedDB ("keys" store)."""

    def __init__(self, handle: Any):
        self._db = handle

    async def get(self):
        from ..adapters.browser_sync import WebCryptoCipher  # noqa: PLC0415

        key = _found(await self._db.getKey(KEY_NAME))
        return None if key is None else WebCryptoCipher(key)

    async def put(self, cipher) -> None:
        await self._db.putKey(KEY_NAME, None if cipher is None else cipher._key)


def make_service(log: Any) -> SyncService:
    from ..adapters.browser_sync import WebCryptoCipher, random_bytes  # noqa: PLC0415
    from ..bootstrap import browser_sync_transports  # noqa: PLC0415

    store = log.store
    make_transport, make_s3_transport = browser_sync_transports()
    return SyncService(log, feed=store, make_transport=make_transport,
                       keys=BrowserKeyStore(store.handle), derive=WebCryptoCipher.from_passphrase,
                       random_bytes=random_bytes, from_key=WebCryptoCipher.from_raw_key,
                       make_s3_transport=make_s3_transport)


class SyncPanel:
    def __init__(self, service: SyncService, document: Any, window: Any):
        self.service = service
        self.document = document
        self.window = window
        self.root = document.getElementById("sync-root")
        self.open = False
        self.message = ""
        self.problem = ""
        self._proxies: list = []
        self._timer = None
        self._soon = None
        self._channel = None
        self._tasks: set = set()
        self.runs = 0
        self.invite = ""                  # a link to show (in memory only: it carries the key)
        self.offer: Any = None            # an opened invite (fmt.Invite) waiting for a tap
        self.qr: list | None = None       # the invite's QR modules, while shown
        self.conflicts = 0                # entries with two versions (a link to #/conflicts)
        self.kind = "folder"              # the endpoint type chosen in the form ("folder" or "s3")

    # --- wiring --------------------------------------------------------

    def _listen(self, target: Any, event: str, handler) -> None:
        listen(self._proxies, target, event, handler)

    def _spawn(self, coroutine) -> None:
        spawn(self._tasks, coroutine, "carelog sync")

    async def start(self) -> None:
        import js  # noqa: PLC0415

        await self.service.load()
        if self.service.config is not None:
            try:
                await self.service.refresh_pending()
            except Exception:  # noqa: BLE001 - informative only
                pass
        await self._count_conflicts()
        self.render()
        self._listen(self.root, "click", self._on_click)
        self._listen(self.root, "submit", self._on_submit)
        self._listen(self.root, "change", self._on_change)
        self._listen(self.window, "online", lambda event: self.schedule(500))
        if getattr(js, "BroadcastChannel", None) is not None:
            self._channel = js.BroadcastChannel.new("carelog")
            self._listen(self._channel, "message", self._on_message)
        self.schedule(2_000 if self.service.config is not None else None)

    # --- scheduling ----------------------------------------------------

    def schedule(self, delay_ms: int | None = None) -> None:
        """The next automatic run: after ``delay_ms``, else the regular
        interval or the backoff."""
        import js  # noqa: PLC0415
        from pyodide.ffi import create_once_callable  # noqa: PLC0415

        if self._timer is not None:
            js.clearTimeout(self._timer)
            self._timer = None
        if self.service.config is None:
            return
        delay = self.service.next_delay_ms() if delay_ms is None else delay_ms
        self._timer = js.setTimeout(create_once_callable(lambda: self._spawn(self.run("timer"))), delay)

    def _on_message(self, event: Any) -> None:
        data = str(getattr(event, "data", "") or "")
        if data == "synced":
            return  # another tab's run: its pull is in our database already
        # a save in this or another tab: count it as waiting, and send it soon
        self._spawn(self._after_save())

    async def _after_save(self) -> None:
        if self.service.config is None:
            return
        try:
            await self.service.refresh_pending()
        except Exception:  # noqa: BLE001
            pass
        await self._count_conflicts()  # a version kept, or a new conflict made here
        self.render()
        self.schedule(AFTER_SAVE_MS)

    async def run(self, why: str = "now") -> Any:
        """One run under the Web Lock; returns the report (None when skipped)."""
        import js  # noqa: PLC0415
        from pyodide.ffi import create_proxy  # noqa: PLC0415

        if self.service.config is None:
            return None
        self.service.status.running = True
        self.render()
        result: list = []

        async def locked():
            result.append(await self.service.sync_now())
            return True

        proxy = create_proxy(locked)
        try:
            await js.carelogSync.withLock(LOCK_NAME, proxy)
        except Exception as error:  # noqa: BLE001 - the status line says it
            self.service.status.last_error = f"Sync could not run: {error}"
        finally:
            proxy.destroy()
            self.service.status.running = False
        report = result[0] if result else None
        self.runs += 1
        if report is not None and report.pulled:
            await self._count_conflicts()
        if report is not None and report.pulled and self._channel is not None:
            self._channel.postMessage("synced")  # every other tab re-reads (and this one below)
            self._refresh_app()
        self.render()
        self.schedule()
        return report

    async def _count_conflicts(self) -> None:
        """How many of the person's newest entries have two versions, the profile's too (for the link)."""
        from ..conflicts import to_choose  # noqa: PLC0415 - the same count as #/conflicts shows
        from .controller import CONFLICT_SCAN  # noqa: PLC0415

        log = self.service.log
        try:
            chosen = await log.current_recipient()
            if not chosen:
                people = await log.recipients()
                chosen = people[0].id if people else None
            self.conflicts = (await to_choose(log, chosen, CONFLICT_SCAN)).count if chosen else 0
        except Exception:  # noqa: BLE001 - informative only
            pass

    def _refresh_app(self) -> None:
        """This tab's app re-reads its data: a message from another channel object."""
        import js  # noqa: PLC0415

        channel = js.BroadcastChannel.new("carelog")
        channel.postMessage("synced")
        channel.close()

    # --- events --------------------------------------------------------

    def _on_click(self, event: Any) -> None:
        target = _found(event.target.closest("[data-sync]"))
        if target is None:
            return
        event.preventDefault()
        action = str(target.dataset.sync)
        if action == "now":
            self._spawn(self.run("now"))
        elif action == "settings":
            self.open = not self.open
            self.message = self.problem = ""
            self.kind = s3_settings.KIND_S3 if self.service.s3 is not None else s3_settings.KIND_FOLDER
            self.render(focus=self.open)
        elif action == "close":
            self.open, self.qr = False, None
            self.render()
        elif action == "off":
            self._spawn(self._turn_off())
        elif action == "qr" and self.invite:
            self._spawn(self._show_qr())
        elif action == "qr-hide":
            self.qr = None
            self.render()
        elif action == "join-invite" and self.offer is not None:
            offer = self.offer
            self._spawn(self.setup(offer.endpoint, key=offer.key, circle=offer.circle))

    async def _show_qr(self) -> None:
        """The invite link as a QR code, made here (nothing is sent: it carries the key)."""
        from ..adapters.qr import qr_matrix  # noqa: PLC0415

        try:
            self.qr = await qr_matrix(self.invite)
        except Exception as error:  # noqa: BLE001 - the link still works without a picture
            self.qr, self.problem = None, "The QR code could not be made; the invite link above still works."
            import js  # noqa: PLC0415

            js.console.warn(f"carelog sync: no QR code: {error!r}")
        self.render()
        target = _found(self.root.querySelector("#sync-qr"))
        if target is not None:
            target.scrollIntoView()

    async def _turn_off(self) -> None:
        await self.service.turn_off()
        self.message, self.problem = "Sync is off. The entries on this device stay.", ""
        self.render()
        self.schedule()

    def _on_change(self, event: Any) -> None:
        """The endpoint type: show the S3 fields, or the folder's."""
        kind = str(getattr(event.target, "value", "") or "")
        if str(getattr(event.target, "name", "")) == "kind" and kind in (s3_settings.KIND_FOLDER, s3_settings.KIND_S3):
            self.kind = kind
            self.problem = ""
            self.render()

    def _on_submit(self, event: Any) -> None:
        import js  # noqa: PLC0415

        event.preventDefault()
        form = event.target
        submitter = _found(getattr(event, "submitter", None))
        mode = str(getattr(submitter.dataset, "mode", "join")) if submitter is not None else "join"
        values = js.Object.fromEntries(js.FormData.new(form)).to_py()
        endpoint, passphrase = str(values.get("endpoint", "")), str(values.get("passphrase", ""))
        s3 = key = None
        if str(values.get("kind", "")) == s3_settings.KIND_S3:
            try:
                endpoint, s3 = s3_settings.check_s3_settings(endpoint, str(values.get("region", "")),
                                                             str(values.get("access_key", "")),
                                                             str(values.get("secret_key", "")),
                                                             str(values.get("session_token", "")))
            except SyncError as error:
                self.message, self.problem = "", str(error)
                self.render(focus=True)
                return
            if self.offer is not None and not passphrase and self.offer.endpoint == endpoint:
                key = self.offer.key  # an invite to a bucket: its key, with the keys typed here
        self._spawn(self.setup(endpoint, passphrase, str(values.get("authorization", "")),
                               create=mode == "create", s3=s3, key=key))

    async def setup(self, endpoint: str, passphrase: str = "", authorization: str = "",
                    create: bool = False, key: bytes | None = None, circle: str | None = None,
                    s3: Any = None) -> str:
        self.message, self.problem, self.invite, self.qr = "Checking the sync address…", "", "", None
        self.render()
        try:
            self.message = await self.service.configure(endpoint, passphrase=passphrase,
                                                        authorization=authorization, create=create, key=key,
                                                        s3=s3)
            config = self.service.config
            if circle and config.circle != circle:
                self.message += " (Note: the sync address now holds another circle than the invite named.)"
            self.offer = None
            try:
                self.invite = await self._make_invite(passphrase, key)
            except Exception as error:  # noqa: BLE001 - no invite link is not a failed setup
                import js  # noqa: PLC0415

                js.console.warn(f"carelog sync: no invite link: {error!r}")
        except SyncError as error:
            self.message, self.problem = "", str(error)
            self.render(focus=True)
            return self.problem
        self.render(focus=True)
        self._spawn(self.run("setup"))
        return self.message

    async def _make_invite(self, passphrase: str, key: bytes | None) -> str:
        """The invite link (``#join=``), while the key is at hand: right after
        setting up. It is shown, never stored."""
        import base64  # noqa: PLC0415

        from ..adapters.browser_sync import raw_key_from_passphrase  # noqa: PLC0415

        config = self.service.config
        if config is None:
            return ""
        raw = None
        if config.encrypted:
            if key is not None:
                raw = key
            elif passphrase:
                raw = await raw_key_from_passphrase(passphrase, base64.b64decode(config.salt), config.iterations)
            else:
                return ""
        base = str(self.window.location.href).split("#", 1)[0].split("?", 1)[0]
        return base + "#" + fmt.encode_invite(fmt.Invite(endpoint=config.endpoint, circle=config.circle, key=raw))

    def offer_invite(self, fragment: str) -> None:
        """An invite link was opened: show the settings with a "Join" button."""
        try:
            self.offer = fmt.decode_invite(fragment)
        except fmt.SyncFormatError as error:
            self.offer, self.problem = None, str(error)
        self.open = True
        self.render(focus=True)

    # --- rendering -----------------------------------------------------

    def render(self, focus: bool = False) -> None:
        status = self.service.status
        config = self.service.config
        text = describe(status, self.service.log.clock.now_ms())
        parts = [sync_views.status_line(text, configured=status.configured, running=status.running,
                                        problem=bool(status.last_error), open_=self.open,
                                        conflicts=self.conflicts)]
        if self.open:
            parts.append(sync_views.settings_panel(
                endpoint=config.endpoint if config else (self.offer.endpoint if self.offer is not None else ""),
                circle=config.circle if config else "",
                encrypted=bool(config and config.encrypted), configured=config is not None,
                message=self.message, problem=self.problem, invite=self.invite,
                offer=self.offer.endpoint if self.offer is not None else "", qr=self.qr, kind=self.kind,
                region=self.service.s3.region if self.service.s3 else "",
                access_key=self.service.s3.access_key if self.service.s3 else "",
                current_kind=s3_settings.KIND_S3 if self.service.s3 else s3_settings.KIND_FOLDER))
        active = _found(self.document.activeElement)
        keep = None
        if active is not None and self.root.contains(active) and getattr(active, "id", ""):
            keep = str(active.id)
        values = self._form_values()
        self.root.innerHTML = "".join(str(p) for p in parts)
        self._restore_values(values)
        target = None
        if focus:
            target = _found(self.root.querySelector("#sync-problem"))
            if target is None:  # not `or`: a JsProxy's truth follows JS rules
                target = _found(self.root.querySelector("#sync-settings-title"))
        elif keep:
            target = _found(self.document.getElementById(keep))
        if target is not None:
            target.focus()

    def _form_values(self) -> dict:
        out = {}
        for name in ("f-sync-endpoint", "f-sync-passphrase", "f-sync-auth", "f-s3-region", "f-s3-access-key",
                     "f-s3-secret", "f-s3-session-token"):
            node = _found(self.document.getElementById(name))
            if node is not None:
                out[name] = str(node.value)
        return out

    def _restore_values(self, values: dict) -> None:
        for name, value in values.items():
            node = _found(self.document.getElementById(name))
            if node is not None and value:
                node.value = value


async def mount_sync(log: Any, document: Any, window: Any, invite: str = "") -> SyncPanel | None:
    """Mount the sync panel into ``#sync-root`` (absent: sync stays off).
    ``invite``: a ``#join=...`` fragment the page was opened with."""
    global PANEL
    if _found(document.getElementById("sync-root")) is None:
        return None
    panel = SyncPanel(make_service(log), document, window)
    await panel.start()
    PANEL = panel
    if invite.startswith("#join="):
        panel.offer_invite(invite)
    return panel


__all__ = ["mount_sync", "SyncPanel", "PANEL", "fmt"]

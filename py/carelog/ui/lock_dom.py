"""The passphrase lock in the page: the unlock gate at boot, "Lock now", the
idle auto-lock, the lock settings, and the draft that survives a lock.

Mounted by main.py in two steps::

    screen = LockScreen(vault, js.document, js.window, clock.now_ms)
    await screen.gate()          # lock on and locked: only the unlock form until unlocked
    ...                          # start the app (DomApp) as usual
    await screen.attach(app)     # bar, first-use offer, idle watch, draft restore

Locking saves the open form's text as a draft (a setting, so sealed with the
data key), drops the data key (``Vault.lock``), empties ``#app`` and the toast,
hides the sync line and shows only the unlock form. Unlocking brings the app
back on the screen it was on, with the draft typed in again.
``SCREEN`` is the mounted instance (tests reach it through ``?debug=1``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from . import lock_views
from .jsnull import found as _found
from .lock_controller import LockController
from .page_tasks import listen, spawn

DRAFT_KEY = "lock_draft"
SCREEN: "LockScreen | None" = None


class LockScreen:
    """Binds a ``LockController`` to ``#lock-root`` and to the app."""

    def __init__(self, vault: Any, document: Any, window: Any, now_ms: Callable[[], int]):
        self.controller = LockController(vault, now_ms)
        self.vault = vault
        self.document = document
        self.window = window
        self.root = _found(document.getElementById("lock-root"))
        if self.root is None:  # an older index.html: make the place
            self.root = document.createElement("div")
            self.root.id = "lock-root"
            app = document.getElementById("app")
            app.parentNode.insertBefore(self.root, app)
        self.app: Any = None
        self._proxies: list = []
        self._idle_proxy = None
        self._opened: asyncio.Future | None = None
        self._busy = False
        self._tasks: set = set()
        self._listening = False
        self._lock_channel = None

    # --- wiring ------------------------------------------------------------

    def _listen(self, target: Any, event: str, handler) -> None:
        listen(self._proxies, target, event, handler)

    def _start_listening(self) -> None:
        if self._listening:
            return
        self._listening = True
        self._listen(self.root, "submit", self._on_submit)
        # one listener for "data-lock" buttons here and in the app's Settings screen
        self._listen(self.document, "click", self._on_click)

    def _spawn(self, coroutine) -> None:
        spawn(self._tasks, coroutine, "carelog lock")

    def _mark(self) -> None:
        """``<html data-lock-state="off|open|locked">`` for styles and tests."""
        st = self.controller.state.status
        value = "locked" if self.controller.state.locked else ("open" if st.enabled else "off")
        self.document.documentElement.dataset.lockState = value

    # --- boot --------------------------------------------------------------

    async def gate(self) -> None:
        """At boot: when the lock is on, show only the unlock form and return
        once the right passphrase (or recovery key) was given."""
        self._start_listening()
        await self.controller.load()
        if not self.controller.state.locked:
            return
        boot = _found(getattr(self.window, "carelogBoot", None))
        if boot is not None:
            boot.ready()  # the boot is over (no start timeout while the form waits)
        self.document.documentElement.dataset.appState = "locked"
        self._opened = asyncio.get_event_loop().create_future()
        self.render(focus=True)
        await self._opened
        self._opened = None

    async def attach(self, app: Any) -> None:
        """After the app started: the bar or the first-use offer, the idle
        watch, and any draft saved by the last lock."""
        self.app = app
        html = self.document.documentElement
        if str(html.dataset.appState) == "locked":  # unlocked at the boot gate: now the app is up
            html.dataset.appState = "ready"
        self._start_listening()
        await self.controller.load()
        self.render()
        self._watch_idle()
        await self._restore_draft()

    def sync_mounted(self) -> None:
        """The sync line came up after the app (py/main.py mounts it after ready): if the
        app was locked in that moment, no sync runs and its line is hidden, as on a lock."""
        if self.app is not None and self.app.locked:
            self._pause_sync(True)

    # --- events ------------------------------------------------------------

    def _on_click(self, event: Any) -> None:
        target = _found(event.target.closest("[data-lock]"))
        if target is None:
            return
        event.preventDefault()
        action = str(target.dataset.lock)
        if action == "lock-now":
            self._spawn(self.lock())
        else:
            self._spawn(self._run(lambda: self.controller.action(action), focus=True))

    def _on_submit(self, event: Any) -> None:
        import js  # noqa: PLC0415

        form = event.target
        name = str(getattr(form.dataset, "lockForm", None) or "")
        if not name:
            return
        event.preventDefault()
        values = js.Object.fromEntries(js.FormData.new(form)).to_py()
        button = _found(form.querySelector("button[type=submit]"))
        if button is not None:
            button.disabled = True
            button.setAttribute("aria-busy", "true")
        self._spawn(self._run(lambda: self.controller.submit(name, values), focus=True))

    async def _run(self, work, focus: bool) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            was_on = self.controller.state.status.enabled
            opened = await work()
            if not was_on and self.controller.state.status.enabled:
                self._announce_lock_on()
            if opened:
                await self._after_unlock()
            else:
                self._watch_idle()
                self.render(focus=focus)
        finally:
            self._busy = False

    # --- locking -----------------------------------------------------------

    async def lock(self) -> None:
        """Save the draft, forget the key, clear the screen, show the unlock form."""
        if self.controller.state.locked or not self.controller.state.status.enabled:
            return
        app = self.app
        if app is not None:
            async with app._busy:  # never in the middle of a save
                await self._save_draft()
                app.locked = True
                self._clear_app()
        await self.controller.lock()
        self._stop_idle()
        self._pause_sync(True)
        self.render(focus=True)

    def _clear_app(self) -> None:
        """Nothing readable stays on the page or in the app's state."""
        from .care_state import CareState  # noqa: PLC0415

        app = self.app
        app.root.innerHTML = ""
        app.root.hidden = True
        app.toast_region.innerHTML = ""
        s = app.controller.state
        zone = s.care.device_zone
        s.recipients, s.recipient, s.timeline, s.entry, s.history = [], None, [], None, []
        s.form_values, s.form_errors, s.form_problem, s.toast, s.offsets = {}, {}, "", None, {}
        s.caregiver = ""
        s.care = CareState(device_zone=zone)

    async def _save_draft(self) -> None:
        import js  # noqa: PLC0415

        from . import views  # noqa: PLC0415

        app = self.app
        state = app.controller.state
        if state.screen not in views.FORM_SCREENS:
            return
        form = _found(app.root.querySelector("form[data-form]"))
        if form is None:
            return
        values = js.Object.fromEntries(js.FormData.new(form)).to_py()
        values = {str(k): v for k, v in values.items() if isinstance(v, str)}
        if not any(v.strip() for k, v in values.items() if k != "at_local"):
            return
        await app.controller.log.settings.put(DRAFT_KEY, {"route": state.route, "values": values})

    async def _restore_draft(self) -> None:
        app = self.app
        if app is None:
            return
        settings = app.controller.log.settings
        draft = await settings.get(DRAFT_KEY)
        if not isinstance(draft, dict) or not isinstance(draft.get("values"), dict):
            return
        controller = app.controller
        await controller.navigate(str(draft.get("route") or "#/"))
        controller.state.form_values.update({str(k): str(v) for k, v in draft["values"].items()})
        from .state import Toast  # noqa: PLC0415

        controller.state.toast = Toast("What you were typing is back. It is not saved yet.")
        await app.render()
        await settings.put(DRAFT_KEY, None)

    async def _after_unlock(self) -> None:
        self.render()
        if self._opened is not None:  # the boot gate: main.py starts the app now
            self._opened.set_result(True)
            return
        if not self.controller.state.status.migrated:
            await self.vault.encrypt_existing()  # a lock set up but cut off before it finished
        app = self.app
        if app is not None:
            app.locked = False
            app.root.hidden = False
            controller = app.controller
            async with app._busy:
                await controller.start()
                await self._restore_draft()
                await app.render()
        self._watch_idle()
        self._pause_sync(False)

    def _announce_lock_on(self) -> None:
        """Other open tabs of carelog reload: they then write sealed records too."""
        import js  # noqa: PLC0415

        if self._lock_channel is not None:  # a channel object never hears its own messages
            self._lock_channel.postMessage("lock-on")

    def _listen_other_tabs(self) -> None:
        import js  # noqa: PLC0415

        if getattr(js, "BroadcastChannel", None) is None:
            return
        self._lock_channel = js.BroadcastChannel.new("carelog-lock")
        self._listen(self._lock_channel, "message", lambda event: self.window.location.reload())

    # --- idle and sync -----------------------------------------------------

    def _watch_idle(self) -> None:
        import js  # noqa: PLC0415
        from pyodide.ffi import create_proxy  # noqa: PLC0415

        st = self.controller.state.status
        if not (st.enabled and st.unlocked and self.app is not None):
            return
        if self._idle_proxy is None:
            self._idle_proxy = create_proxy(lambda: self._spawn(self.lock()))
        js.carelogVault.watchIdle(st.idle_ms, self._idle_proxy)

    def _stop_idle(self) -> None:
        import js  # noqa: PLC0415

        js.carelogVault.stopIdle()

    def _pause_sync(self, paused: bool) -> None:
        """No sync runs while locked (they could not read or write); hide its line."""
        import js  # noqa: PLC0415

        node = _found(self.document.getElementById("sync-root"))
        if node is not None:
            node.hidden = paused
        try:
            from . import sync_dom  # noqa: PLC0415

            panel = sync_dom.PANEL
        except Exception:  # noqa: BLE001 - no sync panel: nothing to pause
            return
        if panel is None:
            return
        if paused and panel._timer is not None:
            js.clearTimeout(panel._timer)
            panel._timer = None
        elif not paused:
            panel.schedule(1_000)

    # --- rendering ---------------------------------------------------------

    def render(self, focus: bool = False) -> None:
        state = self.controller.state
        self.root.innerHTML = str(lock_views.render(state))
        self._mark()
        if not focus:
            return
        target = _found(self.root.querySelector("[aria-invalid=true]"))
        if target is None:
            target = _found(self.root.querySelector("#lock-problem"))
        if target is None and state.screen == "locked":
            target = _found(self.root.querySelector("input"))
        if target is None:
            target = _found(self.root.querySelector("h1, h2"))
        if target is None and self.app is not None:
            target = _found(self.app.root.querySelector("h1"))
        if target is not None:
            target.focus()


async def mount_lock(vault: Any, document: Any, window: Any, now_ms: Callable[[], int]) -> LockScreen:
    """Create the lock screen (``SCREEN``) and hold the boot at the unlock form if locked."""
    global SCREEN
    screen = LockScreen(vault, document, window, now_ms)
    SCREEN = screen
    screen._listen_other_tabs()
    await screen.gate()
    return screen

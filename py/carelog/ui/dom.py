"""The DOM glue: browser events in, controller calls, markup out.

The only UI module that touches the browser. It renders ``views.render`` with
one ``innerHTML`` assignment per screen (markup escaped by construction, see
``markup``), delegates clicks and submits from one root listener, and keeps
focus where a keyboard or screen-reader user expects it.

    app = DomApp(controller, js.document, js.window)
    await app.start()
"""

from __future__ import annotations

import asyncio
from typing import Any

from . import report_dom, views
from .controller import Controller
from .jsnull import found as _found
from .notify_dom import DomNotifier
from .state import Toast

TOAST_MS = 10_000
UNEXPECTED = ("Something went wrong and this was not done. Everything saved before is safe. "
              "Try again; if it keeps happening, reload the page.")


def device_zone() -> str:
    """The device's IANA time zone from ``Intl`` ("UTC" when the browser does not say)."""
    import js  # noqa: PLC0415 - browser only

    try:
        name = js.Intl.DateTimeFormat.new().resolvedOptions().timeZone
    except Exception:  # an old or locked-down browser
        return "UTC"
    return str(name) if isinstance(name, str) and name else "UTC"


class DomApp:
    """Binds one Controller to the page."""

    def __init__(self, controller: Controller, document: Any, window: Any):
        self.controller = controller
        self.document = document
        self.window = window
        self.root = document.getElementById("app")
        self.toast_region = document.getElementById("toast")
        self._busy = asyncio.Lock()
        self._acting = False  # a user action is running (background refreshes do not count)
        self._address_waiting = False  # the address changed while an action ran: show it after
        self._last_screen = None
        self._ignore_hash: str | None = None
        self._proxies: list[Any] = []
        self._toast_timer = None
        self._channel = None
        self.locked = False  # the passphrase lock is closed (lock_dom): no action, no refresh
        self.notifier: DomNotifier | None = None

    # --- wiring ------------------------------------------------------------

    def _listen(self, target: Any, event: str, handler) -> None:
        from pyodide.ffi import create_proxy  # noqa: PLC0415 - browser only

        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        target.addEventListener(event, proxy)

    async def start(self) -> None:
        """Load data, render the first screen and start listening."""
        state = self.controller.state
        state.route = str(self.window.location.hash or "#/")
        boot = getattr(self.window, "carelogBoot", None)
        if boot is not None:
            state.update_ready = bool(getattr(boot, "updateReady", False))
        self.controller.care.set_device_zone(device_zone())
        await self.controller.start()
        self.notifier = DomNotifier(self.controller, self.window)  # system notifications (Settings)
        await self.notifier.start()
        self._listen(self.root, "click", self._on_click)
        self._listen(self.root, "submit", self._on_submit)
        self._listen(self.toast_region, "click", self._on_click)
        self._listen(self.window, "hashchange", self._on_hash)
        report_dom.listen(self)  # a chart's table is made when "Show as table" opens
        self._listen(self.window, "carelog:update-ready", self._on_update_ready)
        self._listen(self.window, "carelog:db-versionchange", self._on_db_replaced)
        self._open_channel()
        await self.render()

    def _open_channel(self) -> None:
        import js  # noqa: PLC0415 - browser only

        if getattr(js, "BroadcastChannel", None) is None:
            return
        self._channel = js.BroadcastChannel.new("carelog")
        self._listen(self._channel, "message", self._on_other_tab)

    def run_action(self, work, keep_toast: bool = False) -> None:
        """Run ``work`` (an async callable) as one user action, in the background: one at a
        time, not while locked, any error reported in plain words, then the screen rendered
        (the glue of other screens, e.g. ``safety_dom`` and ``report_dom``, goes through here)."""
        self._spawn(self._run(work, keep_toast=keep_toast))

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        task.add_done_callback(self._report)

    def _report(self, task) -> None:
        if not task.cancelled() and task.exception() is not None:
            import js  # noqa: PLC0415 - browser only

            js.console.error(f"carelog: {task.exception()!r}")

    # --- events ------------------------------------------------------------

    def _on_click(self, event: Any) -> None:
        target = _found(event.target.closest("[data-action]"))
        if target is None:
            return
        event.preventDefault()
        action = str(target.dataset.action)
        data = {"id": str(getattr(target.dataset, "id", None) or "")}  # undefined: AttributeError
        if report_dom.handle_click(self, action, data):  # print, downloads, import file, share
            return
        if action == "reload":
            self.window.location.reload()
            return
        if action == "apply-update":
            self.window.carelogBoot.applyUpdate()
            return
        if action == "notify-toggle":  # asks the browser's permission: only ever on this tap
            self._spawn(self._run(self.notifier.toggle, keep_toast=False))
            return
        self._spawn(self._run(lambda: self.controller.action(action, data), keep_toast=action == "undo"))

    def _on_submit(self, event: Any) -> None:
        import js  # noqa: PLC0415 - browser only

        event.preventDefault()
        form = event.target
        name = str(getattr(form.dataset, "form", None) or "")
        values = js.Object.fromEntries(js.FormData.new(form)).to_py()
        button = _found(form.querySelector("button[type=submit]"))
        if button is not None:
            button.disabled = True
            button.setAttribute("aria-busy", "true")
        self._spawn(self._run(lambda: self.controller.submit(name, values), keep_toast=False, wrote=True))

    def _on_hash(self, event: Any) -> None:
        route = str(self.window.location.hash or "#/")
        if route == self._ignore_hash:
            self._ignore_hash = None
            return
        report_dom.show_preparing(self, route)  # a long report or chart says it is on its way
        self._spawn(self._follow_address())

    async def _follow_address(self) -> None:
        """Show the screen of the address's route. While another action runs (a
        slow screen, a save), the newest address is shown once it ends: a tap on
        a link, or Back, during a load is never lost."""
        if self._acting:
            self._address_waiting = True
            return
        route = str(self.window.location.hash or "#/")
        await self._run(lambda: self.controller.navigate(route), keep_toast=False)

    def _on_update_ready(self, event: Any) -> None:
        self.controller.state.update_ready = True
        self._render_banners()

    def _on_db_replaced(self, event: Any) -> None:
        self.controller.state.db_replaced = True
        self._render_banners()

    def _on_other_tab(self, event: Any) -> None:
        if self.locked:
            return
        async def refresh():
            await self.controller.refresh()
            if self.controller.state.screen == "home":
                await self.render(focus=False)
        self._spawn(self._exclusive(refresh))

    async def _exclusive(self, work) -> None:
        async with self._busy:
            await work()

    async def _run(self, work, keep_toast: bool, wrote: bool = False) -> None:
        """One user action at a time: a double tap cannot save twice.

        A background refresh (another tab saved) only delays a user action: it
        must not swallow a Save whose button is already disabled."""
        if self._acting or self.locked:
            return
        self._acting = True
        try:
            async with self._busy:
                before = self.controller.state.toast
                if not keep_toast:
                    self.controller.state.toast = None
                try:
                    await work()
                except Exception as error:  # never leave a disabled Save and no word
                    self._report_error(error)
                    self.controller.state.toast = Toast(UNEXPECTED, tone="error")
                state = self.controller.state
                changed_toast = state.toast is not None and state.toast is not before
                if changed_toast and self._channel is not None and state.toast.tone == "ok":
                    self._channel.postMessage("changed")
                await self.render()
        finally:
            self._acting = False
            if self._address_waiting:
                self._address_waiting = False
                if str(self.window.location.hash or "#/") != self.controller.state.route:
                    self._spawn(self._follow_address())

    def _report_error(self, error: Exception) -> None:
        import js  # noqa: PLC0415 - browser only

        js.console.warn(f"carelog: unexpected error: {error!r}")

    # --- rendering ---------------------------------------------------------

    async def render(self, focus: bool = True) -> None:
        """Put the state on the page and move focus sensibly."""
        if self.locked:  # nothing is shown behind the unlock form
            return
        state = self.controller.state
        self.root.innerHTML = str(views.render(state))
        self._render_toast()
        if self.notifier is not None:
            self.notifier.spawn_check()
        if str(self.window.location.hash or "#/") != state.route and not self._address_waiting:
            # (a newer address typed or tapped meanwhile is kept: it is shown next)
            self._ignore_hash = state.route
            self.window.location.hash = state.route
        if not focus:
            return
        target = None
        if state.scroll_to:  # back on the timeline an entry was changed from: there, not at the top
            item = _found(self.root.querySelector(f'[data-entry="{state.scroll_to}"]'))
            state.scroll_to = ""
            if item is not None:
                item.scrollIntoView(self.window.JSON.parse('{"block": "center"}'))
                target = _found(item.querySelector("a"))
        if target is None and (state.form_errors or state.form_problem):
            target = _found(self.root.querySelector("[aria-invalid=true]"))
            if target is None:  # not `or`: a JsProxy's truth follows JS length/size rules
                target = _found(self.root.querySelector("#form-problem"))
        if target is None and (state.screen != self._last_screen or state.toast is None):
            target = _found(self.root.querySelector("h1"))
        if target is not None:
            target.focus()
        self._last_screen = state.screen

    def _render_banners(self) -> None:
        """Show news that arrives in the background (a new build, another tab's
        upgrade) without re-rendering the screen: a form being typed in keeps
        its text, focus and caret (``render`` would rebuild it from the state)."""
        if self.controller.state.screen not in views.FORM_SCREENS:
            self._spawn(self.render(focus=False))
            return
        for old in list(self.root.querySelectorAll(".banner")):
            old.remove()
        markup = str(views.banners(self.controller.state))
        if not markup:
            return
        header = _found(self.root.querySelector("header"))
        if header is not None:
            header.insertAdjacentHTML("afterend", markup)
        else:
            self.root.insertAdjacentHTML("afterbegin", markup)

    def _render_toast(self) -> None:
        import js  # noqa: PLC0415 - browser only
        from pyodide.ffi import create_once_callable  # noqa: PLC0415 - browser only

        state = self.controller.state
        self.toast_region.innerHTML = str(views.toast(state))
        if self._toast_timer is not None:
            js.clearTimeout(self._toast_timer)
            self._toast_timer = None
        if state.toast is not None:
            shown = state.toast

            def clear() -> None:
                if self.controller.state.toast is shown:
                    self.controller.state.toast = None
                    self.toast_region.innerHTML = ""
            self._toast_timer = js.setTimeout(create_once_callable(clear), TOAST_MS)

"""System notifications while carelog is open (the browser part).

The Settings switch (``data-action="notify-toggle"``) asks the browser's
permission on that tap, never on load. When on and allowed, ``check`` runs
after each screen and once a minute: it reads today's board and the last
day's alerts, asks the pure ``notify_policy.Notifier`` what is new, and shows
each with ``new Notification(title, {body, tag})``. When the browser has no
Notification API, or the permission is denied, nothing is shown and Settings
says so in plain words.

    notifier = DomNotifier(controller, window)
    await notifier.start()        # reads the device's choice; starts the minute timer
"""

from __future__ import annotations

from typing import Any

from .notify_policy import Notifier, notices

SETTING = "notifications"
EVERY_MS = 60_000


class DomNotifier:
    """Binds the notification policy to the page's Notification API."""

    def __init__(self, controller: Any, window: Any):
        self.c = controller
        self.window = window
        self.policy = Notifier()
        self.wanted = False
        self._timer = None
        self._recipient = None

    def _api(self):
        return getattr(self.window, "Notification", None)

    def _permission(self) -> str:
        api = self._api()
        return "unsupported" if api is None else str(getattr(api, "permission", "default"))

    def _status(self) -> str:
        permission = self._permission()
        if permission == "unsupported":
            return "unsupported"
        if permission == "denied":
            return "denied"
        return "on" if self.wanted and permission == "granted" else "off"

    async def start(self) -> None:
        """Read this device's choice and start the minute timer (no permission asked)."""
        from pyodide.ffi import create_proxy  # noqa: PLC0415 - browser only

        self.wanted = bool(await self.c.log.settings.get(SETTING, False))
        self.c.state.care.notify = self._status()
        self._tick = create_proxy(lambda *_: self.spawn_check())
        self._timer = self.window.setInterval(self._tick, EVERY_MS)

    async def toggle(self) -> None:
        """The Settings switch: on asks permission (now: the user just tapped), off forgets."""
        state = self.c.state
        if self.wanted:
            self.wanted = False
            self.policy.reset()
        else:
            api = self._api()
            if api is not None and self._permission() == "default":
                try:
                    await api.requestPermission()
                except Exception:  # an old browser's callback form: read the answer below
                    pass
            self.wanted = self._permission() == "granted"
        await self.c.log.settings.put(SETTING, self.wanted)
        state.care.notify = self._status()
        if self.wanted:
            await self.check()  # remembers what is on screen now, so only news is told

    def spawn_check(self) -> None:
        import asyncio  # noqa: PLC0415

        if self.c.state.care.notify == "on":
            asyncio.ensure_future(self._safe_check())

    async def _safe_check(self) -> None:
        try:
            await self.check()
        except Exception as error:  # a notification must never break the log
            import js  # noqa: PLC0415 - browser only

            js.console.warn(f"carelog: notifications: {error!r}")

    async def check(self) -> None:
        """Show what fell due or arose since the last look."""
        import js  # noqa: PLC0415 - browser only
        from pyodide.ffi import to_js  # noqa: PLC0415 - browser only

        state = self.c.state
        state.care.notify = self._status()
        if state.care.notify != "on" or state.recipient is None:
            return
        rid = state.recipient.id
        if rid != self._recipient:
            self._recipient = rid
            self.policy.reset()
        tz = state.care.tz
        log = self.c.log
        board = await log.today_board(rid, tz)
        alert_views = await log.alerts(rid, tz, days=1)
        for notice in self.policy.decide(notices(board, alert_views, tz)):
            options = to_js({"body": notice.body, "tag": notice.key}, dict_converter=js.Object.fromEntries)
            self._api().new(notice.title, options)

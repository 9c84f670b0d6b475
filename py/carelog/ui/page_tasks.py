"""What the page glue (lock_dom, sync_dom) shares: event listeners whose
proxies stay alive, and background tasks whose failures reach the console.

Browser only: ``pyodide`` and ``js`` are imported when called.
"""

from __future__ import annotations

import asyncio
from typing import Any


def listen(proxies: list, target: Any, event: str, handler) -> None:
    """``target.addEventListener(event, handler)``; the proxy is kept in
    ``proxies`` (a proxy that is garbage-collected stops the listener)."""
    from pyodide.ffi import create_proxy  # noqa: PLC0415 - browser only

    proxy = create_proxy(handler)
    proxies.append(proxy)
    target.addEventListener(event, proxy)


def spawn(tasks: set, coroutine, label: str) -> None:
    """Run ``coroutine`` in the background, held in ``tasks`` until it ends;
    an exception is written to the console as ``label: error``."""
    task = asyncio.ensure_future(coroutine)
    tasks.add(task)

    def done(t):
        tasks.discard(t)
        if not t.cancelled() and t.exception() is not None:
            import js  # noqa: PLC0415 - browser only

            js.console.warn(f"{label}: {t.exception()!r}")
    task.add_done_callback(done)

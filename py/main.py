"""Browser entry point: wire the app (``carelog.bootstrap``) and mount the UI.

PyScript runs this file after it has unpacked the carelog wheel. It marks
``<html data-app-state="ready">`` when the first screen is interactive, or
hands a plain-language reason to the boot screen when the app cannot start.
"""

import os
import sys

import js

js.performance.mark("carelog:main.py")  # bench/bench_start.py splits main.py's time at these marks
# the zone rules: PyScript copies the stored tzdata zip here (pyscript.json); imported from
# the zip (zoneinfo reads it through importlib.resources), not unpacked into ~600 files
TZDATA = os.path.abspath("tzdata-stored.zip")
if TZDATA not in sys.path:
    sys.path.append(TZDATA)

from carelog.bootstrap import open_for_browser
from carelog.ports import StorageUnavailable
from carelog.ui.controller import Controller
from carelog.ui.dom import DomApp


async def _storage_info(state) -> None:
    """Ask the browser to keep our data, and how much space there is."""
    storage = getattr(js.navigator, "storage", None)
    if storage is None:
        return
    try:
        if getattr(storage, "persist", None) is not None:
            state.storage.persisted = bool(await storage.persist())
        if getattr(storage, "estimate", None) is not None:
            estimate = await storage.estimate()
            state.storage.usage = int(estimate.usage or 0)
            state.storage.quota = int(estimate.quota or 0)
    except Exception as error:  # the panel then says "unknown"
        js.console.warn(f"carelog: storage estimate failed: {error}")


def _install_debug_hook() -> None:
    """With ``?debug=1``, let tests run Python inside the page (contract suite)."""
    if "debug=1" not in str(js.location.search):
        return
    from pyodide.code import eval_code_async
    from pyodide.ffi import create_proxy, to_js

    async def run_python(source):
        namespace = {"__name__": "carelog_debug"}
        result = await eval_code_async(str(source), namespace)
        return to_js(result) if result is not None else None

    # which modules this start imported before ready (tests/browser/test_lazy_screens.py)
    before_ready = sorted(sys.modules)
    js.carelogDebug = to_js({"runPython": create_proxy(run_python), "modulesAtReady": before_ready},
                            dict_converter=js.Object.fromEntries)


def _take_invite() -> str:
    """A ``#join=...`` invite fragment (it carries a circle key): taken out of the
    address at once, so it stays out of the history and the app's router."""
    fragment = str(js.location.hash or "")
    if not fragment.startswith("#join="):
        return ""
    js.history.replaceState(None, "", str(js.location.pathname) + str(js.location.search))
    return fragment


async def _mount_sync(log, invite: str) -> None:
    """The sync status line and settings (carelog.ui.sync_dom); the log works without them."""
    try:
        from carelog.ui.sync_dom import mount_sync

        await mount_sync(log, js.document, js.window, invite)
    except Exception as error:  # sync broken must never mean the log is broken
        js.console.warn(f"carelog: sync is not available: {type(error).__name__}: {error}")


def _mount_safety(controller, app) -> None:
    """Storage health and backups (carelog.ui.safety_dom); the log works without them."""
    try:
        from carelog.ui.safety_dom import mount_safety

        mount_safety(controller, app, js.document, js.window)
    except Exception as error:
        js.console.warn(f"carelog: backups are not available: {type(error).__name__}: {error}")


async def _import_later() -> None:
    """Import the modules that the first screen did not need (other screens, the
    interop formats), one per idle moment, so that their first use is quick. A
    start from the memory snapshot has them all already (public/js/fast-start.mjs)."""
    import asyncio

    from carelog.ui import later

    for name in later.pending():
        await asyncio.sleep(0.05)  # let a tap or a render go first
        try:
            later.load(name)
        except Exception as error:  # the screen imports it again when it is opened
            js.console.warn(f"carelog: {name} not imported early: {type(error).__name__}: {error}")


async def main() -> None:
    boot = js.carelogBoot
    js.performance.mark("carelog:imported")
    try:
        log, vault = await open_for_browser()
    except StorageUnavailable as error:
        # A database of a newer schema (e.g. after a rollback) is not "storage blocked".
        boot.fail("newer-data" if "VersionError" in str(error) else "storage", str(error))
        return
    # the passphrase lock (carelog.ui.lock_dom): when it is on, only the unlock form until unlocked
    from carelog.ui.lock_dom import mount_lock

    js.performance.mark("carelog:opened")
    lock = await mount_lock(vault, js.document, js.window, log.clock.now_ms)
    invite = _take_invite()
    controller = Controller(log, build=str(boot.build))
    js.performance.mark("carelog:locked")
    await _storage_info(controller.state)
    js.performance.mark("carelog:storage")
    app = DomApp(controller, js.document, js.window)
    _mount_safety(controller, app)
    js.performance.mark("carelog:mounted")
    await app.start()
    js.performance.mark("carelog:started")
    await lock.attach(app)
    _install_debug_hook()
    # wait for the first paint: what follows imports modules and would hold the screen back
    await boot.ready()
    # after ready: the sync line, then the other screens' modules (carelog.ui.later)
    await _mount_sync(log, invite)
    lock.sync_mounted()
    await _import_later()


try:
    await main()  # noqa: F704 - PyScript runs this file with top-level await
except Exception as error:
    js.carelogBoot.fail("crash", f"{type(error).__name__}: {error}")
    raise

"""A start without a snapshot imports only what its first screen needs (issue 7).

py/main.py marks the app ready once the first screen is drawn; the other
screens' views, the export/import formats and the sync panel are imported after
that (carelog.ui.later), or by the first route to them (views.load_later). A
start from the memory snapshot has them all. ``carelogDebug.modulesAtReady``
(``?debug=1``) lists the modules imported before ready.
"""

from __future__ import annotations

import time

import pytest

from .helpers import run_python, setup_person, wait_ready, wait_screen
from .test_fast_start import start_path, wait_snapshot_saved

pytestmark = pytest.mark.browser

DEBUG = "?debug=1"
LATER = ("carelog.ui.report_views", "carelog.ui.chart_views", "carelog.ui.timeline_views",
         "carelog.ui.safety_views", "carelog.ui.conflict_views", "carelog.interop.fhir_import",
         "carelog.interop.csv_export", "carelog.interop.report", "carelog.ui.sync_dom", "carelog.sync.engine")
# imported on first use, not by the first screen: URL quoting (urllib.parse imports ipaddress),
# ids (uuid), alert ids (hashlib), and the sync adapter's WebCrypto that a backup uses
FIRST_USE = ("urllib.parse", "ipaddress", "uuid", "hashlib", "carelog.adapters.browser_sync",
             "carelog.sync.format")
DROP_SNAPSHOT = ("caches.keys().then(keys => Promise.all(keys.filter(k => k.startsWith('carelog-snapshot-'))"
                 ".map(k => caches.delete(k))))")


def at_ready(page) -> list[str]:
    page.wait_for_function("() => window.carelogDebug && window.carelogDebug.modulesAtReady", timeout=60_000)
    return page.evaluate("Array.from(window.carelogDebug.modulesAtReady)")


def all_loaded(page, timeout_s: float = 60) -> None:
    """carelog.ui.later has imported everything after ready (one module per idle moment)."""
    deadline = time.monotonic() + timeout_s
    while run_python(page, "from carelog.ui import later\nlen(later.pending())") != 0:
        assert time.monotonic() < deadline, "the later modules were not imported after ready"
        page.wait_for_timeout(200)


def test_first_visit_imports_the_other_screens_after_ready(page, app_server):
    page.goto(app_server.url + DEBUG)
    wait_ready(page)
    assert start_path(page) == ("normal", "none stored")
    modules = at_ready(page)
    assert "carelog.ui.dom" in modules and "carelog.care" in modules
    assert [name for name in LATER if name in modules] == []
    assert [name for name in FIRST_USE if name in modules] == []
    all_loaded(page)
    loaded = run_python(page, f"import sys\n[name for name in {LATER!r} if name in sys.modules]")
    assert list(loaded) == list(LATER)
    # the first screen's core came compiled (build.py FIRST_SCREEN); its views and the later modules as source
    loaders = run_python(page, "import sys\n{name: [type(m.__spec__.loader).__name__, m.__file__.endswith('__init__.py')]"
                               " for name, m in sys.modules.items() if name.startswith('carelog.') and m.__spec__}")
    core = [name for name in modules if name.startswith("carelog.") and not name.startswith("carelog.ui.")
            and not loaders[name][1]]
    assert len(core) > 30 and {loaders[name][0] for name in core} == {"SourcelessFileLoader"}, core
    assert {loaders[name][0] for name in (*LATER, "carelog.ui.dom")} == {"SourceFileLoader"}
    # the sync line came up after ready
    page.wait_for_function("document.getElementById('sync-root').childElementCount > 0", timeout=30_000)
    setup_person(page, "Ann", "Mum")
    page.evaluate("location.hash = '#/timeline'")
    wait_screen(page, "Timeline")


@pytest.mark.parametrize("route, heading", [("#/timeline", "Timeline"), ("#/storage", "Storage and backups"),
                                            ("#/charts", "Vital sign charts")])
def test_a_later_screen_in_the_address_is_the_first_screen(page, app_server, route, heading):
    """Opened straight on a screen whose module a normal start leaves for later:
    that screen is drawn at ready (its module imported by the route)."""
    page.goto(app_server.url + DEBUG)
    wait_ready(page)
    setup_person(page, "Ann", "Mum")
    wait_snapshot_saved(page)
    page.evaluate(DROP_SNAPSHOT)  # the next start is a normal one, as a first visit
    page.goto(app_server.url + DEBUG + route)
    wait_ready(page)
    assert start_path(page) == ("normal", "none stored")
    wait_screen(page, heading)
    assert "carelog.ui.views" in at_ready(page)


def test_a_snapshot_start_has_every_module_at_ready(page, app_server):
    page.goto(app_server.url + DEBUG)
    wait_ready(page)
    setup_person(page, "Ann", "Mum")
    wait_snapshot_saved(page)
    page.reload()
    wait_ready(page)
    assert start_path(page) == ("snapshot", None)
    modules = at_ready(page)
    assert [name for name in LATER if name not in modules] == []
    wait_screen(page, "Mum")
    page.evaluate("location.hash = '#/storage'")
    wait_screen(page, "Storage and backups")

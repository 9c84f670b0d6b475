"""The trimmed standard library: every screen works from it alone, and a module it
left out still loads when online (from the full zip) and fails clearly offline.

build.py serves Pyodide ``python_stdlib-app.zip`` (browser-stdlib.txt's modules)
instead of the full ``python_stdlib.zip``, which stays in the build, not
precached; ``py/stdlib_fallback.py`` fetches it on the first import that needs it.
"""

from __future__ import annotations

import pytest

from .helpers import run_python, setup_person, wait_ready
from .screens_walk import walk_all_screens

pytestmark = pytest.mark.browser

FULL = "vendor/pyodide/python_stdlib.zip"
FINDER = ("import sys; f = next(m for m in sys.meta_path if type(m).__name__ == 'MissingStdlibFinder'); "
          "[f.loaded, list(f.fetched)]")


def full_zip_requests(page) -> list[str]:
    return [url for url in page.requested if url.split("?")[0].endswith(FULL)]


def watch_requests(page) -> None:
    page.requested = []
    page.context.on("request", lambda request: page.requested.append(request.url))


def test_every_screen_runs_on_the_trimmed_stdlib(page, app_server):
    watch_requests(page)
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    setup_person(page, "Ann", "Mum")
    routes = walk_all_screens(page)
    assert len(routes) > 20, routes
    # zone rules come from the stored tzdata copy: every zone, with the right offsets
    zones = run_python(page, """
import datetime as dt, zoneinfo
from carelog.domain.zones import zone, to_instant, wall_key
ny = zone("America/New_York")
[len(zoneinfo.available_timezones()),
 wall_key(to_instant(dt.datetime(2024, 11, 3, 1, 30), ny), ny),
 str(dt.datetime(2024, 7, 1, 12, tzinfo=zone("Australia/Lord_Howe")).utcoffset()),
 str(dt.datetime(2024, 1, 1, 12, tzinfo=zone("Asia/Kathmandu")).utcoffset())]""")
    assert zones[0] > 400
    assert zones[1:] == ["2024-11-03T01:30", "10:30:00", "5:45:00"]
    modules = run_python(page, "import sys; sorted(sys.modules)")
    assert "carelog.ui.dom" in modules and "zoneinfo" in modules
    # nothing needed the full standard library
    assert run_python(page, FINDER) == [False, []]
    assert full_zip_requests(page) == []


def test_a_left_out_module_loads_online_and_fails_clearly_offline(page, app_server):
    page.guard.allow_console_error(r"python_stdlib\.zip|Failed to load resource|ERR_")
    watch_requests(page)
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    assert "difflib" not in run_python(page, "import sys; sorted(sys.modules)")

    app_server.stop()
    message = run_python(page, """
try:
    import difflib
    result = "imported"
except ModuleNotFoundError as error:
    result = str(error)
result""")
    assert "'difflib' is not in carelog's offline copy" in message
    assert "Connect to the internet" in message
    assert run_python(page, FINDER) == [False, []]

    app_server.start()
    ratio = run_python(page, "import difflib; difflib.SequenceMatcher(None, 'abcd', 'abce').ratio()")
    assert ratio == 0.75
    # a left-out submodule of a package the trimmed zip keeps
    assert run_python(page, "import json, json.tool; json.tool.__name__") == "json.tool"
    assert run_python(page, FINDER) == [True, ["difflib", "json.tool"]]
    assert len(full_zip_requests(page)) >= 1
    # the app still saves
    setup_person(page, "Bo", "Dad")

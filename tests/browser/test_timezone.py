"""Time zones in the page: Pyodide's core has no tz database, so the build
vendors the ``tzdata`` wheel and PyScript unpacks it next to the app.

zoneinfo works in the page, also with the server STOPPED (the service worker
serves the whole build, tzdata included); and the device's zone comes from
``Intl`` through the glue.
"""

from __future__ import annotations

import json

import pytest

from .helpers import run_python, wait_offline_copy, wait_ready

pytestmark = pytest.mark.browser

CHECK = """
import datetime as dt, json, zoneinfo
import tzdata
from carelog.domain import zones
ny = zoneinfo.ZoneInfo("America/New_York")
summer = dt.datetime(2024, 7, 1, 12, tzinfo=ny).utcoffset().total_seconds() / 3600
winter = dt.datetime(2024, 1, 1, 12, tzinfo=ny).utcoffset().total_seconds() / 3600
gap = zones.wall_key(zones.to_instant(dt.datetime(2024, 3, 10, 2, 30), zones.zone("America/New_York")),
                     zones.zone("America/New_York"))
from carelog.ui import dom
json.dumps({"summer": summer, "winter": winter, "gap": gap, "tzdata": tzdata.IANA_VERSION,
            "device": dom.device_zone()})
"""


def test_zoneinfo_works_in_the_page_offline(make_page, app_server):
    page = make_page(timezone_id="Europe/Berlin")
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    first = json.loads(run_python(page, CHECK))
    assert first["summer"] == -4 and first["winter"] == -5
    assert first["gap"] == "2024-03-10T03:00"
    assert first["tzdata"].startswith("2026")
    assert first["device"] == "Europe/Berlin"

    wait_offline_copy(page)  # the first visit's copy is whole
    app_server.stop()  # offline from here: only the service worker answers
    try:
        page.reload()
        wait_ready(page)
        again = json.loads(run_python(page, CHECK))
        assert again == first
    finally:
        app_server.start()

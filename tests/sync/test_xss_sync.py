"""Synced text is shown as text, never run: another device (the sync engine
under CPython, writing to the real nginx endpoint with plain PUTs) publishes
200+ hostile payloads as people's names, notes and authors; the tablet pulls
them and every one shows literally; no script runs and no dialog opens."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from carelog.adapters.memory import MemoryEntryStore, MemorySettings
from carelog.cli import UrlTransport
from carelog.ports import Response
from carelog.sync.engine import sync_once

from ..browser.helpers import setup_person, wait_screen
from ..browser.test_storage_screen import run_async
from ..browser.test_xss_import import check_shown, hostile_events
from ..browser.xss_payloads import payloads
from .devices import RECIPIENT, set_up_sync, sync_until_clean

pytestmark = [pytest.mark.sync, pytest.mark.browser]


class PutTransport(UrlTransport):
    """The command-line tool's urllib transport, with PUT: a second device."""

    async def put(self, url: str, body: bytes, if_match: str | None = None) -> Response:
        request = urllib.request.Request(url, data=bytes(body), method="PUT",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - test endpoint
                return Response(answer.status, answer.read(), answer.headers.get("ETag"))
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), None)


async def publish(endpoint: str, events) -> None:
    store = MemoryEntryStore()
    await store.put_events(events)
    report = await sync_once(endpoint=endpoint, device_id="other-device", store=store, feed=store,
                             transport=PutTransport(), settings=MemorySettings())
    assert report.ok and report.pushed == len(events), report


def test_hostile_text_from_another_device_shows_literally(nginx, make_device, app_server):
    tablet = make_device()
    setup_person(tablet, "Ann", RECIPIENT)
    set_up_sync(tablet, nginx.endpoint, "", create=True)

    texts = payloads(200)
    events, notes, names = hostile_events(texts)
    run_async(publish(nginx.endpoint, events))

    report = sync_until_clean(tablet)
    assert report["pulled"] >= len(events)
    assert check_shown(tablet, app_server.url + "?debug=1", names, notes) == len(texts)
    tablet.goto(app_server.url + "?debug=1#/recipients")
    wait_screen(tablet, "Choose a person")

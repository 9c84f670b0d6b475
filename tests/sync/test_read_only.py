"""A read-only static server (a copy of the circle folder, with CORS for GET):
a device joins it, pulls every entry, and says plainly that it cannot push;
its own entries stay on it. Real nginx for the writable side, a standard
library static server on a third origin for the copy."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from ..browser.helpers import guarded_pages, setup_person, timeline_summaries, wait_ready, wait_screen
from .conftest import SyncGuard
from .devices import RECIPIENT, add_note, set_up_sync, state, sync, sync_until_clean, welcome
from .static_server import StaticServer

pytestmark = [pytest.mark.sync, pytest.mark.browser]


class TwoEndpointGuard(SyncGuard):
    def __init__(self, server, nginx_origin: str, static_origin: str):
        super().__init__(server, nginx_origin)
        self.static_origin = static_origin
        self.allow_console_error(r"blocked by CORS policy")  # the refused PUT preflight

    def on_request(self, request) -> None:
        if request.url.startswith(self.static_origin + "/"):
            return
        super().on_request(request)


def test_read_only_copy_pulls_and_says_it_cannot_push(nginx, browser, app_server, request, tmp_path):
    copy = tmp_path / "static"
    static = StaticServer(copy, app_origin=app_server.origin)
    with guarded_pages(browser, request, lambda: TwoEndpointGuard(app_server, nginx.origin, static.origin),
                       60_000) as open_page:
        a = open_page()
        a.goto(app_server.url + "?debug=1")
        wait_ready(a)
        setup_person(a, "Ann", RECIPIENT)
        add_note(a, "Before the copy")
        set_up_sync(a, nginx.endpoint, "a passphrase for the copy", create=True)
        add_note(a, "Also before the copy")
        sync_until_clean(a)
        shutil.copytree(nginx.root, copy)  # the circle folder published to a static host
        static.start()
        try:
            b = open_page()
            b.goto(app_server.url + "?debug=1")
            wait_ready(b)
            welcome(b, "Bea")
            set_up_sync(b, static.endpoint, "a passphrase for the copy")
            b.reload()
            wait_ready(b)
            wait_screen(b, RECIPIENT)
            summaries = timeline_summaries(b)
            assert "Before the copy" in summaries and "Also before the copy" in summaries

            add_note(b, "Written on the copy")
            report = sync(b)
            assert report["unexpected"] is None and report["pending"] == 1
            assert report["errors"][0].startswith("The sync address does not accept changes (read-only)")
            expect(b.locator("#sync-root")).to_contain_text("read-only", timeout=30_000)
            assert static.writes == 0  # the browser refused the PUT at the preflight
            texts = sorted(e["payload"].get("text", "") for e in state(b)["entries"].values()
                           if e["kind"] == "note")
            assert texts == ["Also before the copy", "Before the copy", "Written on the copy"]
        finally:
            static.stop()

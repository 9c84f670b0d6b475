"""Shared fixtures for the browser tests (Playwright sync API + Debian's Chromium).

    def test_something(app_server, page):
        page.goto(app_server.url)
        wait_ready(page)

- ``dist_dir``: the built site (repo dist/, or a fresh build in a tmp folder).
- ``app_server``: dist/ served at the sub-path /carelog/sub/ on 127.0.0.1. It can
  be stopped and restarted on the SAME port (same origin, so the service worker
  and IndexedDB persist) and can switch the folder it serves (update test).
- ``make_page(viewport=...)`` / ``page``: a fresh browser context per test whose
  guard FAILS the test at teardown on any request to another origin (or outside
  the sub-path), any console error, any uncaught page error and any dialog.

One Chromium runs for the whole package; it is package-scoped (not session)
because Playwright's sync API keeps an asyncio loop "running" in this thread,
which would break ``asyncio.run`` in the CPython tests that run after these.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import AppServer, Guard, guarded_pages, launched_chromium, site_dist


# --------------------------------------------------------------------------- the site

@pytest.fixture(scope="package")
def dist_dir(tmp_path_factory) -> Path:
    """The built site (see helpers.site_dist)."""
    return site_dist(tmp_path_factory)


@pytest.fixture(scope="package")
def _server(dist_dir):
    server = AppServer(dist_dir).start()
    yield server
    server.stop()


@pytest.fixture
def app_server(_server, dist_dir) -> AppServer:
    """The running server, serving dist/; whatever a test did to it is undone after."""
    if _server.folder != dist_dir or not _server.running:
        _server.serve(dist_dir)
    _server.served.clear()
    yield _server
    if _server.folder != dist_dir or not _server.running:
        _server.serve(dist_dir)


# --------------------------------------------------------------------------- the browser

@pytest.fixture(scope="package")
def browser():
    """One Chromium for the package; a new context per test."""
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def make_page(browser, app_server, request):
    """Factory: a guarded page in a fresh context (tablet viewport by default)."""
    with guarded_pages(browser, request, lambda: Guard(app_server), 30_000) as open_page:
        yield open_page


@pytest.fixture
def page(make_page):
    """A guarded tablet-sized page in a fresh context."""
    return make_page()

"""Fixtures for the sync tests: the built app on a sub-path, a real nginx WebDAV
endpoint on another port (another origin: CORS is exercised), and browser
contexts as devices.

    def test_x(nginx, make_device):
        a = make_device()              # a guarded page, app booted with ?debug=1

The guard of tests/browser allows requests to the app; here it also allows the
endpoint's origin (and only it). Chromium logs a console error for every HTTP
error answer ("Failed to load resource"): sync meets 404s by design (no index
yet) and the fault tests inject 500s, so those lines are allowed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from ..browser.helpers import AppServer, Guard, guarded_pages, launched_chromium, site_dist, wait_ready
from .nginx_server import NGINX, NginxServer


class SyncGuard(Guard):
    def __init__(self, server: AppServer, endpoint_origin: str):
        super().__init__(server)
        self.endpoint_origin = endpoint_origin
        self.allow_console_error(r"Failed to load resource")
        self.endpoint_requests = 0

    def on_request(self, request) -> None:
        if request.url.startswith(self.endpoint_origin + "/"):
            self.endpoint_requests += 1
            return
        super().on_request(request)


@pytest.fixture(scope="package")
def dist_dir(tmp_path_factory) -> Path:
    """The built site (see helpers.site_dist)."""
    return site_dist(tmp_path_factory)


@pytest.fixture(scope="package")
def app_server(dist_dir):
    server = AppServer(dist_dir).start()
    yield server
    server.stop()


@pytest.fixture
def nginx(tmp_path, app_server):
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed: run bash tests/run_all.sh (it installs nginx-light)")
    server = NginxServer(tmp_path / "nginx", app_origin=app_server.origin).start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the package; a new context per test."""
    with launched_chromium() as chromium:
        yield chromium


@contextlib.contextmanager
def booted_devices(browser, app_server: AppServer, request, endpoint_origin: str):
    """Factory of devices (browser contexts with the app booted, ``?debug=1``)
    whose guard allows the app's origin and endpoint_origin, nothing else."""
    with guarded_pages(browser, request, lambda: SyncGuard(app_server, endpoint_origin), 60_000) as open_page:
        def factory():
            page = open_page()
            page.goto(app_server.url + "?debug=1")
            wait_ready(page)
            return page

        yield factory


@pytest.fixture
def make_device(browser, app_server, nginx, request):
    """Factory: a new device (browser context) with the app booted (``?debug=1``)."""
    with booted_devices(browser, app_server, request, nginx.origin) as factory:
        yield factory

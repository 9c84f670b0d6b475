"""Faults injected with Playwright's routing on the way to a real nginx, and
end-to-end encryption checked on the files nginx stores.

- Faults: 500, 503, connection reset (the request never reaches nginx), a
  lost answer (nginx did it, the connection drops before the answer),
  timeouts (a request never answered, or answered after nginx did it but
  too late: the transport's timeout is cut to 1.5 s here), stale listings
  (the first JSON autoindex of a folder served again after new files exist), and
  truncated bodies, garbage bytes and valid JSON of the wrong shape (nginx's
  real answer with another body), at random, while two devices record and sync.
  Afterwards, with faults off, every entry any device showed as saved is on
  every device, once, and both hold the same events.
- Encryption: a sentinel typed into a note never appears in any file under
  nginx's root; every data file is an AES-GCM-256 envelope with its own IV.
"""

from __future__ import annotations

import base64
import json
import os
import random

import pytest

from ..browser.helpers import setup_person, timeline_summaries, wait_ready, wait_screen
from .devices import RECIPIENT, add_note, run_with_panel, set_up_sync, state, sync, sync_until_clean, welcome

pytestmark = [pytest.mark.sync, pytest.mark.browser]

FAULTS = ("500", "503", "reset", "lost_answer", "truncated", "garbage", "wrong_shape", "timeout",
          "timeout_after_write", "stale_listing")
TIMEOUT_MS = 1500  # the transport's timeout in these tests (the app's is 20 s)

SHORT_TIMEOUT = f"""
from carelog.ui import sync_dom
from carelog.adapters.browser_sync import FetchTransport
sync_dom.PANEL.service.make_transport = lambda auth: FetchTransport(authorization=auth, timeout_ms={TIMEOUT_MS})
'ok'
"""


class FaultInjector:
    """A ``page.route`` handler: passes requests to nginx, or breaks them at random."""

    def __init__(self, rng: random.Random, app_origin: str, rate: float = 0.3):
        self.rng = rng
        self.rate = rate
        self.cors = {"access-control-allow-origin": app_origin, "access-control-expose-headers": "ETag",
                     "cache-control": "no-cache"}
        self.on = True
        self.injected: dict[str, int] = {}
        self.listings: dict[str, bytes] = {}   # the first listing of each folder
        self.hanging: list = []                # routes never answered (timeouts)

    def __call__(self, route, request) -> None:
        listing = request.method == "GET" and request.url.endswith("/")
        if listing and request.url not in self.listings:
            response = route.fetch()  # the first listing of a folder: kept, served again later as stale
            self.listings[request.url] = response.body()
            route.fulfill(response=response)
            return
        if not self.on or request.method == "OPTIONS" or self.rng.random() >= self.rate:
            route.continue_()
            return
        fault = self.rng.choice(FAULTS)
        if listing and fault != "timeout":
            fault = "stale_listing"
        elif fault == "stale_listing":
            fault = "timeout"
        self.injected[fault] = self.injected.get(fault, 0) + 1
        if fault == "timeout":  # never answered: the transport gives up after its timeout
            self.hanging.append(route)
        elif fault == "timeout_after_write":  # nginx did it (a PUT is stored); the answer comes too late
            route.fetch()
            self.hanging.append(route)
        elif fault == "stale_listing":  # an old autoindex JSON, though newer files exist
            route.fulfill(status=200, headers={**self.cors, "content-type": "application/json"},
                          body=self.listings[request.url])
        elif fault in ("500", "503"):
            route.fulfill(status=int(fault), headers=self.cors, body="<html>server error</html>")
        elif fault == "reset":
            route.abort("connectionreset")
        elif fault == "lost_answer":  # nginx did it (a PUT is stored), the answer never arrives
            route.fetch()
            route.abort("connectionreset")
        else:
            # body faults: the request really reaches nginx (a PUT is stored: a server
            # that answers 2xx did write), and its answer comes back with another body
            response = route.fetch()
            body = response.body()
            if fault == "wrong_shape":
                body = self.rng.choice([b'{"format":"carelog-index","v":1}', b"[]", b'{"segments":"many"}',
                                        b"null", b'{"format":"carelog-segment","v":1,"events":7}'])
            elif fault == "garbage":
                body = bytes(self.rng.getrandbits(8) for _ in range(200))
            else:  # truncated
                body = body[: len(body) // 2]
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
            route.fulfill(status=response.status, headers=headers, body=body)

    def release(self) -> None:
        """End the routes left unanswered (the page gave up on them long ago)."""
        for route in self.hanging:
            try:
                route.abort("timedout")
            except Exception:  # noqa: BLE001 - the request is gone already
                pass
        self.hanging.clear()

    @property
    def total(self) -> int:
        return sum(self.injected.values())


def _join(page, endpoint, passphrase, caregiver):
    welcome(page, caregiver)
    set_up_sync(page, endpoint, passphrase)
    page.reload()
    wait_ready(page)
    wait_screen(page, RECIPIENT)


def test_faults_lose_nothing(nginx, make_device, app_server):
    rng = random.Random(20261123)
    endpoint = nginx.endpoint
    a = make_device()
    setup_person(a, "Ann", RECIPIENT)
    set_up_sync(a, endpoint, "", create=True)
    b = make_device()
    _join(b, endpoint, "", "Bea")

    injectors = []
    for page in (a, b):
        run_with_panel(page, SHORT_TIMEOUT)
        injector = FaultInjector(random.Random(rng.random()), app_server.origin, rate=0.5)
        page.route(nginx.origin + "/**", injector)
        injectors.append(injector)

    saved = []
    for round_ in range(int(os.environ.get("CARELOG_FAULT_ROUNDS", "8"))):  # soak: more
        for name, page in (("A", a), ("B", b)):
            text = f"{name} note {round_}"
            add_note(page, text)  # the toast said "Saved"
            saved.append(text)
            for _ in range(3):
                report = sync(page)
                assert report is None or report["unexpected"] is None, report
    total = sum(i.total for i in injectors)
    assert total >= 80, [i.injected for i in injectors]
    assert set().union(*[i.injected for i in injectors]) == set(FAULTS)

    for injector in injectors:
        injector.on = False
        injector.release()
    for page in (a, b, a, b):
        report = sync_until_clean(page)
        assert report["unexpected"] is None
    got_a, got_b = state(a), state(b)
    assert got_a == got_b
    texts = sorted(e["payload"]["text"] for e in got_a["entries"].values() if e["kind"] == "note")
    assert texts == sorted(saved)  # every entry once
    assert len(got_a["events"]) == len(set(got_a["events"]))
    print("faults injected:", [i.injected for i in injectors])
    for page in (a, b):
        page.unroute_all(behavior="ignoreErrors")


def test_encrypted_circle_stores_only_ciphertext(nginx, make_device):
    sentinel = "SENTINEL-9f3c-allergic-to-penicillin"
    passphrase = "our circle words, long enough"
    a = make_device()
    setup_person(a, "Ann", RECIPIENT)
    add_note(a, f"Note with {sentinel} inside")
    set_up_sync(a, nginx.endpoint, passphrase, create=True)
    b = make_device()
    _join(b, nginx.endpoint, passphrase, "Bea")
    assert f"Note with {sentinel} inside" in timeline_summaries(b)
    add_note(b, f"Reply about {sentinel}")
    sync_until_clean(b)
    sync_until_clean(a)
    assert any(sentinel in t for t in [e["payload"].get("text", "") for e in state(a)["entries"].values()])

    files = nginx.files()
    assert any("/seg-" in path for path in files)
    needles = [sentinel.encode(), sentinel.encode("utf-16-le"), RECIPIENT.encode() + b'"',
               b"allergic", base64.b64encode(sentinel.encode())[:16]]
    for path, data in files.items():
        for needle in needles:
            assert needle not in data, f"{needle!r} found in {path}"
    ivs = set()
    for path, data in files.items():
        if "/seg-" in path or "/snap-" in path:
            envelope = json.loads(data)
            assert envelope["alg"] == "AES-GCM-256"
            iv = base64.b64decode(envelope["iv"])
            assert len(iv) == 12 and iv not in ivs
            ivs.add(iv)
    circle = json.loads(files["circle/circle.json"])
    assert circle["encryption"]["iterations"] >= 600_000
    assert circle["encryption"]["kdf"] == "PBKDF2-SHA256"

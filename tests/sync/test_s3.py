"""An S3-compatible bucket as the circle's folder: a real S3 server (moto in
server mode, ``s3_server.py``) on another origin, requests signed in the
browser and checked by the server (signature and the key's policy), CORS from
the bucket's rule, conditional writes answered by the server.

The guard lets the pages talk to the app's origin and to the bucket's origin
only."""

from __future__ import annotations

import base64
import json
import re

import pytest
from playwright.sync_api import expect

from carelog.sync import format as fmt

from ..browser.a11y import check_screen, install_axe
from ..browser.helpers import setup_person, timeline_summaries, wait_ready, wait_screen
from .conftest import booted_devices
from .devices import RECIPIENT, add_note, run_with_panel, state, sync, sync_until_clean, welcome
from .s3_server import BUCKET, PREFIX, S3Server

pytestmark = [pytest.mark.sync, pytest.mark.browser]

PASSPHRASE = "our circle words, long enough"
SENTINEL = "SENTINEL-5b1e-s3-allergic-to-latex"

SERVICE = """
import json
from carelog.ui import sync_dom
s = sync_dom.PANEL.service
json.dumps({"endpoint": s.config.endpoint if s.config else None, "circle": s.config.circle if s.config else None,
            "s3": None if s.s3 is None else [s.s3.access_key, s.s3.secret_key, s.s3.region],
            "token": None if s.s3 is None else s.s3.session_token,
            "device": s.log.device_id})
"""


@pytest.fixture
def s3(tmp_path, app_server):
    server = S3Server(tmp_path / "s3", app_origin=app_server.origin).start()
    yield server
    server.stop()


@pytest.fixture
def make_s3_device(browser, app_server, s3, request):
    """A device whose guard allows the app's origin and the bucket's origin, nothing else."""
    with booted_devices(browser, app_server, request, s3.origin) as factory:
        yield factory


def fill_s3(page, endpoint: str, region: str, access_key: str, secret_key: str, passphrase: str = "",
            session_token: str = "") -> None:
    if not page.locator("#sync-settings").is_visible():
        page.click("#sync-root button[data-sync=settings]")
    page.check("#sync-kind input[value=s3]")
    expect(page.locator("#f-s3-secret")).to_be_visible()
    page.fill("#f-sync-endpoint", endpoint)
    page.fill("#f-s3-region", region)
    page.fill("#f-s3-access-key", access_key)
    page.fill("#f-s3-secret", secret_key)
    page.fill("#f-s3-session-token", session_token)
    page.fill("#f-sync-passphrase", passphrase)


def set_up_s3(page, s3: S3Server, passphrase: str, create: bool = False) -> None:
    fill_s3(page, s3.endpoint, s3.region, s3.access_key, s3.secret_key, passphrase)
    page.click(f"#sync-root button[data-mode={'create' if create else 'join'}]")
    expect(page.locator("#sync-message")).to_have_text("Circle created." if create else "Joined the circle.",
                                                       timeout=60_000)
    expect(page.locator("#sync-status-text")).to_contain_text("Synced", timeout=60_000)


def join(page, s3: S3Server, caregiver: str) -> None:
    welcome(page, caregiver)
    set_up_s3(page, s3, PASSPHRASE)
    page.click("#sync-root button[data-sync=close]")
    page.reload()
    wait_ready(page)
    wait_screen(page, RECIPIENT)


def service(page) -> dict:
    return json.loads(run_with_panel(page, SERVICE))


def test_two_devices_share_an_encrypted_circle_through_a_bucket(s3, make_s3_device):
    a = make_s3_device()
    sent: list[tuple[str, str, dict]] = []
    a.on("request", lambda r: sent.append((r.method, r.url, r.headers)) if r.url.startswith(s3.origin) else None)
    setup_person(a, "Ann", RECIPIENT)
    add_note(a, f"Note with {SENTINEL} inside")
    install_axe(a)
    a.reload()
    wait_ready(a)
    a.click("#sync-root button[data-sync=settings]")
    a.check("#sync-kind input[value=s3]")
    expect(a.locator("label[for=f-s3-secret]")).to_contain_text("kept on this device only")
    check_screen(a, "sync settings, S3 bucket", root="#sync-root")
    set_up_s3(a, s3, PASSPHRASE, create=True)
    invite = a.locator("#sync-invite").input_value()
    assert invite and s3.secret_key not in invite and s3.access_key not in invite
    opened = fmt.decode_invite("#" + invite.split("#", 1)[1])  # endpoint, circle and circle key only
    assert opened.endpoint == s3.endpoint and s3.secret_key not in repr(opened) + str(opened.key)
    a.click("#sync-root button[data-sync=close]")
    assert service(a)["s3"] == [s3.access_key, s3.secret_key, s3.region]

    b = make_s3_device()
    join(b, s3, "Bea")
    assert f"Note with {SENTINEL} inside" in timeline_summaries(b)

    for name, page in (("A", a), ("B", b)):
        for i in range(2):
            add_note(page, f"{name} note {i} about {SENTINEL}")
    for page in (a, b, a):
        report = sync_until_clean(page)
        assert report["unexpected"] is None and not report["errors"]
    got_a, got_b = state(a), state(b)
    assert got_a == got_b
    texts = sorted(e["payload"]["text"] for e in got_a["entries"].values() if e["kind"] == "note")
    assert texts == sorted([f"Note with {SENTINEL} inside"] + [f"{n} note {i} about {SENTINEL}"
                                                               for n in "AB" for i in range(2)])
    assert len(got_a["events"]) == len(set(got_a["events"]))

    # the bucket holds ciphertext only: the sentinel, the person's name, the keys are in no object
    objects = s3.objects()
    assert any("/seg-" in key for key in objects) and f"{PREFIX}circle.json" in objects
    assert all(key.startswith(PREFIX) for key in objects)
    needles = [SENTINEL.encode(), b"allergic", RECIPIENT.encode() + b'"', s3.secret_key.encode(),
               base64.b64encode(SENTINEL.encode())[:16]]
    for key, data in objects.items():
        for needle in needles:
            assert needle not in data, f"{needle!r} found in {key}"
        if "/seg-" in key or "/snap-" in key:
            assert json.loads(data)["alg"] == "AES-GCM-256"
    assert json.loads(objects[f"{PREFIX}circle.json"])["encryption"]["iterations"] >= 600_000

    # what the browser sent: every request signed; new segments with If-None-Match: *; the index with If-Match
    assert sent and all(h.get("authorization", "").startswith("AWS4-HMAC-SHA256 Credential=" + s3.access_key)
                        and re.fullmatch(r"\d{8}T\d{6}Z", h.get("x-amz-date", ""))
                        and re.fullmatch(r"[0-9a-f]{64}", h.get("x-amz-content-sha256", ""))
                        for _, _, h in sent)
    seg_puts = [h for m, u, h in sent if m == "PUT" and "/seg-" in u]
    assert seg_puts and all(h.get("if-none-match") == "*" for h in seg_puts)
    index_puts = [h for m, u, h in sent if m == "PUT" and u.endswith("/index.json")]
    assert len(index_puts) >= 2 and any(h.get("if-match") for h in index_puts)
    assert any(m == "GET" and "list-type=2" in u for m, u, _ in sent)  # ListObjectsV2 discovery


def test_wrong_secret_gives_a_plain_message_and_changes_nothing(s3, make_s3_device):
    a = make_s3_device()
    install_axe(a)
    a.reload()
    wait_ready(a)
    setup_person(a, "Ann", RECIPIENT)
    add_note(a, "Before the wrong key")
    set_up_s3(a, s3, PASSPHRASE, create=True)
    before, settings_before = state(a), service(a)

    # typed wrong: a plain message before anything is sent
    guard_count = a.guard.endpoint_requests
    fill_s3(a, s3.endpoint, s3.region, s3.access_key, "", PASSPHRASE)
    a.click("#sync-root button[data-mode=join]")
    expect(a.locator("#sync-problem")).to_have_text("Type the secret access key.")
    expect(a.locator("#sync-problem")).to_be_focused()
    fill_s3(a, s3.endpoint, "", s3.access_key, s3.secret_key, PASSPHRASE)
    a.click("#sync-root button[data-mode=join]")
    expect(a.locator("#sync-problem")).to_contain_text("Type the bucket's region")
    assert a.guard.endpoint_requests == guard_count

    # a wrong secret: the server refuses the signature; the app says so in plain words
    fill_s3(a, s3.endpoint, s3.region, s3.access_key, s3.secret_key[:-4] + "XXXX", PASSPHRASE)
    a.click("#sync-root button[data-mode=join]")
    expect(a.locator("#sync-problem")).to_have_text(
        "The secret access key does not match the access key ID. Copy both again. Nothing was changed.",
        timeout=60_000)
    # an unknown access key id
    fill_s3(a, s3.endpoint, s3.region, "AKIANOSUCHKEY0000000", s3.secret_key, PASSPHRASE)
    a.click("#sync-root button[data-mode=join]")
    expect(a.locator("#sync-problem")).to_have_text(
        "The bucket does not know this access key ID. Copy it again. Nothing was changed.", timeout=60_000)
    # a folder this key's policy does not cover
    fill_s3(a, f"{s3.origin}/{BUCKET}/another-circle/", s3.region, s3.access_key, s3.secret_key, PASSPHRASE)
    a.click("#sync-root button[data-mode=create]")
    expect(a.locator("#sync-problem")).to_contain_text("This key is not allowed to use the circle's folder",
                                                       timeout=60_000)
    check_screen(a, "sync settings with a problem", root="#sync-root")
    assert service(a) == settings_before and state(a) == before
    a.click("#sync-root button[data-sync=close]")
    report = sync_until_clean(a)  # the saved settings still work
    assert report["unexpected"] is None

    # a new device with a wrong secret: not set up, nothing saved
    b = make_s3_device()
    welcome(b, "Bea")
    fill_s3(b, s3.endpoint, s3.region, s3.access_key, "not-the-secret", PASSPHRASE)
    b.click("#sync-root button[data-mode=join]")
    expect(b.locator("#sync-problem")).to_contain_text("The secret access key does not match", timeout=60_000)
    assert service(b)["endpoint"] is None and service(b)["s3"] is None
    expect(b.locator("#sync-status-text")).to_have_text("Sync is off: entries stay on this device.")


def test_conditional_writes_refused_by_the_bucket(s3, make_s3_device):
    a = make_s3_device()
    setup_person(a, "Ann", RECIPIENT)
    set_up_s3(a, s3, "", create=True)
    a.click("#sync-root button[data-sync=close]")
    b = make_s3_device()
    welcome(b, "Bea")
    fill_s3(b, s3.endpoint, s3.region, s3.access_key, s3.secret_key, "")
    b.click("#sync-root button[data-mode=join]")
    expect(b.locator("#sync-message")).to_have_text("Joined the circle.", timeout=60_000)
    b.click("#sync-root button[data-sync=close]")
    device = service(a)["device"]
    statuses: list[tuple[str, str, int]] = []
    a.on("response", lambda r: statuses.append((r.request.method, r.url, r.status))
         if r.url.startswith(s3.origin) else None)

    # 1. a segment's PUT reaches the bucket but its answer is lost: the next run sends the same
    #    bytes again, the bucket refuses (412, the name is taken), the device reads it back, finds
    #    its own bytes, and counts the segment as sent
    lost: list[str] = []

    def lose_answer(route):
        if route.request.method == "PUT" and "/seg-" in route.request.url and not lost:
            route.fetch()  # stored by the bucket
            lost.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.fallback()

    a.route(s3.origin + "/**", lose_answer)
    add_note(a, "Answer lost on the way back")
    first = sync(a)
    assert lost and first is not None and not first["ok"], first
    assert any(o.endswith(lost[0].rsplit("/", 1)[1]) for o in s3.objects())  # it is in the bucket
    second = sync_until_clean(a)  # (the run after a save may have done it already)
    assert second["unexpected"] is None and second["pending"] == 0 and not second["errors"]
    assert ("PUT", lost[0], 412) in statuses
    a.unroute_all(behavior="ignoreErrors")
    sync_until_clean(b)
    texts = [e["payload"]["text"] for e in state(b)["entries"].values() if e["kind"] == "note"]
    assert texts.count("Answer lost on the way back") == 1

    # 2. another writer took this device's next segment name with other bytes: the bucket refuses
    #    the PUT (412); the device stops sending and says why; its entries stay
    names = [k for k in s3.objects() if k.startswith(f"{PREFIX}devices/{device}/seg-")]
    latest = max(int(k.rsplit("-", 1)[1].split(".")[0]) for k in names)
    taken = f"{PREFIX}devices/{device}/seg-{latest + 1:06d}.json"
    s3.put_object(taken, b'{"not":"ours"}')
    add_note(a, "Kept here while the folder is taken")
    report = sync(a)
    assert report is not None and not report["ok"] and report["unexpected"] is None
    assert any("Another device is writing into this device's folder" in e for e in report["errors"])
    assert ("PUT", f"{s3.origin}/{BUCKET}/{taken}", 412) in statuses
    assert s3.objects()[taken] == b'{"not":"ours"}'  # not overwritten
    assert "Kept here while the folder is taken" in timeline_summaries(a)
    expect(a.locator("#sync-status-text")).to_contain_text("Another device is writing", timeout=30_000)
    assert report["pending"] >= 1


def test_temporary_keys_with_a_session_token(s3, make_s3_device):
    """Keys from an assumed role (access key, secret, session token): every request carries the
    token, signed; a token of another set is refused in plain words and saves nothing."""
    key, secret, token = s3.temporary
    a = make_s3_device()
    sent: list[dict] = []
    a.on("request", lambda r: sent.append(r.headers) if r.url.startswith(s3.origin) else None)
    setup_person(a, "Ann", RECIPIENT)
    add_note(a, "Written with temporary keys")

    # a token from another set: the bucket says InvalidToken; nothing is saved
    fill_s3(a, s3.endpoint, s3.region, key, secret, PASSPHRASE, token[:-8] + "AAAAAAAA")
    a.click("#sync-root button[data-mode=create]")
    expect(a.locator("#sync-problem")).to_have_text(
        "The session token does not belong to this access key ID: copy the key ID, secret and session token "
        "again, from the same set. Nothing was changed.", timeout=60_000)
    assert service(a)["s3"] is None and service(a)["endpoint"] is None

    # the right set, pasted with a line break in the token
    fill_s3(a, s3.endpoint, s3.region, key, secret, PASSPHRASE, token[:60] + "\n" + token[60:])
    sent.clear()
    a.click("#sync-root button[data-mode=create]")
    expect(a.locator("#sync-message")).to_have_text("Circle created.", timeout=60_000)
    expect(a.locator("#sync-status-text")).to_contain_text("Synced", timeout=60_000)
    a.click("#sync-root button[data-sync=close]")
    assert service(a)["s3"] == [key, secret, s3.region] and service(a)["token"] == token
    assert sent and all(h.get("x-amz-security-token") == token
                        and "x-amz-security-token" in h.get("authorization", "") for h in sent)
    assert any("/seg-" in name for name in s3.objects())

    # a device with the lasting key pair of the same folder reads what the temporary keys wrote
    b = make_s3_device()
    join(b, s3, "Bea")
    assert "Written with temporary keys" in timeline_summaries(b)
    assert service(b)["token"] is None

"""The sync engine against the in-memory endpoint twins: push and pull, the
three host kinds, incremental pulls (304), idempotent retries, bad remote
files skipped without touching local data, encryption, discovery without
listings, and the plain-word report."""

from __future__ import annotations

import base64
import json

import pytest

from carelog.adapters.memory import CountingIds, MemoryEntryStore, MemorySettings
from carelog.adapters.memory_transport import MemoryHost, TestOnlyCipher, pbkdf2_key
from carelog.bootstrap import build_for_tests
from carelog.sync import format as fmt
from carelog.sync.engine import SyncError, SyncOptions, create_circle, open_circle, pending_entries, sync_once
from carelog.sync.state import SyncStateRepo

from test_sync_helpers import KEY, SALT, SENTINEL, Device, circle_of, new_circle, run, server_bytes, settle


# --- the happy path -----------------------------------------------------------

@pytest.mark.parametrize("kind", ["webdav", "s3"])
def test_caregivers_share_a_log_with_conflicts_kept(kind):
    """Three tablets through the real use cases: entries travel, concurrent
    edits and an edit against a delete end as conflicts everywhere."""
    async def scenario():
        host = MemoryHost(kind)
        await new_circle(host, cipher=True)
        logs = []
        for name in "abc":
            store = MemoryEntryStore()
            log = build_for_tests(store=store, settings=MemorySettings({"device_id": f"dev-{name}"}),
                                  ids=CountingIds(name))
            await log.start()
            await log.set_caregiver(name.upper())
            logs.append(log)

        async def sync(log):
            report = await sync_once(endpoint=host.url, device_id=log.device_id, store=log.store, feed=log.store,
                                     transport=host.transport(), settings=log.settings, cipher=TestOnlyCipher(KEY))
            assert report.ok and report.unexpected is None, report.errors
            return report

        mum = await logs[0].add_recipient({"name": "Mum"})
        note = await logs[0].log(mum.id, "note", {"text": "Slept well " + SENTINEL})
        other = await logs[0].log(mum.id, "note", {"text": "Walked"})
        first = await sync(logs[0])
        assert first.pushed == 3 and first.pending == 0
        for log in logs[1:]:
            assert (await sync(log)).pulled == 3
        await logs[1].edit(note.id, {"text": "Slept badly"})
        await logs[2].edit(note.id, {"text": "Slept 6 hours"})
        await logs[0].delete(other.id)
        await logs[2].edit(other.id, {"text": "Walked twice"})
        for _ in range(2):
            for log in logs:
                await sync(log)
        seen = []
        for log in logs:
            entry = await log.entry(note.id)
            assert entry.in_conflict and {e.payload["text"] for e in entry.conflict} == {"Slept badly",
                                                                                         "Slept 6 hours"}
            assert (await log.entry(other.id)).in_conflict  # delete against edit: kept, in conflict
            seen.append([(e.id, e.payload) for e in await log.timeline(mum.id)])
        assert seen[0] == seen[1] == seen[2]
        assert SENTINEL.encode() not in server_bytes(host)
    run(scenario())


def test_304_when_nothing_changed_makes_no_segment_requests():
    async def scenario():
        host, a, b = await circle_of("a", "b", notes=[f"n{i}" for i in range(5)])
        await a.sync()
        await b.sync()
        before = len(host.log)
        report = await b.sync()
        calls = host.log[before:]
        assert report.ok and report.pulled == 0 and report.files_read == 0
        assert not [c for c in calls if "seg-" in c[1] or "snap-" in c[1]]
        assert ("GET", "devices/dev-a/index.json", 304) in calls
        assert not [c for c in calls if c[0] == "PUT"]
        # something new: only the new segment is fetched
        await a.create("new")
        await a.sync()
        before = len(host.log)
        assert (await b.sync()).pulled == 1
        assert [c[1] for c in host.log[before:] if "seg-" in c[1]] == ["devices/dev-a/seg-000002.json"]
    run(scenario())


def test_coarse_etags_are_revalidated_in_full_now_and_then():
    """nginx's ETag is mtime-size: two versions written in one second with one
    size share it. A reader then gets 304 for a changed file; a periodic full
    GET catches up."""
    async def scenario():
        host = MemoryHost.webdav(coarse_etags=True)
        await new_circle(host)
        options = SyncOptions(full_refresh_every=3)
        a, b = Device("a", host, options=options), Device("b", host, options=options)
        await a.create("x" * 10)
        await a.sync()
        await b.sync()
        index_path = "devices/dev-a/index.json"
        old = host.files[index_path]
        # a second version of the same size in the same second: same ETag
        await a.create("y" * 10)
        await a.sync()
        new = host.files[index_path]
        if len(new) != len(old):  # make the sizes equal by hand to force the collision
            host.store(index_path, new)
        forged = host.etags[index_path]
        checkpoints = await SyncStateRepo(b.settings, host.url).load_checkpoints()
        assert checkpoints["dev-a"].etag is not None
        host.etags[index_path] = checkpoints["dev-a"].etag  # the collision
        pulled = [(await b.sync()).pulled for _ in range(5)]
        assert pulled[:3] == [0, 0, 0] and sum(pulled) == 1
        assert forged
    run(scenario())


# --- retries are idempotent ---------------------------------------------------

def test_a_failed_segment_put_is_retried_with_the_same_bytes():
    async def scenario():
        host, a = await circle_of("a", notes=["one"], cipher=True)
        host.fault = lambda method, path: "503" if method == "PUT" and "seg-" in path else None
        report = await a.sync()
        assert not report.ok and "HTTP 503" in report.errors[0] and report.pending == 1
        push = await SyncStateRepo(a.settings, host.url).load_push()
        fixed = base64.b64decode(push.pending[0].body_b64)
        await a.create("two")  # saved meanwhile: goes into the next segment, not this one
        host.fault = None
        report = await a.sync()
        assert report.ok and report.pushed == 2 and report.pending == 0
        assert host.files["devices/dev-a/seg-000001.json"] == fixed
        assert "devices/dev-a/seg-000002.json" in host.files
    run(scenario())


def test_a_lost_answer_rewrites_the_identical_file():
    """The host wrote the segment but the answer never came: the retry PUTs
    exactly the same bytes (encrypted with the same IV), so readers that
    already read it see no change."""
    async def scenario():
        host, a, b = await circle_of("a", "b", notes=["one"], cipher=True)
        host.fault = lambda method, path: "lost_response" if method == "PUT" and "seg-" in path else None
        assert not (await a.sync()).ok
        written = host.files["devices/dev-a/seg-000001.json"]
        host.fault = None
        assert (await a.sync()).ok
        assert host.files["devices/dev-a/seg-000001.json"] == written
        # re-PUT (once more within the first run, which checks a write refused
        # without an answer, and in the second), always the same bytes
        assert 1 <= len(host.history["devices/dev-a/seg-000001.json"]) <= 2
        assert all(old == written for old, _ in host.history["devices/dev-a/seg-000001.json"])
        assert (await b.sync()).pulled == 1
    run(scenario())


def test_s3_lost_index_answer_recovers_through_if_match():
    async def scenario():
        host, a, b = await circle_of("a", "b", notes=["one"], host=MemoryHost.s3())
        await a.sync()
        await a.create("two")
        host.fault = lambda method, path: "lost_response" if method == "PUT" and path.endswith("index.json") \
            else None
        assert not (await a.sync()).ok  # index written, answer lost: our ETag is stale now
        host.fault = None
        await a.create("three")
        report = await a.sync()
        assert report.ok, report.errors
        assert [c for c in host.log if c[0] == "PUT" and c[2] == 412]  # the precondition did its job
        await b.sync()
        assert await b.ids() == await a.ids()
    run(scenario())


def test_s3_detects_two_devices_with_one_id():
    async def scenario():
        host = MemoryHost.s3()
        await new_circle(host)
        a1, a2 = Device("a", host), Device("a", host)
        a2.store, a2.settings = MemoryEntryStore(), MemorySettings()
        a2._ids = iter(range(100, 200))  # its own event ids
        await a1.create("one")
        await a1.sync()
        await a2.sync()  # adopts a1's numbering from the index: never overwrites seg 1
        await a2.create("from the clone")
        await a1.create("from the original")
        assert (await a2.sync()).ok
        report = await a1.sync()
        assert any("same device id" in e for e in report.errors)
    run(scenario())


def test_webdav_ignores_if_match_yet_nothing_is_lost():
    """The twin behaves like nginx: a PUT with a wrong If-Match still replaces
    the file. Sync does not rely on it: no device writes another's files."""
    async def scenario():
        host = MemoryHost.webdav()
        t = host.transport()
        await t.put(host.url + "x.json", b"1")
        assert (await t.put(host.url + "x.json", b"2", if_match='"wrong"')).status == 204
        assert host.files["x.json"] == b"2"
        await new_circle(host)
        devices = [Device(n, host) for n in "abcd"]
        for d in devices:
            for i in range(3):
                await d.create(f"{d.id}-{i}")
        for d in devices:  # everyone pushes "at once" (no reads in between)
            await d.sync()
        await settle(devices)
        expected = set().union(*(d.saved for d in devices))
        for d in devices:
            assert await d.ids() == expected
    run(scenario())


# --- bad remote files ---------------------------------------------------------

DAMAGE = {
    "garbage": lambda body: b"\x00\xffnot json at all",
    "truncated": lambda body: body[: len(body) // 2],
    "html error page": lambda body: b"<html><body>502 Bad Gateway</body></html>",
    "wrong shape": lambda body: b'{"format": "carelog-segment", "v": 1, "events": "many"}',
    "tampered ciphertext": lambda body: body.replace(b'"ct":"', b'"ct":"AAAA'),
    "newer version": lambda body: json.dumps({**json.loads(body), "v": 99}).encode(),
}


@pytest.mark.parametrize("target, damage", [
    (target, damage) for target in ("segment", "index") for damage in sorted(DAMAGE)
    if not (target == "index" and damage == "tampered ciphertext")  # indexes are not encrypted
])
def test_a_bad_remote_file_is_skipped_and_reported_and_nothing_local_changes(target, damage):
    async def scenario():
        host, a, b, c = await circle_of("a", "b", "c", cipher=True)
        for d in (a, c):
            await d.create(f"from {d.id}")
            await d.sync()
        await b.create("mine")
        path = "devices/dev-a/seg-000001.json" if target == "segment" else "devices/dev-a/index.json"
        good = host.files[path]
        host.store(path, DAMAGE[damage](good))
        before = await b.events()
        report = await b.sync()
        assert not report.ok and report.unexpected is None
        assert any("dev-a" in e for e in report.errors), report.errors
        assert all("Traceback" not in e and "Error" not in e for e in report.errors)
        after = await b.events()
        assert after[: len(before)] == before  # nothing local changed or removed
        assert {e.device for e in after} == {"dev-b", "dev-c"}  # c's file still came; a's was skipped
        assert report.pushed == 1  # b's own entry still went out
        host.store(path, good)  # repaired: picked up next time
        assert (await b.sync()).ok
        assert {e.device for e in await b.events()} == {"dev-a", "dev-b", "dev-c"}
    run(scenario())


def test_a_file_moved_from_another_device_is_refused():
    async def scenario():
        host, a, b, c = await circle_of("a", "b", "c", notes=["a"])
        await a.sync()
        await c.create("c")
        await c.sync()
        # a hostile host serves c's segment (and a matching index entry) as a's
        host.store("devices/dev-a/seg-000001.json", host.files["devices/dev-c/seg-000001.json"])
        index = json.loads(host.files["devices/dev-a/index.json"])
        body = host.files["devices/dev-a/seg-000001.json"]
        index["segments"][0].update(sha256=fmt.sha256_hex(body), bytes=len(body))
        host.store("devices/dev-a/index.json", json.dumps(index).encode())
        report = await b.sync()
        assert any("another device" in e for e in report.errors)
    run(scenario())


def test_storage_full_while_pulling_stops_plainly_and_loses_nothing():
    async def scenario():
        host, a, b = await circle_of("a", "b", notes=[f"n{i}" for i in range(10)])
        await a.sync()
        await b.create("mine")
        b.store.quota_events = 5
        report = await b.sync()
        assert any("storage is full" in e for e in report.errors)
        assert await b.ids() == b.saved
        b.store.quota_events = None
        assert (await b.sync()).ok and len(await b.ids()) == 11
    run(scenario())


# --- encryption ---------------------------------------------------------------

def test_with_encryption_the_server_never_sees_the_text():
    async def scenario():
        for cipher in (True, False):
            host, a, b = await circle_of("a", "b", notes=[SENTINEL], cipher=cipher)
            await a.sync()
            await b.sync()
            assert (SENTINEL.encode() in server_bytes(host)) is (not cipher)
            assert {e.payload.get("text") for e in await b.events()} == {SENTINEL}
    run(scenario())


def test_every_encryption_uses_a_fresh_iv():
    async def scenario():
        cipher = TestOnlyCipher(KEY)
        ivs = {(await cipher.encrypt(b"same"))[:12] for _ in range(50)}
        assert len(ivs) == 50
        sealed = await cipher.encrypt(b"secret")
        with pytest.raises(Exception):
            await cipher.decrypt(sealed[:-1] + bytes([sealed[-1] ^ 1]))
    run(scenario())


def test_wrong_key_or_missing_key_is_refused_plainly():
    async def scenario():
        host = MemoryHost.webdav()
        await new_circle(host, cipher=True)
        d = Device("a", host, cipher=True)
        await d.create("x")
        wrong = await d.sync(cipher=TestOnlyCipher(b"\x01" * 32))
        assert wrong.errors == ["The passphrase does not open this circle. Check it and try again."]
        none = await Device("b", host).sync()
        assert "encrypted" in none.errors[0] and "passphrase" in none.errors[0]
        assert not [p for p in host.files if p.startswith("devices/")]  # nothing was sent
        # after a good sync the circle is remembered, but the key is still checked every run
        assert (await d.sync()).ok
        files = dict(host.files)
        await d.create("typed after the passphrase changed")
        again = await d.sync(cipher=TestOnlyCipher(b"\x02" * 32))
        assert again.errors == ["The passphrase does not open this circle. Check it and try again."]
        assert host.files == files and again.pending == 1
        plain_host = MemoryHost.webdav()
        await new_circle(plain_host)
        refused = await Device("c", plain_host, cipher=True).sync()
        assert "not encrypted" in refused.errors[0]
    run(scenario())


def test_circle_creation_with_a_derived_key():
    async def scenario():
        host = MemoryHost.webdav()
        key = pbkdf2_key("correct horse battery staple", SALT, 600_000)
        circle = await create_circle(host.url, host.transport(), "c9", TestOnlyCipher(key), salt=SALT)
        assert circle.encryption.iterations >= 600_000 and circle.encryption.salt == SALT
        again = fmt.decode_circle(host.files["circle.json"])
        await open_circle(again, TestOnlyCipher(pbkdf2_key("correct horse battery staple", again.encryption.salt,
                                                            again.encryption.iterations)))
        with pytest.raises(SyncError, match="passphrase"):
            await open_circle(again, TestOnlyCipher(pbkdf2_key("wrong", SALT, 600_000)))
        # creating again returns the circle already there, never overwrites it
        other = await create_circle(host.url, host.transport(), "c10")
        assert other.id == "c9"
        with pytest.raises(SyncError, match="weak"):
            await create_circle(MemoryHost.webdav().url, MemoryHost.webdav().transport(), "c",
                                TestOnlyCipher(KEY), salt=SALT, iterations=1000)
    run(scenario())


def test_no_circle_and_bad_endpoint_are_plain_errors():
    async def scenario():
        d = Device("a", MemoryHost.webdav())
        report = await d.sync()
        assert report.errors == ["No carelog circle was found at the sync address. Check the address, "
                                 "or create the circle first."]
        bad = await sync_once(endpoint="ftp://nope", device_id="d", store=d.store, feed=d.store,
                              transport=d.transport, settings=d.settings)
        assert "https://" in bad.errors[0] and bad.unexpected is None
        host = MemoryHost.webdav()
        await new_circle(host, circle_id="other")
        assert "another circle" in (await Device("b", host).sync(circle_id="mine")).errors[0]
    run(scenario())


# --- host kinds ---------------------------------------------------------------

def test_a_read_only_mirror_is_pulled_and_pushes_are_refused_plainly():
    async def scenario():
        source = MemoryHost.webdav()
        await new_circle(source)
        writers = [Device(n, source) for n in "ab"]
        for w in writers:
            await w.create(f"by {w.id}")
            await w.sync()
        # a static copy (GitHub Pages): no listing, no PUT; devices.json lets readers find devices
        mirror = MemoryHost.readonly(files=dict(source.files))
        reader = Device("r", mirror)
        await reader.create("offline note")
        report = await reader.sync()
        assert report.read_only and report.pending == 1
        assert "read-only" in report.errors[0] and "stay on this device" in report.errors[0]
        assert {e.device for e in await reader.events()} == {"dev-a", "dev-b", "dev-r"}
        quiet = await reader.sync(options=SyncOptions(read_only=True))
        assert quiet.ok and quiet.pending == 1
        assert not [c for c in mirror.log if c[0] == "PUT" and c[2] != 405][:1]
    run(scenario())


def test_without_listings_devices_find_each_other_through_the_registry_and_gossip():
    async def scenario():
        host = MemoryHost.webdav(listing=False)
        await new_circle(host)
        devices = [Device(n, host) for n in "abc"]
        for d in devices:
            await d.create(f"by {d.id}")
        # a and b push "at the same time": on WebDAV the later registry write wins
        for d in devices:
            await d.sync()
        registry = json.loads(host.files["devices.json"])
        assert set(registry["devices"]) <= {"dev-a", "dev-b", "dev-c"}
        await settle(devices, rounds=3)
        assert json.loads(host.files["devices.json"])["devices"] == ["dev-a", "dev-b", "dev-c"]
        for d in devices:
            assert len(await d.ids()) == 3
        # lose the registry entirely: gossip in the indexes still finds everyone
        host.store("devices.json", fmt.encode_registry("circle-1", ["dev-a"]))
        late = Device("d", host)
        await late.sync()
        assert len(await late.ids()) == 3
    run(scenario())


def test_a_stale_listing_never_hides_a_known_device():
    async def scenario():
        host, a, b = await circle_of("a", "b", notes=["one"])
        await a.sync()
        await b.sync()
        host.fault = lambda method, path: "stale_listing" if method == "LIST" else None
        host.rng.seed(1)
        for _ in range(3):
            await a.create("more")
            await a.sync()
            await b.sync()
        assert await b.ids() == await a.ids()
    run(scenario())


def test_losing_local_sync_state_never_overwrites_own_files():
    """Settings wiped but the same device id (e.g. a restored backup): the
    device re-learns its numbering from its own index and continues after it."""
    async def scenario():
        host, a = await circle_of("a")
        for i in range(3):
            await a.create(f"n{i}")
            await a.sync()
        files = {p: v for p, v in host.files.items() if "seg-" in p}
        a.settings = MemorySettings({"device_id": a.id})
        await a.create("after the wipe")
        report = await a.sync()
        assert report.ok and report.pushed == 1
        assert all(host.files[p] == v for p, v in files.items())
        assert "devices/dev-a/seg-000004.json" in host.files
        # and when its own index cannot be checked, it sends nothing rather than guess
        a.settings = MemorySettings({"device_id": a.id})
        host.fault = lambda method, path: "503" if path == "devices/dev-a/index.json" else None
        await a.create("another")
        report = await a.sync()
        assert report.pushed == 0 and any("own files" in e for e in report.errors)
    run(scenario())


# --- the report -----------------------------------------------------------------

def test_the_report_gives_what_the_status_line_needs():
    async def scenario():
        host, a, b = await circle_of("a", "b", notes=[f"n{i}" for i in range(3)])
        assert await pending_entries(endpoint=host.url, device_id=a.id, feed=a.store, settings=a.settings) == 3
        host.fault = lambda method, path: "timeout" if method == "PUT" else None
        report = await a.sync()
        assert report.pending == 3 and report.errors == [
            "No answer from the sync server while sending segment 1 of this device (offline or timed out); "
            "will retry."]
        host.fault = None
        assert (await a.sync()).pending == 0
        assert await pending_entries(endpoint=host.url, device_id=a.id, feed=a.store, settings=a.settings) == 0
        pulled = await b.sync()
        assert pulled.pulled == 3 and pulled.newest_stamp == max(e.hlc for e in await a.events())
        assert pulled.devices == 1 and pulled.pending == 0
    run(scenario())


def test_a_second_run_while_one_is_going_is_skipped():
    async def scenario():
        import asyncio
        host, a = await circle_of("a", notes=["x"])

        class SlowTransport(type(a.transport)):
            async def get(self, url, etag=None):
                await asyncio.sleep(0)
                return await super().get(url, etag)

        slow = SlowTransport(host)
        first, second = await asyncio.gather(a.sync(transport=slow), a.sync(transport=slow))
        assert second.skipped and not first.skipped and first.ok and first.pushed == 1
    run(scenario())

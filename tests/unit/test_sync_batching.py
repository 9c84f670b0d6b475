"""Sync's batched paths: one feed read for several segments (``records_after``),
queued segments whose bytes are saved with the push state in one write,
a crash between a PUT and the state save (the retry sends the same bytes),
a push state of the older one-segment form, and pulled events stored with the
checkpoint past them (``put_pulled``)."""

from __future__ import annotations

import base64

from carelog.adapters.memory import MemoryEntryStore, MemorySettings
from carelog.sync.engine import SyncOptions, sync_once
from carelog.sync.state import SyncStateRepo

from test_sync_helpers import Device, circle_of, run


class CrashingSettings(MemorySettings):
    """Settings whose writes of the ``push`` state fail once armed: a tab killed
    between a segment's PUT and the state save that records it."""

    def __init__(self, values=None):
        super().__init__(values)
        self.armed = False
        self.writes: list[list[str]] = []

    def _check(self, keys):
        self.writes.append(sorted(keys))
        if self.armed and any(k.endswith(":push") for k in keys):
            raise RuntimeError("tab killed")

    async def put(self, key, value):
        self._check([key])
        await super().put(key, value)

    async def put_many(self, values):
        self._check(list(values))
        for key, value in values.items():  # all or nothing: checked first
            await super().put(key, value)


def test_one_feed_read_makes_several_segments_with_their_bytes_saved_in_one_write():
    async def scenario():
        host, a = await circle_of("a", cipher=True, options=SyncOptions(segment_events=3, push_batch_segments=4))
        settings = CrashingSettings({"device_id": a.id})
        a.settings = settings
        for i in range(20):
            await a.create(f"note {i}")
        reads = []
        inner = a.store.records_after

        async def counted(cursor, limit, device):
            reads.append((cursor, limit))
            return await inner(cursor, limit, device)
        a.store.records_after = counted
        report = await a.sync()
        assert report.ok and report.pushed == 20, report.errors
        # 20 events, 3 per segment: 7 segments from two reads of up to 12 (and one that finds nothing)
        assert [limit for _, limit in reads] == [12, 12, 12]
        segments = sorted(p for p in host.files if "/seg-" in p)
        assert len(segments) == 7
        # each read's segments: bytes and state in one write, before any PUT of them
        queued = [keys for keys in settings.writes if any(":sent:" in k for k in keys)]
        assert [sum(":sent:" in k for k in keys) for keys in queued] == [4, 3]
        assert all(any(k.endswith(":push") for k in keys) for keys in queued)
        b = Device("b", host, cipher=True)
        assert (await b.sync()).pulled == 20
        assert await b.ids() == await a.ids()
    run(scenario())


def test_a_crash_between_put_and_state_save_resends_the_same_bytes():
    """The PUTs went through, the state that records them was never saved: the
    next run sends the same files again, byte for byte (same IV), and readers
    see every event once."""
    async def scenario():
        host, a = await circle_of("a", cipher=True, options=SyncOptions(segment_events=2))
        settings = CrashingSettings({"device_id": a.id})
        a.settings = settings
        for i in range(5):
            await a.create(f"note {i}")
        sent = []

        async def crash_after_puts():
            settings.armed = True
        # arm the crash once the queue (bytes + state) is saved: the next push save is after the PUTs
        original = SyncStateRepo.save_push_and_sent

        async def save_then_arm(self, push, bodies):
            await original(self, push, bodies)
            sent.extend(sorted(bodies))
            await crash_after_puts()
        SyncStateRepo.save_push_and_sent = save_then_arm
        try:
            report = await sync_once(endpoint=host.url, device_id=a.id, store=a.store, feed=a.store,
                                     transport=a.transport, settings=settings, cipher=a.cipher, options=a.options)
        finally:
            SyncStateRepo.save_push_and_sent = original
        assert report.unexpected is not None  # the "crash" surfaced as an unexpected stop
        first = {p: body for p, body in host.files.items() if "/seg-" in p}
        assert sorted(first) == [f"devices/dev-a/seg-00000{n}.json" for n in (1, 2, 3)] and sent == [1, 2, 3]
        assert "devices/dev-a/index.json" not in host.files  # index after data: nothing listed yet
        push = await SyncStateRepo(settings, host.url).load_push()
        assert [p.ref.n for p in push.pending] == [1, 2, 3] and push.segments == ()
        settings.armed = False
        again = await a.sync()
        assert again.ok and again.pushed == 5, again.errors
        for path, body in first.items():
            assert host.files[path] == body
            assert all(old == body for old, _ in host.history[path])
        assert not [p for p in host.files if "/seg-00000" in p and p not in first]
        b = Device("b", host, cipher=True)
        assert (await b.sync()).pulled == 5
        assert await b.ids() == await a.ids()
    run(scenario())


def test_a_push_state_of_the_one_segment_form_is_sent_with_its_bytes():
    """A state saved by the previous version (one pending segment, bytes inline)
    is read, its bytes sent unchanged, and kept for the later check."""
    async def scenario():
        host, a = await circle_of("a", notes=["one"], cipher=True)
        host.fault = lambda method, path: "503" if method == "PUT" and "seg-" in path else None
        assert not (await a.sync()).ok
        repo = SyncStateRepo(a.settings, host.url)
        push = await repo.load_push()
        fixed = push.pending[0].body_b64
        old_form = push.to_dict()
        old_form["pending"] = {**push.pending[0].to_dict(), "body": fixed}
        old_form["queue"] = []
        await a.settings.put(repo.prefix + "push", old_form)
        await a.settings.put(repo.prefix + "sent:1", None)  # the old form kept the bytes only inline
        host.fault = None
        assert (await a.sync()).ok
        assert host.files["devices/dev-a/seg-000001.json"] == base64.b64decode(fixed)
        assert await repo.load_sent(1) == fixed  # kept until a later run sees the file
        assert (await a.sync()).ok
        assert await repo.load_sent(1) is None
    run(scenario())


def test_queued_segment_without_its_bytes_is_never_sent_with_other_bytes():
    """A queue whose bytes are gone (damaged storage) is not trusted: the device
    re-learns its numbering from its own index instead of making segment n
    again with other bytes."""
    async def scenario():
        host, a = await circle_of("a", notes=["one"], cipher=True)
        host.fault = lambda method, path: "503" if method == "PUT" and "seg-" in path else None
        assert not (await a.sync()).ok
        repo = SyncStateRepo(a.settings, host.url)
        await a.settings.put(repo.prefix + "sent:1", None)
        assert await repo.load_push() is None
    run(scenario())


def test_pulled_events_and_their_checkpoint_are_written_together():
    async def scenario():
        host, a = await circle_of("a", notes=[f"note {i}" for i in range(5)], options=SyncOptions(segment_events=2))
        assert (await a.sync()).ok
        b = Device("b", host, options=SyncOptions(store_batch_events=4))
        calls = []
        inner = MemoryEntryStore.put_pulled

        async def watched(store, events, settings, values):
            (key, checkpoints), = values.items()
            assert key.endswith(":checkpoints")
            calls.append((len(events), checkpoints["dev-a"]["read"], checkpoints["dev-a"].get("etag")))
            return await inner(store, events, settings, values)
        b.store.put_pulled = lambda events, settings, values: watched(b.store, events, settings, values)
        assert (await b.sync()).pulled == 5
        # segments of 2, 2, 1; a batch is stored once it holds 4: the checkpoint names exactly those
        assert calls == [(4, 2, None), (1, 3, None)]
        checkpoints = await SyncStateRepo(b.settings, host.url).load_checkpoints()
        assert checkpoints["dev-a"].read == 3 and checkpoints["dev-a"].etag is not None
    run(scenario())


def test_a_failed_pulled_write_moves_no_checkpoint():
    async def scenario():
        host, a = await circle_of("a", notes=["one"])
        assert (await a.sync()).ok
        b = Device("b", host)

        async def full(events, settings, values):
            from carelog.ports import StorageFull
            raise StorageFull("full")
        real = b.store.put_pulled
        b.store.put_pulled = full
        report = await b.sync()
        assert not report.ok and "storage is full" in report.errors[0]
        assert (await SyncStateRepo(b.settings, host.url).load_checkpoints()).get("dev-a") is None \
            or (await SyncStateRepo(b.settings, host.url).load_checkpoints())["dev-a"].read == 0
        b.store.put_pulled = real
        assert (await b.sync()).pulled == 1
    run(scenario())

"""Joining a big circle: segments batch events and snapshots compact old
segments, so a new device needs few requests. (The unit test uses 5,000
events; the 50,000-event figure belongs in a benchmark.)"""

from __future__ import annotations

import json

from carelog.adapters.memory_transport import MemoryHost
from carelog.sync.engine import SyncOptions

from test_sync_helpers import Device, new_circle, run, settle

EVENTS = 5_000
PER_SYNC = 20  # a caregiver syncs after every 20 entries: many small segments


async def _grow_circle(options: SyncOptions, cipher: bool = False):
    host = MemoryHost.webdav()
    await new_circle(host, cipher=cipher)
    writers = [Device(n, host, cipher=cipher, options=options) for n in "abc"]
    made = 0
    while made < EVENTS:
        for w in writers:
            for _ in range(PER_SYNC):
                await w.create(f"entry {made}")
                made += 1
            report = await w.sync()
            assert report.ok, report.errors
    await settle(writers)
    return host, writers


def test_a_new_device_joins_a_5000_event_circle_in_few_requests():
    async def scenario():
        options = SyncOptions(snapshot_after_segments=60, keep_tail=10, snapshot_part_events=2000)
        host, writers = await _grow_circle(options, cipher=True)
        segments = sum(1 for p in host.files if "/seg-" in p)
        assert segments >= 240  # 5,000 entries arrived in small batches
        snapshots = {p.split("/")[1] for p in host.files if "/snap-" in p}
        assert snapshots  # at least one device compacted
        joiner = Device("new", host, cipher=True, options=options)
        report = await joiner.sync()
        assert report.ok, report.errors
        assert len(await joiner.ids()) == len(set().union(*(w.saved for w in writers))) >= EVENTS
        requests = joiner.transport.requests
        assert requests <= 40, requests  # not thousands, not even hundreds
        assert await joiner.view() == await writers[0].view()
        # indexes stay short: old segments are listed only through the snapshot
        for w in writers:
            index = json.loads(host.files[f"devices/{w.id}/index.json"])
            if index["snapshot"] and index["snapshot"]["covers"].get(w.id, 0) > options.keep_tail:
                assert index["base"] > 0 and len(index["segments"]) < segments / 3
        # one by one, the segments alone would have cost more than 240 requests
        assert requests * 5 < segments

    run(scenario())


def test_a_device_far_behind_reads_the_snapshot_when_segments_were_compacted_away():
    async def scenario():
        options = SyncOptions(segment_events=10, snapshot_after_segments=8, keep_tail=2, snapshot_part_events=50)
        host = MemoryHost.webdav()
        await new_circle(host)
        a, b = Device("a", host, options=options), Device("b", host, options=options)
        await b.create("b was here")
        await b.sync()
        for _ in range(12):  # b is offline while a writes many segments and compacts them
            for _ in range(5):
                await a.create("a")
            await a.sync()
        index = json.loads(host.files["devices/dev-a/index.json"])
        assert index["base"] > 0  # b's checkpoint (seg 0) is below what a still lists
        report = await b.sync()
        assert report.ok, report.errors
        assert await b.ids() == await a.ids()
        assert any(("GET", p, 200) in host.log for p in host.files if p.startswith("devices/dev-a/snap-"))
    run(scenario())


def test_a_damaged_snapshot_falls_back_to_segments_or_reports():
    async def scenario():
        options = SyncOptions(segment_events=10, snapshot_after_segments=8, keep_tail=100, snapshot_part_events=50)
        host = MemoryHost.webdav()
        await new_circle(host)
        a = Device("a", host, options=options)
        for _ in range(12):
            for _ in range(5):
                await a.create("a")
            await a.sync()
        parts = [p for p in host.files if "/snap-" in p]
        assert parts
        for p in parts:
            host.store(p, b"garbage")
        late = Device("late", host, options=options)
        report = await late.sync()
        # every segment is still listed (long tail), so the joiner gets everything anyway
        assert await late.ids() == await a.ids()
        assert any("snapshot" in e for e in report.errors)  # and says the snapshot was bad
    run(scenario())

"""Convergence: devices that record offline (concurrent edits and deletes of
one entry included) and sync in any order, through any faults, end with the
same events and the same folded state; nothing any device saved is lost.

- random sync orders (Hypothesis) with no faults;
- a Hypothesis stateful model of several devices and one server with random
  faults (500/503, timeouts, resets, lost answers, truncated bodies, garbage,
  wrong-shape JSON, stale files and listings), ending with faults off;
- a seeded soak with hundreds of injected faults per host kind.
"""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from carelog.adapters.memory_transport import FaultPlan, MemoryHost
from carelog.sync.engine import SyncOptions

from test_sync_helpers import SENTINEL, Device, new_circle, run, server_bytes, settle

SMALL = SyncOptions(segment_events=3, snapshot_part_events=4, snapshot_after_segments=6, keep_tail=1,
                    full_refresh_every=4, store_batch_events=5)  # a pull stores several batches


async def _offline_work(devices):
    """Each device records alone; then all edit (or delete) one shared entry concurrently."""
    a = devices[0]
    shared = await a.create("shared")
    await a.sync()
    for d in devices[1:]:
        await d.sync()
    for i, d in enumerate(devices):
        for k in range(2 + i):
            await d.create(f"{d.id} note {k}")
    await devices[1].revise(shared.entry, "edit by b")
    await devices[2].revise(shared.entry, "edit by c")
    await devices[0].revise(shared.entry, None)  # a deletes what b and c edit
    return shared.entry


async def _assert_converged(devices, shared=None):
    everything = set().union(*(d.saved for d in devices))
    views = []
    for d in devices:
        events = await d.events()
        ids = [e.id for e in events]
        assert len(ids) == len(set(ids)), "an event is stored twice"
        assert set(ids) == everything, f"{d.id} misses {sorted(everything - set(ids))[:5]}"
        views.append(await d.view())
    assert all(v == views[0] for v in views)
    if shared is not None:
        payload, deleted, heads, conflict = views[0][shared]
        assert len(heads) == 3 and len(conflict) == 3 and not deleted  # both edits and the delete, kept


@settings(max_examples=25, deadline=None)
@given(order=st.lists(st.integers(0, 2), max_size=12), kind=st.sampled_from(["webdav", "s3"]),
       cipher=st.booleans(), small=st.booleans())
def test_three_devices_converge_whatever_the_sync_order(order, kind, cipher, small):
    async def scenario():
        host = MemoryHost(kind)
        await new_circle(host, cipher=cipher)
        devices = [Device(n, host, cipher=cipher, options=SMALL if small else None) for n in "abc"]
        shared = await _offline_work(devices)
        for i in order:
            report = await devices[i].sync()
            assert report.ok, report.errors
        await settle(devices)
        await _assert_converged(devices, shared)
    run(scenario())


# --- stateful model with faults ---------------------------------------------------

FAULTS = {"total": 0}


class DevicesAndServer(RuleBasedStateMachine):
    """Several devices and one server; every request may fail in any way."""

    @initialize(kind=st.sampled_from(["webdav", "s3", "webdav-nolist"]), seed=st.integers(0, 10**6),
                rate=st.sampled_from([0.1, 0.3, 0.5]), small=st.booleans())
    def start(self, kind, seed, rate, small):
        self.host = MemoryHost.webdav(listing=False) if kind == "webdav-nolist" else MemoryHost(kind)
        run(new_circle(self.host, cipher=True))
        self.host.plan = FaultPlan(rate=rate, seed=seed)
        options = SMALL if small else SyncOptions(segment_events=5)
        self.devices = [Device(n, self.host, cipher=True, options=options) for n in "abc"]
        self.entries: list[str] = []
        self.snapshots: dict[str, set[str]] = {}

    @rule(who=st.integers(0, 2), sentinel=st.booleans())
    def record(self, who, sentinel):
        event = run(self.devices[who].create(SENTINEL if sentinel else "note"))
        self.entries.append(event.entry)

    @precondition(lambda self: self.entries)
    @rule(who=st.integers(0, 2), pick=st.integers(0, 10**6), delete=st.booleans())
    def revise(self, who, pick, delete):
        device = self.devices[who]
        entry = self.entries[pick % len(self.entries)]
        run(device.revise(entry, None if delete else f"edit by {device.id}"))

    @rule(who=st.integers(0, 2))
    def sync(self, who):
        device = self.devices[who]
        before = run(device.ids())
        report = run(device.sync())
        assert report.unexpected is None
        assert before <= run(device.ids()), "a sync lost local data"

    @rule(who=st.integers(0, 2))
    def restart(self, who):
        """The tab is closed and opened again: only what is in storage survives."""
        device = self.devices[who]
        device.transport = self.host.transport()

    @invariant()
    def nothing_saved_is_lost_and_no_plaintext_leaks(self):
        if not hasattr(self, "devices"):
            return
        for device in self.devices:
            assert device.saved <= run(device.ids())
        assert SENTINEL.encode() not in server_bytes(self.host)

    def teardown(self):
        if not hasattr(self, "devices"):
            return
        FAULTS["total"] += self.host.plan.total
        self.host.plan.enabled = False
        self.host.fault = None
        run(settle(self.devices, rounds=3))
        run(_assert_converged(self.devices))


DevicesAndServer.TestCase.settings = settings(max_examples=30, stateful_step_count=25, deadline=None)
TestDevicesAndServer = DevicesAndServer.TestCase


# --- seeded soak --------------------------------------------------------------------

def test_hundreds_of_faults_then_every_saved_entry_is_everywhere():
    async def scenario(kind: str, seed: int) -> int:
        host = MemoryHost.webdav(listing=False) if kind == "nolist" else MemoryHost(kind)
        await new_circle(host, cipher=True)
        plan = host.plan = FaultPlan(rate=0.35, seed=seed)
        devices = [Device(n, host, cipher=True, options=SMALL) for n in "abcd"]
        shared = await _offline_work(devices)
        step = 0
        for round_ in range(12):
            for i, d in enumerate(devices):
                step += 1
                if (step * 7 + seed) % 3:
                    await d.create(f"{d.id} round {round_}")
                if step % 5 == 0:
                    await d.revise(shared, f"{d.id} edits again")
                before = await d.ids()
                report = await d.sync()
                assert before <= await d.ids()
                assert d.saved <= await d.ids()
                del report
        plan.enabled = False
        await settle(devices, rounds=3)
        await _assert_converged(devices)
        assert SENTINEL.encode() not in server_bytes(host)
        return plan.total

    total = 0
    for kind in ("webdav", "s3", "nolist"):
        for seed in (1, 2):
            total += run(scenario(kind, seed))
    assert total >= 300, total
    FAULTS["total"] += total

"""Plans: what to fetch from the endpoint, which snapshots to use, when to write one.

Pure functions over checkpoints (what this device has read of each other
device) and indexes (what each device says it has written). No I/O.

A ``Checkpoint`` per remote device holds:

- ``read``: every segment ``1..read`` of that device is stored here;
- ``extra``: segment numbers above ``read`` stored too (after a gap that a
  damaged file left), so they are not fetched again;
- ``etag``: the ETag of the device's index when this device had read
  everything it listed (only then: a 304 must never hide unread files);
- ``fresh``: how many 304s in a row; after ``full_refresh_every`` the index is
  fetched without ``If-None-Match`` (hosts whose ETag is mtime+size, like
  nginx, can give two versions one ETag);
- ``latest`` and ``covers``: the device's newest segment number and its
  snapshot coverage, remembered for the compaction policy.

    >>> cp = Checkpoint(read=2)
    >>> advance(cp, {3, 5}).read, advance(cp, {3, 5}).extra
    (3, (5,))
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Sequence

from .format import Index, SegmentRef, SnapshotRef, is_valid_id


@dataclass(frozen=True)
class Checkpoint:
    """How far this device has read one other device's files."""

    read: int = 0
    extra: tuple[int, ...] = ()
    etag: str | None = None
    fresh: int = 0
    latest: int = 0
    covers: dict = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict:
        return {"read": self.read, "extra": list(self.extra), "etag": self.etag, "fresh": self.fresh,
                "latest": self.latest, "covers": dict(self.covers)}

    @classmethod
    def from_dict(cls, value: object) -> "Checkpoint":
        """From device storage; anything odd gives an empty checkpoint (it only
        costs a re-read: merging what is already stored changes nothing)."""
        if not isinstance(value, dict):
            return cls()
        read, extra, etag = value.get("read"), value.get("extra"), value.get("etag")
        fresh, latest, covers = value.get("fresh", 0), value.get("latest", 0), value.get("covers", {})
        ints = (read, fresh, latest)
        if (not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in ints)
                or not isinstance(extra, list) or not all(isinstance(i, int) and i > read for i in extra)
                or not (etag is None or isinstance(etag, str))
                or not isinstance(covers, dict)
                or not all(is_valid_id(k) and isinstance(v, int) and v >= 0 for k, v in covers.items())):
            return cls()
        return cls(read=read, extra=tuple(sorted(set(extra))), etag=etag, fresh=fresh, latest=latest,
                   covers=dict(covers))


def segments_to_fetch(checkpoint: Checkpoint, index: Index) -> list[SegmentRef]:
    """Segments the index lists that are not stored here yet, oldest first."""
    have = set(checkpoint.extra)
    return [s for s in index.segments if s.n > checkpoint.read and s.n not in have]


def needs_snapshot(checkpoint: Checkpoint, index: Index) -> bool:
    """True when segments this device has not read are no longer listed (compacted)."""
    return checkpoint.read < index.base


def advance(checkpoint: Checkpoint, applied: Iterable[int]) -> Checkpoint:
    """The checkpoint after storing the segments numbered ``applied``."""
    pool = set(checkpoint.extra) | {n for n in applied if n > checkpoint.read}
    read = checkpoint.read
    while read + 1 in pool:
        read += 1
    return replace(checkpoint, read=read, extra=tuple(sorted(n for n in pool if n > read)))


def cover(checkpoint: Checkpoint, upto: int) -> Checkpoint:
    """The checkpoint after storing a snapshot that includes segments ``1..upto``."""
    if upto <= checkpoint.read:
        return checkpoint
    return advance(replace(checkpoint, read=upto, extra=tuple(n for n in checkpoint.extra if n > upto)), ())


def caught_up(checkpoint: Checkpoint, index: Index) -> bool:
    """True when every segment the index lists is stored here."""
    return checkpoint.read >= index.latest


def choose_snapshots(indexes: Mapping[str, Index], checkpoints: Mapping[str, Checkpoint],
                     own_device: str) -> list[SnapshotRef]:
    """Snapshots worth reading, best first.

    A snapshot is read when it is the only way to some segments (its device
    compacted them out of its index), or when it saves more requests than it
    costs (segments it covers > its parts) and at least half of its events are
    new here. Greedy: each chosen snapshot updates the simulated checkpoints.
    """
    reads = {d: (checkpoints.get(d) or Checkpoint()).read for d in set(indexes) | set(checkpoints)}
    counts = {d: {s.n: s.count for s in ix.segments} for d, ix in indexes.items()}
    candidates = {ix.snapshot for ix in indexes.values() if ix.snapshot is not None}
    chosen: list[SnapshotRef] = []
    while candidates:
        best, best_score = None, None
        for snap in candidates:
            saved_segments, saved_events, required = 0, 0, False
            for device, upto in snap.covers.items():
                if device == own_device:
                    continue
                have = reads.get(device, 0)
                index = indexes.get(device)
                if index is not None:
                    if have < index.base and upto >= index.base:
                        required = True
                    upto = min(upto, index.latest)
                if upto <= have:
                    continue
                saved_segments += upto - have
                known = counts.get(device)
                if known is None:  # index not read this run: count unknown, assume it is worth it
                    saved_events += snap.events
                else:  # segments no longer listed count as many (only a snapshot has them)
                    saved_events += sum(known.get(n, snap.events) for n in range(have + 1, upto + 1))
            worth = saved_segments > len(snap.parts) and 2 * min(saved_events, snap.events) >= snap.events
            if not (required or worth):
                continue
            score = (required, saved_segments - len(snap.parts))
            if best_score is None or score > best_score:
                best, best_score = snap, score
        if best is None:
            break
        chosen.append(best)
        candidates.discard(best)
        for device, upto in best.covers.items():
            reads[device] = max(reads.get(device, 0), upto)
    return chosen


def uncovered_segments(latest: Mapping[str, int], snapshots: Sequence[Mapping[str, int]]) -> int:
    """How many segments a new device would fetch one by one after reading the
    best of ``snapshots`` (``latest``: newest segment number per device)."""
    total = sum(latest.values())
    best = max((sum(min(covers.get(d, 0), n) for d, n in latest.items()) for covers in snapshots),
               default=0)
    return total - best


def snapshot_due(latest: Mapping[str, int], snapshots: Sequence[Mapping[str, int]],
                 own_device: str, threshold: int) -> bool:
    """Whether this device should write a snapshot now.

    Due when a new device would fetch at least ``threshold`` segments one by
    one. Devices are staggered (the threshold grows with the device's rank in
    id order) so that usually one device writes it and the others then see
    it and do not.
    """
    if threshold <= 0:
        return False
    devices = sorted(set(latest) | {own_device})
    rank = devices.index(own_device)
    limit = threshold + (threshold * rank) // max(1, len(devices))
    return uncovered_segments(latest, snapshots) >= limit


def batches(items: Sequence, size: int) -> list[Sequence]:
    """``items`` in consecutive slices of at most ``size``."""
    size = max(1, size)
    return [items[i:i + size] for i in range(0, len(items), size)]

"""What sync remembers on this device, kept through the ``Settings`` port.

One set of keys per endpoint (``sync:<hash of endpoint>:...``), so pointing
the app at another endpoint starts afresh there (and pushes everything).

- ``circle``: the circle id and its ``circle.json`` (read once; the key check is re-run locally);
- ``devices``: every other device ever discovered (never forgotten, so a
  stale listing cannot hide one);
- ``checkpoints``: per device, a ``plan.Checkpoint``;
- ``push``: this device's own files: cursor into the event feed, segments
  written, the segments made and not yet written (``queue``: their exact
  bytes are under ``sent:<n>``, so a retry re-sends the same files), the
  snapshot, whether the index must be rewritten, and the segments written
  but not yet seen on the endpoint (``unverified``);
- ``sent:<n>``: the bytes of a queued segment, saved in the same transaction
  as the ``push`` state that queues it, and kept until the segment is seen
  on the endpoint;
- ``registry``: the last ``devices.json`` seen and its ETag.

    >>> import asyncio
    >>> from carelog.adapters.memory import MemorySettings
    >>> repo = SyncStateRepo(MemorySettings(), "https://host/c/")
    >>> asyncio.run(repo.load_push()) is None
    True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from .format import FileRef, SegmentRef, SnapshotRef, is_valid_id
from .plan import Checkpoint


def _nat(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("not a count")
    return value


def _file(value: Any) -> tuple[int, str, int]:
    if not isinstance(value, dict) or not isinstance(value.get("sha256"), str):
        raise ValueError("bad file")
    return _nat(value.get("count")), value["sha256"], _nat(value.get("bytes"))


@dataclass(frozen=True)
class Pending:
    """A segment whose PUT may have been attempted: its bytes are fixed for good.

    The bytes are kept under ``sent:<n>`` (saved in the same transaction as
    the push state that names the segment); ``to_dict`` leaves them out."""

    ref: SegmentRef
    body_b64: str | None
    cursor: int

    def to_dict(self) -> dict:
        return {**self.ref.to_dict(), "cursor": self.cursor}


@dataclass(frozen=True)
class PushState:
    """This device's own files on the endpoint."""

    cursor: int = 0
    base: int = 0
    segments: tuple[SegmentRef, ...] = ()
    snapshot: SnapshotRef | None = None
    next_snap: int = 1
    pending: tuple[Pending, ...] = ()  # segments made and not yet written, in order
    index_dirty: bool = False
    index_etag: str | None = None
    peers: tuple[str, ...] = ()
    unverified: tuple[int, ...] = ()  # segments written (2xx) but not yet seen on the endpoint

    @property
    def last(self) -> int:
        """The number of the newest segment written (0 when none)."""
        return self.segments[-1].n if self.segments else self.base

    def to_dict(self) -> dict:
        return {
            "cursor": self.cursor, "base": self.base, "segments": [s.to_dict() for s in self.segments],
            "snapshot": ({**self.snapshot.to_dict(), "device": self.snapshot.device}
                         if self.snapshot else None),
            "next_snap": self.next_snap, "pending": None, "queue": [p.to_dict() for p in self.pending],
            "index_dirty": self.index_dirty, "index_etag": self.index_etag, "peers": list(self.peers),
            "unverified": list(self.unverified),
        }

    @classmethod
    def from_dict(cls, value: Any) -> "PushState":
        """Raises ValueError when the stored value is not sound (then the
        engine re-learns its numbering from its own index on the endpoint)."""
        if not isinstance(value, dict):
            raise ValueError("no push state")
        base = _nat(value.get("base"))
        segments = []
        for position, item in enumerate(value.get("segments") or [], start=base + 1):
            count, digest, size = _file(item)
            if item.get("n") != position:
                raise ValueError("segment numbers not contiguous")
            segments.append(SegmentRef(count=count, sha256=digest, size=size, n=position))
        snap = value.get("snapshot")
        snapshot = None
        if snap is not None:
            if not isinstance(snap, dict) or not is_valid_id(snap.get("device")):
                raise ValueError("bad snapshot")
            covers = snap.get("covers")
            if not isinstance(covers, dict):
                raise ValueError("bad snapshot")
            snapshot = SnapshotRef(device=snap["device"], n=_nat(snap.get("n")), covers=dict(covers),
                                   parts=tuple(FileRef(*_file(p)) for p in snap.get("parts") or []))
        # "pending": one segment with its bytes (as saved before the queue);
        # "queue": segments in order, their bytes under sent:<n> (SyncStateRepo.load_push)
        items = [value["pending"]] if value.get("pending") is not None else []
        items += list(value.get("queue") or [])
        pending = []
        for number, pend in enumerate(items, start=base + len(segments) + 1):
            count, digest, size = _file(pend)
            body = pend.get("body")
            if not (body is None or isinstance(body, str)):
                raise ValueError("bad pending segment")
            pending.append(Pending(SegmentRef(count=count, sha256=digest, size=size, n=_nat(pend.get("n"))),
                                   body, _nat(pend.get("cursor"))))
            if pending[-1].ref.n != number:
                raise ValueError("pending segment out of order")
        etag = value.get("index_etag")
        if not (etag is None or isinstance(etag, str)) or not isinstance(value.get("index_dirty"), bool):
            raise ValueError("bad index state")
        peers = value.get("peers", [])
        if not isinstance(peers, list) or not all(is_valid_id(p) for p in peers):
            raise ValueError("bad peers")
        listed = {s.n for s in segments}
        unverified = tuple(n for n in (_nat(n) for n in value.get("unverified") or []) if n in listed)
        return cls(cursor=_nat(value.get("cursor")), base=base, segments=tuple(segments), snapshot=snapshot,
                   next_snap=max(1, _nat(value.get("next_snap"))), pending=tuple(pending),
                   index_dirty=value["index_dirty"], index_etag=etag, peers=tuple(peers),
                   unverified=unverified)

    def with_(self, **changes) -> "PushState":
        """A copy with some fields changed."""
        return replace(self, **changes)


class SyncStateRepo:
    """Typed access to sync state in the ``Settings`` port, per endpoint."""

    def __init__(self, settings: Any, endpoint: str):
        self.settings = settings
        self.prefix = "sync:" + hashlib.sha256(endpoint.encode("utf-8")).hexdigest()[:16] + ":"

    async def _get(self, key: str, default: Any = None) -> Any:
        return await self.settings.get(self.prefix + key, default)

    async def _put(self, key: str, value: Any) -> None:
        await self.settings.put(self.prefix + key, value)

    async def load_circle(self) -> dict | None:
        """``{"id": ..., "file": <circle.json as read>}`` once the circle was read."""
        value = await self._get("circle")
        if isinstance(value, dict) and is_valid_id(value.get("id")):
            return value
        return None

    async def save_circle(self, value: dict) -> None:
        await self._put("circle", value)

    async def load_devices(self) -> set[str]:
        value = await self._get("devices", [])
        return {d for d in value if is_valid_id(d)} if isinstance(value, list) else set()

    async def save_devices(self, devices: set[str]) -> None:
        await self._put("devices", sorted(devices))

    async def load_checkpoints(self) -> dict[str, Checkpoint]:
        value = await self._get("checkpoints", {})
        if not isinstance(value, dict):
            return {}
        return {d: Checkpoint.from_dict(cp) for d, cp in value.items() if is_valid_id(d)}

    async def save_checkpoints(self, checkpoints: dict[str, Checkpoint]) -> None:
        await self._put("checkpoints", {d: cp.to_dict() for d, cp in sorted(checkpoints.items())})

    def checkpoint_values(self, checkpoints: dict[str, Checkpoint]) -> dict[str, Any]:
        """``save_checkpoints`` as settings values, for ``EntryStore.put_pulled``."""
        return {self.prefix + "checkpoints": {d: cp.to_dict() for d, cp in sorted(checkpoints.items())}}

    async def load_push(self) -> PushState | None:
        """None when never pushed to this endpoint, or when the stored state is unsound."""
        value = await self._get("push")
        if value is None:
            return None
        try:
            push = PushState.from_dict(value)
        except (ValueError, TypeError, KeyError):
            return None
        if any(p.body_b64 is None for p in push.pending):
            bodies = []
            for p in push.pending:
                body = p.body_b64 if p.body_b64 is not None else await self.load_sent(p.ref.n)
                if body is None:
                    return None  # its bytes are gone: re-learn the numbering from the endpoint
                bodies.append(replace(p, body_b64=body))
            push = push.with_(pending=tuple(bodies))
        return push

    async def save_push(self, push: PushState) -> None:
        await self._put("push", push.to_dict())

    async def save_push_and_sent(self, push: PushState, sent: dict[int, str | None]) -> None:
        """The push state and segment bytes (``None`` forgets them) in one
        transaction where the store can (``Settings.put_many``): a queued
        segment's bytes are never missing when the state names it."""
        values: dict[str, Any] = {f"{self.prefix}sent:{n}": body for n, body in sorted(sent.items())}
        values[self.prefix + "push"] = push.to_dict()
        put_many = getattr(self.settings, "put_many", None)
        if put_many is None:  # a settings object without the port's helper
            for key, value in values.items():
                await self.settings.put(key, value)
        else:
            await put_many(values)

    async def save_sent(self, n: int, body_b64: str | None) -> None:
        """The bytes of own segment ``n`` while it is not yet seen on the endpoint
        (``None`` forgets them)."""
        await self._put(f"sent:{n}", body_b64)

    async def load_sent(self, n: int) -> str | None:
        value = await self._get(f"sent:{n}")
        return value if isinstance(value, str) else None

    async def load_registry(self) -> tuple[str | None, list[str]]:
        value = await self._get("registry")
        if isinstance(value, dict) and isinstance(value.get("devices"), list):
            etag = value.get("etag") if isinstance(value.get("etag"), str) else None
            return etag, [d for d in value["devices"] if is_valid_id(d)]
        return None, []

    async def save_registry(self, etag: str | None, devices: list[str]) -> None:
        await self._put("registry", {"etag": etag, "devices": sorted(set(devices))})

"""The sync engine: one run of pull, push and (sometimes) compaction over the ports.

    >>> import asyncio
    >>> from carelog.adapters.memory import MemoryEntryStore, MemorySettings
    >>> from carelog.adapters.memory_transport import MemoryHost
    >>> host = MemoryHost.webdav()
    >>> asyncio.run(create_circle(host.url, host.transport(), "circle-1")).id
    'circle-1'
    >>> store = MemoryEntryStore()
    >>> report = asyncio.run(sync_once(endpoint=host.url, device_id="dev-a", store=store, feed=store,
    ...                                transport=host.transport(), settings=MemorySettings()))
    >>> report.ok, report.pulled, report.pushed
    (True, 0, 0)

A run never raises and never changes or removes local data because of what
the endpoint sends: a file that cannot be fetched, does not check out or does
not decrypt is skipped and named in ``SyncReport.errors`` in plain words; the
run goes on with the next file. Checkpoints only move past files whose events
are durably stored, so a skipped file is fetched again next time.

One run at a time per device (the browser holds a Web Lock around it).
The order is: circle -> discover devices -> read indexes -> snapshots ->
segments -> push own segments -> own index -> registry -> maybe a snapshot.
Pull comes first so that events just pulled are not pushed back.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from typing import Callable

from ..domain.events import Event
from ..ports import (Cipher, CipherError, EntryStore, EventFeed, Response, Settings, StorageFull,
                     StorageUnavailable, StoreError, SyncTransport, TransportError)
from . import format as fmt
from .format import FileRef, Index, SegmentRef, SnapshotRef, SyncFormatError
from .plan import Checkpoint, advance, caught_up, choose_snapshots, cover, needs_snapshot, segments_to_fetch, \
    snapshot_due
from .state import Pending, PushState, SyncStateRepo

WRITTEN = (200, 201, 204)
NOT_WRITABLE = (405, 501)


@dataclass
class SyncOptions:
    """Knobs (the defaults suit a tablet; tests make them small)."""

    segment_events: int = 1000          # events per segment at most
    snapshot_part_events: int = 5000    # events per snapshot part at most
    snapshot_after_segments: int = 500  # write a snapshot when a new device would fetch this many segments
    keep_tail: int = 200                # segments still listed in the index behind the newest snapshot
    full_refresh_every: int = 16        # after this many 304s, fetch an index without If-None-Match
    read_only: bool = False             # never write (pull-only endpoint)
    max_devices: int = 500
    store_batch_events: int = 5000      # pulled events stored in one transaction (several segments)
    push_batch_segments: int = 10       # segments made from one feed read and saved in one transaction


@dataclass
class SyncReport:
    """What one run did, for the status line. ``errors`` are plain sentences."""

    pulled: int = 0            # events new to this device
    pushed: int = 0            # events sent in new segments
    files_read: int = 0        # segments and snapshot parts read
    files_written: int = 0     # segments, snapshot parts and indexes written
    devices: int = 0           # other devices known
    pending: int = 0           # events stored here and not yet sent
    read_only: bool = False    # the endpoint refused writes
    snapshot_written: bool = False
    skipped: bool = False      # another run for this device and endpoint was still going
    resent: int = 0            # own segments sent again because the endpoint had lost them
    newest_stamp: str | None = None  # greatest clock stamp pulled: the app moves its clock past it
    errors: list = field(default_factory=list)
    unexpected: str | None = None  # a bug, not an endpoint problem (tests assert it stays None)

    @property
    def ok(self) -> bool:
        return not self.errors


_RUNNING: set = set()  # (endpoint, device) pairs with a run in progress in this process


class SyncError(RuntimeError):
    """A circle could not be created or opened (plain message)."""


class _Failed(Exception):
    """One file or request failed; the run goes on. ``refused``: a write got no
    answer at all, and not because of a timeout (a CORS refusal looks so)."""

    def __init__(self, message: str, refused: bool = False):
        super().__init__(message)
        self.refused = refused


class _Stop(Exception):
    """The run cannot go on (no circle, wrong key, local storage failing)."""


class _ReadOnly(Exception):
    """The endpoint refuses writes."""


def _short(device: str) -> str:
    return device[:8]


def _status_message(status: int, what: str, body: object = None) -> str:
    from .s3_settings import key_problem  # noqa: PLC0415 (s3_settings imports this module)

    problem = key_problem(body)  # an S3 bucket's refusal of the keys (expired, wrong secret...)
    if problem:
        return f"The bucket refused {what}: {problem} Change the keys in Sync settings."
    if status in (401, 403):
        return f"The sync server refused access to {what} (HTTP {status}); check the sync password."
    if status >= 500:
        return f"The sync server had a problem with {what} (HTTP {status}); will retry."
    return f"The sync server answered HTTP {status} for {what}; will retry."


async def _get(transport: SyncTransport, url: str, etag: str | None, what: str) -> Response:
    """GET; 200, 304 and 404 come back, anything else is ``_Failed``."""
    try:
        resp = await transport.get(url, etag)
    except TransportError:
        raise _Failed(f"No answer from the sync server for {what} (offline or timed out); will retry.") from None
    status = getattr(resp, "status", None)
    if not isinstance(status, int):
        raise _Failed(f"The sync server gave no valid answer for {what}; will retry.")
    if status in (200, 304, 404):
        if not isinstance(resp.body, (bytes, bytearray)):
            resp = Response(status, b"", resp.etag)
        return resp
    raise _Failed(_status_message(status, what, resp.body))


async def _put(transport: SyncTransport, url: str, body: bytes, if_match: str | None, what: str) -> Response:
    """PUT; written and 412 come back, 405/501 raise ``_ReadOnly``, anything else ``_Failed``."""
    try:
        resp = await transport.put(url, body, if_match)
    except TransportError as error:
        raise _Failed(f"No answer from the sync server while sending {what} (offline or timed out); "
                      "will retry.", refused="time" not in str(error).lower()) from None
    status = getattr(resp, "status", None)
    if status in WRITTEN or status == 412 or (status == 404 and if_match is not None):
        return resp  # 412 (S3: 404 when the file is gone) = the If-Match precondition failed
    if status in NOT_WRITABLE:
        raise _ReadOnly()
    raise _Failed(_status_message(status if isinstance(status, int) else 0, what, getattr(resp, "body", None)))


async def seal(cipher: Cipher | None, plaintext: bytes) -> bytes:
    """The bytes to store: an envelope when the circle is encrypted."""
    if cipher is None:
        return plaintext
    return fmt.encode_envelope(cipher.alg, cipher.iv_length, await cipher.encrypt(plaintext))


async def unseal(cipher: Cipher | None, body: bytes, what: str) -> bytes:
    """The plaintext of a stored file; ``SyncFormatError`` when it does not open."""
    if cipher is None:
        return body
    sealed = fmt.decode_envelope(body, cipher.alg, cipher.iv_length, what)
    try:
        return await cipher.decrypt(sealed)
    except CipherError:
        raise SyncFormatError(f"{what} could not be decrypted (wrong key, or altered).") from None


# --- creating and opening a circle ------------------------------------------

async def create_circle(endpoint: str, transport: SyncTransport, circle_id: str, cipher: Cipher | None = None,
                        salt: bytes | None = None, iterations: int = fmt.MIN_PBKDF2_ITERATIONS) -> fmt.Circle:
    """Write ``circle.json`` unless one is there; return the circle now at the endpoint.

    With ``cipher`` (its key derived from the passphrase with ``salt`` and
    ``iterations``), the circle is encrypted and carries a key check. Two
    devices creating a circle at once on a host without conditional writes:
    the file is read back, and the circle that won is returned (the caller
    compares ids and asks the user to join that one).
    """
    endpoint = fmt.normalize_endpoint(endpoint)
    url = endpoint + "circle.json"
    try:
        existing = await _get(transport, url, None, "the circle file")
        if existing.status == 200:
            return fmt.decode_circle(existing.body)
        encryption = None
        if cipher is not None:
            if salt is None or not 16 <= len(salt) <= 64:
                raise SyncError("An encrypted circle needs a random salt of 16 to 64 bytes.")
            check = fmt.envelope_object(cipher.alg, cipher.iv_length, await cipher.encrypt(fmt.KEY_CHECK_TEXT))
            encryption = fmt.Encryption(alg=cipher.alg, kdf=fmt.KDF_PBKDF2, iterations=iterations,
                                        salt=salt, check=check)
        circle = fmt.Circle(id=circle_id, encryption=encryption)
        body = fmt.encode_circle(circle)
        fmt.decode_circle(body)  # refuse to write what we would not read (weak settings, bad id)
        await _put(transport, url, body, None, "the circle file")
        back = await _get(transport, url, None, "the circle file")
        if back.status != 200:
            raise SyncError("The circle file could not be read back from the sync server.")
        return fmt.decode_circle(back.body)
    except (_Failed, SyncFormatError) as error:
        raise SyncError(str(error)) from None
    except _ReadOnly:
        raise SyncError("The sync address does not accept changes (read-only), so no circle can be "
                        "created there.") from None


async def open_circle(circle: fmt.Circle, cipher: Cipher | None) -> None:
    """Check that ``cipher`` fits the circle; raise ``SyncError`` in plain words if not."""
    if circle.encryption is None:
        if cipher is not None:
            raise SyncError("The circle at this sync address is not encrypted, but this device expects "
                            "encryption. Nothing was sent.")
        return
    if cipher is None:
        raise SyncError("This circle is encrypted: enter the circle passphrase (or use the invite link).")
    if cipher.alg != circle.encryption.alg:
        raise SyncError(f"This circle uses {circle.encryption.alg} encryption, which this app cannot use.")
    try:
        sealed = fmt.envelope_from_object(circle.encryption.check, cipher.alg, cipher.iv_length,
                                          "The circle's key check")
        plain = await cipher.decrypt(sealed)
    except (SyncFormatError, CipherError):
        plain = None
    if plain != fmt.KEY_CHECK_TEXT:
        raise SyncError("The passphrase does not open this circle. Check it and try again.")


# --- the engine --------------------------------------------------------------

class SyncEngine:
    """One device's view of one endpoint. ``sync_once`` is one run."""

    def __init__(self, *, endpoint: str, device_id: str, store: EntryStore, feed: EventFeed,
                 transport: SyncTransport, settings: Settings, cipher: Cipher | None = None,
                 options: SyncOptions | None = None, circle_id: str | None = None):
        self.endpoint_text = endpoint
        self.device_id = device_id
        self.store = store
        self.feed = feed
        self.transport = transport
        self.settings = settings
        self.cipher = cipher
        self.options = options or SyncOptions()
        self.expected_circle = circle_id

    async def sync_once(self) -> SyncReport:
        """Pull, push, maybe compact. Never raises; see the report.

        A second call for the same device and endpoint while one runs (a timer
        and a button in one tab) returns at once with ``skipped``; across tabs
        the browser holds a Web Lock.
        """
        self.report = SyncReport()
        key = (self.endpoint_text, self.device_id)
        if key in _RUNNING:
            self.report.skipped = True
            return self.report
        _RUNNING.add(key)
        try:
            return await self._sync_once()
        finally:
            _RUNNING.discard(key)

    async def _sync_once(self) -> SyncReport:
        try:
            await self._run()
        except _Stop as stop:
            self.report.errors.append(str(stop))
        except Exception as error:  # a bug: say so plainly, keep the details for tests and logs
            self.report.unexpected = f"{type(error).__name__}: {error}"
            self.report.errors.append("Sync stopped because of an unexpected problem; the entries on "
                                      "this device are safe.")
        try:
            self.report.pending = await self._pending()
        except Exception:  # noqa: BLE001 - the count is informative only
            pass
        return self.report

    async def _pending(self) -> int:
        cursor = self.push.cursor if getattr(self, "push", None) else 0
        return await _count_own_after(self.feed, cursor, self.device_id, getattr(self, "pulled_ids", set()))

    # --- the run -------------------------------------------------------

    async def _run(self) -> None:
        try:
            self.endpoint = fmt.normalize_endpoint(self.endpoint_text)
        except SyncFormatError as error:
            raise _Stop(str(error)) from None
        if not fmt.is_valid_id(self.device_id):
            raise _Stop("This device has no valid id for sync.")
        self.repo = SyncStateRepo(self.settings, self.endpoint)
        self.push = await self.repo.load_push()
        self.circle = await self._open_circle()
        self.devices = await self.repo.load_devices()
        self.devices.discard(self.device_id)
        self.checkpoints = await self.repo.load_checkpoints()
        self.pulled_ids: set[str] = set()
        self.indexed: set[str] = set()          # devices whose index was read and checked
        self.registry: list[str] | None = None  # devices.json as now on the endpoint, if known
        self.registry_etag: str | None = None
        self.listing = False
        self.write_refused = False
        await self._pull()
        self.report.devices = len(self.devices)
        if self.options.read_only:
            return
        try:
            ok = await self._push()
            if not ok and self.write_refused and await self._answers_reads():
                self.write_refused = False
                ok = await self._push()  # once more: a passing fault goes through now
                if not ok and self.write_refused:
                    self.report.errors = [e for e in self.report.errors
                                          if not e.startswith("No answer from the sync server while sending")]
                    raise _ReadOnly()
            if ok:
                await self._register()
                if not self.report.errors:
                    await self._maybe_snapshot()
        except _ReadOnly:
            self.report.read_only = True
            self.report.errors.append("The sync address does not accept changes (read-only): entries "
                                      "made here stay on this device until a writable address is set.")
        self.report.devices = len(self.devices)

    async def _answers_reads(self) -> bool:
        """A write was refused without an answer (not a timeout): does the host
        still answer a read?

        A static host on another origin usually refuses a PUT at the CORS
        preflight, which ``fetch`` reports as no answer, like a dropped
        connection. When a read then works and the write is refused again,
        the address reads but does not write (reported as read-only)."""
        if self.report.files_written:
            return False
        try:
            resp = await self.transport.get(self.endpoint + "circle.json")
        except TransportError:
            return False
        return getattr(resp, "status", None) == 200

    def _error(self, message: str) -> None:
        self.report.errors.append(message)

    async def _open_circle(self) -> str:
        saved = await self.repo.load_circle()
        if saved is not None:
            # Read once; the key is still checked every run (a changed passphrase
            # must never send files other devices cannot open).
            try:
                circle = fmt.decode_circle(fmt.dumps(saved.get("file")))
                await open_circle(circle, self.cipher)
            except SyncFormatError:
                circle = None  # an older or damaged saved copy: read the file again
            except SyncError as error:
                raise _Stop(str(error)) from None
            if circle is not None:
                if self.expected_circle and circle.id != self.expected_circle:
                    raise _Stop("The sync address holds another circle than the one this device joined.")
                return circle.id
        try:
            resp = await _get(self.transport, self.endpoint + "circle.json", None, "the circle file")
        except _Failed as failed:
            raise _Stop(str(failed)) from None
        if resp.status != 200:
            raise _Stop("No carelog circle was found at the sync address. Check the address, "
                        "or create the circle first.")
        try:
            circle = fmt.decode_circle(resp.body)
            await open_circle(circle, self.cipher)
        except (SyncFormatError, SyncError) as error:
            raise _Stop(str(error)) from None
        if self.expected_circle and circle.id != self.expected_circle:
            raise _Stop("The sync address holds another circle than the one this device joined.")
        await self.repo.save_circle({"id": circle.id, "file": fmt.load_json(fmt.encode_circle(circle), "circle")})
        return circle.id

    # --- discovery -----------------------------------------------------

    async def _discover(self) -> set[str]:
        found = set(self.devices)
        try:
            names = await self.transport.list(self.endpoint + "devices/")
        except (TransportError, SyncFormatError):
            names = None
            self._error("The list of devices on the sync server could not be read; will retry.")
        if names is not None:
            self.listing = True
            found.update(n for n in names if fmt.is_valid_id(n))
        etag, cached = await self.repo.load_registry()
        try:
            resp = await _get(self.transport, self.endpoint + "devices.json", etag if cached else None,
                              "the device list (devices.json)")
            if resp.status == 200:
                self.registry = fmt.decode_registry(resp.body, circle=self.circle)
                self.registry_etag = resp.etag
                await self.repo.save_registry(resp.etag, self.registry)
            elif resp.status == 304 and cached:
                self.registry, self.registry_etag = cached, etag
            elif resp.status == 404:
                self.registry, self.registry_etag = [], None
        except _Failed as failed:
            self._error(str(failed))
        except SyncFormatError as error:
            self._error(f"{error} Ignored.")
            self.registry = []  # a damaged registry is rebuilt from what this device knows
        found.update(self.registry or cached)
        found.discard(self.device_id)
        return found

    # --- pull ----------------------------------------------------------

    async def _pull(self) -> None:
        queue = sorted(await self._discover())
        own_lost = self.push is None
        self.adopted: PushState | None = None
        if own_lost:
            queue.insert(0, self.device_id)
        indexes: dict[str, Index] = {}
        etags: dict[str, str | None] = {}
        seen: set[str] = set()
        while queue:
            device = queue.pop(0)
            if device in seen or len(seen) >= self.options.max_devices:
                continue
            seen.add(device)
            if device != self.device_id:
                self.devices.add(device)
            try:
                fetched = await self._fetch_index(device)
            except _Failed as failed:
                self._error(str(failed))
                continue
            if device == self.device_id:
                self.adopted = self._adopt(fetched[0] if fetched else None)
                if fetched is None:
                    continue
            if fetched is None:
                continue
            index, etag = fetched
            indexes[device], etags[device] = index, etag
            queue.extend(p for p in index.peers if p not in seen and p != self.device_id)
        for snap in choose_snapshots(indexes, self.checkpoints, "" if own_lost else self.device_id):
            await self._read_snapshot(snap, own_lost)
        await self.repo.save_devices(self.devices)
        for device in sorted(indexes):
            await self._pull_segments(device, indexes[device], etags[device])
        await self.repo.save_checkpoints(self.checkpoints)

    def _adopt(self, index: Index | None) -> PushState:
        """Push state learnt from this device's own index (state lost, or first run here)."""
        if index is None:
            return PushState()
        snap = index.snapshot
        return PushState(cursor=0, base=index.base, segments=index.segments, snapshot=snap,
                         next_snap=(snap.n + 1) if snap else 1)

    async def _fetch_index(self, device: str) -> tuple[Index, str | None] | None:
        """The device's index if it changed; None when unchanged (304) or absent (404)."""
        cp = self.checkpoints.get(device, Checkpoint())
        own = device == self.device_id
        use_etag = cp.etag if (cp.etag and not own and cp.fresh < self.options.full_refresh_every) else None
        what = "this device's own file list" if own else f"the file list of device {_short(device)}"
        resp = await _get(self.transport, fmt.device_folder(self.endpoint, device) + "index.json", use_etag, what)
        if resp.status == 304:
            if use_etag is None:
                raise _Failed(f"The sync server answered 'not modified' to a plain request for {what}.")
            self.checkpoints[device] = replace(cp, fresh=cp.fresh + 1)
            return None
        if resp.status == 404:
            return None
        try:
            index = fmt.decode_index(resp.body, circle=self.circle, device=device)
        except SyncFormatError as error:
            raise _Failed(f"{error} Skipped; will retry.") from None
        self.indexed.add(device)
        self.checkpoints[device] = replace(cp, fresh=0, latest=index.latest,
                                           covers=dict(index.snapshot.covers) if index.snapshot else {})
        return index, resp.etag

    async def _read_file(self, url: str, ref: FileRef, what: str, decode: Callable[[bytes], list[Event]]
                         ) -> list[Event]:
        resp = await _get(self.transport, url, None, what)
        if resp.status != 200:
            raise _Failed(f"{what} is listed but missing on the sync server; will retry.")
        body = bytes(resp.body)
        if len(body) != ref.size or fmt.sha256_hex(body) != ref.sha256:
            raise _Failed(f"{what} arrived incomplete or altered (checksum mismatch); skipped, will retry.")
        try:
            events = decode(await unseal(self.cipher, body, what))
        except SyncFormatError as error:
            raise _Failed(f"{error} Skipped.") from None
        self.report.files_read += 1
        return events

    async def _store(self, events: list[Event], checkpoints: dict[str, Checkpoint] | None = None) -> None:
        """Store pulled events; with ``checkpoints``, the checkpoints that move past
        them are written with them (``EntryStore.put_pulled``: one transaction)."""
        try:
            if checkpoints is None:
                new = await self.store.put_events(events)
            else:
                new = await self.store.put_pulled(events, self.settings, self.repo.checkpoint_values(checkpoints))
        except StorageFull:
            raise _Stop("This device's storage is full: entries from other devices could not be saved. "
                        "Free some space; nothing was lost.") from None
        except (StorageUnavailable, StoreError):
            raise _Stop("Entries from other devices could not be saved on this device; will retry.") from None
        self.report.pulled += new
        self.pulled_ids.update(e.id for e in events)
        newest = max((e.hlc for e in events), default=None)
        if newest and (self.report.newest_stamp is None or newest > self.report.newest_stamp):
            self.report.newest_stamp = newest

    async def _store_batch(self, device: str, cp: Checkpoint, applied: list[int], held: list[Event],
                           held_n: list[int]) -> None:
        """Store the events of segments ``held_n`` together with the checkpoint
        past them (no ETag yet: that is remembered once every listed file is
        here); ``applied`` grows only after both are written."""
        moved = dict(self.checkpoints)
        moved[device] = replace(advance(cp, applied + held_n), etag=None)
        await self._store(held, moved)
        applied.extend(held_n)

    async def _read_snapshot(self, snap: SnapshotRef, own_lost: bool) -> None:
        folder = fmt.device_folder(self.endpoint, snap.device)
        for k, ref in enumerate(snap.parts, start=1):
            what = f"snapshot {snap.n} part {k} of device {_short(snap.device)}"
            try:
                events = await self._read_file(
                    folder + fmt.snapshot_part_name(snap.n, k), ref, what,
                    lambda body, k=k: fmt.decode_snapshot_part(body, circle=self.circle, device=snap.device,
                                                               snap=snap.n, part=k))
            except _Failed as failed:
                self._error(str(failed))
                return
            await self._store(events)
        for device, upto in snap.covers.items():
            if device == self.device_id and not own_lost:
                continue
            if device != self.device_id:
                self.devices.add(device)
            self.checkpoints[device] = cover(self.checkpoints.get(device, Checkpoint()), upto)
        await self.repo.save_checkpoints(self.checkpoints)

    async def _pull_segments(self, device: str, index: Index, etag: str | None) -> None:
        cp = self.checkpoints.get(device, Checkpoint())
        if needs_snapshot(cp, index):
            self._error(f"Older entries of device {_short(device)} are only in its snapshot, which could "
                        "not be read yet; will retry.")
        folder = fmt.device_folder(self.endpoint, device)
        applied: list[int] = []
        held: list[Event] = []   # events of segments read but not stored yet (one transaction per batch)
        held_n: list[int] = []
        for ref in segments_to_fetch(cp, index):
            what = f"segment {ref.n} of device {_short(device)}"
            try:
                events = await self._read_file(
                    folder + fmt.segment_name(ref.n), ref, what,
                    lambda body, n=ref.n: fmt.decode_segment(body, circle=self.circle, device=device, n=n))
            except _Failed as failed:
                self._error(str(failed))
                continue
            held.extend(events)
            held_n.append(ref.n)
            if len(held) >= self.options.store_batch_events:
                await self._store_batch(device, cp, applied, held, held_n)
                held, held_n = [], []
        if held_n:
            await self._store_batch(device, cp, applied, held, held_n)
        cp = advance(cp, applied)  # only after the events are stored
        self.checkpoints[device] = replace(cp, etag=etag if caught_up(cp, index) else None)
        await self.repo.save_checkpoints(self.checkpoints)

    # --- push ----------------------------------------------------------

    async def _save_push(self, push: PushState) -> None:
        self.push = push
        await self.repo.save_push(push)

    async def _push(self) -> bool:
        """Send what is not on the endpoint yet; True when everything went."""
        if self.push is None:
            if self.adopted is None:
                self._error("This device's own files on the sync server could not be checked, so "
                            "nothing was sent (to never overwrite them); will retry.")
                return False
            await self._save_push(self.adopted)
        ok = True
        if self.push.unverified:
            await self._verify_sent()
        if self.push.pending:  # left by an earlier run: the same bytes again
            # (saved again with the state: a state of the one-segment form kept them inline)
            await self.repo.save_push_and_sent(self.push, {p.ref.n: p.body_b64 for p in self.push.pending})
            ok = await self._send_pending()
        size = max(1, self.options.segment_events)
        while ok:
            # One read for several segments: only events this device made (the
            # others' are in their own segments; a pulled event never crosses
            # into Python again), as records: a segment is made of them.
            records, positions, last = await self.feed.records_after(
                self.push.cursor, size * max(1, self.options.push_batch_segments), self.device_id)
            if last <= self.push.cursor:
                break
            batch = [(r, p) for r, p in zip(records, positions) if r["id"] not in self.pulled_ids]
            if not batch:
                await self._save_push(self.push.with_(cursor=last))
                continue
            queue: list[Pending] = []
            n = self.push.last
            for start in range(0, len(batch), size):
                chunk = batch[start:start + size]
                n += 1
                body = await seal(self.cipher, fmt.encode_segment_records(self.circle, self.device_id, n,
                                                                          [r for r, _ in chunk]))
                ref = SegmentRef(count=len(chunk), sha256=fmt.sha256_hex(body), size=len(body), n=n)
                end = last if start + size >= len(batch) else chunk[-1][1]
                queue.append(Pending(ref, base64.b64encode(body).decode("ascii"), end))
            # Fixed before the first attempt, bytes and state in one transaction:
            # a retry sends exactly these bytes again, whatever happened between.
            push = self.push.with_(pending=tuple(queue))
            await self.repo.save_push_and_sent(push, {p.ref.n: p.body_b64 for p in queue})
            self.push = push
            ok = await self._send_pending()
        if self.push.last > 0 and tuple(sorted(self.devices)) != self.push.peers:
            await self._save_push(self.push.with_(index_dirty=True))  # gossip the devices found since
        if self.push.index_dirty:
            ok = await self._send_index() and ok
        return ok

    async def _send_pending(self) -> bool:
        """PUT the queued segments in order. The state is saved once at the end
        (or at the first failure): a crash before that re-sends the same bytes
        under the same names next run, which changes nothing on the endpoint.
        A bucket that refuses a segment's name (412) holds it already: sent if
        it holds the same bytes, else sending stops (``_same_segment``)."""
        folder = fmt.device_folder(self.endpoint, self.device_id)
        ok = True
        sent = 0
        for pending in self.push.pending:
            url = folder + fmt.segment_name(pending.ref.n)
            try:
                resp = await _put(self.transport, url, base64.b64decode(pending.body_b64), None,
                                  f"segment {pending.ref.n} of this device")
                if resp.status == 412 and not await self._same_segment(url, pending.ref):
                    ok = False
                    break
            except _Failed as failed:
                self.write_refused = failed.refused
                self._error(str(failed))
                ok = False
                break
            # its bytes stay under sent:<n> until a later run sees the file (a 2xx is not proof)
            self.push = self.push.with_(segments=self.push.segments + (pending.ref,),
                                        pending=self.push.pending[1:],
                                        cursor=max(self.push.cursor, pending.cursor), index_dirty=True,
                                        unverified=self.push.unverified + (pending.ref.n,))
            self.report.pushed += pending.ref.count
            self.report.files_written += 1
            sent += 1
        if sent:
            await self._save_push(self.push)
        return ok

    async def _same_segment(self, url: str, ref: SegmentRef) -> bool:
        """A bucket refused a new segment (``If-None-Match: *``: 412, the name is
        taken). The same bytes there: an earlier PUT of it succeeded and its
        answer was lost, so it counts as sent. Other bytes: another device
        writes under this device's id; nothing more is sent (invariant 1)."""
        current = await _get(self.transport, url, None, f"segment {ref.n} of this device")
        if current.status == 200 and fmt.sha256_hex(bytes(current.body)) == ref.sha256:
            return True
        if current.status == 200:
            self._error("Another device is writing into this device's folder on the sync server "
                        "(the same device id on two devices?). Sending stopped to protect its files.")
        else:
            self._error(f"The sync server refused segment {ref.n} of this device (HTTP 412); will retry.")
        return False

    async def _verify_sent(self) -> None:
        """Check that segments an earlier run sent (2xx) are really on the endpoint;
        send again, as the same bytes under the same name, any that are not.

        A host may acknowledge a PUT and lose the file (a proxy, a full disk, a
        restored backup). One folder listing checks them all; without a
        listing each is read back and compared by sha256. A stale listing only
        causes a harmless re-send of identical bytes. A segment stays
        unverified (its bytes kept here) until it is seen.
        """
        folder = fmt.device_folder(self.endpoint, self.device_id)
        refs = {s.n: s for s in self.push.segments}
        todo = [n for n in self.push.unverified if n in refs]
        for n in self.push.unverified:
            if n not in refs:  # below the base now: covered by this device's snapshot
                await self.repo.save_sent(n, None)
        try:
            names = await self.transport.list(folder)
        except (TransportError, SyncFormatError):
            return  # try next run
        seen: set[int] = set()
        missing: list[int] = []
        for n in todo:
            name = fmt.segment_name(n)
            if names is not None:
                if name in names:
                    seen.add(n)
                else:
                    missing.append(n)
                continue
            try:
                resp = await _get(self.transport, folder + name, None, f"segment {n} of this device")
            except _Failed:
                continue  # unknown: check next run
            if resp.status == 200 and fmt.sha256_hex(bytes(resp.body)) == refs[n].sha256:
                seen.add(n)
            elif resp.status == 404:
                missing.append(n)
        for n in missing:
            body = await self.repo.load_sent(n)
            if body is None:
                seen.add(n)  # its bytes are gone here too: nothing to re-send
                self._error(f"Segment {n} of this device is missing on the sync server and cannot be re-sent.")
                continue
            try:
                await _put(self.transport, folder + fmt.segment_name(n), base64.b64decode(body), None,
                           f"segment {n} of this device")
            except _Failed as failed:
                self._error(str(failed))
                continue
            self.report.files_written += 1
            self.report.resent += 1
        for n in seen:
            await self.repo.save_sent(n, None)
        if seen or len(todo) != len(self.push.unverified):
            await self._save_push(self.push.with_(unverified=tuple(n for n in self.push.unverified
                                                                   if n not in seen and n in refs)))

    def _own_index(self) -> Index:
        return Index(device=self.device_id, base=self.push.base, segments=self.push.segments,
                     snapshot=self.push.snapshot, peers=tuple(sorted(self.devices)))

    async def _send_index(self) -> bool:
        url = fmt.device_folder(self.endpoint, self.device_id) + "index.json"
        index = self._own_index()
        body = fmt.encode_index(self.circle, index)
        what = "this device's file list"
        try:
            resp = await _put(self.transport, url, body, self.push.index_etag, what)
            if resp.status in (412, 404):  # only hosts that honour If-Match get here
                resp = await self._index_conflict(url, body, what)
                if resp is None:
                    return False
        except _Failed as failed:
            self._error(str(failed))
            return False
        await self._save_push(self.push.with_(index_dirty=False, index_etag=resp.etag, peers=index.peers))
        self.report.files_written += 1
        return True

    async def _index_conflict(self, url: str, body: bytes, what: str) -> Response | None:
        """Our index changed under us: a lost response (ours, retry) or a clone (stop)."""
        current = await _get(self.transport, url, None, what)
        if current.status == 200:
            try:
                theirs = fmt.decode_index(current.body, circle=self.circle, device=self.device_id)
            except SyncFormatError:
                theirs = None  # damaged: we are its only writer, so we rewrite it
            if theirs is not None:
                ours = {s.n: s.sha256 for s in self.push.segments}
                foreign = [s for s in theirs.segments if s.n > self.push.base and ours.get(s.n) != s.sha256]
                if foreign or theirs.latest > self.push.last:
                    self._error("Another device is writing into this device's folder on the sync server "
                                "(the same device id on two devices?). Sending stopped to protect its files.")
                    return None
        resp = await _put(self.transport, url, body, current.etag if current.status == 200 else None, what)
        if resp.status in (412, 404):
            self._error(f"{what} changed on the sync server while sending; will retry.")
            return None
        return resp

    async def _register(self) -> None:
        """Add this device (and devices it has read) to ``devices.json`` when missing.

        Read-merge-write of a shared file: on hosts that ignore If-Match two
        devices can overwrite each other's addition, so every device checks on
        every run and adds itself again; with listings or gossip the registry
        is only a fallback anyway.
        """
        if self.registry is None or self.push is None or self.push.last == 0:
            return
        wanted = set(self.registry) | {self.device_id} | self.indexed
        if wanted <= set(self.registry):
            return
        body = fmt.encode_registry(self.circle, wanted)
        try:
            resp = await _put(self.transport, self.endpoint + "devices.json", body, self.registry_etag,
                              "the device list (devices.json)")
        except _Failed as failed:
            self._error(str(failed))
            return
        if resp.status in (412, 404):
            return  # someone else just wrote it: next run reads theirs and adds again
        self.report.files_written += 1
        await self.repo.save_registry(resp.etag, sorted(wanted))

    # --- compaction ----------------------------------------------------

    async def _maybe_snapshot(self) -> None:
        threshold = self.options.snapshot_after_segments
        if threshold <= 0 or self.push is None or self.push.pending:
            return
        latest = {d: cp.latest for d, cp in self.checkpoints.items() if cp.latest > 0 and d != self.device_id}
        latest[self.device_id] = self.push.last
        snapshots = [cp.covers for d, cp in self.checkpoints.items() if cp.covers and d != self.device_id]
        if self.push.snapshot is not None:
            snapshots.append(self.push.snapshot.covers)
        # Due when a new device would fetch too many segments one by one, or
        # when this device's own index grows long (a snapshot lets it shorten it).
        if snapshot_due(latest, snapshots, self.device_id, threshold) \
                or len(self.push.segments) >= 2 * threshold + self.options.keep_tail:
            await self._write_snapshot()

    async def _write_snapshot(self) -> None:
        """Every event stored here, in immutable parts, with what it covers; then a shorter index."""
        number = self.push.next_snap
        await self._save_push(self.push.with_(next_snap=number + 1))  # a number is never used twice
        covers = {d: cp.read for d, cp in self.checkpoints.items() if cp.read > 0 and d != self.device_id}
        covers[self.device_id] = self.push.last
        folder = fmt.device_folder(self.endpoint, self.device_id)
        parts: list[FileRef] = []
        cursor = 0
        while True:
            events, cursor = await self.feed.events_after(cursor, self.options.snapshot_part_events)
            if not events:
                break
            k = len(parts) + 1
            if k > fmt.MAX_PARTS:
                self._error("The snapshot would be too large; not written.")
                return
            body = await seal(self.cipher, fmt.encode_snapshot_part(self.circle, self.device_id, number, k, events))
            try:
                await _put(self.transport, folder + fmt.snapshot_part_name(number, k), body, None,
                           f"snapshot part {k} of this device")
            except _Failed as failed:
                self._error(str(failed))
                return
            self.report.files_written += 1
            parts.append(FileRef(count=len(events), sha256=fmt.sha256_hex(body), size=len(body)))
        if not parts:
            return
        snap = SnapshotRef(device=self.device_id, n=number, covers=covers, parts=tuple(parts))
        base = max(self.push.base, covers[self.device_id] - max(0, self.options.keep_tail))
        await self._save_push(self.push.with_(snapshot=snap, base=base, index_dirty=True,
                                              segments=tuple(s for s in self.push.segments if s.n > base)))
        if await self._send_index():
            self.report.snapshot_written = True


async def sync_once(*, endpoint: str, device_id: str, store: EntryStore, feed: EventFeed,
                    transport: SyncTransport, settings: Settings, cipher: Cipher | None = None,
                    options: SyncOptions | None = None, circle_id: str | None = None) -> SyncReport:
    """One sync run (see ``SyncEngine``). ``feed`` is usually the store itself."""
    engine = SyncEngine(endpoint=endpoint, device_id=device_id, store=store, feed=feed, transport=transport,
                        settings=settings, cipher=cipher, options=options, circle_id=circle_id)
    return await engine.sync_once()



async def _count_own_after(feed: EventFeed, cursor: int, device_id: str, skip: set = frozenset(),
                           most: int = 20_000) -> int:
    count = scanned = 0
    while scanned < most:
        events, last = await feed.events_after(cursor, 5000, device_id)
        if last <= cursor:
            break
        scanned += last - cursor
        cursor = last
        count += sum(1 for e in events if e.device == device_id and e.id not in skip)
    return count


async def pending_entries(*, endpoint: str, device_id: str, feed: EventFeed, settings: Settings) -> int:
    """Entries made on this device and not yet on the endpoint, for the status
    line, without syncing (counted up to 20,000)."""
    push = await SyncStateRepo(settings, fmt.normalize_endpoint(endpoint)).load_push()
    return await _count_own_after(feed, push.cursor if push else 0, device_id)

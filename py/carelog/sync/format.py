"""The files on a sync endpoint: encode them, and check everything read back.

Everything read from an endpoint is outside data: a host may serve a
truncated body, an HTML error page, garbage, another circle's files or files
from a newer carelog. Every ``decode_*`` function either returns checked
values or raises ``SyncFormatError`` with a plain message; no other exception
escapes, whatever the bytes.

The layout under the endpoint folder (see ``docs/SYNC.md``)::

    circle.json                      the circle: id, format, encryption settings
    devices.json                     optional registry of device ids (hosts without listings)
    devices/<device>/index.json      the device's own list of its files (only it writes it)
    devices/<device>/seg-000001.json immutable batch of events
    devices/<device>/snap-000001-001.json  immutable part of a snapshot

Example:

    >>> from carelog.domain.events import Event
    >>> e = Event.create(id="e1", recipient="r1", kind="note", at=1, payload={"text": "hi"},
    ...                  author="Ann", device="d1", hlc="0000000000001-000000-d1")
    >>> body = encode_segment("c1", "d1", 1, [e])
    >>> decode_segment(body, circle="c1", device="d1", n=1) == [e]
    True
    >>> decode_segment(b"<html>502</html>", circle="c1", device="d1", n=1)
    Traceback (most recent call last):
    ...
    carelog.sync.format.SyncFormatError: segment 1 of device d1 is damaged: it is not JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

from ..domain.events import Event, RecordError

FORMAT_VERSION = 1

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_EVENTS_PER_FILE = 20_000
MAX_SEGMENTS_LISTED = 200_000
MAX_PARTS = 1_000
MAX_PEERS = 1_000
MAX_NUMBER = 10**9
MIN_PBKDF2_ITERATIONS = 600_000
MAX_PBKDF2_ITERATIONS = 20_000_000
KDF_PBKDF2 = "PBKDF2-SHA256"
ALG_AES_GCM = "AES-GCM-256"
KEY_CHECK_TEXT = b"carelog circle key check v1"

# Device and circle ids become path segments: letters, digits, '-' and '_'
# only, so no id from outside can climb out of its folder ('..', '/', '%').
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_ALG = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")


class SyncFormatError(ValueError):
    """A file from the endpoint is not what it should be (plain message)."""


# --- names and urls ---------------------------------------------------------

def is_valid_id(value: Any) -> bool:
    """True for a device or circle id that is safe as a path segment."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def segment_name(n: int) -> str:
    """``seg-000012.json``."""
    return f"seg-{n:06d}.json"


def snapshot_part_name(snap: int, part: int) -> str:
    """``snap-000003-001.json``."""
    return f"snap-{snap:06d}-{part:03d}.json"


def normalize_endpoint(url: Any) -> str:
    """Check an endpoint folder URL and give it its trailing slash.

    Only http(s); no user:password (credentials stay in device settings, never in a URL
    that may be shared); no query or fragment.
    """
    if not isinstance(url, str) or not 0 < len(url) <= 2000:
        raise SyncFormatError("The sync address is missing or too long.")
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise SyncFormatError("The sync address is not a valid web address.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncFormatError("The sync address must start with https:// (or http://).")
    if parts.username or parts.password:
        raise SyncFormatError("The sync address must not contain a user name or password.")
    if parts.query or parts.fragment:
        raise SyncFormatError("The sync address must be a plain folder address (no ? or #).")
    text = url.strip()
    return text if text.endswith("/") else text + "/"


def device_folder(endpoint: str, device: str) -> str:
    """The folder URL of one device."""
    if not is_valid_id(device):
        raise SyncFormatError("A device id is not valid.")
    return f"{endpoint}devices/{device}/"


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


# --- JSON in and out --------------------------------------------------------

def dumps(value: Any) -> bytes:
    """Canonical compact UTF-8 JSON (sorted keys): equal data, equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(body: Any, what: str) -> Any:
    """Parse bytes from outside as strict JSON (no NaN/Infinity)."""
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise SyncFormatError(f"{what} is damaged: it has no content.")
    if len(body) > MAX_FILE_BYTES:
        raise SyncFormatError(f"{what} is too large to be a carelog file.")
    try:
        text = bytes(body).decode("utf-8")
        return json.loads(text, parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise SyncFormatError(f"{what} is damaged: it is not text.") from None
    except (ValueError, RecursionError):
        raise SyncFormatError(f"{what} is damaged: it is not JSON.") from None


def _object(value: Any, kind: str, what: str) -> dict:
    """Check the common head of every carelog file: format tag and version."""
    if not isinstance(value, dict):
        raise SyncFormatError(f"{what} is not a carelog file.")
    if "ct" in value and "iv" in value and "format" not in value:
        raise SyncFormatError(f"{what} is encrypted, but this device has no key for it.")
    if value.get("format") != kind:
        raise SyncFormatError(f"{what} is not a carelog file of the expected kind.")
    version = value.get("v")
    if not _is_int(version) or version < 1:
        raise SyncFormatError(f"{what} has no valid format version.")
    if version > FORMAT_VERSION:
        raise SyncFormatError(f"{what} was written by a newer carelog; update this app to read it.")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any, what: str, name: str, low: int = 0, high: int = MAX_NUMBER) -> int:
    if not _is_int(value) or not low <= value <= high:
        raise SyncFormatError(f"{what} has an invalid {name}.")
    return value


def _same(value: Any, expected: Any, what: str, message: str) -> None:
    if value != expected:
        raise SyncFormatError(f"{what} {message}")


# --- encryption envelope ----------------------------------------------------

def b64encode(data: bytes) -> str:
    """Standard base64 with padding (what ``btoa`` writes)."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: Any, what: str, name: str) -> bytes:
    """Strict standard base64 from outside."""
    if not isinstance(text, str) or len(text) > 2 * MAX_FILE_BYTES:
        raise SyncFormatError(f"{what} has an invalid {name}.")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, binascii.Error):
        raise SyncFormatError(f"{what} has an invalid {name}.") from None


def envelope_object(alg: str, iv_length: int, sealed: bytes) -> dict:
    """The envelope for a cipher's output (IV then ciphertext with tag)."""
    return {"v": 1, "alg": alg, "iv": b64encode(sealed[:iv_length]), "ct": b64encode(sealed[iv_length:])}


def encode_envelope(alg: str, iv_length: int, sealed: bytes) -> bytes:
    """``{"v":1,"alg":"AES-GCM-256","iv":b64,"ct":b64}`` as bytes."""
    return dumps(envelope_object(alg, iv_length, sealed))


def envelope_from_object(value: Any, alg: str, iv_length: int, what: str) -> bytes:
    """Check an envelope object and return IV + ciphertext for ``Cipher.decrypt``."""
    if not isinstance(value, dict) or "ct" not in value:
        if isinstance(value, dict) and isinstance(value.get("format"), str):
            raise SyncFormatError(f"{what} is not encrypted, but this circle is.")
        raise SyncFormatError(f"{what} is not an encrypted carelog file.")
    if value.get("v") != 1:
        raise SyncFormatError(f"{what} was encrypted by a newer carelog; update this app to read it.")
    found = value.get("alg")
    if not isinstance(found, str) or not _ALG.fullmatch(found):
        raise SyncFormatError(f"{what} names no valid encryption method.")
    if found != alg:
        raise SyncFormatError(f"{what} is encrypted with {found}, but this device uses {alg}.")
    iv = b64decode(value.get("iv"), what, "IV")
    if len(iv) != iv_length:
        raise SyncFormatError(f"{what} has an invalid IV.")
    ct = b64decode(value.get("ct"), what, "ciphertext")
    if len(ct) < 16:
        raise SyncFormatError(f"{what} is damaged: its ciphertext is too short.")
    return iv + ct


def decode_envelope(body: Any, alg: str, iv_length: int, what: str) -> bytes:
    """Parse an encrypted file; return IV + ciphertext for ``Cipher.decrypt``."""
    return envelope_from_object(load_json(body, what), alg, iv_length, what)


# --- segments and snapshot parts -------------------------------------------

def _encode_events(head: dict, events: Iterable[Event]) -> bytes:
    return _encode_records(head, [e.to_record() for e in events])


def _encode_records(head: dict, records: list[dict]) -> bytes:
    if len(records) > MAX_EVENTS_PER_FILE:
        raise ValueError("too many events for one file")
    return dumps({**head, "v": FORMAT_VERSION, "events": records})


def _decode_events(value: dict, what: str) -> list[Event]:
    records = value.get("events")
    if not isinstance(records, list):
        raise SyncFormatError(f"{what} has no list of events.")
    if len(records) > MAX_EVENTS_PER_FILE:
        raise SyncFormatError(f"{what} has too many events.")
    events = []
    for record in records:
        try:
            events.append(Event.from_record(record))
        except RecordError as error:
            raise SyncFormatError(f"{what} holds an entry this app cannot read ({error}).") from None
        except (ValueError, TypeError, RecursionError):
            raise SyncFormatError(f"{what} holds an entry this app cannot read.") from None
    return events


def encode_segment(circle: str, device: str, n: int, events: Sequence[Event]) -> bytes:
    """The plaintext of segment ``n`` of ``device`` (canonical JSON)."""
    return _encode_events({"format": "carelog-segment", "circle": circle, "device": device, "n": n}, events)


def encode_segment_records(circle: str, device: str, n: int, records: Sequence[dict]) -> bytes:
    """``encode_segment`` of events already in record form (``Event.to_record()``,
    as this device's store gives them back): the same bytes, without building
    the events first."""
    return _encode_records({"format": "carelog-segment", "circle": circle, "device": device, "n": n},
                           list(records))


def decode_segment(body: Any, *, circle: str, device: str, n: int) -> list[Event]:
    """Check a segment's plaintext: it must say it is segment ``n`` of ``device`` in ``circle``
    (so a host cannot pass one file off as another), and every event must be valid."""
    what = f"segment {n} of device {device}"
    value = _object(load_json(body, what), "carelog-segment", what)
    _same(value.get("circle"), circle, what, "belongs to another circle.")
    _same(value.get("device"), device, what, "belongs to another device (moved or altered).")
    _same(value.get("n"), n, what, "is not the file its name says (moved or altered).")
    return _decode_events(value, what)


def encode_snapshot_part(circle: str, device: str, snap: int, part: int, events: Sequence[Event]) -> bytes:
    """The plaintext of one part of snapshot ``snap`` of ``device``."""
    return _encode_events({"format": "carelog-snapshot", "circle": circle, "device": device,
                           "snap": snap, "part": part}, events)


def decode_snapshot_part(body: Any, *, circle: str, device: str, snap: int, part: int) -> list[Event]:
    """Check one snapshot part's plaintext (like ``decode_segment``)."""
    what = f"snapshot {snap} part {part} of device {device}"
    value = _object(load_json(body, what), "carelog-snapshot", what)
    _same(value.get("circle"), circle, what, "belongs to another circle.")
    _same(value.get("device"), device, what, "belongs to another device (moved or altered).")
    _same((value.get("snap"), value.get("part")), (snap, part), what,
          "is not the file its name says (moved or altered).")
    return _decode_events(value, what)


# --- the per-device index ---------------------------------------------------

@dataclass(frozen=True)
class FileRef:
    """What an index says about one immutable file: events, checksum, size."""

    count: int
    sha256: str
    size: int

    def to_dict(self) -> dict:
        return {"count": self.count, "sha256": self.sha256, "bytes": self.size}


@dataclass(frozen=True)
class SegmentRef(FileRef):
    """One segment listed in an index (``n`` is its number)."""

    n: int = 0

    def to_dict(self) -> dict:
        return {"n": self.n, **super().to_dict()}


@dataclass(frozen=True)
class SnapshotRef:
    """A snapshot: every event its device had when it wrote it, in parts.

    ``covers`` says which segments it includes: for each device, all of that
    device's segments numbered 1..covers[device].
    """

    device: str
    n: int
    covers: dict = field(hash=False)
    parts: tuple[FileRef, ...] = ()

    @property
    def events(self) -> int:
        return sum(p.count for p in self.parts)

    def to_dict(self) -> dict:
        return {"n": self.n, "covers": dict(sorted(self.covers.items())),
                "parts": [p.to_dict() for p in self.parts]}


@dataclass(frozen=True)
class Index:
    """A device's list of its own files.

    Segments ``base+1 .. latest`` are listed; older ones are covered by the
    device's snapshot (so ``base <= snapshot.covers[device]``).
    """

    device: str
    base: int = 0
    segments: tuple[SegmentRef, ...] = ()
    snapshot: SnapshotRef | None = None
    peers: tuple[str, ...] = ()

    @property
    def latest(self) -> int:
        """The number of the newest segment (``base`` when none are listed)."""
        return self.segments[-1].n if self.segments else self.base


def _file_ref(value: Any, what: str) -> tuple[int, str, int]:
    if not isinstance(value, dict):
        raise SyncFormatError(f"{what} lists a file badly.")
    count = _number(value.get("count"), what, "event count", 0, MAX_EVENTS_PER_FILE)
    digest = value.get("sha256")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise SyncFormatError(f"{what} has an invalid checksum.")
    size = _number(value.get("bytes"), what, "file size", 1, MAX_FILE_BYTES)
    return count, digest, size


def encode_index(circle: str, index: Index) -> bytes:
    """The index file of ``index.device``."""
    return dumps({
        "format": "carelog-index", "v": FORMAT_VERSION, "circle": circle, "device": index.device,
        "base": index.base, "segments": [s.to_dict() for s in index.segments],
        "snapshot": index.snapshot.to_dict() if index.snapshot else None,
        "peers": sorted(set(index.peers)),
    })


def decode_index(body: Any, *, circle: str, device: str) -> Index:
    """Check an index: contiguous segment numbers after ``base``, valid checksums
    and sizes, a snapshot that covers ``base``, valid peer ids."""
    what = f"the file list of device {device}"
    value = _object(load_json(body, what), "carelog-index", what)
    _same(value.get("circle"), circle, what, "belongs to another circle.")
    _same(value.get("device"), device, what, "belongs to another device (moved or altered).")
    base = _number(value.get("base", 0), what, "base")
    listed = value.get("segments")
    if not isinstance(listed, list) or len(listed) > MAX_SEGMENTS_LISTED:
        raise SyncFormatError(f"{what} has no valid list of segments.")
    segments = []
    for position, item in enumerate(listed, start=base + 1):
        count, digest, size = _file_ref(item, what)
        if item.get("n") != position or not _is_int(item.get("n")):
            raise SyncFormatError(f"{what} has a gap or a repeat in its segment numbers.")
        segments.append(SegmentRef(count=count, sha256=digest, size=size, n=position))
    snapshot = _snapshot(value.get("snapshot"), device, what)
    if base > 0 and (snapshot is None or snapshot.covers.get(device, 0) < base):
        raise SyncFormatError(f"{what} leaves out old segments that no snapshot covers.")
    peers = value.get("peers", [])
    if not isinstance(peers, list) or len(peers) > MAX_PEERS or not all(is_valid_id(p) for p in peers):
        raise SyncFormatError(f"{what} has an invalid list of other devices.")
    return Index(device=device, base=base, segments=tuple(segments), snapshot=snapshot,
                 peers=tuple(sorted(set(peers) - {device})))


def _snapshot(value: Any, device: str, what: str) -> SnapshotRef | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SyncFormatError(f"{what} describes its snapshot badly.")
    n = _number(value.get("n"), what, "snapshot number", 1)
    covers = value.get("covers")
    if not isinstance(covers, dict) or len(covers) > MAX_PEERS + 1:
        raise SyncFormatError(f"{what} describes its snapshot badly.")
    for key, upto in covers.items():
        if not is_valid_id(key):
            raise SyncFormatError(f"{what} names an invalid device in its snapshot.")
        _number(upto, what, "snapshot coverage")
    parts = value.get("parts")
    if not isinstance(parts, list) or not 1 <= len(parts) <= MAX_PARTS:
        raise SyncFormatError(f"{what} lists its snapshot parts badly.")
    refs = tuple(FileRef(*_file_ref(p, what)) for p in parts)
    return SnapshotRef(device=device, n=n, covers=dict(covers), parts=refs)


# --- the circle -------------------------------------------------------------

@dataclass(frozen=True)
class Encryption:
    """How the circle key is made from the passphrase, and a check that it is right.

    ``check`` is an envelope of ``KEY_CHECK_TEXT`` sealed with the circle key:
    a key that opens it is the circle's key.
    """

    alg: str
    kdf: str
    iterations: int
    salt: bytes
    check: dict = field(hash=False)

    def to_dict(self) -> dict:
        return {"alg": self.alg, "kdf": self.kdf, "iterations": self.iterations,
                "salt": b64encode(self.salt), "check": self.check}


@dataclass(frozen=True)
class Circle:
    """``circle.json``: the circle's id and, when encrypted, its key settings."""

    id: str
    encryption: Encryption | None = None


def encode_circle(circle: Circle) -> bytes:
    """``circle.json``."""
    return dumps({"format": "carelog-circle", "v": FORMAT_VERSION, "circle": circle.id,
                  "encryption": circle.encryption.to_dict() if circle.encryption else None})


def decode_circle(body: Any) -> Circle:
    """Check ``circle.json``; refuse weak key settings (PBKDF2 under 600,000 iterations)."""
    what = "The circle file (circle.json)"
    value = _object(load_json(body, what), "carelog-circle", what)
    ident = value.get("circle")
    if not is_valid_id(ident):
        raise SyncFormatError(f"{what} has no valid circle id.")
    enc = value.get("encryption")
    if enc is None:
        return Circle(id=ident)
    if not isinstance(enc, dict):
        raise SyncFormatError(f"{what} describes its encryption badly.")
    alg = enc.get("alg")
    if not isinstance(alg, str) or not _ALG.fullmatch(alg):
        raise SyncFormatError(f"{what} names no valid encryption method.")
    if enc.get("kdf") != KDF_PBKDF2:
        raise SyncFormatError(f"{what} uses a key method this version does not know; update the app.")
    iterations = enc.get("iterations")
    if not _is_int(iterations) or iterations > MAX_PBKDF2_ITERATIONS:
        raise SyncFormatError(f"{what} has an invalid key setting.")
    if iterations < MIN_PBKDF2_ITERATIONS:
        raise SyncFormatError(f"{what} asks for a weak key (under {MIN_PBKDF2_ITERATIONS:,} rounds); refused.")
    salt = b64decode(enc.get("salt"), what, "salt")
    if not 16 <= len(salt) <= 64:
        raise SyncFormatError(f"{what} has an invalid salt.")
    check = enc.get("check")
    if not isinstance(check, dict):
        raise SyncFormatError(f"{what} has no key check.")
    return Circle(id=ident, encryption=Encryption(alg=alg, kdf=KDF_PBKDF2, iterations=iterations,
                                                  salt=salt, check=check))


# --- device registry and listings -------------------------------------------

def encode_registry(circle: str, devices: Iterable[str]) -> bytes:
    """``devices.json``: device ids, for hosts that cannot list folders."""
    return dumps({"format": "carelog-devices", "v": FORMAT_VERSION, "circle": circle,
                  "devices": sorted(set(devices))})


def decode_registry(body: Any, *, circle: str) -> list[str]:
    """Check ``devices.json``; invalid ids make the whole file invalid."""
    what = "The device list (devices.json)"
    value = _object(load_json(body, what), "carelog-devices", what)
    _same(value.get("circle"), circle, what, "belongs to another circle.")
    devices = value.get("devices")
    if not isinstance(devices, list) or len(devices) > MAX_PEERS or not all(is_valid_id(d) for d in devices):
        raise SyncFormatError(f"{what} has an invalid list of devices.")
    return sorted(set(devices))


def parse_autoindex(body: Any) -> list[str]:
    """Names in an nginx ``autoindex_format json`` listing (folders without a slash).

    ``[{"name":"abc","type":"directory","mtime":"..."}, ...]``
    """
    what = "The folder listing"
    value = load_json(body, what)
    if not isinstance(value, list) or len(value) > 100_000:
        raise SyncFormatError(f"{what} is not a list.")
    names = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise SyncFormatError(f"{what} has an entry without a name.")
        names.append(item["name"].rstrip("/"))
    return names


# --- invite links -----------------------------------------------------------

@dataclass(frozen=True)
class Invite:
    """What an invite link carries in its ``#fragment`` (never sent to a server)."""

    endpoint: str
    circle: str
    key: bytes | None = None


def encode_invite(invite: Invite) -> str:
    """The fragment, without ``#``: ``join=<base64url JSON>``."""
    data = {"v": 1, "endpoint": normalize_endpoint(invite.endpoint), "circle": invite.circle}
    if invite.key is not None:
        data["key"] = base64.urlsafe_b64encode(invite.key).decode("ascii").rstrip("=")
    return "join=" + base64.urlsafe_b64encode(dumps(data)).decode("ascii").rstrip("=")


def decode_invite(fragment: Any) -> Invite:
    """Read an invite fragment (with or without the leading ``#``)."""
    bad = SyncFormatError("This invite link is damaged or incomplete.")
    if not isinstance(fragment, str) or len(fragment) > 8000:
        raise bad
    text = fragment[1:] if fragment.startswith("#") else fragment
    if not text.startswith("join="):
        raise bad
    try:
        packed = text[5:]
        raw = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
    except (ValueError, binascii.Error):
        raise bad from None
    value = load_json(raw, "This invite link")
    if not isinstance(value, dict) or value.get("v") != 1 or not is_valid_id(value.get("circle")):
        raise bad
    endpoint = normalize_endpoint(value.get("endpoint"))
    key = None
    if "key" in value:
        packed = value["key"]
        if not isinstance(packed, str) or not re.fullmatch(r"[A-Za-z0-9_-]{43}", packed):
            raise bad
        key = base64.urlsafe_b64decode(packed + "=")
    return Invite(endpoint=endpoint, circle=value["circle"], key=key)

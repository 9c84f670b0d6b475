"""Events: the immutable facts everything in carelog is built from.

Every thing a caregiver records is an ``Event``. Editing or deleting an entry
adds a new event that names the event(s) it revises; nothing is overwritten.
Events serialise to plain dicts (``to_record``) and back (``from_record``),
which is what stores, sync files and backups carry.

    >>> e = Event.create(id="e1", recipient="r1", kind="note", at=5,
    ...                  payload={"text": "slept well"}, author="Ann",
    ...                  device="d1", hlc="0000000000005-000000-d1")
    >>> Event.from_record(e.to_record()) == e
    True
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from .hlc import Stamp

SCHEMA_VERSION = 1

CREATE, EDIT, DELETE = "create", "edit", "delete"
OPERATIONS = (CREATE, EDIT, DELETE)

# Kinds this version knows. Entity kinds describe who and what; log kinds are
# what caregivers record. New kinds are added here and in ``validation``.
# Records of kinds a newer version added are kept (never dropped) but not shown.
RECIPIENT = "recipient"
LOG_KINDS = ("medication", "vital", "symptom", "note")
KINDS = (RECIPIENT,) + LOG_KINDS
_KIND_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")

MAX_TEXT = 10_000
MAX_ID = 100
# Ids are opaque tokens (UUIDs in practice). They travel in ``#/entry/<id>``
# links and routes, so they are kept to characters safe there.
_ID = re.compile(r"[A-Za-z0-9_.\-]{1,%d}" % MAX_ID)


class RecordError(ValueError):
    """A stored or received record is not a valid event."""


@dataclass(frozen=True)
class Event:
    """One immutable fact. ``entry`` is the id of the thing it is about."""

    id: str
    recipient: str
    kind: str
    entry: str
    op: str
    revises: tuple[str, ...]
    at: int
    payload: dict = field(hash=False)
    author: str
    device: str
    hlc: str
    v: int = SCHEMA_VERSION

    @classmethod
    def create(cls, *, id: str, recipient: str, kind: str, at: int, payload: dict,
               author: str, device: str, hlc: str) -> "Event":
        """The first event of a new entry: its entry id is its own id."""
        return cls(id=id, recipient=recipient, kind=kind, entry=id, op=CREATE, revises=(),
                   at=at, payload=dict(payload), author=author, device=device, hlc=hlc)

    def to_record(self) -> dict[str, Any]:
        """A plain JSON-able dict (the stored and synced form)."""
        return {
            "id": self.id, "recipient": self.recipient, "kind": self.kind,
            "entry": self.entry, "op": self.op, "revises": list(self.revises),
            "at": self.at, "payload": self.payload, "author": self.author,
            "device": self.device, "hlc": self.hlc, "v": self.v,
        }

    @classmethod
    def from_record(cls, record: Any) -> "Event":
        """Check a record from outside (store, sync, backup) and build the event.

        Raises ``RecordError`` with a plain message on anything malformed.
        """
        if not isinstance(record, dict):
            raise RecordError("an event must be an object")
        version = record.get("v", SCHEMA_VERSION)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise RecordError("an event has no valid schema version")
        if version > SCHEMA_VERSION:
            raise RecordError(f"an event was written by a newer carelog (schema {version})")
        ident = _text_id(record, "id")
        op = record.get("op")
        if op not in OPERATIONS:
            raise RecordError(f"event {ident}: unknown operation")
        kind = record.get("kind")
        if not isinstance(kind, str) or not _KIND_NAME.fullmatch(kind):
            raise RecordError(f"event {ident}: bad kind")
        revises = record.get("revises", [])
        if not isinstance(revises, (list, tuple)) or not all(
                isinstance(r, str) and _ID.fullmatch(r) for r in revises):
            raise RecordError(f"event {ident}: bad revision list")
        if (op == CREATE) != (len(revises) == 0):
            raise RecordError(f"event {ident}: a create revises nothing; an edit or delete revises something")
        at = record.get("at")
        if not isinstance(at, int) or isinstance(at, bool) or not 0 <= at < 10**14:
            raise RecordError(f"event {ident}: bad time")
        payload = record.get("payload")
        if not isinstance(payload, dict) or not _json_safe(payload):
            raise RecordError(f"event {ident}: bad payload")
        hlc = record.get("hlc")
        try:
            Stamp.decode(hlc)
        except ValueError:
            raise RecordError(f"event {ident}: bad clock stamp") from None
        author = record.get("author")
        if not isinstance(author, str) or len(author) > 200:
            raise RecordError(f"event {ident}: bad author")
        entry = _text_id(record, "entry")
        if op == CREATE and entry != ident:
            raise RecordError(f"event {ident}: a create must be its own entry")
        fields = {"id": ident, "recipient": _text_id(record, "recipient"), "kind": kind, "entry": entry,
                  "op": op, "revises": tuple(revises), "at": at, "payload": payload, "author": author,
                  "device": _text_id(record, "device"), "hlc": hlc, "v": SCHEMA_VERSION}
        event = object.__new__(cls)  # every field checked above: skip the frozen dataclass's per-field setattr
        event.__dict__.update(fields)  # (a pull builds tens of thousands of events)
        return event

    @classmethod
    def from_stored(cls, record: Any) -> "Event":
        """Build an event from a record this device's own store gave back: it was checked by
        ``from_record`` (or made by this app) before it was stored, so only its shape and schema
        version are checked here, at a fraction of the cost (reads of thousands of events).

        Raises ``RecordError`` for a record of a newer schema or of the wrong shape.
        """
        try:
            version = record.get("v", SCHEMA_VERSION)
            fields = {"id": record["id"], "recipient": record["recipient"], "kind": record["kind"],
                      "entry": record["entry"], "op": record["op"], "revises": record.get("revises", []),
                      "at": record["at"], "payload": record["payload"], "author": record["author"],
                      "device": record["device"], "hlc": record["hlc"], "v": SCHEMA_VERSION}
        except (AttributeError, KeyError, TypeError):
            raise RecordError("a stored event is not an object with every field") from None
        if type(version) is not int or not 1 <= version <= SCHEMA_VERSION:
            raise RecordError(f"an event was written by a newer carelog (schema {version})")
        ident = fields["id"]
        if (fields["op"] not in OPERATIONS or type(fields["at"]) is not int or type(fields["payload"]) is not dict
                or type(fields["revises"]) is not list):
            raise RecordError(f"stored event {ident}: bad operation, time, payload or revision list")
        for key in ("id", "recipient", "kind", "entry", "author", "device", "hlc"):
            if type(fields[key]) is not str:
                raise RecordError(f"stored event {ident}: its {key} must be text")
        fields["revises"] = tuple(fields["revises"])
        event = object.__new__(cls)  # the fields are checked: skip the frozen dataclass's per-field setattr
        event.__dict__.update(fields)
        return event

    @property
    def stamp(self) -> Stamp:
        """The decoded clock stamp."""
        return Stamp.decode(self.hlc)


def _text_id(record: dict, key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise RecordError(f"an event has no valid {key}")
    return value


_INT_LIMIT = 2**53


def _json_safe(value: Any, depth: int = 0) -> bool:
    """True for data JSON can carry exactly: no NaN, no deep nesting, bounded text."""
    if depth > 8:
        return False
    if type(value) is dict and depth < 8:
        # The common case (a payload of texts and numbers) without a call per
        # value; anything else takes the general path below, one level down.
        if len(value) > 200:
            return False
        for k, v in value.items():
            if not (isinstance(k, str) and len(k) <= 100):
                return False
            kind = type(v)
            if kind is str:
                if len(v) > MAX_TEXT:
                    return False
            elif kind is int:
                if not -_INT_LIMIT < v < _INT_LIMIT:
                    return False
            elif not _json_safe(v, depth + 1):
                return False
        return True
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return abs(value) < 2**53
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    if isinstance(value, list):
        return len(value) <= 1000 and all(_json_safe(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return len(value) <= 200 and all(
            isinstance(k, str) and len(k) <= 100 and _json_safe(v, depth + 1) for k, v in value.items())
    return False

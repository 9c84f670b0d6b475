"""Encrypted backup files: build the envelope, and check everything read back.

A backup holds every event of this device's database (all care recipients)
encrypted with a passphrase typed at export. The file is a small JSON envelope
with a clear format marker; the key comes from PBKDF2-SHA256 (600,000
iterations or more, a fresh 16-byte salt per file) and the events are sealed
with AES-GCM-256 (a fresh 12-byte IV). Nothing readable is in the clear except
the marker, the version and the key-derivation settings::

    {"format": "carelog-backup", "version": 1,
     "kdf": {"name": "PBKDF2-SHA256", "iterations": 600000, "salt": "<base64>"},
     "cipher": "AES-GCM-256", "data": "<base64 of IV || ciphertext || tag>"}

Sealed inside is ``{"format": "carelog-backup-data", "version": 1, "created":
<ms>, "device": "<id>", "events": [<event record>, ...]}``.

The crypto itself is a ``Cipher`` (ports.py): WebCrypto in the browser, the
``cryptography`` package in the command-line tool, so this module stays pure.
Every ``parse_*``/``open_backup`` call either returns checked values or raises
``BackupError`` with a plain message; no other exception escapes.

    >>> parse_envelope(b'{"format": "something-else"}')
    Traceback (most recent call last):
    ...
    carelog.interop.backup.BackupError: This is not a carelog backup file.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Sequence

from ..domain.events import Event, RecordError
from ..ports import Cipher, CipherError

FORMAT = "carelog-backup"
DATA_FORMAT = "carelog-backup-data"
VERSION = 1
KDF_NAME = "PBKDF2-SHA256"
CIPHER_NAME = "AES-GCM-256"
ITERATIONS = 600_000
MIN_ITERATIONS = 600_000
MAX_ITERATIONS = 10_000_000   # a foreign file must not make the tablet derive keys for minutes
SALT_BYTES = 16
IV_BYTES = 12
TAG_BYTES = 16
MAX_BACKUP_BYTES = 256 * 1024 * 1024
MAX_EVENTS = 2_000_000
MIN_PASSPHRASE = 8
FILE_SUFFIX = ".carelog-backup.json"

Derive = Callable[[str, bytes, int], Awaitable[Cipher]]


class BackupError(ValueError):
    """A backup file that cannot be used; the message says why, plainly."""


@dataclass(frozen=True)
class Envelope:
    """The checked outside of a backup file (nothing decrypted yet)."""

    iterations: int
    salt: bytes
    sealed: bytes   # IV || ciphertext || tag


@dataclass(frozen=True)
class Contents:
    """What a backup holds, checked."""

    events: list[Event]
    created_ms: int
    device: str


def check_passphrase(passphrase: Any, confirm: Any = None) -> str:
    """The passphrase for a new backup, or ``BackupError`` saying what is wrong."""
    if not isinstance(passphrase, str) or not passphrase.strip():
        raise BackupError("Type a passphrase to protect the backup.")
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"Use a passphrase of at least {MIN_PASSPHRASE} characters.")
    if confirm is not None and passphrase != confirm:
        raise BackupError("The two passphrases are not the same. Type them again.")
    return passphrase


def file_name(created_ms: int) -> str:
    """``carelog-2026-11-23-2301.carelog-backup.json`` (UTC)."""
    import datetime as _dt

    moment = _dt.datetime.fromtimestamp(created_ms / 1000, tz=_dt.timezone.utc)
    return f"carelog-{moment:%Y-%m-%d-%H%M}{FILE_SUFFIX}"


# --- writing ------------------------------------------------------------------

def plaintext(events: Sequence[Event], created_ms: int, device: str) -> bytes:
    """The bytes sealed inside a backup."""
    body = {"format": DATA_FORMAT, "version": VERSION, "created": int(created_ms), "device": device,
            "events": [e.to_record() for e in events]}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def encode_envelope(salt: bytes, iterations: int, sealed: bytes) -> bytes:
    """The backup file's bytes."""
    body = {"format": FORMAT, "version": VERSION,
            "kdf": {"name": KDF_NAME, "iterations": int(iterations), "salt": _b64(salt)},
            "cipher": CIPHER_NAME, "data": _b64(sealed)}
    return (json.dumps(body, indent=1) + "\n").encode("utf-8")


async def seal(events: Sequence[Event], passphrase: str, *, derive: Derive, salt: bytes, created_ms: int,
               device: str, iterations: int = ITERATIONS) -> bytes:
    """A whole backup file: derive the key from the passphrase and a fresh salt, seal the events."""
    if len(salt) != SALT_BYTES:
        raise ValueError("a fresh 16-byte salt is required")
    cipher = await derive(passphrase, bytes(salt), iterations)
    sealed = await cipher.encrypt(plaintext(events, created_ms, device))
    return encode_envelope(salt, iterations, sealed)


# --- reading ------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or len(value) > MAX_BACKUP_BYTES * 2:
        raise BackupError(f"The backup file is damaged: its {what} is missing.")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise BackupError(f"The backup file is damaged: its {what} is not readable.") from None


def _no_constants(name: str) -> Any:
    raise ValueError(name)


def _json(data: Any) -> Any:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BackupError("This is not a carelog backup file.")
    data = bytes(data)
    if len(data) > MAX_BACKUP_BYTES:
        raise BackupError("This file is too large to be a carelog backup.")
    if not data.strip():
        raise BackupError("The file is empty.")
    try:
        return json.loads(data.decode("utf-8-sig"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BackupError("This is not a carelog backup file, or it was cut short (it is not complete JSON).") from None


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_envelope(data: Any) -> Envelope:
    """Check the outside of a backup file; ``BackupError`` says what is wrong."""
    value = _json(data)
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise BackupError("This is not a carelog backup file.")
    if "kdf" not in value and isinstance(value.get("events"), list):
        raise BackupError("This is a carelog export that is not encrypted; restore takes the encrypted "
                          "backup files this screen makes.")
    version = value.get("version")
    if not _int(version) or version < 1:
        raise BackupError("The backup file is damaged: it has no version.")
    if version > VERSION:
        raise BackupError("This backup was made by a newer version of carelog. Update carelog, then restore it.")
    kdf = value.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != KDF_NAME or value.get("cipher") != CIPHER_NAME:
        raise BackupError("This backup uses an encryption this version of carelog does not know.")
    iterations = kdf.get("iterations")
    if not _int(iterations) or not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise BackupError("The backup file is damaged: its key settings are not valid.")
    salt = _unb64(kdf.get("salt"), "salt")
    if len(salt) != SALT_BYTES:
        raise BackupError("The backup file is damaged: its key settings are not valid.")
    sealed = _unb64(value.get("data"), "content")
    if len(sealed) < IV_BYTES + TAG_BYTES:
        raise BackupError("The backup file is damaged: it was cut short.")
    return Envelope(iterations, salt, sealed)


def parse_contents(data: Any) -> Contents:
    """Check the decrypted inside of a backup; every record must be a valid event."""
    value = _json(data)
    if not isinstance(value, dict) or value.get("format") != DATA_FORMAT:
        raise BackupError("The backup file is damaged: its content is not carelog data.")
    version = value.get("version")
    if not _int(version) or version < 1:
        raise BackupError("The backup file is damaged: its content has no version.")
    if version > VERSION:
        raise BackupError("This backup was made by a newer version of carelog. Update carelog, then restore it.")
    created, device, records = value.get("created"), value.get("device"), value.get("events")
    if not _int(created) or not 0 <= created < 10**14 or not isinstance(device, str) or len(device) > 200:
        raise BackupError("The backup file is damaged: its content is not complete.")
    if not isinstance(records, list) or len(records) > MAX_EVENTS:
        raise BackupError("The backup file is damaged: it has no list of entries.")
    events, newer, bad = [], 0, 0
    for record in records:
        try:
            events.append(Event.from_record(record))
        except RecordError as error:
            if "newer carelog" in str(error):
                newer += 1
            else:
                bad += 1
    if newer:
        raise BackupError(f"{newer} entries in this backup were made by a newer version of carelog. "
                          "Update carelog, then restore it. Nothing was restored.")
    if bad:
        raise BackupError(f"{bad} entries in this backup are damaged. Nothing was restored.")
    ids: dict[str, Event] = {}
    for event in events:
        if ids.setdefault(event.id, event) != event:
            raise BackupError("The backup file is damaged: two different entries share one id. Nothing was restored.")
    return Contents(list(ids.values()), created, device)


async def open_backup(data: Any, passphrase: Any, *, derive: Derive) -> Contents:
    """Check, decrypt and check again; ``BackupError`` on anything wrong (the
    wrong passphrase included). Nothing is stored here: the caller merges."""
    envelope = parse_envelope(data)
    if not isinstance(passphrase, str) or not passphrase:
        raise BackupError("Type the passphrase this backup was made with.")
    try:
        cipher = await derive(passphrase, envelope.salt, envelope.iterations)
        inside = await cipher.decrypt(envelope.sealed)
    except CipherError:
        raise BackupError("The passphrase is wrong, or the file was changed after it was made. "
                          "Nothing was restored.") from None
    return parse_contents(inside)

"""``python3 -m carelog``: export a care circle as FHIR R4 or CSV, for care teams (CPython).

Reads a care circle straight from its sync endpoint folder (an ``http(s)://``
URL, or a local copy of the folder) or from a backup / JSON export of events,
and writes a FHIR R4 Bundle or one CSV per kind. It uses the app's own code:
the sync engine (read-only) to read the circle, the domain fold, and
``carelog.interop`` for the output. An agency can run it on a schedule to feed
its EHR::

    python3 -m carelog https://sync.example.org/circle/ --passphrase-file key.txt \\
        --recipient "Mary" --format fhir --out mary.json
    python3 -m carelog ./circle-copy/ --format csv --out exports/
    python3 -m carelog backup.json --list
    python3 -m carelog carelog-2026-11-23-2301.carelog-backup.json --passphrase-file key.txt --list

An encrypted circle or an encrypted backup file (made in the app's "Storage and
backups" screen) needs its passphrase (``--passphrase``, ``--passphrase-file``
or the ``CARELOG_PASSPHRASE`` environment variable) and the ``cryptography``
package for AES-GCM (the standard library has no AES). A run that could not
read every file of the circle writes nothing and exits 1, unless
``--allow-partial``. An ``Authorization`` header for the endpoint can be given
in ``CARELOG_SYNC_AUTHORIZATION``.

Exit codes: 0 written; 1 the source could not be read or exported; 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Sequence

from .adapters.memory import MemoryEntryStore, MemorySettings
from .domain.events import Event, RecordError
from .interop import backup as backup_file
from .interop.common import recipient_names, recipients
from .interop.csv_export import csv_files
from .interop.fhir_export import ExportError, export_bundle
from .ports import Cipher, CipherError, Response, SyncTransport, TransportError
from .sync import format as fmt
from .sync.engine import SyncOptions, sync_once

LOCAL_BASE = "http://local-folder.invalid/circle/"
READER_ID = "carelog-cli-reader"
PASS_ENV = "CARELOG_PASSPHRASE"
AUTH_ENV = "CARELOG_SYNC_AUTHORIZATION"
TIMEOUT_S = 30


class CliError(Exception):
    """A plain message for the user; exit code 1."""


# --- the cipher (AES-GCM through the ``cryptography`` package) -------------------------

class AesGcmCipher(Cipher):
    """AES-GCM-256 as the browser's WebCrypto adapter does it: ``IV(12) || ciphertext || tag(16)``."""

    alg = fmt.ALG_AES_GCM
    iv_length = 12

    def __init__(self, key: bytes):
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        except ImportError:
            raise CliError("This circle is encrypted, and reading it needs the 'cryptography' package "
                           "(AES-GCM is not in Python's standard library). Install it with:\n"
                           "    python3 -m pip install cryptography") from None
        if len(key) != 32:
            raise ValueError("a 32-byte key is required")
        self._aead = AESGCM(key)

    async def encrypt(self, plaintext: bytes) -> bytes:
        iv = os.urandom(self.iv_length)
        return iv + self._aead.encrypt(iv, bytes(plaintext), None)

    async def decrypt(self, sealed: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag
        if len(sealed) < self.iv_length + 16:
            raise CipherError("too short")
        try:
            return self._aead.decrypt(sealed[:self.iv_length], sealed[self.iv_length:], None)
        except InvalidTag:
            raise CipherError("does not authenticate") from None

    @classmethod
    def from_passphrase(cls, passphrase: str, salt: bytes, iterations: int) -> "AesGcmCipher":
        """The circle key as WebCrypto derives it: PBKDF2-SHA256 over the UTF-8 passphrase, 32 bytes."""
        key = hashlib.pbkdf2_hmac("sha256", passphrase.encode("utf-8"), salt, iterations, 32)
        return cls(key)


# --- transports: a local folder, or http(s) through urllib -------------------------------

class FolderTransport(SyncTransport):
    """A local copy of an endpoint folder, read-only, behind the sync port."""

    def __init__(self, root: Path, base: str = LOCAL_BASE):
        self.root = root.resolve()
        self.base = base

    def _path(self, url: str) -> Path | None:
        if not url.startswith(self.base):
            return None
        path = (self.root / url[len(self.base):]).resolve()
        return path if path == self.root or self.root in path.parents else None

    async def get(self, url: str, etag: str | None = None) -> Response:
        path = self._path(url)
        if path is None or not path.is_file():
            return Response(404)
        try:
            return Response(200, path.read_bytes())
        except OSError as error:
            raise TransportError(str(error)) from None

    async def put(self, url: str, body: bytes, if_match: str | None = None) -> Response:
        return Response(405)

    async def list(self, folder_url: str) -> list[str] | None:
        path = self._path(folder_url)
        if path is None or not path.is_dir():
            return []
        return sorted(p.name for p in path.iterdir())


class UrlTransport(SyncTransport):
    """An endpoint over http(s) with ``urllib`` (GET only; nginx JSON listings if offered)."""

    def __init__(self, authorization: str | None = None, timeout: float = TIMEOUT_S):
        self.authorization = authorization
        self.timeout = timeout

    def _fetch(self, url: str, etag: str | None, accept: str = "application/json") -> Response:
        headers = {"Accept": accept, "User-Agent": "carelog-cli", "Cache-Control": "no-cache"}
        if etag:
            headers["If-None-Match"] = etag
        if self.authorization:
            headers["Authorization"] = self.authorization
        request = urllib.request.Request(url, headers=headers, method="GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - http(s) only
                return Response(answer.status, answer.read(fmt.MAX_FILE_BYTES + 1), answer.headers.get("ETag"))
        except urllib.error.HTTPError as error:
            try:
                body = error.read(65536)
            except OSError:
                body = b""
            return Response(error.code, body, error.headers.get("ETag") if error.headers else None)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise TransportError(str(error)) from None

    async def get(self, url: str, etag: str | None = None) -> Response:
        return self._fetch(url, etag)

    async def put(self, url: str, body: bytes, if_match: str | None = None) -> Response:
        return Response(405)  # this tool never writes to a circle

    async def list(self, folder_url: str) -> list[str] | None:
        resp = self._fetch(folder_url, None)
        if resp.status != 200:
            return None
        try:
            return fmt.parse_autoindex(resp.body)
        except fmt.SyncFormatError:
            return None  # no JSON listing here: devices.json and gossip find the devices


# --- reading a source ----------------------------------------------------------------

def _passphrase(args: argparse.Namespace) -> str | None:
    if args.passphrase is not None:
        return args.passphrase
    if args.passphrase_file:
        try:
            return Path(args.passphrase_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            raise CliError(f"The passphrase file could not be read: {error.strerror or error}.") from None
    return os.environ.get(PASS_ENV) or None


async def _read_circle(endpoint: str, transport: SyncTransport, passphrase: str | None,
                       allow_partial: bool, warn) -> list[Event]:
    resp = await transport.get(endpoint + "circle.json")
    if resp.status == 404:
        raise CliError(f"No carelog circle was found at {endpoint} (no circle.json).")
    if resp.status != 200:
        raise CliError(f"The sync server answered HTTP {resp.status} for the circle file.")
    try:
        circle = fmt.decode_circle(resp.body)
    except fmt.SyncFormatError as error:
        raise CliError(str(error)) from None
    cipher = None
    if circle.encryption is not None:
        if circle.encryption.alg != fmt.ALG_AES_GCM:
            raise CliError(f"This circle is encrypted with {circle.encryption.alg}, which this tool cannot read.")
        if not passphrase:
            raise CliError("This circle is encrypted: give its passphrase with --passphrase, --passphrase-file "
                           f"or the {PASS_ENV} environment variable.")
        cipher = AesGcmCipher.from_passphrase(passphrase, circle.encryption.salt, circle.encryption.iterations)
    elif passphrase:
        warn("This circle is not encrypted; the passphrase was not needed.")
    store = MemoryEntryStore()
    report = await sync_once(endpoint=endpoint, device_id=READER_ID, store=store, feed=store, transport=transport,
                             settings=MemorySettings(), cipher=cipher, options=SyncOptions(read_only=True),
                             circle_id=circle.id)
    if report.unexpected:
        raise CliError(f"Reading the circle failed unexpectedly ({report.unexpected}).")
    events = (await store.events_after(0, 10**9))[0]
    if not events and not report.errors:
        raise CliError("No entries were found in this circle: it is empty, or its devices cannot be found "
                       "(the host lists no folders and the circle has no devices.json).")
    if report.errors:
        if not events or not allow_partial:
            raise CliError("The circle could not be read completely:\n  " + "\n  ".join(report.errors)
                           + ("\n(Use --allow-partial to export what could be read.)" if events else ""))
        for message in report.errors:
            warn(message)
    return events


async def _derive_backup_key(passphrase: str, salt: bytes, iterations: int) -> Cipher:
    return AesGcmCipher.from_passphrase(passphrase, salt, iterations)


def read_encrypted_backup(body: bytes, passphrase: str | None) -> list[Event]:
    """Events from the app's encrypted backup file (``interop.backup``)."""
    if not passphrase:
        raise CliError("This backup is encrypted: give its passphrase with --passphrase, --passphrase-file "
                       f"or {PASS_ENV}.")
    try:
        contents = asyncio.run(backup_file.open_backup(body, passphrase, derive=_derive_backup_key))
    except backup_file.BackupError as error:
        raise CliError(str(error)) from None
    return contents.events


def read_backup(body: bytes, warn, passphrase: str | None = None) -> list[Event]:
    """Events from a backup or JSON export: the app's encrypted backup file (needs
    ``passphrase``), a list of event records, ``{"events": [...]}``, or a segment /
    snapshot file of a circle that is not encrypted."""
    try:
        value = json.loads(body.decode("utf-8-sig"), parse_constant=_refuse)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CliError("The file is not a carelog backup: it is not JSON.") from None
    if isinstance(value, dict) and value.get("format") == backup_file.FORMAT and "kdf" in value:
        return read_encrypted_backup(body, passphrase)
    if isinstance(value, dict) and "ct" in value and "iv" in value:
        raise CliError("This file is encrypted; read the circle from its sync folder with its passphrase instead.")
    if isinstance(value, dict) and isinstance(value.get("v"), int) and value["v"] > fmt.FORMAT_VERSION:
        raise CliError("This backup was written by a newer carelog; update this tool.")
    records = value.get("events") if isinstance(value, dict) else value
    if not isinstance(records, list):
        raise CliError("The file is not a carelog backup: it has no list of events.")
    events, bad = [], 0
    for record in records:
        try:
            events.append(Event.from_record(record))
        except (RecordError, ValueError, TypeError):
            bad += 1
    if bad:
        warn(f"{bad} record(s) in the file are not valid carelog events and were left out.")
    return events


def _refuse(name: str):
    raise ValueError(name)


def read_source(source: str, passphrase: str | None, allow_partial: bool, warn) -> list[Event]:
    """Every event of a source: an endpoint URL, a local endpoint folder, or a backup file."""
    if source.startswith(("http://", "https://")):
        try:
            endpoint = fmt.normalize_endpoint(source)
        except fmt.SyncFormatError as error:
            raise CliError(str(error)) from None
        transport = UrlTransport(os.environ.get(AUTH_ENV) or None)
        return asyncio.run(_read_circle(endpoint, transport, passphrase, allow_partial, warn))
    path = Path(source)
    if path.is_dir():
        if not (path / "circle.json").is_file():
            raise CliError(f"{source} is a folder without a circle.json: not a copy of a circle's sync folder.")
        return asyncio.run(_read_circle(LOCAL_BASE, FolderTransport(path), passphrase, allow_partial, warn))
    if path.is_file():
        try:
            body = path.read_bytes()
        except OSError as error:
            raise CliError(f"{source} could not be read: {error.strerror or error}.") from None
        return read_backup(body, warn, passphrase)
    raise CliError(f"{source} was not found (give a sync folder URL, a folder, or a backup file).")


# --- choosing and writing -----------------------------------------------------------------

def choose_recipient(events: list[Event], wanted: str | None) -> tuple[str, str]:
    found = recipients(events)
    if not found:
        raise CliError("There is no care recipient in this data.")
    if wanted:
        names = recipient_names(events)
        exact = [r for r in found if r[0] == wanted]
        named = [r for r in found if wanted.casefold() in {n.casefold() for n in names.get(r[0], [])}]
        match = exact or named
        if len(match) == 1:
            return match[0]
        if len(match) > 1:
            raise CliError(f"More than one person is called {wanted!r}; give the id instead:\n"
                           + _listing(match))
        raise CliError(f"No care recipient {wanted!r}. These are in the data:\n" + _listing(found))
    if len(found) == 1:
        return found[0]
    raise CliError("This data has more than one care recipient; choose one with --recipient:\n" + _listing(found))


def _listing(found) -> str:
    return "\n".join(f"  {rid}  {name}" for rid, name in found)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".carelog-", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m carelog",
                                description="Export a carelog care circle as FHIR R4 JSON or CSV.")
    p.add_argument("source", help="the circle's sync folder URL (http/https), a local copy of that folder, "
                                  "or a backup / JSON export file")
    p.add_argument("--format", choices=("fhir", "csv"), default="fhir", help="output format (default fhir)")
    p.add_argument("--recipient", help="the care recipient's id or name (needed when there are several)")
    p.add_argument("--out", help="fhir: the file to write (default: standard output); csv: the folder to write "
                                 "one file per kind into (needed)")
    p.add_argument("--passphrase", help="the circle passphrase (visible to other users of this computer; "
                                        f"prefer --passphrase-file or {PASS_ENV})")
    p.add_argument("--passphrase-file", help="a file holding the circle passphrase")
    p.add_argument("--list", action="store_true", help="list the care recipients and stop")
    p.add_argument("--allow-partial", action="store_true",
                   help="export what could be read even if some files of the circle could not")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def warn(message: str) -> None:
        print(f"carelog: warning: {message}", file=sys.stderr)

    try:
        if args.format == "csv" and not args.out and not args.list:
            raise CliError("--format csv needs --out FOLDER (one file is written per kind).")
        events = read_source(args.source, _passphrase(args), args.allow_partial, warn)
        if args.list:
            for rid, name in recipients(events):
                print(f"{rid}\t{name}")
            return 0
        rid, name = choose_recipient(events, args.recipient)
        if args.format == "fhir":
            bundle = export_bundle(events, rid)
            data = (json.dumps(bundle, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
            if args.out:
                _write_atomic(Path(args.out), data)
                print(f"carelog: wrote {len(bundle['entry'])} FHIR resources for {name} to {args.out}",
                      file=sys.stderr)
            else:
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
        else:
            files = csv_files(events, rid)
            folder = Path(args.out)
            for file_name, body in files.items():
                _write_atomic(folder / file_name, body)
            print(f"carelog: wrote {len(files)} CSV files for {name} to {folder}", file=sys.stderr)
        return 0
    except (CliError, ExportError) as error:
        print(f"carelog: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"carelog: could not write the output: {error.strerror or error}", file=sys.stderr)
        return 1

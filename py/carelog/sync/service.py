"""The app's side of sync: the device's sync settings, the status line, and
when to run next, over ``engine.sync_once``. No browser code: the adapters
come in as small callables (browser: ``adapters/browser_sync.py``; tests:
in-memory twins).

    service = SyncService(log, feed=store, make_transport=FetchTransport, keys=keys,
                          derive=WebCryptoCipher.from_passphrase, random_bytes=random_bytes)
    await service.configure("https://files.example/circle/", passphrase="our words", create=True)
    report = await service.sync_now()
    describe(service.status, now_ms)   # "Synced 2 minutes ago. Nothing waiting."

Settings (device only, never synced): ``sync_config`` (endpoint, circle,
encrypted, salt, iterations), ``sync_authorization`` (an Authorization header
value, never in an invite), ``sync_s3`` (an S3 bucket's access key, secret
and region, never in an invite: ``s3_settings.py``), ``sync_status``. The circle key itself is kept by
``keys`` (browser: a non-extractable CryptoKey in IndexedDB); the passphrase
is never stored.
"""

from __future__ import annotations

import base64
import random
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable

from ..ports import Cipher, SyncTransport
from . import format as fmt
from . import s3_settings
from .engine import SyncError, SyncOptions, SyncReport, create_circle, open_circle, pending_entries, sync_once
from .format import SyncFormatError
from .s3 import S3Credentials

CONFIG_KEY = "sync_config"
AUTH_KEY = "sync_authorization"
STATUS_KEY = "sync_status"

INTERVAL_MS = 5 * 60_000          # a timer run when all is well
BACKOFF_BASE_MS = 15_000          # first retry after a failed run
BACKOFF_MOST_MS = 30 * 60_000
AFTER_SAVE_MS = 3_000             # a run soon after a save (saves in a burst share one run)


class KeyStore:
    """Where the circle key lives on this device (an in-memory twin here)."""

    def __init__(self) -> None:
        self.cipher: Cipher | None = None

    async def get(self) -> Cipher | None:
        return self.cipher

    async def put(self, cipher: Cipher | None) -> None:
        self.cipher = cipher


@dataclass
class SyncConfig:
    endpoint: str
    circle: str
    encrypted: bool = False
    salt: str = ""          # base64, from circle.json
    iterations: int = 0

    @classmethod
    def from_dict(cls, value: Any) -> "SyncConfig | None":
        if not isinstance(value, dict):
            return None
        try:
            return cls(endpoint=fmt.normalize_endpoint(value.get("endpoint")), circle=str(value["circle"]),
                       encrypted=bool(value.get("encrypted")), salt=str(value.get("salt") or ""),
                       iterations=int(value.get("iterations") or 0))
        except (KeyError, TypeError, ValueError, SyncFormatError):
            return None


@dataclass
class SyncStatus:
    """What the status line shows."""

    configured: bool = False
    running: bool = False
    last_success: int | None = None   # ms
    last_attempt: int | None = None
    last_error: str | None = None
    failures: int = 0                 # failed runs in a row
    pending: int = 0                  # entries made here not yet on the endpoint
    endpoint: str = ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("running")
        data.pop("configured")
        data.pop("endpoint")
        return data

    @classmethod
    def from_dict(cls, value: Any) -> "SyncStatus":
        status = cls()
        if isinstance(value, dict):
            for name in ("last_success", "last_attempt"):
                if isinstance(value.get(name), int):
                    setattr(status, name, value[name])
            if isinstance(value.get("last_error"), str):
                status.last_error = value["last_error"]
            if isinstance(value.get("failures"), int):
                status.failures = max(0, value["failures"])
            if isinstance(value.get("pending"), int):
                status.pending = max(0, value["pending"])
        return status


def next_delay_ms(failures: int, rng: random.Random | None = None) -> int:
    """When to run again: the regular interval, or an exponential backoff with
    jitter after failures (15 s, 30 s, 1 min ... at most 30 min)."""
    if failures <= 0:
        return INTERVAL_MS
    delay = min(BACKOFF_MOST_MS, BACKOFF_BASE_MS * 2 ** min(failures - 1, 20))
    jitter = (rng or random).uniform(0.8, 1.2)
    return int(min(BACKOFF_MOST_MS, delay * jitter))


def _ago(ms: int) -> str:
    seconds = max(0, ms // 1000)
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    days = hours // 24
    return f"{days} days ago"


def describe(status: SyncStatus, now_ms: int) -> str:
    """The status line in plain words.

    >>> describe(SyncStatus(configured=True, last_success=0, pending=2), 180_000)
    'Synced 3 minutes ago. 2 entries waiting to sync.'
    >>> describe(SyncStatus(), 0)
    'Sync is off: entries stay on this device.'
    """
    if not status.configured:
        return "Sync is off: entries stay on this device."
    parts = []
    if status.running:
        parts.append("Syncing…")
    elif status.last_success is None:
        parts.append("Not synced yet.")
    else:
        parts.append(f"Synced {_ago(now_ms - status.last_success)}.")
    if status.pending:
        parts.append(f"{status.pending} entr{'ies' if status.pending != 1 else 'y'} waiting to sync.")
    elif status.last_success is not None:
        parts.append("Nothing waiting.")
    if status.last_error and not status.running:
        parts.append(f"Last problem: {status.last_error}")
    return " ".join(parts)


class SyncService:
    """One device's sync: settings, runs and status."""

    def __init__(self, log: Any, *, feed: Any, make_transport: Callable[[str | None], SyncTransport],
                 keys: Any, derive: Callable[[str, bytes, int], Awaitable[Cipher]],
                 random_bytes: Callable[[int], bytes], options: SyncOptions | None = None,
                 from_key: Callable[[bytes], Awaitable[Cipher]] | None = None,
                 make_s3_transport: Callable[[S3Credentials], SyncTransport] | None = None):
        self.log = log
        self.feed = feed
        self.make_transport = make_transport
        self.keys = keys
        self.derive = derive
        self.random_bytes = random_bytes
        self.options = options
        self.from_key = from_key
        self.make_s3_transport = make_s3_transport
        self.config: SyncConfig | None = None
        self.authorization: str | None = None
        self.s3: S3Credentials | None = None   # set: the endpoint is an S3 bucket (requests signed)
        self.status = SyncStatus()

    async def load(self) -> SyncStatus:
        settings = self.log.settings
        self.config = SyncConfig.from_dict(await settings.get(CONFIG_KEY))
        self.authorization = await settings.get(AUTH_KEY) or None
        self.s3 = s3_settings.from_setting(await settings.get(s3_settings.S3_KEY))
        self.status = SyncStatus.from_dict(await settings.get(STATUS_KEY))
        self.status.configured = self.config is not None
        self.status.endpoint = self.config.endpoint if self.config else ""
        return self.status

    async def _save_status(self) -> None:
        await self.log.settings.put(STATUS_KEY, self.status.to_dict())

    # --- settings ------------------------------------------------------

    def _transport(self, authorization: str | None, s3: S3Credentials | None) -> SyncTransport:
        """A signing S3 transport for a bucket, else the plain one."""
        if s3 is not None:
            if self.make_s3_transport is None:
                raise SyncError("S3 buckets are not available in this version of the app.")
            return self.make_s3_transport(s3)
        return self.make_transport(authorization)

    async def configure(self, endpoint: str, *, passphrase: str = "", authorization: str = "",
                        create: bool = False, key: bytes | None = None, circle_id: str | None = None,
                        s3: S3Credentials | None = None) -> str:
        """Create or join the circle at ``endpoint``; return a plain sentence.
        ``s3``: the endpoint is an S3 bucket (``s3_settings.check_s3_settings``).
        Raises ``SyncError`` (plain words) when it cannot; nothing is saved then."""
        try:
            endpoint = fmt.normalize_endpoint((endpoint or "").strip())
        except SyncFormatError as error:
            raise SyncError(str(error)) from None
        authorization = "" if s3 is not None else (authorization or "").strip()
        transport = self._transport(authorization or None, s3)
        passphrase = passphrase or ""
        circle = await self._read_circle(endpoint, transport, s3 is not None)
        created = False
        if circle is None:
            if not create:
                raise SyncError("There is no circle at this sync address yet. Choose \"Create a circle\".")
            new_id = fmt.is_valid_id(circle_id) and circle_id or "c" + self.log.ids.new_id().replace("-", "")[:24]
            cipher = salt = None
            if passphrase:
                salt = self.random_bytes(16)
                cipher = await self.derive(passphrase, salt, fmt.MIN_PBKDF2_ITERATIONS)
            circle = await create_circle(endpoint, transport, new_id, cipher, salt=salt)
            created = circle.id == new_id
        cipher = None
        if circle.encryption is not None:
            if key is not None:
                cipher = await self.derive_from_key(key)
            elif passphrase:
                cipher = await self.derive(passphrase, circle.encryption.salt, circle.encryption.iterations)
        elif passphrase or key is not None:
            raise SyncError("The circle at this sync address is not encrypted; leave the passphrase empty "
                            "to join it.")
        await open_circle(circle, cipher)
        enc = circle.encryption
        self.config = SyncConfig(endpoint=endpoint, circle=circle.id, encrypted=enc is not None,
                                 salt=base64.b64encode(enc.salt).decode("ascii") if enc else "",
                                 iterations=enc.iterations if enc else 0)
        self.authorization = authorization or None
        self.s3 = s3
        await self.keys.put(cipher)
        await self.log.settings.put(CONFIG_KEY, asdict(self.config))
        await self.log.settings.put(AUTH_KEY, self.authorization)
        await self.log.settings.put(s3_settings.S3_KEY, s3_settings.to_setting(s3) if s3 else None)
        self.status = SyncStatus(configured=True, endpoint=endpoint)
        await self._save_status()
        return "Circle created." if created else "Joined the circle."

    async def derive_from_key(self, key: bytes) -> Cipher:
        if self.from_key is None or len(key) != 32:
            raise SyncError("This invite link's key cannot be used.")
        return await self.from_key(key)

    async def turn_off(self) -> None:
        """Forget the endpoint, credentials and key (entries stay)."""
        await self.keys.put(None)
        await self.log.settings.put(CONFIG_KEY, None)
        await self.log.settings.put(AUTH_KEY, None)
        await self.log.settings.put(s3_settings.S3_KEY, None)
        self.config, self.authorization, self.s3 = None, None, None
        self.status = SyncStatus()
        await self._save_status()

    async def _read_circle(self, endpoint: str, transport: SyncTransport, s3: bool = False) -> fmt.Circle | None:
        from ..ports import TransportError  # noqa: PLC0415

        try:
            resp = await transport.get(endpoint + "circle.json")
        except TransportError:
            raise SyncError("No answer from the sync address (offline, wrong address, or it does not allow "
                            "this app). Nothing was changed.") from None
        if s3 and (resp.status in (301, 400, 401, 403) or (resp.status == 404 and s3_settings.error_code(
                resp.body) not in ("", "NoSuchKey"))):
            raise SyncError(s3_settings.refusal_message(resp.status, resp.body))
        if resp.status == 404:
            return None
        if resp.status in (401, 403):
            raise SyncError(f"The sync server refused access (HTTP {resp.status}); check the sync password. "
                            "(For an S3 bucket, choose \"S3-compatible bucket\" and type its keys.)")
        if resp.status != 200:
            raise SyncError(f"The sync server answered HTTP {resp.status}; try again later.")
        try:
            return fmt.decode_circle(resp.body)
        except SyncFormatError as error:
            raise SyncError(str(error)) from None

    # --- runs ----------------------------------------------------------

    async def sync_now(self) -> SyncReport | None:
        """One run; ``None`` when sync is not set up."""
        if self.config is None:
            return None
        now = self.log.clock.now_ms()
        self.status.running = True
        self.status.last_attempt = now
        try:
            cipher = await self.keys.get() if self.config.encrypted else None
            if self.config.encrypted and cipher is None:
                report = SyncReport(errors=["The circle key is missing on this device: set up sync again "
                                            "with the circle passphrase."])
            else:
                report = await sync_once(endpoint=self.config.endpoint, device_id=self.log.device_id,
                                         store=self.log.store, feed=self.feed,
                                         transport=self._transport(self.authorization, self.s3),
                                         settings=self.log.settings, cipher=cipher, options=self.options,
                                         circle_id=self.config.circle)
        finally:
            self.status.running = False
        if report.skipped:
            return report
        if report.newest_stamp:
            self.log.observe_stamp(report.newest_stamp)
        self.status.pending = report.pending
        if report.ok:
            self.status.last_success = self.log.clock.now_ms()
            self.status.last_error = None
            self.status.failures = 0
        else:
            self.status.last_error = report.errors[0]
            self.status.failures += 1
        await self._save_status()
        return report

    async def refresh_pending(self) -> int:
        if self.config is None:
            return 0
        self.status.pending = await pending_entries(endpoint=self.config.endpoint, device_id=self.log.device_id,
                                                    feed=self.feed, settings=self.log.settings)
        return self.status.pending

    def next_delay_ms(self) -> int:
        return next_delay_ms(self.status.failures)

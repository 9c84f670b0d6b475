"""Browser adapters for sync: ``fetch`` (SyncTransport) and WebCrypto (Cipher),
through the ``carelogSync`` JS helper (public/js/sync.js). The IndexedDB
``EventFeed`` is ``IndexedDBEntryStore.events_after`` (adapters/browser.py).

Only usable inside Pyodide; ``js`` and ``pyodide`` are imported lazily so the
module imports under CPython.

    transport = FetchTransport(authorization="Basic ...")      # optional, kept on the device
    cipher = await WebCryptoCipher.from_passphrase("our circle words", salt)
    report = await sync_once(endpoint=url, device_id=log.device_id, store=store, feed=store,
                             transport=transport, settings=settings, cipher=cipher)
"""

from __future__ import annotations

from typing import Any

from ..ports import Cipher, CipherError, Response, SyncTransport, TransportError
from ..sync import format as fmt
from ..sync.format import SyncFormatError

DEFAULT_TIMEOUT_MS = 20_000


def _helper() -> Any:
    import js  # noqa: PLC0415 - browser only

    helper = getattr(js, "carelogSync", None)
    if helper is None:
        raise TransportError("The sync helper did not load.")
    return helper


def _to_js(value: Any) -> Any:
    from pyodide.ffi import to_js  # noqa: PLC0415 - browser only

    import js  # noqa: PLC0415

    return to_js(value, dict_converter=js.Object.fromEntries)


def _bytes(proxy: Any) -> bytes:
    """A JS Uint8Array as bytes (one copy across the boundary)."""
    if proxy is None:
        return b""
    if isinstance(proxy, (bytes, bytearray)):
        return bytes(proxy)
    return proxy.to_bytes()


def _js_name(error: Exception) -> str:
    return str(getattr(error, "name", "") or "")


class FetchTransport(SyncTransport):
    """``fetch`` with ``cache: "no-store"``, a timeout (AbortController) and only
    the headers a request needs (so a CORS preflight asks for little)."""

    def __init__(self, authorization: str | None = None, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        self.authorization = (authorization or "").strip() or None
        self.timeout_ms = int(timeout_ms)
        self.requests = 0

    async def _request(self, method: str, url: str, headers: dict, body: bytes | None) -> Response:
        if self.authorization:
            headers["Authorization"] = self.authorization
        self.requests += 1
        helper = _helper()
        try:
            answer = await helper.request(method, url, _to_js(headers), None if body is None else _to_js(body),
                                          self.timeout_ms)
        except Exception as error:  # JsException: TransportError from the helper, or anything else
            raise TransportError(str(error) or _js_name(error) or "no answer") from None
        etag = answer.etag
        return Response(int(answer.status), _bytes(answer.body), etag if isinstance(etag, str) else None)

    async def get(self, url: str, etag: str | None = None) -> Response:
        return await self._request("GET", url, {"If-None-Match": etag} if etag else {}, None)

    async def put(self, url: str, body: bytes, if_match: str | None = None) -> Response:
        headers = {"Content-Type": "application/json"}
        if if_match:
            headers["If-Match"] = if_match
        return await self._request("PUT", url, headers, bytes(body))

    async def list(self, folder_url: str) -> list[str] | None:
        """nginx ``autoindex_format json``. No listing (403, 404, 405, 501, an HTML
        page) is ``None``; a server error or an unreadable listing is a
        ``TransportError`` (the engine retries next run)."""
        resp = await self.get(folder_url)
        if resp.status in (403, 404, 405, 501):
            return None
        if resp.status != 200:
            raise TransportError(f"HTTP {resp.status} for the folder listing")
        head = resp.body[:64].lstrip()
        if not head.startswith(b"["):
            if head[:1] == b"<":
                return None  # an HTML listing or page: no JSON listing here
            raise TransportError("the folder listing was unreadable")
        try:
            return fmt.parse_autoindex(resp.body)
        except SyncFormatError:
            raise TransportError("the folder listing was unreadable") from None


class WebCryptoCipher(Cipher):
    """AES-GCM-256 in WebCrypto with a non-extractable key; a fresh random
    12-byte IV for every encryption (``crypto.getRandomValues``)."""

    alg = fmt.ALG_AES_GCM
    iv_length = 12

    def __init__(self, key: Any):
        self._key = key  # a JS CryptoKey; its bytes never reach Python

    @classmethod
    async def from_passphrase(cls, passphrase: str, salt: bytes,
                              iterations: int = fmt.MIN_PBKDF2_ITERATIONS) -> "WebCryptoCipher":
        """PBKDF2-SHA256 over the passphrase (at least 600,000 iterations)."""
        if iterations < fmt.MIN_PBKDF2_ITERATIONS:
            raise CipherError("Too few PBKDF2 iterations.")
        key = await _helper().deriveKey(passphrase, _to_js(bytes(salt)), int(iterations))
        return cls(key)

    @classmethod
    async def from_raw_key(cls, raw: bytes) -> "WebCryptoCipher":
        """The key an invite link carries (32 bytes)."""
        try:
            key = await _helper().importRawKey(_to_js(bytes(raw)))
        except Exception as error:
            raise CipherError(str(error)) from None
        return cls(key)

    async def encrypt(self, plaintext: bytes) -> bytes:
        return _bytes(await _helper().encrypt(self._key, _to_js(bytes(plaintext))))

    async def decrypt(self, sealed: bytes) -> bytes:
        try:
            return _bytes(await _helper().decrypt(self._key, _to_js(bytes(sealed))))
        except Exception:
            raise CipherError("The data does not open with this key.") from None


async def raw_key_from_passphrase(passphrase: str, salt: bytes, iterations: int) -> bytes:
    """The 32 key bytes, for an invite link only (never stored, never sent)."""
    return _bytes(await _helper().deriveRawKey(passphrase, _to_js(bytes(salt)), int(iterations)))


def random_bytes(n: int) -> bytes:
    return _bytes(_helper().randomBytes(n))

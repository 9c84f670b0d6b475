"""In-memory twins of a sync endpoint and of the circle cipher, for tests and tools.

``MemoryHost`` is a folder of files behind a ``SyncTransport``, in three
kinds that behave like the real hosts:

- ``MemoryHost.webdav()``: like nginx with ``dav_methods PUT`` and
  ``autoindex_format json``: PUT creates folders and IGNORES ``If-Match``
  (measured on nginx: a PUT with a wrong ETag silently replaces the file);
  folders list as nginx's JSON autoindex; PUT answers carry no ETag.
- ``MemoryHost.readonly()``: a static host (GitHub Pages): GET only, PUT is
  405, no listing unless asked for.
- ``MemoryHost.s3()``: an S3-compatible bucket: ``If-Match`` on PUT is
  honoured (412 on mismatch), PUT answers carry the new ETag, listing by prefix.

Every host answers ``If-None-Match`` with 304 and counts requests
(``count``), so tests can assert how many were made. Faults can be injected
two ways: ``host.fault = lambda method, path: "503"`` for a targeted fault,
or ``host.plan = FaultPlan(rate=0.3, seed=1)`` for random ones. Fault names:

    GET:  "500" "503" "timeout" "reset" "truncate" "garbage" "wrong_shape" "stale"
    PUT:  "500" "503" "timeout" "reset" "lost_response" (written, answer lost)
    LIST: "timeout" "reset" "garbage" "stale_listing"

``TestOnlyCipher`` stands in for WebCrypto AES-GCM under CPython (the
standard library has no AES): SHAKE-256 keystream + HMAC-SHA256 tag, fresh
random IV per call, tampering detected. It is NOT the app's cipher; its
``alg`` name says so, so files it writes can never pass for AES-GCM ones.

    >>> import asyncio
    >>> host = MemoryHost.webdav()
    >>> t = host.transport()
    >>> asyncio.run(t.put(host.url + "a/b.json", b"{}")).status
    201
    >>> asyncio.run(t.list(host.url + "a/"))
    ['b.json']
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
from collections import Counter
from typing import Callable

from ..ports import Cipher, CipherError, Response, SyncTransport, TransportError
from ..sync.format import SyncFormatError, parse_autoindex

GET_FAULTS = ("500", "503", "timeout", "reset", "truncate", "garbage", "wrong_shape", "stale")
PUT_FAULTS = ("500", "503", "timeout", "reset", "lost_response")
LIST_FAULTS = ("timeout", "reset", "garbage", "stale_listing")

WRONG_SHAPES = (
    b"[]", b"{}", b'"hello"', b"42", b"null", b'{"format":"carelog-index","v":1}',
    b'{"format":"carelog-segment","v":1,"events":5}', b'{"v":1,"alg":"AES-GCM-256","iv":"AAAA","ct":"AAAA"}',
    b'{"format":"carelog-index","v":1,"circle":"x","device":"y","segments":[{"n":1}]}',
    b'{"events":[{"id":"x"}]}', b'{"format":"carelog-devices","v":1,"devices":["../../etc"]}',
    b'[{"name":"../x","type":"directory"}]', b'{"v":99,"format":"carelog-segment"}',
)


class FaultPlan:
    """Random faults at ``rate`` per request, reproducible from ``seed``."""

    def __init__(self, rate: float = 0.2, seed: int = 0, get: tuple = GET_FAULTS, put: tuple = PUT_FAULTS,
                 list_: tuple = LIST_FAULTS):
        self.rate = rate
        self.rng = random.Random(seed)
        self.kinds = {"GET": get, "PUT": put, "LIST": list_}
        self.enabled = True
        self.injected: Counter = Counter()

    def pick(self, method: str, path: str) -> str | None:
        kinds = self.kinds.get(method) or ()
        if not self.enabled or not kinds or self.rng.random() >= self.rate:
            return None
        return self.rng.choice(kinds)

    @property
    def total(self) -> int:
        return sum(self.injected.values())


class MemoryHost:
    """A folder of files served over a twin of HTTP. Paths are relative to ``url``."""

    def __init__(self, kind: str = "webdav", url: str = "https://sync.example/circle/", listing: bool = True,
                 coarse_etags: bool = False, files: dict[str, bytes] | None = None):
        if kind not in ("webdav", "readonly", "s3"):
            raise ValueError(kind)
        self.kind = kind
        self.url = url
        self.listing = listing
        self.coarse_etags = coarse_etags
        self.seconds = 1_764_000_000  # the host's clock for coarse (nginx-style mtime-size) ETags
        self.files: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}
        self.history: dict[str, list[tuple[bytes, str]]] = {}
        self.log: list[tuple[str, str, int | str]] = []
        self.fault: Callable[[str, str], str | None] | None = None
        self.plan: FaultPlan | None = None
        self.rng = random.Random(7)
        self.injected: Counter = Counter()
        for path, body in (files or {}).items():
            self.store(path, body)

    @classmethod
    def webdav(cls, **kw) -> "MemoryHost":
        return cls("webdav", **kw)

    @classmethod
    def readonly(cls, listing: bool = False, **kw) -> "MemoryHost":
        return cls("readonly", listing=listing, **kw)

    @classmethod
    def s3(cls, **kw) -> "MemoryHost":
        return cls("s3", **kw)

    def transport(self) -> "MemoryTransport":
        """A fresh client for one device (it counts its own requests too)."""
        return MemoryTransport(self)

    # --- direct access for tests ---------------------------------------------

    def store(self, path: str, body: bytes) -> None:
        """Put a file without a request (seeding, or damaging a file on purpose)."""
        if path in self.files:
            self.history.setdefault(path, []).append((self.files[path], self.etags[path]))
        self.files[path] = bytes(body)
        self.etags[path] = self._etag(body)

    def tick(self, seconds: int = 1) -> None:
        """Move the host's clock (coarse ETags change only when it moves or the size does)."""
        self.seconds += seconds

    def count(self, method: str | None = None, contains: str = "") -> int:
        """Requests made, optionally of one method and for paths containing ``contains``."""
        return sum(1 for m, p, _ in self.log if (method is None or m == method) and contains in p)

    def _etag(self, body: bytes) -> str:
        if self.coarse_etags:
            return f'"{self.seconds:x}-{len(body):x}"'
        return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'

    def _path(self, url: str) -> str | None:
        return url[len(self.url):] if url.startswith(self.url) else None

    def _pick(self, method: str, path: str) -> str | None:
        name = self.fault(method, path) if self.fault else None
        if name is None and self.plan is not None:
            name = self.plan.pick(method, path)
            if name:
                self.plan.injected[name] += 1
        if name:
            self.injected[name] += 1
        return name

    # --- the three requests ------------------------------------------------

    def get(self, url: str, etag: str | None) -> Response:
        path = self._path(url)
        fault = self._pick("GET", path or url)
        if fault in ("timeout", "reset"):
            self.log.append(("GET", path or url, fault))
            raise TransportError(fault)
        if fault in ("500", "503"):
            return self._logged("GET", path or url, Response(int(fault)))
        if path is None or path not in self.files:
            return self._logged("GET", path or url, Response(404, b"<html>404 Not Found</html>"))
        body, current = self.files[path], self.etags[path]
        if fault == "stale" and self.history.get(path):
            body, current = self.history[path][-1]
        if etag is not None and etag == current:
            return self._logged("GET", path, Response(304, b"", current))
        if fault == "truncate" and body:
            body = body[:self.rng.randrange(len(body))]
        elif fault == "garbage":
            body = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 200)))
        elif fault == "wrong_shape":
            body = self.rng.choice(WRONG_SHAPES)
        return self._logged("GET", path, Response(200, body, current))

    def put(self, url: str, body: bytes, if_match: str | None) -> Response:
        path = self._path(url)
        if self.kind == "readonly" or path is None or path.endswith("/") or not path:
            return self._logged("PUT", path or url, Response(405))
        fault = self._pick("PUT", path)
        if fault in ("timeout", "reset"):
            self.log.append(("PUT", path, fault))
            raise TransportError(fault)
        if fault in ("500", "503"):
            return self._logged("PUT", path, Response(int(fault)))
        if self.kind == "s3" and if_match is not None and self.etags.get(path) != if_match:
            return self._logged("PUT", path, Response(412 if path in self.files else 404))
        existed = path in self.files
        self.store(path, body)
        if fault == "lost_response":
            self.log.append(("PUT", path, fault))
            raise TransportError("the answer was lost (the file was written)")
        etag = self.etags[path] if self.kind == "s3" else None
        return self._logged("PUT", path, Response(204 if existed else 201, b"", etag))

    def list(self, folder_url: str) -> list[str] | None:
        path = self._path(folder_url)
        if not self.listing:
            return None
        fault = self._pick("LIST", path or folder_url)
        self.log.append(("LIST", path or folder_url, fault or 200))
        if fault in ("timeout", "reset"):
            raise TransportError(fault)
        prefix = path or ""
        names = sorted({p[len(prefix):].split("/", 1)[0] for p in self.files if p.startswith(prefix)})
        if self.kind == "s3":
            return names
        # nginx: autoindex_format json, folders as {"name": ..., "type": "directory"}
        items = [{"name": n, "type": "directory" if any(p.startswith(prefix + n + "/") for p in self.files)
                  else "file", "mtime": "Mon, 24 Nov 2025 16:00:00 GMT"} for n in names]
        body = json.dumps(items).encode()
        if fault == "garbage":
            body = body[: len(body) // 2]
        try:
            listed = parse_autoindex(body)
        except SyncFormatError:
            raise TransportError("the folder listing was unreadable") from None
        if fault == "stale_listing" and listed:
            listed = [n for n in listed if self.rng.random() < 0.5]
        return listed

    def _logged(self, method: str, path: str, resp: Response) -> Response:
        self.log.append((method, path, resp.status))
        return resp


class MemoryTransport(SyncTransport):
    """One device's client of a ``MemoryHost``; ``requests`` counts its own calls."""

    def __init__(self, host: MemoryHost):
        self.host = host
        self.requests = 0
        self.bytes_in = 0

    async def get(self, url: str, etag: str | None = None) -> Response:
        self.requests += 1
        resp = self.host.get(url, etag)
        self.bytes_in += len(resp.body)
        return resp

    async def put(self, url: str, body: bytes, if_match: str | None = None) -> Response:
        self.requests += 1
        if not isinstance(body, (bytes, bytearray)):
            raise TypeError("a PUT body must be bytes")
        return self.host.put(url, bytes(body), if_match)

    async def list(self, folder_url: str) -> list[str] | None:
        if self.host.listing:
            self.requests += 1
        return self.host.list(folder_url)


class TestOnlyCipher(Cipher):
    """Authenticated encryption for tests under CPython; NOT the app's cipher.

    Output: 12-byte random IV, ciphertext (plaintext XOR SHAKE-256(key, IV)),
    16-byte HMAC-SHA256 tag over IV and ciphertext. The browser uses
    WebCrypto AES-GCM-256 with the same port.
    """

    __test__ = False  # not a pytest test class
    alg = "TEST-ONLY-SHAKE256-HMAC"
    iv_length = 12

    def __init__(self, key: bytes):
        if len(key) != 32:
            raise ValueError("a 32-byte key is required")
        self._enc = hashlib.sha256(b"enc" + key).digest()
        self._mac = hashlib.sha256(b"mac" + key).digest()
        self.calls = 0

    def _stream(self, iv: bytes, data: bytes) -> bytes:
        pad = hashlib.shake_256(self._enc + iv).digest(len(data))
        return (int.from_bytes(data, "big") ^ int.from_bytes(pad, "big")).to_bytes(len(data), "big")

    async def encrypt(self, plaintext: bytes) -> bytes:
        self.calls += 1
        iv = os.urandom(self.iv_length)
        ct = self._stream(iv, bytes(plaintext))
        return iv + ct + hmac.new(self._mac, iv + ct, hashlib.sha256).digest()[:16]

    async def decrypt(self, sealed: bytes) -> bytes:
        self.calls += 1
        if len(sealed) < self.iv_length + 16:
            raise CipherError("too short")
        iv, ct, tag = sealed[:self.iv_length], sealed[self.iv_length:-16], sealed[-16:]
        if not hmac.compare_digest(tag, hmac.new(self._mac, iv + ct, hashlib.sha256).digest()[:16]):
            raise CipherError("does not authenticate")
        return self._stream(iv, ct)


def pbkdf2_key(passphrase: str, salt: bytes, iterations: int) -> bytes:
    """The circle key from a passphrase, as WebCrypto derives it (PBKDF2-SHA256, 32 bytes)."""
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode("utf-8"), salt, iterations, 32)

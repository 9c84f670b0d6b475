"""An S3 bucket as the sync endpoint in the browser: ``sync.s3.S3Transport``
(SigV4 signing, ``If-None-Match: *`` on new data files, ListObjectsV2) over the
same ``fetch`` helper as ``FetchTransport``.

    transport = s3_fetch_transport(S3Credentials("AKIA...", "secret", "eu-west-1"))

Hashing and signing use Python's ``hashlib`` and ``hmac`` inside Pyodide, not
WebCrypto: they are synchronous (SigV4 needs five chained HMACs and two
SHA-256 per request; through WebCrypto each would be an awaited call across
the Python/JS boundary), the same code is tested under CPython against AWS's
published examples, and a segment body is already in Python's memory when it
is signed. The signed headers (``authorization``, ``x-amz-date``,
``x-amz-content-sha256``, ``if-match`` / ``if-none-match``) pass through
``public/js/sync.js``'s allow-list; the ETag comes back in ``Response.etag``
(the bucket's CORS rule must expose it).

Browser only through ``FetchTransport``; imports under CPython.
"""

from __future__ import annotations

import time
from typing import Callable

from ..sync.s3 import S3Credentials, S3Transport
from .browser_sync import DEFAULT_TIMEOUT_MS, FetchTransport


def amz_now() -> str:
    """``YYYYMMDDTHHMMSSZ`` from the device's clock (UTC). A clock more than 15
    minutes off is refused by the bucket (``RequestTimeTooSkewed``)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


class S3FetchTransport(S3Transport):
    """``S3Transport`` whose raw requests go through ``fetch`` (no Authorization
    header of its own: the signature is the Authorization)."""

    def __init__(self, creds: S3Credentials, timeout_ms: int = DEFAULT_TIMEOUT_MS,
                 now: Callable[[], str] = amz_now):
        self.fetch = FetchTransport(authorization=None, timeout_ms=timeout_ms)
        super().__init__(self.fetch._request, creds, now)

    @property
    def requests(self) -> int:
        return self.fetch.requests

    @property
    def timeout_ms(self) -> int:
        return self.fetch.timeout_ms

    @timeout_ms.setter
    def timeout_ms(self, value: int) -> None:
        self.fetch.timeout_ms = int(value)


def s3_fetch_transport(creds: S3Credentials) -> S3FetchTransport:
    return S3FetchTransport(creds)

"""S3-compatible endpoints: AWS Signature Version 4 and ListObjectsV2, in pure
Python (``hmac``, ``hashlib``, ``xml.etree``), so it runs under Pyodide.

    creds = S3Credentials("AKIA...", "secret", region="eu-west-1")
    headers = sign("PUT", "https://bucket.s3.eu-west-1.amazonaws.com/c/devices/d/seg-000001.json",
                   {"content-type": "application/json", "if-none-match": "*"}, body, creds,
                   amz_date="20261123T230000Z")
    # -> the same headers plus x-amz-date, x-amz-content-sha256 and authorization

    transport = S3Transport(raw, creds, now=clock)   # raw: a SyncTransport-like requester

Credentials are kept on the device only (sync settings, never synced, never
in an invite link). Conditional writes: a new segment or snapshot part is
PUT with ``If-None-Match: *``, so the bucket itself refuses to overwrite an
existing object (412); the engine's own rules already never overwrite, so
this is a second lock. ``index.json`` and ``devices.json`` carry ``If-Match``
as before.
"""

from __future__ import annotations

import hashlib
import hmac
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import quote, urlsplit, parse_qsl

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_LISTING_BYTES = 4 * 1024 * 1024


class S3Error(ValueError):
    """A listing that cannot be read, or settings that cannot sign."""


@dataclass(frozen=True)
class S3Credentials:
    """An access key pair for one circle's prefix, kept on this device only."""

    access_key: str
    secret_key: str
    region: str = "us-east-1"
    session_token: str | None = None

    def __repr__(self) -> str:  # never print the secret
        return f"S3Credentials(access_key={self.access_key!r}, region={self.region!r})"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _encode(text: str, safe: str = "") -> str:
    """RFC 3986 percent-encoding as SigV4 wants it (unreserved characters kept)."""
    return quote(text, safe="-_.~" + safe)


def canonical_uri(path: str) -> str:
    """The path, each segment encoded once (S3 does not double-encode)."""
    from urllib.parse import unquote  # noqa: PLC0415

    return _encode(unquote(path or "/"), safe="/")


def canonical_query(query: str) -> str:
    """Query parameters sorted by name then value, names and values encoded."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(pairs))


def signing_key(secret_key: str, date: str, region: str, service: str = "s3") -> bytes:
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def canonical_request(method: str, url: str, headers: dict[str, str], payload_hash: str) -> tuple[str, str]:
    """(canonical request, signed header names) for ``headers`` (host included)."""
    parts = urlsplit(url)
    names = sorted(headers)
    lines = [method.upper(), canonical_uri(parts.path), canonical_query(parts.query)]
    lines += [f"{n}:{' '.join(str(headers[n]).split())}" for n in names]
    signed = ";".join(names)
    return "\n".join(lines + ["", signed, payload_hash]), signed


def sign(method: str, url: str, headers: dict[str, str], body: bytes | None, creds: S3Credentials, *,
         amz_date: str, service: str = "s3", payload_hash: str | None = None) -> dict[str, str]:
    """The request's headers with ``x-amz-date``, ``x-amz-content-sha256`` and
    ``authorization`` added (header names lower-case). ``amz_date`` is
    ``YYYYMMDDTHHMMSSZ`` (UTC). ``host`` is signed but not returned (the
    browser sets it)."""
    if not creds.access_key or not creds.secret_key or not creds.region:
        raise S3Error("The S3 access key, secret key and region are all needed.")
    payload_hash = payload_hash or hashlib.sha256(body or b"").hexdigest()
    out = {k.lower(): str(v) for k, v in headers.items()}
    out["x-amz-date"] = amz_date
    out["x-amz-content-sha256"] = payload_hash
    if creds.session_token:
        out["x-amz-security-token"] = creds.session_token
    to_sign = {**out, "host": urlsplit(url).netloc}
    request, signed = canonical_request(method, url, to_sign, payload_hash)
    date = amz_date[:8]
    scope = f"{date}/{creds.region}/{service}/aws4_request"
    string_to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(request.encode("utf-8")).hexdigest()])
    signature = hmac.new(signing_key(creds.secret_key, date, creds.region, service),
                         string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    out["authorization"] = (f"{ALGORITHM} Credential={creds.access_key}/{scope},"
                            f"SignedHeaders={signed},Signature={signature}")
    return out


# --- ListObjectsV2 ---------------------------------------------------------------

@dataclass(frozen=True)
class Listing:
    keys: tuple[str, ...]
    prefixes: tuple[str, ...]
    truncated: bool
    next_token: str | None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_list_objects_v2(body: Any) -> Listing:
    """A ListObjectsV2 answer (``ListBucketResult``), read defensively: size
    capped, no DTD or entities (refused before parsing), only the fields
    needed. Raises ``S3Error`` on anything else."""
    if not isinstance(body, (bytes, bytearray)) or len(body) > MAX_LISTING_BYTES:
        raise S3Error("The bucket listing is missing or too large.")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise S3Error("The bucket listing contains a document type declaration; refused.")
    try:
        root = ET.fromstring(bytes(body))
    except ET.ParseError:
        raise S3Error("The bucket listing is not readable XML.") from None
    if _local(root.tag) != "ListBucketResult":
        raise S3Error("The answer is not a bucket listing.")
    keys, prefixes = [], []
    truncated, token = False, None
    for child in root:
        name = _local(child.tag)
        if name == "Contents":
            key = next((c.text for c in child if _local(c.tag) == "Key"), None)
            if key:
                keys.append(key)
        elif name == "CommonPrefixes":
            prefix = next((c.text for c in child if _local(c.tag) == "Prefix"), None)
            if prefix:
                prefixes.append(prefix)
        elif name == "IsTruncated":
            truncated = (child.text or "").strip().lower() == "true"
        elif name == "NextContinuationToken":
            token = child.text or None
    return Listing(tuple(keys), tuple(prefixes), truncated, token)


def names_in_folder(listing: Listing, prefix: str) -> list[str]:
    """Names directly under ``prefix`` (folders without a slash), like
    ``SyncTransport.list``."""
    names = []
    for key in listing.keys:
        if key.startswith(prefix) and key != prefix:
            names.append(key[len(prefix):].split("/", 1)[0])
    for sub in listing.prefixes:
        if sub.startswith(prefix):
            names.append(sub[len(prefix):].rstrip("/").split("/", 1)[0])
    return sorted({n for n in names if n})


# --- a transport -----------------------------------------------------------------

RawRequest = Callable[[str, str, dict, "bytes | None"], Awaitable[Any]]


class S3Transport:
    """A ``SyncTransport`` for an S3 bucket (path-style or virtual-hosted URLs):
    every request signed; new data files PUT with ``If-None-Match: *``;
    ``list`` by ListObjectsV2 with ``delimiter=/``.

    ``request(method, url, headers, body)`` sends one HTTP request and returns
    a ``ports.Response`` (raising ``TransportError`` when there is no answer);
    ``now()`` gives ``YYYYMMDDTHHMMSSZ``.
    """

    def __init__(self, request: RawRequest, creds: S3Credentials, now: Callable[[], str]):
        self.request = request
        self.creds = creds
        self.now = now

    async def _send(self, method: str, url: str, headers: dict, body: bytes | None):
        return await self.request(method, url, sign(method, url, headers, body, self.creds, amz_date=self.now()),
                                  body)

    async def get(self, url: str, etag: str | None = None):
        return await self._send("GET", url, {"if-none-match": etag} if etag else {}, None)

    async def put(self, url: str, body: bytes, if_match: str | None = None):
        headers = {"content-type": "application/json"}
        name = url.rsplit("/", 1)[-1]
        if if_match:
            headers["if-match"] = if_match
        elif name.startswith(("seg-", "snap-")):
            headers["if-none-match"] = "*"  # the bucket refuses to overwrite a data file
        return await self._send("PUT", url, headers, bytes(body))

    async def list(self, folder_url: str) -> list[str] | None:
        from ..ports import TransportError  # noqa: PLC0415

        parts = urlsplit(folder_url)
        bucket_root, prefix = self._split(parts)
        names: list[str] = []
        token = None
        for _ in range(100):  # at most 100 pages of 1,000
            query = f"list-type=2&delimiter=%2F&prefix={_encode(prefix)}"
            if token:
                query += f"&continuation-token={_encode(token)}"
            resp = await self._send("GET", f"{bucket_root}?{query}", {}, None)
            if resp.status in (403, 404, 405, 501):
                return None  # listing not allowed: discovery uses devices.json and gossip
            if resp.status != 200:
                raise TransportError(f"HTTP {resp.status} for the bucket listing")
            try:
                listing = parse_list_objects_v2(resp.body)
            except S3Error:
                raise TransportError("the bucket listing was unreadable") from None
            names.extend(names_in_folder(listing, prefix))
            token = listing.next_token
            if not listing.truncated or not token:
                break
        return sorted(set(names))

    @staticmethod
    def _split(parts) -> tuple[str, str]:
        """(URL of the bucket root, key prefix) of a folder URL. Virtual-hosted
        (``bucket.s3.region.amazonaws.com/prefix/``) when the host starts with
        the bucket; otherwise path-style (``host/bucket/prefix/``)."""
        from urllib.parse import unquote  # noqa: PLC0415

        path = unquote(parts.path).lstrip("/")
        origin = f"{parts.scheme}://{parts.netloc}"
        if ".s3." in parts.netloc and not parts.netloc.startswith("s3."):
            return origin + "/", path  # virtual-hosted: the bucket is in the host name
        bucket, _, prefix = path.partition("/")
        return f"{origin}/{bucket}", prefix

"""The S3 part of the sync settings, pure: checking what a caregiver typed
(bucket URL, region, access key id, secret access key and, for temporary keys,
a session token) and turning a bucket's refusal into a plain sentence.

    endpoint, creds = check_s3_settings("https://s3.eu-west-1.amazonaws.com/care-circles/mum/",
                                        "", "AKIA...", "secret")
    # -> ("https://s3.eu-west-1.amazonaws.com/care-circles/mum/", S3Credentials(region="eu-west-1"...))
    refusal_message(403, body)   # "The secret access key does not match the access key ID. ..."

Bucket URL styles:
- **path-style** ``https://<host>/<bucket>/<folder>/``: AWS
  (``s3.<region>.amazonaws.com``), MinIO, Cloudflare R2
  (``<account>.r2.cloudflarestorage.com``), most S3-compatible hosts;
- **virtual-hosted** ``https://<bucket>.s3.<region>.amazonaws.com/<folder>/``:
  AWS host names only (``S3Transport._split`` tells them apart by ``.s3.``).
Other virtual-hosted names (``<bucket>.<account>.r2...``) must be written
path-style.

The credentials are stored as one device-only setting (``sync_s3``), sealed
by the lock like every other setting, never synced, never in an invite link.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .engine import SyncError
from .format import SyncFormatError, normalize_endpoint
from .s3 import S3Credentials

KIND_FOLDER = "folder"
KIND_S3 = "s3"
S3_KEY = "sync_s3"

_REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$")
_AWS_HOST = re.compile(r"^(?:(?P<bucket>[^.]+(?:\.[^.]+)*)\.)?s3[.-](?P<region>[a-z0-9-]+)\.amazonaws\.com$")
_ACCESS_KEY = re.compile(r"^[A-Za-z0-9_+=,.@/-]{3,128}$")
_SESSION_TOKEN = re.compile(r"^[A-Za-z0-9+/=_.-]{16,8192}$")  # base64-like, as AWS STS issues them
_LOCAL_HOSTS = ("127.0.0.1", "localhost")


def is_virtual_hosted(host: str) -> bool:
    """``<bucket>.s3.<region>.amazonaws.com`` (the bucket is in the host name)."""
    return ".s3." in host and not host.startswith("s3.")


def region_from_host(host: str) -> str:
    """The region an AWS host name names (``s3.eu-west-1.amazonaws.com``), else ``""``."""
    match = _AWS_HOST.match(host.split(":", 1)[0].lower())
    return match.group("region") if match else ""


def check_s3_settings(bucket_url: str, region: str, access_key: str, secret_key: str,
                      session_token: str = "") -> tuple[str, S3Credentials]:
    """(endpoint, credentials) from what was typed; ``SyncError`` with a plain
    sentence for the first thing that is wrong (nothing is saved then).
    ``session_token`` is for temporary keys (AWS STS); empty for a lasting key pair."""
    bucket_url = (bucket_url or "").strip()
    if not bucket_url:
        raise SyncError("Type the bucket URL, for example https://s3.eu-west-1.amazonaws.com/care-circles/mum/.")
    try:
        endpoint = normalize_endpoint(bucket_url)
    except SyncFormatError as error:
        raise SyncError(str(error)) from None
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if parts.query or parts.fragment:
        raise SyncError("The bucket URL must not contain ? or #: use the bucket's address and folder only.")
    if parts.username or parts.password:
        raise SyncError("Do not put a name or password in the bucket URL: use the access key fields.")
    if parts.scheme != "https" and host not in _LOCAL_HOSTS:
        raise SyncError("The bucket URL must start with https:// (keys and entries must not travel in clear).")
    if not is_virtual_hosted(host) and not parts.path.strip("/"):
        raise SyncError("Add the bucket's name to the URL: https://<host>/<bucket>/<folder>/.")
    region = (region or "").strip().lower() or region_from_host(host)
    if not region:
        raise SyncError("Type the bucket's region (for example eu-west-1; Cloudflare R2 uses auto; "
                        "MinIO usually us-east-1).")
    if not _REGION.match(region):
        raise SyncError("The region looks wrong: it is a short name like eu-west-1 or auto.")
    access_key = (access_key or "").strip()
    if not access_key:
        raise SyncError("Type the access key ID.")
    if not _ACCESS_KEY.match(access_key):
        raise SyncError("The access key ID looks wrong: it has no spaces, like AKIAIOSFODNN7EXAMPLE.")
    secret_key = secret_key or ""
    if not secret_key.strip():
        raise SyncError("Type the secret access key.")
    if secret_key != secret_key.strip() or any(c.isspace() for c in secret_key):
        raise SyncError("The secret access key has a space in it: copy it again without spaces.")
    session_token = "".join((session_token or "").split())  # a long token often wraps when copied
    if session_token and not _SESSION_TOKEN.match(session_token):
        raise SyncError("The session token looks wrong: copy it again whole (it is long, with letters, digits "
                        "and + / =). Leave it empty for a lasting key pair.")
    return endpoint, S3Credentials(access_key=access_key, secret_key=secret_key, region=region,
                                   session_token=session_token or None)


def to_setting(creds: S3Credentials) -> dict:
    """The stored form (a device-only setting, sealed by the lock)."""
    value = {"access_key": creds.access_key, "secret_key": creds.secret_key, "region": creds.region}
    if creds.session_token:
        value["session_token"] = creds.session_token
    return value


def from_setting(value: Any) -> S3Credentials | None:
    if not isinstance(value, dict):
        return None
    try:
        creds = S3Credentials(access_key=str(value["access_key"]), secret_key=str(value["secret_key"]),
                              region=str(value.get("region") or "us-east-1"),
                              session_token=str(value["session_token"]) if value.get("session_token") else None)
    except (KeyError, TypeError):
        return None
    return creds if creds.access_key and creds.secret_key else None


_CODES = {
    "SignatureDoesNotMatch": "The secret access key does not match the access key ID. Copy both again.",
    "InvalidAccessKeyId": "The bucket does not know this access key ID. Copy it again.",
    "AccessDenied": "This key is not allowed to use the circle's folder: check the key's policy.",
    "RequestTimeTooSkewed": "This tablet's clock is more than 15 minutes off: set the right time and try again.",
    "AuthorizationHeaderMalformed": "The region does not match the bucket's region.",
    "NoSuchBucket": "There is no bucket with this name at this address.",
    "PermanentRedirect": "The bucket is in another region or needs another address.",
    "InvalidBucketName": "The bucket name in the URL is not valid.",
    "ExpiredToken": "The temporary keys have expired: get new ones and type all three again.",
    "InvalidToken": "The session token does not belong to this access key ID: copy the key ID, secret and "
                    "session token again, from the same set.",
}


def error_code(body: Any) -> str:
    """The ``<Code>`` of an S3 error answer (XML), or ``""``. Read with a
    regular expression over the first 4 KB: no XML parser for error pages."""
    if not isinstance(body, (bytes, bytearray)):
        return ""
    match = re.search(rb"<Code>\s*([A-Za-z]{1,64})\s*</Code>", bytes(body[:4096]))
    return match.group(1).decode("ascii") if match else ""


_KEY_CODES = ("SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "RequestTimeTooSkewed",
              "ExpiredToken", "InvalidToken")


def key_problem(body: Any) -> str:
    """The plain sentence for a bucket's refusal of the keys or the clock (a
    sync run's error), or ``""`` when ``body`` is no such S3 error."""
    code = error_code(body)
    return _CODES[code] if code in _KEY_CODES else ""


def refusal_message(status: int, body: Any) -> str:
    """A plain sentence for a bucket's refusal (401/403/400/301/404 with an S3 error)."""
    code = error_code(body)
    if code in _CODES:
        return _CODES[code] + " Nothing was changed."
    return (f"The bucket refused access (HTTP {status}): check the bucket URL, region, access key ID and "
            f"secret access key. Nothing was changed.")

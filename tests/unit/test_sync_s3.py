"""S3 endpoints: the SigV4 signer against AWS's published examples (exact
signatures from the S3 API reference, "Signature Calculations for the
Authorization Header: Transferring Payload in a Single Chunk"), the
ListObjectsV2 parser (Hypothesis: every key round-trips, hostile XML is
refused), and the transport's conditional writes and listing."""

from __future__ import annotations

import asyncio
import hashlib
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings, strategies as st

from carelog.ports import Response, TransportError
from carelog.sync import s3

AWS = s3.S3Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
DATE = "20130524T000000Z"
HOST = "https://examplebucket.s3.amazonaws.com"


def _signature(headers: dict) -> str:
    return headers["authorization"].rsplit("Signature=", 1)[1]


def test_aws_example_get_object():
    out = s3.sign("GET", HOST + "/test.txt", {"range": "bytes=0-9"}, b"", AWS, amz_date=DATE)
    assert out["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")


def test_aws_example_put_object():
    body = b"Welcome to Amazon S3."
    assert hashlib.sha256(body).hexdigest() == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    out = s3.sign("PUT", HOST + "/test$file.text", {"Date": "Fri, 24 May 2013 00:00:00 GMT",
                                                     "x-amz-storage-class": "REDUCED_REDUNDANCY"},
                  body, AWS, amz_date=DATE)
    assert "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class," in out["authorization"]
    assert _signature(out) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"


def test_aws_example_get_bucket_lifecycle():
    out = s3.sign("GET", HOST + "/?lifecycle", {}, b"", AWS, amz_date=DATE)
    assert _signature(out) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"


def test_aws_example_list_objects():
    out = s3.sign("GET", HOST + "/?max-keys=2&prefix=J", {}, b"", AWS, amz_date=DATE)
    assert _signature(out) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"


def test_canonical_request_of_the_put_example_matches_the_docs():
    request, signed = s3.canonical_request(
        "PUT", HOST + "/test$file.text",
        {"date": "Fri, 24 May 2013 00:00:00 GMT", "host": "examplebucket.s3.amazonaws.com",
         "x-amz-content-sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
         "x-amz-date": DATE, "x-amz-storage-class": "REDUCED_REDUNDANCY"},
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
    assert request.split("\n")[:3] == ["PUT", "/test%24file.text", ""]
    assert signed == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class"


def test_a_changed_byte_changes_the_signature_and_the_secret_never_shows():
    a = s3.sign("PUT", HOST + "/x", {}, b"one", AWS, amz_date=DATE)
    b = s3.sign("PUT", HOST + "/x", {}, b"onf", AWS, amz_date=DATE)
    assert _signature(a) != _signature(b)
    assert AWS.secret_key not in repr(AWS) and AWS.secret_key not in str(a)
    with pytest.raises(s3.S3Error):
        s3.sign("GET", HOST + "/x", {}, b"", s3.S3Credentials("", "", ""), amz_date=DATE)


# --- ListObjectsV2 ---------------------------------------------------------------

def _listing_xml(keys, prefixes, truncated=False, token=None) -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>']
    parts += [f"<Contents><Key>{escape(k)}</Key><Size>1</Size></Contents>" for k in keys]
    parts += [f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in prefixes]
    parts.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
    if token:
        parts.append(f"<NextContinuationToken>{escape(token)}</NextContinuationToken>")
    parts.append("</ListBucketResult>")
    return "".join(parts).encode("utf-8")


XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda t: t.strip() == t and t)


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(XML_TEXT, max_size=20), prefixes=st.lists(XML_TEXT, max_size=5),
       truncated=st.booleans(), token=st.none() | XML_TEXT)
def test_listing_round_trips_every_key(keys, prefixes, truncated, token):
    listing = s3.parse_list_objects_v2(_listing_xml(keys, prefixes, truncated, token))
    assert list(listing.keys) == keys and list(listing.prefixes) == prefixes
    assert listing.truncated == truncated and listing.next_token == token


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8")))
def test_any_bytes_give_a_listing_or_a_plain_error(body):
    try:
        listing = s3.parse_list_objects_v2(body)
    except s3.S3Error:
        return
    assert all(isinstance(k, str) for k in listing.keys)


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b'<ListBucketResult><Contents><Key>&b;</Key></Contents></ListBucketResult>',
    b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><ListBucketResult/>',
    b"<Error><Code>AccessDenied</Code></Error>",
    b"<ListBucketResult><Contents><Key>a</Key>",
    b"x" * (s3.MAX_LISTING_BYTES + 1),
])
def test_hostile_or_wrong_listings_are_refused(body):
    with pytest.raises(s3.S3Error):
        s3.parse_list_objects_v2(body)


def test_names_in_folder_like_a_folder_listing():
    listing = s3.parse_list_objects_v2(_listing_xml(["c/devices.json", "c/circle.json"],
                                                    ["c/devices/", "c/other/"]))
    assert s3.names_in_folder(listing, "c/") == ["circle.json", "devices", "devices.json", "other"]


# --- the transport ---------------------------------------------------------------

class FakeBucket:
    """Answers like S3 for what the transport sends (and records it)."""

    def __init__(self):
        self.objects: dict[str, bytes] = {}
        self.sent: list[tuple[str, str, dict]] = []

    async def __call__(self, method, url, headers, body):
        self.sent.append((method, url, headers))
        assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/")
        path = url.split("amazonaws.com/", 1)[1]
        if method == "PUT":
            if headers.get("if-none-match") == "*" and path in self.objects:
                return Response(412)
            self.objects[path] = body
            return Response(200, b"", '"etag"')
        if path.startswith("?list-type=2"):
            from urllib.parse import parse_qs  # noqa: PLC0415
            prefix = parse_qs(path[1:])["prefix"][0]
            keys = [k for k in self.objects if k.startswith(prefix)]
            subs = sorted({prefix + k[len(prefix):].split("/")[0] + "/" for k in keys if "/" in k[len(prefix):]})
            return Response(200, _listing_xml([k for k in keys if "/" not in k[len(prefix):]], subs))
        return Response(200, self.objects[path]) if path in self.objects else Response(404)


def test_transport_signs_refuses_overwrites_and_lists():
    async def scenario():
        bucket = FakeBucket()
        t = s3.S3Transport(bucket, AWS, now=lambda: DATE)
        url = HOST + "/circles/c1/devices/dev-a/seg-000001.json"
        assert (await t.put(url, b"{}")).status == 200
        assert bucket.sent[-1][2]["if-none-match"] == "*"
        assert (await t.put(url, b'{"other":1}')).status == 412  # the bucket refuses an overwrite
        assert bucket.objects["circles/c1/devices/dev-a/seg-000001.json"] == b"{}"
        await t.put(HOST + "/circles/c1/devices/dev-a/index.json", b"{}", if_match='"e1"')
        assert bucket.sent[-1][2]["if-match"] == '"e1"' and "if-none-match" not in bucket.sent[-1][2]
        await t.put(HOST + "/circles/c1/circle.json", b"{}")
        assert await t.list(HOST + "/circles/c1/devices/") == ["dev-a"]
        assert await t.list(HOST + "/circles/c1/") == ["circle.json", "devices"]
        assert (await t.get(url)).body == b"{}"
    asyncio.run(scenario())


def test_transport_listing_refused_or_broken():
    async def scenario():
        async def denied(method, url, headers, body):
            return Response(403, b"<Error><Code>AccessDenied</Code></Error>")

        async def broken(method, url, headers, body):
            return Response(200, b"<ListBucketResult><Contents>")

        assert await s3.S3Transport(denied, AWS, lambda: DATE).list(HOST + "/c/devices/") is None
        with pytest.raises(TransportError):
            await s3.S3Transport(broken, AWS, lambda: DATE).list(HOST + "/c/devices/")
    asyncio.run(scenario())

"""S3 in the app: what a caregiver types is checked in plain words; the key
pair is kept as a device setting and used through the S3 transport factory; a
bucket's refusal is a plain sentence and saves nothing; a new segment refused
with 412 counts as sent only when the bucket holds the same bytes."""

from __future__ import annotations

import pytest

from carelog.adapters.memory import MemoryEntryStore, MemorySettings
from carelog.adapters.memory_transport import MemoryHost, MemoryTransport
from carelog.bootstrap import build_for_tests
from carelog.ports import Response
from carelog.sync import s3_settings
from carelog.sync.engine import SyncError
from carelog.sync.s3 import S3Credentials, sign
from carelog.sync.service import KeyStore, SyncService

from test_sync_helpers import Device, new_circle, run

GOOD = ("https://s3.eu-west-1.amazonaws.com/care-circles/mum/", "", "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def test_good_settings_path_style_and_virtual_hosted():
    endpoint, creds = s3_settings.check_s3_settings(*GOOD)
    assert endpoint == GOOD[0] and creds.region == "eu-west-1" and creds.access_key == GOOD[2]
    assert GOOD[3] not in repr(creds)
    endpoint, creds = s3_settings.check_s3_settings("https://care-circles.s3.us-west-2.amazonaws.com/mum",
                                                    "", GOOD[2], GOOD[3])
    assert endpoint.endswith("/mum/") and creds.region == "us-west-2"
    endpoint, creds = s3_settings.check_s3_settings("https://acc.r2.cloudflarestorage.com/bucket/c/", "auto",
                                                    GOOD[2], GOOD[3])
    assert creds.region == "auto"
    endpoint, _ = s3_settings.check_s3_settings("http://127.0.0.1:9000/bucket/c/", "us-east-1", GOOD[2], GOOD[3])
    assert endpoint == "http://127.0.0.1:9000/bucket/c/"


@pytest.mark.parametrize("typed, message", [
    (("", "", GOOD[2], GOOD[3]), "Type the bucket URL"),
    (("ftp://x/bucket/", "", GOOD[2], GOOD[3]), "must start with https://"),
    (("http://files.example/bucket/c/", "eu-west-1", GOOD[2], GOOD[3]), "must start with https://"),
    (("https://minio.example:9000/", "us-east-1", GOOD[2], GOOD[3]), "Add the bucket's name"),
    (("https://minio.example/bucket/c/", "", GOOD[2], GOOD[3]), "Type the bucket's region"),
    (("https://minio.example/bucket/c/", "Europe West", GOOD[2], GOOD[3]), "The region looks wrong"),
    ((GOOD[0], "", "", GOOD[3]), "Type the access key ID."),
    ((GOOD[0], "", "AKIA IOSF", GOOD[3]), "The access key ID looks wrong"),
    ((GOOD[0], "", GOOD[2], "  "), "Type the secret access key."),
    ((GOOD[0], "", GOOD[2], GOOD[3] + " "), "has a space in it"),
    (("https://s3.eu-west-1.amazonaws.com/b/c/?x=1", "", GOOD[2], GOOD[3]), "no ? or #"),
    (("https://me:pw@s3.eu-west-1.amazonaws.com/b/c/", "", GOOD[2], GOOD[3]), "user name or password"),
])
def test_wrong_settings_are_named_in_plain_words(typed, message):
    with pytest.raises(SyncError) as raised:
        s3_settings.check_s3_settings(*typed)
    assert message in str(raised.value)


TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/+token=" * 12  # an STS session token's alphabet and length


def test_temporary_keys_carry_their_session_token():
    _, creds = s3_settings.check_s3_settings(*GOOD)
    assert creds.session_token is None and "session_token" not in s3_settings.to_setting(creds)
    # pasted with the line breaks a long token picks up in a chat or a notes app
    wrapped = TOKEN[:100] + "\n" + TOKEN[100:200] + " \r\n" + TOKEN[200:]
    _, creds = s3_settings.check_s3_settings(*GOOD, wrapped)
    assert creds.session_token == TOKEN and TOKEN not in repr(creds)
    stored = s3_settings.to_setting(creds)
    assert stored["session_token"] == TOKEN and s3_settings.from_setting(stored) == creds
    signed = sign("GET", GOOD[0], {}, None, creds, amz_date="20261124T050000Z")
    assert signed["x-amz-security-token"] == TOKEN
    assert "x-amz-security-token" in signed["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    for bad in ("short", TOKEN[:50] + "<script>" + TOKEN[50:], "\u00e9" * 40, "x" * 9000):
        with pytest.raises(SyncError) as raised:
            s3_settings.check_s3_settings(*GOOD, bad)
        assert "The session token looks wrong" in str(raised.value)


def test_refusals_in_plain_words():
    body = b'<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>x</Message></Error>'
    assert s3_settings.refusal_message(403, body).startswith("The secret access key does not match")
    assert "clock" in s3_settings.refusal_message(403, b"<Error><Code>RequestTimeTooSkewed</Code></Error>")
    assert "HTTP 403" in s3_settings.refusal_message(403, b"<html>nope</html>")
    assert "have expired" in s3_settings.refusal_message(400, b"<Error><Code>ExpiredToken</Code></Error>")
    assert "session token does not belong" in s3_settings.refusal_message(
        403, b"<Error><Code>InvalidToken</Code></Error>")
    assert s3_settings.error_code(None) == "" and s3_settings.error_code(b"\xff" * 10) == ""


def test_stored_form_round_trips_and_refuses_junk():
    creds = S3Credentials(GOOD[2], GOOD[3], "eu-west-1")
    assert s3_settings.from_setting(s3_settings.to_setting(creds)) == creds
    for junk in (None, "x", {}, {"access_key": "a"}, {"access_key": "", "secret_key": ""}):
        assert s3_settings.from_setting(junk) is None


class RefusingS3(MemoryTransport):
    """An S3 host twin that refuses every request with an S3 error body unless the secret is right
    (and every GET with ``host.refusal`` once that is set)."""

    def __init__(self, host: MemoryHost, creds: S3Credentials, secret: str):
        super().__init__(host)
        self.ok = creds.secret_key == secret

    async def get(self, url, etag=None):
        if getattr(self.host, "refusal", None) is not None:
            return self.host.refusal
        if not self.ok:
            return Response(403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>")
        resp = await super().get(url, etag)
        return Response(404, b"<Error><Code>NoSuchKey</Code></Error>") if resp.status == 404 else resp

    async def put(self, url, body, if_match=None):
        return Response(403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>") if not self.ok else \
            await super().put(url, body, if_match)


def test_service_keeps_the_key_pair_on_the_device_and_uses_the_s3_transport():
    async def scenario():
        host = MemoryHost.s3()
        made: list = []
        store, settings = MemoryEntryStore(), MemorySettings()
        log = build_for_tests(store=store, settings=settings)
        await log.start()

        def make_s3(creds):
            made.append(creds)
            return RefusingS3(host, creds, "right-secret")

        service = SyncService(log, feed=store, make_transport=lambda auth: pytest.fail("not the S3 transport"),
                              keys=KeyStore(), derive=None, random_bytes=lambda n: bytes(n),
                              make_s3_transport=make_s3)
        wrong = S3Credentials("AKIAEXAMPLE", "wrong-secret", "us-east-1")
        with pytest.raises(SyncError) as raised:
            await service.configure(host.url, create=True, s3=wrong)
        assert str(raised.value) == ("The secret access key does not match the access key ID. Copy both again. "
                                     "Nothing was changed.")
        assert service.config is None and await settings.get(s3_settings.S3_KEY) is None and host.files == {}
        right = S3Credentials("AKIAEXAMPLE", "right-secret", "us-east-1")
        assert await service.configure(host.url, create=True, s3=right) == "Circle created."
        assert await settings.get(s3_settings.S3_KEY) == s3_settings.to_setting(right)
        assert await settings.get("sync_authorization") is None
        again = SyncService(log, feed=store, make_transport=lambda auth: pytest.fail("not the S3 transport"),
                            keys=KeyStore(), derive=None, random_bytes=lambda n: bytes(n), make_s3_transport=make_s3)
        await again.load()
        assert again.s3 == right
        report = await again.sync_now()
        assert report.ok and made[-1] == right
        # the keys expire (temporary keys): the run says so in plain words and keeps the entries
        expired_body = b"<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>"
        host.refusal = Response(400, expired_body)  # every transport made from now on answers so
        report = await again.sync_now()
        assert not report.ok and any(
            e.startswith("The bucket refused") and "The temporary keys have expired" in e
            and "Change the keys in Sync settings." in e for e in report.errors), report.errors
        assert again.s3 == right and await settings.get(s3_settings.S3_KEY) == s3_settings.to_setting(right)
        await again.turn_off()
        assert await settings.get(s3_settings.S3_KEY) is None and again.s3 is None
    run(scenario())


class NoOverwrite(MemoryTransport):
    """A bucket's ``If-None-Match: *`` on new segments: an existing name answers 412.
    ``lose_first``: the first segment PUT is stored but its answer is lost."""

    def __init__(self, host: MemoryHost, lose_first: bool = False):
        super().__init__(host)
        self.lose_first = lose_first
        self.refused: list[str] = []

    async def put(self, url, body, if_match=None):
        from carelog.ports import TransportError

        path = url[len(self.host.url):]
        if "/seg-" in url and path in self.host.files:
            self.refused.append(path)
            return Response(412)
        resp = await super().put(url, body, if_match)
        if "/seg-" in url and self.lose_first:
            self.lose_first = False
            raise TransportError("connection reset")
        return resp


def test_a_segment_refused_with_412_counts_as_sent_only_with_the_same_bytes():
    async def scenario():
        host = MemoryHost.s3()
        await new_circle(host)
        a, b = Device("a", host), Device("b", host)
        a.transport = NoOverwrite(host, lose_first=True)
        await a.create("one")
        first = await a.sync()
        # no answer: the engine asks again within the run (is the host read-only?); the bucket
        # refuses the same name (412); read back, it holds these very bytes: sent
        assert first.pushed == 1 and first.pending == 0 and a.transport.refused == [f"devices/{a.id}/seg-000001.json"]
        assert any("No answer" in e for e in first.errors)
        second = await a.sync()
        assert second.ok and second.pushed == 0
        assert (await b.sync()).pulled == 1

        taken = f"devices/{a.id}/seg-000002.json"
        host.store(taken, b'{"not":"ours"}')  # another writer under this device's id
        await a.create("two")
        third = await a.sync()
        assert not third.ok and any("Another device is writing" in e for e in third.errors)
        assert host.files[taken] == b'{"not":"ours"}' and third.pending == 1
        assert len(await a.ids()) == 2       # nothing local changed
    run(scenario())

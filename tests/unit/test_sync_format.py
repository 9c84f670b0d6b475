"""The sync file formats: round trips, and every malformed file from the endpoint
gives a SyncFormatError with a plain message, never another exception."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given, settings, strategies as st

from carelog.adapters.memory_transport import TestOnlyCipher
from carelog.domain.events import CREATE, Event
from carelog.sync import format as fmt
from carelog.sync.format import (Circle, Encryption, FileRef, Index, Invite, SegmentRef, SnapshotRef,
                                 SyncFormatError)

FUZZ = settings(max_examples=150, deadline=None)


def _event(i: int, text: str = "t") -> Event:
    return Event(id=f"e{i}", recipient="r1", kind="note", entry=f"e{i}", op=CREATE, revises=(),
                 at=1_700_000_000_000 + i, payload={"text": text}, author="Ann", device="d1",
                 hlc=f"{1_700_000_000_000 + i:013d}-000000-d1")


def _seg(n: int, count: int = 1) -> SegmentRef:
    return SegmentRef(count=count, sha256="a" * 64, size=100, n=n)


def _index(**kw) -> Index:
    values = dict(device="d1", base=0, segments=(_seg(1), _seg(2)), snapshot=None, peers=("d2",))
    values.update(kw)
    return Index(**values)


def _check_envelope() -> dict:
    cipher = TestOnlyCipher(bytes(32))
    return fmt.envelope_object(cipher.alg, 12, asyncio.run(cipher.encrypt(fmt.KEY_CHECK_TEXT)))


ENCRYPTION = Encryption(alg="AES-GCM-256", kdf=fmt.KDF_PBKDF2, iterations=600_000, salt=b"s" * 16,
                        check={"v": 1, "alg": "AES-GCM-256", "iv": "AAAAAAAAAAAAAAAA", "ct": "A" * 24})

# Every decoder, with the arguments a reader passes.
DECODERS = {
    "segment": lambda b: fmt.decode_segment(b, circle="c1", device="d1", n=1),
    "snapshot": lambda b: fmt.decode_snapshot_part(b, circle="c1", device="d1", snap=1, part=1),
    "index": lambda b: fmt.decode_index(b, circle="c1", device="d1"),
    "circle": fmt.decode_circle,
    "registry": lambda b: fmt.decode_registry(b, circle="c1"),
    "autoindex": fmt.parse_autoindex,
    "envelope": lambda b: fmt.decode_envelope(b, "AES-GCM-256", 12, "a file"),
}
VALID = {
    "segment": fmt.encode_segment("c1", "d1", 1, [_event(1), _event(2, "ünï <script>")]),
    "snapshot": fmt.encode_snapshot_part("c1", "d1", 1, 1, [_event(1)]),
    "index": fmt.encode_index("c1", _index(snapshot=SnapshotRef("d1", 1, {"d1": 0, "d2": 3},
                                                                (FileRef(5, "b" * 64, 10),)))),
    "circle": fmt.encode_circle(Circle("c1", ENCRYPTION)),
    "registry": fmt.encode_registry("c1", ["d1", "d2"]),
    "autoindex": b'[{"name":"d1","type":"directory","mtime":"x"}]',
    "envelope": fmt.encode_envelope("AES-GCM-256", 12, bytes(12) + bytes(30)),
}


# --- round trips -------------------------------------------------------------

def test_valid_files_decode():
    for name, decode in DECODERS.items():
        decode(VALID[name])


def test_segment_round_trip_is_canonical():
    events = [_event(i) for i in range(5)]
    body = fmt.encode_segment("c1", "d1", 7, events)
    assert fmt.decode_segment(body, circle="c1", device="d1", n=7) == events
    assert body == fmt.encode_segment("c1", "d1", 7, events)  # same data, same bytes


def test_index_round_trip():
    snap = SnapshotRef("d1", 2, {"d1": 1, "d2": 4}, (FileRef(3, "c" * 64, 99), FileRef(1, "d" * 64, 9)))
    index = _index(base=1, segments=(_seg(2), _seg(3)), snapshot=snap)
    back = fmt.decode_index(fmt.encode_index("c1", index), circle="c1", device="d1")
    assert back == index and back.latest == 3 and back.snapshot.events == 4


def test_circle_and_registry_round_trip():
    assert fmt.decode_circle(fmt.encode_circle(Circle("c1"))) == Circle("c1")
    assert fmt.decode_circle(fmt.encode_circle(Circle("c1", ENCRYPTION))).encryption.salt == b"s" * 16
    assert fmt.decode_registry(fmt.encode_registry("c1", ["b", "a", "a"]), circle="c1") == ["a", "b"]


def test_invite_round_trip_and_fragment_form():
    invite = Invite("https://files.example.org/care", "circle-9", bytes(range(32)))
    text = fmt.encode_invite(invite)
    back = fmt.decode_invite("#" + text)
    assert back == Invite("https://files.example.org/care/", "circle-9", bytes(range(32)))
    assert fmt.decode_invite(fmt.encode_invite(Invite("http://h/x/", "c"))).key is None
    assert "/" not in text and "+" not in text  # URL-safe


@pytest.mark.parametrize("url", ["ftp://h/x/", "https://user:pw@h/x/", "https://h/x/?a=1", "https://h/x/#f",
                                 "", None, "h/x", "javascript:alert(1)", "https://" + "a" * 3000])
def test_bad_endpoints_are_refused(url):
    with pytest.raises(SyncFormatError):
        fmt.normalize_endpoint(url)


@pytest.mark.parametrize("fragment", ["", "join=", "join=!!!", "join=e30", "#other=1", 5, None,
                                      "join=" + "A" * 9000])
def test_bad_invites_are_refused(fragment):
    with pytest.raises(SyncFormatError):
        fmt.decode_invite(fragment)


def test_ids_are_safe_path_segments():
    for good in ("d1", "3f2c-9a_b", "A" * 100):
        assert fmt.is_valid_id(good)
    for bad in ("", "..", "../x", "a/b", "a b", "-x", "é", "a%2f", "A" * 101, None, 5):
        assert not fmt.is_valid_id(bad)
    with pytest.raises(SyncFormatError):
        fmt.device_folder("https://h/", "../etc")


# --- refusals with plain messages ---------------------------------------------

def _seg_body(**changes) -> bytes:
    value = json.loads(VALID["segment"])
    value.update(changes)
    return json.dumps(value).encode()


@pytest.mark.parametrize("body, words", [
    (b"", "not JSON"), (b"<html>502 Bad Gateway</html>", "not JSON"), (b"\xff\xfe\x00", "not text"),
    (b"[" * 100_000, "not JSON"), (b'{"a": NaN}', "not JSON"), (b"1" * 5000, "not JSON"),
    (b"[]", "not a carelog file"), (_seg_body(format="carelog-index"), "expected kind"),
    (_seg_body(v=2), "newer carelog"), (_seg_body(v="1"), "format version"),
    (_seg_body(circle="c2"), "another circle"), (_seg_body(device="d2"), "another device"),
    (_seg_body(n=2), "not the file its name says"), (_seg_body(events={}), "no list of events"),
    (_seg_body(events=[{"id": "x"}]), "cannot read"), (_seg_body(events=[_event(1).to_record() | {"v": 9}]), "newer"),
    (fmt.encode_envelope("AES-GCM-256", 12, bytes(40)), "encrypted"),
])
def test_bad_segments_are_refused_plainly(body, words):
    with pytest.raises(SyncFormatError, match=words) as caught:
        fmt.decode_segment(body, circle="c1", device="d1", n=1)
    assert "segment 1 of device d1" in str(caught.value)


def _index_body(**changes) -> bytes:
    value = json.loads(fmt.encode_index("c1", _index()))
    value.update(changes)
    return json.dumps(value).encode()


@pytest.mark.parametrize("changes, words", [
    ({"segments": [{"n": 1, "count": 1, "sha256": "a" * 64, "bytes": 1},
                   {"n": 3, "count": 1, "sha256": "a" * 64, "bytes": 1}]}, "gap"),
    ({"segments": [{"n": 2, "count": 1, "sha256": "a" * 64, "bytes": 1}]}, "gap"),
    ({"segments": [{"n": True, "count": 1, "sha256": "a" * 64, "bytes": 1}]}, "gap"),
    ({"segments": [{"n": 1, "count": 1, "sha256": "A" * 64, "bytes": 1}]}, "checksum"),
    ({"segments": [{"n": 1, "count": -1, "sha256": "a" * 64, "bytes": 1}]}, "event count"),
    ({"segments": [{"n": 1, "count": 1, "sha256": "a" * 64, "bytes": 0}]}, "file size"),
    ({"segments": "all"}, "list of segments"), ({"base": 2, "segments": []}, "no snapshot covers"),
    ({"base": -1}, "base"), ({"peers": ["../x"]}, "other devices"), ({"peers": "d2"}, "other devices"),
    ({"snapshot": {"n": 1, "covers": {"../x": 1}, "parts": [{"count": 1, "sha256": "a" * 64, "bytes": 1}]}},
     "invalid device"),
    ({"snapshot": {"n": 1, "covers": {}, "parts": []}}, "parts"), ({"snapshot": []}, "snapshot badly"),
    ({"device": "d9"}, "another device"), ({"circle": "zz"}, "another circle"),
])
def test_bad_indexes_are_refused_plainly(changes, words):
    with pytest.raises(SyncFormatError, match=words):
        fmt.decode_index(_index_body(**changes), circle="c1", device="d1")


@pytest.mark.parametrize("changes, words", [
    ({"iterations": 100_000}, "weak key"), ({"iterations": 10**9}, "invalid key setting"),
    ({"kdf": "scrypt"}, "does not know"), ({"salt": "c2hvcnQ="}, "salt"), ({"salt": "%%%"}, "salt"),
    ({"alg": "aes gcm"}, "encryption method"), ({"check": None}, "key check"),
])
def test_weak_or_odd_circles_are_refused(changes, words):
    value = json.loads(fmt.encode_circle(Circle("c1", ENCRYPTION)))
    value["encryption"].update(changes)
    with pytest.raises(SyncFormatError, match=words):
        fmt.decode_circle(json.dumps(value).encode())


@pytest.mark.parametrize("value, words", [
    ({"v": 1, "alg": "OTHER-ALG", "iv": "AAAAAAAAAAAAAAAA", "ct": "A" * 24}, "OTHER-ALG"),
    ({"v": 2, "alg": "AES-GCM-256", "iv": "AAAAAAAAAAAAAAAA", "ct": "A" * 24}, "newer"),
    ({"v": 1, "alg": "AES-GCM-256", "iv": "AAAA", "ct": "A" * 24}, "IV"),
    ({"v": 1, "alg": "AES-GCM-256", "iv": "AAAAAAAAAAAAAAAA", "ct": "AAAA"}, "too short"),
    ({"v": 1, "alg": "AES-GCM-256", "iv": "AAAAAAAAAAAAAAAA", "ct": "not base64!"}, "ciphertext"),
    ({"format": "carelog-segment", "v": 1}, "not encrypted"),
])
def test_bad_envelopes_are_refused_plainly(value, words):
    with pytest.raises(SyncFormatError, match=words):
        fmt.decode_envelope(json.dumps(value).encode(), "AES-GCM-256", 12, "a file")


# --- fuzz: nothing but SyncFormatError escapes ---------------------------------

def _decode_all(body: bytes) -> None:
    for decode in DECODERS.values():
        try:
            decode(body)
        except SyncFormatError as error:
            assert str(error) and "Traceback" not in str(error)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_format_errors(body):
    _decode_all(body)


@FUZZ
@given(json_values)
def test_random_json_only_raises_format_errors(value):
    _decode_all(json.dumps(value).encode())


@FUZZ
@given(st.sampled_from(sorted(VALID)), st.data())
def test_mutated_valid_files_only_raise_format_errors(name, data):
    """Replace one field of a valid file with any JSON value, or cut it anywhere."""
    body = VALID[name]
    if data.draw(st.booleans()):
        cut = data.draw(st.integers(0, len(body)))
        _decode_all(body[:cut])
        return
    value = json.loads(body)
    target = value[0] if isinstance(value, list) else value
    key = data.draw(st.sampled_from(sorted(target)))
    target[key] = data.draw(json_values)
    _decode_all(json.dumps(value).encode())


@FUZZ
@given(st.text(max_size=200))
def test_random_invites_and_endpoints_only_raise_format_errors(text):
    for parse in (fmt.decode_invite, fmt.normalize_endpoint):
        try:
            parse(text)
        except SyncFormatError:
            pass

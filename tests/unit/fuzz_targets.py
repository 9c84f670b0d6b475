"""Every parser of outside data, as a fuzz target: a Hypothesis strategy for
hostile input and a function that feeds one input through the app's real path
and checks the rules:

- no exception escapes but the parser's own plain-language error type;
- on refusal, nothing stored changes (an in-memory store is compared before/after);
- on acceptance, the result is well formed.

Used by ``test_fuzz_outside_data.py`` (a few hundred cases each) and
``tests/soak/fuzz_soak.py`` (5,000+ each, with counts):

    strategy, run = TARGETS["backup-bytes"]
    outcome = run(value)        # "accepted" or "refused"; AssertionError on a broken rule
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import functools
import hashlib
import json
from typing import Any, Callable

from hypothesis import strategies as st

from carelog.adapters.memory import RandomIds
from carelog.bootstrap import build_for_tests
from carelog.cli import AesGcmCipher
from carelog.domain.events import Event
from carelog.interop import backup
from carelog.interop.fhir_import import FhirImportError, events_for, preview_import
from carelog.sync import format as fmt
from carelog.sync.format import Circle, Encryption, FileRef, Index, SegmentRef, SyncFormatError
from carelog.ui.controller import Controller

PASSPHRASE = "fuzzing the backup format"
SALT = bytes(range(16))
TODAY = _dt.date(2026, 11, 23)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)


# --- a device with some data ---------------------------------------------------------------

async def _fast_derive(passphrase: str, salt: bytes, iterations: int):
    """The sample file's real key for its own settings; any other settings get a
    key made by one SHA-256 (so a fuzzed salt costs no PBKDF2 run). The envelope
    code under test is the same; only the key stretching is skipped."""
    if passphrase == PASSPHRASE and bytes(salt) == SALT and iterations == backup.ITERATIONS:
        return _sample_key()
    return AesGcmCipher(hashlib.sha256(passphrase.encode("utf-8", "surrogatepass") + bytes(salt)
                                       + str(iterations).encode()).digest())


@functools.lru_cache(maxsize=1)
def _sample_key() -> AesGcmCipher:
    return AesGcmCipher.from_passphrase(PASSPHRASE, SALT, backup.ITERATIONS)


async def _device() -> Controller:
    c = Controller(build_for_tests(ids=RandomIds()))
    c.safety.derive = _fast_derive
    c.safety.random_bytes = lambda n: SALT[:n]
    await c.start()
    await c.submit("caregiver", {"name": "Ann"})
    await c.submit("recipient", {"name": "Mum"})
    await c.submit("log:note", {"text": "Already here"})
    await c.submit("log:symptom", {"name": "Cough", "severity": "3"})
    return c


def _snapshot(c: Controller) -> list[str]:
    return sorted(json.dumps(e.to_record(), sort_keys=True) for e in c.log.store._events.values())


@functools.lru_cache(maxsize=1)
def _sample() -> tuple[bytes, tuple[str, ...]]:
    async def go():
        c = await _device()
        _, data = await c.safety.export_backup(PASSPHRASE, PASSPHRASE)
        return data, tuple(_snapshot(c))
    return asyncio.run(go())


def _inside_sample() -> dict:
    data, _ = _sample()
    return json.loads(asyncio.run(_sample_key().decrypt(backup.parse_envelope(data).sealed)))


# --- backup ------------------------------------------------------------------------------

def _restore(data: Any) -> str:
    async def go():
        c = await _device()
        before = _snapshot(c)
        added = await c.safety.restore_backup(data, PASSPHRASE)
        after = _snapshot(c)
        if added is None:
            problem = c.state.safety.restore_problem
            assert problem and "Nothing" in problem and "Traceback" not in problem, problem
            assert after == before, "a refused backup changed stored data"
            return "refused"
        assert set(before) <= set(after) and len(after) == len(before) + added
        return "accepted"
    return asyncio.run(go())


@st.composite
def mutated_envelopes(draw) -> bytes:
    data, _ = _sample()
    if draw(st.booleans()):
        return data[:draw(st.integers(0, len(data)))]
    value = json.loads(data)
    path = draw(st.sampled_from([("format",), ("version",), ("kdf",), ("kdf", "name"), ("kdf", "iterations"),
                                 ("kdf", "salt"), ("cipher",), ("data",)]))
    target = value
    for key in path[:-1]:
        target = target[key]
    if draw(st.booleans()):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = draw(json_values | st.binary(max_size=40).map(lambda b: fmt.b64encode(b)))
    return json.dumps(value).encode()


@st.composite
def sealed_insides(draw) -> bytes:
    """A correctly encrypted file whose inside is anything: random JSON, or the
    real inside with one part replaced (a record, a field of a record...)."""
    inside = _inside_sample()
    choice = draw(st.integers(0, 3))
    if choice == 0:
        plain = json.dumps(draw(json_values)).encode()
    elif choice == 1:
        plain = json.dumps(inside).encode()[:draw(st.integers(0, 400))]
    elif choice == 2:
        key = draw(st.sampled_from(sorted(inside)))
        inside[key] = draw(json_values)
        plain = json.dumps(inside).encode()
    else:
        record = inside["events"][draw(st.integers(0, len(inside["events"]) - 1))]
        field = draw(st.sampled_from(sorted(record)))
        record[field] = draw(json_values)
        plain = json.dumps(inside).encode()
    sealed = asyncio.run(_sample_key().encrypt(plain))
    return backup.encode_envelope(SALT, backup.ITERATIONS, sealed)


# --- transition-of-care import (FHIR) -----------------------------------------------------------

def _fhir(data: Any) -> str:
    async def go():
        c = await _device()
        before = _snapshot(c)
        try:
            preview = preview_import(data, today=TODAY, timezone="Europe/London")
        except FhirImportError as error:
            assert str(error)
            assert _snapshot(c) == before
            return "refused"
        log = c.log
        events = events_for(preview, recipient=c.state.recipient.id, author=log.caregiver, device=log.device_id,
                            new_id=log.ids.new_id, stamp=lambda: log._hlc.now().encode(), at=log.clock.now_ms())
        for event in events:
            assert Event.from_record(json.loads(json.dumps(event.to_record()))) == event
        await log.store.put_events(events)
        return "accepted"
    return asyncio.run(go())


# --- sync files ---------------------------------------------------------------------------------

def _event(n: int, text: str = "x") -> Event:
    return Event.create(id=f"e{n}", recipient="r1", kind="note", at=n, payload={"text": text}, author="Ann",
                        device="d1", hlc=f"{n:013d}-000000-d1")


SYNC_DECODERS: dict[str, Callable[[bytes], Any]] = {
    "segment": lambda b: fmt.decode_segment(b, circle="c1", device="d1", n=1),
    "snapshot": lambda b: fmt.decode_snapshot_part(b, circle="c1", device="d1", snap=1, part=1),
    "index": lambda b: fmt.decode_index(b, circle="c1", device="d1"),
    "circle": fmt.decode_circle,
    "registry": lambda b: fmt.decode_registry(b, circle="c1"),
    "autoindex": fmt.parse_autoindex,
    "envelope": lambda b: fmt.decode_envelope(b, "AES-GCM-256", 12, "a file"),
    "invite": lambda b: fmt.decode_invite(b.decode("utf-8", "replace")),
}
SYNC_VALID = {
    "segment": fmt.encode_segment("c1", "d1", 1, [_event(1), _event(2, "ünï <script>")]),
    "snapshot": fmt.encode_snapshot_part("c1", "d1", 1, 1, [_event(1)]),
    "index": fmt.encode_index("c1", Index(device="d1", base=0, segments=(SegmentRef(count=1, sha256="a" * 64, size=10, n=1),),
                                          snapshot=None, peers=("d2",))),
    "circle": fmt.encode_circle(Circle("c1", Encryption(
        alg="AES-GCM-256", kdf=fmt.KDF_PBKDF2, iterations=600_000, salt=b"s" * 16,
        check={"v": 1, "alg": "AES-GCM-256", "iv": "AAAAAAAAAAAAAAAA", "ct": "A" * 24}))),
    "registry": fmt.encode_registry("c1", ["d1", "d2"]),
    "autoindex": b'[{"name":"d1","type":"directory","mtime":"x"}]',
    "envelope": fmt.encode_envelope("AES-GCM-256", 12, bytes(12) + bytes(30)),
}


def _sync(body: bytes) -> str:
    outcomes = []
    for name, decode in SYNC_DECODERS.items():
        try:
            decode(body)
            outcomes.append("accepted")
        except SyncFormatError as error:
            assert str(error) and "Traceback" not in str(error), name
            outcomes.append("refused")
    return "accepted" if "accepted" in outcomes else "refused"


@st.composite
def mutated_sync_files(draw) -> bytes:
    body = SYNC_VALID[draw(st.sampled_from(sorted(SYNC_VALID)))]
    if draw(st.booleans()):
        return body[:draw(st.integers(0, len(body)))]
    value = json.loads(body)
    target = value[0] if isinstance(value, list) else value
    target[draw(st.sampled_from(sorted(target)))] = draw(json_values)
    return json.dumps(value).encode()


# --- forms ------------------------------------------------------------------------------------

FORMS = ["caregiver", "recipient", "log:note", "log:symptom", "log:medication", "log:vital", "log:unknown",
         "nonsense"]
FIELDS = ["name", "text", "severity", "dose", "unit", "route", "status", "reason", "note", "type", "value",
          "systolic", "diastolic", "at", "at_local", "birth_date"]
form_values = st.dictionaries(st.sampled_from(FIELDS),
                              st.one_of(st.text(max_size=30), st.sampled_from(["", "7", "-1", "1e400", "nan",
                                                                                "120", "mg", "oral", "given",
                                                                                "2026-13-45T25:61", "heart_rate"])),
                              max_size=8)


def _form(args: tuple[str, dict]) -> str:
    name, values = args

    async def go():
        c = await _device()
        before = _snapshot(c)
        await c.submit(name, values)        # any exception but the handled ones fails the target
        after = _snapshot(c)
        if c.state.form_errors or c.state.form_problem:
            assert after == before, "a refused form changed stored data"
            assert all(isinstance(v, str) and v for v in c.state.form_errors.values())
            return "refused"
        assert len(after) >= len(before)
        return "accepted"
    return asyncio.run(go())


TARGETS: dict[str, tuple[Any, Callable[[Any], str]]] = {
    "backup-bytes": (st.binary(max_size=400), _restore),
    "backup-json": (json_values.map(lambda v: json.dumps(v).encode()), _restore),
    "backup-mutated-envelope": (mutated_envelopes(), _restore),
    "backup-sealed-inside": (sealed_insides(), _restore),
    "fhir-json": (json_values, _fhir),
    "fhir-bytes": (st.binary(max_size=300), _fhir),
    "sync-bytes": (st.binary(max_size=300), _sync),
    "sync-mutated": (mutated_sync_files(), _sync),
    "forms": (st.tuples(st.sampled_from(FORMS), form_values), _form),
}


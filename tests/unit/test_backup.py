"""Encrypted backups (``interop.backup``): the envelope, restore as a merge,
refusals that change nothing, and the command-line tool reading the same file.

The key derivation is the real one (PBKDF2-SHA256, 600,000 rounds) through the
``cryptography`` package's AES-GCM, as the command-line tool does it; the
browser does the same through WebCrypto (tests/browser/test_storage_screen.py).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from carelog.adapters.memory import RandomIds
from carelog.bootstrap import build_for_tests
from carelog.cli import AesGcmCipher
from carelog.interop import backup
from carelog.interop.backup import BackupError
from carelog.ui.controller import Controller
from carelog.ui.safety_controller import LAST_BACKUP_KEY

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "kettle lantern orchard"
SALT = bytes(range(16))


@functools.lru_cache(maxsize=16)
def _key(passphrase: str, salt: bytes, iterations: int) -> AesGcmCipher:
    return AesGcmCipher.from_passphrase(passphrase, salt, iterations)


async def derive(passphrase: str, salt: bytes, iterations: int):
    return _key(passphrase, bytes(salt), iterations)


async def controller_with_entries(texts=("Slept well", "Ate lunch")) -> Controller:
    c = Controller(build_for_tests(ids=RandomIds()))  # two tablets never share ids
    c.safety.derive = derive
    c.safety.random_bytes = lambda n: SALT[:n] if n == 16 else os.urandom(n)
    await c.start()
    await c.submit("caregiver", {"name": "Ann"})
    await c.submit("recipient", {"name": "Mum"})
    for text in texts:
        await c.submit("log:note", {"text": text})
    return c


def records(c: Controller) -> list[dict]:
    return sorted((e.to_record() for e in c.log.store._events.values()), key=lambda r: r["id"])


@functools.lru_cache(maxsize=1)
def sample_backup() -> tuple[bytes, tuple]:
    async def go():
        c = await controller_with_entries()
        name, data = await c.safety.export_backup(PASSPHRASE, PASSPHRASE)
        return data, tuple(json.dumps(r, sort_keys=True) for r in records(c))
    return asyncio.run(go())


def test_the_envelope_is_marked_versioned_and_hides_the_entries():
    data, _ = sample_backup()
    outside = json.loads(data)
    assert outside["format"] == "carelog-backup" and outside["version"] == 1
    assert outside["kdf"] == {"name": "PBKDF2-SHA256", "iterations": 600_000,
                              "salt": base64.b64encode(SALT).decode()}
    assert outside["cipher"] == "AES-GCM-256"
    assert b"Slept well" not in data and b"Mum" not in data and b"Ann" not in data
    assert set(outside) == {"format", "version", "kdf", "cipher", "data"}


def test_fresh_iv_every_time():
    async def go():
        cipher = await derive(PASSPHRASE, SALT, 600_000)
        a = await backup.seal([], PASSPHRASE, derive=derive, salt=SALT, created_ms=1, device="d")
        b = await backup.seal([], PASSPHRASE, derive=derive, salt=SALT, created_ms=1, device="d")
        sa, sb = backup.parse_envelope(a).sealed, backup.parse_envelope(b).sealed
        assert sa[:12] != sb[:12] and sa != sb
        assert await cipher.decrypt(sa) == await cipher.decrypt(sb)
    asyncio.run(go())


def test_restore_on_a_new_device_brings_everything_back_and_twice_changes_nothing():
    data, original = sample_backup()

    async def go():
        c = await controller_with_entries(texts=())  # a new tablet with its own person
        before = records(c)
        added = await c.safety.restore_backup(data, PASSPHRASE)
        assert added == len(original)
        assert c.state.toast.message == f"Backup restored: {added} new entries added."
        after = records(c)
        assert {json.dumps(r, sort_keys=True) for r in after} == set(original) | {
            json.dumps(r, sort_keys=True) for r in before}
        names = sorted(r.payload["name"] for r in c.state.recipients)
        assert names == ["Mum", "Mum"]  # two people: this tablet's and the restored one
        again = await c.safety.restore_backup(data, PASSPHRASE)
        assert again == 0 and records(c) == after
        assert c.state.toast.message.startswith("Nothing new")
        # the clock moved past the restored stamps: a new entry sorts after them
        restored_max = max(json.loads(r)["hlc"] for r in original)
        await c.submit("log:note", {"text": "after restore"})
        newest = max(c.log.store._events.values(), key=lambda e: e.hlc)
        assert newest.payload == {"text": "after restore"} and newest.hlc > restored_max
    asyncio.run(go())


def _refused(data, passphrase=PASSPHRASE) -> str:
    async def go():
        c = await controller_with_entries(texts=("Already here",))
        before = records(c)
        added = await c.safety.restore_backup(data, passphrase)
        assert added is None
        assert records(c) == before  # nothing stored changed
        return c.state.safety.restore_problem
    return asyncio.run(go())


def test_wrong_passphrase_is_refused_plainly():
    data, _ = sample_backup()
    problem = _refused(data, "not the passphrase")
    assert problem.startswith("The passphrase is wrong") and "Nothing was restored" in problem


@pytest.mark.parametrize("cut", [0, 1, 20, 100, -40, -3])
def test_a_truncated_file_is_refused(cut):
    data, _ = sample_backup()
    problem = _refused(data[:cut] if cut > 0 else data[:cut] + b"")
    assert "Nothing was restored" in problem
    assert any(word in problem for word in ("cut short", "not a carelog backup", "empty", "damaged",
                                           "passphrase is wrong"))


def _tampered(mutate) -> bytes:
    data, _ = sample_backup()
    value = json.loads(data)
    mutate(value)
    return json.dumps(value).encode()


def test_tampered_broken_or_foreign_files_are_refused():
    def flip(v):
        raw = bytearray(base64.b64decode(v["data"]))
        raw[20] ^= 1
        v["data"] = base64.b64encode(bytes(raw)).decode()
    cases = {
        "passphrase is wrong": _tampered(flip),                                          # tampered
        "newer version": _tampered(lambda v: v.update(version=2)),
        "encryption this version": _tampered(lambda v: v.update(cipher="ROT13")),
        "key settings": _tampered(lambda v: v["kdf"].update(iterations=1000)),
        "key settings ": _tampered(lambda v: v["kdf"].update(iterations=10**12)),
        "salt": _tampered(lambda v: v["kdf"].update(salt="***")),
        "not a carelog backup": b'{"resourceType": "Bundle", "entry": []}',              # foreign
        "not a carelog backup ": b"\x89PNG\r\n\x1a\n\x00\x00",
        "empty": b"   ",
        "not encrypted": b'{"format": "carelog-backup", "v": 1, "events": []}',     # a plain export
    }
    for expected, data in cases.items():
        problem = _refused(data)
        assert expected.strip() in problem, (expected, problem)
        assert "Nothing was restored" in problem


def test_inside_checks_refuse_damaged_or_newer_records():
    good = json.loads(backup.plaintext([], 5, "d"))
    with pytest.raises(BackupError, match="newer version"):
        backup.parse_contents(json.dumps({**good, "events": [{"v": 99}]}))
    with pytest.raises(BackupError, match="1 entries in this backup are damaged"):
        backup.parse_contents(json.dumps({**good, "events": [{"id": "x"}]}))
    with pytest.raises(BackupError, match="not carelog data"):
        backup.parse_contents(b'{"format": "carelog-backup"}')
    assert backup.parse_contents(backup.plaintext([], 5, "d")).events == []


def test_export_checks_the_passphrase_and_records_the_backup_time():
    async def go():
        c = await controller_with_entries()
        assert await c.safety.export_backup("short", "short") is None
        assert "at least 8 characters" in c.state.safety.backup_problem
        assert await c.safety.export_backup(PASSPHRASE, PASSPHRASE + "x") is None
        assert "not the same" in c.state.safety.backup_problem
        assert await c.log.settings.get(LAST_BACKUP_KEY) is None
        name, data = await c.safety.export_backup(PASSPHRASE, PASSPHRASE)
        assert name.startswith("carelog-") and name.endswith(".carelog-backup.json")
        assert c.state.safety.backup_problem == ""
        await c.safety.backup_taken()
        assert await c.log.settings.get(LAST_BACKUP_KEY) == c.log.clock.now_ms()
        opened = await backup.open_backup(data, PASSPHRASE, derive=derive)
        assert sorted(e.to_record()["id"] for e in opened.events) == [r["id"] for r in records(c)]
        assert opened.device == c.log.device_id
    asyncio.run(go())


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARELOG_")}
    env["PYTHONPATH"] = str(ROOT / "py")
    return subprocess.run([sys.executable, "-m", "carelog", *args], capture_output=True, env=env, timeout=120,
                          cwd=str(ROOT))


def test_the_command_line_tool_reads_an_encrypted_backup(tmp_path):
    data, original = sample_backup()
    path = tmp_path / "carelog-2026-11-23-2301.carelog-backup.json"
    path.write_bytes(data)
    listed = _cli(str(path), "--passphrase", PASSPHRASE, "--list")
    assert listed.returncode == 0, listed.stderr
    rid = next(json.loads(r)["id"] for r in original if json.loads(r)["kind"] == "recipient")
    assert listed.stdout.decode().strip() == f"{rid}\tMum"
    out = tmp_path / "mum.json"
    made = _cli(str(path), "--passphrase", PASSPHRASE, "--out", str(out))
    assert made.returncode == 0, made.stderr
    bundle = json.loads(out.read_text())
    assert bundle["resourceType"] == "Bundle"
    assert "Slept well" in out.read_text() and "Ate lunch" in out.read_text()
    wrong = _cli(str(path), "--passphrase", "nope nope nope", "--list")
    assert wrong.returncode == 1 and b"passphrase is wrong" in wrong.stderr
    missing = _cli(str(path), "--list")
    assert missing.returncode == 1 and b"give its passphrase" in missing.stderr

"""``python3 -m carelog`` run as a subprocess on care circles written by the pure
sync engine (two simulated devices over the in-memory host), copied to a folder
or served over http, plain and AES-GCM encrypted, and on a backup file."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_interop_helpers import RECIPIENT, rich_sample
from test_sync_helpers import SALT, Device, run, settle

from carelog.adapters.memory_transport import MemoryHost
from carelog.interop.fhir_export import export_bundle
from carelog.sync.engine import create_circle, sync_once

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"
ITERATIONS = 600_000


def carelog(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CARELOG_")}
    full_env["PYTHONPATH"] = str(ROOT / "py")
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "carelog", *args], capture_output=True, env=full_env,
                          timeout=timeout, cwd=str(ROOT))


def _cipher():
    from carelog.cli import AesGcmCipher
    return AesGcmCipher.from_passphrase(PASSPHRASE, SALT, ITERATIONS)


def write_circle(folder: Path, encrypted: bool, sample) -> MemoryHost:
    """Two devices sync the sample's events through the engine; the host's files go to ``folder``."""
    host = MemoryHost.webdav()
    cipher = _cipher() if encrypted else None
    run(create_circle(host.url, host.transport(), "circle-1", cipher, salt=SALT if encrypted else None,
                      iterations=ITERATIONS))
    devices = {}
    for name in ("a", "b"):
        device = Device(name, host)
        device.cipher = cipher
        devices[device.id] = device
    for event in sample.events:
        run(devices[event.device].put(event))
    run(settle(list(devices.values())))
    for path, body in host.files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return host


@pytest.fixture(scope="module")
def sample():
    return rich_sample()


@pytest.fixture(scope="module")
def plain_circle(tmp_path_factory, sample):
    folder = tmp_path_factory.mktemp("plain-circle")
    write_circle(folder, False, sample)
    return folder


@pytest.fixture(scope="module")
def secret_circle(tmp_path_factory, sample):
    folder = tmp_path_factory.mktemp("secret-circle")
    write_circle(folder, True, sample)
    return folder


def test_fhir_from_a_circle_folder(plain_circle, sample, tmp_path):
    out = tmp_path / "mary.json"
    result = carelog(str(plain_circle), "--format", "fhir", "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()
    assert b"FHIR resources for Mary O'Brien" in result.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == export_bundle(sample.events, RECIPIENT)


def test_csv_from_a_circle_folder(plain_circle, tmp_path):
    result = carelog(str(plain_circle), "--format", "csv", "--out", str(tmp_path / "csv"),
                     "--recipient", "Mary O'Brien")
    assert result.returncode == 0, result.stderr.decode()
    names = sorted(p.name for p in (tmp_path / "csv").iterdir())
    assert "vitals.csv" in names and "doses.csv" in names and len(names) == 9
    assert (tmp_path / "csv" / "vitals.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_encrypted_circle_with_the_passphrase(secret_circle, sample, tmp_path):
    files = [p for p in secret_circle.rglob("seg-*.json")]
    assert files and all(b"Metformin" not in p.read_bytes() for p in files)  # really encrypted
    assert all(json.loads(p.read_bytes())["alg"] == "AES-GCM-256" for p in files)
    key_file = tmp_path / "key.txt"
    key_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    out = tmp_path / "mary.json"
    result = carelog(str(secret_circle), "--passphrase-file", str(key_file), "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(out.read_text(encoding="utf-8")) == export_bundle(sample.events, RECIPIENT)
    by_env = carelog(str(secret_circle), "--list", env={"CARELOG_PASSPHRASE": PASSPHRASE})
    assert by_env.returncode == 0 and by_env.stdout.decode().startswith(RECIPIENT + "\t")


def test_encrypted_circle_without_or_with_a_wrong_passphrase(secret_circle, tmp_path):
    out = tmp_path / "x.json"
    missing = carelog(str(secret_circle), "--out", str(out))
    assert missing.returncode == 1 and b"encrypted: give its passphrase" in missing.stderr
    wrong = carelog(str(secret_circle), "--passphrase", "not it", "--out", str(out))
    assert wrong.returncode == 1 and b"passphrase does not open this circle" in wrong.stderr
    assert not out.exists()


def test_without_the_cryptography_package_the_message_says_what_to_install(secret_circle, tmp_path):
    blocker = tmp_path / "blocker" / "cryptography"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    result = carelog(str(secret_circle), "--passphrase", PASSPHRASE,
                     env={"PYTHONPATH": f"{tmp_path / 'blocker'}{os.pathsep}{ROOT / 'py'}"})
    assert result.returncode == 1
    assert b"pip install cryptography" in result.stderr
    assert b"Traceback" not in result.stderr


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(secret_circle):
    handler = functools.partial(_Quiet, directory=str(secret_circle))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_encrypted_circle_over_http(served, sample, tmp_path):
    """A plain static host: no JSON listing, so devices.json and gossip find the devices."""
    out = tmp_path / "mary.json"
    result = carelog(served, "--out", str(out), env={"CARELOG_PASSPHRASE": PASSPHRASE})
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(out.read_text(encoding="utf-8")) == export_bundle(sample.events, RECIPIENT)
    nothing = carelog(served + "nope/", "--out", str(out))
    assert nothing.returncode == 1 and b"No carelog circle was found" in nothing.stderr


def test_a_damaged_file_stops_the_export_unless_partial_is_allowed(plain_circle, tmp_path):
    damaged = tmp_path / "damaged"
    for path in plain_circle.rglob("*"):
        if path.is_file():
            target = damaged / path.relative_to(plain_circle)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    segment = damaged / "devices" / "dev-b" / "seg-000001.json"  # the second caregiver's entries
    segment.write_bytes(segment.read_bytes()[:40])
    out = tmp_path / "x.json"
    strict = carelog(str(damaged), "--out", str(out))
    assert strict.returncode == 1 and b"could not be read completely" in strict.stderr and not out.exists()
    partial = carelog(str(damaged), "--out", str(out), "--allow-partial")
    assert partial.returncode == 0 and b"warning" in partial.stderr and out.exists()


def test_a_backup_file_to_stdout_and_recipient_choice(tmp_path):
    events = rich_sample("rec-a").events + rich_sample("rec-b").events
    backup = tmp_path / "backup.json"
    backup.write_text(json.dumps({"format": "carelog-backup", "v": 1,
                                  "events": [e.to_record() for e in events] + [{"id": "bad"}]}))
    both = carelog(str(backup))
    assert both.returncode == 1 and b"more than one care recipient" in both.stderr and b"rec-b" in both.stderr
    one = carelog(str(backup), "--recipient", "rec-b")
    assert one.returncode == 0, one.stderr.decode()
    assert json.loads(one.stdout) == export_bundle(events, "rec-b")
    assert b"1 record(s)" in one.stderr
    listed = carelog(str(backup), "--list")
    assert listed.stdout.decode().splitlines() == ["rec-a\tMary O'Brien", "rec-b\tMary O'Brien"]
    assert carelog(str(backup), "--recipient", "Mary").returncode == 1  # two people of that name


@pytest.mark.parametrize("args, message", [
    (["/nowhere/at/all"], b"was not found"),
    (["{tmp}"], b"without a circle.json"),
    (["{tmp}/garbage.json"], b"not JSON"),
    (["{tmp}/garbage.json", "--format", "csv"], b"needs --out"),
    (["ftp://example.org/"], b"was not found"),
])
def test_plain_errors(tmp_path, args, message):
    (tmp_path / "garbage.json").write_bytes(b"<html>")
    result = carelog(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert b"Traceback" not in result.stderr


def test_usage_errors_exit_2():
    assert carelog("--format", "pdf", "x").returncode == 2


def test_the_reader_never_writes_to_the_circle(sample):
    """The CLI's transports refuse PUT, and the engine runs read-only."""
    from carelog.cli import FolderTransport, UrlTransport
    assert run(UrlTransport().put("http://127.0.0.1:9/x", b"")).status == 405
    assert run(FolderTransport(Path(".")).put("http://local-folder.invalid/circle/x", b"")).status == 405
    assert sync_once  # the engine is the app's own


class _NginxJsonListing(_Quiet):
    """Like nginx with ``autoindex_format json``: a folder GET answers a JSON list."""

    def list_directory(self, path):
        items = [{"name": name, "type": "directory" if os.path.isdir(os.path.join(path, name)) else "file"}
                 for name in sorted(os.listdir(path))]
        body = json.dumps(items).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None


def test_devices_are_found_through_a_json_folder_listing(plain_circle, sample, tmp_path):
    """Without devices.json, only the host's folder listing names the devices."""
    copy = tmp_path / "circle"
    for path in plain_circle.rglob("*"):
        if path.is_file() and path.name != "devices.json":
            target = copy / path.relative_to(plain_circle)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    for handler_class, works in ((_NginxJsonListing, True), (_Quiet, False)):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                 functools.partial(handler_class, directory=str(copy)))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            out = tmp_path / f"out-{works}.json"
            result = carelog(f"http://127.0.0.1:{server.server_address[1]}/", "--out", str(out))
        finally:
            server.shutdown()
            server.server_close()
        if works:
            assert result.returncode == 0, result.stderr.decode()
            assert json.loads(out.read_text(encoding="utf-8")) == export_bundle(sample.events, RECIPIENT)
        else:
            assert result.returncode == 1 and b"No entries were found in this circle" in result.stderr

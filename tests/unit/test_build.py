"""Tests for build.py: layout, manifest, wheel, determinism, lock rewrite, server.

The build runs against a throwaway project folder: fixture index.html, py/main.py
and public/ (so the tests do not depend on work in progress there), a copy of the
real py/carelog, and links to the real node_modules/, lock files and wheel cache
(so nothing is downloaded twice). It runs through the CLI, as CI runs it.
"""
from __future__ import annotations

import ast
import base64
import datetime
import gzip
import hashlib
import http.server
import importlib.util
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zoneinfo
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
import build  # noqa: E402

SW_TEMPLATE = b"const BUILD = '__BUILD_ID__';\nself.addEventListener('install', () => {});\n"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A project folder for build.py, sharing the real heavy inputs."""
    root = tmp_path_factory.mktemp("project")
    for name in ("node_modules", "package.json", "package-lock.json", "requirements-browser.txt", "browser-stdlib.txt"):
        (root / name).symlink_to(REPO / name)
    (REPO / ".cache" / "wheels").mkdir(parents=True, exist_ok=True)
    (root / ".cache").symlink_to(REPO / ".cache")
    shutil.copytree(REPO / "py" / "carelog", root / "py" / "carelog",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copyfile(REPO / "py" / "stdlib_fallback.py", root / "py" / "stdlib_fallback.py")
    init = root / "py" / "carelog" / "__init__.py"
    if not init.exists():
        init.write_text("")
    (root / "py" / "main.py").write_text("import carelog\n")
    (root / "index.html").write_text('<!doctype html><script type="module" src="./vendor/pyscript/core.js"></script>\n')
    (root / "public" / "css").mkdir(parents=True)
    (root / "public" / "css" / "app.css").write_text("body { margin: 0 }\n")
    (root / "public" / "app.webmanifest").write_text('{"name": "carelog", "start_url": "./"}\n')
    (root / "public" / "sw.js").write_bytes(SW_TEMPLATE)
    return root


def run_build(project: Path, out: Path, epoch: str = "1700000000") -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch}
    cmd = [sys.executable, str(REPO / "build.py"), "--root", str(project), "--out", str(out)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def dist(project, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("builds") / "dist"
    result = run_build(project, out)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "carelog build " in result.stdout
    return out


@pytest.fixture(scope="module")
def manifest(dist) -> dict:
    return json.loads((dist / "asset-manifest.json").read_text())


def test_layout(dist):
    for rel in ("index.html", ".nojekyll", "main.py", "sw.js", "pyscript.json", "css/app.css",
                "app.webmanifest", f"app/{build.WHEEL_NAME}", "vendor/pyscript/core.js",
                "vendor/pyodide/pyodide.mjs", "vendor/pyodide/pyodide.asm.wasm",
                "vendor/pyodide/python_stdlib.zip", "vendor/pyodide/pyodide-lock.json",
                "vendor/pyodide/micropip-0.11.1-py3-none-any.whl",
                "vendor/pyodide/packaging-26.1-py3-none-any.whl"):
        assert (dist / rel).is_file(), rel
    assert (dist / ".nojekyll").stat().st_size == 0
    assert not list(dist.rglob("*.map"))


def test_urls_are_relative(dist, manifest):
    config = json.loads((dist / "pyscript.json").read_text())
    assert config == {"interpreter": "./js/fast-start.mjs",
                      "files": {"./app/carelog-0.1.0-py3-none-any.whl": "./*",
                                "./vendor/pyodide/tzdata-stored.zip": "./tzdata-stored.zip"}}
    urls = [config["interpreter"], *config["files"], *config["files"].values()]
    urls += [f["path"] for f in manifest["files"]]
    for url in urls:
        assert not url.startswith("/") and "://" not in url and "\\" not in url, url
    for f in manifest["files"]:
        assert not f["path"].startswith("./"), f["path"]


def test_manifest_matches_files(dist, manifest):
    paths = [f["path"] for f in manifest["files"]]
    assert paths == sorted(paths)
    on_disk = {p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()}
    gzipped = {p for p in on_disk if p.endswith(".gz")}
    assert set(paths) == on_disk - {"sw.js", "asset-manifest.json"} - gzipped
    for f in manifest["files"]:
        assert f["bytes"] == (dist / f["path"]).stat().st_size, f["path"]
        assert f["sha256"] == sha256(dist / f["path"]), f["path"]


def test_build_id_in_sw_and_derivation(dist, manifest):
    lines = "".join(f"{f['path']} {f['sha256']}\n" for f in manifest["files"])
    expected = hashlib.sha256(lines.encode() + SW_TEMPLATE).hexdigest()[:16]
    assert manifest["build"] == expected
    assert (dist / "sw.js").read_bytes() == SW_TEMPLATE.replace(b"__BUILD_ID__", expected.encode())


def test_wheel_is_valid_and_importable(dist, tmp_path):
    wheel = dist / "app" / build.WHEEL_NAME
    with zipfile.ZipFile(wheel) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert "carelog/__init__.py" in names
        assert not [n for n in names if "__pycache__" in n]
        info = "carelog-0.1.0.dist-info/"
        wheel_meta = zf.read(info + "WHEEL").decode()
        assert "Root-Is-Purelib: true" in wheel_meta and "Tag: py3-none-any" in wheel_meta
        record = zf.read(info + "RECORD").decode().splitlines()
        assert sorted(r.split(",")[0] for r in record) == sorted(names)
        for row in record:
            name, digest, size = row.split(",")
            if name == info + "RECORD":
                assert digest == size == ""
                continue
            data = zf.read(name)
            raw = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={raw}" and int(size) == len(data), name
        for zi in zf.infolist():
            assert zi.date_time == (2023, 11, 14, 22, 13, 20)  # SOURCE_DATE_EPOCH=1700000000
            assert zi.external_attr == 0o644 << 16
            assert zi.compress_type == zipfile.ZIP_STORED  # its .gz copy compresses the whole wheel
    code = "import carelog, sys; assert carelog.__file__.startswith(sys.argv[1]), carelog.__file__"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, sys.argv[1]); {code}",
                             str(wheel)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_app_wheel_is_slimmed_to_the_same_code(dist):
    """The wheel's modules lose their docstrings and comments (what `python -OO`
    drops) but parse to the same code, line for line, as py/carelog."""
    slimmed = 0
    with zipfile.ZipFile(dist / "app" / build.WHEEL_NAME) as zf:
        modules = [n for n in zf.namelist() if n.endswith(".py")]
        compiled = [n[:-1] for n in zf.namelist() if n.endswith(".pyc")]
        sources = sorted(f"carelog/{p.relative_to(REPO / 'py' / 'carelog').as_posix()}"
                         for p in (REPO / "py" / "carelog").rglob("*.py") if "__pycache__" not in p.parts)
        assert sorted(modules + compiled) == sources
        for name in modules:
            shipped = zf.read(name).decode("utf-8")
            original = (REPO / "py" / name).read_text("utf-8")
            assert len(shipped.splitlines()) == len(original.splitlines()), name
            assert build._docstring_free(ast.parse(shipped)) == build._docstring_free(ast.parse(original)), name
            slimmed += len(shipped) < len(original)
            assert ast.get_docstring(ast.parse(shipped)) in (None, "", "."), name  # "." for a one-line one
    assert slimmed > len(modules) // 2


def test_the_first_screens_core_ships_as_the_browsers_bytecode(dist):
    """The modules a start imports before its first screen, but for the screens'
    views (LEFT_AS_SOURCE), ship as .pyc compiled by the browser's Python (its
    magic number, not this CPython's); everything else stays source."""
    with zipfile.ZipFile(dist / "app" / build.WHEEL_NAME) as zf:
        compiled = {build.module_name(n): zf.read(n) for n in zf.namelist() if n.endswith(".pyc")}
        source = {build.module_name(n) for n in zf.namelist() if n.endswith(".py")}
        packages = {build.module_name(n) for n in zf.namelist() if n.endswith("/__init__.py")}
    first = build.first_screen_modules(REPO / "py")
    assert set(compiled) == first - packages  # a package's __init__ stays source (CPython imports the wheel)
    assert {"carelog.care", "carelog.domain.careplan", "carelog.adapters.browser", "carelog.bootstrap"} <= first
    assert not [name for name in first if name.startswith("carelog.ui.")]
    assert {"carelog", "carelog.ui.views", "carelog.ui.controller", "carelog.sync.engine",
            "carelog.interop.fhir_export"} <= source
    magic = {data[:4] for data in compiled.values()}
    assert len(magic) == 1 and magic != {importlib.util.MAGIC_NUMBER}
    assert all(data[4:16] == bytes(12) for data in compiled.values())  # no date or hash to check


def pinned_wheel(name: str) -> Path:
    """The wheel of requirements-browser.txt's pin of name, as the build fetched it."""
    pin = next(r for r in build.parse_requirements(REPO / "requirements-browser.txt") if r[0] == name)
    return build.find_wheel(REPO / ".cache" / "wheels", *pin)


def test_the_zone_rules_keep_every_zone_and_leave_out_what_zoneinfo_never_reads(dist):
    original = pinned_wheel("tzdata")
    stored = dist / "vendor" / "pyodide" / build.STORED_TZDATA
    with zipfile.ZipFile(original) as before, zipfile.ZipFile(stored) as after:
        kept = set(after.namelist())
        left_out = {n for n in before.namelist() if n not in kept}
        assert left_out and all(n.endswith(build.ZONE_RULES_LEFT_OUT) for n in left_out)
        assert "tzdata/zones" in kept and "tzdata/zoneinfo/America/New_York" in kept
        for name in kept:
            assert after.read(name) == before.read(name), name
        assert {zi.compress_type for zi in after.infolist()} == {zipfile.ZIP_STORED}
        zone = zoneinfo.ZoneInfo.from_file(io.BytesIO(after.read("tzdata/zoneinfo/Asia/Kathmandu")))
    assert datetime.datetime(2024, 1, 1, 12, tzinfo=zone).utcoffset() == datetime.timedelta(hours=5, minutes=45)


def test_segno_is_vendored_slimmed_and_stored_with_the_same_code(dist, tmp_path):
    """segno's wheel (QR codes) keeps its name and code; its modules lose their
    docstrings (line numbers kept), its RECORD matches, and it still makes codes."""
    original = pinned_wheel("segno")
    vendored = dist / "vendor" / "pyodide" / original.name
    with zipfile.ZipFile(original) as before, zipfile.ZipFile(vendored) as after:
        assert sorted(before.namelist()) == sorted(after.namelist())
        assert {zi.compress_type for zi in after.infolist()} == {zipfile.ZIP_STORED}
        for name in after.namelist():
            if name.endswith(".py"):
                old, new = before.read(name).decode(), after.read(name).decode()
                assert len(old.splitlines()) == len(new.splitlines()), name
                assert build._docstring_free(ast.parse(old)) == build._docstring_free(ast.parse(new)), name
        record = next(n for n in after.namelist() if n.endswith("RECORD"))
        for row in after.read(record).decode().splitlines():
            name, digest, size = row.split(",")
            if name != record:
                assert digest == f"sha256={build.urlsafe_digest(after.read(name))}", name
    assert vendored.stat().st_size > original.stat().st_size  # stored, not deflated
    assert (dist / "vendor" / "pyodide" / (original.name + ".gz")).stat().st_size < original.stat().st_size
    code = ("import sys, segno; "
            "print(segno.make('https://example.org/#join=x', error='m', micro=False, boost_error=False).designator)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(vendored)!r}); {code}"],
                            cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "3-M", result.stderr + result.stdout


def test_two_builds_are_identical(project, dist, tmp_path):
    again = tmp_path / "again"
    result = run_build(project, again)
    assert result.returncode == 0, result.stderr
    for rel in ("asset-manifest.json", "sw.js", f"app/{build.WHEEL_NAME}", "vendor/pyodide/pyodide-lock.json"):
        assert (again / rel).read_bytes() == (dist / rel).read_bytes(), rel


def test_epoch_changes_only_the_wheel(project, dist, tmp_path):
    other = tmp_path / "other"
    assert run_build(project, other, epoch="1800000000").returncode == 0
    a, b = (json.loads((d / "asset-manifest.json").read_text()) for d in (dist, other))
    changed = {f["path"] for f in a["files"]} ^ {f["path"] for f in b["files"]}
    changed |= {x["path"] for x, y in zip(a["files"], b["files"]) if x != y}
    # the zips the build writes carry the epoch as their files' dates
    assert changed == {f"app/{build.WHEEL_NAME}", "vendor/pyodide/python_stdlib-app.zip",
                       "vendor/pyodide/tzdata-stored.zip", "vendor/pyodide/segno-1.6.6-py3-none-any.whl"}
    assert a["build"] != b["build"]


def test_lock_rewrite_matches_vendored_wheels(dist):
    lock = json.loads((dist / "vendor" / "pyodide" / "pyodide-lock.json").read_text())
    original = json.loads((REPO / "node_modules" / "pyodide" / "pyodide-lock.json").read_text())
    for name, version in (("micropip", "0.11.1"), ("packaging", "26.1")):
        entry = lock["packages"][name]
        wheel = dist / "vendor" / "pyodide" / entry["file_name"]
        assert wheel.is_file()
        assert entry["sha256"] == sha256(wheel)
        assert entry["version"] == version
        assert list(entry) == list(original["packages"][name])  # same fields, same order
        assert entry["imports"] == original["packages"][name]["imports"]
    # only the vendored wheels' entries: every file the lock names is in the build
    assert sorted(lock["packages"]) == ["micropip", "packaging", "tzdata"]
    for entry in lock["packages"].values():
        assert (dist / "vendor" / "pyodide" / entry["file_name"]).is_file()


@pytest.fixture
def server(dist):
    handler = build.make_handler(dist, base_path="/carelog/sub/")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


@pytest.mark.parametrize("rel, ctype", [
    ("vendor/pyodide/pyodide.mjs", "text/javascript"),
    ("vendor/pyodide/pyodide.asm.wasm", "application/wasm"),
    ("pyscript.json", "application/json"),
    ("app.webmanifest", "application/manifest+json"),
    ("app/carelog-0.1.0-py3-none-any.whl", "application/zip"),
    ("sw.js", "text/javascript"),
])
def test_server_serves_under_sub_path(server, dist, rel, ctype):
    status, headers, body = fetch(f"{server}/carelog/sub/{rel}")
    assert status == 200
    assert headers["Content-Type"] == ctype
    assert headers["Cache-Control"] == "no-cache"
    assert body == (dist / rel).read_bytes()


def test_server_index_redirect_and_404(server, dist):
    status, _, body = fetch(f"{server}/carelog/sub/")
    assert status == 200 and body == (dist / "index.html").read_bytes()
    status, _, body = fetch(f"{server}/carelog/sub")  # urllib follows the redirect
    assert status == 200 and body == (dist / "index.html").read_bytes()
    for path in ("/index.html", "/carelog/index.html", "/carelog/subx/index.html", "/carelog/sub/nope.js",
                 "/carelog/sub/vendor/"):
        status, headers, _ = fetch(server + path)
        assert status == 404, path
        assert headers["Cache-Control"] == "no-cache"


def fetch_gzip(url: str):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return resp.status, resp.headers, resp.read()


@pytest.mark.parametrize("rel", ["vendor/pyodide/pyodide.asm.wasm", "vendor/pyodide/pyodide.mjs"])
def test_server_sends_gzip_copies_to_clients_that_accept_gzip(server, dist, rel):
    status, headers, body = fetch_gzip(f"{server}/carelog/sub/{rel}")
    plain = (dist / rel).read_bytes()
    assert status == 200 and headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert int(headers["Content-Length"]) == len(body) < 0.9 * len(plain)
    assert gzip.decompress(body) == plain
    assert headers["Content-Type"] == build.CONTENT_TYPES[Path(rel).suffix]


def test_server_sends_plain_files_without_a_gzip_copy(server, dist):
    rel = "vendor/pyodide/python_stdlib.zip"  # already compressed: no .gz copy
    assert not (dist / (rel + ".gz")).exists()
    status, headers, body = fetch_gzip(f"{server}/carelog/sub/{rel}")
    assert status == 200 and "Content-Encoding" not in headers and body == (dist / rel).read_bytes()


VALIDATORS = {"ETag": ("If-None-Match", '"other"'),
              "Last-Modified": ("If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")}


@pytest.mark.parametrize(("rel", "validator"), [
    ("vendor/pyodide/pyodide.asm.wasm", "ETag"),  # the gzip copy
    ("vendor/pyodide/pyodide.asm.wasm", "Last-Modified"),  # browsers use only this on HTTP/1.0
    ("vendor/pyodide/python_stdlib.zip", "Last-Modified"),  # a plain file
])
def test_a_revalidation_of_an_unchanged_file_costs_no_body(server, dist, rel, validator):
    """The service worker copies a first visit's files after the page loaded them:
    with a validator, each is a 304 from the browser's HTTP cache, not a second download."""
    url = f"{server}/carelog/sub/{rel}"
    _, headers, body = fetch_gzip(url)
    assert body and headers[validator]
    condition, other = VALIDATORS[validator]
    again = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate", condition: headers[validator]})
    with pytest.raises(urllib.error.HTTPError) as answer:  # urllib raises for 304
        urllib.request.urlopen(again, timeout=10)
    assert answer.value.code == 304 and answer.value.read() == b""
    # and nothing follows the 304 on the connection (no second answer, no body)
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(f"GET {parts.path} HTTP/1.0\r\nAccept-Encoding: gzip\r\n"
                     f"{condition}: {headers[validator]}\r\n\r\n".encode())
        raw = b"".join(iter(lambda: conn.recv(65536), b""))
    assert raw.startswith(b"HTTP/1.0 304") and raw.count(b"HTTP/1.") == 1 and raw.endswith(b"\r\n\r\n")
    # another validator (a changed file) is answered in full
    changed = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate", condition: other})
    with urllib.request.urlopen(changed, timeout=10) as resp:
        assert resp.status == 200 and resp.read() == body


def test_gzip_copies_are_deterministic_and_lazy_files_listed(dist, manifest):
    wasm = dist / "vendor/pyodide/pyodide.asm.wasm.gz"
    assert wasm.read_bytes() == gzip.compress((dist / "vendor/pyodide/pyodide.asm.wasm").read_bytes(), 9, mtime=0)
    lazy = manifest["lazy"]
    assert "vendor/pyodide/micropip-0.11.1-py3-none-any.whl" in lazy
    assert "vendor/pyscript/core.js" not in lazy and not [p for p in lazy if p.startswith("app/")]
    assert set(lazy) <= {f["path"] for f in manifest["files"]}


def test_the_start_files_are_what_a_start_loads_besides_the_shell(manifest):
    """What a start loads besides the shell: a first visit's progress bar counts to their
    bytes (index.html's data-start-bytes), and nothing else is needed until it is ready."""
    start = set(manifest["start"])
    assert start <= {f["path"] for f in manifest["files"]} - set(manifest["lazy"])
    needed = {"main.py", "pyscript.json", "vendor/pyscript/core.js",
              "vendor/pyodide/pyodide.mjs", "vendor/pyodide/pyodide.asm.wasm", "vendor/pyodide/pyodide-lock.json",
              "vendor/pyodide/python_stdlib-app.zip", "vendor/pyodide/tzdata-stored.zip"}
    assert needed <= start
    assert [p for p in start if p.startswith("app/")] and [p for p in start if p.startswith("vendor/pyscript/core-")]
    plugins = [p for p in start if p.startswith(("vendor/pyscript/py-editor-", "vendor/pyscript/py-terminal-"))]
    assert len(plugins) == 2  # PyScript's core imports them at every start
    # the page loads the shell itself; the snapshot worker, the QR code wheel and PyScript's
    # storage and terminal hooks are not needed to start
    later = {"index.html", "css/app.css", "vendor/pyscript/storage.js", "vendor/pyscript/core.css"}
    assert not start & later
    assert not [p for p in start if p.startswith("vendor/pyodide/segno-")]
    # of the real shell (public/), only the fast-start module (it loads the runtime)
    shell = [p.relative_to(REPO / "public").as_posix() for p in (REPO / "public").rglob("*") if p.is_file()]
    assert "js/snapshot-worker.mjs" in shell and "js/boot.js" in shell
    assert [p for p in shell if build.matches(p, build.START_PATTERNS)] == ["js/fast-start.mjs"]


def test_index_html_gets_the_build_id_and_what_a_first_start_downloads(tmp_path):
    page = tmp_path / "index.html"
    page.write_bytes(b'<html data-build="__BUILD_ID__" data-start-bytes="__START_BYTES__">')
    files = [{"path": "index.html", "bytes": 0, "sha256": ""}]
    build.stamp_build_id(tmp_path, files, "abc123", 4_567_890)
    assert page.read_bytes() == b'<html data-build="abc123" data-start-bytes="4567890">'
    assert files == [{"path": "index.html", "bytes": page.stat().st_size, "sha256": sha256(page)}]


def test_the_real_shell_shows_how_much_a_first_start_downloads():
    assert b'data-start-bytes="__START_BYTES__"' in (REPO / "index.html").read_bytes()


def test_cli_help():
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "serve" in result.stdout


def test_missing_npm_exits_2(project, tmp_path):
    """A stale node_modules with no npm on PATH stops with the install hint."""
    fake = tmp_path / "fake"
    shutil.copytree(project, fake, symlinks=True)
    (fake / "node_modules").unlink()
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(fake), "--out",
                             str(tmp_path / "out")], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "install Node.js 20+ and npm: apt-get install nodejs npm" in result.stderr

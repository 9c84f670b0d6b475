#!/usr/bin/env python3
"""Build carelog's static site into dist/ (standard library only).

Usage:
    python3 build.py [--out DIR]                  build the site
    python3 build.py serve [--port N] [--host H] [--base /sub/path/] [--no-build]

Inputs (paths relative to this file's folder, the repo root):
    index.html                  the app shell
    public/                     static files copied as they are; public/sw.js gets
                                its __BUILD_ID__ placeholder replaced
    py/main.py                  browser entry script
    py/carelog/                 the application package, built into a wheel
    package-lock.json           pins pyodide and @pyscript/core (node_modules/,
                                installed with `npm ci` when missing or stale)
    requirements-browser.txt    hash-pinned wheels (micropip, packaging, tzdata), fetched
                                with pip into .cache/wheels/
    browser-stdlib.txt          the stdlib modules of the trimmed zip (tests/stdlib_list.py)
    py/stdlib_fallback.py       packed into the trimmed zip (fetches a left-out module)

Output layout (dist/ is wiped and rewritten on every build):
    index.html, main.py, .nojekyll, sw.js, <files of public/>
    pyscript.json               PyScript config, relative URLs only; its interpreter is
                                js/fast-start.mjs (Pyodide with a memory snapshot)
    app/carelog-<ver>-py3-none-any.whl   the package's modules slimmed (docstrings and
                                comments out, line numbers kept) and stored; the
                                first screen's core as the browser's .pyc instead
                                (FIRST_SCREEN, compiled by Pyodide under Node)
    vendor/pyodide/             Pyodide core + vendored wheels (segno's slimmed and stored,
                                under its own name) + rewritten lock;
                                python_stdlib-app.zip (trimmed, slimmed, stored: what the
                                app loads, STDLIB_COMPILED as .pyc; the full
                                python_stdlib.zip is lazy) and
                                tzdata-stored.zip (the tzdata wheel's files zoneinfo reads,
                                stored; PyScript copies it next to the app and main.py
                                imports from it)
    vendor/pyscript/            @pyscript/core dist/ without source maps
    asset-manifest.json         {"build", "files": [{"path", "bytes", "sha256"}], "lazy": [path],
                                 "start": [path]}
    <file>.gz                   gzip copies of the compressible files (not in the manifest),
                                which `serve` sends with Content-Encoding: gzip

"lazy" lists the files the service worker does NOT precache: nothing in carelog
loads them (PyScript's code editor, terminal and MicroPython chunks; micropip and
packaging, which only a pyscript.json "packages" entry would load). They stay in
dist/ for whoever adds such a feature, but a first visit does not download them.
"start" lists the files a start loads besides the shell (START_PATTERNS): a first
visit's progress bar counts to their bytes (index.html's data-start-bytes).

The build is deterministic: the same inputs and SOURCE_DATE_EPOCH (default
315532800, 1980-01-01) give a byte-identical dist/. Every URL it writes is
relative, so the site works at "/" and under any sub-path (GitHub Pages).
"""
from __future__ import annotations

import argparse
import ast
import base64
import email.utils
import fnmatch
import gzip
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
APP_NAME = "carelog"
APP_VERSION = "0.1.0"
WHEEL_NAME = f"{APP_NAME}-{APP_VERSION}-py3-none-any.whl"
DEFAULT_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest zip timestamp
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
NPM_PINS = ("pyodide", "@pyscript/core")
# browser wheels vendored slimmed and stored (same code, no docstrings; the .gz copy is
# 44 KB against the 76 KB wheel): segno, loaded by name from vendor/pyodide/ for QR codes
SLIMMED = ("segno",)
# browser wheels PyScript copies next to the app as one stored zip (pyscript.json "files"),
# imported from there (py/main.py puts it on sys.path): not unpacked, ~600 files fewer to write
UNPACKED = ("tzdata",)
BUILD_ID_PLACEHOLDER = b"__BUILD_ID__"
START_BYTES_PLACEHOLDER = b"__START_BYTES__"  # index.html: what a first start downloads (its progress bar)
# what py/main.py imports before the app is ready: its module-level imports, the browser
# adapters open_for_browser picks, the lock and storage panels it mounts. These and what
# they import ship compiled (first_screen_modules, compile_for_browser); the rest as source.
FIRST_SCREEN = ("carelog.bootstrap", "carelog.ports", "carelog.ui.controller", "carelog.ui.dom",
                "carelog.ui.lock_dom", "carelog.ui.safety_dom", "carelog.adapters.browser",
                "carelog.adapters.webcrypto_vault", "carelog.adapters.browser_vitaldays")
# ...except the screens: mostly text, quick to compile and twice as big as bytecode (the
# domain, services and adapters save ~2.8 ms of a start per KB the first visit grows, the
# screens ~1.4: docs/BENCHMARKS.md, "Cold start: the first screen's modules compiled")
LEFT_AS_SOURCE = ("carelog.ui.",)
# (PyScript's core imports its py-editor, py-terminal and py-game plugins at every
# start: they are small and precached; the editor and terminal libraries they load
# only for an editor or terminal element are not.)
LAZY_PATTERNS = ("vendor/pyscript/codemirror*", "vendor/pyscript/xterm*", "vendor/pyscript/mpy-*",
                 "vendor/pyscript/pyodide_graph-*", "vendor/pyscript/toml-*", "vendor/pyscript/zip-*",
                 "vendor/pyscript/service-worker.js", "vendor/pyodide/micropip-*", "vendor/pyodide/packaging-*",
                 # fetched only when an import needs a module the trimmed zip left out (py/stdlib_fallback.py)
                 "vendor/pyodide/python_stdlib.zip",
                 # PyScript copies tzdata-stored.zip instead (the same files)
                 "vendor/pyodide/tzdata-*.whl",
                 # the code editor's completion, imported only by the codemirror chunks above
                 "vendor/pyscript/index-*")
# what a start loads besides the shell ("start" in the manifest): the runtime, PyScript's
# core and the plugins it imports at every start, the app. Their bytes are what a first
# visit's progress bar counts to (index.html's data-start-bytes); not in it: the shell,
# icons, the snapshot worker, the QR code wheel, PyScript's storage and terminal hooks.
START_PATTERNS = ("app/*", "main.py", "pyscript.json", "js/fast-start.mjs",
                  "vendor/pyodide/pyodide*", "vendor/pyodide/python_stdlib-app.zip",
                  "vendor/pyodide/tzdata-stored.zip",
                  "vendor/pyscript/core.js", "vendor/pyscript/core-*.js", "vendor/pyscript/deprecations-manager-*",
                  "vendor/pyscript/donkey-*", "vendor/pyscript/error-*", "vendor/pyscript/py-editor-*",
                  "vendor/pyscript/py-game-*", "vendor/pyscript/py-terminal-*")
GZIP_SUFFIXES = (".html", ".js", ".mjs", ".css", ".json", ".wasm", ".py", ".svg", ".webmanifest", ".zip", ".whl")
GZIP_MIN_BYTES = 1024
GENERATED = {"index.html", "main.py", "pyscript.json", "asset-manifest.json", ".nojekyll"}
STDLIB_LIST = "browser-stdlib.txt"  # the stdlib modules the trimmed zip keeps (tests/stdlib_list.py)
TRIMMED_STDLIB = "python_stdlib-app.zip"
# standard-library modules every start imports that ship as the browser's bytecode in the
# trimmed zip (compile_for_browser), chosen by compile time saved per gzipped KB added
# (measured in the page, a fresh import of each): typing 72 ms of compile for +18 KB,
# annotationlib 19 ms for +4 KB, dataclasses 35 ms for 1 KB less; subprocess 60 ms for
# +10.6 KB, traceback 48 ms for +8.6 KB, re._parser 30 ms for +6.2 KB, tempfile 27 ms for
# +6.3 KB, _py_warnings 24 ms for +6.1 KB, re._compiler 20 ms for +4.5 KB. The rest stay
# source: the first visit's 5 MB budget (inspect would save 75 ms for +17.6 KB).
STDLIB_COMPILED = ("annotationlib", "dataclasses", "typing", "subprocess", "traceback", "re._parser", "tempfile",
                   "_py_warnings", "re._compiler")
STORED_TZDATA = "tzdata-stored.zip"  # the tzdata wheel's files, stored (not deflated): its .gz is half the wheel
# tzdata files zoneinfo never reads: the rules' source text, the country tables, the wheel's RECORD
ZONE_RULES_LEFT_OUT = ("tzdata/zoneinfo/tzdata.zi", ".tab", ".dist-info/RECORD")
NPM_HINT = "install Node.js 20+ and npm: apt-get install nodejs npm"


class BuildError(Exception):
    """A build failure the user can fix; main() prints it and exits with code 2."""


# --------------------------------------------------------------------------- helpers

def sha256_file(path: Path) -> str:
    """Hex sha256 of a file (read in chunks)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def source_date_epoch() -> int:
    """SOURCE_DATE_EPOCH from the environment (seconds), or the 1980 default."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return DEFAULT_EPOCH
    try:
        return int(raw)
    except ValueError:
        raise BuildError(f"SOURCE_DATE_EPOCH must be an integer, got {raw!r}") from None


def zip_date_time(epoch: int) -> tuple:
    """The zip date_time for an epoch, clamped to the zip range (1980..2107)."""
    return time.gmtime(min(max(epoch, DEFAULT_EPOCH), 4354819198))[:6]


def rel_files(folder: Path) -> list[Path]:
    """Every file under folder (recursively) as sorted relative paths; [] if no folder."""
    return sorted((p.relative_to(folder) for p in folder.rglob("*") if p.is_file()), key=Path.as_posix)


def copy_file(src: Path, dst: Path) -> None:
    """Copy one file's bytes (not its metadata), creating parent folders."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def require(path: Path, what: str) -> Path:
    """Return path if it exists, else stop the build naming what is missing."""
    if not path.exists():
        raise BuildError(f"missing {what}: {path}")
    return path


# --------------------------------------------------------------------------- inputs

def ensure_node_modules(root: Path) -> None:
    """Run `npm ci` when a pinned npm package is missing or has another version."""
    lock = json.loads(require(root / "package-lock.json", "npm lock file").read_text("utf-8"))
    stale = []
    for name in NPM_PINS:
        pinned = lock["packages"][f"node_modules/{name}"]["version"]
        manifest = root / "node_modules" / name / "package.json"
        installed = json.loads(manifest.read_text("utf-8")).get("version") if manifest.exists() else None
        if installed != pinned:
            stale.append(f"{name} {installed or 'missing'} (want {pinned})")
    if not stale:
        return
    npm = shutil.which("npm")
    if not npm:
        raise BuildError(f"npm not found on PATH; {NPM_HINT}")
    print("npm packages out of date:", ", ".join(stale), "-> npm ci", flush=True)
    cmd = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
    if subprocess.run(cmd, cwd=root).returncode != 0:
        raise BuildError("`npm ci` failed; check the npm output above and your network, then rerun")


def parse_requirements(path: Path) -> list[tuple[str, str, set[str]]]:
    """(name, version, {sha256 hex}) for each `name==version --hash=...` line."""
    text = require(path, "browser requirements").read_text("utf-8").replace("\\\n", " ")
    reqs = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            hashes = set(re.findall(r"--hash=sha256:([0-9a-fA-F]{64})", line))
            reqs.append((match[1], match[2], {h.lower() for h in hashes}))
    return reqs


def find_wheel(cache: Path, name: str, version: str, hashes: set[str]) -> Path | None:
    """The cached wheel of name==version whose sha256 is one of hashes, if any."""
    stem = re.sub(r"[-_.]+", "_", name).lower()
    for path in sorted(cache.glob(f"{stem}-{version}-*.whl")):
        if sha256_file(path) in hashes:
            return path
    return None


def fetch_wheels(root: Path) -> list[Path]:
    """The hash-checked browser wheels, downloaded with pip unless already cached."""
    reqs_file = root / "requirements-browser.txt"
    reqs = parse_requirements(reqs_file)
    cache = root / ".cache" / "wheels"
    found = [find_wheel(cache, *req) for req in reqs]
    if any(w is None for w in found):
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--python-version", "3.14", "--require-hashes", "-r", str(reqs_file), "-d", str(cache)]
        print("downloading browser wheels:", " ".join(f"{n}=={v}" for n, v, _ in reqs), flush=True)
        if subprocess.run(cmd, cwd=root).returncode != 0:
            raise BuildError(
                "pip could not download the browser wheels in requirements-browser.txt. "
                "Check your network / pip index settings (pip config list), or put the wheels "
                f"into {cache} yourself, then rerun")
        found = [find_wheel(cache, *req) for req in reqs]
    missing = [f"{n}=={v}" for (n, v, _), w in zip(reqs, found) if w is None]
    if missing:
        raise BuildError(f"no wheel with a pinned sha256 for {', '.join(missing)} in {cache}")
    return found


# --------------------------------------------------------------------------- outputs

def build_app_wheel(pkg_dir: Path, dest: Path, date_time: tuple, compiled: set[str], pyodide_dir: Path) -> None:
    """Write a deterministic py3-none-any wheel of pkg_dir's .py files to dest, each
    slimmed like the trimmed stdlib (slim_source: docstrings and comments out, every
    line kept in place, kept as it is unless it parses to the same code).

    The modules named in compiled (not packages' __init__) ship as the browser's
    bytecode instead (compile_for_browser: ``name.pyc`` in place of ``name.py``),
    so a first start does not compile them."""
    entries = [(f"{APP_NAME}/{p.as_posix()}", slim_source((pkg_dir / p).read_text("utf-8")).encode("utf-8"))
               for p in rel_files(pkg_dir) if p.suffix == ".py" and "__pycache__" not in p.parts]
    chosen = {name for name, _ in entries if module_name(name) in compiled and not name.endswith("/__init__.py")}
    if chosen:
        entries = sorted(with_bytecode(entries, chosen, pyodide_dir))
    info = f"{APP_NAME}-{APP_VERSION}.dist-info"
    entries.append((f"{info}/METADATA", (
        f"Metadata-Version: 2.1\nName: {APP_NAME}\nVersion: {APP_VERSION}\n"
        "Summary: Offline-first caregiver log\n").encode()))
    entries.append((f"{info}/WHEEL", (
        "Wheel-Version: 1.0\nGenerator: carelog-build.py\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n").encode()))
    record = "".join(f"{name},sha256={urlsafe_digest(data)},{len(data)}\n" for name, data in entries)
    entries.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as zf:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=date_time)
            zi.compress_type = zipfile.ZIP_STORED  # the .gz copy compresses the whole wheel
            zi.create_system = 3  # unix, whatever OS builds it
            zi.external_attr = 0o644 << 16
            zf.writestr(zi, data)


def module_name(path: str) -> str:
    """The module a .py/.pyc path in a wheel or zip holds ("carelog/ui/__init__.py" -> "carelog.ui")."""
    parts = path.rsplit(".", 1)[0].split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def first_screen_modules(py_dir: Path) -> set[str]:
    """The app's modules a start imports before its first screen is ready, but for
    LEFT_AS_SOURCE: FIRST_SCREEN and what they import at module level, found by
    importing them in a fresh CPython (the core is pure Python; the browser glue
    imports ``js`` only when it runs)."""
    code = ("import json, sys\n"
            f"for name in {FIRST_SCREEN!r}: __import__(name)\n"
            f"print(json.dumps(sorted(m for m in sys.modules if m == {APP_NAME!r} or m.startswith({APP_NAME + '.'!r}))))")
    result = subprocess.run([sys.executable, "-E", "-B", "-c", code], cwd=py_dir, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"could not import the first screen's modules: {result.stderr.strip()[-2000:]}")
    return {name for name in json.loads(result.stdout.strip().splitlines()[-1]) if not name.startswith(LEFT_AS_SOURCE)}


# Node runs Pyodide (the same runtime the browser loads) to compile the sources:
# argv = Pyodide's folder, a folder of .py files; each gets a .pyc beside it.
# PYTHONNODEBUGRANGES keeps line numbers but not column ranges (a third smaller);
# PYTHONHASHSEED=0 makes sets of constants marshal in one order (a deterministic build).
_COMPILE_JS = """
const [indexURL, folder] = process.argv.slice(-2);
const { loadPyodide } = await import(indexURL + "/pyodide.mjs");
const py = await loadPyodide({ indexURL: indexURL + "/", env: { PYTHONNODEBUGRANGES: "1", PYTHONHASHSEED: "0" } });
py.FS.mkdirTree("/build");
py.FS.mount(py.FS.filesystems.NODEFS, { root: folder }, "/build");
py.runPython(`
import importlib.util, marshal, os
for root, _, files in sorted(os.walk("/build")):
    for file in sorted(files):
        if file.endswith(".py"):
            path = os.path.join(root, file)
            with open(path, "rb") as source:
                code = compile(source.read(), os.path.relpath(path, "/build"), "exec", dont_inherit=True)
            with open(path + "c", "wb") as out:
                out.write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))
`);
"""


def compile_for_browser(sources: dict[str, bytes], pyodide_dir: Path) -> dict[str, bytes]:
    """{wheel path: source} -> {wheel path: .pyc bytes} for the browser's Python,
    compiled by Pyodide under Node (the build machine's CPython has another
    bytecode). The header is the magic number and 12 zero bytes: a module with no
    source beside it is loaded without checking a date or hash."""
    node = shutil.which("node")
    if not node:
        raise BuildError(f"node not found on PATH; {NPM_HINT}")
    with tempfile.TemporaryDirectory(prefix="carelog-pyc-") as tmp:
        folder = Path(tmp)
        for name, data in sources.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        result = subprocess.run([node, "--input-type=module", "-e", _COMPILE_JS, "--", str(pyodide_dir.resolve()),
                                 str(folder)], capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise BuildError(f"compiling the app for the browser failed: {(result.stderr or result.stdout)[-2000:]}")
        return {name: (folder / (name + "c")).read_bytes() for name in sources}


def with_bytecode(entries: list[tuple[str, bytes]], chosen: set[str],
                  pyodide_dir: Path | None) -> list[tuple[str, bytes]]:
    """entries [(zip path, source)], those whose path is in chosen as the browser's
    bytecode instead (compile_for_browser: ``name.pyc`` in place of ``name.py``), in order."""
    if not chosen:
        return entries
    sources = {name: data for name, data in entries if name in chosen}
    bytecode = compile_for_browser(sources, require(pyodide_dir, "Pyodide for the browser's bytecode"))
    return [(name + "c", bytecode[name]) if name in chosen else (name, data) for name, data in entries]


def urlsafe_digest(data: bytes) -> str:
    """PEP 376/427 RECORD hash: urlsafe base64 of the sha256, no padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def vendor_pyodide(pyodide_dir: Path, wheels: list[Path], dest: Path) -> None:
    """Copy Pyodide core and the wheels; point the lock's entries at those wheels."""
    for name in PYODIDE_FILES:
        copy_file(require(pyodide_dir / name, "Pyodide file"), dest / name)
    lock = json.loads(require(pyodide_dir / "pyodide-lock.json", "Pyodide lock").read_text("utf-8"))
    vendored = {}
    for wheel in wheels:
        copy_file(wheel, dest / wheel.name)
        name, version = wheel.name.split("-")[:2]
        key = name.lower().replace("_", "-")
        entry = lock["packages"].get(key)
        if entry is not None:
            entry.update(file_name=wheel.name, sha256=sha256_file(wheel), version=version)
            vendored[key] = entry
    # only the packages whose files are in the build: any other entry names a file
    # that is not here (it could only fail), and the lock is read at every start
    lock["packages"] = vendored
    (dest / "pyodide-lock.json").write_text(json.dumps(lock, separators=(",", ":")), "utf-8")


# --------------------------------------------------------------------------- trimmed stdlib

def _docstring_nodes(tree: ast.AST) -> list[ast.Constant]:
    """The docstring constants of a module, its classes and its functions."""
    found = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            found.append(body[0].value)
    return found


def _docstring_free(tree: ast.AST) -> str:
    """ast.dump of tree with every docstring's text emptied (to compare two sources)."""
    for value in _docstring_nodes(tree):
        value.value = ""
    return ast.dump(tree)


def slim_source(source: str) -> str:
    """source without comments (but on its first two lines: coding cookies) and with
    each docstring's text removed (what `python -OO` drops), every line kept where it
    was so tracebacks still point at the right line. The result must parse to the same
    code; a source this Python cannot parse, or any doubt, gives source unchanged.

    A one-line docstring becomes ".", not empty or a space (Python 3.13+ strips a
    docstring's white space): a dataclass whose docstring is empty makes one from
    its signature at import (inspect.signature, ~33 of the first screen's ~240 ms
    of module bodies in the browser, profiled)."""
    try:
        before = _docstring_free(ast.parse(source))
        lines = source.splitlines(keepends=True)
        for tok in tokenize.generate_tokens(iter(lines).__next__):
            if tok.type == tokenize.COMMENT and tok.start[0] > 2:
                row, col = tok.start
                line = lines[row - 1]
                lines[row - 1] = line[:col].rstrip() + line[len(line.rstrip("\r\n")):]
        data = [line.encode("utf-8") for line in "".join(lines).splitlines(keepends=True)]
        spans = [(v.lineno, v.col_offset, v.end_lineno, v.end_col_offset)
                 for v in _docstring_nodes(ast.parse(b"".join(data)))]
        for first, col, last, end_col in sorted(spans, reverse=True):
            blank = b"'''" + (b"\n" * (last - first) or b".") + b"'''"
            head, tail = data[first - 1][:col], data[last - 1][end_col:]
            data[first - 1:last] = (head + blank + tail).splitlines(keepends=True)
        slim = b"".join(data).decode("utf-8")
        if _docstring_free(ast.parse(slim)) != before or len(slim.splitlines()) != len(source.splitlines()):
            return source
        return slim
    except (SyntaxError, ValueError, tokenize.TokenError):
        return source


def read_stdlib_list(path: Path) -> set[str]:
    """The module names of browser-stdlib.txt (one a line, # comments)."""
    text = require(path, "list of the standard-library modules the app needs").read_text("utf-8")
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def _stored_info(name: str, date_time: tuple) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=date_time)
    zi.compress_type = zipfile.ZIP_STORED
    zi.create_system = 3
    zi.external_attr = 0o644 << 16
    return zi


def write_trimmed_stdlib(full_zip: Path, keep: set[str], fallback: Path, dest: Path, date_time: tuple,
                         compiled: set[str] = frozenset(), pyodide_dir: Path | None = None) -> dict:
    """Write dest: the modules of keep from full_zip, slimmed (slim_source) and
    stored uncompressed (the site's .gz copy of the whole zip is smaller than
    deflating each file), plus the fallback finder (as carelog_stdlib_fallback)
    and the names of the modules left out (carelog_stdlib_omitted.txt). The
    modules named in compiled ship as the browser's bytecode instead
    (compile_for_browser, with pyodide_dir). Returns {"kept": n, "omitted": n}."""
    omitted, entries = [], []
    with zipfile.ZipFile(require(full_zip, "Pyodide standard library")) as zf:
        for name in zf.namelist():
            if not name.endswith(".py"):
                continue
            module = module_name(name)
            if module in keep:
                entries.append((name, slim_source(zf.read(name).decode("utf-8")).encode("utf-8")))
            else:
                omitted.append(module)
    kept = len(entries)
    entries = with_bytecode(entries, {name for name, _ in entries if module_name(name) in compiled}, pyodide_dir)
    entries.append(("carelog_stdlib_fallback.py", require(fallback, "stdlib fallback finder").read_bytes()))
    entries.append(("carelog_stdlib_omitted.txt", "".join(f"{m}\n" for m in sorted(omitted)).encode()))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as out:
        for name, data in sorted(entries):
            out.writestr(_stored_info(name, date_time), data)
    return {"kept": kept, "omitted": len(omitted)}


def write_stored_copy(archive: Path, dest: Path, date_time: tuple, slim: bool = False,
                      zone_rules: bool = False) -> None:
    """dest: the files of a zip or wheel, stored uncompressed (for a smaller .gz copy);
    with slim, each .py file slimmed (slim_source) and a wheel's RECORD re-hashed.

    With zone_rules (the tzdata wheel), the files zoneinfo never reads are left out
    (ZONE_RULES_LEFT_OUT) and the entries are written in the order of their bytes,
    so a zone that is a copy of another (the tz database's links) sits next to it
    and the .gz copy stores it once: 163 KB -> 88 KB gzipped."""
    with zipfile.ZipFile(archive) as zf:
        entries = {name: zf.read(name) for name in zf.namelist() if not name.endswith("/")}
    order = sorted(entries)
    if zone_rules:
        entries = {name: data for name, data in entries.items() if not name.endswith(ZONE_RULES_LEFT_OUT)}
        order = sorted(entries, key=lambda name: (entries[name], name))
    if slim:
        for name, data in entries.items():
            if name.endswith(".py"):
                entries[name] = slim_source(data.decode("utf-8")).encode("utf-8")
        for record in [n for n in entries if n.endswith(".dist-info/RECORD")]:
            entries[record] = "".join(
                f"{name},sha256={urlsafe_digest(data)},{len(data)}\n"
                for name, data in sorted(entries.items()) if name != record).encode() + f"{record},,\n".encode()
    tmp = dest.with_name(dest.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as out:
        for name in order:
            out.writestr(_stored_info(name, date_time), entries[name])
    tmp.replace(dest)


def vendor_pyscript(pyscript_dist: Path, dest: Path) -> None:
    """Copy @pyscript/core's dist/ without source maps."""
    for rel in rel_files(require(pyscript_dist, "PyScript dist folder")):
        if rel.suffix != ".map":
            copy_file(pyscript_dist / rel, dest / rel)


def check_paths(root: Path, out: Path) -> None:
    """Stop early on missing inputs, public/ clashes, or an out folder holding sources."""
    for guarded in (root, root / "py", root / "public", root / "node_modules", root / ".git"):
        if guarded.is_relative_to(out) or (guarded != root and out.is_relative_to(guarded)):
            raise BuildError(f"refusing to use {out} as the output folder (it holds sources)")
    require(root / "index.html", "app shell")
    require(root / "py" / "main.py", "browser entry script")
    require(root / "py" / APP_NAME / "__init__.py", "application package")
    for rel in rel_files(root / "public"):
        if rel.as_posix() in GENERATED or rel.parts[0] in ("app", "vendor"):
            raise BuildError(f"public/{rel.as_posix()} clashes with a file the build generates")


def copy_static(root: Path, out: Path) -> None:
    """index.html, py/main.py, an empty .nojekyll and public/ (but sw.js) into out."""
    public = root / "public"
    for rel in rel_files(public):
        if rel.as_posix() != "sw.js":
            copy_file(public / rel, out / rel)
    copy_file(root / "index.html", out / "index.html")
    copy_file(root / "py" / "main.py", out / "main.py")
    (out / ".nojekyll").write_bytes(b"")


def write_json(path: Path, data) -> None:
    """Write indented JSON (insertion order kept) with a trailing newline."""
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")


def matches(path: str, patterns: tuple[str, ...]) -> bool:
    """Whether a dist/ path matches one of LAZY_PATTERNS or START_PATTERNS."""
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def write_manifest(out: Path, sw_template: Path) -> dict:
    """Hash every file into asset-manifest.json, derive the build id, write sw.js."""
    files = [{"path": rel.as_posix(), "bytes": (out / rel).stat().st_size, "sha256": sha256_file(out / rel)}
             for rel in rel_files(out)]
    sw_bytes = sw_template.read_bytes() if sw_template.is_file() else b""
    lines = "".join(f"{f['path']} {f['sha256']}\n" for f in files)
    build_id = hashlib.sha256(lines.encode() + sw_bytes).hexdigest()[:16]
    if not sw_bytes:
        print("warning: public/sw.js missing: the site will not work offline", file=sys.stderr)
    elif BUILD_ID_PLACEHOLDER not in sw_bytes:
        print("warning: public/sw.js has no __BUILD_ID__ placeholder", file=sys.stderr)
    if sw_bytes:
        (out / "sw.js").write_bytes(sw_bytes.replace(BUILD_ID_PLACEHOLDER, build_id.encode()))
    lazy = [f["path"] for f in files if matches(f["path"], LAZY_PATTERNS)]
    start = [f["path"] for f in files if matches(f["path"], START_PATTERNS) and f["path"] not in lazy]
    stamp_build_id(out, files, build_id, sum(f["bytes"] for f in files if f["path"] in start))
    manifest = {"build": build_id, "files": files, "lazy": lazy, "start": start}
    write_json(out / "asset-manifest.json", manifest)
    return manifest


def write_gzip_copies(out: Path) -> int:
    """Write <file>.gz (level 9, no name, mtime 0: deterministic) next to every
    compressible file that shrinks by 10% or more; return how many."""
    count = 0
    for rel in rel_files(out):
        path = out / rel
        if path.suffix not in GZIP_SUFFIXES or path.stat().st_size < GZIP_MIN_BYTES:
            continue
        data = path.read_bytes()
        packed = gzip.compress(data, 9, mtime=0)
        if len(packed) <= 0.9 * len(data):
            path.with_name(path.name + ".gz").write_bytes(packed)
            count += 1
    return count


def stamp_build_id(out: Path, files: list[dict], build_id: str, start_bytes: int = 0) -> None:
    """Write the build id into index.html (its data-build), and the bytes of the start
    files (its data-start-bytes: the first visit's progress bar), and re-hash it.

    The id is derived from the template, so it stays a pure function of the inputs."""
    page = out / "index.html"
    text = page.read_bytes()
    if BUILD_ID_PLACEHOLDER not in text and START_BYTES_PLACEHOLDER not in text:
        return
    text = text.replace(BUILD_ID_PLACEHOLDER, build_id.encode())
    page.write_bytes(text.replace(START_BYTES_PLACEHOLDER, str(start_bytes).encode()))
    for entry in files:
        if entry["path"] == "index.html":
            entry["bytes"], entry["sha256"] = page.stat().st_size, sha256_file(page)


def build(root: Path = ROOT, out: Path | None = None) -> dict:
    """Build the site from root into out (default root/dist); return the manifest."""
    root, out = root.resolve(), (out or root / "dist").resolve()
    check_paths(root, out)
    date_time = zip_date_time(source_date_epoch())
    ensure_node_modules(root)
    wheels = fetch_wheels(root)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    copy_static(root, out)
    build_app_wheel(root / "py" / APP_NAME, out / "app" / WHEEL_NAME, date_time,
                    compiled=first_screen_modules(root / "py"), pyodide_dir=root / "node_modules" / "pyodide")
    vendor_pyodide(root / "node_modules" / "pyodide", wheels, out / "vendor" / "pyodide")
    vendor_pyscript(root / "node_modules" / "@pyscript" / "core" / "dist", out / "vendor" / "pyscript")
    write_trimmed_stdlib(out / "vendor" / "pyodide" / "python_stdlib.zip", read_stdlib_list(root / STDLIB_LIST),
                         root / "py" / "stdlib_fallback.py", out / "vendor" / "pyodide" / TRIMMED_STDLIB, date_time,
                         compiled=set(STDLIB_COMPILED), pyodide_dir=root / "node_modules" / "pyodide")
    files = {f"./app/{WHEEL_NAME}": "./*"}
    for wheel in wheels:
        if wheel.name.split("-")[0] in SLIMMED:
            vendored = out / "vendor" / "pyodide" / wheel.name
            write_stored_copy(wheel, vendored, date_time, slim=True)
        if wheel.name.split("-")[0] in UNPACKED:
            write_stored_copy(wheel, out / "vendor" / "pyodide" / STORED_TZDATA, date_time, zone_rules=True)
            files[f"./vendor/pyodide/{STORED_TZDATA}"] = f"./{STORED_TZDATA}"
    write_json(out / "pyscript.json", {"interpreter": "./js/fast-start.mjs", "files": files})
    manifest = write_manifest(out, root / "public" / "sw.js")
    write_gzip_copies(out)
    return manifest


# --------------------------------------------------------------------------- serve

CONTENT_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                 ".json": "application/json", ".webmanifest": "application/manifest+json",
                 ".whl": "application/zip", ".zip": "application/zip"}


def normalize_base(base_path: str) -> str:
    """"carelog/sub" -> "/carelog/sub/"; "" or "/" -> "/"."""
    return "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"


def make_handler(root_dir, base_path: str = "/"):
    """A request handler class serving root_dir at base_path ("/carelog/" etc.).

    Paths outside base_path get 404; the base path without its slash redirects;
    folders are never listed; every response says Cache-Control: no-cache, and
    carries a validator (ETag or Last-Modified) so that a revalidation costs no body.
    """
    root_dir, base = str(Path(root_dir).resolve()), normalize_base(base_path)

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=root_dir, **kwargs)

        def send_head(self):
            """Serve paths inside base; redirect base without its slash; 404 the rest."""
            path, _, query = self.path.partition("?")
            if path.startswith(base):
                return self._send_gzip_head() or super().send_head()
            if path + "/" == base:
                self.send_response(301)
                self.send_header("Location", base + ("?" + query if query else ""))
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_error(404, "outside the served base path")
            return None

        def _send_gzip_head(self):
            """The <file>.gz copy with Content-Encoding: gzip, when the client accepts
            gzip and the build wrote one that is not older than the file; else None
            (then the plain file is sent, with Last-Modified). It carries an ETag, and a
            request whose If-None-Match names it gets 304 Not Modified and no body."""
            if "gzip" not in self.headers.get("Accept-Encoding", ""):
                return None
            local = Path(self.translate_path(self.path))
            if local.is_dir():
                if not self.path.partition("?")[0].endswith("/"):
                    return None  # the plain handler redirects "dir" to "dir/"
                local = local / "index.html"
            packed = local.with_name(local.name + ".gz")
            if not (local.is_file() and packed.is_file()):
                return None
            stat = packed.stat()
            if stat.st_mtime_ns < local.stat().st_mtime_ns:
                return None  # the file was changed after the build: the copy is stale
            etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
            modified = self.date_time_string(int(stat.st_mtime))
            if self._unchanged(etag, int(stat.st_mtime)):
                # a revalidation (the service worker's copy of what the page just loaded)
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.send_header("Vary", "Accept-Encoding")
                self.end_headers()
                return io.BytesIO()  # no body (None would send the plain file as well)
            f = packed.open("rb")
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(local)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)  # browsers use only this on HTTP/1.0
            self.send_header("Content-Length", str(stat.st_size))
            self.end_headers()
            return f

        def _unchanged(self, etag: str, mtime: int) -> bool:
            """Whether the request's validator still names this copy: its If-None-Match
            the ETag, else its If-Modified-Since not before the file's mtime."""
            if "If-None-Match" in self.headers:
                return etag in self.headers["If-None-Match"]
            try:
                since = email.utils.parsedate_to_datetime(self.headers.get("If-Modified-Since", ""))
            except (TypeError, ValueError):
                return False
            return since is not None and since.timestamp() >= mtime

        def translate_path(self, path):
            return super().translate_path("/" + path[len(base):])

        def list_directory(self, path):
            self.send_error(404, "no folder listings")

        def end_headers(self):
            self.send_header("Cache-Control", "no-cache")
            super().end_headers()

    return Handler


def serve(root_dir: Path, host: str, port: int, base_path: str = "/", endpoint_port: int | None = None,
          endpoint_dir: Path | None = None) -> None:
    """Serve root_dir with a threading HTTP server until Ctrl-C; with
    ``endpoint_port``, also a writable local sync endpoint (local_endpoint.py)."""
    if not (root_dir / "index.html").is_file():
        raise BuildError(f"nothing to serve in {root_dir}: run `python3 build.py` first")
    handler = make_handler(root_dir, base_path)
    with http.server.ThreadingHTTPServer((host, port), handler) as server:
        port = server.server_address[1]
        print(f"carelog is running at http://{host}:{port}{normalize_base(base_path)}", flush=True)
        if endpoint_port is not None:
            from local_endpoint import PREFIX, start_endpoint

            origins = [f"http://{host}:{port}", f"http://localhost:{port}", f"http://127.0.0.1:{port}"]
            folder = endpoint_dir or ROOT / ".sync-endpoint"
            endpoint = start_endpoint(folder, host, endpoint_port, origins)
            print(f"sync endpoint (writable, files in {folder}): "
                  f"http://{host}:{endpoint.server_address[1]}{PREFIX}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nstopped")


# --------------------------------------------------------------------------- cli

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command line: [build|serve] plus options."""
    p = argparse.ArgumentParser(
        prog="build.py", description="Build carelog's static site into dist/, or serve it.",
        epilog="Honours SOURCE_DATE_EPOCH for archive timestamps (default 315532800).")
    p.add_argument("command", nargs="?", choices=("build", "serve"), default="build",
                   help="build (default) or serve: build, then serve the output folder")
    p.add_argument("--root", type=Path, default=ROOT, help="project folder (default: this file's folder)")
    p.add_argument("--out", type=Path, help="output folder (default: ROOT/dist)")
    p.add_argument("--host", default="127.0.0.1", help="serve: address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="serve: port (default 8000, 0 = any)")
    p.add_argument("--base", default="/", help="serve: URL sub-path to serve at, e.g. /carelog/")
    p.add_argument("--no-build", action="store_true", help="serve: skip the build, serve as is")
    p.add_argument("--endpoint-port", type=int, default=None,
                   help="serve: also run a writable local sync endpoint on this port (0 = any)")
    p.add_argument("--endpoint-dir", type=Path, default=None,
                   help="serve: folder of the local sync endpoint (default ROOT/.sync-endpoint)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 on a build error)."""
    args = parse_args(argv)
    out = (args.out or args.root / "dist").resolve()
    try:
        if not (args.command == "serve" and args.no_build):
            build_id = build(args.root, out)["build"]
            sizes = [(out / rel).stat().st_size for rel in rel_files(out)]
            print(f"carelog build {build_id}: {len(sizes)} files, {sum(sizes):,} bytes in {out}", flush=True)
        if args.command == "serve":
            serve(out, args.host, args.port, args.base, args.endpoint_port, args.endpoint_dir)
    except BuildError as err:
        print(f"build.py: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

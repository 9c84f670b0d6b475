"""The trimmed standard library: its list (browser-stdlib.txt), how build.py slims
and packs it, and the finder that fetches a left-out module (py/stdlib_fallback.py)."""

from __future__ import annotations

import ast
import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
import build  # noqa: E402
import stdlib_list  # noqa: E402

FULL_ZIP = ROOT / "node_modules" / "pyodide" / "python_stdlib.zip"
LISTED = stdlib_list.read_list()


def load_fallback():
    spec = importlib.util.spec_from_file_location("stdlib_fallback_under_test", ROOT / "py" / "stdlib_fallback.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_stdlib_import_of_the_app_is_in_the_list():
    zipped = stdlib_list.zip_modules(FULL_ZIP)
    needed = {name for name in stdlib_list.app_imports() if name in zipped}
    assert {"json", "zoneinfo", "urllib.parse", "asyncio", "csv", "xml.etree.ElementTree"} <= needed
    assert sorted(needed - LISTED) == []


def test_the_desktop_cli_is_never_imported_by_browser_code():
    for path in stdlib_list.app_sources():
        text = path.read_text("utf-8")
        assert "carelog.cli" not in text and "from . import cli" not in text, path


def test_the_list_is_closed_over_module_level_imports():
    assert LISTED, "browser-stdlib.txt is empty"
    assert stdlib_list.closure(LISTED, FULL_ZIP) == LISTED


def test_static_analysis_finds_lazy_and_relative_imports():
    source = "import os\nfrom . import b\nfrom .c import d\ndef f():\n    import difflib\n"
    assert stdlib_list.imports_of(source, "pkg.a", False, False) == {"os", "pkg", "pkg.b", "pkg.c", "pkg.c.d",
                                                                     "difflib"}
    assert "difflib" not in stdlib_list.imports_of(source, "pkg.a", False, True)
    guarded = "import sys\nif __name__ == '__main__':\n    import doctest\n"
    assert stdlib_list.imports_of(guarded, "m", False, True) == {"sys"}


def test_slim_source_keeps_the_code_and_every_line():
    source = ('"""Module doc\nover two lines."""\n# a comment\nimport os  # trailing\n\n'
              'class A:\n    """Class doc."""\n    x = "# not a comment"\n\n'
              'def f(a):\n    """Doc\n\n    more."""\n    return a  # why\n')
    slim = build.slim_source(source)
    assert len(slim.splitlines()) == len(source.splitlines())
    assert "comment" not in slim.replace('"# not a comment"', "")
    assert "Module doc" not in slim and "more." not in slim and "why" not in slim
    assert '"# not a comment"' in slim
    assert ast.dump(ast.parse(slim).body[1]) == ast.dump(ast.parse(source).body[1])
    namespace = {}
    exec(compile(slim, "slim", "exec"), namespace)
    assert namespace["f"](3) == 3 and namespace["A"].x == "# not a comment"


def test_a_slimmed_one_line_docstring_is_not_empty_so_a_dataclass_keeps_it():
    """An empty docstring makes dataclasses build one from inspect.signature at import."""
    source = 'import dataclasses\n@dataclasses.dataclass\nclass P:\n    """A point."""\n    x: int = 0\n'
    namespace = {}
    exec(compile(build.slim_source(source), "slim", "exec"), namespace)
    assert namespace["P"].__doc__ == "."
    exec(compile(build.slim_source('def f():\n    """Doc\n    more."""\n'), "slim", "exec"), namespace)
    assert namespace["f"].__doc__ == "\n"  # a longer one keeps its line breaks (and its lines)


def test_slim_source_leaves_a_coding_cookie_and_unparsable_text_alone():
    cookie = "# -*- coding: latin-1 -*-\nx = 1  # note\n"
    assert build.slim_source(cookie).startswith("# -*- coding: latin-1 -*-\n")
    broken = "def f(:\n  # comment\n"
    assert build.slim_source(broken) == broken


def test_trimmed_zip_keeps_only_the_listed_modules(tmp_path):
    dest = tmp_path / "trimmed.zip"
    counts = build.write_trimmed_stdlib(FULL_ZIP, {"json", "json.decoder", "os"}, ROOT / "py" / "stdlib_fallback.py",
                                        dest, (1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(dest) as zf:
        names = set(zf.namelist())
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())
        omitted = set(zf.read("carelog_stdlib_omitted.txt").decode().split())
        fallback = zf.read("carelog_stdlib_fallback.py")
    assert names == {"json/__init__.py", "json/decoder.py", "os.py", "carelog_stdlib_fallback.py",
                     "carelog_stdlib_omitted.txt"}
    assert counts["kept"] == 3
    assert {"difflib", "json.tool", "email.mime.text"} <= omitted
    assert not omitted & {"json", "json.decoder", "os"}
    assert fallback == (ROOT / "py" / "stdlib_fallback.py").read_bytes()


def test_trimmed_zip_ships_the_chosen_modules_as_bytecode(tmp_path):
    dest = tmp_path / "trimmed.zip"
    build.write_trimmed_stdlib(FULL_ZIP, {"json", "json.decoder", "os"}, ROOT / "py" / "stdlib_fallback.py",
                               dest, (1980, 1, 1, 0, 0, 0), compiled={"json.decoder"},
                               pyodide_dir=ROOT / "node_modules" / "pyodide")
    with zipfile.ZipFile(dest) as zf:
        names = set(zf.namelist())
        pyc = zf.read("json/decoder.pyc")
    assert {"json/__init__.py", "json/decoder.pyc", "os.py"} <= names and "json/decoder.py" not in names
    # a .pyc header (magic number, no date or hash: no source beside it), then the code
    assert pyc[2:4] == b"\r\n" and pyc[4:16] == bytes(12) and b"JSONDecoder" in pyc[16:]


def test_the_build_serves_the_trimmed_zip_and_keeps_the_full_one_lazy(tmp_path):
    out = tmp_path / "dist"
    manifest = build.build(ROOT, out)
    paths = {f["path"] for f in manifest["files"]}
    assert "vendor/pyodide/python_stdlib-app.zip" in paths
    assert "vendor/pyodide/python_stdlib.zip" in manifest["lazy"]
    assert "vendor/pyodide/python_stdlib-app.zip" not in manifest["lazy"]
    assert (out / "vendor" / "pyodide" / "python_stdlib-app.zip.gz").is_file()
    with zipfile.ZipFile(out / "vendor" / "pyodide" / "python_stdlib-app.zip") as zf:
        names = zf.namelist()
        bytecode = {n: zf.read(n) for n in names if n.endswith(".pyc")}
    modules = {build.module_name(n) for n in names if n.endswith((".py", ".pyc"))}
    assert modules == (LISTED & set(stdlib_list.zip_modules(FULL_ZIP))) | {"carelog_stdlib_fallback"}
    # the modules chosen for bytecode ship as .pyc only, with the browser's magic number
    assert {build.module_name(n) for n in bytecode} == set(build.STDLIB_COMPILED)
    assert not {n[:-1] for n in bytecode} & set(names)
    with zipfile.ZipFile(out / "app" / build.WHEEL_NAME) as wheel:
        app_magic = {wheel.read(n)[:4] for n in wheel.namelist() if n.endswith(".pyc")}
    assert len(app_magic) == 1 and {data[:4] for data in bytecode.values()} == app_magic
    assert "./vendor/pyodide/tzdata-stored.zip" in (out / "pyscript.json").read_text()


# --------------------------------------------------------------------------- the finder

def full_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("carelog_fake_left_out.py", "VALUE = 42\n")
        zf.writestr("carelog_fake_pkg/__init__.py", "")
        zf.writestr("carelog_fake_pkg/sub.py", "VALUE = 'sub'\n")
    return buffer.getvalue()


@pytest.fixture
def finder(tmp_path):
    module = load_fallback()
    calls = []

    def download(url):
        calls.append(url)
        return full_zip_bytes()

    made = module.MissingStdlibFinder("https://example.test/full.zip",
                                      frozenset({"carelog_fake_left_out", "carelog_fake_pkg.sub"}),
                                      str(tmp_path / "trimmed"), download, str(tmp_path / "full.zip"))
    made.calls = calls
    yield made
    if made.full_path in sys.path:
        sys.path.remove(made.full_path)
    for name in ("carelog_fake_left_out", "carelog_fake_pkg", "carelog_fake_pkg.sub"):
        sys.modules.pop(name, None)


def test_finder_ignores_names_that_were_not_left_out(finder):
    assert finder.find_spec("numpy") is None
    assert finder.find_spec("json") is None
    assert finder.calls == [] and not finder.loaded


def test_finder_downloads_the_full_zip_once_and_loads_from_it(finder, tmp_path):
    spec = finder.find_spec("carelog_fake_left_out")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.VALUE == 42
    # a submodule of a package the trimmed zip kept: found in the full zip's same folder
    spec = finder.find_spec("carelog_fake_pkg.sub", [str(tmp_path / "trimmed" / "carelog_fake_pkg")])
    sub = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sub)
    assert sub.VALUE == "sub"
    assert finder.calls == ["https://example.test/full.zip"]
    assert finder.fetched == ["carelog_fake_left_out", "carelog_fake_pkg.sub"]


def test_finder_offline_says_why_in_plain_words(tmp_path):
    module = load_fallback()

    def offline(url):
        raise OSError("HTTP 0")

    finder = module.MissingStdlibFinder("u", frozenset({"difflib"}), "/t", offline, str(tmp_path / "f.zip"))
    with pytest.raises(ModuleNotFoundError) as caught:
        finder.find_spec("difflib")
    assert caught.value.name == "difflib"
    assert "not in carelog's offline copy" in str(caught.value)
    assert "Connect to the internet" in str(caught.value)
    assert not finder.loaded and not (tmp_path / "f.zip").exists()


def test_the_working_folder_sees_files_written_at_the_same_mtime(tmp_path, monkeypatch):
    """A folder whose listing was cached by a failed lookup, then given a new
    package without its mtime changing (same millisecond, a frozen clock): the
    plain path finder keeps the stale listing; the fresh folder finder finds it."""
    import os

    fallback = load_fallback()
    folder = tmp_path / "home"
    folder.mkdir()
    stamp = (1_700_000_000, 1_700_000_000)
    os.utime(folder, stamp)
    name = f"written_late_{os.getpid()}"

    def write_package_at_the_same_mtime():
        (folder / name).mkdir()
        (folder / name / "__init__.py").write_text("VALUE = 42\n")
        os.utime(folder, stamp)

    plain = importlib.machinery.FileFinder(str(folder), (importlib.machinery.SourceFileLoader, [".py"]))
    assert plain.find_spec(name) is None  # the listing is cached now
    write_package_at_the_same_mtime()
    assert plain.find_spec(name) is None  # stale: this is what broke starts

    (folder / name / "__init__.py").unlink()
    (folder / name).rmdir()
    os.utime(folder, stamp)
    monkeypatch.setattr(sys, "path", [str(folder)] + sys.path)
    monkeypatch.setattr(sys, "path_hooks", list(sys.path_hooks))
    monkeypatch.setattr(sys, "path_importer_cache", dict(sys.path_importer_cache))
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(name)  # the folder's finder is made and has looked once
    fallback.install_fresh_folder(str(folder))
    fallback.install_fresh_folder(str(folder))  # once only
    assert sum(hasattr(hook, "carelog_fresh_folder") for hook in sys.path_hooks) == 1
    write_package_at_the_same_mtime()
    try:
        assert importlib.import_module(name).VALUE == 42
        assert isinstance(sys.path_importer_cache[str(folder)], fallback.FreshFolderFinder)
    finally:
        sys.modules.pop(name, None)

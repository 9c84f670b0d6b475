#!/usr/bin/env python3
"""Write browser-stdlib.txt: the standard-library modules carelog's browser build ships.

build.py packs only these modules into the trimmed standard library
(``vendor/pyodide/python_stdlib-app.zip``); anything else is fetched from the
full ``python_stdlib.zip`` on first import (``py/stdlib_fallback.py``).

The list is the union of
  1. what the real app imports in Chromium: ``sys.modules`` after walking every
     screen reachable by a link (tests/browser/screens_walk.py), on a normal
     start and on a snapshot start;
  2. the stdlib imports found by static analysis of py/ (the app, main.py, the
     fallback finder; not the desktop-only cli.py and __main__.py), of the
     vendored segno and tzdata wheels, and a few names the runtime needs;
then closed over the module-level imports of those modules (imports inside
functions are left to the fallback, or to step 1 when the app uses them).

Usage:
    .venv/bin/python build.py && .venv/bin/python tests/stdlib_list.py [--dist dist] [--no-browser]
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIST_FILE = ROOT / "browser-stdlib.txt"
DESKTOP_ONLY = ("carelog/cli.py", "carelog/__main__.py")
# what Pyodide and zoneinfo need that no import statement in py/ names
RUNTIME = ("encodings", "encodings.aliases", "encodings.utf_8", "encodings.latin_1", "encodings.ascii",
           "encodings.utf_16_le", "encodings.idna", "zoneinfo", "zoneinfo._tzpath", "zoneinfo._common",
           "importlib.resources", "_pyodide", "pyodide", "site", "sitecustomize")
# branches never taken in the browser: `if __name__ == "__main__":`, Windows-only code
SKIPPED_IF = re.compile(r"__main__|win32|os\.name == .nt.|sys\.platform == .darwin.")
IMPORT_LINE = re.compile(r"^(?:from\s+(\.*[\w.]*)\s+import\s+(.+)|import\s+(.+))$")


# --------------------------------------------------------------------------- the zip

def zip_modules(zip_path: Path) -> dict[str, str]:
    """{module name: path in the zip} of every .py module in a stdlib zip
    (a package's name maps to its __init__.py)."""
    names = {}
    with zipfile.ZipFile(zip_path) as zf:
        for entry in zf.namelist():
            if entry.endswith(".py"):
                parts = entry[:-3].split("/")
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                names[".".join(parts)] = entry
    return names


def imports_of(source: str, module: str, is_package: bool, module_level_only: bool) -> set[str]:
    """Absolute names a module imports ("from a import b" gives a and a.b).

    module_level_only skips imports inside functions (lazy imports). Sources newer
    than this Python's grammar fall back to a line scan (unindented lines only
    when module_level_only)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()

    def add(base: str, level: int, names: list[str]) -> None:
        if level:
            parts = package.split(".") if package else []
            parts = parts[:len(parts) - (level - 1)] if level > 1 else parts
            base = ".".join([*parts, base] if base else parts)
        if base:
            found.add(base)
        for name in names:
            if name != "*" and base:
                found.add(f"{base}.{name}")

    try:
        tree = ast.parse(source)
    except SyntaxError:
        for line in source.splitlines():
            if module_level_only and line[:1].isspace():
                continue
            match = IMPORT_LINE.match(line.strip())
            if not match:
                continue
            if match[3]:
                for part in match[3].split(","):
                    found.add(part.split(" as ")[0].strip())
            else:
                raw = match[1]
                level = len(raw) - len(raw.lstrip("."))
                names = [n.split(" as ")[0].strip(" ()\\") for n in match[2].split(",")]
                add(raw.lstrip("."), level, [n for n in names if n.isidentifier()])
        return {name for name in found if name}

    def visit(node, inside_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and SKIPPED_IF.search(ast.unparse(child.test)):
                for other in child.orelse:  # e.g. `if sys.platform == "win32": ... else: ...`
                    visit(ast.Module(body=[other], type_ignores=[]), inside_function)
                continue
            in_function = inside_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import) and not (module_level_only and inside_function):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and not (module_level_only and inside_function):
                add(child.module or "", child.level, [alias.name for alias in child.names])
            visit(child, in_function)

    visit(tree, False)
    return found


def closure(seeds: set[str], zip_path: Path) -> set[str]:
    """seeds (and their parent packages) that exist in the zip, plus every module
    they import at module level, transitively."""
    modules = zip_modules(zip_path)
    done: set[str] = set()
    todo = [name for name in seeds]
    with zipfile.ZipFile(zip_path) as zf:
        while todo:
            name = todo.pop()
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix not in modules or prefix in done:
                    continue
                done.add(prefix)
                entry = modules[prefix]
                source = zf.read(entry).decode("utf-8")
                todo.extend(imports_of(source, prefix, entry.endswith("__init__.py"), True))
    return done


# --------------------------------------------------------------------------- static analysis

def app_sources(root: Path = ROOT) -> list[Path]:
    """The Python files that run in the browser: py/ but the desktop-only CLI."""
    py = root / "py"
    return sorted(p for p in py.rglob("*.py")
                  if "__pycache__" not in p.parts and p.relative_to(py).as_posix() not in DESKTOP_ONLY)


def app_imports(root: Path = ROOT) -> set[str]:
    """Top-level and dotted names of every absolute import in the browser's py/ files
    (lazy ones included), carelog's own and pyodide's/js's left out."""
    names: set[str] = set()
    for path in app_sources(root):
        rel = path.relative_to(root / "py").with_suffix("").parts
        module = ".".join(rel[:-1] if rel[-1] == "__init__" else rel)
        for name in imports_of(path.read_text("utf-8"), module, rel[-1] == "__init__", False):
            if name.split(".")[0] not in ("carelog", "js", "pyodide_js", "pyscript", "segno"):
                names.add(name)
    return names


def wheel_imports(wheel: Path, skip: tuple[str, ...] = ()) -> set[str]:
    """Every absolute import in a pure-Python wheel's modules (but the files in skip)."""
    names: set[str] = set()
    with zipfile.ZipFile(wheel) as zf:
        for entry in zf.namelist():
            if entry.endswith(".py") and entry not in skip:
                parts = entry[:-3].split("/")
                is_pkg = parts[-1] == "__init__"
                module = ".".join(parts[:-1] if is_pkg else parts)
                names |= imports_of(zf.read(entry).decode("utf-8"), module, is_pkg, False)
    return names


# --------------------------------------------------------------------------- the browser

def traced_modules(dist: Path) -> set[str]:
    """sys.modules in the real app after walking every screen, on a normal start
    and again on a snapshot start."""
    sys.path.insert(0, str(ROOT))
    from tests.browser.helpers import AppServer, launched_chromium, setup_person, wait_ready
    from tests.browser.screens_walk import walk_all_screens

    source = "import sys; sorted(sys.modules)"
    # a recipient in another zone than UTC: what the app imports to read its rules
    zones = ("from carelog.domain.zones import zone; zone('America/New_York'); "
             "import zoneinfo; len(zoneinfo.available_timezones())")
    names: set[str] = set()
    server = AppServer(dist).start()
    try:
        with launched_chromium() as browser:
            page = browser.new_context().new_page()
            page.goto(server.url + "?debug=1")
            wait_ready(page)
            setup_person(page, "Ann", "Mum")
            routes = walk_all_screens(page)
            page.evaluate("(s) => window.carelogDebug.runPython(s)", zones)
            names |= set(page.evaluate("(s) => window.carelogDebug.runPython(s)", source))
            page.wait_for_function("document.documentElement.dataset.snapshotSaved", timeout=120_000)
            page.reload()
            wait_ready(page)
            walk_all_screens(page)
            names |= set(page.evaluate("(s) => window.carelogDebug.runPython(s)", source))
            print(f"walked {len(routes)} routes", file=sys.stderr)
    finally:
        server.stop()
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--no-browser", action="store_true", help="static analysis only (keeps the traced names "
                        "already in the list)")
    args = parser.parse_args(argv)
    full = ROOT / "node_modules" / "pyodide" / "python_stdlib.zip"
    wheels = sorted((ROOT / ".cache" / "wheels").glob("*.whl"))
    seeds = set(RUNTIME) | app_imports()
    for wheel in wheels:
        if wheel.name.startswith(("segno-", "tzdata-")):
            seeds |= wheel_imports(wheel, skip=("segno/cli.py",))
    if args.no_browser:
        seeds |= read_list()
    else:
        seeds |= traced_modules(args.dist)
    modules = sorted(closure(seeds, full))
    LIST_FILE.write_text(
        "# Standard-library modules in carelog's trimmed python_stdlib zip (build.py).\n"
        "# Generated by tests/stdlib_list.py: the modules the app imports in Chromium across\n"
        "# every screen, its static imports, and their module-level imports. Any other\n"
        "# module is fetched from the full zip on first import (py/stdlib_fallback.py).\n"
        + "".join(f"{name}\n" for name in modules), "utf-8")
    print(f"{len(modules)} modules -> {LIST_FILE.relative_to(ROOT)}")
    return 0


def read_list(path: Path = LIST_FILE) -> set[str]:
    """The module names in browser-stdlib.txt."""
    if not path.is_file():
        return set()
    return {line.strip() for line in path.read_text("utf-8").splitlines()
            if line.strip() and not line.startswith("#")}


if __name__ == "__main__":
    sys.exit(main())

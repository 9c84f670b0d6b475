"""The dependency rule (DESIGN.md section 3), proved under CPython: every
module imports; the core imports only the standard library and carelog; only
the browser glue touches ``js``, ``pyodide`` or ``pyscript``, and not at
module level outside the files allowed to."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

PY = Path(__file__).resolve().parents[2] / "py"
PACKAGE = PY / "carelog"
BROWSER_NAMES = {"js", "pyodide", "pyscript"}
BROWSER_FILES = {"carelog/adapters/browser.py", "carelog/ui/dom.py", "main.py"}


def _rel(path: Path) -> str:
    return path.relative_to(PY).as_posix()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PY).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = sorted(PACKAGE.rglob("*.py"))
ALL_FILES = sorted(PY.rglob("*.py"))


def _is_pure(rel: str) -> bool:
    """Files that must import only the standard library and carelog."""
    if rel.startswith("carelog/domain/") or rel.startswith("carelog/interop/"):
        return True
    if rel.startswith("carelog/sync/"):
        return not Path(rel).name.startswith("engine")
    return rel in {"carelog/services.py", "carelog/ports.py", "carelog/ui/views.py", "carelog/ui/markup.py",
                   "carelog/ui/controller.py", "carelog/ui/describe.py", "carelog/ui/state.py",
                   "carelog/ui/safety_controller.py", "carelog/ui/safety_views.py", "carelog/ui/safety_state.py",
                   "carelog/ui/chart_views.py", "carelog/ui/report_views.py", "carelog/ui/report_controller.py",
                   "carelog/ui/report_state.py", "carelog/ui/report_text.py",
                   "carelog/ui/lock_controller.py", "carelog/ui/lock_views.py"}


def _imports(tree: ast.AST, module_level_only: bool):
    """(line, top-level name or '.', for relative) of every import."""
    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import) and not (module_level_only and in_function):
                for alias in child.names:
                    yield child.lineno, alias.name.split(".")[0]
            elif isinstance(child, ast.ImportFrom) and not (module_level_only and in_function):
                yield child.lineno, "." if child.level else (child.module or "").split(".")[0]
            elif isinstance(child, ast.Call) and getattr(child.func, "id", None) == "__import__" \
                    and not (module_level_only and in_function):
                arg = child.args[0] if child.args else None
                yield child.lineno, arg.value.split(".")[0] if isinstance(arg, ast.Constant) else "?dynamic"
            yield from visit(child, inner)
    yield from visit(tree, False)


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_the_package_has_the_expected_modules():
    names = {_rel(p) for p in MODULES}
    for expected in ("carelog/domain/hlc.py", "carelog/domain/events.py", "carelog/domain/fold.py",
                     "carelog/services.py", "carelog/ui/views.py", "carelog/ui/controller.py",
                     "carelog/adapters/memory.py", "carelog/bootstrap.py"):
        assert expected in names


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_every_module_imports_under_cpython(path):
    module = importlib.import_module(_module_name(path))
    assert module.__name__ == _module_name(path)
    for name in BROWSER_NAMES:
        assert name not in sys.modules, f"importing {_rel(path)} pulled in {name}"


def test_core_imports_only_stdlib_and_carelog():
    allowed = set(sys.stdlib_module_names) | {"carelog", "."}
    offenders = []
    for path in MODULES:
        rel = _rel(path)
        if not _is_pure(rel):
            continue
        for line, name in _imports(_tree(path), module_level_only=False):
            if name not in allowed:
                offenders.append(f"{rel}:{line} imports {name}")
    assert not offenders, "the core must import only the standard library and carelog:\n" + "\n".join(offenders)


def test_only_browser_glue_imports_browser_modules_at_module_level():
    offenders = []
    for path in ALL_FILES:
        rel = _rel(path)
        if rel in BROWSER_FILES:
            continue
        for line, name in _imports(_tree(path), module_level_only=True):
            if name in BROWSER_NAMES:
                offenders.append(f"{rel}:{line} imports {name}")
    assert not offenders, "only the browser glue may import js/pyodide/pyscript at module level:\n" + \
        "\n".join(offenders)


def test_browser_glue_in_the_package_imports_js_lazily():
    """adapters/browser.py and ui/dom.py must still import under CPython."""
    for rel in ("carelog/adapters/browser.py", "carelog/ui/dom.py", "carelog/ui/report_dom.py"):
        path = PY / rel
        module_level = {name for _, name in _imports(_tree(path), module_level_only=True)}
        assert not module_level & BROWSER_NAMES, rel


def test_the_rule_checker_sees_offences():
    """Guard the guard: a module-level ``import js`` and a third-party import are caught."""
    tree = ast.parse("import os\nimport js\ntry:\n    from pyodide.ffi import x\nexcept ImportError:\n"
                     "    pass\ndef f():\n    import pyscript\nimport requests\nfrom . import a\n")
    module_level = [n for _, n in _imports(tree, module_level_only=True)]
    everywhere = [n for _, n in _imports(tree, module_level_only=False)]
    assert module_level == ["os", "js", "pyodide", "requests", "."]
    assert "pyscript" in everywhere and "pyscript" not in module_level

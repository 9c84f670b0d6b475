"""Every module's doctests run (and pass) under CPython."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PY = Path(__file__).resolve().parents[2] / "py"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PY).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULE_NAMES = sorted(_module_name(p) for p in (PY / "carelog").rglob("*.py"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_doctests(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    for test in finder.find(module, name):
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)


def test_doctests_exist_where_the_design_promises_examples():
    have = set()
    for name in MODULE_NAMES:
        if any(t.examples for t in doctest.DocTestFinder().find(importlib.import_module(name), name)):
            have.add(name)
    for name in ("carelog.domain.hlc", "carelog.domain.events", "carelog.domain.fold",
                 "carelog.domain.validation", "carelog.ui.markup", "carelog.ui.views", "carelog.ui.controller",
                 "carelog.services"):
        assert name in have, f"{name} lost its doctest examples"

"""Test-wide setup: the app package lives in py/."""

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each test's call report on the item (``item.rep_call``), so page
    fixtures can tell at teardown whether the test already failed."""
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report

"""The EntryStore contract suite, run inside Chromium against IndexedDB.

The same file (tests/contract/entry_store_contract.py) runs under CPython against
the in-memory store. Here its source is sent into the page (``?debug=1`` exposes
``carelogDebug.runPython``), executed as a fresh module, and ``run_all`` gets a
``make_store`` that opens a new, uniquely named IndexedDB database per check.
The suite runs once per module; each check is one pytest test.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from ..contract import entry_store_contract as contract
from .helpers import TABLET, Guard, run_python, wait_ready

pytestmark = pytest.mark.browser

CONTRACT_FILE = Path(contract.__file__)

RUNNER = """
import json
import types

from carelog.adapters.browser import IndexedDB

source = {source!r}
module = types.ModuleType("entry_store_contract_in_browser")
exec(compile(source, "entry_store_contract.py", "exec"), module.__dict__)

opened = []

async def make_store():
    name = f"contract-{run_id}-{{len(opened)}}"
    database = await IndexedDB.open(name)
    opened.append(name)
    database.entries.bound_settings = database.settings  # put_pulled's one transaction
    return database.entries

run_id = {run_id!r}
results = await module.run_all(make_store)
json.dumps({{"results": results, "databases": opened}})
"""


@pytest.fixture(scope="module")
def contract_run(browser, _server, dist_dir):
    """Run the whole suite once in a fresh page; returns (report, guard)."""
    if _server.folder != dist_dir or not _server.running:
        _server.serve(dist_dir)
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    guard = Guard(_server)
    guard.attach(context, page)
    try:
        page.goto(_server.url + "?debug=1")
        wait_ready(page)
        source = RUNNER.format(source=CONTRACT_FILE.read_text("utf-8"), run_id=uuid.uuid4().hex[:8])
        report = json.loads(run_python(page, source))
        names = page.evaluate("indexedDB.databases().then(list => list.map(d => d.name))")
        report["browser_databases"] = names
        yield report, guard
    finally:
        context.close()


@pytest.mark.parametrize("name", [check.__name__ for check in contract.CHECKS])
def test_indexeddb_meets_contract(contract_run, name):
    report, _guard = contract_run
    by_name = {r["name"]: r for r in report["results"]}
    assert name in by_name, f"{name} did not run in the browser"
    result = by_name[name]
    assert result["ok"], result["error"]


def test_suite_ran_every_check_against_real_indexeddb(contract_run):
    report, guard = contract_run
    assert [r["name"] for r in report["results"]] == [c.__name__ for c in contract.CHECKS]
    # every check got its own fresh database, and they really are IndexedDB databases
    assert len(report["databases"]) == len(set(report["databases"])) >= len(contract.CHECKS)
    assert set(report["databases"]) <= set(report["browser_databases"])
    assert not guard.problems(), guard.problems()

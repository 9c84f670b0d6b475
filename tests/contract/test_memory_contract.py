"""The EntryStore contract against the in-memory store, under CPython."""

import asyncio

import pytest

from carelog.adapters.memory import MemoryEntryStore

from . import entry_store_contract as contract


async def _make_store():
    return MemoryEntryStore()


@pytest.mark.parametrize("check", contract.CHECKS, ids=lambda c: c.__name__)
def test_memory_store_meets_contract(check):
    asyncio.run(check(_make_store))


def test_run_all_reports_every_check():
    results = asyncio.run(contract.run_all(_make_store))
    assert [r["name"] for r in results] == [c.__name__ for c in contract.CHECKS]
    assert all(r["ok"] for r in results), [r for r in results if not r["ok"]]

"""The app's sync service over the in-memory host: configure, run, status, backoff."""

from __future__ import annotations

import asyncio
import random

import pytest

from carelog.adapters.memory import MemoryEntryStore, MemorySettings
from carelog.adapters.memory_transport import MemoryHost, TestOnlyCipher, pbkdf2_key
from carelog.bootstrap import build_for_tests
from carelog.ports import SyncTransport, TransportError
from carelog.sync.engine import SyncError
from carelog.sync.service import (BACKOFF_MOST_MS, INTERVAL_MS, KeyStore, SyncService, SyncStatus, describe,
                                  next_delay_ms)


async def _derive(passphrase, salt, iterations):
    return TestOnlyCipher(pbkdf2_key(passphrase, salt, 1000))  # fewer rounds: speed; the app uses 600,000


def _device(host, name):
    store = MemoryEntryStore()
    log = build_for_tests(store=store, settings=MemorySettings())
    service = SyncService(log, feed=store, make_transport=lambda auth: host.transport(), keys=KeyStore(),
                          derive=_derive, random_bytes=lambda n: bytes(range(n)))
    return log, service


class _Offline(SyncTransport):
    async def get(self, url, etag=None):
        raise TransportError("offline")

    async def put(self, url, body, if_match=None):
        raise TransportError("offline")

    async def list(self, folder_url):
        raise TransportError("offline")


def test_create_join_sync_and_status():
    async def run():
        host = MemoryHost.webdav()
        a, sa = _device(host, "a")
        await a.start()
        a.device_id = "dev-a"
        b, sb = _device(host, "b")
        await b.start()
        b.device_id = "dev-b"
        with pytest.raises(SyncError):
            await sa.configure(host.url, passphrase="secret words")  # no circle, not creating
        assert await sa.configure(host.url, passphrase="secret words", create=True) == "Circle created."
        with pytest.raises(SyncError):
            await sb.configure(host.url, passphrase="wrong words")
        assert sb.config is None
        assert await sb.configure(host.url, passphrase="secret words") == "Joined the circle."
        report = await sa.sync_now()
        assert report.ok and report.unexpected is None
        assert sa.status.last_success is not None and sa.status.failures == 0
        report = await sb.sync_now()
        assert report.ok
        assert "Synced" in describe(sb.status, sb.status.last_success)
        # a new service object reads the saved status and config
        again = SyncService(b, feed=b.store, make_transport=lambda auth: host.transport(), keys=sb.keys,
                            derive=_derive, random_bytes=lambda n: bytes(n))
        status = await again.load()
        assert status.configured and again.config.circle == sa.config.circle and again.config.encrypted
        # a failing run counts failures and says why
        again.make_transport = lambda auth: _Offline()
        report = await again.sync_now()
        assert not report.ok and again.status.failures == 1 and again.status.last_error
        await again.turn_off()
        assert (await again.load()).configured is False
    asyncio.run(run())


def test_backoff_grows_and_is_capped():
    rng = random.Random(1)
    assert next_delay_ms(0) == INTERVAL_MS
    delays = [next_delay_ms(n, rng) for n in range(1, 12)]
    assert delays[0] < delays[2] < delays[4]
    assert max(delays) <= BACKOFF_MOST_MS


def test_describe_plain_words():
    assert describe(SyncStatus(configured=True), 0) == "Not synced yet."
    text = describe(SyncStatus(configured=True, last_success=0, pending=1, last_error="No answer."), 7_200_000)
    assert text == "Synced 2 hours ago. 1 entry waiting to sync. Last problem: No answer."

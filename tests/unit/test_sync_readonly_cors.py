"""A static host on another origin refuses a PUT at the CORS preflight, which
``fetch`` reports as no answer at all. When reads work and a write gets no
answer twice in a row, the report says plainly that the address is read-only;
a single lost answer is still just "will retry"."""

from __future__ import annotations

from carelog.adapters.memory_transport import MemoryTransport
from carelog.ports import TransportError

from test_sync_helpers import circle_of, run


class PreflightRefused(MemoryTransport):
    async def put(self, url, body, if_match=None):
        raise TransportError("Failed to fetch")


class OneLostAnswer(MemoryTransport):
    def __init__(self, host):
        super().__init__(host)
        self.failed = False

    async def put(self, url, body, if_match=None):
        if not self.failed:
            self.failed = True
            raise TransportError("connection reset")
        return await super().put(url, body, if_match)


def test_reads_without_writes_is_reported_as_read_only():
    async def scenario():
        host, a, b = await circle_of("a", "b", notes=["from A"])
        await a.sync()
        b.transport = PreflightRefused(host)
        await b.create("from B")
        report = await b.sync()
        assert report.pulled == 1 and report.read_only and report.pending == 1
        assert report.errors[0].startswith("The sync address does not accept changes (read-only)")
        assert not any(e.startswith("No answer") for e in report.errors)
    run(scenario())


def test_one_lost_answer_is_not_read_only():
    async def scenario():
        host, a = await circle_of("a")
        a.transport = OneLostAnswer(host)
        await a.create("one")
        report = await a.sync()
        assert not report.read_only and not report.ok
        again = await a.sync()
        assert again.ok and again.pending == 0
        assert any("/seg-" in p for p in host.files)
    run(scenario())

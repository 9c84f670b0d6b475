"""A 2xx answer to a PUT is not proof that the file is there: a device checks
on a later run that its own segments are on the endpoint, and sends again,
as the same bytes under the same name, any that were lost."""

from __future__ import annotations

import pytest

from carelog.adapters.memory_transport import MemoryHost, MemoryTransport
from carelog.ports import Response
from carelog.sync import format as fmt

from test_sync_helpers import circle_of, run


class ForgetfulTransport(MemoryTransport):
    """Acknowledges the first PUT of every segment with 201 and stores nothing
    (a proxy or a full disk that still says yes)."""

    def __init__(self, host: MemoryHost):
        super().__init__(host)
        self.dropped: list[str] = []
        self.tried: set[str] = set()

    async def put(self, url: str, body: bytes, if_match: str | None = None) -> Response:
        if "/seg-" in url and url not in self.tried:
            self.tried.add(url)
            self.dropped.append(url)
            return Response(201)
        return await super().put(url, body, if_match)


def _own_segments(host: MemoryHost, device: str) -> dict[str, bytes]:
    return {p: b for p, b in host.files.items() if p.startswith(f"devices/{device}/seg-")}


@pytest.mark.parametrize("listing", [True, False])
@pytest.mark.parametrize("cipher", [False, True])
def test_lost_segments_are_sent_again_as_the_same_bytes(listing, cipher):
    async def scenario():
        host, a, b = await circle_of("a", "b", cipher=cipher, host=MemoryHost.webdav(listing=listing))
        a.transport = ForgetfulTransport(host)
        for i in range(5):
            await a.create(f"note {i}")
        first = await a.sync()
        assert first.ok and first.pushed == 5 and first.resent == 0   # the host said yes...
        assert a.transport.dropped and _own_segments(host, a.id) == {}  # ...and kept nothing
        index = fmt.decode_index(host.files[f"devices/{a.id}/index.json"], circle="circle-1", device=a.id)
        listed = {s.n: s.sha256 for s in index.segments}

        missing = await b.sync()   # B sees the index but not the file: it says so and keeps asking
        assert not missing.ok and missing.pulled == 0
        assert any("missing" in e for e in missing.errors)

        second = await a.sync()     # a later run of A notices and sends the same file again
        assert second.ok and second.resent == len(listed) and second.pushed == 0
        stored = _own_segments(host, a.id)
        assert {int(p.rsplit("-", 1)[1].split(".")[0]): fmt.sha256_hex(body) for p, body in stored.items()} \
            == listed  # same names, same bytes as listed: readers' checks pass

        third = await a.sync()      # now seen: verified, nothing sent again
        assert third.ok and third.resent == 0
        assert (await a.settings.get(next(k for k in a.settings._values if k.endswith(":push"))))["unverified"] \
            == []
        assert not any(k.split(":")[-2:-1] == ["sent"] and v for k, v in a.settings._values.items())

        pulled = await b.sync()
        assert pulled.ok and pulled.pulled == 5
        assert await b.ids() == await a.ids()
    run(scenario())


def test_a_faithful_host_costs_one_listing_and_no_resend():
    async def scenario():
        host, a = await circle_of("a", notes=["one"])
        await a.sync()
        puts_before = host.count("PUT")
        report = await a.sync()
        assert report.ok and report.resent == 0
        assert host.count("PUT") == puts_before  # nothing re-sent
        report = await a.sync()                  # verified already: no more checks
        assert report.resent == 0 and host.count("PUT") == puts_before
    run(scenario())


def test_a_stale_listing_only_causes_a_resend_of_identical_bytes():
    async def scenario():
        host, a = await circle_of("a", notes=[f"n{i}" for i in range(3)])
        await a.sync()
        before = dict(_own_segments(host, a.id))

        class StaleList(MemoryTransport):
            async def list(self, folder_url):
                return [] if folder_url.endswith(f"{a.id}/") else await super().list(folder_url)

        report = await a.sync(transport=StaleList(host))
        assert report.ok and report.resent == len(before)
        assert _own_segments(host, a.id) == before  # identical bytes under identical names
    run(scenario())

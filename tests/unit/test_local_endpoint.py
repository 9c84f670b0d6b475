"""The writable local endpoint of ``build.py serve --endpoint-port``: two devices
sync through it with the real engine (a urllib transport stands in for fetch)."""

from __future__ import annotations

import asyncio
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from local_endpoint import start_endpoint  # noqa: E402

from carelog.adapters.memory import MemoryEntryStore, MemorySettings  # noqa: E402
from carelog.bootstrap import build_for_tests  # noqa: E402
from carelog.ports import Response, SyncTransport, TransportError  # noqa: E402
from carelog.sync import format as fmt  # noqa: E402
from carelog.sync.engine import create_circle, sync_once  # noqa: E402


class UrllibTransport(SyncTransport):
    def __init__(self, origin: str):
        self.origin = origin

    def _do(self, method, url, body=None, headers=None):
        request = urllib.request.Request(url, data=body, method=method,
                                         headers={"Origin": self.origin, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return Response(resp.status, resp.read(), resp.headers.get("ETag")), dict(resp.headers)
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), error.headers.get("ETag")), dict(error.headers)
        except OSError as error:
            raise TransportError(str(error)) from None

    async def get(self, url, etag=None):
        return self._do("GET", url, headers={"If-None-Match": etag} if etag else {})[0]

    async def put(self, url, body, if_match=None):
        return self._do("PUT", url, body=bytes(body))[0]

    async def list(self, folder_url):
        resp = await self.get(folder_url)
        if resp.status != 200:
            return None
        return fmt.parse_autoindex(resp.body)


def test_two_devices_sync_through_the_local_endpoint(tmp_path):
    app_origin = "http://127.0.0.1:8000"
    server = start_endpoint(tmp_path, "127.0.0.1", 0, [app_origin])
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/circle/"
    transport = UrllibTransport(app_origin)
    try:
        # CORS and the refusals
        resp, headers = transport._do("OPTIONS", endpoint + "x.json")
        assert resp.status == 204 and headers["Access-Control-Allow-Origin"] == app_origin
        assert "If-None-Match" in headers["Access-Control-Allow-Headers"]
        assert transport._do("PUT", endpoint.replace("/circle/", "/other/") + "x", b"{}")[0].status == 403
        assert transport._do("GET", endpoint + "../build.py")[0].status == 404

        async def run():
            await create_circle(endpoint, transport, "circle-local")
            logs = []
            for name in ("a", "b"):
                store = MemoryEntryStore()
                log = build_for_tests(store=store, settings=MemorySettings())
                await log.start()
                log.device_id = f"dev-{name}"
                logs.append((log, store))
            (a, sa), (b, sb) = logs
            recipient = await a.add_recipient({"name": "Mum"})
            for log, store in logs:
                report = await sync_once(endpoint=endpoint, device_id=log.device_id, store=store, feed=store,
                                         transport=transport, settings=log.settings)
                assert report.ok and report.unexpected is None, report
            assert [r.id for r in await b.recipients()] == [recipient.id]
            # nothing new: indexes answer 304
            etag_index = await transport.get(endpoint + "devices/dev-a/index.json")
            again = await transport.get(endpoint + "devices/dev-a/index.json", etag_index.etag)
            assert again.status == 304
        asyncio.run(run())
    finally:
        server.shutdown()
        server.server_close()

"""A read-only static HTTP server (standard library) on 127.0.0.1 for the sync
tests: it serves a copy of a circle folder with CORS for GET, like a static
host (GitHub Pages, a CDN) a circle folder was published to.

    server = StaticServer(folder, app_origin="http://127.0.0.1:8000").start()
    server.endpoint      # http://127.0.0.1:<port>/circle/
    server.stop()

GET and HEAD serve files (JSON as application/json) with CORS. The CORS
preflight (OPTIONS) allows only GET and HEAD, so a browser refuses a PUT
before it is sent, as with a real static host; a PUT that still arrives gets
405. ``writes`` counts PUTs that arrived (none should).
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

from .nginx_server import free_port


class StaticServer:
    def __init__(self, folder: Path, app_origin: str, circle_path: str = "/circle/"):
        self.folder = Path(folder)
        self.app_origin = app_origin
        self.circle_path = circle_path
        self.port = free_port()
        self.writes = 0
        self.httpd = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.origin + self.circle_path

    def start(self) -> "StaticServer":
        owner = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".json": "application/json"}

            def end_headers(self):
                self.send_header("Access-Control-Allow-Origin", owner.app_origin)
                self.send_header("Cache-Control", "no-cache")
                super().end_headers()

            def do_OPTIONS(self):
                self.send_response(204)
                self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "If-None-Match")
                self.end_headers()

            def do_PUT(self):
                owner.writes += 1
                self.send_error(405, "read-only")

            def list_directory(self, path):
                self.send_error(404, "no listing")  # static hosts list no folders
                return None

            def log_message(self, format, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port),
                                                     functools.partial(Handler, directory=str(self.folder)))
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

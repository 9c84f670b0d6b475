"""A writable local sync endpoint for ``python3 build.py serve --endpoint-port N``.

Standard library only. It behaves like the nginx WebDAV setup of docs/SYNC.md
(kind 2: PUT without preconditions), so two browser windows on one machine show
the whole sync story without any other server:

- GET a file (``ETag``, ``If-None-Match`` -> 304); GET a folder ending in ``/``
  -> nginx-style JSON listing (``autoindex_format json``); 404 when missing.
- PUT a file: written whole (temporary file + rename), folders created.
- OPTIONS -> 204; every answer carries the CORS headers for the app's origin.
- Only paths under ``/circle/...`` made of safe segments; nothing else.

    python3 build.py serve --endpoint-port 8081     # endpoint http://127.0.0.1:8081/circle/

Files live in ``--endpoint-dir`` (default ``.sync-endpoint/`` in the project).
This is a development tool, bound to 127.0.0.1: no authentication.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.server
import json
import os
import re
import threading
from pathlib import Path

PREFIX = "/circle/"
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}")
MAX_BODY = 64 * 1024 * 1024


def _etag(path: Path) -> str:
    stat = path.stat()
    return '"' + hashlib.sha256(f"{stat.st_mtime_ns}-{stat.st_size}".encode()).hexdigest()[:24] + '"'


def make_endpoint_handler(folder: Path, allow_origins):
    """``allow_origins``: the app's origins (a string or several); the one asking is echoed."""
    folder = Path(folder).resolve()
    origins = [allow_origins] if isinstance(allow_origins, str) else list(allow_origins)

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "carelog-local-endpoint"

        def log_message(self, format, *args):  # noqa: A002 - quiet
            pass

        def _target(self) -> tuple[Path, bool] | None:
            path = self.path.split("?", 1)[0]
            if not path.startswith(PREFIX):
                return None
            rest = path[len(PREFIX):]
            is_folder = rest == "" or rest.endswith("/")
            parts = [p for p in rest.split("/") if p]
            if not all(_SEGMENT.fullmatch(p) and ".." not in p for p in parts):
                return None
            return folder.joinpath("circle", *parts), is_folder

        def _answer(self, status: int, body: bytes = b"", etag: str | None = None,
                    content_type: str = "application/json") -> None:
            self.send_response(status)
            origin = self.headers.get("Origin")
            self.send_header("Access-Control-Allow-Origin", origin if origin in origins else origins[0])
            self.send_header("Vary", "Origin")
            self.send_header("Access-Control-Allow-Methods", "GET, PUT, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match, If-None-Match")
            self.send_header("Access-Control-Expose-Headers", "ETag")
            self.send_header("Access-Control-Max-Age", "600")
            self.send_header("Cache-Control", "no-cache")
            if etag:
                self.send_header("ETag", etag)
            if status not in (204, 304):
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and status not in (204, 304) and self.command != "HEAD":
                self.wfile.write(body)

        def do_OPTIONS(self):  # noqa: N802
            self._answer(204)

        def do_GET(self):  # noqa: N802
            target = self._target()
            if target is None:
                return self._answer(404, b'{"error":"not found"}')
            path, is_folder = target
            if is_folder:
                if not path.is_dir():
                    return self._answer(404, b'{"error":"not found"}')
                items = []
                for child in sorted(path.iterdir()):
                    mtime = email.utils.formatdate(child.stat().st_mtime, usegmt=True)
                    items.append({"name": child.name, "type": "directory" if child.is_dir() else "file",
                                  "mtime": mtime})
                return self._answer(200, json.dumps(items).encode())
            if not path.is_file():
                return self._answer(404, b'{"error":"not found"}')
            etag = _etag(path)
            if self.headers.get("If-None-Match") == etag:
                return self._answer(304, etag=etag)
            return self._answer(200, path.read_bytes(), etag=etag)

        def do_PUT(self):  # noqa: N802
            target = self._target()
            length = int(self.headers.get("Content-Length") or 0)
            if target is None or target[1] or length > MAX_BODY:
                return self._answer(403 if target is None or target[1] else 413, b'{"error":"refused"}')
            body = self.rfile.read(length)
            path = target[0]
            path.parent.mkdir(parents=True, exist_ok=True)
            existed = path.exists()
            tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
            tmp.write_bytes(body)
            os.replace(tmp, path)
            self._answer(204 if existed else 201, etag=_etag(path))

    return Handler


def start_endpoint(folder: Path, host: str, port: int, allow_origins) -> http.server.ThreadingHTTPServer:
    """Start the endpoint in a daemon thread; returns the server (``.shutdown()`` to stop)."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    server = http.server.ThreadingHTTPServer((host, port), make_endpoint_handler(folder, allow_origins))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="carelog-endpoint", daemon=True).start()
    return server

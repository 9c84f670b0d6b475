"""A real nginx (Debian nginx-light, WebDAV) as a subprocess for the sync tests.

    server = NginxServer(tmp_path, app_origin="http://127.0.0.1:8000").start()
    server.endpoint        # http://127.0.0.1:<port>/circle/
    server.files()         # {relative path: bytes} under the served root
    server.stop()

Config: tests/sync/nginx.conf.template, started with
``nginx -p <tmp> -c <conf> -g 'daemon off;'``; pid and logs in the tmp folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NginxServer:
    def __init__(self, folder: Path, app_origin: str, circle_path: str = "/circle/"):
        self.folder = Path(folder)
        self.root = self.folder / "root"
        self.app_origin = app_origin
        self.circle_path = circle_path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.origin + self.circle_path

    def start(self) -> "NginxServer":
        self.root.mkdir(parents=True, exist_ok=True)
        (self.folder / "client_body").mkdir(exist_ok=True)
        user_line = "user root root;" if os.geteuid() == 0 else ""
        conf = self.folder / "nginx.conf"
        conf.write_text(TEMPLATE.read_text("utf-8").format(
            user_line=user_line, prefix=self.folder, port=self.port, root=self.root, app_origin=self.app_origin),
            "utf-8")
        self.proc = subprocess.Popen([NGINX, "-p", str(self.folder), "-c", str(conf), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.proc.stderr.read().decode(errors='replace')}")
            try:
                urllib.request.urlopen(self.origin + "/", timeout=2).read()
                return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not start")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def files(self) -> dict[str, bytes]:
        return {p.relative_to(self.root).as_posix(): p.read_bytes() for p in self.root.rglob("*") if p.is_file()}

    def error_log(self) -> str:
        log = self.folder / "error.log"
        return log.read_text("utf-8", "replace") if log.exists() else ""

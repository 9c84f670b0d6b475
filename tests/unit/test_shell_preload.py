"""index.html names every module of boot.js's static import graph as a modulepreload.

boot.js runs only once all of its static imports (and theirs) are loaded; without
a preload the browser finds a second level of imports only after the first level
arrives, one round trip later, before the service worker is even registered (a
first visit's start waits on that).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "public" / "js"
STATIC_IMPORT = re.compile(r'^import\s+(?:[^"\';]*?\s+from\s+)?["\']\./([\w.-]+\.js)["\'];', re.M)


def static_graph(start: str) -> set[str]:
    """The modules start imports statically, and theirs (not dynamic import())."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(STATIC_IMPORT.findall((JS / name).read_text("utf-8")))
    return seen


def test_the_import_graph_is_found():
    graph = static_graph("boot.js")
    assert {"boot.js", "idb.js", "vault.js", "idle.js"} <= graph  # idle.js is two levels down


def test_every_module_boot_js_loads_is_preloaded():
    html = (ROOT / "index.html").read_text("utf-8")
    preloaded = set(re.findall(r'<link rel="modulepreload" href="\./js/([\w.-]+\.js)">', html))
    assert static_graph("boot.js") == preloaded

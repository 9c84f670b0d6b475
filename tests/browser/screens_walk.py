"""Walk every screen of the app that a link reaches (used by tests and tests/stdlib_list.py).

Starting at the home screen (a person set up first), it visits, breadth first,
every ``#/...`` link it finds on each screen it reaches (up to ``limit``
routes), and returns the routes visited. It clicks nothing that deletes or changes data
(links only change the address), so it can run before a test's own checks.
"""

from __future__ import annotations

LINKS = """() => Array.from(document.querySelectorAll('#app a[href^="#/"], #sync-root a[href^="#/"]'),
  a => a.getAttribute('href'))"""


def _show(page, route: str) -> None:
    """Go to route and wait until Python has handled it (the app's heading is there)."""
    page.evaluate("(r) => { location.hash = r; }", route)
    page.wait_for_function(
        "(r) => location.hash === r || location.hash.startsWith('#/')", arg=route, timeout=15_000)
    page.wait_for_function("() => document.querySelector('#app h1, #app h2') !== null", timeout=15_000)
    page.wait_for_timeout(120)  # let a screen that reads IndexedDB finish rendering


def walk_all_screens(page, limit: int = 120) -> list[str]:
    """Visit every screen reachable by a ``#/`` link; return the routes in visit order."""
    seen: list[str] = []
    queue = ["#/"]
    while queue and len(seen) < limit:
        route = queue.pop(0)
        if route in seen:
            continue
        seen.append(route)
        _show(page, route)
        for href in page.evaluate(LINKS):
            if href not in seen and href not in queue:
                queue.append(href)
    _show(page, "#/")
    return seen

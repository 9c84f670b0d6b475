"""Accessibility checks the browser tests run on a screen: axe-core (from the
npm registry, a devDependency used by the tests only) and touch-target size.

    page = make_page()
    install_axe(page)            # before page.goto: an init script, so the CSP stays as it is
    ...
    check_screen(page, "home")   # fails on serious/critical violations or targets under 44px
    go_and_check(page, "header a.settings-link", "Settings", "settings", seen)  # click, wait, check
"""

from __future__ import annotations

import json

from .helpers import REPO, wait_screen

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
MIN_TARGET_PX = 44

SMALL_TARGETS = """([min, root]) => Array.from(document.querySelector(root)?.querySelectorAll(
    "button, .log-button, a, label.choice, input, select, textarea") ?? [])
  .filter((el) => el.type !== "hidden" && el.getClientRects().length > 0)
  .filter((el) => !(el.matches("input[type=radio], input[type=checkbox]") && el.closest("label")))
  .map((el) => ({ el, box: el.getBoundingClientRect() }))
  .filter(({ box }) => box.width < min - 0.01 || box.height < min - 0.01)
  .map(({ el, box }) => `${el.outerHTML.slice(0, 120)} is ${box.width.toFixed(1)}x${box.height.toFixed(1)}`)"""

AXE_RUN = """async () => {
  const result = await window.axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 3).map((n) => n.html.slice(0, 160)) }));
}"""


def install_axe(page) -> bool:
    """Load axe-core into every document of the page (through the devtools
    protocol, so the page's CSP is not loosened). False when not installed."""
    if not AXE.is_file():
        return False
    page.add_init_script(path=str(AXE))
    return True


def check_screen(page, name: str, seen: list[str] | None = None, root: str = "#app") -> None:
    """Big targets (inside ``root``), and no serious or critical axe violations on the screen shown now."""
    small = page.evaluate(SMALL_TARGETS, [MIN_TARGET_PX, root])
    assert not small, f"{name}: targets under {MIN_TARGET_PX}px: {small}"
    if AXE.is_file():
        assert page.evaluate("typeof window.axe && typeof window.axe.run") == "function", "axe-core not loaded"
        violations = page.evaluate(AXE_RUN)
        assert not violations, f"{name}: {json.dumps(violations, indent=2)}"
    if seen is not None:
        seen.append(name)


def go_and_check(page, link: str, heading: str, name: str, seen: list[str] | None = None) -> None:
    """Click ``link``, wait for the screen whose h1 reads ``heading``, and check it (check_screen)."""
    page.click(link)
    wait_screen(page, heading)
    check_screen(page, name, seen)

"""Keyboard only, labels, and finger-sized targets, on a phone and on a tablet."""

from __future__ import annotations

import pytest

from .helpers import PHONE, TABLET, timeline_summaries, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": PHONE, "tablet": TABLET}
MIN_TARGET = 44

# every screen with a form or tap targets, reached by its route
SCREENS = ["#/log/medication", "#/", "#/log/vital", "#/log/vital/blood_pressure", "#/log/vital/heart_rate",
           "#/log/vital/temperature", "#/log/vital/spo2", "#/log/vital/respiratory_rate",
           "#/log/vital/blood_glucose", "#/log/vital/weight", "#/log/vital/height", "#/log/vital/pain",
           "#/log/symptom", "#/log/note", "#/settings", "#/recipients", "#/recipients/new", "ENTRY",
           "ENTRY/history"]

UNLABELLED = """() => {
  const nameOf = (el) => {
    const byIds = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
      .map((id) => (document.getElementById(id) || {}).textContent || "").join(" ");
    const labels = Array.from(el.labels || []).map((l) => l.textContent).join(" ");
    return (byIds || el.getAttribute("aria-label") || labels || el.getAttribute("title") || "").trim();
  };
  return Array.from(document.querySelectorAll("#app input, #app select, #app textarea"))
    .filter((el) => el.type !== "hidden")
    .filter((el) => !nameOf(el))
    .map((el) => el.outerHTML);
}"""

SMALL_TARGETS = """(min) => {
  const targets = document.querySelectorAll(
    "#app button, #app .log-button, #app a, #app label.choice, #app input, #app select, #app textarea, #toast button");
  return Array.from(targets)
    .filter((el) => el.type !== "hidden" && el.getClientRects().length > 0)
    // a radio or checkbox is tapped through its (big) label
    .filter((el) => !(el.matches("input[type=radio], input[type=checkbox]") && el.closest("label")))
    .map((el) => ({ el, box: el.getBoundingClientRect() }))
    .filter(({ box }) => box.width < min - 0.01 || box.height < min - 0.01)
    .map(({ el, box }) => `${el.outerHTML.slice(0, 120)} is ${box.width.toFixed(1)}x${box.height.toFixed(1)}`);
}"""


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching selector has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{selector} cannot be reached with the Tab key")


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_keyboard_labels_and_tap_targets(make_page, app_server, device):
    page = make_page(viewport=VIEWPORTS[device])
    page.goto(app_server.url)
    wait_ready(page)

    # --- first start and a note, keyboard only --------------------------------
    wait_screen(page, "Welcome to carelog")
    tab_to(page, "#f-name")
    page.keyboard.type("Kim")
    page.keyboard.press("Enter")
    wait_screen(page, "Who do you care for?")
    tab_to(page, "#f-name")
    page.keyboard.type("Nana")
    page.keyboard.press("Enter")
    wait_screen(page, "Nana")

    tab_to(page, "a.log-button[data-kind=note]")
    page.keyboard.press("Enter")
    wait_screen(page, "Log note")
    tab_to(page, "#f-text")
    page.keyboard.type("Logged with the keyboard")
    tab_to(page, "form[data-form='log:note'] button[type=submit]")
    page.keyboard.press("Enter")
    wait_for_toast(page, "Saved: Logged with the keyboard")
    assert timeline_summaries(page) == ["Logged with the keyboard"]
    # after saving, focus is back at the top of the home screen, not lost on <body>
    assert page.evaluate("document.activeElement && document.activeElement.tagName") != "BODY"
    # open it, delete it and undo that, keyboard only (the toast's Undo is reachable)
    tab_to(page, "ol.timeline a.item-link")
    page.keyboard.press("Enter")
    wait_screen(page, "Note")
    tab_to(page, "main button[data-action=delete]")
    page.keyboard.press("Enter")
    wait_for_toast(page, "Deleted: Logged with the keyboard")
    assert timeline_summaries(page) == []
    tab_to(page, "#toast button[data-action=undo]")
    page.keyboard.press("Enter")
    wait_for_toast(page, "Undone.")
    assert timeline_summaries(page) == ["Logged with the keyboard"]

    entry_id = page.locator("ol.timeline [data-entry]").first.get_attribute("data-entry")
    assert entry_id

    # --- every screen: labels and target sizes --------------------------------
    problems = []
    for route in SCREENS:
        route = route.replace("ENTRY", f"#/entry/{entry_id}")
        page.evaluate("document.querySelector('main').dataset.stale = '1'")
        page.goto(app_server.url + route)
        page.wait_for_selector("main:not([data-stale]) h1")  # the new screen was rendered
        for html in page.evaluate(UNLABELLED):
            problems.append(f"{route}: no accessible name: {html}")
        for small in page.evaluate(SMALL_TARGETS, MIN_TARGET):
            problems.append(f"{route}: small target: {small}")
    assert not problems, "\n".join(problems)

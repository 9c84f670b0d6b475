"""A typing mistake is refused plainly, keeps what was typed, and saves nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import setup_person, timeline_summaries, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

SYSTOLIC_MESSAGE = "Systolic (top number) of 900 mmHg is not possible. Enter a number from 20 to 300."


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_impossible_systolic_is_refused_and_form_kept(page, app_server):
    page.goto(app_server.url)
    wait_ready(page)
    setup_person(page, "Bea", "Dad")
    # one good entry first, so "nothing added" is checked against a non-empty timeline
    page.click("a.log-button[data-kind=note]")
    page.fill("#f-text", "Morning walk")
    page.click("form[data-form='log:note'] button[type=submit]")
    wait_for_toast(page, "Saved: Morning walk")
    before = timeline_summaries(page)
    assert before == ["Morning walk"]

    page.goto(app_server.url + "#/log/vital/blood_pressure")
    wait_screen(page, "Blood pressure")
    page.fill("#f-systolic", "900")
    page.fill("#f-diastolic", "80")
    page.fill("#f-note", "Measured twice, left arm")
    page.click("form[data-form='log:vital'] button[type=submit]")

    # the plain message, next to the field and in the summary at the top
    expect(page.locator("#err-systolic")).to_have_text(SYSTOLIC_MESSAGE)
    expect(page.locator("#form-problem")).to_contain_text(SYSTOLIC_MESSAGE)
    # still on the form, with what was typed
    wait_screen(page, "Blood pressure")
    assert page.url.endswith("#/log/vital/blood_pressure")
    expect(page.locator("#f-systolic")).to_have_value("900")
    expect(page.locator("#f-diastolic")).to_have_value("80")
    expect(page.locator("#f-note")).to_have_value("Measured twice, left arm")
    # the invalid field is marked, described by its message, and has the focus
    expect(page.locator("#f-systolic")).to_have_attribute("aria-invalid", "true")
    assert "err-systolic" in (page.get_attribute("#f-systolic", "aria-describedby") or "").split()
    expect(page.locator("#f-diastolic")).not_to_have_attribute("aria-invalid", "true")
    assert focused_id(page) == "f-systolic"
    # no "Saved" toast, and Save can be pressed again
    expect(page.locator("#toast")).not_to_contain_text("Saved")
    expect(page.locator("form[data-form='log:vital'] button[type=submit]")).to_be_enabled()

    # nothing was added to the timeline
    page.locator("form[data-form='log:vital'] a.button", has_text="Cancel").click()
    wait_screen(page, "Dad")
    assert timeline_summaries(page) == before

    # a refused dose without a reason is refused too, and the choice is kept
    page.click("a.log-button[data-kind=medication]")
    page.fill("#f-name", "Warfarin")
    page.click("label.choice:has(input[value=refused])")
    page.click("form[data-form='log:medication'] button[type=submit]")
    expect(page.locator("#err-reason")).to_have_text("Say why the dose was refused.")
    expect(page.locator("#f-name")).to_have_value("Warfarin")
    expect(page.locator("input[name=status][value=refused]")).to_be_checked()
    assert focused_id(page) == "f-reason"

    # fixing the mistake saves exactly one entry
    page.fill("#f-reason", "Asleep")
    page.click("form[data-form='log:medication'] button[type=submit]")
    wait_for_toast(page, "Saved: Warfarin")
    assert timeline_summaries(page) == ["Warfarin, by mouth: Refused", "Morning walk"]

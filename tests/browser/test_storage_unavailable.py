"""No usable IndexedDB: the app says so plainly and never pretends to save.

Three ways browsers refuse storage, injected before any page script runs:
``indexedDB.open`` throws a SecurityError (sandboxed / blocked storage), the
open request fails later with an InvalidStateError (old Firefox private
windows), and ``window.indexedDB`` is null (storage switched off).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import app_state

pytestmark = pytest.mark.browser

STORAGE_MESSAGE = "carelog cannot store data in this browser, so it will not pretend to save anything."

BLOCKERS = {
    "open-throws-security-error": """
        IDBFactory.prototype.open = function () {
          throw new DOMException("The user denied permission to access the database.", "SecurityError");
        };
    """,
    "open-request-fails": """
        IDBFactory.prototype.open = function () {
          const request = new EventTarget();
          const error = new DOMException("A mutation operation was attempted on a database that did not allow mutations.", "InvalidStateError");
          Object.defineProperties(request, {
            error: { get: () => error }, result: { get: () => { throw error; } },
            readyState: { value: "done" }, onerror: { value: null, writable: true },
            onsuccess: { value: null, writable: true }, onupgradeneeded: { value: null, writable: true },
            onblocked: { value: null, writable: true },
          });
          setTimeout(() => {
            const event = new Event("error", { cancelable: true });
            if (typeof request.onerror === "function") request.onerror(event);
            request.dispatchEvent(event);
          }, 5);
          return request;
        };
    """,
    "indexeddb-null": """
        Object.defineProperty(window, "indexedDB", { get: () => null, configurable: true });
    """,
}


@pytest.mark.parametrize("blocker", list(BLOCKERS))
def test_storage_unavailable_shows_plain_message(make_page, app_server, blocker):
    page = make_page()
    page.context.add_init_script(BLOCKERS[blocker])
    # Expected, and only this: none of the blockers should make the app log an
    # error, but a browser may report the refused storage on the console.
    page.guard.allow_console_error(r"SecurityError|InvalidStateError|IndexedDB|indexedDB")
    page.goto(app_server.url)
    page.wait_for_function(
        "() => ['ready', 'error'].includes(document.documentElement.dataset.appState)", timeout=90_000)
    assert app_state(page) == "error"

    error_box = page.locator("#boot-error")
    expect(error_box).to_be_visible()
    expect(page.locator("#boot-error-text")).to_contain_text(STORAGE_MESSAGE)
    expect(page.locator("#boot-error-text")).to_contain_text("open carelog in a normal window")
    expect(page.locator("#boot-error h1")).to_be_focused()
    expect(page.locator("#boot")).to_be_hidden()

    # no form pretends to save: the app never rendered, nothing can be typed or saved
    expect(page.locator("#app")).to_be_hidden()
    assert page.locator("form").count() == 0
    assert page.locator("[data-form], [data-action]").count() == 0
    assert page.locator("input, textarea, select").count() == 0
    # and it stays that way (no late start that shows a form after all)
    page.wait_for_timeout(1500)
    assert app_state(page) == "error"
    assert page.locator("form").count() == 0


def test_database_of_a_newer_version_is_left_alone_and_explained(make_page, app_server):
    """After a rollback the device may hold a newer schema: say so, change nothing."""
    page = make_page()
    setup = page.context.new_page()
    setup.goto(app_server.url + "asset-manifest.json")
    version = setup.evaluate("""async () => {
      const db = await new Promise((resolve, reject) => {
        const req = indexedDB.open("carelog", 99);
        req.onupgradeneeded = () => req.result.createObjectStore("future", { keyPath: "id" })
          .put({ id: "kept", text: "saved by a newer carelog" });
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const v = db.version; db.close(); return v;
    }""")
    assert version == 99
    setup.close()
    page.guard.allow_console_error(r"VersionError|version")
    page.goto(app_server.url)
    page.wait_for_function(
        "() => ['ready', 'error'].includes(document.documentElement.dataset.appState)", timeout=90_000)
    assert app_state(page) == "error"
    expect(page.locator("#boot-error-text")).to_contain_text("saved by a newer version of carelog")
    expect(page.locator("#boot-error-text")).to_contain_text("Nothing was changed")
    kept = page.evaluate("""async () => {
      const db = await new Promise((resolve) => { const r = indexedDB.open("carelog"); r.onsuccess = () => resolve(r.result); });
      const row = await new Promise((resolve) => { const q = db.transaction("future").objectStore("future").get("kept"); q.onsuccess = () => resolve(q.result); });
      const v = db.version; db.close(); return [v, row && row.text];
    }""")
    assert kept == [99, "saved by a newer carelog"]

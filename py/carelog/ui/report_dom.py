"""Browser glue for the report screens: print, file downloads, the file picker,
and sharing the handoff (Web Share API, else the clipboard).

``DomApp._on_click`` hands every ``data-action`` here first; ``handle_click``
returns True when it took the click. Print and share run inside the click
(browsers allow them only during a user gesture); downloads and the import
preview run as one user action through ``DomApp.run_action``.

    if report_dom.handle_click(app, action, data):
        return
"""

from __future__ import annotations

from typing import Any

from .state import Toast

ACTIONS = frozenset({"print", "download", "import-preview", "share-handoff"})
COPIED = "Copied the handoff summary. Paste it into a message or a notes app."
SHARED = "Handoff summary shared."
NOT_COPIED = ("This browser did not allow copying. Select the summary in the box and copy it "
              "(long press, then Copy).")


PREPARING = {"#/report": "Preparing the report…", "#/charts": "Preparing the chart…"}


def show_preparing(app: Any, route: str) -> None:
    """Before a report or chart is read and built: mark ``main`` busy and say so in a status line
    (plain text; the next render replaces it). It shows while the reads wait on IndexedDB."""
    words = next((text for head, text in PREPARING.items() if route == head or route.startswith(head + "/")), None)
    main = app.document.getElementById("main")
    if words is None or main is None or getattr(app, "_acting", False):
        return
    main.setAttribute("aria-busy", "true")
    note = app.document.createElement("p")
    note.setAttribute("role", "status")
    note.className = "preparing"
    note.textContent = words
    main.prepend(note)


def listen(app: Any) -> None:
    """Make a chart's table when its "Show as table" disclosure opens (``fill_table``). The
    ``toggle`` event does not bubble: one listener on the root, in the capture phase."""
    from pyodide.ffi import create_proxy  # noqa: PLC0415 - browser only

    proxy = create_proxy(lambda event: fill_table(app, event.target))
    app._proxies.append(proxy)
    app.root.addEventListener("toggle", proxy, True)


def fill_table(app: Any, details: Any) -> bool:
    """Put the chart's table (``chart_table``, as the "details" figure has it) into an opened
    "later" disclosure of the chart on screen, and drop its mark: the markup is then the one a
    figure built with its table has. True when it was filled."""
    from .chart_views import TABLE_LATER, chart_table, later_key  # noqa: PLC0415

    state = app.controller.state
    chart = state.report.chart
    if (not getattr(details, "open", False) or chart is None or state.screen != "charts"
            or details.getAttribute(TABLE_LATER) != later_key(chart)):
        return False
    details.insertAdjacentHTML("beforeend", str(chart_table(chart, state.care.tz)))
    details.removeAttribute(TABLE_LATER)
    return True


def handle_click(app: Any, action: str, data: dict) -> bool:
    """Take the click if it is one of ours (see the module)."""
    if action not in ACTIONS:
        return False
    if action == "print":
        app.window.print()
    elif action == "download":
        app.run_action(lambda: _download(app, data.get("id", "")))
    elif action == "import-preview":
        app.run_action(lambda: _preview(app))
    else:
        _share(app)
    return True


def _js_options(values: dict) -> Any:
    import js  # noqa: PLC0415 - browser only
    from pyodide.ffi import to_js  # noqa: PLC0415 - browser only

    return to_js(values, dict_converter=js.Object.fromEntries)


async def _download(app: Any, what: str) -> None:
    """Make the file in Python, then save it through a Blob and an ``<a download>`` (no network)."""
    import js  # noqa: PLC0415 - browser only
    from pyodide.ffi import create_once_callable, to_js  # noqa: PLC0415 - browser only

    state = app.controller.state
    made = await app.controller.reports.export_file(what)
    if made is None:
        state.toast = Toast("Nothing of this kind is recorded yet, so there is no file.", tone="warn")
        return
    name, mime, body = made
    data = js.Uint8Array.new(len(body))
    data.assign(body)
    blob = js.Blob.new(to_js([data]), _js_options({"type": mime}))
    url = js.URL.createObjectURL(blob)
    link = app.document.createElement("a")
    link.href = url
    link.download = name
    link.hidden = True
    app.document.body.appendChild(link)
    link.click()
    link.remove()
    js.setTimeout(create_once_callable(lambda: js.URL.revokeObjectURL(url)), 60_000)
    state.toast = Toast(f"Saved to downloads: {name}")


async def _preview(app: Any) -> None:
    """Read the chosen file and show the import preview (or say why not)."""
    picker = app.document.getElementById("f-import-file")
    files = getattr(picker, "files", None) if picker is not None else None
    if files is None or int(files.length) == 0:
        await app.controller.reports.preview_file("", None)
        return
    chosen = files.item(0)
    if int(chosen.size) > 10_000_000:
        await app.controller.reports.preview_file(str(chosen.name), b"\0" * 10_000_001)
        return
    buffer = await chosen.arrayBuffer()
    await app.controller.reports.preview_file(str(chosen.name), bytes(buffer.to_bytes()))


def _share(app: Any) -> None:
    """Share through the Web Share API where there is one, else copy to the clipboard.

    The browser call is made now, inside the click (both need a user gesture);
    its answer is awaited after."""
    import js  # noqa: PLC0415 - browser only

    text = app.controller.state.report.handoff_text
    navigator = js.navigator
    if getattr(navigator, "share", None) is not None:
        promise = navigator.share(_js_options({"title": "Shift handoff", "text": text}))
        app.run_action(lambda: _after_share(app, promise, text))
        return
    app.run_action(lambda: _after_copy(app, _write_clipboard(text)))


def _write_clipboard(text: str) -> Any:
    """The clipboard's promise, or None when there is no clipboard (an insecure page)."""
    import js  # noqa: PLC0415 - browser only

    clipboard = getattr(js.navigator, "clipboard", None)
    return clipboard.writeText(text) if clipboard is not None else None


async def _after_share(app: Any, promise: Any, text: str) -> None:
    try:
        await promise
        app.controller.state.toast = Toast(SHARED)
    except Exception as error:  # cancelled by the user, or no share target
        if "AbortError" in str(error):  # the caregiver closed the share sheet: nothing to say
            return
        await _after_copy(app, _write_clipboard(text))


async def _after_copy(app: Any, promise: Any) -> None:
    try:
        if promise is None:
            raise RuntimeError("no clipboard")
        await promise
        app.controller.state.toast = Toast(COPIED)
    except Exception:  # not allowed, or no clipboard: the text is on screen to copy by hand
        app.controller.state.toast = Toast(NOT_COPIED, tone="warn")

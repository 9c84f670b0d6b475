"""Crash cycles: a real Chromium with a persistent profile writes a burst of
entries through the app's forms and is killed (SIGKILL) mid-burst; then it is
started again on the same profile and the stored data is checked.

Used by ``test_crash.py`` (a handful of cycles) and ``tests/soak/crash_soak.py``
(hundreds):

    chromium = browser.browser_type            # or sync_playwright().start().chromium
    with crash_profile(tmp) as profile:
        result = run_cycle(chromium, server, profile, cycle=0, kill_after_s=1.5)
        check_after_restart(chromium, server, profile, [result])   # raises AssertionError

What counts as "shown as saved": a note whose "Saved: <text>" toast the test
saw on the page before the kill. Every such note must be stored after the
restart; every stored record must parse as an event and fold; every stored
note must be one the burst tried to save (nothing half-written or invented);
every event has exactly one row in the sync change feed.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from carelog.domain.events import RECIPIENT, Event
from carelog.domain.fold import fold

from .helpers import CHROMIUM, CHROMIUM_ARGS, TABLET, Guard, setup_person, wait_ready, wait_screen

RECIPIENT_NAME = "Crash Test"
NOTE = re.compile(r"crash (\d+)-(\d+)")

DUMP_JS = """async () => {
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open("carelog");
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  try {
    const tx = db.transaction(["events", "feed"], "readonly");
    const get = (req) => new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
    const [events, feed] = await Promise.all([get(tx.objectStore("events").getAll()),
                                              get(tx.objectStore("feed").getAll())]);
    return { events, feed };
  } finally { db.close(); }
}"""


@dataclass
class CycleResult:
    """What one burst did before the kill."""

    cycle: int
    attempted: list[str] = field(default_factory=list)   # texts typed and submitted (or about to be)
    confirmed: list[str] = field(default_factory=list)   # texts whose "Saved" toast was seen
    killed: bool = False


@contextlib.contextmanager
def crash_profile(parent: Path | None = None):
    """A fresh Chromium profile folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="carelog-crash-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def launch(chromium, profile: Path):
    """A persistent-profile Chromium context (the profile survives a kill)."""
    context = chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, viewport=TABLET)
    context.set_default_timeout(30_000)
    return context


def profile_pids(profile: Path) -> list[int]:
    """Processes of the Chromium started on this profile (main browser first)."""
    marker = f"--user-data-dir={profile}".encode()
    main, others = [], []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if marker in cmdline:
            (others if b"--type=" in cmdline else main).append(int(entry))
    return main + others


def kill_browser(profile: Path) -> bool:
    """SIGKILL the browser started on this profile (and any of its processes left)."""
    pids = profile_pids(profile)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return bool(pids)


def _wait_gone(profile: Path, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while profile_pids(profile) and time.monotonic() < deadline:
        time.sleep(0.05)


def run_cycle(chromium, server, profile: Path, cycle: int, kill_after_s: float, max_entries: int = 200,
              guard_problems: list | None = None) -> CycleResult:
    """Start the app on the profile, log notes as fast as the UI allows, and
    SIGKILL the browser ``kill_after_s`` seconds into the burst."""
    result = CycleResult(cycle)
    context = launch(chromium, profile)
    guard = Guard(server)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        guard.attach(context, page)
        page.goto(server.url)
        wait_ready(page)
        if page.locator("main h1").inner_text() == "Welcome to carelog":
            setup_person(page, "Crash Tester", RECIPIENT_NAME)
        wait_screen(page, RECIPIENT_NAME)
        kill_started = threading.Event()

        def kill_now() -> None:
            kill_started.set()  # set first: the page may report itself closed before kill_browser returns
            result.killed = kill_browser(profile)

        timer = threading.Timer(kill_after_s, kill_now)
        timer.start()
        try:
            for n in range(max_entries):
                text = f"crash {cycle}-{n}"
                result.attempted.append(text)
                page.click("main a.log-button[data-kind=note]", timeout=10_000)
                page.fill("#f-text", text, timeout=10_000)
                page.click("form[data-form='log:note'] button[type=submit]", timeout=10_000)
                page.locator("#toast .toast").filter(has_text=f"Saved: {text}").wait_for(timeout=10_000)
                result.confirmed.append(text)
                page.locator("main a.log-button[data-kind=note]").wait_for(timeout=10_000)
        except Exception:
            if not kill_started.is_set():
                raise
            timer.join()  # the kill is under way: let it finish and record whether it found the browser
            if not result.killed:
                raise
        finally:
            timer.cancel()
        if not result.killed:  # the burst ended before the timer: kill now
            result.killed = kill_browser(profile)
    finally:
        _wait_gone(profile)
        with contextlib.suppress(Exception):
            context.close()
    if guard_problems is not None:
        # before the kill nothing may go wrong; errors caused by the kill itself are not the app's
        guard_problems.extend(f"cycle {cycle}: {k}: {v}" for k, v in guard.problems().items()
                              if k != "console errors")
    return result


def check_after_restart(chromium, server, profile: Path, results: list[CycleResult]) -> dict:
    """Start the app again on the profile and check the data against every cycle so far.

    Returns counts (events, notes, confirmed). Raises AssertionError on loss,
    a half-written or unknown record, or a broken change feed."""
    context = launch(chromium, profile)
    guard = Guard(server)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        guard.attach(context, page)
        page.goto(server.url)
        wait_ready(page)
        wait_screen(page, RECIPIENT_NAME)
        dump = page.evaluate(DUMP_JS)
        counts = verify_dump(dump, results)
        # the newest confirmed note is on the home screen too
        confirmed = [t for r in results for t in r.confirmed]
        if confirmed:
            newest = page.locator("ol.timeline .summary").first.inner_text()
            assert NOTE.fullmatch(newest), newest
        problems = guard.problems()
        assert not problems, f"after restart: {problems}"
        return counts
    finally:
        context.close()
        _wait_gone(profile)


def verify_dump(dump: dict, results: list[CycleResult]) -> dict:
    """The checks on a raw IndexedDB dump (``DUMP_JS``)."""
    records = dump["events"]
    events = [Event.from_record(record) for record in records]  # raises on a half-written record
    entries = fold(events)
    notes = [e.payload["text"] for e in entries.values() if e.kind == "note"]
    assert len(notes) == len(set(notes)), "a note was stored twice"
    attempted = {t for r in results for t in r.attempted}
    confirmed = {t for r in results for t in r.confirmed}
    unknown = set(notes) - attempted
    assert not unknown, f"stored notes nobody typed: {sorted(unknown)[:5]}"
    lost = confirmed - set(notes)
    assert not lost, f"notes shown as saved but lost after the crash: {sorted(lost)}"
    assert sum(1 for e in entries.values() if e.kind == RECIPIENT) == 1
    # a feed position holds [id, device], the id alone (from the version 3 upgrade),
    # or {"ids": [[id, device], ...]} (a pulled batch)
    feed = [pair[0] for row in dump["feed"] for pair in
            (row["ids"] if isinstance(row, dict) else [row] if isinstance(row, list) else [[row]])]
    assert sorted(feed) == sorted(r["id"] for r in records), "the change feed and the events disagree"
    return {"events": len(records), "notes": len(notes), "confirmed": len(confirmed),
            "attempted": len(attempted)}


def random_kill_delay(rng: random.Random) -> float:
    """Seconds into a burst: early (first save in flight) to a few saves in."""
    return rng.uniform(0.2, 4.0)

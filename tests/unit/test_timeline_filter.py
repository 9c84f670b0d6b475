"""Timeline filters and search: the filter in the route, the store's quick
pass against a brute-force check, the use case over edits and deletes, and
the screen through the Controller (in-memory adapters)."""

from __future__ import annotations

import asyncio
import datetime as dt

from hypothesis import given, settings, strategies as st

from carelog.adapters.memory import CountingIds, FixedClock, MemoryEntryStore, MemorySettings
from carelog.bootstrap import TEST_EPOCH_MS, build_for_tests
from carelog.domain import timeline_filter as tf
from carelog.domain.events import Event
from carelog.domain.fold import fold
from carelog.timeline import find_entries
from carelog.ui import views
from carelog.ui.controller import Controller

HOUR = 3_600_000
DAY = 24 * HOUR


def run(coro):
    return asyncio.run(coro)


# --- the filter in the route ---------------------------------------------------

filters = st.builds(
    tf.TimelineFilter,
    kinds=st.lists(st.sampled_from(tf.TIMELINE_KINDS), unique=True, max_size=3).map(tuple),
    author=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
                   max_size=20),
    start=st.none() | st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)),
    end=st.none(),
    text=st.lists(st.text("abcäß&=?#% é1", min_size=1, max_size=8).filter(str.strip), max_size=3)
    .map(lambda ws: " ".join(w.strip() for w in ws)).map(lambda t: " ".join(t.split())),
    count=st.integers(1, tf.MAX_COUNT),
)


@given(filters)
def test_a_filter_survives_the_route(flt):
    back, problems = tf.parse_query(tf.route(flt).partition("?")[2])
    assert problems == {}
    assert back == flt


@given(st.text(max_size=300))
@settings(max_examples=200)
def test_any_query_string_parses_without_failing(query):
    flt, problems = tf.parse_query(query)
    assert 1 <= flt.count <= tf.MAX_COUNT
    assert all(k in tf.TIMELINE_KINDS for k in flt.kinds)
    assert all(isinstance(v, str) and v for v in problems.values())


def test_bad_fields_are_named_and_left_out():
    flt, problems = tf.parse_query("kind=rocket&from=2026-13-01&to=2026-01-05&q=fall")
    assert flt.kinds == () and flt.start is None and flt.end == dt.date(2026, 1, 5) and flt.words == ("fall",)
    assert "kind" in problems and "from" in problems
    flt, problems = tf.parse_query("from=2026-02-01&to=2026-01-05")
    assert flt.start == dt.date(2026, 2, 1) and flt.end is None
    assert problems == {"to": "The last day is before the first day."}


def test_more_adds_a_page_and_keeps_the_rest():
    flt = tf.parse_query("kind=vital&q=high")[0]
    assert tf.route(flt.more()) == "#/timeline?kind=vital&q=high&n=100"


def test_days_become_instants_with_the_local_offset():
    flt = tf.parse_query("from=2026-03-02&to=2026-03-02")[0]
    q = tf.store_query(flt, "r", lambda ms: -300)  # UTC-5
    start = int(dt.datetime(2026, 3, 2, 5, tzinfo=dt.timezone.utc).timestamp() * 1000)
    assert (q["start"], q["end"]) == (start, start + DAY)


# --- the store's quick pass vs brute force --------------------------------------------

WORDS = ("fell", "kitchen", "tea", "calm", "pain")
AUTHORS = ("Ann", "Bob", "ann")


def _event(i: int, kind: str, author: str, at: int, words: list[str]) -> Event:
    payload = {"note": " ".join(words).title(), "n": i} if kind != "note" else {"text": " ".join(words)}
    return Event.create(id=f"e{i:04d}", recipient="r", kind=kind, at=at, payload=payload, author=author,
                        device="d", hlc=f"{at:013d}-000000-d")


events_strategy = st.lists(
    st.tuples(st.sampled_from(tf.TIMELINE_KINDS + ("profile",)), st.sampled_from(AUTHORS),
              st.integers(0, 40 * DAY), st.lists(st.sampled_from(WORDS), max_size=3)),
    max_size=60)
queries = st.fixed_dictionaries({
    "kinds": st.lists(st.sampled_from(tf.TIMELINE_KINDS), unique=True, min_size=1, max_size=7),
    "author": st.none() | st.sampled_from(("ann", "bob")),
    "words": st.lists(st.sampled_from(WORDS + ("ki", "zzz")), unique=True, max_size=2),
    "start": st.none() | st.integers(0, 20 * DAY),
    "end": st.none() | st.integers(20 * DAY, 41 * DAY),
    "limit": st.integers(1, 30),
})


@given(events_strategy, queries)
@settings(max_examples=150, deadline=None)
def test_find_events_matches_a_brute_force_search(rows, query):
    store = MemoryEntryStore()
    events = [_event(i, kind, author, TEST_EPOCH_MS + at, words) for i, (kind, author, at, words) in enumerate(rows)]
    run(store.put_events(events))
    q = {**query, "recipient": "r"}
    if q["start"] is not None:
        q["start"] += TEST_EPOCH_MS
    if q["end"] is not None:
        q["end"] += TEST_EPOCH_MS
    found, more = run(store.find_events(q))
    expected = sorted((e for e in events if tf.event_matches(e, q)), key=lambda e: (e.at, e.id), reverse=True)
    assert [e.id for e in found] == [e.id for e in expected[:q["limit"]]]
    assert more == (len(expected) > q["limit"])
    for e in found:  # every hit really has the kind, author, time and words
        assert e.kind in q["kinds"]
        assert q["author"] is None or e.author.lower() == q["author"]
        text = tf.haystack(e.payload)
        assert all(w in text for w in q["words"])


# --- the use case: edits and deletes ----------------------------------------------------

async def _log():
    log = build_for_tests(clock=FixedClock(TEST_EPOCH_MS))
    await log.set_caregiver("Ann")
    mum = await log.add_recipient({"name": "Mum"})
    return log, mum.id


def test_search_sees_the_current_text_and_skips_deleted_entries():
    async def go():
        log, rid = await _log()
        fell = await log.log(rid, "note", {"text": "Fell in the kitchen"})
        gone = await log.log(rid, "note", {"text": "kitchen tap drips"})
        await log.delete(gone.id)
        changed = await log.log(rid, "note", {"text": "kitchen again"})
        await log.edit(changed.id, {"text": "garden walk"})
        for i in range(5):
            await log.log(rid, "symptom", {"name": "Pain", "severity": str(i)})
        page = await find_entries(log, rid, tf.parse_query("q=kitchen")[0])
        assert [e.id for e in page.entries] == [fell.id] and not page.more
        page = await find_entries(log, rid, tf.parse_query("q=garden")[0])
        assert [e.id for e in page.entries] == [changed.id]
        page = await find_entries(log, rid, tf.parse_query("kind=symptom&n=3")[0])
        assert len(page.entries) == 3 and page.more
        assert [e.payload["severity"] for e in page.entries] == [4, 3, 2]
        page = await find_entries(log, rid, tf.parse_query("by=bob")[0])
        assert page.entries == [] and not page.more
        page = await find_entries(log, rid, tf.parse_query("by=ANN&kind=note")[0])
        assert {e.id for e in page.entries} == {fell.id, changed.id}
    run(go())


def test_many_deleted_matches_still_fill_a_page():
    async def go():
        log, rid = await _log()
        keep = [await log.log(rid, "note", {"text": f"keep {i}"}) for i in range(4)]
        for i in range(30):
            e = await log.log(rid, "note", {"text": f"drop {i}"})
            await log.delete(e.id)
        page = await find_entries(log, rid, tf.parse_query("n=4")[0])
        assert {e.id for e in page.entries} == {e.id for e in keep}
    run(go())


# --- the screen -------------------------------------------------------------------------

def test_the_timeline_screen_keeps_the_filter_in_the_route_and_says_what_it_could_not_use():
    async def go():
        c = Controller(build_for_tests(clock=FixedClock(TEST_EPOCH_MS)))
        await c.start()
        await c.submit("caregiver", {"name": "Ann"})
        await c.submit("recipient", {"name": "Mum"})
        await c.submit("log:note", {"text": "Fell <b>in</b> the kitchen"})
        await c.care.submit("daily:fluids", {"amount_ml": "250", "drink": "Tea"})
        await c.submit("timeline-filter", {"kind": "daily_living", "by": "", "from": "", "to": "", "q": "tea"})
        assert c.state.screen == "timeline" and c.state.route == "#/timeline?kind=daily_living&q=tea"
        html = str(views.render(c.state))
        assert "Drinks: 250 mL of Tea" in html and "kitchen" not in html
        assert 'value="tea"' in html
        await c.navigate("#/timeline?q=kitchen&from=yesterday")
        html = str(views.render(c.state))
        assert "Fell &lt;b&gt;in&lt;/b&gt; the kitchen" in html
        assert "The first day is not a date" in html
        await c.navigate("#/timeline?q=nothing-like-this")
        assert c.state.timeline == []
        assert "Nothing matches" in str(views.render(c.state))
    run(go())

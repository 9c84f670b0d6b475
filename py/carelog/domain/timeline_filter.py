r"""Timeline filters: which entries a caregiver wants to see, kept in the route.

A ``TimelineFilter`` is what the filter form says (kind, caregiver, a date
range in local days, words to search for, how many to show). It lives in the
address (``#/timeline?kind=vital&by=Ann&from=2026-01-01&to=2026-01-31&q=fall&n=50``)
so Back and Forward work; ``parse_query`` reads it back and says in plain words
what it could not use.

The store is asked with ``store_query`` (times in ms, words lower-cased). Its
search is a quick pass over **events** (``event_matches``); the entries folded
from them are checked again with ``entry_matches``, because the event that
matched may be an older version of the entry.

Search matches every word of the search in the text of the entry (notes,
names, places...), ignoring case and accents: a word of 3 or more characters
finds the words it starts ("amb" finds "ambulance"), a shorter one finds that
whole word (``search_words``, the same rules as the browser's word index):

    >>> flt, problems = parse_query("kind=note&q=Fell%20kitchen&n=100")
    >>> flt.kinds, flt.words, flt.count, problems
    (('note',), ('fell', 'kitchen'), 100, {})
    >>> to_query(flt)
    'kind=note&q=Fell+kitchen&n=100'
    >>> haystack({"text": "Fell in the KITCHEN", "n": 3})
    'fell in the kitchen\n3'
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

from . import search_words
from .events import LOG_KINDS

# What the timeline shows: what caregivers log, daily living, appointments and plan tasks done.
TIMELINE_KINDS = LOG_KINDS + ("daily_living", "appointment", "task")
PAGE = 50            # entries per "Show more"
MAX_COUNT = 2_000    # the most one page may ask for
MAX_TEXT = 200       # longest search text
MAX_WORDS = 10
DAY_MS = 86_400_000


@dataclass(frozen=True)
class TimelineFilter:
    """What to show. ``start``/``end`` are local days, both included."""

    kinds: tuple[str, ...] = ()
    author: str = ""
    start: _dt.date | None = None
    end: _dt.date | None = None
    text: str = ""
    count: int = PAGE

    @property
    def words(self) -> tuple[str, ...]:
        """The search words, lower-cased, accents dropped (at most ``MAX_WORDS``)."""
        return tuple(search_words.query_words(self.text))[:MAX_WORDS]

    @property
    def active(self) -> bool:
        """True when anything narrows the list."""
        return bool(self.kinds or self.author or self.start or self.end or self.words)

    def more(self, step: int = PAGE) -> "TimelineFilter":
        """The same filter showing ``step`` more entries."""
        return replace(self, count=min(MAX_COUNT, self.count + step))


def parse_query(query: str) -> tuple[TimelineFilter, dict[str, str]]:
    """A filter from a route's query string, and plain-language problems by field
    (a field with a problem is left out of the filter, the rest still applies)."""
    from urllib.parse import parse_qsl  # noqa: PLC0415 - urllib.parse imports ipaddress: ~100 ms a cold start does not need

    values: dict[str, str] = {}
    for key, value in parse_qsl(str(query or "")[:2_000], keep_blank_values=True):
        values.setdefault(key, value)
    return parse_form(values)


def parse_form(values: Mapping[str, Any]) -> tuple[TimelineFilter, dict[str, str]]:
    """A filter from the form's fields (``kind``, ``by``, ``from``, ``to``, ``q``, ``n``)."""
    problems: dict[str, str] = {}

    def text(key: str) -> str:
        value = values.get(key, "")
        return " ".join(value.split()) if isinstance(value, str) else ""

    kinds: tuple[str, ...] = ()
    raw = text("kind")
    if raw:
        wanted = tuple(dict.fromkeys(k.strip() for k in raw.split(",") if k.strip()))
        if all(k in TIMELINE_KINDS for k in wanted):
            kinds = wanted
        else:
            problems["kind"] = "That kind of entry is not known; showing every kind."
    author = text("by")
    if len(author) > 200:
        author, problems["by"] = "", "That name is too long."
    start = _date(text("from"), "from", "The first day", problems)
    end = _date(text("to"), "to", "The last day", problems)
    if start and end and start > end:
        problems["to"] = "The last day is before the first day."
        end = None
    search = text("q")
    if len(search) > MAX_TEXT:
        search = search[:MAX_TEXT]
        problems["q"] = f"Only the first {MAX_TEXT} characters of the search are used."
    count = PAGE
    if text("n"):
        try:
            count = max(1, min(MAX_COUNT, int(text("n"))))
        except ValueError:
            count = PAGE
    return TimelineFilter(kinds, author, start, end, search, count), problems


def _date(raw: str, key: str, label: str, problems: dict[str, str]) -> _dt.date | None:
    if not raw:
        return None
    try:
        day = _dt.date.fromisoformat(raw)
    except ValueError:
        problems[key] = f"{label} is not a date like 2026-03-02."
        return None
    if not 1900 <= day.year <= 2200:
        problems[key] = f"{label} is out of range."
        return None
    return day


def to_query(flt: TimelineFilter) -> str:
    """The query string of a filter (empty parts left out, stable order)."""
    pairs = []
    if flt.kinds:
        pairs.append(("kind", ",".join(flt.kinds)))
    if flt.author:
        pairs.append(("by", flt.author))
    if flt.start:
        pairs.append(("from", flt.start.isoformat()))
    if flt.end:
        pairs.append(("to", flt.end.isoformat()))
    if flt.text:
        pairs.append(("q", flt.text))
    if flt.count != PAGE:
        pairs.append(("n", str(flt.count)))
    from urllib.parse import urlencode  # noqa: PLC0415 - urllib.parse imports ipaddress: ~100 ms a cold start does not need

    return urlencode(pairs)


def route(flt: TimelineFilter) -> str:
    """``#/timeline`` with the filter in its query."""
    query = to_query(flt)
    return "#/timeline" + (f"?{query}" if query else "")


def store_query(flt: TimelineFilter, recipient: str, offset_at: Callable[[int], int],
                limit: int | None = None) -> dict:
    """What to ask the store: instants ``[start, end)`` from the local days (with the
    device's offset at that instant), lower-cased caregiver and words."""
    def midnight(day: _dt.date) -> int:
        naive = _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.timezone.utc)
        guess = int(naive.timestamp() * 1000)
        return guess - offset_at(guess) * 60_000

    return {
        "recipient": recipient,
        "kinds": list(flt.kinds or TIMELINE_KINDS),
        "author": flt.author.lower() or None,
        "words": list(flt.words),
        "start": midnight(flt.start) if flt.start else None,
        "end": midnight(flt.end + _dt.timedelta(days=1)) if flt.end else None,
        "limit": flt.count if limit is None else limit,
    }


def haystack(payload: Any, depth: int = 0) -> str:
    """Every text (and number) of a payload, lower-cased, one per line (``search_words`` splits them)."""
    if isinstance(payload, str):
        return payload.lower()
    if isinstance(payload, bool) or payload is None:
        return ""
    if isinstance(payload, float) and payload.is_integer() and abs(payload) < 2**53:
        return str(int(payload))  # as JavaScript writes it (JSON does not keep 37.0 apart from 37)
    if isinstance(payload, (int, float)):
        return str(payload)
    if depth >= 3:
        return ""
    if isinstance(payload, dict):
        parts = (haystack(v, depth + 1) for v in payload.values())
    elif isinstance(payload, (list, tuple)):
        parts = (haystack(v, depth + 1) for v in payload)
    else:
        return ""
    return "\n".join(p for p in parts if p)


def _common(kind: str, at: int, payload: Any, q: Mapping[str, Any]) -> bool:
    kinds = q.get("kinds")
    if kinds and kind not in kinds:
        return False
    if q.get("start") is not None and at < q["start"]:
        return False
    if q.get("end") is not None and at >= q["end"]:
        return False
    words = q.get("words") or ()
    if words:
        return search_words.matches(search_words.payload_words(payload), words)
    return True


def event_matches(event, q: Mapping[str, Any]) -> bool:
    """The store's quick pass: one event against a ``store_query``."""
    author = q.get("author")
    if author and str(event.author).lower() != author:
        return False
    return _common(event.kind, event.at, event.payload, q)


def entry_matches(entry, q: Mapping[str, Any]) -> bool:
    """The final check on a folded entry: its kind, time and current text; the
    caregiver who recorded it or last changed it."""
    author = q.get("author")
    if author and author not in (str(entry.created_by).lower(), str(entry.updated_by).lower()):
        return False
    return _common(entry.kind, entry.at, entry.payload, q)

r"""The words the timeline's search matches, the same rules as public/js/terms.js.

Words are every text and number of a payload (3 levels deep), lower-cased,
accents dropped (NFKD, combining marks removed) and split at anything that is
not a letter or digit. A word shorter than ``MIN_PREFIX`` (3) characters or
with a digit in it ("bp", "120", "3am") is matched whole; any other word by
its start, with a search word of 3 or more characters:

    >>> sorted(payload_words({"text": "Called the AMBULANCE, café closed", "bp": 120.0}))
    ['120', 'ambulance', 'cafe', 'called', 'closed', 'the']
    >>> matches(payload_words({"text": "Called the ambulance"}), query_words("Amb CALL"))
    True
    >>> matches(payload_words({"text": "BP taken; bpm 72"}), ["bp"]), matches({"bpm"}, ["bp"])
    (True, False)
    >>> matches({"120"}, ["12"]), matches({"covid19"}, ["covid"])
    (False, False)

The browser's word index (terms.js) stores each word's prefixes of the
``LENGTHS`` it has (whole-matched words as they are), looks a search word up
by its longest prefix among them, and checks the candidates with these rules.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

MIN_PREFIX = 3
LENGTHS = (3, 5, 8, 12)  # the prefixes the index stores
MAX_PREFIX = LENGTHS[-1]
MAX_DEPTH = 3
_SPLIT = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lower case, accents dropped."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))


def words_of(text: str) -> list[str]:
    """The words of a text, folded, in order."""
    return [w for w in _SPLIT.split(fold(text)) if w]


def _number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # as JavaScript writes it (JSON does not keep 37.0 apart from 37)
    return str(value)


def _collect(value: Any, depth: int, out: set[str]) -> None:
    if isinstance(value, str):
        out.update(words_of(value))
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, float)):
        out.update(words_of(_number(value)))
    elif depth < MAX_DEPTH and isinstance(value, dict):
        for v in value.values():
            _collect(v, depth + 1, out)
    elif depth < MAX_DEPTH and isinstance(value, (list, tuple)):
        for v in value:
            _collect(v, depth + 1, out)


def payload_words(payload: Any) -> set[str]:
    """The distinct words of a payload."""
    out: set[str] = set()
    _collect(payload, 0, out)
    return out


def query_words(text: str) -> list[str]:
    """The search words of what was typed, each once, in order."""
    return list(dict.fromkeys(words_of(text)))


def whole(word: str) -> bool:
    """Is this word matched whole (shorter than ``MIN_PREFIX``, or with a digit)?"""
    return len(word) < MIN_PREFIX or any(unicodedata.category(c).startswith("N") for c in word)


def matches(words: set[str], query: Iterable[str]) -> bool:
    """True when ``words`` (a payload's) hold every search word of ``query``."""
    for q in query:
        if whole(q):
            if q not in words:
                return False
        elif not any(not whole(w) and w.startswith(q) for w in words):
            return False
    return True


def index_terms(words: Iterable[str]) -> set[str]:
    """The terms the browser's index stores for these words (what terms.js computes)."""
    out: set[str] = set()
    for word in words:
        if whole(word):
            out.add(word)
        else:
            out.update(word[:n] for n in LENGTHS if n <= len(word))
    return out


def lookup_term(word: str) -> str:
    """The term a search word is looked up by (what terms.js's queryTerm computes)."""
    if whole(word):
        return word
    return word[:max(n for n in LENGTHS if n <= len(word))]

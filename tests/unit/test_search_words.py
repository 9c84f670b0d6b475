"""The search's words (domain.search_words): folding, splitting, word-prefix
matching, and the index terms, checked against what the index must promise:
every payload the check accepts is found by the term of its first word."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from carelog.domain import search_words as sw
from carelog.domain import timeline_filter as tf


def test_fold_drops_case_and_accents():
    assert sw.fold("Café Crème ÉLAN") == "cafe creme elan"
    assert sw.fold("Łódź") == "łodz"  # a letter of its own (not a mark) stays
    assert sw.words_of("Zoë's BP: 120/80, heart_rate 72.5 bpm") == ["zoe", "s", "bp", "120", "80", "heart",
                                                                    "rate", "72", "5", "bpm"]
    assert sw.words_of("  --  ") == []


def test_payload_words_reach_three_levels_and_skip_flags():
    payload = {"text": "Fell", "n": 37.0, "ok": True, "none": None,
               "a": {"b": ["Deep", {"c": "too deep"}]}, "list": ["Tea", 2]}
    assert sw.payload_words(payload) == {"fell", "37", "deep", "tea", "2"}
    assert sw.payload_words("Just text") == {"just", "text"}


def test_a_long_word_matches_by_its_start_a_short_one_only_whole():
    words = sw.payload_words({"text": "Called the ambulance; BP high, bpm 110"})
    assert sw.matches(words, ["amb"]) and sw.matches(words, ["ambulance"]) and sw.matches(words, ["cal", "hig"])
    assert not sw.matches(words, ["mbulance"])  # inside a word: no
    assert not sw.matches(words, ["ambulances"])
    assert sw.matches(words, ["bp"]) and sw.matches(words, ["11"]) is False
    assert not sw.matches({"bpm"}, ["bp"])
    assert sw.matches(words, [])
    # a word with a digit is matched whole, both ways
    assert sw.matches(words, ["110"]) and not sw.matches({"1100"}, ["110"]) and not sw.matches({"covid19"}, ["cov"])


def test_query_words_are_folded_split_and_once():
    assert sw.query_words("Kitchen  FLOOR kitchen-floor Crème") == ["kitchen", "floor", "creme"]
    flt = tf.parse_query("q=Caf%C3%A9%20caf%C3%A9%20au-lait")[0]
    assert flt.words == ("cafe", "au", "lait")


def test_index_terms_are_prefixes_of_the_stored_lengths():
    assert sw.index_terms(["ambulance"]) == {"amb", "ambul", "ambulanc"}
    assert sw.index_terms(["tea", "garden"]) == {"tea", "gar", "garde"}
    assert sw.index_terms(["bp", "7", "85354", "3am"]) == {"bp", "7", "85354", "3am"}
    assert sw.index_terms(["supercalifragilistic"]) == {"sup", "super", "supercal", "supercalifra"}
    assert [sw.lookup_term(w) for w in ("amb", "ambu", "ambulance", "bp", "120")] == ["amb", "amb", "ambulanc",
                                                                                    "bp", "120"]


_lookup = sw.lookup_term

texts = st.text(st.sampled_from("abcdeéÉ fghAB1-2_ ü"), max_size=40)


@given(texts, texts)
@settings(max_examples=300, deadline=None)
def test_the_index_finds_every_payload_the_check_accepts(stored, typed):
    """No false negatives: when the check accepts, each search word's lookup term is among the terms."""
    words = sw.payload_words({"text": stored})
    query = sw.query_words(typed)
    terms = sw.index_terms(words)
    if sw.matches(words, query):
        assert all(_lookup(q) in terms for q in query)
    # and a lookup term found is exact when the search word is a stored length or whole-matched
    for q in query:
        if _lookup(q) in terms and (sw.whole(q) or len(q) in sw.LENGTHS):
            assert sw.matches(words, [q])

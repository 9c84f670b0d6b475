"""Hostile text for the browser XSS tests: the form payloads of
``test_xss_forms.py``, the unit tests' payload list (``tests/unit/test_markup.py``,
read without running that module), and markers that would SET ``window.pwned``
if they ran (a classic handler, a ``javascript:`` URL, PyScript tags), each in
a few wrappings. ``payloads(n)`` gives at least ``n`` distinct ones.

    from .xss_payloads import payloads
    texts = payloads(200)
"""

from __future__ import annotations

import ast
from pathlib import Path

from .test_xss_forms import PAYLOADS as FORM_PAYLOADS

MARKUP_TESTS = Path(__file__).resolve().parents[1] / "unit" / "test_markup.py"

PWNED = [
    '<script type="py">import js; js.window.pwned = 10</script>',
    "<script type='py'>from pyscript import window; window.pwned = 11</script>",
    '<script type="mpy">import js; js.window.pwned = 12</script>',
    "<py-script>import js; js.window.pwned = 13</py-script>",
    "<mpy-script>import js; js.window.pwned = 14</mpy-script>",
    '<button py-click="import js; js.window.pwned = 15">tap</button>',
    '<img src=x onerror="window.pwned=16">',
    "<svg onload=window.pwned=17>",
    "<svg><script>window.pwned=18</script></svg>",
    '<svg><a xlink:href="javascript:window.pwned=19"><text x=0 y=10>tap</text></a></svg>',
    '<a href="javascript:window.pwned=20">open</a>',
    "javascript:window.pwned=21",
    '<iframe src="javascript:window.pwned=22"></iframe>',
    '<iframe srcdoc="<script>parent.pwned=23</script>"></iframe>',
    "<details open ontoggle=window.pwned=24>",
    "<input autofocus onfocus=window.pwned=25>",
    "<body onload=window.pwned=26>",
    '<div onmouseover="window.pwned=27">hover</div>',
    '"><img src=x onerror=window.pwned=28>',
    "</span><script>window.pwned=29</script>",
    "<object data=\"javascript:window.pwned=30\">",
    "<form action=javascript:window.pwned=31><button>go</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:window.pwned=32">',
    "<template><script>window.pwned=33</script></template>",
    "<style>*{background:url(javascript:window.pwned=34)}</style>",
]
WRAPS = ["{}", "Mum {} Smith", "'{}'", "</strong>{}<strong>"]


def _markup_core() -> list[str]:
    tree = ast.parse(MARKUP_TESTS.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_CORE" for t in node.targets):
            return [p for p in ast.literal_eval(node.value) if isinstance(p, str)]
    raise AssertionError("the payload list in test_markup.py was not found")


def payloads(n: int = 200, limit: int = 1000) -> list[str]:
    """At least ``n`` distinct payloads (every one at most ``limit`` characters)."""
    base = list(dict.fromkeys(FORM_PAYLOADS + PWNED + _markup_core()))
    found = list(base)
    for wrap in WRAPS[1:]:
        if len(found) >= n:
            break
        found += [wrap.format(p) for p in base]
    found = [p for p in dict.fromkeys(found) if p.strip() and len(p) <= limit]
    assert len(found) >= n, len(found)
    return found

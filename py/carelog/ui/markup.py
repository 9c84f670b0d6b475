"""Markup that is escaped by construction.

Views build HTML only through ``h``: every text child and attribute value is
escaped, tag and attribute names come from allow-lists, and no tag that runs
code (``script``, ``py-script``, ``iframe``, ``object``...) or ``on*`` handler
attribute can be made. So user, imported and synced text always reaches the
page as text, never as markup (PyScript would run a ``<script type="py">``).

    >>> str(h("p", {"class": "note"}, "<script type=py>print(1)</script>"))
    '<p class="note">&lt;script type=py&gt;print(1)&lt;/script&gt;</p>'
"""

from __future__ import annotations

import html
import re
from typing import Iterable, Mapping, Union

TAGS = frozenset("""
a abbr article aside b button caption dd details dialog div dl dt em fieldset figure footer
form h1 h2 h3 h4 header input label legend li main nav ol optgroup option output p progress
section select small span strong summary table tbody td textarea th thead time tr ul svg path
polyline line rect circle g text title desc meter figcaption pre
""".split())
VOID_TAGS = frozenset({"input"})
_ATTR_NAME = re.compile(r"(?:[a-z][a-z0-9]*(?:-[a-z0-9]+)*|viewBox|preserveAspectRatio)")
# ``on*`` runs JavaScript; PyScript runs ``py-*`` / ``mpy-*`` (``py-click="f"``) as Python handlers.
_HANDLER_PREFIXES = ("on", "py-", "mpy-")
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "xlink:href"})
_SAFE_URL = re.compile(r"(?:#[\w\-/=&?.%]*|\./[\w\-/.]*|tel:[+\d\s\-()]*|mailto:[^\s\"'<>]*)")


class Markup(str):
    """A string that is already safe HTML."""

    __slots__ = ()


Child = Union["Markup", str, int, float, None, Iterable]


def escape(text: object) -> Markup:
    """Escape any value as text."""
    return Markup(html.escape(str(text), quote=True))


def _render_children(children: Iterable[Child], out: list[str]) -> None:
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, Markup):
            out.append(child)
        elif isinstance(child, (str, int, float)):
            out.append(html.escape(str(child), quote=False))
        else:
            _render_children(child, out)


def attrs_markup(attrs: Mapping[str, object] | None) -> str:
    """Attributes as markup; names checked, values escaped, URLs limited."""
    if not attrs:
        return ""
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        if not _ATTR_NAME.fullmatch(name) or name.startswith(_HANDLER_PREFIXES):
            raise ValueError(f"attribute not allowed: {name!r}")
        if name in _URL_ATTRS and not _SAFE_URL.fullmatch(str(value)):
            raise ValueError(f"URL not allowed in {name}")
        if value is True:
            parts.append(f" {name}")
        else:
            parts.append(f' {name}="{html.escape(str(value), quote=True)}"')
    return "".join(parts)


def h(tag: str, attrs: Mapping[str, object] | None = None, *children: Child) -> Markup:
    """One element. ``attrs`` may be None; children may be nested lists."""
    if tag not in TAGS:
        raise ValueError(f"tag not allowed: {tag!r}")
    opening = f"<{tag}{attrs_markup(attrs)}>"
    if tag in VOID_TAGS:
        if children:
            raise ValueError(f"<{tag}> takes no children")
        return Markup(opening)
    out = [opening]
    _render_children(children, out)
    out.append(f"</{tag}>")
    return Markup("".join(out))


def fragment(*children: Child) -> Markup:
    """Several nodes side by side."""
    out: list[str] = []
    _render_children(children, out)
    return Markup("".join(out))

"""Sync screens, pure: the status line always in view and the sync settings panel.

Rendered by ``sync_dom.SyncPanel`` into ``#sync-root`` (outside ``#app``, so
the main views stay untouched). Markup only through ``markup.h``: endpoint
texts and server messages reach the page as text.

    >>> "Sync now" in str(status_line("Synced just now.", configured=True, running=False, problem=False))
    True
"""

from __future__ import annotations

from .markup import Markup, fragment, h


def status_line(text: str, *, configured: bool, running: bool, problem: bool, open_: bool = False,
                conflicts: int = 0) -> Markup:
    tone = "problem" if problem else ("busy" if running else "ok")
    return h("div", {"class": f"sync-line {tone}"},
             h("span", {"id": "sync-status-text", "class": "sync-text"}, text),
             h("a", {"id": "sync-conflicts", "href": "#/conflicts", "class": "button"},
               f"{conflicts} {'entry has' if conflicts == 1 else 'entries have'} two versions: choose")
             if conflicts else None,
             h("span", {"class": "sync-buttons"},
               h("button", {"type": "button", "class": "button", "data-sync": "now",
                            "disabled": running or not configured}, "Sync now") if configured else None,
               h("button", {"type": "button", "class": "button", "data-sync": "settings",
                            "aria-expanded": "true" if open_ else "false",
                            "aria-controls": "sync-settings"}, "Sync settings")))


def settings_panel(*, endpoint: str = "", circle: str = "", encrypted: bool = False, configured: bool = False,
                   message: str = "", problem: str = "", invite: str = "", offer: str = "",
                   qr: list | None = None) -> Markup:
    """The sync settings: where the circle's folder is, its passphrase, create or join."""
    intro = ("Sync shares this log with the other tablets of your care circle through a folder on a "
             "file server you choose. Entries are saved here first and sent when there is a connection.")
    current = None
    if configured:
        current = h("p", {"class": "sync-current"},
                    "This device syncs with ", h("strong", None, endpoint),
                    " (circle ", circle, "; ", "end-to-end encrypted" if encrypted else "not encrypted", ").")
    return h("section", {"id": "sync-settings", "class": "sync-settings", "aria-labelledby": "sync-settings-title"},
             h("h2", {"id": "sync-settings-title", "tabindex": "-1"}, "Sync settings"),
             h("p", None, intro),
             current,
             h("p", {"id": "sync-message", "class": "sync-message", "role": "status"}, message) if message else None,
             h("p", {"id": "sync-problem", "class": "problem", "role": "alert"}, problem) if problem else None,
             join_offer(offer) if offer else None,
             h("form", {"data-sync-form": "setup", "novalidate": True},
               h("label", {"for": "f-sync-endpoint"}, "Sync address (the circle's folder URL)"),
               h("input", {"id": "f-sync-endpoint", "name": "endpoint", "type": "url", "inputmode": "url",
                           "autocomplete": "off", "spellcheck": "false", "value": endpoint,
                           "placeholder": "https://files.example.org/circle/"}),
               h("label", {"for": "f-sync-passphrase"}, "Circle passphrase (leave empty for no encryption)"),
               h("input", {"id": "f-sync-passphrase", "name": "passphrase", "type": "password",
                           "autocomplete": "new-password"}),
               h("label", {"for": "f-sync-auth"}, "Sync password header (optional; kept on this device only)"),
               h("input", {"id": "f-sync-auth", "name": "authorization", "type": "password",
                           "autocomplete": "off", "placeholder": "Basic …"}),
               h("div", {"class": "actions"},
                 h("button", {"type": "submit", "class": "button primary", "data-mode": "join"}, "Join the circle"),
                 h("button", {"type": "submit", "class": "button", "data-mode": "create"}, "Create a circle"))),
             invite_block(invite, qr) if invite else None,
             h("div", {"class": "actions"},
               h("button", {"type": "button", "class": "button", "data-sync": "off"}, "Turn sync off")
               if configured else None,
               h("button", {"type": "button", "class": "button", "data-sync": "close"}, "Close")))


def invite_block(link: str, qr: list | None = None) -> Markup:
    return fragment(
        h("h3", None, "Invite another tablet"),
        h("p", None, "Open this link on the other tablet. It carries the circle key: share it only with "
                     "people in the care circle."),
        h("input", {"id": "sync-invite", "type": "text", "readonly": True, "value": link,
                    "aria-label": "Invite link"}),
        qr_block(qr) if qr else
        h("div", {"class": "actions"},
          h("button", {"type": "button", "class": "button", "data-sync": "qr"}, "Show QR code")))


def qr_svg(matrix: list) -> Markup:
    """A QR code as one SVG path (numbers only), with a 4-module quiet zone."""
    size = len(matrix) + 8
    d = "".join(f"M{x + 4} {y + 4}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark)
    return h("svg", {"id": "sync-qr", "class": "sync-qr", "viewBox": f"0 0 {size} {size}", "role": "img",
                     "aria-label": "QR code of the invite link", "width": "264", "height": "264"},
             h("rect", {"width": str(size), "height": str(size), "fill": "#fff"}),
             h("path", {"d": d, "fill": "#000"}))


def qr_block(matrix: list) -> Markup:
    return h("div", {"class": "sync-qr-block"},
             h("p", {"class": "problem", "role": "note"},
               "Anyone who scans this code can join the circle and read every entry. Show it only to "
               "people in the care circle, and hide it when done."),
             qr_svg(matrix),
             h("div", {"class": "actions"},
               h("button", {"type": "button", "class": "button", "data-sync": "qr-hide"}, "Hide QR code")))


def join_offer(endpoint: str) -> Markup:
    """An invite link was opened: join only when the caregiver says so."""
    return h("div", {"class": "sync-offer"},
             h("p", None, "You opened an invite to a care circle that syncs with ", h("strong", None, endpoint), "."),
             h("button", {"type": "button", "class": "button primary", "data-sync": "join-invite"},
               "Join this circle"))

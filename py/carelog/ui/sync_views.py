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
                   qr: list | None = None, kind: str = "folder", region: str = "", access_key: str = "",
                   current_kind: str = "folder") -> Markup:
    """The sync settings: where the circle's folder is (a folder on a web server,
    or an S3-compatible bucket with its keys), its passphrase, create or join."""
    intro = ("Sync shares this log with the other tablets of your care circle through a folder on a "
             "file server you choose. Entries are saved here first and sent when there is a connection.")
    current = None
    if configured:
        current = h("p", {"class": "sync-current"},
                    "This device syncs with ", h("strong", None, endpoint),
                    " (", "S3 bucket; " if current_kind == "s3" else "", "circle ", circle, "; ",
                    "end-to-end encrypted" if encrypted else "not encrypted", ").")
    return h("section", {"id": "sync-settings", "class": "sync-settings", "aria-labelledby": "sync-settings-title"},
             h("h2", {"id": "sync-settings-title", "tabindex": "-1"}, "Sync settings"),
             h("p", None, intro),
             current,
             h("p", {"id": "sync-message", "class": "sync-message", "role": "status"}, message) if message else None,
             h("p", {"id": "sync-problem", "class": "problem", "role": "alert", "tabindex": "-1"}, problem) if problem else None,
             join_offer(offer) if offer else None,
             h("form", {"data-sync-form": "setup", "novalidate": True},
               endpoint_kind(kind),
               h("label", {"for": "f-sync-endpoint"},
                 "Bucket URL (with the circle's folder)" if kind == "s3" else "Sync address (the circle's folder URL)"),
               h("input", {"id": "f-sync-endpoint", "name": "endpoint", "type": "url", "inputmode": "url",
                           "autocomplete": "off", "spellcheck": "false", "value": endpoint,
                           "aria-describedby": "sync-s3-url-help" if kind == "s3" else None,
                           "placeholder": "https://s3.eu-west-1.amazonaws.com/bucket/circle/" if kind == "s3"
                           else "https://files.example.org/circle/"}),
               s3_fields(region, access_key) if kind == "s3" else None,
               h("label", {"for": "f-sync-passphrase"}, "Circle passphrase (leave empty for no encryption)"),
               h("input", {"id": "f-sync-passphrase", "name": "passphrase", "type": "password",
                           "autocomplete": "new-password"}),
               None if kind == "s3" else
               h("label", {"for": "f-sync-auth"}, "Sync password header (optional; kept on this device only)"),
               None if kind == "s3" else
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


KINDS = {"folder": "Folder on a web server (WebDAV or read-only)", "s3": "S3-compatible bucket"}


def endpoint_kind(kind: str) -> Markup:
    """Where the circle's folder is: two big radio buttons."""
    return h("fieldset", {"class": "choices", "id": "sync-kind"},
             h("legend", None, "Where is the circle's folder?"),
             [h("label", {"class": "choice"},
                h("input", {"type": "radio", "name": "kind", "value": key, "checked": key == kind,
                            "data-sync-kind": key}),
                h("span", None, text)) for key, text in KINDS.items()])


def s3_fields(region: str = "", access_key: str = "") -> Markup:
    """The bucket's region and key pair (kept on this device only, never in an invite)."""
    return fragment(
        h("p", {"id": "sync-s3-url-help", "class": "hint"},
          "Path-style: https://<host>/<bucket>/<folder>/ (AWS, MinIO, Cloudflare R2). AWS virtual-hosted "
          "addresses (https://<bucket>.s3.<region>.amazonaws.com/<folder>/) work too."),
        h("label", {"for": "f-s3-region"}, "Region (for example eu-west-1; R2: auto)"),
        h("input", {"id": "f-s3-region", "name": "region", "type": "text", "autocomplete": "off",
                    "spellcheck": "false", "value": region}),
        h("label", {"for": "f-s3-access-key"}, "Access key ID"),
        h("input", {"id": "f-s3-access-key", "name": "access_key", "type": "text", "autocomplete": "off",
                    "spellcheck": "false", "value": access_key}),
        h("label", {"for": "f-s3-secret"}, "Secret access key (kept on this device only; never in an invite)"),
        h("input", {"id": "f-s3-secret", "name": "secret_key", "type": "password", "autocomplete": "off"}),
        h("label", {"for": "f-s3-session-token"}, "Session token (only for temporary keys; otherwise leave empty)"),
        h("input", {"id": "f-s3-session-token", "name": "session_token", "type": "password",
                    "autocomplete": "off", "aria-describedby": "sync-s3-token-help"}),
        h("p", {"id": "sync-s3-token-help", "class": "hint"},
          "Temporary keys stop working when they expire; sync then says so, and you type new ones here."))


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

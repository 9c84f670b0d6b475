"""The storage and backup screen (``#/storage``), a pure function of ``State``.

    >>> from carelog.ui.state import State
    >>> "Storage and backups" in storage_screen(State(screen="storage"))
    True
"""

from __future__ import annotations

from ..domain.storage_health import StorageFacts, assess, usage_fraction
from ..interop.backup import FILE_SUFFIX, MIN_PASSPHRASE
from .markup import Markup, fragment, h
from .state import State

ICONS = {"ok": "✓", "warn": "!", "info": "i"}


def _facts(state: State) -> StorageFacts:
    s = state.safety
    return StorageFacts(now_ms=state.now_ms, persisted=state.storage.persisted, usage=state.storage.usage,
                        quota=state.storage.quota, last_backup_ms=s.last_backup_ms, user_agent=s.user_agent,
                        platform=s.platform, max_touch_points=s.max_touch_points, standalone=s.standalone)


def _password(name: str, label: str, hint: str = "", autocomplete: str = "new-password") -> Markup:
    return h("div", {"class": "field"},
             h("label", {"for": f"f-{name}"}, label),
             h("p", {"class": "hint", "id": f"hint-{name}"}, hint) if hint else None,
             h("input", {"id": f"f-{name}", "name": name, "type": "password", "autocomplete": autocomplete,
                         "aria-describedby": f"hint-{name}" if hint else None}))


def _problem(text: str, ident: str) -> Markup | None:
    return h("div", {"class": "problem", "role": "alert", "id": ident}, text) if text else None


def storage_screen(state: State) -> Markup:
    """Persistent or not, space used, last backup, iPhone/iPad advice; backup and restore."""
    facts = _facts(state)
    findings = assess(facts)
    share = usage_fraction(facts.usage, facts.quota)
    items = [h("li", {"class": f"finding {f.level}", "data-finding": f.key, "data-level": f.level},
               h("span", {"class": "finding-icon", "aria-hidden": "true"}, ICONS[f.level]),
               h("div", None, h("strong", None, f.title), h("p", None, f.text)))
             for f in findings]
    ask = None
    if state.storage.persisted is not True:
        ask = h("button", {"type": "button", "class": "secondary big", "data-action": "storage-persist"},
                "Ask to keep data")
    meter = None
    if share is not None:
        meter = h("meter", {"min": "0", "max": "1", "low": "0.6", "high": "0.8", "optimum": "0",
                            "value": f"{min(share, 1):.3f}", "aria-label": "Storage space used"},
                  f"{share:.0%}")
    return fragment(
        h("h1", {"tabindex": "-1"}, "Storage and backups"),
        h("section", {"aria-labelledby": "health-title"},
          h("h2", {"id": "health-title"}, "How safe is the data on this device"),
          h("ul", {"class": "findings"}, items),
          meter, ask),
        h("section", {"aria-labelledby": "backup-title", "class": "backup-box"},
          h("h2", {"id": "backup-title"}, "Make a backup"),
          h("p", None, "A backup file holds every entry on this device, for every person, locked with a "
                       "passphrase you choose now. Without the passphrase nobody can open it, not even you: "
                       "write it down and keep it apart from the file."),
          _problem(state.safety.backup_problem, "backup-problem"),
          h("form", {"data-form": "backup-export", "novalidate": True},
            _password("backup_passphrase", "Passphrase for this backup",
                      f"At least {MIN_PASSPHRASE} characters. A few unrelated words work well."),
            _password("backup_confirm", "Type the passphrase again"),
            h("div", {"class": "actions"},
              h("button", {"type": "submit", "class": "primary big"}, "Make backup file")))),
        h("section", {"aria-labelledby": "restore-title", "class": "backup-box"},
          h("h2", {"id": "restore-title"}, "Restore a backup"),
          h("p", None, "Adds the entries of a backup file that are not on this device yet. Nothing on this "
                       "device is changed or removed, so restoring the same file twice does no harm."),
          _problem(state.safety.restore_problem, "restore-problem"),
          h("form", {"data-form": "backup-restore", "novalidate": True},
            h("div", {"class": "field"},
              h("label", {"for": "f-backup_file"}, "Backup file"),
              h("p", {"class": "hint", "id": "hint-backup_file"}, f"A file ending in {FILE_SUFFIX}"),
              h("input", {"id": "f-backup_file", "name": "backup_file", "type": "file",
                          "accept": ".json,application/json", "aria-describedby": "hint-backup_file"})),
            _password("restore_passphrase", "Its passphrase", autocomplete="off"),
            h("div", {"class": "actions"},
              h("button", {"type": "submit", "class": "primary big"}, "Restore from backup")))),
        h("a", {"href": "#/settings", "class": "button secondary big"}, "Back to settings"))


SCREENS = {"storage": storage_screen}
FORM_SCREENS = frozenset({"storage"})

"""The passphrase lock's screens, pure: ``LockState`` in, escaped markup out.

Rendered by ``lock_dom`` into ``#lock-root`` (outside ``#app``). Buttons carry
``data-lock`` names, forms ``data-lock-form``.

    >>> from carelog.ui.lock_controller import LockState
    >>> "Unlock" in str(render(LockState(screen="locked")))
    True
"""

from __future__ import annotations

from .lock_controller import IDLE_CHOICES, MIN_PASSPHRASE, LockState
from .markup import Markup, fragment, h

FORGET = ("If the passphrase is forgotten, the log cannot be read: not by you, not by anyone, "
          "not by the people who make carelog. You will get a recovery key to write down; "
          "it is the only other way in.")
SKIP_WARNING = ("Without a passphrase, anyone who picks up this tablet can open carelog and read "
                "everything in the log. You can turn the lock on later in Settings.")


def _button(action: str, text: str, primary: bool = False, **attrs) -> Markup:
    return h("button", {"type": "button", "class": "button big" + (" primary" if primary else ""),
                        "data-lock": action, **attrs}, text)


def _password(state: LockState, name: str, label: str, autocomplete: str, hint: str = "") -> Markup:
    error = state.errors.get(name)
    described = " ".join(x for x in ((f"lock-hint-{name}" if hint else ""),
                                     (f"lock-err-{name}" if error else "")) if x) or None
    return h("div", {"class": "field" + (" has-error" if error else "")},
             h("label", {"for": f"lock-{name}"}, label),
             h("p", {"class": "hint", "id": f"lock-hint-{name}"}, hint) if hint else None,
             h("input", {"id": f"lock-{name}", "name": name, "type": "password", "autocomplete": autocomplete,
                         "spellcheck": "false", "autocapitalize": "off", "required": True,
                         "aria-invalid": "true" if error else None, "aria-describedby": described}),
             h("p", {"class": "error", "id": f"lock-err-{name}"}, error) if error else None)


def _notes(state: LockState) -> list:
    return [h("p", {"class": "problem", "role": "alert", "id": "lock-problem"}, state.problem)
            if state.problem else None,
            h("p", {"class": "lock-message", "role": "status", "id": "lock-message"}, state.message)
            if state.message else None]


def bar(state: LockState) -> Markup:
    """The slim bar above the app: "Lock now" whenever the lock is on and open."""
    if not (state.status.enabled and state.status.unlocked):
        return Markup("")
    return h("div", {"class": "lock-bar"},
             _button("lock-now", "Lock now"),
             _button("settings", "Lock settings", **{"aria-expanded": "true" if state.screen == "settings"
                                                    else "false", "aria-controls": "lock-panel"}))


def offer(state: LockState) -> Markup:
    """First use: the strongly encouraged offer, until the caregiver answers."""
    return h("section", {"class": "lock-panel lock-offer", "id": "lock-panel", "aria-labelledby": "lock-offer-title"},
             h("h2", {"id": "lock-offer-title", "tabindex": "-1"}, "Protect this log with a passphrase"),
             h("p", None, "carelog holds health information. With a passphrase it is encrypted on this "
                          "tablet and locks itself when nobody uses it."),
             h("div", {"class": "actions"},
               _button("setup", "Set a passphrase", primary=True),
               _button("skip", "Skip")))


def setup(state: LockState) -> Markup:
    """Choose the passphrase (twice), with the plain warning about forgetting it."""
    return h("section", {"class": "lock-panel", "id": "lock-panel", "aria-labelledby": "lock-setup-title"},
             h("h2", {"id": "lock-setup-title", "tabindex": "-1"}, "Set a passphrase"),
             h("p", {"class": "lock-warning"}, h("strong", None, "Important: "), FORGET),
             *_notes(state),
             h("form", {"data-lock-form": "lock-setup", "novalidate": True},
               _password(state, "passphrase", "New passphrase", "new-password",
                         hint=f"At least {MIN_PASSPHRASE} characters. A few words you will remember is best."),
               _password(state, "confirm", "The same passphrase again", "new-password"),
               h("div", {"class": "actions"},
                 h("button", {"type": "submit", "class": "button big primary"}, "Turn the lock on"),
                 _button("skip", "Skip"))))


def skip_warning(state: LockState) -> Markup:
    return h("section", {"class": "lock-panel lock-warn", "id": "lock-panel", "role": "alertdialog",
                         "aria-labelledby": "lock-skip-title", "aria-describedby": "lock-skip-text"},
             h("h2", {"id": "lock-skip-title", "tabindex": "-1"}, "Use carelog without a passphrase?"),
             h("p", {"id": "lock-skip-text"}, SKIP_WARNING),
             h("div", {"class": "actions"},
               _button("setup", "Set a passphrase", primary=True),
               _button("skip-confirm", "Skip anyway")))


def recovery(state: LockState) -> Markup:
    """The recovery key, shown this once."""
    return h("section", {"class": "lock-panel", "id": "lock-panel", "aria-labelledby": "lock-recovery-title"},
             h("h2", {"id": "lock-recovery-title", "tabindex": "-1"}, "Write down your recovery key"),
             h("p", None, "The lock is on. This recovery key opens the log if the passphrase is forgotten. "
                          "Write it on paper now and keep it somewhere safe, away from the tablet. "
                          "It is shown only this once."),
             h("p", {"class": "recovery-key", "id": "recovery-key", "aria-label": "Recovery key"},
               state.recovery_key),
             h("p", {"class": "meta"}, f"{state.encrypted} saved records were encrypted.")
             if state.encrypted > 0 else None,
             h("div", {"class": "actions"}, _button("recovery-done", "I have written it down", primary=True)))


def locked(state: LockState) -> Markup:
    """The only thing on the page while locked."""
    if state.use_recovery:
        form = h("form", {"data-lock-form": "unlock-recovery", "novalidate": True},
                 h("div", {"class": "field" + (" has-error" if "recovery" in state.errors else "")},
                   h("label", {"for": "lock-recovery"}, "Recovery key"),
                   h("p", {"class": "hint", "id": "lock-hint-recovery"}, "Six groups of four letters and digits, "
                                                                         "as written down when the lock was set up."),
                   h("input", {"id": "lock-recovery", "name": "recovery", "type": "text", "autocomplete": "off",
                               "spellcheck": "false", "autocapitalize": "characters", "required": True,
                               "aria-invalid": "true" if "recovery" in state.errors else None,
                               "aria-describedby": "lock-hint-recovery"})),
                 h("div", {"class": "actions"},
                   h("button", {"type": "submit", "class": "button big primary"}, "Unlock"),
                   _button("use-passphrase", "Use the passphrase")))
    else:
        form = h("form", {"data-lock-form": "unlock", "novalidate": True},
                 _password(state, "passphrase", "Passphrase", "current-password"),
                 h("div", {"class": "actions"},
                   h("button", {"type": "submit", "class": "button big primary"}, "Unlock"),
                   _button("use-recovery", "Forgot it? Use the recovery key")))
    return h("main", {"id": "main", "class": "lock-screen"},
             h("h1", {"tabindex": "-1"}, "carelog is locked"),
             h("p", None, "Type the passphrase to open the log."),
             *_notes(state), form)


def settings(state: LockState) -> Markup:
    """Lock settings: on/off, idle time, change the passphrase."""
    st = state.status
    if not st.enabled:
        return h("section", {"class": "lock-panel", "id": "lock-panel", "aria-labelledby": "lock-settings-title"},
                 h("h2", {"id": "lock-settings-title", "tabindex": "-1"}, "Lock"),
                 h("p", None, "The lock is off: anyone holding this tablet can read the log."),
                 *_notes(state),
                 h("div", {"class": "actions"},
                   _button("setup", "Turn the lock on", primary=True), _button("close", "Close")))
    idle_error = state.errors.get("idle")
    return h("section", {"class": "lock-panel", "id": "lock-panel", "aria-labelledby": "lock-settings-title"},
             h("h2", {"id": "lock-settings-title", "tabindex": "-1"}, "Lock settings"),
             h("p", None, "The lock is on: the log is encrypted on this tablet."),
             *_notes(state),
             h("form", {"data-lock-form": "lock-idle", "novalidate": True},
               h("label", {"for": "lock-idle"}, "Lock by itself after this long without use"),
               h("select", {"id": "lock-idle", "name": "idle", "aria-invalid": "true" if idle_error else None},
                 [h("option", {"value": str(ms), "selected": ms == st.idle_ms}, text)
                  for ms, text in IDLE_CHOICES.items()]),
               h("button", {"type": "submit", "class": "button big"}, "Save time")),
             h("h3", None, "Change the passphrase"),
             h("form", {"data-lock-form": "lock-change", "novalidate": True},
               _password(state, "current", "Current passphrase (or the recovery key)", "current-password"),
               _password(state, "new", "New passphrase", "new-password",
                         hint=f"At least {MIN_PASSPHRASE} characters."),
               _password(state, "confirm", "The new passphrase again", "new-password"),
               h("button", {"type": "submit", "class": "button big"}, "Change the passphrase")),
             h("div", {"class": "actions"}, _button("close", "Close")))


PANELS = {"offer": offer, "setup": setup, "skip_warning": skip_warning, "recovery": recovery,
          "settings": settings}


def render(state: LockState) -> Markup:
    """Everything in ``#lock-root`` for a state."""
    if state.screen == "locked":
        return locked(state)
    panel = PANELS.get(state.screen)
    message = None
    if state.message and not panel:
        message = h("p", {"class": "lock-message", "role": "status", "id": "lock-message"}, state.message)
    return fragment(bar(state), message, panel(state) if panel else None)

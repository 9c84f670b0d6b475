"""What a start leaves out until the first screen is up.

A first visit (no memory snapshot yet) compiles every module it imports, which
is most of ``main.py``'s time. The first screen (home, a form, today...) does not
need the other screens' views, the export and import formats or the sync panel,
so ``main.py`` imports those after ``ready``, one per idle moment
(``pending`` / ``load``); a screen opened before that imports what it needs
itself (``views.load_later``, the report screens' local imports).

The start-up snapshot's worker calls ``load_all`` (public/js/fast-start.mjs,
``PRELOAD_LATER``), so a start from the snapshot has them all.

    for name in later.pending():
        later.load(name)
"""

from __future__ import annotations

import importlib
import sys

# modules (or "views" for the later screen modules) in the order they are loaded
MODULES = (
    "views",  # carelog.ui.views.load_later: timeline, charts and report, storage, conflicts
    "carelog.interop.fhir_import",  # import a FHIR file (it imports fhir_export)
    "carelog.interop.csv_export",
    "carelog.interop.report",  # the visit report
    "carelog.ui.sync_dom",  # the sync panel (main.py mounts it right after ready)
)


def pending() -> list[str]:
    """The names in ``MODULES`` not imported yet."""
    from . import views  # noqa: PLC0415 - imported by the first screen anyway

    return [name for name in MODULES
            if (name == "views" and not views._later_loaded)
            or (name != "views" and name not in sys.modules)]


def load(name: str) -> None:
    """Import one of ``MODULES``."""
    if name == "views":
        from . import views  # noqa: PLC0415

        views.load_later()
    else:
        importlib.import_module(name)


def load_all() -> None:
    """Everything in ``MODULES`` (the snapshot worker's import)."""
    for name in pending():
        load(name)


"""carelog: an offline-first caregiver log.

The package is pure Python that runs both on CPython (tests, the command-line
tool) and in the browser under Pyodide. Layers, inner to outer:

- ``domain``: entities, events, the hybrid logical clock, validation. stdlib only.
- ``ports``: the small interfaces the core needs (EntryStore, Clock, ...).
- ``services``: use cases (log an entry, edit, delete, timeline).
- ``ui``: pure views (state -> markup) and, separately, the DOM glue.
- ``adapters``: IndexedDB, browser clock, and in-memory twins.
- ``bootstrap``: the one place where adapters are chosen and wired.
"""

__version__ = "0.1.0"

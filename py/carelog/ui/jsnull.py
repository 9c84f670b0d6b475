"""JavaScript ``null`` seen from Python, for every piece of browser glue.

Pyodide (0.28+) hands JavaScript ``null`` to Python as ``jsnull``, not ``None``:
a ``querySelector``, ``getElementById`` or ``closest`` that matched nothing, or
an IndexedDB ``get`` of a missing key, must go through ``found``. Imports
``pyodide`` only when given something that is not ``None``, so it runs under
CPython too.

    >>> found(None) is None
    True
"""

from __future__ import annotations

from typing import Any


def found(node: Any) -> Any:
    """A DOM lookup's (or any JavaScript call's) result, or None when it is ``null``."""
    if node is None:
        return None
    from pyodide.ffi import jsnull  # noqa: PLC0415 - browser only

    return None if node is jsnull else node

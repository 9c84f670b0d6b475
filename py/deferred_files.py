"""Archives whose unpacking waits until a module in them is needed, or the app is idle.

On a start restored from a memory snapshot, the app's modules are already
imported (they are in the snapshot), but the file system is empty: PyScript
would unpack the app wheel and tzdata again before running main.py. The fast
start (public/js/fast-start.mjs) hands those archives to ``DeferredArchives``
instead; build.py packs this module into the trimmed stdlib zip as
``carelog_deferred_files``.

The finder sits on ``sys.meta_path`` after the path finder: an import that the
files on disk cannot satisfy unpacks, first, every waiting archive that has
that top-level name (``carelog.interop.report`` -> the app wheel, ``tzdata``
-> tzdata), then lets the path finder look again. ``unpack_all()`` (called when
the app is idle after ready) unpacks the rest, so files read without an
import are there soon after the start too.
"""

from __future__ import annotations

import importlib
import io
import sys
import zipfile
from importlib.machinery import PathFinder


class _Archive:
    def __init__(self, data: bytes, folder: str):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.folder = folder
        self.tops = {name.split("/")[0].removesuffix(".py") for name in self.zip.namelist()}
        self.done = False

    def unpack(self) -> None:
        if not self.done:
            self.done = True
            self.zip.extractall(self.folder)


class DeferredArchives:
    """A meta path finder that unpacks waiting archives on the first import that needs them."""

    def __init__(self):
        self.archives: list[_Archive] = []
        self.unpacked: list[str] = []  # top-level names that made an archive unpack (tests read it)

    def add(self, data, folder: str) -> None:
        """Keep an archive (bytes, or a JS Uint8Array) to unpack into folder later."""
        self.archives.append(_Archive(data.to_bytes() if hasattr(data, "to_bytes") else bytes(data), str(folder)))

    @property
    def pending(self) -> int:
        return sum(not a.done for a in self.archives)

    def _fresh(self) -> None:
        sys.path_importer_cache.clear()
        importlib.invalidate_caches()

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        waiting = [a for a in self.archives if not a.done and top in a.tops]
        if not waiting:
            return None
        for archive in waiting:
            archive.unpack()
        self.unpacked.append(fullname)
        self._fresh()
        return PathFinder.find_spec(fullname, path, target)

    def unpack_all(self) -> int:
        """Unpack every archive still waiting; return how many."""
        waiting = [a for a in self.archives if not a.done]
        for archive in waiting:
            archive.unpack()
        if waiting:
            self._fresh()
        return len(waiting)


def install() -> DeferredArchives:
    """The finder on sys.meta_path (added once, right after the path finder)."""
    for finder in sys.meta_path:
        if type(finder).__name__ == "DeferredArchives":
            return finder
    finder = DeferredArchives()
    index = sys.meta_path.index(PathFinder) + 1 if PathFinder in sys.meta_path else len(sys.meta_path)
    sys.meta_path.insert(index, finder)
    return finder

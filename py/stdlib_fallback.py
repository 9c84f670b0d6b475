"""Standard-library modules left out of carelog's trimmed zip, fetched on first import.

build.py packs into ``python_stdlib-app.zip`` only the modules in
browser-stdlib.txt, plus this module (as ``carelog_stdlib_fallback``) and
``carelog_stdlib_omitted.txt``: the names of the modules it left out. The
full ``python_stdlib.zip`` stays in the build as a lazy file (not precached).

``install(url)`` puts a finder at the end of ``sys.meta_path``. When an import
of a left-out module reaches it (nothing else found the module), it downloads
the full zip once (synchronously: imports are synchronous), writes it next to
the trimmed one, puts it on ``sys.path`` and lets the normal path finder load
the module from it. Offline, the import fails with a ModuleNotFoundError that
says why in plain words. Names that are not left-out stdlib modules (a
third-party package, a C module this Python does not have) are not its
business: it returns None at once and never downloads anything.

``install`` also makes the working folder's imports see files written after a
lookup (``FreshFolderFinder``): PyScript writes its own package and unpacks the
app wheel into that folder after this module runs, and an import in between
(the fallback's own, or one of PyScript's set-up) has Python cache the folder's
listing. Python trusts a cached listing while the folder's mtime is unchanged;
files written within the same millisecond (or under a test's frozen clock) do
not change it, so ``import pyscript`` or ``import carelog`` would fail.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import (BYTECODE_SUFFIXES, EXTENSION_SUFFIXES, SOURCE_SUFFIXES, ExtensionFileLoader,
                                 FileFinder, PathFinder, SourceFileLoader, SourcelessFileLoader)

FULL_PATH = "/lib/python_stdlib_full.zip"
OMITTED_NAME = "carelog_stdlib_omitted.txt"


def _download(url: str) -> bytes:
    """The bytes at url, by a synchronous XMLHttpRequest (a browser allows no
    binary responseType on the main thread, so the text is read as x-user-defined)."""
    import js  # noqa: PLC0415 - only in the browser, only when a module is missing

    request = js.XMLHttpRequest.new()
    request.open("GET", url, False)
    request.overrideMimeType("text/plain; charset=x-user-defined")
    request.send(None)
    if request.status != 200:
        raise OSError(f"HTTP {request.status}")
    # x-user-defined maps byte b >= 0x80 to U+F780 + (b - 0x80): its low byte is b
    return str(request.responseText).encode("utf-16-le")[::2]


class MissingStdlibFinder:
    """Finds a left-out standard-library module in the full zip, downloaded once."""

    def __init__(self, url: str, omitted: frozenset[str], trimmed: str, download=_download,
                 full_path: str = FULL_PATH):
        self.url = url
        self.omitted = omitted
        self.trimmed = trimmed
        self.download = download
        self.full_path = full_path
        self.loaded = False
        self.fetched: list[str] = []  # the modules it had to find, in order (tests read it)

    def _ensure_full(self, fullname: str) -> None:
        if self.loaded:
            return
        try:
            data = self.download(self.url)
        except Exception as error:
            raise ModuleNotFoundError(
                f"The Python module {fullname!r} is not in carelog's offline copy and could not be "
                f"downloaded now ({error}). Connect to the internet and try again.", name=fullname) from None
        with open(self.full_path, "wb") as f:
            f.write(data)
        self.loaded = True
        sys.path.append(self.full_path)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.omitted:
            return None
        self._ensure_full(fullname)
        self.fetched.append(fullname)
        if path is not None:  # a submodule: look in the same package folder of the full zip
            path = [self.full_path + p[len(self.trimmed):] if p.startswith(self.trimmed) else p for p in path]
        return PathFinder.find_spec(fullname, path or [self.full_path], target)


class FreshFolderFinder(FileFinder):
    """The path finder of one folder that reads the folder's listing at every
    lookup instead of trusting a listing cached at the same mtime. Used for the
    working folder only (a few entries: the app's and PyScript's packages)."""

    def find_spec(self, fullname, target=None):
        self.invalidate_caches()
        return super().find_spec(fullname, target)


def fresh_folder_hook(folder: str):
    """A ``sys.path_hooks`` entry giving ``FreshFolderFinder`` for ``folder``
    (``""`` is the working folder) and refusing every other path."""
    root = os.path.abspath(folder)
    details = [(ExtensionFileLoader, EXTENSION_SUFFIXES), (SourceFileLoader, SOURCE_SUFFIXES),
               (SourcelessFileLoader, BYTECODE_SUFFIXES)]

    def hook(path: str) -> FreshFolderFinder:
        if os.path.abspath(path or os.getcwd()) != root:
            raise ImportError("not the working folder")
        return FreshFolderFinder(path, *details)

    hook.carelog_fresh_folder = root
    return hook


def install_fresh_folder(folder: str) -> None:
    """Put ``fresh_folder_hook(folder)`` first in ``sys.path_hooks`` (once) and
    forget the finders already made for that folder."""
    root = os.path.abspath(folder)
    if not any(getattr(hook, "carelog_fresh_folder", None) == root for hook in sys.path_hooks):
        sys.path_hooks.insert(0, fresh_folder_hook(root))
    for path in list(sys.path_importer_cache):
        if os.path.abspath(path or os.getcwd()) == root:
            del sys.path_importer_cache[path]


def install(url: str) -> MissingStdlibFinder:
    """Add the finder (once) for the modules the trimmed zip left out, and the
    working folder's fresh finder; return the former."""
    install_fresh_folder(os.getcwd())
    for finder in sys.meta_path:
        if isinstance(finder, MissingStdlibFinder) or type(finder).__name__ == "MissingStdlibFinder":
            return finder
    trimmed = next((p for p in sys.path if p.endswith(".zip")), "/lib/python314.zip")
    loader = __spec__.loader if __spec__ is not None else None
    try:
        text = loader.get_data(f"{trimmed}/{OMITTED_NAME}").decode("utf-8")
    except (AttributeError, OSError):
        text = ""
    finder = MissingStdlibFinder(url, frozenset(text.split()), trimmed)
    sys.meta_path.append(finder)
    return finder

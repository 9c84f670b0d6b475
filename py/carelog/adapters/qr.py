"""QR codes for invite links, made on the device with ``segno`` (a pure-Python
QR library, vendored as a hash-pinned wheel: requirements-browser.txt).

The wheel is not loaded at start: the first "Show QR code" loads it from the
app's own origin (``vendor/pyodide/``, precached by the service worker, so
it works offline). Nothing is sent anywhere: the link carries the circle key.

    matrix = await qr_matrix("https://app.example/#join=...")   # rows of booleans, quiet zone excluded
"""

from __future__ import annotations

SEGNO_WHEEL = "segno-1.6.6-py3-none-any.whl"
ERROR_LEVEL = "m"  # 15 % of the code can be damaged and still read


async def _load_segno():
    try:
        import segno  # noqa: PLC0415
        return segno
    except ImportError:
        pass
    import js  # noqa: PLC0415 - browser only
    import pyodide_js  # noqa: PLC0415

    url = js.URL.new("vendor/pyodide/" + SEGNO_WHEEL, js.document.baseURI).href
    await pyodide_js.loadPackage(url)
    import segno  # noqa: PLC0415
    return segno


def matrix_of(segno, text: str) -> list[list[bool]]:
    code = segno.make(text, error=ERROR_LEVEL, micro=False, boost_error=False)
    return [[bool(cell) for cell in row] for row in code.matrix]


async def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code of ``text`` as rows of dark (True) / light modules."""
    return matrix_of(await _load_segno(), text)

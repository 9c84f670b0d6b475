"""The invite's QR code: made by segno (the wheel pinned in
requirements-browser.txt) for the exact link text, drawn as numbers-only SVG
markup that never contains the link."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import segno

from carelog.adapters import qr
from carelog.sync import format as fmt
from carelog.ui import sync_views

ROOT = Path(__file__).resolve().parents[2]
LINK = "https://carers.example/carelog/#" + fmt.encode_invite(
    fmt.Invite(endpoint="https://files.example/circle/", circle="c1234", key=bytes(range(32))))


def test_the_matrix_is_segnos_code_of_the_exact_link():
    matrix = asyncio.run(qr.qr_matrix(LINK))
    code = segno.make(LINK, error="m", micro=False, boost_error=False)
    assert matrix == [[bool(c) for c in row] for row in code.matrix]
    assert code.mode == "byte" and code.error == "M" and not code.is_micro
    assert len(matrix) == 17 + 4 * code.version  # a full QR code of its version, square
    assert all(len(row) == len(matrix) for row in matrix)
    other = asyncio.run(qr.qr_matrix(LINK[:-1] + ("A" if LINK[-1] != "A" else "B")))
    assert other != matrix  # one character changes the code


def test_the_svg_draws_every_dark_module_and_holds_no_text_of_the_link():
    matrix = asyncio.run(qr.qr_matrix(LINK))
    svg = str(sync_views.qr_svg(matrix))
    modules = re.findall(r"M(\d+) (\d+)h1v1h-1z", svg)
    assert len(modules) == sum(sum(row) for row in matrix)
    assert {(int(x) - 4, int(y) - 4) for x, y in modules} == {
        (x, y) for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark}
    assert "join=" not in svg and "files.example" not in svg
    assert set(re.sub(r"<[^>]*>", "", svg)) <= set()  # no text nodes at all


def test_the_block_warns_before_anything_else():
    block = str(sync_views.qr_block([[True]]))
    assert block.index("Anyone who scans this code can join") < block.index("<svg")
    assert 'data-sync="qr-hide"' in block
    assert 'data-sync="qr"' in str(sync_views.invite_block(LINK))


def test_the_wheel_name_matches_the_pin():
    pins = (ROOT / "requirements-browser.txt").read_text("utf-8")
    version = re.search(r"^segno==([\d.]+)", pins, re.M).group(1)
    assert qr.SEGNO_WHEEL == f"segno-{version}-py3-none-any.whl"
    assert f"segno=={version}" in (ROOT / "requirements-dev.txt").read_text("utf-8")

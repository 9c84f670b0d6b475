"""The benchmarks still run: each bench/ script, with tiny sizes, against a
copy of the built site, prints its tables with a number in every row.

A smoke test, not a benchmark: it asserts nothing about timings (a rename in
the app once broke bench/care_page.py and nothing noticed). Each script runs
as the command a person would type, in its own process and browser;
bench_sync.py starts its own nginx (tests/sync/nginx_server.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ..sync.nginx_server import NGINX
from .helpers import REPO

pytestmark = pytest.mark.browser

# script -> (tiny arguments, the first column's heading of each table it prints, in order)
BENCHES = {
    "bench_care.py": (["--runs", "1", "--entries", "300"],
                      ["route -> rendered", "home's reads one by one"]),
    "bench_chart.py": (["--runs", "1", "--entries", "300", "--vital-days", "7"],
                       ["ms (performance.now() in the page)"]),
    "bench_idb.py": (["--runs", "1", "--records", "200", "--range", "50", "--single", "5"],
                     ["ms (performance.now() in the page)"]),
    "bench_sync.py": (["--entries", "50", "--join", "50"],
                      ["encrypted circle, nginx WebDAV", "where a run's time went", "device D's reads after the join"]),
    "bench_start.py": (["--rounds", "1"],
                       ["ms from navigation start to ready", "ratio of medians", "carelog boot phases",
                        "MB of response bodies"]),
}
NUMBER = re.compile(r"-?[\d,]*\d(\.\d+)?(x| ?[KM]iB| MB)?")


def tables(text: str) -> list[tuple[str, list[list[str]]]]:
    """The tables of common.table() in a script's output: (heading of the first
    column, rows split into cells by the columns of the dashes line). A row
    with only a label is a sub-heading (or a line printed right after)."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if i == 0 or not re.fullmatch(r"-+(  -+)+", line):
            continue
        spans = [m.span() for m in re.finditer(r"-+", line)]
        rows = []
        gaps = [(b, a) for (_, b), (a, _) in zip(spans, spans[1:])]
        for row in lines[i + 1:]:
            if not row.strip() or any(row[b:a].strip() for b, a in gaps):
                break  # the table ends at a blank line or a line across its columns
            cells = [row[a:b].strip() for a, b in spans[:-1]] + [row[spans[-1][0]:].strip()]
            rows.append(cells)
        found.append((lines[i - 1][:spans[0][1]].strip(), rows))
    return found


@pytest.mark.parametrize("script", list(BENCHES))
def test_bench_script_prints_its_tables(script, dist_dir, tmp_path):
    if script == "bench_sync.py" and not Path(NGINX).exists():
        pytest.fail("nginx is not installed: run bash tests/run_all.sh (it installs nginx-light)")
    args, headings = BENCHES[script]
    figures = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(REPO / "bench" / script), "--dist", str(dist_dir),
                           "--json", str(figures), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    printed = tables(done.stdout)
    names = [heading for heading, _ in printed]
    assert len(names) == len(headings) and all(n.startswith(h) for n, h in zip(names, headings)), \
        f"{script} printed the tables {names}:\n{done.stdout}"
    for heading, rows in printed:
        with_figures = [cells for cells in rows if any(cells[1:])]
        assert with_figures, f"{script}: the table {heading!r} has no rows"
        for cells in with_figures:
            assert NUMBER.fullmatch(cells[1]), f"{script}: {heading!r}: no figure in {cells}"
    assert figures.stat().st_size > 0  # --json wrote the raw figures too

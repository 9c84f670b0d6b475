"""A first start imports only what the first screen needs (issue 7, cold start).

``py/main.py`` imports the composition root, the controller, the DOM glue, the
lock and the storage panel before the app is ready; the other screens' views,
the export/import formats and the sync panel come after (``carelog.ui.later``).
Each check runs in a fresh interpreter so the modules of other tests do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PY = Path(__file__).resolve().parents[2] / "py"
# what main.py imports before ``carelogBoot.ready()`` (its module-level imports and mounts)
FIRST = ("carelog.bootstrap", "carelog.ports", "carelog.ui.controller", "carelog.ui.dom",
         "carelog.ui.lock_dom", "carelog.ui.safety_dom")
DEFERRED = ("carelog.ui.report_views", "carelog.ui.chart_views", "carelog.ui.timeline_views",
            "carelog.ui.safety_views", "carelog.ui.conflict_views", "carelog.interop.fhir_import",
            "carelog.interop.fhir_export", "carelog.interop.csv_export", "carelog.interop.report",
            "carelog.ui.sync_dom", "carelog.sync.engine", "carelog.adapters.memory_vitaldays")


def _fresh(code: str):
    out = subprocess.run([sys.executable, "-c", code], cwd=PY, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_first_start_leaves_the_other_screens_out():
    loaded = _fresh(f"import sys, json\nfor m in {FIRST!r}: __import__(m)\n"
                    f"print(json.dumps([m for m in {DEFERRED!r} if m in sys.modules]))")
    assert loaded == []


def test_routing_to_a_later_screen_imports_and_registers_it():
    code = """
import sys, json
from carelog.ui import views
from carelog.ui.state import State
before = "charts" in views.SCREENS, "carelog.ui.report_views" in sys.modules, "storage" in views.FORM_SCREENS
state = State(screen="storage")
markup = str(views.render(state))
after = "charts" in views.SCREENS, "carelog.ui.report_views" in sys.modules, "storage" in views.FORM_SCREENS
print(json.dumps([before, after, "Loading" in markup]))
"""
    before, after, placeholder = _fresh(code)
    assert before == [False, False, False]
    assert after == [True, True, True]
    assert not placeholder  # the storage screen itself was drawn, not the "Loading…" stand-in


def test_later_loads_everything_one_name_at_a_time():
    code = """
import sys, json
from carelog.ui import later
first = later.pending()
for name in first:
    later.load(name)
print(json.dumps([first, later.pending(), [m for m in %r if m in sys.modules]]))
""" % (DEFERRED,)
    first, left, loaded = _fresh(code)
    assert first == list(__import__("carelog.ui.later", fromlist=["MODULES"]).MODULES)
    assert left == []
    assert set(loaded) == set(DEFERRED) - {"carelog.adapters.memory_vitaldays"}


def test_load_all_is_what_the_snapshot_worker_runs():
    js = (Path(__file__).resolve().parents[2] / "public" / "js" / "fast-start.mjs").read_text()
    assert "import carelog.ui.later; carelog.ui.later.load_all()" in js
    left = _fresh("import json\nfrom carelog.ui import later\nlater.load_all()\nprint(json.dumps(later.pending()))")
    assert left == []


def test_random_ids_are_uuid4_text_without_importing_uuid():
    code = """
import sys, json
from carelog.adapters.memory import RandomIds
ids = [RandomIds().new_id() for _ in range(2000)]
imported = "uuid" in sys.modules
import uuid
parsed = [uuid.UUID(i) for i in ids]
print(json.dumps([imported, len(set(ids)), all(str(p) == i for p, i in zip(parsed, ids)),
                  sorted({p.version for p in parsed}), sorted({p.variant for p in parsed})]))
"""
    imported, distinct, same_text, versions, variants = _fresh(code)
    assert imported is False
    assert distinct == 2000 and same_text
    assert versions == [4] and variants == ["specified in RFC 4122"]

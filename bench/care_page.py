"""Python half of bench/bench_care.py: runs INSIDE the carelog page (Pyodide).

bench_care.py loads this source as module ``carelog_care_bench`` through
``window.carelogDebug.runPython`` (the page is opened with ``?debug=1``).
``fill`` writes a care plan with the app's own use cases, then 100,000 events
(a year of vitals, doses of the plan, tasks, notes, symptoms, daily living;
three caregivers) with the batch helper: ``put_events`` in batches of 10,000
(one JSON string and one transaction each). ``phases`` times home's reads
one by one (what ``home_summary`` reads), to show where the time goes.
"""

import json
import random

import js  # noqa: F401 - only inside Pyodide

from carelog.bootstrap import build_for_browser
from carelog.domain.events import Event
from carelog.domain.hlc import Stamp

DAY = 86_400_000
AUTHORS = ("Ann", "Bob", "Cleo")
WORDS = ("slept", "well", "ate", "lunch", "walked", "garden", "tired", "happy", "visit", "daughter", "bath",
         "shower", "chair", "tea", "confused", "calm", "pain", "knee", "back", "cough", "quiet", "TV", "radio")
RARE = "ambulance"
_state = {}


def now() -> float:
    return js.performance.now()


async def _log():
    if "log" not in _state:
        _state["log"] = await build_for_browser()
    return _state["log"]


def _vital(i: int, day_index: int, rng: random.Random) -> dict:
    kind = i % 5
    if kind == 0:
        return {"type": "blood_pressure", "systolic": 120 + rng.randint(-15, 30), "diastolic": 80 + rng.randint(-10, 15),
                "unit": "mm[Hg]", "loinc": "85354-9"}
    if kind == 1:
        return {"type": "heart_rate", "value": 60 + rng.randint(0, 40), "unit": "/min", "loinc": "8867-4"}
    if kind == 2:
        return {"type": "weight", "value": round(70 + day_index * 0.002 + rng.random(), 1), "unit": "kg",
                "loinc": "29463-7"}
    if kind == 3:
        return {"type": "temperature", "value": round(36.5 + rng.random(), 1), "unit": "Cel", "loinc": "8310-5"}
    return {"type": "glucose", "value": round(5 + rng.random() * 4, 1), "unit": "mmol/L", "loinc": "2339-0"}


async def fill(total: int, now_ms: int) -> str:
    """A plan (2 medications twice a day, one task), then ``total`` events over the last 365 days."""
    log = await _log()
    rid = (await log.recipients())[0].id
    await log.save_profile(rid, {"name": "Mum", "timezone": "Europe/London"})
    start = js.Date.new(now_ms - 366 * DAY).toISOString()[:10]
    meds = []
    for name in ("Metformin", "Ramipril"):
        saved = await log.save_plan_item(rid, "med_plan", {"name": name, "dose": "1", "unit": "{tablet}",
                                                           "schedule": "daily", "times": "08:00, 20:00",
                                                           "start_date": str(start)})
        meds.append(saved.entry)
    await log.save_plan_item(rid, "task_plan", {"name": "Reposition", "schedule": "daily",
                                                "times": "10:00, 14:00, 18:00", "start_date": str(start)})
    rng = random.Random(7)
    t0 = now()
    events, written, made_ms, put_ms = [], 0, 0.0, 0.0
    step = 365 * DAY // total
    for i in range(total):
        at = now_ms - 365 * DAY + i * step
        author = AUTHORS[(i // 7) % 3]
        day_index = i * 365 // total
        r = i % 10
        if r in (0, 1, 2):
            kind, payload = "vital", _vital(i // 10, day_index, rng)
        elif r == 3:
            med = meds[(i // 10) % 2]
            local = js.Date.new(at).toISOString()
            slot = f"{str(local)[:10]}T{'08:00' if (i // 20) % 2 == 0 else '20:00'}"
            kind, payload = "medication", {"name": med.payload["name"], "dose": 1, "unit": "{tablet}",
                                           "route": "oral", "status": "given", "plan_item": med.id, "slot": slot}
        elif r == 4:
            kind, payload = "task", {"name": "Reposition", "status": "done"}
        elif r in (5, 6):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
            if i % 20_011 == 5:
                text += f" called an {RARE}"
            kind, payload = "note", {"text": text.capitalize()}
        elif r == 7:
            kind, payload = "symptom", {"name": rng.choice(("Pain", "Nausea", "Dizziness")),
                                        "severity": rng.randint(0, 10)}
        else:
            kind, payload = "daily_living", {"category": "fluids", "amount_ml": 50 * rng.randint(2, 8),
                                             "drink": rng.choice(("Tea", "Water", "Juice"))}
        events.append(Event.create(id=f"b-{i:06d}", recipient=rid, kind=kind, at=at, payload=payload,
                                   author=author, device="bench-tablet", hlc=Stamp(at, 0, "bench-tablet").encode()))
        if len(events) == 10_000 or i == total - 1:
            t1 = now()
            written += await log.store.put_events(events)
            put_ms += now() - t1
            events = []
    made_ms = now() - t0 - put_ms
    return json.dumps({"recipient": rid, "written": written, "put_ms": put_ms, "make_ms": made_ms})


async def phases(rid: str, now_ms: int) -> str:
    """Home's reads one by one, as ``care_controller.load_home`` runs them (plan,
    limits, then ``home_summary``'s reads and its Python work), in ms, and the rows
    each read brings."""
    import datetime as _dt

    from carelog.care import RECORD_KINDS, TREND_TYPES
    from carelog.domain.timeline_filter import TIMELINE_KINDS
    from carelog.domain.zones import day_bounds, local_date, zone

    log = await _log()
    tz = zone("Europe/London")
    out = {}

    async def timed(name, coro):
        t = now()
        result = await coro
        out[name] = now() - t
        if isinstance(result, list):
            out[f"{name}_rows"] = len(result)
        return result

    since = now_ms - DAY  # the first look of a session with no last look (care_controller), as in the timed runs
    items = await timed("plan", log.plan(rid))
    limits = await timed("limits", log.limits(rid))
    await timed("profile", log.profile(rid))
    last = local_date(now_ms, tz)
    base = day_bounds(last - _dt.timedelta(days=6), tz)[0]
    await timed("read_trend_vitals", log.entry_events(rid, ("vital",), base - 15 * DAY, base, types=TREND_TYPES))
    await timed("read_vitals_7_days", log.entry_events(rid, ("vital",), base))
    await timed("read_doses_tasks_9_days", log.entry_events(rid, RECORD_KINDS, base - 2 * DAY))
    await timed("read_acks", log.entry_events(rid, ("alert_ack",)))
    await timed("read_recorded_since", log.store.histories_recorded_since(rid, f"{since:013d}-~"))
    await timed("home_summary_whole", log.home_summary(rid, since, tz, now_ms, items=items, limits=limits))
    await timed("timeline_50", log.timeline(rid, kinds=TIMELINE_KINDS))
    t = now()  # baseline: the three wide reads home made before (every kind for 16 days, 22 days of vitals)
    await log.since_last_looked(rid, since, tz, now_ms, items=items, limits=limits)
    await log.alerts(rid, tz, now=now_ms, items=items, limits=limits)
    await log.today_board(rid, tz, now_ms, items=items)
    out["before_three_wide_reads"] = now() - t
    t = now()
    found = await log.store.events_in_range(rid, start_at=now_ms - 16 * DAY, end_at=None)
    out["before_read_16_days_every_kind"] = now() - t
    out["before_read_16_days_every_kind_rows"] = len(found)
    return json.dumps(out)

"""The report's week-by-week table (summary.json ``report.weeks``), checked against the run's own files on
the demo: calls and service from the projection's intervals, money from costs.csv, grouped here by the
calendar's ISO week with plain Python."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

import pandas as pd
import pytest


def _iso(d) -> str:
    y, w, _ = pd.Timestamp(d).date().isocalendar()
    return f"{y:04d}-W{w:02d}"


def test_weeks_agree_with_the_intervals_and_the_costs(demo_run):
    from wfm.config import load_config
    from wfm.runs import read_run
    from wfm.service import project_service

    base, _ = demo_run
    d = base / "schedules" / "demo"
    rep = json.loads((d / "summary.json").read_text())["report"]
    weeks = {w["week"]: w for w in rep["weeks"]}
    run, cfg = read_run(d), load_config(d / "config.yaml")
    frame = project_service(run.requirements, run.coverage, run.roster, cfg, meta=run.meta, simulate=False).frame
    ih = cfg.interval_minutes / 60
    acc = defaultdict(lambda: defaultdict(float))
    for r in frame.itertuples():
        a = acc[_iso(r.interval_start)]
        a["calls"] += r.offered
        a["met"] += r.offered * r.service_level
        a["abandoned"] += r.abandoned
        a["busy"] += r.agents_on_phone * r.occupancy
        a["on_phone"] += r.agents_on_phone
        a["under"] += max(r.required - r.rostered, 0) * ih
        a["over"] += max(r.rostered - r.required, 0) * ih
    costs = pd.read_csv(d / "costs.csv", parse_dates=["date"])
    for day, c in costs.groupby("date")["total_cost"].sum().items():
        acc[_iso(day)]["cost"] += c
    assert set(weeks) == set(acc) and len(acc) >= 4
    for k, a in acc.items():
        w = weeks[k]
        assert w["total_cost"] == pytest.approx(a["cost"], abs=0.01)
        if a["calls"]:
            assert w["calls"] == pytest.approx(a["calls"])
            assert w["expected_sl"] == pytest.approx(a["met"] / a["calls"])
            assert w["expected_abandon"] == pytest.approx(a["abandoned"] / a["calls"])
            assert w["occupancy"] == pytest.approx(a["busy"] / a["on_phone"])
            assert 0.2 < w["occupancy"] < cfg.staffing.max_occupancy + 1e-9
        assert w["under_agent_h"] == pytest.approx(a["under"]) and w["over_agent_h"] == pytest.approx(a["over"])
        assert dt.date.fromisoformat(w["week_start"]).weekday() == 0
    # the horizon's figures are the weeks' together
    assert sum(w["total_cost"] for w in weeks.values()) == pytest.approx(rep["total_cost"], abs=0.01)
    over = sum(a["over"] for a in acc.values())
    assert rep["over_staffed_agent_h"] == pytest.approx(over) and over > 0
    assert rep["occupancy"] == pytest.approx(sum(a["busy"] for a in acc.values()) / sum(a["on_phone"] for a in acc.values()))
    # the demo's first week holds the National Day holidays: dearer than the ordinary weeks after it
    first, *rest = sorted(weeks.values(), key=lambda w: w["week_start"])
    assert first["total_cost"] > 1.1 * max(w["total_cost"] for w in rest if w["days"] == 7)

"""The report's per-queue service with the rostered skill mix, on the demo (12 of its 128 agents are trained on
sales and service): the skill sets and head counts against the agents file, the staff per skill set rebuilt
from roster.csv with plain Python for one day and re-simulated, and the page and workbook showing it."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from wfm.multiskill import SkillSet, simulate_centre
from wfm.multiskill.roster import _seed


def _mix(d):
    from wfm.config import load_config
    from wfm.runs import read_run
    from wfm.service import project_service

    run, cfg = read_run(d), load_config(d / "config.yaml")
    sp = project_service(run.requirements, run.coverage, run.roster, cfg, meta=run.meta, agents=run.agents)
    return sp, cfg


def test_skill_mix_is_the_roster_routed_by_skill_set(demo_run):
    base, _ = demo_run
    d = base / "schedules" / "demo"
    sp, cfg = _mix(d)
    mix = sp.skill_mix
    agents = pd.read_csv(d / "agents.csv")
    cells = Counter("+".join(c.split(";")) for c in agents["queues"])
    assert mix.agents == dict(cells) and mix.agents["sales+service"] == 12
    assert [s.queues for s in mix.sets] == [("sales",), ("sales", "service"), ("service",)]

    # one day's staff per skill set from roster.csv, by hand: on shift for the whole interval, not on break
    day = pd.Timestamp("2026-09-29")
    step = pd.Timedelta(minutes=cfg.interval_minutes)
    slots = [day + i * step for i in range(int(pd.Timedelta(days=1) / step))]
    ros = pd.read_csv(d / "roster.csv", parse_dates=["shift_start", "shift_end", "break_start", "break_end"])
    set_of = {a: "+".join(c.split(";")) for a, c in zip(agents["agent_id"], agents["queues"])}
    on = {s: [0] * len(slots) for s in cells}
    for r in ros.itertuples():
        for i, t in enumerate(slots):
            if r.shift_start <= t and t + step <= r.shift_end and not (
                    pd.notna(r.break_start) and r.break_start < t + step and t < r.break_end):
                on[set_of[r.agent_id]][i] += 1
    phone = {s: [math.floor(round(n * (1 - cfg.staffing.shrinkage), 9)) for n in v] for s, v in on.items()}
    frame = sp.frame[sp.frame["interval_start"].dt.normalize() == day].sort_values("interval_start")
    arrivals = {q: g["offered"].to_numpy(float) for q, g in frame.groupby("queue")}
    aht = {q: np.where(g["offered"].to_numpy(float) > 0, g["aht_s"].to_numpy(float), 1.0)
           for q, g in frame.groupby("queue")}
    pat = {q: (None if not math.isfinite(p) else p) for q, p in frame.groupby("queue")["patience_s"].first().items()}
    res = simulate_centre(arrivals, aht, [SkillSet(s.name, s.queues) for s in mix.sets], phone,
                          cfg.interval_minutes * 60.0, cfg.staffing.sl_seconds, patience_s=pat,
                          routing=cfg.staffing.multiskill.routing, seed=_seed(day), replications=mix.replications,
                          level=mix.level)
    by_day = mix.by_day[mix.by_day["date"] == day].set_index("queue")
    for q in ("sales", "service", None):
        s = res.summary(q)
        want = mix.day_total.loc[day] if q is None else by_day.loc[q]
        assert s["service_level"] == want["service_level"], q  # the same callers, the same staff
        assert s["abandon_rate"] == want["abandon_rate"], q
    # the cross-trained agents answered both queues
    shares = mix.handled_share.loc["sales+service"]
    assert shares.min() > 0.2 and abs(shares.sum() - 1) < 1e-9


def test_the_page_and_the_summary_show_the_skill_mix(demo_run):
    base, _ = demo_run
    d = base / "schedules" / "demo"
    rep = json.loads((d / "summary.json").read_text())["report"]["skill_mix"]
    assert rep["routing"] == "priority"
    assert {s["name"]: s["agents"] for s in rep["skill_sets"]} == {"sales": 44, "sales+service": 12, "service": 72}
    sp, _ = _mix(d)
    for q, r in (("sales", rep["queues"]["sales"]), ("service", rep["queues"]["service"]), (None, rep["all"])):
        want = sp.skill_mix.total if q is None else sp.skill_mix.by_queue.loc[q]
        assert r["mix_sl"] == pytest.approx(float(want["service_level"]), abs=1e-12)
        assert r["mix_abandon"] == pytest.approx(float(want["abandon_rate"]), abs=1e-12)
        assert isinstance(r["mix_sl"], float) and 0.5 < r["mix_sl"] < 1.0
        assert r["mix_lo"] < r["mix_sl"] < r["mix_hi"]
    html = (d / "report.html").read_text()
    i = html.index('id="skill-mix"')
    part = html[i:html.index("</details>", i)]
    for q in ("sales", "service"):
        assert f"{q} {100 * rep['queues'][q]['mix_sl']:.1f}%" in part
    assert "12 agents, who took" in part


def test_a_plan_without_calls_still_reports(demo_run, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from wfm.cli import app

    base, _ = demo_run
    d = tmp_path / "run"
    shutil.copytree(base / "schedules" / "demo", d)
    req = pd.read_csv(d / "requirements.csv")
    req["offered"] = 0.0
    req.to_csv(d / "requirements.csv", index=False)
    r = CliRunner().invoke(app, ["report", "--run", str(d)], terminal_width=200)
    assert r.exit_code == 0, r.output
    html = (d / "report.html").read_text()
    i = html.index('id="skill-mix"')
    assert "—" in html[i:html.index("</details>", i)]  # no figure to show, and no failure

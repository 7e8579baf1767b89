"""The scheduler only plans shifts the agents on the list can work (head count, days and hours by contract)."""

import numpy as np
import pandas as pd

from wfm.config import load_config, parse_config
from wfm.scheduling import contract_capacity, schedule


def _cfg():
    base = load_config(None).model_dump(mode="json", by_alias=True)
    base["schedule"]["time_limit_s"] = 20  # returns as soon as the 3% gap is proven; 8 s was too short on a loaded 2-core machine
    base["schedule"]["mip_gap"] = 0.03
    return parse_config(base)


def _req(days=7):
    """A 24/7 week with a double-peak day: 3 agents at night, 14 at the peaks."""
    t = pd.date_range("2026-11-02", periods=days * 96, freq="15min")  # Monday, no CN holidays
    h = (t.hour + t.minute / 60).to_numpy()
    need = np.round(3 + 11 * np.exp(-0.5 * ((h - 10.5) / 2) ** 2) + 9 * np.exp(-0.5 * ((h - 15) / 2) ** 2)).astype(int)
    return pd.DataFrame({"queue": "q", "interval_start": t, "scheduled_required": need})


def _agents(n_ft, n_pt, n_blend=0):
    rows = []
    for i in range(n_ft + n_pt + n_blend):
        pt = n_ft <= i < n_ft + n_pt
        rows.append({"agent_id": f"A{i}", "queues": "q;other" if i >= n_ft + n_pt else "q",
                     "contract": "part_time" if pt else "full_time", "max_hours_week": 20 if pt else 40,
                     "max_days_week": 5})
    return pd.DataFrame(rows)


def test_part_time_shifts_limited_to_part_time_agents():
    cfg, req = _cfg(), _req()
    free = schedule(req, cfg)
    pt_free = free.shifts[free.shifts["template"] == "PT4"].groupby("date")["count"].sum()
    assert pt_free.max() > 2  # unconstrained, the solver likes 4-hour shifts for the peaks

    agents = _agents(n_ft=40, n_pt=2)
    res = schedule(req, cfg, agents=agents)
    sh = res.shifts
    pt = sh[sh["template"] == "PT4"]
    assert pt.groupby("date")["count"].sum().max() <= 2  # two part-timers: at most two PT shifts a day
    assert (pt["count"] * pt["paid_hours"]).sum() <= 2 * 20  # and their weekly hours
    assert pt["count"].sum() <= 2 * 5  # and their working days
    ft = sh[sh["template"] == "FT9"]
    assert ft["count"].sum() <= 40 * 5 and (ft["count"] * ft["paid_hours"]).sum() <= 40 * 40
    assert (res.coverage["gap"] >= 0).all()  # full-timers take over what part-timers cannot


def test_capacity_shares_multi_skilled_agents_by_required_hours():
    cfg = _cfg()
    req = pd.concat([_req().assign(queue="q"), _req().assign(queue="other", scheduled_required=lambda d: d["scheduled_required"] * 3)])
    cap = contract_capacity(_agents(n_ft=0, n_pt=0, n_blend=4), req, cfg)
    # 4 blended agents, queue 'other' needs 3x the hours of 'q': a quarter of their time is 'q's
    assert cap[("q", "full_time")]["agents"] == 4
    assert cap[("q", "full_time")]["hours_week"] == 4 * 40 * 0.25
    assert cap[("other", "full_time")]["hours_week"] == 4 * 40 * 0.75

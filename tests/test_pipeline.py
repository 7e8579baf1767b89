"""The whole demo pipeline, end to end, checked from the files it writes (not from the solver's word)."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from wfm.cli import app
from wfm.config import load_config

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    r = runner.invoke(app, ["demo", "--out", str(base), "--quiet"], terminal_width=200)
    assert r.exit_code == 0, r.output
    return base, r.output


def read(path, times=()):
    df = pd.read_csv(path, keep_default_na=True)
    for c in times:
        df[c] = pd.to_datetime(df[c])
    return df


def test_demo_writes_every_output(demo_run):
    base, output = demo_run
    f, s = base / "forecasts" / "demo", base / "schedules" / "demo"
    for name in ("forecast.csv", "forecast.png"):
        assert (f / name).stat().st_size > 0
    for name in ("requirements.csv", "shifts.csv", "roster.csv", "coverage.csv", "costs.csv", "report.html",
                 "report.xlsx", "agents.csv", "config.yaml", "summary.json", "agent_summary.csv", "holiday_ledger.csv"):
        assert (s / name).stat().st_size > 0, name
    assert "report.html" in output
    # No temporary folders left behind
    assert not [p for p in (base / "schedules").iterdir() if p.name.startswith(".")]


def test_forecast_spans_four_weeks_with_national_day(demo_run):
    base, _ = demo_run
    fc = read(base / "forecasts" / "demo" / "forecast.csv", ["interval_start"])
    assert fc["interval_start"].min() == pd.Timestamp("2026-09-28")
    assert fc["interval_start"].max() == pd.Timestamp("2026-10-25 23:45")
    assert set(fc["queue"]) == {"sales", "service"} and len(fc) == 2 * 28 * 96
    hol = fc[fc["is_holiday"]]["interval_start"].dt.normalize().unique()
    assert pd.Timestamp("2026-10-01") in hol
    day = fc.groupby(fc["interval_start"].dt.normalize())["offered"].sum()
    assert day.loc["2026-10-01"] < 0.7 * day.loc["2026-09-29"]  # National Day is quiet


def test_requirements_follow_erlang_and_shrinkage(demo_run):
    from wfm.erlang import service_level

    base, _ = demo_run
    cfg = load_config(None)
    req = read(base / "schedules" / "demo" / "requirements.csv", ["interval_start"])
    assert len(req) == 2 * 28 * 96
    expect = np.ceil(np.round(req["agents"] / (1 - cfg.staffing.shrinkage), 9)).astype(int)
    assert (req["scheduled_required"] == expect).all()
    busy = req[req["agents"] > 0]
    sl = service_level(busy["offered"].to_numpy(), busy["aht_s"].to_numpy(), busy["agents"].to_numpy(), 900, 20)
    assert (sl >= cfg.staffing.sl_target - 1e-9).all()


def _coverage_by_hand(shifts, intervals, step):
    """Agents on the phone per interval, by brute force over every shift (independent of coverage_from_shifts)."""
    on = {}
    for s in shifts.itertuples():
        t = s.start
        while t < s.end:
            on_break = isinstance(s.break_start, pd.Timestamp) and s.break_start <= t < s.break_end
            if not on_break:
                on[(s.queue, t)] = on.get((s.queue, t), 0) + s.count
            t += step
    return np.array([on.get((q, t), 0) for q, t in zip(intervals["queue"], intervals["interval_start"])])


def test_coverage_recomputed_from_shifts(demo_run):
    base, _ = demo_run
    d = base / "schedules" / "demo"
    shifts = read(d / "shifts.csv", ["date", "start", "end", "break_start", "break_end"])
    cov = read(d / "coverage.csv", ["interval_start"])
    mine = _coverage_by_hand(shifts, cov, pd.Timedelta(minutes=15))
    assert (mine == cov["scheduled"].to_numpy()).all()
    assert (cov["gap"] == cov["scheduled"] - cov["required"]).all()
    req = read(d / "requirements.csv", ["interval_start"])
    assert (cov["required"].to_numpy() == req["scheduled_required"].to_numpy()).all()
    # The demo is feasible: every interval is covered, and so every holiday interval.
    assert (cov["gap"] >= 0).all(), cov[cov["gap"] < 0].head()


def test_shifts_respect_templates(demo_run):
    base, _ = demo_run
    cfg = load_config(None)
    t = {x.name: x for x in cfg.schedule.templates}
    sh = read(base / "schedules" / "demo" / "shifts.csv", ["date", "start", "end", "break_start", "break_end"])
    assert sh["shift_id"].is_unique and (sh["count"] > 0).all()
    for s in sh.itertuples():
        tpl = t[s.template]
        assert s.end - s.start == pd.Timedelta(hours=tpl.length_h)
        assert math.isclose(s.paid_hours, tpl.paid_h)
        assert tpl.start_min_h <= (s.start - s.date) / pd.Timedelta(hours=1) <= tpl.start_max_h
        if tpl.brk is not None:
            off = (s.break_start - s.start) / pd.Timedelta(hours=1)
            assert tpl.brk.earliest_start_h <= off <= tpl.brk.latest_start_h
            assert s.break_end - s.break_start == pd.Timedelta(minutes=tpl.brk.minutes)


def test_roster_breaks_no_rule_by_validator(demo_run):
    base, _ = demo_run
    d = base / "schedules" / "demo"
    r = runner.invoke(app, ["validate", "--roster", str(d / "roster.csv"), "--agents", str(d / "agents.csv")], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "break no rule" in r.output


def test_roster_fills_the_holidays_and_shares_them(demo_run):
    base, _ = demo_run
    d = base / "schedules" / "demo"
    ros = read(d / "roster.csv", ["date", "shift_start", "shift_end"])
    shifts = read(d / "shifts.csv", ["date", "start", "end"])
    cal_days = set(pd.to_datetime(["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-05", "2026-10-06", "2026-10-07"]))
    hol_shifts = shifts[shifts["date"].isin(cal_days)]
    staffed = ros[ros["date"].isin(cal_days)].groupby("shift_id").size()
    assert (staffed.reindex(hol_shifts["shift_id"]).fillna(0).to_numpy() >= hol_shifts["count"].to_numpy()).all()
    # Every agent rostered as many shifts as their shift_id allows, never more than the count
    per = ros.groupby("shift_id").size()
    cnt = shifts.set_index("shift_id")["count"]
    assert (per <= cnt.reindex(per.index)).all()


def test_costs_add_up_and_summary_matches(demo_run):
    base, _ = demo_run
    d = base / "schedules" / "demo"
    costs = read(d / "costs.csv")
    parts = ["base_cost", "overtime_premium", "rest_day_premium", "holiday_premium", "night_premium", "on_cost"]
    assert np.allclose(costs[parts].sum(axis=1), costs["total_cost"])
    ros = read(d / "roster.csv")
    assert costs["paid_hours"].sum() == pytest.approx(ros["paid_hours"].sum())
    # Holiday work on statutory days is paid at 300%: premium = 2 x base on those hours
    hol = costs[costs["day_type"] == "holiday"]
    assert len(hol) and np.allclose(hol["holiday_premium"], 2 * hol["holiday_hours"] * (hol["base_cost"] / hol["paid_hours"]))


def test_summary_json_states_solver_status(demo_run):
    base, _ = demo_run
    s = json.loads((base / "schedules" / "demo" / "summary.json").read_text())
    assert "schedule" in s and "roster" in s
    text = json.dumps(s["schedule"]).lower()
    assert "highs" in text or "cbc" in text


def test_whatif_replans_without_touching_the_run(demo_run):
    import hashlib

    base, _ = demo_run
    run = base / "schedules" / "demo"
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in run.iterdir()}
    out = base / "scenario"
    r = runner.invoke(app, ["whatif", "--run", str(run), "--volume", "+10%", "--sl", "0.9/20", "--out", str(out),
                            "--quiet"], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in run.iterdir()} == before
    cmp_ = pd.read_csv(out / "whatif.csv").set_index("metric")
    assert cmp_.loc["forecast calls", "scenario"] == pytest.approx(1.1 * cmp_.loc["forecast calls", "base"])
    # A higher target on more calls needs more agent-hours, costs more and serves better
    assert cmp_.loc["required agent-hours", "scenario"] > 1.1 * cmp_.loc["required agent-hours", "base"]
    assert cmp_.loc["total cost", "scenario"] > cmp_.loc["total cost", "base"]
    req = read(out / "requirements.csv")
    busy = req[req["agents"] > 0]
    assert (busy["service_level"] >= 0.9 - 1e-9).all()
    costs = read(out / "costs.csv")
    assert cmp_.loc["total cost", "scenario"] == pytest.approx(costs["total_cost"].sum())

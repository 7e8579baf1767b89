"""The whole demo pipeline, end to end, checked from the files it writes (not from the solver's word)."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import sheet_frame
from wfm.cli import app
from wfm.config import load_config

runner = CliRunner()


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
                 "report.xlsx", "agents.csv", "config.yaml", "summary.json", "agent_summary.csv", "holiday_ledger.csv",
                 "forecast_backtest.csv"):
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


def test_whatif_replans_without_touching_the_run(small_centre, tmp_path):
    import hashlib

    run = small_centre / "schedules" / "demo"
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in run.iterdir()}
    out = tmp_path / "scenario"
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
    # the scenario projects abandonment with the base run's patience, so the two columns compare like with like
    meta = json.loads((run / "summary.json").read_text())
    assert json.loads((out / "summary.json").read_text())["service_projection"] == meta["service_projection"]
    assert cmp_.loc["cost per handled call", "base"] == pytest.approx(meta["report"]["cost_per_handled_call"], rel=1e-5)
    assert cmp_.loc["expected abandonment", "base"] == pytest.approx(meta["report"]["expected_abandon_rate"], rel=1e-5)
    assert 0 <= cmp_.loc["expected abandonment", "scenario"] < 1
    costs = read(out / "costs.csv")
    assert cmp_.loc["total cost", "scenario"] == pytest.approx(costs["total_cost"].sum())


def _interpolated_abandonment(offered, aht, on_phone, patience, interval_s):
    """Erlang A abandonment at fractional agents: linear between floor and ceil (wfm.erlang's closed form)."""
    from wfm import erlang

    lo, hi = np.floor(on_phone + 1e-9), np.ceil(on_phone - 1e-9)
    a_lo = erlang.abandon_rate_a(offered, aht, lo, interval_s, patience)
    a_hi = erlang.abandon_rate_a(offered, aht, hi, interval_s, patience)
    return np.where(lo == hi, a_lo, (hi - on_phone) * a_lo + (on_phone - lo) * a_hi)


def test_report_abandonment_and_cost_per_handled_call_from_the_csvs(demo_run):
    import re

    import openpyxl

    base, _ = demo_run
    d = base / "schedules" / "demo"
    meta = json.loads((d / "summary.json").read_text())
    # the demo configures no patience: the report uses (and states) the one estimated from the history
    pats = meta["service_projection"]["patience_s"]
    assert set(pats) == {"sales", "service"} and all(30 < v < 600 for v in pats.values())
    html = (d / "report.html").read_text(encoding="utf-8")
    assert "ASSUMES the mean patience estimated" in html
    req = read(d / "requirements.csv", ["interval_start"])
    ros = read(d / "roster.csv", ["shift_start", "shift_end", "break_start", "break_end"])
    ros = ros.rename(columns={"shift_start": "start", "shift_end": "end"}).assign(count=1)
    on = _coverage_by_hand(ros, req, pd.Timedelta(minutes=15)).astype(float)
    ab = _interpolated_abandonment(req["offered"].to_numpy(), req["aht_s"].to_numpy(), np.round(on * 0.7, 9),
                                   req["queue"].map(pats).to_numpy(float), 900.0)
    req["abandoned"] = req["offered"] * ab
    handled = float((req["offered"] - req["abandoned"]).sum())
    total = read(d / "costs.csv")["total_cost"].sum()
    rep = meta["report"]
    assert rep["handled_calls"] == pytest.approx(handled, rel=1e-9)
    assert rep["cost_per_handled_call"] == pytest.approx(total / handled, rel=1e-9)
    assert rep["cost_per_call"] == pytest.approx(total / req["offered"].sum(), rel=1e-9)
    card = float(re.search(r'data-key="cost_per_handled_call" data-value="([^"]*)"', html).group(1))
    assert card == pytest.approx(total / handled, rel=1e-9)
    assert 0 < rep["expected_abandon_rate"] < 0.2
    # daily abandonment in report.xlsx equals the recomputation per day
    daily = sheet_frame(d / "report.xlsx", "Daily")
    daily = daily[daily["calls"] > 0].set_index(pd.to_datetime(daily.loc[daily["calls"] > 0, "date"]))
    g = req.groupby(req["interval_start"].dt.normalize())[["offered", "abandoned"]].sum()
    assert len(daily) == 28
    np.testing.assert_allclose(daily["expected_abandon"].astype(float).to_numpy(),
                               (g["abandoned"] / g["offered"]).reindex(daily.index).to_numpy(), rtol=1e-9)
    # the simulation (same patience, whole agents rounded down) lands near the formula on every day
    assert (abs(daily["sim_abandon_rate"].astype(float) - daily["expected_abandon"].astype(float)) < 0.03).all()


def test_report_backtest_matches_an_independent_seasonal_naive(demo_run):
    from wfm.demo import demo_history
    from wfm.history import validate_history

    base, _ = demo_run
    d = base / "schedules" / "demo"
    bt = read(d / "forecast_backtest.csv", ["first_origin", "last_origin"])
    meta = json.loads((d / "summary.json").read_text())
    assert set(zip(bt["queue"], bt["model"], bt["used"])) == {
        (q, m, m == meta["forecast"]["models"][q]) for q in ("sales", "service") for m in ("calendar", "seasonal_naive")}
    cfg = load_config(None)
    hist = validate_history(demo_history(country=cfg.site.country, subdivision=cfg.site.subdivision),
                            source="demo history", interval_minutes=cfg.interval_minutes).frame
    week = pd.Timedelta(days=7)
    for r in bt[bt["model"] == "seasonal_naive"].itertuples():
        s = hist[hist["queue"] == r.queue].set_index("interval_start")["offered"]
        origins = pd.date_range(r.first_origin, r.last_origin, freq="7D")
        assert len(origins) == r.origins == 2 and r.last_origin + week == s.index.max().normalize() + pd.Timedelta(days=1)
        act = pd.concat([s[(s.index >= o) & (s.index < o + week)] for o in origins])
        naive = s.reindex(act.index - week).to_numpy()  # last week's value of the same interval
        assert r.intervals == len(act) and r.actual_calls == pytest.approx(act.sum())
        assert r.wape == pytest.approx(np.abs(naive - act.to_numpy()).sum() / act.sum(), rel=1e-8)
        assert r.bias == pytest.approx((naive.sum() - act.sum()) / act.sum(), rel=1e-6, abs=1e-9)
    # every row's bias is its own forecast and actual sums; the model used beats the naive baseline in the demo
    np.testing.assert_allclose(bt["bias"], (bt["forecast_calls"] - bt["actual_calls"]) / bt["actual_calls"], rtol=1e-6, atol=1e-9)
    used, naive = bt[bt["used"]].set_index("queue"), bt[bt["model"] == "seasonal_naive"].set_index("queue")
    assert (used["wape"] < naive["wape"]).all()
    # the report's pooled rows come from the CSV
    pooled = {r["model"]: r for r in meta["report"]["forecast_backtest"]["rows"] if r["queue"] == "All queues"}
    for part, key in ((used, next(k for k in pooled if k.startswith("model used"))), (naive, "seasonal_naive")):
        assert pooled[key]["wape"] == pytest.approx((part["wape"] * part["actual_calls"]).sum() / part["actual_calls"].sum())
        assert pooled[key]["coverage"] == pytest.approx((part["coverage"] * part["intervals"]).sum() / part["intervals"].sum())
    html = (d / "report.html").read_text(encoding="utf-8")
    sec = html[html.index('id="backtest"'): html.index('<section id="holidays">')]
    assert f"{100 * used.loc['sales', 'wape']:.1f}%" in sec and "80% interval coverage" in sec

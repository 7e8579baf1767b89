"""Shift scheduling: textbook optima, coverage recomputed independently, breaks, holidays, pay multipliers,
under-coverage reporting, rolling windows and determinism."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import wfm.mip
from wfm.config import load_config, parse_config
from wfm.errors import ConfigError, InputError, SolverError
from wfm.io import write_csv
from wfm.scheduling import SHIFT_COLUMNS, schedule, solve_covering

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TEXTBOOK = Path(__file__).resolve().parent / "data" / "textbook"  # copies of ../shared (tests/data/README.md)
STEP = pd.Timedelta(minutes=15)


def _textbook(name: str) -> dict:
    path = TEXTBOOK / name
    return json.loads(path.read_text())


# ---------------------------------------------------------------- textbook optima (solve_covering)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_union_airways_optimum(solver):
    d = _textbook("union_airways.json")
    costs = [s["cost"] for s in d["shifts"]]
    res = solve_covering(d["min_agents"], d["covers"], costs, solver=solver)
    assert res.solver.lower() == solver
    assert res.objective == pytest.approx(d["published_optimum"]["cost"], abs=1e-6)  # 30,610
    assert float(np.dot(costs, res.x)) == pytest.approx(30610, abs=1e-6)
    assert (np.asarray(d["covers"]) @ res.x >= np.asarray(d["min_agents"])).all()
    assert res.proven_optimal and res.best_bound == pytest.approx(30610, abs=1e-6)


def _cyclic(n_periods: int, length: int) -> np.ndarray:
    a = np.zeros((n_periods, n_periods))
    for j in range(n_periods):  # column j starts in period j and runs `length` periods, over the wrap
        for h in range(length):
            a[(j + h) % n_periods, j] = 1
    return a


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_ctu_cyclic_8h_optimum(solver):
    d = _textbook("ctu_cyclic_8h.json")
    demand = d["hourly_demand_0_to_23"]
    a = _cyclic(24, d["shift_length_hours"])
    res = solve_covering(demand, a, np.ones(24), solver=solver)
    assert int(res.x.sum()) == d["published_optimum"]["shifts"] == 55
    assert (a @ res.x >= demand).all()
    assert res.proven_optimal


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_winston_post_office_optimum(solver):
    d = _textbook("winston_post_office.json")
    a = _cyclic(7, 5)  # five consecutive days on, two off
    res = solve_covering(d["min_employees"], a, np.ones(7), solver=solver)
    assert int(res.x.sum()) == d["published_optimum"]["employees"] == 23


def test_solve_covering_infeasible_and_bad_shape():
    # row 2 has demand but no column covers it: pure covering is infeasible
    with pytest.raises(SolverError, match="infeasible"):
        solve_covering([1, 1, 1], [[1, 0], [0, 1], [0, 0]], [1, 1])
    # with a penalty the same demand is left uncovered, at a cost
    res = solve_covering([1, 1, 1], [[1, 0], [0, 1], [0, 0]], [1, 1], under_penalty=10)
    assert res.objective == pytest.approx(12) and res.under.tolist() == [0, 0, 1]
    with pytest.raises(ValueError, match="shape"):
        solve_covering([1, 1], [[1, 0, 1]], [1, 1, 1])


# ---------------------------------------------------------------- schedule() on synthetic requirements


def _cfg(**schedule_updates):
    data = load_config(None).model_dump(by_alias=True, mode="json")
    data["schedule"].update(schedule_updates)
    return parse_config(data)


def _req(start="2026-03-10", days=2, queue="sales", scale=1.0, holiday_days=None) -> pd.DataFrame:
    """24/7 double-peak requirement on 15-minute intervals (2026-03-10 is a Tuesday, a CN workday)."""
    ts = pd.date_range(start, periods=days * 96, freq="15min")
    h = (ts.hour + ts.minute / 60).to_numpy()
    need = np.round(scale * (1 + 8 * np.exp(-(((h - 10) / 2) ** 2)) + 6 * np.exp(-(((h - 16) / 2) ** 2)))).astype(int)
    df = pd.DataFrame({"queue": queue, "interval_start": ts, "scheduled_required": need, "offered": 1.0})
    if holiday_days is not None:
        df["is_holiday"] = ts.normalize().isin(pd.to_datetime(holiday_days))
    return df


def _coverage_loop(shifts: pd.DataFrame, req: pd.DataFrame) -> list[int]:
    """Agents on the phone per requirement row, by brute force (independent of coverage_from_shifts)."""
    out = []
    rows = list(shifts.itertuples(index=False))
    for q, t in zip(req["queue"], req["interval_start"]):
        n = 0
        for s in rows:
            if s.queue != q or not (s.start <= t and t + STEP <= s.end):
                continue
            on_break = pd.notna(s.break_start) and t < s.break_end and t + STEP > s.break_start
            if not on_break:
                n += s.count
        out.append(n)
    return out


@pytest.fixture(scope="module")
def demo_cfg():
    return load_config(None)


@pytest.fixture(scope="module")
def two_day(demo_cfg):
    req = _req()
    return req, schedule(req, demo_cfg)


def test_coverage_recomputed_independently(two_day, tmp_path):
    req, res = two_day
    cov = res.coverage
    assert list(cov.columns) == ["queue", "interval_start", "required", "scheduled", "gap"]
    assert len(cov) == len(req)
    expect = _coverage_loop(res.shifts, req.sort_values(["queue", "interval_start"]))
    assert cov["scheduled"].tolist() == expect
    assert cov["required"].tolist() == req["scheduled_required"].tolist()
    assert (cov["gap"] == cov["scheduled"] - cov["required"]).all()
    assert (cov["gap"] >= 0).all()  # every interval covered (feasible with the demo templates)
    # and the same numbers survive the CSV the CLI writes
    back = pd.read_csv(write_csv(cov, tmp_path / "coverage.csv"))
    assert back["scheduled"].tolist() == expect


def test_shift_rows_follow_templates(two_day, demo_cfg):
    _, res = two_day
    sh = res.shifts
    assert list(sh.columns) == SHIFT_COLUMNS
    assert sh["shift_id"].is_unique
    assert (sh["count"] > 0).all() and sh["count"].dtype.kind == "i"
    assert (sh["date"] == sh["start"].dt.normalize()).all()
    assert ((sh["start"] - sh["date"]) % pd.Timedelta(minutes=30) == pd.Timedelta(0)).all()  # start grid
    tmpl = {t.name: t for t in demo_cfg.schedule.templates}
    assert set(sh["template"]) <= set(tmpl)
    for r in sh.itertuples(index=False):
        t = tmpl[r.template]
        length = (r.end - r.start) / pd.Timedelta(hours=1)
        assert length == t.length_h
        start_h = (r.start - r.date) / pd.Timedelta(hours=1)
        assert t.start_min_h <= start_h <= t.start_max_h
        if t.brk is None:
            assert pd.isna(r.break_start) and pd.isna(r.break_end)
            assert r.paid_hours == length
        else:
            off = (r.break_start - r.start) / pd.Timedelta(hours=1)
            assert t.brk.earliest_start_h <= off <= t.brk.latest_start_h
            assert (r.break_start - r.start) % pd.Timedelta(minutes=30) == pd.Timedelta(0)  # break grid
            assert r.break_end - r.break_start == pd.Timedelta(minutes=t.brk.minutes)
            assert r.paid_hours == length - t.brk.minutes / 60  # FT9: 9 h less the unpaid hour = 8
        assert r.shift_id.startswith(f"{r.queue}-{r.start:%Y-%m-%d-%H%M}-{r.template}")
    assert sh.equals(sh.sort_values(["queue", "start", "template", "break_start"], na_position="first"))


def test_summary_totals(two_day):
    req, res = two_day
    s, sh, cov = res.summary, res.shifts, res.coverage
    assert s["shifts"] == int(sh["count"].sum()) > 0
    assert s["paid_hours"] == pytest.approx(float((sh["paid_hours"] * sh["count"]).sum()))
    assert s["required_agent_hours"] == pytest.approx(req["scheduled_required"].sum() / 4)
    assert s["scheduled_agent_hours"] == pytest.approx(cov["scheduled"].sum() / 4)
    assert s["efficiency"] == pytest.approx(cov["scheduled"].sum() / req["scheduled_required"].sum(), rel=1e-5)
    assert s["efficiency"] >= 1
    assert s["under_covered_agent_intervals"] == 0
    # two workdays: every shift costs its paid hours, nothing else is in the objective
    assert s["objective"] == pytest.approx(s["paid_hours"])
    assert s["best_bound"] is not None and s["best_bound"] <= s["objective"] + 1e-6
    assert s["gap"] == pytest.approx((s["objective"] - s["best_bound"]) / s["objective"], abs=1e-5)
    assert s["gap"] <= 0.01 + 1e-9 and s["within_gap"]
    assert s["solver"] == "HiGHS" and s["variables"] > 0 and s["constraints"] > 0 and s["runtime_s"] >= 0
    q = s["queues"][0]
    assert q["queue"] == "sales" and q["windows"] == 1 and q["bound_source"] == "solver"
    json.dumps(s)  # plain JSON types only


def test_deterministic(demo_cfg, two_day):
    req, res = two_day
    again = schedule(req.sample(frac=1.0, random_state=3), demo_cfg)  # row order must not matter either
    pd.testing.assert_frame_equal(res.shifts, again.shifts)
    pd.testing.assert_frame_equal(res.coverage, again.coverage)
    assert res.summary["objective"] == again.summary["objective"]


def test_night_shifts_cross_midnight_and_run_past_horizon(two_day):
    _, res = two_day
    sh = res.shifts
    # the requirement never drops to zero at night, so some shift runs past midnight
    assert (sh["end"].dt.normalize() > sh["date"]).any()
    # a shift starting on the last day may end after the horizon; that is accepted
    assert sh["end"].max() <= pd.Timestamp("2026-03-12") + pd.Timedelta(hours=24)


def test_holiday_hard_coverage_even_when_coverage_is_free(demo_cfg):
    # with under_penalty 0, leaving intervals uncovered costs nothing: only the hard holiday is covered
    cfg = _cfg(under_penalty=0)
    req = _req(holiday_days=["2026-03-11"])
    res = schedule(req, cfg)
    cov = res.coverage.assign(hol=req["is_holiday"].to_numpy())
    assert (cov.loc[cov["hol"], "gap"] >= 0).all()
    assert cov.loc[~cov["hol"] & (cov["interval_start"] < "2026-03-10 18:00"), "scheduled"].sum() == 0
    assert res.summary["queues"][0]["holiday_coverage"] == "hard"
    soft = schedule(req, _cfg(under_penalty=0, holiday_hard_coverage=False))
    assert soft.summary["shifts"] == 0 and soft.summary["under_covered_agent_intervals"] == req["scheduled_required"].sum()
    assert len(soft.shifts) == 0 and list(soft.shifts.columns) == SHIFT_COLUMNS


def _priced_by_costs(shifts: pd.DataFrame, cfg) -> float:
    """What wfm.costs charges for the shifts, one agent per shift row at an hourly rate equal to its count:
    paid hours at the multiplier of the calendar date they fall on, plus the night premium (an independent
    implementation of the pay rules the scheduler prices templates with)."""
    from wfm.costs import cost_roster

    ros = pd.DataFrame({"agent_id": [f"a{i}" for i in range(len(shifts))], "queue": shifts["queue"],
                        "shift_start": shifts["start"], "shift_end": shifts["end"], "break_start": shifts["break_start"],
                        "break_end": shifts["break_end"], "paid_hours": shifts["paid_hours"]})
    agents = pd.DataFrame({"agent_id": ros["agent_id"], "hourly_rate": shifts["count"].astype(float).to_numpy()})
    c = cost_roster(ros, agents, cfg)
    assert c["overtime_hours"].sum() == 0  # no shift of these tests is long enough for overtime
    return float(c["total_cost"].sum())


def test_holiday_from_calendar_and_pay_multipliers():
    # 2026-09-30 is a CN workday, 2026-10-01 National Day (statutory). No is_holiday column: from the calendar.
    cfg = _cfg(under_penalty=0)
    req = _req(start="2026-09-30")
    res = schedule(req, cfg)
    cov, sh = res.coverage, res.shifts
    hol = cov["interval_start"].dt.normalize() == pd.Timestamp("2026-10-01")
    assert (cov.loc[hol, "gap"] >= 0).all()
    # paid hours after midnight of a night shift into the holiday are holiday hours (x3), as wfm.costs pays them
    assert res.summary["objective"] == pytest.approx(_priced_by_costs(sh, cfg))
    into_hol = sh[(sh["date"] == pd.Timestamp("2026-09-30")) & (sh["end"] > pd.Timestamp("2026-10-01"))]
    assert len(into_hol)  # night shifts of the eve run into the holiday, so the split matters
    start_day_rule = float((sh["paid_hours"] * sh["count"] * np.where(sh["date"] == pd.Timestamp("2026-10-01"), 3.0, 1.0)).sum())
    assert res.summary["objective"] > start_day_rule


def test_night_premium_in_template_cost():
    data = load_config(None).model_dump(by_alias=True, mode="json")
    data["pay"]["night_premium"] = 0.5
    data["schedule"]["under_penalty"] = 0
    cfg = parse_config(data)
    req = _req(days=1, holiday_days=["2026-03-10"])  # hard coverage, around the clock: night shifts are needed
    res = schedule(req, cfg)
    sh = res.shifts
    night = (sh["start"].dt.hour >= 18) | (sh["start"].dt.hour < 4)
    assert night.any() and (res.coverage["gap"] >= 0).all()
    assert res.summary["objective"] == pytest.approx(_priced_by_costs(sh, cfg))
    assert res.summary["objective"] > float((sh["paid_hours"] * sh["count"]).sum()) + 1  # the premium is charged


@pytest.mark.parametrize("rest_days, mult", [("calendar", 2.0), ("none", 1.0)])
def test_rest_day_multiplier(rest_days, mult):
    # 2026-03-14 is a Saturday: a rest day under the calendar, base pay under rest_days 'none'
    data = load_config(None).model_dump(by_alias=True, mode="json")
    data["pay"]["rest_days"] = rest_days
    res = schedule(_req(start="2026-03-14", days=1, scale=0.5), parse_config(data))
    sh = res.shifts
    assert res.summary["objective"] == pytest.approx(mult * float((sh["paid_hours"] * sh["count"]).sum()))


def _pt_only(**extra):
    return _cfg(templates=[{"name": "PT4", "length_h": 4, "start_min_h": 7.0, "start_max_h": 19.0}], **extra)


def test_uncoverable_requirement_is_reported_not_crashed():
    cfg = _pt_only()
    req = _req(days=1)  # demand around the clock; PT4 starting 07:00-19:00 covers 07:00-23:00 only
    res = schedule(req, cfg)
    cov = res.coverage
    night = (cov["interval_start"].dt.hour < 7) | (cov["interval_start"].dt.hour >= 23)
    assert (cov.loc[night, "scheduled"] == 0).all()
    assert (cov.loc[~night, "gap"] >= 0).all()
    short = int(cov.loc[night, "required"].sum())
    assert short > 0 and res.summary["under_covered_agent_intervals"] == short
    assert any("not covered" in m for m in res.summary["messages"])


def test_holiday_hard_coverage_infeasible_falls_back_and_reports():
    cfg = _pt_only()
    req = _req(days=1, holiday_days=["2026-03-10"])
    req.loc[req["interval_start"].dt.hour != 3, "scheduled_required"] = 2
    req.loc[req["interval_start"].dt.hour == 3, "scheduled_required"] = 5  # 03:00-04:00: no PT4 covers it
    res = schedule(req, cfg)
    s = res.summary
    assert s["queues"][0]["holiday_coverage"].startswith("penalised")
    short = pd.DataFrame(s["holiday_shortfall"])
    covered_hours = set(range(7, 23))
    expect_short = req.loc[~req["interval_start"].dt.hour.isin(covered_hours), "scheduled_required"].sum()
    assert s["holiday_shortfall_intervals"] == len(short) == 8 * 4  # 23:00-07:00
    assert short["short"].sum() == expect_short == s["under_covered_agent_intervals"]
    assert (short.loc[short["interval_start"].str.endswith(("03:00", "03:15", "03:30", "03:45")), "short"] == 5).all()
    assert any("holiday 2026-03-10" in m and "no shift window" in m for m in s["messages"])
    assert (res.coverage.loc[res.coverage["interval_start"].dt.hour.isin(covered_hours), "gap"] >= 0).all()


def test_over_penalty_in_objective():
    cfg = _cfg(over_penalty=0.5)
    req = _req(days=1, scale=0.5)
    res = schedule(req, cfg)
    cov, sh = res.coverage, res.shifts
    assert (cov["gap"] >= 0).all()
    over = float(cov["gap"].clip(lower=0).sum())
    assert res.summary["objective"] == pytest.approx(float((sh["paid_hours"] * sh["count"]).sum()) + 0.5 * over)


def test_rolling_windows_carry_night_shifts():
    req = _req(days=4, scale=0.6)
    # Day shifts start 06:00-16:00, night shifts 20:00-23:00: the hours 00:00-06:00 can only be covered by
    # the night shift of the evening before, so a rolling solve must plan across the window boundary.
    # Small enough to prove optimality at zero gap quickly.
    cfg = _cfg(mip_gap=0.0, start_step_min=60, templates=[
        {"name": "D8", "length_h": 8, "start_min_h": 6, "start_max_h": 16},
        {"name": "N8", "length_h": 8, "start_min_h": 20, "start_max_h": 23},
    ])
    whole = schedule(req, cfg, window_days=None)
    roll = schedule(req, cfg, window_days=2)
    first_night = (req["interval_start"] < pd.Timestamp("2026-03-10 06:00")).to_numpy()
    for res in (whole, roll):
        cov = res.coverage
        assert cov["scheduled"].tolist() == _coverage_loop(res.shifts, req)
        assert (cov.loc[~first_night, "gap"] >= 0).all()  # covered everywhere, the window boundary included
        assert (cov.loc[first_night, "scheduled"] == 0).all()  # no shift starts before the horizon
        assert res.summary["under_covered_agent_intervals"] == req.loc[first_night, "scheduled_required"].sum()
    q = roll.summary["queues"][0]
    assert q["windows"] == 2 and q["bound_source"].startswith("LP relaxation")
    # one model at zero gap is at least as good; the rolling solve is bounded by the same LP relaxation
    assert whole.summary["proven_optimal"]
    assert whole.summary["objective"] <= roll.summary["objective"] + 1e-6
    assert roll.summary["best_bound"] <= whole.summary["objective"] + 1e-6
    # night shifts of the first window's last day cover the second window's first morning
    carry = roll.shifts[(roll.shifts["date"] == pd.Timestamp("2026-03-11")) & (roll.shifts["template"] == "N8")]
    assert carry["count"].sum() >= req.loc[req["interval_start"] == pd.Timestamp("2026-03-12 05:45"), "scheduled_required"].iloc[0]


def test_queues_are_independent(demo_cfg):
    a, b = _req(days=1, queue="sales"), _req(days=1, queue="service", scale=0.5)
    both = schedule(pd.concat([b, a]), demo_cfg)
    alone = schedule(a, demo_cfg)
    sales = both.shifts[both.shifts["queue"] == "sales"].reset_index(drop=True)
    pd.testing.assert_frame_equal(sales, alone.shifts)
    assert [q["queue"] for q in both.summary["queues"]] == ["sales", "service"]
    assert both.summary["shifts"] == sum(q["shifts"] for q in both.summary["queues"])
    assert both.shifts["shift_id"].is_unique


def test_progress_messages(demo_cfg):
    seen = []
    schedule(_req(days=1, scale=0.5), demo_cfg, progress=seen.append)
    assert seen and all(m.startswith("sales:") for m in seen)


def test_cbc_solver_and_fallback(monkeypatch):
    req = _req(days=1, scale=0.5)
    cbc = schedule(req, _cfg(solver="cbc"))
    assert cbc.summary["solver"] == "CBC" and (cbc.coverage["gap"] >= 0).all()
    assert cbc.summary["best_bound"] is not None and cbc.summary["best_bound"] <= cbc.summary["objective"] + 1e-6
    monkeypatch.setattr(wfm.mip, "highspy", None)  # as if highspy were not installed
    fb = schedule(req, _cfg(solver="highs"))
    assert fb.summary["solver"] == "CBC"
    assert any("HiGHS failed" in m and "CBC" in m for m in fb.summary["messages"])
    assert math.isclose(fb.summary["objective"], cbc.summary["objective"], rel_tol=0.011)


def test_bad_requirements(demo_cfg):
    good = _req(days=1)
    with pytest.raises(InputError, match="scheduled_required"):
        schedule(good.drop(columns="scheduled_required"), demo_cfg)
    off = good.copy()
    off.loc[3, "interval_start"] = off.loc[3, "interval_start"] + pd.Timedelta(minutes=5)
    with pytest.raises(InputError, match="15-minute interval grid"):
        schedule(off, demo_cfg)
    for bad in (-1, 2.5, np.nan):
        b = good.copy()
        b["scheduled_required"] = b["scheduled_required"].astype(float)
        b.loc[5, "scheduled_required"] = bad
        with pytest.raises(InputError, match="row 7"):
            schedule(b, demo_cfg)
    with pytest.raises(InputError, match="twice"):
        schedule(pd.concat([good, good.iloc[:1]]), demo_cfg)
    with pytest.raises(InputError, match="no rows"):
        schedule(good.iloc[:0], demo_cfg)


def test_templates_off_grid_are_config_errors():
    with pytest.raises(ConfigError, match="length_h"):
        schedule(_req(days=1), _cfg(templates=[{"name": "odd", "length_h": 4.1}]))
    with pytest.raises(ConfigError, match="used twice"):
        schedule(_req(days=1), _cfg(templates=[{"name": "A", "length_h": 4}, {"name": "A", "length_h": 6}]))


# ---------------------------------------------------------------- re-planning from a base schedule, threads


def test_replan_from_a_base_schedule(demo_cfg):
    """A +10% requirement re-planned from the base shifts: a schedule within the gap (one window: the
    solver's own bound), every holiday interval covered, each shift a catalog variant; a start naming an
    unknown template is only ignored."""
    hol = ["2026-03-11"]
    base_req = _req(days=3, holiday_days=hol)
    cfg = _cfg(holiday_hard_coverage=True, mip_gap=0.015)
    base = schedule(base_req, cfg)
    more = base_req.assign(scheduled_required=np.ceil(base_req["scheduled_required"] * 1.1).astype(int))
    cold = schedule(more, cfg)
    start = pd.concat([base.shifts, base.shifts.head(1).assign(template="NOPE")], ignore_index=True)
    warm = schedule(more, cfg, start=start)
    for res in (cold, warm):
        s = res.summary
        assert s["within_gap"] and s["gap"] <= 0.015 + 1e-9 and not s["time_limit_decided"]
        cov = res.coverage.merge(more[["interval_start", "is_holiday"]], on="interval_start")
        assert (cov.loc[cov["is_holiday"], "gap"] >= 0).all()
        assert cov["scheduled"].tolist() == _coverage_loop(res.shifts, more.sort_values(["queue", "interval_start"]))
        assert set(res.shifts["template"]) <= {t.name for t in cfg.schedule.templates}
    # both are within the gap of the better of the two proven bounds
    bound = max(cold.summary["best_bound"], warm.summary["best_bound"])
    assert warm.summary["objective"] <= bound / (1 - 0.015) + 1e-6
    assert warm.summary["objective"] > base.summary["objective"]  # more requirement costs more
    with pytest.raises(InputError, match="start schedule lacks column"):
        schedule(more, cfg, start=base.shifts.drop(columns="count"))


def test_queues_in_threads_match_one_at_a_time(demo_cfg):
    """Queues solved in threads (the default) give the shifts of solving them one after another."""
    from wfm.parallel import SerialBackend

    req = pd.concat([_req(days=2, queue="sales"), _req(days=2, queue="service", scale=0.6)], ignore_index=True)
    threaded = schedule(req, demo_cfg)
    serial = schedule(req, demo_cfg, backend=SerialBackend(split=True))
    pd.testing.assert_frame_equal(threaded.shifts, serial.shifts)
    assert threaded.summary["objective"] == serial.summary["objective"]
    assert [q["queue"] for q in threaded.summary["queues"]] == ["sales", "service"]

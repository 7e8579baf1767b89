"""The report evaluates the finished roster by simulation (wfm.simulate.simulate_day per queue and day):
simulation columns in the daily table and the Daily sheet, an overstaffed day near 100 %, a gutted day far
below target, bounds that hold the estimate, zero-call days, failures caught, byte-identical rebuilds."""

import shutil

import pandas as pd
import pytest
from conftest import sheet_frame
from test_report import make_run_dir

import wfm.simulate
from wfm.runs import build_report
from wfm.service import sim_seed

openpyxl = pytest.importorskip("openpyxl")

SIM_COLS = ["sim_service_level", "sim_sl_lo", "sim_sl_hi", "sim_asa_s", "sim_abandon_rate", "sim_ab_lo", "sim_ab_hi",
            "sim_note"]
OVER = pd.Timestamp("2026-10-02")  # National Day (half the calls): 6 extra agents on each queue all day
UNDER = pd.Timestamp("2026-09-30")  # a workday: every shift starting that day taken out of the roster
TARGET = 0.8


def edit_roster(d):
    """Overstaff OVER and strip UNDER in the fixture's roster (agents added to agents.csv)."""
    ros = pd.read_csv(d / "roster.csv")
    ag = pd.read_csv(d / "agents.csv")
    ros = ros[pd.to_datetime(ros["date"]) != UNDER]
    extra_ag, extra_ros = [], []
    for q in ("sales", "service"):
        for half, (h0, h1) in enumerate(((0, 12), (12, 24))):
            for i in range(6):
                aid = f"X{q[:2]}{half}{i}"
                extra_ag.append(dict(agent_id=aid, name=f"Extra {aid}", team=f"Team {q}", queues=q, contract="full_time",
                                     min_hours_week=0, max_hours_week=40, max_days_week=5, hourly_rate=30.0, night_ok=True))
                extra_ros.append(dict(agent_id=aid, name=f"Extra {aid}", team=f"Team {q}", queue=q, date=OVER,
                                      shift_id=f"{q}-x{half}", template="X12", shift_start=OVER + pd.Timedelta(hours=h0),
                                      shift_end=OVER + pd.Timedelta(hours=h1), break_start=None, break_end=None,
                                      paid_hours=12.0, is_holiday=True))
    ros = pd.concat([ros, pd.DataFrame(extra_ros)], ignore_index=True)
    ros["date"] = pd.to_datetime(ros["date"]).dt.strftime("%Y-%m-%d %H:%M:%S")
    for c in ("shift_start", "shift_end", "break_start", "break_end"):
        ros[c] = pd.to_datetime(ros[c]).dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
    ros.to_csv(d / "roster.csv", index=False)
    pd.concat([ag, pd.DataFrame(extra_ag)], ignore_index=True).to_csv(d / "agents.csv", index=False)
    return d


def daily_sheet(xlsx):
    return sheet_frame(xlsx, "Daily")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = edit_roster(make_run_dir(tmp_path_factory.mktemp("simrun") / "demo"))
    res = build_report(d)
    return d, res, res.html.read_text(encoding="utf-8"), daily_sheet(res.xlsx)


def row(daily, day):
    return daily[pd.to_datetime(daily["date"]) == day].iloc[0]


def test_daily_table_has_simulation_columns(built):
    _, _, html, daily = built
    cols = list(daily.columns)
    assert cols[cols.index("expected_sl"): cols.index("expected_sl") + 4] == ["expected_sl", "expected_asa_s",
                                                                            "expected_abandon", "intervals_below_target"]
    assert cols[cols.index("intervals_below_target") + 1: cols.index("intervals_below_target") + 9] == SIM_COLS
    table = html[html.index('<section id="daily">'): html.index('<section id="costs">')]
    assert "Simulated (99% CI)" in table and "Simulated ASA" in table and "Abandon" in table
    assert "whole agents" in table and "Poisson arrivals" in table and "exponential handle times" in table


def test_overstaffed_day_is_near_perfect(built):
    _, _, _, daily = built
    r = row(daily, OVER)
    assert r["expected_sl"] > 0.95
    assert r["sim_service_level"] > 0.95
    assert r["sim_asa_s"] < 5


def test_understaffed_day_is_far_below_target(built):
    _, _, _, daily = built
    r = row(daily, UNDER)
    assert r["calls"] > 0
    assert r["sim_service_level"] < 0.3
    assert r["sim_sl_hi"] < TARGET
    assert r["expected_sl"] < TARGET


def test_values_are_shares_with_bounds_around_them(built):
    _, res, _, daily = built
    sim = daily[daily["calls"] > 0]
    assert len(sim) >= 7 and sim["sim_service_level"].notna().all()
    for _, r in sim.iterrows():
        assert 0 <= r["sim_sl_lo"] <= r["sim_service_level"] <= r["sim_sl_hi"] <= 1
    s = res.summary
    assert 0 <= s["simulated_service_level_lo"] <= s["simulated_service_level"] <= s["simulated_service_level_hi"] <= 1
    # the horizon pools the days: it lies between the best and the worst day
    assert sim["sim_service_level"].min() <= s["simulated_service_level"] <= sim["sim_service_level"].max()
    assert s["simulation"]["not_simulated"] == 0 and s["simulation"]["replications"] >= 5


def test_seed_is_fixed_by_queue_and_date():
    a = sim_seed("sales", pd.Timestamp("2026-09-28"))
    assert a == sim_seed("sales", pd.Timestamp("2026-09-28 00:00")) != sim_seed("service", pd.Timestamp("2026-09-28"))
    assert a != sim_seed("sales", pd.Timestamp("2026-09-29")) and 0 <= a < 2**64


def test_two_builds_are_byte_identical(built, tmp_path):
    d, _, _, _ = built
    other = tmp_path / "demo"
    shutil.copytree(d, other)
    build_report(other)
    for p in ("report.html", "report.xlsx"):
        assert (other / p).read_bytes() == (d / p).read_bytes(), p


def test_zero_calls_failure_and_empty_roster(tmp_path, monkeypatch):
    d = make_run_dir(tmp_path / "r")
    req = pd.read_csv(d / "requirements.csv")
    quiet = pd.to_datetime(req["interval_start"]).dt.normalize() == pd.Timestamp("2026-10-03")
    req.loc[quiet, "offered"] = 0.0
    req.to_csv(d / "requirements.csv", index=False)
    real = wfm.simulate.simulate_day

    def flaky(lam, *a, seed, **kw):
        if seed == sim_seed("service", pd.Timestamp("2026-09-29")):
            raise RuntimeError("solver on fire")
        return real(lam, *a, seed=seed, **kw)

    monkeypatch.setattr(wfm.simulate, "simulate_day", flaky)
    res = build_report(d)
    daily = daily_sheet(res.xlsx)
    assert row(daily, pd.Timestamp("2026-10-03"))["sim_service_level"] == 1.0  # no calls: nothing missed
    bad = row(daily, pd.Timestamp("2026-09-29"))
    assert pd.isna(bad["sim_service_level"]) and "solver on fire" in bad["sim_note"]
    assert row(daily, pd.Timestamp("2026-09-28"))["sim_service_level"] > 0
    html = res.html.read_text(encoding="utf-8")
    assert "not simulated" in html and "solver on fire" in html
    assert res.summary["simulated_service_level"] is None and res.summary["simulation"]["not_simulated"] == 1
    monkeypatch.undo()

    header = (d / "roster.csv").read_text().splitlines()[0]  # nobody rostered: every call waits for ever
    (d / "roster.csv").write_text(header + "\n")
    res = build_report(d)
    daily = daily_sheet(res.xlsx)
    busy = daily[daily["calls"] > 0]
    assert len(busy) and (busy["sim_service_level"] == 0).all() and (busy["sim_sl_hi"] == 0).all()
    assert res.summary["simulated_service_level"] == 0

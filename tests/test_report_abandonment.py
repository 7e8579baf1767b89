"""The report's abandonment projection and cost per handled call: Erlang A per interval on the rostered staff
(checked against the closed form and against wfm.simulate), handled calls and cost per handled call
recomputed from the CSVs, the patience the report states, and the forecast backtest section."""

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import sheet_frame
from test_report import card_value, fixture_config, make_run_dir

from wfm import erlang
from wfm.io import write_csv, write_text
from wfm.forecast import BACKTEST_COLUMNS, BACKTEST_FILE
from wfm.runs import build_report
from wfm.service import projected_service_a, report_patience
from wfm.simulate import simulate_day

openpyxl = pytest.importorskip("openpyxl")

PATIENCE = 120.0
CAP = 0.05


def sheet(xlsx, name):
    return sheet_frame(xlsx, name)


def with_patience(d, **staffing):
    c = yaml.safe_load((d / "config.yaml").read_text())
    c["staffing"].update(staffing)
    write_text(yaml.safe_dump(c, sort_keys=False), d / "config.yaml")
    return d


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = with_patience(make_run_dir(tmp_path_factory.mktemp("ab") / "demo"), model="erlang_a", patience_s=PATIENCE,
                      max_abandon=CAP)
    res = build_report(d)
    return d, res, res.html.read_text(encoding="utf-8")


def interpolated(f, n):
    """f at fractional agents n: linear between floor and ceil (whole agents exactly)."""
    lo, hi = math.floor(n + 1e-9), math.ceil(n - 1e-9)
    return f(lo) if lo == hi else (hi - n) * f(lo) + (n - lo) * f(hi)


def test_interval_abandonment_is_erlang_a_on_rostered_staff(built):
    d, res, _ = built
    cov = sheet(res.xlsx, "Coverage")
    busy = cov[cov["offered"] > 0].iloc[::37]  # a spread of intervals, both queues
    assert len(busy) > 10 and busy["rostered"].nunique() > 2
    for _, r in busy.iterrows():
        n = r["rostered"] * (1 - 0.3)
        args = (r["offered"], r["aht_s"])
        ab = interpolated(lambda k: float(erlang.abandon_rate_a(*args, k, 1800, PATIENCE)) if k else 1.0, n)
        sl = interpolated(lambda k: float(erlang.service_level_a(*args, k, 1800, 20, PATIENCE)) if k else 0.0, n)
        assert r["abandon_rate"] == pytest.approx(ab, abs=1e-9)
        assert r["service_level"] == pytest.approx(sl, abs=1e-9)
        assert r["handled"] == pytest.approx(r["offered"] * (1 - ab), abs=1e-9)
        assert r["below_target"] == (sl < 0.8 or ab > CAP)
        assert r["patience_s"] == PATIENCE


def test_daily_abandonment_and_handled_calls_from_the_coverage_sheet(built):
    _, res, html = built
    cov = sheet(res.xlsx, "Coverage")
    daily = sheet(res.xlsx, "Daily")
    cov["date"] = pd.to_datetime(cov["interval_start"]).dt.normalize()
    cov["ab_calls"] = cov["offered"] * cov["abandon_rate"]
    g = cov.groupby("date").agg(calls=("offered", "sum"), ab=("ab_calls", "sum"), flagged=("below_target", "sum"))
    busy = daily[daily["calls"] > 0].set_index(pd.to_datetime(daily.loc[daily["calls"] > 0, "date"]))
    assert len(busy) == 7
    for day, r in busy.iterrows():
        assert r["expected_abandon"] == pytest.approx(g.loc[day, "ab"] / g.loc[day, "calls"], rel=1e-9)
        assert r["handled_calls"] == pytest.approx(g.loc[day, "calls"] - g.loc[day, "ab"], rel=1e-9)
        assert r["intervals_below_target"] == g.loc[day, "flagged"]
    # every day is above the 5 % cap in this short-staffed fixture: each abandonment cell is flagged in red
    table = html[html.index('<section id="daily">'): html.index('<section id="costs">')]
    assert (busy["expected_abandon"] > CAP).all()
    assert len(re.findall(r'class="num bad">\d+\.\d%', table)) >= 2 * len(busy)
    assert card_value(html, "expected_abandon_rate") == pytest.approx(g["ab"].sum() / g["calls"].sum(), rel=1e-9)


def test_cost_per_handled_call_recomputed_from_csvs(built):
    d, res, html = built
    costs = pd.read_csv(d / "costs.csv")
    cov = sheet(res.xlsx, "Coverage")
    handled = (cov["offered"] * (1 - cov["abandon_rate"])).sum()
    total = costs["total_cost"].sum()
    assert res.summary["handled_calls"] == pytest.approx(handled, rel=1e-9)
    assert card_value(html, "cost_per_handled_call") == pytest.approx(total / handled, rel=1e-9)
    assert card_value(html, "cost_per_call") == pytest.approx(total / cov["offered"].sum(), rel=1e-9)
    assert res.summary["cost_per_handled_call"] > res.summary["cost_per_call"]  # callers hang up: fewer handled
    q = sheet(res.xlsx, "Cost by queue").iloc[:2]  # the per-queue table heads the sheet
    for _, r in q.iterrows():
        c = cov[cov["queue"] == r["queue"]]
        h = (c["offered"] * (1 - c["abandon_rate"])).sum()
        assert r["handled_calls"] == pytest.approx(h, rel=1e-9)
        assert r["cost_per_handled_call"] == pytest.approx(costs.loc[costs["queue"] == r["queue"], "total_cost"].sum() / h,
                                                           rel=1e-9)
    wb = openpyxl.load_workbook(res.xlsx, read_only=True)
    summ = {r[0]: r[1] for r in wb["Summary"].values}
    assert summ["Cost per handled call"] == pytest.approx(total / handled, rel=1e-9)


def test_patience_is_stated(built):
    _, res, html = built
    note = html[html.index('id="patience-note"'):]
    note = note[: note.index("</p>")]
    assert "from the config" in note and "sales 120 s" in note
    assert res.summary["service_projection"]["model"] == "erlang_a"
    assert res.summary["service_projection"]["patience_source"] == {"sales": "configured", "service": "configured"}


def test_without_patience_the_assumption_is_stated_and_nobody_abandons(tmp_path):
    d = make_run_dir(tmp_path / "r")
    res = build_report(d)
    html = res.html.read_text(encoding="utf-8")
    assert "ASSUMES callers never hang up (Erlang C)" in html
    assert res.summary["expected_abandon_rate"] == 0 and res.summary["simulated_abandon_rate"] == 0
    assert res.summary["cost_per_handled_call"] == pytest.approx(res.summary["cost_per_call"], rel=1e-12)
    # the run's own estimate in summary.json is used, and said to be an assumption
    meta = json.loads((d / "summary.json").read_text())
    meta["service_projection"] = {"patience_s": {"sales": 90.0, "service": 150.0}, "source": "estimated"}
    write_text(json.dumps(meta), d / "summary.json")
    res = build_report(d)
    html = res.html.read_text(encoding="utf-8")
    assert "ASSUMES the mean patience estimated" in html and "sales 90 s, service 150 s" in html
    cov = sheet(res.xlsx, "Coverage")
    assert set(cov.groupby("queue")["patience_s"].first().items()) == {("sales", 90.0), ("service", 150.0)}
    assert res.summary["expected_abandon_rate"] > 0


def test_report_patience_estimates_only_unconfigured_queues():
    from wfm.demo import demo_history

    cfg = fixture_config()
    hist = demo_history(country="CN")
    tail = hist[hist["interval_start"] >= hist["interval_start"].max() - pd.Timedelta(weeks=9)]
    got = report_patience(tail, cfg)
    assert set(got["patience_s"]) == {"sales", "service"}
    assert all(30 < v < 600 for v in got["patience_s"].values())
    data = cfg.model_dump(mode="json", by_alias=True)
    data["staffing"]["queues"] = {"sales": {"patience_s": 200}}
    from wfm.config import parse_config

    assert set(report_patience(tail, parse_config(data))["patience_s"]) == {"service"}
    assert report_patience(tail.drop(columns="abandoned"), cfg) is None


def one_queue_run(d, agents_on_shift: int, offered: float, aht: float, patience: float):
    """One queue, one day of 30-minute intervals with the same calls, agents on 24-hour shifts (no break)."""
    d.mkdir(parents=True)
    cfg = fixture_config()
    data = cfg.model_dump(mode="json", by_alias=True)
    data["staffing"].update(patience_s=patience)
    write_text(yaml.safe_dump(data, sort_keys=False), d / "config.yaml")
    day = pd.Timestamp("2026-09-29")
    iv = pd.date_range(day, periods=48, freq="30min")
    write_csv(pd.DataFrame({"queue": "q", "interval_start": iv, "offered": offered, "aht_s": aht,
                            "scheduled_required": agents_on_shift}), d / "requirements.csv")
    write_csv(pd.DataFrame({"queue": "q", "interval_start": iv, "required": agents_on_shift,
                            "scheduled": agents_on_shift, "gap": 0}), d / "coverage.csv")
    ag = [dict(agent_id=f"A{i:02d}", name=f"A{i}", team="t", hourly_rate=30.0) for i in range(agents_on_shift)]
    write_csv(pd.DataFrame(ag), d / "agents.csv")
    ros = [dict(agent_id=a["agent_id"], name=a["name"], team="t", queue="q", date=day, shift_id="s", template="D24",
                shift_start=day, shift_end=day + pd.Timedelta(days=1), break_start=None, break_end=None, paid_hours=24.0)
           for a in ag]
    write_csv(pd.DataFrame(ros), d / "roster.csv")
    return d


def test_erlang_a_abandonment_agrees_with_the_report_simulation(tmp_path):
    # 20 agents x (1 - 0.3) = 14 on the phone (whole: the simulation uses the same staff) under 16.7 erlangs.
    res = build_report(one_queue_run(tmp_path / "r", 20, offered=100.0, aht=300.0, patience=PATIENCE))
    day = sheet(res.xlsx, "Daily").iloc[0]
    want = float(erlang.abandon_rate_a(100.0, 300.0, 14, 1800, PATIENCE))
    assert day["expected_abandon"] == pytest.approx(want, rel=1e-9)
    assert 0.05 < want < 0.3
    assert day["sim_ab_lo"] <= want <= day["sim_ab_hi"], (day["sim_ab_lo"], want, day["sim_ab_hi"])
    sl = float(erlang.service_level_a(100.0, 300.0, 14, 1800, 20, PATIENCE))
    assert day["expected_sl"] == pytest.approx(sl, rel=1e-9)
    assert day["sim_sl_lo"] <= sl <= day["sim_sl_hi"]


def test_erlang_a_projection_matches_a_longer_simulation():
    # Independent of the report's simulation settings: 40 replications, warm-up intervals dropped.
    calls, aht, n = 60.0, 240.0, 7
    got = projected_service_a(np.full(24, calls), np.full(24, aht), np.full(24, n / 0.7), 1800, 20, 0.3, PATIENCE)
    assert got["agents_on_phone"].iloc[0] == pytest.approx(n)
    sim = simulate_day(np.full(24, calls), aht, n, 1800, 20, patience_s=PATIENCE, seed=7, replications=40, level=0.99)
    s = sim.summary(slice(2, None))
    ab = got["abandon_rate"].iloc[0]
    assert s["abandon_rate_lo"] <= ab <= s["abandon_rate_hi"], (s["abandon_rate_lo"], ab, s["abandon_rate_hi"])
    assert s["asa_s_lo"] <= got["asa_s"].iloc[0] <= s["asa_s_hi"]


def test_infinite_patience_is_erlang_c_exactly():
    from wfm.staffing import projected_service

    off, aht, ros = np.array([10.0, 40.0, 0.0, 25.0]), np.array([300.0, 240.0, 200.0, 180.0]), np.array([5.0, 9.3, 2.0, 0.4])
    a = projected_service_a(off, aht, ros, 900, 20, 0.3, np.inf)
    c = projected_service(off, aht, ros, 900, 20, 0.3)
    for k in ("service_level", "asa_s", "occupancy"):
        np.testing.assert_array_equal(a[k].to_numpy(), c[k].to_numpy())
    assert (a["abandon_rate"] == 0).all()


def test_backtest_section_from_the_csv(tmp_path):
    d = make_run_dir(tmp_path / "r")
    rows = []
    for q, (wape_c, wape_n) in {"sales": (0.2, 0.4), "service": (0.1, 0.3)}.items():
        for m, w, used in (("calendar", wape_c, True), ("seasonal_naive", wape_n, False)):
            act = 1000.0 if q == "sales" else 3000.0
            rows.append(dict(queue=q, model=m, used=used, origins=2, first_origin="2026-09-14", last_origin="2026-09-21",
                             weeks=1, intervals=1344, actual_calls=act, forecast_calls=act * (1.05 if used else 0.97),
                             wape=w, bias=0.05 if used else -0.03, coverage=0.78 if used else 0.7, level=0.8,
                             mape=0.3, mase=0.9))
    write_csv(pd.DataFrame(rows, columns=BACKTEST_COLUMNS), d / BACKTEST_FILE)
    res = build_report(d)
    html = res.html.read_text(encoding="utf-8")
    sec = html[html.index('id="backtest"'): html.index('<section id="holidays">')]
    assert "20.0%" in sec and "40.0%" in sec and "+5.0%" in sec and "-3.0%" in sec and "78.0%" in sec
    pooled = [r for r in res.summary["forecast_backtest"]["rows"] if r["queue"] == "All queues"]
    assert pooled[0]["wape"] == pytest.approx((0.2 * 1000 + 0.1 * 3000) / 4000)
    assert pooled[1]["wape"] == pytest.approx((0.4 * 1000 + 0.3 * 3000) / 4000)
    assert pooled[0]["bias"] == pytest.approx(0.05) and pooled[1]["coverage"] == pytest.approx(0.7)
    assert "12.5%" in sec and "32.5%" in sec
    assert "Backtest" in openpyxl.load_workbook(res.xlsx, read_only=True).sheetnames
    # no file: one line, no table
    (d / BACKTEST_FILE).unlink()
    html = build_report(d).html.read_text(encoding="utf-8")
    assert 'id="backtest-missing"' in html

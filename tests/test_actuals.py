"""Forecast against actual (wfm.actuals, ``wfm report --actuals``, ``wfm run --actuals``): the actual calls put on
the plan's intervals, the comparison's sums by hand, the service the roster gives the actual calls against
Erlang C computed directly, and the command's all-or-nothing behaviour on bad actuals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import sheet_frame
from test_report import DAYS, START, make_run_dir
from wfm import erlang
from wfm.actuals import ACTUALS_FILE, align_actuals, review_by_day, review_plan, review_total
from wfm.cli import app
from wfm.config import load_config
from wfm.errors import InputError
from wfm.runs import read_run


def plan_intervals(days=2, minutes=30, queues=("sales", "service")):
    iv = pd.date_range(START, periods=days * 1440 // minutes, freq=f"{minutes}min")
    return pd.DataFrame([{"queue": q, "interval_start": t} for q in queues for t in iv])


def test_finer_actuals_are_summed_onto_the_plan_s_intervals():
    req = plan_intervals()
    t = pd.to_datetime(["2026-09-28 08:00", "2026-09-28 08:15", "2026-09-28 08:30", "2026-09-28 09:00"])
    act = pd.DataFrame({"queue": "sales", "interval_start": t, "offered": [3.0, 5.0, 2.0, 4.0], "handled": [3.0, 4.0, 2.0, 4.0],
                        "abandoned": [0.0, 1.0, 0.0, 0.0], "aht_s": [100.0, 200.0, 300.0, np.nan]})
    out, notes = align_actuals(act, 15, req, 30)
    assert notes == []
    # one covered (queue, day), up to its last row: 00:00 to 09:00, empty half-hours as 0 calls; the other
    # queue and day absent
    assert len(out) == 19 and set(out["queue"]) == {"sales"}
    r = out.set_index("interval_start")
    assert r.loc["2026-09-28 08:00", "offered"] == 8 and r.loc["2026-09-28 08:00", "abandoned"] == 1
    assert r.loc["2026-09-28 08:00", "aht_s"] == pytest.approx((3 * 100 + 4 * 200) / 7)  # handled-call weighted
    assert r.loc["2026-09-28 09:00", "offered"] == 4 and math.isnan(r.loc["2026-09-28 09:00", "aht_s"])
    assert r.loc["2026-09-28 07:30", "offered"] == 0 and out["offered"].sum() == 14


def test_rows_the_plan_cannot_use_are_left_out_and_said():
    req = plan_intervals()
    act = pd.DataFrame({"queue": ["sales", "chat", "sales"], "offered": [1.0, 2.0, 3.0],
                        "interval_start": pd.to_datetime(["2026-09-28 10:00", "2026-09-28 10:00", "2026-11-02 10:00"])})
    out, notes = align_actuals(act, 30, req, 30)
    assert out["offered"].sum() == 1
    assert any("queues the plan does not have (chat)" in n for n in notes) and any("outside the plan's horizon" in n for n in notes)
    with pytest.raises(InputError, match=r"x\.csv: the actuals are in 60-minute intervals and the plan in 30-minute"):
        align_actuals(act, 60, req, 30, source="x.csv")
    with pytest.raises(InputError, match=r"x\.csv: no actual calls inside the plan's horizon \(2026-09-28 to 2026-09-29\) "
                                         r"for its queues \(sales, service\)"):
        align_actuals(act.iloc[1:], 30, req, 30, source="x.csv")


def test_review_sums_and_service_on_the_actual_calls():
    cfg = load_config(None)
    cfg = cfg.model_copy(update={"interval_minutes": 30, "staffing": cfg.staffing.model_copy(update={"shrinkage": 0.0})})
    iv = pd.date_range("2026-09-28 09:00", periods=4, freq="30min")
    service = pd.DataFrame({"queue": "q", "interval_start": iv, "offered": [40.0, 60.0, 50.0, 10.0], "aht_s": 180.0,
                            "rostered": [6.0, 8.0, 7.0, 2.0], "patience_s": math.inf, "service_level": 0.9,
                            "abandon_rate": 0.0})
    fc = service[["queue", "interval_start"]].assign(offered_lo=[30.0, 50.0, 40.0, 5.0], offered_hi=[50.0, 70.0, 60.0, 15.0])
    actual = pd.DataFrame({"queue": "q", "interval_start": iv, "offered": [50.0, 55.0, 30.0, 0.0],
                           "aht_s": [200.0, 180.0, np.nan, np.nan]})
    rv = review_plan(actual, service, cfg, fc, level=0.8)
    t = review_total(rv)
    assert t["forecast"] == 160 and t["actual"] == 135
    assert t["wape"] == pytest.approx((10 + 5 + 20 + 10) / 135) and t["error"] == pytest.approx(160 / 135 - 1)
    assert t["inside"] == pytest.approx(2 / 4)  # 50 and 55 inside; 30 below 40; 0 below 5
    # the roster's service on the actual calls: Erlang C directly, actual handle time where given, else the forecast's
    want = [float(erlang.service_level(c, a, n, 1800, cfg.staffing.sl_seconds))
            for c, a, n in [(50, 200, 6), (55, 180, 8), (30, 180, 7)]]
    got = rv.intervals["actual_calls_sl"].to_numpy()[:3]
    assert got == pytest.approx(want, abs=1e-9)
    assert t["actual_calls_sl"] == pytest.approx(np.dot(want, [50, 55, 30]) / 135, abs=1e-9)
    assert want[0] < 0.8 < want[1]  # the check sees both sides of the target
    assert len(review_by_day(rv)) == 1


def _files(d):
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file()}


@pytest.fixture()
def run_and_actuals(tmp_path):
    d = make_run_dir(tmp_path / "schedules" / "r")
    req = read_run(d).requirements
    rng = np.random.default_rng(7)
    act = req[req["interval_start"] < START + pd.Timedelta(days=3)][["queue", "interval_start", "offered"]].copy()
    act["offered"] = rng.poisson(act["offered"].to_numpy() * 1.1).astype(float)  # 10% above the forecast
    act["abandoned"] = np.floor(act["offered"] * 0.05)
    p = tmp_path / "acd.csv"
    act.to_csv(p, index=False)
    return d, p, act


def test_report_with_actuals_and_after(run_and_actuals):
    d, p, act = run_and_actuals
    r = CliRunner().invoke(app, ["report", "--run", str(d), "--actuals", str(p)], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "Actuals: 3 days" in r.output and f"{act['offered'].sum():,.0f} calls" in r.output
    html = (d / "report.html").read_text(encoding="utf-8")
    sec = html[html.index('<section id="actuals">'): html.index('<section id="coverage">')]
    assert "acd.csv" in sec and "cover 3 days" in sec
    days = sheet_frame(d / "report.xlsx", "Actual by day")
    want = act.groupby(act["interval_start"].dt.normalize())["offered"].sum()
    assert days["actual"].to_numpy() == pytest.approx(want.to_numpy())
    assert len(sheet_frame(d / "report.xlsx", "Actual by interval")) == len(act)
    assert (d / ACTUALS_FILE).is_file()
    # a later report without --actuals keeps the comparison (the run folder kept the actuals)
    before = _files(d)
    r = CliRunner().invoke(app, ["report", "--run", str(d)], terminal_width=200)
    assert r.exit_code == 0, r.output
    after = (d / "report.html").read_text(encoding="utf-8")
    assert '<section id="actuals">' in after and "Actuals: 3 days" in r.output
    assert _files(d)[ACTUALS_FILE] == before[ACTUALS_FILE]


@pytest.mark.parametrize("bad", ["timestamp", "outside"])
def test_bad_actuals_are_one_line_and_change_nothing(run_and_actuals, bad):
    d, p, act = run_and_actuals
    CliRunner().invoke(app, ["report", "--run", str(d)], terminal_width=200)
    before = _files(d)
    if bad == "timestamp":
        lines = p.read_text().splitlines()
        lines[5] = lines[5].replace("2026-09-28 02:00:00", "28/09 two")
        p.write_text("\n".join(lines) + "\n")
        want = f"{p}, row 6, column 'interval_start'"
    else:
        act.assign(interval_start=act["interval_start"] + pd.Timedelta(days=60)).to_csv(p, index=False)
        want = f"{p}: no actual calls inside the plan's horizon"
    r = CliRunner().invoke(app, ["report", "--run", str(d), "--actuals", str(p)], terminal_width=200)
    assert r.exit_code == 2 and want in r.output, r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1
    assert _files(d) == before and not (d / ACTUALS_FILE).exists()


def test_run_with_actuals_inside_the_history_fails_before_planning(small_centre, tmp_path):
    d = small_centre
    r = CliRunner().invoke(app, ["run", "--config", str(d / "center.yaml"), "--history", str(d / "calls.csv"),
                                 "--agents", str(d / "agents.csv"), "--out", str(tmp_path), "--name", "x", "--quiet",
                                 "--actuals", str(d / "calls.csv")], terminal_width=200)
    assert r.exit_code == 2 and "every actual interval is inside the history" in r.output, r.output
    assert not (tmp_path / "schedules").exists()


def test_run_with_actuals_reports_them(small_centre, tmp_path):
    """The week after the small centre's history, as the demo generator goes on, given as actuals to a run."""
    from wfm.demo import demo_history

    d = small_centre
    h = demo_history(start="2026-06-29", end="2026-07-05")
    h = h[h["queue"] == "service"]
    p = tmp_path / "week.csv"
    h[["queue", "interval_start", "offered", "handled", "abandoned", "aht_s"]].to_csv(p, index=False)  # 15-minute rows
    r = CliRunner().invoke(app, ["run", "--config", str(d / "center.yaml"), "--history", str(d / "calls.csv"),
                                 "--agents", str(d / "agents.csv"), "--out", str(tmp_path), "--name", "wk", "--quiet",
                                 "--actuals", str(p)], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert f"Actuals: 7 days, {h['offered'].sum():,.0f} calls" in r.output
    run = tmp_path / "schedules" / "wk"
    kept = pd.read_csv(run / ACTUALS_FILE)
    assert kept["offered"].sum() == pytest.approx(h["offered"].sum()) and len(kept) == 7 * 48  # summed to half-hours
    html = (run / "report.html").read_text(encoding="utf-8")
    assert '<section id="actuals">' in html and "week.csv" in html
    tot = json_report(run)["actuals"]
    assert tot["days"] == 7 and tot["inside"] is not None and 0.3 < tot["inside"] <= 1  # the run's forecast has bounds


def json_report(run):
    import json

    return json.loads((run / "summary.json").read_text())["report"]


def test_an_export_taken_mid_day_covers_the_day_so_far():
    req = plan_intervals(days=1)
    act = pd.DataFrame({"queue": "sales", "offered": [4.0, 6.0],
                        "interval_start": pd.to_datetime(["2026-09-28 08:00", "2026-09-28 11:30"])})
    out, _ = align_actuals(act, 30, req, 30)
    assert out["interval_start"].min() == START and out["interval_start"].max() == pd.Timestamp("2026-09-28 11:30")
    assert len(out) == 24 and out["offered"].sum() == 10  # 00:00 to 11:30, the empty half-hours as 0 calls

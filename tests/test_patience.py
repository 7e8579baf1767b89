"""Caller patience from ACD exports: waiting-time MLE, ASA through Erlang A, the assumed-staffing fallback."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wfm import erlang
from wfm.errors import InputError
from wfm.history import load_history
from wfm.patience import agents_from_asa, estimate_patience
from wfm.simulate import simulate_day

IV = 1800.0
ACD = Path("data") / "il_bank_1999_janfeb_acd_30min.csv"
REFERENCE = Path(__file__).resolve().parent / "data" / "acd_patience_reference.csv"


def simulated_history(calls, staff, patience_s, seed, aht_s=240.0, days=1) -> pd.DataFrame:
    """An ACD-style export of simulated M/M/n+M days: counts and mean waits per interval."""
    k = len(calls)
    sim = simulate_day(calls, aht_s, staff, IV, 20, patience_s=patience_s, seed=seed, replications=days)
    start = pd.Timestamp("2024-01-01 08:00")
    rows = []
    for r in range(days):
        for j in range(k):
            h, a = sim.answered[r, j], sim.abandoned[r, j]
            w_h, w_all = sim.wait_answered_s[r, j], sim.wait_all_s[r, j]
            rows.append({"queue": "q", "interval_start": start + pd.Timedelta(days=r, seconds=j * IV),
                         "offered": h + a, "handled": h, "abandoned": a, "aht_s": aht_s,
                         "asa_s": w_h / h if h else np.nan, "abandon_wait_s": (w_all - w_h) / a if a else np.nan})
    return pd.DataFrame(rows)


def test_waits_mle_recovers_simulated_patience_within_its_interval():
    hist = simulated_history([100.0] * 16, 12, 300.0, seed=3)
    e = estimate_patience(hist, IV, level=0.95).iloc[0]
    assert e["method"] == "waits" and e["identified"]
    assert e["patience_lo_s"] < 300.0 < e["patience_hi_s"]
    assert e["patience_lo_s"] < e["patience_s"] < e["patience_hi_s"]
    # the same data without the waits falls back to the labelled assumption
    bare = estimate_patience(hist.drop(columns=["asa_s", "abandon_wait_s"]), IV).iloc[0]
    assert bare["method"] == "assumed Erlang C staffing" and "ASSUMPTION" in bare["note"]


def test_waits_interval_covers_at_about_its_nominal_rate():
    level, seeds = 0.9, range(40)
    hits = 0
    for s in seeds:
        e = estimate_patience(simulated_history([60.0] * 6, 7, 200.0, seed=100 + s), IV, level=level).iloc[0]
        hits += e["patience_lo_s"] <= 200.0 <= e["patience_hi_s"]
    # Binomial(40, 0.9): mean 36, sd 1.9; 31 or fewer happens with probability < 1 %.
    assert 31 < hits <= 40


def test_waits_skip_rows_missing_a_wait_consistently():
    hist = pd.DataFrame({"queue": "q", "interval_start": pd.date_range("2024-01-01 08:00", periods=3, freq="30min"),
                         "offered": [10.0, 10.0, 10.0], "handled": [8.0, 6.0, 10.0], "abandoned": [2.0, 4.0, 0.0],
                         "asa_s": [30.0, 60.0, 5.0], "abandon_wait_s": [90.0, np.nan, np.nan]})
    e = estimate_patience(hist, IV).iloc[0]
    # row 2 has abandons but no abandon wait: neither its waiting nor its abandons count
    assert e["patience_s"] == pytest.approx((8 * 30 + 2 * 90 + 10 * 5) / 2)
    assert "1 interval(s) skipped" in e["note"]
    total = estimate_patience(hist.drop(columns="abandon_wait_s").assign(abandon_time_s=[180.0, np.nan, 0.0]),
                              IV).iloc[0]
    assert total["method"] == "waits" and total["patience_s"] == pytest.approx(e["patience_s"])


def test_agents_from_asa_inverts_erlang_a():
    calls = np.array([40.0, 100.0, 250.0, 100.0])
    aht = np.array([200.0, 240.0, 300.0, 180.0])
    n = np.array([5.0, 12.0, 40.0, 9.0])
    asa = np.asarray(erlang.asa_a(calls, aht, n, IV, 250.0))
    got, p_ab = agents_from_asa(calls, aht, asa, IV, 250.0)
    assert np.allclose(got, n)
    assert np.allclose(p_ab, erlang.abandon_rate_a(calls, aht, n, IV, 250.0))


def test_asa_method_on_simulated_days_with_known_staffing():
    calls = [60.0, 90.0, 120.0, 120.0, 100.0, 80.0, 60.0, 40.0]
    staff = [7, 10, 13, 14, 12, 9, 7, 5]
    hist = simulated_history(calls, staff, 300.0, seed=11, days=6)
    e = estimate_patience(hist.drop(columns="abandon_wait_s"), IV, level=0.95).iloc[0]
    mle = estimate_patience(hist, IV).iloc[0]["patience_s"]
    assert e["method"] == "asa" and e["identified"]
    assert e["patience_lo_s"] < e["patience_s"] < e["patience_hi_s"]
    # per-interval ASA is noisy and queues carry over between intervals: 20 % of the truth
    assert abs(e["patience_s"] / 300.0 - 1.0) < 0.20
    assert abs(e["patience_s"] / mle - 1.0) < 0.20


def test_reader_maps_acd_names_and_refuses_a_bad_asa_cell(tmp_path):
    p = tmp_path / "acd.csv"
    p.write_text("Skill,Interval,Calls Offered,Calls Handled,Abandoned,AHT,Avg Speed of Answer,Avg Abandon Time\n"
                 "q,2024-01-01 08:00,10,8,2,200,30,90\nq,2024-01-01 08:30,10,10,0,200,5,\n")
    h = load_history(p)
    assert {"handled", "abandoned", "asa_s", "abandon_wait_s"} <= set(h.frame.columns)
    assert h.frame["asa_s"].tolist() == [30.0, 5.0]
    e = estimate_patience(h.frame, IV).iloc[0]
    assert e["method"] == "waits" and e["patience_s"] == pytest.approx((8 * 30 + 2 * 90 + 10 * 5) / 2)
    for name in ("ASA", "Average Speed of Answer"):
        q = tmp_path / f"{name}.csv"
        q.write_text(f"queue,interval_start,offered,{name},Average Time to Abandon\n"
                     "q,2024-01-01 08:00,10,12,40\nq,2024-01-01 08:30,10,9,\n")
        f = load_history(q).frame
        assert f["asa_s"].tolist() == [12.0, 9.0] and f["abandon_wait_s"].iloc[0] == 40.0
    bad = tmp_path / "bad.csv"
    bad.write_text("queue,interval_start,offered,asa\nq,2024-01-01 08:00,10,12\nq,2024-01-01 08:30,10,0:12\n")
    with pytest.raises(InputError) as err:
        load_history(bad)
    assert err.value.row == 3 and err.value.column == "asa_s" and str(bad) in str(err.value)
    assert "'0:12' is not a number" in str(err.value)


def test_staffing_estimate_patience_keeps_its_callers_and_dispatches():
    from wfm.staffing import estimate_patience as from_staffing

    hist = simulated_history([100.0] * 4, 12, 300.0, seed=5)
    assert from_staffing(hist, IV).equals(estimate_patience(hist, IV))
    forced = from_staffing(hist, IV, method="staffing").iloc[0]
    assert forced["method"] == "assumed Erlang C staffing"
    with pytest.raises(ValueError):
        estimate_patience(hist, IV, method="guess")


def test_acd_file_waits_equal_the_mle_and_asa_is_within_20_percent(shared_dir):
    path = shared_dir / ACD
    raw = pd.read_csv(path, parse_dates=["interval_start"])
    ref = pd.read_csv(REFERENCE, parse_dates=["start", "end"])
    h = load_history(path).frame
    for r in ref.itertuples():
        part = raw[(raw["interval_start"] >= r.start) & (raw["interval_start"] < r.end + pd.Timedelta(days=1))]
        mle = ((part["handled"] * part["asa_s"].fillna(0)).sum()
               + (part["abandoned"] * part["abandon_wait_s"].fillna(0)).sum()) / part["abandoned"].sum()
        assert mle == pytest.approx(r.patience_s, abs=0.5)  # the published figure, rounded to 1 s
        sel = h[(h["interval_start"] >= r.start) & (h["interval_start"] < r.end + pd.Timedelta(days=1))]
        waits = estimate_patience(sel, IV).iloc[0]
        assert waits["method"] == "waits" and abs(waits["patience_s"] / mle - 1.0) < 0.02
        assert waits["patience_lo_s"] < mle < waits["patience_hi_s"]
        asa = estimate_patience(sel.drop(columns="abandon_wait_s"), IV).iloc[0]
        assert asa["method"] == "asa" and abs(asa["patience_s"] / mle - 1.0) < 0.20


def test_asa_without_any_handle_time_is_one_clear_error():
    h = pd.DataFrame({"queue": ["q", "q"], "interval_start": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 08:30"]),
                      "offered": [10.0, 10.0], "abandoned": [1.0, 1.0], "handled": [9.0, 9.0], "asa_s": [20.0, 30.0]})
    with pytest.raises(InputError, match="queue 'q' has no handle times"):
        estimate_patience(h, IV)
    assert estimate_patience(h, IV, default_aht_s=200.0).iloc[0]["method"] == "asa"

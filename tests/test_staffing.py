"""Staffing stage: requirements(), projected_service(), daily_service()."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from wfm import erlang
from wfm.config import Config, ScheduleConfig, ShiftTemplate, StaffingConfig
from wfm.errors import InputError
from wfm.staffing import daily_service, projected_service, requirements

COLUMNS = ["queue", "interval_start", "offered", "aht_s", "agents", "scheduled_required", "service_level", "asa_s",
           "occupancy", "target_met"]


def _cfg(interval_minutes: int = 30, **staffing) -> Config:
    base = dict(sl_target=0.8, sl_seconds=20, max_occupancy=0.85, shrinkage=0.30)
    base.update(staffing)
    return Config(
        interval_minutes=interval_minutes,
        staffing=StaffingConfig(**base),
        schedule=ScheduleConfig(templates=[ShiftTemplate(name="D", length_h=8)]),
    )


def _forecast(offered, aht=180.0, queue="q1", start="2024-03-04 08:00", freq="30min", **extra) -> pd.DataFrame:
    n = len(offered)
    df = pd.DataFrame({
        "queue": [queue] * n,
        "interval_start": pd.date_range(start, periods=n, freq=freq),
        "offered": np.asarray(offered, dtype=float),
        "offered_lo": np.asarray(offered, dtype=float) * 0.8,
        "offered_hi": np.asarray(offered, dtype=float) * 1.2,
        "aht_s": np.broadcast_to(np.asarray(aht, dtype=float), (n,)).copy(),
    })
    for k, v in extra.items():
        df[k] = v
    return df


def test_columns_order_and_types():
    req = requirements(_forecast([100.0, 0.0, 12.5]), _cfg())
    assert list(req.columns) == COLUMNS
    assert req["agents"].dtype.kind == "i" and req["scheduled_required"].dtype.kind == "i"
    assert req["target_met"].dtype == bool
    assert len(req) == 3
    with_h = requirements(_forecast([100.0, 0.0], is_holiday=[True, False]), _cfg())
    assert list(with_h.columns) == COLUMNS + ["is_holiday"]
    assert with_h["is_holiday"].tolist() == [True, False]


def test_classic_example_and_shrinkage():
    # 100 calls / 30 min, AHT 180 s, 80/20, occupancy cap 0.85: 14 agents (Call Centre Helper / CRAN ErlangC);
    # 14 / (1 - 0.3) = 20 scheduled.
    req = requirements(_forecast([100.0]), _cfg())
    r = req.iloc[0]
    assert r["agents"] == 14 and r["scheduled_required"] == 20
    assert r["service_level"] == pytest.approx(0.88835, abs=5e-6)
    assert r["asa_s"] == pytest.approx(7.836, abs=5e-4)
    assert r["occupancy"] == pytest.approx(10 / 14)
    assert bool(r["target_met"])
    # pyworkforce test_over_occupancy: occupancy cap 0.70 -> 15 agents -> ceil(15 / 0.7) = 22 scheduled.
    r70 = requirements(_forecast([100.0]), _cfg(max_occupancy=0.70)).iloc[0]
    assert (r70["agents"], r70["scheduled_required"]) == (15, 22)


def test_interval_length_comes_from_config():
    # The same 100 calls in 15 minutes are 20 erlangs, not 10.
    a15 = requirements(_forecast([100.0], freq="15min"), _cfg(interval_minutes=15)).iloc[0]["agents"]
    a30 = requirements(_forecast([100.0]), _cfg(interval_minutes=30)).iloc[0]["agents"]
    assert a30 == 14 and a15 > 20


def test_shrinkage_ceiling_is_exact():
    # Scheduled = ceil(agents / (1 - shrinkage)) in exact rational arithmetic; 7 / 0.7 must be 10, not 11.
    offered = np.linspace(0, 400, 161)
    for shrink in (0.3, 0.25, 0.1, 0.0):
        req = requirements(_forecast(offered), _cfg(shrinkage=shrink))
        keep = Fraction(1) - Fraction(str(shrink))
        expect = [math.ceil(Fraction(int(a)) / keep) for a in req["agents"]]
        assert req["scheduled_required"].tolist() == expect
    req = requirements(_forecast(offered), _cfg(shrinkage=0.3))
    assert (req["agents"] % 7 == 0).sum() >= 3  # the exact-multiple cases (7 -> 10, 14 -> 20, ...) were exercised
    assert (req.loc[req["agents"] == 7, "scheduled_required"] == 10).all()


def test_zero_volume_intervals():
    req = requirements(_forecast([0.0, 0.0, 50.0]), _cfg())
    z = req.iloc[:2]
    assert (z["agents"] == 0).all() and (z["scheduled_required"] == 0).all()
    assert (z["service_level"] == 1.0).all() and (z["asa_s"] == 0.0).all() and (z["occupancy"] == 0.0).all()
    assert z["target_met"].all()
    assert req.iloc[2]["agents"] > 0


def test_sorted_by_queue_then_time():
    a = _forecast([10.0, 20.0], queue="b", start="2024-03-04 07:00")
    b = _forecast([30.0, 40.0], queue="a", start="2024-03-04 08:00")
    fc = pd.concat([a.iloc[::-1], b.iloc[::-1]], ignore_index=True)
    req = requirements(fc, _cfg())
    assert req["queue"].tolist() == ["a", "a", "b", "b"]
    assert req["offered"].tolist() == [30.0, 40.0, 10.0, 20.0]
    assert req["interval_start"].dt.hour.tolist() == [8, 8, 7, 7]  # by queue first, then time
    assert list(req.index) == [0, 1, 2, 3]


def test_fractional_offered_uses_fractional_load():
    # 12.5 calls in 30 min at 180 s is 1.25 erlangs.
    req = requirements(_forecast([12.5, 13.0]), _cfg())
    r = req.iloc[0]
    assert r["occupancy"] == pytest.approx(1.25 / r["agents"])
    # the result meets the target and one agent fewer does not
    assert r["service_level"] >= 0.8
    fewer = r["agents"] - 1
    assert erlang.service_level(12.5, 180, fewer, 1800, 20) < 0.8 or 1.25 / fewer > 0.85


def test_max_agents_cap_sets_target_met_false():
    req = requirements(_forecast([100.0, 5.0]), _cfg(max_agents=10))
    big, small = req.iloc[0], req.iloc[1]
    assert big["agents"] == 10 and not big["target_met"]
    assert big["service_level"] == 0.0  # 10 agents for 10 erlangs cannot keep up
    assert small["target_met"] and small["agents"] < 10


@pytest.mark.parametrize("column,value,row", [("offered", -3.0, 3), ("aht_s", np.nan, 2), ("offered", "abc", 2)])
def test_bad_input_names_column_and_row(column, value, row):
    fc = _forecast([10.0, 20.0, 30.0])
    fc[column] = fc[column].astype(object)
    fc.loc[row - 2, column] = value  # row counted as a CSV line (header is row 1)
    with pytest.raises(InputError) as info:
        requirements(fc, _cfg())
    msg = str(info.value)
    assert f"'{column}'" in msg and f"row {row}" in msg
    assert info.value.column == column and info.value.row == row


def test_missing_column_is_an_input_error():
    with pytest.raises(InputError, match="aht_s"):
        requirements(_forecast([10.0]).drop(columns="aht_s"), _cfg())


def test_projected_service_at_whole_agents_equals_erlang():
    offered = pd.Series([100.0, 100.0, 0.0, 40.0])
    aht = pd.Series([180.0, 180.0, 180.0, 240.0])
    scheduled = pd.Series([20.0, 10.0, 3.0, 10.0])  # x 0.7 -> 14, 7, 2.1, 7 on the phone
    p = projected_service(offered, aht, scheduled, 1800, 20, 0.3)
    assert list(p.columns) == ["agents_on_phone", "service_level", "asa_s", "occupancy"]
    np.testing.assert_allclose(p["agents_on_phone"], [14, 7, 2.1, 7])
    # 20 scheduled at 30 % shrinkage are 14 on the phone: the CRAN ErlangC reference values.
    assert p["service_level"].iloc[0] == pytest.approx(0.88835, abs=5e-6)
    assert p["asa_s"].iloc[0] == pytest.approx(7.836, abs=5e-4)
    assert p["service_level"].iloc[3] == erlang.service_level(40.0, 240.0, 7, 1800, 20)
    assert p["asa_s"].iloc[3] == erlang.asa(40.0, 240.0, 7, 1800)
    # 7 agents for 10 erlangs: the queue overflows
    assert p["service_level"].iloc[1] == 0.0 and p["asa_s"].iloc[1] == math.inf
    # zero offered
    assert p["service_level"].iloc[2] == 1.0 and p["asa_s"].iloc[2] == 0.0 and p["occupancy"].iloc[2] == 0.0


def test_projected_service_interpolates_between_whole_agents():
    # 20.5 scheduled x 0.7 = 14.35 on the phone: 0.65 x SL(14) + 0.35 x SL(15), with the published values
    # SL(14) = 0.88835 (CRAN ErlangC) and SL(15) = 0.941 (pyworkforce), A = 10 erlangs.
    p = projected_service(100.0, 180.0, 20.5, 1800, 20, 0.3)
    assert p["agents_on_phone"].iloc[0] == pytest.approx(14.35)
    assert p["service_level"].iloc[0] == pytest.approx(0.65 * 0.88835 + 0.35 * 0.941, abs=3e-4)
    # ASA(14) = 7.8359 s (CRAN ErlangC); ASA(15) = C(15) AHT / (15 - 10) with C(15) = 0.10204 (pyworkforce)
    assert p["asa_s"].iloc[0] == pytest.approx(0.65 * 7.8359 + 0.35 * 0.10204 * 180 / 5, abs=0.02)
    assert p["occupancy"].iloc[0] == pytest.approx(10 / 14.35)


def test_projected_service_is_monotone_in_scheduled():
    sched = np.linspace(0, 40, 401)
    p = projected_service(100.0, 180.0, sched, 1800, 20, 0.3)
    assert (np.diff(p["service_level"]) >= -1e-12).all()
    finite = np.isfinite(p["asa_s"].to_numpy())
    assert (np.diff(p["asa_s"].to_numpy()[finite]) <= 1e-9).all()


def test_daily_service_weights_by_calls():
    df = pd.DataFrame({
        "queue": ["q", "q", "q", "r"],
        "interval_start": pd.to_datetime(["2024-03-04 08:00", "2024-03-04 08:30", "2024-03-05 08:00",
                                          "2024-03-04 08:00"]),
        "offered": [10.0, 30.0, 0.0, 5.0],
        "service_level": [0.9, 0.5, 1.0, 0.7],
        "asa_s": [5.0, 25.0, 0.0, 12.0],
    })
    d = daily_service(df)
    assert list(d.columns) == ["queue", "date", "offered", "service_level", "asa_s"]
    assert d["queue"].tolist() == ["q", "q", "r"]
    assert d["date"].tolist() == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-05"), pd.Timestamp("2024-03-04")]
    # by hand: (10 x 0.9 + 30 x 0.5) / 40 = 0.6; (10 x 5 + 30 x 25) / 40 = 20 s
    assert d["offered"].tolist() == [40.0, 0.0, 5.0]
    assert d["service_level"].tolist() == pytest.approx([0.6, 1.0, 0.7])
    assert d["asa_s"].tolist() == pytest.approx([20.0, 0.0, 12.0])


def test_daily_service_on_requirements_output():
    req = requirements(_forecast([100.0, 0.0, 100.0]), _cfg())
    d = daily_service(req)
    assert len(d) == 1 and d["offered"].iloc[0] == 200.0
    assert d["service_level"].iloc[0] == pytest.approx(0.88835, abs=5e-6)

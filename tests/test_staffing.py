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
    # The columns of before issue 4 keep their order; abandon_rate follows (NaN: no patience is known).
    assert list(req.columns) == COLUMNS + ["abandon_rate"]
    assert req["abandon_rate"].isna().all()
    assert req["agents"].dtype.kind == "i" and req["scheduled_required"].dtype.kind == "i"
    assert req["target_met"].dtype == bool
    assert len(req) == 3
    with_h = requirements(_forecast([100.0, 0.0], is_holiday=[True, False]), _cfg())
    assert list(with_h.columns) == COLUMNS + ["is_holiday", "abandon_rate"]
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


# ------------------------------------------------------------------------------------------ issue 4: options


def test_default_options_keep_todays_behaviour():
    fc = _forecast(np.linspace(0, 300, 31))
    base = requirements(fc, _cfg())
    explicit = requirements(fc, _cfg(), patience_s=None, model="erlang_c", channel="voice", concurrency=1,
                            response_window_h=None, max_abandon=None, shrinkage=None)
    pd.testing.assert_frame_equal(base, explicit)
    np.testing.assert_array_equal(base["agents"], erlang.required_agents(fc["offered"], 180.0, 1800, 0.8, 20, 0.85))


def test_abandon_rate_column_with_known_patience():
    # Erlang C staffing (14 agents for the classic example) and the abandonment 5-minute patience gives at
    # 14 agents: 0.013984 (pyworkforce's Erlang A test value, ../shared/data/erlang_vectors.csv).
    r = requirements(_forecast([100.0, 0.0]), _cfg(), patience_s=300).iloc
    assert r[0]["agents"] == 14 and r[0]["abandon_rate"] == pytest.approx(0.013984, abs=5e-7)
    assert r[1]["abandon_rate"] == 0.0


def test_erlang_a_model():
    # Erlang A staffs the classic example with 13 (abandonment shortens the queue); the service level column
    # is then answered within 20 s over offered: 0.916792 at 14 agents (pyworkforce), so at 13 it is lower
    # but still >= 0.8.
    req = requirements(_forecast([100.0, 0.0]), _cfg(), model="erlang_a", patience_s=300)
    r = req.iloc[0]
    assert r["agents"] == 13 and r["scheduled_required"] == math.ceil(13 / 0.7)
    assert 0.8 <= r["service_level"] < 0.916792
    assert r["service_level"] == erlang.service_level_a(100, 180, 13, 1800, 20, 300)
    assert r["asa_s"] == erlang.asa_a(100, 180, 13, 1800, 300)
    assert r["abandon_rate"] == erlang.abandon_rate_a(100, 180, 13, 1800, 300)
    assert r["occupancy"] == pytest.approx(10 * (1 - r["abandon_rate"]) / 13)
    assert req.iloc[1]["agents"] == 0
    # a cap on abandonment adds agents
    capped = requirements(_forecast([100.0]), _cfg(), model="erlang_a", patience_s=300, max_abandon=0.005).iloc[0]
    assert capped["agents"] > 13 and capped["abandon_rate"] <= 0.005


def test_chat_concurrency():
    # 3 chats per agent: Erlang C on chat slots (14 for A = 10 at 80/20), agents = ceil(14 / 3) = 5, whose 15
    # slots give SL 0.941 (pyworkforce's value at 15 servers).
    r = requirements(_forecast([100.0]), _cfg(), channel="chat", concurrency=3).iloc[0]
    assert r["agents"] == 5 and r["scheduled_required"] == math.ceil(5 / 0.7)
    assert r["service_level"] == pytest.approx(0.941, abs=5e-4)
    assert r["occupancy"] == pytest.approx(10 / 15)
    one = requirements(_forecast([100.0]), _cfg(), channel="chat", concurrency=1)
    pd.testing.assert_frame_equal(one, requirements(_forecast([100.0]), _cfg()))


def test_options_per_queue_and_bad_options():
    fc = pd.concat([_forecast([100.0], queue="voice"), _forecast([100.0], queue="chat"),
                    _forecast([10.0, 0.0], queue="mail")], ignore_index=True)
    from wfm.staffing import StaffingOptions

    req = requirements(fc, _cfg(), queue_options={"chat": StaffingOptions(channel="chat", concurrency=3),
                                                  "mail": StaffingOptions(channel="deferred", response_window_h=1)})
    got = dict(zip(req["queue"], req["agents"]))
    assert got["voice"] == 14 and got["chat"] == 5
    assert "backlog" in req.columns and req.loc[req["queue"] == "voice", "backlog"].isna().all()
    for kwargs, match in (
        (dict(model="erlang_a"), "patience_s"),
        (dict(model="erlang_b"), "model"),
        (dict(concurrency=2), "concurrency"),
        (dict(channel="deferred"), "response_window_h"),
        (dict(max_abandon=0.05), "erlang_a"),
        (dict(patience_s=-3), "patience_s"),
    ):
        with pytest.raises(ValueError, match=match):
            requirements(_forecast([10.0]), _cfg(), **kwargs)


# ------------------------------------------------------------------------------------------ shrinkage


def test_combine_shrinkage_is_multiplicative():
    from wfm.staffing import combine_shrinkage

    assert combine_shrinkage(0.10, 0.05, 0.05) == pytest.approx(1 - 0.9 * 0.95 * 0.95)
    assert combine_shrinkage(0.3) == pytest.approx(0.3)
    assert combine_shrinkage() == 0.0
    np.testing.assert_allclose(combine_shrinkage(np.array([0.1, 0.0]), 0.5), [0.55, 0.5])
    with pytest.raises(ValueError, match="shares"):
        combine_shrinkage(0.2, 1.0)


def test_shrinkage_by_time_of_day_and_date():
    from wfm.staffing import shrinkage_frame, shrinkage_series

    ts = pd.Series(pd.date_range("2024-03-04 11:00", periods=6, freq="30min").append(
        pd.date_range("2024-03-05 11:00", periods=2, freq="30min")), index=range(10, 18))
    table = pd.DataFrame({
        "date": [None, None, "2024-03-05", "2024-03-05"],
        "time": ["12:00", "12:30", None, "11:30"],
        "breaks": [0.30, 0.30, np.nan, 0.0],  # lunch breaks at 12:00-13:00; none at 11:30 on the 5th
        "training": [np.nan, np.nan, 0.20, np.nan],  # a training day
    })
    f = shrinkage_frame(ts, {"breaks": 0.05, "absence": 0.10}, table)
    assert list(f.index) == list(range(10, 18)) and list(f.columns) == ["breaks", "absence", "training", "shrinkage"]
    # 4 Mar: 11:00 11:30 12:00 12:30 13:00 13:30; 5 Mar: 11:00 11:30
    assert f["breaks"].tolist() == [0.05, 0.05, 0.30, 0.30, 0.05, 0.05, 0.05, 0.0]
    assert f["training"].tolist() == [0, 0, 0, 0, 0, 0, 0.2, 0.2]
    assert f["shrinkage"].iloc[2] == pytest.approx(1 - 0.7 * 0.9)
    assert f["shrinkage"].iloc[6] == pytest.approx(1 - 0.95 * 0.9 * 0.8)
    assert f["shrinkage"].iloc[7] == pytest.approx(1 - 0.9 * 0.8)
    s = shrinkage_series(ts, 0.25)
    assert (s == 0.25).all() and list(s.index) == list(ts.index)
    with pytest.raises(ValueError, match="twice"):
        shrinkage_frame(ts, 0.1, pd.DataFrame({"time": ["12:00", "12:00"], "breaks": [0.1, 0.2]}))
    with pytest.raises(ValueError, match="share"):
        shrinkage_frame(ts, {"breaks": 1.2})


def test_requirements_with_shrinkage_per_interval():
    from wfm.staffing import shrinkage_series

    fc = _forecast([100.0, 100.0, 100.0])
    sh = shrinkage_series(fc["interval_start"], 0.3,
                          pd.DataFrame({"time": ["08:30"], "shrinkage": [0.5]}))  # 08:30: half the team away
    req = requirements(fc, _cfg(), shrinkage=sh)
    assert req["agents"].tolist() == [14, 14, 14]
    assert req["scheduled_required"].tolist() == [20, 28, 20]
    assert req["shrinkage"].tolist() == pytest.approx([0.3, 0.5, 0.3])
    with pytest.raises(ValueError, match="shrinkage"):
        requirements(fc, _cfg(), shrinkage=[0.3, 0.3])


# ------------------------------------------------------------------------------------------ deferred work


def _fluid_fifo_meets_deadlines(vol, aht, capacity_s, window_rows):
    """Work the items first-in-first-out with ``capacity_s`` seconds of work per row; True if each row's
    items are finished by the end of row ``k + window_rows - 1``. A plain loop: an independent check."""
    queue = []  # [row, work left]
    for j, cap in enumerate(capacity_s):
        if vol[j] > 0:
            queue.append([j, vol[j] * aht])
        while queue and cap > 1e-9:
            take = min(cap, queue[0][1])
            queue[0][1] -= take
            cap -= take
            if queue[0][1] <= 1e-7 * aht:
                queue.pop(0)
        if queue and queue[0][0] + window_rows - 1 <= j:
            return False
    return True


def test_deferred_workload_spreads_each_interval_over_its_window():
    from wfm.staffing import deferred_workload

    ts = pd.date_range("2024-03-04 08:00", periods=12, freq="30min")
    # 40 items of 6 minutes at 08:00 only, 4-hour window = 8 intervals: 40 * 360 / 8 s of work per interval.
    vol = np.zeros(12)
    vol[0] = 40
    d = deferred_workload(ts, vol, 360, 1800, 4)
    np.testing.assert_allclose(d["workload"], [40 * 360 / 8 / 1800] * 8 + [0] * 4)
    np.testing.assert_allclose(d["backlog"], [35, 30, 25, 20, 15, 10, 5, 0, 0, 0, 0, 0], atol=1e-9)
    # steady arrivals: after the first window the plan is exactly the arrival workload
    d = deferred_workload(ts, np.full(12, 10.0), 360, 1800, 2)
    np.testing.assert_allclose(d["workload"].iloc[3:], 10 * 360 / 1800)
    assert d["workload"].iloc[0] == pytest.approx(10 * 360 / 1800 / 4)
    # a window shorter than an interval: each interval's work is done in that interval
    d = deferred_workload(ts, np.arange(12.0), 360, 1800, 0.25)
    np.testing.assert_allclose(d["workload"], np.arange(12.0) * 360 / 1800)
    assert (d["backlog"] == 0).all()


def test_deferred_plan_meets_every_deadline_and_conserves_work():
    from wfm.staffing import deferred_workload

    rng = np.random.default_rng(5)
    for window_h in (0.5, 2, 7.5, 24):
        ts = pd.date_range("2024-03-04", periods=200, freq="30min")
        vol = rng.poisson(rng.uniform(0, 30, 200)).astype(float)
        vol[rng.random(200) < 0.2] = 0
        d = deferred_workload(ts, vol, 300, 1800, window_h)
        w = max(int(window_h * 2), 1)
        assert _fluid_fifo_meets_deadlines(vol, 300, d["workload"].to_numpy() * 1800, w)
        # every second of work is planned once: planned + still open at the end = arrived
        open_work = d["backlog"].iloc[-1] * 300
        assert d["workload"].sum() * 1800 + open_work == pytest.approx(vol.sum() * 300)
        # The check has power: with windows up to 2 h, 2 % less capacity than planned misses a deadline. (Longer
        # windows leave slack, 13 % at 24 h here: the plan never works ahead of arrivals' fair share.)
        if window_h <= 2:
            assert not _fluid_fifo_meets_deadlines(vol, 300, 0.98 * d["workload"].to_numpy() * 1800, w)


def test_deferred_windows_skip_closed_hours():
    from wfm.staffing import deferred_workload

    # Open 08:00-10:00 on two days. 10 items in the 09:30 interval of day 1, 24-hour window counted from the
    # interval's start: day 2 09:30 + 0:30 ends after the deadline (day 2 09:30), so the work is spread over
    # the 09:30 interval of day 1 and day 2's 08:00, 08:30, 09:00: 4 intervals, none at night.
    ts = pd.DatetimeIndex(list(pd.date_range("2024-03-04 08:00", periods=4, freq="30min"))
                          + list(pd.date_range("2024-03-05 08:00", periods=4, freq="30min")))
    vol = np.array([0, 0, 0, 10.0, 0, 0, 0, 0])
    d = deferred_workload(ts, vol, 900, 1800, 24)
    np.testing.assert_allclose(d["workload"], [0, 0, 0] + [10 * 900 / 4 / 1800] * 4 + [0])


def test_requirements_deferred_channel():
    fc = _forecast([20.0, 20.0, 0.0, 0.0], aht=540.0)
    req = requirements(fc, _cfg(max_occupancy=0.85), channel="deferred", response_window_h=1)
    # 1-hour window = 2 intervals: interval loads 20 * 540 / 1800 / 2 = 3 erlangs in the first, 6 in the second
    np.testing.assert_allclose(req["occupancy"].iloc[:2] * req["agents"].iloc[:2], [3.0, 6.0])
    assert req["agents"].tolist()[:3] == [math.ceil(3 / 0.85), math.ceil(6 / 0.85), math.ceil(3 / 0.85)]
    assert req["service_level"].isna().all() and req["asa_s"].isna().all()
    assert req["backlog"].tolist() == pytest.approx([10, 10, 0, 0])


# ------------------------------------------------------------------------------------------ patience


def _simulated_history(patience_s, days, seed, aht=240.0):
    """History of a queue staffed at the Erlang C requirement of its true arrival rates, with abandonment
    from the discrete-event simulation (not from Erlang A)."""
    from wfm.simulate import simulate_day

    k = 20
    calls = 60 * (0.5 + np.sin(np.linspace(0.2, np.pi - 0.2, k)))
    staff = erlang.required_agents(calls, aht, 1800, 0.8, 20)
    res = simulate_day(calls, aht, staff, 1800, 20, patience_s=patience_s, seed=seed, replications=days)
    start = pd.Timestamp("2024-01-01 08:00") + pd.to_timedelta(np.repeat(np.arange(days), k), unit="D")
    ts = start + pd.to_timedelta(np.tile(np.arange(k) * 30, days), unit="min")
    return pd.DataFrame({"queue": "q", "interval_start": ts, "offered": res.offered.ravel(),
                         "abandoned": res.abandoned.ravel(), "aht_s": aht,
                         "agents": np.tile(staff, days)})


def test_estimate_patience_recovers_simulated_patience():
    from wfm.staffing import estimate_patience

    # 40 days of a 20-interval day (about 50,000 callers), true patience 3 minutes. In 30 such histories
    # (other seeds) the 99 % bounds held the truth 28-29 times and the estimates averaged 186-192 s: the
    # bounds are approximate and the estimator has a small upward bias (the queue lags the daily curve).
    hist = _simulated_history(180.0, 40, seed=2024)
    for kw in ({}, {"agents_column": "agents"}):  # the Erlang C staffing assumption holds here by construction
        e = estimate_patience(hist, 1800, level=0.99, **kw).iloc[0]
        assert e["identified"]
        assert e["patience_lo_s"] <= 180 <= e["patience_hi_s"], e.to_dict()
        assert e["patience_hi_s"] / e["patience_lo_s"] < 2.2
    # The estimate hangs on the staffing: one agent more than was really there reads as much less patience.
    hist["agents_plus_one"] = hist["agents"] + 1
    wrong = estimate_patience(hist, 1800, agents_column="agents_plus_one").iloc[0]
    assert wrong["patience_hi_s"] < 120


def test_estimate_patience_not_identified_and_bad_input():
    from wfm.staffing import estimate_patience

    hist = _simulated_history(180.0, 3, seed=1)
    none = estimate_patience(hist.assign(abandoned=0.0), 1800).iloc[0]
    assert not none["identified"] and none["patience_s"] == math.inf
    flood = estimate_patience(hist.assign(abandoned=hist["offered"] * 0.9), 1800).iloc[0]
    assert not flood["identified"] and flood["patience_s"] == 0.0 and "lower than assumed" in flood["note"]
    with pytest.raises(InputError, match="abandoned"):
        estimate_patience(hist.drop(columns="abandoned"), 1800)


# ------------------------------------------------------------------------------------------ trade-off


def test_tradeoff_table_and_plot():
    from matplotlib.figure import Figure

    from wfm.staffing import plot_tradeoff, tradeoff

    t = tradeoff(100, 180, 1800, 20, range(8, 19), hourly_cost=25.0)
    assert list(t.columns) == ["agents", "service_level", "asa_s", "occupancy", "abandon_rate", "cost_per_hour"]
    r14 = t.set_index("agents").loc[14]
    assert r14["service_level"] == pytest.approx(0.88835, abs=5e-6) and r14["asa_s"] == pytest.approx(7.836, abs=5e-4)
    assert r14["cost_per_hour"] == 350.0 and t["abandon_rate"].isna().all()
    assert (t.set_index("agents").loc[[8, 9, 10], "asa_s"] == math.inf).all()
    a = tradeoff(100, 180, 1800, 20, range(0, 19), hourly_cost=25.0, patience_s=300)
    ra = a.set_index("agents").loc[14]
    assert ra["abandon_rate"] == pytest.approx(0.013984, abs=5e-7)  # pyworkforce's value
    assert ra["service_level"] == pytest.approx(0.916792, abs=5e-6)
    assert (np.diff(a["service_level"]) >= 0).all() and (np.diff(a["abandon_rate"]) <= 0).all()
    fig = plot_tradeoff(a, sl_target=0.8)
    assert isinstance(fig, Figure) and len(fig.axes) >= 2
    with pytest.raises(ValueError, match="whole"):
        tradeoff(100, 180, 1800, 20, [1.5], 25.0)

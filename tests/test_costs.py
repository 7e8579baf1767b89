"""Labour cost rules, checked against hand-computed pay (China Labour Law art. 44 defaults).

Calendar facts used (CN, holidays package): 2026-09-19 is a Saturday rest day; 2026-09-20 (Sunday) is a
make-up working day, so ISO week 38 (09-14..09-20) has six workdays; 2026-10-01..03 are statutory National
Day holidays; 2026-10-05 is a bridge day off (rest day, not statutory).
"""

import numpy as np
import pandas as pd
import pytest

from wfm.config import load_config, parse_config
from wfm.costs import COST_COLUMNS, PREMIUM_COLUMNS, cost_roster, cost_summary
from wfm.errors import InputError

RATE = 40.0


def make_cfg(**pay):
    data = load_config(None).model_dump(mode="json", by_alias=True)
    data["pay"].update(pay)
    return parse_config(data)


def shift(start, end, paid, brk=None, agent="A1", queue="sales"):
    bs, be = brk if brk else ("", "")
    return dict(agent_id=agent, name=f"Agent {agent}", team="T", queue=queue, shift_start=start, shift_end=end,
                break_start=bs, break_end=be, paid_hours=paid)


AGENTS = pd.DataFrame({"agent_id": ["A1", "A2"], "hourly_rate": ["40", "50"]})


def cost(rows, cfg=None):
    return cost_roster(pd.DataFrame(rows), AGENTS, cfg or make_cfg())


def one(df, date):
    sel = df[df["date"] == pd.Timestamp(date)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_eight_hour_workday_shift_has_no_premium():
    c = cost([shift("2026-09-29 09:00:00", "2026-09-29 18:00:00", 8, ("2026-09-29 12:00:00", "2026-09-29 13:00:00"))])
    assert list(c.columns) == COST_COLUMNS and len(c) == 1
    r = c.iloc[0]
    assert r["day_type"] == "workday"
    assert (r["paid_hours"], r["regular_hours"], r["overtime_hours"]) == (8, 8, 0)
    assert r["base_cost"] == 8 * RATE and r["total_cost"] == 8 * RATE
    assert all(r[c] == 0 for c in PREMIUM_COLUMNS)


def test_statutory_holiday_is_paid_three_times():
    c = cost([shift("2026-10-01 08:00:00", "2026-10-01 17:00:00", 8, ("2026-10-01 12:00:00", "2026-10-01 13:00:00"))])
    r = one(c, "2026-10-01")
    assert r["day_type"] == "holiday" and r["holiday_hours"] == 8 and r["regular_hours"] == 0
    assert r["base_cost"] == 320 and r["holiday_premium"] == 8 * 2 * RATE and r["total_cost"] == 960


@pytest.mark.parametrize("rest_days, total, rest_h, regular_h", [("calendar", 640, 8, 0), ("none", 320, 0, 8)])
def test_saturday_rest_day_premium_depends_on_rest_days(rest_days, total, rest_h, regular_h):
    c = cost([shift("2026-09-19 08:00:00", "2026-09-19 16:00:00", 8)], make_cfg(rest_days=rest_days))
    r = one(c, "2026-09-19")
    assert r["day_type"] == "rest_day"
    assert r["rest_day_hours"] == rest_h and r["regular_hours"] == regular_h
    assert r["total_cost"] == total


def test_bridge_day_off_is_a_rest_day_not_a_holiday():
    c = cost([shift("2026-10-05 08:00:00", "2026-10-05 16:00:00", 8)])
    r = one(c, "2026-10-05")
    assert r["day_type"] == "rest_day" and r["holiday_hours"] == 0 and r["total_cost"] == 640


def test_night_shift_into_holiday_is_split_at_midnight():
    # 22:00 -> 07:00 with an unpaid hour 02:00-03:00: 2 h on the workday 09-30, 6 h on the holiday 10-01.
    cfg = make_cfg(night_premium=0.2)
    c = cost([shift("2026-09-30 22:00:00", "2026-10-01 07:00:00", 8, ("2026-10-01 02:00:00", "2026-10-01 03:00:00"))], cfg)
    assert len(c) == 2
    a, b = one(c, "2026-09-30"), one(c, "2026-10-01")
    assert (a["day_type"], a["paid_hours"], a["regular_hours"], a["night_hours"]) == ("workday", 2, 2, 2)
    assert (b["day_type"], b["paid_hours"], b["holiday_hours"]) == ("holiday", 6, 6)
    assert b["night_hours"] == 5  # 00:00-02:00 and 03:00-06:00; 06:00-07:00 is day time
    assert a["total_cost"] == 2 * RATE + 2 * 0.2 * RATE  # 80 + 16
    assert b["base_cost"] == 240 and b["holiday_premium"] == 480 and b["night_premium"] == 5 * 0.2 * RATE
    assert b["total_cost"] == 240 + 480 + 40


def test_unpaid_break_crossing_midnight_is_removed_from_each_date():
    # 20:00 -> 05:00, unpaid break 23:30-00:30: 3.5 h on 09-29, 4.5 h on 09-30.
    c = cost([shift("2026-09-29 20:00:00", "2026-09-30 05:00:00", 8, ("2026-09-29 23:30:00", "2026-09-30 00:30:00"))])
    assert one(c, "2026-09-29")["paid_hours"] == 3.5 and one(c, "2026-09-30")["paid_hours"] == 4.5


def test_paid_break_counts_and_daily_overtime_follows():
    # paid_hours equal to the shift length: the break is paid; 9 h on a workday -> 1 h overtime.
    c = cost([shift("2026-09-29 08:00:00", "2026-09-29 17:00:00", 9, ("2026-09-29 12:00:00", "2026-09-29 13:00:00"))])
    r = c.iloc[0]
    assert (r["paid_hours"], r["regular_hours"], r["overtime_hours"]) == (9, 8, 1)


def test_daily_overtime_ten_hour_shift():
    c = cost([shift("2026-09-29 08:00:00", "2026-09-29 18:00:00", 10)])
    r = c.iloc[0]
    assert (r["regular_hours"], r["overtime_hours"]) == (8, 2)
    assert r["base_cost"] == 400 and r["overtime_premium"] == 2 * 0.5 * RATE and r["total_cost"] == 440


def test_weekly_overtime_six_eight_hour_workdays():
    # ISO week 38 of 2026 has six workdays (Sunday 09-20 is a make-up working day): 48 h -> 8 h overtime,
    # taken from the latest hours (the Sunday).
    days = ["2026-09-14", "2026-09-15", "2026-09-16", "2026-09-17", "2026-09-18", "2026-09-20"]
    c = cost([shift(f"{d} 09:00:00", f"{d} 17:00:00", 8) for d in days])
    assert set(c["day_type"]) == {"workday"}
    assert c["overtime_hours"].sum() == 8 and c["regular_hours"].sum() == 40
    assert one(c, "2026-09-20")["overtime_hours"] == 8
    assert c["overtime_premium"].sum() == 8 * 0.5 * RATE
    assert c["total_cost"].sum() == 48 * RATE + 160


def test_daily_overtime_is_not_counted_again_weekly():
    # 5 x 10 h: 2 h daily overtime each day; the 40 h left are not past the weekly threshold.
    days = ["2026-09-14", "2026-09-15", "2026-09-16", "2026-09-17", "2026-09-18"]
    c = cost([shift(f"{d} 08:00:00", f"{d} 18:00:00", 10) for d in days])
    assert c["overtime_hours"].sum() == 10 and c["regular_hours"].sum() == 40


def test_holiday_and_rest_day_hours_do_not_count_towards_weekly_overtime():
    # Week of 2026-09-28: three workdays, three holidays, one rest day, 8 h each: no overtime at all.
    days = pd.date_range("2026-09-28", "2026-10-04").strftime("%Y-%m-%d")
    c = cost([shift(f"{d} 09:00:00", f"{d} 17:00:00", 8) for d in days])
    assert c["overtime_hours"].sum() == 0
    assert (c["regular_hours"].sum(), c["holiday_hours"].sum(), c["rest_day_hours"].sum()) == (24, 24, 8)


def test_thresholds_can_be_switched_off():
    c = cost([shift("2026-09-29 08:00:00", "2026-09-29 20:00:00", 12)], make_cfg(daily_overtime_after_h=None))
    assert c.iloc[0]["overtime_hours"] == 0


def test_on_cost_applies_to_gross_pay():
    c = cost([shift("2026-10-01 08:00:00", "2026-10-01 16:00:00", 8)], make_cfg(on_cost=0.3))
    r = c.iloc[0]
    assert r["on_cost"] == pytest.approx(0.3 * 960) and r["total_cost"] == pytest.approx(1.3 * 960)


def test_totals_are_the_sum_of_parts_on_a_mixed_roster():
    cfg = make_cfg(night_premium=0.15, on_cost=0.27)
    rows = [shift("2026-09-30 22:00:00", "2026-10-01 07:00:00", 8, ("2026-10-01 02:00:00", "2026-10-01 03:00:00"), agent="A2"),
            shift("2026-09-28 07:00:00", "2026-09-28 18:30:00", 10.5, ("2026-09-28 12:00:00", "2026-09-28 13:00:00")),
            shift("2026-10-03 13:00:00", "2026-10-03 22:30:00", 8.5, ("2026-10-03 17:00:00", "2026-10-03 18:00:00")),
            shift("2026-10-04 16:00:00", "2026-10-05 01:00:00", 8, ("2026-10-04 20:00:00", "2026-10-04 21:00:00"), queue="service")]
    c = cost(rows, cfg)
    parts = c[["base_cost", *PREMIUM_COLUMNS, "on_cost"]].sum(axis=1)
    assert np.allclose(c["total_cost"], parts, atol=0.005)
    hours = c[["regular_hours", "overtime_hours", "rest_day_hours", "holiday_hours"]].sum(axis=1)
    assert np.allclose(c["paid_hours"], hours)
    assert c["paid_hours"].sum() == pytest.approx(8 + 10.5 + 8.5 + 8)
    assert np.allclose(c["base_cost"], c["paid_hours"] * c["agent_id"].map({"A1": 40.0, "A2": 50.0}))


def test_unknown_agent_is_a_clear_error():
    with pytest.raises(InputError, match="X9.*not in the agent list"):
        cost([shift("2026-09-29 08:00:00", "2026-09-29 16:00:00", 8, agent="X9")])


def test_bad_timestamp_names_row_and_column():
    with pytest.raises(InputError, match="row 2, column 'shift_end'"):
        cost([shift("2026-09-29 08:00:00", "soon", 8)])


def test_empty_roster_gives_empty_costs():
    c = cost_roster(pd.DataFrame(columns=["agent_id", "queue", "shift_start", "shift_end", "paid_hours"]), AGENTS, make_cfg())
    assert list(c.columns) == COST_COLUMNS and len(c) == 0


def test_cost_summary_hand_computed():
    cfg = make_cfg(on_cost=0.1)  # interval 15 min in the demo config
    c = cost([shift("2026-09-30 09:00:00", "2026-09-30 17:00:00", 8), shift("2026-10-01 09:00:00", "2026-10-01 17:00:00", 8)], cfg)
    # Requirement: 2 agents for 4 intervals (1 h) on the workday, 1 agent for 4 intervals on the holiday,
    # plus 4 closed intervals with no calls.
    ts = list(pd.date_range("2026-09-30 09:00", periods=4, freq="15min")) + list(pd.date_range("2026-10-01 09:00", periods=8, freq="15min"))
    req = pd.DataFrame({"queue": "sales", "interval_start": ts, "offered": [10.0] * 8 + [0.0] * 4,
                        "scheduled_required": [2] * 4 + [1] * 4 + [0] * 4})
    s = cost_summary(c, req, cfg)
    total = 1.1 * (320 + 960)
    assert s["total_cost"] == pytest.approx(total) and s["base_cost"] == 640 and s["holiday_premium"] == 640
    assert s["paid_hours"] == 16 and s["forecast_calls"] == 80
    assert s["cost_per_call"] == pytest.approx(total / 80)
    assert s["days"] == 2 and s["weekly_cost"] == pytest.approx(total / (2 / 7))
    assert s["required_paid_hours"] == pytest.approx(2 * 1 + 1 * 1)
    # average rate 40; workday 2 agent-hours x 1, holiday 1 agent-hour x 3; on-cost 10%.
    assert s["requirement_cost"] == pytest.approx((2 * 40 + 1 * 40 * 3) * 1.1)
    assert s["efficiency"] == pytest.approx(total / ((2 * 40 + 120) * 1.1))
    bd = s["by_day"].set_index("date")
    assert list(bd.index) == [pd.Timestamp("2026-09-30"), pd.Timestamp("2026-10-01")]
    assert bd.loc["2026-10-01", "day_type"] == "holiday" and bd.loc["2026-10-01", "holiday_name"] == "National Day"
    assert bd["total_cost"].sum() == pytest.approx(total)
    assert s["by_queue"]["total_cost"].sum() == pytest.approx(total)
    assert set(s["by_day_type"]["day_type"]) == {"workday", "holiday"}


def test_cost_summary_without_roster_or_calls():
    req = pd.DataFrame({"queue": ["q"], "interval_start": [pd.Timestamp("2026-09-30 09:00")], "offered": [0.0],
                        "scheduled_required": [0]})
    s = cost_summary(cost_roster(pd.DataFrame(columns=["agent_id", "queue", "shift_start", "shift_end", "paid_hours"]),
                                 AGENTS, make_cfg()), req, make_cfg())
    assert s["total_cost"] == 0 and s["cost_per_call"] is None and s["efficiency"] is None and s["days"] == 1
    assert len(s["by_day"]) == 1

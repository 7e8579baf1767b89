import pandas as pd
import pytest

from wfm.calendar import day_calendar
from wfm.errors import ConfigError


def row(cal, d):
    return cal.set_index("date").loc[pd.Timestamp(d)]


def test_china_national_day_week_2025():
    # State Council notice for 2025: Oct 1-8 off (National Day + Mid-Autumn), Sep 28 (Sun) and Oct 11 (Sat) worked.
    cal = day_calendar(pd.date_range("2025-09-27", "2025-10-12"), "CN")
    assert row(cal, "2025-10-01").day_type == "holiday" and row(cal, "2025-10-01").is_statutory
    assert row(cal, "2025-09-28").is_makeup_workday and row(cal, "2025-09-28").day_type == "workday"
    assert row(cal, "2025-10-11").is_makeup_workday
    # A bridge day off: a public day off, but not a statutory holiday (200%, not 300%)
    assert row(cal, "2025-10-08").is_holiday and not row(cal, "2025-10-08").is_statutory
    assert row(cal, "2025-10-08").day_type == "rest_day"
    # The whole run of days off is one block, weekend days included
    block = cal.set_index("date").loc["2025-10-01":"2025-10-08", "holiday_block"]
    assert (block == "National Day").all()
    assert row(cal, "2025-10-09").holiday_block == ""


def test_other_country_every_holiday_statutory():
    cal = day_calendar(pd.date_range("2025-12-24", "2025-12-26"), "GB")
    assert row(cal, "2025-12-25").is_statutory and row(cal, "2025-12-25").day_type == "holiday"
    assert not row(cal, "2025-12-24").is_holiday


def test_unknown_country_is_config_error():
    with pytest.raises(ConfigError, match="site.country"):
        day_calendar(pd.date_range("2025-01-01", "2025-01-02"), "XX")


def test_week_working_share_national_day_2026():
    from wfm.calendar import week_working_share

    s = week_working_share(pd.to_datetime(["2026-09-21", "2026-09-28", "2026-10-05", "2026-10-12"]), "CN")
    # 2026: Mid-Autumn Festival on Friday Sep 25 (the make-up Sunday Sep 20 belongs to the week before);
    # Sep 28-30 work, Oct 1-3 statutory; Oct 5-7 days off, Oct 8-9 and make-up Saturday Oct 10 work
    assert list(s.round(2)) == [0.8, 0.6, 0.6, 1.0]


def test_the_weekend_is_the_country_s():
    """Israel rests on Friday and Saturday and works on Sunday; China and the US rest on Saturday and Sunday."""
    from wfm.calendar import weekend_days

    assert weekend_days("IL") == {4, 5}
    assert weekend_days("CN") == weekend_days("US") == {5, 6}
    # 1999-03-05 is a Friday, 03-06 a Saturday, 03-07 a Sunday (no holiday in Israel on those days)
    cal = day_calendar(pd.date_range("1999-03-05", "1999-03-07"), "IL").set_index("date")
    assert cal["day_type"].tolist() == ["rest_day", "rest_day", "workday"]
    cn = day_calendar(pd.date_range("2026-03-06", "2026-03-08"), "CN")
    assert cn["day_type"].tolist() == ["workday", "rest_day", "rest_day"]


def test_eves_are_the_working_days_just_before_a_holiday():
    il = day_calendar(pd.date_range("1999-03-28", "1999-05-23"), "IL").set_index("date")["is_eve"]
    # Erev Pesach, the eve of its seventh day, Remembrance Day before Independence Day, Erev Shavuot
    assert sorted(il.index[il].strftime("%Y-%m-%d")) == ["1999-03-31", "1999-04-06", "1999-04-20", "1999-05-20"]
    us = day_calendar(pd.date_range("2003-05-19", "2003-07-08"), "US").set_index("date")["is_eve"]
    # 3 July is one; the Friday before Memorial Day's long weekend is not (the weekend comes first)
    assert us.loc["2003-07-03"] and not us.loc["2003-05-23"] and us.sum() == 1
    # a day's eve status does not depend on whether the holiday itself was asked for
    assert day_calendar([pd.Timestamp("1999-05-20")], "IL")["is_eve"].item()


def test_day_calendar_is_built_once_per_set_of_days_and_handed_out_as_a_copy():
    from wfm.calendar import _day_calendar

    days = pd.date_range("2026-09-28", periods=28)
    a = day_calendar(days, "CN")
    a.loc[0, "holiday_name"] = "edited by a caller"
    hits = _day_calendar.cache_info().hits
    b = day_calendar(list(days)[::-1], "CN")  # the same days in another order: the same calendar
    assert _day_calendar.cache_info().hits == hits + 1
    assert b.loc[0, "holiday_name"] == "" and b["date"].is_monotonic_increasing
    fresh = _day_calendar.__wrapped__(tuple(days), "CN", None)
    assert b.equals(fresh) and (fresh["day_type"] == "holiday").sum() == 3  # National Day, 1-3 October

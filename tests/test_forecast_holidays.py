"""Holidays the history never saw: a stated prior, named in words with the events-file line that sets them."""

import numpy as np
import pandas as pd
import pytest

from wfm.forecast import forecast, load_events, unseen_holiday_notes
from wfm.history import load_history, validate_history

from test_forecast import WEEKDAY, periodic

NATIONAL_DAY = ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04", "2025-10-05", "2025-10-06", "2025-10-07",
                "2025-10-08"]  # China's National Day and Mid-Autumn block, 2025 (State Council notice)


def _daily(fc):
    return fc.groupby(fc["interval_start"].dt.normalize())["offered"].sum()


@pytest.mark.parametrize("model", ["calendar", "ets"])
def test_an_unseen_holiday_is_forecast_at_the_quietest_open_day_and_named(model):
    # eleven weeks without a holiday (CN, July to mid-September 2025), then four weeks with National Day
    hist = validate_history(periodic("2025-07-07", "2025-09-21"), interval_minutes=15)
    fc = forecast(hist, weeks=4, start="2025-09-22", country="CN", model=model)
    day = _daily(fc)
    quiet = 2000 * WEEKDAY.min()  # the series' quietest weekday level
    for d in NATIONAL_DAY:
        assert day.loc[d] == pytest.approx(quiet, rel=0.05)  # not an ordinary weekday's 2000 x WEEKDAY[w]
    assert day.loc["2025-10-09"] == pytest.approx(2000 * WEEKDAY[3], rel=0.05)  # the Thursday after: ordinary
    got = fc.attrs["unseen_holidays"]["q"]
    assert [d["date"] for d in got] == NATIONAL_DAY
    (note,) = unseen_holiday_notes(fc)
    assert "never saw" in note and "quietest open day" in note
    assert all(f"{d}," in note for d in NATIONAL_DAY)  # the events-file line of each date


def test_a_given_effect_sets_an_unseen_holiday_and_silences_its_note(tmp_path):
    hist = validate_history(periodic("2025-07-07", "2025-09-21"), interval_minutes=15)
    ev = tmp_path / "events.csv"
    ev.write_text("date,name,effect\n2025-10-01,National Day,0.3\n", encoding="utf-8")
    fc = forecast(hist, weeks=4, start="2025-09-22", country="CN", events=load_events(ev))
    day = _daily(fc)
    assert day.loc["2025-10-01"] == pytest.approx(0.3 * 2000 * WEEKDAY[2], rel=0.05)  # 0.3 x an ordinary Wednesday
    dates = [d["date"] for d in fc.attrs["unseen_holidays"]["q"]]
    assert "2025-10-01" not in dates and "2025-10-02" in dates


def test_a_seen_holiday_is_not_named(tmp_path):
    # two years of history hold National Day: nothing to say about the next one
    hist = validate_history(periodic("2023-09-04", "2025-09-21", holiday_factor=0.35), interval_minutes=15)
    fc = forecast(hist, weeks=4, start="2025-09-22", country="CN")
    assert fc.attrs["unseen_holidays"]["q"] == []
    assert unseen_holiday_notes(fc) == []


def test_pesach_without_an_earlier_holiday_on_the_israeli_bank(shared_dir):
    """The Israeli bank from January to March 1999 holds no holiday; Pesach (1999-04-01) took 122 calls, an
    ordinary Thursday about 1,600. Forecast as an ordinary day it was 1,603; now it is named and far lower."""
    frame = load_history(shared_dir / "data" / "il_bank_1999h1_30min.csv").frame
    hist = validate_history(frame[frame["interval_start"] < "1999-03-28"], interval_minutes=30)
    fc = forecast(hist, weeks=2, start="1999-03-28", country="IL", default_aht_s=180)
    day = _daily(fc)
    actual = frame.groupby(frame["interval_start"].dt.normalize())["offered"].sum()
    assert day.loc["1999-04-01"] < 0.25 * day.loc["1999-04-08"]  # an ordinary Thursday a week later
    assert abs(day.loc["1999-04-01"] - actual.loc["1999-04-01"]) < 0.2 * actual.loc["1999-04-08"]
    assert "1999-04-01" in [d["date"] for d in fc.attrs["unseen_holidays"]["bank"]]


@pytest.mark.parametrize("model", ["calendar", "ets"])
def test_the_eve_of_a_holiday_is_learned_as_its_weekday_times_one_effect(model):
    # two years in which the working day before every holiday takes half its weekday's calls
    hist = validate_history(periodic("2023-09-04", "2025-09-21", holiday_factor=0.35, eve_factor=0.5),
                            interval_minutes=15)
    fc = forecast(hist, weeks=4, start="2025-09-22", country="CN", model=model)
    day = _daily(fc)
    assert day.loc["2025-09-30"] == pytest.approx(0.5 * 2000 * WEEKDAY[1], rel=0.1)  # the eve: a half Tuesday
    assert day.loc["2025-09-23"] == pytest.approx(2000 * WEEKDAY[1], rel=0.05)  # an ordinary Tuesday stays whole


def test_erev_shavuot_on_the_israeli_bank_is_forecast_as_an_eve(shared_dir):
    """Before Shavuot (1999-05-21) the Israeli bank's history holds three eves (Erev Pesach, the eve of its
    seventh day, Remembrance Day before Independence Day), all short days. Erev Shavuot took 545 calls; as an
    ordinary Thursday it was forecast at 1,718."""
    frame = load_history(shared_dir / "data" / "il_bank_1999h1_30min.csv").frame
    hist = validate_history(frame[frame["interval_start"] < "1999-05-16"], interval_minutes=30)
    day = _daily(forecast(hist, weeks=1, start="1999-05-16", country="IL", default_aht_s=180))
    assert day.loc["1999-05-20"] < 0.6 * day.loc["1999-05-19"]  # well below the ordinary Wednesday before it
    assert abs(day.loc["1999-05-20"] - 545) < 0.5 * abs(1718 - 545)


def test_eves_like_ordinary_days_stay_ordinary_days():
    # no eve effect in the series: no parameter is spent on it, and the eve is forecast as its weekday
    from wfm.forecast import QueueForecaster, ForecastSettings

    hist = validate_history(periodic("2023-09-04", "2025-09-21", holiday_factor=0.35), interval_minutes=15)
    m = QueueForecaster(ForecastSettings(country="CN")).fit(hist)
    assert not m.daily_model_.eves_active_ and m.daily_model_.eve_effect_ == 0.0
    day = _daily(m.predict(pd.Timestamp("2025-09-22"), 14))
    assert day.loc["2025-09-30"] == pytest.approx(2000 * WEEKDAY[1], rel=0.02)


def test_an_unseen_holiday_s_prior_widens_its_interval_not_its_forecast():
    # a noise-free history without a holiday: the model itself is sure; the prior for National Day is not
    from wfm.forecast import ForecastSettings, QueueForecaster

    hist = validate_history(periodic("2025-07-07", "2025-09-21"), interval_minutes=15)
    m = QueueForecaster(ForecastSettings(country="CN")).fit(hist)
    days = pd.date_range("2025-09-22", "2025-10-19")
    d = m.daily_model_.predict(days, m.history_end_, 0.8)
    unseen = d.loc[pd.to_datetime(NATIONAL_DAY)]
    assert (unseen["sd_log"] >= 0.5 - 1e-9).all()  # the stated prior's sd (no holiday seen)
    assert (d.loc["2025-10-13":, "sd_log"] < 0.05).all()  # ordinary days after it: the model's own certainty
    # the 80% interval spans exp(+-1.28 x 0.5) around the prior, the forecast stays at the quietest day's level
    assert (unseen["hi"] / unseen["lo"] > np.exp(2 * 1.2 * 0.5)).all()
    assert unseen["mean"].to_numpy() == pytest.approx(np.full(len(unseen), 2000 * WEEKDAY.min()), rel=0.05)

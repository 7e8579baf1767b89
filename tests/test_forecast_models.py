"""The 'ets' and 'mstl' forecast models: exactness on periodic data, holidays, output contract, closed days."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wfm.forecast import FORECAST_COLUMNS, forecast
from wfm.history import load_history, validate_history

from test_forecast import periodic, wape

BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "bank_calls_5min.csv"


@pytest.mark.parametrize("model", ["ets", "mstl"])
def test_pure_weekly_periodic_series_is_forecast_almost_exactly(model):
    hist = periodic("2025-03-03", "2025-05-11")
    truth = periodic("2025-05-12", "2025-05-25")
    fc = forecast(validate_history(hist, interval_minutes=15), weeks=2, country="CN", model=model)
    assert (fc["interval_start"].to_numpy() == truth["interval_start"].to_numpy()).all()
    assert wape(fc["offered"].to_numpy(), truth["offered"].to_numpy()) < 0.02
    assert fc.attrs["models"]["q"] == model


def test_ets_recovers_planted_holiday_effect():
    hist = periodic("2023-09-04", "2025-09-21", holiday_factor=0.35)
    truth = periodic("2025-09-22", "2025-10-19", holiday_factor=0.35)
    fc = forecast(validate_history(hist, interval_minutes=15), weeks=4, country="CN", model="ets")
    day = fc.groupby(fc["interval_start"].dt.normalize())["offered"].sum()
    true_day = truth.groupby(truth["interval_start"].dt.normalize())["offered"].sum()
    ratio = day.loc["2025-10-01":"2025-10-08"] / true_day.loc["2025-10-01":"2025-10-08"]
    assert len(ratio) == 8 and ratio.between(0.9, 1.1).all(), ratio


@pytest.fixture(scope="module")
def bank():
    if not BANK.exists():
        pytest.skip("bank_calls_5min.csv not present")
    return load_history(BANK)


@pytest.mark.parametrize("model", ["ets", "mstl"])
def test_bank_output_contract_and_closed_weekdays(bank, model):
    fc = forecast(bank, weeks=1, country="US", default_aht_s=300, model=model)
    assert list(fc.columns) == FORECAST_COLUMNS
    assert len(fc) > 0 and not fc.isna().any().any()
    assert (fc["offered_lo"] <= fc["offered"] + 1e-9).all() and (fc["offered"] <= fc["offered_hi"] + 1e-9).all()
    assert (fc["offered_lo"] < fc["offered_hi"]).any()  # a real interval, not a point
    assert set(fc["interval_start"].dt.day_of_week) <= {0, 1, 2, 3, 4}  # no rows on the closed weekend
    tod = fc["interval_start"] - fc["interval_start"].dt.normalize()
    seen = bank.frame["interval_start"] - bank.frame["interval_start"].dt.normalize()
    assert set(tod) <= set(seen) and tod.min() >= pd.Timedelta(hours=7)  # only the bank's open hours
    # Same scale as the history's recent week (a sanity bound, not a fit criterion)
    last = bank.frame[bank.frame["interval_start"] > bank.end - pd.Timedelta(days=7)]["offered"].sum()
    assert 0.5 < fc["offered"].sum() / last < 2.0


@pytest.mark.parametrize("model", ["ets", "mstl"])
def test_deterministic(model):
    rng = np.random.default_rng(3)
    hist = periodic("2025-01-06", "2025-05-11")
    hist["offered"] = rng.poisson(hist["offered"]).astype(float)
    h = validate_history(hist, interval_minutes=15)
    a = forecast(h, weeks=1, country="CN", model=model)
    b = forecast(h, weeks=1, country="CN", model=model)
    pd.testing.assert_frame_equal(a, b)

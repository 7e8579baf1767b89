"""Interval-level forecast of offered calls and handle time.

Method (the classic top-down method of workforce planners, with a statistical model for the days):
1. Daily totals: a regression of log(1 + calls per day) on calendar features, with AR(1) errors, fitted
   by statsmodels' SARIMAX (state space, so missing days are handled). Features: level and linear trend,
   yearly Fourier terms (when there is at least a year of history), weekday, one effect per public-holiday
   block (a run of days off containing a holiday: the weekend inside National Day week is as quiet as the
   holidays around it) and make-up working days. A holiday never seen in the history gets the average
   holiday effect.
2. Intraday split: the day's total is spread over intervals by the profile of its day type (the weekday,
   or 'holiday block', or 'make-up day'), learned from the recent ``profile_weeks`` of history.
3. Prediction interval: the daily model's uncertainty (log-normal) combined with the interval-level
   noise around the profile (over-dispersed Poisson, dispersion measured on the recent history).
4. Handle time: volume-weighted mean AHT per day type and interval of day over the recent weeks.

Closed days of the week (never open in history) and closed intervals of the day get no forecast rows.

Parts: ``interface`` (the forecast format, :class:`ForecastSettings`, the :class:`Forecaster` protocol),
``daily`` (models of daily totals), ``models`` (the forecasters of one queue, ``MODELS``), ``auto`` (the
per-queue choice by backtest), ``events`` (the events file), ``backtest`` (rolling-origin backtest, the
report's backtest file), ``plot`` (charts). This module runs a forecaster on every queue of a history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..history import History, split_history
from .auto import AUTO_ORIGINS, AutoForecaster, make_forecaster
from .backtest import (
    BACKTEST_BASELINE, BACKTEST_COLUMNS, BACKTEST_FILE, BACKTEST_ORIGINS, BACKTEST_WEEKS, BacktestResult, backtest,
    forecast_backtest, origins_of, write_forecast_backtest,
)
from .daily import DailyModel, EtsDailyModel
from .events import load_events
from .interface import FORECAST_COLUMNS, MIN_HISTORY_DAYS, Forecaster, ForecastSettings, settings_with
from .models import MODELS, EtsForecaster, MstlForecaster, QueueForecaster, SeasonalNaive, check_start, fit_predict
from .plot import MODEL_COLORS, plot_backtest, plot_forecast
from .reforecast import Carryover, QueueUpdate, learn_carryover, reforecast

__all__ = [
    "AUTO_ORIGINS", "AutoForecaster", "BACKTEST_BASELINE", "BACKTEST_COLUMNS", "BACKTEST_FILE", "BACKTEST_ORIGINS",
    "BACKTEST_WEEKS", "BacktestResult", "Carryover", "DAY_KEYS", "DailyModel", "EtsDailyModel", "EtsForecaster",
    "FORECAST_COLUMNS", "Forecaster", "ForecastSettings", "MIN_HISTORY_DAYS", "MODELS", "MODEL_COLORS", "MstlForecaster",
    "QueueForecaster", "QueueUpdate", "SeasonalNaive", "aggregate_forecast", "apply_opening_hours", "backtest",
    "check_start", "default_start", "fit_predict", "forecast", "forecast_backtest", "forecast_from_config",
    "learn_carryover", "load_events", "make_forecaster", "origins_of", "plot_backtest", "plot_forecast", "reforecast",
    "settings_with", "unseen_holiday_notes", "write_forecast_backtest",
]


def default_start(history: History) -> pd.Timestamp:
    """The day after the history's last day."""
    return history.end.normalize() + pd.Timedelta(days=1)


def forecast(history: History, settings: ForecastSettings | None = None, *, progress=None,
             **overrides) -> pd.DataFrame:
    """Forecast every queue of ``history`` for ``settings.weeks`` weeks from ``settings.start`` (default: the
    day after history), each queue by its own fitted ``settings.model``, then cut to ``settings.opening_hours``.

    ``settings``: default ``ForecastSettings()``; keyword ``overrides`` replace its fields, e.g.
    ``forecast(history, weeks=2, country='US', model='ets')``. Models: 'calendar' (the holiday-aware
    regression, default), 'seasonal_naive' (last week repeated), 'ets' (Holt-Winters on daily totals with
    explicit holiday factors), 'mstl' (MSTL on the interval series) or 'auto' (per queue, the one with the
    lowest WAPE over the last few weekly backtest origins, all models). With ``clean_outliers`` outlier days
    are fitted as missing. ``progress(text)`` is told as each queue starts.
    Returns :data:`FORECAST_COLUMNS`: offered in calls per interval (mean, and the ``level`` prediction
    interval), ``aht_s`` in seconds; ``attrs['models']`` (queue -> model used), ``attrs['outliers']``
    (queue -> outlier days, YYYY-MM-DD) and ``attrs['unseen_holidays']`` (queue -> the horizon's days in a
    holiday block the history never saw, with the prior used: :meth:`DailyModel.unseen_holidays`).
    """
    s = settings_with(settings, overrides)
    if s.model not in MODELS and s.model != "auto":
        raise InputError(f"unknown forecast model '{s.model}' (use one of {', '.join([*MODELS, 'auto'])})")
    start = default_start(history) if s.start is None else pd.Timestamp(s.start).normalize()
    out = []
    chosen = {}
    outliers = {}
    unseen = {}
    for one in split_history(history):
        q = one.queues[0]
        if progress:
            progress(f"forecast {q}")
        model = make_forecaster(s.model, s).fit(one)
        check_start(start, model, history.source)
        out.append(model.predict(start, s.weeks * 7))
        chosen[q] = model.name
        outliers[q] = [d.strftime("%Y-%m-%d") for d in getattr(model, "outliers_", [])]
        dm = getattr(getattr(model, "chosen_", model), "daily_model_", None)
        unseen[q] = dm.unseen_holidays(pd.date_range(start, periods=s.weeks * 7)) if dm is not None else []
    res = pd.concat(out, ignore_index=True)[FORECAST_COLUMNS]
    res = res.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    res = apply_opening_hours(res, s.opening_hours, history.interval_minutes)
    res.attrs["models"] = chosen
    res.attrs["outliers"] = outliers
    res.attrs["unseen_holidays"] = unseen
    return res


def unseen_holiday_notes(fc: pd.DataFrame) -> list[str]:
    """One sentence per queue naming the forecast's days in a holiday the history never saw
    (``fc.attrs['unseen_holidays']``), the prior they were forecast with and the events-file line that sets
    each (an effect is a multiplier on an ordinary day's calls)."""
    notes = []
    for q, days in sorted((fc.attrs.get("unseen_holidays") or {}).items()):
        if not days:
            continue
        listed = ", ".join(f"{d['date']} ({d['holiday']})" for d in days)
        lines = "; ".join(f"{d['date']},{d['holiday']},EFFECT" for d in days)
        notes.append(f"queue '{q}': {listed}: holiday(s) the history never saw, forecast at {days[0]['prior']}. "
                     f"To set them, add to the events file (EFFECT: a multiplier on an ordinary day's calls, "
                     f"e.g. 0.1): {lines}")
    return notes


def forecast_from_config(history: History, cfg, progress=None) -> pd.DataFrame:
    """``forecast`` with :meth:`ForecastSettings.from_config` (site country, forecast section, opening hours)."""
    return forecast(history, ForecastSettings.from_config(cfg), progress=progress)


DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def apply_opening_hours(fc: pd.DataFrame, opening_hours: dict[str, str] | None, interval_minutes: int) -> pd.DataFrame:
    """Keep only the forecast intervals inside the opening hours (keys mon..sun, optionally holiday; values
    'HH:MM-HH:MM' or 'closed'; a day not named keeps its learned hours). An interval is open when it starts
    at or after the opening time and ends by the closing time."""
    if not opening_hours:
        return fc
    t = fc["interval_start"]
    minute = ((t - t.dt.normalize()) / pd.Timedelta(minutes=1)).to_numpy()
    keys = np.array(DAY_KEYS)[t.dt.day_of_week.to_numpy()]
    if "holiday" in opening_hours:
        keys = np.where(fc["is_holiday"].to_numpy(bool), "holiday", keys)
    keep = np.ones(len(fc), dtype=bool)
    for key, val in opening_hours.items():
        sel = keys == key
        text = str(val).strip().lower()
        if text == "closed":
            keep[sel] = False
            continue
        a, b = text.split("-")
        lo = int(a.split(":")[0]) * 60 + int(a.split(":")[1])
        hi = int(b.split(":")[0]) * 60 + int(b.split(":")[1])
        keep[sel] = (minute[sel] >= lo) & (minute[sel] + interval_minutes <= hi)
    return fc[keep].reset_index(drop=True)


def aggregate_forecast(fc: pd.DataFrame, minutes: int) -> pd.DataFrame:
    """Sum a forecast to longer intervals (e.g. 15 -> 30 or 60 min): calls add up, AHT is the volume-weighted
    mean, and the interval bounds are the sums of the bounds (a conservative, wider interval)."""
    df = fc.copy()
    df["interval_start"] = df["interval_start"].dt.floor(f"{minutes}min")
    df["w_aht"] = df["aht_s"] * df["offered"]
    g = df.groupby(["queue", "interval_start"], sort=True)
    out = g.agg(offered=("offered", "sum"), offered_lo=("offered_lo", "sum"), offered_hi=("offered_hi", "sum"),
                w_aht=("w_aht", "sum"), aht_mean=("aht_s", "mean"), is_holiday=("is_holiday", "max")).reset_index()
    out["aht_s"] = np.where(out["offered"] > 0, out["w_aht"] / out["offered"].where(out["offered"] > 0, 1), out["aht_mean"])
    return out[FORECAST_COLUMNS]


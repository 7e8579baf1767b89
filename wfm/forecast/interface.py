"""What every forecaster shares: the forecast format, the settings and the ``Forecaster`` protocol."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pandas as pd

if TYPE_CHECKING:
    from ..config import Config
    from ..history import History

FORECAST_COLUMNS = ["queue", "interval_start", "offered", "offered_lo", "offered_hi", "aht_s", "is_holiday"]
MIN_HISTORY_DAYS = 28  # four weeks: the least that shows a weekly pattern with some repetition


# eq=False: ``events`` is a DataFrame, which has no truth value to compare by; two settings are the same
# object or different ones.
@dataclass(frozen=True, eq=False)
class ForecastSettings:
    """The forecast settings of a run, shared by :func:`wfm.forecast.forecast`, :func:`wfm.forecast.backtest`,
    the CLI and the report's backtest; ``from_config`` reads them from a Config once.

    Model settings (every forecaster and the backtest): ``country`` / ``subdivision`` (ISO codes of the
    holiday calendar), ``level`` (coverage of the prediction interval, 0..1), ``profile_weeks`` (recent weeks
    behind the intraday and AHT profiles), ``default_aht_s`` (handle time [s] when the history has none),
    ``events`` (``date, name, effect``, see :func:`wfm.forecast.load_events`; data, not a path, so that it
    travels to Dask workers), ``clean_outliers`` (outlier days fitted as missing).
    Forecast run (not the backtest, which has its own origins, weeks and models): ``model`` (a name in
    ``MODELS`` or 'auto'), ``weeks`` (horizon), ``start`` (first day; None: the day after history),
    ``opening_hours`` (see :func:`wfm.forecast.apply_opening_hours`; None: as learned from history).
    """

    country: str = "CN"
    subdivision: str | None = None
    level: float = 0.8
    profile_weeks: int = 8
    default_aht_s: float | None = None
    events: pd.DataFrame | None = None
    clean_outliers: bool = True
    model: str = "calendar"
    weeks: int = 4
    start: str | pd.Timestamp | None = None
    opening_hours: dict[str, str] | None = None

    @classmethod
    def from_config(cls, cfg: Config, **overrides) -> ForecastSettings:
        """Settings from a Config (site country and subdivision, the forecast section; the events file is read
        here). ``overrides``: fields to replace, e.g. command-line options; None means not given."""
        from .events import load_events

        f = cfg.forecast
        s = cls(country=cfg.site.country, subdivision=cfg.site.subdivision, level=f.prediction_level,
                profile_weeks=f.profile_weeks, default_aht_s=f.default_aht_s,
                events=load_events(f.events_file) if f.events_file else None, clean_outliers=f.clean_outliers,
                model=f.model, weeks=f.weeks, start=f.start,
                opening_hours=dict(f.opening_hours) if f.opening_hours else None)
        return s.replace(**{k: v for k, v in overrides.items() if v is not None})

    def replace(self, **changes) -> ForecastSettings:
        """A copy with ``changes`` (field names; TypeError for any other)."""
        return dataclasses.replace(self, **changes) if changes else self


def settings_with(settings: ForecastSettings | None, overrides: dict) -> ForecastSettings:
    """``settings`` (default: ``ForecastSettings()``) with the keyword ``overrides`` of a call."""
    return (settings if settings is not None else ForecastSettings()).replace(**overrides)


@runtime_checkable
class Forecaster(Protocol):
    """A model for one queue: ``fit`` on its history, then ``predict`` any number of days after it.

    ``predict`` returns the forecast format (:data:`FORECAST_COLUMNS`): ``offered`` calls per interval with
    the ``offered_lo`` / ``offered_hi`` prediction interval, ``aht_s`` [s], ``is_holiday``; closed intervals
    and days have no rows. ``history_end_`` (the last day fitted) and ``name`` (the model's name in
    ``MODELS``) are set by ``fit``.
    """

    name: str
    history_end_: pd.Timestamp | None

    def fit(self, history: History) -> Forecaster: ...

    def predict(self, start: pd.Timestamp, days: int) -> pd.DataFrame: ...

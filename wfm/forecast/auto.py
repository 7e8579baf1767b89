"""'auto': per queue, the model with the lowest WAPE over the last few weekly backtest origins."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import InputError
from ..history import History
from .backtest import backtest
from .interface import ForecastSettings
from .models import MODELS

AUTO_ORIGINS = 3  # rolling one-week origins used to choose a model per queue when model='auto'


@dataclass
class AutoForecaster:
    """A :class:`~wfm.forecast.Forecaster` that backtests every model of ``MODELS`` on the queue's history
    (:data:`AUTO_ORIGINS` one-week origins), keeps the one with the lowest WAPE (ties: by name) and forecasts
    with it, fitted on the whole history. ``chosen_``: that fitted model."""

    settings: ForecastSettings = field(default_factory=ForecastSettings)
    chosen_: object = None

    def fit(self, history: History) -> AutoForecaster:
        """Choose and fit on ``history`` (one queue). Returns self."""
        bt = backtest(history, origins=AUTO_ORIGINS, weeks=1, models=tuple(MODELS), settings=self.settings)
        best = str(bt.metrics.sort_values(["wape", "model"]).iloc[0]["model"])
        self.chosen_ = MODELS[best](self.settings).fit(history)
        return self

    @property
    def name(self) -> str:
        """The chosen model's name ('auto' before fitting)."""
        return self.chosen_.name if self.chosen_ is not None else "auto"

    @property
    def history_end_(self) -> pd.Timestamp | None:
        return self.chosen_.history_end_ if self.chosen_ is not None else None

    @property
    def outliers_(self) -> pd.DatetimeIndex:
        return getattr(self.chosen_, "outliers_", pd.DatetimeIndex([]))

    def predict(self, start: pd.Timestamp, days: int) -> pd.DataFrame:
        """The chosen model's forecast (:data:`~wfm.forecast.FORECAST_COLUMNS`)."""
        return self.chosen_.predict(start, days)


def make_forecaster(name: str, settings: ForecastSettings):
    """An unfitted forecaster: ``MODELS[name]`` or, for 'auto', an :class:`AutoForecaster`. InputError for an
    unknown name."""
    if name == "auto":
        return AutoForecaster(settings)
    if name not in MODELS:
        raise InputError(f"unknown forecast model '{name}' (use one of {', '.join([*MODELS, 'auto'])})")
    return MODELS[name](settings)

"""Rolling-origin backtest of the forecasters, and the short backtest of a run's forecast for its report.

Each origin fits on the history before it and forecasts with the same code as :func:`wfm.forecast.forecast`;
the metrics compare with what came in: WAPE, MAPE, MASE, bias and the prediction interval's coverage.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..history import History, split_history
from ..io import write_csv
from .interface import MIN_HISTORY_DAYS, ForecastSettings, settings_with
from .models import MODELS, fit_predict


@dataclass(frozen=True)
class BacktestResult:
    """Rolling-origin backtest.

    ``intervals``: ``model, queue, origin, interval_start, offered, offered_lo, offered_hi, actual, horizon_day``.
    ``metrics``: per model and queue: ``wape`` (sum |f-a| / sum a), ``mape`` (mean |f-a|/a over intervals with
    calls), ``mase`` (MAE / in-sample MAE of the one-week seasonal naive), ``bias`` (sum(f-a) / sum a),
    ``coverage`` (share of actuals inside the prediction interval), ``level``, ``intervals``.
    ``by_day``: ``model, horizon_day, wape, bias`` over all queues and origins.
    """

    intervals: pd.DataFrame
    metrics: pd.DataFrame
    by_day: pd.DataFrame


def _metrics(g: pd.DataFrame) -> pd.Series:
    err = g["offered"] - g["actual"]
    pos = g["actual"] > 0
    return pd.Series({
        "wape": float(err.abs().sum() / g["actual"].sum()) if g["actual"].sum() > 0 else np.nan,
        "mape": float((err[pos].abs() / g.loc[pos, "actual"]).mean()) if pos.any() else np.nan,
        "mase": float(err.abs().mean() / g["scale"].iloc[0]) if g["scale"].iloc[0] > 0 else np.nan,
        "bias": float(err.sum() / g["actual"].sum()) if g["actual"].sum() > 0 else np.nan,
        "coverage": float(((g["actual"] >= g["offered_lo"]) & (g["actual"] <= g["offered_hi"])).mean()),
        "intervals": int(len(g)),
    })


def origins_of(history: History, origins: int, weeks: int) -> list[pd.Timestamp]:
    """The ``origins`` weekly origins of a backtest of ``weeks`` weeks: the last one's horizon ends on the
    history's last day, earlier ones step back a week each. InputError when the first has under
    ``MIN_HISTORY_DAYS`` days of history before it."""
    last_origin = history.end.normalize() + pd.Timedelta(days=1) - pd.Timedelta(weeks=weeks)
    starts = [last_origin - pd.Timedelta(weeks=k) for k in range(origins - 1, -1, -1)]
    if starts[0] - history.start.normalize() < pd.Timedelta(days=MIN_HISTORY_DAYS):
        raise InputError(
            f"history from {history.start:%Y-%m-%d} to {history.end:%Y-%m-%d} is too short for {origins} origin(s) of "
            f"{weeks} week(s): each origin needs {MIN_HISTORY_DAYS} days before it",
            file=history.source,
        )
    return starts


def backtest(
    history: History,
    origins: int = 4,
    weeks: int = 1,
    models: tuple[str, ...] | None = None,
    settings: ForecastSettings | None = None,
    *,
    progress=None,
    **overrides,
) -> BacktestResult:
    """Rolling-origin backtest: for each of the last ``origins`` weekly origins (:func:`origins_of`), fit on the
    history before it and forecast ``weeks`` weeks, with the same code as ``forecast``. ``models``: names in
    ``MODELS`` (default: all). ``settings`` (default ``ForecastSettings()``) with keyword ``overrides`` of its
    fields (e.g. ``country='US'``); its model settings are used, not its model, weeks, start or opening hours."""
    models = tuple(MODELS) if models is None else tuple(models)  # default: every model
    s = settings_with(settings, overrides)
    starts = origins_of(history, origins, weeks)
    actual = history.frame.set_index(["queue", "interval_start"])["offered"]
    parts = []
    for one in split_history(history):
        q, frame = one.queues[0], one.frame
        for o in starts:
            train = frame[frame["interval_start"] < o]
            ts = train.set_index("interval_start")["offered"]
            lagged = ts.reindex(ts.index - pd.Timedelta(days=7)).to_numpy()
            scale = float(np.nanmean(np.abs(ts.to_numpy() - lagged)))
            before = History(train, history.interval_minutes, history.gaps.iloc[0:0], history.source)
            for name in models:
                if progress:
                    progress(f"backtest {q} {o:%Y-%m-%d} {name}")
                p, _ = fit_predict(name, before, o, weeks * 7, s)
                p["actual"] = actual.reindex(list(zip([q] * len(p), p["interval_start"]))).to_numpy()
                p = p[p["actual"].notna()]
                p.insert(1, "origin", o)
                p.insert(0, "model", name)
                p["horizon_day"] = (p["interval_start"].dt.normalize() - o).dt.days + 1
                p["scale"] = scale
                parts.append(p)
    iv = pd.concat(parts, ignore_index=True)
    metrics = iv.groupby(["model", "queue"]).apply(_metrics, include_groups=False).reset_index()
    metrics["level"] = s.level
    by_day = iv.groupby(["model", "horizon_day"]).apply(
        lambda g: pd.Series({"wape": float((g["offered"] - g["actual"]).abs().sum() / g["actual"].sum()),
                             "bias": float((g["offered"] - g["actual"]).sum() / g["actual"].sum())}),
        include_groups=False).reset_index()
    return BacktestResult(intervals=iv.drop(columns="scale"), metrics=metrics, by_day=by_day)


BACKTEST_FILE = "forecast_backtest.csv"
BACKTEST_ORIGINS = 2  # short on purpose: the demo pays for every origin with a model fit per queue
BACKTEST_WEEKS = 1
BACKTEST_BASELINE = "seasonal_naive"
BACKTEST_COLUMNS = ["queue", "model", "used", "origins", "first_origin", "last_origin", "weeks", "intervals",
                    "actual_calls", "forecast_calls", "wape", "bias", "coverage", "level", "mape", "mase"]


def forecast_backtest(history: History, settings: ForecastSettings, used: dict[str, str] | None = None,
                      origins: int = BACKTEST_ORIGINS, weeks: int = BACKTEST_WEEKS) -> pd.DataFrame:
    """Backtest accuracy of the forecast a run used, for the report: per queue, the model that forecast it
    (``used``: queue -> model, e.g. ``forecast.attrs['models']``; default ``settings.model``) and the
    seasonal-naive baseline, by :func:`backtest` (the code of ``wfm backtest`` and of ``model: auto``) over
    the last ``origins`` weekly origins of ``weeks`` week(s), with the run's forecast ``settings``.

    Returns :data:`BACKTEST_COLUMNS`, one row per queue and model: ``used`` (this model made the run's
    forecast), ``origins`` and the ``first_origin`` / ``last_origin`` dates, ``weeks``, ``intervals``
    scored, ``actual_calls`` and ``forecast_calls`` (sums over them), ``wape`` (sum |f - a| / sum a),
    ``bias`` ((sum f - sum a) / sum a), ``coverage`` (share of actual interval counts inside the
    ``level`` prediction interval), ``mape`` and ``mase`` (see :class:`BacktestResult`).
    Raises InputError when the history is too short for the origins.
    """
    rows = []
    for one in split_history(history):
        q = one.queues[0]
        model = (used or {}).get(q, settings.model)
        if model == "auto":
            raise ValueError("forecast_backtest needs the model each queue used (forecast.attrs['models'])")
        models = tuple(dict.fromkeys([model, BACKTEST_BASELINE]))
        bt = backtest(one, origins=origins, weeks=weeks, models=models, settings=settings)
        iv = bt.intervals
        for m in models:
            met = bt.metrics[(bt.metrics["model"] == m) & (bt.metrics["queue"] == q)].iloc[0]
            part = iv[iv["model"] == m]
            rows.append({"queue": str(q), "model": m, "used": m == model, "origins": int(part["origin"].nunique()),
                         "first_origin": part["origin"].min(), "last_origin": part["origin"].max(), "weeks": weeks,
                         "intervals": int(len(part)), "actual_calls": float(part["actual"].sum()),
                         "forecast_calls": float(part["offered"].sum()),
                         **{k: float(met[k]) for k in ("wape", "bias", "coverage", "level", "mape", "mase")}})
    return pd.DataFrame(rows, columns=BACKTEST_COLUMNS)


def write_forecast_backtest(history: History, settings: ForecastSettings, forecast: pd.DataFrame | None,
                            run_dir: Path) -> dict:
    """Run :func:`forecast_backtest` for the models ``forecast`` used (its ``attrs['models']``) and write
    :data:`BACKTEST_FILE` into ``run_dir`` atomically. Returns what summary.json records under
    ``forecast.backtest``: the file, origins, weeks and seconds taken, or a ``note`` saying why there is no
    backtest (history too short, a model failing); never raises for those."""
    t0 = time.perf_counter()
    used = dict((forecast.attrs.get("models") or {}) if forecast is not None else {})
    try:
        table = forecast_backtest(history, settings, used or None)
    except (InputError, ValueError) as err:
        return {"note": f"No forecast backtest: {err}"}
    write_csv(table, Path(run_dir) / BACKTEST_FILE)
    return {"file": BACKTEST_FILE, "origins": BACKTEST_ORIGINS, "weeks": BACKTEST_WEEKS,
            "seconds": round(time.perf_counter() - t0, 1)}

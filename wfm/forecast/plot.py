"""Charts of a forecast and of a backtest (matplotlib, imported when a chart is drawn)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..history import History
from ..text import chart_text, plain_text_chart

if TYPE_CHECKING:
    from .backtest import BacktestResult

# one fixed colour per model, so that a chart shows every model and a model keeps its colour across charts
MODEL_COLORS = {"calendar": "#1f6fb2", "ets": "#d9822b", "mstl": "#3a9d5d", "seasonal_naive": "#8c4fa3"}


@plain_text_chart
def plot_backtest(bt: BacktestResult):
    """Matplotlib figure: hourly forecast versus actual over the backtest horizons, per queue, every model."""
    import matplotlib.pyplot as plt

    iv = bt.intervals
    queues = sorted(iv["queue"].unique())
    fig, axes = plt.subplots(len(queues), 1, figsize=(12, 3.2 * len(queues)), squeeze=False)
    for ax, q in zip(axes[:, 0], queues):
        g = iv[iv["queue"] == q]
        act = g.drop_duplicates("interval_start").set_index("interval_start")["actual"].resample("h").sum(min_count=1)
        ax.plot(act.index, act.to_numpy(), color="#222", lw=0.8, label="actual")
        for name in sorted(g["model"].unique()):
            f = g[g["model"] == name].groupby("interval_start")["offered"].mean().resample("h").sum(min_count=1)
            ax.plot(f.index, f.to_numpy(), color=MODEL_COLORS.get(name, "#7f7f7f"), lw=0.8, label=name,
                    ls="--" if name == "seasonal_naive" else "-")  # the baseline, dashed
        ax.set_title(f"{chart_text(q)}: calls per hour, backtest", loc="left", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, ncols=len(ax.get_lines()))
    fig.tight_layout()
    return fig


@plain_text_chart
def plot_forecast(history: History, fc: pd.DataFrame, days_back: int = 14):
    """Matplotlib figure: the last ``days_back`` days of history and the forecast with its interval, hourly."""
    import matplotlib.pyplot as plt

    queues = sorted(fc["queue"].unique())
    fig, axes = plt.subplots(len(queues), 1, figsize=(12, 3.2 * len(queues)), squeeze=False)
    for ax, q in zip(axes[:, 0], queues):
        h = history.frame[history.frame["queue"] == q]
        h = h[h["interval_start"] >= history.end.normalize() - pd.Timedelta(days=days_back - 1)]
        hh = h.set_index("interval_start")["offered"].resample("h").sum(min_count=1)
        f = fc[fc["queue"] == q].set_index("interval_start")
        fh = f[["offered", "offered_lo", "offered_hi"]].resample("h").sum(min_count=1)
        ax.plot(hh.index, hh.to_numpy(), color="#444", lw=0.8, label="history")
        ax.plot(fh.index, fh["offered"].to_numpy(), color="#1f6fb2", lw=0.9, label="forecast")
        ax.fill_between(fh.index, fh["offered_lo"].to_numpy(), fh["offered_hi"].to_numpy(), color="#1f6fb2", alpha=0.2,
                        lw=0, label="prediction interval (sum of interval bounds)")
        for d in fc.loc[(fc["queue"] == q) & fc["is_holiday"], "interval_start"].dt.normalize().unique():
            ax.axvspan(d, d + pd.Timedelta(days=1), color="#e8a33d", alpha=0.15, lw=0)
        ax.set_title(f"{chart_text(q)}: calls per hour", loc="left", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, ncols=3)
    fig.tight_layout()
    return fig

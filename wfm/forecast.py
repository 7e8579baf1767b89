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
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from .calendar import day_calendar
from .errors import InputError
from .history import History

MIN_HISTORY_DAYS = 28  # four weeks: the least that shows a weekly pattern with some repetition
YEARLY_FOURIER_K = 3
MIN_YEARLY_DAYS = 365  # yearly terms only once a full year has been seen
MIN_AHT_CALLS = 30  # below this many calls behind an interval's AHT estimate, fall back to coarser ones
FORECAST_COLUMNS = ["queue", "interval_start", "offered", "offered_lo", "offered_hi", "aht_s", "is_holiday"]


def _day_keys(cal: pd.DataFrame) -> pd.Series:
    """Day type used for intraday profiles: 'block', 'makeup' or 'wd<weekday>'."""
    key = "wd" + cal["weekday"].astype(str)
    key = key.where(cal["holiday_block"] == "", "block")
    key = key.where(~cal["is_makeup_workday"], "makeup")
    return key


@dataclass
class DailyModel:
    """SARIMAX regression for one queue's daily totals (log scale)."""

    country: str = "CN"
    subdivision: str | None = None
    fourier_k: int = YEARLY_FOURIER_K

    columns_: list[str] = field(default_factory=list)
    blocks_: list[str] = field(default_factory=list)
    open_weekdays_: list[int] = field(default_factory=list)
    start_: pd.Timestamp | None = None
    result_: object = None

    def _design(self, cal: pd.DataFrame) -> pd.DataFrame:
        t = (cal["date"] - self.start_).dt.days.to_numpy() / 365.25
        X = {"const": np.ones(len(cal)), "trend": t}
        if self.fourier_k:
            doy = cal["date"].dt.day_of_year.to_numpy()
            for k in range(1, self.fourier_k + 1):
                X[f"sin{k}"] = np.sin(2 * np.pi * k * doy / 365.25)
                X[f"cos{k}"] = np.cos(2 * np.pi * k * doy / 365.25)
        special = (cal["holiday_block"] != "") | cal["is_makeup_workday"]
        for w in self.open_weekdays_[1:]:  # the first open weekday is the reference level
            X[f"wd{w}"] = ((cal["weekday"] == w) & ~special).to_numpy(float)
        X["makeup"] = cal["is_makeup_workday"].to_numpy(float)
        blk = cal["holiday_block"].to_numpy()
        for b in self.blocks_:
            X[f"block:{b}"] = (blk == b).astype(float)
        # A holiday block never seen in the history gets the average effect of those seen.
        unseen = (blk != "") & ~np.isin(blk, self.blocks_)
        if self.blocks_ and unseen.any():
            for b in self.blocks_:
                X[f"block:{b}"][unseen] = 1.0 / len(self.blocks_)
        return pd.DataFrame(X, index=cal["date"].to_numpy())

    def fit(self, daily: pd.Series) -> "DailyModel":
        """daily: calls per day indexed by consecutive dates (NaN = missing or closed)."""
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        self.start_ = daily.index[0]
        cal = day_calendar(daily.index, self.country, self.subdivision)
        present = daily.notna().to_numpy()
        self.blocks_ = sorted(set(cal.loc[present & (cal["holiday_block"] != "").to_numpy(), "holiday_block"]))
        ordinary = present & (cal["holiday_block"] == "").to_numpy() & ~cal["is_makeup_workday"].to_numpy()
        counts = cal.loc[ordinary, "weekday"].value_counts()
        weeks = max(1.0, len(daily) / 7)
        self.open_weekdays_ = sorted(int(w) for w in counts.index if counts[w] >= 0.5 * weeks * (ordinary.sum() / max(1, present.sum())))
        span = (daily.index[-1] - daily.index[0]).days + 1
        if span < MIN_YEARLY_DAYS:
            self.fourier_k = 0
        X = self._design(cal)
        if not cal["is_makeup_workday"].to_numpy()[present].any():
            X = X.drop(columns="makeup")
        self.columns_ = list(X.columns)
        y = np.log1p(daily.to_numpy(dtype=float))
        # Closed weekdays are not modelled: their days are treated as missing observations.
        closed = ~cal["weekday"].isin(self.open_weekdays_).to_numpy() & (cal["holiday_block"] == "").to_numpy()
        y[closed] = np.nan
        model = SARIMAX(y, exog=X.to_numpy(), order=(1, 0, 0), trend="n", mle_regression=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.result_ = model.fit(disp=False, maxiter=200)
        return self

    def predict(self, dates: pd.DatetimeIndex, history_end: pd.Timestamp, level: float) -> pd.DataFrame:
        """Daily forecast for ``dates`` (after ``history_end``): mean, lo, hi [calls per day] and log-scale sd."""
        first = history_end + pd.Timedelta(days=1)
        steps_dates = pd.date_range(first, dates[-1], freq="D")
        cal = day_calendar(steps_dates, self.country, self.subdivision)
        X = self._design(cal)[self.columns_]
        fc = self.result_.get_forecast(steps=len(steps_dates), exog=X.to_numpy())
        mu = np.asarray(fc.predicted_mean)
        sd = np.sqrt(np.asarray(fc.var_pred_mean))
        z = norm.ppf(0.5 + level / 2)
        out = pd.DataFrame(
            {
                "mean": np.expm1(mu + 0.5 * sd**2),
                "lo": np.expm1(mu - z * sd),
                "hi": np.expm1(mu + z * sd),
                "sd_log": sd,
            },
            index=steps_dates,
        ).clip(lower=0)
        closed = ~cal["weekday"].isin(self.open_weekdays_).to_numpy() & (cal["holiday_block"] == "").to_numpy()
        out.loc[closed, ["mean", "lo", "hi"]] = 0.0
        return out.loc[dates]


@dataclass
class QueueForecaster:
    """Forecaster for one queue: ``fit(frame, interval_minutes)`` then ``predict(start, days)``.

    ``frame``: one queue's history rows (``interval_start, offered`` and optionally ``aht_s``, ``handled``).
    """

    country: str = "CN"
    subdivision: str | None = None
    level: float = 0.8
    profile_weeks: int = 8
    default_aht_s: float | None = None

    daily_model_: DailyModel | None = None
    profiles_: dict = field(default_factory=dict)
    aht_: dict = field(default_factory=dict)
    slots_: np.ndarray | None = None
    dispersion_: float = 1.0
    history_end_: pd.Timestamp | None = None
    interval_minutes_: int = 15

    def fit(self, frame: pd.DataFrame, interval_minutes: int, source: str = "history") -> "QueueForecaster":
        self.interval_minutes_ = interval_minutes
        step = pd.Timedelta(minutes=interval_minutes)
        f = frame.sort_values("interval_start")
        day = f["interval_start"].dt.normalize()
        slot = ((f["interval_start"] - day) // step).astype(int).to_numpy()
        first, last = day.iloc[0], day.iloc[-1]
        n_days = (last - first).days + 1
        if n_days < MIN_HISTORY_DAYS:
            raise InputError(
                f"history for queue '{f['queue'].iloc[0]}' covers {n_days} day(s); at least {MIN_HISTORY_DAYS} days "
                f"(4 weeks) are needed to learn the weekly pattern, and 365 for the yearly one",
                file=source,
            )
        self.history_end_ = last
        self.slots_ = np.sort(np.unique(slot))
        n_slots = 1440 // interval_minutes

        # Daily totals; a day with missing intervals is not a full day's total: treat as missing.
        rows_per_day = day.value_counts()
        expected = len(self.slots_)
        totals = f.groupby(day)["offered"].sum()
        totals[rows_per_day.reindex(totals.index) < expected] = np.nan
        daily = totals.reindex(pd.date_range(first, last, freq="D"))
        self.daily_model_ = DailyModel(self.country, self.subdivision).fit(daily)

        # Intraday profiles from the recent weeks (holiday blocks: from the whole history, they are rare).
        cal = day_calendar(pd.date_range(first, last, freq="D"), self.country, self.subdivision).set_index("date")
        keys = _day_keys(cal.reset_index()).to_numpy()
        key_of_day = pd.Series(keys, index=cal.index)
        f_key = key_of_day.reindex(day).to_numpy()
        recent = (day >= last - pd.Timedelta(weeks=self.profile_weeks) + pd.Timedelta(days=1)).to_numpy()
        self.profiles_ = {}
        for key in np.unique(keys):
            sel = (f_key == key) & (recent | (key == "block"))
            if not sel.any():
                continue
            counts = np.bincount(slot[sel], weights=f["offered"].to_numpy()[sel], minlength=n_slots)
            if counts.sum() > 0:
                self.profiles_[key] = counts / counts.sum()
        wd_keys = [k for k in self.profiles_ if k.startswith("wd")]
        if not wd_keys:
            raise InputError(f"queue '{f['queue'].iloc[0]}' has no calls in its recent ordinary days", file=source)
        self._fallback = np.mean([self.profiles_[k] for k in wd_keys], axis=0)

        # Dispersion of interval counts around (actual day total x profile) on recent days. The profile is
        # taken leave-one-day-out, so the estimate includes the profile's own estimation error (in-sample
        # it would be too small and the prediction intervals too narrow).
        x_all = f["offered"].to_numpy(float)
        day_tot_all = f.groupby(day)["offered"].transform("sum").to_numpy()
        num, den = [], []
        for key in self.profiles_:
            sel = (f_key == key) & (recent | (key == "block"))
            slot_sum = np.bincount(slot[sel], weights=x_all[sel], minlength=n_slots)
            total = slot_sum.sum()
            x, d_tot, s_ = x_all[sel], day_tot_all[sel], slot[sel]
            rest = total - d_tot
            ok = rest > 0
            mu = np.where(ok, d_tot * (slot_sum[s_] - x) / np.where(ok, rest, 1.0), 0.0)
            good = ok & (mu > 0)
            num.append(np.sum((x[good] - mu[good]) ** 2))
            den.append(np.sum(mu[good]))
        self.dispersion_ = float(max(1.0, sum(num) / sum(den))) if sum(den) > 0 else 1.0

        # Handle time per (day type, slot), volume-weighted, with fallbacks for thin cells.
        self.aht_ = {}
        if "aht_s" in f and f["aht_s"].notna().any():
            w = f["handled"].to_numpy(float) if "handled" in f else f["offered"].to_numpy(float)
            a = f["aht_s"].to_numpy(float)
            good = recent & np.isfinite(a) & (w > 0)
            if not good.any():
                good = np.isfinite(a) & (w > 0)
            wa = np.bincount(slot[good], weights=(w * a)[good], minlength=n_slots)
            ww = np.bincount(slot[good], weights=w[good], minlength=n_slots)
            overall = wa.sum() / ww.sum()
            by_slot = np.where(ww >= MIN_AHT_CALLS, wa / np.maximum(ww, 1e-12), overall)
            self.aht_["*"] = by_slot
            for key in np.unique(f_key[good]):
                s2 = good & (f_key == key)
                kwa = np.bincount(slot[s2], weights=(w * a)[s2], minlength=n_slots)
                kww = np.bincount(slot[s2], weights=w[s2], minlength=n_slots)
                self.aht_[key] = np.where(kww >= MIN_AHT_CALLS, kwa / np.maximum(kww, 1e-12), by_slot)
        elif self.default_aht_s is None:
            raise InputError(
                "history has no 'aht_s' column; add handle time per interval or set forecast.default_aht_s in the config",
                file=source, column="aht_s",
            )
        return self

    def _profile(self, key: str) -> np.ndarray:
        if key in self.profiles_:
            return self.profiles_[key]
        if key == "block" and "wd6" in self.profiles_:
            return self.profiles_["wd6"]
        return self._fallback

    def predict(self, start: pd.Timestamp, days: int) -> pd.DataFrame:
        """Interval forecast for ``days`` days from ``start`` (a date after the history's last day)."""
        start = pd.Timestamp(start).normalize()
        if start <= self.history_end_:
            raise InputError(f"forecast start {start:%Y-%m-%d} must be after the history's last day {self.history_end_:%Y-%m-%d}")
        dates = pd.date_range(start, periods=days, freq="D")
        daily = self.daily_model_.predict(dates, self.history_end_, self.level)
        cal = day_calendar(dates, self.country, self.subdivision)
        keys = _day_keys(cal).to_numpy()
        step = pd.Timedelta(minutes=self.interval_minutes_)
        z = norm.ppf(0.5 + self.level / 2)
        rows = []
        for i, d in enumerate(dates):
            if daily["mean"].iloc[i] <= 0:
                continue  # closed day
            p = self._profile(keys[i])[self.slots_]
            p = p / p.sum() if p.sum() > 0 else p
            mean_d, sd_log = daily["mean"].iloc[i], daily["sd_log"].iloc[i]
            mu = mean_d * p
            var_day = (mean_d + 1) ** 2 * (np.exp(sd_log**2) - 1)
            sd = np.sqrt(p**2 * var_day + self.dispersion_ * mu)
            aht = self.aht_.get(keys[i], self.aht_.get("*")) if self.aht_ else None
            aht_v = aht[self.slots_] if aht is not None else np.full(len(self.slots_), float(self.default_aht_s))
            rows.append(
                pd.DataFrame(
                    {
                        "interval_start": d + self.slots_ * step,
                        "offered": mu,
                        "offered_lo": np.maximum(mu - z * sd, 0.0),
                        "offered_hi": mu + z * sd,
                        "aht_s": aht_v,
                        "is_holiday": bool(cal["is_holiday"].iloc[i]),
                    }
                )
            )
        if not rows:
            return pd.DataFrame(columns=FORECAST_COLUMNS[1:])
        return pd.concat(rows, ignore_index=True)


def default_start(history: History) -> pd.Timestamp:
    """The day after the history's last day."""
    return history.end.normalize() + pd.Timedelta(days=1)


def forecast(
    history: History,
    weeks: int = 4,
    start: str | pd.Timestamp | None = None,
    country: str = "CN",
    subdivision: str | None = None,
    level: float = 0.8,
    profile_weeks: int = 8,
    default_aht_s: float | None = None,
    progress=None,
) -> pd.DataFrame:
    """Forecast every queue of ``history`` for ``weeks`` weeks from ``start`` (default: the day after history).

    Returns ``queue, interval_start, offered, offered_lo, offered_hi, aht_s, is_holiday``: offered in calls per
    interval (mean, and the ``level`` prediction interval), ``aht_s`` in seconds.
    """
    start = default_start(history) if start is None else pd.Timestamp(start).normalize()
    out = []
    for q in history.queues:
        if progress:
            progress(f"forecast {q}")
        frame = history.frame[history.frame["queue"] == q]
        fc = QueueForecaster(country, subdivision, level, profile_weeks, default_aht_s).fit(
            frame, history.interval_minutes, source=history.source
        )
        if start <= fc.history_end_:
            raise InputError(
                f"forecast start {start:%Y-%m-%d} must be after the last day of history ({fc.history_end_:%Y-%m-%d})",
                file=history.source,
            )
        p = fc.predict(start, weeks * 7)
        p.insert(0, "queue", q)
        out.append(p)
    res = pd.concat(out, ignore_index=True)[FORECAST_COLUMNS]
    return res.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)


def forecast_from_config(history: History, cfg, progress=None) -> pd.DataFrame:
    """``forecast`` with its settings from a Config (site country, forecast section)."""
    f = cfg.forecast
    return forecast(
        history,
        weeks=f.weeks,
        start=f.start,
        country=cfg.site.country,
        subdivision=cfg.site.subdivision,
        level=f.prediction_level,
        profile_weeks=f.profile_weeks,
        default_aht_s=f.default_aht_s,
        progress=progress,
    )


def plot_forecast(history: History, fc: pd.DataFrame, days_back: int = 14):
    """Matplotlib figure: the last ``days_back`` days of history and the forecast with its interval, hourly."""
    import matplotlib

    matplotlib.use("Agg")
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
        ax.set_title(f"{q}: calls per hour", loc="left", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, ncols=3)
    fig.tight_layout()
    return fig

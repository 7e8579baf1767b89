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
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.stats import norm

from .calendar import day_calendar
from .errors import InputError
from .history import History
from .text import chart_text, plain_text_chart

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
    events: pd.DataFrame | None = None  # date, name, effect (NaN: learn it from history)

    columns_: list[str] = field(default_factory=list)
    blocks_: list[str] = field(default_factory=list)
    open_weekdays_: list[int] = field(default_factory=list)
    start_: pd.Timestamp | None = None
    result_: object = None
    ols_: object = None

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
        if self.events is not None:
            learned = self.events[self.events["effect"].isna()]
            for name, g in learned.groupby("name", sort=True):
                X[f"event:{name}"] = cal["date"].isin(g["date"]).to_numpy(float)
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

        cal, X, y = self._prepare(daily)
        model = SARIMAX(y, exog=X.to_numpy(), order=(1, 0, 0), trend="n", mle_regression=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.result_ = model.fit(disp=False, maxiter=200)
        # The same design by ordinary least squares, used when the state-space forecast is not finite
        # (a near noise-free series drives its variance to zero).
        import statsmodels.api as sm

        ok = np.isfinite(y)
        self.ols_ = sm.OLS(y[ok], X.to_numpy()[ok]).fit()
        return self

    def _prepare(self, daily: pd.Series):
        """Shared by the daily models: open weekdays, holiday blocks seen, design matrix and log1p target
        (closed weekdays NaN). Returns (calendar, design, y)."""
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
        unseen = [c for c in X.columns if c.startswith("event:") and not X.loc[present, c].any()]
        if unseen:
            raise InputError(
                f"event(s) {', '.join(c[6:] for c in unseen)} never occur in the history, so their effect cannot be "
                "learned: give an effect (e.g. 1.3 for +30%) in the events file"
            )
        # A regressor that is zero on every observed day (no make-up day in the history, say) cannot be
        # estimated and would make the model singular: leave it out.
        self.columns_ = [c for c in X.columns if c == "const" or X.loc[present, c].abs().sum() > 0]
        X = X[self.columns_]
        y = np.log1p(daily.to_numpy(dtype=float) / self._fixed_effect(daily.index))
        # Closed weekdays are not modelled: their days are treated as missing observations.
        closed = ~cal["weekday"].isin(self.open_weekdays_).to_numpy() & (cal["holiday_block"] == "").to_numpy()
        y[closed] = np.nan
        return cal, X, y

    def _fixed_effect(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Multiplier per date from events with a given effect (1 elsewhere)."""
        mult = np.ones(len(dates))
        if self.events is not None:
            fixed = self.events[self.events["effect"].notna()]
            if len(fixed):
                eff = fixed.groupby("date")["effect"].prod()
                mult = eff.reindex(dates).fillna(1.0).to_numpy()
        return mult

    def outliers(self, daily: pd.Series, threshold: float) -> pd.DatetimeIndex:
        """Days whose log volume is more than ``threshold`` robust standard deviations (1.4826 MAD) away from a
        least-squares fit on the calendar features: outages, floods of calls, days recorded wrongly."""
        cal = day_calendar(daily.index, self.country, self.subdivision)
        X = self._design(cal)[self.columns_].to_numpy()
        y = np.log1p(daily.to_numpy(dtype=float) / self._fixed_effect(daily.index))
        ok = np.isfinite(y) & cal["weekday"].isin(self.open_weekdays_).to_numpy() | (np.isfinite(y) & (cal["holiday_block"] != "").to_numpy())
        if ok.sum() <= X.shape[1] + 7:
            return pd.DatetimeIndex([])
        beta, *_ = np.linalg.lstsq(X[ok], y[ok], rcond=None)
        r = y[ok] - X[ok] @ beta
        dev = np.abs(r - np.median(r))
        # A floor of 1% on the scale: on a near-perfect series every tiny wobble would otherwise be "extreme".
        scale = max(1.4826 * np.median(dev), 0.01)
        flagged = np.flatnonzero(dev > threshold * scale)
        # Outliers are rare by definition; if many days stand out, the model is missing a pattern instead,
        # so only the most extreme 2% are set aside.
        cap = max(1, int(0.02 * ok.sum()))
        flagged = flagged[np.argsort(-dev[flagged], kind="stable")][:cap]
        return daily.index[ok][np.sort(flagged)]

    def predict(self, dates: pd.DatetimeIndex, history_end: pd.Timestamp, level: float) -> pd.DataFrame:
        """Daily forecast for ``dates`` (after ``history_end``): mean, lo, hi [calls per day] and log-scale sd."""
        first = history_end + pd.Timedelta(days=1)
        steps_dates = pd.date_range(first, dates[-1], freq="D")
        cal = day_calendar(steps_dates, self.country, self.subdivision)
        X = self._design(cal)[self.columns_]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = self.result_.get_forecast(steps=len(steps_dates), exog=X.to_numpy())
            mu = np.asarray(fc.predicted_mean)
            sd = np.sqrt(np.asarray(fc.var_pred_mean))
        if not (np.isfinite(mu).all() and np.isfinite(sd).all()):
            pred = self.ols_.get_prediction(X.to_numpy())
            mu = np.asarray(pred.predicted_mean)
            sd = np.sqrt(np.asarray(pred.var_pred_mean) + self.ols_.scale)
        z = norm.ppf(0.5 + level / 2)
        mult = self._fixed_effect(steps_dates)
        out = pd.DataFrame(
            {
                "mean": np.expm1(mu + 0.5 * sd**2) * mult,
                "lo": np.expm1(mu - z * sd) * mult,
                "hi": np.expm1(mu + z * sd) * mult,
                "sd_log": sd,
            },
            index=steps_dates,
        ).clip(lower=0)
        closed = ~cal["weekday"].isin(self.open_weekdays_).to_numpy() & (cal["holiday_block"] == "").to_numpy()
        out.loc[closed, ["mean", "lo", "hi"]] = 0.0
        return out.loc[dates]


ETS_NEIGHBOUR_WEEKS = 3  # the "ordinary" estimate of a day: same weekday, up to this many weeks either side


@dataclass
class EtsDailyModel(DailyModel):
    """Holt-Winters / ETS on daily totals (log1p scale: additive error, damped additive trend, additive weekly
    seasonality, i.e. multiplicative on the call scale), fitted by statsmodels' ``ETSModel``.

    ETS takes no regressors, so holidays are handled outside it: only open weekdays form the series (seasonal
    period = number of open weekdays); holiday-block days, make-up days and missing days are replaced by their
    "ordinary" estimate (mean of the same weekday in the neighbouring weeks that are ordinary days). A special
    day replaces the weekday pattern (as in the calendar model): a forecast holiday-block day is the local
    average level (the ETS forecast divided by its weekday's index) times the factor learned for its block name
    (mean ratio of actual to that level on past days of the block; the mean factor of all blocks for an unseen
    one). Make-up days likewise get one learned 'makeup' factor. Yearly seasonality and events with learned effects are not modelled (given effects are).
    """

    factors_: dict = field(default_factory=dict)
    series_dates_: pd.DatetimeIndex | None = None
    mid_ordinary_: float = 0.0
    wd_index_: dict = field(default_factory=dict)

    def fit(self, daily: pd.Series) -> "EtsDailyModel":
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        cal, X, y = self._prepare(daily)
        self.columns_ = [c for c in self.columns_ if not c.startswith("event:")] or ["const"]
        v = np.expm1(y)  # calls per day net of given event effects; NaN = missing/closed
        blk = cal["holiday_block"].to_numpy()
        mk = cal["is_makeup_workday"].to_numpy()
        wd = cal["weekday"].to_numpy()
        ordinary_day = np.isfinite(v) & (blk == "") & ~mk
        ordv = np.where(ordinary_day, v, np.nan)
        # Ordinary estimate: same weekday in neighbouring weeks (nearest first, both sides averaged).
        est = np.full(len(v), np.nan)
        for k in range(1, ETS_NEIGHBOUR_WEEKS + 1):
            nb = np.full((2, len(v)), np.nan)
            nb[0, 7 * k:] = ordv[:-7 * k] if len(v) > 7 * k else nb[0, 7 * k:]
            nb[1, :-7 * k] = ordv[7 * k:] if len(v) > 7 * k else nb[1, :-7 * k]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = np.nanmean(nb, axis=0)
            est = np.where(np.isnan(est), m, est)
        wd_mean = pd.Series(ordv).groupby(wd).mean()
        est = np.where(np.isnan(est), wd_mean.reindex(wd).to_numpy(), est)
        open_mask = np.isin(wd, self.open_weekdays_)
        mid = np.nanmean(wd_mean.reindex(self.open_weekdays_).to_numpy()) if len(self.open_weekdays_) else 0.0
        self.mid_ordinary_ = float(mid) if np.isfinite(mid) and mid > 0 else 1.0
        # Weekday index: an ordinary weekday's volume over the average open day's. A special day replaces the
        # weekday pattern (as in the calendar model), so its factor is relative to the local average level
        # (its weekday's ordinary estimate divided by the weekday index).
        self.wd_index_ = (wd_mean / self.mid_ordinary_).reindex(range(7)).to_dict()
        level = est / np.array([self.wd_index_.get(int(w)) or np.nan for w in wd])
        level = np.where(np.isfinite(level), level, self.mid_ordinary_)
        ratios: dict[str, list] = {}
        for i in np.flatnonzero(np.isfinite(v) & ((blk != "") | mk)):
            if level[i] > 0:
                ratios.setdefault(blk[i] if blk[i] != "" else "<makeup>", []).append(v[i] / level[i])
        self.factors_ = {k: float(np.mean(r)) for k, r in ratios.items()}
        series = np.where(ordinary_day, v, est)[open_mask]
        self.series_dates_ = daily.index[open_mask]
        series = np.log1p(np.nan_to_num(series, nan=self.mid_ordinary_).clip(min=0))
        p = max(1, len(self.open_weekdays_))
        model = ETSModel(pd.Series(series), error="add", trend="add", damped_trend=True,
                         seasonal="add" if p > 1 else None, seasonal_periods=p if p > 1 else None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.result_ = model.fit(disp=False, maxiter=200)
        self._n = len(series)
        return self

    def predict(self, dates: pd.DatetimeIndex, history_end: pd.Timestamp, level: float) -> pd.DataFrame:
        first = history_end + pd.Timedelta(days=1)
        steps_dates = pd.date_range(first, dates[-1], freq="D")
        cal = day_calendar(steps_dates, self.country, self.subdivision)
        wd = cal["weekday"].to_numpy()
        open_mask = np.isin(wd, self.open_weekdays_)
        # ETS steps: one per open weekday after the series' last day.
        step_of = np.cumsum(open_mask)  # 1-based step of each open date
        h = max(1, int(step_of[-1]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pr = self.result_.get_prediction(start=self._n, end=self._n + h - 1)
            mu_s = np.asarray(pr.predicted_mean, float)
            var_s = np.asarray(pr.forecast_variance, float)
        var_s = np.where(np.isfinite(var_s), var_s, np.nanmax(np.append(var_s[np.isfinite(var_s)], 0.0)))
        idx = np.clip(step_of - 1, 0, h - 1)
        # A date on a closed weekday borrows the level of the nearest open step (only used for block days).
        mu = mu_s[idx]
        sd = np.sqrt(np.maximum(var_s[idx], 0.0))
        base = np.expm1(mu + 0.5 * sd**2)
        blk = cal["holiday_block"].to_numpy()
        mk = cal["is_makeup_workday"].to_numpy()
        step_wd = wd[open_mask][idx] if open_mask.any() else wd
        windex = np.array([self.wd_index_.get(int(w)) or 1.0 for w in step_wd])
        blocks = [f for k, f in self.factors_.items() if k != "<makeup>"]
        mean_factor = float(np.mean(blocks)) if blocks else 1.0
        mult = self._fixed_effect(steps_dates).astype(float)
        for i in range(len(steps_dates)):
            if blk[i] != "" or mk[i]:
                f = self.factors_.get(blk[i], mean_factor) if blk[i] != "" else self.factors_.get("<makeup>", 1.0)
                mult[i] *= f / windex[i]  # the local average level times the special day's factor
            elif not open_mask[i]:
                mult[i] = 0.0
        z = norm.ppf(0.5 + level / 2)
        out = pd.DataFrame(
            {"mean": base * mult, "lo": np.expm1(mu - z * sd) * mult, "hi": np.expm1(mu + z * sd) * mult, "sd_log": sd},
            index=steps_dates,
        ).clip(lower=0)
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
    events: pd.DataFrame | None = None
    clean_outliers: bool = True
    outlier_threshold: float = 5.0

    daily_model_: DailyModel | None = None
    outliers_: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))
    profiles_: dict = field(default_factory=dict)
    aht_: dict = field(default_factory=dict)
    slots_: np.ndarray | None = None
    dispersion_: float = 1.0
    history_end_: pd.Timestamp | None = None
    interval_minutes_: int = 15

    daily_cls: ClassVar[type] = DailyModel  # the daily-totals model; the intraday split, AHT and intervals are shared

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
        self.daily_model_ = self.daily_cls(self.country, self.subdivision, events=self.events).fit(daily)
        if self.clean_outliers:
            self.outliers_ = self.daily_model_.outliers(daily, self.outlier_threshold)
            if len(self.outliers_):
                # Outlier days are refitted as missing and kept out of the profiles below.
                daily = daily.copy()
                daily[self.outliers_] = np.nan
                self.daily_model_ = self.daily_cls(self.country, self.subdivision, events=self.events).fit(daily)
                keep = ~day.isin(self.outliers_).to_numpy()
                f, day, slot = f[keep], day[keep], slot[keep]

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
            rows.append(self._day_rows(d, keys[i], mean_d * p, mean_d, sd_log, bool(cal["is_holiday"].iloc[i]), z))
        if not rows:
            return pd.DataFrame(columns=FORECAST_COLUMNS[1:])
        return pd.concat(rows, ignore_index=True)

    def _day_rows(self, d, key, mu, day_mean, sd_log, is_holiday, z) -> pd.DataFrame:
        """One day's rows from its interval means ``mu`` (over ``slots_``): the day-level uncertainty (log-normal
        sd ``sd_log`` on the day total ``day_mean``) spread by the day's shape, plus the interval-level
        over-dispersed Poisson noise; handle time by day type and interval."""
        step = pd.Timedelta(minutes=self.interval_minutes_)
        p = mu / day_mean if day_mean > 0 else np.zeros_like(mu)
        var_day = (day_mean + 1) ** 2 * (np.exp(sd_log**2) - 1)
        sd = np.sqrt(p**2 * var_day + self.dispersion_ * mu)
        aht = self.aht_.get(key, self.aht_.get("*")) if self.aht_ else None
        aht_v = aht[self.slots_] if aht is not None else np.full(len(self.slots_), float(self.default_aht_s))
        return pd.DataFrame(
            {
                "interval_start": d + self.slots_ * step,
                "offered": mu,
                "offered_lo": np.maximum(mu - z * sd, 0.0),
                "offered_hi": mu + z * sd,
                "aht_s": aht_v,
                "is_holiday": is_holiday,
            }
        )


@dataclass
class SeasonalNaive:
    """Baseline: every interval repeats the same interval of the last week of history (holiday-blind).

    The prediction interval uses the spread of week-over-week changes per time of day over the recent
    ``profile_weeks``, widened with the square root of the number of weeks ahead.
    """

    country: str = "CN"
    subdivision: str | None = None
    level: float = 0.8
    profile_weeks: int = 8
    default_aht_s: float | None = None
    events: pd.DataFrame | None = None  # accepted for a common interface; the baseline ignores events
    clean_outliers: bool = False
    outlier_threshold: float = 5.0

    history_end_: pd.Timestamp | None = None
    interval_minutes_: int = 15
    last_week_: pd.DataFrame | None = None
    sd_: pd.Series | None = None

    def fit(self, frame: pd.DataFrame, interval_minutes: int, source: str = "history") -> "SeasonalNaive":
        self.interval_minutes_ = interval_minutes
        f = frame.sort_values("interval_start")
        last = f["interval_start"].max().normalize()
        if (last - f["interval_start"].min().normalize()).days + 1 < 7:
            raise InputError("seasonal naive needs at least one week of history", file=source)
        self.history_end_ = last
        t = f["interval_start"]
        key = pd.DataFrame({"wd": t.dt.day_of_week, "tod": t - t.dt.normalize()})
        g = f.assign(wd=key["wd"].to_numpy(), tod=key["tod"].to_numpy())
        recent = g[t > last - pd.Timedelta(weeks=self.profile_weeks)]
        # The latest observation of each (weekday, time of day) is "last week".
        self.last_week_ = recent.groupby(["wd", "tod"]).last()[[c for c in ("offered", "aht_s") if c in g]]
        s = recent.set_index("interval_start")["offered"]
        prev = s.reindex(s.index - pd.Timedelta(days=7)).to_numpy()
        diff = pd.Series(s.to_numpy() - prev, index=s.index)
        self.sd_ = diff.groupby(diff.index - diff.index.normalize()).std().fillna(0.0)
        if "aht_s" not in self.last_week_ and self.default_aht_s is None:
            raise InputError("history has no 'aht_s' column; set forecast.default_aht_s", file=source, column="aht_s")
        return self

    def predict(self, start: pd.Timestamp, days: int) -> pd.DataFrame:
        start = pd.Timestamp(start).normalize()
        cal = day_calendar(pd.date_range(start, periods=days, freq="D"), self.country, self.subdivision)
        z = norm.ppf(0.5 + self.level / 2)
        rows = []
        for _, c in cal.iterrows():
            if c["weekday"] not in self.last_week_.index.get_level_values(0):
                continue
            lw = self.last_week_.loc[c["weekday"]]
            weeks_ahead = max(1, ((c["date"] - self.history_end_).days + 6) // 7)
            sd = self.sd_.reindex(lw.index).fillna(0.0).to_numpy() * np.sqrt(weeks_ahead)
            mu = lw["offered"].to_numpy(float)
            aht = lw["aht_s"].to_numpy(float) if "aht_s" in lw else np.full(len(lw), float(self.default_aht_s))
            if np.isnan(aht).any():
                aht = np.where(np.isnan(aht), np.nanmean(aht) if np.isfinite(aht).any() else (self.default_aht_s or 0.0), aht)
            rows.append(pd.DataFrame({
                "interval_start": c["date"] + lw.index.to_numpy(),
                "offered": mu, "offered_lo": np.maximum(mu - z * sd, 0.0), "offered_hi": mu + z * sd,
                "aht_s": aht, "is_holiday": bool(c["is_holiday"]),
            }))
        if not rows:
            return pd.DataFrame(columns=FORECAST_COLUMNS[1:])
        return pd.concat(rows, ignore_index=True)


@dataclass
class EtsForecaster(QueueForecaster):
    """'ets': Holt-Winters / ETS on daily totals (``EtsDailyModel``), then the same intraday split, handle time
    and interval-level dispersion as the calendar model."""

    daily_cls: ClassVar[type] = EtsDailyModel


MSTL_WEEKS = 8  # MSTL is fitted on the last 8 weeks only: enough cycles of the weekly period, and seconds not minutes


@dataclass
class MstlForecaster(QueueForecaster):
    """'mstl': statsmodels' MSTL decomposition of the interval series itself (periods: open intervals per day
    and per open week) over the last ``MSTL_WEEKS`` weeks; the trend + remainder is forecast flat at its mean
    over the last week (a level, no drift), the daily and weekly seasonal components repeat their last week.

    The series is a regular grid of open slots on open weekdays only (closed hours and days are dropped and
    mapped back). Holidays: in the fitted window, holiday-block and make-up days are replaced slot by slot by
    the mean of the ordinary days of the same weekday, so they do not distort the shape; a forecast holiday-block
    or make-up day gets the average open day's total (level x open slots) times the holiday factor the 'ets'
    model learns from the whole history, split by the block's (make-up day's) intraday profile. Yearly
    seasonality and the events file's learned effects are not modelled.
    """

    daily_cls: ClassVar[type] = EtsDailyModel  # for outlier days, holiday factors, open weekdays
    level_: float = 0.0
    seasonal_: np.ndarray | None = None
    level_sd_log_: float = 0.0
    grid_end_: pd.Timestamp | None = None

    def fit(self, frame: pd.DataFrame, interval_minutes: int, source: str = "history") -> "MstlForecaster":
        from statsmodels.tsa.seasonal import MSTL

        super().fit(frame, interval_minutes, source)
        dm = self.daily_model_
        step = pd.Timedelta(minutes=interval_minutes)
        S, P = len(self.slots_), len(dm.open_weekdays_)
        n_weeks = int(min(MSTL_WEEKS, (self.history_end_ - frame["interval_start"].min().normalize()).days // 7))
        days = pd.date_range(self.history_end_ - pd.Timedelta(weeks=n_weeks) + pd.Timedelta(days=1), self.history_end_)
        days = days[np.isin(days.day_of_week, dm.open_weekdays_)]
        f = frame[frame["interval_start"] >= days[0]]
        grid = f.pivot_table(index=f["interval_start"].dt.normalize(), columns=((f["interval_start"] - f["interval_start"].dt.normalize()) // step),
                             values="offered", aggfunc="sum").reindex(index=days, columns=self.slots_)
        cal = day_calendar(days, self.country, self.subdivision)
        special = ((cal["holiday_block"] != "") | cal["is_makeup_workday"]).to_numpy() | days.isin(self.outliers_)
        ordinary = grid[~special]
        by_wd = ordinary.groupby(ordinary.index.day_of_week).mean()
        fill = by_wd.reindex(days.day_of_week).to_numpy()
        g = grid.to_numpy(float)
        g = np.where(special[:, None] | np.isnan(g), fill, g)
        g = np.where(np.isnan(g), np.nanmean(g, axis=0, keepdims=True), g)
        y = np.nan_to_num(g.ravel())
        periods = (S, S * P) if P > 1 else (S,)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = MSTL(y, periods=periods).fit()
        seas = np.asarray(res.seasonal).reshape(len(y), -1).sum(axis=1)
        deseas = y - seas  # trend + remainder
        week = S * P
        self.level_ = float(deseas[-week:].mean())
        self.seasonal_ = seas[-week:]
        # Level uncertainty: spread of week-to-week changes of the weekly mean level (log scale).
        wk = deseas[: len(deseas) // week * week].reshape(-1, week).mean(axis=1)
        wk = np.log(np.maximum(wk, 1e-9))
        self.level_sd_log_ = float(np.std(np.diff(wk), ddof=1)) if len(wk) > 2 else 0.1
        self.grid_end_ = days[-1]
        return self

    def predict(self, start: pd.Timestamp, days: int) -> pd.DataFrame:
        start = pd.Timestamp(start).normalize()
        if start <= self.history_end_:
            raise InputError(f"forecast start {start:%Y-%m-%d} must be after the history's last day {self.history_end_:%Y-%m-%d}")
        dm = self.daily_model_
        S, P = len(self.slots_), len(dm.open_weekdays_)
        all_days = pd.date_range(self.grid_end_ + pd.Timedelta(days=1), start + pd.Timedelta(days=days - 1))
        cal = day_calendar(all_days, self.country, self.subdivision)
        keys = _day_keys(cal).to_numpy()
        open_mask = np.isin(all_days.day_of_week, dm.open_weekdays_)
        j = np.cumsum(open_mask) - 1  # open-day count after the grid's last day
        blocks = [v for k, v in dm.factors_.items() if k != "<makeup>"]
        mean_factor = float(np.mean(blocks)) if blocks else 1.0
        z = norm.ppf(0.5 + self.level / 2)
        rows = []
        for i, d in enumerate(all_days):
            if d < start:
                continue
            blk, mk = cal["holiday_block"].iloc[i], bool(cal["is_makeup_workday"].iloc[i])
            if blk or mk:
                factor = dm.factors_.get(blk, mean_factor) if blk else dm.factors_.get("<makeup>", 1.0)
                total = max(self.level_, 0.0) * S * factor
                p = self._profile(keys[i])[self.slots_]
                mu = total * (p / p.sum() if p.sum() > 0 else p)
            elif open_mask[i]:
                pos = (j[i] % P) * S
                mu = np.maximum(self.level_ + self.seasonal_[pos:pos + S], 0.0)
            else:
                continue  # closed weekday
            if mu.sum() <= 0:
                continue
            weeks_ahead = max(1, ((d - self.history_end_).days + 6) // 7)
            sd_log = self.level_sd_log_ * np.sqrt(weeks_ahead)
            rows.append(self._day_rows(d, keys[i], mu, float(mu.sum()), sd_log, bool(cal["is_holiday"].iloc[i]), z))
        if not rows:
            return pd.DataFrame(columns=FORECAST_COLUMNS[1:])
        return pd.concat(rows, ignore_index=True)


MODELS = {"calendar": QueueForecaster, "seasonal_naive": SeasonalNaive, "ets": EtsForecaster, "mstl": MstlForecaster}
AUTO_ORIGINS = 3  # rolling one-week origins used to choose a model per queue when model='auto'
# one fixed colour per model, so that a chart shows every model and a model keeps its colour across charts
MODEL_COLORS = {"calendar": "#1f6fb2", "ets": "#d9822b", "mstl": "#3a9d5d", "seasonal_naive": "#8c4fa3"}


def default_start(history: History) -> pd.Timestamp:
    """The day after the history's last day."""
    return history.end.normalize() + pd.Timedelta(days=1)


def _fit_predict(name: str, frame: pd.DataFrame, interval: int, start, days: int, settings: dict, source: str,
                 return_model: bool = False):
    model = MODELS[name](**settings).fit(frame, interval, source=source)
    if start <= model.history_end_:
        raise InputError(
            f"forecast start {start:%Y-%m-%d} must be after the last day of history ({model.history_end_:%Y-%m-%d})",
            file=source,
        )
    pred = model.predict(start, days)
    return (pred, model) if return_model else pred


def load_events(path) -> pd.DataFrame:
    """Read a user events file: ``date`` (YYYY-MM-DD), ``name``, ``effect`` (a multiplier on that day's
    calls, e.g. 1.3 for +30%; empty or 'learn' to learn it from past days with the same name).
    Returns ``date, name, effect`` with NaN effect for learned events."""
    from .io import parse_number_column, read_table, row_numbers
    from .timestamps import parse_timestamps

    df = read_table(path, ["date", "name", "effect"])
    rows = row_numbers(df)
    dates = parse_timestamps(df["date"], str(path), "date", required=True)
    name = df["name"].astype(str).str.strip()
    for i in np.flatnonzero((name == "").to_numpy()):
        raise InputError("event name is empty", file=str(path), row=int(rows[i]), column="name")
    raw = df["effect"].astype(str).str.strip().str.lower()
    learn = raw.isin(["", "learn", "learned"])
    eff = parse_number_column(df["effect"].where(~learn, ""), str(path), "effect", minimum=None, maximum=100,
                              allow_empty=True)
    for i in np.flatnonzero(((~learn) & (eff <= 0)).to_numpy()):
        raise InputError(f"effect '{df['effect'].iloc[i]}' must be a positive multiplier or 'learn'", file=str(path),
                         row=int(rows[i]), column="effect")
    return pd.DataFrame({"date": dates.dt.normalize(), "name": name, "effect": eff.astype(float)})


def forecast(
    history: History,
    weeks: int = 4,
    start: str | pd.Timestamp | None = None,
    country: str = "CN",
    subdivision: str | None = None,
    level: float = 0.8,
    profile_weeks: int = 8,
    default_aht_s: float | None = None,
    model: str = "calendar",
    events: pd.DataFrame | None = None,
    clean_outliers: bool = True,
    progress=None,
) -> pd.DataFrame:
    """Forecast every queue of ``history`` for ``weeks`` weeks from ``start`` (default: the day after history).

    ``model``: 'calendar' (the holiday-aware regression, default), 'seasonal_naive' (last week repeated), 'ets'
    (Holt-Winters on daily totals with explicit holiday factors), 'mstl' (MSTL on the interval series) or
    'auto' (per queue, the one with the lowest WAPE over the last few weekly backtest origins, all models).
    ``events``: ``date, name, effect`` (see ``load_events``). ``clean_outliers``: outlier days are flagged
    and fitted as missing (listed in ``result.attrs['outliers']``).
    Returns ``queue, interval_start, offered, offered_lo, offered_hi, aht_s, is_holiday``: offered in calls per
    interval (mean, and the ``level`` prediction interval), ``aht_s`` in seconds.
    """
    if model not in MODELS and model != "auto":
        raise InputError(f"unknown forecast model '{model}' (use one of {', '.join([*MODELS, 'auto'])})")
    start = default_start(history) if start is None else pd.Timestamp(start).normalize()
    settings = dict(country=country, subdivision=subdivision, level=level, profile_weeks=profile_weeks,
                    default_aht_s=default_aht_s, events=events, clean_outliers=clean_outliers)
    out = []
    chosen = {}
    outliers = {}
    for q in history.queues:
        if progress:
            progress(f"forecast {q}")
        frame = history.frame[history.frame["queue"] == q]
        name = model
        if model == "auto":
            bt = backtest(History(frame, history.interval_minutes, history.gaps.iloc[0:0], history.source),
                          origins=AUTO_ORIGINS, weeks=1, models=tuple(MODELS), **settings)
            name = str(bt.metrics.sort_values(["wape", "model"]).iloc[0]["model"])
        chosen[q] = name
        p, fitted = _fit_predict(name, frame, history.interval_minutes, start, weeks * 7, settings, history.source,
                                 return_model=True)
        outliers[q] = [d.strftime("%Y-%m-%d") for d in getattr(fitted, "outliers_", [])]
        p.insert(0, "queue", q)
        out.append(p)
    res = pd.concat(out, ignore_index=True)[FORECAST_COLUMNS]
    res = res.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    res.attrs["models"] = chosen
    res.attrs["outliers"] = outliers
    return res


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


def forecast_from_config(history: History, cfg, progress=None) -> pd.DataFrame:
    """``forecast`` with its settings from a Config (site country, forecast section, opening hours)."""
    f = cfg.forecast
    fc = _forecast_cfg(history, cfg, progress)
    return apply_opening_hours(fc, f.opening_hours, history.interval_minutes)


def forecast_kwargs(cfg) -> dict:
    """Keyword arguments of :func:`forecast` from a Config (site country, forecast section; the events file
    is read here, so the arguments carry data, not paths): ``forecast(history, **forecast_kwargs(cfg))``."""
    f = cfg.forecast
    return dict(
        weeks=f.weeks,
        start=f.start,
        country=cfg.site.country,
        subdivision=cfg.site.subdivision,
        level=f.prediction_level,
        profile_weeks=f.profile_weeks,
        default_aht_s=f.default_aht_s,
        model=f.model,
        events=load_events(f.events_file) if f.events_file else None,
        clean_outliers=f.clean_outliers,
    )


def _forecast_cfg(history: History, cfg, progress=None) -> pd.DataFrame:
    return forecast(history, **forecast_kwargs(cfg), progress=progress)


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


def backtest(
    history: History,
    origins: int = 4,
    weeks: int = 1,
    models: tuple[str, ...] | None = None,
    country: str = "CN",
    subdivision: str | None = None,
    level: float = 0.8,
    profile_weeks: int = 8,
    default_aht_s: float | None = None,
    events: pd.DataFrame | None = None,
    clean_outliers: bool = True,
    progress=None,
) -> BacktestResult:
    """Rolling-origin backtest: for each of the last ``origins`` weekly origins, fit on the history before it
    and forecast ``weeks`` weeks, with the same code as ``forecast``. The last origin's horizon ends on the
    history's last day; earlier origins step back one week each."""
    models = tuple(MODELS) if models is None else tuple(models)  # default: every model
    settings = dict(country=country, subdivision=subdivision, level=level, profile_weeks=profile_weeks,
                    default_aht_s=default_aht_s, events=events, clean_outliers=clean_outliers)
    last_origin = history.end.normalize() + pd.Timedelta(days=1) - pd.Timedelta(weeks=weeks)
    starts = [last_origin - pd.Timedelta(weeks=k) for k in range(origins - 1, -1, -1)]
    if starts[0] - history.start.normalize() < pd.Timedelta(days=MIN_HISTORY_DAYS):
        raise InputError(
            f"history from {history.start:%Y-%m-%d} to {history.end:%Y-%m-%d} is too short for {origins} origin(s) of "
            f"{weeks} week(s): each origin needs {MIN_HISTORY_DAYS} days before it",
            file=history.source,
        )
    actual = history.frame.set_index(["queue", "interval_start"])["offered"]
    parts = []
    for q in history.queues:
        frame = history.frame[history.frame["queue"] == q]
        for o in starts:
            train = frame[frame["interval_start"] < o]
            s = train.set_index("interval_start")["offered"]
            lagged = s.reindex(s.index - pd.Timedelta(days=7)).to_numpy()
            scale = float(np.nanmean(np.abs(s.to_numpy() - lagged)))
            for name in models:
                if progress:
                    progress(f"backtest {q} {o:%Y-%m-%d} {name}")
                p = _fit_predict(name, train, history.interval_minutes, o, weeks * 7, settings, history.source)
                p["actual"] = actual.reindex(list(zip([q] * len(p), p["interval_start"]))).to_numpy()
                p = p[p["actual"].notna()]
                p.insert(0, "origin", o)
                p.insert(0, "queue", q)
                p.insert(0, "model", name)
                p["horizon_day"] = (p["interval_start"].dt.normalize() - o).dt.days + 1
                p["scale"] = scale
                parts.append(p)
    iv = pd.concat(parts, ignore_index=True)
    metrics = iv.groupby(["model", "queue"]).apply(_metrics, include_groups=False).reset_index()
    metrics["level"] = level
    by_day = iv.groupby(["model", "horizon_day"]).apply(
        lambda g: pd.Series({"wape": float((g["offered"] - g["actual"]).abs().sum() / g["actual"].sum()),
                             "bias": float((g["offered"] - g["actual"]).sum() / g["actual"].sum())}),
        include_groups=False).reset_index()
    return BacktestResult(intervals=iv.drop(columns="scale"), metrics=metrics, by_day=by_day)


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

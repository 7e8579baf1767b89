"""The forecasters of one queue (the :class:`~wfm.forecast.Forecaster` protocol) and their registry ``MODELS``.

'calendar' (:class:`QueueForecaster`): daily totals by the holiday-aware regression, split over the day by
learned profiles; 'ets' the same with Holt-Winters daily totals; 'mstl' an MSTL decomposition of the interval
series; 'seasonal_naive' last week repeated, the baseline.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import ndtri  # the normal quantile (norm.ppf's own code), without importing scipy.stats

from ..calendar import day_calendar
from ..errors import InputError
from ..history import History
from .daily import DailyModel, EtsDailyModel, day_keys
from .interface import FORECAST_COLUMNS, MIN_HISTORY_DAYS, ForecastSettings

MIN_AHT_CALLS = 30  # below this many calls behind an interval's AHT estimate, fall back to coarser ones
RARE_KEYS = ("block", "eve")  # day types whose profiles come from the whole history, not the recent weeks
EVE_PRIOR_CALLS = 100.0  # an eve's day shape: its own calls mixed with this many of its weekday's shape


class OneQueueModel:
    """``fit(history)`` / ``predict(start, days)`` of the protocol around a model's own ``_fit(frame,
    interval_minutes, source)`` and ``_predict(start, days)`` (rows without the queue column)."""

    queue_: str | None

    def fit(self, history: History):
        """Fit on ``history``, which must hold exactly one queue. Returns self."""
        queues = history.queues
        if len(queues) != 1:
            raise ValueError(f"a {type(self).__name__} fits one queue's history, not {len(queues)} queues: "
                             "use wfm.forecast.forecast for several")
        self.queue_ = queues[0]
        return self._fit(history.frame, history.interval_minutes, history.source)

    def predict(self, start: pd.Timestamp, days: int) -> pd.DataFrame:
        """Forecast (:data:`FORECAST_COLUMNS`) for ``days`` days from ``start``, a day after the history."""
        p = self._predict(start, days)
        p.insert(0, "queue", self.queue_)
        return p


@dataclass
class QueueForecaster(OneQueueModel):
    """'calendar': the daily totals of :class:`DailyModel` split by intraday profiles per day type, with
    handle time per day type and interval and an over-dispersed Poisson prediction interval.
    ``fit(history)`` (one queue's history: ``interval_start, offered`` and optionally ``aht_s``, ``handled``)
    then ``predict(start, days)``."""

    name: ClassVar[str] = "calendar"

    settings: ForecastSettings = field(default_factory=ForecastSettings)
    outlier_threshold: float = 5.0
    queue_: str | None = None

    daily_model_: DailyModel | None = None
    outliers_: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))
    profiles_: dict = field(default_factory=dict)
    profile_calls_: dict = field(default_factory=dict)  # calls behind each day type's profile
    aht_: dict = field(default_factory=dict)
    slots_: np.ndarray | None = None
    dispersion_: float = 1.0
    history_end_: pd.Timestamp | None = None
    interval_minutes_: int = 15

    daily_cls: ClassVar[type] = DailyModel  # the daily-totals model; the intraday split, AHT and intervals are shared

    def _fit(self, frame: pd.DataFrame, interval_minutes: int, source: str) -> "QueueForecaster":
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
        self.daily_model_ = self.daily_cls(self.settings.country, self.settings.subdivision, events=self.settings.events).fit(daily)
        if self.settings.clean_outliers:
            self.outliers_ = self.daily_model_.outliers(daily, self.outlier_threshold)
            if len(self.outliers_):
                # Outlier days are refitted as missing and kept out of the profiles below.
                daily = daily.copy()
                daily[self.outliers_] = np.nan
                self.daily_model_ = self.daily_cls(self.settings.country, self.settings.subdivision, events=self.settings.events).fit(daily)
                keep = ~day.isin(self.outliers_).to_numpy()
                f, day, slot = f[keep], day[keep], slot[keep]

        # Intraday profiles from the recent weeks (holiday blocks: from the whole history, they are rare).
        cal = day_calendar(pd.date_range(first, last, freq="D"), self.settings.country, self.settings.subdivision).set_index("date")
        keys = day_keys(cal.reset_index(), self.daily_model_.eves_active_).to_numpy()
        key_of_day = pd.Series(keys, index=cal.index)
        f_key = key_of_day.reindex(day).to_numpy()
        recent = (day >= last - pd.Timedelta(weeks=self.settings.profile_weeks) + pd.Timedelta(days=1)).to_numpy()
        self.profiles_, self.profile_calls_ = {}, {}
        for key in np.unique(keys):
            sel = (f_key == key) & (recent | np.isin(key, RARE_KEYS))
            if not sel.any():
                continue
            counts = np.bincount(slot[sel], weights=f["offered"].to_numpy()[sel], minlength=n_slots)
            if counts.sum() > 0:
                self.profiles_[key] = counts / counts.sum()
                self.profile_calls_[key] = float(counts.sum())
        wd_keys = [k for k in self.profiles_ if k.startswith("wd")]
        if not wd_keys:
            raise InputError(f"queue '{f['queue'].iloc[0]}' has no calls in its recent ordinary days", file=source)
        self._fallback = np.mean([self.profiles_[k] for k in wd_keys], axis=0)

        self.dispersion_ = self._dispersion(f, day, slot, f_key, recent, n_slots)
        self.aht_ = self._aht(f, slot, f_key, recent, n_slots, source)
        return self

    def _dispersion(self, f, day, slot, f_key, recent, n_slots) -> float:
        """Over-dispersion of interval counts (variance / mean, at least 1) on the recent days."""
        # Dispersion of interval counts around (actual day total x profile) on recent days. The profile is
        # taken leave-one-day-out, so the estimate includes the profile's own estimation error (in-sample
        # it would be too small and the prediction intervals too narrow).
        x_all = f["offered"].to_numpy(float)
        day_tot_all = f.groupby(day)["offered"].transform("sum").to_numpy()
        num = []
        for key in self.profiles_:
            sel = (f_key == key) & (recent | np.isin(key, RARE_KEYS))
            slot_sum = np.bincount(slot[sel], weights=x_all[sel], minlength=n_slots)
            total = slot_sum.sum()
            x, d_tot, s_ = x_all[sel], day_tot_all[sel], slot[sel]
            rest = total - d_tot
            ok = rest > 0
            mu = np.where(ok, d_tot * (slot_sum[s_] - x) / np.where(ok, rest, 1.0), 0.0)
            good = ok & (mu > 0)
            num.append(np.abs(x[good] - mu[good]) / np.sqrt(mu[good]))
        r = np.concatenate(num) if num else np.array([])
        if not len(r):
            return 1.0
        # matched to the interval's quantile rather than to the variance: interval counts are heavier-tailed
        # than a normal, and a variance inflated by a few odd intervals made the intervals far too wide
        z = ndtri(0.5 + self.settings.level / 2)
        return float(max(1.0, (np.quantile(r, self.settings.level) / z) ** 2))

    def _aht(self, f, slot, f_key, recent, n_slots, source) -> dict:
        """Handle time [s] per interval of day: '*' and per day type; {} when the history has none."""
        # Handle time per (day type, slot), volume-weighted, with fallbacks for thin cells.
        aht = {}
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
            aht["*"] = by_slot
            for key in np.unique(f_key[good]):
                s2 = good & (f_key == key)
                kwa = np.bincount(slot[s2], weights=(w * a)[s2], minlength=n_slots)
                kww = np.bincount(slot[s2], weights=w[s2], minlength=n_slots)
                aht[key] = np.where(kww >= MIN_AHT_CALLS, kwa / np.maximum(kww, 1e-12), by_slot)
        elif self.settings.default_aht_s is None:
            raise InputError(
                "history has no 'aht_s' column; add handle time per interval or set forecast.default_aht_s in the config",
                file=source, column="aht_s",
            )
        return aht

    def _profile(self, key: str) -> np.ndarray:
        if key in self.profiles_:
            return self.profiles_[key]
        quiet = getattr(self.daily_model_, "quiet_weekday_", None)
        if key == "block" and quiet is not None and f"wd{quiet}" in self.profiles_:
            return self.profiles_[f"wd{quiet}"]  # no holiday seen: the day's shape of the quietest open day
        if key == "block" and "wd6" in self.profiles_:
            return self.profiles_["wd6"]
        return self._fallback

    def _predict(self, start: pd.Timestamp, days: int) -> pd.DataFrame:
        """Interval forecast for ``days`` days from ``start`` (a date after the history's last day)."""
        start = pd.Timestamp(start).normalize()
        if start <= self.history_end_:
            raise InputError(f"forecast start {start:%Y-%m-%d} must be after the history's last day {self.history_end_:%Y-%m-%d}")
        dates = pd.date_range(start, periods=days, freq="D")
        daily = self.daily_model_.predict(dates, self.history_end_, self.settings.level)
        cal = day_calendar(dates, self.settings.country, self.settings.subdivision)
        keys = day_keys(cal, self.daily_model_.eves_active_).to_numpy()
        z = ndtri(0.5 + self.settings.level / 2)
        rows = []
        for i, d in enumerate(dates):
            if daily["mean"].iloc[i] <= 0:
                continue  # closed day
            p = self._profile(keys[i])
            if keys[i] == "eve":
                # few eves are seen: their shape is shrunk toward the weekday's (a Dirichlet prior)
                n = self.profile_calls_.get("eve", 0.0)
                p = (n * p + EVE_PRIOR_CALLS * self._profile(f"wd{d.day_of_week}")) / (n + EVE_PRIOR_CALLS)
            p = p[self.slots_]
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
        aht_v = aht[self.slots_] if aht is not None else np.full(len(self.slots_), float(self.settings.default_aht_s))
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
class SeasonalNaive(OneQueueModel):
    """Baseline: every interval repeats the same interval of the last week of history (holiday-blind).

    The prediction interval uses the spread of week-over-week changes per time of day over the recent
    ``profile_weeks``, widened with the square root of the number of weeks ahead.
    """

    name: ClassVar[str] = "seasonal_naive"

    settings: ForecastSettings = field(default_factory=ForecastSettings)  # events and outliers: ignored
    queue_: str | None = None

    history_end_: pd.Timestamp | None = None
    interval_minutes_: int = 15
    last_week_: pd.DataFrame | None = None
    sd_: pd.Series | None = None

    def _fit(self, frame: pd.DataFrame, interval_minutes: int, source: str) -> "SeasonalNaive":
        self.interval_minutes_ = interval_minutes
        f = frame.sort_values("interval_start")
        last = f["interval_start"].max().normalize()
        if (last - f["interval_start"].min().normalize()).days + 1 < 7:
            raise InputError("seasonal naive needs at least one week of history", file=source)
        self.history_end_ = last
        t = f["interval_start"]
        key = pd.DataFrame({"wd": t.dt.day_of_week, "tod": t - t.dt.normalize()})
        g = f.assign(wd=key["wd"].to_numpy(), tod=key["tod"].to_numpy())
        recent = g[t > last - pd.Timedelta(weeks=self.settings.profile_weeks)]
        # The latest observation of each (weekday, time of day) is "last week".
        self.last_week_ = recent.groupby(["wd", "tod"]).last()[[c for c in ("offered", "aht_s") if c in g]]
        s = recent.set_index("interval_start")["offered"]
        prev = s.reindex(s.index - pd.Timedelta(days=7)).to_numpy()
        diff = pd.Series(s.to_numpy() - prev, index=s.index)
        self.sd_ = diff.groupby(diff.index - diff.index.normalize()).std().fillna(0.0)
        if "aht_s" not in self.last_week_ and self.settings.default_aht_s is None:
            raise InputError("history has no 'aht_s' column; set forecast.default_aht_s", file=source, column="aht_s")
        return self

    def _predict(self, start: pd.Timestamp, days: int) -> pd.DataFrame:
        start = pd.Timestamp(start).normalize()
        cal = day_calendar(pd.date_range(start, periods=days, freq="D"), self.settings.country, self.settings.subdivision)
        z = ndtri(0.5 + self.settings.level / 2)
        rows = []
        for _, c in cal.iterrows():
            if c["weekday"] not in self.last_week_.index.get_level_values(0):
                continue
            lw = self.last_week_.loc[c["weekday"]]
            weeks_ahead = max(1, ((c["date"] - self.history_end_).days + 6) // 7)
            sd = self.sd_.reindex(lw.index).fillna(0.0).to_numpy() * np.sqrt(weeks_ahead)
            mu = lw["offered"].to_numpy(float)
            aht = lw["aht_s"].to_numpy(float) if "aht_s" in lw else np.full(len(lw), float(self.settings.default_aht_s))
            if np.isnan(aht).any():
                aht = np.where(np.isnan(aht), np.nanmean(aht) if np.isfinite(aht).any() else (self.settings.default_aht_s or 0.0), aht)
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

    name: ClassVar[str] = "ets"
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

    name: ClassVar[str] = "mstl"
    daily_cls: ClassVar[type] = EtsDailyModel  # for outlier days, holiday factors, open weekdays
    level_: float = 0.0
    seasonal_: np.ndarray | None = None
    level_sd_log_: float = 0.0
    grid_end_: pd.Timestamp | None = None

    def _fit(self, frame: pd.DataFrame, interval_minutes: int, source: str) -> "MstlForecaster":
        from statsmodels.tsa.seasonal import MSTL

        super()._fit(frame, interval_minutes, source)
        dm = self.daily_model_
        step = pd.Timedelta(minutes=interval_minutes)
        S, P = len(self.slots_), len(dm.open_weekdays_)
        n_weeks = int(min(MSTL_WEEKS, (self.history_end_ - frame["interval_start"].min().normalize()).days // 7))
        days = pd.date_range(self.history_end_ - pd.Timedelta(weeks=n_weeks) + pd.Timedelta(days=1), self.history_end_)
        days = days[np.isin(days.day_of_week, dm.open_weekdays_)]
        f = frame[frame["interval_start"] >= days[0]]
        grid = f.pivot_table(index=f["interval_start"].dt.normalize(), columns=((f["interval_start"] - f["interval_start"].dt.normalize()) // step),
                             values="offered", aggfunc="sum").reindex(index=days, columns=self.slots_)
        cal = day_calendar(days, self.settings.country, self.settings.subdivision)
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

    def _predict(self, start: pd.Timestamp, days: int) -> pd.DataFrame:
        start = pd.Timestamp(start).normalize()
        if start <= self.history_end_:
            raise InputError(f"forecast start {start:%Y-%m-%d} must be after the history's last day {self.history_end_:%Y-%m-%d}")
        dm = self.daily_model_
        S, P = len(self.slots_), len(dm.open_weekdays_)
        all_days = pd.date_range(self.grid_end_ + pd.Timedelta(days=1), start + pd.Timedelta(days=days - 1))
        cal = day_calendar(all_days, self.settings.country, self.settings.subdivision)
        keys = day_keys(cal, self.daily_model_.eves_active_).to_numpy()
        open_mask = np.isin(all_days.day_of_week, dm.open_weekdays_)
        j = np.cumsum(open_mask) - 1  # open-day count after the grid's last day
        blocks = dm.block_factors()
        mean_factor = float(np.mean(blocks)) if blocks else 1.0
        z = ndtri(0.5 + self.settings.level / 2)
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
                if keys[i] == "eve":  # the eve's factor on its weekday's day (its own shape not modelled)
                    mu = mu * dm.factors_.get("<eve>", 1.0)
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


def check_start(start: pd.Timestamp, model, source: str) -> None:
    """InputError unless ``start`` is after the last day ``model`` was fitted on."""
    if start <= model.history_end_:
        raise InputError(
            f"forecast start {start:%Y-%m-%d} must be after the last day of history ({model.history_end_:%Y-%m-%d})",
            file=source,
        )


def fit_predict(name: str, history: History, start: pd.Timestamp, days: int, settings: ForecastSettings):
    """Fit model ``name`` (in ``MODELS``) on one queue's ``history`` and forecast ``days`` days from ``start``.
    Returns (forecast, fitted model)."""
    model = MODELS[name](settings).fit(history)
    check_start(start, model, history.source)
    return model.predict(start, days), model

"""Models of a queue's daily call totals: the calendar regression (SARIMAX) and ETS with holiday factors.

Both work on the log1p scale of calls per day and share the calendar features (weekday, public-holiday blocks,
make-up working days, events) built by :class:`DailyModel`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtri  # the normal quantile (norm.ppf's own code), without importing scipy.stats

from ..calendar import day_calendar
from ..errors import InputError

YEARLY_FOURIER_K = 3
EVE_PRIOR_SD = 0.5  # prior sd of the eve effect on log calls: eves seen once are believed, but not blindly
EVE_T = 2.0  # eves are a day type of their own once their mean residual is this many standard errors from 0
UNSEEN_PRIOR_SD = 0.5  # sd [log calls] of an unseen holiday's prior when fewer than two holidays were seen
SPECIAL_FACTORS = ("<makeup>", "<eve>")  # EtsDailyModel.factors_ keys that are not holiday blocks
MIN_YEARLY_DAYS = 365  # yearly terms only once a full year has been seen
MIN_TAIL_DAYS = 28  # daily residuals needed before the interval is matched to their quantile


def day_keys(cal: pd.DataFrame, eves: bool = True) -> pd.Series:
    """Day type used for intraday profiles: 'block', 'makeup', 'eve' (if ``eves``) or 'wd<weekday>'."""
    key = "wd" + cal["weekday"].astype(str)
    if eves:
        key = key.where(~cal["is_eve"], "eve")
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
    quiet_weekday_: int | None = None  # the open weekday with the fewest calls on ordinary days
    eve_effect_: float = 0.0  # shrunk mean effect of an eve on log calls (0: none seen)
    eve_var_: float = 0.0  # its posterior variance
    eves_active_: bool = False  # the history's eves differ from ordinary days: modelled as eves
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
        # A holiday block never seen in the history gets the average effect of those seen; with none seen,
        # the level of the quietest open weekday (a day off is quiet like the weekend): a stated prior,
        # named by unseen_holidays, that the events file overrides.
        unseen = (blk != "") & ~np.isin(blk, self.blocks_)
        given = cal["date"].isin(self._given_dates()).to_numpy()
        for w in self.open_weekdays_[1:]:  # an unseen holiday with a given effect: that effect x an ordinary day
            X[f"wd{w}"][unseen & given & (cal["weekday"].to_numpy() == w)] = 1.0
        unseen &= ~given
        if self.blocks_ and unseen.any():
            for b in self.blocks_:
                X[f"block:{b}"][unseen] = 1.0 / len(self.blocks_)
        elif unseen.any() and self.quiet_weekday_ in self.open_weekdays_[1:]:
            X[f"wd{self.quiet_weekday_}"][unseen] = 1.0
        return pd.DataFrame(X, index=cal["date"].to_numpy())

    def _unseen(self, cal: pd.DataFrame) -> np.ndarray:
        """Days of a holiday block the history never saw and no events line sets: forecast at the prior."""
        blk = cal["holiday_block"].to_numpy()
        return (blk != "") & ~np.isin(blk, self.blocks_) & ~cal["date"].isin(self._given_dates()).to_numpy()

    def _block_effects(self) -> np.ndarray:
        """The seen holiday blocks' effects on log calls (the least-squares fit's)."""
        names = [f"block:{b}" for b in self.blocks_ if f"block:{b}" in self.columns_]
        return np.array([self.ols_.params[self.columns_.index(c)] for c in names]) if self.ols_ is not None else np.array([])

    def _prior_var(self) -> float:
        """Variance [log calls^2] of an unseen holiday's prior: how much the seen holidays' effects differ from
        each other (at least two seen), else UNSEEN_PRIOR_SD^2."""
        eff = self._block_effects()
        return float(np.var(eff, ddof=1)) if len(eff) >= 2 else UNSEEN_PRIOR_SD**2

    def _given_dates(self) -> pd.DatetimeIndex:
        """Dates with an event of given effect (the events file)."""
        if self.events is None:
            return pd.DatetimeIndex([])
        return pd.DatetimeIndex(self.events.loc[self.events["effect"].notna(), "date"])

    def holiday_prior(self) -> str:
        """How a holiday block never seen in the history is forecast, in words."""
        if self.blocks_:
            return f"the mean effect of the {len(self.blocks_)} holiday block(s) in the history ({', '.join(self.blocks_)})"
        if self.quiet_weekday_ is not None:
            day = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[self.quiet_weekday_]
            return f"an ordinary {day}'s level (the quietest open day; the history holds no holiday)"
        return "an ordinary day's level (the history holds no holiday)"

    def unseen_holidays(self, dates) -> list[dict]:
        """The days of ``dates`` in a holiday block never seen in the history: ``date`` (YYYY-MM-DD),
        ``holiday`` (the block's name) and ``prior`` (:meth:`holiday_prior`)."""
        cal = day_calendar(pd.DatetimeIndex(dates), self.country, self.subdivision)
        sel = (cal["holiday_block"] != "") & ~cal["holiday_block"].isin(self.blocks_) & ~cal["date"].isin(self._given_dates())
        prior = self.holiday_prior()
        return [{"date": f"{d:%Y-%m-%d}", "holiday": b, "prior": prior}
                for d, b in zip(cal.loc[sel, "date"], cal.loc[sel, "holiday_block"])]

    def fit(self, daily: pd.Series) -> "DailyModel":
        """daily: calls per day indexed by consecutive dates (NaN = missing or closed)."""
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        cal, X, y = self._prepare(daily)
        # Eves (the day before a holiday) are few: fitted as missing days, so that one odd eve cannot move the
        # level or the weekdays, and their shared effect is estimated afterwards, shrunk (eve_effect_).
        eve = self._eves(cal) & np.isfinite(y)
        y_fit = np.where(eve, np.nan, y)
        model = SARIMAX(y_fit, exog=X.to_numpy(), order=(1, 0, 0), trend="n", mle_regression=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.result_ = model.fit(disp=False, maxiter=200)
        # The same design by ordinary least squares, used when the state-space forecast is not finite
        # (a near noise-free series drives its variance to zero).
        import statsmodels.api as sm

        ok = np.isfinite(y_fit)
        self.ols_ = sm.OLS(y_fit[ok], X.to_numpy()[ok]).fit()
        self.eve_effect_, self.eve_var_ = 0.0, 0.0
        if eve.any():
            # each eve against the calendar design's prediction of an ordinary day (fitted without the eves)
            r = y[eve] - np.asarray(self.ols_.predict(X.to_numpy()[eve]))
            s2 = float(self.ols_.scale) if np.isfinite(self.ols_.scale) else float(np.var(r))
            # normal prior N(0, EVE_PRIOR_SD^2) on the effect, noise s2 per eve: the posterior mean and variance
            prec = len(r) / max(s2, 1e-9) + 1.0 / EVE_PRIOR_SD**2
            self.eve_effect_ = float(r.sum() / max(s2, 1e-9) / prec)
            self.eve_var_ = float(1.0 / prec)
        return self

    def _tail_factor(self, level: float) -> float:
        """How much wider (or narrower) than the model's normal errors a ``level`` interval of daily totals must
        be: the ``level`` quantile of the absolute least-squares residuals [log calls] over the normal quantile
        of the same, in units of the residuals' sd. Daily totals are heavy-tailed (an outage, a one-off rush):
        a variance matched to them made the intervals on ordinary days far too wide (1 when too few days)."""
        r = np.abs(np.asarray(self.ols_.resid)) if self.ols_ is not None else np.array([])
        scale = float(self.ols_.scale) if self.ols_ is not None else 0.0
        if len(r) < MIN_TAIL_DAYS or not np.isfinite(scale) or scale <= 0:
            return 1.0
        return float(np.quantile(r, level) / ndtri(0.5 + level / 2) / np.sqrt(scale))

    def _eve_days(self, cal: pd.DataFrame) -> np.ndarray:
        """Eves that are open days otherwise ordinary (a holiday or make-up day is modelled as that)."""
        return (cal["is_eve"] & (cal["holiday_block"] == "") & ~cal["is_makeup_workday"]
                & cal["weekday"].isin(self.open_weekdays_)).to_numpy()

    def _eves(self, cal: pd.DataFrame) -> np.ndarray:
        """Eves modelled as such: :meth:`_eve_days`, none when the history's eves do not differ from ordinary
        days (``eves_active_``)."""
        return self._eve_days(cal) if self.eves_active_ else np.zeros(len(cal), dtype=bool)

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
        means = pd.Series(daily.to_numpy(dtype=float)[ordinary]).groupby(cal.loc[ordinary, "weekday"].to_numpy()).mean()
        means = means.reindex(self.open_weekdays_).dropna()
        self.quiet_weekday_ = int(means.idxmin()) if len(means) else None
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
        self.eves_active_ = self._eves_differ(cal, X, y)
        return cal, X, y

    def _eves_differ(self, cal: pd.DataFrame, X: pd.DataFrame, y: np.ndarray) -> bool:
        """Whether the history's eves differ from ordinary days of their weekdays: the mean of their residuals
        against a least-squares fit of the calendar design on the other days, at least EVE_T standard errors
        from 0. Where they do not, eves are ordinary days (no parameter is spent on noise)."""
        eve = self._eve_days(cal) & np.isfinite(y)
        rest = np.isfinite(y) & ~eve
        if not eve.any() or rest.sum() <= X.shape[1] + 7:
            return False
        A = X.to_numpy()
        beta, *_ = np.linalg.lstsq(A[rest], y[rest], rcond=None)
        resid = y[rest] - A[rest] @ beta
        s2 = float(resid @ resid) / max(int(rest.sum()) - A.shape[1], 1)
        r = y[eve] - A[eve] @ beta
        return bool(abs(r.mean()) >= EVE_T * np.sqrt(max(s2, 1e-12) / len(r)))

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
        eve = self._eves(cal)
        if eve.any():  # eves are short days by nature, not outliers: measured against each other
            X = np.column_stack([X, eve.astype(float)])
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
        sd = sd * self._tail_factor(level)
        eve = self._eves(cal)
        mu = mu + np.where(eve, self.eve_effect_, 0.0)
        sd = np.sqrt(sd**2 + np.where(eve, self.eve_var_, 0.0))
        mean = np.expm1(mu + 0.5 * sd**2)
        # an unseen holiday's prior is uncertain: its interval widens, its forecast stays the prior's
        sd = np.sqrt(sd**2 + np.where(self._unseen(cal), self._prior_var(), 0.0))
        z = ndtri(0.5 + level / 2)
        mult = self._fixed_effect(steps_dates)
        out = pd.DataFrame(
            {
                "mean": mean * mult,
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
    one, or the quietest open weekday's index when the history holds no holiday). Make-up days likewise get one learned 'makeup' factor. Yearly seasonality and events with learned effects are not modelled (given effects are).
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
        eve = self._eves(cal)
        wd = cal["weekday"].to_numpy()
        ordinary_day = np.isfinite(v) & (blk == "") & ~mk & ~eve
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
        # an eve keeps its weekday's pattern: its factor is relative to its weekday's ordinary estimate
        eve_r = [v[i] / est[i] for i in np.flatnonzero(np.isfinite(v) & eve) if np.isfinite(est[i]) and est[i] > 0]
        if eve_r:
            ratios["<eve>"] = eve_r
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

    def block_factors(self) -> list[float]:
        """The seen holiday blocks' factors (``factors_`` without make-up days and eves)."""
        return [v for k, v in self.factors_.items() if k not in SPECIAL_FACTORS]

    def _block_effects(self) -> np.ndarray:
        """The seen holiday blocks' effects on log calls (the logs of their factors)."""
        f = [v for v in self.block_factors() if v > 0]
        return np.log(np.array(f)) if f else np.array([])

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
        # an unseen holiday's prior is uncertain: its interval widens, its forecast stays the prior's
        sd = np.sqrt(sd**2 + np.where(self._unseen(cal), self._prior_var(), 0.0))
        blk = cal["holiday_block"].to_numpy()
        mk = cal["is_makeup_workday"].to_numpy()
        step_wd = wd[open_mask][idx] if open_mask.any() else wd
        windex = np.array([self.wd_index_.get(int(w)) or 1.0 for w in step_wd])
        eve = self._eves(cal)
        blocks = self.block_factors()
        # an unseen block: the mean factor of those seen, or (none seen) the quietest open weekday's index
        quiet = self.wd_index_.get(self.quiet_weekday_) if self.quiet_weekday_ is not None else None
        mean_factor = float(np.mean(blocks)) if blocks else (float(quiet) if quiet and np.isfinite(quiet) else 1.0)
        mult = self._fixed_effect(steps_dates).astype(float)
        given = steps_dates.isin(self._given_dates())
        for i in range(len(steps_dates)):
            if blk[i] != "" and blk[i] not in self.factors_ and given[i]:
                continue  # an unseen holiday with a given effect: that effect x an ordinary day
            if blk[i] != "" or mk[i]:
                f = self.factors_.get(blk[i], mean_factor) if blk[i] != "" else self.factors_.get("<makeup>", 1.0)
                mult[i] *= f / windex[i]  # the local average level times the special day's factor
            elif not open_mask[i]:
                mult[i] = 0.0
            elif eve[i]:
                mult[i] *= self.factors_.get("<eve>", 1.0)
        z = ndtri(0.5 + level / 2)
        out = pd.DataFrame(
            {"mean": base * mult, "lo": np.expm1(mu - z * sd) * mult, "hi": np.expm1(mu + z * sd) * mult, "sd_log": sd},
            index=steps_dates,
        ).clip(lower=0)
        return out.loc[dates]



"""Intraday re-forecast: today's calls so far update the rest of today and the days after it.

The calls of the morning say which way the day is going (Weinberg, Brown and Stroud 2007; Shen and Huang
2008). Per queue, ``x = log(observed / forecast)`` over the intervals seen is the day's surprise so far. The
rest of today is scaled by ``exp(w x)`` and the ``k``-th later day by ``exp(g_k s x)``, where

- ``s = V / (V + phi / F)`` is how much of ``x`` is signal rather than counting noise: ``V`` the forecast's
  relative day-level variance and ``phi`` its interval over-dispersion (both read back from the forecast's
  own prediction intervals), ``F`` the calls forecast for the intervals seen;
- ``w = kappa s``; ``kappa`` (within the day) and ``g_k`` (the next open days) are how much of a morning's
  true surprise carries into the rest of that day and into later days. They are learned from the queue's
  history (:func:`learn_carryover`): the regression of the afternoon's (or a later day's) log calls over the
  mean of the same weekday in the previous four weeks on the morning's, corrected for the morning's Poisson
  noise. Without a history, ``kappa = 1`` (the day moves as one) and later days are left as they are.

The rest of today's prediction interval uses the conditional day-level variance ``V (1 - kappa w)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from scipy.special import ndtri

from ..calendar import day_calendar
from ..errors import InputError
from ..history import History, infer_interval_minutes
from .interface import FORECAST_COLUMNS

BASELINE_WEEKS = 4  # a day's surprise: its log calls over the mean of the same weekday in this many weeks before
MIN_CARRYOVER_DAYS = 20  # fewer history days with a morning and a rest than this: the defaults (1 and 0)
CARRYOVER_DAYS = 7  # later open days whose carry-over is learned (0 beyond)
DEFAULT_DAY_CV = 0.15  # the day level's coefficient of variation when the forecast has no interval


@dataclass(frozen=True)
class Carryover:
    """What a queue's history says about a morning's surprise at ``cut`` (time of day): ``within_day`` the
    share of it that holds for the rest of that day (0..1), ``later_days`` the share for each of the next open
    days, ``days`` how many history days it was learned from (0: the defaults, not learned)."""

    cut: pd.Timedelta
    within_day: float = 1.0
    later_days: tuple[float, ...] = ()
    days: int = 0


@dataclass(frozen=True)
class QueueUpdate:
    """How one queue's forecast moved: ``observed`` calls in ``intervals`` intervals before ``as_of`` against
    ``forecast`` calls for them; ``ratio`` the multiplier of the rest of today (``ratio_sd`` its sd), ``later``
    the multipliers of the next open days; ``rest_before`` / ``rest_after`` the calls forecast for the rest of
    today before and after; ``carryover`` what it was based on."""

    queue: str
    as_of: pd.Timestamp
    intervals: int
    observed: float
    forecast: float
    ratio: float
    ratio_sd: float
    later: tuple[float, ...]
    rest_before: float
    rest_after: float
    carryover: Carryover

    def sentence(self) -> str:
        """The update in words, for the command's output."""
        day_end = self.as_of == self.as_of.normalize()  # an update at midnight: the whole day just ended
        when = f"the end of {self.as_of - pd.Timedelta(days=1):%Y-%m-%d}" if day_end else f"{self.as_of:%H:%M}"
        if self.intervals == 0:
            return f"queue '{self.queue}': no calls before {when} to learn from; forecast unchanged"
        change = self.observed / self.forecast - 1 if self.forecast > 0 else float("nan")
        seen = f"{self.observed:,.0f} calls by {when} against {self.forecast:,.0f} forecast"
        seen += f" ({change:+.1%})" if np.isfinite(change) else ""
        learned = (f"learned from {self.carryover.days} days of history" if self.carryover.days
                   else "no history to learn from: the day moves as one, later days kept")
        later = (f"; next day x{self.later[0]:.3f}" if self.later and abs(self.later[0] - 1) >= 5e-4 else "")
        return (f"queue '{self.queue}': {seen}; rest of today {self.rest_before:,.0f} -> {self.rest_after:,.0f} "
                f"calls (x{self.ratio:.3f}){later} ({learned})")


def _surprise(daily: pd.Series, hol: pd.Series) -> pd.Series:
    """log1p(calls) over the mean of the same weekday's in the previous BASELINE_WEEKS weeks (holidays and
    zero days left out; at least two of them), per date."""
    v = np.log1p(daily.where((daily > 0) & ~hol))
    past = pd.concat([v.shift(7 * k) for k in range(1, BASELINE_WEEKS + 1)], axis=1)
    return v - past.mean(axis=1).where(past.notna().sum(axis=1) >= 2)


def learn_carryover(history: History, cut: pd.Timedelta | str, country: str = "CN",
                    subdivision: str | None = None) -> dict[str, Carryover]:
    """Per queue, how much of a day's surprise up to ``cut`` (time of day, e.g. '12:00') holds for the rest of
    the day and for the next :data:`CARRYOVER_DAYS` open days (see the module's text). Holidays of
    ``country`` are left out."""
    cut = pd.Timedelta(cut if not isinstance(cut, str) or cut.count(":") != 1 else cut + ":00")
    out = {}
    span = history.frame["interval_start"].dt.normalize()
    every = pd.date_range(span.min(), span.max(), freq="D")
    holiday = pd.Series((day_calendar(every, country, subdivision)["holiday_block"] != "").to_numpy(), index=every)
    for q, g in history.frame.groupby("queue", sort=True):
        day = g["interval_start"].dt.normalize()
        dates = pd.date_range(day.min(), day.max(), freq="D")
        hol = holiday.reindex(dates)
        total = g.groupby(day)["offered"].sum().reindex(dates)
        morning = g[(g["interval_start"] - day) < cut].groupby(day)["offered"].sum().reindex(dates).fillna(0.0)
        x, rest, whole = _surprise(morning, hol), _surprise(total - morning, hol), _surprise(total, hol)
        ok = (x.notna() & rest.notna()).to_numpy()
        if ok.sum() < MIN_CARRYOVER_DAYS:
            out[q] = Carryover(cut)
            continue
        xs, noise = x[ok].to_numpy(), float(np.mean(1.0 / morning[ok].to_numpy()))
        # the morning's Poisson noise inflates var(x) and would shrink the slope twice (s does it at update time)
        var_x = float(np.mean(xs**2))
        denom = max(var_x - noise, 0.25 * var_x)

        def slope(y: np.ndarray, sel: np.ndarray) -> float:
            return float(np.clip(np.mean(x.to_numpy()[sel] * y[sel]) / denom, 0.0, 1.0)) if sel.sum() >= MIN_CARRYOVER_DAYS else 0.0

        within = slope(rest.to_numpy(), ok)
        open_pos = np.flatnonzero(whole.notna().to_numpy())  # the open days, in order
        w = whole.to_numpy()
        later = []
        for k in range(1, CARRYOVER_DAYS + 1):
            y = np.full(len(dates), np.nan)
            y[open_pos[:-k]] = w[open_pos[k:]]  # the k-th next open day's surprise, at today's position
            later.append(slope(y, ok & np.isfinite(y)))
        out[q] = Carryover(cut, within, tuple(later), int(ok.sum()))
    return out


def _day_variance(g: pd.DataFrame, z: float) -> tuple[float, float]:
    """(relative day-level variance V, interval over-dispersion phi) behind one day's prediction intervals: each
    interval's sd (from ``offered_hi``) squared is ``V mean^2 + phi mean``, solved by non-negative least
    squares over the day's intervals."""
    mu = g["offered"].to_numpy(float)
    if "offered_hi" not in g or g["offered_hi"].isna().all() or z <= 0:
        return DEFAULT_DAY_CV**2, 1.0
    s = (g["offered_hi"].to_numpy(float) - mu) / z
    ok = np.isfinite(s) & (mu > 0)
    if ok.sum() < 2:
        return DEFAULT_DAY_CV**2, 1.0
    m, s2 = mu[ok], s[ok] ** 2
    if np.std(m) < 0.05 * np.mean(m):  # a flat day cannot tell the two apart: take the noise as Poisson
        return float(max(np.mean((s2 - m) / m**2), 0.0)), 1.0
    (v, phi), _ = nnls(np.column_stack([m**2, m]), s2)
    return float(v), float(max(phi, 1.0))


def reforecast(forecast: pd.DataFrame, calls: pd.DataFrame, as_of: pd.Timestamp | str | None = None, *,
               level: float = 0.8, carryover: dict[str, Carryover] | None = None,
               interval_minutes: int | None = None) -> pd.DataFrame:
    """The forecast from ``as_of`` on (the forecast format), updated by today's calls before it.

    ``forecast``: the forecast format (``queue, interval_start, offered`` and ideally ``offered_lo/hi``,
    ``aht_s``, ``is_holiday``), covering today. ``calls``: today's intervals so far (``queue, interval_start,
    offered`` [calls per interval]); rows at or after ``as_of`` or on other days are ignored. ``as_of``: the
    moment of the update (default: the end of the last interval in ``calls``). ``level``: the coverage the
    forecast's intervals were made at. ``carryover``: per queue, from :func:`learn_carryover` (None: the day
    moves as one, later days kept). ``interval_minutes``: the forecast's interval length [min] (default:
    inferred). ``attrs["reforecast"]`` holds one :class:`QueueUpdate` per queue of the forecast.
    """
    if calls.empty:
        raise InputError("the calls file holds no intervals: give today's calls so far")
    fc = forecast.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    step = pd.Timedelta(minutes=interval_minutes or infer_interval_minutes(fc["interval_start"], fc["queue"]))
    as_of = pd.Timestamp(as_of) if as_of is not None else calls["interval_start"].max() + step
    today = (as_of - pd.Timedelta(microseconds=1)).normalize()  # midnight: the day that just ended
    if not (fc["interval_start"].dt.normalize() == today).any():
        raise InputError(f"the forecast has no intervals on {today:%Y-%m-%d}, the day of the update: "
                         "re-forecast with a forecast that covers today")
    z = float(ndtri(0.5 + level / 2))
    seen = calls[(calls["interval_start"] < as_of) & (calls["interval_start"] >= today)]
    seen = seen.groupby(["queue", "interval_start"])["offered"].sum()
    seen_queues = set(seen.index.get_level_values("queue"))
    if seen_queues and not seen_queues & set(fc["queue"]):
        raise InputError(f"no queue of the calls ({', '.join(map(repr, sorted(seen_queues)))}) is in the forecast "
                         f"({', '.join(map(repr, sorted(fc['queue'].unique())))})")
    updates, parts = [], []
    for q, g in fc.groupby("queue", sort=True):
        g = g[g["interval_start"] >= today]
        co = (carryover or {}).get(q) or Carryover(as_of - today)
        now = g[g["interval_start"].dt.normalize() == today]
        past = now[now["interval_start"] < as_of].set_index("interval_start")["offered"]
        obs = seen.xs(q, level="queue") if q in seen_queues else pd.Series(dtype=float)
        matched = obs.index.intersection(past.index)
        observed, expected = float(obs[matched].sum()), float(past[matched].sum())
        v, phi = _day_variance(now if len(now) else g, z)
        if len(matched) and expected > 0:
            x = np.log((observed + 0.5) / (expected + 0.5))  # +0.5: a morning of no calls is not minus infinity
            s = v / (v + phi / expected)
            w = co.within_day * s
            later = tuple(float(np.exp(c * s * x)) for c in co.later_days)
        else:
            x, s, w, later = 0.0, 0.0, 0.0, ()
        ratio, var_post = float(np.exp(w * x)), v * (1.0 - co.within_day * w)
        out = g[g["interval_start"] >= as_of].copy()
        out_day = out["interval_start"].dt.normalize()
        future = np.sort(out_day[out_day > today].unique())
        k = np.searchsorted(future, out_day.to_numpy(), side="right")  # 0 today, 1 the next open day, ...
        mult = np.array([ratio if i == 0 else (later[i - 1] if i - 1 < len(later) else 1.0) for i in range(len(future) + 1)])[k]
        mu = out["offered"].to_numpy(float) * mult
        if "offered_hi" in out and z > 0:
            sd_old = (out["offered_hi"].to_numpy(float) - out["offered"].to_numpy(float)) / z
            sd = np.where(k == 0, np.sqrt(mu**2 * var_post + phi * mu), sd_old * mult)
            out["offered_lo"] = np.maximum(mu - z * sd, 0.0)
            out["offered_hi"] = mu + z * sd
        out["offered"] = mu
        parts.append(out)
        rest = float(now.loc[now["interval_start"] >= as_of, "offered"].sum())
        updates.append(QueueUpdate(str(q), as_of, len(matched), observed, expected, ratio,
                                   float(ratio * np.sqrt(max(var_post, 0.0))), later, rest, rest * ratio, co))
    res = pd.concat(parts, ignore_index=True)[[c for c in FORECAST_COLUMNS if c in fc.columns]]
    res.attrs["reforecast"] = updates
    res.attrs["unknown_queues"] = sorted(seen_queues - set(fc["queue"]))
    return res

"""Discrete-event simulation of a day of consecutive intervals: FCFS queue, staff changing at interval
boundaries, exponential patience. Used to check the Erlang C / Erlang A formulas and to look at days the
formulas do not describe (staff changes, non-exponential handle times, queues carried between intervals).

Model, per replication:

* arrivals: Poisson with ``arrivals_per_interval[k]`` expected calls in interval ``k`` (uniform within it);
* handle times: exponential with mean ``aht_s[k]`` of the caller's arrival interval, or lognormal with that
  mean and coefficient of variation ``handle_cv``;
* patience: exponential with mean ``patience_s`` (``None``: nobody abandons);
* one first-come-first-served queue; a caller is answered by the first agent to become free, unless their
  patience runs out first (then they abandon and use no agent time);
* ``staff_per_interval[k]`` agents during interval ``k``. When staff rises at a boundary the new agents are
  free from the boundary; when it falls, the agents who would come free first leave (at the boundary if
  idle, otherwise when their current call ends: nobody is cut off mid-call). After the last interval its
  staff stay until every caller has been answered or has abandoned.

Figures are attributed to the interval in which the caller **arrived**. ``service_level`` is answered
within ``sl_seconds`` over offered (abandoned calls count as not met), the definition of
:func:`wfm.erlang.service_level_a`; ``asa_s`` is the mean wait of answered calls [s].

Speed: the event loop is a tight pure-Python loop over callers with a heap of agents' free times (about
0.5-1 s per million callers on one core; ``bench/staffing_speed.py`` prints the figure). Confidence
intervals come from independent replications of the day (ratio estimator, delta method, Student t).
"""

from __future__ import annotations

import functools
import heapq
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["SimResult", "simulate_day"]

_FIGURES = ("service_level", "asa_s", "abandon_rate", "mean_wait_s")


@dataclass(frozen=True)
class SimResult:
    """Result of :func:`simulate_day`.

    Per replication ``r`` and interval ``k`` (arrays of shape ``(replications, intervals)``), counted by the
    caller's arrival interval: ``offered`` calls, ``answered`` calls, ``answered_within`` (answered within
    ``sl_seconds``), ``abandoned`` calls, ``unanswered`` (still waiting for ever: no staff at the end of the
    day and infinite patience), ``wait_answered_s`` (sum of answered calls' waits [s]) and ``wait_all_s``
    (sum of all callers' waits, abandoned callers until they hang up [s]).

    ``intervals``: one row per interval with ``offered`` (mean calls per replication) and, for each figure
    ``service_level, asa_s, abandon_rate, mean_wait_s``, the estimate and its ``_lo`` / ``_hi`` confidence
    bounds at ``level``. ``total``: the same figures over the whole day (a Series). Use :meth:`summary` for
    any subset of intervals (e.g. to drop a warm-up from an empty queue).
    """

    offered: np.ndarray
    answered: np.ndarray
    answered_within: np.ndarray
    abandoned: np.ndarray
    unanswered: np.ndarray
    wait_answered_s: np.ndarray
    wait_all_s: np.ndarray
    level: float
    intervals: pd.DataFrame
    total: pd.Series

    @property
    def callers(self) -> int:
        """Callers simulated over all replications."""
        return int(self.offered.sum())

    def summary(self, intervals=None, level: float | None = None) -> pd.Series:
        """Figures pooled over ``intervals`` (indices, a boolean mask or a slice; default: all), with
        confidence bounds at ``level`` (default: the result's level) from the spread across replications."""
        sel = np.arange(self.offered.shape[1])[intervals if intervals is not None else slice(None)]
        pick = lambda a: a[:, sel].sum(axis=1)  # noqa: E731
        f = _figures({k: pick(getattr(self, k)) for k in _COUNT_FIELDS}, self.level if level is None else level)
        return pd.Series({k: float(v) for k, v in f.items()})


_COUNT_FIELDS = ("offered", "answered", "answered_within", "abandoned", "unanswered", "wait_answered_s",
                 "wait_all_s")


@functools.lru_cache(maxsize=256)
def _t_quantile(level: float, dof: int) -> float:
    """Student t quantile of a two-sided ``level`` interval (cached: the multi-skill search asks it thousands of
    times with a handful of values)."""
    return float(stats.t.ppf(0.5 + level / 2.0, dof))


def _ratio(num: np.ndarray, den: np.ndarray, level: float):
    """Pooled ratio sum_r num / sum_r den over replications (axis 0) and its confidence bounds (delta method:
    the replications are independent, so the residuals num_r - est den_r are too). NaN where den sums to 0;
    NaN bounds with a single replication."""
    r = num.shape[0]
    tot = den.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = num.sum(axis=0) / tot
        d = num - est * den
        se = np.sqrt((d * d).sum(axis=0) / max(r - 1, 1) / r) / (tot / r)
    half = _t_quantile(level, r - 1) * se if r > 1 else np.full(np.shape(est), np.nan)
    est = np.where(tot > 0, est, np.nan)
    return est, est - half, est + half


def ratio_figures(offered: np.ndarray, ratios, level: float) -> dict:
    """``offered`` (mean over replications, axis 0) and, for each ``(name, numerator, denominator)`` of count
    arrays of shape (replications, ...), the pooled ratio ``name`` with its ``name_lo``/``name_hi`` bounds."""
    out = {"offered": offered.mean(axis=0)}
    for name, num, den in ratios:
        out[name], out[f"{name}_lo"], out[f"{name}_hi"] = _ratio(num, den, level)
    return out


def _figures(c: dict, level: float) -> dict:
    """Figures from count arrays of shape (replications, ...): a dict of arrays of shape (...)."""
    return ratio_figures(c["offered"], (
        ("service_level", c["answered_within"], c["offered"]),
        ("asa_s", c["wait_answered_s"], c["answered"]),
        ("abandon_rate", c["abandoned"], c["offered"]),
        ("mean_wait_s", c["wait_all_s"], c["offered"]),
    ), level)


def check_options(interval_s: float, handle: str, handle_cv: float, replications, level: float) -> None:
    """ValueError naming the option when the interval length, handle-time model, replications or confidence
    level is out of range (the options every simulation here shares)."""
    if not interval_s > 0 or not math.isfinite(interval_s):
        raise ValueError("interval_s must be a finite number > 0")
    if handle not in ("exponential", "lognormal"):
        raise ValueError(f"handle must be 'exponential' or 'lognormal', got {handle!r}")
    if handle == "exponential" and handle_cv != 1.0:
        raise ValueError("handle_cv applies to handle='lognormal' (an exponential's coefficient of variation is 1)")
    if not handle_cv > 0:
        raise ValueError("handle_cv must be > 0")
    if int(replications) != replications or replications < 1:
        raise ValueError("replications must be a whole number >= 1")
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")


def draw_callers(rng: np.random.Generator, lam: np.ndarray, aht: np.ndarray, interval_s: float, handle: str,
                 handle_cv: float, patience_s: float | None):
    """One replication's callers of one queue, in arrival order: ``(interval, arrival [s], handle time [s],
    patience [s])`` arrays. Poisson counts per interval (``lam``), arrivals uniform within it, handle times
    exponential or lognormal with mean ``aht`` of the arrival interval, exponential patience (``None``:
    infinite). The draw order is fixed: a seed gives the same callers to every simulator that uses this."""
    k = lam.size
    m = rng.poisson(lam)
    ivl = np.repeat(np.arange(k), m)
    # Intervals do not overlap, so sorting all times keeps callers grouped by interval in order.
    arr = np.sort(np.arange(k)[ivl] * float(interval_s) + rng.random(ivl.size) * interval_s)
    if handle == "exponential":
        svc = rng.exponential(1.0, ivl.size) * aht[ivl]
    else:
        sig2 = math.log1p(handle_cv**2)
        svc = aht[ivl] * np.exp(rng.standard_normal(ivl.size) * math.sqrt(sig2) - sig2 / 2.0)
    pat = (np.full(ivl.size, math.inf) if patience_s is None
           else rng.exponential(1.0, ivl.size) * float(patience_s))
    return ivl, arr, svc, pat


def _per_interval(v, k: int, name: str) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        a = np.full(k, float(a))
    if a.shape != (k,):
        raise ValueError(f"{name} must be a scalar or have one value per interval ({k}), got shape {a.shape}")
    return a


def _one_day(arr, ivl, svc, pat, staff, interval_s, sl_seconds, k):
    """Simulate one replication; return per-interval count arrays (tuple in _COUNT_FIELDS order)."""
    inf = math.inf
    bounds = [j * interval_s for j in range(k)] + [inf]
    free = [0.0] * int(staff[0]) + [inf]  # heap of agents' free times; the inf sentinel is never an agent
    heapq.heapify(free)
    nb = 1
    next_b = bounds[1]
    n = len(arr)
    waits = [0.0] * n
    status = [0] * n  # 0 answered, 1 abandoned, 2 never answered
    replace, push, pop = heapq.heapreplace, heapq.heappush, heapq.heappop
    for i in range(n):
        a = arr[i]
        f = free[0]
        s = a if a > f else f
        while s >= next_b and nb < k:  # the caller would start after a staff change: apply it first
            d = staff[nb] - (len(free) - 1)
            if d > 0:
                for _ in range(d):
                    push(free, next_b)
            else:
                for _ in range(-d):
                    pop(free)
            nb += 1
            next_b = bounds[nb]
            f = free[0]
            s = a if a > f else f
        w = s - a
        p = pat[i]
        if w > p:
            waits[i] = p
            status[i] = 1
        elif s < inf:
            waits[i] = w
            replace(free, s + svc[i])
        else:  # no agent will ever come and the caller never gives up
            status[i] = 2
    waits = np.asarray(waits)
    status = np.asarray(status)
    ans = status == 0
    ab = status == 1
    bc = lambda m, w=None: np.bincount(ivl[m], weights=None if w is None else w[m], minlength=k)  # noqa: E731
    return (
        np.bincount(ivl, minlength=k).astype(float),
        bc(ans).astype(float),
        bc(ans & (waits <= sl_seconds)).astype(float),
        bc(ab).astype(float),
        bc(status == 2).astype(float),
        bc(ans, waits),
        np.bincount(ivl, weights=np.where(status == 2, 0.0, waits), minlength=k),
    )


def simulate_day(
    arrivals_per_interval,
    aht_s,
    staff_per_interval,
    interval_s: float,
    sl_seconds: float,
    patience_s: float | None = None,
    handle: str = "exponential",
    handle_cv: float = 1.0,
    seed: int = 0,
    replications: int = 20,
    level: float = 0.99,
) -> SimResult:
    """Simulate ``replications`` independent days and estimate service per interval and for the day.

    ``arrivals_per_interval``: expected calls per interval (the Poisson mean; fractional allowed);
    ``aht_s``: mean handle time [s], a scalar or one value per interval; ``staff_per_interval``: agents on
    the phone per interval (whole numbers; a scalar for a constant staff); ``interval_s``: interval length
    [s]; ``sl_seconds``: service-level answer time [s]; ``patience_s``: mean exponential patience [s]
    (``None``: infinitely patient callers, the Erlang C model); ``handle``: ``'exponential'`` or
    ``'lognormal'`` (mean ``aht_s``, coefficient of variation ``handle_cv``); ``seed``: random seed
    (the same seed gives the same result); ``level``: confidence level of the ``_lo``/``_hi`` bounds.

    See the module docstring for the model and :class:`SimResult` for the output. Intervals with no calls
    have NaN figures.
    """
    lam = np.asarray(arrivals_per_interval, dtype=float)
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError("arrivals_per_interval must be a 1-d sequence with one value per interval")
    k = lam.size
    if not np.isfinite(lam).all() or (lam < 0).any():
        raise ValueError("arrivals_per_interval must be finite numbers >= 0")
    aht = _per_interval(aht_s, k, "aht_s")
    if not np.isfinite(aht).all() or (aht < 0).any() or ((aht == 0) & (lam > 0)).any():
        raise ValueError("aht_s must be finite and > 0 wherever calls arrive")
    staff = _per_interval(staff_per_interval, k, "staff_per_interval")
    if not np.isfinite(staff).all() or (staff < 0).any() or (staff != np.floor(staff)).any():
        raise ValueError("staff_per_interval must be whole numbers >= 0")
    if not sl_seconds >= 0:
        raise ValueError("sl_seconds must be >= 0")
    if patience_s is not None and not patience_s >= 0:
        raise ValueError("patience_s must be >= 0 (or None for callers who never abandon)")
    check_options(interval_s, handle, handle_cv, replications, level)

    rng = np.random.default_rng(seed)
    staff_list = [int(s) for s in staff]
    counts = {f: np.zeros((int(replications), k)) for f in _COUNT_FIELDS}
    for r in range(int(replications)):
        ivl, arr, svc, pat = draw_callers(rng, lam, aht, interval_s, handle, handle_cv, patience_s)
        res = _one_day(arr.tolist(), ivl, svc.tolist(), pat.tolist(), staff_list, float(interval_s),
                       float(sl_seconds), k)
        for f, v in zip(_COUNT_FIELDS, res):
            counts[f][r] = v

    per = pd.DataFrame({"interval": np.arange(k), **_figures(counts, level)})
    total = pd.Series({f: float(v) for f, v in _figures({f: counts[f].sum(axis=1) for f in _COUNT_FIELDS},
                                                        level).items()})
    return SimResult(**counts, level=float(level), intervals=per, total=total)

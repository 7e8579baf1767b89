"""Callers' mean patience [s] per queue from what an ACD exports, by the best method its columns allow.

* ``"waits"`` (``abandon_wait_s`` or ``abandon_time_s``, and ``asa_s``): with exponential patience every
  caller's wait is an exposure to abandoning, cut short (censored) when an agent answers. The
  maximum-likelihood mean patience is the total waiting time of all callers over the number of abandons.
  No model of the staffing is needed.
* ``"asa"`` (``asa_s`` only): per interval, the agents on the phone are the number whose Erlang A ASA equals
  the observed ASA at a candidate patience; the patience is the one whose predicted abandoned calls, summed
  over the queue, equal the observed total (ASA and abandonment: two equations, two unknowns).
* ``"given staffing"`` / ``"assumed Erlang C staffing"`` (no waiting times):
  :func:`wfm.staffing.patience_from_staffing`, the agents from a column or, an **assumption**, from the
  Erlang C requirement.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import erlang
from .errors import InputError
from .staffing import PATIENCE_COLUMNS, patience_from_staffing

__all__ = ["METHODS", "estimate_patience", "patience_from_waits", "patience_from_asa"]

METHODS = ("waits", "asa", "given staffing", "assumed Erlang C staffing")
_SPAN = (math.log(1.0), math.log(1e7))  # patience searched in 1 s .. 10^7 s


def _numbers(g: pd.DataFrame, col: str) -> np.ndarray:
    if col not in g.columns:
        return np.full(len(g), np.nan)
    return pd.to_numeric(g[col], errors="coerce").to_numpy(dtype=float)


def _counts(g: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """offered, handled (``offered - abandoned`` without the column), abandoned per row [calls]."""
    off, ab = _numbers(g, "offered"), _numbers(g, "abandoned")
    handled = _numbers(g, "handled") if "handled" in g.columns else off - ab
    return off, handled, ab


def _has_waits(g: pd.DataFrame) -> bool:
    aw = np.isfinite(_numbers(g, "abandon_wait_s")) | np.isfinite(_numbers(g, "abandon_time_s"))
    return bool(aw.any()) and _has_asa(g)


def _has_asa(g: pd.DataFrame) -> bool:
    return bool(np.isfinite(_numbers(g, "asa_s")).any())


def _row(q, off, ab, method: str) -> dict:
    total, observed = float(np.nansum(off)), float(np.nansum(ab))
    return {"queue": q, "patience_s": math.nan, "patience_lo_s": math.nan, "patience_hi_s": math.nan,
            "offered": total, "abandoned": observed, "abandon_rate": observed / total if total > 0 else math.nan,
            "identified": False, "note": "", "method": method}


def _check(frame: pd.DataFrame, level: float) -> None:
    missing = [c for c in ("queue", "interval_start", "offered", "abandoned") if c not in frame.columns]
    if missing:
        raise InputError(f"estimating patience needs column(s) {', '.join(missing)} in the history",
                         file="history", column=missing[0])
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")


def waits_exposure(g: pd.DataFrame) -> tuple[float, float, int]:
    """(total waiting time of all callers [s], abandoned calls, rows skipped) over one queue's rows.

    A row's handled callers waited ``handled * asa_s``, its abandoned ones ``abandon_time_s`` or
    ``abandoned * abandon_wait_s``. A row with calls of a kind but no wait for them is skipped whole (its
    abandons as well as its waiting), so that exposure and abandons stay matched.
    """
    _, handled, ab = _counts(g)
    asa, aw, at = _numbers(g, "asa_s"), _numbers(g, "abandon_wait_s"), _numbers(g, "abandon_time_s")
    h = np.nan_to_num(handled)
    a = np.nan_to_num(ab)
    w_h = np.where(h > 0, h * asa, 0.0)
    w_a = np.where(np.isfinite(at), at, np.where(a > 0, a * aw, 0.0))
    ok = np.isfinite(w_h) & np.isfinite(w_a) & np.isfinite(handled) & np.isfinite(ab)
    return float(np.sum(w_h[ok] + w_a[ok])), float(np.sum(a[ok])), int((~ok).sum())


def patience_from_waits(history_frame: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Exponential maximum-likelihood mean patience [s] per queue from the callers' waiting times.

    ``history_frame``: ``queue, interval_start, offered, abandoned`` [calls per interval], ``handled``
    (else ``offered - abandoned``), ``asa_s`` (mean wait of handled calls [s]) and ``abandon_wait_s`` (mean
    wait of abandoned calls [s]) or ``abandon_time_s`` (their total [s]). Estimate: ``T / D``, ``T`` the
    waiting time of all callers [s], ``D`` the abandons (see :func:`waits_exposure`). Interval at ``level``:
    given the exposure ``T``, ``D`` is Poisson with mean ``T / patience``; the exact (Garwood, chi-square)
    interval on that rate, inverted: ``[2T / chi2(1 - a/2, 2D + 2), 2T / chi2(a/2, 2D)]``, ``a = 1 - level``.
    It holds for exponential patience; callers' patience is rarely exactly exponential, so read it as the
    sampling error of the exponential fit, not as the model's error. Columns as
    :func:`estimate_patience`.
    """
    _check(history_frame, level)
    alpha = 1.0 - level
    rows = []
    for q, g in history_frame.groupby("queue", sort=True):
        off, _, ab = _counts(g)
        row = _row(q, off, ab, "waits")
        t, d, skipped = waits_exposure(g)
        why = f"; {skipped} interval(s) skipped for a missing wait" if skipped else ""
        if d <= 0:
            lo = 2.0 * t / stats.chi2.ppf(1.0 - alpha / 2.0, 2.0) if t > 0 else math.nan
            row.update(patience_s=math.inf, patience_lo_s=lo, patience_hi_s=math.inf,
                       note="no abandoned calls: patience longer than the data can show" + why)
        elif t <= 0:
            row.update(patience_s=0.0, note="abandoned callers but no waiting time" + why)
        else:
            row.update(patience_s=t / d, patience_lo_s=2.0 * t / stats.chi2.ppf(1.0 - alpha / 2.0, 2.0 * d + 2.0),
                       patience_hi_s=2.0 * t / stats.chi2.ppf(alpha / 2.0, 2.0 * d), identified=True,
                       note=f"exponential MLE: {t:,.0f} s waited by all callers / {d:,.0f} abandons" + why)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(PATIENCE_COLUMNS))


def agents_from_asa(calls, aht_s, asa_s, interval_s: float, patience_s: float, max_agents=None):
    """Agents on the phone whose Erlang A ASA equals ``asa_s`` [s], and the abandonment they give.

    ``calls``, ``aht_s`` [s], ``asa_s`` [s]: one value per interval (arrays); ``patience_s`` [s]. Erlang A's
    ASA falls as agents are added, so the agent count is found by bisection over whole numbers and
    interpolated linearly in ASA between the two counts around ``asa_s`` (a fractional agent: staff that
    changed within the interval). Returns ``(agents, abandon_rate)`` arrays; an ASA above that of one agent
    gives 1, one below that of ``max_agents`` (default: load + 10 sqrt(load) + 10) gives ``max_agents``.
    """
    calls, aht, asa = (np.asarray(v, dtype=float) for v in (calls, aht_s, asa_s))
    load = calls * aht / interval_s
    top = np.ceil(load + 10.0 * np.sqrt(load) + 10.0) if max_agents is None else np.broadcast_to(
        np.asarray(max_agents, dtype=float), calls.shape)

    def at(n):
        m = erlang.erlang_a_metrics(calls, aht, n, interval_s, np.nan, patience_s)
        return m["asa_s"].to_numpy(), m["abandon_rate"].to_numpy()

    lo, hi = np.ones_like(calls), top.copy()
    for _ in range(int(np.ceil(np.log2(max(float(top.max(initial=2.0)), 2.0)))) + 1):
        mid = np.floor((lo + hi) / 2.0)
        a_mid, _ = at(mid)
        above = a_mid > asa  # too few agents at mid: the answer lies above it
        move = hi - lo > 1
        lo = np.where(move & above, mid, lo)
        hi = np.where(move & ~above, mid, hi)
    a_lo, p_lo = at(lo)
    a_hi, p_hi = at(hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.clip((a_lo - asa) / (a_lo - a_hi), 0.0, 1.0)
    w = np.where(a_lo > a_hi, w, 0.0)
    w = np.where(asa >= a_lo, 0.0, np.where(asa <= a_hi, 1.0, w))
    return lo + w * (hi - lo), (1.0 - w) * p_lo + w * p_hi


def patience_from_asa(history_frame: pd.DataFrame, interval_s: float, level: float = 0.95,
                      default_aht_s: float | None = None) -> pd.DataFrame:
    """Mean patience [s] per queue from ASA and abandonment per interval through Erlang A.

    ``history_frame``: ``queue, interval_start, offered, abandoned`` [calls per interval], ``asa_s`` (mean
    wait of handled calls [s]), ``aht_s`` [s] (missing: the queue's handled-weighted mean, else
    ``default_aht_s``), optionally ``handled``. ``interval_s``: interval length [s]. For a candidate patience
    each interval's agents are those whose Erlang A ASA equals its observed ASA (:func:`agents_from_asa`);
    the estimate is the patience at which the abandoned calls Erlang A then predicts, summed over the queue,
    equal those observed. Intervals without an ASA (nothing handled) are left out, their abandons too.
    Interval at ``level``: the patience at the exact Poisson (chi-square) bounds of the abandoned count; it
    leaves out the noise in the per-interval ASA and Erlang A's own error. Columns as
    :func:`estimate_patience`.
    """
    _check(history_frame, level)
    alpha = 1.0 - level
    rows = []
    for q, g in history_frame.groupby("queue", sort=True):
        off, handled, ab = _counts(g)
        row = _row(q, off, ab, "asa")
        asa, aht = _numbers(g, "asa_s"), _numbers(g, "aht_s")
        h = np.nan_to_num(handled)
        ok_aht = np.isfinite(aht) & (aht > 0) & (h > 0)
        fill = float(np.sum(aht[ok_aht] * h[ok_aht]) / np.sum(h[ok_aht])) if ok_aht.any() else default_aht_s
        if fill is None:
            raise InputError(f"queue {q!r} has no handle times; set default_aht_s", file="history", column="aht_s")
        aht = np.where(np.isfinite(aht) & (aht > 0), aht, fill)
        use = np.isfinite(off) & (off > 0) & np.isfinite(ab) & np.isfinite(asa) & (h > 0)
        c, t_aht, w_obs, observed = off[use], aht[use], asa[use], float(np.sum(ab[use]))
        left = int((np.isfinite(off) & (off > 0) & ~use).sum())
        why = f"; {left} interval(s) without an ASA left out" if left else ""
        if not use.any():
            row["note"] = "no interval with both calls and an ASA"
            rows.append(row)
            continue

        def predicted(log_p: float) -> float:
            _, p_ab = agents_from_asa(c, t_aht, w_obs, interval_s, math.exp(log_p))
            return float(np.sum(c * p_ab))

        ends = (predicted(_SPAN[0]), predicted(_SPAN[1]))

        def solve(target: float) -> float:
            # More abandonment at the same ASA means less patient callers.
            if target >= ends[0]:
                return math.exp(_SPAN[0])
            if target <= ends[1]:
                return math.inf
            return math.exp(optimize.brentq(lambda lp: predicted(lp) - target, *_SPAN, xtol=1e-4))

        if observed <= 0:
            row.update(patience_s=math.inf, note="no abandoned calls: patience longer than the data can show" + why)
        elif not ends[1] < observed < ends[0]:
            row.update(patience_s=solve(observed),
                       note=f"{observed:g} abandoned calls lie outside what Erlang A gives at these ASAs for "
                            f"patience {math.exp(_SPAN[0]):g} to {math.exp(_SPAN[1]):g} s" + why)
        else:
            lo_d = stats.chi2.ppf(alpha / 2.0, 2.0 * observed) / 2.0
            hi_d = stats.chi2.ppf(1.0 - alpha / 2.0, 2.0 * observed + 2.0) / 2.0
            row.update(patience_s=solve(observed), patience_lo_s=solve(hi_d), patience_hi_s=solve(lo_d),
                       identified=True,
                       note="agents on the phone inferred per interval from ASA and abandonment (Erlang A)" + why)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(PATIENCE_COLUMNS))


def estimate_patience(
    history_frame: pd.DataFrame,
    interval_s: float,
    sl_target: float = 0.8,
    sl_seconds: float = 20,
    max_occupancy: float = 1.0,
    agents_column: str | None = None,
    default_aht_s: float | None = None,
    level: float = 0.95,
    smooth: bool = True,
    method: str = "auto",
) -> pd.DataFrame:
    """Mean caller patience [s] per queue, by the best method the history's columns allow.

    ``method``: ``"auto"`` (per queue: ``"waits"`` when it has abandoned and handled calls' waits, else
    ``"asa"`` when it has ASA, else the staffing method), or one of ``"waits"``, ``"asa"``, ``"staffing"``
    for every queue. ``interval_s``: interval length [s]; ``sl_target``, ``sl_seconds`` [s],
    ``max_occupancy``, ``agents_column``, ``smooth``: for the staffing method
    (:func:`wfm.staffing.patience_from_staffing`); ``default_aht_s`` [s]: handle time where the history has
    none; ``level``: confidence level of the bounds.

    Returns one row per queue: ``queue, patience_s, patience_lo_s, patience_hi_s`` [s], ``offered``,
    ``abandoned`` [calls], ``abandon_rate`` (observed), ``identified``, ``note`` and ``method`` (one of
    :data:`METHODS`; ``"assumed Erlang C staffing"`` means the history has no waiting times and the
    staffing was assumed, not measured).
    """
    if method not in ("auto", "waits", "asa", "staffing"):
        raise ValueError(f"method must be 'auto', 'waits', 'asa' or 'staffing', got {method!r}")
    _check(history_frame, level)
    parts = []
    for q, g in history_frame.groupby("queue", sort=True):
        how = method
        if how == "auto":
            how = "waits" if _has_waits(g) else "asa" if _has_asa(g) else "staffing"
        if how == "waits":
            parts.append(patience_from_waits(g, level))
        elif how == "asa":
            parts.append(patience_from_asa(g, interval_s, level, default_aht_s))
        else:
            parts.append(patience_from_staffing(g, interval_s, sl_target, sl_seconds, max_occupancy, agents_column,
                                                default_aht_s, level, smooth))
    if not parts:
        return pd.DataFrame(columns=list(PATIENCE_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(PATIENCE_COLUMNS)]

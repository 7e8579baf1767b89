"""Callers' mean patience [s] per queue from what an ACD exports, by the best method its columns allow.

* ``"waits"`` (``abandon_wait_s`` or ``abandon_time_s``, and ``asa_s``): with exponential patience every
  caller's wait is an exposure to abandoning, cut short (censored) when an agent answers. The
  maximum-likelihood mean patience is the total waiting time of all callers over the number of abandons.
  No model of the staffing is needed.
* ``"asa"`` (``asa_s`` only): per interval, the agents on the phone are the number whose Erlang A ASA equals
  the observed ASA at a candidate patience; the patience is the one whose predicted abandoned calls, summed
  over the queue, equal the observed total (ASA and abandonment: two equations, two unknowns).
* ``"given staffing"`` / ``"assumed Erlang C staffing"`` (no waiting times):
  :func:`patience_from_staffing`, the agents from a column or, an **assumption**, from the
  Erlang C requirement.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import erlang
from .errors import InputError

PATIENCE_COLUMNS = ("queue", "patience_s", "patience_lo_s", "patience_hi_s", "offered", "abandoned",
                    "abandon_rate", "identified", "note", "method")

__all__ = ["METHODS", "PATIENCE_COLUMNS", "estimate_patience", "patience_from_asa", "patience_from_staffing", "patience_from_waits"]

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


def _queues(history_frame: pd.DataFrame, level: float, method: str):
    """Per queue (checked history): its rows, offered, handled and abandoned counts, and its result row."""
    _check(history_frame, level)
    for q, g in history_frame.groupby("queue", sort=True):
        off, handled, ab = _counts(g)
        yield g, off, handled, ab, _row(q, off, ab, method)


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
    alpha = 1.0 - level
    rows = []
    for g, off, _, ab, row in _queues(history_frame, level, "waits"):
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
    alpha = 1.0 - level
    rows = []
    for g, off, handled, ab, row in _queues(history_frame, level, "asa"):
        asa, aht = _numbers(g, "asa_s"), _numbers(g, "aht_s")
        h = np.nan_to_num(handled)
        ok_aht = np.isfinite(aht) & (aht > 0) & (h > 0)
        fill = float(np.sum(aht[ok_aht] * h[ok_aht]) / np.sum(h[ok_aht])) if ok_aht.any() else default_aht_s
        if fill is None:
            raise InputError(f"queue {row['queue']!r} has no handle times; set default_aht_s", file="history", column="aht_s")
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


def _arrival_rate(ts: pd.Series, off: np.ndarray) -> np.ndarray:
    """Expected calls per interval behind observed counts: the day's total times an intraday profile (the
    share of calls at that time of day over the history), rescaled to the intervals the day has. The
    profile is the weekday's where the history holds at least 8 of that weekday, else that of all days
    (a profile from few days is itself noisy)."""
    day = ts.dt.normalize()
    t = pd.DataFrame({"day": day.to_numpy(), "tod": (ts - day).to_numpy(), "wd": day.dt.day_of_week.to_numpy(),
                      "off": off})
    day_total = t.groupby("day")["off"].transform("sum").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        by_wd = (t.groupby(["wd", "tod"])["off"].transform("sum") / t.groupby("wd")["off"].transform("sum")).to_numpy()
        pooled = (t.groupby("tod")["off"].transform("sum") / t["off"].sum()).to_numpy()
    enough = t.groupby("wd")["day"].transform("nunique").to_numpy() >= 8
    t["prof"] = np.nan_to_num(np.where(enough, by_wd, pooled))
    norm = t.groupby("day")["prof"].transform("sum").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, day_total * t["prof"].to_numpy() / norm, 0.0)


def patience_from_staffing(
    history_frame: pd.DataFrame,
    interval_s: float,
    sl_target: float = 0.8,
    sl_seconds: float = 20,
    max_occupancy: float = 1.0,
    agents_column: str | None = None,
    default_aht_s: float | None = None,
    level: float = 0.95,
    smooth: bool = True,
) -> pd.DataFrame:
    """Mean caller patience [s] per queue, inferred from the abandonment in the history and the staffing.

    ``history_frame``: ``queue, interval_start, offered, abandoned`` (calls per interval), ``aht_s`` [s]
    (missing values: the queue's handled-call-weighted mean; no column: ``default_aht_s``), optionally
    ``handled``. ``interval_s``: interval length [s].

    History has no waiting times, so patience is not identified from the data alone: it needs the staff
    that was on the phone. With ``agents_column`` (agents on the phone per row) that is given; otherwise
    **the assumption is that each interval was staffed at the Erlang C requirement** for ``sl_target``
    within ``sl_seconds`` and ``max_occupancy`` (a center that planned with Erlang C and kept to plan).
    Under that staffing, Erlang A's abandonment falls steadily as patience grows, so exactly one patience
    makes the predicted abandoned calls, summed over the queue's intervals, equal the observed total.
    A center that ran short of its plan shows more abandonment than its patience explains, so the estimate
    is then too short; one that overstaffed, too long.

    The arrival rate of an interval is not its observed count (Poisson noise of about ``sqrt(count)``
    calls; abandonment is convex in load, so plugging noisy counts in overstates the predicted abandonment
    and the patience) but, with ``smooth`` (default), the day's total times the intraday profile (of its
    weekday, given at least 8 of them). The estimate is very sensitive to the staffing: in the tests one
    agent more than was really there (7 % of the staff) reads as less than half the patience.

    Returns one row per queue: ``queue, patience_s, patience_lo_s, patience_hi_s`` (bounds at ``level``
    from the noise in the abandoned count, binomial scaled by the dispersion of daily counts around the
    prediction; not from the staffing assumption), ``offered``,
    ``abandoned``, ``abandon_rate`` (observed), ``identified`` and ``note``. Not identified: no abandoned
    call (``patience_s`` inf), or more abandonment than the assumed staff give even with callers who never
    wait (``patience_s`` 0), or too little to tell from infinitely patient callers (inf). ``method``:
    ``"given staffing"`` with ``agents_column``, else ``"assumed Erlang C staffing"``.
    """
    how = "given staffing" if agents_column is not None else "assumed Erlang C staffing"
    need = ["queue", "interval_start", "offered", "abandoned"]
    missing = [c for c in need if c not in history_frame.columns]
    if missing:
        raise InputError(f"estimating patience needs column(s) {', '.join(missing)} in the history",
                         file="history", column=missing[0])
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    rows = []
    for q, g in history_frame.groupby("queue", sort=True):
        off = pd.to_numeric(g["offered"], errors="coerce").to_numpy(dtype=float)
        ab = pd.to_numeric(g["abandoned"], errors="coerce").to_numpy(dtype=float)
        keep = np.isfinite(off) & np.isfinite(ab) & (off >= 0)
        if "aht_s" in g.columns:
            aht = pd.to_numeric(g["aht_s"], errors="coerce").to_numpy(dtype=float)
            handled = (pd.to_numeric(g["handled"], errors="coerce").to_numpy(dtype=float) if "handled" in g.columns
                       else off - ab)
            ok = np.isfinite(aht) & np.isfinite(handled) & (handled > 0)
            fill = (float(np.sum(aht[ok] * handled[ok]) / np.sum(handled[ok])) if ok.any()
                    else default_aht_s)
            if fill is None:
                raise InputError(f"queue {q!r} has no handle times; set default_aht_s", file="history", column="aht_s")
            aht = np.where(np.isfinite(aht) & (aht > 0), aht, fill)
        elif default_aht_s is not None:
            aht = np.full(len(g), float(default_aht_s))
        else:
            raise InputError("the history has no aht_s column; set default_aht_s", file="history", column="aht_s")
        if agents_column is not None:
            n_all = pd.to_numeric(g[agents_column], errors="coerce").to_numpy(dtype=float)
            keep &= np.isfinite(n_all)
        ts = pd.to_datetime(g["interval_start"]).reset_index(drop=True)[keep]
        off, ab, aht = off[keep], ab[keep], aht[keep]
        rate = _arrival_rate(ts, off) if smooth else off
        if agents_column is not None:
            n = np.round(n_all[keep])
        else:
            big = int(np.ceil((rate * aht / interval_s).max(initial=0) * 3))
            n = np.asarray(erlang.required_agents(rate, aht, interval_s, sl_target, sl_seconds, max_occupancy,
                                                  max_agents=max(2000, big)), dtype=float)
        total, observed = float(off.sum()), float(ab.sum())
        row = {"queue": q, "patience_s": math.nan, "patience_lo_s": math.nan, "patience_hi_s": math.nan,
               "offered": total, "abandoned": observed,
               "abandon_rate": observed / total if total > 0 else math.nan, "identified": False, "note": "",
               "method": how}
        if total == 0:
            row["note"] = "no calls"
            rows.append(row)
            continue

        def predicted(p: float) -> float:
            return float(np.sum(rate * erlang.abandon_rate_a(rate, aht, n, interval_s, p)))

        hi_ab, lo_ab = predicted(0.0), predicted(math.inf)
        if observed <= 0:
            row.update(patience_s=math.inf, note="no abandoned calls: patience longer than the data can show")
        elif observed >= hi_ab:
            row.update(patience_s=0.0, note=(f"{observed:g} abandoned calls but the assumed staff give at most "
                                             f"{hi_ab:.1f} even with zero patience: the staff was lower than assumed"))
        elif observed <= lo_ab:
            row.update(patience_s=math.inf, note="abandonment too low to tell from infinitely patient callers")
        else:
            span = (math.log(1e-3), math.log(1e9))

            def solve(target: float) -> float:
                if target >= hi_ab:
                    return 0.0
                if target <= max(lo_ab, predicted(math.exp(span[1]))):
                    return math.inf
                f = lambda lp: predicted(math.exp(lp)) - target  # noqa: E731
                if f(span[0]) <= 0:
                    return 0.0
                return math.exp(optimize.brentq(f, *span, xtol=1e-6))

            est = solve(observed)
            p_ab = erlang.abandon_rate_a(rate, aht, n, interval_s, est)
            var = rate * p_ab * (1.0 - p_ab)
            # Abandoned counts vary more than binomially (a bad hour drags on; the rates are estimates):
            # scale the variance by the dispersion of daily counts around the prediction (quasi-binomial).
            dd = pd.DataFrame({"d": ts.dt.normalize().to_numpy(), "o": ab, "e": rate * p_ab, "v": var})
            daily = dd.groupby("d")[["o", "e", "v"]].sum()
            daily = daily[daily["v"] > 0]
            phi = (float((((daily["o"] - daily["e"]) ** 2) / daily["v"]).sum() / (len(daily) - 1))
                   if len(daily) > 1 else 1.0)
            sd = math.sqrt(float(var.sum()) * max(phi, 1.0))
            # More abandonment means less patience: the upper count gives the lower bound.
            row.update(patience_s=est, patience_lo_s=solve(observed + z * sd), patience_hi_s=solve(observed - z * sd),
                       identified=True, note=(f"agents from column '{agents_column}'" if agents_column else
                                              "ASSUMPTION: agents on the phone = the Erlang C requirement; "
                                              "the history has no waiting times to measure patience"))
        if agents_column is None and "ASSUMPTION" not in row["note"]:
            row["note"] += " (ASSUMPTION: agents on the phone = the Erlang C requirement)"
        rows.append(row)
    return pd.DataFrame(rows, columns=list(PATIENCE_COLUMNS))


def estimate_patience(history_frame: pd.DataFrame, interval_s: float, *args, method: str = "auto",
                      **kwargs) -> pd.DataFrame:
    """Mean caller patience [s] per queue, by the best method the history's columns allow.

    ``method``: ``"auto"`` (per queue: ``"waits"`` when it has abandoned and handled calls' waits, else
    ``"asa"`` when it has ASA, else the staffing method), or one of ``"waits"``, ``"asa"``, ``"staffing"``
    for every queue. ``interval_s``: interval length [s]. The other arguments are those of
    :func:`patience_from_staffing`, in its order (``sl_target``, ``sl_seconds`` [s], ``max_occupancy``,
    ``agents_column``, ``default_aht_s`` [s], ``level``, ``smooth``); ``default_aht_s`` (handle time where the
    history has none) and ``level`` (confidence level of the bounds) serve every method.

    Returns one row per queue: ``queue, patience_s, patience_lo_s, patience_hi_s`` [s], ``offered``,
    ``abandoned`` [calls], ``abandon_rate`` (observed), ``identified``, ``note`` and ``method`` (one of
    :data:`METHODS`; ``"assumed Erlang C staffing"`` means the history has no waiting times and the
    staffing was assumed, not measured).
    """
    if method not in ("auto", "waits", "asa", "staffing"):
        raise ValueError(f"method must be 'auto', 'waits', 'asa' or 'staffing', got {method!r}")
    # one signature, patience_from_staffing's: bind the arguments to it (TypeError for an unknown one)
    bound = inspect.signature(patience_from_staffing).bind(history_frame, interval_s, *args, **kwargs)
    bound.apply_defaults()
    level, default_aht_s = bound.arguments["level"], bound.arguments["default_aht_s"]
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
            parts.append(patience_from_staffing(g, *list(bound.args)[1:], **bound.kwargs))
    if not parts:
        return pd.DataFrame(columns=list(PATIENCE_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(PATIENCE_COLUMNS)]

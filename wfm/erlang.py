"""Erlang B and Erlang C (M/M/N queue) formulas, vectorised over intervals with numpy.

Units used throughout:

* ``calls``: offered calls per interval (may be fractional, e.g. a forecast mean);
* ``aht_s``: average handle time [s];
* ``interval_s``: interval length [s];
* ``load``: offered traffic in erlangs, ``A = calls * aht_s / interval_s``;
* ``agents``: agents on the phone (whole numbers; for fractional counts see
  :func:`wfm.staffing.projected_service`).

Every function accepts scalars, numpy arrays or pandas Series, broadcasts them against each other and
returns a scalar when every input is a scalar, a pandas Series (with the index of the first Series
argument) when any input is a Series, and a numpy array otherwise. NaN inputs give NaN outputs, except in
:func:`required_agents`, which raises ValueError on NaN or negative calls and handle times.

Numerics: Erlang B is computed by the recursion ``B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1))``, which
never overflows (no factorials, no ``A**N``) and is exact enough at loads of thousands of erlangs. The
loop runs over the agent count ``k``, never over intervals: all intervals that still need a step are
advanced together, sorted by agent count so that each step touches only the intervals that need it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["erlang_b", "erlang_c", "service_level", "asa", "occupancy", "required_agents", "required_agents_met"]


# ----------------------------------------------------------------------------------------------- helpers


def _prepare(*args):
    """Broadcast the arguments to float arrays; remember whether to give back a scalar or a Series."""
    series = next((a for a in args if isinstance(a, pd.Series)), None)
    arrays = np.broadcast_arrays(*[np.asarray(a.to_numpy() if isinstance(a, pd.Series) else a, dtype=float)
                                   for a in args])
    scalar = all(np.ndim(a) == 0 and not isinstance(a, pd.Series) for a in args)
    return [np.array(a, dtype=float) for a in arrays], (scalar, series)


def _finish(out: np.ndarray, how):
    scalar, series = how
    if scalar:
        v = out.reshape(()).item()
        return v
    if series is not None and out.shape == (len(series),):
        return pd.Series(out, index=series.index)
    return out


def _check_agents(n: np.ndarray) -> None:
    ok = np.isnan(n) | ((n >= 0) & (n == np.floor(n)))
    if not ok.all():
        bad = n[~ok].ravel()[0]
        raise ValueError(
            f"agents must be whole numbers >= 0, got {bad!r}; "
            "use wfm.staffing.projected_service for fractional agent counts"
        )


def _check_nonneg(name: str, x: np.ndarray) -> None:
    if (x < 0).any():
        raise ValueError(f"{name} must be >= 0, got {x[x < 0].ravel()[0]!r}")


def _b_step(b: np.ndarray, a: np.ndarray, k) -> np.ndarray:
    """One step of the Erlang B recursion: B(k) from B(k-1)."""
    ab = a * b
    return ab / (k + ab)


def _erlang_b_flat(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Erlang B for 1-d arrays of whole agent counts ``n`` (finite, >= 0) and loads ``a`` [erlangs]."""
    out = np.ones(n.shape, dtype=float)
    if n.size == 0:
        return out
    order = np.argsort(n, kind="stable")
    ns = n[order].astype(np.int64)
    as_ = a[order]
    b = np.ones(ns.shape, dtype=float)
    kmax = int(ns[-1]) if ns.size else 0
    # starts[k-1] = first sorted position with n >= k: those positions still need the k-th step.
    starts = np.searchsorted(ns, np.arange(1, kmax + 1), side="left")
    for k in range(1, kmax + 1):
        s = starts[k - 1]
        b[s:] = _b_step(b[s:], as_[s:], k)
    out[order] = b
    return out


def _erlang_c_from_b(n, a, b):
    """Erlang C from Erlang B; valid where n > a > 0."""
    return n * b / (n - a * (1.0 - b))


def _b_nan_safe(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Erlang B on broadcast arrays; NaN where either input is NaN."""
    flat_n, flat_a = n.ravel(), a.ravel()
    good = ~(np.isnan(flat_n) | np.isnan(flat_a))
    res = np.full(flat_n.shape, np.nan)
    res[good] = _erlang_b_flat(flat_n[good], flat_a[good])
    return res.reshape(n.shape)


def _load(calls, aht_s, interval_s):
    if (interval_s <= 0).any():
        raise ValueError("interval_s must be > 0")
    _check_nonneg("calls", calls)
    _check_nonneg("aht_s", aht_s)
    return calls * aht_s / interval_s


# ----------------------------------------------------------------------------------------------- public API


def erlang_b(agents, load):
    """Erlang B blocking probability of ``agents`` servers (whole numbers) offered ``load`` [erlangs].

    Uses the stable recursion ``B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1))``.
    """
    (n, a), how = _prepare(agents, load)
    _check_agents(n)
    _check_nonneg("load", a)
    return _finish(_b_nan_safe(n, a), how)


def erlang_c(agents, load):
    """Erlang C probability that a call waits, with ``agents`` on the phone and ``load`` [erlangs].

    ``C = N B / (N - A (1 - B))`` with ``B`` the Erlang B value. 1.0 where ``agents <= load`` (the queue
    is unstable, every call waits) and 0.0 where ``load == 0``.
    """
    (n, a), how = _prepare(agents, load)
    _check_agents(n)
    _check_nonneg("load", a)
    out = _c(n, a)
    return _finish(out, how)


def _c(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    b = _b_nan_safe(n, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = _erlang_c_from_b(n, a, b)
    c = np.where(n <= a, 1.0, c)
    c = np.where(a == 0, 0.0, c)
    c = np.where(np.isnan(n) | np.isnan(a), np.nan, c)
    return np.clip(c, 0.0, 1.0)


def service_level(calls, aht_s, agents, interval_s, sl_seconds):
    """Share of calls answered within ``sl_seconds`` [s].

    ``calls``: calls per interval; ``aht_s``: handle time [s]; ``agents``: agents on the phone (whole
    numbers); ``interval_s``: interval length [s]. ``SL = 1 - C exp(-(N - A) T / AHT)`` with ``A`` the
    load in erlangs and ``C`` the Erlang C value. 1.0 with zero load (no calls); 0.0 where
    ``agents <= load``.
    """
    (calls, aht, n, iv, t), how = _prepare(calls, aht_s, agents, interval_s, sl_seconds)
    _check_agents(n)
    _check_nonneg("sl_seconds", t)
    a = _load(calls, aht, iv)
    return _finish(_sl(n, a, aht, t), how)


def _sl(n, a, aht, t):
    c = _c(n, a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sl = 1.0 - c * np.exp(-(n - a) * t / aht)
    sl = np.where(n <= a, 0.0, sl)
    sl = np.where(a == 0, 1.0, sl)
    sl = np.where(np.isnan(n) | np.isnan(a) | np.isnan(t), np.nan, sl)
    return np.clip(sl, 0.0, 1.0)


def asa(calls, aht_s, agents, interval_s):
    """Average speed of answer [s] over all calls: ``C AHT / (N - A)``.

    ``calls``: calls per interval; ``aht_s`` [s]; ``agents``: agents on the phone; ``interval_s`` [s].
    ``inf`` where ``agents <= load`` (the queue grows without bound); 0.0 with zero load.
    """
    (calls, aht, n, iv), how = _prepare(calls, aht_s, agents, interval_s)
    _check_agents(n)
    a = _load(calls, aht, iv)
    return _finish(_asa(n, a, aht), how)


def _asa(n, a, aht):
    c = _c(n, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = c * aht / (n - a)
    w = np.where(n <= a, np.inf, w)
    w = np.where(a == 0, 0.0, w)
    return np.where(np.isnan(n) | np.isnan(a), np.nan, w)


def occupancy(calls, aht_s, agents, interval_s):
    """Agent occupancy ``A / N`` (share of time on calls), capped at 1.0; 0.0 where load and agents are 0.

    ``calls``: calls per interval; ``aht_s`` [s]; ``agents``: agents on the phone; ``interval_s`` [s].
    """
    (calls, aht, n, iv), how = _prepare(calls, aht_s, agents, interval_s)
    _check_nonneg("agents", n)
    a = _load(calls, aht, iv)
    return _finish(_occ(n, a), how)


def _occ(n, a):
    with np.errstate(divide="ignore", invalid="ignore"):
        o = np.minimum(a / n, 1.0)
    o = np.where(a == 0, 0.0, o)
    return np.where(np.isnan(n) | np.isnan(a), np.nan, o)


def _ceil9(x):
    """ceil() after rounding to 9 decimals, so that float error (7 / 0.7 = 10.000000000000002) does not add one."""
    return np.ceil(np.round(x, 9))


def _required(calls, aht_s, interval_s, sl_target, sl_seconds, max_occupancy, asa_target_s, max_agents):
    """Flat float arrays in; (agents, met) out. ``met`` is False where ``max_agents`` stopped the search."""
    if int(max_agents) != max_agents or max_agents < 0:
        raise ValueError(f"max_agents must be a whole number >= 0, got {max_agents!r}")
    max_agents = int(max_agents)
    if not (np.isfinite(calls).all() and np.isfinite(aht_s).all()):
        raise ValueError("calls and aht_s must be finite numbers (no NaN or inf)")
    if ((max_occupancy <= 0) | (max_occupancy > 1)).any():
        raise ValueError("max_occupancy must be in (0, 1]")
    _check_nonneg("sl_seconds", sl_seconds)
    a = _load(calls, aht_s, interval_s)
    agents = np.zeros(a.size, dtype=np.int64)
    met = np.ones(a.size, dtype=bool)
    pos = np.flatnonzero(a > 0)
    if pos.size == 0:
        return agents, met
    a_p, aht_p, t_p, tgt_p, asa_p = a[pos], aht_s[pos], sl_seconds[pos], sl_target[pos], asa_target_s[pos]
    # Lower bounds: a stable queue (N > A) and the occupancy cap (N >= A / max_occupancy).
    n_occ = _ceil9(a_p / max_occupancy[pos])
    n = np.minimum(np.maximum(np.floor(a_p) + 1.0, n_occ), max_agents)
    b = _erlang_b_flat(n, a_p)
    idx = np.arange(pos.size)  # intervals still searching
    while idx.size:
        ai, ni, bi, ahti = a_p[idx], n[idx], b[idx], aht_p[idx]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            stable = ni > ai
            c = np.where(stable, _erlang_c_from_b(ni, ai, bi), 1.0)
            # Same expressions as service_level() and asa(), so the answer agrees with them exactly.
            sl = np.where(stable, np.clip(1.0 - c * np.exp(-(ni - ai) * t_p[idx] / ahti), 0.0, 1.0), 0.0)
            w = np.where(stable, c * ahti / (ni - ai), np.inf)
        ok = stable & (sl >= tgt_p[idx]) & (ni >= n_occ[idx]) & (w <= asa_p[idx])
        done = ok | (ni >= max_agents)
        agents[pos[idx[done]]] = ni[done].astype(np.int64)
        met[pos[idx[done & ~ok]]] = False
        idx = idx[~done]
        if idx.size:
            n[idx] += 1.0
            b[idx] = _b_step(b[idx], a_p[idx], n[idx])
    return agents, met


def required_agents_met(calls, aht_s, interval_s, sl_target=0.8, sl_seconds=20, max_occupancy=1.0,
                        asa_target_s=None, max_agents=2000):
    """:func:`required_agents` as a numpy int array, with a bool array ``met``: False where ``max_agents``
    was reached before the target was met."""
    asa_t = np.inf if asa_target_s is None else asa_target_s
    (calls, aht, iv, tgt, t, occ, asa_t), _ = _prepare(calls, aht_s, interval_s, sl_target, sl_seconds,
                                                       max_occupancy, asa_t)
    shape = calls.shape
    n, met = _required(*(x.ravel() for x in (calls, aht, iv, tgt, t, occ, asa_t)), max_agents)
    return n.reshape(shape), met.reshape(shape)


def required_agents(
    calls,
    aht_s,
    interval_s,
    sl_target=0.8,
    sl_seconds=20,
    max_occupancy=1.0,
    asa_target_s=None,
    max_agents=2000,
):
    """Fewest agents on the phone that meet the service-level target, per interval.

    ``calls``: calls per interval (fractional allowed); ``aht_s``: handle time [s]; ``interval_s``:
    interval length [s]; ``sl_target``: share of calls to answer within ``sl_seconds`` [s];
    ``max_occupancy``: cap on occupancy ``A / N``; ``asa_target_s``: optional cap on the average speed of
    answer [s]; ``max_agents``: search limit.

    Returns the smallest whole ``N > A`` (A = load in erlangs) with ``service_level >= sl_target``,
    ``A / N <= max_occupancy`` and, if given, ``asa <= asa_target_s``. Zero calls (zero load) need 0
    agents. Where the target cannot be met with ``max_agents`` agents, ``max_agents`` is returned (the
    caller reports it; :func:`required_agents_met` also says where). Whole numbers: Python ``int`` for
    scalar input, an int64 array or Series otherwise.

    The search starts every interval at its lower bound ``max(floor(A) + 1, ceil(A / max_occupancy))``
    and steps all intervals that still miss the target up by one agent together, updating Erlang B by
    one step of its recursion, so the cost is about ``sum(A) + n_intervals * max(extra agents)``
    element operations.
    """
    asa_t = np.inf if asa_target_s is None else asa_target_s
    _, (scalar, series) = _prepare(calls, aht_s, interval_s, sl_target, sl_seconds, max_occupancy, asa_t)
    n, _ = required_agents_met(calls, aht_s, interval_s, sl_target, sl_seconds, max_occupancy, asa_target_s,
                               max_agents)
    if scalar:
        return int(n.reshape(()).item())
    if series is not None and n.shape == (len(series),):
        return pd.Series(n, index=series.index)
    return n

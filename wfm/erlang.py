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

Erlang A (M/M/n+M: callers abandon after an exponential patience with mean ``patience_s`` [s]) follows
Mandelbaum & Zeltyn (2007) and Garnett, Mandelbaum & Reiman (2002); see :func:`erlang_a`. Its service level
is **answered within ``sl_seconds`` over offered**: a call that abandons, early or late, counts as not met.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special as _sp

__all__ = [
    "erlang_b", "erlang_c", "service_level", "asa", "occupancy", "required_agents", "required_agents_met",
    "erlang_a", "abandon_rate_a", "service_level_a", "asa_a", "mean_wait_a", "occupancy_a", "erlang_a_metrics",
    "required_agents_a", "required_agents_a_met",
]


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


# ----------------------------------------------------------------------------------------------- Erlang A
#
# M/M/n+M (Palm's Erlang A). Notation of Mandelbaum & Zeltyn (2007): arrival rate lam [1/s], service rate
# mu = 1 / aht_s, abandonment rate theta = 1 / patience_s, n agents, load A = lam / mu [erlangs],
# x = n mu / theta, y = lam / theta. With E = Erlang B(n, A) and K(x, y) = sum_j prod_{i=1..j} y / (x + i)
# (= x e^y y^-x gamma(x, y), the function Mandelbaum & Zeltyn call A(x, y)):
#
#   P(W > 0)          = K E / (1 + (K - 1) E)
#   P(served | W > 0) = (n / A) (1 - 1 / K)                    so  P(abandon) = P(W > 0) (1 - P(served | W > 0))
#
# A caller who finds j callers queued ahead would be answered after V = sum_{i=0..j} Exp(n mu + i theta),
# and exp(-theta V) ~ Beta(x, j + 1). Mixing over j with the stationary queue: among callers who wait and
# are answered, R = y exp(-theta W) is Gamma(x + 1) truncated to [0, y]. Hence, with u = exp(-theta T):
#
#   P(answered within T | W > 0) = (n / A) [P(x + 1, y) - P(x + 1, y u)] / P(x, y)     (P = regularised gamma)
#   E[W | answered, W > 0]       = E[log(y / R)] / theta
#
# docs/staffing.md writes the derivation out. Everything is evaluated through log K, so no factorial or
# power overflows; scipy's regularised gamma is used where it is not vanishingly small and the (then fast
# converging) series for K otherwise.

_TINY = 1e-150  # below this, a regularised gamma value is replaced by its series (its log loses digits)
_MAX_TERMS = 1_000_000  # safety cap on series length; the series used converge in O(sqrt(x)) terms


def _log_kummer(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log K(x, z) = log sum_j prod_{i=1..j} z / (x + i) for flat arrays x > 0, z >= 0."""
    out = np.zeros(x.shape)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        p = _sp.gammainc(x, z)
    # The series converges geometrically where z is below x; there the gamma route would cancel digits.
    series = (z <= 0.5 * (x + 1.0)) | (p < _TINY)
    g = ~series
    with np.errstate(divide="ignore", invalid="ignore"):
        out[g] = np.log(p[g]) - x[g] * np.log(z[g]) + z[g] + _sp.gammaln(x[g] + 1.0)
    idx = np.flatnonzero(series & (z > 0))
    if idx.size:
        xs, zs = x[idx], z[idx]
        term = np.ones(idx.size)
        tot = np.zeros(idx.size)
        act = np.arange(idx.size)
        i = 1
        while act.size and i < _MAX_TERMS:
            term[act] *= zs[act] / (xs[act] + i)
            tot[act] += term[act]
            r = zs[act] / (xs[act] + i + 1)
            # The tail after this term is below term * r / (1 - r): stop when that is lost in the sum.
            act = act[term[act] * r > 1e-17 * (1.0 - r) * (1.0 + tot[act])]
            i += 1
        out[idx] = np.log1p(tot)
    return out


def _mean_log_ratio(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """E[log(y / R) | R <= y] for R ~ Gamma(a, 1), flat arrays a >= 1, y > 0."""
    out = np.empty(a.shape)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        p = _sp.gammainc(a, y)
    series = (y <= 0.5 * a) | (p < _TINY)
    g = np.flatnonzero(~series)
    if g.size:
        # log y - d/da log gamma(a, y) = log y - digamma(a) - d/da log P(a, y); the last term by a central
        # difference (relative error about 1e-9 against quadrature, see tests).
        ag, yg = a[g], y[g]
        h = 1e-4 * np.sqrt(ag)
        with np.errstate(divide="ignore"):
            d = (np.log(_sp.gammainc(ag + h, yg)) - np.log(_sp.gammainc(ag - h, yg))) / (2.0 * h)
        out[g] = np.log(yg) - _sp.digamma(ag) - d
    idx = np.flatnonzero(series)
    if idx.size:
        # Expanding exp(y (1 - s)) in the density of s = R / y: weights c_k = prod_{i=1..k} y / (a + i) on
        # E[-log s | k] = sum_{i=0..k} 1 / (a + i).
        as_, ys = a[idx], y[idx]
        c = np.ones(idx.size)
        h = 1.0 / as_
        num = h.copy()
        den = np.ones(idx.size)
        act = np.arange(idx.size)
        k = 1
        while act.size and k < _MAX_TERMS:
            ak = as_[act] + k
            c[act] *= ys[act] / ak
            h[act] += 1.0 / ak
            num[act] += c[act] * h[act]
            den[act] += c[act]
            r = ys[act] / (ak + 1.0)
            act = act[c[act] * r > 1e-17 * (1.0 - r) * den[act]]
            k += 1
        out[idx] = num / den
    return out


def _log_erlang_b(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """log Erlang B at any whole n >= 0 for loads a > 0, without the recursion from 0 agents.

    B = P(X = n) / P(X <= n) for X ~ Poisson(a), with P(X <= n) = Q(n + 1, a) (regularised upper gamma).
    Where that is vanishingly small (n far below a), 1 / B = sum_{i=0..n} prod_{m<i} (n - m) / a instead.
    """
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        q = _sp.gammaincc(n + 1.0, a)
        out = n * np.log(a) - a - _sp.gammaln(n + 1.0) - np.log(q)
    idx = np.flatnonzero(q < _TINY)
    if idx.size:
        ns, as_ = n[idx], a[idx]
        term = np.ones(idx.size)
        tot = np.ones(idx.size)
        act = np.flatnonzero(ns >= 1)
        i = 1
        while act.size and i < _MAX_TERMS:
            term[act] *= (ns[act] - i + 1.0) / as_[act]
            tot[act] += term[act]
            r = (ns[act] - i) / as_[act]
            act = act[(ns[act] > i) & (term[act] * r > 1e-17 * (1.0 - r) * tot[act])]
            i += 1
        out[idx] = -np.log(tot)
    return out


_A_KEYS = ("wait_probability", "abandon_rate", "service_level", "asa_s", "mean_wait_s", "occupancy")


def _a_eval(n, calls, aht, iv, t, pat, with_asa: bool = True) -> dict:
    """Erlang A figures for flat float arrays of equal length. ``t`` [s] may hold NaN where no service level
    is wanted. Returns a dict of arrays keyed by :data:`_A_KEYS` (``asa_s`` NaN unless ``with_asa``)."""
    size = n.size
    out = {k: np.full(size, np.nan) for k in _A_KEYS}
    with np.errstate(invalid="ignore", divide="ignore"):
        a = calls * aht / iv
    bad = np.isnan(n) | np.isnan(a) | np.isnan(pat)
    zero = ~bad & (a == 0)
    none = ~bad & ~zero & (n == 0)
    rest = ~bad & ~zero & ~none
    inf_p = rest & np.isinf(pat)
    loss = rest & (pat == 0)
    gen = rest & ~inf_p & ~loss

    for k, v in zip(_A_KEYS, (0.0, 0.0, 1.0, 0.0, 0.0, 0.0)):
        out[k][zero] = v
    # No agents: nobody is answered; with finite patience every caller abandons after waiting patience_s.
    out["wait_probability"][none] = 1.0
    out["abandon_rate"][none] = np.where(np.isinf(pat[none]), 0.0, 1.0)
    out["service_level"][none] = 0.0
    out["asa_s"][none] = np.where(np.isinf(pat[none]), np.inf, np.nan)
    out["mean_wait_s"][none] = pat[none]

    if inf_p.any():  # infinitely patient callers: Erlang C (unstable queue where n <= A)
        ni, ai, ahti = n[inf_p], a[inf_p], aht[inf_p]
        out["wait_probability"][inf_p] = _c(ni, ai)
        out["abandon_rate"][inf_p] = 0.0
        out["service_level"][inf_p] = _sl(ni, ai, ahti, t[inf_p])
        w = _asa(ni, ai, ahti)
        out["asa_s"][inf_p] = w
        out["mean_wait_s"][inf_p] = w
        out["occupancy"][inf_p] = _occ(ni, ai)

    if loss.any():  # zero patience: a caller who finds every agent busy leaves at once (Erlang B)
        ni, ai = n[loss], a[loss]
        b = np.exp(_log_erlang_b(ni, ai))
        out["wait_probability"][loss] = b
        out["abandon_rate"][loss] = b
        out["service_level"][loss] = 1.0 - b
        out["asa_s"][loss] = 0.0
        out["mean_wait_s"][loss] = 0.0
        out["occupancy"][loss] = np.minimum(ai * (1.0 - b) / ni, 1.0)

    if gen.any():
        ni, ai, ahti, pi, ti = n[gen], a[gen], aht[gen], pat[gen], t[gen]
        ci, ivi = calls[gen], iv[gen]
        x = ni * pi / ahti
        y = ci * pi / ivi
        log_b = _log_erlang_b(ni, ai)
        log_k = _log_kummer(x, y)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            # 1 / P(W > 0) = 1 + (1 / E - 1) / K, taken in logs so that neither 1 / E nor K overflows.
            nb = -log_b
            log_odds = nb + np.log(-np.expm1(-nb)) - log_k
            pw = _sp.expit(-log_odds)
            no_wait = _sp.expit(log_odds)  # 1 - pw without cancellation where almost everyone waits
            ratio = ni / ai  # x / y = n mu / lam
            served_w = np.minimum(ratio * -np.expm1(-log_k), 1.0)
            pab = pw * (1.0 - served_w)
            # Answered within T among those who wait: (n / A) [(K - 1) - (K(x, y u) - 1) u^x e^{y (1 - u)}] / K.
            u_log = -ti / pi
            log_k2 = _log_kummer(x, y * np.exp(u_log))
            expo = -ni * ti / ahti - y * np.expm1(u_log)
            term2 = np.exp(np.log(np.expm1(log_k2)) + expo - log_k)
            sl_w = ratio * np.maximum(-np.expm1(-log_k) - term2, 0.0)
            sl = np.clip(no_wait + pw * sl_w, 0.0, 1.0)
        sl = np.where(np.isnan(ti), np.nan, sl)
        out["wait_probability"][gen] = pw
        out["abandon_rate"][gen] = pab
        out["service_level"][gen] = sl
        out["mean_wait_s"][gen] = pab * pi
        out["occupancy"][gen] = np.minimum(ai * (1.0 - pab) / ni, 1.0)
        if with_asa:
            g = _mean_log_ratio(x + 1.0, y)
            out["asa_s"][gen] = pw * served_w * g * pi / (1.0 - pab)
    out["service_level"][np.isnan(t)] = np.nan
    return out


def _a_inputs(calls, aht_s, agents, interval_s, patience_s, sl_seconds=np.nan):
    (calls, aht, n, iv, pat, t), how = _prepare(calls, aht_s, agents, interval_s, patience_s, sl_seconds)
    _check_agents(n)
    _check_nonneg("patience_s", pat)
    _check_nonneg("sl_seconds", t)
    _load(calls, aht, iv)  # validates calls, aht_s and interval_s
    return (calls, aht, n, iv, pat, t), how


def _a_one(key, calls, aht_s, agents, interval_s, patience_s, sl_seconds=np.nan):
    (calls, aht, n, iv, pat, t), how = _a_inputs(calls, aht_s, agents, interval_s, patience_s, sl_seconds)
    r = _a_eval(*(v.ravel() for v in (n, calls, aht, iv, t, pat)), with_asa=(key == "asa_s"))
    return _finish(r[key].reshape(n.shape), how)


def erlang_a(calls, aht_s, agents, interval_s, patience_s):
    """Erlang A (M/M/n+M) probability that a call has to wait (finds every agent busy).

    ``calls``: calls per interval; ``aht_s``: mean handle time [s]; ``agents``: agents on the phone (whole
    numbers); ``interval_s``: interval length [s]; ``patience_s``: mean of the callers' exponential patience
    [s] (how long they would wait before hanging up).

    ``P(W > 0) = K E / (1 + (K - 1) E)`` (Mandelbaum & Zeltyn 2007), ``E`` the Erlang B value at the load
    ``A = calls * aht_s / interval_s`` [erlangs] and ``K`` their incomplete-gamma function. The queue is
    stable at any agent count. ``patience_s = inf`` gives Erlang C, ``patience_s = 0`` Erlang B (callers
    who find everyone busy leave at once). 0.0 with no calls; 1.0 with no agents.
    """
    return _a_one("wait_probability", calls, aht_s, agents, interval_s, patience_s)


def abandon_rate_a(calls, aht_s, agents, interval_s, patience_s):
    """Erlang A share of offered calls that abandon (hang up before an agent answers).

    ``calls``: calls per interval; ``aht_s`` [s]; ``agents``: agents on the phone; ``interval_s`` [s];
    ``patience_s``: mean exponential patience [s]. ``P(Ab) = P(W > 0) (1 - (N / A) (1 - 1 / K))``.
    0.0 with no calls or infinite patience; 1.0 with no agents (and finite patience).
    """
    return _a_one("abandon_rate", calls, aht_s, agents, interval_s, patience_s)


def service_level_a(calls, aht_s, agents, interval_s, sl_seconds, patience_s):
    """Erlang A service level: calls **answered within** ``sl_seconds`` [s] **over calls offered**.

    ``calls``: calls per interval; ``aht_s`` [s]; ``agents``: agents on the phone; ``interval_s`` [s];
    ``patience_s``: mean exponential patience [s]. Every abandoned call counts as not met, including one
    that hangs up before ``sl_seconds`` (this is the definition of pyworkforce's Erlang A and the most
    conservative of the usual three). With ``patience_s = inf`` it equals :func:`service_level`.
    1.0 with no calls; 0.0 with no agents.
    """
    return _a_one("service_level", calls, aht_s, agents, interval_s, patience_s, sl_seconds)


def asa_a(calls, aht_s, agents, interval_s, patience_s):
    """Erlang A average speed of answer [s]: the mean wait of **answered** calls (abandoned calls excluded).

    ``calls``: calls per interval; ``aht_s`` [s]; ``agents``: agents on the phone; ``interval_s`` [s];
    ``patience_s``: mean exponential patience [s]. 0.0 with no calls; NaN with no agents (no call is
    answered) unless ``patience_s = inf`` (then ``inf``, as :func:`asa`).
    """
    return _a_one("asa_s", calls, aht_s, agents, interval_s, patience_s)


def mean_wait_a(calls, aht_s, agents, interval_s, patience_s):
    """Erlang A mean wait [s] of **all offered** calls, answered and abandoned: ``P(Ab) * patience_s``.

    ``calls``: calls per interval; ``aht_s`` [s]; ``agents``: agents on the phone; ``interval_s`` [s];
    ``patience_s``: mean exponential patience [s]. (With exponential patience the abandonment rate is
    ``mean wait / patience_s``; Mandelbaum & Zeltyn 2007.)
    """
    return _a_one("mean_wait_s", calls, aht_s, agents, interval_s, patience_s)


def occupancy_a(calls, aht_s, agents, interval_s, patience_s):
    """Erlang A agent occupancy: answered load over agents, ``A (1 - P(Ab)) / N`` (share of time on calls).

    ``calls``: calls per interval; ``aht_s`` [s]; ``agents``: agents on the phone; ``interval_s`` [s];
    ``patience_s``: mean exponential patience [s]. 0.0 with no calls; NaN with no agents.
    """
    return _a_one("occupancy", calls, aht_s, agents, interval_s, patience_s)


def erlang_a_metrics(calls, aht_s, agents, interval_s, sl_seconds, patience_s) -> pd.DataFrame:
    """All Erlang A figures in one pass, one row per broadcast element.

    Columns: ``wait_probability``, ``abandon_rate`` (shares of offered calls), ``service_level`` (answered
    within ``sl_seconds`` [s] over offered), ``asa_s`` (mean wait of answered calls [s]), ``mean_wait_s``
    (mean wait of all offered calls [s]) and ``occupancy``. Inputs as :func:`service_level_a` (``calls`` in
    calls per interval, times in seconds); the index is that of the first Series argument, if any.
    """
    (calls, aht, n, iv, pat, t), (_, series) = _a_inputs(calls, aht_s, agents, interval_s, patience_s, sl_seconds)
    r = _a_eval(*(v.ravel() for v in (n, calls, aht, iv, t, pat)))
    index = series.index if series is not None and len(series) == n.size else None
    return pd.DataFrame(r, index=index)


def _required_a(calls, aht, iv, pat, tgt, t, occ_cap, max_ab, max_agents):
    """Flat float arrays in; (agents, met) out. Search: Erlang C answer as first guess, gallop, bisect."""
    if int(max_agents) != max_agents or max_agents < 0:
        raise ValueError(f"max_agents must be a whole number >= 0, got {max_agents!r}")
    max_agents = int(max_agents)
    if not (np.isfinite(calls).all() and np.isfinite(aht).all()):
        raise ValueError("calls and aht_s must be finite numbers (no NaN or inf)")
    if np.isnan(pat).any():
        raise ValueError("patience_s must be a number >= 0 (inf for infinitely patient callers), not NaN")
    _check_nonneg("patience_s", pat)
    if ((occ_cap <= 0) | (occ_cap > 1)).any():
        raise ValueError("max_occupancy must be in (0, 1]")
    if ((max_ab < 0) | np.isnan(max_ab)).any():
        raise ValueError("max_abandon must be a share >= 0")
    if ((tgt < 0) | (tgt > 1)).any():
        raise ValueError("sl_target must be in [0, 1]")
    _check_nonneg("sl_seconds", t)
    a = _load(calls, aht, iv)
    agents = np.zeros(a.size, dtype=np.int64)
    met = np.ones(a.size, dtype=bool)
    pos = np.flatnonzero(a > 0)
    if pos.size == 0:
        return agents, met
    if max_agents == 0:
        met[pos] = False
        return agents, met

    def ok(nn: np.ndarray, ii: np.ndarray) -> np.ndarray:
        r = _a_eval(nn, calls[ii], aht[ii], iv[ii], t[ii], pat[ii], with_asa=False)
        occ_need = _ceil9(a[ii] * (1.0 - r["abandon_rate"]) / occ_cap[ii])
        with np.errstate(invalid="ignore"):
            good = (r["service_level"] >= tgt[ii]) & (nn >= occ_need) & (r["abandon_rate"] <= max_ab[ii])
        # Infinitely patient callers need a stable queue, as in required_agents().
        return good & (np.isfinite(pat[ii]) | (nn > a[ii]))

    ap = a[pos]
    # Lower bound: answered within T over offered cannot exceed the answered share, which is <= N / A; and
    # P(abandon) >= 1 - N / A. So fewer than tgt A or (1 - max_abandon) A agents always fail.
    with np.errstate(invalid="ignore"):
        lo = np.maximum.reduce([np.ones(pos.size), _ceil9(tgt[pos] * ap), _ceil9((1.0 - max_ab[pos]) * ap)])
    lo = np.minimum(lo, max_agents)
    guess, _ = _required(calls[pos], aht[pos], iv[pos], tgt[pos], t[pos], occ_cap[pos],
                         np.full(pos.size, np.inf), max_agents)
    guess = np.clip(guess.astype(float), lo, max_agents)
    good = ok(guess, pos)
    hi = np.where(good, guess, np.nan)  # smallest agent count known to meet the targets
    fail = np.where(good, lo - 1.0, guess)  # largest agent count known to miss them
    # Gallop upwards from a failing guess: +1, +2, +4, ... until a count meets the targets or hits the cap.
    act = np.flatnonzero(~good)
    step = np.ones(act.size)
    while act.size:
        capped = fail[act] >= max_agents
        met[pos[act[capped]]] = False
        hi[act[capped]] = max_agents
        act, step = act[~capped], step[~capped]
        if not act.size:
            break
        trial = np.minimum(fail[act] + step, max_agents)
        g = ok(trial, pos[act])
        hi[act[g]] = trial[g]
        fail[act[~g]] = trial[~g]
        act, step = act[~g], step[~g] * 2.0
    # Bisect between a failing and a meeting count; a capped interval has nothing to bisect.
    act = np.flatnonzero(met[pos] & (hi - fail > 1))
    while act.size:
        mid = np.floor((hi[act] + fail[act]) / 2.0)
        g = ok(mid, pos[act])
        hi[act[g]] = mid[g]
        fail[act[~g]] = mid[~g]
        act = act[hi[act] - fail[act] > 1]
    agents[pos] = hi.astype(np.int64)
    return agents, met


def required_agents_a_met(calls, aht_s, interval_s, patience_s, sl_target=0.8, sl_seconds=20, max_occupancy=1.0,
                          max_abandon=None, max_agents=2000):
    """:func:`required_agents_a` as a numpy int array, with a bool array ``met``: False where ``max_agents``
    was reached before the targets were met."""
    max_ab = np.inf if max_abandon is None else max_abandon
    (calls, aht, iv, pat, tgt, t, occ, mab), _ = _prepare(calls, aht_s, interval_s, patience_s, sl_target, sl_seconds,
                                                          max_occupancy, max_ab)
    shape = calls.shape
    n, met = _required_a(*(x.ravel() for x in (calls, aht, iv, pat, tgt, t, occ, mab)), max_agents)
    return n.reshape(shape), met.reshape(shape)


def required_agents_a(calls, aht_s, interval_s, patience_s, sl_target=0.8, sl_seconds=20, max_occupancy=1.0,
                      max_abandon=None, max_agents=2000):
    """Fewest agents on the phone that meet the targets under Erlang A (callers abandon), per interval.

    ``calls``: calls per interval (fractional allowed); ``aht_s``: mean handle time [s]; ``interval_s``:
    interval length [s]; ``patience_s``: mean exponential patience [s] (``inf``: Erlang C); ``sl_target``:
    share of offered calls to answer within ``sl_seconds`` [s] (:func:`service_level_a`: abandoned calls
    count as not met); ``max_occupancy``: cap on :func:`occupancy_a`; ``max_abandon``: optional cap on
    :func:`abandon_rate_a`; ``max_agents``: search limit.

    Zero calls need 0 agents. Where the targets cannot be met with ``max_agents`` agents, ``max_agents`` is
    returned (:func:`required_agents_a_met` also says where). Unlike Erlang C, fewer agents than the load
    can meet a target when callers are impatient. Whole numbers: Python ``int`` for scalar input, an int64
    array or Series otherwise.

    The search starts at the Erlang C answer, gallops up (+1, +2, +4, ...) where that misses the targets and
    bisects down to the smallest count that meets them, all intervals together (about 10 evaluations each);
    it relies on service level rising and abandonment and occupancy falling as agents are added.
    """
    max_ab = np.inf if max_abandon is None else max_abandon
    _, (scalar, series) = _prepare(calls, aht_s, interval_s, patience_s, sl_target, sl_seconds, max_occupancy, max_ab)
    n, _ = required_agents_a_met(calls, aht_s, interval_s, patience_s, sl_target, sl_seconds, max_occupancy,
                                 max_abandon, max_agents)
    if scalar:
        return int(n.reshape(()).item())
    if series is not None and n.shape == (len(series),):
        return pd.Series(n, index=series.index)
    return n

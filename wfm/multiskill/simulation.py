"""Multi-skill centre simulation: several queues, agents in skill sets, a routing policy, abandonment and
call-backs, staff per skill set changing at interval boundaries.

A **skill set** is a group of interchangeable agents trained on the same queues (the ``queues`` cell of the
agents file: ``sales;service``). Its queues are listed in the group's **order of priority**: the first is the
agents' preferred queue.

Model, per replication of the day:

* arrivals per queue: Poisson with ``arrivals[q][k]`` expected calls in interval ``k``, uniform within it;
* handle times: exponential with mean ``aht_s[q]`` (the caller's queue, at the arrival interval), or
  lognormal with that mean and coefficient of variation ``handle_cv``; the handle time belongs to the call,
  not to the agent, so it does not depend on who answers;
* patience per queue: exponential with mean ``patience_s[q]`` (``None``: nobody abandons); a caller who has
  waited that long hangs up and uses no agent time;
* routing, when a call arrives: an idle agent of an eligible skill set answers at once. Among the eligible
  sets the one ranking the queue highest answers (its preferred queue first), then the one with the fewest
  queues (keep the flexible agents free), then the set listed first. When an agent comes free it takes,
  with ``routing='priority'``, the longest-waiting caller of the first queue in its order that has one;
  with ``routing='longest_wait'`` the longest-waiting caller of all its queues (first come, first served
  across queues);
* call-back (``callback=CallBack(...)``): a caller who finds no idle agent is told the expected wait,
  ``(callers waiting in the queue + 1) x aht / agents staffed for the queue`` (what an ACD announces). When
  it exceeds ``threshold_s`` the caller is offered a call-back and accepts with probability
  ``take_share``. Accepted call-backs never abandon; agents return them only when none of their queues has a
  live caller waiting, oldest first, and each takes a handle time of its queue;
* staff: ``staff[s][k]`` agents of skill set ``s`` during interval ``k``. When staff rises at a boundary the
  new agents are free from the boundary; when it falls, idle agents leave first, then busy agents as their
  calls end (nobody is cut off). After the last interval its staff stay until every caller has been
  answered or has abandoned.

Figures are counted per queue by the caller's **arrival** interval. ``service_level`` is (live callers
answered within ``sl_seconds`` + call-backs returned within ``callback.window_s`` of the request) over
offered calls; abandoned calls count as not met. Without call-backs it is the definition of
:func:`wfm.erlang.service_level_a`. Confidence intervals come from independent replications of the day, as in
:mod:`wfm.simulate`.

Why an event loop in pure Python: the routing decisions depend on the whole state of the centre (which
sets are idle, which queues wait), so the per-caller trick of :mod:`wfm.simulate` (one heap of free times)
does not apply. About 1-2 s per million callers on one core (``bench/multiskill.py`` prints the figure).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..simulate import _per_interval, check_options, draw_callers, ratio_figures

__all__ = ["SkillSet", "CallBack", "CentreSimResult", "simulate_centre", "skill_sets_from_agents", "agent_skill_sets"]

_COUNTS = ("offered", "answered", "answered_within", "abandoned", "unanswered", "wait_answered_s",
           "wait_all_s", "callbacks", "callbacks_met")
_FIGURES = ("service_level", "asa_s", "abandon_rate", "mean_wait_s", "callback_share")


@dataclass(frozen=True)
class SkillSet:
    """Agents trained on ``queues``, listed in their order of priority (the first is the preferred queue)."""

    name: str
    queues: tuple[str, ...]

    def __post_init__(self):
        qs = tuple(str(q) for q in self.queues)
        if not qs:
            raise ValueError(f"skill set {self.name!r} has no queue")
        if len(set(qs)) != len(qs):
            raise ValueError(f"skill set {self.name!r} lists a queue twice: {', '.join(qs)}")
        object.__setattr__(self, "queues", qs)


@dataclass(frozen=True)
class CallBack:
    """Offer a call-back when the announced wait exceeds ``threshold_s`` [s]; ``take_share`` of the callers
    offered one accept; a call-back is met when returned within ``window_s`` [s] of the request."""

    threshold_s: float
    take_share: float
    window_s: float

    def __post_init__(self):
        if not (self.threshold_s >= 0 and math.isfinite(self.threshold_s)):
            raise ValueError("callback threshold_s must be a finite number of seconds >= 0")
        if not 0 <= self.take_share <= 1:
            raise ValueError("callback take_share must be a share in [0, 1]")
        if not self.window_s > 0:
            raise ValueError("callback window_s must be a number of seconds > 0")


def agent_skill_sets(agents: pd.DataFrame, queues=None) -> tuple[list[SkillSet], pd.Series]:
    """The distinct skill sets of an agents table and each agent's set.

    ``agents``: its ``queues`` column (``;``-separated, in priority order; a queue listed twice counts once)
    and ``agent_id`` (default: the row index); ``queues``: keep only these queues in each set, and leave out
    agents with none of them (default: all). A set is named by its queues joined with ``+``; should that
    name be a queue's (a queue itself called ``a+b`` beside agents trained on ``a`` and ``b``), the set of
    several queues gets `` #2``, `` #3``, ... (a set of one queue always has the queue's name). Agents listing the same queues in another order are a set of their own (their
    routing differs). Returns ``(sets sorted by name, Series of set names indexed by agent_id)``."""
    keep = None if queues is None else {str(q) for q in queues}
    ids = agents["agent_id"].astype(str) if "agent_id" in agents else pd.Series(agents.index.astype(str))
    cells = {}
    for aid, cell in zip(ids, agents["queues"].astype(str)):
        qs = tuple(dict.fromkeys(q.strip() for q in cell.split(";") if q.strip()))
        if keep is not None:
            qs = tuple(q for q in qs if q in keep)
        if qs:
            cells[aid] = qs
    names: dict = {}
    taken: set = set()
    for qs in sorted(set(cells.values()), key=lambda t: (len(t) > 1, t)):  # a queue's own name first
        name, n = "+".join(qs), 1
        while name in taken:
            n += 1
            name = f"{'+'.join(qs)} #{n}"
        names[qs] = name
        taken.add(name)
    sets = sorted((SkillSet(names[qs], qs) for qs in names), key=lambda s: s.name)
    return sets, pd.Series({a: names[qs] for a, qs in cells.items()}, dtype=object)


def phone_agents(rostered, shrinkage: float):
    """Whole agents on the phone of ``rostered`` agents (a number or an array) less ``shrinkage``, rounded
    down, as a roster's skill set is simulated (the rounding guards against 0.7 * 10 = 6.999...)."""
    return np.floor(np.round(np.asarray(rostered, dtype=float) * (1.0 - shrinkage), 9))


def skill_sets_from_agents(agents: pd.DataFrame, queues=None) -> list[SkillSet]:
    """The distinct skill sets of an agents table (:func:`agent_skill_sets`), sorted by name."""
    return agent_skill_sets(agents, queues)[0]


@dataclass(frozen=True)
class CentreSimResult:
    """Result of :func:`simulate_centre`.

    Count arrays of shape ``(replications, queues, intervals)`` by the caller's queue and arrival interval:
    ``offered``, ``answered`` (live callers answered), ``answered_within`` (within ``sl_seconds``),
    ``abandoned``, ``unanswered`` (still waiting for ever, or a call-back never returned), ``wait_answered_s``
    (sum of answered callers' waits [s]), ``wait_all_s`` (sum of all live callers' waits, abandoned callers
    until they hang up [s]), ``callbacks`` (call-backs accepted), ``callbacks_met`` (returned within the
    window). ``handled`` has shape ``(replications, skill sets, queues)``: calls (live and call-backs) each
    skill set handled per queue; ``busy_s`` shape ``(replications, skill sets, intervals)``: handle seconds
    per skill set, by the interval in which each call was picked up; ``busy_by_queue_s`` the same split by
    the call's queue, shape ``(replications, skill sets, queues, intervals)``.
    """

    queues: tuple[str, ...]
    skill_sets: tuple[str, ...]
    offered: np.ndarray
    answered: np.ndarray
    answered_within: np.ndarray
    abandoned: np.ndarray
    unanswered: np.ndarray
    wait_answered_s: np.ndarray
    wait_all_s: np.ndarray
    callbacks: np.ndarray
    callbacks_met: np.ndarray
    handled: np.ndarray
    busy_s: np.ndarray
    level: float
    busy_by_queue_s: np.ndarray | None = None

    @property
    def callers(self) -> int:
        """Callers simulated over all replications and queues."""
        return int(self.offered.sum())

    def summary(self, queue: str | None = None, intervals=None, level: float | None = None) -> pd.Series:
        """Figures for one queue (``None``: all queues pooled) over ``intervals`` (indices, a boolean mask or
        a slice; default all), with ``_lo``/``_hi`` bounds at ``level`` (default the result's)."""
        qsel = slice(None) if queue is None else [self.queues.index(str(queue))]
        k = self.offered.shape[2]
        isel = np.arange(k)[intervals if intervals is not None else slice(None)]
        c = {f: getattr(self, f)[:, qsel][:, :, isel].sum(axis=(1, 2)) for f in _COUNTS}
        return pd.Series({n: float(v) for n, v in _figures(c, self.level if level is None else level).items()})

    def by_queue(self, intervals=None, level: float | None = None) -> pd.DataFrame:
        """One row per queue (index ``queue``) of :meth:`summary`; :meth:`total` pools them."""
        k = self.offered.shape[2]
        isel = np.arange(k)[intervals if intervals is not None else slice(None)]
        lv = self.level if level is None else level
        c = {f: getattr(self, f)[:, :, isel].sum(axis=2) for f in _COUNTS}  # (replications, queues)
        return pd.DataFrame(_figures(c, lv), index=pd.Index(list(self.queues), name="queue")).astype(float)

    def total(self, intervals=None, level: float | None = None) -> pd.Series:
        """:meth:`summary` of all queues pooled."""
        return self.summary(None, intervals, level)

    def summary_arrays(self, queue: str, level: float | None = None) -> dict:
        """Figures of one queue per interval as arrays (the columns of :meth:`by_interval`)."""
        j = self.queues.index(str(queue))
        return _figures({c: getattr(self, c)[:, j, :] for c in _COUNTS}, self.level if level is None else level)

    def by_interval(self, level: float | None = None) -> pd.DataFrame:
        """``queue, interval`` and the figures per queue and interval."""
        lv = self.level if level is None else level
        out = []
        for q in self.queues:
            f = self.summary_arrays(q, lv)
            out.append(pd.DataFrame({"queue": q, "interval": np.arange(self.offered.shape[2]), **f}))
        return pd.concat(out, ignore_index=True)

    def occupancy(self, interval_s: float, staff: Mapping[str, Sequence[float]], intervals=None) -> pd.Series:
        """Busy share per skill set: handle seconds over staffed seconds in ``intervals`` (default all)."""
        k = self.busy_s.shape[2]
        isel = np.arange(k)[intervals if intervals is not None else slice(None)]
        out = {}
        for g, name in enumerate(self.skill_sets):
            on = np.broadcast_to(np.asarray(staff[name], dtype=float), (k,))[isel].sum() * interval_s
            out[name] = float(self.busy_s[:, g, isel].sum(axis=1).mean() / on) if on > 0 else math.nan
        return pd.Series(out)


def _figures(c: dict, level: float) -> dict:
    return ratio_figures(c["offered"], (
        ("service_level", c["answered_within"] + c["callbacks_met"], c["offered"]),
        ("asa_s", c["wait_answered_s"], c["answered"]),
        ("abandon_rate", c["abandoned"], c["offered"]),
        ("mean_wait_s", c["wait_all_s"], c["offered"] - c["callbacks"]),
        ("callback_share", c["callbacks"], c["offered"]),
    ), level)


def _per_queue(v, queues, what):
    if isinstance(v, Mapping):
        missing = [q for q in queues if q not in v]
        if missing:
            raise ValueError(f"{what} has no value for queue {missing[0]!r}")
        return [v[q] for q in queues]
    return [v] * len(queues)


_WAITING, _ANSWERED, _ABANDONED, _CALLBACK = 0, 1, 2, 3


def _one_day(q_of, ivl, arr, svc, pat, take, sets_order, elig, staff, aht_iv, k, interval_s, sl_s, routing,
             cb, nq, ng):
    """One replication; returns the count arrays (queues x intervals) in _COUNTS order, handled and busy."""
    n = len(arr)
    status = [_WAITING] * n
    wait = [0.0] * n
    cb_met = [False] * n
    waiting = [deque() for _ in range(nq)]
    live = [0] * nq
    cbq = [deque() for _ in range(nq)]  # (request time, caller)
    idle = [int(staff[g][0]) for g in range(ng)]
    target = list(idle)
    leaving = [0] * ng
    served_by = [-1] * n  # the skill set that took each call, and when: handled and busy are summed at the end
    picked = [0.0] * n
    events = []  # (time, kind, agent's skill set or caller): completions (0) and abandonments (1)
    push, pop = heapq.heappush, heapq.heappop
    inf = math.inf
    thr = cb.threshold_s if cb is not None else inf
    window = cb.window_s if cb is not None else inf
    cb_on = cb is not None

    def start(g, i, t, kind):
        if kind == 0:
            status[i] = _ANSWERED
            wait[i] = t - arr[i]
            live[q_of[i]] -= 1
        served_by[i] = g
        picked[i] = t
        push(events, (t + svc[i], 0, g))

    def next_call(g, t):
        """Give a free agent of set g its next call at t; False when there is none."""
        order = sets_order[g]
        best = -1
        if routing == "priority":
            for q in order:
                dq = waiting[q]
                while dq and status[dq[0]] != _WAITING:
                    dq.popleft()
                if dq:
                    best = dq.popleft()
                    break
        else:
            bt = inf
            for q in order:
                dq = waiting[q]
                while dq and status[dq[0]] != _WAITING:
                    dq.popleft()
                if dq and arr[dq[0]] < bt:
                    bt = arr[dq[0]]
                    best = q
            if best >= 0:
                best = waiting[best].popleft()
        if best >= 0:
            start(g, best, t, 0)
            return True
        if cb_on:
            bt = inf
            bq = -1
            for q in order:
                if cbq[q] and cbq[q][0][0] < bt:
                    bt = cbq[q][0][0]
                    bq = q
            if bq >= 0:
                req, i = cbq[bq].popleft()
                cb_met[i] = t - req <= window
                start(g, i, t, 1)
                return True
        return False

    ai = 0
    nb = 1
    next_b = interval_s if k > 1 else inf
    while True:
        ta = arr[ai] if ai < n else inf
        te = events[0][0] if events else inf
        t = min(ta, te, next_b)
        if t == inf:
            break
        if next_b <= t:  # a staff change first: agents arriving at the boundary may take that instant's work
            t = next_b
            for g in range(ng):
                d = int(staff[g][nb]) - target[g]
                target[g] += d
                if d > 0:
                    c = min(d, leaving[g])
                    leaving[g] -= c
                    for _ in range(d - c):
                        if not next_call(g, t):
                            idle[g] += 1
                elif d < 0:
                    c = min(-d, idle[g])
                    idle[g] -= c
                    leaving[g] += -d - c
            nb += 1
            next_b = nb * interval_s if nb < k else inf
        elif te <= ta:
            _, kind, x = pop(events)
            if kind == 0:  # an agent of set x finished a call
                if leaving[x]:
                    leaving[x] -= 1
                elif not next_call(x, t):
                    idle[x] += 1
            elif status[x] == _WAITING:  # caller x's patience ran out
                status[x] = _ABANDONED
                wait[x] = pat[x]
                live[q_of[x]] -= 1
        else:
            i = ai
            ai += 1
            q = q_of[i]
            for g in elig[q]:
                if idle[g]:
                    idle[g] -= 1
                    live[q] += 1
                    start(g, i, t, 0)
                    break
            else:
                if cb_on:
                    on = sum(target[g] for g in elig[q])
                    ewt = (live[q] + 1) * aht_iv[q][ivl[i]] / on if on else inf
                    if ewt > thr and take[i]:
                        status[i] = _CALLBACK
                        cbq[q].append((t, i))
                        continue
                waiting[q].append(i)
                live[q] += 1
                if pat[i] < inf:
                    push(events, (t + pat[i], 1, i))

    st = np.asarray(status)
    w = np.asarray(wait)
    qa = np.asarray(q_of, dtype=np.int64)
    cell = qa * k + np.asarray(ivl, dtype=np.int64)
    size = nq * k
    bc = lambda m, wt=None: np.bincount(cell[m], weights=None if wt is None else wt[m],  # noqa: E731
                                        minlength=size).reshape(nq, k).astype(float)
    ans = st == _ANSWERED
    ab = st == _ABANDONED
    iscb = st == _CALLBACK
    met = np.asarray(cb_met, dtype=bool)
    lost = np.zeros(n, dtype=bool)  # call-backs still queued when the last agent left: never returned
    for dq in cbq:
        for _, i in dq:
            lost[i] = True
    by = np.asarray(served_by, dtype=np.int64)
    took = by >= 0
    handled = np.bincount(by[took] * nq + qa[took], minlength=ng * nq).reshape(ng, nq).astype(float)
    b = np.minimum((np.asarray(picked)[took] // interval_s).astype(np.int64), k - 1)
    busy = np.bincount((by[took] * nq + qa[took]) * k + b, weights=np.asarray(svc)[took],
                       minlength=ng * nq * k).reshape(ng, nq, k)
    counts = (
        bc(np.ones(n, dtype=bool)),
        bc(ans),
        bc(ans & (w <= sl_s[qa])),
        bc(ab),
        bc((st == _WAITING) | lost),
        bc(ans, w),
        bc(ans | ab, w),
        bc(iscb),
        bc(iscb & met),
    )
    return counts, handled, busy


def simulate_centre(
    arrivals: Mapping[str, Sequence[float]],
    aht_s,
    skill_sets: Sequence[SkillSet],
    staff: Mapping[str, Sequence[float]],
    interval_s: float,
    sl_seconds=20.0,
    patience_s=None,
    routing: str = "priority",
    callback: CallBack | None = None,
    handle: str = "exponential",
    handle_cv: float = 1.0,
    seed: int = 0,
    replications: int = 20,
    level: float = 0.99,
) -> CentreSimResult:
    """Simulate ``replications`` independent days of a multi-skill centre (model: module docstring).

    ``arrivals``: per queue, expected calls per interval (the Poisson means); ``aht_s``: mean handle time [s],
    one value for all queues or a mapping queue -> scalar or one value per interval; ``skill_sets``: the
    agent groups; ``staff``: per skill set name, agents on the phone per interval (whole numbers, or a scalar);
    ``interval_s``: interval length [s]; ``sl_seconds``: answer time [s] of the service level, scalar or per
    queue; ``patience_s``: mean exponential patience [s], scalar or per queue (``None``: nobody abandons);
    ``routing``: ``'priority'`` or ``'longest_wait'``; ``callback``: a :class:`CallBack` or ``None``;
    ``handle``/``handle_cv``: as in :func:`wfm.simulate.simulate_day`; ``seed``: the same seed gives the same
    callers (arrivals, handle times, patience and call-back answers are drawn before any routing, so two
    staffings simulated with one seed meet the same callers: common random numbers).

    Every queue of ``arrivals`` must be served by a skill set, and every skill set's queues must be in
    ``arrivals``. A single queue and skill set draws the same callers as :func:`wfm.simulate.simulate_day`
    with the same seed.
    """
    queues = tuple(str(q) for q in arrivals)
    if not queues:
        raise ValueError("arrivals must have at least one queue")
    lam = [np.asarray(arrivals[q], dtype=float) for q in arrivals]
    k = lam[0].size
    for q, a in zip(queues, lam):
        if a.ndim != 1 or a.size != k or k == 0:
            raise ValueError(f"arrivals of queue {q!r} must be a 1-d sequence of {k or 'one or more'} intervals")
        if not np.isfinite(a).all() or (a < 0).any():
            raise ValueError(f"arrivals of queue {q!r} must be finite numbers >= 0")
    sets = list(skill_sets)
    names = tuple(s.name for s in sets)
    if not sets or len(set(names)) != len(names):
        raise ValueError("skill_sets must be one or more skill sets with distinct names")
    qi = {q: j for j, q in enumerate(queues)}
    for s in sets:
        extra = [q for q in s.queues if q not in qi]
        if extra:
            raise ValueError(f"skill set {s.name!r} serves queue {extra[0]!r}, which has no arrivals")
    aht = [_per_interval(v, k, f"aht_s of queue {q!r}") for q, v in zip(queues, _per_queue(aht_s, queues, "aht_s"))]
    for q, a, la in zip(queues, aht, lam):
        if not np.isfinite(a).all() or (a < 0).any() or ((a == 0) & (la > 0)).any():
            raise ValueError(f"aht_s of queue {q!r} must be finite and > 0 wherever calls arrive")
    sl = np.asarray([float(v) for v in _per_queue(sl_seconds, queues, "sl_seconds")])
    if not (sl >= 0).all():
        raise ValueError("sl_seconds must be >= 0")
    pats = _per_queue(patience_s, queues, "patience_s")
    for q, p in zip(queues, pats):
        if p is not None and not p >= 0:
            raise ValueError(f"patience_s of queue {q!r} must be >= 0 (or None for callers who never abandon)")
    missing = [s.name for s in sets if s.name not in staff]
    if missing:
        raise ValueError(f"staff has no value for skill set {missing[0]!r}")
    st = [_per_interval(staff[s.name], k, f"staff of skill set {s.name!r}") for s in sets]
    for s, a in zip(sets, st):
        if not np.isfinite(a).all() or (a < 0).any() or (a != np.floor(a)).any():
            raise ValueError(f"staff of skill set {s.name!r} must be whole numbers >= 0")
    check_options(interval_s, handle, handle_cv, replications, level)
    if routing not in ("priority", "longest_wait"):
        raise ValueError(f"routing must be 'priority' or 'longest_wait', got {routing!r}")
    unserved = [q for q in queues if not any(q in s.queues for s in sets)]
    if unserved:
        raise ValueError(f"no skill set serves queue {unserved[0]!r}")

    nq, ng = len(queues), len(sets)
    sets_order = [[qi[q] for q in s.queues] for s in sets]
    elig = []
    for j, q in enumerate(queues):
        cand = [g for g in range(ng) if q in sets[g].queues]
        elig.append(sorted(cand, key=lambda g: (sets[g].queues.index(q), len(sets[g].queues), g)))
    staff_l = [[int(x) for x in a] for a in st]
    aht_l = [a.tolist() for a in aht]
    rng = np.random.default_rng(seed)
    reps = int(replications)
    counts = {f: np.zeros((reps, nq, k)) for f in _COUNTS}
    handled = np.zeros((reps, ng, nq))
    busy = np.zeros((reps, ng, nq, k))
    for r in range(reps):
        parts = []
        for j in range(nq):  # simulate_day's draws, queue after queue
            ivl, a, s, p = draw_callers(rng, lam[j], aht[j], interval_s, handle, handle_cv, pats[j])
            parts.append((np.full(ivl.size, j), ivl, a, s, p))
        q_of, ivl, a, s, p = (np.concatenate(x) for x in zip(*parts))
        take = (rng.random(a.size) < callback.take_share) if callback is not None else np.zeros(a.size, bool)
        o = np.argsort(a, kind="stable")
        c, h, b = _one_day(q_of[o].tolist(), ivl[o].tolist(), a[o].tolist(), s[o].tolist(), p[o].tolist(),
                           take[o].tolist(), sets_order, elig, staff_l, aht_l, k, float(interval_s), sl, routing,
                           callback, nq, ng)
        for f, v in zip(_COUNTS, c):
            counts[f][r] = v
        handled[r] = h
        busy[r] = b
    return CentreSimResult(queues=queues, skill_sets=names, **counts, handled=handled, busy_s=busy.sum(axis=2),
                           level=float(level), busy_by_queue_s=busy)

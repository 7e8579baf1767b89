"""Staffing by skill set: per interval, the least-cost head count of each skill set that meets every
queue's service goal in simulation (:func:`wfm.multiskill.simulate_centre`).

Search, per interval (the interval is taken as stationary, as Erlang takes it):

1. **Start** from the cheapest head counts that satisfy, for every group ``S`` of queues, "the agents able
   to answer some queue of ``S`` are at least the Erlang requirement of ``S``'s calls pooled". The
   singletons are the per-queue Erlang answers, the whole set is the fully pooled answer; together they are
   what pooling can promise at best (Hall's condition with Erlang safety staffing). A tiny integer program
   (HiGHS through ``scipy.optimize.milp``).
2. **Add** while a queue misses its goal: try one more agent of each skill set serving a missing queue and
   keep the one that closes most of the shortfall per unit of cost.
3. **Descend** while possible: try the cheaper neighbours, the largest saving first (one agent fewer of a
   set; two agents replaced by one agent of a set that answers all their queues) and move to the first
   one that still meets every goal.

Every evaluation simulates the same callers (common random numbers: one seed for the whole search), so two
head counts are compared on the same calls and the search does not chase noise. A goal is met when the
point estimate of service level (and of abandonment, with a cap) meets it; the figures' confidence
intervals at ``level`` are returned so the report can state how sure the simulation is. An interval is
simulated as ``warmup`` + ``blocks`` copies of itself from an empty centre, the warm-up left out; the
replications are chosen so that each queue has at least ``min_callers`` measured callers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from .. import erlang
from .simulation import CallBack, SkillSet, simulate_centre

__all__ = ["QueueGoal", "IntervalStaffing", "staff_interval", "erlang_requirement"]


@dataclass(frozen=True)
class QueueGoal:
    """A queue's service goal: ``sl_target`` of offered calls answered within ``sl_seconds`` [s], and
    optionally at most ``max_abandon`` of them abandoned (shares in [0, 1])."""

    sl_target: float = 0.8
    sl_seconds: float = 20.0
    max_abandon: float | None = None


@dataclass(frozen=True)
class IntervalStaffing:
    """Result of :func:`staff_interval`: ``staff`` (agents on the phone per skill set), ``cost`` (sum of
    heads x the set's cost per head), ``met`` (every goal met in the search's simulation), ``figures`` (one
    row per queue: offered, service_level, abandon_rate, asa_s and their ``_lo``/``_hi`` bounds),
    ``start`` (the pooling bound's head counts), ``erlang_per_queue`` (each queue staffed alone),
    ``erlang_pooled`` (all queues pooled), ``evaluations`` (simulations run), ``replications`` (days of
    ``warmup + blocks`` intervals per simulation), ``notes`` (why a goal could not be met)."""

    staff: dict
    cost: float
    met: bool
    figures: pd.DataFrame
    start: dict
    erlang_per_queue: dict
    erlang_pooled: int
    evaluations: int
    replications: int
    notes: list = field(default_factory=list)


def erlang_requirement(calls: float, aht_s: float, interval_s: float, goal: QueueGoal, patience_s=None) -> int:
    """Agents on the phone for ``calls`` per interval at ``aht_s`` [s] to meet ``goal``: Erlang A with
    ``patience_s`` [s], Erlang C without."""
    if calls <= 0:
        return 0
    if patience_s is None:
        return int(erlang.required_agents(calls, aht_s, interval_s, goal.sl_target, goal.sl_seconds))
    return int(erlang.required_agents_a(calls, aht_s, interval_s, patience_s, goal.sl_target, goal.sl_seconds,
                                        max_abandon=goal.max_abandon))


def _pooled(qs, calls, aht, interval_s, goals, pats) -> int:
    """Erlang requirement of the queues ``qs`` pooled: calls summed, handle time call-weighted, the strictest
    goal, the shortest patience (conservative where the queues differ)."""
    c = sum(calls[q] for q in qs)
    if c <= 0:
        return 0
    a = sum(calls[q] * aht[q] for q in qs) / c
    busy = [q for q in qs if calls[q] > 0]
    g = QueueGoal(max(goals[q].sl_target for q in busy), min(goals[q].sl_seconds for q in busy),
                  min((goals[q].max_abandon for q in busy if goals[q].max_abandon is not None), default=None))
    p = [pats[q] for q in busy]
    pat = None if any(x is None for x in p) else min(p)
    return erlang_requirement(c, a, interval_s, g, pat)


def _start(queues, sets, calls, aht, interval_s, goals, pats, cost, cap):
    """The cheapest head counts meeting every group's pooled Erlang requirement (step 1)."""
    nq, ng = len(queues), len(sets)
    groups = []
    if nq <= 10:
        for r in range(1, nq + 1):
            groups += list(itertools.combinations(queues, r))
    else:  # 2^Q groups would be too many: singletons and the whole set
        groups = [(q,) for q in queues] + [tuple(queues)]
    rows, need = [], []
    for s in groups:
        n = _pooled(s, calls, aht, interval_s, goals, pats)
        if n > 0:
            rows.append([1.0 if set(sets[g].queues) & set(s) else 0.0 for g in range(ng)])
            need.append(n)
    if not rows:
        return [0] * ng
    c = np.array([cost[s.name] for s in sets], dtype=float)
    # cost ties broken towards sets with fewer queues, then the order given (determinism)
    c = c * (1 + 1e-6 * np.array([len(s.queues) for s in sets])) + 1e-9 * np.arange(ng)
    ub = np.array([cap.get(s.name, np.inf) for s in sets], dtype=float)
    res = optimize.milp(c, constraints=optimize.LinearConstraint(np.array(rows), np.array(need, float), np.inf),
                        integrality=np.ones(ng), bounds=optimize.Bounds(0, ub))
    if res.status != 0:  # the caps do not allow it: every set at its cap, the simulation says what that gives
        return [int(u) if math.isfinite(u) else int(max(need)) for u in ub]
    return [int(round(v)) for v in res.x]


def _moves(x, sets, cost, cap):
    """Cheaper neighbours of ``x``, the largest saving first: one agent fewer of a set, or two agents (of one
    or two sets) replaced by one agent of a set that answers every queue they answer."""
    ng = len(sets)
    out = []
    for g in range(ng):
        if x[g] > 0:
            y = list(x)
            y[g] -= 1
            out.append((cost[sets[g].name], 0, g, g, g, y))
    for g1, g2 in itertools.combinations_with_replacement(range(ng), 2):
        if x[g1] - (g1 == g2) <= 0 or x[g2] <= 0:
            continue
        need = set(sets[g1].queues) | set(sets[g2].queues)
        for h in range(ng):
            if h in (g1, g2) or not need <= set(sets[h].queues) or x[h] + 1 > cap.get(sets[h].name, math.inf):
                continue
            saving = cost[sets[g1].name] + cost[sets[g2].name] - cost[sets[h].name]
            if saving > 0:
                y = list(x)
                y[g1] -= 1
                y[g2] -= 1
                y[h] += 1
                out.append((saving, 1, g1, g2, h, y))
    out.sort(key=lambda m: (-m[0], m[1], m[2], m[3], m[4]))
    return [m[-1] for m in out]


def _descend(x, sets, cost, cap, ok, budget):
    """Step 3: take the first feasible cheaper neighbour until none is feasible (or the budget runs out)."""
    while budget():
        for y in _moves(x, sets, cost, cap):
            if not budget():
                return x
            if ok(y):
                x = y
                break
        else:
            return x
    return x


def staff_interval(
    calls: Mapping[str, float],
    aht_s: Mapping[str, float],
    skill_sets: Sequence[SkillSet],
    interval_s: float,
    goals: Mapping[str, QueueGoal] | QueueGoal = QueueGoal(),
    patience_s=None,
    cost: Mapping[str, float] | None = None,
    max_staff: Mapping[str, int] | None = None,
    routing: str = "priority",
    callback: CallBack | None = None,
    seed: int = 0,
    min_callers: int = 4000,
    blocks: int = 4,
    warmup: int = 1,
    level: float = 0.95,
    max_evaluations: int = 200,
) -> IntervalStaffing:
    """Least-cost agents on the phone per skill set for one interval (search: module docstring).

    ``calls``: expected calls in the interval per queue; ``aht_s``: mean handle time per queue [s];
    ``goals``: one :class:`QueueGoal` for all queues or one per queue; ``patience_s``: mean exponential
    patience [s], scalar or per queue (``None``: nobody abandons); ``cost``: cost per head of each skill set
    (default 1 each, i.e. fewest heads; give cross-trained agents a premium to weigh it); ``max_staff``: the
    most heads a skill set can supply. Other arguments as in :func:`simulate_centre`.
    """
    queues = [str(q) for q in calls]
    sets = list(skill_sets)
    goal = {q: goals[q] if isinstance(goals, Mapping) else goals for q in queues}
    pats = {q: (patience_s.get(q) if isinstance(patience_s, Mapping) else patience_s) for q in queues}
    ch = {q: float(calls[q]) for q in queues}
    ah = {q: float(aht_s[q]) for q in queues}
    cost = {s.name: float((cost or {}).get(s.name, 1.0)) for s in sets}
    cap = dict(max_staff or {})
    per_queue = {q: erlang_requirement(ch[q], ah[q], interval_s, goal[q], pats[q]) for q in queues}
    pooled = _pooled(queues, ch, ah, interval_s, goal, pats)
    x = _start(queues, sets, ch, ah, interval_s, goal, pats, cost, cap)
    start = {s.name: v for s, v in zip(sets, x)}

    total = sum(ch.values())
    k = warmup + blocks
    reps = max(2, math.ceil(min_callers / max(min((c for c in ch.values() if c > 0), default=1.0), 1e-9) / blocks))
    reps = min(reps, max(2, math.ceil(200_000 / max(total, 1e-9) / k)))  # bound the work per evaluation
    arrivals = {q: np.full(k, ch[q]) for q in queues}
    measured = slice(warmup, None)
    seen = {}

    def evaluate(xs):
        key = tuple(xs)
        if key not in seen:
            r = simulate_centre(arrivals, ah, sets, {s.name: v for s, v in zip(sets, xs)}, interval_s,
                                sl_seconds={q: goal[q].sl_seconds for q in queues}, patience_s=pats,
                                routing=routing, callback=callback, seed=seed, replications=reps, level=level)
            f = r.by_queue(measured).loc[queues]
            short = {}
            for q in queues:
                if ch[q] <= 0:
                    short[q] = 0.0
                    continue
                s = goal[q].sl_target - f.at[q, "service_level"]
                if goal[q].max_abandon is not None:
                    s = max(s, f.at[q, "abandon_rate"] - goal[q].max_abandon)
                short[q] = max(0.0, float(s)) if np.isfinite(s) else 1.0
            seen[key] = (f, short)
        return seen[key]

    def ok(xs):
        return all(v == 0 for v in evaluate(xs)[1].values())

    notes = []
    if total <= 0:
        x = [0] * len(sets)
    else:
        while not ok(x) and len(seen) < max_evaluations:
            f, short = evaluate(x)
            missing = [q for q in queues if short[q] > 0]
            best, best_score = None, -math.inf
            for g, s in enumerate(sets):
                if not set(s.queues) & set(missing) or x[g] + 1 > cap.get(s.name, math.inf):
                    continue
                y = list(x)
                y[g] += 1
                gain = sum(short.values()) - sum(evaluate(y)[1].values())
                score = gain / cost[s.name]
                if score > best_score + 1e-12:
                    best, best_score = y, score
            if best is None:
                notes.append("the skill sets' caps do not allow the goals to be met")
                break
            x = best
        if ok(x):
            x = _descend(x, sets, cost, cap, ok, lambda: len(seen) < max_evaluations)
        if len(seen) >= max_evaluations:
            notes.append(f"the search stopped after {max_evaluations} simulations")
    f = evaluate(x)[0] if total > 0 else pd.DataFrame(index=queues)
    return IntervalStaffing(
        staff={s.name: int(v) for s, v in zip(sets, x)},
        cost=float(sum(cost[s.name] * v for s, v in zip(sets, x))),
        met=bool(total <= 0 or ok(x)),
        figures=f, start=start, erlang_per_queue=per_queue, erlang_pooled=pooled, evaluations=len(seen), replications=reps,
        notes=notes,
    )

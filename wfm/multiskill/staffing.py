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
from .simulation import CallBack, SkillSet, agent_skill_sets, phone_agents, simulate_centre

__all__ = ["QueueGoal", "IntervalStaffing", "staff_interval", "erlang_requirement", "skill_set_requirements",
           "simulate_interval", "interval_replications", "shortfall", "CallBackWhatIf", "callback_whatif",
           "SkillSetPlan", "skill_set_plan"]


@dataclass(frozen=True)
class QueueGoal:
    """A queue's service goal: ``sl_target`` of offered calls answered within ``sl_seconds`` [s], optionally
    at most ``max_abandon`` of them abandoned, and agents no busier than ``max_occupancy`` (shares in [0, 1];
    in a multi-skill search the occupancy cap holds for the agents on the phone as a whole)."""

    sl_target: float = 0.8
    sl_seconds: float = 20.0
    max_abandon: float | None = None
    max_occupancy: float = 1.0


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


def erlang_requirement(calls: float, aht_s: float, interval_s: float, goal: QueueGoal, patience_s=None,
                       max_agents: int = 2000) -> int:
    """Agents on the phone for ``calls`` per interval at ``aht_s`` [s] to meet ``goal``: Erlang A with
    ``patience_s`` [s], Erlang C without; ``max_agents`` where the goal needs more."""
    if calls <= 0:
        return 0
    if patience_s is None:
        return int(erlang.required_agents(calls, aht_s, interval_s, goal.sl_target, goal.sl_seconds,
                                          max_occupancy=goal.max_occupancy, max_agents=max_agents))
    return int(erlang.required_agents_a(calls, aht_s, interval_s, patience_s, goal.sl_target, goal.sl_seconds,
                                        max_occupancy=goal.max_occupancy, max_abandon=goal.max_abandon,
                                        max_agents=max_agents))


def _pooled(qs, calls, aht, interval_s, goals, pats, max_agents: int = 2000) -> int:
    """Erlang requirement of the queues ``qs`` pooled: calls summed, handle time call-weighted, the strictest
    goal, the shortest patience (conservative where the queues differ)."""
    c = sum(calls[q] for q in qs)
    if c <= 0:
        return 0
    a = sum(calls[q] * aht[q] for q in qs) / c
    busy = [q for q in qs if calls[q] > 0]
    g = QueueGoal(max(goals[q].sl_target for q in busy), min(goals[q].sl_seconds for q in busy),
                  min((goals[q].max_abandon for q in busy if goals[q].max_abandon is not None), default=None),
                  min(goals[q].max_occupancy for q in busy))
    p = [pats[q] for q in busy]
    pat = None if any(x is None for x in p) else min(p)
    return erlang_requirement(c, a, interval_s, g, pat, max_agents * len(busy))


def _group_needs(queues, calls, aht, interval_s, goals, pats, max_agents=2000) -> dict:
    """The pooled Erlang requirement of every group of queues (a tuple in ``queues`` order): all groups up to
    10 queues, beyond that (2^Q would be too many) the singletons and the whole set."""
    nq = len(queues)
    if nq <= 10:
        groups = [g for r in range(1, nq + 1) for g in itertools.combinations(queues, r)]
    else:
        groups = [(q,) for q in queues] + [tuple(queues)]
    return {g: _pooled(g, calls, aht, interval_s, goals, pats, max_agents) for g in groups}


def _start(sets, needs: dict, cost, cap):
    """The cheapest head counts meeting every group's pooled Erlang requirement ``needs`` (step 1)."""
    ng = len(sets)
    rows, need = [], []
    for s, n in needs.items():
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


MAX_REPLICATIONS = 400


def interval_replications(calls: Mapping[str, float], min_callers: int = 4000, blocks: int = 4,
                          warmup: int = 1) -> int:
    """Replications of a ``warmup + blocks``-interval day that give the quietest busy queue ``min_callers``
    measured callers, bounded to about 200,000 callers per simulation and to :data:`MAX_REPLICATIONS` (a
    queue of 0.001 calls an interval must not ask for millions of days); at least 2."""
    busy = [c for c in calls.values() if c > 0]
    if not busy:
        return 2
    reps = math.ceil(min_callers / min(busy) / blocks)
    reps = min(reps, math.ceil(200_000 / sum(busy) / (warmup + blocks)), MAX_REPLICATIONS)
    return max(2, reps)


def simulate_interval(calls: Mapping[str, float], aht_s: Mapping[str, float], skill_sets: Sequence[SkillSet],
                      staff: Mapping[str, int], interval_s: float,
                      goals: Mapping[str, QueueGoal] | QueueGoal = QueueGoal(), patience_s=None, *,
                      routing: str = "priority", callback: CallBack | None = None, seed: int = 0,
                      replications: int | None = None, blocks: int = 4, warmup: int = 1,
                      level: float = 0.95) -> pd.DataFrame:
    """Service per queue of one interval taken as stationary: ``warmup + blocks`` copies of it simulated
    from an empty centre, the warm-up left out. One row per queue (:meth:`CentreSimResult.by_queue`);
    ``replications`` default :func:`interval_replications`. Arguments as in :func:`staff_interval`."""
    queues = [str(q) for q in calls]
    goal = {q: goals[q] if isinstance(goals, Mapping) else goals for q in queues}
    k = warmup + blocks
    reps = replications or interval_replications(calls, blocks=blocks, warmup=warmup)
    r = simulate_centre({q: np.full(k, float(calls[q])) for q in queues}, dict(aht_s), skill_sets, dict(staff),
                        interval_s, sl_seconds={q: goal[q].sl_seconds for q in queues}, patience_s=patience_s,
                        routing=routing, callback=callback, seed=seed, replications=reps, level=level)
    return r.by_queue(slice(warmup, None))


def shortfall(figures: pd.DataFrame, calls: Mapping[str, float],
              goals: Mapping[str, QueueGoal] | QueueGoal = QueueGoal()) -> dict:
    """Per queue, how far the simulated figures fall short of the goal (service-level points, or abandonment
    points over the cap, the larger); 0 where met, where no call arrives or where none was simulated."""
    out = {}
    for q in figures.index:
        g = goals[q] if isinstance(goals, Mapping) else goals
        if calls[q] <= 0:
            out[q] = 0.0
            continue
        s = g.sl_target - figures.at[q, "service_level"]
        if g.max_abandon is not None:
            s = max(s, figures.at[q, "abandon_rate"] - g.max_abandon)
        # NaN: no caller of the queue came in the simulated days (a queue of a fraction of a call), so none
        # was failed either; the Erlang start has staffed it
        out[q] = max(0.0, float(s)) if np.isfinite(s) else 0.0
    return out


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
    max_agents: int = 2000,
) -> IntervalStaffing:
    """Least-cost agents on the phone per skill set for one interval (search: module docstring).

    ``calls``: expected calls in the interval per queue; ``aht_s``: mean handle time per queue [s];
    ``goals``: one :class:`QueueGoal` for all queues or one per queue; ``patience_s``: mean exponential
    patience [s], scalar or per queue (``None``: nobody abandons); ``cost``: cost per head of each skill set
    (default 1 each, i.e. fewest heads; give cross-trained agents a premium to weigh it); ``max_staff``: the
    most heads a skill set can supply; ``max_agents``: the most agents one queue may need (as
    ``staffing.max_agents``): where a queue needs more, the interval is not searched (the pooled start is
    returned, not met). Other arguments as in :func:`simulate_centre`.
    """
    queues = [str(q) for q in calls]
    sets = list(skill_sets)
    names = [s.name for s in sets]
    goal = {q: goals[q] if isinstance(goals, Mapping) else goals for q in queues}
    pats = {q: (patience_s.get(q) if isinstance(patience_s, Mapping) else patience_s) for q in queues}
    ch = {q: float(calls[q]) for q in queues}
    ah = {q: float(aht_s[q]) for q in queues}
    cost = {s.name: float((cost or {}).get(s.name, 1.0)) for s in sets}
    cap = dict(max_staff or {})
    needs = _group_needs(queues, ch, ah, interval_s, goal, pats, max_agents)
    per_queue = {q: needs[(q,)] for q in queues}
    pooled = needs[tuple(queues)]
    x = _start(sets, needs, cost, cap)
    start = {s.name: v for s, v in zip(sets, x)}

    total = sum(ch.values())
    reps = interval_replications(ch, min_callers, blocks, warmup)
    seen = {}

    def evaluate(xs):
        key = tuple(xs)
        if key not in seen:
            f = simulate_interval(ch, ah, sets, dict(zip(names, xs)), interval_s, goal, pats, routing=routing,
                                  callback=callback, seed=seed, replications=reps, blocks=blocks, warmup=warmup,
                                  level=level)
            seen[key] = (f, shortfall(f, ch, goal))
        return seen[key]

    load = sum(ch[q] * ah[q] for q in queues) / interval_s  # erlangs
    occ_cap = min((goal[q].max_occupancy for q in queues if ch[q] > 0), default=1.0)

    def occ_ok(xs):
        return occ_cap >= 1.0 or (sum(xs) > 0 and load / sum(xs) <= occ_cap + 1e-12)

    def ok(xs):
        return occ_ok(xs) and all(v == 0 for v in evaluate(xs)[1].values())

    notes = []
    too_big = [q for q in queues if per_queue[q] >= max_agents and ch[q] > 0]
    if total <= 0:
        x = [0] * len(sets)
    elif too_big:
        notes.append(f"queue '{too_big[0]}' needs {max_agents} agents or more (staffing.max_agents)")
    else:
        while not ok(x) and len(seen) < max_evaluations:
            f, short = evaluate(x)
            missing = [q for q in queues if short[q] > 0]
            if not missing:  # the goals are met but the agents are too busy: one more of the cheapest set
                g = min((g for g in range(len(sets)) if x[g] + 1 <= cap.get(sets[g].name, math.inf)),
                        key=lambda g: (cost[sets[g].name], len(sets[g].queues), g), default=None)
                if g is None:
                    notes.append("the skill sets' caps do not allow the occupancy cap to be met")
                    break
                x = list(x)
                x[g] += 1
                continue
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
        else:
            # a goal out of reach: still drop the agents who do not help (the start may have put specialists
            # of a met queue where the pooled need of a group asked for heads), as long as no queue falls
            # further short
            ref, x0 = evaluate(x)[1], list(x)
            short_q = {q for q, v in ref.items() if v > 0}
            keep = [bool(set(s.queues) & short_q) for s in sets]  # a short queue's agents all stay

            def no_worse(xs):
                if any(k and v < v0 for k, v, v0 in zip(keep, xs, x0)):
                    return False
                return occ_ok(xs) and all(v <= ref[q] + 1e-12 for q, v in evaluate(xs)[1].items())

            x = _descend(x, sets, cost, cap, no_worse, lambda: len(seen) < max_evaluations)
        if len(seen) >= max_evaluations:
            notes.append(f"the search stopped after {max_evaluations} simulations")
    f = evaluate(x)[0] if total > 0 else pd.DataFrame(
        {c: math.nan for c in ("offered", "service_level", "service_level_lo", "service_level_hi", "abandon_rate",
                               "asa_s")}, index=pd.Index(queues, name="queue"))
    return IntervalStaffing(
        staff={s.name: int(v) for s, v in zip(sets, x)},
        cost=float(sum(cost[s.name] * v for s, v in zip(sets, x))),
        met=bool(total <= 0 or (not too_big and ok(x))),
        figures=f, start=start, erlang_per_queue=per_queue, erlang_pooled=pooled, evaluations=len(seen), replications=reps,
        notes=notes,
    )


BY_SET_COLUMNS = ["skill_set", "interval_start", "agents", "scheduled_required", "erlang_per_queue", "erlang_pooled",
                  "met", "note"]
BY_QUEUE_COLUMNS = ["queue", "interval_start", "offered", "service_level", "service_level_lo", "service_level_hi",
                    "abandon_rate", "asa_s"]


def skill_set_requirements(
    requirements: pd.DataFrame,
    skill_sets: Sequence[SkillSet],
    interval_s: float,
    goals: Mapping[str, QueueGoal] | QueueGoal = QueueGoal(),
    patience_s=None,
    shrinkage: float = 0.0,
    progress=None,
    **search,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staff by skill set for every interval of a per-queue requirement (:func:`staff_interval` on each).

    ``requirements``: ``queue, interval_start, offered, aht_s`` (calls per interval, s), as
    :func:`wfm.staffing.requirements` returns it; ``shrinkage``: share of scheduled time off the phone;
    ``progress(done, total)`` is called every 50 intervals; ``search``: further arguments of
    :func:`staff_interval` (``cost``, ``max_staff``, ``routing``, ``callback``, ``seed``, ``min_callers``).

    Returns ``(by_set, by_queue)``: ``by_set`` one row per skill set and interval with ``skill_set,
    interval_start, agents`` (on the phone), ``scheduled_required`` (``ceil(agents / (1 - shrinkage))``),
    ``erlang_per_queue`` and ``erlang_pooled`` (the interval's totals, for comparison; repeated on each of its
    rows), ``met`` and ``note`` (why not, when not); ``by_queue`` one row per queue and interval with the simulated ``service_level``,
    ``abandon_rate``, ``asa_s`` and the service level's bounds. Intervals with the same calls and handle
    times (to 0.001 call and 0.01 s) are searched once.
    """
    need = [c for c in ("queue", "interval_start", "offered", "aht_s") if c not in requirements.columns]
    if need:
        raise ValueError(f"requirements lack column(s) {', '.join(need)}")
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be a share in [0, 1)")
    wide = requirements.pivot_table(index="interval_start", columns="queue", values=["offered", "aht_s"],
                                    aggfunc="first").sort_index()
    queues = sorted(map(str, requirements["queue"].unique()))
    offered = wide["offered"].reindex(columns=queues).fillna(0.0)
    aht = wide["aht_s"].reindex(columns=queues)
    aht = aht.fillna(aht.mean()).fillna(1.0)
    sets = [s for s in skill_sets if set(s.queues) & set(queues)]
    sets = [SkillSet(s.name, tuple(q for q in s.queues if q in queues)) for s in sets]
    cache: dict = {}
    rows, qrows = [], []
    times = offered.index
    for n, t in enumerate(times):
        calls = {q: float(offered.at[t, q]) for q in queues}
        ah = {q: float(aht.at[t, q]) for q in queues}
        key = tuple(round(calls[q], 3) for q in queues) + tuple(round(ah[q], 2) for q in queues)
        if key not in cache:
            cache[key] = staff_interval(calls, ah, sets, interval_s, goals, patience_s, **search)
        res = cache[key]
        for s in sets:
            a = res.staff[s.name]
            rows.append((s.name, t, a, int(np.ceil(np.round(a / (1 - shrinkage), 9))),
                         sum(res.erlang_per_queue.values()), res.erlang_pooled, res.met, "; ".join(res.notes)))
        for q in queues:
            f = res.figures.loc[q] if q in res.figures.index else None
            qrows.append((q, t, calls[q], *(float(f[c]) if f is not None else math.nan for c in
                                          ("service_level", "service_level_lo", "service_level_hi",
                                           "abandon_rate", "asa_s"))))
        if progress and (n + 1) % 50 == 0:
            progress(n + 1, len(times))
    by_set = pd.DataFrame(rows, columns=BY_SET_COLUMNS)
    by_queue = pd.DataFrame(qrows, columns=BY_QUEUE_COLUMNS)
    return by_set, by_queue


@dataclass(frozen=True)
class CallBackWhatIf:
    """Result of :func:`callback_whatif`: ``staff`` (per skill set, agents per interval, after the cut),
    ``removed`` (agents taken off per interval, all sets), ``removed_without`` (what the same search takes off
    without call-backs, at the service of the uncut day: over-staffing the peaks had anyway; with
    ``compare=False`` zeros), ``before`` (per queue: the day's figures on the
    original staff without call-backs), ``after`` (on the cut staff with call-backs), ``evaluations`` (day
    simulations run); ``before_total`` and ``after_total`` pool the queues."""

    staff: dict
    removed: np.ndarray
    removed_without: np.ndarray
    before: pd.DataFrame
    after: pd.DataFrame
    before_total: pd.Series
    after_total: pd.Series
    evaluations: int


def callback_whatif(arrivals: Mapping[str, Sequence[float]], aht_s, skill_sets: Sequence[SkillSet],
                    staff: Mapping[str, Sequence[int]], interval_s: float, callback: CallBack,
                    goals: Mapping[str, QueueGoal] | QueueGoal = QueueGoal(), patience_s=None, *, peaks: int = 8,
                    routing: str = "priority", seed: int = 0, replications: int = 30,
                    max_evaluations: int = 400, compare: bool = True) -> CallBackWhatIf:
    """How many agents call-backs save at the peaks, at the same service.

    The day (consecutive intervals, so a call-back taken at a peak is returned in the quieter intervals after
    it) is simulated on ``staff`` without call-backs. Then, with call-backs on, at the ``peaks`` intervals
    with the most agents, set after set, one agent at a time is taken off while no queue's shortfall against
    its goal (:func:`shortfall`, per arrival interval) anywhere in the day exceeds its shortfall on the
    original staff, without call-backs or with them (the worse of the two: where call-backs alone make a
    quiet interval worse, a cut at the peaks is not blamed for it). Same callers throughout (one seed).
    With ``compare``, the same cut is also searched without call-backs against the uncut day: what the peaks
    could lose anyway, so ``removed - removed_without`` is what call-backs save. Arguments as in
    :func:`simulate_centre` and :func:`staff_interval`."""
    queues = [str(q) for q in arrivals]
    sets = list(skill_sets)
    names = [s.name for s in sets]
    k = len(np.asarray(arrivals[queues[0]]))
    goal = {q: goals[q] if isinstance(goals, Mapping) else goals for q in queues}
    x = {n: np.broadcast_to(np.asarray(staff[n], dtype=int), (k,)).copy() for n in names}
    runs = 0

    def day(xs, cb=callback):
        nonlocal runs
        runs += 1
        return simulate_centre(arrivals, aht_s, sets, xs, interval_s,
                               sl_seconds={q: goal[q].sl_seconds for q in queues}, patience_s=patience_s,
                               routing=routing, callback=cb, seed=seed, replications=replications)

    def gaps(res):  # shortfall (as in shortfall()) per queue and interval
        out = np.zeros((len(queues), k))
        for j, q in enumerate(queues):
            g = goal[q]
            sl = res.summary_arrays(q)
            short = g.sl_target - sl["service_level"]
            if g.max_abandon is not None:
                short = np.maximum(short, sl["abandon_rate"] - g.max_abandon)
            short = np.where(np.isfinite(short), np.maximum(short, 0.0), 0.0)
            out[j] = np.where(np.asarray(arrivals[q], dtype=float) > 0, short, 0.0)
        return out

    base = day(x, None)
    total = sum(x[n] for n in names)
    order = [int(i) for i in np.argsort(-total, kind="stable")[:peaks]]

    def trim(cb, limit):
        xs = {n: v.copy() for n, v in x.items()}
        for i in order:
            for n in names:
                while xs[n][i] > 0 and runs < max_evaluations:
                    y = {m: v.copy() for m, v in xs.items()}
                    y[n][i] -= 1
                    if (gaps(day(y, cb)) <= limit).all():
                        xs = y
                    else:
                        break
        return xs

    # call-backs alone can make a quiet interval worse (a call-back returned after its window), and a cut at
    # the peaks cannot mend that: a cut is judged against the worse of the two uncut days, interval by interval
    base_gaps = gaps(base)
    cut = trim(callback, np.maximum(base_gaps, gaps(day(x))) + 1e-12)
    plain = trim(None, base_gaps + 1e-12) if compare else x
    return CallBackWhatIf(staff={n: cut[n].tolist() for n in names}, removed=total - sum(cut[n] for n in names),
                          removed_without=total - sum(plain[n] for n in names), before=base.by_queue(),
                          after=(after := day(cut)).by_queue(), before_total=base.total(), after_total=after.total(),
                          evaluations=runs)


@dataclass(frozen=True)
class SkillSetPlan:
    """Result of :func:`skill_set_plan`: ``by_set`` and ``by_queue`` (:func:`skill_set_requirements`),
    ``sets`` (the skill sets), ``cost`` (cost per head of each set: its agents' mean hourly rate, or 1), and
    ``summary`` (agent-hours on the phone per set and in all, against per-queue Erlang and the pooled bound;
    intervals whose goals could not be met; call-weighted simulated service per queue); ``max_staff``: the
    most agents each set may put on the phone at once (``cap_heads``; None: no cap)."""

    by_set: pd.DataFrame
    by_queue: pd.DataFrame
    sets: list
    cost: dict
    summary: dict
    max_staff: dict | None = None

    def lines(self, where: str) -> tuple[list[str], list[str]]:
        """What to tell the planner, as plain text: ``(figures, warnings)``; ``where``: the file whose
        ``note`` column gives the reasons of intervals that cannot meet every goal."""
        sm = self.summary
        per_q, total = sm["erlang_per_queue_agent_h"], sm["total_agent_h"]
        sets_txt = ", ".join(f"{n} {h:,.1f}" for n, h in sm["agent_h"].items())
        diff = ""
        if per_q > 0 and total != per_q:
            diff = f", {abs(1 - total / per_q):.1%} {'fewer' if total < per_q else 'more'}"
        unmet = (f" {sm['intervals_not_met']} of {sm['intervals']} intervals do not meet every goal, so these hours "
                 "are not a saving there." if sm["intervals_not_met"] else "")
        figures = [f"By skill set ({sm['routing']} routing, checked by simulation): {total:,.1f} agent-hours on the "
                   f"phone ({sets_txt}) against {per_q:,.1f} with each queue staffed alone{diff}; pooling's bound "
                   f"{sm['pooled_bound_agent_h']:,.1f}.{unmet}"]
        if sm["service_level"]:
            figures.append("Simulated service by skill set: " + ", ".join(
                f"{q} {v:.1%}" for q, v in sm["service_level"].items()))
        warnings = []
        if sm["intervals_not_met"]:
            warnings.append(f"{sm['intervals_not_met']} of {sm['intervals']} intervals cannot meet every goal by skill "
                            f"set: " + "; ".join(sm["notes"]) + f" (the 'note' column of {where})")
        return figures, warnings


def _day_requirements(part: pd.DataFrame, sets, interval_s, goals, patience, shrinkage, search):
    return skill_set_requirements(part, sets, interval_s, goals, patience, shrinkage, **search)


def skill_set_plan(requirements: pd.DataFrame, agents: pd.DataFrame, cfg, patience: Mapping[str, float] | None = None,
                   backend=None, progress=None, seed: int = 0, min_callers: int = 2000,
                   cap_heads: bool = False) -> SkillSetPlan:
    """Staff a per-queue requirement (:func:`wfm.staffing.requirements`) by the agents file's skill sets.

    Goals per queue from ``cfg.staffing`` (``sl_target`` in ``sl_seconds``; ``max_abandon`` where the
    queue's model is Erlang A); ``patience``: mean patience per queue [s] (default: the configured number
    for Erlang A queues, otherwise callers never hang up); routing ``cfg.staffing.multiskill.routing``;
    shrinkage ``cfg.staffing.total_shrinkage``; each set's cost per head is its agents' mean
    ``hourly_rate`` (cross-trained agents who earn more are used where they pay; a set whose rate is 0 or
    unknown is costed at the centre's mean rate). ``backend``: a
    :mod:`wfm.parallel` backend; with one that splits, the days are searched in parallel (each day's
    intervals are independent). ``cap_heads``: the agents file is the centre's head count, and a set never
    puts more than its agents less shrinkage on the phone at once (default: the file only names the skill
    sets and their pay). Raises ValueError for queues that are not voice queues."""
    st = cfg.staffing
    queues = sorted(map(str, requirements["queue"].unique()))
    qopts = st.queues or {}
    # each queue's model, channel and abandonment cap resolved as the per-queue staffing resolves them
    opts = {q: st.queue_options(q, patience_s=(patience or {}).get(q)) for q in queues}
    other = [q for q in queues if opts[q].channel != "voice"]
    if other:
        raise ValueError(f"staffing by skill set covers voice queues; staffing.queues.{other[0]}.channel is "
                         f"{opts[other[0]].channel}")
    sets, set_of = agent_skill_sets(agents, queues)
    goals, pats = {}, {}
    for q in queues:
        o = opts[q]
        erlang_a = o.model == "erlang_a"
        goals[q] = QueueGoal(float(st.sl_target), float(st.sl_seconds), o.max_abandon if erlang_a else None,
                             float(st.max_occupancy))
        p = (patience or {}).get(q)
        if p is None and erlang_a:  # the configured number ('estimate' without an estimate: never hangs up)
            v = qopts[q].patience_s if q in qopts and qopts[q].patience_s is not None else st.patience_s
            p = float(v) if isinstance(v, (int, float)) else None
        pats[q] = float(p) if p is not None and math.isfinite(float(p)) else None
    rates = (pd.to_numeric(agents.set_index(agents["agent_id"].astype(str))["hourly_rate"], errors="coerce")
             if "hourly_rate" in agents else None)
    cost = {}
    everyone = float(rates.mean()) if rates is not None and len(rates) else math.nan
    for s in sets:
        r = rates.reindex(set_of[set_of == s.name].index).mean() if rates is not None else math.nan
        # unpaid (rate 0) or unknown: the centre's mean rate, so that no set looks free
        r = r if math.isfinite(r) and r > 0 else everyone
        cost[s.name] = float(r) if math.isfinite(r) and r > 0 else 1.0
    # with the centre's head count: a set can put at most its agents, less shrinkage, on the phone at once
    heads = set_of.value_counts()
    max_staff = ({s.name: int(phone_agents(int(heads.get(s.name, 0)), float(st.total_shrinkage))) for s in sets}
                 if cap_heads else None)
    search = dict(cost=cost, routing=st.multiskill.routing, seed=seed, min_callers=min_callers,
                  max_agents=int(st.max_agents), max_staff=max_staff)
    interval_s = cfg.interval_minutes * 60.0
    shrink = float(st.total_shrinkage)
    req = requirements.sort_values(["interval_start", "queue"], kind="mergesort")
    days = req["interval_start"].dt.normalize()
    parts = [(g,) for _, g in req.groupby(days, sort=True)]
    kw = dict(sets=sets, interval_s=interval_s, goals=goals, patience=pats, shrinkage=shrink, search=search)
    if backend is not None and getattr(backend, "split", False) and len(parts) > 1:
        res = backend.map(_day_requirements, parts, kwargs=kw,
                          labels=[f"skill sets {g['interval_start'].iloc[0]:%Y-%m-%d}" for (g,) in parts],
                          progress=progress)
    else:
        res = []
        for (g,) in parts:
            if progress:
                progress(f"skill sets {g['interval_start'].iloc[0]:%Y-%m-%d}")
            res.append(_day_requirements(g, **kw))
    by_set = (pd.concat([r[0] for r in res], ignore_index=True) if res
              else pd.DataFrame(columns=BY_SET_COLUMNS).astype({"met": bool, "agents": int}))
    by_queue = pd.concat([r[1] for r in res], ignore_index=True) if res else pd.DataFrame(columns=BY_QUEUE_COLUMNS)
    ih = cfg.interval_minutes / 60.0
    per_iv = by_set.groupby("interval_start").agg(per_queue=("erlang_per_queue", "first"),
                                                   pooled=("erlang_pooled", "first"), met=("met", "first"))
    busy = by_queue[by_queue["offered"] > 0]
    summary = {
        "agent_h": {s.name: float(by_set.loc[by_set["skill_set"] == s.name, "agents"].sum() * ih) for s in sets},
        "total_agent_h": float(by_set["agents"].sum() * ih),
        "erlang_per_queue_agent_h": float(per_iv["per_queue"].sum() * ih),
        "pooled_bound_agent_h": float(per_iv["pooled"].sum() * ih),
        "intervals": int(len(per_iv)), "intervals_not_met": int((~per_iv["met"].astype(bool)).sum()),
        "service_level": {q: float((g["service_level"] * g["offered"]).sum() / g["offered"].sum())
                          for q, g in busy.groupby("queue")},
        "cost_per_head": cost, "routing": st.multiskill.routing, "shrinkage": shrink,
        "notes": sorted({n for cell in by_set["note"] for n in str(cell).split("; ") if n}),
    }
    return SkillSetPlan(by_set=by_set, by_queue=by_queue, sets=sets, cost=cost, summary=summary, max_staff=max_staff)

"""One queue's covering model solved over its horizon, in one piece or in rolling windows of days, with
hard holiday coverage and its fallback when that is infeasible."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from .. import mip
from ..errors import SolverError
from .covering import OPT_TOL, CoveringResult, covering, schedule_objective

__all__ = ["QueueModel", "QueueSolution", "windows", "window_side", "conflicts", "solve_queue",
           "HOLIDAY_FALLBACK_FACTOR", "AUTO_WHOLE_HORIZON_DAYS"]

HOLIDAY_FALLBACK_FACTOR = 100.0  # penalty on holiday intervals, x under_penalty, when hard coverage is infeasible
AUTO_WHOLE_HORIZON_DAYS = 7  # longer horizons are solved in rolling 7-day windows (window_days="auto")
# The MIP start's restricted model is solved to half of schedule.mip_gap, stopping after 50 branch-and-bound
# nodes at most (a node count, unlike a clock, stops it at the same point on every machine). Measured on the
# demo: 1.0 x the gap gave starts at the gap's edge (total cost 19,627 base paid hours, worse than the
# 19,608 of HiGHS alone), 0.5 x without the node limit 19,522 but 22-26 s on one window, 0.5 x with it
# 19,526 and at most 9 s a window.
# Re-planning from a base run's shifts (a what-if) solves it to 0.75 x the gap: on the demo's +10% what-if
# the sales queue took 19 s instead of 36 s (one thread) for a total 0.2% higher (21,018 against 20,976),
# every queue within the gap; 1.0 x took 12 s but left sales at 1.505% (above its 1.5% mip_gap).
START_GAP_FACTOR = 0.5
REPLAN_GAP_FACTOR = 0.75
START_OPTIONS = {"mip_max_nodes": 50}


@dataclass(frozen=True, eq=False)
class QueueModel:
    """One queue's covering model. Rows: the requirement intervals, ``demand`` [agents], ``hol`` (holiday),
    ``qday`` (horizon day) and ``qmin`` (minutes after that day's midnight). Columns: ``costs`` [base paid
    hours], ``day_idx`` (the day a column belongs to, its start day) and ``vmin`` (its start minute in that
    day; a large number for a column that never looks ahead). ``A``: rows x columns coverage. ``spill_min``:
    minutes a window looks ahead into the next day; ``side``: side constraints; ``first_weekday``: with
    tours, the weekday of day 0 (windows then follow ISO weeks); ``group``: per column, the shift it places
    (day, template and start: its break variants share a group), which guides the MIP start (None: no start);
    ``start``: agents per column of an earlier schedule (a base run's), the seed of that MIP start."""

    A: object
    demand: np.ndarray
    hol: np.ndarray
    costs: np.ndarray
    day_idx: np.ndarray
    vmin: np.ndarray
    qday: np.ndarray
    qmin: np.ndarray
    n_days: int
    spill_min: int
    side: tuple = ()
    first_weekday: int | None = None
    group: np.ndarray | None = None
    start: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class QueueSolution:
    """What :func:`solve_queue` found: ``x`` agents per column; ``objective`` the final schedule's cost,
    ``best_bound``/``gap``/``bound_source`` its proven bound; ``pen`` the shortfall penalty used per row
    (``inf`` = hard); ``conflicts``: limit groups that made hard holiday coverage infeasible; solver facts
    summed over the windows."""

    x: np.ndarray
    holiday_mode: str
    solver: str
    status: str
    windows: int
    runtime_s: float
    build_s: float
    variables: int
    constraints: int
    notes: tuple[str, ...]
    objective: float
    best_bound: float | None
    gap: float | None
    bound_source: str
    proven_optimal: bool
    within_gap: bool
    time_limited: bool
    conflicts: tuple[str, ...]
    pen: np.ndarray


def windows(n_days: int, window_days, first_weekday: int | None = None) -> list[tuple[int, int]]:
    """Day ranges [first, last + 1) solved one after another. With ``first_weekday`` (0 = Monday; tours)
    any windowing is by ISO week, so that no tour straddles two windows."""
    if window_days == "auto":
        window_days = None if n_days <= AUTO_WHOLE_HORIZON_DAYS else 7
    if window_days is not None and int(window_days) < 1:
        raise ValueError("window_days must be >= 1, None or 'auto'")
    if first_weekday is not None and window_days is not None:
        edges = [0, *range((7 - first_weekday) % 7 or 7, n_days, 7), n_days]
        return [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    if window_days is None or window_days >= n_days:
        return [(0, n_days)]
    w = int(window_days)
    return [(a, min(a + w, n_days)) for a in range(0, n_days, w)]


def conflicts(d, A, c, pen, kw) -> list[str]:
    """Which groups of side constraints make hard (infinite-penalty) coverage infeasible: the groups whose
    removal alone makes the LP relaxation feasible (all groups when only removing several helps; none when
    the requirement is infeasible even without any side constraint)."""
    side = kw.get("side") or []
    groups = sorted({sc[4] for sc in side if len(sc) > 4 and sc[4] is not None})
    if not groups:
        return []
    kw = {k: v for k, v in kw.items() if k not in ("start",)}

    def feasible(sd) -> bool:
        return covering(d, A, c, under_penalty=pen, relax=True, **dict(kw, side=sd)).has_solution

    if not feasible([]):
        return []
    found = [g for g in groups if feasible([sc for sc in side if (sc[4] if len(sc) > 4 else None) != g])]
    return found or groups


def window_side(side, cols, fixed_x, is_fixed=None) -> list:
    """Side constraints restricted to a window's columns, less what earlier windows' fixed shifts use.

    A constraint that also holds columns of later windows (not fixed yet) is kept, restricted to the window,
    only when it is a '<=' with coefficients >= 0 (a necessary condition then); an equality or a mixed-sign
    constraint is left to the window that holds all its columns."""
    pos = np.full(len(fixed_x), -1, dtype=np.int64)
    pos[cols] = np.arange(len(cols))
    if is_fixed is None:
        is_fixed = np.ones(len(fixed_x), dtype=bool)
    out = []
    for sc_ in side:
        s_cols, s_coefs, rhs = sc_[:3]
        sense = sc_[3] if len(sc_) > 3 else "<="
        p = pos[s_cols]
        inside = p >= 0
        if not inside.any():
            continue
        later = ~inside & ~is_fixed[s_cols]
        if later.any() and not (sense == "<=" and (s_coefs >= 0).all()):
            continue
        done = ~inside & ~later
        used = float((s_coefs[done] * fixed_x[s_cols[done]]).sum())
        left = rhs - used
        if sense == "<=" and (s_coefs >= 0).all():
            left = max(left, 0.0)  # earlier windows may have used more than a prorated cap: nothing left
        out.append((p[inside], s_coefs[inside], left, sense) + tuple(sc_[4:5]))
    return out


@dataclass
class _Rolling:
    """State of a rolling solve while its windows run (private to :func:`solve_queue`)."""

    x: np.ndarray
    is_fixed: np.ndarray
    pen: np.ndarray
    results: list
    conflicts: set
    fell_back: bool = False
    start_s: float = 0.0
    start_time_limited: bool = False


def _repair(x, d, A, c, pen) -> np.ndarray:
    """An earlier schedule made to cover the hard rows (``pen`` inf) of a changed requirement: each hard row
    still short gets the missing agents on the cheapest column covering it (ties: the first), row by row.
    Side constraints are left to the solver (a start that breaks one is only a worse start)."""
    x = np.asarray(x, dtype=float).copy()
    A = A.tocsr()
    for i in np.flatnonzero(~np.isfinite(pen) & (d > 0)):
        cand = A.indices[A.indptr[i]:A.indptr[i + 1]]
        if not len(cand):
            continue
        j = int(cand[np.argmin(c[cand])])
        short = d[i] - float(A.data[A.indptr[i]:A.indptr[i + 1]] @ x[cand])
        if short > 0:
            x[j] += np.ceil(short)
    return x


@dataclass(frozen=True)
class _WindowStart:
    """A window's MIP start (agents per column of the window) and whether it is already within
    schedule.mip_gap of the window's LP relaxation (a lower bound), so that the full model need not run."""

    x: np.ndarray
    result: CoveringResult
    accept: bool


def _lp_guided_start(d, A, c, pen, kw, groups, st: _Rolling, seed=None) -> _WindowStart | None:
    """A MIP start for a window: the LP relaxation, then the integer model restricted to every break variant
    of the shifts (day, template, start) the LP uses, solved to ``START_GAP_FACTOR`` x the gap within
    ``START_OPTIONS`` and a quarter of the window's time. The full model then starts from it and mostly stops
    at its root: on the demo's hardest window HiGHS took 13-90 s to find a schedule within the gap by itself
    (luck of the search), 9 s this way. With ``seed`` (an earlier schedule's agents per column, re-planning)
    the shifts it uses join the restricted model and, repaired by :func:`_repair`, are its MIP start.
    Returns None when the restricted model has no solution (e.g. hard holiday rows it cannot cover)."""
    t0 = time.perf_counter()
    kw = dict(kw)
    gap = float(kw["mip_gap"])
    lp = covering(d, A, c, under_penalty=pen, relax=True, **kw)
    out = None
    if lp.has_solution:
        used = lp.x > 1e-9
        if seed is not None:
            seed = _repair(seed, d, A, c, pen)
            used |= seed > 0
        cols = np.flatnonzero(np.isin(groups, np.unique(groups[used])))
        if 0 < len(cols) < len(c):
            n = len(c)
            kw.update(side=window_side(kw.get("side") or (), cols, np.zeros(n), np.ones(n, dtype=bool)),
                      time_limit_s=float(kw["time_limit_s"]) / 4,
                      mip_gap=gap * (START_GAP_FACTOR if seed is None else REPLAN_GAP_FACTOR))
            sub = covering(d, A[:, cols], c[cols], under_penalty=pen, options=START_OPTIONS,
                           start=None if seed is None else seed[cols], **kw)
            if sub.has_solution:
                x0 = np.zeros(n, dtype=np.int64)
                x0[cols] = sub.x
                st.start_time_limited |= sub.time_limited
                # The restricted model's columns are the window's with the others at 0, so its solution is
                # one of the window's; the window LP bounds every schedule of the window.
                g = mip.relative_gap(sub.objective, lp.objective)
                within = lp.within_gap and not sub.time_limited and g is not None and g <= gap + 1e-12
                if within:  # the bound reported is the window's LP, not the restricted model's own; and, as
                    # HiGHS's "Optimal" of a MIP, the status says the gap to a valid bound is within mip_gap
                    sub = replace(sub, best_bound=min(lp.objective, sub.objective), gap=g, within_gap=True,
                                  proven_optimal=g <= OPT_TOL, status="Optimal", variables=lp.variables,
                                  constraints=lp.constraints)  # the window model's size, as when it runs
                out = _WindowStart(x=x0, result=sub, accept=bool(within))
    st.start_s += time.perf_counter() - t0
    return out


def _solve_window(queue, qm: QueueModel, sc, st: _Rolling, a: int, b: int, n_wins: int, tell) -> None:
    """Solve window [a, b) of a rolling solve and fix the shifts of its own days in ``st``."""
    A = qm.A
    # The model of a window also holds the first hours of the next day that its last shifts can reach
    # (requirement and the variants starting then), so that night shifts at the end of the window are
    # chosen knowing the morning they run into; only the window's own days are fixed, and the next
    # window solves those hours again.
    ahead = qm.spill_min if n_wins > 1 else 0
    cols = np.flatnonzero(((qm.day_idx >= a) & (qm.day_idx < b)) | ((qm.day_idx == b) & (qm.vmin < ahead)))
    rows = np.flatnonzero(((qm.qday >= a) & (qm.qday < b)) | ((qm.qday == b) & (qm.qmin < ahead)))
    fixed = qm.day_idx[cols] < b
    own = qm.qday[rows] < b
    A_rows = A[rows]
    d_w = qm.demand[rows] - A_rows @ st.x  # requirement left after shifts of earlier windows
    A_w = A_rows[:, cols]
    pen_w = st.pen[rows].copy()
    what = f"days {a + 1}-{b} of {qm.n_days}" if n_wins > 1 else f"{qm.n_days} days"
    tell(f"{queue}: solving {what} ({len(cols):,} shift variants, {len(rows):,} intervals)")
    # schedule.time_limit_s is the budget of one queue, shared by its windows in proportion to their days.
    limit = float(sc.time_limit_s) * (b - a) / qm.n_days
    kw = dict(solver=sc.solver, time_limit_s=limit, mip_gap=sc.mip_gap, over_penalty=sc.over_penalty,
              side=window_side(qm.side, cols, st.x, st.is_fixed))
    ws = None if qm.group is None else _lp_guided_start(d_w, A_w, qm.costs[cols], pen_w, kw, qm.group[cols], st,
                                                        None if qm.start is None else qm.start[cols])
    if ws is not None and ws.accept:  # already within the gap of the window's own bound: no full model needed
        res = replace(ws.result, x=ws.x, runtime_s=0.0, build_s=0.0)  # its time is counted in st.start_s
    else:
        res = covering(d_w, A_w, qm.costs[cols], under_penalty=pen_w, start=None if ws is None else ws.x, **kw)
    if not res.has_solution and res.infeasible and np.isinf(pen_w).any():
        tell(f"{queue}: holiday requirement cannot be covered in full; solving again with the shortfall penalised")
        st.conflicts.update(conflicts(d_w, A_w, qm.costs[cols], pen_w, kw))
        st.results.append(res)
        pen_w[np.isinf(pen_w)] = HOLIDAY_FALLBACK_FACTOR * float(sc.under_penalty)
        st.pen[rows[own]] = pen_w[own]
        st.fell_back = True
        res = covering(d_w, A_w, qm.costs[cols], under_penalty=pen_w, **kw)
    st.results.append(res)
    if not res.has_solution:
        if res.infeasible:
            raise SolverError(f"queue '{queue}': the schedule model is infeasible ({res.solver}: {res.status})")
        raise SolverError(f"queue '{queue}': {res.solver} found no schedule for {what} within {limit:.3g} s "
                          f"(its share of schedule.time_limit_s = {sc.time_limit_s:g} s; status: {res.status}); "
                          "raise the time limit or the mip_gap")
    st.x[cols[fixed]] = res.x[fixed]
    st.is_fixed[cols[fixed]] = True


def _holiday_mode(sc, hard_mode: bool, fell_back: bool) -> str:
    if fell_back:
        return f"penalised x{HOLIDAY_FALLBACK_FACTOR:g} where hard coverage was infeasible"
    if hard_mode:
        return "hard"
    return "not required" if not sc.holiday_hard_coverage else "no holiday requirement"


def solve_queue(queue, qm: QueueModel, sc, window_days, tell) -> QueueSolution:
    """Solve one queue's covering model, over the whole horizon or in rolling windows of days.

    In a rolling solve, window w holds the variants starting on its days and in the first ``spill_min``
    minutes of the next day, and the requirement of that time less the coverage already given by shifts of
    earlier windows that run past midnight into it; the variants of its own days are then fixed. The cost
    reported is that of the final schedule; the bound is the LP relaxation of the whole-horizon model (a
    valid lower bound on the best schedule), so the gap is honest even though each window is solved alone.
    """
    qm = replace(qm, A=qm.A.tocsr())
    m, n = qm.A.shape
    hard_mode = bool(sc.holiday_hard_coverage and (qm.hol & (qm.demand > 0)).any())
    pen = np.full(m, float(sc.under_penalty))
    if hard_mode:
        pen[qm.hol] = np.inf
    st = _Rolling(x=np.zeros(n, dtype=np.int64), is_fixed=np.zeros(n, dtype=bool), pen=pen, results=[], conflicts=set())
    wins = windows(qm.n_days, window_days, qm.first_weekday)
    for a, b in wins:
        _solve_window(queue, qm, sc, st, a, b, len(wins), tell)

    results: list[CoveringResult] = st.results
    objective = schedule_objective(st.x, qm.A, qm.costs, qm.demand, st.pen, sc.over_penalty)
    counted = [r for r in results if r.has_solution or not r.infeasible]
    common = dict(
        x=st.x, holiday_mode=_holiday_mode(sc, hard_mode, st.fell_back), solver="/".join(sorted({r.solver for r in results})),
        windows=len(wins), variables=sum(r.variables for r in counted), constraints=sum(r.constraints for r in counted),
        notes=tuple(sorted({nt for r in results for nt in r.notes})), objective=objective,
        conflicts=tuple(sorted(st.conflicts)), pen=st.pen,
        time_limited=any(r.time_limited for r in results if r.has_solution) or st.start_time_limited,
    )
    runtime = sum(r.runtime_s for r in results) + st.start_s
    build = sum(r.build_s for r in results)
    if len(wins) == 1:
        final = results[-1]
        return QueueSolution(status=final.status, proven_optimal=final.proven_optimal, within_gap=final.within_gap,
                             best_bound=final.best_bound, gap=final.gap, bound_source="solver", runtime_s=runtime,
                             build_s=build, **common)
    tell(f"{queue}: LP relaxation of the whole horizon for the bound")
    lp = covering(qm.demand, qm.A, qm.costs, solver=sc.solver, time_limit_s=sc.time_limit_s, mip_gap=sc.mip_gap,
                  under_penalty=st.pen, over_penalty=sc.over_penalty, relax=True, side=qm.side)
    bound = min(lp.objective, objective) if lp.has_solution and lp.within_gap else None
    gap = mip.relative_gap(objective, bound)
    statuses = sorted({r.status for r in results if r.has_solution})
    return QueueSolution(
        status=f"{len(wins)} rolling windows of {wins[0][1] - wins[0][0]} days: " + ", ".join(statuses),
        proven_optimal=gap is not None and gap <= OPT_TOL, within_gap=gap is not None and gap <= sc.mip_gap + 1e-12,
        best_bound=bound, gap=gap, bound_source="LP relaxation of the whole horizon",
        runtime_s=runtime + lp.runtime_s, build_s=build + lp.build_s, **common,
    )

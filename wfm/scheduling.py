"""Shift scheduling: choose how many agents start each shift variant each day (or, with tours, each weekly
tour) to cover the requirement.

* :func:`schedule` turns the staffing requirement (``queue, interval_start, scheduled_required``) into shifts
  (``shifts``: one row per variant used, with its agent ``count``, per tour with ``tour_id`` when tours are
  on) and coverage per interval (``coverage``), plus a ``summary`` of what the solver did and proved.
* :func:`solve_covering` is the integer covering core it builds on: ``min cost·x`` subject to
  ``A·x + under >= demand``, ``x`` integer >= 0. Without penalties it is the textbook shift-design model
  (Dantzig 1954), so the published benchmarks (Union Airways, cyclic call-center days) run on it directly.
* :func:`coverage_from_shifts` recomputes agents on the phone per interval from shift rows; the coverage
  reported by :func:`schedule` comes from it, not from the solver's variable values.

Model (one integer program per queue; agents are per queue at this stage)
-------------------------------------------------------------------------
Shift catalog per day ``d`` of the horizon (every day from the queue's first to last requirement day): for
each template, every start time on the ``schedule.start_step_min`` grid within ``[start_min_h, start_max_h]``;
for a template with a break, one *variant per break start*: offsets from the shift start on the
``break_step_min`` grid within ``[earliest_start_h, latest_start_h]``. Variables: integer ``x[v] >= 0``
(agents starting variant ``v``), continuous ``under[t] >= 0`` per interval with a requirement (and
``over[t] >= 0`` when ``over_penalty > 0``). Constraint per interval ``t``:
``sum_v a[t,v]·x[v] + under[t] (- over[t]) >= (=) scheduled_required[t]``, where ``a[t,v] = 1`` when
variant ``v`` is on the phone for the whole interval ``t`` (started, not ended, not on its break).

Why explicit break placement: with one variant per break start the coverage of each variant is exact, so
the solver's coverage is the coverage agents deliver, and a break can never land on a peak by accident.
The implicit alternative (Bechtold & Jacobs 1990: shift variables plus break variables linked by
forward/backward constraints) is smaller but only equivalent under extraordinary-overlap conditions and is
harder to read. The cost is size: the demo's FT9 has 48 starts x 5 break starts = 240 variants a day, about
1,900 integer variables a week with PT4, which HiGHS solves to a 1% gap in 2-6 s (bench/schedule_speed.py).

Objective, in *base paid hours* (a shift of 8 paid hours on a workday costs 8):
``sum_v cost(v)·x[v] + under_penalty·sum_t under[t] + over_penalty·sum_t over[t]``. The cost of a variant
follows the pay rules of :func:`wfm.costs.cost_roster`: each paid hour at the multiplier of the *calendar
date it falls on* (a night shift is split at midnight; the unpaid part of the shift is taken out of its
break from the break start): ``pay.holiday_multiplier`` on statutory holidays (day type 'holiday' in
:func:`wfm.calendar.day_calendar`), ``pay.rest_day_multiplier`` on rest days when ``pay.rest_days ==
'calendar'``, 1 otherwise; plus ``pay.night_premium`` per paid hour inside the night window. Penalties are
in the same unit, per agent-interval. Overtime premiums are not in the objective (overtime depends on who
works the shift, decided by the roster); :mod:`wfm.costs` prices them afterwards.

Limits (hard, as side constraints): with an agent list, the contract capacity below; per queue
(``schedule.queues.<q>`` overrides the section's values) ``min/max_part_time_share``: per ISO week,
``lo·sum paid_h·x <= sum_{part_time} paid_h·x <= hi·sum paid_h·x`` (paid hours, templates with
``contract: part_time`` against all); ``max_starts_per_interval``: per interval, the agents starting a shift
in it (all templates and break variants) <= the cap.

Weekly tours (``schedule.tours.enabled``). A tour is (ISO week, template, start time, days-worked pattern):
its agents work that template at that start on the pattern's days of the week. Patterns: every choice of
``days_on`` of the 7 weekdays, less the split ones (days off not in one block; Sunday and the next Monday
count as one block only with ``wrap_days_off``) when ``consecutive_days_off == 'required'``; with
'preferred' a split pattern costs ``split_days_off_penalty`` per agent. A week only partly inside the horizon
uses the patterns restricted to its days. Model, in two steps:

1. The restricted model: integer ``y[k]`` per tour *and break offset* (the tour's agents take their break
   at that offset every working day), a column covering every working day of the tour, cost = the pay of its
   shifts + the pattern penalty. It is a covering model like the daily one (same ``under``/``over`` rows,
   limits rewritten for the tour columns, and with an agent list one tour per agent and week), solved in
   rolling ISO-week windows (no look-ahead: the next week's mornings are covered by the next week's tours and
   whatever night shifts run into them). Templates not in ``tours.templates`` stay daily shift columns.
2. Breaks day by day: with the tours fixed, the number ``N[d, template, start]`` of agents working each day is
   fixed; the break offsets are chosen again per day (integer ``z[d, variant] >= 0``, ``sum z = N``), the
   same explicit break variants as the daily model. The step 1 solution is feasible here, so the cost never
   rises (it is kept when the solver finds nothing better).

Why not one model with per-day break variables linked to tour variables (``sum_b z[d,k,b] = sum_{p works d}
y[k,p]``)? It is exact, but with the equality links HiGHS had no usable schedule after 60 s on one week of the
bench's center (its only incumbent left nearly everything uncovered), while the restricted model is a plain covering model HiGHS and CBC handle well. The bound and
gap reported are those of the restricted model (step 1: the solver's bound, or its whole-horizon LP
relaxation in a rolling solve); as step 2 only lowers the cost the gap is conservative for that model. It is
*not* a bound for tours whose breaks move day by day (that LP lay 2.1 % lower on the demo's first sales week).
Small queues have a weak LP bound with tours (a 1-agent night needs two 5-day tours where the LP takes 1.4),
so the proven gap there is larger than the true one.

Infeasible input. Without hard holiday rows every limit is met by scheduling nothing, so the model is always
feasible; with them, when hard coverage is infeasible, the LP relaxation is solved with each group of limits
(contract capacity, part-time share, starts cap; and for tours, isolated daily shifts instead of tours)
left out in turn; the groups whose removal makes it feasible are named in the run's messages and in
``holiday_conflicts``, with the intervals left short. Contradictory settings (a minimum part-time share with
no part-time template or no part-time agent, min above max) are refused before solving with the key named.

Holidays. With ``schedule.holiday_hard_coverage`` the intervals on holidays (column ``is_holiday`` if the
requirement has it, else any day off in the public calendar of ``site.country``) have no ``under``
variable: they must be covered. If that is infeasible (a holiday requirement at an hour no allowed shift
covers), the model (the window, in a rolling solve) is solved again with those intervals penalised at
100 x ``under_penalty``, and the summary lists the holiday intervals left short and by how much.

Rolling windows. One model over a 4-week horizon is slow to close to a 1% gap (the demo's sales queue:
9,500 variables, 42-49 s with HiGHS on a 2-core machine), so horizons longer than a week are solved in rolling 7-day windows
(``window_days='auto'``; ``None`` forces one model): window ``w`` has the variants starting on its days and
the requirement of its days less the coverage of earlier shifts that run past midnight into them, plus a
look-ahead: the requirement and the variants of the first hours of the next day, as far as the window's
latest shift can reach (08:30 for the demo), so that night shifts at the end of a window are chosen knowing
the morning they run into. Then the variants of the window's own days are fixed. The demo's sales queue
then takes about 25 s (service 12 s) and costs no more (7,296 against 7,304 base paid hours; measured with
bench/schedule_speed.py; MIP times vary by instance). The bound
reported for a rolling solve is the LP relaxation of the whole-horizon model, a valid lower bound, so the
gap stays honest. ``schedule.time_limit_s`` is the budget of one queue, shared by its windows.

Horizon edges. No shift starts before the queue's first day, so requirements in the first hours of the
first day are covered only by shifts starting that day (a night shift of the previous evening is not
available; this is accepted). Shifts starting on the last day may run past the horizon end; the
intervals after it are simply not counted.

Solver: HiGHS through PuLP (``schedule.solver``), or CBC (bundled with PuLP) when asked or when HiGHS is
unavailable or fails; the summary says which. ``proven_optimal`` is True only when the solver proved the
optimum (best bound equal to the objective within 1e-6 relative); ``within_gap`` is PuLP's
``sol_status == LpSolutionOptimal``, i.e. the solver stopped because the gap fell below ``mip_gap`` (PuLP
calls a time-limit stop "Optimal" too, so its status text is not used), and for a rolling solve: the gap
to the whole-horizon LP bound is at most ``mip_gap``. The best bound comes from HiGHS's
``mip_dual_bound`` or from CBC's log. Same input gives the same output (fixed seeds, sorted catalog, one
CBC thread) unless a time limit stops the search.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp
from scipy.sparse import csc_matrix, csr_matrix, hstack

from .calendar import day_calendar
from .errors import ConfigError, InputError, SolverError

__all__ = [
    "SHIFT_COLUMNS", "COVERAGE_COLUMNS", "ScheduleResult", "CoveringResult", "schedule", "solve_covering",
    "shift_catalog", "coverage_from_shifts",
]

SHIFT_COLUMNS = ["shift_id", "queue", "date", "template", "start", "end", "break_start", "break_end", "paid_hours", "count",
                 "tour_id"]
COVERAGE_COLUMNS = ["queue", "interval_start", "required", "scheduled", "gap"]
HOLIDAY_FALLBACK_FACTOR = 100.0  # penalty on holiday intervals, x under_penalty, when hard coverage is infeasible
AUTO_WHOLE_HORIZON_DAYS = 7  # longer horizons are solved in rolling 7-day windows (window_days="auto")
MAX_LISTED = 200  # holiday shortfall rows listed in the summary
_OPT_TOL = 1e-6  # relative gap below which a solve counts as proven optimal


# --------------------------------------------------------------------------------------------------
# Coverage arithmetic
# --------------------------------------------------------------------------------------------------


def coverage_from_shifts(
    shifts: pd.DataFrame, intervals: pd.DataFrame, interval_minutes: int
) -> np.ndarray:
    """Agents on the phone per interval, recomputed from shift instances.

    ``shifts``: rows with ``queue, start, end`` and optionally ``break_start, break_end`` (NaT or empty
    when no break) and ``count`` (agents on that shift; 1 when absent). ``intervals``: rows with
    ``queue, interval_start``. An agent counts in interval [t, t + interval) when the shift covers the
    whole interval and the agent is not on break in it. Returns an int array aligned with ``intervals``.
    """
    step = pd.Timedelta(minutes=interval_minutes)
    out = np.zeros(len(intervals), dtype=np.int64)
    if len(intervals) == 0 or len(shifts) == 0:
        return out
    counts = shifts["count"].to_numpy(dtype=np.int64) if "count" in shifts else np.ones(len(shifts), np.int64)
    iv_start = pd.to_datetime(intervals["interval_start"])
    t0 = min(iv_start.min(), pd.to_datetime(shifts["start"]).min()).floor("D")

    def idx(ts: pd.Series) -> np.ndarray:
        # ceil for starts and floor for ends would matter only off-grid; shifts are on the interval grid.
        return ((pd.to_datetime(ts) - t0) // step).to_numpy(dtype=np.int64)

    for queue, iv in intervals.groupby("queue", sort=False):
        sh = shifts["queue"] == queue
        if not sh.any():
            continue
        s = shifts.loc[sh]
        c = counts[sh.to_numpy()]
        starts, ends = idx(s["start"]), idx(s["end"])
        size = int(max(ends.max(), idx(iv["interval_start"]).max() + 1)) + 1
        diff = np.zeros(size + 1, dtype=np.int64)
        np.add.at(diff, starts, c)
        np.add.at(diff, ends, -c)
        if "break_start" in s:
            bs = pd.to_datetime(s["break_start"], errors="coerce")
            be = pd.to_datetime(s["break_end"], errors="coerce")
            has = bs.notna().to_numpy() & be.notna().to_numpy()
            if has.any():
                np.add.at(diff, idx(bs[has]), -c[has])
                np.add.at(diff, idx(be[has]), c[has])
        level = np.cumsum(diff)
        out[np.flatnonzero((intervals["queue"] == queue).to_numpy())] = level[idx(iv["interval_start"])]
    return out


# --------------------------------------------------------------------------------------------------
# Integer covering core
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoveringResult:
    """Solution of :func:`solve_covering`.

    ``x``: agents per column (int array); ``under``/``over``: shortfall and excess per row (float arrays,
    zeros where the row has no such variable). ``objective``: the solution's cost; ``best_bound``: the
    solver's proven lower bound (None when not retrievable); ``gap``: ``(objective - best_bound) /
    |objective|`` (0 when both are 0). ``status``: the solver's own words. ``has_solution``: False when the
    solver returned no feasible point (then ``x`` is all zeros and must not be used).
    """

    x: np.ndarray
    under: np.ndarray
    over: np.ndarray
    solver: str
    status: str
    has_solution: bool
    infeasible: bool
    proven_optimal: bool
    within_gap: bool
    objective: float | None
    best_bound: float | None
    gap: float | None
    runtime_s: float
    build_s: float
    variables: int
    constraints: int
    notes: tuple[str, ...] = field(default_factory=tuple)


def _gap(objective: float | None, bound: float | None) -> float | None:
    """Relative gap ``(objective - bound) / |objective|``; 0 when they agree to 1e-9 (relative, or absolute near 0)."""
    if objective is None or bound is None:
        return None
    diff = max(objective - bound, 0.0)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-9)


def _add_var(prob: pulp.LpProblem, name: str, low=None, up=None, cat=pulp.LpContinuous) -> pulp.LpVariable:
    # PuLP 3.x creates variables through the problem (PuLP 4 style); older PuLP only has LpVariable.
    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, low, up, cat=cat)
    return pulp.LpVariable(name, low, up, cat)


def _as_csc(cover_matrix, n_rows: int, n_cols: int):
    """(indptr, indices, data) of the matrix by column, from a dense array-like or a scipy sparse matrix."""
    if hasattr(cover_matrix, "tocsc"):
        m = cover_matrix.tocsc()
        m.sort_indices()
        if m.shape != (n_rows, n_cols):
            raise ValueError(f"cover_matrix has shape {m.shape}; expected ({n_rows}, {n_cols}) (rows = demand, columns = costs)")
        return m.indptr, m.indices, m.data.astype(float)
    a = np.asarray(cover_matrix, dtype=float)
    if a.shape != (n_rows, n_cols):
        raise ValueError(f"cover_matrix has shape {a.shape}; expected ({n_rows}, {n_cols}) (rows = demand, columns = costs)")
    m = csc_matrix(a)
    m.sort_indices()
    return m.indptr, m.indices, m.data


def _cbc_bound(log: str, objective: float | None) -> float | None:
    """CBC's best possible objective from its log: 'Lower bound:' after a stop, the 'best possible' of a
    partial search, or the objective itself when optimality was proven."""
    m = re.search(r"^Lower bound:\s*([-+0-9.eE]+)", log, re.M)
    if m:
        return float(m.group(1))
    m = re.findall(r"best possible ([-+0-9.eE]+)", log)
    if m:
        return float(m[-1])
    if objective is not None and re.search(r"^Result - Optimal solution found\s*$", log, re.M):
        return objective  # proven optimal (a stop at the gap tolerance says "within gap tolerance")
    return None


def _cbc_status(log: str) -> str | None:
    m = re.search(r"^Result - (.+)$", log, re.M)
    return m.group(1).strip() if m else None


def _run_solver(prob: pulp.LpProblem, name: str, time_limit_s: float, mip_gap: float, relax: bool = False):
    """Solve with 'highs' or 'cbc'. Returns (label, status text, has_solution, infeasible, objective, bound,
    runtime). Raises pulp.PulpSolverError (or the solver's own error) when the solver cannot run."""
    t0 = time.perf_counter()
    if name == "highs":
        solver = pulp.HiGHS(mip=not relax, msg=False, timeLimit=float(time_limit_s), gapRel=float(mip_gap), random_seed=0)
        if not solver.available():
            raise pulp.PulpSolverError("HiGHS is not available (highspy is not installed)")
        prob.solve(solver)
        secs = time.perf_counter() - t0
        h = prob.solverModel
        info = h.getInfo()
        status = h.modelStatusToString(h.getModelStatus())
        failed = {"Load error", "Model error", "Presolve error", "Solve error", "Postsolve error"}
        if status in failed:
            raise pulp.PulpSolverError(f"HiGHS stopped with status '{status}'")
        has = int(info.primal_solution_status) == 2 and prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        infeasible = prob.sol_status == pulp.LpSolutionInfeasible
        obj = float(info.objective_function_value) if has else None
        bound = float(info.mip_dual_bound) if has and not relax else None
        if bound is not None and not math.isfinite(bound):
            bound = None
        if has and bound is None and prob.sol_status == pulp.LpSolutionOptimal:
            bound = obj  # solved without branching (e.g. by presolve): the objective is the bound
        return "HiGHS", status, has, infeasible, obj, bound, prob.sol_status == pulp.LpSolutionOptimal, secs
    if name == "cbc":
        with tempfile.TemporaryDirectory(prefix="wfm_cbc_") as tmp:
            log_path = os.path.join(tmp, "cbc.log")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # PULP_CBC_CMD is deprecated for PuLP 4
                solver = pulp.PULP_CBC_CMD(mip=not relax, msg=False, timeLimit=float(time_limit_s), gapRel=float(mip_gap),
                                           threads=1, logPath=log_path, options=["randomCbcSeed 1", "randomSeed 1"])
                if not solver.available():
                    raise pulp.PulpSolverError("CBC is not available")
                prob.solve(solver)
            secs = time.perf_counter() - t0
            log = open(log_path, encoding="utf-8", errors="replace").read() if os.path.exists(log_path) else ""
        has = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        infeasible = prob.sol_status == pulp.LpSolutionInfeasible or "infeasible" in (_cbc_status(log) or "").lower()
        has = has and not infeasible
        obj = float(pulp.value(prob.objective) or 0.0) if has else None
        bound = (obj if relax and prob.sol_status == pulp.LpSolutionOptimal else _cbc_bound(log, obj)) if has else None
        status = _cbc_status(log) or pulp.LpStatus.get(prob.status, str(prob.status))
        return "CBC", status, has, infeasible, obj, bound, prob.sol_status == pulp.LpSolutionOptimal, secs
    raise ValueError(f"solver must be 'highs' or 'cbc', got {name!r}")


def _covering(
    demand, cover_matrix, costs, *, solver: str = "highs", time_limit_s: float = 60, mip_gap: float = 0.0,
    under_penalty=None, over_penalty: float = 0.0, relax: bool = False, side=(),
) -> CoveringResult:
    """The covering IP (its LP relaxation when ``relax``), solved; may return a result without a solution
    (see ``has_solution``). ``side``: extra constraints ``sum coefs·x[cols] <sense> rhs`` as (cols, coefs, rhs)
    or (cols, coefs, rhs, sense, group) with sense '<=', '>=' or '=='; ``group`` only labels the constraint."""
    if solver not in ("highs", "cbc"):
        raise ValueError(f"solver must be 'highs' or 'cbc', got {solver!r}")
    d = np.asarray(demand, dtype=float).ravel()
    c = np.asarray(costs, dtype=float).ravel()
    m, n = len(d), len(c)
    indptr, indices, data = _as_csc(cover_matrix, m, n)
    if np.any(~np.isfinite(d)) or np.any(~np.isfinite(c)):
        raise ValueError("demand and costs must be finite numbers")
    if under_penalty is None:
        pen = np.full(m, np.inf)
    else:
        pen = np.broadcast_to(np.asarray(under_penalty, dtype=float), (m,)).copy()
    hard = ~np.isfinite(pen)
    use_over = over_penalty > 0

    t_build = time.perf_counter()
    prob = pulp.LpProblem("covering", pulp.LpMinimize)
    width = len(str(max(n, m, 1)))
    cat = pulp.LpContinuous if relax else pulp.LpInteger
    x = [_add_var(prob, f"x{j:0{width}d}", 0, None, cat) for j in range(n)]
    rows: list[list[tuple[pulp.LpVariable, float]]] = [[] for _ in range(m)]
    for j in range(n):
        for i, a in zip(indices[indptr[j]:indptr[j + 1]].tolist(), data[indptr[j]:indptr[j + 1]].tolist()):
            if a != 0:
                rows[i].append((x[j], a))
    under: dict[int, pulp.LpVariable] = {}
    over: dict[int, pulp.LpVariable] = {}
    obj_terms = [(x[j], float(c[j])) for j in range(n) if c[j] != 0]
    n_cons = 0
    for i in range(m):
        if d[i] <= 0 and not use_over:
            continue  # coverage >= 0 always holds
        terms = list(rows[i])
        if not hard[i] and d[i] > 0:
            u = _add_var(prob, f"u{i:0{width}d}", 0)
            under[i] = u
            terms.append((u, 1.0))
            if pen[i] != 0:
                obj_terms.append((u, float(pen[i])))
        if use_over:
            o = _add_var(prob, f"o{i:0{width}d}", 0)
            over[i] = o
            terms.append((o, -1.0))
            obj_terms.append((o, float(over_penalty)))
        sense = pulp.LpConstraintEQ if use_over else pulp.LpConstraintGE
        prob += pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, f"c{i:0{width}d}", float(d[i]))
        n_cons += 1
    senses = {"<=": pulp.LpConstraintLE, ">=": pulp.LpConstraintGE, "==": pulp.LpConstraintEQ}
    for k, sc_ in enumerate(side):
        s_cols, s_coefs, rhs = sc_[:3]
        sense = senses[sc_[3] if len(sc_) > 3 else "<="]
        terms = [(x[int(j)], float(a)) for j, a in zip(s_cols, s_coefs) if a != 0]
        if terms:
            prob += pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, f"side{k:06d}", float(rhs))
            n_cons += 1
    prob += pulp.LpAffineExpression(obj_terms)
    build_s = time.perf_counter() - t_build
    n_vars = n + len(under) + len(over)

    notes: list[str] = []
    try:
        label, status, has, infeasible, obj, bound, within, secs = _run_solver(prob, solver, time_limit_s, mip_gap, relax)
    except Exception as err:  # noqa: BLE001 - any HiGHS failure falls back to CBC, and says so
        if solver != "highs":
            raise SolverError(f"the CBC solver failed to run: {err}") from None
        notes.append(f"HiGHS failed ({err}); solved with CBC instead")
        try:
            label, status, has, infeasible, obj, bound, within, secs = _run_solver(prob, "cbc", time_limit_s, mip_gap, relax)
        except Exception as err2:  # noqa: BLE001
            raise SolverError(f"neither HiGHS ({err}) nor CBC ({err2}) could solve the schedule model") from None

    xv = np.zeros(n, dtype=np.int64)
    uv, ov = np.zeros(m), np.zeros(m)
    gap = None
    proven = False
    if has:
        vals = np.array([float(v.varValue or 0.0) for v in x])
        xv = vals if relax else np.rint(vals).astype(np.int64)
        for i, u in under.items():
            uv[i] = max(float(u.varValue or 0.0), 0.0)
        for i, o in over.items():
            ov[i] = max(float(o.varValue or 0.0), 0.0)
        if bound is not None and obj is not None:
            bound = min(bound, obj)  # a bound above the incumbent is numerical noise
            gap = _gap(obj, bound)
        proven = gap is not None and gap <= _OPT_TOL
    return CoveringResult(
        x=xv, under=uv, over=ov, solver=label, status=status, has_solution=has, infeasible=bool(infeasible and not has),
        proven_optimal=proven, within_gap=bool(has and within), objective=obj, best_bound=bound, gap=gap,
        runtime_s=secs, build_s=build_s, variables=n_vars, constraints=n_cons, notes=tuple(notes),
    )


def solve_covering(
    demand, cover_matrix, costs, solver: str = "highs", time_limit_s: float = 60, mip_gap: float = 0.0,
    under_penalty=None, over_penalty: float = 0.0,
) -> CoveringResult:
    """Minimum-cost integer covering: ``min costs·x + under_penalty·under + over_penalty·over`` subject to
    ``cover_matrix·x + under >= demand`` (``= demand + over`` when ``over_penalty > 0``), ``x`` integer >= 0.

    ``demand``: length-m array (agents per period); ``cover_matrix``: m x n, dense array-like or scipy
    sparse, ``[i, j]`` = agents of column j counted in row i (usually 0/1); ``costs``: length-n array.
    ``under_penalty``: None (every row hard: pure covering, the textbook model), a scalar or a length-m array
    (``inf`` entries are hard rows). ``solver``: 'highs' or 'cbc'; HiGHS failures fall back to CBC (noted in
    ``notes``). Raises SolverError when no feasible solution is found (infeasible or time limit).
    """
    res = _covering(demand, cover_matrix, costs, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap,
                    under_penalty=under_penalty, over_penalty=over_penalty)
    if not res.has_solution:
        if res.infeasible:
            raise SolverError("the covering problem is infeasible: some demand cannot be covered by any column")
        raise SolverError(f"{res.solver} found no solution within {time_limit_s:g} s (status: {res.status})")
    return res


# --------------------------------------------------------------------------------------------------
# Shift catalog
# --------------------------------------------------------------------------------------------------


def _grid(lo_min: float, hi_min: float, step: int) -> list[int]:
    """Multiples of ``step`` within [lo_min, hi_min]."""
    first = math.ceil(round(lo_min, 6) / step) * step
    return list(range(int(first), int(math.floor(round(hi_min, 6))) + 1, step))


def _pay_split(cat: pd.DataFrame, pay) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paid hours of each catalog variant on its start day and on the next day, and its paid hours inside the
    night window ``pay.night_start_h``-``night_end_h``, by the rules of :func:`wfm.costs.cost_roster`: the
    unpaid time (length - paid hours) is taken out of the break from its start."""
    n = len(cat)
    day0, day1, night = np.zeros(n), np.zeros(n), np.zeros(n)
    if n == 0:
        return day0, day1, night
    ns, ne = round(pay.night_start_h * 60), round(pay.night_end_h * 60)
    for i, (s0, ln, boff, paid_h) in enumerate(zip(cat["start_min"], cat["length_min"], cat["break_offset_min"],
                                                   cat["paid_hours"])):
        minute = np.arange(int(s0), int(s0) + int(ln))
        paid = np.ones(len(minute), dtype=bool)
        unpaid = int(round(ln - paid_h * 60))
        if unpaid > 0 and boff >= 0:
            paid[int(boff):int(boff) + unpaid] = False
        mod = minute % 1440
        in_night = ((mod >= ns) & (mod < ne)) if ns < ne else ((mod >= ns) | (mod < ne)) if ns > ne else np.zeros(len(mod), bool)
        day0[i] = np.count_nonzero(paid & (minute < 1440)) / 60.0
        day1[i] = np.count_nonzero(paid & (minute >= 1440)) / 60.0
        night[i] = np.count_nonzero(paid & in_night) / 60.0
    return day0, day1, night


def shift_catalog(cfg) -> pd.DataFrame:
    """The shift variants allowed on any day: ``template, start_min`` (minutes after midnight),
    ``length_min``, ``break_offset_min`` (minutes after shift start; -1 when none), ``break_min``,
    ``paid_hours``, ``contract``; and for the pay rules ``paid_h_day0`` / ``paid_h_day1`` (paid hours on the
    start day and the next day) and ``night_paid_h`` (paid hours in the night window). Raises ConfigError
    when a template is off the interval grid or allows no start."""
    sc = cfg.require("schedule")
    im = cfg.interval_minutes
    names = [t.name for t in sc.templates]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"key 'schedule.templates': template name '{dup[0]}' is used twice; names must be unique")
    rows = []
    for i, t in enumerate(sc.templates):
        key = f"schedule.templates.{i}"
        length = t.length_h * 60
        if abs(length - round(length)) > 1e-6 or round(length) % im:
            raise ConfigError(f"key '{key}.length_h': {t.length_h:g} h is not a whole number of {im}-minute intervals")
        length = int(round(length))
        starts = _grid(t.start_min_h * 60, t.start_max_h * 60, sc.start_step_min)
        if not starts:
            raise ConfigError(f"key '{key}': no start time on the {sc.start_step_min}-minute grid between "
                              f"start_min_h {t.start_min_h:g} and start_max_h {t.start_max_h:g}")
        if t.brk is not None and t.brk.minutes > 0:
            if t.brk.minutes % im:
                raise ConfigError(f"key '{key}.break.minutes': {t.brk.minutes} is not a multiple of interval_minutes ({im})")
            offsets = _grid(t.brk.earliest_start_h * 60, t.brk.latest_start_h * 60, sc.break_step_min)
            if not offsets:
                raise ConfigError(f"key '{key}.break': no break start on the {sc.break_step_min}-minute grid between "
                                  f"{t.brk.earliest_start_h:g} h and {t.brk.latest_start_h:g} h after the shift start")
            bmin = t.brk.minutes
        else:
            offsets, bmin = [-1], 0
        for s in starts:
            for b in offsets:
                rows.append((t.name, s, length, b, bmin, float(t.paid_h), t.contract))
    cat = pd.DataFrame(rows, columns=["template", "start_min", "length_min", "break_offset_min", "break_min", "paid_hours",
                                      "contract"])
    cat["paid_h_day0"], cat["paid_h_day1"], cat["night_paid_h"] = _pay_split(cat, cfg.pay)
    return cat


# --------------------------------------------------------------------------------------------------
# schedule()
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleResult:
    """Result of :func:`schedule`.

    ``shifts``: one row per shift variant used, ``shift_id, queue, date`` (start day, midnight),
    ``template, start, end, break_start, break_end`` (NaT without a break), ``paid_hours`` [h per agent],
    ``count`` [agents], ``tour_id`` (the weekly tour the agents of the row work, '' when not a tour; the rows
    of one tour and date sum to the tour's agents); sorted by queue, start, template, break start, tour. ``coverage``: ``queue, interval_start,
    required, scheduled, gap`` [agents] per requirement interval, ``scheduled`` recomputed from ``shifts``
    and ``gap = scheduled - required``. ``summary``: solver facts and totals, overall and per queue.
    """

    shifts: pd.DataFrame
    coverage: pd.DataFrame
    summary: dict


def _check_requirements(req: pd.DataFrame, im: int) -> pd.DataFrame:
    src = req.attrs.get("source") or "requirements"  # the file's path when the frame was read by wfm.io
    missing = [c for c in ("queue", "interval_start", "scheduled_required") if c not in req.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, req.columns))}", file=src)
    if len(req) == 0:
        raise InputError("the requirement has no rows: nothing to schedule", file=src)
    df = req.reset_index(drop=True).copy()
    ts = pd.to_datetime(df["interval_start"], errors="coerce")
    if ts.isna().any():
        i = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise InputError("interval_start is missing or not a date-time", file=src, row=i + 2, column="interval_start")
    if getattr(ts.dt, "tz", None) is not None:
        raise InputError("interval_start must be local clock time without a time zone", file=src, column="interval_start")
    df["interval_start"] = ts.astype("datetime64[ns]")
    off = ((df["interval_start"] - df["interval_start"].dt.normalize()) % pd.Timedelta(minutes=im)) != pd.Timedelta(0)
    if off.any():
        i = int(np.flatnonzero(off.to_numpy())[0])
        raise InputError(f"{df['interval_start'].iloc[i]} is not on the {im}-minute interval grid",
                         file=src, row=i + 2, column="interval_start")
    v = pd.to_numeric(df["scheduled_required"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v < 0) | (np.abs(v - np.round(v)) > 1e-9)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"'{df['scheduled_required'].iloc[i]}' is not a whole number of agents >= 0",
                         file=src, row=i + 2, column="scheduled_required")
    df["scheduled_required"] = np.round(v).astype(np.int64)
    df["queue"] = df["queue"].astype(str)
    dup = df.duplicated(["queue", "interval_start"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"queue '{df['queue'].iloc[i]}' has interval {df['interval_start'].iloc[i]} twice",
                         file=src, row=i + 2, column="interval_start")
    if "is_holiday" in df.columns:
        h = df["is_holiday"]
        if h.dtype != bool:
            h = h.astype(str).str.strip().str.lower().map({"true": True, "false": False, "1": True, "0": False})
            if h.isna().any():
                i = int(np.flatnonzero(h.isna().to_numpy())[0])
                raise InputError("is_holiday must be true or false", file=src, row=i + 2, column="is_holiday")
        df["is_holiday"] = h.astype(bool)
    return df


def _windows(n_days: int, window_days, first_weekday: int | None = None) -> list[tuple[int, int]]:
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


def _conflicts(d, A, c, pen, kw) -> list[str]:
    """Which groups of side constraints make hard (infinite-penalty) coverage infeasible: the groups whose
    removal alone makes the LP relaxation feasible (all groups when only removing several helps; none when
    the requirement is infeasible even without any side constraint)."""
    side = kw.get("side") or []
    groups = sorted({sc[4] for sc in side if len(sc) > 4})
    if not groups:
        return []

    def feasible(sd) -> bool:
        return _covering(d, A, c, under_penalty=pen, relax=True, **dict(kw, side=sd)).has_solution

    if not feasible([]):
        return []
    found = [g for g in groups if feasible([sc for sc in side if (sc[4] if len(sc) > 4 else None) != g])]
    return found or groups


def _window_side(side, cols, fixed_x, is_fixed=None):
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


def _solve_queue(queue, A, demand, hol, costs, day_idx, vmin, qday, qmin, n_days, spill_min, sc, window_days, tell,
                 side=(), first_weekday=None) -> dict:
    """Solve one queue's covering model, over the whole horizon or in rolling windows of days.

    In a rolling solve, window w holds the variants starting on its days and in the first ``spill_min``
    minutes of the next day, and the requirement of that time less the coverage already given by shifts of
    earlier windows that run past midnight into it; the variants of its own days are then fixed. The cost
    reported is that of the final schedule; the bound is the LP relaxation of the whole-horizon model (a
    valid lower bound on the best schedule), so the gap is honest even though each window is solved alone.
    """
    A = A.tocsr()
    m, n = A.shape
    x = np.zeros(n, dtype=np.int64)
    hard_mode = bool(sc.holiday_hard_coverage and (hol & (demand > 0)).any())
    pen = np.full(m, float(sc.under_penalty))
    if hard_mode:
        pen[hol] = np.inf
    fell_back = False
    conflicts: set[str] = set()
    wins = _windows(n_days, window_days, first_weekday)
    is_fixed = np.zeros(n, dtype=bool)
    results = []
    for a, b in wins:
        # The model of a window also holds the first hours of the next day that its last shifts can reach
        # (requirement and the variants starting then), so that night shifts at the end of the window are
        # chosen knowing the morning they run into; only the window's own days are fixed, and the next
        # window solves those hours again.
        ahead = spill_min if len(wins) > 1 else 0
        cols = np.flatnonzero(((day_idx >= a) & (day_idx < b)) | ((day_idx == b) & (vmin < ahead)))
        rows = np.flatnonzero(((qday >= a) & (qday < b)) | ((qday == b) & (qmin < ahead)))
        fixed = day_idx[cols] < b
        own = qday[rows] < b
        A_rows = A[rows]
        d_w = demand[rows] - A_rows @ x  # requirement left after shifts of earlier windows
        A_w = A_rows[:, cols]
        pen_w = pen[rows].copy()
        what = f"days {a + 1}-{b} of {n_days}" if len(wins) > 1 else f"{n_days} days"
        tell(f"{queue}: solving {what} ({len(cols):,} shift variants, {len(rows):,} intervals)")
        # schedule.time_limit_s is the budget of one queue, shared by its windows in proportion to their days.
        limit = float(sc.time_limit_s) * (b - a) / n_days
        kw = dict(solver=sc.solver, time_limit_s=limit, mip_gap=sc.mip_gap, over_penalty=sc.over_penalty)
        kw["side"] = _window_side(side, cols, x, is_fixed)
        res = _covering(d_w, A_w, costs[cols], under_penalty=pen_w, **kw)
        if not res.has_solution and res.infeasible and np.isinf(pen_w).any():
            tell(f"{queue}: holiday requirement cannot be covered in full; solving again with the shortfall penalised")
            conflicts.update(_conflicts(d_w, A_w, costs[cols], pen_w, kw))
            results.append(res)
            pen_w[np.isinf(pen_w)] = HOLIDAY_FALLBACK_FACTOR * float(sc.under_penalty)
            pen[rows[own]] = pen_w[own]
            fell_back = True
            res = _covering(d_w, A_w, costs[cols], under_penalty=pen_w, **kw)
        results.append(res)
        if not res.has_solution:
            if res.infeasible:
                raise SolverError(f"queue '{queue}': the schedule model is infeasible ({res.solver}: {res.status})")
            raise SolverError(f"queue '{queue}': {res.solver} found no schedule for {what} within {limit:.3g} s "
                              f"(its share of schedule.time_limit_s = {sc.time_limit_s:g} s; status: {res.status}); "
                              "raise the time limit or the mip_gap")
        x[cols[fixed]] = res.x[fixed]
        is_fixed[cols[fixed]] = True

    # Cost of the final schedule, from the solution itself.
    cov = A @ x
    under = np.clip(demand - cov, 0, None)
    objective = float(costs @ x) + float((np.where(np.isfinite(pen), pen, 0.0) * under).sum())
    if sc.over_penalty > 0:
        objective += float(sc.over_penalty) * float(np.clip(cov - demand, 0, None).sum())
    final = results[-1]
    solvers = sorted({r.solver for r in results})
    out = {
        "x": x,
        "holiday_mode": ("hard" if hard_mode and not fell_back else
                         f"penalised x{HOLIDAY_FALLBACK_FACTOR:g} where hard coverage was infeasible" if fell_back else
                         "not required" if not sc.holiday_hard_coverage else "no holiday requirement"),
        "solver": "/".join(solvers),
        "windows": len(wins),
        "runtime_s": sum(r.runtime_s for r in results),
        "build_s": sum(r.build_s for r in results),
        "variables": sum(r.variables for r in results if r.has_solution or not r.infeasible),
        "constraints": sum(r.constraints for r in results if r.has_solution or not r.infeasible),
        "notes": sorted({nt for r in results for nt in r.notes}),
        "objective": objective,
        "conflicts": sorted(conflicts),
        "pen": pen,
    }
    if len(wins) == 1:
        out.update(status=final.status, proven_optimal=final.proven_optimal, within_gap=final.within_gap,
                   best_bound=final.best_bound, gap=final.gap, bound_source="solver")
        return out
    tell(f"{queue}: LP relaxation of the whole horizon for the bound")
    lp = _covering(demand, A, costs, solver=sc.solver, time_limit_s=sc.time_limit_s, mip_gap=sc.mip_gap,
                   under_penalty=pen, over_penalty=sc.over_penalty, relax=True, side=side)
    out["runtime_s"] += lp.runtime_s
    out["build_s"] += lp.build_s
    bound = min(lp.objective, objective) if lp.has_solution and lp.within_gap else None
    gap = _gap(objective, bound)
    statuses = sorted({r.status for r in results if r.has_solution})
    out.update(
        status=f"{len(wins)} rolling windows of {wins[0][1] - wins[0][0]} days: " + ", ".join(statuses),
        proven_optimal=gap is not None and gap <= _OPT_TOL,
        within_gap=gap is not None and gap <= sc.mip_gap + 1e-12,
        best_bound=bound, gap=gap, bound_source="LP relaxation of the whole horizon",
    )
    return out


def _time_limited(status: str) -> bool:
    """Whether a solver status text (HiGHS's or CBC's, or a rolling solve's list of them) says a time limit
    stopped a solve."""
    text = str(status).lower()
    return "time limit" in text or "stopped on time" in text or "timelimit" in text


def _fmt_ts(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M")


def contract_capacity(agents: pd.DataFrame, requirements: pd.DataFrame, cfg) -> dict:
    """Headcount the shifts of each queue can draw on, by contract type: ``{(queue, contract): {"agents",
    "days_week", "hours_week"}}``.

    ``agents``: the agent list (``queues`` separated by ';', ``contract``, ``max_hours_week``,
    ``max_days_week``; optional ``availability`` and ``leave`` as in :mod:`wfm.roster`). An agent counts fully
    towards the daily head count of every queue they are skilled for on the weekdays of their availability
    and not on their leave days (``by_weekday``, ``on_leave``), and towards the weekly days and hours of each queue in proportion to that queue's required
    agent-hours among the agent's queues (multi-skilled agents are shared, not counted twice).
    """
    req_h = requirements.groupby("queue")["scheduled_required"].sum().astype(float)
    days_cap = 7 - cfg.roster.min_days_off_per_week
    cap: dict = {}
    from .roster import parse_availability, parse_leave

    for a in agents.itertuples(index=False):
        qs = [q for q in str(a.queues).split(";") if q.strip() in req_h.index]
        qs = [q.strip() for q in qs]
        if not qs:
            continue
        total = float(req_h.reindex(qs).sum())
        # weekdays the agent is available at all (hours inside the day are left to the roster), leave dates
        wins = parse_availability(str(getattr(a, "availability", "") or ""))
        avail_days = set().union(*(w[0] for w in wins)) if wins else set(range(7))
        off = parse_leave(str(getattr(a, "leave", "") or ""))
        for q in qs:
            share = float(req_h[q]) / total if total > 0 else 1.0 / len(qs)
            c = cap.setdefault((q, a.contract), {"agents": 0, "days_week": 0.0, "hours_week": 0.0,
                                                 "by_weekday": [0] * 7, "on_leave": {}})
            c["agents"] += 1
            for wd in avail_days:
                c["by_weekday"][wd] += 1
            for d in off:
                if d.day_of_week in avail_days:
                    c["on_leave"][d] = c["on_leave"].get(d, 0) + 1
            c["days_week"] += share * min(int(a.max_days_week), days_cap)
            c["hours_week"] += share * float(a.max_hours_week)
    return cap


def _capacity_constraints(cap, queue, catalog, ci, day_idx, days, cat_paid) -> list:
    """Side constraints for one queue: per day, shifts of a contract's templates <= agents of that contract;
    per ISO week, those shifts <= the agents' working days and their paid hours <= the agents' maximum hours
    (prorated for a week only partly inside the horizon)."""
    out = []
    tmpl_contract = {t.name: t.contract for t in catalog.attrs["templates"]}
    contracts_of = np.array([tmpl_contract[t] for t in catalog["template"]])[ci]
    week = np.array([f"{d.isocalendar()[0]}-{d.isocalendar()[1]:02d}" for d in days])[day_idx]
    for contract in ("full_time", "part_time"):
        sel = np.flatnonzero(contracts_of == contract)
        if not len(sel):
            continue
        c = cap.get((queue, contract), {"agents": 0, "days_week": 0.0, "hours_week": 0.0})
        by_wd, on_leave = c.get("by_weekday"), c.get("on_leave", {})
        for d in np.unique(day_idx[sel]):
            cols = sel[day_idx[sel] == d]
            day = pd.Timestamp(days[d]).normalize()
            n = c["agents"] if by_wd is None else by_wd[day.day_of_week] - on_leave.get(day, 0)
            out.append((cols, np.ones(len(cols)), float(max(0, n))))
        for w in np.unique(week[sel]):
            cols = sel[week[sel] == w]
            frac = len(np.unique(day_idx[cols])) / 7.0
            out.append((cols, np.ones(len(cols)), math.floor(c["days_week"] * frac + 1e-9)))
            out.append((cols, cat_paid[ci[cols]], c["hours_week"] * frac))
    return out


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _one_block(off: list[int], wrap: bool) -> bool:
    """True when the weekdays ``off`` (0 = Monday) form one run; with ``wrap`` Sunday runs into Monday."""
    if len(off) <= 1 or len(off) == 7:
        return True
    if not wrap:
        return off == list(range(off[0], off[0] + len(off)))
    return sum(1 for i in off if (i - 1) % 7 not in off) == 1


def tour_patterns(days_on: int, consecutive: str = "required", wrap: bool = False) -> list[tuple[int, bool]]:
    """Days-off patterns of a weekly tour: ``(mask, split)`` with bit i of ``mask`` set when weekday i
    (0 = Monday) is worked, exactly ``days_on`` bits set; ``split`` is True when the days off are not one
    block. ``consecutive``: 'required' (split patterns left out), 'preferred' or 'no' (all patterns)."""
    out = []
    for mask in range(128):
        if bin(mask).count("1") != days_on:
            continue
        split = not _one_block([i for i in range(7) if not mask >> i & 1], wrap)
        if split and consecutive == "required":
            continue
        out.append((mask, split))
    return out


def _tour_model(catalog, days, tc) -> dict:
    """The tours of one queue (module docstring, "Weekly tours"): ``meta``, one row per tour (ISO ``week``,
    ``first_day`` of that week in the horizon, ``template``, ``start_min``, days-worked ``mask``, ``split``
    days off, ``cost``: the split-days-off penalty); ``key_cols``: catalog rows of each (template, start)
    worked as tours, in break order; ``weekday`` per horizon day; ``week_days``: horizon days per week."""
    names = set(tc.templates) if tc.templates else set(catalog["template"])
    cat_t = catalog["template"].to_numpy()
    cat_s = catalog["start_min"].to_numpy(np.int64)
    key_cols: dict[tuple[str, int], np.ndarray] = {}
    for c in range(len(catalog)):
        if cat_t[c] in names:
            key_cols.setdefault((cat_t[c], int(cat_s[c])), []).append(c)
    keys = sorted(key_cols)
    key_cols = {k: np.asarray(key_cols[k], dtype=np.int64) for k in keys}
    patterns = tour_patterns(tc.days_on, tc.consecutive_days_off, tc.wrap_days_off)
    penalised = tc.consecutive_days_off == "preferred"
    iso = [d.isocalendar() for d in days]
    week_of_day = [f"{y}-W{w:02d}" for y, w, _ in iso]
    weekday = np.array([d.day_of_week for d in days])
    meta, week_days = [], {}
    for wk in dict.fromkeys(week_of_day):
        wd = [d for d in range(len(days)) if week_of_day[d] == wk]
        week_days[wk] = wd
        in_mask = sum(1 << int(weekday[d]) for d in wd)
        # Patterns restricted to the week's days inside the horizon (a partial week at either end).
        restricted: dict[int, bool] = {}
        for mask, split in patterns:
            r = mask & in_mask
            if r:
                restricted[r] = restricted.get(r, True) and split
        for key in keys:
            for r in sorted(restricted):
                split = restricted[r]
                meta.append((wk, wd[0], key[0], key[1], r, split, float(tc.split_days_off_penalty) if split and penalised else 0.0))
    meta = pd.DataFrame(meta, columns=["week", "first_day", "template", "start_min", "mask", "split", "cost"])
    return {"meta": meta, "key_cols": key_cols, "weekday": weekday, "week_days": week_days}


def _limit_constraints(catalog, ci, day_idx, days, abs_start, im, limits) -> list:
    """Part-time share per ISO week and the starts cap per interval, as side constraints over shift columns."""
    lo, hi, max_starts = limits
    out = []
    paid = catalog["paid_hours"].to_numpy(float)[ci]
    is_pt = (catalog["contract"].to_numpy() == "part_time")[ci].astype(float)
    week = np.array([f"{d.isocalendar()[0]}-{d.isocalendar()[1]:02d}" for d in days])[day_idx]
    for w in np.unique(week):
        cols = np.flatnonzero(week == w)
        if lo:  # lo x all paid hours <= part-time paid hours
            out.append((cols, paid[cols] * (lo - is_pt[cols]), 0.0, "<=", "part_time_share"))
        if hi is not None and hi < 1:  # part-time paid hours <= hi x all paid hours
            out.append((cols, paid[cols] * (is_pt[cols] - hi), 0.0, "<=", "part_time_share"))
    if max_starts is not None:
        k = abs_start // im
        order = np.argsort(k, kind="stable")
        ks, first = np.unique(k[order], return_index=True)
        for cols in np.split(order, first[1:]):
            out.append((cols, np.ones(len(cols)), float(max_starts), "<=", "max_starts"))
    return out


def _split_tours(x_z, x_y, tm, per_day) -> list[tuple[int, int, int]]:
    """Share each day's shifts of a (template, start) among the tours working that day: ``(shift column,
    tour, agents)``. The day's shifts number exactly the agents of the tours working it (the break placement
    keeps that sum); break variants are handed out in break order, tours in pattern order, so the split is
    deterministic."""
    meta, weekday = tm["meta"], tm["weekday"]
    out = []
    for (wk, t, s0), g in meta.groupby(["week", "template", "start_min"], sort=False):
        tours = [(int(i), int(x_y[i]), int(m)) for i, m in zip(g.index, g["mask"]) if x_y[i] > 0]
        if not tours:
            continue
        for d in tm["week_days"][wk]:
            zc = [int(d * per_day + c) for c in tm["key_cols"][(t, int(s0))]]
            left = {c: int(x_z[c]) for c in zc if x_z[c] > 0}
            for i, n, m in tours:
                if not (m >> int(weekday[d]) & 1):
                    continue
                for c in zc:
                    if n == 0:
                        break
                    take = min(n, left.get(c, 0))
                    if take:
                        out.append((c, i, take))
                        left[c] -= take
                        n -= take
                if n:
                    raise SolverError(f"tour {wk} {t} at {s0 // 60:02d}:{s0 % 60:02d} has {n} agents without a shift on day {d + 1}")
            if any(v for v in left.values()):
                raise SolverError(f"shifts of {t} at {s0 // 60:02d}:{s0 % 60:02d} on day {d + 1} are in no tour")
    return out


def _tour_label(mask: int, weekdays_in: list[int]) -> str:
    off = [WEEKDAYS[w] for w in weekdays_in if not mask >> w & 1]
    return "off-" + ("-".join(off) if off else "none")


def _tour_capacity(cap, queue, contract_of, week_of, offset: int) -> list:
    """Per ISO week and contract: tours (agents) <= the agents holding that contract (one tour each).
    ``contract_of`` / ``week_of``: per tour column; the columns are numbered from ``offset``."""
    out = []
    for contract in ("full_time", "part_time"):
        for wk in dict.fromkeys(week_of):
            cols = np.flatnonzero((contract_of == contract) & (week_of == wk))
            if len(cols):
                n = cap.get((queue, contract), {"agents": 0})["agents"]
                out.append((cols + offset, np.ones(len(cols)), float(n), "<=", "capacity"))
    return out


def _restricted_tours(tm, per_day: int, n_z: int):
    """Columns of the restricted tour model, one per tour and break offset (a tour keeps its break offset
    all week): ``M`` (shift columns x restricted columns, 1 where the column works that shift) and
    ``link_of`` (the tour of each restricted column)."""
    meta, weekday = tm["meta"], tm["weekday"]
    rows, cols, link_of = [], [], []
    for j, (wk, t, s0, mask) in enumerate(zip(meta["week"], meta["template"], meta["start_min"], meta["mask"])):
        work = [d for d in tm["week_days"][wk] if mask >> int(weekday[d]) & 1]
        for c in tm["key_cols"][(t, int(s0))]:
            b = len(link_of)
            link_of.append(j)
            rows += [d * per_day + int(c) for d in work]
            cols += [b] * len(work)
    M = csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_z, len(link_of)))
    return M, np.asarray(link_of, dtype=np.int64)


def _transform_side(side, n_z: int, keep: np.ndarray, M) -> list:
    """Side constraints over shift columns rewritten for the columns ``[shift columns keep] + [M's columns]``."""
    if not side:
        return []
    r, c, v = [], [], []
    for i, sc_ in enumerate(side):
        c.append(np.asarray(sc_[0], dtype=np.int64))
        v.append(np.asarray(sc_[1], dtype=float))
        r.append(np.full(len(sc_[0]), i, dtype=np.int64))
    S = csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(len(side), n_z))
    S1 = hstack([S[:, keep], S @ M], format="csr")
    S1.sort_indices()
    return [(S1.indices[S1.indptr[i]:S1.indptr[i + 1]].astype(np.int64), S1.data[S1.indptr[i]:S1.indptr[i + 1]],
             sc_[2]) + tuple(sc_[3:]) for i, sc_ in enumerate(side)]


def _objective(x, A, costs, demand, pen, over_penalty: float) -> float:
    """Cost of a schedule in the model's terms: column costs plus penalties on uncovered and excess agent-intervals."""
    cov = A @ x
    under = np.clip(demand - cov, 0, None)
    obj = float(costs @ x) + float((np.where(np.isfinite(pen), pen, 0.0) * under).sum())
    if over_penalty > 0:
        obj += float(over_penalty) * float(np.clip(cov - demand, 0, None).sum())
    return obj


def _solve_tours(queue, tm, A, demand, hol, costs, day_idx, vmin, qday, qmin, n_days, per_day, side, cap, catalog,
                 days, sc, tc, window_days, tell):
    """Weekly tours for one queue (module docstring, "Weekly tours"). Returns (solution facts, agents per shift
    column, agents per tour)."""
    A = A.tocsc()
    n_z = A.shape[1]
    meta = tm["meta"]
    n_y = len(meta)
    tour_cat = np.zeros(per_day, dtype=bool)
    for kc in tm["key_cols"].values():
        tour_cat[kc] = True
    keep = np.flatnonzero(~tour_cat[np.arange(n_z) % per_day])  # shifts of templates not worked as tours
    contract = {t.name: t.contract for t in catalog.attrs["templates"]}
    tour_con = meta["template"].map(contract).to_numpy()
    tour_week = meta["week"].to_numpy()
    pen_tour = meta["cost"].to_numpy(float)

    # 1. Restricted model: one column per tour and break offset, a plain covering model; ISO-week windows.
    M, link_of = _restricted_tours(tm, per_day, n_z)
    A1 = hstack([A[:, keep], A @ M], format="csc")
    c1 = np.concatenate([costs[keep], M.T @ costs + pen_tour[link_of]])
    side1 = _transform_side(side, n_z, keep, M)
    if cap is not None:  # an agent holds one tour a week
        side1 += _tour_capacity(cap, queue, tour_con[link_of], tour_week[link_of], len(keep))
    col_day = np.concatenate([day_idx[keep], meta["first_day"].to_numpy(np.int64)[link_of]])
    col_vmin = np.concatenate([vmin[keep], np.full(len(link_of), 10**9)])
    tell(f"{queue}: {n_y:,} tours x break offsets = {len(link_of):,} tour columns ({tc.days_on} days on, "
         f"days off {tc.consecutive_days_off})")
    # No look-ahead into the next window: its mornings are covered by its own tours (spill 0).
    sol = _solve_queue(queue, A1, demand, hol, c1, col_day, col_vmin, qday, qmin, n_days, 0, sc, window_days, tell,
                       side=side1, first_weekday=int(days[0].day_of_week))
    x1 = sol["x"]
    nk = len(keep)
    z = np.zeros(n_z, dtype=np.int64)
    z[keep] = x1[:nk]
    z += np.rint(M @ x1[nk:]).astype(np.int64)
    y = np.rint(np.bincount(link_of, weights=x1[nk:], minlength=n_y)).astype(np.int64)
    pen = sol["pen"]
    A_L = hstack([A, csc_matrix((A.shape[0], n_y))], format="csc")
    c_L = np.concatenate([costs, pen_tour])
    obj1 = _objective(np.concatenate([z, y]), A_L, c_L, demand, pen, sc.over_penalty)

    # 2. Breaks re-placed day by day with the tours fixed: per (day, template, start) the break offsets of its
    # N agents are free, sum = N. The restricted solution is feasible here, so this can only help.
    groups, cols2 = [], []
    for wk, g in meta.groupby("week", sort=False):
        for key, gk in g.groupby(["template", "start_min"], sort=False):
            for d in tm["week_days"][wk]:
                n = int(sum(y[j] for j, m in zip(gk.index, gk["mask"]) if m >> int(tm["weekday"][d]) & 1))
                if n:
                    cc = d * per_day + tm["key_cols"][(key[0], int(key[1]))]
                    groups.append((np.arange(len(cols2), len(cols2) + len(cc)), n))
                    cols2.extend(cc.tolist())
    stage2 = "not needed"
    t2 = 0.0
    if groups:
        cols2 = np.asarray(cols2, dtype=np.int64)
        fixed_cov = A[:, keep] @ z[keep]
        side2 = [(g_cols, np.ones(len(g_cols)), float(n), "==") for g_cols, n in groups]
        tell(f"{queue}: placing breaks day by day ({len(cols2):,} break variants)")
        res2 = _covering(demand - fixed_cov, A[:, cols2], costs[cols2], solver=sc.solver, time_limit_s=sc.time_limit_s,
                         mip_gap=sc.mip_gap, under_penalty=pen, over_penalty=sc.over_penalty, side=side2)
        t2 = res2.runtime_s + res2.build_s
        stage2 = res2.status
        if res2.has_solution:
            z2 = z.copy()
            z2[tour_cat[np.arange(n_z) % per_day]] = 0
            z2[cols2] = res2.x
            obj2 = _objective(np.concatenate([z2, y]), A_L, c_L, demand, pen, sc.over_penalty)
            if obj2 < obj1 - 1e-9:
                z, obj1 = z2, obj2
            else:
                stage2 += " (no better than keeping each tour's break offset)"

    # 3. Bound: that of the restricted model (the solver's, or the LP relaxation of the whole horizon for a
    # rolling solve). Re-placing breaks only lowers the cost, so the gap is conservative for that model.
    bound = sol["best_bound"]
    bound = None if bound is None else min(bound, obj1)
    gap = _gap(obj1, bound)
    if sol["holiday_mode"].startswith("penalised"):
        # Would the holidays be coverable with isolated daily shifts (no tours) under the same limits?
        pen0 = np.full(len(demand), float(sc.under_penalty))
        pen0[hol] = np.inf
        daily = _covering(demand, A, costs, solver=sc.solver, time_limit_s=sc.time_limit_s, under_penalty=pen0,
                          relax=True, side=side)
        if daily.has_solution:
            sol["conflicts"] = sorted(set(sol["conflicts"]) | {"tours"})
    sol.update(
        objective=obj1, best_bound=bound, gap=gap, bound_source=f"{sol['bound_source']} (tours keeping their break offset)",
        proven_optimal=gap is not None and gap <= _OPT_TOL, within_gap=gap is not None and gap <= sc.mip_gap + 1e-12,
        status=f"tours: {sol['status']}; breaks per day: {stage2}", runtime_s=sol["runtime_s"] + t2,
    )
    return sol, z, y


def _schedule_queue(queue: str, qr: pd.DataFrame, ctx: dict, tell=None):
    """Schedule one queue: its requirement rows ``qr`` (sorted by interval) and the shared context built by
    :func:`schedule`. Returns ``(shifts, queue summary, messages, holiday shortfall rows)``. A pure function
    of its arguments, so queues can run in any process (:mod:`wfm.parallel`) with the same result."""
    tell = tell if callable(tell) else (lambda _msg: None)
    im, sc, tc, cfg, catalog, cap = (ctx[k] for k in ("im", "sc", "tc", "cfg", "catalog", "cap"))
    day_mult, per_day, window_days = ctx["day_mult"], ctx["per_day"], ctx["window_days"]
    cat_start, cat_len, cat_boff, cat_bmin = (ctx[k] for k in ("cat_start", "cat_len", "cat_boff", "cat_bmin"))
    cat_paid, cat_d0, cat_d1, cat_night = (ctx[k] for k in ("cat_paid", "cat_d0", "cat_d1", "cat_night"))
    messages, shortfall_rows = [], []
    days = pd.date_range(qr["day"].min(), qr["day"].max(), freq="D")
    t0 = days[0]
    n_days = len(days)
    tell(f"{queue}: building {n_days * per_day:,} shift variants over {n_days} days")

    # Variants: day-major, catalog order within a day (sorted, so the model is the same every run).
    day_idx = np.repeat(np.arange(n_days), per_day)
    ci = np.tile(np.arange(per_day), n_days)
    abs_start = day_idx * 1440 + cat_start[ci]  # minutes after t0
    # Pay rules: each paid hour at the multiplier of the calendar date it falls on, plus the night premium.
    m_day = day_mult.reindex(days.append(pd.DatetimeIndex([days[-1] + pd.Timedelta(days=1)]))).to_numpy(float)
    costs = cat_d0[ci] * m_day[day_idx] + cat_d1[ci] * m_day[day_idx + 1] + cat_night[ci] * float(cfg.pay.night_premium)
    n_z = len(ci)

    # Requirement rows on the interval index k = minutes after t0 / interval.
    k_req = ((qr["interval_start"] - t0) // pd.Timedelta(minutes=im)).to_numpy(np.int64)
    horizon_k = n_days * 1440 // im
    row_of_k = np.full(horizon_k + 1, -1, dtype=np.int64)
    row_of_k[k_req] = np.arange(len(qr))

    # Coverage pairs (row, column): interval k of variant v is on the phone when inside the shift and
    # outside its break.
    cols, ks = [], []
    for length in np.unique(cat_len[ci]):
        sel = np.flatnonzero(cat_len[ci] == length)
        n_k = int(length) // im
        kk = (abs_start[sel] // im)[:, None] + np.arange(n_k)[None, :]
        off = np.arange(n_k)[None, :] * im
        b0 = cat_boff[ci[sel]][:, None]
        on = (b0 < 0) | (off < b0) | (off >= b0 + cat_bmin[ci[sel]][:, None])
        cols.append(np.broadcast_to(sel[:, None], kk.shape)[on])
        ks.append(kk[on])
    cols_a, ks_a = np.concatenate(cols), np.concatenate(ks)
    inside = ks_a < horizon_k
    rows_a = np.full(len(ks_a), -1, dtype=np.int64)
    rows_a[inside] = row_of_k[ks_a[inside]]
    keep = rows_a >= 0
    A = csc_matrix((np.ones(int(keep.sum())), (rows_a[keep], cols_a[keep])), shape=(len(qr), len(ci)))

    demand = qr["scheduled_required"].to_numpy(np.int64)
    hol = qr["is_holiday"].to_numpy(bool)
    qday = ((qr["day"] - t0) // pd.Timedelta(days=1)).to_numpy(np.int64)
    qmin = ((qr["interval_start"] - qr["day"]) // pd.Timedelta(minutes=1)).to_numpy(np.int64)
    spill = int(max(0, (cat_start + cat_len).max() - 1440))  # minutes a shift can run into the next day
    limits = sc.limits(queue)
    if cap is not None and limits[0] and cap.get((queue, "part_time"), {}).get("agents", 0) == 0:
        raise ConfigError(f"schedule.min_part_time_share is {limits[0]:.0%} for queue '{queue}' but the agent list has "
                          f"no part-time agent skilled for '{queue}': no schedule can meet it. Lower the share or "
                          "add part-time agents.")
    side = [c + ("<=", "capacity") for c in _capacity_constraints(cap, queue, catalog, ci, day_idx, days, cat_paid)] \
        if cap is not None else []
    side += _limit_constraints(catalog, ci, day_idx, days, abs_start, im, limits)
    tm = None
    if not tc.enabled:
        sol = _solve_queue(queue, A, demand, hol, costs, day_idx, cat_start[ci], qday, qmin, n_days, spill, sc,
                           window_days, tell, side=side)
        res_x, holiday_mode = sol["x"], sol["holiday_mode"]
    else:
        tm = _tour_model(catalog, days, tc)
        sol, res_x, y_link = _solve_tours(queue, tm, A, demand, hol, costs, day_idx, cat_start[ci], qday, qmin,
                                          n_days, per_day, side, cap, catalog, days, sc, tc, window_days, tell)
        holiday_mode = sol["holiday_mode"]
        costs = np.concatenate([costs, tm["meta"]["cost"].to_numpy(float)])

    # Shift rows from the solution: one per shift variant used (and per tour, with tours).
    if tm is not None:
        pieces = _split_tours(res_x, y_link, tm, per_day)
        in_tour = np.zeros(n_z, dtype=bool)
        in_tour[[p[0] for p in pieces]] = True
        free = np.flatnonzero((res_x > 0) & ~in_tour)
        meta = tm["meta"]
        labels = {}
        for i in sorted({p[1] for p in pieces}):
            r = meta.loc[i]
            wd = [int(tm["weekday"][d]) for d in tm["week_days"][r["week"]]]
            labels[i] = (f"{queue}-{r['week'].replace('-', '')}-{r['template']}-{r['start_min'] // 60:02d}"
                         f"{r['start_min'] % 60:02d}-{_tour_label(int(r['mask']), wd)}")
        used = np.concatenate([free, np.array([p[0] for p in pieces], dtype=np.int64)])
        counts = np.concatenate([res_x[free], np.array([p[2] for p in pieces], dtype=np.int64)])
        tour_ids = [""] * len(free) + [labels[p[1]] for p in pieces]
    else:
        used = np.flatnonzero(res_x > 0)
        counts = res_x[used]
        tour_ids = [""] * len(used)
    c_used = ci[used]
    start = t0 + pd.to_timedelta(abs_start[used], unit="min")
    end = start + pd.to_timedelta(cat_len[c_used], unit="min")
    has_b = cat_boff[c_used] >= 0
    bstart = pd.Series(start + pd.to_timedelta(np.where(has_b, cat_boff[c_used], 0), unit="min")).where(has_b)
    bend = bstart + pd.to_timedelta(cat_bmin[c_used], unit="min")
    tmpl = catalog["template"].to_numpy()[c_used]
    sh = pd.DataFrame({
        "queue": queue,
        "date": pd.Series(start).dt.normalize().astype("datetime64[ns]"),
        "template": tmpl.astype(object),
        "start": pd.Series(start).astype("datetime64[ns]"),
        "end": pd.Series(end).astype("datetime64[ns]"),
        "break_start": bstart.astype("datetime64[ns]"),
        "break_end": bend.astype("datetime64[ns]"),
        "paid_hours": cat_paid[c_used].astype(float),
        "count": np.asarray(counts, dtype=np.int64),
        "tour_id": pd.Series(tour_ids, dtype=object),
    })
    sh.insert(0, "shift_id", [
        f"{queue}-{s:%Y-%m-%d-%H%M}-{t}" + (f"-b{b:%H%M}" if pd.notna(b) else "") + (f"-off-{tid.rsplit('-off-', 1)[1]}" if tid else "")
        for s, t, b, tid in zip(sh["start"], sh["template"], sh["break_start"], sh["tour_id"])
    ])

    # Holiday intervals left short (only possible after the fallback to penalised holiday coverage).
    sched_q = coverage_from_shifts(sh, qr, im)
    short = demand - sched_q
    hol_short = np.flatnonzero(hol & (short > 0))
    if len(hol_short) and sc.holiday_hard_coverage:
        coverable = np.diff(A.tocsr().indptr) > 0  # some allowed variant covers the interval at all
        g_all = qr.iloc[hol_short].assign(short=short[hol_short], coverable=coverable[hol_short])
        limits_text = _describe_conflicts(sol["conflicts"], limits, tc)
        for (day, cv), g in g_all.groupby(["day", "coverable"]):
            why = ("no shift window in schedule.templates covers them at all; allow earlier or later starts"
                   if not cv else
                   f"hard coverage conflicts with {limits_text}: without it they could be covered" if limits_text else
                   "the shifts that could cover them start in the previous scheduling window (rolling solve)"
                   if sol["windows"] > 1 else "the limits on shifts together leave too few agents")
            messages.append(
                f"Queue '{queue}', holiday {day:%Y-%m-%d}: {len(g)} intervals between "
                f"{g['interval_start'].min():%H:%M} and {g['interval_start'].max() + pd.Timedelta(minutes=im):%H:%M} "
                f"could not be fully covered ({why}); short {int(g['short'].sum())} agent-intervals in all."
            )
        for i in hol_short:
            shortfall_rows.append({"queue": queue, "interval_start": _fmt_ts(qr["interval_start"].iloc[i]),
                                   "required": int(demand[i]), "scheduled": int(sched_q[i]), "short": int(short[i])})
    under_ai = int(np.clip(short, 0, None).sum())
    starts_per_k = pd.Series(sh["count"].to_numpy()).groupby(
        ((sh["start"] - t0) // pd.Timedelta(minutes=im)).to_numpy()).sum() if len(sh) else pd.Series(dtype=np.int64)
    max_starts_used = int(starts_per_k.max()) if len(starts_per_k) else 0
    if under_ai:
        why = ""
        if limits[2] is not None and max_starts_used >= limits[2]:
            why = (f"; schedule.max_starts_per_interval ({limits[2]}) is reached at "
                   f"{int((starts_per_k >= limits[2]).sum())} start times and may be why")
        messages.append(f"Queue '{queue}': {under_ai} agent-intervals of the requirement are not covered "
                        f"({int((short > 0).sum())} intervals short){why}.")
    for n in sol["notes"]:
        messages.append(f"Queue '{queue}': {n}.")
    # A solve that stops on its gap gives the same shifts on any machine; one stopped by the clock may not.
    timed_out = _time_limited(sol["status"])
    if timed_out:
        gap = f" (gap {sol['gap']:.2%} against the bound)" if sol["gap"] is not None else ""
        messages.append(f"Queue '{queue}': the schedule solver stopped at its time limit before reaching "
                        f"schedule.mip_gap{gap}, so this schedule depends on the machine's speed; raise "
                        "schedule.time_limit_s for one that is the same everywhere.")

    req_h = float(demand.sum()) * im / 60.0
    on_h = float(sched_q.sum()) * im / 60.0
    qsum = {
        "queue": queue,
        "solver": sol["solver"],
        "status": sol["status"],
        "proven_optimal": bool(sol["proven_optimal"]),
        "within_gap": bool(sol["within_gap"]),
        "time_limit_reached": bool(timed_out),
        "objective": _r(sol["objective"]),
        "best_bound": _r(sol["best_bound"]),
        "bound_source": sol["bound_source"],
        "gap": _r(sol["gap"], 6),
        "windows": int(sol["windows"]),
        "runtime_s": round(sol["runtime_s"], 3),
        "build_s": round(sol["build_s"], 3),
        "variables": int(sol["variables"]),
        "constraints": int(sol["constraints"]),
        "shift_variants": int(len(ci)),
        "shifts": int(sh["count"].sum()),
        "paid_hours": round(float((sh["paid_hours"] * sh["count"]).sum()), 4),
        "shift_cost_base_h": round(float(costs[:n_z] @ res_x), 4),
        "required_agent_hours": round(req_h, 4),
        "scheduled_agent_hours": round(on_h, 4),
        "efficiency": round(on_h / req_h, 6) if req_h > 0 else None,
        "under_covered_agent_intervals": under_ai,
        "holiday_coverage": holiday_mode,
        "holiday_short_agent_intervals": int(short[hol_short].sum()) if len(hol_short) else 0,
        "holiday_conflicts": sol["conflicts"],
        "part_time_share": _pt_share(sh, catalog),
        "min_part_time_share": limits[0],
        "max_part_time_share": limits[1],
        "max_starts_per_interval": limits[2],
        "max_starts_used": max_starts_used,
    }
    if tm is not None:
        y = y_link
        meta = tm["meta"]
        qsum["tours"] = {
            "agents": int(y.sum()),
            "tour_ids": int(sh.loc[sh["tour_id"] != "", "tour_id"].nunique()),
            "split_days_off_agents": int(y[meta["split"].to_numpy(bool)].sum()),
            "tour_columns": int(len(meta)),
        }
    tell(f"{queue}: {qsum['shifts']} shifts, {sol['solver']} {sol['status']}"
         + (f", gap {sol['gap']:.2%}" if sol["gap"] is not None else ""))
    return sh, qsum, messages, shortfall_rows


def schedule(requirements: pd.DataFrame, cfg, progress=None, window_days="auto", agents: pd.DataFrame | None = None,
             backend=None) -> ScheduleResult:
    """Least-cost shifts covering ``requirements`` (see the module docstring for the model).

    ``requirements``: ``queue, interval_start`` (on the ``cfg.interval_minutes`` grid), ``scheduled_required``
    [agents], optionally ``is_holiday``; other columns are ignored. ``progress(message)`` is called as each
    queue and window starts. ``window_days``: 'auto' (one model up to 7 days, rolling 7-day windows beyond),
    None (one model for the whole horizon) or a number of days per window. ``agents``: the agent list; when
    given, shifts of a template with a ``contract`` are limited to the head count, working days and hours of
    the agents holding that contract (see :func:`contract_capacity`), so the roster can staff them.
    ``backend``: a :mod:`wfm.parallel` backend; with two or more workers and queues, the queues are solved in
    parallel (each queue's model is independent; shared head counts are split before, by
    :func:`contract_capacity`). Raises InputError for a malformed requirement, ConfigError for a template off the grid, SolverError when
    the solver returns no schedule at all.
    """
    im = cfg.interval_minutes
    sc = cfg.require("schedule")
    req = _check_requirements(requirements, im)
    catalog = shift_catalog(cfg)
    catalog.attrs["templates"] = list(cfg.schedule.templates)
    tell = progress if callable(progress) else (lambda _msg: None)
    cap = contract_capacity(agents, req, cfg) if agents is not None else None

    req["day"] = req["interval_start"].dt.normalize()
    # one day past the horizon too: the hours of a night shift after midnight are paid at that day's rate
    all_days = pd.date_range(req["day"].min(), req["day"].max() + pd.Timedelta(days=1), freq="D")
    cal = day_calendar(all_days, cfg.site.country, cfg.site.subdivision).set_index("date")
    if "is_holiday" not in req.columns:
        req["is_holiday"] = req["day"].map(cal["is_holiday"]).astype(bool).to_numpy()
    mult_by_type = {
        "holiday": cfg.pay.holiday_multiplier,
        "rest_day": cfg.pay.rest_day_multiplier if cfg.pay.rest_days == "calendar" else 1.0,
        "workday": 1.0,
    }
    day_mult = cal["day_type"].map(mult_by_type).astype(float)

    cat_start = catalog["start_min"].to_numpy(np.int64)
    cat_len = catalog["length_min"].to_numpy(np.int64)
    cat_boff = catalog["break_offset_min"].to_numpy(np.int64)
    cat_bmin = catalog["break_min"].to_numpy(np.int64)
    cat_paid = catalog["paid_hours"].to_numpy(float)
    cat_d0, cat_d1 = catalog["paid_h_day0"].to_numpy(float), catalog["paid_h_day1"].to_numpy(float)
    cat_night = catalog["night_paid_h"].to_numpy(float)
    per_day = len(catalog)
    tc = sc.tours

    ctx = {"im": im, "sc": sc, "tc": tc, "cfg": cfg, "catalog": catalog, "cap": cap, "day_mult": day_mult,
           "cat_start": cat_start, "cat_len": cat_len, "cat_boff": cat_boff, "cat_bmin": cat_bmin,
           "cat_paid": cat_paid, "cat_d0": cat_d0, "cat_d1": cat_d1, "cat_night": cat_night, "per_day": per_day,
           "window_days": window_days}
    queues = sorted(req["queue"].unique())
    parts = [req.loc[req["queue"] == q].sort_values("interval_start").reset_index(drop=True) for q in queues]
    if backend is None or len(queues) < 2:
        results = [_schedule_queue(q, qr, ctx, tell) for q, qr in zip(queues, parts)]
    else:
        tell(f"scheduling {len(queues)} queues on {backend.describe()}")
        results = backend.map(_schedule_queue, list(zip(queues, parts)), kwargs={"ctx": ctx},
                              labels=[f"schedule {q}" for q in queues], progress=tell)
    shift_frames = [r[0] for r in results]
    queue_sums = [r[1] for r in results]
    messages = [m for r in results for m in r[2]]
    shortfall_rows = [row for r in results for row in r[3]]

    shifts = pd.concat(shift_frames, ignore_index=True) if shift_frames else pd.DataFrame(columns=SHIFT_COLUMNS)
    shifts = shifts.sort_values(["queue", "start", "template", "break_start", "tour_id"], na_position="first", kind="mergesort")
    shifts = shifts[SHIFT_COLUMNS].reset_index(drop=True)

    cov = req.sort_values(["queue", "interval_start"], kind="mergesort").reset_index(drop=True)
    scheduled = coverage_from_shifts(shifts, cov, im)
    coverage = pd.DataFrame({
        "queue": cov["queue"].to_numpy(object),
        "interval_start": cov["interval_start"].to_numpy(),
        "required": cov["scheduled_required"].to_numpy(np.int64),
        "scheduled": scheduled.astype(np.int64),
    })
    coverage["gap"] = coverage["scheduled"] - coverage["required"]

    summary = _overall(queue_sums, coverage, shifts, im)
    summary.update({
        "holiday_hard_coverage": bool(sc.holiday_hard_coverage),
        "cost_unit": "base paid hours (paid hours x day pay multiplier)",
        "queues": queue_sums,
        "holiday_shortfall": shortfall_rows[:MAX_LISTED],
        "holiday_shortfall_intervals": len(shortfall_rows),
        "messages": messages,
    })
    return ScheduleResult(shifts=shifts, coverage=coverage, summary=summary)


def _describe_conflicts(groups, limits, tc) -> str:
    """Plain words for the constraint groups found by :func:`_conflicts`."""
    lo, hi, max_starts = limits
    words = {
        "capacity": "the agents available by contract in the agent list (head count, working days, hours)",
        "part_time_share": "the part-time share of paid hours (schedule.min_part_time_share "
                           f"{'-' if lo is None else f'{lo:g}'}, max_part_time_share {'-' if hi is None else f'{hi:g}'})",
        "max_starts": f"schedule.max_starts_per_interval = {max_starts}",
        "tours": f"the weekly tours (schedule.tours: {tc.days_on} days on, consecutive days off {tc.consecutive_days_off})",
    }
    parts = [words.get(g, g) for g in groups]
    return " and with ".join(parts)


def _pt_share(sh: pd.DataFrame, catalog) -> float | None:
    """Share of paid hours on part_time templates in ``sh`` (None without shifts)."""
    paid = sh["paid_hours"] * sh["count"]
    if not len(sh) or paid.sum() <= 0:
        return None
    con = {t.name: t.contract for t in catalog.attrs["templates"]}
    return round(float(paid[sh["template"].map(con) == "part_time"].sum() / paid.sum()), 6)


def _r(v, nd: int = 4):
    return None if v is None else round(float(v), nd)


def _overall(qs: list[dict], coverage: pd.DataFrame, shifts: pd.DataFrame, im: int) -> dict:
    solvers = sorted({q["solver"] for q in qs})
    statuses = sorted({q["status"] for q in qs})
    obj = sum(q["objective"] for q in qs) if all(q["objective"] is not None for q in qs) else None
    bound = sum(q["best_bound"] for q in qs) if all(q["best_bound"] is not None for q in qs) else None
    gap = None
    if obj is not None and bound is not None:
        gap = _gap(obj, bound)
    req_h = float(coverage["required"].sum()) * im / 60.0
    on_h = float(coverage["scheduled"].sum()) * im / 60.0
    return {
        "solver": "/".join(solvers),
        "status": statuses[0] if len(statuses) == 1 else "; ".join(f"{q['queue']}: {q['status']}" for q in qs),
        "proven_optimal": all(q["proven_optimal"] for q in qs),
        "within_gap": all(q["within_gap"] for q in qs),
        "time_limit_decided": sorted(str(q["queue"]) for q in qs if q.get("time_limit_reached")),
        "objective": _r(obj),
        "best_bound": _r(bound),
        "gap": _r(gap, 6),
        "runtime_s": round(sum(q["runtime_s"] for q in qs), 3),
        "variables": sum(q["variables"] for q in qs),
        "constraints": sum(q["constraints"] for q in qs),
        "shifts": int(shifts["count"].sum()) if len(shifts) else 0,
        "paid_hours": round(float((shifts["paid_hours"] * shifts["count"]).sum()), 4) if len(shifts) else 0.0,
        "required_agent_hours": round(req_h, 4),
        "scheduled_agent_hours": round(on_h, 4),
        "efficiency": round(on_h / req_h, 6) if req_h > 0 else None,
        "under_covered_agent_intervals": int((-coverage["gap"]).clip(lower=0).sum()),
    }

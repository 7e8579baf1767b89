"""The project's one MIP helper: solve a model with HiGHS (CBC as the fallback) and say what the solver did.

* :func:`solve` solves a PuLP problem in place (its variables' ``varValue`` hold the solution afterwards).
* :func:`solve_arrays` solves a model given as arrays (objective, CSC matrix, row and column bounds,
  integrality) straight in highspy: no PuLP objects, so a model of 10,000 columns builds in milliseconds.

Both return a :class:`SolveReport`: status, objective, best bound, gap, run time and whether a time limit
stopped the solve. Same model and options give the same answer: HiGHS runs with a fixed ``random_seed``,
CBC with one thread and fixed seeds.

``offset`` (a constant known to be part of any solution's cost, e.g. a lower bound on unavoidable
penalties) is subtracted from the objective inside the solver, so that the relative gap the solver stops
on, ``mip_gap``, is measured against the cost still in play. The reported objective and bound include it
again; ``gap`` is the usual relative gap of the whole objective and ``gap_above_offset`` the one the solver
stopped on.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pulp

try:  # HiGHS is optional: without it every solve runs on CBC (bundled with PuLP), and says so
    import highspy
except ImportError:  # pragma: no cover - highspy is a declared dependency
    highspy = None

__all__ = ["SolveReport", "solve", "solve_arrays", "add_variable", "relative_gap", "time_limited", "SOLVERS", "SEED"]

SOLVERS = ("highs", "cbc")
SEED = 0  # HiGHS random_seed (CBC: randomCbcSeed/randomSeed 1, as 0 means "from the clock" there)
OPT_TOL = 1e-6  # relative gap below which a solve counts as proven optimal
_HIGHS_FAILED = {"Load error", "Model error", "Presolve error", "Solve error", "Postsolve error"}


@dataclass(frozen=True)
class SolveReport:
    """What the solver did. Objective and bound include ``offset``; ``gap`` is ``(objective - bound) /
    |objective|`` (0 when they agree to 1e-9); ``optimal``: the solver stopped within the gap asked (an LP:
    solved to optimality); ``time_limited``: a time limit stopped it; ``gap_above_offset``: the relative gap
    of the cost above ``offset``, the one the solver stopped on (None without a bound); ``notes``: e.g. a
    fallback from HiGHS to CBC."""

    solver: str
    status: str
    has_solution: bool
    infeasible: bool
    optimal: bool
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float
    time_limited: bool
    notes: tuple[str, ...] = ()
    gap_above_offset: float | None = None

    @property
    def proven_optimal(self) -> bool:
        """The best bound equals the objective (within 1e-6 relative)."""
        return self.gap is not None and self.gap <= OPT_TOL


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``(objective - bound) / |objective|``, 0 when they agree to 1e-9 (relative, or absolute near 0);
    None when either is unknown."""
    if objective is None or bound is None:
        return None
    diff = max(objective - bound, 0.0)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-9)


def time_limited(status: str) -> bool:
    """Whether a solver status text (HiGHS's or CBC's, or a list of them) says a time limit stopped a solve."""
    text = str(status).lower()
    return "time limit" in text or "stopped on time" in text or "timelimit" in text


def add_variable(prob: pulp.LpProblem, name: str, low=None, up=None, cat=pulp.LpContinuous) -> pulp.LpVariable:
    """A new variable of ``prob`` (bounds None = unbounded; ``cat`` pulp.LpContinuous or pulp.LpInteger)."""
    # PuLP 3.x creates variables through the problem (PuLP 4 style); older PuLP only has LpVariable.
    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, low, up, cat=cat)
    return pulp.LpVariable(name, low, up, cat)


def _check(solver: str) -> None:
    if solver not in SOLVERS:
        raise ValueError(f"solver must be 'highs' or 'cbc', got {solver!r}")


# --------------------------------------------------------------------------------------------------
# HiGHS
# --------------------------------------------------------------------------------------------------


def _highs_options(h, time_limit_s: float, mip_gap: float, options: dict | None) -> None:
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("random_seed", SEED)
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)


def _highs_report(h, secs: float, relax: bool, offset: float, notes=()) -> SolveReport:
    """Report of a finished HiGHS run; objective and bound shifted back by ``offset``."""
    info = h.getInfo()
    ms = h.getModelStatus()
    status = h.modelStatusToString(ms)
    if status in _HIGHS_FAILED:
        raise pulp.PulpSolverError(f"HiGHS stopped with status '{status}'")
    S = highspy.HighsModelStatus
    optimal = ms == S.kOptimal
    has = int(info.primal_solution_status) == 2 and ms not in (S.kInfeasible, S.kUnboundedOrInfeasible)
    infeasible = ms in (S.kInfeasible, S.kUnboundedOrInfeasible) and not has
    obj = float(info.objective_function_value) + offset if has else None
    bound = None
    in_play = None
    if has and not relax:
        b = float(info.mip_dual_bound)
        bound = b + offset if math.isfinite(b) else None
        g = float(info.mip_gap)
        in_play = g if math.isfinite(g) else None
    if has and bound is None and optimal:
        bound = obj  # an LP, or a MIP solved without branching (e.g. by presolve): the objective is the bound
        in_play = 0.0
    if bound is not None and obj is not None:
        bound = min(bound, obj)  # a bound above the incumbent is numerical noise
    return SolveReport(
        solver="HiGHS", status=status, has_solution=has, infeasible=infeasible, optimal=bool(has and optimal),
        objective=obj, bound=bound, gap=relative_gap(obj, bound), runtime_s=secs, time_limited=ms == S.kTimeLimit,
        notes=tuple(notes), gap_above_offset=in_play,
    )


class _HiGHSRun(pulp.HiGHS):
    """PuLP's HiGHS with the objective constant and ``offset`` passed in, and the MIP start handed over:
    the values of the variables whose ``varValue`` was set before solving (HiGHS completes the rest)."""

    def __init__(self, *, offset: float, constant: float, start: list | None, **kw):
        super().__init__(**kw)
        self.wfm_offset, self.wfm_constant, self.wfm_start = offset, constant, start

    def callSolver(self, lp):  # noqa: N802 (PuLP's name)
        h = lp.solverModel
        if self.wfm_constant - self.wfm_offset:
            h.changeObjectiveOffset(float(self.wfm_constant - self.wfm_offset))
        if self.wfm_start:
            given = [(v.index, val) for v, val in self.wfm_start]
            h.setSolution(len(given), np.array([i for i, _ in given], dtype=np.int32),
                          np.array([x for _, x in given], dtype=np.float64))
        h.run()


def _solve_highs(prob, time_limit_s, mip_gap, relax, start, offset, options) -> SolveReport:
    if highspy is None:
        raise pulp.PulpSolverError("HiGHS is not available (highspy is not installed)")
    solver = _HiGHSRun(offset=offset, constant=float(prob.objective.constant or 0.0) if prob.objective is not None else 0.0,
                       start=start, mip=not relax, msg=False, timeLimit=float(time_limit_s), gapRel=float(mip_gap),
                       random_seed=SEED, **(options or {}))
    t0 = time.perf_counter()
    prob.solve(solver)
    return _highs_report(prob.solverModel, time.perf_counter() - t0, relax, offset)


# --------------------------------------------------------------------------------------------------
# CBC
# --------------------------------------------------------------------------------------------------


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


def _solve_cbc(prob, time_limit_s, mip_gap, relax, warm_start, offset, notes=()) -> SolveReport:
    """CBC (bundled with PuLP). ``offset`` is taken out of the objective constant while CBC runs, so its
    relative gap is measured against the cost in play as with HiGHS."""
    t0 = time.perf_counter()
    constant = prob.objective.constant if prob.objective is not None else 0.0
    with tempfile.TemporaryDirectory(prefix="wfm_cbc_") as tmp:
        log_path = os.path.join(tmp, "cbc.log")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # PULP_CBC_CMD is deprecated for PuLP 4
            solver = pulp.PULP_CBC_CMD(mip=not relax, msg=False, timeLimit=float(time_limit_s), gapRel=float(mip_gap),
                                       threads=1, logPath=log_path, warmStart=bool(warm_start and not relax),
                                       options=["randomCbcSeed 1", "randomSeed 1"])
            if not solver.available():
                raise pulp.PulpSolverError("CBC is not available")
            if offset and prob.objective is not None:
                prob.objective.constant = constant - offset
            try:
                prob.solve(solver)
            finally:
                if offset and prob.objective is not None:
                    prob.objective.constant = constant
        secs = time.perf_counter() - t0
        log = ""
        if os.path.exists(log_path):
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                log = fh.read()
    cbc_status = _cbc_status(log) or ""
    infeasible = prob.sol_status == pulp.LpSolutionInfeasible or "infeasible" in cbc_status.lower()
    has = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible) and not infeasible
    obj = float(pulp.value(prob.objective) or 0.0) if has else None
    optimal = has and prob.sol_status == pulp.LpSolutionOptimal
    if not has:
        bound = None
    elif relax:
        bound = obj if optimal else None
    else:
        b = _cbc_bound(log, None if obj is None else obj - offset)
        bound = None if b is None else b + offset
    if bound is not None and obj is not None:
        bound = min(bound, obj)
    in_play = relative_gap(obj - offset, bound - offset) if obj is not None and bound is not None else None
    status = cbc_status or pulp.LpStatus.get(prob.status, str(prob.status))
    # PuLP calls a time-limit stop "Optimal" too; CBC's own words tell them apart.
    limited = time_limited(status)
    return SolveReport(
        solver="CBC", status=status, has_solution=has, infeasible=bool(infeasible and not has),
        optimal=bool(optimal and not limited), objective=obj, bound=bound, gap=relative_gap(obj, bound),
        runtime_s=secs, time_limited=limited, notes=tuple(notes), gap_above_offset=in_play,
    )


# --------------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------------


def solve(prob: pulp.LpProblem, *, solver: str = "highs", time_limit_s: float = 60.0, mip_gap: float = 0.0,
          relax: bool = False, warm_start: bool = False, offset: float = 0.0,
          options: dict | None = None) -> SolveReport:
    """Solve the PuLP minimisation problem ``prob`` (its variables' ``varValue`` hold the solution
    afterwards).

    ``solver``: 'highs' or 'cbc'; when HiGHS is missing or fails, CBC solves it and ``notes`` says so.
    ``time_limit_s`` [s]; ``mip_gap``: relative gap to stop at; ``relax``: solve the LP relaxation.
    ``warm_start``: hand the solver the values of the variables whose ``varValue`` is set (a MIP start;
    HiGHS completes the others). ``offset``: a constant subtracted from the objective inside the solver so
    that ``mip_gap`` applies to the cost above it (see the module docstring). ``options``: extra HiGHS
    options by name. Raises ValueError for an unknown solver, pulp.PulpSolverError when no solver runs.
    """
    _check(solver)
    if prob.sense != pulp.LpMinimize:
        raise ValueError("mip.solve takes minimisation problems (negate the objective of a maximisation)")
    offset = float(offset)
    start = [(v, float(v.varValue)) for v in prob.variables() if v.varValue is not None] if warm_start else None
    notes: list[str] = []
    if solver == "highs":
        try:
            return _solve_highs(prob, time_limit_s, mip_gap, relax, start, offset, options)
        except Exception as err:  # noqa: BLE001 - any HiGHS failure falls back to CBC, and says so
            notes.append(f"HiGHS failed ({err}); solved with CBC instead")
            for v in prob.variables():  # HiGHS may have written values: CBC gets the start it was given
                v.varValue = None
            for v, val in start or ():
                v.varValue = val
    return _solve_cbc(prob, time_limit_s, mip_gap, relax, warm_start, offset, notes)


def solve_arrays(c, A, row_lo, row_hi, col_lo, col_hi, integer, *, solver: str = "highs", time_limit_s: float = 60.0,
                 mip_gap: float = 0.0, relax: bool = False, start=None, offset: float = 0.0,
                 options: dict | None = None) -> tuple[SolveReport, np.ndarray | None]:
    """Solve ``min c·x`` subject to ``row_lo <= A·x <= row_hi``, ``col_lo <= x <= col_hi``, ``x[j]`` integer
    where ``integer[j]``; bounds may be ``±inf``. ``A``: a scipy sparse matrix (rows x columns).

    ``start``: a MIP start, an array of column values (NaN where not given; HiGHS completes those) or None.
    ``solver``, ``time_limit_s``, ``mip_gap``, ``relax``, ``offset``, ``options`` as in :func:`solve`.
    Returns the report and the column values (None without a solution). The model goes to highspy as
    arrays (passModel); the CBC fallback builds it in PuLP.
    """
    _check(solver)
    c = np.ascontiguousarray(c, dtype=np.float64)
    A = A.tocsc()
    A.sort_indices()
    n = len(c)
    if A.shape[1] != n:
        raise ValueError(f"A has {A.shape[1]} columns; c has {n}")
    bounds = [np.ascontiguousarray(np.broadcast_to(np.asarray(b, dtype=np.float64), (size,)))
              for b, size in ((row_lo, A.shape[0]), (row_hi, A.shape[0]), (col_lo, n), (col_hi, n))]
    integer = np.broadcast_to(np.asarray(integer, dtype=bool), (n,))
    offset = float(offset)
    notes: list[str] = []
    if solver == "highs":
        try:
            return _arrays_highs(c, A, *bounds, integer, time_limit_s, mip_gap, relax, start, offset, options)
        except Exception as err:  # noqa: BLE001 - any HiGHS failure falls back to CBC, and says so
            notes.append(f"HiGHS failed ({err}); solved with CBC instead")
    prob, xs = _pulp_model(c, A, *bounds, integer, relax)
    if start is not None:
        for v, val in zip(xs, np.asarray(start, dtype=float)):
            v.varValue = None if math.isnan(val) else float(val)
    rep = _solve_cbc(prob, time_limit_s, mip_gap, relax, start is not None, offset, notes)
    x = np.array([float(v.varValue or 0.0) for v in xs]) if rep.has_solution else None
    return rep, x


def _arrays_highs(c, A, row_lo, row_hi, col_lo, col_hi, integer, time_limit_s, mip_gap, relax, start, offset,
                  options) -> tuple[SolveReport, np.ndarray | None]:
    if highspy is None:
        raise pulp.PulpSolverError("HiGHS is not available (highspy is not installed)")
    h = highspy.Highs()
    _highs_options(h, time_limit_s, mip_gap, options)
    mip = bool(integer.any()) and not relax
    integrality = integer.astype(np.int32) if mip else np.zeros(len(c), dtype=np.int32)
    lp_bounds = (col_lo, col_hi, row_lo, row_hi)  # HiGHS reads ±inf (and |b| >= 1e20) as no bound
    status = h.passModel(len(c), A.shape[0], int(A.nnz), int(highspy.MatrixFormat.kColwise),
                         int(highspy.ObjSense.kMinimize), -offset, c, lp_bounds[0], lp_bounds[1], lp_bounds[2],
                         lp_bounds[3], A.indptr.astype(np.int32), A.indices.astype(np.int32),
                         A.data.astype(np.float64), integrality)
    if status == highspy.HighsStatus.kError:
        raise pulp.PulpSolverError("HiGHS refused the model (passModel)")
    if start is not None and mip:
        s = np.asarray(start, dtype=np.float64)
        idx = np.flatnonzero(~np.isnan(s)).astype(np.int32)
        if len(idx):
            h.setSolution(len(idx), idx, s[idx])
    t0 = time.perf_counter()
    h.run()
    rep = _highs_report(h, time.perf_counter() - t0, not mip, offset)
    x = np.array(h.getSolution().col_value, dtype=np.float64) if rep.has_solution else None
    return rep, x


def _pulp_model(c, A, row_lo, row_hi, col_lo, col_hi, integer, relax):
    """The array model as a PuLP problem (the CBC fallback of :func:`solve_arrays`)."""
    prob = pulp.LpProblem("model", pulp.LpMinimize)
    width = len(str(max(len(c), A.shape[0], 1)))
    xs = [add_variable(prob, f"x{j:0{width}d}", None if np.isinf(col_lo[j]) else float(col_lo[j]),
                       None if np.isinf(col_hi[j]) else float(col_hi[j]),
                       pulp.LpInteger if integer[j] and not relax else pulp.LpContinuous) for j in range(len(c))]
    R = A.tocsr()
    for i in range(A.shape[0]):
        cols, vals = R.indices[R.indptr[i]:R.indptr[i + 1]], R.data[R.indptr[i]:R.indptr[i + 1]]
        expr = pulp.LpAffineExpression([(xs[int(j)], float(a)) for j, a in zip(cols, vals) if a != 0])
        lo, hi = row_lo[i], row_hi[i]
        if lo == hi:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{i:0{width}d}", float(lo))
            continue
        if np.isfinite(lo):
            prob += pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{i:0{width}d}", float(lo))
        if np.isfinite(hi):
            prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"q{i:0{width}d}", float(hi))
    prob += pulp.LpAffineExpression([(xs[j], float(c[j])) for j in range(len(c)) if c[j] != 0])
    return prob, xs

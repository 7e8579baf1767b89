"""The integer covering model: ``min cost·x + penalties`` subject to ``A·x + under >= demand`` and side
constraints, ``x`` integer >= 0, solved through :func:`wfm.mip.solve_arrays` (HiGHS, CBC as the fallback)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy.sparse import coo_matrix, csc_matrix, hstack, identity, vstack

from .. import mip
from ..errors import SolverError

__all__ = ["CoveringResult", "SideConstraint", "covering", "solve_covering", "schedule_objective", "OPT_TOL"]

OPT_TOL = mip.OPT_TOL  # relative gap below which a solve counts as proven optimal


class SideConstraint(NamedTuple):
    """``sum coefs·x[cols] <sense> rhs`` over covering columns; ``group`` names the limit it comes from
    ('capacity', 'part_time_share', 'max_starts'; None for one that is never left out)."""

    cols: np.ndarray
    coefs: np.ndarray
    rhs: float
    sense: str = "<="
    group: str | None = None


@dataclass(frozen=True)
class CoveringResult:
    """Solution of :func:`solve_covering`.

    ``x``: agents per column (int array); ``under``/``over``: shortfall and excess per row (float arrays,
    zeros where the row has no such variable). ``objective``: the solution's cost; ``best_bound``: the
    solver's proven lower bound (None when not retrievable); ``gap``: ``(objective - best_bound) /
    |objective|`` (0 when both are 0). ``status``: the solver's own words. ``has_solution``: False when the
    solver returned no feasible point (then ``x`` is all zeros and must not be used). ``time_limited``: a
    time limit stopped the solve.
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
    time_limited: bool = False


def _as_csc(cover_matrix, n_rows: int, n_cols: int) -> csc_matrix:
    """The matrix by column, from a dense array-like or a scipy sparse matrix."""
    m = cover_matrix.tocsc() if hasattr(cover_matrix, "tocsc") else csc_matrix(np.asarray(cover_matrix, dtype=float))
    if m.shape != (n_rows, n_cols):
        raise ValueError(f"cover_matrix has shape {m.shape}; expected ({n_rows}, {n_cols}) (rows = demand, columns = costs)")
    return m.astype(float)


def _side_rows(side, n: int):
    """Side constraints as a sparse matrix over the ``n`` columns with row bounds; those without a nonzero
    coefficient are left out."""
    r, c, v, lo, hi = [], [], [], [], []
    for s in side:
        s_cols, s_coefs, rhs = s[:3]
        sense = s[3] if len(s) > 3 else "<="
        s_cols, s_coefs = np.asarray(s_cols, dtype=np.int64), np.asarray(s_coefs, dtype=float)
        nz = s_coefs != 0
        if not nz.any():
            continue
        r.append(np.full(int(nz.sum()), len(lo), dtype=np.int64))
        c.append(s_cols[nz])
        v.append(s_coefs[nz])
        lo.append(-np.inf if sense == "<=" else float(rhs))
        hi.append(np.inf if sense == ">=" else float(rhs))
    if not lo:
        return csc_matrix((0, n)), np.zeros(0), np.zeros(0)
    S = coo_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(len(lo), n)).tocsc()
    return S, np.array(lo), np.array(hi)


def covering(
    demand, cover_matrix, costs, *, solver: str = "highs", time_limit_s: float = 60, mip_gap: float = 0.0,
    under_penalty=None, over_penalty: float = 0.0, relax: bool = False, side=(), start=None, options=None,
) -> CoveringResult:
    """The covering IP (its LP relaxation when ``relax``), solved; may return a result without a solution
    (see ``has_solution``). ``side``: :class:`SideConstraint` rows (or tuples ``(cols, coefs, rhs[, sense,
    group])``, sense '<=', '>=' or '=='). ``start``: agents per column, a MIP start (the shortfall and excess
    variables are completed from it). ``options``: extra HiGHS options. Other arguments as in
    :func:`solve_covering`."""
    if solver not in mip.SOLVERS:
        raise ValueError(f"solver must be 'highs' or 'cbc', got {solver!r}")
    d = np.asarray(demand, dtype=float).ravel()
    c = np.asarray(costs, dtype=float).ravel()
    m, n = len(d), len(c)
    A = _as_csc(cover_matrix, m, n)
    if np.any(~np.isfinite(d)) or np.any(~np.isfinite(c)):
        raise ValueError("demand and costs must be finite numbers")
    pen = np.full(m, np.inf) if under_penalty is None else \
        np.broadcast_to(np.asarray(under_penalty, dtype=float), (m,)).copy()
    use_over = over_penalty > 0

    t_build = time.perf_counter()
    rows = np.flatnonzero((d > 0) | use_over)  # coverage >= 0 always holds
    u_rows = np.flatnonzero((d[rows] > 0) & np.isfinite(pen[rows]))  # positions in `rows` with a shortfall variable
    o_rows = np.arange(len(rows)) if use_over else np.zeros(0, dtype=np.int64)
    U = csc_matrix((np.ones(len(u_rows)), (u_rows, np.arange(len(u_rows)))), shape=(len(rows), len(u_rows)))
    O = -identity(len(rows), format="csc")[:, o_rows]
    S, s_lo, s_hi = _side_rows(side, n)
    M = vstack([hstack([A[rows], U, O]), hstack([S, csc_matrix((S.shape[0], len(u_rows) + len(o_rows)))])],
               format="csc")
    cost = np.concatenate([c, pen[rows[u_rows]], np.full(len(o_rows), float(over_penalty))])
    row_lo = np.concatenate([d[rows], s_lo])
    row_hi = np.concatenate([d[rows] if use_over else np.full(len(rows), np.inf), s_hi])
    integer = np.concatenate([np.ones(n, bool), np.zeros(len(u_rows) + len(o_rows), bool)])
    x0 = None
    if start is not None and not relax:
        x0 = np.asarray(start, dtype=float).ravel()
        cov = A[rows] @ x0
        x0 = np.concatenate([x0, np.clip(d[rows] - cov, 0, None)[u_rows], np.clip(cov - d[rows], 0, None)[o_rows]])
    build_s = time.perf_counter() - t_build

    try:
        rep, sol = mip.solve_arrays(cost, M, row_lo, row_hi, 0.0, np.inf, integer, solver=solver,
                                    time_limit_s=time_limit_s, mip_gap=mip_gap, relax=relax, start=x0, options=options)
    except Exception as err:  # noqa: BLE001 - CBC, asked for or standing in for HiGHS, did not run
        raise SolverError(f"the CBC solver failed to run ({err})"
                          + (" after HiGHS failed" if solver == "highs" else "")) from None
    xv = np.zeros(n, dtype=np.int64)
    uv, ov = np.zeros(m), np.zeros(m)
    if rep.has_solution:
        xv = sol[:n] if relax else np.rint(sol[:n]).astype(np.int64)
        uv[rows[u_rows]] = np.clip(sol[n:n + len(u_rows)], 0, None)
        ov[rows[o_rows]] = np.clip(sol[n + len(u_rows):], 0, None)
    return CoveringResult(
        x=xv, under=uv, over=ov, solver=rep.solver, status=rep.status, has_solution=rep.has_solution,
        infeasible=rep.infeasible, proven_optimal=rep.proven_optimal, within_gap=bool(rep.has_solution and rep.optimal),
        objective=rep.objective, best_bound=rep.bound, gap=rep.gap, runtime_s=rep.runtime_s, build_s=build_s,
        variables=int(M.shape[1]), constraints=int(M.shape[0]), notes=rep.notes, time_limited=rep.time_limited,
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
    res = covering(demand, cover_matrix, costs, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap,
                   under_penalty=under_penalty, over_penalty=over_penalty)
    if not res.has_solution:
        if res.infeasible:
            raise SolverError("the covering problem is infeasible: some demand cannot be covered by any column")
        raise SolverError(f"{res.solver} found no solution within {time_limit_s:g} s (status: {res.status})")
    return res


def schedule_objective(x, A, costs, demand, pen, over_penalty: float) -> float:
    """Cost of a schedule in the model's terms: column costs plus penalties on uncovered and excess
    agent-intervals (``pen`` per row; ``inf`` rows are hard and add nothing)."""
    cov = A @ x
    under = np.clip(demand - cov, 0, None)
    obj = float(costs @ x) + float((np.where(np.isfinite(pen), pen, 0.0) * under).sum())
    if over_penalty > 0:
        obj += float(over_penalty) * float(np.clip(cov - demand, 0, None).sum())
    return obj

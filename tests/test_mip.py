"""The MIP helper (wfm.mip): tiny models with hand-derived optima, solved by HiGHS and by CBC; infeasible
and time-limited reports; the offset's gap; MIP starts; the fallback to CBC."""

import numpy as np
import pulp
import pytest
from scipy.sparse import csc_matrix

from wfm import mip

SOLVERS = ["highs", "cbc"]


def _boxes(cat=pulp.LpInteger):
    """min 5a + 9b s.t. 3a + 5b >= 16: integer optimum a = b = 2 (cost 28); LP a = 16/3 (cost 80/3)."""
    p = pulp.LpProblem("boxes", pulp.LpMinimize)
    a, b = mip.add_variable(p, "a", 0, None, cat), mip.add_variable(p, "b", 0, None, cat)
    p += 5 * a + 9 * b
    p += 3 * a + 5 * b >= 16
    return p, a, b


def _triangle():
    """Cover the three edges of a triangle by vertices: the LP takes 1/2 of each (1.5), the IP two vertices."""
    A = csc_matrix(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=float))
    return np.ones(3), A


def _random_cover(m=400, n=900, seed=1):
    rng = np.random.default_rng(seed)
    M = (rng.random((m, n)) < 0.03).astype(float)
    M[np.arange(m), rng.integers(0, n, m)] = 1.0  # every row coverable
    return rng.integers(10, 30, n).astype(float), csc_matrix(M)


@pytest.mark.parametrize("solver", SOLVERS)
def test_integer_and_relaxed_optimum_of_a_small_covering(solver):
    p, a, b = _boxes()
    r = mip.solve(p, solver=solver)
    assert r.has_solution and r.optimal and not r.infeasible and not r.time_limited
    assert (round(a.varValue), round(b.varValue)) == (2, 2)
    assert r.objective == pytest.approx(28.0)
    assert r.bound == pytest.approx(28.0) and r.gap == pytest.approx(0.0, abs=1e-9) and r.proven_optimal
    assert r.solver == {"highs": "HiGHS", "cbc": "CBC"}[solver]
    p, a, b = _boxes()
    lp = mip.solve(p, solver=solver, relax=True)
    assert lp.optimal and lp.objective == pytest.approx(80 / 3)
    assert a.varValue == pytest.approx(16 / 3) and b.varValue == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("solver", SOLVERS)
def test_arrays_match_the_hand_optimum(solver):
    c, A = _triangle()
    r, x = mip.solve_arrays(c, A, 1.0, np.inf, 0.0, np.inf, True, solver=solver)
    assert r.optimal and r.objective == pytest.approx(2.0)
    assert np.all(A @ x >= 1 - 1e-9) and np.isclose(x, np.round(x)).all() and x.sum() == pytest.approx(2.0)
    lp, xl = mip.solve_arrays(c, A, 1.0, np.inf, 0.0, np.inf, True, solver=solver, relax=True)
    assert lp.objective == pytest.approx(1.5) and xl == pytest.approx([0.5, 0.5, 0.5])
    assert not r.notes and not lp.notes


@pytest.mark.parametrize("solver", SOLVERS)
def test_infeasible_model_is_reported_not_raised(solver):
    p = pulp.LpProblem("inf", pulp.LpMinimize)
    x = mip.add_variable(p, "x", 0, 1, pulp.LpInteger)
    p += x
    p += x >= 2
    r = mip.solve(p, solver=solver)
    assert r.infeasible and not r.has_solution and not r.optimal
    assert r.objective is None and r.bound is None and r.gap is None
    rep, xs = mip.solve_arrays([1.0], csc_matrix(np.ones((1, 1))), 2.0, np.inf, 0.0, 1.0, True, solver=solver)
    assert rep.infeasible and xs is None


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_time_limit_stop_says_so(solver):
    c, A = _random_cover()
    r, x = mip.solve_arrays(c, A, 1.0, np.inf, 0.0, np.inf, True, solver=solver, time_limit_s=0.3,
                            start=np.ones(len(c)))
    assert r.time_limited and not r.optimal and "time" in r.status.lower()
    assert r.has_solution and np.all(A @ x >= 1 - 1e-9)
    assert r.objective == pytest.approx(float(c @ np.round(x)))
    assert r.objective <= c.sum() + 1e-6  # never worse than the start it was given
    if r.bound is not None:
        assert r.bound <= r.objective and r.gap == pytest.approx((r.objective - r.bound) / r.objective)


@pytest.mark.parametrize("solver", SOLVERS)
def test_offset_moves_the_gap_not_the_objective(solver):
    c, A = _random_cover()
    offset = 300.0  # below any cover's cost (the LP bound is about 440)
    r, x = mip.solve_arrays(c, A, 1.0, np.inf, 0.0, np.inf, True, solver=solver, time_limit_s=0.3, offset=offset)
    assert r.objective == pytest.approx(float(c @ np.round(x)))  # the reported cost includes the offset
    assert r.bound is not None and r.bound > offset
    assert r.gap_above_offset == pytest.approx((r.objective - r.bound) / (r.objective - offset), rel=1e-6)
    assert r.gap_above_offset > r.gap
    p, a, b = _boxes()
    r2 = mip.solve(p, solver=solver, offset=20.0)
    assert r2.objective == pytest.approx(28.0) and r2.bound == pytest.approx(28.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_through_pulp(solver):
    c, A = _random_cover(200, 400, seed=3)
    p = pulp.LpProblem("cover", pulp.LpMinimize)
    xs = [mip.add_variable(p, f"x{j:03d}", 0, None, pulp.LpInteger) for j in range(len(c))]
    p += pulp.lpSum(float(c[j]) * xs[j] for j in range(len(c)))
    R = A.tocsr()
    for i in range(A.shape[0]):
        p += pulp.lpSum(xs[int(j)] for j in R.indices[R.indptr[i]:R.indptr[i + 1]]) >= 1
    for v in xs:
        v.varValue = 1.0
    r = mip.solve(p, solver=solver, time_limit_s=0.2, warm_start=True)
    assert r.has_solution and r.objective <= c.sum() + 1e-6
    x = np.array([v.varValue for v in xs])
    assert np.all(A @ x >= 1 - 1e-9) and r.objective == pytest.approx(float(c @ x))


def test_same_model_same_answer():
    c, A = _random_cover(100, 200, seed=5)
    a = mip.solve_arrays(c, A, 1.0, np.inf, 0.0, np.inf, True, mip_gap=0.02)
    b = mip.solve_arrays(c, A, 1.0, np.inf, 0.0, np.inf, True, mip_gap=0.02)
    assert a[0].optimal and a[0].gap <= 0.02 + 1e-9
    assert np.array_equal(a[1], b[1]) and a[0].objective == b[0].objective


def test_cbc_stands_in_when_highs_is_missing(monkeypatch):
    monkeypatch.setattr(mip, "highspy", None)
    p, a, b = _boxes()
    r = mip.solve(p)
    assert r.solver == "CBC" and r.objective == pytest.approx(28.0)
    assert len(r.notes) == 1 and "HiGHS" in r.notes[0] and "CBC" in r.notes[0]
    c, A = _triangle()
    rep, x = mip.solve_arrays(c, A, 1.0, np.inf, 0.0, np.inf, True)
    assert rep.solver == "CBC" and rep.objective == pytest.approx(2.0) and rep.notes


def test_bad_arguments_are_refused():
    p, _, _ = _boxes()
    with pytest.raises(ValueError, match="solver"):
        mip.solve(p, solver="gurobi")
    q = pulp.LpProblem("max", pulp.LpMaximize)
    v = mip.add_variable(q, "v", 0, 1)
    q += v
    with pytest.raises(ValueError, match="minimisation"):
        mip.solve(q)
    with pytest.raises(ValueError, match="columns"):
        mip.solve_arrays([1.0, 2.0], csc_matrix(np.ones((1, 3))), 1.0, np.inf, 0.0, np.inf, True)


def test_relative_gap_and_time_limit_words():
    assert mip.relative_gap(100.0, 90.0) == pytest.approx(0.1)
    assert mip.relative_gap(100.0, 100.0 - 1e-12) == 0.0
    assert mip.relative_gap(None, 1.0) is None and mip.relative_gap(1.0, None) is None
    assert mip.time_limited("Time limit reached") and mip.time_limited("Stopped on time limit")
    assert not mip.time_limited("Optimal")

"""Erlang A (M/M/n+M) against published values, an independent birth-death-chain computation, its
Erlang C / Erlang B limits, and properties of the staffing search. The simulation checks are in
tests/test_simulate.py."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import linalg, special

from wfm import erlang
from wfm.erlang import (
    abandon_rate_a, asa_a, erlang_a, erlang_a_metrics, erlang_b, mean_wait_a, occupancy_a, required_agents,
    required_agents_a, required_agents_a_met, service_level_a,
)

VECTORS = Path(__file__).resolve().parent / "data" / "erlang_vectors.csv"  # copy of ../shared/data (tests/data/README.md)


# ------------------------------------------------------------------------------------------ reference table


def _rows() -> list[dict]:
    if not VECTORS.is_file():
        return []
    df = pd.read_csv(VECTORS, dtype=str, keep_default_na=False)
    return [r for r in df.to_dict("records") if r["model"] in ("ErlangA", "ErlangA-QED")]


def _id(r: dict) -> str:
    src = re.sub(r"[^A-Za-z0-9]+", "_", r["source"])[:40].strip("_")
    return f"{r['model']}|{r['inputs']}|{r['quantity']}|{src}"


def _parse(inputs: str) -> dict:
    """Inputs of an Erlang A row -> calls per interval, interval [s], aht [s], patience [s], agents, t [s]."""
    p: dict = {}
    for part in (x.strip() for x in inputs.split(";")):
        if m := re.fullmatch(r"lambda=([\d.]+)/([\d.]+) per min", part):
            p["lam_per_min"] = float(m.group(1)) / float(m.group(2))
        elif m := re.fullmatch(r"AHT=([\d.]+) min", part):
            p["aht_min"] = float(m.group(1))
        elif m := re.fullmatch(r"patience mean=([\d.]+) min", part):
            p["patience_min"] = float(m.group(1))
        elif m := re.fullmatch(r"t=([\d.]+)s", part):
            p["t_s"] = float(m.group(1))
        elif m := re.fullmatch(r"(\w+)=([\d.]+)", part):
            p[m.group(1)] = float(m.group(2))
        else:
            raise AssertionError(f"unrecognised input {part!r} in {inputs!r}")
    if "lam_per_min" in p:  # rates per minute: one-minute intervals, times in seconds
        return dict(calls=p["lam_per_min"], iv=60.0, aht=60 * p["aht_min"], pat=60 * p["patience_min"],
                    n=int(p["n"]), t=p.get("t_s"))
    # rates per unit of time: unit intervals, aht = 1 / mu, patience = 1 / theta, lambda = R mu for QED rows
    lam = p["lambda"] if "lambda" in p else p["R"] * p["mu"]
    return dict(calls=lam, iv=1.0, aht=1 / p["mu"], pat=1 / p["theta"], n=int(p["n"]), t=p.get("t_s"))


def _evaluate(r: dict):
    p, q = _parse(r["inputs"]), r["quantity"]
    args = (p["calls"], p["aht"], p["n"], p["iv"])
    if q.startswith("P(W>0)"):
        got = erlang_a(*args, p["pat"])
    elif q.startswith("P(abandon)") or q.startswith("P(Ab)"):
        got = abandon_rate_a(*args, p["pat"])
    elif q == "occupancy":
        got = occupancy_a(*args, p["pat"])
    elif q == "E[wait] all calls (min)":
        got = mean_wait_a(*args, p["pat"]) / 60
    elif q == "P(answered within t)/offered":
        got = service_level_a(*args, p["t"], p["pat"])
    else:
        raise AssertionError(f"no check written for quantity {q!r}")
    return got, float(r["expected"]), float(r["tolerance"])


ROWS = _rows()


def test_reference_rows_present():
    assert VECTORS.is_file(), f"{VECTORS} is part of the repository"
    assert len(ROWS) >= 15


@pytest.mark.parametrize("row", ROWS, ids=[_id(r) for r in ROWS])
def test_reference_value(row):
    got, exp, tol = _evaluate(row)
    assert abs(got - exp) <= tol, f"{row['quantity']} for {row['inputs']}: got {got}, expected {exp} ± {tol}"


# ------------------------------------------------------------------------------------------ independent chain


def _chain(calls, aht, n, iv, patience, t):
    """Erlang A figures straight from the M/M/n+M birth-death chain, truncated where its weights are below
    1e-40 of the largest, and a tagged caller's journey through the queue:

    * P(wait) and P(abandon) from the stationary distribution and, for a caller who finds j others queued,
      the chance to reach an agent before hanging up (each step forward at rate n mu + j theta, against
      their own patience at rate theta);
    * mean waits from the same steps (first-step analysis);
    * answered within t from the matrix exponential of the tagged caller's generator (scipy.linalg.expm).

    No incomplete gamma function, no Kummer series, no Beta-mixture argument: a separate route to the same
    numbers.
    """
    lam, mu, th = calls / iv, 1 / aht, 1 / patience
    k = np.arange(n + 1)
    low = k * math.log(lam / mu) - special.gammaln(k + 1)
    jmax = int(max(0.0, (lam - n * mu) / th) + 60 * math.sqrt(lam / th + 1) + 200)
    rates = n * mu + th * np.arange(1, jmax + 1)
    queue = low[n] + np.concatenate([[0.0], np.cumsum(np.log(lam / rates))])
    logw = np.concatenate([low[:n], queue])
    keep = logw >= logw.max() - 92  # e^-92 ~ 1e-40
    last = np.flatnonzero(keep).max()
    logw = logw[: last + 1]
    w = np.exp(logw - logw.max())
    w /= w.sum()
    pq = w[n:]  # callers found j = 0, 1, ... waiting ahead
    jn = pq.size
    r = n * mu + th * np.arange(jn)
    p = np.empty(jn)  # reach an agent
    m = np.empty(jn)  # E[wait; answered]
    wa = np.empty(jn)  # E[wait], answered or not
    pp, pm, pw_ = 1.0, 0.0, 0.0
    for j in range(jn):
        go = r[j] / (r[j] + th)
        p[j] = go * pp
        m[j] = p[j] / (r[j] + th) + go * pm
        wa[j] = 1 / (r[j] + th) + go * pw_
        pp, pm, pw_ = p[j], m[j], wa[j]
    pwait = pq.sum()
    pab = float(np.sum(pq * (1 - p)))
    out = dict(wait_probability=float(pwait), abandon_rate=pab, asa_s=float(np.sum(pq * m)) / (1 - pab),
               mean_wait_s=float(np.sum(pq * wa)), occupancy=lam * (1 - pab) / (n * mu))
    if t is not None:
        size = jn + 2  # transient states 0..jn-1, then answered, abandoned
        q = np.zeros((size, size))
        idx = np.arange(jn)
        q[idx, idx] = -(r + th)
        q[idx[1:], idx[:-1]] = r[1:]
        q[0, jn] = r[0]
        q[idx, jn + 1] = th
        answered_by_t = linalg.expm(q * t)[:jn, jn]
        out["service_level"] = float((1 - pwait) + np.sum(pq * answered_by_t))
    return out


CHAIN_CASES = [
    # calls, aht [s], agents, interval [s], patience [s], t [s]
    (100, 180, 14, 1800, 300, 20),  # the Call Centre Helper traffic with 5-minute patience
    (100, 180, 9, 1800, 300, 20),  # 9 agents for 10 erlangs: overloaded, stable only through abandonment
    (600, 180, 40, 1800, 60, 30),  # A = 60 on 40 agents, impatient callers
    (240, 300, 15, 3600, 10, 20),  # very impatient (10 s) against long calls
    (264, 300, 24, 3600, 3600, 20),  # very patient (1 h): close to Erlang C
    (1800, 300, 310, 1800, 120, 20),  # A = 300 erlangs, 310 agents
    (3000, 300, 480, 1800, 90, 15),  # A = 500 erlangs on 480 agents
    (50, 600, 3, 3600, 200, 60),  # small: A = 8.3 on 3 agents
]


@pytest.mark.parametrize("calls,aht,n,iv,pat,t", CHAIN_CASES)
def test_matches_birth_death_chain(calls, aht, n, iv, pat, t):
    ref = _chain(calls, aht, n, iv, pat, t)
    got = erlang_a_metrics(calls, aht, n, iv, t, pat).iloc[0]
    for key, rel in (("wait_probability", 1e-9), ("abandon_rate", 1e-9), ("service_level", 1e-9),
                     ("mean_wait_s", 1e-8), ("occupancy", 1e-9), ("asa_s", 1e-7)):
        assert got[key] == pytest.approx(ref[key], rel=rel, abs=1e-12), (key, got[key], ref[key])
    # the single-figure functions give the same numbers as the one-pass table
    assert erlang_a(calls, aht, n, iv, pat) == got["wait_probability"]
    assert abandon_rate_a(calls, aht, n, iv, pat) == got["abandon_rate"]
    assert service_level_a(calls, aht, n, iv, t, pat) == got["service_level"]
    assert asa_a(calls, aht, n, iv, pat) == got["asa_s"]
    assert occupancy_a(calls, aht, n, iv, pat) == got["occupancy"]


def test_chain_check_has_power():
    # The chain reference tells neighbouring agent counts apart by far more than the tolerance used above.
    ref = _chain(100, 180, 14, 1800, 300, 20)
    for n in (13, 15):
        got = erlang_a_metrics(100, 180, n, 1800, 20, 300).iloc[0]
        assert abs(got["abandon_rate"] - ref["abandon_rate"]) > 1e-3
        assert abs(got["service_level"] - ref["service_level"]) > 1e-3


def test_service_level_definition_is_answered_within_t_over_offered():
    # At t = 0 only callers who never wait meet the target: SL = 1 - P(wait). As t grows SL approaches the
    # answered share 1 - P(abandon), never the 100 % that "waited at most t, abandons count as met" gives.
    c, h, n, iv, pat = 100, 180, 12, 1800, 120
    assert service_level_a(c, h, n, iv, 0, pat) == pytest.approx(1 - erlang_a(c, h, n, iv, pat), abs=1e-12)
    assert service_level_a(c, h, n, iv, 1e6, pat) == pytest.approx(1 - abandon_rate_a(c, h, n, iv, pat), rel=1e-9)
    sl = service_level_a(c, h, n, iv, np.array([0, 5, 20, 60, 300, 3000]), pat)
    assert (np.diff(sl) > 0).all() and sl[-1] < 1 - 0.01


# ------------------------------------------------------------------------------------------ limits


def test_infinite_patience_is_erlang_c():
    calls, aht, iv = 100, 180, 1800
    n = np.arange(0, 25)
    np.testing.assert_array_equal(erlang_a(calls, aht, n, iv, math.inf), erlang.erlang_c(n, 10.0))
    np.testing.assert_array_equal(service_level_a(calls, aht, n, iv, 20, math.inf),
                                  erlang.service_level(calls, aht, n, iv, 20))
    np.testing.assert_array_equal(asa_a(calls, aht, n[1:], iv, math.inf), erlang.asa(calls, aht, n[1:], iv))
    assert (abandon_rate_a(calls, aht, n, iv, math.inf) == 0).all()


@pytest.mark.parametrize("calls,aht,n,iv", [(100, 180, 12, 1800), (1800, 300, 310, 1800), (40, 240, 7, 1800)])
def test_long_patience_tends_to_erlang_c(calls, aht, n, iv):
    # Abandonment vanishes like 1 / patience and the figures approach Erlang C at that rate (the ASA gap is
    # about 1.3e-3 at 1e6 s for the first case, as the chain reference also gives): at 1e10 s they agree to
    # 1e-6, and the gap shrinks tenfold per tenfold patience.
    c_vals = (erlang.erlang_c(n, calls * aht / iv), erlang.service_level(calls, aht, n, iv, 20),
              erlang.asa(calls, aht, n, iv))

    def gaps(pat):
        a_vals = (erlang_a(calls, aht, n, iv, pat), service_level_a(calls, aht, n, iv, 20, pat),
                  asa_a(calls, aht, n, iv, pat))
        return np.array([abs(a / c - 1) for a, c in zip(a_vals, c_vals)])

    assert (gaps(1e10) < 1e-6).all()
    ratio = gaps(1e7) / gaps(1e8)
    assert ((ratio > 8) & (ratio < 12)).all(), ratio
    assert abandon_rate_a(calls, aht, n, iv, 1e10) < 1e-8


def test_zero_patience_is_erlang_b_and_short_patience_tends_to_it():
    # Callers who will not wait at all: a loss system. The Erlang B values here come from wfm.erlang's
    # recursion; the Erlang A path computes Erlang B from the incomplete gamma function instead.
    n = np.array([1, 5, 20, 100, 150, 199, 200, 250, 400, 1000, 2500])
    for load in (0.5, 12.0, 200.0, 1500.0):
        b = erlang_b(n, load)
        calls = load * 1800 / 300
        np.testing.assert_allclose(erlang_a(calls, 300, n, 1800, 0.0), b, rtol=1e-9, atol=1e-300)
        np.testing.assert_allclose(abandon_rate_a(calls, 300, n, 1800, 0.0), b, rtol=1e-9, atol=1e-300)
        np.testing.assert_allclose(service_level_a(calls, 300, n, 1800, 20, 0.0), 1 - b, rtol=1e-9, atol=1e-15)
        # the gap to Erlang B is of order n * patience / aht (under 1e-5 here)
        np.testing.assert_allclose(abandon_rate_a(calls, 300, n, 1800, 1e-7), b, rtol=1e-5, atol=1e-300)


@pytest.mark.parametrize("r,theta,n,expected", [
    # Garnett, Mandelbaum & Reiman (2002): with n = R + beta sqrt(R), P(wait) tends to
    # [1 + sqrt(theta/mu) h(beta sqrt(mu/theta)) / h(-beta)]^-1, h(x) = phi(x) / (1 - Phi(x)).
    (40_000, 1.0, 40_000, 0.5),
    (40_000, 0.25, 40_200, None),
    (40_000, 4.0, 39_800, None),
])
def test_qed_limit_at_large_scale(r, theta, n, expected):
    from scipy.stats import norm

    beta = (n - r) / math.sqrt(r)
    h = lambda x: norm.pdf(x) / norm.sf(x)  # noqa: E731
    lim = 1 / (1 + math.sqrt(theta) * h(beta / math.sqrt(theta)) / h(-beta))
    if expected is not None:
        assert lim == pytest.approx(expected)
    # the limit error is O(1 / sqrt(R)) = 0.005 here
    assert erlang_a(r, 1.0, n, 1.0, 1 / theta) == pytest.approx(lim, abs=0.01)


# ------------------------------------------------------------------------------------------ stability, edges


def test_stable_and_monotone_at_hundreds_and_thousands_of_agents():
    for load, pat in ((300.0, 120.0), (1500.0, 30.0), (1500.0, 3600.0), (5.0, 1e5)):
        n = np.arange(0, int(load * 1.6) + 20)
        m = erlang_a_metrics(load * 1800 / 300, 300, n, 1800, 20, pat)
        for c in ("wait_probability", "abandon_rate", "service_level"):
            v = m[c].to_numpy()
            assert np.isfinite(v).all() and (v >= 0).all() and (v <= 1).all(), c
        assert (np.diff(m["wait_probability"]) <= 1e-12).all()
        assert (np.diff(m["abandon_rate"]) <= 1e-12).all()
        # 1e-10: the absolute precision of the service level where it is ~0 (hundreds of agents short,
        # two nearly equal terms are subtracted)
        assert (np.diff(m["service_level"]) >= -1e-10).all()
        occ = m["occupancy"].to_numpy()[1:]
        assert (np.diff(occ) <= 1e-12).all() and (occ <= 1).all()
        w = m["asa_s"].to_numpy()[1:]
        assert np.isfinite(w).all() and (w >= 0).all()
        assert m["service_level"].iloc[-1] > 0.99


def test_edges_give_answers():
    # zero calls: nobody waits
    m = erlang_a_metrics(0, 300, 5, 1800, 20, 120).iloc[0]
    assert (m["wait_probability"], m["abandon_rate"], m["service_level"], m["asa_s"], m["occupancy"]) == (0, 0, 1, 0, 0)
    # no agents: everyone waits and, being impatient, abandons after their patience
    m = erlang_a_metrics(100, 300, 0, 1800, 20, 120).iloc[0]
    assert (m["wait_probability"], m["abandon_rate"], m["service_level"]) == (1, 1, 0)
    assert math.isnan(m["asa_s"]) and m["mean_wait_s"] == 120
    # NaN in, NaN out
    assert math.isnan(erlang_a(np.nan, 300, 5, 1800, 120))
    assert math.isnan(service_level_a(100, 300, 5, 1800, np.nan, 120))
    with pytest.raises(ValueError, match="patience_s"):
        erlang_a(100, 300, 5, 1800, -1)
    with pytest.raises(ValueError, match="agents"):
        abandon_rate_a(100, 300, 5.5, 1800, 60)


def test_scalar_array_series_agree():
    calls = [0.0, 12.5, 100.0, 400.0]
    n = [0, 2, 12, 60]
    idx = pd.Index([7, 8, 9, 10])
    a = service_level_a(np.array(calls), 180, np.array(n), 1800, 20, 90)
    s = service_level_a(pd.Series(calls, index=idx), 180, pd.Series(n, index=idx), 1800, 20, 90)
    c = [service_level_a(x, 180, k, 1800, 20, 90) for x, k in zip(calls, n)]
    assert isinstance(a, np.ndarray) and isinstance(s, pd.Series) and all(isinstance(v, float) for v in c)
    assert list(s.index) == list(idx)
    np.testing.assert_array_equal(a, s.to_numpy())
    np.testing.assert_array_equal(a, c)
    m = erlang_a_metrics(pd.Series(calls, index=idx), 180, pd.Series(n, index=idx), 1800, 20, 90)
    assert list(m.index) == list(idx)


# ------------------------------------------------------------------------------------------ required agents


def test_required_agents_a_classic_example_checked_on_the_chain():
    # 100 calls / 30 min, AHT 180 s, 80/20, patience 5 min: Erlang C needs 14; Erlang A 13 (abandonment
    # shortens the queue). Checked with the independent chain: 13 meets 80 %, 12 does not.
    assert required_agents(100, 180, 1800, 0.8, 20) == 14
    assert required_agents_a(100, 180, 1800, 300, 0.8, 20) == 13
    assert _chain(100, 180, 13, 1800, 300, 20)["service_level"] >= 0.8
    assert _chain(100, 180, 12, 1800, 300, 20)["service_level"] < 0.8


def test_impatient_callers_can_be_served_below_the_load():
    # 60 erlangs, 10-second patience, 50 % answered within 20 s: fewer agents than erlangs suffice, which
    # Erlang C (unstable at N <= A) can never say. Verified on the chain.
    calls, aht, iv, pat = 720, 300, 3600, 10
    n = required_agents_a(calls, aht, iv, pat, 0.5, 20)
    assert n < 60
    assert _chain(calls, aht, n, iv, pat, 20)["service_level"] >= 0.5
    assert _chain(calls, aht, n - 1, iv, pat, 20)["service_level"] < 0.5


def test_max_abandon_binds():
    # A loose service target that abandonment, not the service level, decides.
    calls, aht, iv, pat = 1800, 300, 1800, 60
    free = required_agents_a(calls, aht, iv, pat, 0.2, 20)
    capped = required_agents_a(calls, aht, iv, pat, 0.2, 20, max_abandon=0.01)
    assert capped > free
    assert _chain(calls, aht, capped, iv, pat, None)["abandon_rate"] <= 0.01
    assert _chain(calls, aht, capped - 1, iv, pat, None)["abandon_rate"] > 0.01


def test_required_agents_a_edges():
    assert required_agents_a(0, 300, 1800, 60) == 0
    np.testing.assert_array_equal(required_agents_a(np.array([0.0, 0.0]), 300, 1800, 60), [0, 0])
    n, met = required_agents_a_met(np.array([100.0, 5000.0]), 180, 1800, 300, max_agents=50)
    assert n.tolist()[1] == 50 and met.tolist() == [True, False]
    assert required_agents_a(100, 180, 1800, 300, max_agents=0) == 0
    s = required_agents_a(pd.Series([100.0, 0.0], index=[3, 4]), 180, 1800, 300)
    assert isinstance(s, pd.Series) and list(s.index) == [3, 4] and s.dtype.kind == "i"
    assert isinstance(required_agents_a(100, 180, 1800, 300), int)
    with pytest.raises(ValueError, match="patience_s"):
        required_agents_a(100, 180, 1800, np.nan)
    with pytest.raises(ValueError, match="max_abandon"):
        required_agents_a(100, 180, 1800, 60, max_abandon=-0.1)
    with pytest.raises(ValueError, match="calls"):
        required_agents_a(np.array([1.0, np.nan]), 180, 1800, 60)


@given(a=st.floats(0.05, 300), aht=st.floats(30, 900), target=st.floats(0.05, 0.99), t=st.floats(0, 120),
       occ=st.floats(0.5, 1.0))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_infinite_patience_staffs_like_erlang_c(a, aht, target, t, occ):
    calls = a * 900 / aht
    assert required_agents_a(calls, aht, 900, math.inf, target, t, occ) == required_agents(calls, aht, 900, target,
                                                                                            t, occ)


@given(a=st.floats(0.05, 400), aht=st.floats(30, 900), pat_ratio=st.floats(0.02, 50), target=st.floats(0.05, 0.99),
       t=st.floats(0, 120), occ=st.floats(0.5, 1.0), use_ab=st.booleans(), max_ab=st.floats(0.001, 0.3))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_required_agents_a_is_minimal(a, aht, pat_ratio, target, t, occ, use_ab, max_ab):
    iv = 900.0
    calls = a * iv / aht
    pat = pat_ratio * aht
    cap = max_ab if use_ab else None
    n = required_agents_a(calls, aht, iv, pat, target, t, occ, max_abandon=cap)
    assert 0 < n < 2000
    ks = np.arange(0, n + 1)
    m = erlang_a_metrics(calls, aht, ks, iv, t, pat)
    load = calls * aht / iv
    answered_load = load * (1 - m["abandon_rate"].to_numpy())
    ok = (m["service_level"].to_numpy() >= target) & (answered_load <= occ * ks * (1 + 1e-9))
    if use_ab:
        ok &= m["abandon_rate"].to_numpy() <= max_ab
    assert ok[n], f"N={n} misses: SL {m['service_level'].iloc[n]}, abandon {m['abandon_rate'].iloc[n]}"
    assert not ok[:n].any(), f"a smaller N ({int(np.argmax(ok))}) already meets the targets"


def test_docs_name_units_and_the_definition():
    for f in (erlang_a, abandon_rate_a, service_level_a, asa_a, mean_wait_a, occupancy_a, required_agents_a):
        assert "[s]" in f.__doc__ and "calls per interval" in f.__doc__, f.__name__
    assert "over calls offered" in service_level_a.__doc__ and "answered within" in service_level_a.__doc__
    assert "answered" in asa_a.__doc__.lower()

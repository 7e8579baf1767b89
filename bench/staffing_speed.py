"""Speed of staffing: Erlang C and Erlang A required agents over a year of 15-minute intervals,
requirements(), the simulation's throughput, and pyworkforce's ErlangC on the same intervals.

Synthetic loads (seeded): a daily curve peaking near ``--peak`` erlangs with noise, 10 % empty intervals,
AHT 120-600 s; plus one run with loads in the thousands. Prints the best of ``--repeat`` wall-clock times.
Targets: a year of intervals in under 0.5 s (Erlang C and Erlang A); at least 100x pyworkforce's ErlangC,
measured in the same run.

pyworkforce is never a dependency of wfm: it is run in its own virtual environment, through a subprocess,
when ``--pyworkforce-python`` (default: $PYWORKFORCE_PYTHON or /tmp/pwf/bin/python) exists. It loops in
Python per interval (seconds for a year), so it is timed on a random subsample of the non-empty
intervals and its time scaled up to all of them (it refuses intervals with zero calls, so those cost it
nothing here, while wfm's time includes them).

Run: .venv/bin/python bench/staffing_speed.py [--peak 200] [--repeat 5] [--pwf-sample 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.config import load_config
from wfm.erlang import erlang_a_metrics, required_agents, required_agents_a
from wfm.simulate import simulate_day
from wfm.staffing import requirements

PWF_SETUP = "python3 -m venv /tmp/pwf && /tmp/pwf/bin/pip install pyworkforce"

# Runs inside pyworkforce's venv: reads the intervals, times ErlangC per interval, writes the answers.
PWF_SCRIPT = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from pyworkforce.queuing import ErlangC
    d = np.load(sys.argv[1])
    calls, aht_min = d["calls"], d["aht_s"] / 60.0
    out = []
    t0 = time.perf_counter()
    for c, a in zip(calls.tolist(), aht_min.tolist()):
        r = ErlangC(transactions=c, aht=a, asa=20 / 60, interval=15).required_positions(
            service_level=0.8, max_occupancy=0.85)
        out.append(r["raw_positions"])
    print(json.dumps({"seconds": time.perf_counter() - t0, "agents": out}))
""")


def best_of(f, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def pyworkforce(python: Path, calls: np.ndarray, aht: np.ndarray) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "intervals.npz"
        np.savez(data, calls=calls, aht_s=aht)
        script = Path(tmp) / "pwf_bench.py"
        script.write_text(PWF_SCRIPT)
        run = subprocess.run([str(python), str(script), str(data)], capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peak", type=float, default=200.0, help="peak load [erlangs]")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--patience", type=float, default=180.0, help="mean patience for Erlang A [s]")
    ap.add_argument("--pwf-sample", type=int, default=5000, help="intervals timed with pyworkforce")
    ap.add_argument("--pyworkforce-python", type=Path,
                    default=Path(os.environ.get("PYWORKFORCE_PYTHON", "/tmp/pwf/bin/python")))
    args = ap.parse_args()

    rng = np.random.default_rng(2024)
    n = 365 * 96
    tod = (np.arange(n) % 96) / 96.0
    load = args.peak * np.clip(np.sin(np.pi * tod) ** 2 + 0.1 * rng.standard_normal(n), 0, None)
    load[rng.random(n) < 0.1] = 0.0
    aht = rng.uniform(120, 600, n)
    calls = load * 900 / aht

    t_c = best_of(lambda: required_agents(calls, aht, 900, 0.8, 20, 0.85), args.repeat)
    print(f"required_agents (Erlang C), {n} intervals, loads 0-{load.max():.0f} erlangs: {t_c * 1000:.1f} ms "
          f"(target < 500 ms)")
    t_a = best_of(lambda: required_agents_a(calls, aht, 900, args.patience, 0.8, 20, 0.85), args.repeat)
    print(f"required_agents_a (Erlang A, patience {args.patience:g} s), same intervals: {t_a * 1000:.1f} ms "
          f"(target < 500 ms; {t_a / t_c:.1f}x Erlang C)")
    na = required_agents_a(calls, aht, 900, args.patience, 0.8, 20, 0.85)
    t_m = best_of(lambda: erlang_a_metrics(calls, aht, na, 900, 20, args.patience), args.repeat)
    print(f"erlang_a_metrics (P(wait), abandonment, SL, ASA, occupancy) at those agents: {t_m * 1000:.1f} ms")

    big = calls * 10
    t = best_of(lambda: required_agents(big, aht, 900, 0.8, 20, 0.85, max_agents=5000), args.repeat)
    print(f"required_agents (Erlang C), {n} intervals, loads 0-{load.max() * 10:.0f} erlangs: {t * 1000:.1f} ms")
    t = best_of(lambda: required_agents_a(big, aht, 900, args.patience, 0.8, 20, 0.85, max_agents=5000),
                args.repeat)
    print(f"required_agents_a (Erlang A), {n} intervals, loads 0-{load.max() * 10:.0f} erlangs: {t * 1000:.1f} ms")

    cfg = load_config(None)
    fc = pd.DataFrame({
        "queue": "q",
        "interval_start": pd.date_range("2025-01-01", periods=n, freq="15min"),
        "offered": calls, "offered_lo": calls, "offered_hi": calls, "aht_s": aht, "is_holiday": False,
    })
    t = best_of(lambda: requirements(fc, cfg), args.repeat)
    print(f"staffing.requirements, {n} rows: {t * 1000:.1f} ms")
    t = best_of(lambda: requirements(fc, cfg, model="erlang_a", patience_s=args.patience), args.repeat)
    print(f"staffing.requirements, Erlang A, {n} rows: {t * 1000:.1f} ms")

    # Simulation throughput: a 12-hour day of 200 erlangs at the Erlang C staffing, 20 replications.
    sim_calls = np.full(24, 200 * 1800 / 300.0)
    staff = required_agents(sim_calls, 300, 1800, 0.8, 20)
    t0 = time.perf_counter()
    res = simulate_day(sim_calls, 300, staff, 1800, 20, patience_s=args.patience, replications=20)
    t = time.perf_counter() - t0
    print(f"simulate_day: {res.callers:,} callers in {t:.2f} s ({t / res.callers * 1e6:.2f} us per caller)")

    py = args.pyworkforce_python
    if not py.exists():
        print(f"pyworkforce not installed ({py} not found); to compare: {PWF_SETUP}")
        return
    nonzero = np.flatnonzero(calls > 0)
    pick = np.sort(rng.choice(nonzero, min(args.pwf_sample, nonzero.size), replace=False))
    try:
        got = pyworkforce(py, calls[pick], aht[pick])
    except (subprocess.CalledProcessError, json.JSONDecodeError) as e:
        print(f"pyworkforce run failed ({e}); to set it up: {PWF_SETUP}")
        return
    scaled = got["seconds"] * nonzero.size / pick.size
    ours = required_agents(calls[pick], aht[pick], 900, 0.8, 20, 0.85)
    agree = float(np.mean(np.asarray(got["agents"]) == ours))
    print(f"pyworkforce ErlangC.required_positions: {got['seconds']:.2f} s for {pick.size} sampled intervals, "
          f"scaled to the {nonzero.size} non-empty intervals: {scaled:.1f} s")
    print(f"wfm required_agents vs pyworkforce: {scaled / t_c:.0f}x faster (target >= 100x); "
          f"Erlang A: {scaled / t_a:.0f}x; same agent count in {agree:.1%} of the sampled intervals")


if __name__ == "__main__":
    main()

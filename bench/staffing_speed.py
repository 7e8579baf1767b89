"""Speed of Erlang C staffing: required_agents over a year of 15-minute intervals, and requirements().

Synthetic loads (seeded): a daily curve peaking near ``--peak`` erlangs with noise, 10 % empty intervals,
AHT 120-600 s; plus one run with loads in the thousands. Prints the best of ``--repeat`` wall-clock times.

Run: .venv/bin/python bench/staffing_speed.py [--peak 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from wfm.config import load_config
from wfm.erlang import required_agents
from wfm.staffing import requirements


def best_of(f, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peak", type=float, default=200.0, help="peak load [erlangs]")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    rng = np.random.default_rng(2024)
    n = 365 * 96
    tod = (np.arange(n) % 96) / 96.0
    load = args.peak * np.clip(np.sin(np.pi * tod) ** 2 + 0.1 * rng.standard_normal(n), 0, None)
    load[rng.random(n) < 0.1] = 0.0
    aht = rng.uniform(120, 600, n)
    calls = load * 900 / aht

    t = best_of(lambda: required_agents(calls, aht, 900, 0.8, 20, 0.85), args.repeat)
    print(f"required_agents, {n} intervals, loads 0-{load.max():.0f} erlangs: {t * 1000:.1f} ms")

    big = calls * 10
    t = best_of(lambda: required_agents(big, aht, 900, 0.8, 20, 0.85, max_agents=5000), args.repeat)
    print(f"required_agents, {n} intervals, loads 0-{load.max() * 10:.0f} erlangs: {t * 1000:.1f} ms")

    cfg = load_config(None)
    fc = pd.DataFrame({
        "queue": "q",
        "interval_start": pd.date_range("2025-01-01", periods=n, freq="15min"),
        "offered": calls, "offered_lo": calls, "offered_hi": calls, "aht_s": aht, "is_holiday": False,
    })
    t = best_of(lambda: requirements(fc, cfg), args.repeat)
    print(f"staffing.requirements, {n} rows: {t * 1000:.1f} ms")


if __name__ == "__main__":
    main()

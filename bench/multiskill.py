"""Multi-skill staffing against the simple answers, on the demo centre's forecast and agents.

The demo centre has two queues (sales, service) and 128 agents: 44 sales, 72 service and 12 trained on both
(``sales;service``: sales first). For the first ``--days`` days of the demo forecast (15-minute intervals;
goal 80 % answered in 20 s, Erlang C callers who never hang up), three ways to staff each interval:

* **per-queue Erlang**: each queue staffed alone with Erlang C, specialists only (what wfm does without
  multi-skill staffing, and what a spreadsheet does);
* **by skill set**: :func:`wfm.multiskill.skill_set_requirements`, the least heads per skill set that meet
  both queues' goals in simulation;
* **"counts fully for every queue"**: the same number of cross-trained agents as by skill set, each counted
  as a whole agent for sales *and* for service, specialists added up to each queue's Erlang answer (the rule
  of pyworkforce's MultiSkillStaffing).

Each staffing is then simulated again with other seeds (an independent check, at least 4,000 callers per
queue and interval). Printed: agent-hours on the phone, the hours saved against per-queue Erlang, the
call-weighted service per queue and the share of queue-intervals meeting the goal, per method; the
simulation's speed; and a call-back what-if on the first day (offered when the announced wait exceeds 60 or
30 s, half or 70 % accept, returned within 30 minutes): agents taken off the 8 busiest intervals while no
queue-interval serves worse than without call-backs on the full staff, beside the same search without
call-backs, and what the difference costs at the demo agents' mean hourly rate.

Run after ``make demo`` (it reads ``forecasts/demo/forecast.csv``):
``.venv/bin/python bench/multiskill.py [--days 2]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.multiskill import (CallBack, QueueGoal, callback_whatif, interval_replications, shortfall,
                            simulate_interval, skill_set_requirements, skill_sets_from_agents)
from wfm.multiskill.staffing import erlang_requirement

ROOT = Path(__file__).resolve().parents[1]
FORECAST = ROOT / "forecasts" / "demo" / "forecast.csv"
AGENTS = ROOT / "wfm" / "data" / "demo_agents.csv"
INTERVAL_S = 900.0
GOAL = QueueGoal(0.8, 20)
SEARCH_SEED, CHECK_SEED = 1, 20261203


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=2)
    a = ap.parse_args()
    if not FORECAST.exists():
        sys.exit(f"{FORECAST.relative_to(ROOT)} not found: run `make demo` first")
    fc = pd.read_csv(FORECAST, parse_dates=["interval_start"])
    first = fc["interval_start"].min().normalize()
    fc = fc[fc["interval_start"] < first + pd.Timedelta(days=a.days)]
    agents = pd.read_csv(AGENTS)
    sets = skill_sets_from_agents(agents)
    flex = [s.name for s in sets if len(s.queues) > 1]
    queues = sorted(fc["queue"].unique())
    print(f"demo forecast, {a.days} day(s) from {first:%a %d %b %Y}: {len(fc) // len(queues)} intervals of "
          f"15 min, {fc['offered'].sum():,.0f} calls; skill sets "
          + ", ".join(f"{s.name} ({(agents['queues'] == ';'.join(s.queues)).sum()} agents)" for s in sets))

    t0 = time.perf_counter()
    by_set, _ = skill_set_requirements(fc, sets, INTERVAL_S, GOAL, seed=SEARCH_SEED, min_callers=2000)
    search_s = time.perf_counter() - t0
    ours = by_set.pivot(index="interval_start", columns="skill_set", values="agents")
    wide = fc.pivot(index="interval_start", columns="queue", values=["offered", "aht_s"])
    times = wide.index
    staffings = {"per-queue Erlang": [], "by skill set": [], "counts fully": []}
    for t in times:
        calls = {q: float(wide.at[t, ("offered", q)]) for q in queues}
        n = {q: erlang_requirement(calls[q], float(wide.at[t, ("aht_s", q)]), INTERVAL_S, GOAL) for q in queues}
        staffings["per-queue Erlang"].append({**{f: 0 for f in flex}, **n})
        mine = {s.name: int(ours.at[t, s.name]) for s in sets}
        staffings["by skill set"].append(mine)
        shared = sum(mine[f] for f in flex)
        staffings["counts fully"].append({**{f: mine[f] for f in flex}, **{q: max(0, n[q] - shared) for q in queues}})

    t0 = time.perf_counter()
    callers = 0
    rows = []
    for name, plan in staffings.items():
        got = {q: [] for q in queues}
        met, not_below = [], []
        for t, staff in zip(times, plan):
            calls = {q: float(wide.at[t, ("offered", q)]) for q in queues}
            aht = {q: float(wide.at[t, ("aht_s", q)]) for q in queues}
            if sum(calls.values()) <= 0:
                continue
            reps = interval_replications(calls, 4000)
            f = simulate_interval(calls, aht, sets, staff, INTERVAL_S, GOAL, seed=CHECK_SEED, replications=reps)
            callers += int(f["offered"].sum() * reps * 5 / 4)
            short = shortfall(f, calls, GOAL)
            for q in queues:
                if calls[q] > 0:
                    got[q].append((calls[q], f.at[q, "service_level"]))
                    met.append(short[q] == 0)
                    not_below.append(f.at[q, "service_level_hi"] >= GOAL.sl_target)
        heads = sum(sum(s.values()) for s in plan)
        sl = {q: sum(c * v for c, v in got[q]) / sum(c for c, _ in got[q]) for q in queues}
        rows.append((name, heads * INTERVAL_S / 3600, sl, float(np.mean(met)), float(np.mean(not_below))))
    check_s = time.perf_counter() - t0

    base_h = rows[0][1]
    print(f"\n{'staffing':<18}{'agent-h':>10}{'saved':>9}" + "".join(f"{'SL ' + q:>12}" for q in queues)
          + f"{'goal met':>11}{'not below':>11}")
    for name, h, sl, met, nb in rows:
        print(f"{name:<18}{h:>10.1f}{(base_h - h) / base_h:>9.1%}" + "".join(f"{sl[q]:>12.1%}" for q in queues)
              + f"{met:>11.1%}{nb:>11.1%}")
    print("(agent-h: agents on the phone; SL: call-weighted, in the independent check; goal met: share of\n"
          " queue-intervals whose estimate is 80 % in 20 s or better; not below: share whose 95 % interval\n"
          " reaches 80 %, i.e. not significantly below the goal)")
    print(f"search: {search_s:.1f} s for {len(times)} intervals ({search_s / len(times):.2f} s an interval); "
          f"check: {callers / check_s / 1e6:.2f} million simulated callers a second")

    day = times[times < first + pd.Timedelta(days=1)]
    arr = {q: wide.loc[day, ("offered", q)].to_numpy() for q in queues}
    aht = {q: wide.loc[day, ("aht_s", q)].to_numpy() for q in queues}
    staff = {s.name: ours.loc[day, s.name].to_numpy().astype(int) for s in sets}
    rate = float(agents["hourly_rate"].mean())
    print(f"\ncall-back what-if, {first:%a %d %b} (returned within 30 min; cost at {rate:.2f} an hour):")
    for threshold, take in ((60, 0.5), (30, 0.5), (30, 0.7)):
        t0 = time.perf_counter()
        w = callback_whatif(arr, aht, sets, staff, INTERVAL_S, CallBack(threshold, take, 1800), GOAL, peaks=8,
                            seed=SEARCH_SEED, replications=30)
        by_cb = int(w.removed.sum() - w.removed_without.sum())
        saved_h = by_cb * INTERVAL_S / 3600
        peak = [f"{t:%H:%M} -{int(r)}" for t, r in zip(day, w.removed) if r > 0]
        print(f"  offered above {threshold} s, {take:.0%} accept: {int(w.removed.sum())} agent-intervals off the 8 "
              f"busiest with call-backs ({', '.join(peak) or 'none'}), {int(w.removed_without.sum())} without; saved "
              f"by call-backs {by_cb} = {saved_h:.2f} on-phone agent-h = {saved_h * rate:,.0f}; call-backs "
              f"{w.after_total['callback_share']:.1%} of calls; day's SL {w.before_total['service_level']:.1%}"
              f" without -> {w.after_total['service_level']:.1%} with, on the cut staff "
              f"({w.evaluations} day simulations, {time.perf_counter() - t0:.1f} s)")

if __name__ == "__main__":
    main()

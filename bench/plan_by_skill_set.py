"""A whole plan by skill set against the plan by queue, on the demo centre's forecast and agents.

The demo centre has two queues (sales, service) and 128 agents: 44 sales, 72 service and 12 trained on both.
For the first ``--days`` days of the demo forecast, :func:`wfm.plan.plan` runs twice with the demo config:
``staffing.multiskill.plan: queue`` (each queue sized alone with Erlang C, shifts and roster per queue) and
``skill_set`` (head counts per skill set sized together by simulation, shifts and roster per skill set).
Each roster is then simulated again as the ACD would route it (each agent in her own skill set, shrinkage
off per set, rounded down) with seeds neither plan used, 20 replications a day. Printed per plan: the time
it took, scheduled paid hours and their cost, agent-hours the scheduler was asked for, and the simulated
service per queue with its 99 % interval.

Run after ``make demo`` (it reads ``forecasts/demo/forecast.csv``):
``.venv/bin/python bench/plan_by_skill_set.py [--days 7] [--workers 2]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from importlib import resources
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from wfm import parallel  # noqa: E402
from wfm.agents import load_agents  # noqa: E402
from wfm.config import parse_config  # noqa: E402
from wfm.multiskill import simulate_centre  # noqa: E402
from wfm.multiskill.roster import roster_days  # noqa: E402
from wfm.plan import plan  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FORECAST = ROOT / "forecasts" / "demo" / "forecast.csv"
AGENTS = ROOT / "wfm" / "data" / "demo_agents.csv"


def config(mode: str):
    with resources.as_file(resources.files("wfm").joinpath("data", "demo.yaml")) as p:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    data["staffing"]["multiskill"] = {"plan": mode}
    return parse_config(data)


def check(p, seed_key: str):
    """The plan's roster simulated with the skill mix and seeds of its own: figures per queue."""
    cfg = p.cfg
    frame = p.service.frame
    days = roster_days(frame, p.tables.roster, p.tables.agents, cfg.interval_minutes,
                       float(cfg.staffing.total_shrinkage), need_mix=False)
    tot: dict = {}
    for day, arrivals, aht, staff in days.days:
        seed = int.from_bytes(hashlib.sha256(f"{seed_key}|{day:%Y-%m-%d}".encode()).digest()[:8], "big")
        r = simulate_centre(arrivals, aht, days.sets, staff, cfg.interval_minutes * 60.0, float(cfg.staffing.sl_seconds),
                            patience_s=days.patience, routing=cfg.staffing.multiskill.routing, seed=seed,
                            replications=20, level=0.99)
        for j, q in enumerate(r.queues):
            t = tot.setdefault(q, {"met": np.zeros(20), "offered": np.zeros(20)})
            t["met"] += r.answered_within[:, j, :].sum(axis=1)
            t["offered"] += r.offered[:, j, :].sum(axis=1)
    out = {}
    from scipy import stats

    for q, t in tot.items():
        est = t["met"].sum() / t["offered"].sum()
        d = t["met"] - est * t["offered"]
        se = np.sqrt((d * d).sum() / 19 / 20) / (t["offered"].sum() / 20)
        half = float(stats.t.ppf(0.995, 19)) * se
        out[q] = (est, est - half, est + half)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--workers", type=int, default=None)
    a = ap.parse_args()
    if not FORECAST.exists():
        sys.exit(f"{FORECAST.relative_to(ROOT)} not found: run `make demo` first")
    fc = pd.read_csv(FORECAST, parse_dates=["interval_start"])
    first = fc["interval_start"].min().normalize()
    fc = fc[fc["interval_start"] < first + pd.Timedelta(days=a.days)].reset_index(drop=True)
    agents = load_agents(AGENTS)
    print(f"Demo forecast, {a.days} days from {first:%Y-%m-%d}: {fc['offered'].sum():,.0f} calls; "
          f"{len(agents)} agents; workers: {a.workers or 'serial'}")
    rows = []
    with parallel.open_backend(a.workers, None) as be:
        for mode in ("queue", "skill_set"):
            t0 = time.perf_counter()
            p = plan(fc, agents, config(mode), backend=be)
            secs = time.perf_counter() - t0
            ih = p.cfg.interval_minutes / 60.0
            asked = (p.tables.skill_sets if p.tables.skill_sets is not None else p.requirements)
            sl = check(p, f"bench-check-{mode}")
            rows.append({"plan": mode, "seconds": secs, "paid_h": float(p.tables.roster["paid_hours"].sum()),
                         "cost": float(p.costs.summary["total_cost"]),
                         "asked_h": float(asked["scheduled_required"].sum() * ih), "shifts": len(p.tables.roster),
                         **{f"sl_{q}": v for q, v in sl.items()}})
    base = rows[0]
    print("| plan | time | agent-h asked of the scheduler | rostered shifts | paid hours | cost (CNY) | saved | "
          + " | ".join(f"SL {q} (99 % interval)" for q in sorted(k[3:] for k in base if k.startswith("sl_"))) + " |")
    print("|---|---|---|---|---|---|---|" + "---|" * sum(k.startswith("sl_") for k in base))
    for r in rows:
        saved = 1 - r["cost"] / base["cost"] if r is not base else None
        sls = " | ".join(f"{v[0]:.1%} ({v[1]:.1%}–{v[2]:.1%})" for k, v in sorted(r.items()) if k.startswith("sl_"))
        print(f"| by {r['plan'].replace('_', ' ')} | {r['seconds']:.0f} s | {r['asked_h']:,.1f} | {r['shifts']} | "
              f"{r['paid_h']:,.1f} | {r['cost']:,.0f} | {'–' if saved is None else f'{saved:.1%}'} | {sls} |")


if __name__ == "__main__":
    main()

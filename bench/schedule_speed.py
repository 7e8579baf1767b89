"""Speed and quality of the shift scheduler (wfm.scheduling.schedule).

1. One week of 15-minute intervals, 24/7, a double-peak weekday demand peaking at ``--peak`` agents
   (weekends at 60 %), the demo templates (FT9 with 5 explicit break starts, PT4): one model, HiGHS and CBC.
2. The same week with a catalog of 300 templates (six lengths x 48 fixed starts + 12 more; 30- or 60-minute
   breaks), HiGHS and CBC. Target: within 1 % gap in under 60 s.
3. Four weeks of the same center with weekly tours (schedule.tours: 5 days on, two consecutive days off,
   same start all week, a break per working day), mip_gap 2 %, ``--tour-time-limit`` for the queue.
   Target: within 2 % gap in under 5 minutes.
4. The demo's size: 28 days x 2 queues from the demo history (forecast, then Erlang C staffing), HiGHS, one
   model per queue against rolling 7-day windows (the default for horizons over a week); schedule
   efficiency (target < 1.10); and the demo with tours switched on.

For each run: variables, constraints, solver, status, seconds, gap to the solver's best bound (or to the
whole-horizon LP relaxation for rolling windows), efficiency (scheduled on-phone agent-hours / required
agent-hours, i.e. after breaks). mip_gap 1 % unless said, time limit ``--time-limit`` per queue.

Run: .venv/bin/python bench/schedule_speed.py [--peak 60] [--time-limit 60] [--tour-time-limit 240]
     [--skip-cbc] [--skip-big] [--skip-tours] [--skip-demo]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from wfm.config import load_config, parse_config
from wfm.scheduling import schedule


def week_requirement(peak: float, start: str = "2026-03-09", days: int = 7, queue: str = "sales") -> pd.DataFrame:
    """24/7 demand: a night floor, a morning and an afternoon peak; weekends at 60 %."""
    ts = pd.date_range(start, periods=days * 96, freq="15min")
    h = (ts.hour + ts.minute / 60).to_numpy()
    shape = 0.08 + np.exp(-(((h - 10.5) / 2.0) ** 2)) + 0.85 * np.exp(-(((h - 15.5) / 2.2) ** 2))
    shape = shape / shape.max()
    day = np.where(ts.day_of_week >= 5, 0.6, 1.0)
    need = np.ceil(peak * shape * day).astype(int)
    return pd.DataFrame({"queue": queue, "interval_start": ts, "scheduled_required": need})


def config_with(**schedule):
    data = load_config(None).model_dump(by_alias=True, mode="json")
    data["schedule"].update(schedule)
    return parse_config(data)


def big_catalog() -> list[dict]:
    """300 templates: lengths 4, 5, 6, 8, 9, 10 h at each of 48 fixed starts, and 7 h at 12 starts."""
    out = []
    for length in (4, 5, 6, 8, 9, 10, 7):
        starts = range(0, 48) if length != 7 else range(14, 38, 2)
        for s in starts:
            t = {"name": f"L{length}-{s * 30 // 60:02d}{s * 30 % 60:02d}", "length_h": length,
                 "start_min_h": s / 2, "start_max_h": s / 2}
            if length >= 8:
                t["break"] = {"minutes": 60, "paid": False, "earliest_start_h": 3.0, "latest_start_h": 5.0}
            elif length >= 6:
                t["break"] = {"minutes": 30, "paid": True, "earliest_start_h": 2.0, "latest_start_h": 4.0}
            out.append(t)
    return out


def report(label: str, res, seconds: float) -> None:
    s = res.summary
    for q in s["queues"]:
        gap = "n/a" if q["gap"] is None else f"{q['gap']:.2%}"
        print(f"{label:<34} {q['queue']:<8} vars {q['variables']:>6} cons {q['constraints']:>5} "
              f"{q['solver']:<5} {q['runtime_s']:>6.1f} s  gap {gap:>6} ({q['bound_source']})  "
              f"eff {q['efficiency']:.3f}  shifts {q['shifts']}" + (f" tours {q['tours']['agents']}" if q.get('tours') else "")
              + f"  status: {q['status']}")
    print(f"{'':<34} total wall {seconds:.1f} s, objective {s['objective']:.0f} base paid h, "
          f"under-covered agent-intervals {s['under_covered_agent_intervals']}")


def target(label: str, res, seconds: float, gap: float, limit_s: float) -> None:
    g = res.summary["gap"]
    ok = g is not None and g <= gap + 1e-12 and seconds < limit_s
    print(f"{'':<34} target {gap:.0%} gap in < {limit_s:.0f} s: {'met' if ok else 'NOT met'} "
          f"(gap {'n/a' if g is None else f'{g:.2%}'}, {seconds:.0f} s wall)")


def timed(req, cfg, **kw):
    t0 = time.perf_counter()
    res = schedule(req, cfg, **kw)
    return res, time.perf_counter() - t0


def demo_requirement() -> pd.DataFrame:
    from wfm.demo import demo_history
    from wfm.forecast import forecast_from_config
    from wfm.history import validate_history
    from wfm.staffing import requirements

    cfg = load_config(None)
    fc = forecast_from_config(validate_history(demo_history()), cfg)
    return requirements(fc, cfg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peak", type=float, default=60)
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--skip-cbc", action="store_true")
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument("--skip-tours", action="store_true")
    ap.add_argument("--tour-time-limit", type=float, default=240)
    a = ap.parse_args()
    tours = {"enabled": True, "days_on": 5, "consecutive_days_off": "required"}

    req = week_requirement(a.peak)
    print(f"1 week, 15-min intervals, peak {req['scheduled_required'].max()} agents, "
          f"{req['scheduled_required'].sum() / 4:.0f} required agent-hours")
    for solver in ("highs",) + (() if a.skip_cbc else ("cbc",)):
        res, secs = timed(req, config_with(solver=solver, time_limit_s=a.time_limit, mip_gap=0.01))
        report(f"demo templates, {solver}", res, secs)

    if not a.skip_big:
        for solver in ("highs",) + (() if a.skip_cbc else ("cbc",)):
            cfg = config_with(templates=big_catalog(), time_limit_s=a.time_limit, mip_gap=0.01, solver=solver)
            res, secs = timed(req, cfg)
            report(f"{len(cfg.schedule.templates)} templates, {solver}", res, secs)
            target(f"{len(cfg.schedule.templates)} templates, {solver}", res, secs, 0.01, 60)

    if not a.skip_tours:
        req4 = week_requirement(a.peak, days=28)
        print(f"\n4 weeks, peak {req4['scheduled_required'].max()} agents, tours 5 on / 2 consecutive off, "
              f"{req4['scheduled_required'].sum() / 4:.0f} required agent-hours")
        cfg = config_with(tours=tours, time_limit_s=a.tour_time_limit, mip_gap=0.02)
        res, secs = timed(req4, cfg)
        report("4 weeks, tours, highs", res, secs)
        target("4 weeks, tours, highs", res, secs, 0.02, 300)

    if not a.skip_demo:
        t0 = time.perf_counter()
        dreq = demo_requirement()
        print(f"\ndemo requirement: {dreq['interval_start'].dt.normalize().nunique()} days x "
              f"{dreq['queue'].nunique()} queues, peak {dreq['scheduled_required'].max()} agents "
              f"(forecast + staffing {time.perf_counter() - t0:.1f} s)")
        cfg = config_with(time_limit_s=a.time_limit, mip_gap=0.01)
        res, secs = timed(dreq, cfg, window_days=None)
        report("4 weeks, one model per queue", res, secs)
        res, secs = timed(dreq, cfg)
        report("4 weeks, rolling 7-day windows", res, secs)
        eff = res.summary["efficiency"]
        print(f"{'':<34} demo schedule efficiency {eff:.3f} (scheduled / required agent-hours after breaks; "
              f"target < 1.10: {'met' if eff < 1.10 else 'NOT met'})")
        if not a.skip_tours:
            cfg = config_with(tours=tours, time_limit_s=a.tour_time_limit / 2, mip_gap=0.02)
            res, secs = timed(dreq, cfg)
            report("demo, 4 weeks, tours", res, secs)
            target("demo, 4 weeks, tours", res, secs, 0.02, 300)


if __name__ == "__main__":
    main()

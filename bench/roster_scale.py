"""Scale of the roster: 200 named agents, 2 queues, 4 weeks containing China's National Day holidays.

The shifts come from the real pipeline: the demo history's volume scaled up (``--scale``), forecast,
Erlang staffing and the shift scheduler (with the agents' contract capacity), so that the schedule needs
about as many agents as the list holds. Then :func:`wfm.roster.build_roster` assigns the 200 agents (with
the demo's kinds of availability, leave, preferences and seniority) and the independent validator
(:func:`wfm.validate.validate_roster`) re-checks every hard rule.

Printed: agents, shifts, weeks and their solver status and gap, roster seconds (the timed part), the
scheduling seconds (context), hard-rule violations, holiday seats below the guaranteed minimum, holiday
spread (max - min holiday shifts among agents eligible for one, this horizon), unfilled seats, contracted
hours short, preference figures.

Run: .venv/bin/python bench/roster_scale.py [--agents 200] [--scale 1.8] [--time-limit 60] [--shifts F] [--save-shifts F]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from wfm.agents import agents_from_frame
from wfm.calendar import holiday_dates
from wfm.config import load_config
from wfm.demo import demo_agents, demo_history
from wfm.forecast import forecast_from_config
from wfm.history import validate_history
from wfm.roster import build_roster
from wfm.scheduling import schedule
from wfm.staffing import requirements
from wfm.validate import validate_roster


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--scale", type=float, default=1.8,
                    help="volume multiple of the demo history: 1.8 makes the schedule hold the 200 agents' contracted hours")
    ap.add_argument("--time-limit", type=float, default=60, help="roster solver limit per week [s]")
    ap.add_argument("--shifts", help="reuse a shifts CSV written by --save-shifts (skips forecast and schedule)")
    ap.add_argument("--save-shifts", help="write the scheduled shifts to this CSV")
    args = ap.parse_args()

    cfg = load_config(None)
    cfg = cfg.model_copy(update={"roster": cfg.roster.model_copy(update={"time_limit_s": args.time_limit})})
    n = args.agents
    n_both = round(n * 12 / 128)
    n_sales = round(n * 44 / 128)
    ag = agents_from_frame(demo_agents(n_sales=n_sales, n_service=n - n_sales - n_both, n_both=n_both))

    t0 = time.perf_counter()
    if args.shifts:
        shifts = pd.read_csv(args.shifts, parse_dates=["date", "start", "end", "break_start", "break_end"])
        t1 = t2 = time.perf_counter()
    else:
        h = validate_history(demo_history())
        frame = h.frame.copy()
        for c in ("offered", "handled", "abandoned"):
            if c in frame:
                frame[c] = np.round(frame[c] * args.scale)
        h = validate_history(frame)
        fc = forecast_from_config(h, cfg)
        req = requirements(fc, cfg)
        t1 = time.perf_counter()
        shifts = schedule(req, cfg, agents=ag).shifts
        t2 = time.perf_counter()
        if args.save_shifts:
            shifts.to_csv(args.save_shifts, index=False)
    res = build_roster(shifts, ag, cfg)
    t3 = time.perf_counter()
    viol = validate_roster(res.roster, ag, cfg, shifts)
    s = res.summary

    days = pd.to_datetime(shifts["date"])
    hol = holiday_dates(days.min(), days.max(), cfg.site.country, cfg.site.subdivision)
    print(f"agents {len(ag)} ({(ag['contract'] == 'part_time').sum()} part-time), queues "
          f"{sorted(shifts['queue'].unique())}, horizon {days.min().date()}..{days.max().date()} with "
          f"{len(hol)} public holidays, shift seats {int(shifts['count'].sum())} "
          f"({int(shifts.loc[days.isin(hol), 'count'].sum())} on holidays)")
    print(f"forecast + staffing {t1 - t0:.1f} s; schedule {t2 - t1:.1f} s (context, not timed here)")
    print(f"roster: {t3 - t2:.1f} s for {len(s['weeks'])} weeks (target < 300 s)")
    for w in s["weeks"]:
        gap = "n/a" if w.get("gap") is None else f"{w['gap']:.2%}"
        print(f"  week {w['week_start']}: {w['solver']} {w['status']}, {w['seconds']:.1f} s, "
              f"{w['agent_shift_pairs']} agent-shift pairs, gap {gap}")
    print(f"hard-rule violations (validator): {len(viol)}")
    for v in viol[:10]:
        print("   ", v)
    print(f"holiday seats below the guaranteed minimum: {s['holiday_unfilled_below_share']}")
    print(f"holiday spread among {s['holiday_eligible_agents']} eligible agents: {s['holiday_spread']} (target <= 1 "
          f"where the numbers allow); by contract: {s['holiday_spread_by_contract']}")
    summ = res.agent_summary.merge(ag[["agent_id", "contract", "availability"]], on="agent_id")
    summ["restricted"] = summ["availability"] != ""
    print("holiday shifts per agent (min-max) by contract and availability restriction:")
    for (c, r), g in summ.groupby(["contract", "restricted"]):
        print(f"  {c:9s} {'restricted' if r else 'any time  '}: {len(g):3d} agents, "
              f"{g['holiday_shifts'].min()}-{g['holiday_shifts'].max()}")
    print(f"unfilled seats: {s['unfilled_shifts']} of {s['required_shifts']}; agents short of contracted hours: "
          f"{s['agents_short_of_min_hours']} ({s['min_hours_shortfall_h']:.1f} h)")
    print(f"weekend spread {s['weekend_spread']}; shifts on a preferred day off {s['preferred_days_off_worked']}; "
          f"mean distance from preferred start {s['mean_start_deviation_h']} h; overtime {s['overtime_hours']:.1f} h")
    st = res.agent_summary
    print(f"distinct start times per agent and 4 weeks: mean {st.loc[st['shifts'] > 0, 'start_times'].mean():.2f}")


if __name__ == "__main__":
    main()

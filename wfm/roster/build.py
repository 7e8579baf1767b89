"""The roster stage as a chain of steps: check the inputs, prepare the shifts and agents, roster each ISO
week in date order (LP relaxation, greedy start, MIP, repair, start-time swaps), collect the outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import mip
from ..agents import agents_from_frame, ledger_from_frame
from ..calendar import day_calendar, week_working_share
from ..errors import SolverError
from .greedy import WeekRules, feasible_part, greedy_week, stabilise
from .model import Carry, Week, WeekModel, build_week_model
from .people import AgentArrays, agent_arrays, eligible_for
from .results import RosterResult, roster_result
from .shifts import Shifts, prepare_shifts


def plan_weeks(sh: Shifts, ags: AgentArrays, cfg) -> list[Week]:
    """The ISO weeks of the horizon with each agent's hours owed: contracted minimum x the week's share
    of working days (:func:`wfm.calendar.week_working_share`) x its days inside the horizon / 7; leave on
    working days is paid time off and lowers the hours owed like a public day off does."""
    if not sh.n:
        return []
    s, site = sh.frame, cfg.site
    starts = sorted(s["_week"].unique())
    share = week_working_share(starts, site.country, site.subdivision)
    wcal = day_calendar(pd.date_range(pd.Timestamp(starts[0]), pd.Timestamp(starts[-1]) + pd.Timedelta(days=6)),
                        site.country, site.subdivision)
    workdays = set(wcal.loc[wcal["day_type"] == "workday", "date"])
    h0, h1 = sh.first_day, sh.last_day
    week_of = s["_week"].to_numpy()
    out = []
    for i, wk in enumerate(starts):
        wk = pd.Timestamp(wk)
        days = [wk + pd.Timedelta(days=k) for k in range(7)]
        days_in = sum(1 for d in days if h0 <= d <= h1)
        need = ags.min_h * (days_in / 7.0 * float(share.get(wk, 1.0)))
        n_wd = sum(1 for d in days if d in workdays)
        for a in range(ags.n):
            if ags.leave[a]:
                lwd = sum(1 for d in days if d in ags.leave[a] and d in workdays and h0 <= d <= h1)
                if lwd:
                    share_all, share_a = min(1.0, n_wd / 5.0), min(1.0, max(0, n_wd - lwd) / 5.0)
                    need[a] *= share_a / share_all if share_all > 0 else 0.0
        out.append(Week(index=i, start=wk, rows=np.flatnonzero(week_of == np.datetime64(wk)),
                        day0=int((wk - sh.epoch) // pd.Timedelta(days=1)), days_in=days_in, need=need))
    return out


def _lp_guide(m: WeekModel, cfg) -> tuple[dict | None, float, float]:
    """Solve the LP relaxation (at most a quarter of ``roster.time_limit_s``). Returns its x values (the
    guide for the greedy start), a lower bound on the coverage cost of any roster (the LP's coverage
    cost; the other terms are >= 0) and the run time [s]."""
    limit = max(1.0, float(cfg.roster.time_limit_s) / 4)
    try:
        rep, vals = mip.solve_arrays(m.c, m.A, m.row_lo, m.row_hi, m.col_lo, m.col_hi, m.integer,
                                     time_limit_s=limit, mip_gap=float(cfg.roster.mip_gap), relax=True)
    except Exception:  # noqa: BLE001 - no guide then: the greedy start and the MIP do without it
        return None, 0.0, 0.0
    if not rep.optimal or vals is None:
        return None, 0.0, rep.runtime_s
    cover = float(sum(c * float(v) for v, c in zip(vals[m.cover_cols], m.cover_cost)))
    return {k: float(vals[j]) for k, j in m.x.items()}, max(0.0, cover * (1 - 1e-9) - 1e-6), rep.runtime_s


def _solve_mip(m: WeekModel, start: set, cfg, limit: float, offset: float) -> tuple[dict, set]:
    """The week's MIP from the start ``start``; returns the week's report (``summary['weeks']``) and
    the assignment."""
    init = np.full(m.n_vars, np.nan)
    for k, j in m.x.items():
        init[j] = 1.0 if k in start else 0.0
    rep, vals = mip.solve_arrays(m.c, m.A, m.row_lo, m.row_hi, m.col_lo, m.col_hi, m.integer, time_limit_s=limit,
                                 mip_gap=float(cfg.roster.mip_gap), start=init, offset=offset)
    info = {"solver": rep.solver, "seconds": rep.runtime_s, "status": rep.status, "proven_optimal": rep.optimal,
            "objective": rep.objective, "best_bound": rep.bound, "gap": rep.gap, "has_solution": rep.has_solution}
    if rep.solver == "HiGHS" and rep.has_solution:
        info["gap_above_coverage_bound"] = rep.gap_above_offset
        info["coverage_bound"] = float(offset)
    pairs = {k for k, j in m.x.items() if vals is not None and vals[j] > 0.5}
    return info, pairs


def _carry_week(carry: Carry, pairs: list, sh: Shifts, ags: AgentArrays, wk: Week, m: WeekModel) -> None:
    week_hours = np.zeros(ags.n)
    for a, g in pairs:
        carry.assigned.append((a, g))
        week_hours[a] += sh.paid[g]
        carry.last_end[a] = max(carry.last_end[a], sh.end_t[g])
        carry.worked_days[a].add(int(sh.day_idx[g]))
        if sh.is_hol[g]:
            carry.hol_so_far[a] += 1
        if sh.weekend[g]:
            carry.wkd_so_far[a] += 1
    for a in range(ags.n):
        owed = wk.need[a]
        carry.shortfall[a] += max(0.0, owed - week_hours[a]) if m.by_agent[a] else owed


def roster_week(sh: Shifts, ags: AgentArrays, wk: Week, carry: Carry, cfg, seed=None,
                nxt: Week | None = None) -> dict:
    """Roster one week and carry its state on; returns the week's solver report. ``seed``: (agent,
    shift) pairs of a base roster; those that still fit make the greedy start. ``nxt``: the next week,
    whose contracted hours the consecutive-days limit looks ahead to."""
    rcfg = cfg.roster
    m = build_week_model(sh, ags, wk, carry, cfg, nxt)
    rules = WeekRules.of(wk, m, carry.worked_days, int(rcfg.max_consecutive_days))
    lp, offset, lp_secs = _lp_guide(m, cfg)
    if seed:
        start = greedy_week(sh, ags, rules, lp, initial=feasible_part(sh, ags, rules, seed))
    else:
        start = greedy_week(sh, ags, rules, lp)
    info, pairs = _solve_mip(m, start, cfg, max(1.0, float(rcfg.time_limit_s) - lp_secs), offset)
    info["seconds"] = round(info["seconds"] + lp_secs, 2)
    if not info["has_solution"]:
        raise SolverError(
            f"the roster solver found no assignment for the week from {wk.start.date()} within "
            f"{rcfg.time_limit_s:g} s (status: {info['status']}); raise roster.time_limit_s")
    info.update({"week_start": str(wk.start.date()), "variables": m.n_vars, "constraints": m.n_cons,
                 "agent_shift_pairs": len(m.x)})
    # A MIP stopped at its gap (or time limit) may leave a contracted hour short that a move would fix.
    pairs = sorted(greedy_week(sh, ags, rules, None, initial=sorted(pairs)))
    pairs, info["stability_swaps"] = stabilise(pairs, m.x, ags.pref, sh, float(rcfg.weights.stable_start))
    _carry_week(carry, pairs, sh, ags, wk, m)
    return info


def seed_pairs(start: pd.DataFrame | None, sh: Shifts, ags: AgentArrays) -> set[tuple[int, int]]:
    """(agent, shift) index pairs of a base roster (``agent_id, shift_id`` as in roster.csv) whose agent
    and shift are still in this plan."""
    if start is None or not len(start) or not {"agent_id", "shift_id"} <= set(start.columns):
        return set()
    a_of = {a: i for i, a in enumerate(ags.ids)}
    g_of = {g: i for i, g in enumerate(sh.frame["shift_id"])}
    return {(a_of[a], g_of[g]) for a, g in zip(start["agent_id"].astype(str), start["shift_id"].astype(str))
            if a in a_of and g in g_of}


def build_roster(shifts: pd.DataFrame, agents: pd.DataFrame, cfg, ledger: pd.DataFrame | None = None,
                 progress=None, start: pd.DataFrame | None = None) -> RosterResult:
    """Assign agents to shifts, one ISO week at a time (see :mod:`wfm.roster` for the model).

    ``shifts``: ``shift_id, queue, date, template, start, end, break_start, break_end, paid_hours, count``.
    ``agents``: as from :func:`wfm.agents.load_agents` (a raw frame is validated too). ``ledger``:
    ``agent_id, holiday_shifts`` of holiday shifts worked before this horizon. ``progress(message)`` is
    called as each week starts. ``start``: a base run's roster (``agent_id, shift_id``, as roster.csv)
    whose assignments that still fit seed each week's MIP start (re-planning). Raises SolverError only
    when the solver returns no assignment at all.
    """
    ag = agents_from_frame(agents, source="agents")
    led = ledger_from_frame(ledger if ledger is not None and len(ledger.columns) else None)
    sh = prepare_shifts(shifts, cfg)
    ags = agent_arrays(ag, led, sh, cfg)
    seed = seed_pairs(start, sh, ags)
    carry = Carry.empty(ags.n)
    weeks = plan_weeks(sh, ags, cfg)
    weeks_info = []
    for wk in weeks:
        if progress:
            progress(f"roster week {wk.index + 1}/{len(weeks)} (from {wk.start.date()})")
        nxt = weeks[wk.index + 1] if wk.index + 1 < len(weeks) else None
        weeks_info.append(roster_week(sh, ags, wk, carry, cfg, seed, nxt))
    return roster_result(sh.frame, ag, led, carry.assigned, carry.shortfall, weeks_info, cfg,
                         eligible_for(ags, sh.is_hol), eligible_for(ags, sh.weekend))

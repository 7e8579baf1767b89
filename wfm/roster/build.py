"""The roster stage as a chain of steps: check the inputs, prepare the shifts and agents, roster each ISO
week in date order (LP relaxation, greedy start, MIP, repair, start-time swaps), collect the outputs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import mip
from ..agents import agents_from_frame, ledger_from_frame
from ..calendar import day_calendar, week_working_share
from ..errors import SolverError
from .greedy import WeekRules, greedy_week, stabilise
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


@dataclass(frozen=True)
class LpGuide:
    """A week's LP relaxation: ``x`` its value per (agent, shift) pair (the greedy start's guide),
    ``bound`` its objective (a lower bound on any roster of the week), ``cover_bound`` the coverage part of
    it (the other terms are >= 0: the MIP's gap is measured above it), ``seconds`` its run time."""

    x: dict
    bound: float
    cover_bound: float
    seconds: float


def _lp_guide(m: WeekModel, cfg) -> LpGuide | None:
    """Solve the LP relaxation (at most a quarter of ``roster.time_limit_s``); None when it is not solved
    (the greedy start and the MIP then do without it)."""
    limit = max(1.0, float(cfg.roster.time_limit_s) / 4)
    try:
        rep, vals = mip.solve_arrays(m.c, m.A, m.row_lo, m.row_hi, m.col_lo, m.col_hi, m.integer,
                                     time_limit_s=limit, mip_gap=float(cfg.roster.mip_gap), relax=True)
    except Exception:  # noqa: BLE001 - no guide then: the greedy start and the MIP do without it
        return None
    if not rep.optimal or vals is None:
        return None
    cover = float(sum(c * float(v) for v, c in zip(vals[m.cover_cols], m.cover_cost)))
    return LpGuide(x={k: float(vals[j]) for k, j in m.x.items()}, bound=float(rep.objective),
                   cover_bound=max(0.0, cover * (1 - 1e-9) - 1e-6), seconds=rep.runtime_s)


def _start_within_gap(m: WeekModel, start: set, cfg, guide: LpGuide) -> dict | None:
    """The week's report when the greedy start is already within ``roster.mip_gap`` of the LP bound (the
    gap measured above the coverage bound, as the MIP measures it), so that the MIP need not run: the
    start's other columns (hours short, spreads) are completed by the LP with the assignments fixed.
    None otherwise. ``proven_optimal`` means, as for the MIP's status, within the gap asked. On the demo
    the MIP stopped at its root on such starts and returned the start."""
    lo, hi = np.array(m.col_lo, dtype=float), np.array(m.col_hi, dtype=float)
    for k, j in m.x.items():
        lo[j] = hi[j] = 1.0 if k in start else 0.0
    try:
        rep, _ = mip.solve_arrays(m.c, m.A, m.row_lo, m.row_hi, lo, hi, m.integer, relax=True,
                                  time_limit_s=max(1.0, float(cfg.roster.time_limit_s) / 4))
    except Exception:  # noqa: BLE001 - the MIP then runs as usual
        return None
    if not rep.optimal or rep.objective is None:
        return None
    off = guide.cover_bound
    g = mip.relative_gap(rep.objective - off, guide.bound - off)
    if g is None or g > float(cfg.roster.mip_gap) + 1e-12:
        return None
    bound = min(guide.bound, rep.objective)
    return {"solver": rep.solver, "seconds": rep.runtime_s, "status": "Optimal (start within the gap of the LP bound)",
            "proven_optimal": True, "objective": rep.objective, "best_bound": bound,
            "gap": mip.relative_gap(rep.objective, bound), "has_solution": True,
            "gap_above_coverage_bound": g, "coverage_bound": float(off)}


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


def roster_week(sh: Shifts, ags: AgentArrays, wk: Week, carry: Carry, cfg, nxt: Week | None = None) -> dict:
    """Roster one week and carry its state on; returns the week's solver report. ``nxt``: the next week,
    whose contracted hours the consecutive-days limit looks ahead to."""
    rcfg = cfg.roster
    m = build_week_model(sh, ags, wk, carry, cfg, nxt)
    rules = WeekRules.of(wk, m, carry.worked_days, int(rcfg.max_consecutive_days))
    guide = _lp_guide(m, cfg)
    lp_secs = guide.seconds if guide is not None else 0.0
    start = greedy_week(sh, ags, rules, None if guide is None else guide.x)
    info = _start_within_gap(m, start, cfg, guide) if guide is not None else None
    if info is not None:
        pairs = set(start)
    else:
        info, pairs = _solve_mip(m, start, cfg, max(1.0, float(rcfg.time_limit_s) - lp_secs),
                                 0.0 if guide is None else guide.cover_bound)
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


def build_roster(shifts: pd.DataFrame, agents: pd.DataFrame, cfg, ledger: pd.DataFrame | None = None,
                 progress=None) -> RosterResult:
    """Assign agents to shifts, one ISO week at a time (see :mod:`wfm.roster` for the model).

    ``shifts``: ``shift_id, queue, date, template, start, end, break_start, break_end, paid_hours, count``.
    ``agents``: as from :func:`wfm.agents.load_agents` (a raw frame is validated too). ``ledger``:
    ``agent_id, holiday_shifts`` of holiday shifts worked before this horizon. ``progress(message)`` is
    called as each week starts. Raises SolverError only when the solver returns no assignment at all.
    """
    ag = agents_from_frame(agents, source="agents")
    led = ledger_from_frame(ledger if ledger is not None and len(ledger.columns) else None)
    sh = prepare_shifts(shifts, cfg)
    ags = agent_arrays(ag, led, sh, cfg)
    carry = Carry.empty(ags.n)
    weeks = plan_weeks(sh, ags, cfg)
    weeks_info = []
    for wk in weeks:
        if progress:
            progress(f"roster week {wk.index + 1}/{len(weeks)} (from {wk.start.date()})")
        nxt = weeks[wk.index + 1] if wk.index + 1 < len(weeks) else None
        weeks_info.append(roster_week(sh, ags, wk, carry, cfg, nxt))
    return roster_result(sh.frame, ag, led, carry.assigned, carry.shortfall, weeks_info, cfg,
                         eligible_for(ags, sh.is_hol), eligible_for(ags, sh.weekend))

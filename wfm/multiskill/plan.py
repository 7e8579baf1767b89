"""Planning by skill set (``staffing.multiskill.plan: skill_set``): shifts and roster per skill set.

A plan by queue sizes each queue alone and rosters agents onto shifts of one queue. A plan by skill set
takes the head counts per skill set of :func:`wfm.multiskill.skill_set_plan` (sized together, by
simulation) as the scheduler's requirement, so shifts, coverage and roster are per skill set, while the
forecast, the per-queue requirement and the service stay per queue:

* :func:`skill_set_agents`: the agents as the scheduler and the roster take them: each may work a shift of
  every skill set whose queues she is trained on (her own set, and the sets of fewer of her queues);
* :func:`set_schedule_requirements`: the skill sets' head counts as the scheduler's requirement table
  (``queue`` holds the skill set);
* :func:`skill_set_service`: the service per queue and interval, the rostered agents simulated with their
  skill sets (each on the phone in her own set, whatever set her shift was for), and the skill sets'
  requirement and coverage shared out over their queues by the simulated handle time, so that the per-queue
  tables of the report add up to the skill sets' figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..scheduling import coverage_from_roster
from .roster import SkillMixService, mix_result, roster_days, simulate_days
from .simulation import SkillSet, agent_skill_sets

__all__ = ["skill_set_agents", "set_schedule_requirements", "skill_set_service", "SkillSetService",
           "SET_REQUIREMENT_COLUMNS"]

SET_REQUIREMENT_COLUMNS = ["queue", "interval_start", "required_agents", "scheduled_required", "is_holiday",
                           "erlang_per_queue", "erlang_pooled", "met", "note"]


def skill_set_agents(agents: pd.DataFrame, queues, own_only: bool = False) -> tuple[pd.DataFrame, list[SkillSet]]:
    """The agents with their ``queues`` cell replaced by the skill sets they may work (``;``-separated, their
    own set first): every set of the plan's ``queues`` whose queues they are all trained on (``own_only``:
    their own set alone, as the scheduler counts head counts, so that a set's shifts are limited by its own
    agents). An agent trained on none of them keeps her cell less any skill set's name (she works no shift
    of the plan). Returns ``(agents, skill sets)`` (:func:`wfm.multiskill.agent_skill_sets`)."""
    sets, set_of = agent_skill_sets(agents, queues)
    names = {s.name for s in sets}
    ids = agents["agent_id"].astype(str)
    cells = []
    for aid, cell in zip(ids, agents["queues"].astype(str)):
        skills = {q.strip() for q in cell.split(";") if q.strip()}
        own = set_of.get(aid)
        if own is None:
            rest = [q for q in cell.split(";") if q.strip() and q.strip() not in names]
            cells.append(";".join(rest) if rest else cell)
            continue
        others = [] if own_only else [s.name for s in sets if s.name != own and set(s.queues) <= skills]
        cells.append(";".join([own, *others]))
    out = agents.copy()
    out["queues"] = cells
    return out, sets


def set_schedule_requirements(by_set: pd.DataFrame, requirements: pd.DataFrame) -> pd.DataFrame:
    """The scheduler's requirement of a plan by skill set: ``by_set`` (:attr:`SkillSetPlan.by_set`) with
    ``queue`` = the skill set, ``required_agents`` (on the phone) and ``scheduled_required`` (with
    shrinkage) [agents], ``is_holiday`` from the per-queue ``requirements``, the interval's per-queue and
    pooled Erlang totals, ``met`` and ``note``. Sorted by skill set and interval."""
    hol = (requirements.groupby("interval_start")["is_holiday"].max() if "is_holiday" in requirements
           else pd.Series(dtype=bool))
    out = pd.DataFrame({
        "queue": by_set["skill_set"].astype(str).to_numpy(),
        "interval_start": pd.to_datetime(by_set["interval_start"]).to_numpy(),
        "required_agents": by_set["agents"].astype(int).to_numpy(),
        "scheduled_required": by_set["scheduled_required"].astype(int).to_numpy(),
    })
    out["is_holiday"] = out["interval_start"].isin(hol.index[hol.astype(bool).to_numpy()]).to_numpy()
    for c in ("erlang_per_queue", "erlang_pooled", "met", "note"):
        out[c] = by_set[c].to_numpy()
    out["note"] = out["note"].fillna("").astype(str)
    return out.sort_values(["queue", "interval_start"], kind="mergesort").reset_index(drop=True)[SET_REQUIREMENT_COLUMNS]


@dataclass(frozen=True)
class SkillSetService:
    """Result of :func:`skill_set_service`: ``frame`` (per queue and interval, the columns of
    :func:`wfm.service.service_projection`), ``parts`` (the simulated days: ``[(date, CentreSimResult)]``,
    days without calls left out), ``mix`` (:class:`SkillMixService` of the same
    simulation; None without agents on the plan's queues) and ``by_set`` (per skill set and interval:
    ``skill_set, interval_start, required, scheduled, rostered, gap``); ``shares``: rows skill sets, columns
    queues, the share of each set's rostered agent-hours counted for each queue over the horizon (its
    required agent-hours where none were rostered), to share out what a set costs."""

    frame: pd.DataFrame
    parts: list
    mix: SkillMixService | None
    by_set: pd.DataFrame
    shares: pd.DataFrame | None = None


def skill_set_service(requirements: pd.DataFrame, set_requirements: pd.DataFrame, coverage: pd.DataFrame,
                      roster: pd.DataFrame, agents: pd.DataFrame, *, interval_minutes: int, sl_seconds: float,
                      sl_target: float, shrinkage: float, patience: dict, routing: str = "priority",
                      replications: int = 10, level: float = 0.99) -> SkillSetService:
    """The service a plan by skill set gives, per queue and interval (module docstring).

    ``requirements``: the per-queue table (``queue, interval_start, offered, aht_s``); ``set_requirements``:
    :func:`set_schedule_requirements`'s (``queue`` = skill set, ``scheduled_required``); ``coverage``: the
    schedule's per skill set (``queue, interval_start, scheduled``); ``roster``: roster.csv's rows (``queue``
    = the shift's skill set); ``agents``: the agents file (each agent's own skill set); ``patience``: per
    queue ``{patience_s, max_abandon}`` (:func:`wfm.service.projection_patience`).

    Every day is simulated ``replications`` times with the rostered agents on the phone per own skill set
    (rostered less shrinkage, rounded down per set). The service columns are the simulation's, per queue and
    interval; ``below_target`` flags an interval with calls whose service level is below ``sl_target`` (or
    abandonment above the queue's cap) beyond the simulation's ``level`` bounds, since a point estimate of
    an interval sized just to its goal falls below it about half the time by chance. The skill sets'
    ``required``, ``scheduled`` and ``rostered`` agents are shared out over their queues in proportion to the
    handle time the set gave each queue in that interval (its queues' offered load where it handled none),
    so a set of one queue counts wholly for it and the queues' sums are the sets' sums.
    """
    queues = sorted(map(str, requirements["queue"].unique()))
    base = requirements[["queue", "interval_start", "offered", "aht_s"]].copy()
    base["queue"] = base["queue"].astype(str)
    base = base.sort_values(["queue", "interval_start"], kind="mergesort").reset_index(drop=True)
    pat = {q: float(patience.get(q, {}).get("patience_s", math.inf)) for q in queues}
    base["patience_s"] = base["queue"].map(pat).astype(float)
    grid = pd.DatetimeIndex(sorted(base["interval_start"].unique()))
    sets, _ = agent_skill_sets(agents, queues)
    names = [s.name for s in sets]
    step = interval_minutes * 60.0
    k_all = len(grid)

    # the skill sets' requirement and coverage on the grid (rows: sets), by the shift's skill set
    def wide(frame, col):
        f = frame[frame["queue"].astype(str).isin(names)]
        p = f.pivot_table(index="queue", columns="interval_start", values=col, aggfunc="first")
        return p.reindex(index=names, columns=grid).fillna(0.0).to_numpy(float)

    req_s = wide(set_requirements, "scheduled_required")
    sch_s = wide(coverage, "scheduled")
    iv = pd.DataFrame({"queue": np.repeat(names, k_all), "interval_start": np.tile(grid.to_numpy(), len(names))})
    ros_s = coverage_from_roster(roster, iv, interval_minutes).astype(float).reshape(len(names), k_all)

    days = roster_days(base, roster, agents, interval_minutes, shrinkage, need_mix=False)
    parts = simulate_days(days, interval_minutes, sl_seconds, routing, replications, level) if days else []
    mix = mix_result(days, parts, routing, replications, level) if days else None
    nq = len(queues)
    cols = {c: np.full((nq, k_all), np.nan) for c in ("service_level", "service_level_hi", "asa_s",
                                                        "abandon_rate", "abandon_rate_lo")}
    busy = np.zeros((len(names), nq, k_all))  # mean handle seconds per set, queue and interval
    dates = grid.normalize()
    for day, r in parts:
        sel = np.flatnonzero(dates == day)
        pos = np.round((grid[sel] - day).total_seconds().to_numpy() / step).astype(int)
        g_of = [names.index(n) for n in r.skill_sets]
        for j, q in enumerate(queues):
            jq = r.queues.index(q)
            f = r.summary_arrays(q)
            for c in cols:
                cols[c][j, sel] = np.asarray(f[c], dtype=float)[pos]
            for gi, g in enumerate(g_of):
                busy[g, j, sel] = r.busy_by_queue_s[:, gi, jq, :].mean(axis=0)[pos]
    # shares of each set's agents per queue: handle time, else the offered load of its queues, else equal
    load = (base.assign(load=base["offered"].astype(float) * base["aht_s"].fillna(0).astype(float))
            .pivot_table(index="queue", columns="interval_start", values="load", aggfunc="first")
            .reindex(index=queues, columns=grid).fillna(0.0).to_numpy(float))
    share = np.zeros((len(names), nq, k_all))
    for g, s in enumerate(sets):
        member = np.array([q in s.queues for q in queues], dtype=float)[:, None]
        b = busy[g] * member
        lo = load * member
        tb, tl = b.sum(axis=0), lo.sum(axis=0)
        eq = np.broadcast_to(member / max(member.sum(), 1.0), (nq, k_all))
        with np.errstate(invalid="ignore", divide="ignore"):
            share[g] = np.where(tb > 0, b / tb, np.where(tl > 0, lo / tl, eq))
    alloc = lambda m: np.einsum("gqt,gt->qt", share, m)  # noqa: E731

    offered = (base.pivot_table(index="queue", columns="interval_start", values="offered", aggfunc="first")
               .reindex(index=queues, columns=grid))
    present = offered.notna().to_numpy()
    off = offered.fillna(0.0).to_numpy(float)
    req_q, sch_q, ros_q = alloc(req_s), alloc(sch_s), alloc(ros_s)
    phone = ros_q * (1.0 - shrinkage)
    calls = off > 0
    sl = np.where(calls, np.nan_to_num(cols["service_level"], nan=1.0), 1.0)
    sl_hi = np.where(calls, np.nan_to_num(cols["service_level_hi"], nan=1.0), 1.0)
    asa = np.where(calls, np.nan_to_num(cols["asa_s"], nan=0.0), 0.0)
    ab = np.where(calls, np.nan_to_num(cols["abandon_rate"], nan=0.0), 0.0)
    ab_lo = np.where(calls, np.nan_to_num(cols["abandon_rate_lo"], nan=0.0), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        occ = np.where(phone > 0, busy.sum(axis=0) / (phone * step), 0.0)
    occ = np.clip(np.nan_to_num(occ), 0.0, 1.0)
    qq, tt = np.nonzero(present)
    out = pd.DataFrame({
        "queue": np.asarray(queues, dtype=object)[qq], "interval_start": grid[tt],
        "offered": off[qq, tt], "aht_s": base.set_index(["queue", "interval_start"])["aht_s"]
        .reindex(pd.MultiIndex.from_arrays([np.asarray(queues, dtype=object)[qq], grid[tt]])).to_numpy(float),
        "required": req_q[qq, tt], "scheduled": sch_q[qq, tt], "rostered": ros_q[qq, tt],
    })
    out["gap"] = out["rostered"] - out["required"]
    out["agents_on_phone"] = phone[qq, tt]
    out["service_level"], out["asa_s"], out["abandon_rate"] = sl[qq, tt], asa[qq, tt], ab[qq, tt]
    out["occupancy"] = occ[qq, tt]
    out["abandoned"] = out["offered"] * out["abandon_rate"]
    out["handled"] = out["offered"] - out["abandoned"]
    out["patience_s"] = out["queue"].map(pat).astype(float)
    cap = out["queue"].map(lambda q: patience.get(q, {}).get("max_abandon")).astype(float).to_numpy()
    with np.errstate(invalid="ignore"):
        over = np.isfinite(cap) & (ab_lo[qq, tt] > cap + 1e-12)
    out["below_target"] = calls[qq, tt] & ((sl_hi[qq, tt] < sl_target - 1e-12) | over)
    by_set = pd.DataFrame({"skill_set": np.repeat(names, k_all), "interval_start": np.tile(grid.to_numpy(), len(names)),
                           "required": req_s.ravel(), "scheduled": sch_s.ravel(), "rostered": ros_s.ravel()})
    by_set["gap"] = by_set["rostered"] - by_set["required"]
    shares = []
    for g in range(len(names)):
        w = ros_s[g] if ros_s[g].sum() > 0 else req_s[g]
        v = (share[g] * w).sum(axis=1)
        shares.append(v / v.sum() if v.sum() > 0 else share[g].mean(axis=1))
    return SkillSetService(frame=out.sort_values(["queue", "interval_start"], kind="mergesort").reset_index(drop=True),
                           parts=parts, mix=mix, by_set=by_set,
                           shares=pd.DataFrame(shares, index=names, columns=queues) if names else None)

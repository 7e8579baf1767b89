"""Per-queue service with the rostered skill mix: a plan's roster simulated as the ACD would route it.

A plan staffs each queue alone (Erlang per queue), and the roster puts each agent on a shift of one queue.
On the phones, an agent trained on several queues answers whichever of them has a caller waiting, so the
queues' service is not what the per-queue projection says: a cross-trained agent rostered for sales also
takes service calls when sales is quiet. :func:`skill_mix_service` simulates the roster that way, day by
day: each agent's skill set is the agents file's ``queues`` cell (in priority order), the agents on the
phone per skill set and interval are the rostered agents on shift and not on break less shrinkage (rounded
down per skill set, as the per-queue simulation rounds per queue), and calls arrive per queue as forecast.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..scheduling import coverage_from_roster
from .simulation import _COUNTS, CentreSimResult, _figures, agent_skill_sets, phone_agents, simulate_centre
from .staffing import callback_whatif

__all__ = ["SkillMixService", "skill_mix_service", "RosterDays", "roster_days", "simulate_days", "mix_result", "CALLBACK_COLUMNS", "callback_run"]


@dataclass(frozen=True)
class SkillMixService:
    """Result of :func:`skill_mix_service`: ``sets`` (the skill sets, priority order) with their ``agents``
    (head count in the agents file); ``by_queue`` one row per queue: ``calls`` (mean offered per replication
    of the horizon) and ``service_level, abandon_rate, asa_s`` with ``_lo``/``_hi`` bounds at ``level``;
    ``total`` the same over all queues; ``by_day`` per ``date`` and queue, ``day_total`` per date;
    ``handled_share`` rows skill sets, columns queues:
    the share of each set's calls taken from each queue; ``routing``, ``replications``, ``level``;
    ``left_out``: rostered agents not simulated (trained on none of the plan's queues)."""

    sets: list
    agents: dict
    by_queue: pd.DataFrame
    total: pd.Series
    by_day: pd.DataFrame
    day_total: pd.DataFrame
    handled_share: pd.DataFrame
    routing: str
    replications: int
    level: float
    left_out: int = 0


def _seed(date: pd.Timestamp) -> int:
    key = f"wfm-skill-mix|{pd.Timestamp(date):%Y-%m-%d}".encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


@dataclass(frozen=True)
class RosterDays:
    """A plan's days as the multi-skill simulation takes them (:func:`roster_days`): ``sets``, ``queues``,
    ``patience`` per queue [s] (None: never hangs up), ``heads`` (agents of each set in the agents file),
    ``left_out`` (rostered agents trained on none of the plan's queues, or not in the agents file: not
    simulated) and ``days``: ``(date, arrivals, aht_s, staff)`` per
    day with calls, each a mapping of per-interval arrays from midnight (queue -> calls, queue -> s, skill set
    -> agents on the phone)."""

    sets: list
    queues: list
    patience: dict
    days: list
    heads: dict
    left_out: int = 0


def roster_days(service: pd.DataFrame, roster: pd.DataFrame, agents: pd.DataFrame, interval_minutes: int,
                shrinkage: float, need_mix: bool = True) -> RosterDays | None:
    """The rostered agents on the phone per skill set and interval (on shift, not on break, less shrinkage,
    rounded down per set), and the forecast calls per queue, day by day (module docstring). None when
    ``need_mix`` and no agent is trained on two of the plan's queues."""
    queues = sorted(map(str, service["queue"].unique()))
    sets, set_of = agent_skill_sets(agents, queues)
    if need_mix and not any(len(s.queues) > 1 for s in sets):
        return None
    step = interval_minutes * 60.0
    grid = pd.DatetimeIndex(sorted(service["interval_start"].unique()))
    unit = roster["agent_id"].astype(str).map(set_of)
    left_out = int(roster.loc[unit.isna(), "agent_id"].nunique())
    iv = pd.DataFrame({"queue": np.repeat([s.name for s in sets], len(grid)),
                       "interval_start": np.tile(grid.to_numpy(), len(sets))})
    on_shift = coverage_from_roster(roster, iv, interval_minutes, units=unit).astype(float)
    phone = phone_agents(on_shift, shrinkage).reshape(len(sets), len(grid))
    wide_calls = service.pivot_table(index="interval_start", columns="queue", values="offered", aggfunc="first")
    wide_calls = wide_calls.reindex(index=grid, columns=queues).fillna(0.0)
    wide_aht = service.pivot_table(index="interval_start", columns="queue", values="aht_s", aggfunc="first")
    wide_aht = wide_aht.reindex(index=grid, columns=queues)
    pat = service.groupby("queue")["patience_s"].first().reindex(queues)
    patience = {q: (float(pat[q]) if math.isfinite(float(pat[q])) else None) for q in queues}
    dates = grid.normalize()
    out = []
    for day in dates.unique():
        sel = np.flatnonzero(dates == day)
        pos = np.round((grid[sel] - day).total_seconds().to_numpy() / step).astype(int)
        k = int(pos.max()) + 1
        arrivals = {q: np.zeros(k) for q in queues}
        aht = {q: np.ones(k) for q in queues}
        staff = {}
        for q in queues:
            c = wide_calls[q].to_numpy(float)[sel]
            arrivals[q][pos] = c
            a = wide_aht[q].to_numpy(float)[sel]
            aht[q][pos] = np.where((c > 0) & np.isfinite(a), a, 1.0)
        for g, s in enumerate(sets):
            v = np.full(k, np.nan)
            v[pos] = phone[g, sel]
            staff[s.name] = pd.Series(v).ffill().fillna(0.0).to_numpy()
        if any((arrivals[q] > 0).any() for q in queues):
            out.append((day, arrivals, aht, staff))
    count = set_of.value_counts()
    return RosterDays(sets=sets, queues=queues, patience=patience, days=out,
                      heads={s.name: int(count.get(s.name, 0)) for s in sets}, left_out=left_out)


def skill_mix_service(service: pd.DataFrame, roster: pd.DataFrame, agents: pd.DataFrame, *, interval_minutes: int,
                      sl_seconds: float, shrinkage: float, routing: str = "priority", replications: int = 10,
                      level: float = 0.99) -> SkillMixService | None:
    """Simulate the roster with its agents' skill sets (module docstring), one simulation per day.

    ``service``: the per-queue projection (:func:`wfm.service.service_projection`: ``queue, interval_start,
    offered, aht_s, patience_s``); ``roster``: roster.csv's rows (``agent_id, shift_start, shift_end,
    break_start, break_end``); ``agents``: the agents file (``agent_id, queues``). Returns None when no agent
    is trained on two of the plan's queues (the per-queue projection is then the whole story). Each day
    starts empty at midnight and keeps its last interval's staff until its callers are served; seeds are
    fixed per date, so the figures are the same on every run.
    """
    days = roster_days(service, roster, agents, interval_minutes, shrinkage)
    if days is None:
        return None
    parts = simulate_days(days, interval_minutes, sl_seconds, routing, replications, level)
    return mix_result(days, parts, routing, replications, level)


def simulate_days(days: RosterDays, interval_minutes: int, sl_seconds: float, routing: str = "priority",
                  replications: int = 10, level: float = 0.99) -> list[tuple[pd.Timestamp, CentreSimResult]]:
    """:func:`simulate_centre` on every day of ``days`` (:func:`roster_days`), seeds fixed per date:
    ``[(date, result)]``."""
    step = interval_minutes * 60.0
    return [(day, simulate_centre(arrivals, aht, days.sets, staff, step, sl_seconds, patience_s=days.patience,
                                  routing=routing, seed=_seed(day), replications=replications, level=level))
            for day, arrivals, aht, staff in days.days]


def mix_result(days: RosterDays, parts: list, routing: str, replications: int, level: float) -> SkillMixService:
    """:class:`SkillMixService` of the simulated days ``parts`` (:func:`simulate_days`)."""
    sets, queues = days.sets, days.queues

    def pool(q, results):
        sel = lambda r: [r.queues.index(q)] if q is not None else slice(None)  # noqa: E731
        c = {f: sum(getattr(r, f)[:, sel(r)].sum(axis=(1, 2)) for r in results) for f in _COUNTS}
        return _pick(c if results else None, level)

    results = [r for _, r in parts]
    by_queue = pd.DataFrame([{"queue": q, **pool(q, results)} for q in queues]).set_index("queue")
    by_day = pd.DataFrame([{"date": day, "queue": q, **pool(q, [r])} for day, r in parts for q in queues],
                          columns=["date", "queue", "calls", *_PICKED])
    day_total = pd.DataFrame([{"date": day, **pool(None, [r])} for day, r in parts],
                             columns=["date", "calls", *_PICKED]).set_index("date")
    handled = sum((r.handled.sum(axis=0) for _, r in parts), np.zeros((len(sets), len(queues))))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = handled / handled.sum(axis=1, keepdims=True)
    return SkillMixService(
        sets=sets, agents=days.heads,
        by_queue=by_queue, total=pd.Series(pool(None, results)), by_day=by_day, day_total=day_total,
        handled_share=pd.DataFrame(share, index=[s.name for s in sets], columns=queues),
        routing=routing, replications=replications, level=level, left_out=days.left_out)


_PICKED = ("service_level", "service_level_lo", "service_level_hi", "abandon_rate", "abandon_rate_lo",
           "abandon_rate_hi", "asa_s")


def _pick(c, level):
    if c is None:
        return {"calls": 0.0, **{k: math.nan for k in _PICKED}}
    f = _figures(c, level)
    return {"calls": float(f["offered"]), **{k: float(f[k]) for k in _PICKED}}


CALLBACK_COLUMNS = ["date", "removed_agent_intervals", "removed_without_callbacks", "saved_by_callbacks",
                    "on_phone_agent_h_saved", "paid_agent_h_saved", "cost_saved", "peaks_cut", "service_level_before", "service_level_after", "abandon_before", "abandon_after",
                    "callback_share", "simulations"]


def callback_run(service: pd.DataFrame, roster: pd.DataFrame, agents: pd.DataFrame, callback, goals, *,
                 interval_minutes: int, shrinkage: float, hourly_rate: float, routing: str = "priority",
                 peaks: int = 8, dates=None, replications: int = 20, progress=None) -> pd.DataFrame:
    """The call-back what-if (:func:`wfm.multiskill.callback_whatif`) on every day of a plan's roster.

    ``service``, ``roster``, ``agents`` as for :func:`skill_mix_service` (any centre: single-skill agents
    are skill sets of one queue); ``callback``: a :class:`CallBack`; ``goals``: a :class:`QueueGoal` or one
    per queue; ``hourly_rate``: the cost of a paid agent-hour; ``dates``: only these days (default all).
    One row per day (:data:`CALLBACK_COLUMNS`): agent-intervals taken off the day's ``peaks`` busiest
    intervals with call-backs, those the same search takes off without them (over-staffing the roster had
    anyway) and the difference, ``saved_by_callbacks``; the on-phone agent-hours of that difference, the paid
    agent-hours (on-phone / (1 - shrinkage)) and their cost; which intervals were cut with call-backs; the day's service level and abandonment without call-backs on the
    rostered staff and with them on the cut staff, the share of calls that took a call-back and the day
    simulations run. Seeds are fixed per date."""
    rd = roster_days(service, roster, agents, interval_minutes, shrinkage, need_mix=False)
    if rd is None:
        return pd.DataFrame(columns=CALLBACK_COLUMNS)
    keep = None if dates is None else {pd.Timestamp(d).normalize() for d in dates}
    step = interval_minutes * 60.0
    rows = []
    for day, arrivals, aht, staff in rd.days:
        if keep is not None and day not in keep:
            continue
        if progress:
            progress(f"call-backs {day:%Y-%m-%d}")
        w = callback_whatif(arrivals, aht, rd.sets, {n: v.astype(int) for n, v in staff.items()}, step, callback,
                            goals, rd.patience, peaks=peaks, routing=routing, seed=_seed(day),
                            replications=replications)
        by_cb = int(w.removed.sum() - w.removed_without.sum())
        saved = by_cb * interval_minutes / 60.0
        paid = saved / (1.0 - shrinkage)
        cut = ", ".join(f"{day + pd.Timedelta(seconds=i * step):%H:%M} -{int(r)}"
                        for i, r in enumerate(w.removed) if r > 0)
        rows.append({"date": day, "removed_agent_intervals": int(w.removed.sum()),
                     "removed_without_callbacks": int(w.removed_without.sum()), "saved_by_callbacks": by_cb,
                     "on_phone_agent_h_saved": saved,
                     "paid_agent_h_saved": paid, "cost_saved": paid * hourly_rate, "peaks_cut": cut,
                     "service_level_before": float(w.before_total["service_level"]),
                     "service_level_after": float(w.after_total["service_level"]),
                     "abandon_before": float(w.before_total["abandon_rate"]),
                     "abandon_after": float(w.after_total["abandon_rate"]),
                     "callback_share": float(w.after_total["callback_share"]), "simulations": w.evaluations})
    return pd.DataFrame(rows, columns=CALLBACK_COLUMNS)

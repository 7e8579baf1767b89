"""The agents as arrays for the weekly model: limits, holiday history, who may hold which shift, and the
preference cost of each (agent, shift)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..agents import parse_days, parse_leave, parse_start, shifts_allowed
from .shifts import Shifts


@dataclass(frozen=True)
class AgentArrays:
    """Per agent (index = row of ``frame``). ``allowed``: availability and leave mask over the shifts, or
    None (no limit). ``cls``: the agent's class (skills, contract, night_ok); ``class_mask[cls]`` the
    shifts that class may hold. ``day_pref``: cost per shift of a preferred day off (priced in the MIP);
    ``pref``: that plus the preferred-start cost (used by the start-time swaps); None when zero."""

    frame: pd.DataFrame
    ids: list
    min_h: np.ndarray  # contracted weekly minimum [h]
    max_h: np.ndarray  # weekly maximum [h]
    max_days: np.ndarray  # days per ISO week, with the min-days-off rule applied
    base_hol: np.ndarray  # holiday shifts in the ledger
    recency: np.ndarray  # of the last holiday worked, in [0, 1]
    allowed: list
    day_pref: list
    pref: list
    cls: list
    class_mask: dict
    leave: list  # frozensets of leave days

    @property
    def n(self) -> int:
        return len(self.ids)


def _recency(ids: list, led: pd.DataFrame) -> np.ndarray:
    """Recency of past holiday duty in [0, 1]: 0 never (or the oldest), 1 the most recent. Among agents
    with the same count, those who worked the last holidays are picked last."""
    last_map = {a: d for a, d in zip(led["agent_id"], led["last_holiday"]) if pd.notna(d)}
    if not last_map:
        return np.zeros(len(ids))
    order = sorted(set(last_map.values()))
    rank = {d: (k + 1) / len(order) for k, d in enumerate(order)}
    return np.array([rank.get(last_map.get(a), 0.0) for a in ids])


def _allowed(ag: pd.DataFrame, sh: Shifts) -> list:
    """Availability and leave (hard), per agent; agents with neither share None."""
    s = sh.frame
    cache: dict[tuple[str, str], np.ndarray] = {}
    out: list[np.ndarray | None] = []
    for av, lv in zip(ag["availability"], ag["leave"]):
        if not av and not lv:
            out.append(None)
            continue
        if (av, lv) not in cache:
            cache[(av, lv)] = shifts_allowed(s["start"], s["end"], av, lv) if sh.n else np.zeros(0, bool)
        out.append(cache[(av, lv)])
    return out


def _preferences(ag: pd.DataFrame, sh: Shifts, wts) -> tuple[list, list]:
    """Preference cost of each (agent, shift), weighted up by seniority: (day_pref, pref).

    Preferred days off are priced in the weekly MIP (a choice of days); the preferred start only in the
    same-day swaps after it (a choice among the day's shifts). Keeping the per-shift start costs out of
    the MIP keeps it fast: they would break its many ties and cost minutes per week for a few tenths of
    an hour of start-time distance."""
    n_a = len(ag)
    sen = ag["seniority"].to_numpy(dtype=float)
    sen_f = 1.0 + float(wts.seniority_boost) * (sen / sen.max() if n_a and sen.max() > 0 else np.zeros(n_a))
    pref: list[np.ndarray | None] = []
    day_pref: list[np.ndarray | None] = []
    for i in range(n_a):
        ps = parse_start(ag["preferred_start"].iloc[i])
        off = parse_days(ag["preferred_days_off"].iloc[i])
        c_day = (float(wts.preferred_day_off) * sen_f[i]) * np.isin(sh.wday, list(off)) if off else None
        day_pref.append(c_day if c_day is not None and c_day.any() else None)
        if ps is None and c_day is None:
            pref.append(None)
            continue
        c = np.zeros(sh.n) if c_day is None else c_day.copy()
        if ps is not None:
            d = np.abs(sh.start_h - ps) % 24.0
            c += float(wts.preferred_start_per_h) * sen_f[i] * np.minimum(d, 24.0 - d)
        pref.append(c)
    return day_pref, pref


def _classes(ag: pd.DataFrame, sh: Shifts) -> tuple[list, dict]:
    """Eligibility per class of agents (skills, contract, night) over all shifts."""
    class_mask: dict[tuple, np.ndarray] = {}
    cls = []
    for q, con, night in zip(ag["queues"], ag["contract"], ag["night_ok"]):
        key = (tuple(sorted(frozenset(q.split(";")))), con, night)
        if key not in class_mask:
            m = np.isin(sh.queue, list(key[0])) if sh.n else np.zeros(0, bool)
            if not key[2]:
                m &= ~sh.night
            m &= (sh.contract == "any") | (sh.contract == key[1])
            class_mask[key] = m
        cls.append(key)
    return cls, class_mask


def agent_arrays(ag: pd.DataFrame, led: pd.DataFrame, sh: Shifts, cfg) -> AgentArrays:
    """The typed agents frame ``ag`` and ledger ``led`` as arrays over the shifts ``sh``."""
    rcfg = cfg.roster
    ids = ag["agent_id"].tolist()
    led_map = dict(zip(led["agent_id"], led["holiday_shifts"]))
    day_pref, pref = _preferences(ag, sh, rcfg.weights)
    cls, class_mask = _classes(ag, sh)
    return AgentArrays(
        frame=ag, ids=ids, min_h=ag["min_hours_week"].to_numpy(dtype=float),
        max_h=ag["max_hours_week"].to_numpy(dtype=float),
        max_days=np.minimum(ag["max_days_week"].to_numpy(dtype=int), 7 - int(rcfg.min_days_off_per_week)),
        base_hol=np.array([int(led_map.get(a, 0)) for a in ids], dtype=np.int64), recency=_recency(ids, led),
        allowed=_allowed(ag, sh), day_pref=day_pref, pref=pref, cls=cls, class_mask=class_mask,
        leave=[parse_leave(t) for t in ag["leave"]],
    )


def eligible_for(ags: AgentArrays, mask: np.ndarray) -> np.ndarray:
    """Per agent: whether she may hold at least one of the shifts in ``mask`` (skills, contract, night,
    availability and leave; the weekly limits aside)."""
    if not len(mask):
        return np.zeros(ags.n, dtype=bool)
    return np.array([bool(np.any(ags.class_mask[ags.cls[a]] & mask
                                 & (ags.allowed[a] if ags.allowed[a] is not None else True)))
                     for a in range(ags.n)])

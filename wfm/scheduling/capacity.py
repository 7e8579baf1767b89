"""Limits on the shifts of one queue, as side constraints of the covering model: the head count, days and
hours of the agents holding each contract, the part-time share and the cap on starts per interval."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..agents import parse_availability, parse_leave
from .covering import SideConstraint

__all__ = ["contract_capacity", "capacity_constraints", "limit_constraints", "iso_week_labels"]

CONTRACTS = ("full_time", "part_time")


def iso_week_labels(days) -> np.ndarray:
    """'YYYY-WW' (ISO year and week) per day."""
    return np.array([f"{d.isocalendar()[0]}-{d.isocalendar()[1]:02d}" for d in days])


def contract_capacity(agents: pd.DataFrame, requirements: pd.DataFrame, cfg) -> dict:
    """Headcount the shifts of each queue can draw on, by contract type: ``{(queue, contract): {"agents",
    "days_week", "hours_week"}}``.

    ``agents``: the agent list (``queues`` separated by ';', ``contract``, ``max_hours_week``,
    ``max_days_week``; optional ``availability`` and ``leave`` as in :mod:`wfm.agents`). An agent counts fully
    towards the daily head count of every queue they are skilled for on the weekdays of their availability
    and not on their leave days (``by_weekday``, ``on_leave``), and towards the weekly days and hours of each queue in proportion to that queue's required
    agent-hours among the agent's queues (multi-skilled agents are shared, not counted twice).
    """
    req_h = requirements.groupby("queue")["scheduled_required"].sum().astype(float)
    days_cap = 7 - cfg.roster.min_days_off_per_week
    cap: dict = {}
    for a in agents.itertuples(index=False):
        qs = [q for q in str(a.queues).split(";") if q.strip() in req_h.index]
        qs = [q.strip() for q in qs]
        if not qs:
            continue
        total = float(req_h.reindex(qs).sum())
        # weekdays the agent is available at all (hours inside the day are left to the roster), leave dates
        wins = parse_availability(str(getattr(a, "availability", "") or ""))
        avail_days = set().union(*(w[0] for w in wins)) if wins else set(range(7))
        off = parse_leave(str(getattr(a, "leave", "") or ""))
        for q in qs:
            share = float(req_h[q]) / total if total > 0 else 1.0 / len(qs)
            c = cap.setdefault((q, a.contract), {"agents": 0, "days_week": 0.0, "hours_week": 0.0,
                                                 "by_weekday": [0] * 7, "on_leave": {}})
            c["agents"] += 1
            for wd in avail_days:
                c["by_weekday"][wd] += 1
            for d in off:
                if d.day_of_week in avail_days:
                    c["on_leave"][d] = c["on_leave"].get(d, 0) + 1
            c["days_week"] += share * min(int(a.max_days_week), days_cap)
            c["hours_week"] += share * float(a.max_hours_week)
    return cap


def capacity_constraints(cap: dict, queue: str, catalog: pd.DataFrame, ci, day_idx, days, cat_paid) -> list:
    """Side constraints for one queue (group 'capacity'): per day, shifts of a contract's templates <= agents
    of that contract; per ISO week, those shifts <= the agents' working days and their paid hours <= the
    agents' maximum hours (prorated for a week only partly inside the horizon). ``ci``/``day_idx``: catalog
    row and horizon day of each shift column; ``cat_paid``: paid hours per catalog row."""
    out = []
    tmpl_contract = {t.name: t.contract for t in catalog.attrs["templates"]}
    contracts_of = np.array([tmpl_contract[t] for t in catalog["template"]])[ci]
    week = iso_week_labels(days)[day_idx]
    for contract in CONTRACTS:
        sel = np.flatnonzero(contracts_of == contract)
        if not len(sel):
            continue
        c = cap.get((queue, contract), {"agents": 0, "days_week": 0.0, "hours_week": 0.0})
        by_wd, on_leave = c.get("by_weekday"), c.get("on_leave", {})
        for d in np.unique(day_idx[sel]):
            cols = sel[day_idx[sel] == d]
            day = pd.Timestamp(days[d]).normalize()
            n = c["agents"] if by_wd is None else by_wd[day.day_of_week] - on_leave.get(day, 0)
            out.append(SideConstraint(cols, np.ones(len(cols)), float(max(0, n)), "<=", "capacity"))
        for w in np.unique(week[sel]):
            cols = sel[week[sel] == w]
            frac = len(np.unique(day_idx[cols])) / 7.0
            out.append(SideConstraint(cols, np.ones(len(cols)), math.floor(c["days_week"] * frac + 1e-9), "<=", "capacity"))
            out.append(SideConstraint(cols, cat_paid[ci[cols]], c["hours_week"] * frac, "<=", "capacity"))
    return out


def limit_constraints(catalog: pd.DataFrame, ci, day_idx, days, abs_start, im: int, limits) -> list:
    """Part-time share per ISO week (group 'part_time_share') and the starts cap per interval ('max_starts'),
    as side constraints over shift columns. ``limits``: (min share, max share, max starts), None = no limit;
    ``abs_start``: start of each column [min after the horizon's first midnight]."""
    lo, hi, max_starts = limits
    out = []
    paid = catalog["paid_hours"].to_numpy(float)[ci]
    is_pt = (catalog["contract"].to_numpy() == "part_time")[ci].astype(float)
    week = iso_week_labels(days)[day_idx]
    for w in np.unique(week):
        cols = np.flatnonzero(week == w)
        if lo:  # lo x all paid hours <= part-time paid hours
            out.append(SideConstraint(cols, paid[cols] * (lo - is_pt[cols]), 0.0, "<=", "part_time_share"))
        if hi is not None and hi < 1:  # part-time paid hours <= hi x all paid hours
            out.append(SideConstraint(cols, paid[cols] * (is_pt[cols] - hi), 0.0, "<=", "part_time_share"))
    if max_starts is not None:
        k = abs_start // im
        order = np.argsort(k, kind="stable")
        ks, first = np.unique(k[order], return_index=True)
        for cols in np.split(order, first[1:]):
            out.append(SideConstraint(cols, np.ones(len(cols)), float(max_starts), "<=", "max_starts"))
    return out

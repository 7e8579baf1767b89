"""Re-check a roster against every rule, from the files alone.

This is the independent check on :mod:`wfm.roster`: it shares only the agents loader with it and
recomputes everything (days, ISO weeks, night window, holidays) from the roster rows, the agent list, the
config and, when given, the shift list.

Rules (``Violation.rule``):

* ``unknown agent`` - the roster names an agent missing from the agent list;
* ``skill`` - the shift's queue is not among the agent's queues;
* ``contract`` - the shift's template is for the other contract (``schedule.templates[].contract``);
* ``night`` - a shift touching the night window (``pay.night_start_h``-``pay.night_end_h``) for an agent
  who is not ``night_ok``;
* ``leave`` - a shift touching (any minute of) a day of the agent's approved ``leave``;
* ``availability`` - a shift not inside one of the agent's ``availability`` windows (it must start on one
  of the window's weekdays, at or after its start, and end by its end);
* ``overlap`` - two shifts of an agent overlap in time;
* ``same day`` - two shifts of an agent start on the same calendar day (and do not overlap);
* ``rest`` - less than ``roster.min_rest_h`` between the end of one shift and the start of the agent's next
  (reported once per pair; an overlapping or same-day pair is reported under its own rule only);
* ``consecutive days`` - a run of worked days longer than ``roster.max_consecutive_days`` (once per run);
* ``days per week`` - more worked days in an ISO week than ``min(max_days_week, 7 - min_days_off_per_week)``;
* ``max hours`` - paid hours in an ISO week above ``max_hours_week``;
* ``min hours`` - paid hours below ``min_hours_week`` x the week's share of working days (public days off
  on weekdays and leave on working days are paid days off: :func:`wfm.calendar.week_working_share`) in an
  ISO week lying wholly
  inside the horizon (the shift list's dates when given, else the roster's);
* ``unknown shift`` - (with shifts) the roster's shift_id is not in the shift list;
* ``over count`` - (with shifts) a shift assigned to more agents than its count;
* ``holiday coverage`` - (with shifts) a shift on a public holiday staffed by fewer than
  ``ceil(holiday_min_share * count)`` agents.

Days and weeks are those of the shift's start. Hours compare with a tolerance of 1e-6 h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .agents import agents_from_frame, parse_availability, parse_leave
from .calendar import day_calendar, week_working_share
from .errors import InputError
from .io import parse_bool_column, parse_number_column, read_table
from .timestamps import parse_timestamps

ROSTER_COLUMNS = [
    "agent_id", "name", "team", "queue", "date", "shift_id", "template", "shift_start", "shift_end",
    "break_start", "break_end", "paid_hours", "is_holiday",
]
_REQUIRED = ["agent_id", "queue", "date", "shift_id", "shift_start", "shift_end", "paid_hours"]
_TIMES = ["date", "shift_start", "shift_end", "break_start", "break_end"]
_EPS = 1e-6


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` name, the agent (None for shift-level rules), the day, and a sentence."""

    rule: str
    agent_id: str | None
    date: pd.Timestamp | None
    detail: str


def read_roster(path: str | Path) -> pd.DataFrame:
    """Read roster.csv back: timestamps parsed, ``paid_hours`` float, ``is_holiday`` bool.

    InputError names the file, row (header = row 1) and column of the first bad value.
    """
    p = Path(path)
    df = read_table(p, _REQUIRED)
    for c in ROSTER_COLUMNS:
        if c not in df:
            df[c] = ""
    for c in _TIMES:
        df[c] = parse_timestamps(df[c], str(p), c, required=c in ("date", "shift_start", "shift_end"))
    df["paid_hours"] = parse_number_column(df["paid_hours"], str(p), "paid_hours", maximum=24)
    df["is_holiday"] = parse_bool_column(df["is_holiday"], str(p), "is_holiday", default=False)
    for c in ("agent_id", "name", "team", "queue", "shift_id", "template"):
        df[c] = df[c].astype(str).str.strip()
    bad = df["agent_id"] == ""
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("agent_id is empty", file=str(p), row=i + 2, column="agent_id")
    bad = df["shift_end"] <= df["shift_start"]
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("the shift ends before it starts", file=str(p), row=i + 2, column="shift_end")
    return df[ROSTER_COLUMNS + [c for c in df.columns if c not in ROSTER_COLUMNS]]


def _night_minutes(start: pd.Timestamp, end: pd.Timestamp, ns_h: float, ne_h: float) -> bool:
    """Whether [start, end) shares any time with the night window, walking day by day."""
    if ns_h == ne_h:
        return False
    day = start.normalize() - pd.Timedelta(days=1)
    while day <= end:
        if ns_h < ne_h:
            windows = [(day + pd.Timedelta(hours=ns_h), day + pd.Timedelta(hours=ne_h))]
        else:  # wraps midnight: [ns, 24) of this day and [0, ne) of this day
            windows = [(day + pd.Timedelta(hours=ns_h), day + pd.Timedelta(days=1)),
                       (day, day + pd.Timedelta(hours=ne_h))]
        for w0, w1 in windows:
            if start < w1 and end > w0:
                return True
        day += pd.Timedelta(days=1)
    return False


def _fmt(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M")


def _hours(h: float) -> str:
    return f"{h:g} h"


def validate_roster(roster: pd.DataFrame, agents: pd.DataFrame, cfg, shifts: pd.DataFrame | None = None,
                    skill_sets: dict | None = None) -> list[Violation]:
    """Every rule broken by ``roster`` (see the module docstring), sorted by date, agent and rule.
    ``skill_sets``: in a plan by skill set, each set's queues (a shift's ``queue`` is then a skill set, and
    an agent may work it when trained on all of its queues)."""
    rc = cfg.roster
    ag = agents_from_frame(agents, source="agents")
    info = {r.agent_id: r for r in ag.itertuples(index=False)}
    leave = {a: parse_leave(t) for a, t in zip(ag["agent_id"], ag["leave"])}
    avail = {a: parse_availability(t) for a, t in zip(ag["agent_id"], ag["availability"])}
    ros = roster.copy().reset_index(drop=True)
    for c in ("date", "shift_start", "shift_end"):
        ros[c] = pd.to_datetime(ros[c])
    ros["agent_id"] = ros["agent_id"].astype(str)
    ros["shift_id"] = ros["shift_id"].astype(str)
    ros["v_day"] = ros["shift_start"].dt.normalize()
    ros["v_week"] = ros["v_day"] - pd.to_timedelta(ros["v_day"].dt.day_of_week, unit="D")
    out: list[Violation] = []

    def add(rule, agent, day, detail):
        out.append(Violation(rule, agent, None if day is None else pd.Timestamp(day).normalize(), detail))

    templates = {t.name: t.contract for t in cfg.require("schedule").templates}
    rest_h = float(rc.min_rest_h)

    # Row-level rules
    for r in ros.itertuples(index=False):
        a = info.get(r.agent_id)
        when = f"{r.shift_id} ({_fmt(r.shift_start)}-{_fmt(r.shift_end)})"
        if a is None:
            add("unknown agent", r.agent_id, r.v_day, f"agent '{r.agent_id}' is not in the agent list ({when})")
            continue
        skills = {q.strip() for q in a.queues.split(";")}
        takes = (skill_sets or {}).get(r.queue, (r.queue,))
        if not set(takes) <= skills:
            add("skill", r.agent_id, r.v_day, f"shift {when} is on queue '{r.queue}'; agent skilled for {a.queues}")
        need = templates.get(str(getattr(r, "template", "")), "any")
        if need != "any" and need != a.contract:
            add("contract", r.agent_id, r.v_day, f"template '{r.template}' is for {need}; agent is {a.contract}")
        if not a.night_ok and _night_minutes(r.shift_start, r.shift_end, cfg.pay.night_start_h, cfg.pay.night_end_h):
            add("night", r.agent_id, r.v_day, f"shift {when} touches the night window; agent is not night_ok")
        off = leave[r.agent_id]
        if off:
            d, last = r.shift_start.normalize(), (r.shift_end - pd.Timedelta(seconds=1)).normalize()
            while d <= last:
                if d in off:
                    add("leave", r.agent_id, d, f"shift {when} falls on {d.date()}, a day of approved leave")
                    break
                d += pd.Timedelta(days=1)
        wins = avail[r.agent_id]
        if wins:
            s_min = (r.shift_start - r.v_day) / pd.Timedelta(minutes=1)
            e_min = (r.shift_end - r.v_day) / pd.Timedelta(minutes=1)
            wd = r.v_day.weekday()
            if not any(wd in days and w0 <= s_min + _EPS and e_min <= w1 + _EPS for days, w0, w1 in wins):
                add("availability", r.agent_id, r.v_day,
                    f"shift {when} is outside the agent's availability '{a.availability}'")

    # Per-agent sequences
    for aid, grp in ros.sort_values(["agent_id", "shift_start", "shift_end", "shift_id"]).groupby("agent_id", sort=True):
        rows = list(grp.itertuples(index=False))
        latest = None  # the row with the latest end so far
        for cur in rows:
            if latest is not None:
                if cur.shift_start < latest.shift_end:
                    add("overlap", aid, cur.v_day,
                        f"{latest.shift_id} ({_fmt(latest.shift_start)}-{_fmt(latest.shift_end)}) overlaps "
                        f"{cur.shift_id} ({_fmt(cur.shift_start)}-{_fmt(cur.shift_end)})")
                elif cur.v_day == latest.v_day:
                    add("same day", aid, cur.v_day, f"{latest.shift_id} and {cur.shift_id} both start on {cur.v_day.date()}")
                else:
                    gap = (cur.shift_start - latest.shift_end) / pd.Timedelta(hours=1)
                    if gap < rest_h - _EPS:
                        add("rest", aid, cur.v_day,
                            f"{gap:g} h between {latest.shift_id} ending {_fmt(latest.shift_end)} and "
                            f"{cur.shift_id} starting {_fmt(cur.shift_start)}; minimum {rest_h:g} h")
            if latest is None or cur.shift_end > latest.shift_end:
                latest = cur
        a = info.get(aid)
        days = sorted(set(grp["v_day"]))
        # consecutive runs
        run_start, run_len, prev = None, 0, None
        for d in days + [None]:
            if d is not None and prev is not None and (d - prev) == pd.Timedelta(days=1):
                run_len += 1
            else:
                if prev is not None and run_len > rc.max_consecutive_days:
                    add("consecutive days", aid, run_start + pd.Timedelta(days=rc.max_consecutive_days),
                        f"{run_len} days in a row from {run_start.date()} to {prev.date()}; "
                        f"at most {rc.max_consecutive_days}")
                run_start, run_len = d, 1
            prev = d
        if a is None:
            continue
        cap = min(int(a.max_days_week), 7 - int(rc.min_days_off_per_week))
        for wk, wg in grp.groupby("v_week", sort=True):
            n_days = wg["v_day"].nunique()
            if n_days > cap:
                add("days per week", aid, wk, f"{n_days} days worked in the week from {wk.date()}; at most {cap}")
            h = float(wg["paid_hours"].sum())
            if h > a.max_hours_week + _EPS:
                add("max hours", aid, wk, f"{h:g} paid hours in the week from {wk.date()}; at most {a.max_hours_week:g}")

    # Minimum hours over full weeks inside the horizon, for every agent in the list.
    if shifts is not None and len(shifts):
        sd = pd.to_datetime(shifts["start"] if "start" in shifts else shifts["date"]).dt.normalize()
        h0, h1 = sd.min(), sd.max()
    elif len(ros):
        h0, h1 = ros["v_day"].min(), ros["v_day"].max()
    else:
        h0 = h1 = None
    if h0 is not None:
        first = h0 if h0.weekday() == 0 else h0 + pd.Timedelta(days=7 - h0.weekday())
        full_weeks = []
        wk = first
        while wk + pd.Timedelta(days=6) <= h1:
            full_weeks.append(wk)
            wk += pd.Timedelta(days=7)
        hours = ros.groupby(["agent_id", "v_week"])["paid_hours"].sum().to_dict()
        share = week_working_share(full_weeks, cfg.site.country, cfg.site.subdivision) if full_weeks else {}
        workdays = set()
        if full_weeks:
            wcal = day_calendar(pd.date_range(full_weeks[0], full_weeks[-1] + pd.Timedelta(days=6)),
                                cfg.site.country, cfg.site.subdivision)
            workdays = set(wcal.loc[wcal["day_type"] == "workday", "date"])
        for a in ag.itertuples(index=False):
            if a.min_hours_week <= 0:
                continue
            for wk in full_weeks:
                h = float(hours.get((a.agent_id, wk), 0.0))
                part = float(share.get(wk, 1.0))
                # leave on a working day is paid time off, like a public day off
                n_wd = sum(1 for k in range(7) if wk + pd.Timedelta(days=k) in workdays)
                lwd = sum(1 for k in range(7) if wk + pd.Timedelta(days=k) in workdays
                          and wk + pd.Timedelta(days=k) in leave[a.agent_id])
                if lwd:
                    part = min(1.0, max(0, n_wd - lwd) / 5.0)
                owed = a.min_hours_week * part
                if h < owed - _EPS:
                    reduced = f" x {part:g} of the working days = {owed:g}" if part < 1 else ""
                    add("min hours", a.agent_id, wk,
                        f"{h:g} paid hours in the week from {wk.date()}; contracted minimum "
                        f"{a.min_hours_week:g}{reduced}")

    # Shift-level rules
    if shifts is not None:
        sh = shifts.copy()
        sh["shift_id"] = sh["shift_id"].astype(str)
        sh["v_day"] = pd.to_datetime(sh["start"]).dt.normalize()
        sh["count"] = pd.to_numeric(sh["count"]).astype(int)
        known = set(sh["shift_id"])
        for r in ros.loc[~ros["shift_id"].isin(known)].itertuples(index=False):
            add("unknown shift", r.agent_id, r.v_day, f"shift_id '{r.shift_id}' is not in the shift list")
        staffed = ros.groupby("shift_id").size().to_dict()
        if len(sh):
            cal = day_calendar(pd.date_range(sh["v_day"].min(), sh["v_day"].max(), freq="D"),
                               cfg.site.country, cfg.site.subdivision)
            hol = set(cal.loc[cal["is_holiday"], "date"])
        else:
            hol = set()
        for r in sh.sort_values(["v_day", "start", "shift_id"]).itertuples(index=False):
            n = int(staffed.get(r.shift_id, 0))
            if n > r.count:
                add("over count", None, r.v_day, f"shift {r.shift_id} has {n} agents for a count of {r.count}")
            if r.v_day in hol:
                need = math.ceil(rc.holiday_min_share * r.count - 1e-9)
                if n < need:
                    add("holiday coverage", None, r.v_day,
                        f"holiday shift {r.shift_id} ({r.queue}, {_fmt(pd.Timestamp(r.start))}) has {n} of the "
                        f"{need} agents guaranteed")

    out.sort(key=lambda v: (v.date if v.date is not None else pd.Timestamp.min, v.agent_id or "", v.rule, v.detail))
    return out

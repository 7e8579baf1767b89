"""What in a finished plan needs a manager: under-staffed windows, unfilled shifts (with who could take them),
over-staffing that could be released, and holidays short of their staffing. The report's first panel.

Everything here is read from the stages' results (the service projection's interval frame, the unfilled
shifts, the roster and the agents); nothing is re-planned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..agents import shifts_allowed
from ..io import parse_bool_column
from ..roster.shifts import touches_night

OVER_MIN_AGENTS = 2  # agents above the requirement before an interval counts as over-staffed
OVER_MIN_HOURS = 1.0  # ... for at least this long in a row [h]
OVER_TOP = 5  # over-staffed windows listed (the largest, by agent-hours)
CANDIDATES_TOP = 5  # names listed per unfilled shift


def windows(frame: pd.DataFrame, mask: np.ndarray, interval_minutes: int) -> list[dict]:
    """Runs of consecutive flagged intervals per queue: ``queue``, ``start`` and ``end`` (Timestamps, end
    exclusive), ``rows`` (the frame's index labels of the run). ``frame``: queue, interval_start."""
    step = pd.Timedelta(minutes=interval_minutes)
    f = frame.loc[np.asarray(mask, dtype=bool), ["queue", "interval_start"]].sort_values(["queue", "interval_start"], kind="stable")
    out: list[dict] = []
    for q, g in f.groupby("queue", sort=True):
        t = g["interval_start"]
        # a new run starts where the gap to the previous flagged interval is more than one interval
        run_id = (t.diff() != step).cumsum().to_numpy()
        for _, part in g.groupby(run_id, sort=True):
            out.append({"queue": q, "start": part["interval_start"].iloc[0],
                        "end": part["interval_start"].iloc[-1] + step, "rows": part.index})
    return out


def _service(frame: pd.DataFrame, rows) -> float | None:
    """Call-weighted expected service level over ``rows`` (None without calls)."""
    g = frame.loc[rows]
    calls = float(g["offered"].sum())
    return float((g["service_level"] * g["offered"]).sum() / calls) if calls > 0 else None


def under_staffed(frame: pd.DataFrame, interval_minutes: int) -> list[dict]:
    """Windows where fewer agents are rostered than required or the expected service is below target:
    ``queue, start, end, short`` (most agents missing in an interval), ``short_h`` (agent-hours missing),
    ``service`` (call-weighted expected service level), ``calls``."""
    ih = interval_minutes / 60.0
    short = (frame["required"] - frame["rostered"]).clip(lower=0)
    mask = (short > 1e-9) | frame["below_target"].astype(bool)
    out = []
    for w in windows(frame, mask.to_numpy(), interval_minutes):
        s = short.loc[w["rows"]]
        out.append({"queue": w["queue"], "start": w["start"], "end": w["end"], "short": float(s.max()),
                    "short_h": float(s.sum() * ih), "service": _service(frame, w["rows"]),
                    "calls": float(frame.loc[w["rows"], "offered"].sum())})
    return out


def over_staffed(frame: pd.DataFrame, interval_minutes: int, hourly_rate: float) -> tuple[list[dict], float]:
    """The largest windows with at least OVER_MIN_AGENTS agents above the requirement for OVER_MIN_HOURS or
    longer: ``queue, start, end, over`` (most agents above), ``over_h`` (agent-hours above the requirement),
    ``cost`` (those hours at ``hourly_rate``, before premiums). Also returns all agent-hours above the
    requirement over the horizon."""
    ih = interval_minutes / 60.0
    over = (frame["rostered"] - frame["required"]).clip(lower=0)
    out = []
    for w in windows(frame, (over >= OVER_MIN_AGENTS).to_numpy(), interval_minutes):
        if (w["end"] - w["start"]) / pd.Timedelta(hours=1) < OVER_MIN_HOURS - 1e-9:
            continue
        o = over.loc[w["rows"]]
        hours = float(o.sum() * ih)
        out.append({"queue": w["queue"], "start": w["start"], "end": w["end"], "over": float(o.max()),
                    "over_h": hours, "cost": hours * hourly_rate})
    out.sort(key=lambda r: (-r["over_h"], r["queue"], r["start"]))
    return out[:OVER_TOP], float(over.sum() * ih)


def candidates(shift: pd.Series, roster: pd.DataFrame, agents: pd.DataFrame,
               night: tuple[float, float] | None = None) -> list[str]:
    """Agents who could take an unfilled shift: skilled for its queue, free by availability and leave, allowed
    nights if the shift touches the night window ``night`` (start and end hour of day; None: not checked),
    and not rostered that day (their weekly hours and rest rules are for the planner to check), by name."""
    busy = set(roster.loc[roster["date"] == shift["date"], "agent_id"])
    skilled = agents[agents["queues"].astype(str).str.split(";").apply(lambda qs: shift["queue"] in [q.strip() for q in qs])]
    skilled = skilled[~skilled["agent_id"].isin(busy)]
    start, end = pd.Series([shift["shift_start"]]), pd.Series([shift["shift_end"]])
    if night is not None and "night_ok" in skilled and touches_night(start, end, *night)[0]:
        skilled = skilled[parse_bool_column(skilled["night_ok"], "agents.csv", "night_ok").to_numpy(dtype=bool)]
    if skilled.empty:
        return []
    cols = [skilled[c].fillna("").astype(str) if c in skilled else pd.Series("", index=skilled.index)
            for c in ("availability", "leave")]
    ok = [bool(shifts_allowed(start, end, a, lv)[0]) for a, lv in zip(*cols)]
    return sorted(skilled.loc[np.array(ok, dtype=bool), "name"].astype(str))


def decisions(frame: pd.DataFrame, unfilled: pd.DataFrame, roster: pd.DataFrame, agents: pd.DataFrame,
              interval_minutes: int, hourly_rate: float, night: tuple[float, float] | None = None,
              set_frame: pd.DataFrame | None = None) -> dict:
    """The decisions panel: ``short`` (:func:`under_staffed`), ``unfilled`` (each unfilled shift with
    ``candidates`` and ``more``, the count beyond those listed), ``holidays`` (holiday dates with unfilled
    agent-shifts: ``date, missing``), ``over`` and ``over_h`` (:func:`over_staffed`), and ``ok``: nothing
    needs a decision but the over-staffing. ``night``: the pay rules' night window [h of day], for
    :func:`candidates`. ``set_frame``: in a plan by skill set, the requirement and roster per skill set
    (``skill_set, interval_start, required, rostered``): agents short and over are counted per set, and
    the queues' windows are those whose service is under target."""
    staff = frame
    if set_frame is not None:
        staff = set_frame.rename(columns={"skill_set": "queue"}).assign(
            below_target=False, offered=0.0, service_level=np.nan).reset_index(drop=True)
    short = under_staffed(staff, interval_minutes) if len(staff) else []
    if set_frame is not None:
        for w in short:  # a skill set's window: its calls are its queues', counted in their own rows
            w["calls"] = None
    if set_frame is not None and len(frame):
        short += under_staffed(frame.assign(required=0.0, rostered=0.0), interval_minutes)
        short.sort(key=lambda w: (w["queue"], w["start"]))
    over, over_h = over_staffed(staff, interval_minutes, hourly_rate) if len(staff) else ([], 0.0)
    rows = []
    for _, u in unfilled.iterrows():
        names = candidates(u, roster, agents, night)
        rows.append({**u.to_dict(), "candidates": names[:CANDIDATES_TOP], "more": max(0, len(names) - CANDIDATES_TOP)})
    hol = (unfilled[unfilled["is_holiday"].astype(bool)].groupby("date")["missing"].sum().reset_index().to_dict("records")
           if len(unfilled) else [])
    return {"short": short, "unfilled": rows, "holidays": hol, "over": over, "over_h": over_h,
            "ok": not short and not rows and not hol}

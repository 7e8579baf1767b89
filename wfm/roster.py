"""Rostering: assign named agents to the scheduled shifts.

Input: the shift frame from the scheduler (one row per distinct shift with its head count), the agent list
(skills, contract, weekly hours and days) and an optional holiday ledger. Output: who works which shift,
what could not be staffed, a per-agent summary and the updated holiday ledger.

Model (one MIP per ISO week, Monday to Sunday, solved in date order with PuLP and HiGHS; CBC if HiGHS is
missing):

* ``x[a, g]`` binary: agent ``a`` works shift group ``g`` (a row of the shift frame). Created only when the
  agent is skilled for the shift's queue, is ``night_ok`` or the shift does not touch the night window
  (``pay.night_start_h``-``pay.night_end_h``), holds the template's contract (``schedule.templates[].contract``
  unless ``any``) and can hold the shift at all (paid hours <= weekly maximum, rest after the agent's last
  shift of the previous week respected).
* ``u[g]`` >= 0 unfilled heads with ``sum_a x[a, g] + u[g] = count_g``. On public holidays (``is_holiday``
  of :func:`wfm.calendar.day_calendar`) ``u`` is split into the part inside ``ceil(holiday_min_share *
  count)`` (very expensive) and the rest (ordinary cost).
* Hard rules: one shift per agent per calendar day (by start date); no overlap and at least
  ``roster.min_rest_h`` between an agent's consecutive shifts; at most ``max_consecutive_days`` worked days
  in any ``max_consecutive_days + 1`` consecutive days (days worked in earlier weeks count); worked days per
  ISO week <= ``min(max_days_week, 7 - min_days_off_per_week)``; paid hours per ISO week <=
  ``max_hours_week``.
* Rest and overlap conflicts are written as cliques, not pairs: for shifts on day d and a later day d'
  (d' - d days is as far as a shift plus the rest can reach), shift g1 on d conflicts with g2 on d' iff
  ``start(g2) < end(g1) + min_rest_h``. For a threshold t, every g1 with ``end + rest > t`` conflicts with
  every g2 with ``start <= t``, so ``sum x[a, A_t] + sum x[a, B_t] <= 1`` is valid; thresholds at the
  starts on d', keeping only the maximal (A_t, B_t), cover every conflicting pair with a handful of rows
  per agent and day pair.
* Soft rule: paid hours per ISO week >= ``min_hours_week`` x the week's share of working days
  (:func:`wfm.calendar.week_working_share`: public days off on weekdays are paid days off, so National Day
  week owes 3/5 of the hours) x days_in_horizon / 7 for a partial week at either end of the horizon; the
  shortfall is penalised and reported.

Availability and leave (agents file) remove the ``x`` an agent cannot take. Soft goals (``roster.weights``):
shifts on preferred days off, weekend fairness (the same convex device as holidays, over weekend shifts in
the horizon) and hours over ``pay.weekly_overtime_after_h`` are priced in the MIP; stable and preferred
start times are improved after it by same-day block swaps between agents (:func:`_stabilise`), which change
no count the MIP optimised and break no rule.

Holiday fairness. Each agent's holiday duty is ``ledger count + holiday shifts assigned in this horizon so
far``, counted relative to the least-loaded agent that can work a holiday shift that week. The objective
(1) minimises the maximum of that total over the agents eligible for at least one holiday shift of the week
and (2) adds a small convex term: the j-th holiday shift given to an agent this week costs ``base + j``, so
the total of the term is about half the sum of squares of the agents' totals. With the number of holiday
shifts fixed by coverage, minimising the sum of squares is minimising the spread (variance): duty goes to
the agents with the fewest past holidays first and is spread evenly (max - min <= 1 where skills and rules
allow). Both terms are weighted far below coverage, and below contracted hours as long as ledger
differences stay under a few dozen holidays (see the weights below).

Solving one week: (1) the LP relaxation (at most a quarter of ``roster.time_limit_s``); (2) a greedy
roster guided by the LP values, seat by seat with every hard rule checked, then a one-swap repair of the
seats left empty and a rebalancing of contracted hours; it is handed to HiGHS as a MIP start, so a time
limit never returns less than it; (3) the MIP for the rest of the time limit with ``roster.mip_gap``. The LP's coverage cost is a lower bound on
the coverage cost of any roster, and it is passed to HiGHS as an objective offset, so that the relative gap
is measured against the cost still in play: on an understaffed week a 1% gap on the whole objective would
otherwise let hundreds of contracted hours go short.

Week-by-week decomposition is a heuristic: a choice made in one week (for example who works Sunday night)
is fixed when the next week is solved. Each week's status is reported honestly in ``summary['weeks']``:
``proven_optimal`` is PuLP's ``sol_status == LpSolutionOptimal`` (with HiGHS: optimal within the gap
above), ``status`` is HiGHS's own model status (e.g. "Time limit reached"), with the objective, best bound,
the usual relative gap and the gap HiGHS stopped on.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pulp

from .calendar import day_calendar, week_working_share
from .errors import InputError, SolverError
from .io import (FALSE_WORDS, MAX_AGENTS, TRUE_WORDS, parse_number_cell, parse_number_column, read_table,
                 row_numbers)

AGENT_COLUMNS = (
    "agent_id", "name", "team", "queues", "contract", "min_hours_week", "max_hours_week", "max_days_week",
    "hourly_rate", "night_ok",
)
# Optional: empty or absent means always available, no leave, no preference, seniority 0.
OPTIONAL_AGENT_COLUMNS = ("availability", "leave", "preferred_start", "preferred_days_off", "seniority")
CONTRACTS = ("full_time", "part_time")
SHIFT_COLUMNS = ("shift_id", "queue", "date", "template", "start", "end", "paid_hours", "count")
ROSTER_COLUMNS = [
    "agent_id", "name", "team", "queue", "date", "shift_id", "template", "shift_start", "shift_end",
    "break_start", "break_end", "paid_hours", "is_holiday", "is_overtime",
]
UNFILLED_COLUMNS = ["shift_id", "queue", "date", "shift_start", "shift_end", "missing", "is_holiday"]
SUMMARY_COLUMNS = [
    "agent_id", "name", "team", "shifts", "paid_hours", "overtime_hours", "nights", "weekend_shifts",
    "holiday_shifts", "min_hours_shortfall", "preferred_days_off_worked", "mean_start_deviation_h", "start_times",
]
LEDGER_COLUMNS = ["agent_id", "holiday_shifts", "last_holiday"]  # last_holiday optional on input

_TRUE = set(TRUE_WORDS)
_FALSE = set(FALSE_WORDS)

# --- Objective weights (all per unit named; the ratios are what matter) --------------------------------
# An empty seat on a public holiday (within holiday_min_share) costs more than anything else the model can
# trade against it: 100x an ordinary empty seat, so no combination of ordinary coverage, hours or fairness
# gains in one week can pay for leaving a guaranteed holiday seat empty.
W_HOLIDAY_UNFILLED_PER_H = 10_000.0
# An ordinary empty seat, per paid hour of the shift (so a long shift weighs more than a short one): 10x a
# contracted hour short, so coverage always comes before topping up an agent's hours.
W_UNFILLED_PER_H = 100.0
# One hour below an agent's contracted weekly minimum. A shift's worth (40-80 for 4-8 h) outweighs moving one
# holiday shift between agents (W_HOL_MAX + W_HOL_SPREAD * their load difference) unless the loads differ
# by several dozen holidays, so fairness does not cost contracted hours.
W_SHORTFALL_PER_H = 10.0
# One unit of the maximum holiday duty among eligible agents (ledger + this horizon): the main fairness term.
W_HOL_MAX = 3.0
# The convex spread term: the j-th holiday shift of an agent with base load b costs W_HOL_SPREAD * (b + j).
# Small, so it breaks ties left by the max term (who among the less-loaded agents takes the duty).
W_HOL_SPREAD = 1.0

# Among agents with equal holiday counts, the one who worked the most recent holiday pays this per holiday
# shift (scaled by recency in [0, 1]): below every other holiday term, it only breaks ties.
W_HOL_RECENT = 0.5

MAX_MESSAGES = 20  # unfilled-shift sentences listed before a summary sentence


@dataclass(frozen=True)
class RosterResult:
    """Result of :func:`build_roster`. ``summary`` holds ``messages`` (sentences), per-week solver
    statuses (``weeks``) and headline counts."""

    roster: pd.DataFrame
    unfilled: pd.DataFrame
    agent_summary: pd.DataFrame
    summary: dict = field(default_factory=dict)
    ledger: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LEDGER_COLUMNS))


# ----------------------------------------------------------------------------------------------------------
# Agents and ledger
# ----------------------------------------------------------------------------------------------------------


def _read_csv_with_lines(path: Path) -> tuple[pd.DataFrame, list[int]]:
    """Read a CSV as strings (wfm.io.read_table), with the line each data row starts on (header = line 1)."""
    df = read_table(path)
    return df, [int(x) for x in row_numbers(df)]


def load_agents(path: str | Path) -> pd.DataFrame:
    """Read and validate the agents CSV (see docs/formats.md).

    Returns ``agent_id, name, team, queues ('a;b'), contract, min_hours_week, max_hours_week (float),
    max_days_week (int), hourly_rate (float), night_ok (bool)`` plus any extra columns, in file order.
    Raises InputError naming the file, the row as a spreadsheet shows it (header = row 1) and the column.
    ``attrs['source']`` holds the path.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", file=str(p))
    if p.suffix.lower() in (".parquet", ".pq"):
        agents = agents_from_frame(read_table(p), source=str(p))
    else:
        df, lines = _read_csv_with_lines(p)
        agents = agents_from_frame(df, source=str(p), _lines=lines)
    agents.attrs["source"] = str(p)  # later checks (check_skills) name the file
    return agents


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return ""
    return str(v).strip()


def _parse_bool(text: str) -> bool | None:
    t = text.lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    return None


def check_skills(queues, agents: pd.DataFrame, source: str | None = None) -> None:
    """Raise InputError when a queue to be staffed has no agent skilled for it (a misspelt queue in the
    agents file would otherwise give an empty, zero-cost plan with every interval uncovered)."""
    skills = sorted({q for cell in agents["queues"].astype(str) for q in cell.split(";") if q})
    missing = [str(q) for q in sorted(map(str, queues)) if str(q) not in skills]
    if missing:
        src = source or agents.attrs.get("source") or "agents"
        raise InputError(f"no agent is skilled for queue '{missing[0]}'"
                         + (f" (nor {', '.join(repr(m) for m in missing[1:])})" if len(missing) > 1 else "")
                         + f"; the agents' queues are {', '.join(repr(k) for k in skills) or 'empty'}",
                         file=src, column="queues")


def agents_from_frame(df: pd.DataFrame, source: str = "agents", _lines: list[int] | None = None) -> pd.DataFrame:
    """Validate an agents frame (strings as read, or already typed) and return it typed.

    Row numbers in errors are ``position + 2`` (header = row 1) unless the reader passed the real lines.
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError("agents must be a table", file=source)
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in AGENT_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(df.columns) or 'none'}",
            file=source, row=1, column=missing[0],
        )
    lines = list(_lines) if _lines is not None else [i + 2 for i in range(len(df))]
    out: dict[str, list] = {c: [] for c in AGENT_COLUMNS}
    opt: dict[str, list] = {c: [] for c in OPTIONAL_AGENT_COLUMNS}
    seen: dict[str, int] = {}
    for pos in range(len(df)):
        line = lines[pos]
        rec = {c: _cell(df[c].iloc[pos]) for c in AGENT_COLUMNS}

        def fail(msg: str, col: str):
            raise InputError(msg, file=source, row=line, column=col)

        aid = rec["agent_id"]
        if not aid:
            fail("agent_id is empty", "agent_id")
        if aid in seen:
            fail(f"duplicate agent_id '{aid}' (first on row {seen[aid]})", "agent_id")
        seen[aid] = line
        queues = [q.strip() for q in rec["queues"].split(";") if q.strip()]
        if not queues:
            fail("no queue given: list the queues the agent is skilled for, separated by ';'", "queues")
        queues = list(dict.fromkeys(queues))
        contract = rec["contract"].lower().replace("-", "_").replace(" ", "_")
        if contract not in CONTRACTS:
            fail(f"unknown contract '{rec['contract']}'; use one of {', '.join(CONTRACTS)}", "contract")
        nums = {}
        for col in ("min_hours_week", "max_hours_week", "max_days_week", "hourly_rate"):
            nums[col] = float(parse_number_cell(rec[col], source, line, col))
        if nums["max_hours_week"] > 168:
            fail(f"{rec['max_hours_week']} hours is more than a week holds (168)", "max_hours_week")
        if nums["min_hours_week"] > nums["max_hours_week"]:
            fail(
                f"min_hours_week {rec['min_hours_week']} is more than max_hours_week {rec['max_hours_week']}",
                "min_hours_week",
            )
        days = nums["max_days_week"]
        if not float(days).is_integer() or not 1 <= days <= 7:
            fail(f"'{rec['max_days_week']}' is not a whole number of days from 1 to 7", "max_days_week")
        night = _parse_bool(rec["night_ok"])
        if night is None:
            fail(f"'{rec['night_ok']}' is not a boolean (true/false, yes/no, 1/0)", "night_ok")
        out["agent_id"].append(aid)
        out["name"].append(rec["name"] or aid)
        out["team"].append(rec["team"])
        out["queues"].append(";".join(queues))
        out["contract"].append(contract)
        out["min_hours_week"].append(nums["min_hours_week"])
        out["max_hours_week"].append(nums["max_hours_week"])
        out["max_days_week"].append(int(days))
        out["hourly_rate"].append(nums["hourly_rate"])
        out["night_ok"].append(bool(night))
        for col, parse in (("availability", parse_availability), ("leave", parse_leave),
                           ("preferred_start", parse_start), ("preferred_days_off", parse_days)):
            text = _cell(df[col].iloc[pos]) if col in df.columns else ""
            try:
                parse(text)
            except ValueError as err:
                fail(str(err), col)
            opt[col].append(text)
        text = _cell(df["seniority"].iloc[pos]) if "seniority" in df.columns else ""
        sen = float(parse_number_cell(text, source, line, "seniority")) if text else 0.0
        opt["seniority"].append(sen)
    res = pd.DataFrame(out)
    for col in OPTIONAL_AGENT_COLUMNS:
        res[col] = pd.Series(opt[col], dtype=float if col == "seniority" else object)
    res = res.astype({"min_hours_week": float, "max_hours_week": float, "max_days_week": int,
                      "hourly_rate": float, "night_ok": bool})
    for c in ("agent_id", "name", "team", "queues", "contract"):
        res[c] = res[c].astype(str)
    extra = [c for c in df.columns if c not in AGENT_COLUMNS and c not in OPTIONAL_AGENT_COLUMNS]
    for c in extra:
        res[c] = df[c].to_numpy()
    return res


# ----------------------------------------------------------------------------------------------------------
# Optional agent columns: availability, leave, preferences, seniority
# ----------------------------------------------------------------------------------------------------------

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _day(token: str) -> int | None:
    t = token.strip().lower()[:3]
    return _DAY_NAMES.index(t) if t in _DAY_NAMES else None


def parse_days(text: str) -> frozenset[int]:
    """Weekdays (Monday = 0) from text like ``"Sat;Sun"``, ``"Mon-Fri"`` or ``"Mon,Wed,Fri"``.
    Raises ValueError with a sentence when a token is not a weekday."""
    out: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = (_day(p) for p in part.split("-", 1))
            if a is None or b is None:
                raise ValueError(f"'{part}' is not a range of weekdays like Mon-Fri")
            k = a
            while True:
                out.add(k)
                if k == b:
                    break
                k = (k + 1) % 7  # Fri-Mon wraps over the weekend
        else:
            d = _day(part)
            if d is None or len(part) < 3:
                raise ValueError(f"'{part}' is not a weekday (Mon, Tue, ..., Sun)")
            out.add(d)
    return frozenset(out)


def _minutes(hhmm: str) -> int:
    h, _, m = hhmm.strip().partition(":")
    if not (h.isdigit() and m.isdigit() and len(m) == 2):
        raise ValueError(f"'{hhmm}' is not a time HH:MM")
    v = int(h) * 60 + int(m)
    if not 0 <= v <= 1440 or int(m) >= 60:
        raise ValueError(f"'{hhmm}' is not a time of day from 00:00 to 24:00")
    return v


def parse_availability(text: str) -> tuple[tuple[frozenset[int], int, int], ...]:
    """Availability windows ``(weekdays, start_min, end_min)`` from text like
    ``"Mon-Fri 08:00-20:00; Sat 09:00-13:00"`` (empty: always available).

    A window without hours (``"Sat"``) admits any shift starting on those days. With hours, a shift must
    start on one of the days at or after ``start`` and end by ``end`` of that day; an ``end`` at or before
    ``start`` (``"22:00-07:00"``) is on the next day, for night workers. Minutes from the start of the day.
    """
    out = []
    for win in text.split(";"):
        win = win.strip()
        if not win:
            continue
        days_txt, _, hours = win.partition(" ")
        days = parse_days(days_txt)
        hours = hours.strip()
        if not hours:
            out.append((days, 0, 10 * 1440))
            continue
        a, sep, b = hours.partition("-")
        if not sep:
            raise ValueError(f"'{hours}' is not a span of hours like 08:00-20:00")
        s0, e0 = _minutes(a), _minutes(b)
        if e0 <= s0:
            e0 += 1440
        out.append((days, s0, e0))
    return tuple(out)


def parse_leave(text: str) -> frozenset[pd.Timestamp]:
    """Leave days from text like ``"2026-10-12..2026-10-16; 2026-10-20"`` (dates YYYY-MM-DD, inclusive ranges)."""
    out: set[pd.Timestamp] = set()
    for part in text.replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        a, sep, b = part.partition("..")
        try:
            d0 = pd.Timestamp(pd.to_datetime(a.strip(), format="%Y-%m-%d"))
            d1 = pd.Timestamp(pd.to_datetime(b.strip(), format="%Y-%m-%d")) if sep else d0
        except (ValueError, TypeError):
            raise ValueError(f"'{part}' is not a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD") from None
        if d1 < d0:
            raise ValueError(f"'{part}' ends before it starts")
        if (d1 - d0).days > 366:
            raise ValueError(f"'{part}' is more than a year of leave")
        out.update(pd.date_range(d0, d1, freq="D"))
    return frozenset(out)


def parse_start(text: str) -> float | None:
    """Preferred shift start ``HH:MM`` as hours of the day, or None when empty."""
    if not text.strip():
        return None
    v = _minutes(text)
    if v >= 1440:
        raise ValueError(f"'{text}' is not a start time from 00:00 to 23:59")
    return v / 60.0


def shifts_allowed(start: pd.Series, end: pd.Series, availability: str, leave: str) -> np.ndarray:
    """True for each shift ``[start, end)`` the agent may work: inside an availability window (see
    :func:`parse_availability`) and touching no leave day (a shift crossing midnight touches both days)."""
    start = pd.Series(pd.to_datetime(start)).reset_index(drop=True)
    end = pd.Series(pd.to_datetime(end)).reset_index(drop=True)
    ok = np.ones(len(start), dtype=bool)
    wins = parse_availability(availability)
    if wins:
        day = start.dt.normalize()
        wd = day.dt.day_of_week.to_numpy()
        s_min = ((start - day) / pd.Timedelta(minutes=1)).to_numpy()
        e_min = ((end - day) / pd.Timedelta(minutes=1)).to_numpy()
        fit = np.zeros(len(start), dtype=bool)
        for days, w0, w1 in wins:
            fit |= np.isin(wd, list(days)) & (s_min >= w0 - 1e-9) & (e_min <= w1 + 1e-9)
        ok &= fit
    off = parse_leave(leave)
    if off:
        last = (end - pd.Timedelta(seconds=1)).dt.normalize()
        first = start.dt.normalize()
        touch = np.zeros(len(start), dtype=bool)
        for d in off:
            touch |= ((first <= d) & (last >= d)).to_numpy()
        ok &= ~touch
    return ok


def read_ledger(path: str | Path) -> pd.DataFrame:
    """Read a holiday ledger CSV ``agent_id, holiday_shifts``; InputError with row and column on bad rows."""
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", file=str(p))
    df, lines = _read_csv_with_lines(p)
    return ledger_from_frame(df, source=str(p), _lines=lines)


def ledger_from_frame(df: pd.DataFrame | None, source: str = "ledger", _lines: list[int] | None = None) -> pd.DataFrame:
    """Validate a ledger frame; returns ``agent_id (str), holiday_shifts (int), last_holiday (date or NaT:
    the latest public holiday the agent worked, optional on input)`` sorted by agent_id."""
    if df is None:
        return pd.DataFrame({"agent_id": pd.Series([], dtype=str), "holiday_shifts": pd.Series([], dtype=int),
                             "last_holiday": pd.Series([], dtype="datetime64[ns]")})
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in LEDGER_COLUMNS[:2] if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; found {', '.join(df.columns) or 'none'}",
                         file=source, row=1, column=missing[0])
    lines = list(_lines) if _lines is not None else [i + 2 for i in range(len(df))]
    ids, counts, lasts, seen = [], [], [], {}
    for pos in range(len(df)):
        aid, text = _cell(df["agent_id"].iloc[pos]), _cell(df["holiday_shifts"].iloc[pos])
        if not aid:
            raise InputError("agent_id is empty", file=source, row=lines[pos], column="agent_id")
        if aid in seen:
            raise InputError(f"duplicate agent_id '{aid}' (first on row {seen[aid]})", file=source,
                             row=lines[pos], column="agent_id")
        seen[aid] = lines[pos]
        v = parse_number_cell(text, source, lines[pos], "holiday_shifts", integer=True, maximum=100_000,
                              unit="holiday shifts")
        raw = df["last_holiday"].iloc[pos] if "last_holiday" in df.columns else ""
        last = "" if raw is pd.NaT else _cell(raw)
        try:
            if isinstance(raw, (pd.Timestamp, np.datetime64)) and last:
                lasts.append(pd.Timestamp(raw).normalize())  # already typed (a ledger read before)
            else:
                lasts.append(pd.Timestamp(pd.to_datetime(last, format="%Y-%m-%d")) if last else pd.NaT)
        except (ValueError, TypeError):
            raise InputError(f"'{last}' is not a date YYYY-MM-DD", file=source, row=lines[pos],
                             column="last_holiday") from None
        ids.append(aid)
        counts.append(int(v))
    out = pd.DataFrame({"agent_id": pd.Series(ids, dtype=str), "holiday_shifts": pd.Series(counts, dtype=int),
                        "last_holiday": pd.Series(lasts, dtype="datetime64[ns]")})
    return out.sort_values("agent_id", kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------------------------------------
# Shifts
# ----------------------------------------------------------------------------------------------------------


def _prepare_shifts(shifts: pd.DataFrame) -> pd.DataFrame:
    src = shifts.attrs.get("source") or "shifts"  # the file's path when the frame was read by wfm.io
    missing = [c for c in SHIFT_COLUMNS if c not in shifts.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=src, row=1, column=missing[0])
    s = shifts.copy().reset_index(drop=True)
    s["_row"] = np.arange(len(s)) + 2
    for c in ("break_start", "break_end"):
        if c not in s:
            s[c] = pd.NaT
    for c in ("date", "start", "end", "break_start", "break_end"):
        raw = s[c]
        if not pd.api.types.is_datetime64_any_dtype(raw):
            blank = raw.isna() | (raw.astype(str).str.strip() == "")
            parsed = pd.to_datetime(raw.where(~blank), errors="coerce", format="mixed")
            bad = parsed.isna() & ~blank
            if c in ("date", "start", "end"):
                bad = bad | blank
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"'{raw.iloc[i]}' is not a date-time", file=src, row=i + 2, column=c)
            s[c] = parsed
        s[c] = s[c].astype("datetime64[ns]")
    s["paid_hours"] = parse_number_column(s["paid_hours"], src, "paid_hours", maximum=24)
    s["count"] = parse_number_column(s["count"], src, "count", integer=True, maximum=MAX_AGENTS, unit="agents")
    for c in ("shift_id", "queue", "template"):
        s[c] = s[c].astype(str)
    dup = s["shift_id"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"duplicate shift_id '{s['shift_id'].iloc[i]}'", file=src, row=i + 2, column="shift_id")
    bad = s["end"] <= s["start"]
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("the shift ends before it starts", file=src, row=i + 2, column="end")
    s["date"] = s["date"].dt.normalize()
    bad = s["start"].dt.normalize() != s["date"]
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("date is not the day the shift starts", file=src, row=i + 2, column="date")
    s = s.loc[s["count"] > 0]
    return s.sort_values(["start", "queue", "shift_id"], kind="stable").reset_index(drop=True)


def _touches_night(start: pd.Series, end: pd.Series, night_start_h: float, night_end_h: float) -> np.ndarray:
    """True where [start, end) overlaps the night window (which may wrap past midnight)."""
    if night_start_h == night_end_h:
        return np.zeros(len(start), dtype=bool)
    out = np.zeros(len(start), dtype=bool)
    day0 = start.dt.normalize()
    ns, ne = pd.Timedelta(hours=night_start_h), pd.Timedelta(hours=night_end_h)
    wrap = night_end_h < night_start_h
    span_days = int(((end - day0) / pd.Timedelta(days=1)).max()) + 1 if len(start) else 0
    for k in range(-1, span_days + 1):
        d = day0 + pd.Timedelta(days=k)
        w0 = d + ns
        w1 = d + pd.Timedelta(days=1) + ne if wrap else d + ne
        out |= ((start < w1) & (end > w0)).to_numpy()
    return out


# ----------------------------------------------------------------------------------------------------------
# The weekly model
# ----------------------------------------------------------------------------------------------------------


def _cliques(starts: np.ndarray, ends_rest: np.ndarray, day1: list[int], day2: list[int]) -> list[tuple[list[int], list[int]]]:
    """Maximal conflict cliques between shifts of an earlier day (``day1``) and a later day (``day2``).

    ``starts``/``ends_rest`` are seconds; g1 conflicts with g2 iff ``starts[g2] < ends_rest[g1]``.
    """
    if not day1 or not day2:
        return []
    d2 = sorted(day2, key=lambda g: (starts[g], g))
    thresholds = sorted({int(starts[g]) for g in d2})
    sets = []
    for t in thresholds:
        a = tuple(g for g in day1 if ends_rest[g] > t)
        sets.append((t, a))
    out = []
    for i, (t, a) in enumerate(sets):
        if not a:
            continue
        if i + 1 < len(sets) and sets[i + 1][1] == a:
            continue  # the next threshold has the same A and a larger B
        b = [g for g in d2 if starts[g] <= t]
        out.append((list(a), b))
    return out


def _var(prob: pulp.LpProblem, name: str, low=None, up=None, cat=pulp.LpContinuous) -> pulp.LpVariable:
    # PuLP 3.x creates variables through the problem (PuLP 4 style); older PuLP only has LpVariable.
    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, low, up, cat=cat)
    return pulp.LpVariable(name, low, up, cat)


class _HiGHSWithStart(pulp.HiGHS):
    """HiGHS through PuLP, handed a MIP start: the values of the variables whose ``varValue`` is set
    before solving (the greedy roster). HiGHS completes the rest (the continuous slacks) itself.

    ``offset`` (a lower bound on the coverage cost) is subtracted from the objective inside HiGHS so that
    the relative gap ``mip_gap`` is measured against the cost still in play (hours, fairness, avoidable
    empty seats), not against a large cost of empty seats no roster can fill: otherwise a 1% gap on an
    understaffed week would hide hundreds of hours of contracted-hours shortfall.
    """

    offset = 0.0

    def callSolver(self, lp):  # noqa: N802 (PuLP's name)
        if self.offset:
            lp.solverModel.changeObjectiveOffset(-float(self.offset))
        given = [(v.index, float(v.varValue)) for v in lp.variables() if v.varValue is not None]
        if given:
            idx = np.array([i for i, _ in given], dtype=np.int32)
            val = np.array([x for _, x in given], dtype=np.float64)
            lp.solverModel.setSolution(len(given), idx, val)
        lp.solverModel.run()


def _solver(cfg, limit: float):
    highs = _HiGHSWithStart(msg=False, timeLimit=limit, gapRel=float(cfg.roster.mip_gap), random_seed=0)
    if highs.available():
        return highs, "HiGHS"
    return _cbc(cfg, limit), "CBC"


def _cbc(cfg, limit: float, mip: bool = True):
    return pulp.PULP_CBC_CMD(mip=mip, msg=False, timeLimit=limit, gapRel=float(cfg.roster.mip_gap), threads=1,
                             warmStart=mip)


def _lp_values(prob: pulp.LpProblem, x: dict, cover_terms: list, cfg) -> tuple[dict | None, float, float]:
    """Solve the LP relaxation. Returns its x values (the guide for the greedy start), a lower bound on
    the coverage cost of any roster (the LP's coverage cost; the other terms are >= 0) and the seconds."""
    t0 = time.perf_counter()
    limit = max(1.0, float(cfg.roster.time_limit_s) / 4)
    values, bound = None, 0.0
    try:
        highs = pulp.HiGHS(mip=False, msg=False, timeLimit=limit)
        prob.solve(highs if highs.available() else _cbc(cfg, limit, mip=False))
        if prob.sol_status == pulp.LpSolutionOptimal:
            values = {k: float(v.varValue or 0.0) for k, v in x.items()}
            cover = sum(c * float(v.varValue or 0.0) for v, c in cover_terms)
            bound = max(0.0, cover * (1 - 1e-9) - 1e-6)
    except pulp.PulpSolverError:
        pass
    for v in prob.variables():
        v.varValue = None
    return values, bound, time.perf_counter() - t0


def _solve(prob: pulp.LpProblem, cfg, limit: float, offset: float = 0.0) -> dict:
    solver, name = _solver(cfg, limit)
    if name == "HiGHS":
        solver.offset = offset
    t0 = time.perf_counter()
    try:
        prob.solve(solver)
    except pulp.PulpSolverError:
        if name != "HiGHS":
            raise SolverError("the roster solver (CBC) failed to run") from None
        name = "CBC"
        prob.solve(_cbc(cfg, limit))
    secs = time.perf_counter() - t0
    info = {"solver": name, "seconds": round(secs, 2), "status": pulp.LpStatus.get(prob.status, str(prob.status)),
            "proven_optimal": prob.sol_status == pulp.LpSolutionOptimal,
            "objective": None, "best_bound": None, "gap": None}
    has_solution = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    if name == "HiGHS" and getattr(prob, "solverModel", None) is not None:
        h = prob.solverModel
        hinfo = h.getInfo()
        info["status"] = h.modelStatusToString(h.getModelStatus())
        has_solution = has_solution and int(hinfo.primal_solution_status) == 2
        if has_solution:
            obj = float(hinfo.objective_function_value) + float(offset)
            bound = float(hinfo.mip_dual_bound) + float(offset)
            info["objective"] = obj
            info["best_bound"] = bound if math.isfinite(bound) else None
            # the usual relative gap on the whole objective, and the one HiGHS stopped on (cost in play)
            if math.isfinite(bound):
                info["gap"] = max(0.0, obj - bound) / abs(obj) if abs(obj) > 1e-9 else 0.0
            g = float(hinfo.mip_gap)
            info["gap_above_coverage_bound"] = g if math.isfinite(g) else None
            info["coverage_bound"] = float(offset)
    elif has_solution:
        info["objective"] = float(pulp.value(prob.objective) or 0.0)
    info["has_solution"] = has_solution
    return info


def _greedy_week(w_rows, by_agent, count, req_hol, is_hol, start_t, end_t, rest_t, day_idx, paid,
                 a_days, a_max, need, worked_days, M, hol_load, lp=None, initial=None) -> set[tuple[int, int]]:
    """A feasible assignment for one week, built seat by seat; handed to the solver as its MIP start so
    that a time limit never returns a roster worse than this. With ``initial`` (a feasible assignment, the
    MIP's), no seat is filled afresh: only the repair of empty seats and the rebalancing of hours run on it.

    Seats in order: guaranteed holiday seats, then the rest; within each, the seats with the fewest
    eligible agents first. Each seat goes to the eligible agent who can take it without breaking a hard
    rule and (holiday) has the least holiday duty, then (all) the most contracted hours still missing,
    then the fewest hours, then the first in the agent list.
    """
    elig: dict[int, list[int]] = defaultdict(list)
    for a, gs in enumerate(by_agent):
        for g in gs:
            elig[g].append(a)
    seats = []
    for g in w_rows:
        g = int(g)
        for k in range(int(count[g])):
            seats.append((0 if k < req_hol[g] else 1, len(elig[g]), int(start_t[g]), g))
    seats.sort()
    taken: dict[int, list[int]] = defaultdict(list)  # agent -> shifts
    days: dict[int, set[int]] = defaultdict(set)
    hours = defaultdict(float)
    hol = dict(hol_load)
    out: set[tuple[int, int]] = set()

    def fits(a: int, g: int) -> bool:
        d = int(day_idx[g])
        if d in days[a] or len(days[a]) >= a_days[a] or hours[a] + paid[g] > a_max[a] + 1e-9 or (a, g) in out:
            return False
        for h in taken[a]:
            if start_t[g] >= start_t[h]:
                if start_t[g] < end_t[h] + rest_t:
                    return False
            elif start_t[h] < end_t[g] + rest_t:
                return False
        run = 1
        k = d - 1
        while k in days[a] or k in worked_days[a]:
            run += 1
            k -= 1
        k = d + 1
        while k in days[a]:
            run += 1
            k += 1
        return run <= M

    def add(a: int, g: int) -> None:
        out.add((a, g))
        taken[a].append(g)
        days[a].add(int(day_idx[g]))
        hours[a] += paid[g]
        if is_hol[g]:
            hol[a] = hol.get(a, 0) + 1

    def remove(a: int, g: int) -> None:
        out.discard((a, g))
        taken[a].remove(g)
        days[a].discard(int(day_idx[g]))
        hours[a] -= paid[g]
        if is_hol[g]:
            hol[a] -= 1

    def pref(a: int, g: int) -> float:
        return -round(lp.get((a, g), 0.0), 3) if lp is not None else 0.0

    empty = []
    if initial is not None:
        for a, g in sorted(initial):
            add(a, g)
        held = defaultdict(int)
        for _, g in initial:
            held[g] += 1
        empty = [int(g) for g in w_rows for _ in range(int(count[g]) - held[int(g)])]
        seats = []
    for seat in seats:
        g = seat[3]
        best, best_key = None, None
        for a in elig[g]:
            if not fits(a, g):
                continue
            key = (pref(a, g), hol.get(a, 0) if is_hol[g] else 0, -(need[a] - hours[a]), hours[a], a)
            if best_key is None or key < best_key:
                best, best_key = a, key
        if best is None:
            empty.append(g)
        else:
            add(best, g)

    # Repair: an empty seat g goes to an agent a who gives one of her shifts h to another agent b.
    for g in empty:
        moved = False
        for a in sorted(elig[g], key=lambda a: (pref(a, g), a)):
            if (a, g) in out:
                continue
            for h in list(taken[a]):
                remove(a, h)
                if fits(a, g):
                    for b in elig[h]:
                        if b != a and fits(b, h):
                            add(a, g)
                            add(b, h)
                            moved = True
                            break
                if moved:
                    break
                add(a, h)
            if moved:
                break
    # Rebalance contracted hours: an agent short of her weekly minimum takes a shift from an agent who
    # stays at or above hers (or, failing that, whenever the two agents' total shortfall drops). Each
    # move keeps every hard rule (fits) and the coverage; it gives the MIP a start whose hours are right.
    holders: dict[int, list[int]] = defaultdict(list)
    for a, g in out:
        holders[g].append(a)
    for _ in range(3):
        moved_any = False
        short = sorted((a for a in range(len(by_agent)) if need[a] - hours[a] > 1e-9), key=lambda a: (hours[a] - need[a], a))
        for a in short:
            for g in sorted(by_agent[a], key=lambda g: (int(start_t[g]), g)):
                if need[a] - hours[a] <= 1e-9:
                    break
                if (a, g) in out:
                    continue
                for b in sorted(holders[g], key=lambda b: (need[b] - hours[b], b)):
                    before = max(0.0, need[a] - hours[a]) + max(0.0, need[b] - hours[b])
                    after = max(0.0, need[a] - hours[a] - paid[g]) + max(0.0, need[b] - hours[b] + paid[g])
                    if after >= before - 1e-9:
                        continue
                    remove(b, g)
                    if fits(a, g):
                        add(a, g)
                        holders[g].remove(b)
                        holders[g].append(a)
                        moved_any = True
                        break
                    add(b, g)
        if not moved_any:
            break
    return out


def _stabilise(pairs, x, a_pref, start_key, start_t, end_t, rest_t, day_idx, paid, w_stable: float,
               max_passes: int = 4) -> tuple[list[tuple[int, int]], int]:
    """Swap the shifts of two agents over a block of consecutive days on which both work, where that
    lowers their soft cost: ``w_stable`` per shift not at the agent's most common start time of the week,
    plus their preference costs (``a_pref``). Blocks, not single days: moving from a late to an early start
    mid-week breaks the rest rule, so the swap that makes two agents' weeks stable is often "from Wednesday
    on". A swap is made only where each agent may hold the other's shifts (``(agent, shift)`` is a variable
    of the week's model: skills, contract, night, availability, leave, rest after last week), the paid
    hours of each day are equal, and the rest and overlap rules hold inside the new weeks; so coverage,
    hours, days worked, holiday and weekend counts are unchanged and every hard rule still holds.
    Returns the pairs and the number of swaps."""
    if not pairs or (w_stable <= 0 and all(p is None for p in a_pref)):
        return pairs, 0
    of: dict[int, dict[int, int]] = defaultdict(dict)  # agent -> day -> shift
    for a, g in pairs:
        of[a][int(day_idx[g])] = g

    sk = start_key.tolist()
    prefs = {a: a_pref[a].tolist() for a in of if a_pref[a] is not None}

    def cost(a: int, week: dict[int, int]) -> float:
        gs = week.values()
        # shifts away from the agent's most common start time: zero exactly when the week has one start
        # time, and (unlike a count of distinct start times) lowered by each swap towards it
        counts: dict[int, int] = {}
        for g in gs:
            counts[sk[g]] = counts.get(sk[g], 0) + 1
        c = w_stable * (len(week) - max(counts.values(), default=0))
        p = prefs.get(a)
        return c + sum(p[g] for g in gs) if p is not None else c

    def rest_ok(week: dict[int, int]) -> bool:
        gs = [week[d] for d in sorted(week)]
        return all(start_t[g2] >= end_t[g1] + rest_t for g1, g2 in zip(gs, gs[1:]))

    agents = sorted(of)
    swaps = 0
    for _ in range(max_passes):
        improved = False
        for i, a in enumerate(agents):
            for b in agents[i + 1:]:
                common = sorted(set(of[a]) & set(of[b]))
                ok = [d for d in common if (a, of[b][d]) in x and (b, of[a][d]) in x
                      and abs(paid[of[a][d]] - paid[of[b][d]]) < 1e-9]
                if not ok:
                    continue
                runs, cur = [], [ok[0]]
                for d in ok[1:]:
                    if d == cur[-1] + 1:
                        cur.append(d)
                    else:
                        runs.append(cur)
                        cur = [d]
                runs.append(cur)
                base = cost(a, of[a]) + cost(b, of[b])
                best = None
                for run in runs:
                    for s_i in range(len(run)):
                        for e_i in range(s_i, len(run)):
                            block = run[s_i:e_i + 1]
                            if a not in prefs and b not in prefs and all(sk[of[a][d]] == sk[of[b][d]] for d in block):
                                continue
                            na = dict(of[a])
                            nb = dict(of[b])
                            for d in block:
                                na[d], nb[d] = of[b][d], of[a][d]
                            gain = base - cost(a, na) - cost(b, nb)
                            if gain > 1e-9 and (best is None or gain > best[0] + 1e-12) and rest_ok(na) and rest_ok(nb):
                                best = (gain, na, nb)
                if best is not None:
                    of[a], of[b] = best[1], best[2]
                    swaps += 1
                    improved = True
        if not improved:
            break
    out = sorted((a, g) for a, week in of.items() for g in week.values())
    return out, swaps


def build_roster(shifts: pd.DataFrame, agents: pd.DataFrame, cfg, ledger: pd.DataFrame | None = None,
                 progress=None) -> RosterResult:
    """Assign agents to shifts, one ISO week at a time (see the module docstring for the model).

    ``shifts``: ``shift_id, queue, date, template, start, end, break_start, break_end, paid_hours, count``.
    ``agents``: as from :func:`load_agents` (a raw frame is validated too). ``ledger``: ``agent_id,
    holiday_shifts`` of holiday shifts worked before this horizon. ``progress(message)`` is called as each
    week starts. Raises SolverError only when the solver returns no assignment at all.
    """
    rcfg, pay = cfg.roster, cfg.pay
    ag = agents_from_frame(agents, source="agents")
    led = ledger_from_frame(ledger if ledger is not None and len(ledger.columns) else None)
    s = _prepare_shifts(shifts)
    rest = pd.Timedelta(hours=float(rcfg.min_rest_h))
    M = int(rcfg.max_consecutive_days)
    day_cap_rule = 7 - int(rcfg.min_days_off_per_week)

    # Shift attributes as arrays (index = row of s).
    n_s = len(s)
    if n_s:
        cal = day_calendar(pd.date_range(s["date"].min(), s["date"].max(), freq="D"),
                           cfg.site.country, cfg.site.subdivision)
        hol_dates = set(cal.loc[cal["is_holiday"], "date"])
    else:
        hol_dates = set()
    s["is_holiday"] = s["date"].isin(hol_dates).astype(bool)
    s["_night"] = _touches_night(s["start"], s["end"], pay.night_start_h, pay.night_end_h)
    t_contract = {t.name: t.contract for t in cfg.require("schedule").templates}
    s["_contract"] = s["template"].map(t_contract).fillna("any")
    s["_week"] = s["date"] - pd.to_timedelta(s["date"].dt.day_of_week, unit="D")
    epoch = s["date"].min() if n_s else pd.Timestamp("2000-01-01")
    # times as whole seconds since the first day, so that comparisons are exact
    start_t = ((s["start"] - epoch) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
    end_t = ((s["end"] - epoch) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
    rest_t = int(round(rest / pd.Timedelta(seconds=1)))
    ends_rest = end_t + rest_t
    day_idx = ((s["date"] - epoch) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    paid = s["paid_hours"].to_numpy(dtype=float)
    count = s["count"].to_numpy(dtype=np.int64)
    queue = s["queue"].to_numpy(dtype=object)
    night = s["_night"].to_numpy(dtype=bool)
    tcon = s["_contract"].to_numpy(dtype=object)
    is_hol = s["is_holiday"].to_numpy(dtype=bool)
    req_hol = np.where(is_hol, np.ceil(rcfg.holiday_min_share * count - 1e-9).astype(np.int64), 0)
    # how many days after its start day a shift plus the rest can still conflict
    reach = int(max(0, math.ceil((int((end_t - day_idx * 86400).max()) + rest_t) / 86400) - 1)) if n_s else 0
    h0 = s["date"].min() if n_s else None
    h1 = s["date"].max() if n_s else None

    # Agents
    n_a = len(ag)
    a_ids = ag["agent_id"].tolist()
    a_q = [frozenset(q.split(";")) for q in ag["queues"]]
    a_con = ag["contract"].tolist()
    a_night = ag["night_ok"].tolist()
    a_min = ag["min_hours_week"].to_numpy(dtype=float)
    a_max = ag["max_hours_week"].to_numpy(dtype=float)
    a_days = np.minimum(ag["max_days_week"].to_numpy(dtype=int), day_cap_rule)
    led_map = dict(zip(led["agent_id"], led["holiday_shifts"]))
    base_hol = np.array([int(led_map.get(a, 0)) for a in a_ids], dtype=np.int64)
    # Recency of past holiday duty in [0, 1]: 0 never (or the oldest), 1 the most recent. Among agents with
    # the same count, those who worked the last holidays are picked last.
    last_map = {a: d for a, d in zip(led["agent_id"], led["last_holiday"]) if pd.notna(d)}
    recency = np.zeros(n_a)
    if last_map:
        order = sorted({d for d in last_map.values()})
        rank = {d: (k + 1) / len(order) for k, d in enumerate(order)}
        recency = np.array([rank.get(last_map.get(a), 0.0) for a in a_ids])

    # Availability and leave (hard), per agent; agents with neither share one all-true mask.
    allowed_cache: dict[tuple[str, str], np.ndarray] = {}
    a_allowed: list[np.ndarray | None] = []
    for av, lv in zip(ag["availability"], ag["leave"]):
        if not av and not lv:
            a_allowed.append(None)
            continue
        if (av, lv) not in allowed_cache:
            allowed_cache[(av, lv)] = shifts_allowed(s["start"], s["end"], av, lv) if n_s else np.zeros(0, bool)
        a_allowed.append(allowed_cache[(av, lv)])

    # Soft goals: preference cost of each (agent, shift), weighted up by seniority.
    wts = rcfg.weights
    start_h = ((s["start"] - s["date"]) / pd.Timedelta(hours=1)).to_numpy(dtype=float) if n_s else np.zeros(0)
    start_key = np.round(start_h * 60).astype(np.int64)  # start time of day [min]
    wday = s["date"].dt.day_of_week.to_numpy() if n_s else np.zeros(0, dtype=np.int64)
    weekend = wday >= 5
    sen = ag["seniority"].to_numpy(dtype=float)
    sen_f = 1.0 + float(wts.seniority_boost) * (sen / sen.max() if n_a and sen.max() > 0 else np.zeros(n_a))
    # a_day_pref: preferred days off, priced in the weekly MIP (a choice of days); a_pref: that plus the
    # preferred start, used by the same-day swaps of _stabilise (a choice among the day's shifts). Keeping
    # the per-shift start costs out of the MIP keeps it fast: they would break its many ties and cost
    # minutes per week for a few tenths of an hour of start-time distance.
    a_pref: list[np.ndarray | None] = []
    a_day_pref: list[np.ndarray | None] = []
    for i in range(n_a):
        ps = parse_start(ag["preferred_start"].iloc[i])
        off = parse_days(ag["preferred_days_off"].iloc[i])
        c_day = (float(wts.preferred_day_off) * sen_f[i]) * np.isin(wday, list(off)) if off else None
        a_day_pref.append(c_day if c_day is not None and c_day.any() else None)
        if ps is None and c_day is None:
            a_pref.append(None)
            continue
        c = np.zeros(n_s) if c_day is None else c_day.copy()
        if ps is not None:
            d = np.abs(start_h - ps) % 24.0
            c += float(wts.preferred_start_per_h) * sen_f[i] * np.minimum(d, 24.0 - d)
        a_pref.append(c)
    ot_after = pay.weekly_overtime_after_h

    # Eligibility per class of agents (skills, contract, night) over all shifts.
    class_mask: dict[tuple, np.ndarray] = {}
    a_class = []
    for i in range(n_a):
        key = (tuple(sorted(a_q[i])), a_con[i], a_night[i])
        if key not in class_mask:
            m = np.isin(queue, list(key[0])) if n_s else np.zeros(0, bool)
            if not key[2]:
                m &= ~night
            m &= (tcon == "any") | (tcon == key[1])
            class_mask[key] = m
        a_class.append(key)

    # State carried across weeks
    last_end = np.full(n_a, np.iinfo(np.int64).min // 4, dtype=np.int64)  # seconds since the first day
    worked_days: list[set[int]] = [set() for _ in range(n_a)]
    hol_so_far = np.zeros(n_a, dtype=np.int64)
    wkd_so_far = np.zeros(n_a, dtype=np.int64)  # weekend shifts in this horizon so far
    assigned: list[tuple[int, int]] = []  # (agent, shift)
    shortfall = np.zeros(n_a, dtype=float)
    weeks_info = []

    weeks = sorted(s["_week"].unique()) if n_s else []
    work_share = week_working_share(weeks, cfg.site.country, cfg.site.subdivision) if weeks else pd.Series(dtype=float)
    if weeks:
        wcal = day_calendar(pd.date_range(pd.Timestamp(weeks[0]), pd.Timestamp(weeks[-1]) + pd.Timedelta(days=6)),
                            cfg.site.country, cfg.site.subdivision)
        workdays = set(wcal.loc[wcal["day_type"] == "workday", "date"])
    else:
        workdays = set()
    a_leave = [parse_leave(t) for t in ag["leave"]]
    for wk_i, wk in enumerate(weeks):
        wk = pd.Timestamp(wk)
        if progress:
            progress(f"roster week {wk_i + 1}/{len(weeks)} (from {wk.date()})")
        w_rows = np.flatnonzero((s["_week"] == wk).to_numpy())
        w_set = np.zeros(n_s, dtype=bool)
        w_set[w_rows] = True
        wk_day0 = int((wk - epoch) // pd.Timedelta(days=1))
        days_in = sum(1 for k in range(7) if h0 <= wk + pd.Timedelta(days=k) <= h1)
        min_frac = days_in / 7.0 * float(work_share.get(wk, 1.0))
        # Leave on working days is paid time off: it lowers the hours owed like a public day off does.
        n_wd = sum(1 for k in range(7) if wk + pd.Timedelta(days=k) in workdays)
        need_w = a_min * min_frac
        for a in range(n_a):
            if a_leave[a]:
                lwd = sum(1 for k in range(7) if (d := wk + pd.Timedelta(days=k)) in a_leave[a] and d in workdays
                          and h0 <= d <= h1)
                if lwd:
                    share_all, share_a = min(1.0, n_wd / 5.0), min(1.0, max(0, n_wd - lwd) / 5.0)
                    need_w[a] *= share_a / share_all if share_all > 0 else 0.0

        prob = pulp.LpProblem(f"roster_{wk.date()}", pulp.LpMinimize)
        obj_terms: list[tuple] = []
        x: dict[tuple[int, int], pulp.LpVariable] = {}
        by_agent: list[list[int]] = [[] for _ in range(n_a)]
        by_shift: dict[int, list[pulp.LpVariable]] = defaultdict(list)

        # Clique structures per class for this week.
        class_cliques: dict[tuple, list] = {}
        for key, m in class_mask.items():
            rows = np.flatnonzero(m & w_set)
            per_day: dict[int, list[int]] = defaultdict(list)
            for g in rows:
                per_day[int(day_idx[g])].append(int(g))
            cl = []
            for d1 in sorted(per_day):
                for k in range(1, reach + 1):
                    d2 = d1 + k
                    if d2 in per_day:
                        cl.extend(_cliques(start_t, ends_rest, per_day[d1], per_day[d2]))
            class_cliques[key] = cl

        for a in range(n_a):
            if a_days[a] <= 0:
                continue
            m = class_mask[a_class[a]] & w_set & (paid <= a_max[a] + 1e-9) & (start_t >= last_end[a] + rest_t)
            if a_allowed[a] is not None:
                m &= a_allowed[a]
            for g in np.flatnonzero(m):
                g = int(g)
                v = _var(prob, f"x_{a}_{g}", cat=pulp.LpBinary)
                x[(a, g)] = v
                by_agent[a].append(g)
                by_shift[g].append(v)

        # Coverage
        cover_terms = []  # (variable, cost): the coverage part of the objective
        for g in w_rows:
            g = int(g)
            terms = [(v, 1) for v in by_shift.get(g, [])]
            u = _var(prob, f"u_{g}", 0, int(count[g]))
            terms.append((u, 1))
            cover_terms.append((u, W_UNFILLED_PER_H * paid[g]))
            if req_hol[g] > 0:
                uh = _var(prob, f"uh_{g}", 0, int(req_hol[g]))
                u.upBound = int(count[g] - req_hol[g])
                terms.append((uh, 1))
                cover_terms.append((uh, W_HOLIDAY_UNFILLED_PER_H * paid[g]))
            prob += pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, f"cover_{g}", int(count[g]))

        # Per-agent rules
        hol_rows = [int(g) for g in w_rows if is_hol[g]]
        hol_eligible = [a for a in range(n_a) if any(is_hol[g] for g in by_agent[a])]
        wkd_agents = [a for a in range(n_a) if any(weekend[g] for g in by_agent[a])]
        w0 = min((int(wkd_so_far[a]) for a in wkd_agents), default=0)
        wkd_rel = {a: int(wkd_so_far[a]) - w0 for a in wkd_agents}
        for a in range(n_a):
            gs = by_agent[a]
            have = set(gs)
            per_day: dict[int, list[int]] = defaultdict(list)
            for g in gs:
                per_day[int(day_idx[g])].append(g)
            # hours (shortfall even when the agent has no shift this week)
            need = need_w[a]
            if not gs:
                shortfall[a] += need
                continue
            hours = pulp.LpAffineExpression([(x[(a, g)], paid[g]) for g in gs])
            if sum(paid[g] for g in gs) > a_max[a] + 1e-9:
                prob += pulp.LpConstraint(hours, pulp.LpConstraintLE, f"maxh_{a}", float(a_max[a]))
            if need > 1e-9:
                sf = _var(prob, f"short_{a}", 0)
                obj_terms.append((sf, W_SHORTFALL_PER_H))
                prob += pulp.LpConstraint(hours + sf, pulp.LpConstraintGE, f"minh_{a}", float(need))
            # soft goals: preferences, no weekly overtime, weekend fairness (stable starts: _stabilise)
            if a_day_pref[a] is not None:
                obj_terms.extend((x[(a, g)], float(a_day_pref[a][g])) for g in gs if a_day_pref[a][g] > 0)
            if ot_after is not None and wts.overtime_per_h > 0:
                limit_ot = float(ot_after) * days_in / 7.0
                if min(a_max[a], sum(paid[g] for g in gs)) > limit_ot + 1e-9:
                    ov = _var(prob, f"ot_{a}", 0)
                    obj_terms.append((ov, float(wts.overtime_per_h)))
                    prob += pulp.LpConstraint(hours - ov, pulp.LpConstraintLE, f"ot_{a}", limit_ot)
            wg = [g for g in gs if weekend[g]]
            if wg and wts.weekend_fairness > 0:
                yw = pulp.LpAffineExpression([(x[(a, g)], 1) for g in wg])
                zs = []
                for j in range(1, len({int(day_idx[g]) for g in wg}) + 1):
                    z = _var(prob, f"wz_{a}_{j}", 0, 1)
                    obj_terms.append((z, float(wts.weekend_fairness) * (wkd_rel[a] + j)))
                    zs.append((z, 1))
                prob += pulp.LpConstraint(pulp.LpAffineExpression(zs) - yw, pulp.LpConstraintEQ, f"wkz_{a}", 0)
            # one shift per day
            for d, lst in per_day.items():
                if len(lst) > 1:
                    prob += pulp.LpConstraint(pulp.LpAffineExpression([(x[(a, g)], 1) for g in lst]),
                                              pulp.LpConstraintLE, f"day_{a}_{d}", 1)
            # days per week
            if len(per_day) > a_days[a]:
                prob += pulp.LpConstraint(pulp.LpAffineExpression([(x[(a, g)], 1) for g in gs]),
                                          pulp.LpConstraintLE, f"days_{a}", int(a_days[a]))
            # rest and overlap
            for ci, (A, B) in enumerate(class_cliques[a_class[a]]):
                aa = [g for g in A if g in have]
                bb = [g for g in B if g in have]
                if aa and bb:
                    prob += pulp.LpConstraint(pulp.LpAffineExpression([(x[(a, g)], 1) for g in aa + bb]),
                                              pulp.LpConstraintLE, f"rest_{a}_{ci}", 1)
            # consecutive days: windows [st, st + M] ending inside this week
            for st in range(wk_day0 - M, wk_day0 + 7 - M):
                window = range(st, st + M + 1)
                fixed = sum(1 for d in window if d < wk_day0 and d in worked_days[a])
                var_days = [d for d in window if d >= wk_day0 and d in per_day]
                if fixed + len(var_days) <= M:
                    continue
                terms = [(x[(a, g)], 1) for d in var_days for g in per_day[d]]
                prob += pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintLE,
                                          f"consec_{a}_{st - wk_day0 + M}", max(0, M - fixed))

        # Holiday fairness. hol_load: each agent's holiday duty before this week (ledger + earlier weeks).
        hol_load = {a: int(base_hol[a] + hol_so_far[a]) for a in range(n_a)}
        if hol_rows and hol_eligible:
            load = {a: hol_load[a] for a in hol_eligible}
            b0 = min(load.values())
            hmax = _var(prob, "hol_max", 0)
            obj_terms.append((hmax, W_HOL_MAX))
            for a in hol_eligible:
                hg = [g for g in by_agent[a] if is_hol[g]]
                y = pulp.LpAffineExpression([(x[(a, g)], 1) for g in hg])
                rel = load[a] - b0
                prob += pulp.LpConstraint(y - hmax, pulp.LpConstraintLE, f"holmax_{a}", -rel)
                if recency[a] > 0:
                    obj_terms.extend((x[(a, g)], W_HOL_RECENT * float(recency[a])) for g in hg)
                n_days = len({int(day_idx[g]) for g in hg})
                zs = []
                for j in range(1, n_days + 1):
                    z = _var(prob, f"hz_{a}_{j}", 0, 1)
                    obj_terms.append((z, W_HOL_SPREAD * (rel + j)))
                    zs.append((z, 1))
                prob += pulp.LpConstraint(pulp.LpAffineExpression(zs) - y, pulp.LpConstraintEQ, f"holz_{a}", 0)

        prob += pulp.LpAffineExpression(cover_terms + obj_terms)
        n_vars, n_cons = prob.numVariables(), prob.numConstraints()
        lp, offset, lp_secs = _lp_values(prob, x, cover_terms, cfg)
        week_state = (w_rows, by_agent, count, req_hol, is_hol, start_t, end_t, rest_t, day_idx, paid, a_days,
                      a_max, need_w, worked_days, M, hol_load)
        start = _greedy_week(*week_state, lp)
        for key, v in x.items():
            v.setInitialValue(1 if key in start else 0)
        info = _solve(prob, cfg, max(1.0, float(rcfg.time_limit_s) - lp_secs), offset)
        info["seconds"] = round(info["seconds"] + lp_secs, 2)
        if not info["has_solution"]:
            raise SolverError(
                f"the roster solver found no assignment for the week from {wk.date()} within "
                f"{rcfg.time_limit_s:g} s (status: {info['status']}); raise roster.time_limit_s"
            )
        info.update({"week_start": str(wk.date()), "variables": n_vars, "constraints": n_cons,
                     "agent_shift_pairs": len(x)})
        weeks_info.append(info)

        # Read the assignment, improve its start-time stability by swaps, and carry the state.
        week_pairs = [(a, g) for (a, g), v in x.items() if v.varValue is not None and v.varValue > 0.5]
        # A MIP stopped at its gap (or time limit) may leave a contracted hour short that a move would fix.
        week_pairs = sorted(_greedy_week(*week_state, None, initial=week_pairs))
        week_pairs, n_swaps = _stabilise(week_pairs, x, a_pref, start_key, start_t, end_t, rest_t, day_idx, paid,
                                         float(wts.stable_start))
        info["stability_swaps"] = n_swaps
        week_hours = np.zeros(n_a)
        for a, g in week_pairs:
            assigned.append((a, g))
            week_hours[a] += paid[g]
            last_end[a] = max(last_end[a], end_t[g])
            worked_days[a].add(int(day_idx[g]))
            if is_hol[g]:
                hol_so_far[a] += 1
            if weekend[g]:
                wkd_so_far[a] += 1
        for a in range(n_a):
            if by_agent[a]:
                shortfall[a] += max(0.0, need_w[a] - week_hours[a])

    def can_work(days_mask: np.ndarray) -> np.ndarray:
        if not n_s:
            return np.zeros(n_a, dtype=bool)
        return np.array([bool(np.any(class_mask[a_class[a]] & days_mask
                                     & (a_allowed[a] if a_allowed[a] is not None else True))) for a in range(n_a)])

    return _results(s, ag, led, assigned, shortfall, hol_so_far, weeks_info, cfg, can_work(is_hol), can_work(weekend))


# ----------------------------------------------------------------------------------------------------------
# Outputs
# ----------------------------------------------------------------------------------------------------------


def _hhmm(ts: pd.Timestamp) -> str:
    return ts.strftime("%H:%M")


def _message(row) -> str:
    n = int(row["missing"])
    agents = "1 more agent" if n == 1 else f"{n} more agents"
    verb = "is" if n == 1 else "are"
    end = _hhmm(row["shift_end"])
    days = (row["shift_end"].normalize() - row["date"]).days
    if days == 1:
        end += " the next day"
    elif days > 1:
        end += f" on {row['shift_end'].date()}"
    text = (f"{agents} skilled for '{row['queue']}' {verb} needed on {row['date'].date()} "
            f"from {_hhmm(row['shift_start'])} to {end}")
    if row["is_holiday"]:
        text += " (a public holiday)"
    return text


def _overtime_by_row(ros: pd.DataFrame, ag: pd.DataFrame, cfg) -> np.ndarray:
    """Overtime hours of each roster row, by the same rules as the cost report (:func:`wfm.costs.cost_roster`,
    which splits the hours by day; each row is keyed apart so that its hours are not merged)."""
    from .costs import cost_roster  # costs come after the roster in the pipeline; imported late

    if not len(ros):
        return np.zeros(0)
    keyed = ros.assign(queue=np.arange(len(ros)).astype(str))
    c = cost_roster(keyed, ag, cfg)
    ot = c.groupby(c["queue"].astype(int))["overtime_hours"].sum()
    return ot.reindex(range(len(ros)), fill_value=0.0).to_numpy(dtype=float)


def _spreads(summ: pd.DataFrame, ag: pd.DataFrame, led: pd.DataFrame, hol_ok, wkd_ok=None) -> dict:
    """Fairness figures: spread (max - min) of holiday shifts among the agents eligible for at least one
    holiday shift of the horizon, in this horizon and with the ledger's past duty added; spread of weekend
    shifts among the agents eligible for a weekend shift who work any shift."""
    out = {"holiday_eligible_agents": 0, "holiday_spread": None, "holiday_spread_with_ledger": None,
           "holiday_spread_by_contract": {}, "weekend_spread": None}
    by_id = summ.set_index("agent_id")
    if hol_ok is not None and np.any(hol_ok):
        ids = ag["agent_id"].to_numpy()[np.asarray(hol_ok, dtype=bool)]
        now = by_id.loc[ids, "holiday_shifts"].to_numpy(dtype=int)
        past = np.array([int(v) for v in pd.Series(dict(zip(led["agent_id"], led["holiday_shifts"]))).reindex(ids).fillna(0)])
        out.update(holiday_eligible_agents=int(len(ids)), holiday_spread=int(now.max() - now.min()),
                   holiday_spread_with_ledger=int((now + past).max() - (now + past).min()))
        # by contract: full- and part-time agents hold different shifts, so their counts need not match
        con = ag.set_index("agent_id").loc[ids, "contract"].to_numpy()
        out["holiday_spread_by_contract"] = {
            str(c): int(now[con == c].max() - now[con == c].min()) for c in sorted(set(con))}
    sel = by_id["shifts"] > 0
    if wkd_ok is not None:
        sel &= pd.Series(np.asarray(wkd_ok, dtype=bool), index=ag["agent_id"].to_numpy()).reindex(by_id.index).fillna(False)
    working = by_id.loc[sel, "weekend_shifts"]
    if len(working):
        out["weekend_spread"] = int(working.max() - working.min())
    return out


def _results(s, ag, led, assigned, shortfall, hol_so_far, weeks_info, cfg, hol_ok=None, wkd_ok=None) -> RosterResult:
    rcfg = cfg.roster
    n_s = len(s)
    a_idx = np.array([a for a, _ in assigned], dtype=np.int64)
    g_idx = np.array([g for _, g in assigned], dtype=np.int64)
    ros = pd.DataFrame({
        "agent_id": ag["agent_id"].to_numpy()[a_idx] if len(a_idx) else np.array([], dtype=object),
        "name": ag["name"].to_numpy()[a_idx] if len(a_idx) else np.array([], dtype=object),
        "team": ag["team"].to_numpy()[a_idx] if len(a_idx) else np.array([], dtype=object),
    })
    sub = s.iloc[g_idx].reset_index(drop=True) if n_s else s.iloc[[]]
    ros["queue"] = sub["queue"].to_numpy()
    ros["date"] = sub["date"].to_numpy()
    ros["shift_id"] = sub["shift_id"].to_numpy()
    ros["template"] = sub["template"].to_numpy()
    ros["shift_start"] = sub["start"].to_numpy()
    ros["shift_end"] = sub["end"].to_numpy()
    ros["break_start"] = sub["break_start"].to_numpy()
    ros["break_end"] = sub["break_end"].to_numpy()
    ros["paid_hours"] = sub["paid_hours"].to_numpy(dtype=float)
    ros["is_holiday"] = sub["is_holiday"].to_numpy(dtype=bool)
    ros["_night"] = sub["_night"].to_numpy(dtype=bool)
    for c in ("agent_id", "name", "team", "queue", "shift_id", "template"):
        ros[c] = ros[c].astype(str)
    for c in ("date", "shift_start", "shift_end", "break_start", "break_end"):
        ros[c] = pd.to_datetime(ros[c]).astype("datetime64[ns]")
    ros = ros.sort_values(["date", "shift_start", "agent_id", "shift_id"], kind="stable").reset_index(drop=True)
    ot_h = _overtime_by_row(ros, ag, cfg)
    ros["is_overtime"] = ot_h > 1e-9
    ros["_ot"] = ot_h
    start_h = ((ros["shift_start"] - ros["date"]) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
    pref_start = {a: parse_start(t) for a, t in zip(ag["agent_id"], ag["preferred_start"])}
    pref_off = {a: parse_days(t) for a, t in zip(ag["agent_id"], ag["preferred_days_off"])}
    ps = ros["agent_id"].map(pref_start).astype(float).to_numpy()
    dev = np.abs(start_h - ps) % 24.0
    ros["_dev"] = np.minimum(dev, 24.0 - dev)  # NaN where no preference
    wd = ros["date"].dt.day_of_week.to_numpy()
    ros["_off"] = [int(d) in pref_off[a] for a, d in zip(ros["agent_id"], wd)]
    ros["_start"] = np.round(start_h * 60).astype(np.int64)

    # Unfilled
    filled = np.bincount(g_idx, minlength=n_s) if n_s else np.zeros(0, dtype=np.int64)
    miss = s["count"].to_numpy(dtype=np.int64) - filled
    unf = s.loc[miss > 0, ["shift_id", "queue", "date", "start", "end", "is_holiday"]].copy()
    unf.insert(5, "missing", miss[miss > 0].astype(int))
    unf = unf.rename(columns={"start": "shift_start", "end": "shift_end"})[UNFILLED_COLUMNS]
    unf["is_holiday"] = unf["is_holiday"].astype(bool)
    unf = unf.sort_values(["date", "shift_start", "queue", "shift_id"], kind="stable").reset_index(drop=True)
    req = np.where(s["is_holiday"].to_numpy(bool), np.ceil(rcfg.holiday_min_share * s["count"].to_numpy() - 1e-9), 0)
    hol_short = int(np.maximum(req - filled, 0).sum()) if n_s else 0

    # Agent summary
    g = ros.assign(_weekend=ros["date"].dt.day_of_week >= 5).groupby("agent_id", sort=True)
    per = pd.DataFrame({
        "shifts": g.size(),
        "paid_hours": g["paid_hours"].sum(),
        "nights": g["_night"].sum(),
        "weekend_shifts": g["_weekend"].sum(),
        "holiday_shifts": g["is_holiday"].sum(),
        "overtime_hours": g["_ot"].sum(),
        "preferred_days_off_worked": g["_off"].sum(),
        "mean_start_deviation_h": g["_dev"].mean(),
        "start_times": g["_start"].nunique(),
    })
    summ = ag[["agent_id", "name", "team"]].copy()
    summ = summ.join(per, on="agent_id")
    for c in ("shifts", "nights", "weekend_shifts", "holiday_shifts", "preferred_days_off_worked", "start_times"):
        summ[c] = summ[c].fillna(0).astype(int)
    summ["overtime_hours"] = summ["overtime_hours"].fillna(0.0).astype(float).round(6)
    summ["mean_start_deviation_h"] = summ["mean_start_deviation_h"].astype(float).round(3)
    summ["paid_hours"] = summ["paid_hours"].fillna(0.0).astype(float).round(6)
    summ["min_hours_shortfall"] = np.round(shortfall, 6)
    summ = summ[SUMMARY_COLUMNS].sort_values("agent_id", kind="stable").reset_index(drop=True)
    dev_mean = round(float(ros["_dev"].mean()), 3) if ros["_dev"].notna().any() else None
    ros = ros[ROSTER_COLUMNS]

    # Ledger
    new = dict(zip(summ["agent_id"], summ["holiday_shifts"]))
    old = dict(zip(led["agent_id"], led["holiday_shifts"]))
    last = {a: d for a, d in zip(led["agent_id"], led["last_holiday"]) if pd.notna(d)}
    hol_rows = ros[ros["is_holiday"]]
    for a, d in hol_rows.groupby("agent_id")["date"].max().items():
        last[a] = max(d, last[a]) if a in last else d
    ids = sorted(set(old) | set(new))
    ledger = pd.DataFrame({"agent_id": pd.Series(ids, dtype=str),
                           "holiday_shifts": pd.Series([int(old.get(i, 0)) + int(new.get(i, 0)) for i in ids], dtype=int),
                           "last_holiday": pd.Series([last.get(i, pd.NaT) for i in ids], dtype="datetime64[ns]")})

    # Messages
    msgs = []
    order = unf.sort_values(["is_holiday", "date", "shift_start"], ascending=[False, True, True], kind="stable")
    for _, row in order.head(MAX_MESSAGES).iterrows():
        msgs.append(_message(row))
    if len(unf) > MAX_MESSAGES:
        rest_n = int(unf["missing"].iloc[:].sum() - order.head(MAX_MESSAGES)["missing"].sum())
        msgs.append(f"{len(unf) - MAX_MESSAGES} more shifts lack {rest_n} agents in all; see unfilled_shifts.csv")
    if hol_short:
        msgs.append(f"{hol_short} agent-shifts on public holidays are below the guaranteed share "
                    f"({rcfg.holiday_min_share:.0%} of each holiday shift)")
    short = summ.loc[summ["min_hours_shortfall"] > 1e-6]
    if len(short):
        msgs.append(f"{len(short)} agents get fewer than their contracted minimum hours, "
                    f"{short['min_hours_shortfall'].sum():.1f} h short in all; see agent_summary.csv")
    for w in weeks_info:
        if not w["proven_optimal"]:
            gap = f", gap {w['gap']:.1%}" if w.get("gap") is not None else ""
            msgs.append(f"The roster for the week from {w['week_start']} is the best found in the time limit, "
                        f"not proven optimal ({w['status']}{gap}); it depends on the machine's speed (raise "
                        "roster.time_limit_s for one that is the same everywhere)")

    summary = {
        "status": "optimal" if weeks_info and all(w["proven_optimal"] for w in weeks_info)
        else ("feasible" if weeks_info else "empty"),
        "proven_optimal": bool(weeks_info) and all(w["proven_optimal"] for w in weeks_info),
        "time_limit_decided": [str(w["week_start"]) for w in weeks_info if not w["proven_optimal"]],
        "weeks": [{k: v for k, v in w.items() if k != "has_solution"} for w in weeks_info],
        "seconds": round(sum(w["seconds"] for w in weeks_info), 2),
        "assigned_shifts": int(len(ros)),
        "required_shifts": int(s["count"].sum()) if n_s else 0,
        "unfilled_shifts": int(unf["missing"].sum()) if len(unf) else 0,
        "holiday_unfilled_below_share": hol_short,
        "agents_short_of_min_hours": int(len(short)),
        "min_hours_shortfall_h": round(float(summ["min_hours_shortfall"].sum()), 3),
        "overtime_hours": round(float(summ["overtime_hours"].sum()), 3),
        "preferred_days_off_worked": int(summ["preferred_days_off_worked"].sum()),
        "mean_start_deviation_h": dev_mean,
        **_spreads(summ, ag, led, hol_ok, wkd_ok),
        "messages": msgs,
    }
    return RosterResult(roster=ros, unfilled=unf, agent_summary=summ, summary=summary, ledger=ledger)

"""Agents, availability, leave and the holiday ledger: reading and checking the people side of a plan.

Used by scheduling (availability limits what tours can be built), by the roster (who may hold which
shift) and by the independent validator. Formats: docs/formats.md (agents file, holiday ledger).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .io import FALSE_WORDS, TRUE_WORDS, parse_number_cell, parse_number_column, read_table, row_numbers

AGENT_COLUMNS = (
    "agent_id", "name", "team", "queues", "contract", "min_hours_week", "max_hours_week", "max_days_week",
    "hourly_rate", "night_ok",
)
# Optional: empty or absent means always available, no leave, no preference, seniority 0.
OPTIONAL_AGENT_COLUMNS = ("availability", "leave", "preferred_start", "preferred_days_off", "seniority")
CONTRACTS = ("full_time", "part_time")
LEDGER_COLUMNS = ["agent_id", "holiday_shifts", "last_holiday"]  # last_holiday optional on input

_TRUE = set(TRUE_WORDS)
_FALSE = set(FALSE_WORDS)


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


_NUMBER_COLUMNS = ("min_hours_week", "max_hours_week", "max_days_week", "hourly_rate")


def _number_columns(cells: dict[str, list[str]], source: str) -> dict[str, list[float]] | None:
    """The number columns parsed a column at a time (the rules of :func:`wfm.io.parse_number_cell`, one
    call per column instead of one per cell); None when any cell is bad, so that the row-by-row check
    names the first bad cell in reading order, as before."""
    out = {}
    try:
        for col in (*_NUMBER_COLUMNS, "seniority"):
            if col in cells:
                vals = parse_number_column(pd.Series(cells[col], dtype=object), source, col,
                                           allow_empty=col == "seniority")
                out[col] = [float(v) for v in vals]
    except InputError:
        return None
    return out


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
    cells = {c: [_cell(v) for v in df[c].tolist()] for c in (*AGENT_COLUMNS, *OPTIONAL_AGENT_COLUMNS) if c in df.columns}
    fast = _number_columns(cells, source)
    for pos in range(len(df)):
        line = lines[pos]
        rec = {c: cells[c][pos] for c in AGENT_COLUMNS}

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
        for col in _NUMBER_COLUMNS:
            nums[col] = fast[col][pos] if fast else float(parse_number_cell(rec[col], source, line, col))
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
            text = cells[col][pos] if col in cells else ""
            try:
                parse(text)
            except ValueError as err:
                fail(str(err), col)
            opt[col].append(text)
        text = cells["seniority"][pos] if "seniority" in cells else ""
        if not text:
            sen = 0.0
        else:
            sen = fast["seniority"][pos] if fast else float(parse_number_cell(text, source, line, "seniority"))
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


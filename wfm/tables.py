"""wfm's own CSV outputs read back as typed tables: the file layer (:mod:`wfm.io`) for cells and numbers,
:mod:`wfm.timestamps` for times. One place, so that a user's edit of an output is checked the same way
wherever it is read."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import InputError
from .io import MAX_AGENTS, parse_bool_column, parse_number_column, read_table, write_csv
from .timestamps import parse_timestamps

REQUIREMENTS_COLUMNS = ("queue", "interval_start", "offered", "aht_s", "scheduled_required")
COVERAGE_COLUMNS = ("queue", "interval_start", "required", "scheduled", "gap")
ROSTER_COLUMNS = ("agent_id", "name", "team", "queue", "date", "shift_id", "template", "shift_start", "shift_end",
                  "break_start", "break_end", "paid_hours")
UNFILLED_COLUMNS = ("shift_id", "queue", "date", "shift_start", "shift_end", "missing", "is_holiday")
AGENTS_COLUMNS = ("agent_id", "name", "team", "hourly_rate")
SKILL_SET_REQUIREMENTS = "skill_set_requirements.csv"  # a plan by skill set's scheduler input (wfm.multiskill.plan)


def refuse_duplicate_intervals(df: pd.DataFrame, source) -> None:
    """InputError naming the row (as in the CSV file: the header is row 1) where a queue has an interval a
    second time; rows of a per-queue interval table must be unique."""
    dup = df.duplicated(["queue", "interval_start"])
    if dup.any():
        i = int(dup.to_numpy().argmax())
        raise InputError(f"queue '{df['queue'].iloc[i]}' has interval {df['interval_start'].iloc[i]} twice",
                         file=str(source), row=i + 2, column="interval_start")


def read_frame(path: str | Path, required: list[str] | tuple[str, ...], times: list[str] | tuple[str, ...] = (),
               numbers: list[str] | tuple[str, ...] = (), integers: list[str] | tuple[str, ...] = (),
               bools: list[str] | tuple[str, ...] = (), signed: list[str] | tuple[str, ...] = (),
               empty_ok: list[str] | tuple[str, ...] = (), maximum: dict[str, float] | None = None,
               units: dict[str, str] | None = None, required_times: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Read one of wfm's own CSV outputs (or a user's edit of one): required columns checked, ``times`` as
    timestamps (empty cells NaT unless also in ``required_times``), ``numbers`` as finite floats >= 0
    (``signed``: any sign), ``integers`` as whole numbers >= 0 (``units`` names them in messages),
    ``maximum`` a ceiling per column, ``empty_ok`` number columns whose empty cells are NaN, ``bools`` with
    the boolean vocabulary (empty = false). Columns that are absent are skipped. InputError names the file,
    row and column of the first bad cell."""
    df = read_table(path, required)
    src = str(path)
    maximum, units = maximum or {}, units or {}
    for c in times:
        if c in df:
            df[c] = parse_timestamps(df[c], src, c, required=c in required_times)
    for c in (*numbers, *signed, *integers):
        if c in df:
            df[c] = parse_number_column(df[c], src, c, minimum=None if c in signed else 0.0,
                                        maximum=maximum.get(c), allow_empty=c in empty_ok,
                                        integer=c in integers, unit=units.get(c))
    for c in bools:
        if c in df:
            df[c] = parse_bool_column(df[c], src, c, default=False)
    return df


@dataclass(frozen=True)
class RunData:
    """The tables of a run folder, typed: timestamps parsed, numbers as floats, flags as bools."""

    requirements: pd.DataFrame
    coverage: pd.DataFrame
    roster: pd.DataFrame
    unfilled: pd.DataFrame
    agents: pd.DataFrame
    meta: dict
    skill_sets: pd.DataFrame | None = None


def _read(run_dir: Path, name: str, required, times=(), optional_times=(), numbers=(), signed=(), whole=(), bools=(),
          optional_numbers=(), may_be_missing=False) -> pd.DataFrame:
    """One CSV of the run (:func:`wfm.tables.read_frame`): ``whole`` agent counts kept as floats for the
    arithmetic, ``optional_numbers`` converted when every cell is a number ('inf' allowed), absent
    ``optional_times`` all NaT, ids and names as text."""
    path = run_dir / name
    if may_be_missing and (not path.is_file() or path.stat().st_size == 0):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in required})
    df = read_frame(path, list(required), times=[*times, *optional_times], required_times=times, numbers=numbers,
                    signed=signed, integers=whole, bools=bools, maximum={c: MAX_AGENTS for c in whole},
                    units={c: "agents" for c in whole})
    for c in whole:
        df[c] = df[c].astype(float)
    for c in optional_times:
        if c not in df:
            df[c] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    for c in [*times, *optional_times]:
        df[c] = df[c].astype("datetime64[ns]")
    for c in optional_numbers:
        if c in df:
            num = pd.to_numeric(df[c], errors="coerce")
            if num.notna().all():
                df[c] = num.astype(float)
    for c in ("queue", "agent_id", "name", "team"):
        if c in df:
            df[c] = df[c].astype(str)
    return df


def read_summary(run_dir: str | Path) -> dict:
    """A run folder's summary.json as a dict (empty when there is none, or it holds no object); InputError
    when it is not valid JSON."""
    sj = Path(run_dir) / "summary.json"
    if not sj.is_file():
        return {}
    try:
        meta = json.loads(sj.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"not valid JSON: {err}", file=str(sj)) from None
    return meta if isinstance(meta, dict) else {}


def read_run(run_dir: str | Path) -> RunData:
    """Read the CSVs of a run folder (see docs/formats.md); InputError names the file, row and column."""
    return _read_tables(Path(run_dir), read_summary(run_dir))


def _read_tables(d: Path, meta: dict) -> RunData:
    req = _read(d, "requirements.csv", REQUIREMENTS_COLUMNS, times=["interval_start"],
                numbers=["offered", "aht_s"], whole=["scheduled_required"], bools=["is_holiday", "target_met"],
                optional_numbers=["agents", "service_level", "asa_s", "occupancy"])
    cov = _read(d, "coverage.csv", COVERAGE_COLUMNS, times=["interval_start"], numbers=["required", "scheduled"],
                signed=["gap"])
    ros = _read(d, "roster.csv", ROSTER_COLUMNS, times=["date", "shift_start", "shift_end"],
                optional_times=["break_start", "break_end"], numbers=["paid_hours"], bools=["is_holiday", "is_overtime"])
    unf = _read(d, "unfilled_shifts.csv", UNFILLED_COLUMNS, times=["date", "shift_start", "shift_end"],
                whole=["missing"], bools=["is_holiday"], may_be_missing=True)
    ag = _read(d, "agents.csv", AGENTS_COLUMNS, numbers=["hourly_rate"])
    req = req.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    sets = None
    by_set = ((meta.get("staffing") or {}).get("skill_sets") or {}).get("plan") == "skill_set"
    path = d / SKILL_SET_REQUIREMENTS
    if by_set and not path.is_file():
        raise InputError("file not found: the run was planned by skill set (summary.json), and its shifts and "
                         "coverage are per skill set", file=str(path))
    if path.is_file():  # a plan by skill set: the scheduler's requirement per set
        sets = _read(d, SKILL_SET_REQUIREMENTS, ("queue", "interval_start", "scheduled_required"),
                     times=["interval_start"], whole=["scheduled_required"], bools=["is_holiday"])
        refuse_duplicate_intervals(sets, path)
        _same_intervals(sets, cov, path)
        sets = sets.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    return RunData(requirements=req, coverage=cov, roster=ros, unfilled=unf, agents=ag, meta=meta, skill_sets=sets)


def _same_intervals(sets: pd.DataFrame, coverage: pd.DataFrame, path: Path) -> None:
    """InputError unless a plan by skill set's requirement has exactly coverage.csv's skill sets and
    intervals (the schedule covers what it was asked to, row for row)."""
    key = lambda f: set(zip(f["queue"].astype(str), pd.to_datetime(f["interval_start"])))  # noqa: E731
    have, want = key(sets), key(coverage)
    if have == want:
        return
    extra, missing = sorted(have - want), sorted(want - have)
    if missing:
        q, t = missing[0]
        raise InputError(f"skill set '{q}' has no row for {t} that coverage.csv has ({len(missing)} such rows); "
                         "the file must list the skill sets and intervals the run was scheduled for", file=str(path))
    q, t = extra[0]
    raise InputError(f"skill set '{q}' at {t} is not in coverage.csv ({len(extra)} such rows); the file must list "
                     "the skill sets and intervals the run was scheduled for", file=str(path), column="queue")


def run_tables(requirements: pd.DataFrame, coverage: pd.DataFrame, roster: pd.DataFrame, unfilled: pd.DataFrame,
               agents: pd.DataFrame, meta: dict | None = None, skill_sets: pd.DataFrame | None = None) -> RunData:
    """The stages' frames typed exactly as their run folder reads back (:func:`read_run`): written in wfm's
    CSV format and read with the same readers, so that a plan's report and ``wfm report`` re-rendering its
    folder give the same bytes, and a user's edit of a run folder is read like the run itself."""
    with tempfile.TemporaryDirectory(prefix="wfm_tables_") as tmp:
        d = Path(tmp)
        for frame, name in ((requirements, "requirements.csv"), (coverage, "coverage.csv"), (roster, "roster.csv"),
                            (unfilled, "unfilled_shifts.csv"), (agents, "agents.csv"),
                            *([(skill_sets, SKILL_SET_REQUIREMENTS)] if skill_sets is not None else [])):
            write_csv(frame, d / name)
        return _read_tables(d, dict(meta or {}))


def read_shifts(path: str | Path) -> pd.DataFrame:
    """A shifts.csv (wfm.scheduling's output, or a user's edit of one) typed: times parsed, ``paid_hours`` in
    [0, 24] h, ``count`` whole agents. InputError names the file, row and column of a bad cell."""
    return read_frame(path, ["shift_id", "queue", "date", "template", "start", "end", "paid_hours", "count"],
                      times=["date", "start", "end", "break_start", "break_end"], required_times=["date", "start", "end"],
                      numbers=["paid_hours"], integers=["count"], maximum={"count": MAX_AGENTS, "paid_hours": 24},
                      units={"count": "agents"})

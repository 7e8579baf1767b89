"""Interval call history: read, map column names, validate, report gaps.

The tidy shape every later stage uses: one row per queue and interval,
``queue, interval_start, offered, handled, abandoned, aht_s`` (calls per interval; ``aht_s`` in seconds;
``interval_start`` is naive local time at the start of the interval).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .io import read_table

REQUIRED = ("queue", "interval_start", "offered")
OPTIONAL = ("handled", "abandoned", "aht_s")
ALLOWED_INTERVALS = (5, 10, 15, 30, 60)

# ACD exports name the same things differently; map the common spellings to wfm's names.
ALIASES = {
    "interval": "interval_start",
    "start": "interval_start",
    "timestamp": "interval_start",
    "ds": "interval_start",
    "calls": "offered",
    "calls_offered": "offered",
    "offered_calls": "offered",
    "calls_handled": "handled",
    "answered": "handled",
    "calls_abandoned": "abandoned",
    "aht": "aht_s",
    "aht_sec": "aht_s",
    "handle_time_s": "aht_s",
    "skill": "queue",
    "split": "queue",
}


@dataclass(frozen=True)
class History:
    """Validated history.

    ``frame``: the tidy rows (sorted by queue, interval_start). ``interval_minutes``: interval length [min].
    ``gaps``: one row per missing interval inside the queue's opening pattern (``queue, interval_start``),
    filled with zero calls in ``frame`` only when reading with ``fill_gaps=True``. ``warnings``: sentences.
    """

    frame: pd.DataFrame
    interval_minutes: int
    gaps: pd.DataFrame
    source: str = "history"
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def queues(self) -> list[str]:
        return sorted(self.frame["queue"].unique())

    @property
    def start(self) -> pd.Timestamp:
        return self.frame["interval_start"].min()

    @property
    def end(self) -> pd.Timestamp:
        """Start of the last interval in the history."""
        return self.frame["interval_start"].max()

    def __repr__(self) -> str:
        return (
            f"History({self.source!r}, queues={self.queues}, {self.interval_minutes}-min intervals, "
            f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}, rows={len(self.frame)}, gaps={len(self.gaps)})"
        )


def _line(idx: int) -> int:
    # Row numbers as a user sees them in the file: the header is line 1.
    return int(idx) + 2


def _parse_numbers(raw: pd.Series, column: str, source: str, allow_empty: bool) -> pd.Series:
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.astype(float)
        empty = values.isna()
    else:
        text = raw.astype(str).str.strip()
        empty = text.isin(["", "nan", "NaN", "None", "NA"])
        values = pd.to_numeric(text.where(~empty), errors="coerce").astype(float)
    bad = values.isna() & ~(empty & allow_empty)
    if bad.any():
        i = bad.idxmax()
        shown = raw.loc[i] if not empty.loc[i] else "(empty)"
        raise InputError(f"'{shown}' is not a number", file=source, row=_line(i), column=column)
    neg = values < 0
    if neg.any():
        i = neg.idxmax()
        raise InputError(f"negative value {values.loc[i]:g}; counts and times must be >= 0", file=source, row=_line(i), column=column)
    inf = np.isinf(values)
    if inf.any():
        i = inf.idxmax()
        raise InputError("value is not finite", file=source, row=_line(i), column=column)
    return values


def infer_interval_minutes(ts: pd.Series, queues: pd.Series) -> int:
    """Most common step between consecutive intervals of a queue [min]."""
    df = pd.DataFrame({"q": queues.to_numpy(), "t": ts.to_numpy()}).sort_values(["q", "t"])
    steps = df.groupby("q")["t"].diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    if steps.empty:
        raise InputError("cannot infer the interval length: each queue needs at least two intervals")
    return int(steps.mode().iloc[0] / pd.Timedelta(minutes=1))


def validate_history(
    df: pd.DataFrame,
    source: str = "history",
    interval_minutes: int | None = None,
    fill_gaps: bool = False,
) -> History:
    """Validate a raw history frame (strings or typed values) and return a History.

    Checks: required columns; parseable timestamps on the interval grid; no duplicate (queue, interval);
    numeric, non-negative counts; interval length known (given or inferred, one of 5/10/15/30/60 min).
    Errors raise InputError naming the file, row (header = row 1) and column.
    """
    df = df.rename(columns={c: ALIASES.get(str(c).strip().lower(), str(c).strip().lower()) for c in df.columns})
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns)) or 'none'}", file=source
        )
    if len(df) == 0:
        raise InputError("the file has no data rows", file=source)
    df = df.reset_index(drop=True)

    queue = df["queue"].astype(str).str.strip()
    blank = queue.isin(["", "nan", "None"])
    if blank.any():
        raise InputError("queue name is empty", file=source, row=_line(blank.idxmax()), column="queue")

    raw_ts = df["interval_start"]
    ts = pd.to_datetime(raw_ts, errors="coerce", format="mixed") if not pd.api.types.is_datetime64_any_dtype(raw_ts) else raw_ts
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_localize(None)
    bad = ts.isna()
    if bad.any():
        i = bad.idxmax()
        raise InputError(
            f"'{raw_ts.loc[i]}' is not a date-time (expected e.g. 2026-03-02 08:15:00)",
            file=source, row=_line(i), column="interval_start",
        )
    ts = ts.astype("datetime64[ns]")

    if interval_minutes is None:
        interval_minutes = infer_interval_minutes(ts, queue)
    if interval_minutes not in ALLOWED_INTERVALS:
        raise InputError(
            f"interval length {interval_minutes} min is not supported (use one of {', '.join(map(str, ALLOWED_INTERVALS))})",
            file=source, column="interval_start",
        )
    step = pd.Timedelta(minutes=interval_minutes)
    off = (ts - ts.dt.normalize()) % step != pd.Timedelta(0)
    if off.any():
        i = off.idxmax()
        raise InputError(
            f"{ts.loc[i]} is not on the {interval_minutes}-minute grid (intervals start at :00"
            + ("".join(f", :{m:02d}" for m in range(interval_minutes, 60, interval_minutes)) if interval_minutes < 60 else "")
            + ")",
            file=source, row=_line(i), column="interval_start",
        )

    out = pd.DataFrame({"queue": queue, "interval_start": ts})
    dup = out.duplicated(["queue", "interval_start"], keep=False)
    if dup.any():
        rows = out.index[dup]
        first = rows[0]
        twin = out.index[dup & (out["queue"] == out.loc[first, "queue"]) & (out["interval_start"] == out.loc[first, "interval_start"])][1]
        raise InputError(
            f"queue '{out.loc[first, 'queue']}' has interval {out.loc[first, 'interval_start']} twice "
            f"(rows {_line(first)} and {_line(twin)})",
            file=source, row=_line(twin), column="interval_start",
        )

    out["offered"] = _parse_numbers(df["offered"], "offered", source, allow_empty=False)
    for col in OPTIONAL:
        if col in df.columns:
            out[col] = _parse_numbers(df[col], col, source, allow_empty=True)
    warnings: list[str] = []
    for col in ("handled", "abandoned"):
        if col in out:
            over = out[col] > out["offered"] + 1e-9
            if over.any():
                warnings.append(
                    f"{source}: {int(over.sum())} row(s) have {col} > offered (first: row {_line(over.idxmax())}); kept as is"
                )

    out = out.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    gaps = find_gaps(out, interval_minutes)
    if len(gaps):
        if fill_gaps:
            fill = gaps.assign(offered=0.0)
            for col in ("handled", "abandoned"):
                if col in out:
                    fill[col] = 0.0
            out = pd.concat([out, fill], ignore_index=True).sort_values(["queue", "interval_start"], kind="stable")
            out = out.reset_index(drop=True)
            warnings.append(f"{source}: filled {len(gaps)} missing interval(s) with zero calls")
        else:
            warnings.append(
                f"{source}: {len(gaps)} missing interval(s) inside opening hours "
                f"(first: queue '{gaps.iloc[0]['queue']}' at {gaps.iloc[0]['interval_start']}); "
                "left as missing (use --fill-gaps to count them as zero calls)"
            )
    return History(frame=out, interval_minutes=interval_minutes, gaps=gaps, source=source, warnings=tuple(warnings))


def find_gaps(frame: pd.DataFrame, interval_minutes: int) -> pd.DataFrame:
    """Missing intervals: inside a day that has data, a time of day the queue has on most such days.

    Whole days absent are not gaps (closed days, or days the source did not record); they are
    missing days to the forecaster. Returns ``queue, interval_start``.
    """
    step = pd.Timedelta(minutes=interval_minutes)
    found = []
    for q, g in frame.groupby("queue", sort=True):
        day = g["interval_start"].dt.normalize()
        slot = ((g["interval_start"] - day) // step).astype(int)
        n_days = day.nunique()
        # Opening pattern: slots present on at least half of the days with data.
        freq = slot.value_counts()
        open_slots = np.sort(freq.index[freq >= 0.5 * n_days].to_numpy())
        have = pd.MultiIndex.from_arrays([day, slot])
        days = np.sort(day.unique())
        full = pd.MultiIndex.from_product([days, open_slots])
        miss = full.difference(have)
        if len(miss):
            t = miss.get_level_values(0) + miss.get_level_values(1).astype(int) * step
            found.append(pd.DataFrame({"queue": q, "interval_start": t}))
    if not found:
        return pd.DataFrame({"queue": pd.Series(dtype=str), "interval_start": pd.Series(dtype="datetime64[ns]")})
    return pd.concat(found, ignore_index=True).sort_values(["queue", "interval_start"]).reset_index(drop=True)


def load_history(path: str | Path, interval_minutes: int | None = None, fill_gaps: bool = False) -> History:
    """Read a CSV or Parquet history file and validate it (see validate_history)."""
    df = read_table(path)
    return validate_history(df, source=str(path), interval_minutes=interval_minutes, fill_gaps=fill_gaps)

"""Interval call history: read, map column names, validate, report gaps.

The tidy shape every later stage uses: one row per queue and interval,
``queue, interval_start, offered, handled, abandoned, aht_s`` (calls per interval; ``aht_s`` in seconds;
``interval_start`` is naive local time at the start of the interval), and where the ACD exports them the
waiting times ``asa_s`` (mean wait of handled calls [s]), ``abandon_wait_s`` (mean wait of abandoned calls [s])
or ``abandon_time_s`` (their total [s] per interval).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .io import MAX_AHT_S, MAX_CALLS, parse_number_column, read_table, row_numbers
from .timestamps import parse_timestamps

REQUIRED = ("queue", "interval_start", "offered")
OPTIONAL = ("handled", "abandoned", "aht_s", "asa_s", "abandon_wait_s", "abandon_time_s")
WAIT_COLUMNS = ("asa_s", "abandon_wait_s")  # mean waits [s] of one kind of call: 0 to MAX_AHT_S
TOTAL_COLUMNS = ("abandon_time_s",)  # seconds summed over the interval's calls
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
    "handled_calls": "handled",
    "answered": "handled",
    "calls_answered": "handled",
    "answered_calls": "handled",
    "calls_abandoned": "abandoned",
    "abandoned_calls": "abandoned",
    "abandons": "abandoned",
    "asa": "asa_s",
    "asa_sec": "asa_s",
    "avg_speed_of_answer": "asa_s",
    "average_speed_of_answer": "asa_s",
    "avg_abandon_time": "abandon_wait_s",
    "average_abandon_time": "abandon_wait_s",
    "avg_time_to_abandon": "abandon_wait_s",
    "average_time_to_abandon": "abandon_wait_s",
    "ata": "abandon_wait_s",
    "total_abandon_time": "abandon_time_s",
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



def split_history(history: History) -> list[History]:
    """One History per queue (in ``history.queues`` order): the same rows, index labels and settings."""
    f, g = history.frame, history.gaps
    # one pass over the rows (not one comparison of every row per queue); positions ascending, so each
    # part is exactly ``f[f["queue"] == q]``
    rows = f.groupby("queue", sort=False).indices
    gaps = g.groupby("queue", sort=False).indices if "queue" in g.columns and len(g) else {}
    empty = np.array([], dtype=np.int64)
    return [History(f.iloc[rows[q]], history.interval_minutes, g.iloc[gaps.get(q, empty)], history.source,
                    history.warnings)
            for q in history.queues]

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
    *,
    date_format: str | None = None,
    timezone: str | None = None,
) -> History:
    """Validate a raw history frame (strings or typed values) and return a History.

    Checks: required columns; timestamps parsed by :func:`wfm.timestamps.parse_timestamps` (``date_format``:
    None to detect, ``"dayfirst"``/``"monthfirst"`` or a strptime format; ``timezone``: IANA zone that
    offset-aware values are converted to) and on the interval grid; one interval length per file; no
    duplicate (queue, interval) except the hour repeated when clocks go back (merged, when ``timezone`` is
    set); counts 0 to MAX_CALLS calls per interval, ``aht_s`` 0 to MAX_AHT_S seconds; interval length known
    (given or inferred, one of 5/10/15/30/60 min). Errors raise InputError naming the file, row (header =
    row 1) and column.
    """
    df = df.rename(columns={c: ALIASES.get(_alias_key(c), str(c).strip().lower()) for c in df.columns})
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns)) or 'none'}", file=source
        )
    if len(df) == 0:
        raise InputError("the file has no data rows", file=source)
    df = df.reset_index(drop=True)
    lines = row_numbers(df)

    def line(i) -> int:
        return int(lines[int(i)])

    queue = df["queue"].astype(object).where(df["queue"].notna(), "").astype(str).str.strip()
    blank = queue.isin(["", "nan", "None"])
    if blank.any():
        raise InputError("queue name is empty", file=source, row=line(blank.idxmax()), column="queue")

    ts = parse_timestamps(df["interval_start"], source, "interval_start", required=True, fmt=date_format,
                          timezone=timezone)
    out = pd.DataFrame({"queue": queue, "interval_start": ts})
    out["offered"] = parse_number_column(df["offered"], source, "offered", minimum=0.0, maximum=MAX_CALLS)
    for col in OPTIONAL:
        if col in df.columns:
            top = (MAX_AHT_S if col == "aht_s" or col in WAIT_COLUMNS
                   else MAX_AHT_S * MAX_CALLS if col in TOTAL_COLUMNS else MAX_CALLS)
            out[col] = parse_number_column(df[col], source, col, minimum=0.0, maximum=top, allow_empty=True)
    warnings: list[str] = []
    if timezone:
        out = _merge_repeated_hour(out, timezone, source, warnings)

    dup = out.duplicated(["queue", "interval_start"], keep=False)
    if dup.any():
        first = out.index[dup][0]
        q, t = out.loc[first, "queue"], out.loc[first, "interval_start"]
        twin = out.index[dup & (out["queue"] == q) & (out["interval_start"] == t)][1]
        hint = (" (if this is the hour repeated when clocks go back, set site.timezone so it is merged)"
                if not timezone and t.hour < 4 else "")
        raise InputError(
            f"queue '{q}' has interval {t} twice (rows {line(first)} and {line(twin)}){hint}",
            file=source, row=line(twin), column="interval_start",
        )

    seen, shortest = _interval_length(out, source, line)
    if interval_minutes is None:
        interval_minutes = seen or infer_interval_minutes(out["interval_start"], out["queue"])
    elif seen and seen != interval_minutes or not seen and shortest and shortest > interval_minutes:
        # No two rows are ever interval_minutes apart: the data are coarser than asked for.
        seen = seen or int(shortest)
        raise InputError(
            f"the file has {seen}-minute intervals but {interval_minutes}-minute intervals were asked for: set "
            f"interval_minutes: {seen} in the config (or --interval {seen} on check-history)",
            file=source, column="interval_start",
        )
    if interval_minutes not in ALLOWED_INTERVALS:
        raise InputError(
            f"interval length {interval_minutes} min is not supported (use one of {', '.join(map(str, ALLOWED_INTERVALS))})",
            file=source, column="interval_start",
        )
    step = pd.Timedelta(minutes=interval_minutes)
    t = out["interval_start"]
    off = (t - t.dt.normalize()) % step != pd.Timedelta(0)
    if off.any():
        i = off.idxmax()
        raise InputError(
            f"{out.loc[i, 'interval_start']} is not on the {interval_minutes}-minute grid (intervals start at :00"
            + ("".join(f", :{m:02d}" for m in range(interval_minutes, 60, interval_minutes)) if interval_minutes < 60 else "")
            + ")",
            file=source, row=line(i), column="interval_start",
        )

    for col in ("handled", "abandoned"):
        if col in out:
            over = out[col] > out["offered"] + 1e-9
            if over.any():
                warnings.append(
                    f"{source}: {int(over.sum())} row(s) have {col} > offered (first: row {line(over.idxmax())}); kept as is"
                )

    out = out.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    gaps = find_gaps(out, interval_minutes)
    if timezone and len(gaps):
        # The local hour skipped when clocks go forward never existed: not a gap.
        local = gaps["interval_start"].dt.tz_localize(timezone, ambiguous=np.zeros(len(gaps), dtype=bool),
                                                      nonexistent="NaT")
        gaps = gaps[local.notna().to_numpy()].reset_index(drop=True)
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


def _alias_key(column) -> str:
    """A header as looked up in ALIASES: lower case, spaces and hyphens as underscores ("Avg Speed of Answer")."""
    return "_".join(str(column).strip().lower().replace("-", " ").split())


def _merge_repeated_hour(out: pd.DataFrame, timezone: str, source: str, warnings: list[str]) -> pd.DataFrame:
    """Merge the two rows of each interval in the local hour repeated when clocks go back (calls summed,
    ``aht_s`` weighted by handled calls, else offered); the first row's index is kept."""
    dup = out.duplicated(["queue", "interval_start"], keep=False)
    if not dup.any():
        return out
    t = out.loc[dup, "interval_start"]
    ambiguous = t.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward").isna()
    fold = out.loc[ambiguous[ambiguous].index]
    if fold.empty:
        return out
    size = fold.groupby(["queue", "interval_start"])["offered"].transform("size")
    fold = fold[size == 2]  # three or more copies are an error for the duplicate check below
    if fold.empty:
        return out
    keys = ["queue", "interval_start"]
    merged = fold.groupby(keys, sort=False).agg(
        **{c: (c, lambda v: v.sum(min_count=1)) for c in ("offered", "handled", "abandoned") + TOTAL_COLUMNS
           if c in fold})
    by = [fold["queue"], fold["interval_start"]]
    for col, weight in (("aht_s", "handled"), ("asa_s", "handled"), ("abandon_wait_s", "abandoned")):
        if col not in fold:
            continue
        w = (fold[weight] if weight in fold else fold["offered"]).fillna(0.0)
        has = fold[col].notna()
        num = (fold[col].fillna(0.0) * w).groupby(by, sort=False).sum()
        den = w.where(has, 0.0).groupby(by, sort=False).sum()
        plain = fold[col].groupby(by, sort=False).mean()
        merged[col] = (num / den).where(den > 0, plain)
    keep = fold.reset_index().groupby(keys, sort=False)["index"].min()
    first = keep.loc[merged.index].to_numpy()
    merged = merged.reset_index()
    merged.index = first
    result = pd.concat([out.drop(index=fold.index), merged[out.columns]])
    days = sorted({f"{d:%Y-%m-%d}" for d in fold["interval_start"]})
    warnings.append(
        f"{source}: the hour repeated when clocks went back ({', '.join(days)}) appears twice; merged each pair of "
        "intervals into one (calls summed, aht_s weighted by handled calls)"
    )
    return result.sort_index()


def _interval_length(out: pd.DataFrame, source: str, line) -> tuple[int | None, float | None]:
    """The interval length [min] of the file's dense days (None when no day is dense), and the shortest
    step between two intervals of a queue on one day [min] (None when there is none).

    A dense day has >= 6 steps between its consecutive intervals and >= 75% of them equal its shortest step:
    closed nights, closed days and scattered missing intervals never make a day dense at a longer step, a
    file that switches from 30- to 15-minute rows does. InputError when a queue's dense days disagree or
    two queues differ.
    """
    d = out[["queue", "interval_start"]].sort_values(["queue", "interval_start"], kind="stable")
    day = d["interval_start"].dt.normalize()
    same = (d["queue"] == d["queue"].shift()) & (day == day.shift())
    step = ((d["interval_start"] - d["interval_start"].shift()) / pd.Timedelta(minutes=1)).where(same)
    st = pd.DataFrame({"queue": d["queue"], "day": day, "step": step, "row": d.index})
    st = st[st["step"].notna()]
    if st.empty:
        return None, None
    st["shortest"] = st.groupby(["queue", "day"])["step"].transform("min")
    st["at"] = st["step"] == st["shortest"]
    per_day = st.groupby(["queue", "day"], sort=True).agg(n=("step", "size"), at=("at", "sum"),
                                                          shortest=("shortest", "first"))
    dense = per_day[(per_day["n"] >= 6) & (per_day["at"] >= 0.75 * per_day["n"])].reset_index()
    shortest = float(st["step"].min())
    if dense.empty:
        return None, shortest
    found: dict[str, float] = {}
    for q, g in dense.groupby("queue", sort=False):
        s0 = g["shortest"].iloc[0]
        other = g[g["shortest"] != s0]
        if len(other):
            s1, when = other["shortest"].iloc[0], other["day"].iloc[0]
            last_s0 = g.loc[(g["shortest"] == s0) & (g["day"] < when), "day"].max()
            later = st[(st["queue"] == q) & (st["day"] > last_s0) & (st["step"] == s1)]
            if pd.isna(last_s0) or later.empty:
                later = st[(st["queue"] == q) & (st["day"] == when)]
            r = later["row"].iloc[0]
            raise InputError(
                f"queue '{q}' changes from {s0:g}-minute to {s1:g}-minute intervals on "
                f"{out.loc[r, 'interval_start']:%Y-%m-%d}; wfm needs one interval length per file",
                file=source, row=line(r), column="interval_start",
            )
        found[q] = s0
    if len(set(found.values())) > 1:
        order = sorted(found, key=lambda q: out.index[out["queue"] == q].min())
        a = order[0]
        b = next(q for q in order if found[q] != found[a])
        r = out.index[out["queue"] == b].min()
        raise InputError(
            f"queue '{b}' has {found[b]:g}-minute intervals but queue '{a}' has {found[a]:g}-minute intervals; "
            "wfm needs one interval length per file",
            file=source, row=line(r), column="interval_start",
        )
    return int(next(iter(found.values()))), shortest


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


def load_history(path: str | Path, interval_minutes: int | None = None, fill_gaps: bool = False, *,
                 date_format: str | None = None, timezone: str | None = None) -> History:
    """Read a CSV or Parquet history file and validate it (see validate_history)."""
    df = read_table(path)
    return validate_history(df, source=str(path), interval_minutes=interval_minutes, fill_gaps=fill_gaps,
                            date_format=date_format, timezone=timezone)

"""Agents on the phone per interval, recomputed from shift rows (the coverage every report trusts)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["coverage_from_shifts", "coverage_from_roster"]


def coverage_from_shifts(
    shifts: pd.DataFrame, intervals: pd.DataFrame, interval_minutes: int
) -> np.ndarray:
    """Agents on the phone per interval, recomputed from shift instances.

    ``shifts``: rows with ``queue, start, end`` and optionally ``break_start, break_end`` (NaT or empty
    when no break) and ``count`` (agents on that shift; 1 when absent). ``intervals``: rows with
    ``queue, interval_start``. An agent counts in interval [t, t + interval) when the shift covers the
    whole interval and the agent is not on break in it. Returns an int array aligned with ``intervals``.
    """
    step = pd.Timedelta(minutes=interval_minutes)
    out = np.zeros(len(intervals), dtype=np.int64)
    if len(intervals) == 0 or len(shifts) == 0:
        return out
    counts = shifts["count"].to_numpy(dtype=np.int64) if "count" in shifts else np.ones(len(shifts), np.int64)
    iv_start = pd.to_datetime(intervals["interval_start"])
    t0 = min(iv_start.min(), pd.to_datetime(shifts["start"]).min()).floor("D")

    def idx(ts: pd.Series) -> np.ndarray:
        # ceil for starts and floor for ends would matter only off-grid; shifts are on the interval grid.
        return ((pd.to_datetime(ts) - t0) // step).to_numpy(dtype=np.int64)

    for queue, iv in intervals.groupby("queue", sort=False):
        sh = shifts["queue"] == queue
        if not sh.any():
            continue
        s = shifts.loc[sh]
        c = counts[sh.to_numpy()]
        starts, ends = idx(s["start"]), idx(s["end"])
        size = int(max(ends.max(), idx(iv["interval_start"]).max() + 1)) + 1
        diff = np.zeros(size + 1, dtype=np.int64)
        np.add.at(diff, starts, c)
        np.add.at(diff, ends, -c)
        if "break_start" in s:
            bs = pd.to_datetime(s["break_start"], errors="coerce")
            be = pd.to_datetime(s["break_end"], errors="coerce")
            has = bs.notna().to_numpy() & be.notna().to_numpy()
            if has.any():
                np.add.at(diff, idx(bs[has]), -c[has])
                np.add.at(diff, idx(be[has]), c[has])
        level = np.cumsum(diff)
        out[np.flatnonzero((intervals["queue"] == queue).to_numpy())] = level[idx(iv["interval_start"])]
    return out


def coverage_from_roster(roster: pd.DataFrame, intervals: pd.DataFrame, interval_minutes: int,
                         units: pd.Series | None = None) -> np.ndarray:
    """Named agents on the phone per interval: :func:`coverage_from_shifts` over roster.csv's rows
    (``queue, shift_start, shift_end`` and optionally ``break_start, break_end``), one agent a row.
    ``units``: what each row counts towards instead of its ``queue`` (aligned with ``roster``; rows with a
    missing unit count nowhere), e.g. the agent's skill set."""
    cols = [c for c in ("shift_start", "shift_end", "break_start", "break_end") if c in roster]
    shifts = roster[cols].rename(columns={"shift_start": "start", "shift_end": "end"})
    shifts.insert(0, "queue", roster["queue"] if units is None else units)
    return coverage_from_shifts(shifts[shifts["queue"].notna()], intervals, interval_minutes)

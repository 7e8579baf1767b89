""":func:`schedule`: the requirement checked, the catalog and pay multipliers built once, every queue
scheduled (serially or on a :mod:`wfm.parallel` backend) and the results joined into one
:class:`ScheduleResult`."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import mip
from ..calendar import day_calendar
from ..errors import InputError
from ..tables import refuse_duplicate_intervals
from .capacity import contract_capacity
from .catalog import CatalogArrays, shift_catalog
from .coverage import coverage_from_shifts
from .queue import ScheduleContext, r, schedule_queue

__all__ = ["SHIFT_COLUMNS", "COVERAGE_COLUMNS", "ScheduleResult", "schedule", "check_requirements", "MAX_LISTED"]

SHIFT_COLUMNS = ["shift_id", "queue", "date", "template", "start", "end", "break_start", "break_end", "paid_hours", "count",
                 "tour_id"]
COVERAGE_COLUMNS = ["queue", "interval_start", "required", "scheduled", "gap"]
MAX_LISTED = 200  # holiday shortfall rows listed in the summary


@dataclass(frozen=True)
class ScheduleResult:
    """Result of :func:`schedule`.

    ``shifts``: one row per shift variant used, ``shift_id, queue, date`` (start day, midnight),
    ``template, start, end, break_start, break_end`` (NaT without a break), ``paid_hours`` [h per agent],
    ``count`` [agents], ``tour_id`` (the weekly tour the agents of the row work, '' when not a tour; the rows
    of one tour and date sum to the tour's agents); sorted by queue, start, template, break start, tour. ``coverage``: ``queue, interval_start,
    required, scheduled, gap`` [agents] per requirement interval, ``scheduled`` recomputed from ``shifts``
    and ``gap = scheduled - required``. ``summary``: solver facts and totals, overall and per queue.
    """

    shifts: pd.DataFrame
    coverage: pd.DataFrame
    summary: dict


def _bad_row(df: pd.DataFrame, mask, message: str, src: str, column: str):
    i = int(np.flatnonzero(np.asarray(mask))[0])
    raise InputError(message, file=src, row=i + 2, column=column)


def check_requirements(req: pd.DataFrame, im: int) -> pd.DataFrame:
    """The requirement checked and normalised (``interval_start`` datetime64[ns] on the ``im``-minute grid,
    ``scheduled_required`` int, ``queue`` str, ``is_holiday`` bool when present); a copy. Raises InputError
    naming the file (``req.attrs['source']``), row and column of the first bad value."""
    src = req.attrs.get("source") or "requirements"  # the file's path when the frame was read by wfm.io
    missing = [c for c in ("queue", "interval_start", "scheduled_required") if c not in req.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, req.columns))}", file=src)
    if len(req) == 0:
        raise InputError("the requirement has no rows: nothing to schedule", file=src)
    df = req.reset_index(drop=True).copy()
    ts = pd.to_datetime(df["interval_start"], errors="coerce")
    if ts.isna().any():
        _bad_row(df, ts.isna(), "interval_start is missing or not a date-time", src, "interval_start")
    if getattr(ts.dt, "tz", None) is not None:
        raise InputError("interval_start must be local clock time without a time zone", file=src, column="interval_start")
    df["interval_start"] = ts.astype("datetime64[ns]")
    off = ((df["interval_start"] - df["interval_start"].dt.normalize()) % pd.Timedelta(minutes=im)) != pd.Timedelta(0)
    if off.any():
        i = int(np.flatnonzero(off.to_numpy())[0])
        _bad_row(df, off, f"{df['interval_start'].iloc[i]} is not on the {im}-minute interval grid", src, "interval_start")
    v = pd.to_numeric(df["scheduled_required"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v < 0) | (np.abs(v - np.round(v)) > 1e-9)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        _bad_row(df, bad, f"'{df['scheduled_required'].iloc[i]}' is not a whole number of agents >= 0", src,
                 "scheduled_required")
    df["scheduled_required"] = np.round(v).astype(np.int64)
    df["queue"] = df["queue"].astype(str)
    refuse_duplicate_intervals(df, src)
    if "is_holiday" in df.columns:
        h = df["is_holiday"]
        if h.dtype != bool:
            h = h.astype(str).str.strip().str.lower().map({"true": True, "false": False, "1": True, "0": False})
            if h.isna().any():
                _bad_row(df, h.isna(), "is_holiday must be true or false", src, "is_holiday")
        df["is_holiday"] = h.astype(bool)
    return df


def _check_start(start: pd.DataFrame | None) -> pd.DataFrame | None:
    """The columns of a base run's shifts that re-planning reads; InputError when one is missing."""
    if start is None:
        return None
    need = ["queue", "template", "start", "break_start", "count"]
    missing = [c for c in need if c not in start.columns]
    if missing:
        raise InputError(f"the start schedule lacks column(s) {', '.join(missing)}",
                         file=start.attrs.get("source") or "start shifts")
    return start[need].copy()


def _day_multipliers(req: pd.DataFrame, cfg) -> pd.Series:
    """Pay multiplier per calendar day of the horizon and one day past it (the hours of a night shift after
    midnight are paid at that day's rate); fills ``req['is_holiday']`` from the public calendar when absent."""
    all_days = pd.date_range(req["day"].min(), req["day"].max() + pd.Timedelta(days=1), freq="D")
    cal = day_calendar(all_days, cfg.site.country, cfg.site.subdivision).set_index("date")
    if "is_holiday" not in req.columns:
        req["is_holiday"] = req["day"].map(cal["is_holiday"]).astype(bool).to_numpy()
    mult_by_type = {
        "holiday": cfg.pay.holiday_multiplier,
        "rest_day": cfg.pay.rest_day_multiplier if cfg.pay.rest_days == "calendar" else 1.0,
        "workday": 1.0,
    }
    return cal["day_type"].map(mult_by_type).astype(float)


def schedule(requirements: pd.DataFrame, cfg, progress=None, window_days="auto", agents: pd.DataFrame | None = None,
             backend=None, start: pd.DataFrame | None = None) -> ScheduleResult:
    """Least-cost shifts covering ``requirements`` (see :mod:`wfm.scheduling` for the model).

    ``requirements``: ``queue, interval_start`` (on the ``cfg.interval_minutes`` grid), ``scheduled_required``
    [agents], optionally ``is_holiday``; other columns are ignored. ``progress(message)`` is called as each
    queue and window starts. ``window_days``: 'auto' (one model up to 7 days, rolling 7-day windows beyond),
    None (one model for the whole horizon) or a number of days per window. ``agents``: the agent list; when
    given, shifts of a template with a ``contract`` are limited to the head count, working days and hours of
    the agents holding that contract (see :func:`contract_capacity`), so the roster can staff them.
    ``backend``: a :mod:`wfm.parallel` backend; with two or more workers and queues, the queues are solved in
    parallel (each queue's model is independent; shared head counts are split before, by
    :func:`contract_capacity`); without one (or a serial one) the queues run in threads, one per core.
    ``start``: a base run's shifts (``ScheduleResult.shifts`` or its shifts.csv: ``queue, template, start,
    break_start, count``) to re-plan from: they seed each window's MIP start (with daily shifts; tours
    ignore it). Raises InputError for a malformed requirement, ConfigError for a template off the grid,
    SolverError when the solver returns no schedule at all.
    """
    im = cfg.interval_minutes
    sc = cfg.require("schedule")
    req = check_requirements(requirements, im)
    catalog = shift_catalog(cfg)
    catalog.attrs["templates"] = list(cfg.schedule.templates)
    tell = progress if callable(progress) else (lambda _msg: None)
    cap = contract_capacity(agents, req, cfg) if agents is not None else None
    req["day"] = req["interval_start"].dt.normalize()
    ctx = ScheduleContext(cfg=cfg, im=im, sc=sc, tc=sc.tours, catalog=catalog, cat=CatalogArrays.of(catalog), cap=cap,
                          day_mult=_day_multipliers(req, cfg), window_days=window_days, start=_check_start(start))
    queues = sorted(req["queue"].unique())
    parts = [req.loc[req["queue"] == q].sort_values("interval_start").reset_index(drop=True) for q in queues]
    if backend is None or not getattr(backend, "split", False) or len(queues) < 2:
        results = _in_threads(queues, parts, ctx, tell)
    else:
        tell(f"scheduling {len(queues)} queues on {backend.describe()}")
        results = backend.map(schedule_queue, list(zip(queues, parts)), kwargs={"ctx": ctx},
                              labels=[f"schedule {q}" for q in queues], progress=tell)
    shifts = pd.concat([r.shifts for r in results], ignore_index=True) if results else pd.DataFrame(columns=SHIFT_COLUMNS)
    shifts = shifts.sort_values(["queue", "start", "template", "break_start", "tour_id"], na_position="first", kind="mergesort")
    shifts = shifts[SHIFT_COLUMNS].reset_index(drop=True)
    coverage = _coverage(req, shifts, im)
    shortfall_rows = [row for r in results for row in r.shortfall]
    queue_sums = [r.summary for r in results]
    summary = _overall(queue_sums, coverage, shifts, im)
    summary.update({
        "holiday_hard_coverage": bool(sc.holiday_hard_coverage),
        "cost_unit": "base paid hours (paid hours x day pay multiplier)",
        "queues": queue_sums,
        "holiday_shortfall": shortfall_rows[:MAX_LISTED],
        "holiday_shortfall_intervals": len(shortfall_rows),
        "messages": [m for r in results for m in r.messages],
    })
    return ScheduleResult(shifts=shifts, coverage=coverage, summary=summary)


def _in_threads(queues, parts, ctx: ScheduleContext, tell) -> list:
    """Every queue scheduled, up to one thread per core: HiGHS releases the GIL while it solves, and each
    queue's model is independent, so the results (returned in queue order) do not depend on the threads'
    timing (unless a time limit stops a solve)."""
    workers = min(len(queues), os.cpu_count() or 1)
    if workers < 2:
        return [schedule_queue(q, qr, ctx, tell) for q, qr in zip(queues, parts)]
    lock = threading.Lock()

    def say(msg):
        with lock:
            tell(msg)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wfm-schedule") as pool:
        futures = [pool.submit(schedule_queue, q, qr, ctx, say) for q, qr in zip(queues, parts)]
        return [f.result() for f in futures]


def _coverage(req: pd.DataFrame, shifts: pd.DataFrame, im: int) -> pd.DataFrame:
    cov = req.sort_values(["queue", "interval_start"], kind="mergesort").reset_index(drop=True)
    scheduled = coverage_from_shifts(shifts, cov, im)
    coverage = pd.DataFrame({
        "queue": cov["queue"].to_numpy(object),
        "interval_start": cov["interval_start"].to_numpy(),
        "required": cov["scheduled_required"].to_numpy(np.int64),
        "scheduled": scheduled.astype(np.int64),
    })
    coverage["gap"] = coverage["scheduled"] - coverage["required"]
    return coverage


def _overall(qs: list[dict], coverage: pd.DataFrame, shifts: pd.DataFrame, im: int) -> dict:
    solvers = sorted({q["solver"] for q in qs})
    statuses = sorted({q["status"] for q in qs})
    obj = sum(q["objective"] for q in qs) if all(q["objective"] is not None for q in qs) else None
    bound = sum(q["best_bound"] for q in qs) if all(q["best_bound"] is not None for q in qs) else None
    gap = mip.relative_gap(obj, bound) if obj is not None and bound is not None else None
    req_h = float(coverage["required"].sum()) * im / 60.0
    on_h = float(coverage["scheduled"].sum()) * im / 60.0
    return {
        "solver": "/".join(solvers),
        "status": statuses[0] if len(statuses) == 1 else "; ".join(f"{q['queue']}: {q['status']}" for q in qs),
        "proven_optimal": all(q["proven_optimal"] for q in qs),
        "within_gap": all(q["within_gap"] for q in qs),
        "time_limit_decided": sorted(str(q["queue"]) for q in qs if q.get("time_limit_reached")),
        "objective": r(obj),
        "best_bound": r(bound),
        "gap": r(gap, 6),
        "runtime_s": round(sum(q["runtime_s"] for q in qs), 3),
        "variables": sum(q["variables"] for q in qs),
        "constraints": sum(q["constraints"] for q in qs),
        "shifts": int(shifts["count"].sum()) if len(shifts) else 0,
        "paid_hours": round(float((shifts["paid_hours"] * shifts["count"]).sum()), 4) if len(shifts) else 0.0,
        "required_agent_hours": round(req_h, 4),
        "scheduled_agent_hours": round(on_h, 4),
        "efficiency": round(on_h / req_h, 6) if req_h > 0 else None,
        "under_covered_agent_intervals": int((-coverage["gap"]).clip(lower=0).sum()),
    }

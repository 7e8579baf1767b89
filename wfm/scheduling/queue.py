"""One queue's schedule: its covering model built from the catalog and its requirement, solved (daily shifts
or weekly tours), and turned into shift rows, a summary and messages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csc_matrix

from .. import mip
from ..errors import ConfigError
from .capacity import capacity_constraints, limit_constraints
from .catalog import CatalogArrays
from .coverage import coverage_from_shifts
from .solve import QueueModel, QueueSolution, solve_queue
from .tours import TourModel, solve_tours, split_tours, tour_label, tour_model

__all__ = ["ScheduleContext", "QueueResult", "schedule_queue"]


@dataclass(frozen=True, eq=False)
class ScheduleContext:
    """What every queue's solve shares, built once by :func:`wfm.scheduling.schedule`: the configuration
    (``cfg``; ``im`` interval minutes, ``sc`` its schedule section, ``tc`` the tours), the shift ``catalog``
    and its arrays ``cat``, the contract capacity ``cap`` (None without an agent list), the pay multiplier
    per calendar day ``day_mult``, the windowing ``window_days`` and ``start``, an earlier run's shift rows
    (``SHIFT_COLUMNS``) to start the solver from (None: none)."""

    cfg: object
    im: int
    sc: object
    tc: object
    catalog: pd.DataFrame
    cat: CatalogArrays
    cap: dict | None
    day_mult: pd.Series
    window_days: object
    start: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class QueueResult:
    """One queue's schedule: ``shifts`` rows, its ``summary`` dict, run ``messages`` and the holiday
    shortfall rows (``shortfall``)."""

    shifts: pd.DataFrame
    summary: dict
    messages: tuple[str, ...]
    shortfall: tuple[dict, ...]


@dataclass(frozen=True, eq=False)
class _Columns:
    """The shift columns of one queue: catalog row ``ci``, start day ``day_idx`` and start ``abs_start``
    [min after the first day's midnight], day-major."""

    ci: np.ndarray
    day_idx: np.ndarray
    abs_start: np.ndarray


def _coverage_matrix(qr: pd.DataFrame, cols: _Columns, cat: CatalogArrays, im: int, t0, n_days: int) -> csc_matrix:
    """Rows = requirement intervals, columns = shift variants: 1 where the variant is on the phone for the whole
    interval (inside the shift, outside its break)."""
    ci, abs_start = cols.ci, cols.abs_start
    k_req = ((qr["interval_start"] - t0) // pd.Timedelta(minutes=im)).to_numpy(np.int64)
    horizon_k = n_days * 1440 // im
    row_of_k = np.full(horizon_k + 1, -1, dtype=np.int64)
    row_of_k[k_req] = np.arange(len(qr))
    c_parts, k_parts = [], []
    for length in np.unique(cat.length[ci]):
        sel = np.flatnonzero(cat.length[ci] == length)
        n_k = int(length) // im
        kk = (abs_start[sel] // im)[:, None] + np.arange(n_k)[None, :]
        off = np.arange(n_k)[None, :] * im
        b0 = cat.break_offset[ci[sel]][:, None]
        on = (b0 < 0) | (off < b0) | (off >= b0 + cat.break_min[ci[sel]][:, None])
        c_parts.append(np.broadcast_to(sel[:, None], kk.shape)[on])
        k_parts.append(kk[on])
    cols_a, ks_a = np.concatenate(c_parts), np.concatenate(k_parts)
    inside = ks_a < horizon_k
    rows_a = np.full(len(ks_a), -1, dtype=np.int64)
    rows_a[inside] = row_of_k[ks_a[inside]]
    keep = rows_a >= 0
    return csc_matrix((np.ones(int(keep.sum())), (rows_a[keep], cols_a[keep])), shape=(len(qr), len(ci)))


def _queue_model(queue: str, qr: pd.DataFrame, ctx: ScheduleContext, days, limits) -> tuple[QueueModel, _Columns]:
    """The daily covering model of one queue (variants day-major, catalog order within a day: sorted, so the
    model is the same every run)."""
    cat, im = ctx.cat, ctx.im
    n_days, per_day, t0 = len(days), cat.per_day, days[0]
    day_idx = np.repeat(np.arange(n_days), per_day)
    ci = np.tile(np.arange(per_day), n_days)
    cols = _Columns(ci=ci, day_idx=day_idx, abs_start=day_idx * 1440 + cat.start[ci])
    # Pay rules: each paid hour at the multiplier of the calendar date it falls on, plus the night premium.
    m_day = ctx.day_mult.reindex(days.append(pd.DatetimeIndex([days[-1] + pd.Timedelta(days=1)]))).to_numpy(float)
    costs = (cat.paid_day0[ci] * m_day[day_idx] + cat.paid_day1[ci] * m_day[day_idx + 1]
             + cat.night[ci] * float(ctx.cfg.pay.night_premium))
    side = [] if ctx.cap is None else capacity_constraints(ctx.cap, queue, ctx.catalog, ci, day_idx, days, cat.paid)
    side += limit_constraints(ctx.catalog, ci, day_idx, days, cols.abs_start, im, limits)
    qm = QueueModel(
        A=_coverage_matrix(qr, cols, cat, im, t0, n_days), demand=qr["scheduled_required"].to_numpy(np.int64),
        hol=qr["is_holiday"].to_numpy(bool), costs=costs, day_idx=day_idx, vmin=cat.start[ci],
        qday=((qr["day"] - t0) // pd.Timedelta(days=1)).to_numpy(np.int64),
        qmin=((qr["interval_start"] - qr["day"]) // pd.Timedelta(minutes=1)).to_numpy(np.int64),
        n_days=n_days, spill_min=int(max(0, (cat.start + cat.length).max() - 1440)),  # minutes into the next day
        side=tuple(side), group=day_idx * (int(ctx.cat.shift_key.max()) + 1) + ctx.cat.shift_key[ci],
        start=None if ctx.start is None else _start_columns(ctx.start, queue, ctx.catalog, t0, n_days),
    )
    return qm, cols


def _start_columns(start: pd.DataFrame, queue: str, catalog: pd.DataFrame, t0, n_days: int) -> np.ndarray:
    """Agents per shift column (day-major, catalog order) of the earlier shift rows of ``queue``; rows whose
    variant is not in the catalog or whose day is outside the horizon are left out."""
    per_day = len(catalog)
    x = np.zeros(n_days * per_day)
    rows = start.loc[start["queue"].astype(str) == queue]
    if not len(rows):
        return x
    st = pd.to_datetime(rows["start"])
    bs = pd.to_datetime(rows["break_start"], errors="coerce")
    day = ((st.dt.normalize() - t0) // pd.Timedelta(days=1)).to_numpy(np.int64)
    smin = ((st - st.dt.normalize()) // pd.Timedelta(minutes=1)).to_numpy(np.int64)
    boff = np.where(bs.notna(), ((bs - st) // pd.Timedelta(minutes=1)).fillna(-1), -1).astype(np.int64)
    index = {(t, int(s), int(b)): i for i, (t, s, b) in
             enumerate(zip(catalog["template"], catalog["start_min"], catalog["break_offset_min"]))}
    for t, d, s, b, n in zip(rows["template"].astype(str), day, smin, boff, rows["count"].to_numpy(np.int64)):
        c = index.get((t, int(s), int(b)))
        if c is not None and 0 <= d < n_days:
            x[d * per_day + c] += n
    return x


def _tour_pieces(queue, res_x, y, tm: TourModel, per_day: int):
    """Shift columns used, agents on each and tour id of each, with tours: every tour's share of each day's shifts."""
    pieces = split_tours(res_x, y, tm, per_day)
    in_tour = np.zeros(len(res_x), dtype=bool)
    in_tour[[p[0] for p in pieces]] = True
    free = np.flatnonzero((res_x > 0) & ~in_tour)
    meta = tm.meta
    labels = {}
    for i in sorted({p[1] for p in pieces}):
        r = meta.loc[i]
        wd = [int(tm.weekday[d]) for d in tm.week_days[r["week"]]]
        labels[i] = (f"{queue}-{r['week'].replace('-', '')}-{r['template']}-{r['start_min'] // 60:02d}"
                     f"{r['start_min'] % 60:02d}-{tour_label(int(r['mask']), wd)}")
    used = np.concatenate([free, np.array([p[0] for p in pieces], dtype=np.int64)])
    counts = np.concatenate([res_x[free], np.array([p[2] for p in pieces], dtype=np.int64)])
    return used, counts, [""] * len(free) + [labels[p[1]] for p in pieces]


def _shift_rows(queue, res_x, y, tm, cols: _Columns, ctx: ScheduleContext, t0) -> pd.DataFrame:
    """Shift rows from the solution: one per shift variant used (and per tour, with tours)."""
    cat = ctx.cat
    if tm is not None:
        used, counts, tour_ids = _tour_pieces(queue, res_x, y, tm, cat.per_day)
    else:
        used = np.flatnonzero(res_x > 0)
        counts = res_x[used]
        tour_ids = [""] * len(used)
    c_used = cols.ci[used]
    start = t0 + pd.to_timedelta(cols.abs_start[used], unit="min")
    end = start + pd.to_timedelta(cat.length[c_used], unit="min")
    has_b = cat.break_offset[c_used] >= 0
    bstart = pd.Series(start + pd.to_timedelta(np.where(has_b, cat.break_offset[c_used], 0), unit="min")).where(has_b)
    bend = bstart + pd.to_timedelta(cat.break_min[c_used], unit="min")
    sh = pd.DataFrame({
        "queue": queue,
        "date": pd.Series(start).dt.normalize().astype("datetime64[ns]"),
        "template": ctx.catalog["template"].to_numpy()[c_used].astype(object),
        "start": pd.Series(start).astype("datetime64[ns]"),
        "end": pd.Series(end).astype("datetime64[ns]"),
        "break_start": bstart.astype("datetime64[ns]"),
        "break_end": bend.astype("datetime64[ns]"),
        "paid_hours": cat.paid[c_used].astype(float),
        "count": np.asarray(counts, dtype=np.int64),
        "tour_id": pd.Series(tour_ids, dtype=object),
    })
    sh.insert(0, "shift_id", [
        f"{queue}-{s:%Y-%m-%d-%H%M}-{t}" + (f"-b{b:%H%M}" if pd.notna(b) else "") + (f"-off-{tid.rsplit('-off-', 1)[1]}" if tid else "")
        for s, t, b, tid in zip(sh["start"], sh["template"], sh["break_start"], sh["tour_id"])
    ])
    return sh


def describe_conflicts(groups, limits, tc) -> str:
    """Plain words for the constraint groups found by :func:`wfm.scheduling.solve.conflicts`."""
    lo, hi, max_starts = limits
    words = {
        "capacity": "the agents available by contract in the agent list (head count, working days, hours)",
        "part_time_share": "the part-time share of paid hours (schedule.min_part_time_share "
                           f"{'-' if lo is None else f'{lo:g}'}, max_part_time_share {'-' if hi is None else f'{hi:g}'})",
        "max_starts": f"schedule.max_starts_per_interval = {max_starts}",
        "tours": f"the weekly tours (schedule.tours: {tc.days_on} days on, consecutive days off {tc.consecutive_days_off})",
    }
    return " and with ".join(words.get(g, g) for g in groups)


def _fmt_ts(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M")


def _holiday_shortfall(queue, qr, qm: QueueModel, sol: QueueSolution, sched_q, limits, ctx: ScheduleContext):
    """Messages and rows for holiday intervals left short (only possible after the fallback to penalised
    holiday coverage)."""
    im, messages, rows = ctx.im, [], []
    short = qm.demand - sched_q
    hol_short = np.flatnonzero(qm.hol & (short > 0))
    if not (len(hol_short) and ctx.sc.holiday_hard_coverage):
        return hol_short, messages, rows
    coverable = np.diff(qm.A.tocsr().indptr) > 0  # some allowed variant covers the interval at all
    g_all = qr.iloc[hol_short].assign(short=short[hol_short], coverable=coverable[hol_short])
    limits_text = describe_conflicts(sol.conflicts, limits, ctx.tc)
    for (day, cv), g in g_all.groupby(["day", "coverable"]):
        why = ("no shift window in schedule.templates covers them at all; allow earlier or later starts"
               if not cv else
               f"hard coverage conflicts with {limits_text}: without it they could be covered" if limits_text else
               "the shifts that could cover them start in the previous scheduling window (rolling solve)"
               if sol.windows > 1 else "the limits on shifts together leave too few agents")
        messages.append(
            f"Queue '{queue}', holiday {day:%Y-%m-%d}: {len(g)} intervals between "
            f"{g['interval_start'].min():%H:%M} and {g['interval_start'].max() + pd.Timedelta(minutes=im):%H:%M} "
            f"could not be fully covered ({why}); short {int(g['short'].sum())} agent-intervals in all."
        )
    for i in hol_short:
        rows.append({"queue": queue, "interval_start": _fmt_ts(qr["interval_start"].iloc[i]),
                     "required": int(qm.demand[i]), "scheduled": int(sched_q[i]),
                     "short": int(short[i])})
    return hol_short, messages, rows


def _pt_share(sh: pd.DataFrame, catalog) -> float | None:
    """Share of paid hours on part_time templates in ``sh`` (None without shifts)."""
    paid = sh["paid_hours"] * sh["count"]
    if not len(sh) or paid.sum() <= 0:
        return None
    con = {t.name: t.contract for t in catalog.attrs["templates"]}
    return round(float(paid[sh["template"].map(con) == "part_time"].sum() / paid.sum()), 6)


def r(v, nd: int = 4):
    """``v`` rounded to ``nd`` decimals, None kept."""
    return None if v is None else round(float(v), nd)


def _coverage_messages(queue, sh, short, limits, sol: QueueSolution, t0, im) -> tuple[list[str], int, int]:
    """Messages on uncovered requirement, solver notes and a time-limit stop; the agent-intervals short and
    the most starts in one interval."""
    messages = []
    under_ai = int(np.clip(short, 0, None).sum())
    starts_per_k = pd.Series(sh["count"].to_numpy()).groupby(
        ((sh["start"] - t0) // pd.Timedelta(minutes=im)).to_numpy()).sum() if len(sh) else pd.Series(dtype=np.int64)
    max_starts_used = int(starts_per_k.max()) if len(starts_per_k) else 0
    if under_ai:
        why = ""
        if limits[2] is not None and max_starts_used >= limits[2]:
            why = (f"; schedule.max_starts_per_interval ({limits[2]}) is reached at "
                   f"{int((starts_per_k >= limits[2]).sum())} start times and may be why")
        messages.append(f"Queue '{queue}': {under_ai} agent-intervals of the requirement are not covered "
                        f"({int((short > 0).sum())} intervals short){why}.")
    for n in sol.notes:
        messages.append(f"Queue '{queue}': {n}.")
    # A solve that stops on its gap gives the same shifts on any machine; one stopped by the clock may not.
    if sol.time_limited or mip.time_limited(sol.status):
        gap = f" (gap {sol.gap:.2%} against the bound)" if sol.gap is not None else ""
        messages.append(f"Queue '{queue}': the schedule solver stopped at its time limit before reaching "
                        f"schedule.mip_gap{gap}, so this schedule depends on the machine's speed; raise "
                        "schedule.time_limit_s for one that is the same everywhere.")
    return messages, under_ai, max_starts_used


def _queue_summary(queue, sol: QueueSolution, sh, qm: QueueModel, sched_q, costs, n_z, res_x, ctx, limits,
                   under_ai, hol_short, short, max_starts_used) -> dict:
    im = ctx.im
    req_h = float(qm.demand.sum()) * im / 60.0
    on_h = float(sched_q.sum()) * im / 60.0
    return {
        "queue": queue, "solver": sol.solver, "status": sol.status, "proven_optimal": bool(sol.proven_optimal),
        "within_gap": bool(sol.within_gap), "time_limit_reached": bool(sol.time_limited or mip.time_limited(sol.status)),
        "objective": r(sol.objective), "best_bound": r(sol.best_bound), "bound_source": sol.bound_source,
        "gap": r(sol.gap, 6), "windows": int(sol.windows), "runtime_s": round(sol.runtime_s, 3),
        "build_s": round(sol.build_s, 3), "variables": int(sol.variables), "constraints": int(sol.constraints),
        "shift_variants": int(n_z), "shifts": int(sh["count"].sum()),
        "paid_hours": round(float((sh["paid_hours"] * sh["count"]).sum()), 4),
        "shift_cost_base_h": round(float(costs[:n_z] @ res_x), 4),
        "required_agent_hours": round(req_h, 4), "scheduled_agent_hours": round(on_h, 4),
        "efficiency": round(on_h / req_h, 6) if req_h > 0 else None,
        "under_covered_agent_intervals": under_ai, "holiday_coverage": sol.holiday_mode,
        "holiday_short_agent_intervals": int(short[hol_short].sum()) if len(hol_short) else 0,
        "holiday_conflicts": list(sol.conflicts), "part_time_share": _pt_share(sh, ctx.catalog),
        "min_part_time_share": limits[0], "max_part_time_share": limits[1], "max_starts_per_interval": limits[2],
        "max_starts_used": max_starts_used,
    }


def schedule_queue(queue: str, qr: pd.DataFrame, ctx: ScheduleContext, tell=None) -> QueueResult:
    """Schedule one queue: its requirement rows ``qr`` (sorted by interval, with ``day`` and ``is_holiday``)
    and the shared context built by :func:`wfm.scheduling.schedule`. A pure function of its arguments, so
    queues can run in any process (:mod:`wfm.parallel`) with the same result."""
    tell = tell if callable(tell) else (lambda _msg: None)
    sc, im = ctx.sc, ctx.im
    days = pd.date_range(qr["day"].min(), qr["day"].max(), freq="D")
    t0 = days[0]
    tell(f"{queue}: building {len(days) * ctx.cat.per_day:,} shift variants over {len(days)} days")
    limits = sc.limits(queue)
    if ctx.cap is not None and limits[0] and ctx.cap.get((queue, "part_time"), {}).get("agents", 0) == 0:
        raise ConfigError(f"schedule.min_part_time_share is {limits[0]:.0%} for queue '{queue}' but the agent list has "
                          f"no part-time agent skilled for '{queue}': no schedule can meet it. Lower the share or "
                          "add part-time agents.")
    qm, cols = _queue_model(queue, qr, ctx, days, limits)
    n_z = len(cols.ci)
    costs = qm.costs
    tm = y = None
    if not ctx.tc.enabled:
        sol = solve_queue(queue, qm, sc, ctx.window_days, tell)
        res_x = sol.x
    else:
        tm = tour_model(ctx.catalog, days, ctx.tc)
        sol, res_x, y = solve_tours(queue, tm, qm, ctx.cat.per_day, ctx.cap, ctx.catalog, days, sc, ctx.tc,
                                    ctx.window_days, tell)
        costs = np.concatenate([costs, tm.meta["cost"].to_numpy(float)])

    sh = _shift_rows(queue, res_x, y, tm, cols, ctx, t0)
    sched_q = coverage_from_shifts(sh, qr, im)
    short = qm.demand - sched_q
    hol_short, messages, shortfall_rows = _holiday_shortfall(queue, qr, qm, sol, sched_q, limits, ctx)
    more, under_ai, max_starts_used = _coverage_messages(queue, sh, short, limits, sol, t0, im)
    messages += more
    qsum = _queue_summary(queue, sol, sh, qm, sched_q, costs, n_z, res_x, ctx, limits, under_ai, hol_short, short,
                          max_starts_used)
    if tm is not None:
        qsum["tours"] = {
            "agents": int(y.sum()),
            "tour_ids": int(sh.loc[sh["tour_id"] != "", "tour_id"].nunique()),
            "split_days_off_agents": int(y[tm.meta["split"].to_numpy(bool)].sum()),
            "tour_columns": int(len(tm.meta)),
        }
    tell(f"{queue}: {qsum['shifts']} shifts, {sol.solver} {sol.status}"
         + (f", gap {sol.gap:.2%}" if sol.gap is not None else ""))
    return QueueResult(shifts=sh, summary=qsum, messages=tuple(messages), shortfall=tuple(shortfall_rows))

"""Staffing stage: agents per interval from the forecast (Erlang C or Erlang A), then shrinkage.

* :func:`requirements` turns a forecast into agents needed on the phone (``agents``) and agents to schedule
  (``scheduled_required``) per queue and interval, with the service level, ASA, occupancy and abandonment
  they give; voice (Erlang C or A), chat with concurrency and deferred work (e-mail, tickets).
* :func:`projected_service` is the reverse question: the service a given schedule delivers.
* :func:`daily_service` rolls interval results up to call-weighted daily figures.
* :func:`shrinkage_series` builds shrinkage per interval from parts (breaks, training, absence, ...), by
  time of day or by date; :func:`deferred_workload` is the forward pass for deferred work;
  :func:`estimate_patience` infers callers' patience from abandonment history; :func:`tradeoff` and
  :func:`plot_tradeoff` show service, abandonment and cost against the number of agents.

Units: ``offered`` calls per interval, ``aht_s``, ``asa_s`` and ``patience_s`` seconds, ``service_level``,
``abandon_rate``, ``occupancy`` and ``shrinkage`` shares in [0, 1], agent counts in agents (heads during the
interval). ``service_level`` under Erlang A is answered within ``sl_seconds`` over offered (abandoned calls
count as not met); under Erlang C nobody abandons and the two readings agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import erlang
from .config import Config, StaffingOptions  # noqa: F401 (StaffingOptions: part of this module's API)
from .errors import ConfigError, InputError
from .patience import PATIENCE_COLUMNS, estimate_patience, patience_from_staffing
from .text import plain_text_chart

__all__ = [
    "REQUIREMENT_COLUMNS", "StaffingOptions", "requirements", "projected_service", "daily_service",
    "combine_shrinkage", "shrinkage_frame", "shrinkage_series", "deferred_workload", "estimate_patience",
    "patience_from_staffing", "PATIENCE_COLUMNS",
    "tradeoff", "plot_tradeoff", "max_agents_notes",
]

REQUIREMENT_COLUMNS = [
    "queue", "interval_start", "offered", "aht_s", "agents", "scheduled_required",
    "service_level", "asa_s", "occupancy", "target_met",
]


def _ceil9(x: np.ndarray) -> np.ndarray:
    """ceil() after rounding to 9 decimals: 7 / (1 - 0.3) = 10.000000000000002 must give 10, not 11."""
    return np.ceil(np.round(x, 9))


def _numbers(df: pd.DataFrame, col: str, source: str = "forecast") -> np.ndarray:
    """The column as floats; InputError naming the column and the first bad row if any value is NaN,
    infinite, negative or not a number. Rows are counted as in the CSV file: header is row 1."""
    raw = df[col]
    v = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        i = int(np.argmax(bad))
        shown = raw.iloc[i]
        if pd.isna(shown):
            why = "value is missing (NaN)"
        elif not np.isfinite(v[i]):
            why = f"'{shown}' is not a finite number"
        else:
            why = f"negative value {v[i]:g}; calls and handle times must be >= 0"
        raise InputError(why, file=source, row=i + 2, column=col)
    return v


def _shrinkage_per_row(shrinkage, cfg: Config, df: pd.DataFrame) -> np.ndarray:
    """Shrinkage per forecast row: the config's share, one share for all rows, or one per row."""
    if shrinkage is None:
        v = np.full(len(df), float(cfg.staffing.shrinkage))
    elif np.ndim(shrinkage) == 0:
        v = np.full(len(df), float(shrinkage))
    else:
        # A Series is taken in row order (as shrinkage_series(forecast['interval_start']) returns it).
        v = np.asarray(shrinkage.to_numpy() if isinstance(shrinkage, pd.Series) else shrinkage, dtype=float)
        if v.shape != (len(df),):
            raise ValueError(f"shrinkage has {v.size} values for {len(df)} forecast rows")
    if not (np.isfinite(v) & (v >= 0) & (v < 1)).all():
        raise ValueError("shrinkage must be shares in [0, 1)")
    return v


def _queue_block(offered, aht, iv, times, st, o: StaffingOptions) -> dict:
    """Requirement figures for the rows of one queue (sorted by time) under options ``o``."""
    k = int(o.concurrency)
    if o.channel == "deferred":
        d = deferred_workload(times, offered, aht, iv, o.response_window_h)
        with np.errstate(invalid="ignore", divide="ignore"):
            need = _ceil9(d["workload"].to_numpy() / st.max_occupancy)
        agents = np.minimum(need, st.max_agents).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            occ = np.where(agents > 0, d["workload"].to_numpy() / agents, 0.0)
        return {"agents": agents, "service_level": np.full(len(offered), np.nan),
                "asa_s": np.full(len(offered), np.nan), "occupancy": np.minimum(occ, 1.0),
                "target_met": need <= st.max_agents, "abandon_rate": np.full(len(offered), np.nan),
                "backlog": d["backlog"].to_numpy()}
    # Chat: k chats per agent are modelled as k independent servers per agent (Erlang on k * n servers),
    # aht_s being a chat's duration while handled alongside others; agents = ceil(servers / k).
    cap = st.max_agents * k
    if o.model == "erlang_a":
        servers, met = erlang.required_agents_a_met(offered, aht, iv, o.patience_s, st.sl_target, st.sl_seconds,
                                                     st.max_occupancy, o.max_abandon, cap)
    else:
        servers, met = erlang.required_agents_met(offered, aht, iv, sl_target=st.sl_target,
                                                  sl_seconds=st.sl_seconds, max_occupancy=st.max_occupancy,
                                                  max_agents=cap)
    agents = -(-servers // k)
    slots = agents * k
    if o.model == "erlang_a":
        m = erlang.erlang_a_metrics(offered, aht, slots, iv, st.sl_seconds, o.patience_s)
        sl, asa, occ, ab = (m[c].to_numpy() for c in ("service_level", "asa_s", "occupancy", "abandon_rate"))
    else:
        sl = erlang.service_level(offered, aht, slots, iv, st.sl_seconds)
        asa = erlang.asa(offered, aht, slots, iv)
        occ = erlang.occupancy(offered, aht, slots, iv)
        ab = (np.full(len(offered), np.nan) if o.patience_s is None
              else erlang.abandon_rate_a(offered, aht, slots, iv, o.patience_s))
    return {"agents": agents.astype(np.int64), "service_level": sl, "asa_s": asa, "occupancy": occ,
            "target_met": met, "abandon_rate": ab}


def requirements(
    forecast: pd.DataFrame,
    cfg: Config,
    *,
    patience_s: float | None = None,
    model: Literal["erlang_c", "erlang_a"] = "erlang_c",
    channel: Literal["voice", "chat", "deferred"] = "voice",
    concurrency: int = 1,
    response_window_h: float | None = None,
    max_abandon: float | None = None,
    shrinkage=None,
    queue_options: Mapping[str, StaffingOptions] | None = None,
) -> pd.DataFrame:
    """Agents needed per queue and interval for the service-level target in ``cfg.staffing``.

    ``forecast`` columns: ``queue, interval_start, offered`` (calls per interval, may be fractional),
    ``aht_s`` (seconds); ``offered_lo``/``offered_hi`` are ignored; ``is_holiday`` is passed through.

    Returns one row per forecast row, sorted by ``queue, interval_start``, with the columns
    ``queue, interval_start, offered, aht_s, agents, scheduled_required, service_level, asa_s, occupancy,
    target_met`` (then ``is_holiday`` when the forecast has it), then ``abandon_rate``, then ``backlog`` when
    any queue is deferred work and ``shrinkage`` when it varies by row:

    * ``agents``: agents on the phone: the fewest with service level >= ``sl_target`` within ``sl_seconds``
      and occupancy <= ``max_occupancy`` (0 for zero volume), at most ``max_agents``;
    * ``scheduled_required``: ``ceil(agents / (1 - shrinkage))``, the agents to schedule;
    * ``service_level`` (share), ``asa_s`` (seconds) and ``occupancy`` (share) at ``agents``;
    * ``target_met``: False where ``max_agents`` was reached before the target;
    * ``abandon_rate``: share of offered calls abandoning at ``agents`` (Erlang A), NaN when no patience is
      known;
    * ``backlog``: deferred items arrived but not finished at the interval's end (see
      :func:`deferred_workload`).

    Keyword options (defaults: today's Erlang C behaviour; :class:`StaffingOptions` documents them):
    ``model='erlang_a'`` staffs with abandonment (:func:`wfm.erlang.required_agents_a`; ``service_level``
    is then answered within ``sl_seconds`` over offered, abandoned calls not met; ``asa_s`` the mean wait of
    answered calls); ``patience_s`` mean patience [s]; ``channel='chat'`` with ``concurrency`` chats per
    agent (``occupancy`` is then the share of chat slots in use); ``channel='deferred'`` with
    ``response_window_h`` (``service_level`` and ``asa_s`` are NaN: every item is planned to finish within
    the window); ``max_abandon`` cap on the abandonment share (Erlang A). ``queue_options`` maps a queue
    name to its own :class:`StaffingOptions` (other queues use the keywords). ``shrinkage``: None for
    ``cfg.staffing.shrinkage``, a share, or one share per forecast row (e.g. :func:`shrinkage_series` of
    ``forecast['interval_start']``).

    Raises InputError naming the column and first bad row (as a CSV line, header = row 1) when ``offered``
    or ``aht_s`` is missing, not a number, infinite or negative; ValueError for contradictory options.
    """
    st = cfg.staffing
    base = StaffingOptions(model=model, patience_s=patience_s, channel=channel, concurrency=concurrency,
                           response_window_h=response_window_h, max_abandon=max_abandon).check()
    per_queue = {q: o.check() for q, o in (queue_options or {}).items()}
    need = ["queue", "interval_start", "offered", "aht_s"]
    src = forecast.attrs.get("source") or "forecast"  # the file's path when the frame was read by wfm.io
    missing = [c for c in need if c not in forecast.columns]
    if missing:
        raise InputError(f"the forecast has no column(s) {', '.join(missing)}", file=src, column=missing[0])
    df = forecast.reset_index(drop=True)
    offered = _numbers(df, "offered", src)
    aht = _numbers(df, "aht_s", src)
    shrink = _shrinkage_per_row(shrinkage, cfg, df)
    iv = float(cfg.interval_s)

    order = df.sort_values(["queue", "interval_start"], kind="mergesort").index.to_numpy()
    df = df.iloc[order].reset_index(drop=True)
    offered, aht, shrink = offered[order], aht[order], shrink[order]
    queues = df["queue"].to_numpy()
    times = pd.to_datetime(df["interval_start"]).to_numpy()

    cols: dict[str, np.ndarray] = {
        "agents": np.zeros(len(df), dtype=np.int64), "service_level": np.full(len(df), np.nan),
        "asa_s": np.full(len(df), np.nan), "occupancy": np.full(len(df), np.nan),
        "target_met": np.ones(len(df), dtype=bool), "abandon_rate": np.full(len(df), np.nan),
    }
    deferred = any(per_queue.get(q, base).channel == "deferred" for q in pd.unique(queues))
    if deferred:
        cols["backlog"] = np.full(len(df), np.nan)
    # One block per queue (rows are sorted, so each queue is a contiguous run); options differ by queue.
    starts = np.flatnonzero(np.r_[True, queues[1:] != queues[:-1]]) if len(df) else np.array([], dtype=int)
    bounds = np.append(starts, len(df))
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        o = per_queue.get(queues[lo], base)
        got = _queue_block(offered[lo:hi], aht[lo:hi], iv, times[lo:hi], st, o)
        for c, v in got.items():
            cols[c][lo:hi] = v

    out = pd.DataFrame({
        "queue": queues,
        "interval_start": df["interval_start"].to_numpy(),
        "offered": offered,
        "aht_s": aht,
        "agents": cols["agents"],
        "scheduled_required": _ceil9(cols["agents"] / (1.0 - shrink)).astype(np.int64),
        "service_level": cols["service_level"],
        "asa_s": cols["asa_s"],
        "occupancy": cols["occupancy"],
        "target_met": cols["target_met"].astype(bool),
    })
    if "is_holiday" in df.columns:
        out["is_holiday"] = df["is_holiday"].to_numpy()
    out["abandon_rate"] = cols["abandon_rate"]
    if deferred:
        out["backlog"] = cols["backlog"]
    if shrink.size and np.ptp(shrink) > 0:
        out["shrinkage"] = shrink
    return out


def max_agents_notes(req: pd.DataFrame, max_agents: int) -> list[str]:
    """One line per queue whose requirement hit ``staffing.max_agents`` (``target_met`` False in a
    :func:`requirements` frame): how many intervals and the first one. Staffing there stops at the cap, so
    the service target is not met; a run says so instead of planning the shortfall silently."""
    if "target_met" not in req.columns or not len(req):
        return []
    met = req["target_met"]
    if met.dtype != bool:
        met = met.astype(str).str.strip().str.lower().isin(["true", "1", "yes"])
    notes = []
    capped = req.loc[~met.to_numpy(bool)]
    for q, g in capped.groupby("queue", sort=True):
        first = pd.to_datetime(g["interval_start"]).min()
        notes.append(f"queue '{q}' needs more than staffing.max_agents = {int(max_agents)} agents in {len(g)} "
                     f"interval(s) (first {first:%Y-%m-%d %H:%M}); staffed at the cap, service target not met there")
    return notes


def projected_service(offered, aht_s, scheduled, interval_s, sl_seconds, shrinkage) -> pd.DataFrame:
    """Service delivered per interval by ``scheduled`` agents (rostered, on shift and not on break).

    ``offered``: calls per interval; ``aht_s``: handle time [s]; ``scheduled``: agents (may be
    fractional, e.g. an average); ``interval_s``: interval length [s]; ``sl_seconds``: answer-time
    target [s]; ``shrinkage``: share of scheduled time not available for calls. Arrays, Series or
    scalars, broadcast together.

    Agents on the phone ``n = scheduled * (1 - shrinkage)`` is usually fractional while Erlang C is
    defined for whole agents. Service level and ASA at fractional ``n`` are the linear interpolation
    between their values at ``floor(n)`` and ``ceil(n)`` agents (``n`` is first rounded to 9 decimals, so
    ``10 * 0.7`` counts as exactly 7). The interpolation is monotone and agrees exactly with Erlang C at
    whole ``n``. Where ``floor(n) <= load`` the ASA at ``floor(n)`` is infinite, so the interpolated ASA
    is infinite too (and the service level mixes in 0 from ``floor(n)``). Occupancy needs no
    interpolation: it is ``load / n`` exactly (capped at 1.0; 0.0 with no load).

    Zero offered calls give service level 1.0, ASA 0 and occupancy 0.

    Returns a DataFrame with ``agents_on_phone, service_level, asa_s, occupancy`` (index of the first
    Series argument, if any).
    """
    args = [offered, aht_s, scheduled, interval_s, sl_seconds, shrinkage]
    index = next((a.index for a in args if isinstance(a, pd.Series)), None)
    calls, aht, sched, iv, t, shr = np.broadcast_arrays(
        *[np.asarray(a.to_numpy() if isinstance(a, pd.Series) else a, dtype=float) for a in args]
    )
    if ((shr < 0) | (shr >= 1)).any():
        raise ValueError("shrinkage must be in [0, 1)")
    if (sched < 0).any():
        raise ValueError("scheduled agents must be >= 0")
    calls, aht, sched, iv, t, shr = (np.atleast_1d(x).ravel() for x in (calls, aht, sched, iv, t, shr))
    n = np.round(sched * (1.0 - shr), 9)
    lo = np.floor(n)
    hi = np.ceil(n)
    w = n - lo
    sl_lo = erlang.service_level(calls, aht, lo, iv, t)
    sl_hi = erlang.service_level(calls, aht, hi, iv, t)
    asa_lo = erlang.asa(calls, aht, lo, iv)
    asa_hi = erlang.asa(calls, aht, hi, iv)
    with np.errstate(invalid="ignore"):
        sl = np.where(w == 0, sl_lo, (1.0 - w) * sl_lo + w * sl_hi)
        asa = np.where(w == 0, asa_lo, (1.0 - w) * asa_lo + w * asa_hi)
    occ = erlang.occupancy(calls, aht, n, iv)
    return pd.DataFrame(
        {"agents_on_phone": n, "service_level": sl, "asa_s": asa, "occupancy": occ},
        index=index if index is not None and len(index) == n.size else None,
    )


def daily_service(df: pd.DataFrame) -> pd.DataFrame:
    """Call-weighted daily service per queue: ``queue, date, offered, service_level, asa_s``.

    ``df`` needs ``queue, interval_start, offered, service_level, asa_s`` (e.g. :func:`requirements`
    output, or :func:`projected_service` output joined to its queue, interval and offered calls).
    ``offered`` is the day's calls; ``service_level`` and ``asa_s`` [s] are averages over the day's
    intervals weighted by offered calls, i.e. over calls. A day with no calls has service level 1.0 and
    ASA 0; a day with any calls in an interval of infinite ASA has infinite ASA. ``date`` is the
    interval's calendar day (a midnight timestamp).
    """
    need = ["queue", "interval_start", "offered", "service_level", "asa_s"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(f"daily_service needs column(s) {', '.join(missing)}", column=missing[0])
    w = df["offered"].to_numpy(dtype=float)
    pos = w > 0
    with np.errstate(invalid="ignore"):
        t = pd.DataFrame({
            "queue": df["queue"].to_numpy(),
            "date": pd.to_datetime(df["interval_start"]).dt.normalize().to_numpy(),
            "offered": w,
            "_sl": np.where(pos, w * df["service_level"].to_numpy(dtype=float), 0.0),
            "_asa": np.where(pos, w * df["asa_s"].to_numpy(dtype=float), 0.0),
        })
    g = t.groupby(["queue", "date"], sort=True, as_index=False)[["offered", "_sl", "_asa"]].sum()
    tot = g["offered"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        g["service_level"] = np.where(tot > 0, g["_sl"].to_numpy() / tot, 1.0)
        g["asa_s"] = np.where(tot > 0, g["_asa"].to_numpy() / tot, 0.0)
    return g[["queue", "date", "offered", "service_level", "asa_s"]]


# ----------------------------------------------------------------------------------------------- shrinkage


def combine_shrinkage(*parts):
    """Total shrinkage from independent parts (shares of paid time): ``1 - prod(1 - part)``.

    Breaks 0.10, training 0.05 and absence 0.05 give ``1 - 0.9 * 0.95 * 0.95 = 0.18775``, not 0.20: each
    part takes its share of the time the others leave (an absent agent takes no break). Parts are scalars
    or arrays, broadcast together; each must be in [0, 1).
    """
    keep = np.ones(np.broadcast_shapes(*(np.shape(p) for p in parts))) if parts else np.ones(())
    for p in parts:
        a = np.asarray(p, dtype=float)
        if not (np.isfinite(a) & (a >= 0) & (a < 1)).all():
            raise ValueError(f"shrinkage parts must be shares in [0, 1), got {p!r}")
        keep = keep * (1.0 - a)
    out = 1.0 - keep
    return float(out) if out.ndim == 0 else out


def _minute_of_day(v) -> float:
    """'08:30', '8:30:00' or a datetime.time -> minutes after midnight; NaN for a missing value."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return math.nan
    if hasattr(v, "hour") and hasattr(v, "minute"):
        return float(v.hour * 60 + v.minute)
    parts = str(v).strip().split(":")
    try:
        h, m = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        raise ValueError(f"time {v!r} is not HH:MM") from None
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"time {v!r} is not a time of day")
    return float(h * 60 + m)


def shrinkage_frame(interval_start, parts=0.3, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Shrinkage per interval, one column per part and their total ``shrinkage`` (shares of paid time).

    ``interval_start``: timestamps (a Series keeps its index). ``parts``: one total share (the part called
    ``base``) or a mapping ``{'breaks': 0.10, 'training': 0.05, ...}`` of shares that hold everywhere.
    ``table``: optional overrides, one row per rule, with key columns ``date`` (YYYY-MM-DD) and/or ``time``
    (HH:MM, the interval's start time of day) and one column per part (a ``shrinkage`` column overrides
    ``base``; a part absent from ``parts`` is 0 outside the rows that give it). For each part the most
    specific rule wins: date and time, then date, then time, then a row with neither, then ``parts``;
    an empty cell falls through to the next rule. The total is :func:`combine_shrinkage` of the parts.
    """
    ts = pd.to_datetime(pd.Series(interval_start) if not isinstance(interval_start, pd.Series) else interval_start)
    index = ts.index
    ts = ts.reset_index(drop=True)
    defaults = {"base": float(parts)} if np.ndim(parts) == 0 and not isinstance(parts, Mapping) else {
        str(k): float(v) for k, v in dict(parts).items()}
    if "shrinkage" in defaults:
        raise ValueError("name the parts (breaks, training, ...); 'shrinkage' is their total")
    day = ts.dt.normalize()
    minute = (ts.dt.hour * 60 + ts.dt.minute).astype(float)
    values = {p: np.full(len(ts), v) for p, v in defaults.items()}
    if table is not None and len(table):
        t = table.rename(columns={"shrinkage": "base"})
        bad = set(t.columns) - {"date", "time"} - set(t.select_dtypes("number").columns)
        if bad:
            raise ValueError(f"shrinkage table column(s) {sorted(bad)} are not numbers (keys are 'date' and 'time')")
        t_day = (pd.to_datetime(t["date"]).dt.normalize() if "date" in t.columns
                 else pd.Series(pd.NaT, index=t.index))
        t_min = (t["time"].map(_minute_of_day).astype(float) if "time" in t.columns
                 else pd.Series(np.nan, index=t.index))
        has_d, has_t = t_day.notna().to_numpy(), t_min.notna().to_numpy()
        # keys as integers: minutes since the epoch of the day (plus the time of day where given)
        tkey_day = np.where(has_d, t_day.to_numpy().astype("datetime64[m]").astype(np.int64), -1)
        ikey_day = day.to_numpy().astype("datetime64[m]").astype(np.int64)
        for p in [c for c in t.columns if c not in ("date", "time")]:
            col = t[p].to_numpy(dtype=float)
            v = values.setdefault(p, np.zeros(len(ts)))
            given = ~np.isnan(col)
            for level, sel, ik, tk in (
                ("no key", ~has_d & ~has_t, np.zeros(len(ts)), np.zeros(len(t))),
                ("time", ~has_d & has_t, minute.to_numpy(), t_min.to_numpy()),
                ("date", has_d & ~has_t, ikey_day, tkey_day),
                ("date and time", has_d & has_t, ikey_day + minute.to_numpy(), tkey_day + t_min.to_numpy()),
            ):
                rows = sel & given
                if not rows.any():
                    continue
                keys = pd.Series(col[rows], index=tk[rows].astype(float))
                if keys.index.duplicated().any():
                    raise ValueError(f"shrinkage table gives part '{p}' twice for the same {level}")
                hit = pd.Series(ik.astype(float)).map(keys).to_numpy()
                v[:] = np.where(np.isnan(hit), v, hit)
    frame = pd.DataFrame(values)
    for p in frame.columns:
        a = frame[p].to_numpy()
        if not ((a >= 0) & (a < 1)).all():
            raise ValueError(f"shrinkage part '{p}' must be a share in [0, 1)")
    frame["shrinkage"] = combine_shrinkage(*(frame[p].to_numpy() for p in values)) if values else 0.0
    frame.index = index
    return frame


def shrinkage_series(interval_start, parts=0.3, table: pd.DataFrame | None = None) -> pd.Series:
    """Total shrinkage per interval (share of paid time not available for calls): the ``shrinkage`` column
    of :func:`shrinkage_frame`, which documents ``parts`` and ``table``. Pass it to :func:`requirements`
    as ``shrinkage=`` to schedule ``ceil(agents / (1 - shrinkage))`` per interval."""
    return shrinkage_frame(interval_start, parts, table)["shrinkage"]


# ----------------------------------------------------------------------------------------------- deferred work


def deferred_workload(interval_start, volume, aht_s, interval_s: float, response_window_h: float) -> pd.DataFrame:
    """Work plan for deferred items (e-mail, tickets) that must be finished within ``response_window_h``.

    ``interval_start``: the queue's open intervals in time order (closed times have no rows);
    ``volume``: items arriving per interval; ``aht_s``: work per item [s]; ``interval_s``: interval length
    [s]; ``response_window_h``: hours from arrival to answer.

    Each interval's work is spread evenly over the open intervals that end within the window of its
    start (itself included): the slowest constant work rate that finishes it by the deadline. Summing these
    rates is a forward pass (a difference array and a cumulative sum), so the plan carries a backlog from
    interval to interval. Because every interval's work is finished by the end of its own window, and the
    windows end in the order the work arrived, first-in-first-out working meets every deadline (treating
    work as fluid). Work is never pulled earlier than its arrival interval; this smooths peaks but is not
    the plan with the smallest peak. After the last row the queue is assumed open on the same grid, so the
    last windows reach past the horizon and their unfinished work shows in ``backlog``.

    Returns a DataFrame (index as ``interval_start`` when a Series) with ``workload`` (agents' worth of
    work in the interval, in erlangs: work seconds / ``interval_s``) and ``backlog`` (items arrived and not
    yet finished at the interval's end).
    """
    index = interval_start.index if isinstance(interval_start, pd.Series) else None
    t = pd.to_datetime(pd.Series(np.asarray(interval_start))).to_numpy().astype("datetime64[ns]").astype(np.int64)
    vol = np.asarray(volume, dtype=float)
    work = vol * np.asarray(aht_s, dtype=float)
    k = t.size
    if vol.shape != (k,) or work.shape != (k,):
        raise ValueError("volume and aht_s need one value per interval")
    if not (np.isfinite(work).all() and (vol >= 0).all() and (work >= 0).all()):
        raise ValueError("volume and aht_s must be finite numbers >= 0")
    if not (response_window_h is not None and response_window_h >= 0 and math.isfinite(response_window_h)):
        raise ValueError("response_window_h must be a finite number of hours >= 0")
    if not interval_s > 0:
        raise ValueError("interval_s must be > 0")
    if k == 0:
        return pd.DataFrame({"workload": np.zeros(0), "backlog": np.zeros(0)}, index=index)
    if (np.diff(t) <= 0).any():
        raise ValueError("interval_start must be strictly increasing (one queue, sorted by time)")
    sec = (t - t[0]) / 1e9
    w = float(response_window_h) * 3600.0
    extra = int(math.ceil(w / interval_s)) + 1
    ext = np.concatenate([sec, sec[-1] + interval_s * np.arange(1, extra + 1)])
    # Rows j whose end s_j + interval_s is within the window s_k + W of row k (1 ms tolerance for float time).
    end = np.searchsorted(ext, sec + w - interval_s + 1e-3, side="right")
    rows = np.arange(k)
    count = np.maximum(end - rows, 1)
    end = rows + count
    rate = work / (count * interval_s)
    done = vol / count
    d_rate = np.zeros(ext.size + 1)
    d_done = np.zeros(ext.size + 1)
    d_rate[:k] += rate
    d_done[:k] += done
    np.add.at(d_rate, end, -rate)
    np.add.at(d_done, end, -done)
    workload = np.cumsum(d_rate)[:k]
    finished = np.cumsum(np.cumsum(d_done)[:k])
    backlog = np.maximum(np.cumsum(vol) - finished, 0.0)
    # cumulative sums leave float dust where the true value is 0
    workload = np.where(np.abs(workload) < 1e-12 * max(1.0, float(np.abs(rate).max())), 0.0, workload)
    backlog = np.where(backlog < 1e-9 * max(1.0, float(vol.sum())), 0.0, backlog)
    return pd.DataFrame({"workload": workload, "backlog": backlog}, index=index)


# ----------------------------------------------------------------------------------------------- trade-off


def tradeoff(calls, aht_s, interval_s, sl_seconds, agents_range, hourly_cost, patience_s=None) -> pd.DataFrame:
    """Service, abandonment and cost of each agent count for one interval's traffic.

    ``calls``: calls per interval; ``aht_s``: mean handle time [s]; ``interval_s``: interval length [s];
    ``sl_seconds``: answer-time target [s]; ``agents_range``: agent counts to tabulate (whole numbers);
    ``hourly_cost``: cost of one agent for one hour (currency); ``patience_s``: mean patience [s] for
    Erlang A (``None``: Erlang C, nobody abandons, ``abandon_rate`` NaN).

    Columns: ``agents``, ``service_level`` (answered within ``sl_seconds`` over offered), ``asa_s`` (mean wait
    of answered calls [s]; ``inf`` for an unstable Erlang C queue), ``occupancy``, ``abandon_rate``,
    ``cost_per_hour`` (``agents * hourly_cost``).
    """
    agents = np.asarray(list(agents_range), dtype=float)
    if agents.ndim != 1 or not ((agents >= 0) & (agents == np.floor(agents))).all():
        raise ValueError("agents_range must hold whole numbers >= 0")
    if np.ndim(calls) or np.ndim(aht_s):
        raise ValueError("tradeoff is for one interval: calls and aht_s must be scalars")
    if patience_s is None:
        df = pd.DataFrame({
            "agents": agents.astype(np.int64),
            "service_level": np.asarray(erlang.service_level(calls, aht_s, agents, interval_s, sl_seconds), float),
            "asa_s": np.asarray(erlang.asa(calls, aht_s, agents, interval_s), float),
            "occupancy": np.asarray(erlang.occupancy(calls, aht_s, agents, interval_s), float),
            "abandon_rate": np.full(agents.size, np.nan),
        })
    else:
        m = erlang.erlang_a_metrics(calls, aht_s, agents, interval_s, sl_seconds, patience_s)
        df = pd.DataFrame({"agents": agents.astype(np.int64),
                           **{c: m[c].to_numpy() for c in ("service_level", "asa_s", "occupancy", "abandon_rate")}})
    df["cost_per_hour"] = agents * float(hourly_cost)
    df.attrs.update(calls=float(calls), aht_s=float(aht_s), interval_s=float(interval_s),
                    sl_seconds=float(sl_seconds), patience_s=patience_s, hourly_cost=float(hourly_cost))
    return df


@plain_text_chart
def plot_tradeoff(df: pd.DataFrame, sl_target: float | None = None):
    """Matplotlib figure of a :func:`tradeoff` table: service level and abandonment (top) and ASA [s]
    (bottom) against agents, with the hourly cost on a second axis when it is known; ``sl_target`` draws
    the target line."""
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    x = df["agents"].to_numpy()
    top.plot(x, 100 * df["service_level"], marker="o", ms=3, color="#1f6fb2", label="service level")
    if df["abandon_rate"].notna().any():
        top.plot(x, 100 * df["abandon_rate"], marker="o", ms=3, color="#c0392b", label="abandoned")
    if sl_target is not None:
        top.axhline(100 * sl_target, color="#1f6fb2", ls="--", lw=0.8, label=f"target {sl_target:.0%}")
    sl_s = df.attrs.get("sl_seconds")
    top.set_ylabel("% of offered calls")
    top.set_title("answered within " + (f"{sl_s:g} s" if sl_s is not None else "the target time")
                  + " / offered, and abandoned", loc="left", fontsize=10)
    top.set_ylim(0, 100)
    top.grid(alpha=0.3)
    top.legend(loc="center right", fontsize=8)
    asa = df["asa_s"].to_numpy(dtype=float)
    fin = np.isfinite(asa)
    bottom.plot(x[fin], asa[fin], marker="o", ms=3, color="#444")
    bottom.set_ylabel("ASA of answered calls [s]")
    bottom.set_xlabel("agents on the phone")
    bottom.grid(alpha=0.3)
    rate = df.attrs.get("hourly_cost")
    if rate:
        sec = top.secondary_xaxis("top", functions=(lambda a: a * rate, lambda c: c / rate))
        sec.set_xlabel("cost per hour")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------------
# The staffing section of a config, as keyword arguments of requirements()
# --------------------------------------------------------------------------------------------------


def read_shrinkage_file(path: str | Path) -> pd.DataFrame:
    """Read a shrinkage file (docs/formats.md): key columns ``date`` (YYYY-MM-DD) and/or ``time`` (HH:MM)
    and one column per part with shares in [0, 1); empty cells fall through to less specific rows.
    Raises InputError naming the file, row and column of a bad cell."""
    from .io import parse_number_column, read_table, row_numbers

    df = read_table(path)
    rows = row_numbers(df)
    if "date" not in df.columns and "time" not in df.columns:
        raise InputError("a shrinkage file needs a 'date' and/or a 'time' column", file=str(path))
    parts = [c for c in df.columns if c not in ("date", "time")]
    if not parts:
        raise InputError("a shrinkage file needs one column per part (breaks, training, ...)", file=str(path))
    out = pd.DataFrame(index=df.index)
    if "date" in df.columns:
        raw = df["date"].astype(str).str.strip()
        d = pd.to_datetime(raw.where(raw != ""), errors="coerce", format="%Y-%m-%d")
        for i in np.flatnonzero((d.isna() & (raw != "")).to_numpy()):
            raise InputError(f"'{raw.iloc[i]}' is not a date (YYYY-MM-DD)", file=str(path), row=int(rows[i]), column="date")
        out["date"] = d
    if "time" in df.columns:
        raw = df["time"].astype(str).str.strip()
        ok = raw.str.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d(:00)?") | (raw == "")
        for i in np.flatnonzero((~ok).to_numpy()):
            raise InputError(f"'{raw.iloc[i]}' is not a time of day (HH:MM)", file=str(path), row=int(rows[i]), column="time")
        out["time"] = raw.where(raw != "")
    for c in parts:
        v = parse_number_column(df[c], str(path), c, allow_empty=True)
        for i in np.flatnonzero((v >= 1).to_numpy()):
            raise InputError(f"'{df[c].iloc[i]}' is not a share in [0, 1)", file=str(path), row=int(rows[i]), column=c)
        out[c] = v.astype(float)
    return out


def _plain(v):
    """A JSON-friendly scalar: NaN -> None, inf -> 'inf', numpy scalars -> Python ones."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def staffing_kwargs(cfg: Config, history=None, forecast: pd.DataFrame | None = None,
                    info: dict | None = None) -> dict:
    """Keyword arguments of :func:`wfm.staffing.requirements` from ``cfg.staffing``:
    ``requirements(forecast, cfg, **staffing_kwargs(cfg, history, forecast))``.

    ``history`` (a History or its frame) is needed only for ``patience_s: estimate``; ``forecast`` only
    for a ``shrinkage_file`` (shrinkage per forecast row) and to check that every forecast queue has an
    estimated patience. ``info``, if given, is filled with what the run should report: the model, the
    patience used and, when estimated, the estimate per queue (``patience_estimate``).
    Raises ConfigError naming the key when the config cannot be applied.
    """
    st = cfg.staffing
    info = info if info is not None else {}
    info.update(model=st.model, patience_s=st.patience_s, max_abandon=st.max_abandon)
    kw: dict = {"model": st.model, "max_abandon": st.max_abandon}

    # shrinkage: parts and/or a file; the flat `shrinkage` key when neither is given (requirements' default)
    if st.shrinkage_file:
        if forecast is None:
            raise ConfigError("staffing.shrinkage_file: needs the forecast to give shrinkage per interval")
        table = read_shrinkage_file(st.shrinkage_file)
        parts = dict(st.shrinkage_parts) if st.shrinkage_parts else float(st.shrinkage)
        try:
            kw["shrinkage"] = shrinkage_series(forecast["interval_start"].reset_index(drop=True), parts, table)
        except ValueError as err:
            raise ConfigError(f"staffing.shrinkage_file: {st.shrinkage_file}: {err}") from None
        info["shrinkage_file"] = str(st.shrinkage_file)
    elif st.shrinkage_parts:
        kw["shrinkage"] = st.total_shrinkage
    if st.shrinkage_parts:
        info["shrinkage_parts"] = dict(st.shrinkage_parts)

    names = set(st.queues or {})
    estimates: dict[str, float] = {}
    wants_estimate = st.patience_s == "estimate" or any(q.patience_s == "estimate" for q in (st.queues or {}).values())
    if wants_estimate:
        frame = getattr(history, "frame", history)
        if frame is None:
            raise ConfigError("staffing.patience_s: 'estimate' needs the history (with an 'abandoned' column); "
                              "give a number of seconds or pass the history")
        if "abandoned" not in frame.columns or frame["abandoned"].isna().all():
            raise ConfigError("staffing.patience_s: 'estimate' needs an 'abandoned' column in the history")
        iv = history.interval_minutes * 60 if hasattr(history, "interval_minutes") else cfg.interval_s
        est = estimate_patience(frame, iv, st.sl_target, st.sl_seconds, st.max_occupancy,
                                default_aht_s=cfg.forecast.default_aht_s)
        info["patience_estimate"] = [{k: _plain(v) for k, v in r.items()} for r in est.to_dict("records")]
        for r in est.itertuples():
            if not (r.patience_s > 0):  # 0 (more abandonment than the assumed staff explain) or NaN (no calls)
                raise ConfigError(f"staffing.patience_s: 'estimate' for queue '{r.queue}' gives no usable "
                                  f"patience: {r.note or 'not identified'}")
            estimates[str(r.queue)] = float(r.patience_s)
        queues = set(estimates) | names
        if forecast is not None:
            queues |= set(map(str, forecast["queue"].unique()))
        for q in sorted(queues):
            pat = (st.queues or {}).get(q)
            needs = (pat.patience_s if pat is not None and pat.patience_s is not None else st.patience_s) == "estimate"
            if needs and q not in estimates:
                raise ConfigError(f"staffing.patience_s: 'estimate' found no history for queue '{q}'")
        names = queues
        # every queue gets its own options below; the section-wide ones then only need to pass the check
        if st.patience_s == "estimate":
            kw.update(model="erlang_c", max_abandon=None)
    elif st.patience_s is not None:
        kw["patience_s"] = float(st.patience_s)

    if names:
        opts = {}
        for q in sorted(names):
            try:
                opts[q] = st.queue_options(q if q in (st.queues or {}) else None, estimates.get(q))
            except ValueError as err:
                raise ConfigError(str(err)) from None
        kw["queue_options"] = opts
    if estimates:
        info["patience_s"] = {q: _plain(v) for q, v in estimates.items()}
    return kw

"""Staffing stage: Erlang C agents per interval from the forecast, then shrinkage.

* :func:`requirements` turns a forecast into agents needed on the phone (``agents``) and agents to schedule
  (``scheduled_required``) per queue and interval, with the service level, ASA and occupancy they give.
* :func:`projected_service` is the reverse question: the service a given schedule delivers.
* :func:`daily_service` rolls interval results up to call-weighted daily figures.

Units: ``offered`` calls per interval, ``aht_s`` and ``asa_s`` seconds, ``service_level`` and ``occupancy``
shares in [0, 1], agent counts in agents (heads during the interval).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import erlang
from .config import Config
from .errors import InputError

__all__ = ["REQUIREMENT_COLUMNS", "requirements", "projected_service", "daily_service"]

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


def requirements(forecast: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Agents needed per queue and interval for the service-level target in ``cfg.staffing``.

    ``forecast`` columns: ``queue, interval_start, offered`` (calls per interval, may be fractional),
    ``aht_s`` (seconds); ``offered_lo``/``offered_hi`` are ignored; ``is_holiday`` is passed through.

    Returns one row per forecast row, sorted by ``queue, interval_start``, with the columns
    ``queue, interval_start, offered, aht_s, agents, scheduled_required, service_level, asa_s, occupancy,
    target_met`` (and ``is_holiday`` when the forecast has it):

    * ``agents``: Erlang C agents on the phone: the fewest with service level >= ``sl_target`` within
      ``sl_seconds`` and occupancy <= ``max_occupancy`` (0 for zero volume), at most ``max_agents``;
    * ``scheduled_required``: ``ceil(agents / (1 - shrinkage))``, the agents to schedule;
    * ``service_level`` (share), ``asa_s`` (seconds) and ``occupancy`` (share) at ``agents``;
    * ``target_met``: False where ``max_agents`` was reached before the target.

    Raises InputError naming the column and first bad row (as a CSV line, header = row 1) when ``offered``
    or ``aht_s`` is missing, not a number, infinite or negative.
    """
    st = cfg.staffing
    need = ["queue", "interval_start", "offered", "aht_s"]
    missing = [c for c in need if c not in forecast.columns]
    if missing:
        raise InputError(f"the forecast has no column(s) {', '.join(missing)}", file="forecast", column=missing[0])
    df = forecast.reset_index(drop=True)
    offered = _numbers(df, "offered")
    aht = _numbers(df, "aht_s")
    iv = float(cfg.interval_s)

    agents, met = erlang.required_agents_met(
        offered, aht, iv, sl_target=st.sl_target, sl_seconds=st.sl_seconds,
        max_occupancy=st.max_occupancy, max_agents=st.max_agents,
    )
    out = pd.DataFrame({
        "queue": df["queue"].to_numpy(),
        "interval_start": df["interval_start"].to_numpy(),
        "offered": offered,
        "aht_s": aht,
        "agents": agents.astype(np.int64),
        "scheduled_required": _ceil9(agents / (1.0 - st.shrinkage)).astype(np.int64),
        "service_level": erlang.service_level(offered, aht, agents, iv, st.sl_seconds),
        "asa_s": erlang.asa(offered, aht, agents, iv),
        "occupancy": erlang.occupancy(offered, aht, agents, iv),
        "target_met": met.astype(bool),
    })
    if "is_holiday" in df.columns:
        out["is_holiday"] = df["is_holiday"].to_numpy()
    return out.sort_values(["queue", "interval_start"], kind="mergesort").reset_index(drop=True)


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

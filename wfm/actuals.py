"""Forecast against actual: how a finished plan's forecast and service compare with the calls that came.

Once a planned period has happened, the ACD's interval export (the history format, docs/formats.md) is the
actuals. :func:`align_actuals` puts them on the plan's queues and intervals; :func:`review_plan` sets them
beside the forecast the plan was staffed for and projects the service the rostered agents gave those calls
(Erlang A or C as the report's projection, with the actual handle time where the export has it).
:mod:`wfm.report` shows the result; the run folder keeps the aligned actuals as ``actuals_input.csv`` so a
later ``wfm report`` shows the same comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .config import Config
from .errors import InputError

__all__ = ["ACTUALS_FILE", "Review", "align_actuals", "review_plan", "review_by_day", "review_by_queue", "review_total"]

ACTUALS_FILE = "actuals_input.csv"  # the aligned actuals a run's report was given


def align_actuals(frame: pd.DataFrame, interval_minutes_in: int, requirements: pd.DataFrame, interval_minutes: int,
                  source: str = "actuals") -> tuple[pd.DataFrame, list[str]]:
    """Actual calls per queue and plan interval, for the days they cover.

    ``frame``: a validated history's rows (:attr:`wfm.history.History.frame`: queue, interval_start, offered
    [, handled, abandoned, aht_s, asa_s]) at ``interval_minutes_in`` [min], which must divide the plan's
    ``interval_minutes`` (finer intervals are summed up). Only the plan's queues and horizon
    (``requirements``' intervals) are kept. A (queue, day) with any actual row counts its other plan
    intervals as 0 calls (ACD exports leave out empty intervals), up to the queue's last actual row (an
    export taken mid-day covers that day so far); days without actuals are not compared.
    Returns ``queue, interval_start, offered`` [calls], ``aht_s`` [s] (handled-call weighted; NaN when not
    given or no call), ``abandoned`` [calls] and ``asa_s`` [s] when the export has them, and the notes
    (rows left out). Raises InputError (naming ``source``) when the intervals do not fit or nothing is
    left."""
    if interval_minutes % interval_minutes_in:
        raise InputError(f"the actuals are in {interval_minutes_in}-minute intervals and the plan in {interval_minutes}-minute "
                         f"ones: give actuals at {interval_minutes} minutes or a divisor of it", file=source)
    step = pd.Timedelta(minutes=interval_minutes)
    queues = sorted(set(requirements["queue"].astype(str)))
    start, end = requirements["interval_start"].min(), requirements["interval_start"].max() + step
    f = frame.assign(queue=frame["queue"].astype(str))
    notes = []
    other_q = sorted(set(f["queue"]) - set(queues))
    if other_q:
        notes.append(f"{int(f['queue'].isin(other_q).sum()):,} rows of queues the plan does not have "
                     f"({', '.join(other_q[:5])}{', ...' if len(other_q) > 5 else ''}) left out")
    f = f[f["queue"].isin(queues)]
    outside = ~((f["interval_start"] >= start) & (f["interval_start"] < end))
    if outside.any():
        notes.append(f"{int(outside.sum()):,} rows outside the plan's horizon left out")
    f = f[~outside]
    if f.empty:
        raise InputError(f"no actual calls inside the plan's horizon ({start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d}) "
                         f"for its queues ({', '.join(queues)})", file=source)
    f = f.assign(interval_start=f["interval_start"].dt.floor(step))
    answered = f["handled"] if "handled" in f else (f["offered"] - f["abandoned"] if "abandoned" in f else f["offered"])
    answered = answered.astype(float).clip(lower=0)
    g = pd.DataFrame({"queue": f["queue"], "interval_start": f["interval_start"], "offered": f["offered"].astype(float),
                      "w": answered})
    cols = ["offered"]
    for c in ("aht_s", "asa_s"):
        if c in f and f[c].notna().any():
            g[c + "_w"] = f[c].astype(float) * answered
            g[c + "_n"] = answered.where(f[c].notna(), 0.0)
            cols += [c + "_w", c + "_n"]
    if "abandoned" in f and f["abandoned"].notna().any():
        g["abandoned"] = f["abandoned"].astype(float)
        cols.append("abandoned")
    s = g.groupby(["queue", "interval_start"], sort=True)[cols].sum(min_count=1)
    for c in ("aht_s", "asa_s"):
        if c + "_w" in s:
            s[c] = (s.pop(c + "_w") / s.pop(c + "_n").replace(0.0, np.nan))
    s = s.reset_index()
    # every plan interval of the (queue, day) pairs the actuals cover
    req = requirements[["queue", "interval_start"]].assign(queue=requirements["queue"].astype(str))
    days = set(zip(s["queue"], s["interval_start"].dt.normalize()))
    last = s.groupby("queue")["interval_start"].max()  # an export taken mid-day covers that day up to its last row
    keep = [(q, d) in days and t <= last[q] for q, d, t in zip(req["queue"], req["interval_start"].dt.normalize(),
                                                                req["interval_start"])]
    out = req[keep].merge(s, on=["queue", "interval_start"], how="left").sort_values(["queue", "interval_start"])
    out["offered"] = out["offered"].fillna(0.0)
    if "abandoned" in out:
        out["abandoned"] = out["abandoned"].fillna(0.0)
    return out.reset_index(drop=True)[["queue", "interval_start", *[c for c in ("offered", "aht_s", "abandoned", "asa_s")
                                                                  if c in out]]], notes


@dataclass(frozen=True)
class Review:
    """A plan against what happened (:func:`review_plan`).

    ``intervals``: per queue and plan interval with actuals: ``forecast`` (the calls the plan was staffed
    for), ``forecast_lo``/``forecast_hi`` (the forecast's interval; NaN without one), ``actual`` [calls],
    ``aht_forecast_s``/``aht_actual_s`` [s], ``rostered`` [agents on shift, not on break], ``planned_sl``
    and ``planned_abandon`` (the projection with the forecast calls), ``actual_calls_sl`` and
    ``actual_calls_abandon`` (the same roster projected on the actual calls and handle time),
    ``measured_abandon`` and ``measured_asa_s`` (the export's own figures, NaN when it has none).
    ``notes``: what was left out of the actuals."""

    intervals: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    level: float | None = None


def review_plan(actuals: pd.DataFrame, service: pd.DataFrame, cfg: Config, forecast: pd.DataFrame | None = None,
                level: float | None = None, notes: list[str] | None = None) -> Review:
    """The plan's forecast and service beside the actuals (:func:`align_actuals`' frame).

    ``service``: the report's projection (:func:`wfm.service.service_projection`: offered, aht_s,
    rostered, patience_s, service_level, abandon_rate per queue and interval); ``forecast``: the run's
    forecast with ``offered_lo``/``offered_hi`` (None: no interval to check); ``level``: that interval's
    nominal coverage."""
    from .service import projected_service_a

    s = service[["queue", "interval_start", "offered", "aht_s", "rostered", "patience_s", "service_level",
                 "abandon_rate"]].assign(queue=service["queue"].astype(str))
    m = actuals.merge(s, on=["queue", "interval_start"], how="inner", suffixes=("_act", ""))
    out = pd.DataFrame({"queue": m["queue"], "interval_start": m["interval_start"], "forecast": m["offered"].astype(float)})
    if forecast is not None and {"offered_lo", "offered_hi"} <= set(forecast.columns):
        b = forecast[["queue", "interval_start", "offered_lo", "offered_hi"]].assign(queue=forecast["queue"].astype(str))
        bb = m[["queue", "interval_start"]].merge(b, on=["queue", "interval_start"], how="left")
        out["forecast_lo"], out["forecast_hi"] = bb["offered_lo"].to_numpy(float), bb["offered_hi"].to_numpy(float)
    else:
        out["forecast_lo"] = out["forecast_hi"] = np.nan
    out["actual"] = m["offered_act"].astype(float).to_numpy()
    out["aht_forecast_s"] = m["aht_s"].astype(float).to_numpy()
    aht_act = m["aht_s_act"].astype(float) if "aht_s_act" in m else pd.Series(np.nan, index=m.index)
    out["aht_actual_s"] = aht_act.to_numpy()
    out["rostered"] = m["rostered"].astype(float).to_numpy()
    out["planned_sl"] = m["service_level"].astype(float).to_numpy()
    out["planned_abandon"] = m["abandon_rate"].astype(float).to_numpy()
    st = cfg.staffing
    aht = np.where(np.isfinite(out["aht_actual_s"]) & (out["aht_actual_s"] > 0), out["aht_actual_s"], out["aht_forecast_s"])
    proj = projected_service_a(out["actual"].to_numpy(float), aht, out["rostered"].to_numpy(float), float(cfg.interval_s),
                               st.sl_seconds, st.total_shrinkage, m["patience_s"].to_numpy(float))
    out["actual_calls_sl"] = proj["service_level"].to_numpy()
    out["actual_calls_abandon"] = proj["abandon_rate"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["measured_abandon"] = (m["abandoned"].astype(float) / m["offered_act"].astype(float)).where(
            m["offered_act"] > 0).to_numpy() if "abandoned" in m else np.nan
    out["measured_asa_s"] = m["asa_s"].astype(float).to_numpy() if "asa_s" in m else np.nan
    return Review(intervals=out.reset_index(drop=True), notes=list(notes or []), level=level)


def _pool(g: pd.DataFrame) -> dict:
    """The figures of a set of review intervals pooled: calls summed, shares weighted by calls."""
    f, a = g["forecast"].to_numpy(float), g["actual"].to_numpy(float)
    fa, aa = float(f.sum()), float(a.sum())
    bounded = np.isfinite(g["forecast_lo"].to_numpy(float))
    busy = bounded & ((a > 0) | (f > 0))
    inside = (a >= g["forecast_lo"].to_numpy(float) - 1e-9) & (a <= g["forecast_hi"].to_numpy(float) + 1e-9)

    def wmean(v, w):
        v, w = np.asarray(v, float), np.asarray(w, float)
        ok = np.isfinite(v) & (w > 0)
        return float((v[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() else None

    return {"intervals": int(len(g)), "forecast": fa, "actual": aa,
            "error": fa / aa - 1.0 if aa > 0 else None,
            "wape": float(np.abs(f - a).sum()) / aa if aa > 0 else None,
            "inside": float(inside[busy].mean()) if busy.any() else None,
            "aht_forecast_s": wmean(g["aht_forecast_s"], f), "aht_actual_s": wmean(g["aht_actual_s"], a),
            "planned_sl": wmean(g["planned_sl"], f), "actual_calls_sl": wmean(g["actual_calls_sl"], a),
            "planned_abandon": wmean(g["planned_abandon"], f), "actual_calls_abandon": wmean(g["actual_calls_abandon"], a),
            "measured_abandon": wmean(g["measured_abandon"], a), "measured_asa_s": wmean(g["measured_asa_s"], a)}


def review_by_day(review: Review) -> pd.DataFrame:
    """One row per date with actuals (all queues pooled): ``date``, ``intervals``, ``forecast`` and
    ``actual`` [calls], ``error`` (forecast / actual − 1), ``wape`` (Σ|forecast − actual| / Σ actual over the
    day's intervals), ``inside`` (share of intervals with calls whose actual fell inside the forecast's
    interval), AHTs [s], planned and actual-calls service level and abandonment, measured abandonment and ASA."""
    iv = review.intervals
    rows = [{"date": d, **_pool(g)} for d, g in iv.groupby(iv["interval_start"].dt.normalize(), sort=True)]
    return pd.DataFrame(rows)


def review_by_queue(review: Review) -> pd.DataFrame:
    """As :func:`review_by_day`, one row per queue over every day with actuals."""
    iv = review.intervals
    return pd.DataFrame([{"queue": q, **_pool(g)} for q, g in iv.groupby("queue", sort=True)])


def review_total(review: Review) -> dict:
    """As :func:`review_by_day`, pooled over every queue and day with actuals, plus ``days``."""
    iv = review.intervals
    return {"days": int(iv["interval_start"].dt.normalize().nunique()), **_pool(iv)}

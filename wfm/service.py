"""Service projection of a roster: the service level, waiting time and abandonment the rostered staff give.

Per queue and interval, Erlang A (Erlang C where callers never abandon) on the agents the roster puts on the
phone (:func:`service_projection`); pooled over days, queues and the horizon (:func:`pooled_service`); and
checked by simulating every queue and day with the rostered whole agents (:func:`simulate_roster`, seeds
fixed per queue and date, so the same roster gives the same figures). The callers' patience used, per queue,
and where it comes from: :func:`projection_patience`. :func:`project_service` runs all of it and returns
one :class:`ServiceProjection`; :mod:`wfm.report` only shows it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from . import erlang
from . import simulate as sim_mod
from .config import Config
from .errors import InputError
from .multiskill.plan import skill_set_service
from .multiskill.roster import skill_mix_service
from .scheduling import coverage_from_roster
from .staffing import estimate_patience, projected_service

__all__ = ["ServiceProjection", "project_service", "service_projection", "projected_service_a", "pooled_service",
           "projection_patience", "projection_summary", "report_patience", "simulate_roster", "sim_seed", "sim_figures",
           "daily_service", "queue_service", "SIM_REPLICATIONS", "SIM_LEVEL", "SIM_COLUMNS", "PATIENCE_WINDOW_WEEKS"]


PATIENCE_WINDOW_WEEKS = 8  # history weeks behind a patience estimated for the report when none is configured


def report_patience(history, cfg: Config) -> dict | None:
    """Callers' patience for the report's service projection when the config gives none.

    For every queue without a configured patience (``staffing.patience_s`` / ``staffing.queues.<q>.patience_s``
    empty), :func:`wfm.staffing.estimate_patience` on the last :data:`PATIENCE_WINDOW_WEEKS` weeks of the
    history's ``abandoned`` calls (assuming, as that estimate does, that the center was staffed at the
    Erlang C requirement). Used for the projection only: the requirement is not changed. Returns the
    ``service_projection`` section of summary.json, ``{"patience_s": {queue: seconds}, "source": ..., "window":
    ...}`` (a queue whose estimate is not usable is left out), or None when nothing needs estimating or the
    history has no abandoned calls.
    """
    frame = getattr(history, "frame", history)
    st = cfg.staffing
    if frame is None or "abandoned" not in frame.columns or frame["abandoned"].isna().all():
        return None
    want = [q for q in sorted(map(str, frame["queue"].unique())) if _configured_patience(cfg, q) is None]
    if not want:
        return None
    f = frame[frame["queue"].astype(str).isin(want)]
    end = pd.to_datetime(f["interval_start"]).max().normalize() + pd.Timedelta(days=1)
    start = end - pd.Timedelta(weeks=PATIENCE_WINDOW_WEEKS)
    f = f[pd.to_datetime(f["interval_start"]) >= start]
    iv = history.interval_minutes * 60 if hasattr(history, "interval_minutes") else cfg.interval_s
    try:
        est = estimate_patience(f, iv, st.sl_target, st.sl_seconds, st.max_occupancy,
                                default_aht_s=cfg.forecast.default_aht_s)
    except (InputError, ValueError):
        return None
    pats = {str(r.queue): float(r.patience_s) for r in est.itertuples()
            if r.identified and math.isfinite(r.patience_s) and r.patience_s > 0}
    if not pats:
        return None
    return {"patience_s": pats, "source": "estimated",
            "window": f"{start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d}"}


def _configured_patience(cfg: Config, queue: str):
    """The patience the config gives ``queue``: seconds, 'estimate' or None."""
    st = cfg.staffing
    q = (st.queues or {}).get(queue)
    return q.patience_s if q is not None and q.patience_s is not None else st.patience_s


def _queue_cap(cfg: Config, queue: str) -> float | None:
    """``max_abandon`` of ``queue`` (the queue's own, else the section's where the queue uses Erlang A)."""
    st = cfg.staffing
    q = (st.queues or {}).get(queue)
    if q is not None and q.max_abandon is not None:
        return float(q.max_abandon)
    model = q.model if q is not None and q.model is not None else st.model
    return float(st.max_abandon) if st.max_abandon is not None and model == "erlang_a" else None


def projection_patience(cfg: Config, meta: dict, queues) -> dict:
    """The patience behind the service projection, per queue: ``{queue: {"patience_s": float (inf: nobody
    abandons), "source": text, "max_abandon": float | None}}``.

    In order: a number in the config (``configured``); ``estimate`` in the config, the run's estimate in
    summary.json ``staffing.patience_s`` (``estimated``); no patience in the config, the report's own
    estimate in summary.json ``service_projection`` (``assumed: estimated for the report``, see
    :func:`report_patience`); else infinite patience (``assumed: nobody abandons``, Erlang C).
    """
    staffing = meta.get("staffing") if isinstance(meta.get("staffing"), dict) else {}
    run_est = staffing.get("patience_s") if isinstance(staffing.get("patience_s"), dict) else {}
    proj = meta.get("service_projection") if isinstance(meta.get("service_projection"), dict) else {}
    rep_est = proj.get("patience_s") if isinstance(proj.get("patience_s"), dict) else {}
    out = {}
    for q in sorted(map(str, queues)):
        conf = _configured_patience(cfg, q)
        pat, src = math.inf, "assumed: nobody abandons"
        if isinstance(conf, (int, float)):
            pat, src = float(conf), "configured"
        elif conf == "estimate" and _number(run_est.get(q)) is not None:
            pat, src = _number(run_est.get(q)), "estimated"
        elif conf is None and _number(rep_est.get(q)) is not None:
            pat, src = _number(rep_est.get(q)), "assumed: estimated for the report"
        out[q] = {"patience_s": pat, "source": src, "max_abandon": _queue_cap(cfg, q)}
    return out


def projection_summary(patience: dict) -> dict:
    """How the projection treats abandonment, in words for the report: ``model`` ('erlang_a' when any queue
    has a finite patience, else 'erlang_c'), ``model_label``, ``short`` (a card line) and ``text`` (the
    plain statement of the patience used and where it comes from)."""
    fin = {q: p for q, p in patience.items() if math.isfinite(p["patience_s"])}
    model = "erlang_a" if fin else "erlang_c"
    if not patience:
        return {"model": model, "model_label": "Erlang C", "short": "no queues", "text": "No queues."}
    groups: dict[str, list[str]] = {}
    for q, p in patience.items():
        groups.setdefault(p["source"], []).append((q, f"{q} {p['patience_s']:.0f} s" if math.isfinite(p["patience_s"]) else q))
    parts = []
    for src, qs in groups.items():
        who = ", ".join(t for _, t in qs)
        if src == "configured":
            parts.append(f"Mean caller patience from the config (staffing.patience_s): {who}.")
        elif src == "estimated":
            parts.append(f"Mean caller patience estimated from the history's abandoned calls for this run "
                         f"(staffing.patience_s: estimate): {who}.")
        elif src == "assumed: estimated for the report":
            parts.append(f"No patience is configured for {', '.join(q for q, _ in qs)}: the projection "
                         f"ASSUMES the mean patience estimated from the abandoned calls in the last "
                         f"{PATIENCE_WINDOW_WEEKS} weeks of history ({who}), which itself assumes the center was staffed "
                         "at its Erlang C requirement then. The requirement was computed without it.")
        else:
            parts.append(f"No patience is configured or estimated for {who}: the projection ASSUMES callers never hang "
                         "up (Erlang C), so no abandonment is projected there.")
    short = ("patience " + ", ".join(f"{q} {p['patience_s']:.0f} s" for q, p in fin.items())) if fin else "nobody abandons (assumed)"
    return {"model": model, "model_label": "Erlang A" if fin else "Erlang C", "short": short, "text": " ".join(parts)}


def _json_num(v):
    """A JSON-friendly number: inf -> 'inf', NaN -> None."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else (None if math.isnan(v) else ("inf" if v > 0 else "-inf"))


def _number(v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) and x > 0 else None


def projected_service_a(offered, aht_s, rostered, interval_s: float, sl_seconds: float, shrinkage: float,
                        patience_s) -> pd.DataFrame:
    """Service the rostered staff give per interval under Erlang A (exponential patience ``patience_s`` [s],
    an array; ``inf``: Erlang C, exactly :func:`wfm.staffing.projected_service`).

    Agents on the phone ``n = rostered x (1 - shrinkage)`` (rounded to 9 decimals) are usually fractional:
    service level, ASA, abandonment and occupancy are interpolated linearly between ``floor(n)`` and
    ``ceil(n)`` whole agents, as :func:`wfm.staffing.projected_service` does for Erlang C. Where
    ``floor(n) = 0`` nobody is answered at that end, so the ASA is the one at ``ceil(n)``.
    Returns ``agents_on_phone, service_level`` (answered within ``sl_seconds`` over offered; abandoned calls
    count as not met), ``asa_s`` (mean wait of answered calls [s]), ``abandon_rate`` (share of offered) and
    ``occupancy``.
    """
    calls = np.asarray(offered, dtype=float)
    aht = np.asarray(aht_s, dtype=float)
    ros = np.asarray(rostered, dtype=float)
    pat = np.broadcast_to(np.asarray(patience_s, dtype=float), calls.shape)
    c = projected_service(calls, aht, ros, float(interval_s), sl_seconds, shrinkage)
    out = {k: c[k].to_numpy(float).copy() for k in ("agents_on_phone", "service_level", "asa_s", "occupancy")}
    out["abandon_rate"] = np.zeros(calls.shape)
    fin = np.isfinite(pat)
    if fin.any():
        n = out["agents_on_phone"][fin]
        lo, hi = np.floor(n), np.ceil(n)
        w = n - lo
        args = (calls[fin], aht[fin])
        a_lo = erlang.erlang_a_metrics(*args, lo, float(interval_s), float(sl_seconds), pat[fin])
        a_hi = erlang.erlang_a_metrics(*args, hi, float(interval_s), float(sl_seconds), pat[fin])
        for k in ("service_level", "abandon_rate", "occupancy"):
            v_lo, v_hi = a_lo[k].to_numpy(float), a_hi[k].to_numpy(float)
            v_lo = np.where(np.isnan(v_lo) & (lo == 0), 0.0, v_lo) if k == "occupancy" else v_lo
            out[k][fin] = np.where(w == 0, v_lo, (1.0 - w) * v_lo + w * v_hi)
        q_lo, q_hi = a_lo["asa_s"].to_numpy(float), a_hi["asa_s"].to_numpy(float)
        q_lo = np.where(np.isnan(q_lo), q_hi, q_lo)
        out["asa_s"][fin] = np.where(w == 0, q_lo, (1.0 - w) * q_lo + w * q_hi)
    return pd.DataFrame(out)


def service_projection(requirements: pd.DataFrame, coverage: pd.DataFrame, roster: pd.DataFrame, cfg: Config,
                       patience: dict | None = None) -> pd.DataFrame:
    """Per queue and interval: the requirement, the shifts' and the roster's coverage and the service the
    rostered staff give.

    ``requirements``: requirements.csv's table (``queue, interval_start, offered, aht_s,
    scheduled_required``), ``coverage``: coverage.csv's (``queue, interval_start, scheduled``), ``roster``:
    roster.csv's (``queue, shift_start, shift_end, break_start, break_end``), typed.
    Columns ``queue, interval_start, offered, aht_s, required`` (requirements' ``scheduled_required``),
    ``scheduled`` (coverage.csv: agents on the scheduled shifts), ``rostered`` (named agents on shift and not
    on break, recomputed from the roster), ``gap = rostered - required``, then ``agents_on_phone =
    rostered x (1 - shrinkage)``, ``service_level``, ``asa_s``, ``abandon_rate``, ``occupancy`` from
    :func:`projected_service_a` (Erlang A with the queue's ``patience_s``; Erlang C where it is infinite),
    ``abandoned = offered x abandon_rate``, ``handled = offered - abandoned`` [calls], ``patience_s`` and
    ``below_target`` (calls offered and service level below ``staffing.sl_target`` or abandonment above the
    queue's ``max_abandon``). ``patience``: :func:`projection_patience` (default: from the config alone).
    """
    req = requirements
    iv = req[["queue", "interval_start"]]
    rostered = coverage_from_roster(roster, iv, cfg.interval_minutes)
    cov = coverage[["queue", "interval_start", "scheduled"]].drop_duplicates(["queue", "interval_start"])
    out = req[["queue", "interval_start", "offered", "aht_s"]].copy()
    out["required"] = req["scheduled_required"].to_numpy(float)
    out = out.merge(cov, on=["queue", "interval_start"], how="left", validate="one_to_one")
    out["rostered"] = rostered.astype(float)
    out["gap"] = out["rostered"] - out["required"]
    st = cfg.staffing
    if patience is None:
        patience = projection_patience(cfg, {}, out["queue"].unique())
    pat = out["queue"].map(lambda q: patience.get(q, {}).get("patience_s", math.inf)).to_numpy(float)
    cap = out["queue"].map(lambda q: patience.get(q, {}).get("max_abandon")).astype(float).to_numpy()
    proj = projected_service_a(out["offered"].to_numpy(float), out["aht_s"].to_numpy(float), rostered.astype(float),
                               float(cfg.interval_s), st.sl_seconds, st.total_shrinkage, pat)
    for c in ("agents_on_phone", "service_level", "asa_s", "abandon_rate", "occupancy"):
        out[c] = proj[c].to_numpy()
    out["abandoned"] = out["offered"] * out["abandon_rate"]
    out["handled"] = out["offered"] - out["abandoned"]
    out["patience_s"] = pat
    busy = out["offered"].to_numpy(float) > 0
    with np.errstate(invalid="ignore"):
        over = np.isfinite(cap) & (out["abandon_rate"].to_numpy(float) > cap + 1e-12)
        under = out["service_level"].to_numpy(float) < st.sl_target - 1e-12
    out["below_target"] = busy & (under | over)
    return out


def pooled_service(s: pd.DataFrame) -> dict:
    """Service figures pooled over the intervals (and queues) of ``s`` (:func:`service_projection` rows):
    ``calls``, ``handled`` and ``abandoned`` [calls], ``expected_sl`` (calls answered within the target time
    over offered), ``expected_abandon`` (abandoned over offered), both None without calls, and
    ``expected_asa_s`` (mean wait of answered calls [s]: interval ASAs weighted by handled calls; inf when
    an interval with handled calls has an infinite one; None without handled calls)."""
    off = s["offered"].to_numpy(float)
    calls = float(off.sum())
    handled = s["handled"].to_numpy(float)
    asa = s["asa_s"].to_numpy(float)
    h = float(handled.sum())
    pos = handled > 0
    if h > 0 and pos.any():
        asa_v = math.inf if np.isinf(asa[pos]).any() else float(np.nansum(handled[pos] * asa[pos]) / handled[pos].sum())
    else:
        asa_v = None
    return {"calls": calls, "handled": h, "abandoned": float(s["abandoned"].sum()),
            "expected_sl": float((off * s["service_level"].to_numpy(float)).sum() / calls) if calls > 0 else None,
            "expected_asa_s": asa_v,
            "expected_abandon": float(s["abandoned"].sum()) / calls if calls > 0 else None}




SIM_REPLICATIONS = 10
SIM_LEVEL = 0.99
SIM_COLUMNS = ("sim_service_level", "sim_sl_lo", "sim_sl_hi", "sim_asa_s", "sim_abandon_rate", "sim_ab_lo", "sim_ab_hi",
               "sim_note")
_SIM_COUNTS = ("offered", "answered", "answered_within", "abandoned", "wait_answered_s")


def sim_seed(queue: str, date: pd.Timestamp) -> int:
    """A fixed random seed for one queue and day (stable across processes, unlike ``hash``)."""
    key = f"wfm-report|{queue}|{pd.Timestamp(date):%Y-%m-%d}".encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


def _sim_ratio(num: np.ndarray, den: np.ndarray, level: float) -> tuple[float, float, float]:
    """Pooled ratio sum num / sum den over replications with Student-t bounds (delta method), as
    :mod:`wfm.simulate` computes them; NaN without a denominator."""
    r = num.size
    tot = float(den.sum())
    if tot <= 0:
        return math.nan, math.nan, math.nan
    est = float(num.sum()) / tot
    if r < 2:
        return est, math.nan, math.nan
    d = num - est * den
    se = math.sqrt(float((d * d).sum()) / (r - 1) / r) / (tot / r)
    half = float(stats.t.ppf(0.5 + level / 2.0, r - 1)) * se
    return est, est - half, est + half


def simulate_roster(service: pd.DataFrame, cfg: Config, replications: int = SIM_REPLICATIONS,
                    level: float = SIM_LEVEL) -> dict:
    """Simulate every queue and day of :func:`service_projection` with the rostered staff.

    Per queue and calendar day, :func:`wfm.simulate.simulate_day` runs the day's intervals with the forecast
    ``offered`` calls and ``aht_s``, and ``floor(agents_on_phone)`` agents (rostered x (1 - shrinkage),
    rounded **down** to whole agents), Poisson arrivals, exponential handle times, exponential patience with
    the projection's mean ``patience_s`` (infinite: callers never abandon, the Erlang C model), staff
    changing at interval boundaries, the queue empty at midnight; ``replications`` independent days from a
    seed fixed by queue and date (:func:`sim_seed`), so the report stays byte-identical. Missing intervals
    inside a day get no calls and the previous interval's staff.

    Returns ``{(queue, date): {"counts": {offered, answered, answered_within, abandoned, wait_answered_s:
    array per replication}} or {"error": reason}}``. A day without forecast calls is not simulated (counts
    of zero: service level 1.0); a failure is caught and reported, never raised.
    """
    out: dict = {}
    if not len(service):
        return out
    step = float(cfg.interval_s)
    s = service.assign(date=service["interval_start"].dt.normalize())
    if "patience_s" not in s:
        s["patience_s"] = math.inf
    for (q, day), g in s.groupby(["queue", "date"], sort=True):
        try:
            g = g.sort_values("interval_start")
            offered = g["offered"].to_numpy(float)
            if not (offered > 0).any():
                out[(q, day)] = {"counts": {c: np.zeros(replications) for c in _SIM_COUNTS}}
                continue
            slot = np.round((g["interval_start"] - day).dt.total_seconds().to_numpy(float) / step).astype(int)
            if len(np.unique(slot)) != len(slot):
                raise ValueError("two rows for the same interval")
            first, last = int(slot.min()), int(slot.max())
            k = last - first + 1
            lam = np.zeros(k)
            aht = np.ones(k)
            staff = np.full(k, np.nan)
            pos = slot - first
            lam[pos] = offered
            aht[pos] = np.where(offered > 0, g["aht_s"].to_numpy(float), 1.0)
            staff[pos] = np.floor(np.round(g["agents_on_phone"].to_numpy(float), 9))
            staff = pd.Series(staff).ffill().fillna(0.0).to_numpy()
            pat = float(g["patience_s"].iloc[0])
            res = sim_mod.simulate_day(lam, aht, staff, step, float(cfg.staffing.sl_seconds),
                                       patience_s=pat if math.isfinite(pat) else None,
                                       seed=sim_seed(q, day), replications=replications, level=level)
            out[(q, day)] = {"counts": {c: getattr(res, c).sum(axis=1) for c in _SIM_COUNTS}}
        except Exception as err:  # the report must not fail because the simulation did
            out[(q, day)] = {"error": f"{type(err).__name__}: {err}"}
    return out


def sim_figures(parts: list[dict], level: float = SIM_LEVEL) -> dict:
    """Pool simulated queue-days (replication r of each is an independent draw of the same day, so summing
    counts per replication gives replications of the whole): ``sim_service_level, sim_sl_lo, sim_sl_hi,
    sim_asa_s, sim_abandon_rate, sim_ab_lo, sim_ab_hi, sim_note``. No calls simulated: service level 1.0,
    no abandonment; any part failed: not simulated."""
    blank = {c: None for c in SIM_COLUMNS if c != "sim_note"}
    if not parts:
        return {**blank, "sim_note": "not simulated: no intervals"}
    errors = [p["error"] for p in parts if "error" in p]
    if errors:
        return {**blank, "sim_note": "not simulated: " + "; ".join(dict.fromkeys(errors))}
    c = {k: sum(p["counts"][k] for p in parts) for k in _SIM_COUNTS}
    if c["offered"].sum() <= 0:
        return {"sim_service_level": 1.0, "sim_sl_lo": 1.0, "sim_sl_hi": 1.0, "sim_asa_s": 0.0,
                "sim_abandon_rate": 0.0, "sim_ab_lo": 0.0, "sim_ab_hi": 0.0, "sim_note": ""}
    clip = lambda v, e: min(max(v, 0.0), 1.0) if math.isfinite(v) else e  # noqa: E731
    sl, lo, hi = _sim_ratio(c["answered_within"], c["offered"], level)
    ab, ab_lo, ab_hi = _sim_ratio(c["abandoned"], c["offered"], level)
    asa = _sim_ratio(c["wait_answered_s"], c["answered"], level)[0]
    return {"sim_service_level": sl, "sim_sl_lo": clip(lo, sl), "sim_sl_hi": clip(hi, sl),
            "sim_asa_s": asa if math.isfinite(asa) else None,
            "sim_abandon_rate": ab, "sim_ab_lo": clip(ab_lo, ab), "sim_ab_hi": clip(ab_hi, ab), "sim_note": ""}




def daily_service(service: pd.DataFrame, cfg: Config, sim: dict | None = None) -> pd.DataFrame:
    """One row per date of ``service`` (:func:`service_projection` rows), indexed by ``date`` (midnight):
    ``required, rostered`` (agents summed over the day's intervals), ``flagged`` (intervals flagged
    ``below_target``), the projection pooled over queues and intervals (:func:`pooled_service`) ``calls,
    handled, abandoned, expected_sl, expected_asa_s, expected_abandon``, and the simulated figures of
    :data:`SIM_COLUMNS` pooled over the day's queues from ``sim`` (:func:`simulate_roster`; None: not
    simulated, ``sim_note`` says so)."""
    s = service.assign(date=service["interval_start"].dt.normalize())
    g = s.groupby("date", sort=True).agg(required=("required", "sum"), rostered=("rostered", "sum"),
                                          flagged=("below_target", "sum"))
    pooled = pd.DataFrame([{"date": d, **pooled_service(part)} for d, part in s.groupby("date", sort=True)],
                          columns=["date", "calls", "handled", "abandoned", "expected_sl", "expected_asa_s",
                                   "expected_abandon"]).set_index("date")
    out = g.join(pooled, how="left")
    by_day: dict = {}
    for (_, day), part in (sim or {}).items():
        by_day.setdefault(day, []).append(part)
    blank = {c: None for c in SIM_COLUMNS}
    figs = [sim_figures(by_day.get(d, [])) if sim is not None else {**blank, "sim_note": "not simulated: simulation off"}
            for d in out.index]
    for c in SIM_COLUMNS:
        out[c] = pd.Series([f[c] for f in figs], index=out.index, dtype=object if c == "sim_note" else float)
    return out


def queue_service(service: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """One row per queue of ``service`` (:func:`service_projection` rows), sorted: ``queue, calls,
    handled_calls`` (offered less projected abandoned), ``required_agent_h, rostered_agent_h`` [agent-hours],
    the pooled projection (:func:`pooled_service`) ``expected_sl, expected_asa_s, expected_abandon`` and
    ``patience_s``."""
    ih = cfg.interval_minutes / 60.0
    rows = []
    for q in sorted(set(service["queue"])):
        s = service[service["queue"] == q]
        p = pooled_service(s)
        rows.append({"queue": q, "calls": p["calls"], "handled_calls": p["handled"],
                     "required_agent_h": float(s["required"].sum() * ih),
                     "rostered_agent_h": float(s["rostered"].sum() * ih),
                     "expected_sl": p["expected_sl"], "expected_asa_s": p["expected_asa_s"],
                     "expected_abandon": p["expected_abandon"], "patience_s": float(s["patience_s"].iloc[0])})
    return pd.DataFrame(rows, columns=["queue", "calls", "handled_calls", "required_agent_h", "rostered_agent_h",
                                       "expected_sl", "expected_asa_s", "expected_abandon", "patience_s"])


@dataclass(frozen=True)
class ServiceProjection:
    """What the rostered staff give (:func:`project_service`).

    ``frame``: per queue and interval (:func:`service_projection`); ``patience``: per queue ``{patience_s
    [s], source, max_abandon}`` (:func:`projection_patience`); ``model``: how abandonment is treated, in words
    (:func:`projection_summary`); ``horizon``: figures pooled over the horizon (:func:`pooled_service`);
    ``sim``: per (queue, date) the simulated counts or the error (:func:`simulate_roster`; None: not
    simulated); ``horizon_sim``: the simulation pooled over the horizon (:func:`sim_figures`); ``by_day``
    (:func:`daily_service`) and ``by_queue`` (:func:`queue_service`); ``cap``: the one ``max_abandon`` every
    queue shares (None: none or several); ``replications`` and ``level`` of the simulation; ``skill_mix``: the
    roster simulated with its agents' skill sets (:func:`wfm.multiskill.skill_mix_service`; None when no agent
    is trained on two of the plan's queues, the check is off or not simulated; a string: why it failed);
    ``by_set``: a plan by skill set's requirement and coverage per skill set and interval (None: planned by
    queue); ``set_shares``: the share of each set's rostered agent-hours counted for each queue (rows sets,
    columns queues), by which the report shares out a set's cost."""

    frame: pd.DataFrame
    patience: dict
    model: dict
    horizon: dict
    sim: dict | None
    horizon_sim: dict
    by_day: pd.DataFrame
    by_queue: pd.DataFrame
    cap: float | None
    replications: int = SIM_REPLICATIONS
    level: float = SIM_LEVEL
    skill_mix: object = None
    by_set: pd.DataFrame | None = None
    set_shares: pd.DataFrame | None = None

    @property
    def intervals_below_target(self) -> int:
        """Intervals with calls whose projected service misses the target or the abandonment cap."""
        return int(self.frame["below_target"].sum())


def project_service(requirements: pd.DataFrame, coverage: pd.DataFrame, roster: pd.DataFrame, cfg: Config,
                    patience: dict | None = None, meta: dict | None = None, simulate: bool = True,
                    agents: pd.DataFrame | None = None, skill_sets: pd.DataFrame | None = None) -> ServiceProjection:
    """The service projection stage: :func:`service_projection` of the roster against the requirement, pooled
    per day, queue and horizon, and simulated per queue and day (``simulate``; a failing simulation is
    reported in the figures, never raised).

    ``patience``: :func:`projection_patience`'s dict; default: from ``cfg`` and the run's summary.json
    ``meta`` (the estimates it recorded). Frames as :func:`service_projection` takes them, typed. With
    ``agents`` (the agents file) and ``staffing.multiskill.check``, the roster is also simulated with its
    agents' skill sets (``skill_mix``). ``skill_sets``: a plan by skill set's scheduler requirement
    (:func:`wfm.multiskill.set_schedule_requirements`; coverage and roster are then per skill set): the
    service is the roster simulated with its skill mix (:func:`wfm.multiskill.skill_set_service`), needs
    ``agents``, and is computed even without ``simulate``."""
    if patience is None:
        patience = projection_patience(cfg, meta or {}, requirements["queue"].unique())
    model, by_set, shares = projection_summary(patience), None, None
    if skill_sets is not None:
        frame, sim, mix, by_set, shares, model = _skill_set_projection(requirements, skill_sets, coverage, roster,
                                                                       cfg, patience, agents, model)
    else:
        frame, sim, mix = _queue_projection(requirements, coverage, roster, cfg, patience, agents, simulate)
    caps = {p["max_abandon"] for p in patience.values()}
    return ServiceProjection(
        frame=frame, patience=patience, model=model, horizon=pooled_service(frame), sim=sim,
        horizon_sim=sim_figures(list(sim.values())) if sim is not None else
        {**{c: None for c in SIM_COLUMNS}, "sim_note": "not simulated: simulation off"},
        by_day=daily_service(frame, cfg, sim), by_queue=queue_service(frame, cfg),
        cap=caps.pop() if len(caps) == 1 else None,  # one cap for every queue: the pooled figures can be flagged
        skill_mix=mix, by_set=by_set, set_shares=shares)


def _queue_projection(requirements, coverage, roster, cfg, patience, agents, simulate):
    """A plan by queue's service: (frame, sim, mix) of :func:`project_service`."""
    frame = service_projection(requirements, coverage, roster, cfg, patience)
    sim = None
    if simulate:
        try:
            sim = simulate_roster(frame, cfg)
        except Exception as err:  # never fail the plan because of the simulation
            sim = {(q, d): {"error": f"{type(err).__name__}: {err}"}
                   for q, d in zip(frame["queue"], frame["interval_start"].dt.normalize())}
    mix = None
    if simulate and agents is not None and cfg.staffing.multiskill.check and len(frame):
        try:
            mix = skill_mix_service(frame, roster, agents, interval_minutes=cfg.interval_minutes,
                                    sl_seconds=float(cfg.staffing.sl_seconds), shrinkage=float(cfg.staffing.total_shrinkage),
                                    routing=cfg.staffing.multiskill.routing, replications=SIM_REPLICATIONS,
                                    level=SIM_LEVEL)
        except Exception as err:  # never fail the plan because of the simulation
            mix = f"{type(err).__name__}: {err}"
    return frame, sim, mix


def _skill_set_projection(requirements, skill_sets, coverage, roster, cfg, patience, agents, model):
    """A plan by skill set's service: (frame, sim, mix, by_set, shares, model) of :func:`project_service`;
    ``sim`` per (queue, date) as :func:`simulate_roster` gives it, days without calls counted as zero."""
    if agents is None:
        raise ValueError("a plan by skill set's service needs the agents file")
    st = cfg.staffing
    res = skill_set_service(requirements, skill_sets, coverage, roster, agents, interval_minutes=cfg.interval_minutes,
                            sl_seconds=float(st.sl_seconds), sl_target=float(st.sl_target),
                            shrinkage=float(st.total_shrinkage), patience=patience, routing=st.multiskill.routing,
                            replications=SIM_REPLICATIONS, level=SIM_LEVEL)
    frame = res.frame
    sim = {(q, day): {"counts": {c: np.zeros(SIM_REPLICATIONS) for c in _SIM_COUNTS}}
           for q, day in zip(frame["queue"], frame["interval_start"].dt.normalize())}
    for day, r in res.parts:
        for j, q in enumerate(r.queues):
            sim[(q, day)] = {"counts": {c: getattr(r, c)[:, j, :].sum(axis=1) for c in _SIM_COUNTS}}
    model = {**model, "model": "skill_mix", "model_label": "simulation with the skill mix",
             "text": ("Planned by skill set: the expected figures are the rostered agents simulated as the ACD routes "
                      f"them, each in her own skill set ({SIM_REPLICATIONS} simulated days per day; "
                      "staffing.multiskill.routing: " + st.multiskill.routing + "). " + model["text"])}
    return frame, sim, res.mix, res.by_set, res.shares, model

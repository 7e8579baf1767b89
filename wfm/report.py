"""Costs and reports of a run: ``costs.csv``, a self-contained ``report.html`` and ``report.xlsx``.

:func:`build_report` reads a run folder (``schedules/<run>/``), costs the roster (:mod:`wfm.costs`), projects
the service level the rostered staff give (Erlang C, :func:`wfm.staffing.projected_service`), checks it by
simulating every queue and day with the rostered whole agents (:func:`simulate_roster`, fixed seeds per queue
and date, about 1 s for the 28-day two-queue demo) and writes the three files atomically. Outputs are byte-deterministic: the same run folder gives the same bytes (no
wall-clock time in the report, fixed PNG and workbook metadata, fixed zip timestamps).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .calendar import day_calendar, holiday_family
from .config import Config, load_config
from .costs import MONEY_COLUMNS, PREMIUM_COLUMNS, cost_roster, cost_summary, parse_numbers, parse_timestamps
from .errors import InputError
from .io import FORMULA_START, MAX_AGENTS, atomic_path, parse_bool_column, parse_number_column, read_table, write_csv, write_text
from .scheduling import coverage_from_shifts
from .text import chart_rc, chart_text

REQUIREMENTS_COLUMNS = ("queue", "interval_start", "offered", "aht_s", "scheduled_required")
COVERAGE_COLUMNS = ("queue", "interval_start", "required", "scheduled", "gap")
ROSTER_COLUMNS = ("agent_id", "name", "team", "queue", "date", "shift_id", "template", "shift_start", "shift_end",
                  "break_start", "break_end", "paid_hours")
UNFILLED_COLUMNS = ("shift_id", "queue", "date", "shift_start", "shift_end", "missing", "is_holiday")
AGENTS_COLUMNS = ("agent_id", "name", "team", "hourly_rate")

DAY_TYPE_LABEL = {"workday": "Workday", "rest_day": "Rest day", "holiday": "Holiday"}
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class ReportResult:
    """Paths written by :func:`build_report` and its headline figures (``summary``: JSON-able numbers and
    ``headline``, a dict of label -> formatted text for printing)."""

    html: Path
    xlsx: Path
    costs: Path
    summary: dict = field(default_factory=dict)


@dataclass
class RunData:
    """The tables of a run folder, typed: timestamps parsed, numbers as floats, flags as bools."""

    requirements: pd.DataFrame
    coverage: pd.DataFrame
    roster: pd.DataFrame
    unfilled: pd.DataFrame
    agents: pd.DataFrame
    meta: dict


# ----------------------------------------------------------------------------------------------------------
# Reading the run
# ----------------------------------------------------------------------------------------------------------


def _bools(s: pd.Series, file: str | None = None, column: str | None = None) -> pd.Series:
    """The shared boolean vocabulary (wfm.io.parse_bool_column); an empty cell is false."""
    return parse_bool_column(s, file, column or str(s.name), default=False)


def _read(run_dir: Path, name: str, required, times=(), optional_times=(), numbers=(), signed=(), bools=(),
          optional_numbers=(), may_be_missing=False, whole=()) -> pd.DataFrame:
    path = run_dir / name
    if may_be_missing and (not path.is_file() or path.stat().st_size == 0):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in required})
    df = read_table(path, required=list(required))
    src = str(path)
    for c in times:
        df[c] = parse_timestamps(df, c, True, src).astype("datetime64[ns]")
    for c in optional_times:
        df[c] = parse_timestamps(df, c, False, src).astype("datetime64[ns]")
    for c in numbers:
        df[c] = parse_numbers(df, c, src)
    for c in whole:  # agent counts: whole numbers, kept as floats for the arithmetic below
        df[c] = parse_number_column(df[c], src, c, integer=True, maximum=MAX_AGENTS, unit="agents").astype(float)
    for c in signed:
        df[c] = parse_numbers(df, c, src, minimum=None)
    for c in optional_numbers:  # informative columns: converted when they are numbers ('inf' allowed)
        if c in df:
            num = pd.to_numeric(df[c], errors="coerce")
            if num.notna().all():
                df[c] = num.astype(float)
    for c in bools:
        if c in df:
            df[c] = _bools(df[c], src, c)
    for c in ("queue", "agent_id", "name", "team"):
        if c in df:
            df[c] = df[c].astype(str)
    return df


def read_run(run_dir: str | Path) -> RunData:
    """Read the CSVs of a run folder (see docs/formats.md); InputError names the file, row and column."""
    d = Path(run_dir)
    req = _read(d, "requirements.csv", REQUIREMENTS_COLUMNS, times=["interval_start"],
                numbers=["offered", "aht_s"], whole=["scheduled_required"], bools=["is_holiday", "target_met"],
                optional_numbers=["agents", "service_level", "asa_s", "occupancy"])
    cov = _read(d, "coverage.csv", COVERAGE_COLUMNS, times=["interval_start"], numbers=["required", "scheduled"],
                signed=["gap"])
    ros = _read(d, "roster.csv", ROSTER_COLUMNS, times=["date", "shift_start", "shift_end"],
                optional_times=["break_start", "break_end"], numbers=["paid_hours"], bools=["is_holiday"])
    unf = _read(d, "unfilled_shifts.csv", UNFILLED_COLUMNS, times=["date", "shift_start", "shift_end"],
                whole=["missing"], bools=["is_holiday"], may_be_missing=True)
    ag = _read(d, "agents.csv", AGENTS_COLUMNS, numbers=["hourly_rate"])
    meta = {}
    sj = d / "summary.json"
    if sj.is_file():
        try:
            meta = json.loads(sj.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise InputError(f"not valid JSON: {err}", file=str(sj)) from None
        if not isinstance(meta, dict):
            meta = {}
    req = req.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    return RunData(requirements=req, coverage=cov, roster=ros, unfilled=unf, agents=ag, meta=meta)


def _run_name(run_dir: Path) -> str:
    # The pipeline builds the run in a staging folder named ".<run>.<random>.tmp" (wfm.pipeline.staged_dir)
    # and renames it when complete: report the final name so that two runs give the same bytes.
    m = re.fullmatch(r"\.(.+)\.[A-Za-z0-9_]+\.tmp", run_dir.name)
    return m.group(1) if m else run_dir.name


# ----------------------------------------------------------------------------------------------------------
# Service projection and daily figures
# ----------------------------------------------------------------------------------------------------------


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
    from .staffing import estimate_patience

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
    from . import erlang
    from .staffing import projected_service

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


def service_projection(run: RunData, cfg: Config, patience: dict | None = None) -> pd.DataFrame:
    """Per queue and interval: the requirement, the shifts' and the roster's coverage and the service the
    rostered staff give.

    Columns ``queue, interval_start, offered, aht_s, required`` (requirements' ``scheduled_required``),
    ``scheduled`` (coverage.csv: agents on the scheduled shifts), ``rostered`` (named agents on shift and not
    on break, recomputed from roster.csv), ``gap = rostered - required``, then ``agents_on_phone =
    rostered x (1 - shrinkage)``, ``service_level``, ``asa_s``, ``abandon_rate``, ``occupancy`` from
    :func:`projected_service_a` (Erlang A with the queue's ``patience_s``; Erlang C where it is infinite),
    ``abandoned = offered x abandon_rate``, ``handled = offered - abandoned`` [calls], ``patience_s`` and
    ``below_target`` (calls offered and service level below ``staffing.sl_target`` or abandonment above the
    queue's ``max_abandon``). ``patience``: :func:`projection_patience` (default: from the run's config and
    summary.json).
    """
    req = run.requirements
    iv = req[["queue", "interval_start"]]
    shifts = run.roster.rename(columns={"shift_start": "start", "shift_end": "end"})
    rostered = coverage_from_shifts(shifts[["queue", "start", "end", "break_start", "break_end"]], iv, cfg.interval_minutes)
    cov = run.coverage[["queue", "interval_start", "scheduled"]].drop_duplicates(["queue", "interval_start"])
    out = req[["queue", "interval_start", "offered", "aht_s"]].copy()
    out["required"] = req["scheduled_required"].to_numpy(float)
    out = out.merge(cov, on=["queue", "interval_start"], how="left", validate="one_to_one")
    out["rostered"] = rostered.astype(float)
    out["gap"] = out["rostered"] - out["required"]
    st = cfg.staffing
    if patience is None:
        patience = projection_patience(cfg, run.meta, out["queue"].unique())
    pat = out["queue"].map(lambda q: patience.get(q, {}).get("patience_s", math.inf)).to_numpy(float)
    cap = out["queue"].map(lambda q: patience.get(q, {}).get("max_abandon")).astype(float).to_numpy()
    proj = projected_service_a(out["offered"].to_numpy(float), out["aht_s"].to_numpy(float), rostered.astype(float),
                               float(cfg.interval_s), st.sl_seconds, st.shrinkage, pat)
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


def daily_table(service: pd.DataFrame, costs_by_day: pd.DataFrame, cfg: Config, sim: dict | None = None) -> pd.DataFrame:
    """One row per date: ``date, day_type, holiday_name, calls`` (forecast offered), ``handled_calls``
    (offered less the projected abandoned calls), ``required_agent_h, rostered_agent_h``, the projection
    pooled over queues and intervals (:func:`pooled_service`) ``expected_sl, expected_asa_s,
    expected_abandon``, ``intervals_below_target`` (the day's intervals flagged in :func:`service_projection`),
    the simulated ``sim_service_level, sim_sl_lo, sim_sl_hi`` (confidence bounds), ``sim_asa_s``,
    ``sim_abandon_rate, sim_ab_lo, sim_ab_hi`` and ``sim_note`` (why a day was not simulated) pooled over
    the day's queues from ``sim`` (:func:`simulate_roster`; None: not simulated), then ``paid_hours,
    total_cost``.

    Agent-hours are agents on shift and not on break x interval length; ``required`` already includes
    shrinkage, so the two columns compare like with like.
    """
    ih = cfg.interval_minutes / 60.0
    s = service.assign(date=service["interval_start"].dt.normalize())
    g = s.groupby("date", sort=True).agg(required=("required", "sum"), rostered=("rostered", "sum"),
                                          flagged=("below_target", "sum"))
    pooled = pd.DataFrame([{"date": d, **pooled_service(part)} for d, part in s.groupby("date", sort=True)],
                          columns=["date", "calls", "handled", "abandoned", "expected_sl", "expected_asa_s",
                                   "expected_abandon"]).set_index("date")
    out = costs_by_day.set_index("date")[["day_type", "holiday_name", "paid_hours", "total_cost"]].join(g, how="outer")
    out = out.join(pooled, how="left")
    out["calls"] = out["calls"].astype(float).fillna(0.0)
    out["handled_calls"] = out.pop("handled").astype(float).fillna(0.0)
    out["required_agent_h"] = out.pop("required").fillna(0.0) * ih
    out["rostered_agent_h"] = out.pop("rostered").fillna(0.0) * ih
    for c in ("expected_sl", "expected_asa_s", "expected_abandon"):
        out[c] = out[c].astype(object).where(out["calls"] > 0, None)
    out["intervals_below_target"] = out.pop("flagged").fillna(0).astype(int)
    out[["paid_hours", "total_cost"]] = out[["paid_hours", "total_cost"]].fillna(0.0)
    out = out.reset_index()
    by_day: dict = {}
    for (_, day), part in (sim or {}).items():
        by_day.setdefault(day, []).append(part)
    in_req = set(s["date"])
    blank = {c: None for c in SIM_COLUMNS}
    figs = [sim_figures(by_day.get(d, [])) if sim is not None and d in in_req else
            {**blank, "sim_note": "not simulated: " + ("no intervals" if sim is not None else "simulation off")}
            for d in out["date"]]
    for c in SIM_COLUMNS:
        out[c] = pd.Series([f[c] for f in figs], index=out.index, dtype=object if c == "sim_note" else float)
    return out[["date", "day_type", "holiday_name", "calls", "handled_calls", "required_agent_h", "rostered_agent_h",
                "expected_sl", "expected_asa_s", "expected_abandon", "intervals_below_target", *SIM_COLUMNS, "paid_hours",
                "total_cost"]]


SIM_REPLICATIONS = 10
SIM_LEVEL = 0.99
SIM_COLUMNS = ("sim_service_level", "sim_sl_lo", "sim_sl_hi", "sim_asa_s", "sim_abandon_rate", "sim_ab_lo", "sim_ab_hi",
               "sim_note")
_SIM_COUNTS = ("offered", "answered", "answered_within", "abandoned", "wait_answered_s")


def sim_sheet_note(patience: dict) -> str:
    """The Daily sheet's note on the two projections."""
    pats = {q: p["patience_s"] for q, p in patience.items()}
    if any(math.isfinite(v) for v in pats.values()):
        who = ", ".join(f"{q} {v:.0f} s" if math.isfinite(v) else f"{q} never" for q, v in pats.items())
        model, callers = "Erlang A", f"callers abandon after an exponential patience (mean: {who})"
    else:
        model, callers = "Erlang C", "callers never abandon"
    return (f"Daily: expected_* is {model} per interval on fractional agents (rostered x (1 - shrinkage), "
            f"interpolated), {callers}; sim_* simulate each queue-day ({SIM_REPLICATIONS} replications, "
            f"{SIM_LEVEL:.0%} bounds) with whole agents (rounded down), Poisson arrivals, exponential handle times, "
            "the same patience, staff changing at interval boundaries")


def sim_seed(queue: str, date: pd.Timestamp) -> int:
    """A fixed random seed for one queue and day (stable across processes, unlike ``hash``)."""
    key = f"wfm-report|{queue}|{pd.Timestamp(date):%Y-%m-%d}".encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


def _sim_ratio(num: np.ndarray, den: np.ndarray, level: float) -> tuple[float, float, float]:
    """Pooled ratio sum num / sum den over replications with Student-t bounds (delta method), as
    :mod:`wfm.simulate` computes them; NaN without a denominator."""
    from scipy import stats

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
    from . import simulate as sim_mod

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


def queue_table(service: pd.DataFrame, costs: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """One row per queue: forecast calls, handled calls (offered less projected abandoned), required and
    rostered agent-hours, the pooled projection (:func:`pooled_service`: expected SL, ASA, abandonment),
    ``patience_s``, paid hours, base pay, premiums, on-cost, total cost, cost per forecast call and cost per
    handled call."""
    ih = cfg.interval_minutes / 60.0
    rows = []
    cost_q = costs.groupby("queue")[["paid_hours", *MONEY_COLUMNS]].sum()
    for q in sorted(set(service["queue"]) | set(costs["queue"])):
        s = service[service["queue"] == q]
        p = pooled_service(s)
        c = cost_q.loc[q] if q in cost_q.index else pd.Series(0.0, index=cost_q.columns)
        total = float(c["total_cost"])
        rows.append({"queue": q, "calls": p["calls"], "handled_calls": p["handled"],
                     "required_agent_h": float(s["required"].sum() * ih),
                     "rostered_agent_h": float(s["rostered"].sum() * ih),
                     "expected_sl": p["expected_sl"], "expected_asa_s": p["expected_asa_s"],
                     "expected_abandon": p["expected_abandon"],
                     "patience_s": float(s["patience_s"].iloc[0]) if len(s) else None,
                     **{k: float(c[k]) for k in ["paid_hours", *MONEY_COLUMNS]},
                     "cost_per_call": total / p["calls"] if p["calls"] > 0 else None,
                     "cost_per_handled_call": total / p["handled"] if p["handled"] > 0 else None})
    return pd.DataFrame(rows)


COST_GROUP_COLUMNS = ("paid_hours", "base_cost", *PREMIUM_COLUMNS, "premiums", "on_cost", "total_cost")


def _cost_group(costs: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    cols = ["paid_hours", *MONEY_COLUMNS]
    df = pd.concat([keys.reset_index(drop=True), costs[cols].reset_index(drop=True).astype(float)], axis=1)
    out = df.groupby(list(keys.columns), sort=True)[cols].sum().reset_index()
    out["premiums"] = out[PREMIUM_COLUMNS].sum(axis=1)
    return out[[*keys.columns, *COST_GROUP_COLUMNS]]


def cost_by_week(costs: pd.DataFrame) -> pd.DataFrame:
    """One row per ISO week of the cost date (``week`` like ``2026-W40``, ``week_start`` its Monday): paid
    hours, base pay, each premium, their sum ``premiums``, on-cost and total cost. Sums to the cost total."""
    d = pd.to_datetime(costs["date"]).reset_index(drop=True)
    iso = d.dt.isocalendar()
    keys = pd.DataFrame({"week": [f"{y:04d}-W{w:02d}" for y, w in zip(iso["year"], iso["week"])],
                         "week_start": (d.dt.normalize() - pd.to_timedelta(d.dt.day_of_week, unit="D")).astype("datetime64[ns]")})
    return _cost_group(costs, keys)


def cost_by_team(costs: pd.DataFrame) -> pd.DataFrame:
    """One row per team (costs.csv ``team``, from agents.csv / roster.csv; blank: "(no team)"): paid hours,
    base pay, each premium, ``premiums``, on-cost and total cost. Sums to the cost total."""
    team = costs["team"].astype(str).reset_index(drop=True) if "team" in costs else pd.Series([""] * len(costs))
    team = team.where(~team.str.strip().isin(["", "nan", "None"]), "(no team)")
    return _cost_group(costs, pd.DataFrame({"team": team}))


# ----------------------------------------------------------------------------------------------------------
# Formatting
# ----------------------------------------------------------------------------------------------------------


def _finite(x) -> bool:
    return x is not None and not (isinstance(x, float) and not math.isfinite(x)) and not pd.isna(x)


def fmt_num(x, digits: int = 0) -> str:
    return f"{x:,.{digits}f}" if _finite(x) else "—"


def fmt_pct(x, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%" if _finite(x) else "—"


def fmt_hm(ts: pd.Timestamp, day: pd.Timestamp | None = None) -> str:
    """``HH:MM``, with ``+1`` when the time is on the day after ``day``."""
    if not _finite(ts):
        return ""
    text = ts.strftime("%H:%M")
    if day is not None:
        n = (ts.normalize() - day.normalize()).days
        if n:
            text += f"+{n}"
    return text


def excel_safe(value):
    """A value safe to write into a spreadsheet cell (with :func:`_put`, which keeps text text).

    Text is kept as it is, except characters XML cannot hold, which are dropped. Non-finite floats and NaT
    become empty cells; numpy scalars and Timestamps become Python values.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is pd.NaT or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    return value


# ----------------------------------------------------------------------------------------------------------
# Charts (Agg, PNG, no timestamps: byte-identical across runs)
# ----------------------------------------------------------------------------------------------------------

# text.parse_math off: a queue or holiday named "$x$" is drawn as typed, never as mathtext
_RC = {"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "wfm", "axes.spines.top": False,
       "axes.spines.right": False, "axes.edgecolor": "#9aa5b1", "axes.labelcolor": "#334155",
       "xtick.color": "#475569", "ytick.color": "#475569", "path.simplify": False, "text.parse_math": False}


def _rc() -> dict:
    """:data:`_RC` with the chart font list (DejaVu Sans, then installed fonts for other scripts)."""
    return {**_RC, **chart_rc()}
C_REQ, C_SCHED, C_ROS, C_SHORT, C_HOL, C_REST = "#111827", "#64748b", "#3b82f6", "#dc2626", "#fde68a", "#f1f5f9"


def _png_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def coverage_charts(service: pd.DataFrame, cal: pd.DataFrame, cfg: Config) -> list[dict]:
    """One chart per queue: required vs scheduled vs rostered agents per interval, one panel per ISO week
    (Monday to Sunday), day gridlines, holidays and rest days shaded. Returns ``[{queue, uri}]``."""
    import matplotlib
    from matplotlib.figure import Figure

    step = pd.Timedelta(minutes=cfg.interval_minutes)
    kind = cal.set_index("date")
    charts = []
    with matplotlib.rc_context(_rc()):
        for q, s in service.groupby("queue", sort=True):
            s = s.sort_values("interval_start")
            mondays = sorted(set(s["interval_start"].dt.normalize() - pd.to_timedelta(s["interval_start"].dt.day_of_week, unit="D")))
            fig = Figure(figsize=(11, 0.6 + 1.85 * len(mondays)), layout="constrained")
            axes = np.atleast_1d(fig.subplots(len(mondays), 1, sharey=True, squeeze=False)[:, 0])
            ymax = max(float(s[["required", "rostered"]].max().max()), float(s["scheduled"].max()) if s["scheduled"].notna().any() else 0, 1)
            for ax, mon in zip(axes, mondays):
                end = mon + pd.Timedelta(days=7)
                w = s[(s["interval_start"] >= mon) & (s["interval_start"] < end)]
                for d in pd.date_range(mon, end - pd.Timedelta(days=1), freq="D"):
                    if d in kind.index and kind.loc[d, "day_type"] != "workday":
                        hol = kind.loc[d, "day_type"] == "holiday"
                        ax.axvspan(d, d + pd.Timedelta(days=1), color=C_HOL if hol else C_REST, alpha=0.55 if hol else 1, lw=0, zorder=0)
                        if hol:
                            ax.text(d + pd.Timedelta(hours=1), ymax * 1.1, chart_text(str(kind.loc[d, "holiday_name"])[:22]), fontsize=7,
                                    color="#92400e", va="top")
                x = list(w["interval_start"]) + ([w["interval_start"].iloc[-1] + step] if len(w) else [])

                def stair(col):
                    v = w[col].to_numpy(float)
                    return np.append(v, v[-1]) if len(v) else v

                if len(w):
                    ax.fill_between(x, stair("rostered"), step="post", color=C_ROS, alpha=0.28, lw=0, label="rostered (named agents)")
                    ax.fill_between(x, stair("rostered"), stair("required"), where=stair("rostered") < stair("required"),
                                    step="post", color=C_SHORT, alpha=0.45, lw=0, label="rostered below required")
                    ax.step(x, stair("scheduled"), where="post", color=C_SCHED, lw=0.9, ls="--", label="scheduled shifts")
                    ax.step(x, stair("required"), where="post", color=C_REQ, lw=1.1, label="required")
                ax.set_xlim(mon, end)
                ax.set_ylim(0, ymax * 1.15)
                days = pd.date_range(mon, end, freq="D")
                ax.set_xticks(days, minor=False)
                ax.set_xticklabels([])
                ax.set_xticks(days[:-1] + pd.Timedelta(hours=12), minor=True)
                ax.set_xticklabels([d.strftime("%a %d %b") for d in days[:-1]], minor=True)
                ax.tick_params(axis="x", which="minor", length=0)
                ax.tick_params(axis="x", which="major", length=0)
                ax.grid(axis="x", which="major", color="#cbd5e1", lw=0.8)
                ax.grid(axis="y", color="#e2e8f0", lw=0.5)
                ax.set_ylabel("agents")
                ax.set_axisbelow(True)
            handles, labels = axes[0].get_legend_handles_labels()
            uniq = dict(zip(labels, handles))
            if uniq:
                fig.legend(uniq.values(), uniq.keys(), loc="outside upper right", ncols=4, frameon=False, fontsize=8)
            fig.suptitle(f"Queue {chart_text(q)}: agents on shift and not on break", x=0.01, ha="left", fontsize=10, fontweight="bold")
            charts.append({"queue": q, "uri": _png_uri(fig)})
    return charts


def gap_matrix(service: pd.DataFrame, queue: str) -> pd.DataFrame:
    """The coverage gap of one queue as days x time of day: rostered agents (on shift, not on break) minus
    required (after shrinkage), i.e. :func:`service_projection`'s ``gap``. Index: dates (midnight
    Timestamps), columns: ``HH:MM`` of the interval start, both sorted; NaN where there is no interval."""
    s = service[service["queue"] == queue]
    t = s["interval_start"]
    m = pd.DataFrame({"date": t.dt.normalize(), "slot": t.dt.strftime("%H:%M"), "gap": s["gap"].astype(float)})
    out = m.pivot_table(index="date", columns="slot", values="gap", aggfunc="sum", sort=True)
    out.columns.name, out.index.name = "slot", "date"
    return out


def gap_heatmaps(service: pd.DataFrame, cal: pd.DataFrame) -> list[dict]:
    """One heatmap per queue of :func:`gap_matrix`: days down, time of day across, red under and blue over
    the requirement (diverging, centred on 0), holidays marked on the day axis. Returns ``[{queue, uri}]``."""
    import matplotlib
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    kind = cal.set_index("date") if len(cal) else pd.DataFrame(columns=["day_type", "holiday_name"])
    out = []
    with matplotlib.rc_context(_rc()):
        for q in sorted(set(service["queue"])):
            g = gap_matrix(service, q)
            if g.empty:
                continue
            v = g.to_numpy(float)
            lim = max(float(np.nanmax(np.abs(v))) if np.isfinite(v).any() else 0.0, 1.0)
            fig = Figure(figsize=(11, 1.4 + 0.24 * len(g)), layout="constrained")
            ax = fig.subplots()
            im = ax.imshow(np.ma.masked_invalid(v), aspect="auto", interpolation="nearest", cmap="RdBu",
                           norm=TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim))
            labels, hol = [], []
            for d in g.index:
                h = d in kind.index and kind.loc[d, "day_type"] == "holiday"
                hol.append(h)
                labels.append(f"{d:%a %d %b}" + (f"  ★ {chart_text(str(kind.loc[d, 'holiday_name'])[:22])}" if h else ""))
            ax.set_yticks(np.arange(len(g)), labels, fontsize=7 if len(g) > 14 else 8)
            for lab, h in zip(ax.get_yticklabels(), hol):
                if h:
                    lab.set_color("#b45309")
                    lab.set_fontweight("bold")
            cols = list(g.columns)
            ticks = [i for i, c in enumerate(cols) if c.endswith(":00") and int(c[:2]) % 2 == 0] or list(range(len(cols)))
            ax.set_xticks(ticks, [cols[i] for i in ticks], fontsize=8)
            ax.set_xlabel("time of day (interval start)")
            ax.spines[["left", "bottom"]].set_visible(False)
            cb = fig.colorbar(im, ax=ax, shrink=0.9, pad=0.01)
            cb.set_label("rostered − required agents")
            fig.suptitle(f"Queue {chart_text(q)}: coverage gap (red: fewer agents than required, blue: more; ★ holiday)", x=0.01,
                         ha="left", fontsize=10, fontweight="bold")
            out.append({"queue": q, "uri": _png_uri(fig)})
    return out


COST_PARTS = [("base_cost", "base pay", "#3b82f6"), ("overtime_premium", "overtime", "#f59e0b"),
              ("rest_day_premium", "rest day", "#10b981"), ("holiday_premium", "holiday", "#ef4444"),
              ("night_premium", "night", "#6366f1"), ("on_cost", "on-cost", "#94a3b8")]


def cost_chart(by_day: pd.DataFrame, currency: str) -> str:
    """Stacked bars of the cost per day by component."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(11, 3.0), layout="constrained")
        ax = fig.subplots()
        x = np.arange(len(by_day))
        bottom = np.zeros(len(by_day))
        for col, label, color in COST_PARTS:
            v = by_day[col].to_numpy(float)
            if v.any():
                ax.bar(x, v, bottom=bottom, color=color, width=0.8, label=label)
                bottom += v
        long = len(x) > 14  # day of month only, with the month on the first day and each 1st
        labels = [f"{d:%a}\n{d.day}" + (f"\n{d:%b}" if i == 0 or d.day == 1 else "") if long else f"{d:%a}\n{d:%d %b}"
                  for i, d in enumerate(by_day["date"])]
        ax.set_xticks(x, labels, fontsize=7 if long else 8)
        for i, t in enumerate(by_day["day_type"]):
            if t == "holiday":
                ax.get_xticklabels()[i].set_color("#b45309")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_ylabel(chart_text(currency))
        ax.grid(axis="y", color="#e2e8f0", lw=0.5)
        ax.set_axisbelow(True)
        ax.set_xlim(-0.6, len(x) - 0.4)
        if bottom.any():
            ax.legend(loc="upper left", ncols=6, frameon=False, fontsize=8, bbox_to_anchor=(0, 1.12))
        return _png_uri(fig)


def find_forecast(run_dir: Path, meta: dict, name: str) -> Path | None:
    """The run's forecast.csv: ``summary.json`` ``forecast.file`` (absolute, or relative to the run folder or
    the working directory), else ``<run_dir>/../../forecasts/<run name>/forecast.csv``; None if none exists."""
    cands = []
    fc = meta.get("forecast") if isinstance(meta.get("forecast"), dict) else {}
    f = fc.get("file")
    if isinstance(f, str) and f.strip():
        p = Path(f)
        cands += [p] if p.is_absolute() else [run_dir / p, p]
    cands.append(run_dir / ".." / ".." / "forecasts" / name / "forecast.csv")
    for p in cands:
        try:
            if p.is_file():
                return p
        except OSError:
            continue
    return None


def forecast_section(path: Path | pd.DataFrame | None) -> dict:
    """Forecast calls per hour and queue with the sum of the interval bounds, and totals per queue.

    ``path``: a forecast.csv, or a forecast frame (queue, interval_start, offered[, offered_lo, offered_hi]).

    Returns ``{"found": False, "note": why}`` or ``{"found": True, "hourly": frame (queue, hour, offered,
    offered_lo, offered_hi), "totals": frame (queue, start, end, intervals, offered, offered_lo,
    offered_hi), "has_bounds": bool}``. A file that cannot be read gives ``found: False`` with the reason."""
    if path is None:
        return {"found": False, "note": "No forecast file found for this run (summary.json forecast.file, "
                                        "../../forecasts/<run>/forecast.csv)."}
    frame = path if isinstance(path, pd.DataFrame) else None
    if frame is not None:  # a forecast in hand (a what-if's scaled one): the parsers below take typed columns
        path = Path("forecast")
        frame = frame.assign(interval_start=pd.to_datetime(frame["interval_start"]))
    try:
        df = frame if frame is not None else read_table(path, required=["queue", "interval_start", "offered"])
        src = str(path)
        df["interval_start"] = parse_timestamps(df, "interval_start", True, src).astype("datetime64[ns]")
        df["offered"] = parse_numbers(df, "offered", src)
        has_bounds = "offered_lo" in df and "offered_hi" in df
        for c in ("offered_lo", "offered_hi"):
            df[c] = parse_numbers(df, c, src) if has_bounds else df["offered"]
    except (InputError, OSError, ValueError) as err:
        return {"found": False, "note": f"Forecast file {path.name} could not be read: {err}"}
    df["queue"] = df["queue"].astype(str)
    cols = ["offered", "offered_lo", "offered_hi"]
    hourly = (df.assign(hour=df["interval_start"].dt.floor("h")).groupby(["queue", "hour"], sort=True)[cols].sum()
              .reset_index())
    totals = df.groupby("queue", sort=True).agg(start=("interval_start", "min"), end=("interval_start", "max"),
                                                intervals=("offered", "size"), offered=("offered", "sum"),
                                                offered_lo=("offered_lo", "sum"), offered_hi=("offered_hi", "sum")).reset_index()
    return {"found": True, "hourly": hourly, "totals": totals, "has_bounds": has_bounds}


def forecast_chart(hourly: pd.DataFrame, has_bounds: bool) -> str:
    """Forecast calls per hour, one panel per queue, with the hourly sum of the intervals' bounds."""
    import matplotlib
    from matplotlib.figure import Figure

    queues = sorted(set(hourly["queue"]))
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(11, 0.6 + 2.1 * max(len(queues), 1)), layout="constrained")
        axes = np.atleast_1d(fig.subplots(max(len(queues), 1), 1, sharex=True, squeeze=False)[:, 0])
        for ax, q in zip(axes, queues):
            h = hourly[hourly["queue"] == q].sort_values("hour")
            if has_bounds:
                ax.fill_between(h["hour"], h["offered_lo"], h["offered_hi"], step="post", color=C_ROS, alpha=0.22, lw=0,
                                label="prediction interval (sum of the intervals' bounds)")
            ax.step(h["hour"], h["offered"], where="post", color=C_REQ, lw=1.0, label="forecast calls")
            ax.set_ylabel("calls per hour")
            ax.set_title(f"Queue {chart_text(q)}", loc="left", fontsize=9, fontweight="bold")
            ax.grid(axis="y", color="#e2e8f0", lw=0.5)
            ax.set_ylim(bottom=0)
            ax.set_axisbelow(True)
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="outside upper right", ncols=2, frameon=False, fontsize=8)
        return _png_uri(fig)


BACKTEST_FILE = "forecast_backtest.csv"
BACKTEST_ORIGINS = 2  # short on purpose: the demo pays for every origin with a model fit per queue
BACKTEST_WEEKS = 1
BACKTEST_BASELINE = "seasonal_naive"
BACKTEST_COLUMNS = ["queue", "model", "used", "origins", "first_origin", "last_origin", "weeks", "intervals",
                    "actual_calls", "forecast_calls", "wape", "bias", "coverage", "level", "mape", "mase"]


def forecast_backtest(history, cfg: Config, used: dict[str, str] | None = None, origins: int = BACKTEST_ORIGINS,
                      weeks: int = BACKTEST_WEEKS) -> pd.DataFrame:
    """Backtest accuracy of the forecast a run used, for the report: per queue, the model that forecast it
    (``used``: queue -> model, e.g. ``forecast.attrs['models']``; default ``cfg.forecast.model``) and the
    seasonal-naive baseline, by :func:`wfm.forecast.backtest` (the code of ``wfm backtest`` and of
    ``model: auto``) over the last ``origins`` weekly origins of ``weeks`` week(s), with the run's forecast
    settings.

    Returns :data:`BACKTEST_COLUMNS`, one row per queue and model: ``used`` (this model made the run's
    forecast), ``origins`` and the ``first_origin`` / ``last_origin`` dates, ``weeks``, ``intervals``
    scored, ``actual_calls`` and ``forecast_calls`` (sums over them), ``wape`` (sum |f - a| / sum a),
    ``bias`` ((sum f - sum a) / sum a), ``coverage`` (share of actual interval counts inside the
    ``level`` prediction interval), ``mape`` and ``mase`` (see :class:`wfm.forecast.BacktestResult`).
    Raises InputError when the history is too short for the origins.
    """
    from .forecast import backtest, load_events
    from .history import History

    f = cfg.forecast
    settings = dict(country=cfg.site.country, subdivision=cfg.site.subdivision, level=f.prediction_level,
                    profile_weeks=f.profile_weeks, default_aht_s=f.default_aht_s,
                    events=load_events(f.events_file) if f.events_file else None, clean_outliers=f.clean_outliers)
    rows = []
    for q in history.queues:
        frame = history.frame[history.frame["queue"] == q]
        model = (used or {}).get(q, f.model)
        if model == "auto":
            raise ValueError("forecast_backtest needs the model each queue used (forecast.attrs['models'])")
        models = tuple(dict.fromkeys([model, BACKTEST_BASELINE]))
        bt = backtest(History(frame, history.interval_minutes, history.gaps.iloc[0:0], history.source),
                      origins=origins, weeks=weeks, models=models, **settings)
        iv = bt.intervals
        for m in models:
            met = bt.metrics[(bt.metrics["model"] == m) & (bt.metrics["queue"] == q)].iloc[0]
            part = iv[iv["model"] == m]
            rows.append({"queue": str(q), "model": m, "used": m == model, "origins": int(part["origin"].nunique()),
                         "first_origin": part["origin"].min(), "last_origin": part["origin"].max(), "weeks": weeks,
                         "intervals": int(len(part)), "actual_calls": float(part["actual"].sum()),
                         "forecast_calls": float(part["offered"].sum()),
                         **{k: float(met[k]) for k in ("wape", "bias", "coverage", "level", "mape", "mase")}})
    return pd.DataFrame(rows, columns=BACKTEST_COLUMNS)


def write_forecast_backtest(history, cfg: Config, forecast: pd.DataFrame | None, run_dir: Path) -> dict:
    """Run :func:`forecast_backtest` for the models ``forecast`` used (its ``attrs['models']``) and write
    :data:`BACKTEST_FILE` into ``run_dir`` atomically. Returns what summary.json records under
    ``forecast.backtest``: the file, origins, weeks and seconds taken, or a ``note`` saying why there is no
    backtest (history too short, a model failing); never raises for those."""
    import time

    t0 = time.perf_counter()
    used = dict((forecast.attrs.get("models") or {}) if forecast is not None else {})
    try:
        table = forecast_backtest(history, cfg, used or None)
    except (InputError, ValueError) as err:
        return {"note": f"No forecast backtest: {err}"}
    write_csv(table, Path(run_dir) / BACKTEST_FILE)
    return {"file": BACKTEST_FILE, "origins": BACKTEST_ORIGINS, "weeks": BACKTEST_WEEKS,
            "seconds": round(time.perf_counter() - t0, 1)}


def _pool_backtest(b: pd.DataFrame) -> dict:
    act = float(b["actual_calls"].sum())
    n = float(b["intervals"].sum())
    return {"wape": float((b["wape"] * b["actual_calls"]).sum() / act) if act > 0 else None,
            "bias": float(b["forecast_calls"].sum() - act) / act if act > 0 else None,
            "coverage": float((b["coverage"] * b["intervals"]).sum() / n) if n > 0 else None,
            "intervals": int(n), "actual_calls": act, "forecast_calls": float(b["forecast_calls"].sum())}


def backtest_section(run_dir: Path, meta: dict) -> dict:
    """The run's :data:`BACKTEST_FILE` for the report: ``{"found": False, "note": why}`` or ``{"found": True,
    "table": frame, "rows": [...], "level": nominal coverage, "origins", "weeks", "first_origin",
    "last_origin"}``. Rows: per queue the model used and the seasonal-naive baseline, then "All queues"
    pooled (WAPE and bias over the calls, coverage over the intervals)."""
    fc = meta.get("forecast") if isinstance(meta.get("forecast"), dict) else {}
    info = fc.get("backtest") if isinstance(fc.get("backtest"), dict) else {}
    path = run_dir / BACKTEST_FILE
    if not path.is_file():
        return {"found": False, "note": str(info.get("note") or f"No forecast backtest ({BACKTEST_FILE}) in the run folder.")}
    try:
        b = read_table(path, required=BACKTEST_COLUMNS)
        src = str(path)
        for c in ("origins", "weeks", "intervals", "actual_calls", "forecast_calls", "level"):
            b[c] = parse_numbers(b, c, src)
        for c in ("wape", "bias", "coverage", "mape", "mase"):
            b[c] = pd.to_numeric(b[c], errors="coerce").astype(float)
        for c in ("first_origin", "last_origin"):
            b[c] = parse_timestamps(b, c, True, src).astype("datetime64[ns]")
        b["used"] = _bools(b["used"], src, "used")
        b["queue"] = b["queue"].astype(str)
    except (InputError, OSError, ValueError) as err:
        return {"found": False, "note": f"{BACKTEST_FILE} could not be read: {err}"}
    if b.empty:
        return {"found": False, "note": f"{BACKTEST_FILE} is empty."}
    rows = []
    for q, g in b.groupby("queue", sort=True):
        for _, r in g.sort_values(["used", "model"], ascending=[False, True]).iterrows():
            role = ("used" + (", also the baseline" if r["model"] == BACKTEST_BASELINE else "")) if r["used"] else "baseline"
            rows.append({"queue": q, "model": r["model"], "role": role, "wape": r["wape"], "bias": r["bias"],
                         "coverage": r["coverage"], "intervals": int(r["intervals"]), "total": False})
    if b["queue"].nunique() > 1:
        used, base = b[b["used"]], b[b["model"] == BACKTEST_BASELINE]
        models = sorted(set(used["model"]))
        for label, part in (("model used" + (f" ({models[0]})" if len(models) == 1 else f" ({', '.join(models)})"), used),
                            (BACKTEST_BASELINE, base)):
            if len(part):
                rows.append({"queue": "All queues", "model": label, "role": "pooled", **_pool_backtest(part), "total": True})
    return {"found": True, "table": b, "rows": rows, "level": float(b["level"].iloc[0]),
            "origins": int(b["origins"].max()), "weeks": int(b["weeks"].max()),
            "first_origin": b["first_origin"].min(), "last_origin": b["last_origin"].max()}


# ----------------------------------------------------------------------------------------------------------
# Report sections
# ----------------------------------------------------------------------------------------------------------


def _holidays(run: RunData, cal: pd.DataFrame) -> list[dict]:
    """Who works each public holiday (statutory or bridge day off): shifts starting that day by queue."""
    out = []
    ros = run.roster
    for _, day in cal[cal["is_holiday"]].iterrows():
        d = day["date"]
        r = ros[ros["date"] == d].sort_values(["queue", "shift_start", "shift_end", "name"], kind="stable")
        groups = []
        for (q, s, e), g in r.groupby(["queue", "shift_start", "shift_end"], sort=True):
            groups.append({"queue": q, "shift": f"{fmt_hm(s)}–{fmt_hm(e, d)}", "count": len(g),
                           "agents": ", ".join(g["name"])})
        u = run.unfilled[run.unfilled["date"] == d]
        out.append({"date": d, "name": day["holiday_name"], "day_type": DAY_TYPE_LABEL[day["day_type"]],
                    "groups": groups, "staffed": len(r), "unfilled": int(u["missing"].sum()) if len(u) else 0})
    return out


def _short_holiday(day: pd.Series) -> str:
    """A holiday's name for a narrow column: 'National Day', or 'day off (National Day)' for a bridge day."""
    if not day["is_holiday"]:
        return ""
    if day["is_statutory"]:
        return holiday_family(day["holiday_name"])
    return f"day off ({day['holiday_block']})" if day["holiday_block"] else "day off"


def _roster_grids(run: RunData, cal: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """Agents x dates per ISO week; a cell lists the shifts starting that day."""
    ros = run.roster
    agents = run.agents[["agent_id", "name", "team"]].drop_duplicates("agent_id")
    extra = ros.loc[~ros["agent_id"].isin(agents["agent_id"]), ["agent_id", "name", "team"]].drop_duplicates("agent_id")
    agents = pd.concat([agents, extra]).sort_values(["team", "name", "agent_id"], kind="stable")
    queues = sorted(set(ros["queue"]) | set(run.requirements["queue"]))
    qclass = {q: f"q{i % 6}" for i, q in enumerate(queues)}
    kind = cal.set_index("date")
    cells: dict[tuple[str, pd.Timestamp], list[dict]] = {}
    for _, r in ros.sort_values("shift_start", kind="stable").iterrows():
        cells.setdefault((r["agent_id"], r["date"]), []).append(
            {"text": f"{fmt_hm(r['shift_start'])}–{fmt_hm(r['shift_end'], r['date'])}", "queue": r["queue"],
             "cls": qclass.get(r["queue"], "q0"), "title": f"{r['queue']} · {r.get('template', '')} · {r['paid_hours']:g} paid h"})
    dates = list(cal["date"])
    weeks: dict[tuple, list] = {}
    for d in dates:
        weeks.setdefault(tuple(d.isocalendar()[:2]), []).append(d)
    grids = []
    for _, wdates in sorted(weeks.items()):
        cols = [{"date": d, "label": d.strftime("%a %d %b"), "cls": kind.loc[d, "day_type"],
                 "holiday_name": _short_holiday(kind.loc[d])} for d in wdates]
        rows = []
        for _, a in agents.iterrows():
            row = [cells.get((a["agent_id"], d), []) for d in wdates]
            hours = float(ros.loc[(ros["agent_id"] == a["agent_id"]) & ros["date"].isin(wdates), "paid_hours"].sum())
            rows.append({"agent_id": a["agent_id"], "name": a["name"], "team": a["team"], "cells": row, "hours": hours})
        grids.append({"title": f"Week of {wdates[0].strftime('%d %b %Y')}", "cols": cols, "rows": rows})
    return grids, [{"queue": q, "cls": c} for q, c in qclass.items()]


def _solver_notes(meta: dict) -> list[dict]:
    """Scalar facts of each stage in summary.json (status, gap, ...) and its per-week tables, if any."""
    # Solve times stay in summary.json: in the page they would make two runs of the same plan differ.
    timing = {"runtime_s", "build_s", "seconds", "lp_seconds"}
    notes = []
    for stage in ("schedule", "roster"):
        sec = meta.get(stage)
        if not isinstance(sec, dict):
            continue
        facts = [(k, v) for k, v in sec.items()
                 if (isinstance(v, (str, int, float, bool)) or v is None) and k not in timing]
        tables = []
        for k, v in sec.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                cols = list(dict.fromkeys(c for x in v for c in x
                                          if not isinstance(x[c], (dict, list)) and c not in timing))
                tables.append({"name": k, "cols": cols, "rows": [[x.get(c) for c in cols] for x in v]})
        notes.append({"stage": stage, "facts": facts, "tables": tables})
    return notes


def _fmt_fact(v) -> str:
    if isinstance(v, bool) or v is None:
        return {True: "yes", False: "no", None: "—"}[v]
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _messages(run: RunData) -> list[str]:
    roster = run.meta.get("roster") if isinstance(run.meta.get("roster"), dict) else {}
    msgs = [str(m) for m in roster.get("messages", []) or []]
    if not msgs:
        for _, u in run.unfilled.iterrows():
            n = int(u["missing"])
            msgs.append(f"{n} more agent{'s' if n != 1 else ''} for '{u['queue']}' needed on {u['date'].date()} "
                        f"from {fmt_hm(u['shift_start'])} to {fmt_hm(u['shift_end'], u['date'])}"
                        + (" (a public holiday)" if u["is_holiday"] else ""))
    return msgs


# ----------------------------------------------------------------------------------------------------------
# Excel
# ----------------------------------------------------------------------------------------------------------

_SHARE_COLS = {"service_level", "expected_sl", "occupancy", "sim_service_level", "sim_sl_lo", "sim_sl_hi", "abandon_rate",
               "expected_abandon", "sim_abandon_rate", "sim_ab_lo", "sim_ab_hi", "wape", "bias", "coverage", "level", "mape"}


def _col_format(name: str, s: pd.Series, money_fmt: str) -> str | None:
    if pd.api.types.is_datetime64_any_dtype(s):
        ok = s.dropna()
        return "yyyy-mm-dd" if len(ok) == 0 or (ok == ok.dt.normalize()).all() else "yyyy-mm-dd hh:mm"
    if name in _SHARE_COLS:
        return "0.0%"
    if name in MONEY_COLUMNS or name.endswith(("_cost", "_premium")) or name in ("cost_per_call", "cost_per_handled_call",
                                                                                  "hourly_rate"):
        return money_fmt
    if name.endswith(("_hours", "_h", "_calls")) or name in ("offered", "calls", "agents_on_phone", "asa_s", "aht_s", "sim_asa_s",
                                                              "expected_asa_s", "handled", "abandoned", "patience_s"):
        return "#,##0.00"
    if pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_integer_dtype(s):
        return "0"
    if pd.api.types.is_float_dtype(s):
        v = s[np.isfinite(s)]
        return "0" if (v == v.round()).all() else "0.00"
    return None


def _put(ws, row: int, column: int, value):
    """Write ``excel_safe(value)`` into a cell; text that Excel or LibreOffice would run as a formula (it
    starts with ``= + - @``, tab or CR) is stored as a string with the quotePrefix style, so the cell shows
    the text unchanged and never evaluates it (formula injection)."""
    v = excel_safe(value)
    cell = ws.cell(row=row, column=column, value=v)
    if isinstance(v, str) and v.startswith(FORMULA_START):
        cell.data_type = "s"  # openpyxl types any text starting with '=' as a formula
        cell.quotePrefix = True
    return cell


def _sheet(wb, title: str, df: pd.DataFrame, money_fmt: str, start_row: int = 1, freeze: bool = True):
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb[title] if title in wb.sheetnames else wb.create_sheet(title)
    head_font, head_fill = Font(bold=True, color="1F2937"), PatternFill("solid", fgColor="E5E7EB")
    for j, c in enumerate(df.columns, start=1):
        cell = _put(ws, start_row, j, str(c))
        cell.font, cell.fill = head_font, head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    fmts = [_col_format(str(c), df[c], money_fmt) for c in df.columns]
    for i, row in enumerate(df.itertuples(index=False), start=start_row + 1):
        for j, v in enumerate(row, start=1):
            cell = _put(ws, i, j, v)
            if fmts[j - 1] and cell.value is not None and not isinstance(cell.value, (str, bool)):
                cell.number_format = fmts[j - 1]
    for j, c in enumerate(df.columns, start=1):
        sample = [len(str(c))] + [len(str(v)) for v in df[c].head(200)]
        f = fmts[j - 1] or ""
        width = max(sample) if "yyyy" not in f else (11 if f == "yyyy-mm-dd" else 17)
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, min(max(width + 2, 9), 42))
    if freeze:
        ws.freeze_panes = ws.cell(row=start_row + 1, column=1)
        if len(df.columns):
            ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(df.columns))}{start_row + max(len(df), 1)}"
    return ws


def _deterministic_zip(data: bytes, when) -> bytes:
    """Re-pack a zip with every member's timestamp set to ``when`` (openpyxl stamps the current time)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def write_workbook(path: Path, sheets: list[tuple[str, pd.DataFrame]], summary_rows: list[tuple[str, object, str | None]],
                   extra: dict[str, list[pd.DataFrame]], money_fmt: str, stamp) -> Path:
    """Write ``report.xlsx`` atomically: a Summary sheet of (label, value, number format) rows, then one sheet
    per frame (header row frozen, filters, formats by column), ``extra`` frames below a sheet's first table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.column_dimensions["A"].width = 38
    ws.column_dimensions["B"].width = 30
    for i, (label, value, f) in enumerate(summary_rows, start=1):
        a, b = _put(ws, i, 1, label), _put(ws, i, 2, value)
        if i == 1:
            a.font = Font(bold=True, size=13)
        if f and b.value is not None and not isinstance(b.value, str):
            b.number_format = f
    for title, df in sheets:
        _sheet(wb, title, df, money_fmt)
        row = len(df) + 4
        for more in extra.get(title, []):
            _sheet(wb, title, more, money_fmt, start_row=row, freeze=False)
            row += len(more) + 3
    ts = pd.Timestamp(stamp).to_pydatetime()
    wb.properties.created = wb.properties.modified = ts
    wb.properties.creator = "wfm"
    # Workbook.save() stamps properties.modified with the current time; ExcelWriter keeps ours.
    from openpyxl.writer.excel import ExcelWriter

    buf = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    data = _deterministic_zip(buf.getvalue(), ts)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)


# ----------------------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------------------


def _env():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("wfm", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(num=fmt_num, pct=fmt_pct, hm=fmt_hm, fact=_fmt_fact,
                       day=lambda d: d.strftime("%a %d %b %Y") if _finite(d) else "")
    return env


REPORT_FILES = ("costs.csv", "report.html", "report.xlsx")


def build_report(run_dir: str | Path, cfg: Config | None = None, run_name: str | None = None,
                 forecast: Path | pd.DataFrame | None = None) -> ReportResult:
    """Cost a run and write ``costs.csv``, ``report.html`` and ``report.xlsx`` into ``run_dir``, all three
    or none (:mod:`wfm.outputs`: an error or a signal leaves the earlier report as it was).

    ``cfg``: the run's config (default: ``run_dir/config.yaml``, else the built-in demo config).
    ``run_name``: shown in the report header (default: the folder's name). ``forecast``: the run's
    forecast (a forecast.csv or a frame); default: found from ``summary.json`` (:func:`find_forecast`).
    Returns the paths and the headline figures. Raises InputError naming the file, row and column of bad
    input, OutputError when the folder cannot be written.
    """
    from .outputs import output_set

    run_dir = Path(run_dir)
    with output_set(run_dir, files=REPORT_FILES) as st:
        res = _build_report(run_dir, cfg, run_name, forecast, st)
    return ReportResult(html=run_dir / "report.html", xlsx=run_dir / "report.xlsx", costs=run_dir / "costs.csv",
                        summary=res.summary)


def _forecast_mismatch(fc: dict, meta: dict, path) -> str | None:
    """Why a forecast found by lookup is not this run's (its span differs from summary.json's), else None."""
    m = meta.get("forecast") if isinstance(meta.get("forecast"), dict) else {}
    try:
        start, end = pd.Timestamp(m["start"]), pd.Timestamp(m["end"])
    except (KeyError, TypeError, ValueError):
        return None
    got_start, got_end = fc["totals"]["start"].min(), fc["totals"]["end"].max()
    if got_start == start and got_end == end:
        return None
    return (f"The forecast file found ({Path(path).name}) runs {got_start:%Y-%m-%d %H:%M} to {got_end:%Y-%m-%d %H:%M}, "
            f"not this run's {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}: it belongs to another run.")


def _build_report(run_dir: Path, cfg: Config | None, run_name: str | None, forecast, staged) -> ReportResult:
    """:func:`build_report` writing into the staged set ``staged`` (:class:`wfm.outputs.OutputSet`)."""
    if cfg is None:
        cfg = load_config(run_dir / "config.yaml") if (run_dir / "config.yaml").is_file() else load_config(None)
    name = run_name or _run_name(run_dir)
    run = read_run(run_dir)

    costs = cost_roster(run.roster, run.agents, cfg)
    costs_path = write_csv(costs, staged.path("costs.csv"))
    patience = projection_patience(cfg, run.meta, run.requirements["queue"].unique())
    service = service_projection(run, cfg, patience)
    horizon = pooled_service(service)
    cs = cost_summary(costs, run.requirements, cfg, handled_calls=horizon["handled"])
    try:
        sim = simulate_roster(service, cfg)
    except Exception as err:  # never fail the report because of the simulation
        sim = {(q, d): {"error": f"{type(err).__name__}: {err}"}
               for q, d in zip(service["queue"], service["interval_start"].dt.normalize())}
    daily = daily_table(service, cs["by_day"], cfg, sim)
    horizon_sim = sim_figures(list(sim.values()))
    queues = queue_table(service, costs, cfg)
    st = cfg.staffing
    horizon_sl = horizon["expected_sl"]
    caps = {p["max_abandon"] for p in patience.values()}
    cap = caps.pop() if len(caps) == 1 else None  # one cap for every queue: the pooled figures can be flagged
    proj = projection_summary(patience)
    bt = backtest_section(run_dir, run.meta)
    cal = day_calendar(pd.date_range(cs["horizon_start"], cs["horizon_end"], freq="D"), cfg.site.country,
                       cfg.site.subdivision) if cs["days"] else day_calendar([], cfg.site.country)
    unfilled_n = int(run.unfilled["missing"].sum()) if len(run.unfilled) else 0
    hol_staffed = int(run.roster["date"].isin(set(cal.loc[cal["is_holiday"], "date"])).sum())
    hol_unfilled = int(run.unfilled.loc[run.unfilled["is_holiday"], "missing"].sum()) if len(run.unfilled) else 0
    cur = cfg.site.currency

    figures = {
        "run": name,
        "currency": cur,
        "horizon_start": cs["horizon_start"].strftime("%Y-%m-%d") if cs["days"] else None,
        "horizon_end": cs["horizon_end"].strftime("%Y-%m-%d") if cs["days"] else None,
        "total_cost": cs["total_cost"],
        "weekly_cost": cs["weekly_cost"],
        "forecast_calls": cs["forecast_calls"],
        "cost_per_call": cs["cost_per_call"],
        "handled_calls": cs["handled_calls"],
        "abandoned_calls": horizon["abandoned"],
        "cost_per_handled_call": cs["cost_per_handled_call"],
        "paid_hours": cs["paid_hours"],
        "requirement_cost": cs["requirement_cost"],
        "efficiency": cs["efficiency"],
        "expected_service_level": horizon_sl,
        "expected_asa_s": _json_num(horizon["expected_asa_s"]),
        "expected_abandon_rate": horizon["expected_abandon"],
        "intervals_below_target": int(service["below_target"].sum()),
        "service_projection": {"model": proj["model"], "patience_s": {q: _json_num(p["patience_s"]) for q, p in patience.items()},
                               "patience_source": {q: p["source"] for q, p in patience.items()},
                               "max_abandon": {q: p["max_abandon"] for q, p in patience.items()}},
        "simulated_service_level": horizon_sim["sim_service_level"],
        "simulated_service_level_lo": horizon_sim["sim_sl_lo"],
        "simulated_service_level_hi": horizon_sim["sim_sl_hi"],
        "simulated_asa_s": horizon_sim["sim_asa_s"],
        "simulated_abandon_rate": horizon_sim["sim_abandon_rate"],
        "simulated_abandon_rate_lo": horizon_sim["sim_ab_lo"],
        "simulated_abandon_rate_hi": horizon_sim["sim_ab_hi"],
        "simulation": {"replications": SIM_REPLICATIONS, "level": SIM_LEVEL,
                       "queue_days": len(sim), "not_simulated": sum("error" in p for p in sim.values()),
                       "note": horizon_sim["sim_note"]},
        "sl_target": st.sl_target,
        "unfilled_shifts": unfilled_n,
        "holiday_shifts_staffed": hol_staffed,
        "holiday_shifts_unfilled": hol_unfilled,
        "forecast_backtest": ({"file": BACKTEST_FILE, "level": bt["level"], "origins": bt["origins"], "weeks": bt["weeks"],
                               "rows": [{k: _json_num(r[k]) if isinstance(r[k], float) else r[k]
                                         for k in ("queue", "model", "role", "wape", "bias", "coverage", "intervals")}
                                        for r in bt["rows"]]}
                              if bt["found"] else None),
    }
    money = lambda v, d=2: f"{cur} {fmt_num(v, d)}"  # noqa: E731
    sl_text = fmt_pct(horizon_sl)
    cards = [
        {"key": "weekly_cost", "label": "Weekly cost", "value": money(cs["weekly_cost"], 0),
         "sub": f"over {cs['days']} days ({cs['weeks']:.3g} week{'' if cs['weeks'] == 1 else 's'})"},
        {"key": "total_cost", "label": "Total cost", "value": money(cs["total_cost"]),
         "sub": f"premiums {money(sum(cs[c] for c in PREMIUM_COLUMNS), 0)}"},
        {"key": "forecast_calls", "label": "Forecast calls", "value": fmt_num(cs["forecast_calls"]), "sub": "offered, all queues"},
        {"key": "cost_per_call", "label": "Cost per forecast call", "value": money(cs["cost_per_call"]),
         "sub": "total cost / forecast calls"},
        {"key": "cost_per_handled_call", "label": "Cost per handled call", "value": money(cs["cost_per_handled_call"]),
         "sub": f"{fmt_num(cs['handled_calls'])} handled: forecast less {fmt_pct(horizon['expected_abandon'])} abandoning"},
        {"key": "paid_hours", "label": "Scheduled paid hours", "value": fmt_num(cs["paid_hours"], 1),
         "sub": f"required {fmt_num(cs['required_paid_hours'], 1)} h"},
        {"key": "expected_service_level", "label": "Expected service level", "value": sl_text,
         "sub": f"target {fmt_pct(st.sl_target, 0)} in {st.sl_seconds:g} s ({proj['model_label']})",
         "bad": horizon_sl is not None and horizon_sl < st.sl_target},
        {"key": "expected_abandon_rate", "label": "Expected abandonment", "value": fmt_pct(horizon["expected_abandon"]),
         "sub": f"ASA {fmt_num(horizon['expected_asa_s'], 1)} s · " + (f"cap {fmt_pct(cap, 0)}" if cap is not None else proj["short"]),
         "bad": cap is not None and horizon["expected_abandon"] is not None and horizon["expected_abandon"] > cap + 1e-12},
        {"key": "unfilled_shifts", "label": "Unfilled shifts", "value": fmt_num(unfilled_n),
         "sub": "agent-shifts without a named agent", "bad": unfilled_n > 0},
        {"key": "holiday_shifts_staffed", "label": "Holiday shifts staffed", "value": fmt_num(hol_staffed),
         "sub": f"{hol_unfilled} unfilled on holidays", "bad": hol_unfilled > 0},
        {"key": "efficiency", "label": "Cost vs requirement", "value": fmt_num(cs["efficiency"], 3) + "×" if cs["efficiency"] else "—",
         "sub": f"requirement at average rate {money(cs['requirement_cost'], 0)}"},
    ]
    for c in cards:
        c.setdefault("bad", False)
        v = figures[c["key"]]
        c["raw"] = "" if v is None or isinstance(v, str) else f"{v:.10g}"
    figures["headline"] = {c["label"]: c["value"] for c in cards}

    grids, legend = _roster_grids(run, cal)
    weeks, teams = cost_by_week(costs), cost_by_team(costs)
    if forecast is not None:
        fc = forecast_section(forecast)
    else:
        found = find_forecast(run_dir, run.meta, name)
        fc = forecast_section(found)
        if fc["found"] and (why := _forecast_mismatch(fc, run.meta, found)):
            fc = {"found": False, "note": why}
    if fc["found"]:
        fc["chart"] = forecast_chart(fc["hourly"], fc["has_bounds"]) if len(fc["hourly"]) else None
        fc["rows"] = fc["totals"].to_dict("records")
    by_type = cs["by_day_type"].copy()
    by_type["label"] = by_type["day_type"].map(DAY_TYPE_LABEL).fillna(by_type["day_type"])
    sched_meta = run.meta.get("schedule") if isinstance(run.meta.get("schedule"), dict) else {}
    ctx = {
        "site": cfg.site.name, "run": name, "currency": cur, "cfg": cfg, "figures": figures, "cards": cards,
        "start": cs["horizon_start"], "end": cs["horizon_end"], "days": cs["days"],
        "queues": sorted(set(run.requirements["queue"])),
        "coverage_charts": coverage_charts(service, cal, cfg) if len(service) else [],
        "gap_heatmaps": gap_heatmaps(service, cal) if len(service) else [],
        "cost_chart": cost_chart(cs["by_day"], cur) if len(cs["by_day"]) else None,
        "daily": daily.to_dict("records"), "queue_rows": queues.to_dict("records"),
        "daily_total": {"calls": daily["calls"].sum(), "handled_calls": horizon["handled"],
                        "required_agent_h": daily["required_agent_h"].sum(),
                        "rostered_agent_h": daily["rostered_agent_h"].sum(), "expected_sl": horizon_sl,
                        "expected_asa_s": horizon["expected_asa_s"], "expected_abandon": horizon["expected_abandon"],
                        "intervals_below_target": int(daily["intervals_below_target"].sum()),
                        **horizon_sim,
                        "paid_hours": daily["paid_hours"].sum(), "total_cost": daily["total_cost"].sum()},
        "by_type": by_type.to_dict("records"), "cs": cs,
        "by_week": weeks.to_dict("records"), "by_team": teams.to_dict("records"), "forecast": fc,
        "day_type_label": DAY_TYPE_LABEL,
        "holidays": _holidays(run, cal), "grids": grids, "legend": legend,
        "notes": _solver_notes(run.meta),
        "messages": _messages(run), "unfilled": run.unfilled.to_dict("records"),
        "sl_target": st.sl_target, "pay": cfg.pay, "sim_replications": SIM_REPLICATIONS, "sim_level": SIM_LEVEL,
        "cap": cap, "proj": proj, "backtest": bt, "horizon": horizon,
    }
    html = _env().get_template("report.html.j2").render(**ctx)
    html_path = write_text(html, staged.path("report.html"))

    money_fmt = '#,##0.00 "' + re.sub(r'["\\]', "", cur) + '"'
    summary_rows = [
        (f"{cfg.site.name} — workforce plan", None, None),
        ("Run", name, None),
        ("Horizon", f"{figures['horizon_start']} to {figures['horizon_end']} ({cs['days']} days)", None),
        ("Currency", cur, None),
        ("Total cost", cs["total_cost"], money_fmt),
        ("Weekly cost", cs["weekly_cost"], money_fmt),
        *[(f"  {label}", cs[col], money_fmt) for col, label, _ in COST_PARTS],
        ("Scheduled paid hours", cs["paid_hours"], "#,##0.00"),
        ("Required paid hours", cs["required_paid_hours"], "#,##0.00"),
        ("Forecast calls", cs["forecast_calls"], "#,##0"),
        ("Cost per forecast call", cs["cost_per_call"], money_fmt),
        ("Handled calls (forecast less projected abandoned)", cs["handled_calls"], "#,##0"),
        ("Cost per handled call", cs["cost_per_handled_call"], money_fmt),
        ("Average hourly rate", cs["average_hourly_rate"], money_fmt),
        ("Requirement cost (at average rate)", cs["requirement_cost"], money_fmt),
        ("Cost vs requirement", cs["efficiency"], "0.000"),
        ("Expected service level", horizon_sl, "0.0%"),
        ("Expected ASA [s]", horizon["expected_asa_s"], "0.0"),
        ("Expected abandonment", horizon["expected_abandon"], "0.0%"),
        ("Intervals below target", int(service["below_target"].sum()), "0"),
        ("Projection", proj["text"], None),
        ("Simulated service level", horizon_sim["sim_service_level"] if not horizon_sim["sim_note"] else horizon_sim["sim_note"], "0.0%"),
        (f"  {SIM_LEVEL:.0%} confidence interval", f"{fmt_pct(horizon_sim['sim_sl_lo'])} to {fmt_pct(horizon_sim['sim_sl_hi'])}"
         if not horizon_sim["sim_note"] else None, None),
        ("Simulated abandonment", horizon_sim["sim_abandon_rate"] if not horizon_sim["sim_note"] else None, "0.0%"),
        ("Service level target", st.sl_target, "0.0%"),
        ("Abandonment cap (staffing.max_abandon)", cap, "0.0%"),
        ("Unfilled agent-shifts", unfilled_n, "0"),
        ("Holiday shifts staffed", hol_staffed, "0"),
        ("Holiday agent-shifts unfilled", hol_unfilled, "0"),
        ("Schedule status", sched_meta.get("status"), None),
        ("Notes", "Coverage: a blank asa_s means no finite wait (agents on the phone at or below the offered load)", None),
        ("", "Costs: one row per agent and calendar day worked; night shifts are split at midnight", None),
        ("", sim_sheet_note(patience), None),
    ]
    xlsx_path = write_workbook(
        staged.path("report.xlsx"),
        [("Daily", daily), ("Costs", costs), ("Cost by queue", queues), ("Roster", run.roster),
         ("Coverage", service), ("Requirements", run.requirements), ("Unfilled", run.unfilled),
         *([("Forecast", fc["totals"])] if fc["found"] else []),
         *([("Backtest", bt["table"])] if bt["found"] else [])],
        summary_rows,
        {"Cost by queue": [cs["by_day_type"], weeks, teams], "Forecast": [fc["hourly"]] if fc["found"] else []},
        money_fmt,
        cs["horizon_start"] if cs["days"] else pd.Timestamp("2000-01-01"),
    )
    return ReportResult(html=html_path, xlsx=xlsx_path, costs=costs_path, summary=figures)

"""The report's sections: tables and lists laid out for the page and the workbook from the stages' results."""

from __future__ import annotations

import math

import pandas as pd

from ..agents import parse_leave
from ..calendar import holiday_family
from ..config import Config
from ..costs import MONEY_COLUMNS, CostResult
from ..forecast import BACKTEST_BASELINE, BACKTEST_FILE
from ..roster.shifts import touches_night
from ..service import SIM_COLUMNS, SIM_LEVEL, SIM_REPLICATIONS, ServiceProjection, pooled_service, sim_figures
from .format import DAY_TYPE_LABEL, fmt_hm

NO_FORECAST = "No forecast file found for this run (summary.json forecast.file, ../../forecasts/<run>/forecast.csv)."


def holidays(roster: pd.DataFrame, unfilled: pd.DataFrame, cal: pd.DataFrame) -> list[dict]:
    """Who works each public holiday (statutory or bridge day off): shifts starting that day by queue."""
    out = []
    ros = roster
    for _, day in cal[cal["is_holiday"]].iterrows():
        d = day["date"]
        r = ros[ros["date"] == d].sort_values(["queue", "shift_start", "shift_end", "name"], kind="stable")
        groups = []
        for (q, s, e), g in r.groupby(["queue", "shift_start", "shift_end"], sort=True):
            groups.append({"queue": q, "shift": f"{fmt_hm(s)}–{fmt_hm(e, d)}", "count": len(g),
                           "agents": ", ".join(g["name"])})
        u = unfilled[unfilled["date"] == d]
        out.append({"date": d, "name": day["holiday_name"], "day_type": DAY_TYPE_LABEL[day["day_type"]],
                    "groups": groups, "staffed": len(r), "unfilled": int(u["missing"].sum()) if len(u) else 0,
                    "by_queue": {str(q): int(n) for q, n in r.groupby("queue").size().items()}})
    return out


def short_holiday(day: pd.Series) -> str:
    """A holiday's name for a narrow column: 'National Day', or 'day off (National Day)' for a bridge day."""
    if not day["is_holiday"]:
        return ""
    if day["is_statutory"]:
        return holiday_family(day["holiday_name"])
    return f"day off ({day['holiday_block']})" if day["holiday_block"] else "day off"


def roster_grids(roster: pd.DataFrame, agents: pd.DataFrame, queues, cal: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """Agents x dates per ISO week; a cell lists the shifts starting that day. ``queues``: the requirement's
    queues (the roster's are added). Returns the grids and the legend (queue -> CSS class)."""
    ros = roster
    agents = agents[[c for c in ("agent_id", "name", "team", "leave") if c in agents]].drop_duplicates("agent_id")
    extra = ros.loc[~ros["agent_id"].isin(agents["agent_id"]), ["agent_id", "name", "team"]].drop_duplicates("agent_id")
    agents = pd.concat([agents, extra]).sort_values(["team", "name", "agent_id"], kind="stable")
    queues = sorted(set(ros["queue"]) | set(queues))
    qclass = {q: f"q{i % 6}" for i, q in enumerate(queues)}
    kind = cal.set_index("date")
    cells: dict[tuple[str, pd.Timestamp], list[dict]] = {}
    shifts = ros.sort_values("shift_start", kind="stable")
    template = shifts["template"] if "template" in shifts else pd.Series("", index=shifts.index)
    for a_id, day, q, start, end, tmpl, paid in zip(shifts["agent_id"], shifts["date"], shifts["queue"],
                                                    shifts["shift_start"], shifts["shift_end"], template,
                                                    shifts["paid_hours"]):
        cells.setdefault((a_id, day), []).append(
            {"text": f"{fmt_hm(start)}–{fmt_hm(end, day)}", "queue": q,
             "cls": qclass.get(q, "q0"), "title": f"{q} · {tmpl} · {paid:g} paid h"})
    dates = list(cal["date"])
    weeks: dict[tuple, list] = {}
    for d in dates:
        weeks.setdefault(tuple(d.isocalendar()[:2]), []).append(d)
    week_of = {d: w for w, wd in weeks.items() for d in wd}
    # each agent's paid hours per week: the same values summed in the same (roster) order as a mask would
    paid = ros["paid_hours"].to_numpy()
    slots = pd.Series([week_of.get(d) for d in ros["date"]], index=ros.index, dtype=object)
    at = {} if ros.empty else pd.DataFrame({"a": ros["agent_id"].to_numpy(), "w": slots.to_numpy()}).groupby(
        ["a", "w"], sort=False).indices
    people = agents[["agent_id", "name", "team"]].to_dict("records")
    leave = {i: parse_leave(v) for i, v in zip(agents["agent_id"], agents["leave"]) if isinstance(v, str) and v.strip()} \
        if "leave" in agents else {}
    grids = []
    for w, wdates in sorted(weeks.items()):
        cols = [{"date": d, "label": d.strftime("%a %d %b"), "cls": kind.loc[d, "day_type"],
                 "holiday_name": short_holiday(kind.loc[d])} for d in wdates]
        rows = []
        for a in people:
            row = [cells.get((a["agent_id"], d), []) for d in wdates]
            idx = at.get((a["agent_id"], w))
            hours = float(paid[idx].sum()) if idx is not None else 0.0
            off = leave.get(a["agent_id"], frozenset())
            rows.append({"agent_id": a["agent_id"], "name": a["name"], "team": a["team"], "cells": row, "hours": hours,
                         "leave": [d in off for d in wdates], "find": _find_text(a)})
        grids.append({"title": f"Week of {wdates[0].strftime('%a %d %b %Y')}", "cols": cols, "rows": rows})
    return grids, [{"queue": q, "cls": c} for q, c in qclass.items()]


_FACT_LABELS = {"gap": "optimality gap", "best_bound": "best bound", "proven_optimal": "proven optimal",
                "within_gap": "stopped within the gap", "time_limit_decided": "time limit decided",
                "holiday_hard_coverage": "holiday coverage as a hard rule", "under_covered_agent_intervals":
                "agent-intervals under-covered", "mean_start_deviation_h": "mean start-time deviation (h)",
                "holiday_spread": "holiday shifts, most minus fewest", "weekend_spread": "weekend shifts, most minus fewest",
                "agent_shift_pairs": "agent-shift pairs", "lp_bound": "LP bound", "mip_gap": "optimality gap"}


def fact_label(key: str) -> str:
    """A summary.json key in words for the page: 'holiday_spread_by_group' -> 'Holiday spread by group',
    units kept ('_h' -> ' (h)', '_s' -> ' (s)')."""
    if key in _FACT_LABELS:
        text = _FACT_LABELS[key]
    else:
        text = key.replace("_", " ")
        for suffix, unit in ((" h", " (h)"), (" s", " (s)")):
            if text.endswith(suffix):
                text = text[: -len(suffix)] + unit
    return text[:1].upper() + text[1:]


def _fact_value(v):
    """A summary.json value the page can show in one cell: scalars, and lists or dicts of scalars as one
    line; None: not shown (tables of records are shown as tables)."""
    scalar = (str, int, float, bool, type(None))
    if isinstance(v, scalar):
        return v
    if isinstance(v, list) and all(isinstance(x, scalar) for x in v):
        return ", ".join(str(x) for x in v) if v else "none"
    if isinstance(v, dict) and all(isinstance(x, scalar) for x in v.values()):
        return ", ".join(f"{k}: {x}" for k, x in v.items()) if v else "none"
    return None


def solver_notes(meta: dict) -> list[dict]:
    """Facts of each stage in summary.json (status, gap, ...) labelled in words, and its per-week or
    per-queue tables, if any."""
    # Solve times stay in summary.json: in the page they would make two runs of the same plan differ.
    timing = {"runtime_s", "build_s", "seconds", "lp_seconds"}
    notes = []
    for stage in ("schedule", "roster"):
        sec = meta.get(stage)
        if not isinstance(sec, dict):
            continue
        facts = [(fact_label(k), f"{100 * v:.2f}%" if k.endswith("gap") and isinstance(v, float) else _fact_value(v))
                 for k, v in sec.items()
                 if k not in timing and k != "messages" and (_fact_value(v) is not None or v is None)]
        tables = []
        for k, v in sec.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                cols = list(dict.fromkeys(c for x in v for c in x
                                          if not isinstance(x[c], (dict, list)) and c not in timing))
                tables.append({"name": fact_label(k), "cols": [fact_label(c) for c in cols],
                               "rows": [[x.get(c) for c in cols] for x in v]})
        notes.append({"stage": stage, "facts": facts, "tables": tables})
    return notes


def messages(meta: dict, unfilled: pd.DataFrame) -> list[str]:
    """The roster's messages from summary.json, else one line per unfilled shift."""
    roster = meta.get("roster") if isinstance(meta.get("roster"), dict) else {}
    msgs = [str(m) for m in roster.get("messages", []) or []]
    if not msgs:
        for _, u in unfilled.iterrows():
            n = int(u["missing"])
            msgs.append(f"{n} more agent{'s' if n != 1 else ''} for '{u['queue']}' needed on {u['date'].date()} "
                        f"from {fmt_hm(u['shift_start'])} to {fmt_hm(u['shift_end'], u['date'])}"
                        + (" (a public holiday)" if u["is_holiday"] else ""))
    return msgs


def forecast_section(forecast: pd.DataFrame | None, note: str | None = None) -> dict:
    """Forecast calls per hour and queue with the sum of the interval bounds, and totals per queue.

    ``forecast``: the run's forecast, typed (queue, interval_start, offered[, offered_lo, offered_hi]); None:
    not available, ``note`` says why.

    Returns ``{"found": False, "note": why}`` or ``{"found": True, "hourly": frame (queue, hour, offered,
    offered_lo, offered_hi), "totals": frame (queue, start, end, intervals, offered, offered_lo,
    offered_hi), "intervals": the forecast itself (queue, interval_start, offered[, offered_lo, offered_hi]),
    "has_bounds": bool}``."""
    if forecast is None:
        return {"found": False, "note": note or NO_FORECAST}
    df = forecast.assign(queue=forecast["queue"].astype(str))
    has_bounds = "offered_lo" in df and "offered_hi" in df
    if not has_bounds:
        df = df.assign(offered_lo=df["offered"], offered_hi=df["offered"])
    cols = ["offered", "offered_lo", "offered_hi"]
    hourly = (df.assign(hour=df["interval_start"].dt.floor("h")).groupby(["queue", "hour"], sort=True)[cols].sum()
              .reset_index())
    totals = df.groupby("queue", sort=True).agg(start=("interval_start", "min"), end=("interval_start", "max"),
                                                intervals=("offered", "size"), offered=("offered", "sum"),
                                                offered_lo=("offered_lo", "sum"), offered_hi=("offered_hi", "sum")).reset_index()
    intervals = df[["queue", "interval_start", *cols]].sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    return {"found": True, "hourly": hourly, "totals": totals, "intervals": intervals if has_bounds else intervals[["queue", "interval_start", "offered"]],
            "has_bounds": has_bounds}


def _pool_backtest(b: pd.DataFrame) -> dict:
    act = float(b["actual_calls"].sum())
    n = float(b["intervals"].sum())
    return {"wape": float((b["wape"] * b["actual_calls"]).sum() / act) if act > 0 else None,
            "bias": float(b["forecast_calls"].sum() - act) / act if act > 0 else None,
            "coverage": float((b["coverage"] * b["intervals"]).sum() / n) if n > 0 else None,
            "intervals": int(n), "actual_calls": act, "forecast_calls": float(b["forecast_calls"].sum())}


def backtest_section(table: pd.DataFrame | None, note: str | None = None) -> dict:
    """The run's forecast backtest (:data:`wfm.forecast.BACKTEST_COLUMNS`, typed) for the report:
    ``{"found": False, "note": why}`` or ``{"found": True, "table": frame, "rows": [...], "level": nominal
    coverage, "origins", "weeks", "first_origin", "last_origin"}``. Rows: per queue the model used and the
    seasonal-naive baseline, then "All queues" pooled (WAPE and bias over the calls, coverage over the
    intervals). ``table`` None: no backtest, ``note`` says why."""
    if table is None:
        return {"found": False, "note": note or f"No forecast backtest ({BACKTEST_FILE}) in the run folder."}
    b = table
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


def daily_table(service: ServiceProjection, costs: CostResult, cfg: Config) -> pd.DataFrame:
    """The Daily table, one row per date of the costs (every horizon date and the dates the roster's hours
    spill into) or of the projection: ``date, day_type, holiday_name, calls`` (forecast offered),
    ``handled_calls``, ``required_agent_h, rostered_agent_h``, ``expected_sl, expected_asa_s,
    expected_abandon`` (None without calls), ``intervals_below_target``, the simulated
    :data:`wfm.service.SIM_COLUMNS`, then ``paid_hours, total_cost`` (:attr:`ServiceProjection.by_day` next
    to :attr:`CostResult.by_day`).

    Agent-hours are agents on shift and not on break x interval length; ``required`` already includes
    shrinkage, so the two columns compare like with like.
    """
    ih = cfg.interval_minutes / 60.0
    day = service.by_day
    out = costs.by_day.set_index("date")[["day_type", "holiday_name", "paid_hours", "total_cost"]].join(
        day.drop(columns=list(SIM_COLUMNS)), how="outer")
    out["calls"] = out["calls"].astype(float).fillna(0.0)
    out["handled_calls"] = out.pop("handled").astype(float).fillna(0.0)
    out["required_agent_h"] = out.pop("required").fillna(0.0) * ih
    out["rostered_agent_h"] = out.pop("rostered").fillna(0.0) * ih
    for c in ("expected_sl", "expected_asa_s", "expected_abandon"):
        out[c] = out[c].astype(object).where(out["calls"] > 0, None)
    out["intervals_below_target"] = out.pop("flagged").fillna(0).astype(int)
    out[["paid_hours", "total_cost"]] = out[["paid_hours", "total_cost"]].fillna(0.0)
    out = out.reset_index()
    sims = day[list(SIM_COLUMNS)].to_dict("index")
    blank = {c: None for c in SIM_COLUMNS}
    blank["sim_note"] = "not simulated: " + ("no intervals" if service.sim is not None else "simulation off")
    figs = [sims.get(d, blank) for d in out["date"]]
    for c in SIM_COLUMNS:
        out[c] = pd.Series([f[c] for f in figs], index=out.index, dtype=object if c == "sim_note" else float)
    return out[["date", "day_type", "holiday_name", "calls", "handled_calls", "required_agent_h", "rostered_agent_h",
                "expected_sl", "expected_asa_s", "expected_abandon", "intervals_below_target", *SIM_COLUMNS, "paid_hours",
                "total_cost"]]


def queue_table(service: ServiceProjection, costs: CostResult) -> pd.DataFrame:
    """The Cost by queue table, one row per queue of the projection or the costs: calls, handled calls,
    agent-hours, the pooled projection and ``patience_s`` (:attr:`ServiceProjection.by_queue`), paid hours,
    base pay, premiums, on-cost and total cost (:attr:`CostResult.costs` by queue; in a plan by skill set, each
    set's shared over its queues by :attr:`ServiceProjection.set_shares`), cost per forecast call and per
    handled call (None without calls)."""
    svc = service.by_queue.set_index("queue")
    cost_q = costs.costs.groupby("queue")[["paid_hours", *MONEY_COLUMNS]].sum()
    sh = service.set_shares
    if sh is not None and len(cost_q):  # a plan by skill set: each set's cost shared over its queues
        sets = [u for u in cost_q.index if u in sh.index]
        shared = sh.loc[sets].T.to_numpy() @ cost_q.loc[sets].to_numpy()
        cost_q = pd.concat([pd.DataFrame(shared, index=sh.columns, columns=cost_q.columns),
                            cost_q.drop(index=sets)]).groupby(level=0).sum()
    none = {"calls": 0.0, "handled_calls": 0.0, "required_agent_h": 0.0, "rostered_agent_h": 0.0, "expected_sl": None,
            "expected_asa_s": None, "expected_abandon": None, "patience_s": None}  # a queue with costs only
    rows = []
    for q in sorted(set(svc.index) | set(cost_q.index)):
        p = ({k: None if k in none and none[k] is None and pd.isna(v) else v for k, v in svc.loc[q].items()}
             if q in svc.index else none)
        c = cost_q.loc[q] if q in cost_q.index else pd.Series(0.0, index=cost_q.columns)
        total = float(c["total_cost"])
        rows.append({"queue": q, **p, **{k: float(c[k]) for k in ["paid_hours", *MONEY_COLUMNS]},
                     "cost_per_call": total / p["calls"] if p["calls"] > 0 else None,
                     "cost_per_handled_call": total / p["handled_calls"] if p["handled_calls"] > 0 else None})
    return pd.DataFrame(rows)


def _finite(v) -> float | None:
    """A finite float, or None (a missing or undefined figure)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def skill_mix_section(service: ServiceProjection, interval_minutes: int = 15) -> dict | None:
    """The per-queue service with the rostered skill mix (:attr:`ServiceProjection.skill_mix`) beside the
    per-queue projection and the per-queue simulation: ``rows`` (one per queue, then the total with ``queue``
    None and ``is_total``: ``queue, calls, expected_sl, alone_sl, mix_sl, mix_lo, mix_hi, mix_abandon,
    mix_asa_s``; None where a figure is unknown), ``sets`` (``name, queues,
    agents, shares``: the share of the set's calls from each queue), ``routing``, ``replications``,
    ``level``, ``left_out`` (rostered agents not simulated: trained on none of the plan's queues); or
    ``{"error": why}``; None when there is nothing to show (no cross-trained agent). In a plan by skill set
    (``by_set`` True) the queue-alone columns are None and ``set_rows`` gives per skill set ``name, queues,
    agents, required_h, scheduled_h, rostered_h, short_h`` [agent-hours; short: rostered below required,
    summed per interval]."""
    mix = service.skill_mix
    if mix is None:
        return None
    if isinstance(mix, str):
        return {"error": mix}
    by_q = service.by_queue.set_index("queue")
    sim = service.sim or {}

    def row(q, r, expected, parts):
        alone = sim_figures(parts)["sim_service_level"] if parts else None
        return {"queue": q, "is_total": q is None, "calls": float(r["calls"]), "expected_sl": _finite(expected),
                "alone_sl": alone, "mix_sl": _finite(r["service_level"]), "mix_lo": _finite(r["service_level_lo"]),
                "mix_hi": _finite(r["service_level_hi"]), "mix_abandon": _finite(r["abandon_rate"]),
                "mix_asa_s": _finite(r["asa_s"])}

    by_set = service.by_set is not None
    if by_set:  # the projection is this simulation: no queue-alone figures beside it
        sim = {}
    rows = [row(q, r, by_q.at[q, "expected_sl"] if q in by_q.index and not by_set else None,
                [p for (qq, _), p in sim.items() if qq == q]) for q, r in mix.by_queue.iterrows()]
    rows.append(row(None, mix.total, None if by_set else service.horizon["expected_sl"], list(sim.values())))
    sets = [{"name": s.name, "queues": list(s.queues), "agents": mix.agents[s.name],
             "shares": {q: float(v) for q, v in mix.handled_share.loc[s.name].items()
                        if q in s.queues and math.isfinite(float(v))}}  # no calls taken: no shares
            for s in mix.sets]
    set_rows = []
    if by_set:
        ih = interval_minutes / 60.0
        heads = {s["name"]: (s["queues"], s["agents"]) for s in sets}
        for name, g in service.by_set.groupby("skill_set", sort=True):
            qs, n = heads.get(name, ([], 0))
            set_rows.append({"name": name, "queues": qs, "agents": n,
                             "required_h": float(g["required"].sum() * ih), "scheduled_h": float(g["scheduled"].sum() * ih),
                             "rostered_h": float(g["rostered"].sum() * ih),
                             "short_h": float((g["required"] - g["rostered"]).clip(lower=0).sum() * ih)})
    return {"rows": rows, "sets": sets, "routing": mix.routing, "replications": mix.replications, "level": mix.level,
            "left_out": mix.left_out, "by_set": by_set, "set_rows": set_rows}


def sim_sheet_note(patience: dict, by_set: bool = False) -> str:
    """The Daily sheet's note on the two projections (``by_set``: a plan by skill set's)."""
    if by_set:
        return (f"Daily: planned by skill set; expected_* is the roster simulated with its skill mix "
                f"({SIM_REPLICATIONS} replications a day), each interval weighted by its forecast calls; sim_* pools "
                "the same simulation's callers")
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


def people_table(roster: pd.DataFrame, agents: pd.DataFrame, costs: pd.DataFrame, cal: pd.DataFrame,
                 night_start_h: float, night_end_h: float, weekend: frozenset[int] = frozenset({5, 6})) -> list[dict]:
    """One row per agent (agents file order by team and name, then agents only in the roster): shifts, paid
    hours (over the horizon and per week of the ``cal`` days) and overtime hours (the cost rules'), night,
    weekend (starting on a day of ``weekend``, weekday numbers, the country's:
    :func:`wfm.calendar.weekend_days`) and holiday shifts, distinct start times, the contract's weekly hours
    and days of leave inside the horizon; ``find``: lower-case text to search."""
    ag = agents.drop_duplicates("agent_id")
    extra = roster.loc[~roster["agent_id"].isin(ag["agent_id"]), ["agent_id", "name", "team"]].drop_duplicates("agent_id")
    ag = pd.concat([ag, extra]).sort_values(["team", "name", "agent_id"], kind="stable")
    ros = roster.assign(_night=touches_night(roster["shift_start"], roster["shift_end"], night_start_h, night_end_h),
                        _weekend=roster["date"].dt.day_of_week.isin(sorted(weekend)),
                        _start=roster["shift_start"].dt.strftime("%H:%M"),
                        _holiday=(roster["is_holiday"].astype(bool) if "is_holiday" in roster
                                  else roster["date"].isin(set(cal.loc[cal["is_holiday"], "date"]))))
    g = ros.groupby("agent_id")
    ot = costs.groupby("agent_id")["overtime_hours"].sum() if len(costs) else pd.Series(dtype=float)
    horizon = set(cal["date"])
    weeks = max(len(horizon), 1) / 7.0
    rows = []
    for a in ag.to_dict("records"):
        i = a["agent_id"]
        mine = g.get_group(i) if i in g.groups else ros.iloc[0:0]
        leave = parse_leave(str(a.get("leave") or "")) if isinstance(a.get("leave"), str) else frozenset()
        lo, hi = a.get("min_hours_week"), a.get("max_hours_week")
        contract_h = f"{float(lo):g}–{float(hi):g}" if _number(lo) and _number(hi) else ""
        paid = float(mine["paid_hours"].sum())
        rows.append({"agent_id": i, "name": a["name"], "team": a["team"], "contract": a.get("contract") or "",
                     "shifts": len(mine), "paid_hours": paid, "paid_hours_per_week": paid / weeks,
                     "overtime_hours": float(ot.get(i, 0.0)), "nights": int(mine["_night"].sum()),
                     "weekend_shifts": int(mine["_weekend"].sum()), "holiday_shifts": int(mine["_holiday"].sum()),
                     "start_times": int(mine["_start"].nunique()), "contract_h": contract_h,
                     "leave_days": len(leave & horizon), "find": _find_text(a)})
    return rows


def _find_text(agent: dict) -> str:
    """What the roster page's search box matches an agent's rows on: name, ID and team, lower case."""
    return " ".join(str(agent[k]) for k in ("name", "agent_id", "team")).lower()


def _number(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def team_table(people: list[dict]) -> tuple[list[dict], dict]:
    """People summed by team (agents, shifts, paid, overtime, nights, holiday shifts) and over all teams."""
    keys = ("shifts", "paid_hours", "overtime_hours", "nights", "holiday_shifts")
    teams: dict[str, dict] = {}
    for p in people:
        t = teams.setdefault(p["team"], {"team": p["team"], "agents": 0, **{k: 0 for k in keys}})
        t["agents"] += 1
        for k in keys:
            t[k] += p[k]
    total = {"agents": len(people), **{k: sum(p[k] for p in people) for k in keys}}
    return [teams[t] for t in sorted(teams)], total


def week_table(frame: pd.DataFrame, costs: CostResult, interval_minutes: int, hourly_rate: float,
               staffing: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per ISO week (Monday ``week_start``; ``week`` like ``2026-W40``) of the projection's intervals
    or of the costs: ``days`` (horizon days in the week), forecast ``calls`` and ``handled_calls``,
    ``expected_sl`` and ``expected_abandon`` (:func:`wfm.service.pooled_service` of the week), ``occupancy``
    (:func:`pooled_occupancy`), ``required_agent_h`` and ``rostered_agent_h`` [agent-hours on the phone],
    ``under_agent_h`` and ``over_agent_h`` (rostered below / above required, summed per interval
    [agent-hours]) and their cost at ``hourly_rate`` (``under_cost``: to fill the gap, ``over_cost``: could
    be released), ``paid_hours`` and ``total_cost`` (costs by the calendar day worked) and
    ``cost_per_handled_call``. ``staffing``: the frame whose ``gap`` gives the under and over agent-hours
    (in a plan by skill set, per skill set; default ``frame``)."""
    ih = interval_minutes / 60.0
    t = frame["interval_start"]
    monday = (t.dt.normalize() - pd.to_timedelta(t.dt.day_of_week, unit="D")).astype("datetime64[ns]")
    staff = frame if staffing is None else staffing
    ts = pd.to_datetime(staff["interval_start"])
    staff_monday = (ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")).astype("datetime64[ns]")
    cost = costs.by_week.set_index("week_start")[["paid_hours", "total_cost"]]
    rows = []
    for ws in sorted(set(monday) | set(cost.index)):
        part = frame[(monday == ws).to_numpy()]
        gap = staff.loc[(staff_monday == ws).to_numpy(), "gap"].to_numpy(float)
        svc = pooled_service(part)
        paid, total = (float(cost.loc[ws, "paid_hours"]), float(cost.loc[ws, "total_cost"])) if ws in cost.index else (0.0, 0.0)
        under, over = float((-gap).clip(min=0).sum() * ih), float(gap.clip(min=0).sum() * ih)
        y, w, _ = ws.isocalendar()
        rows.append({
            "week": f"{y:04d}-W{w:02d}", "week_start": ws, "days": int(part["interval_start"].dt.normalize().nunique()),
            "calls": svc["calls"], "handled_calls": svc["handled"], "expected_sl": svc["expected_sl"],
            "expected_abandon": svc["expected_abandon"], "occupancy": pooled_occupancy(part),
            "required_agent_h": float(part["required"].sum() * ih), "rostered_agent_h": float(part["rostered"].sum() * ih),
            "under_agent_h": under, "under_cost": under * hourly_rate, "over_agent_h": over, "over_cost": over * hourly_rate,
            "paid_hours": paid, "total_cost": total, "cost_per_handled_call": total / svc["handled"] if svc["handled"] > 0 else None})
    return pd.DataFrame(rows, columns=WEEK_COLUMNS)


def pooled_occupancy(s: pd.DataFrame) -> float | None:
    """Occupancy pooled over the intervals of ``s`` (:func:`wfm.service.service_projection` rows): busy time
    over the agents' time on the phone, i.e. interval occupancies weighted by agents on the phone; None
    when nobody is on the phone."""
    on = s["agents_on_phone"].to_numpy(float)
    return float((on * s["occupancy"].fillna(0.0).to_numpy(float)).sum() / on.sum()) if on.sum() > 0 else None


WEEK_COLUMNS = ["week", "week_start", "days", "calls", "handled_calls", "expected_sl", "expected_abandon", "occupancy",
                "required_agent_h", "rostered_agent_h", "under_agent_h", "under_cost", "over_agent_h", "over_cost",
                "paid_hours", "total_cost", "cost_per_handled_call"]


def week_total(weeks: pd.DataFrame, service: ServiceProjection) -> dict:
    """The horizon row of :func:`week_table`: its sums, the projection's pooled horizon figures
    (:attr:`ServiceProjection.horizon`) and :func:`pooled_occupancy` of every interval."""
    h = service.horizon
    cost = float(weeks["total_cost"].sum())
    return {"days": int(weeks["days"].sum()), "calls": h["calls"], "handled_calls": h["handled"],
            "expected_sl": h["expected_sl"], "expected_abandon": h["expected_abandon"],
            "occupancy": pooled_occupancy(service.frame),
            **{c: float(weeks[c].sum()) for c in ("required_agent_h", "rostered_agent_h", "under_agent_h", "under_cost",
                                                  "over_agent_h", "over_cost", "paid_hours", "total_cost")},
            "cost_per_handled_call": cost / h["handled"] if h["handled"] > 0 else None}


def grid_frame(grids: list[dict]) -> pd.DataFrame:
    """The roster grid of :func:`roster_grids` as one table for the workbook: one row per agent (agent_id,
    name, team), one column per date (header like ``Thu 01 Oct``, ``★`` and the name on a public holiday),
    each cell the day's shifts (``07:00–15:00 sales``), "leave", or empty."""
    if not grids:
        return pd.DataFrame(columns=["agent_id", "name", "team"])
    base = pd.DataFrame([{k: r[k] for k in ("agent_id", "name", "team")} for r in grids[0]["rows"]])
    cols = {}
    for g in grids:
        for j, c in enumerate(g["cols"]):
            head = c["label"] + (f" ★ {c['holiday_name']}" if c["cls"] == "holiday" and c["holiday_name"] else "")
            cols[head] = ["; ".join(f"{s['text']} {s['queue']}" for s in r["cells"][j]) or ("leave" if r["leave"][j] else "")
                          for r in g["rows"]]
    return pd.concat([base, pd.DataFrame(cols)], axis=1)


def people_frame(people: list[dict]) -> pd.DataFrame:
    """The people table of :func:`people_table` for the workbook (without its search text)."""
    return pd.DataFrame(people).drop(columns=["find"], errors="ignore").rename(columns={"contract_h": "contract_hours"})


def duty_frame(roster: pd.DataFrame, cal: pd.DataFrame) -> pd.DataFrame:
    """Who works each public holiday: one row per shift starting on a holiday (date, holiday_name, queue, shift
    start and end, agent_id, name, team), in date, queue and start order."""
    hol = cal.loc[cal["is_holiday"], ["date", "holiday_name"]]
    r = roster.merge(hol, on="date", how="inner")
    cols = ["date", "holiday_name", "queue", "shift_start", "shift_end", "agent_id", "name", "team"]
    return r.sort_values(["date", "queue", "shift_start", "name"], kind="stable")[cols].reset_index(drop=True)

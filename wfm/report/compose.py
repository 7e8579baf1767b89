"""The report of a finished plan: ``report.html`` (self-contained) and ``report.xlsx`` from the stages' results.

:func:`render` computes nothing but presentation: it lays out the costs (:class:`wfm.costs.CostResult`), the
service projection (:class:`wfm.service.ServiceProjection`), the forecast and its backtest, formats the
headline figures and draws the charts. The same inputs give the same bytes (no wall-clock time in the page,
fixed PNG and workbook metadata, fixed zip timestamps).
"""

from __future__ import annotations

import re

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from ..calendar import day_calendar, weekend_days
from ..config import Config
from ..actuals import Review, review_by_day, review_by_queue, review_total
from ..costs import PREMIUM_COLUMNS, CostResult
from ..forecast import BACKTEST_FILE
from ..io import write_text
from ..outputs import output_path
from ..service import ServiceProjection
from . import xlsx
from .charts import COST_PARTS, cost_chart, coverage_charts, forecast_chart, gap_heatmaps
from .format import DAY_TYPE_LABEL, finite, fmt_fact, fmt_hm, fmt_hours_of_day, fmt_num, fmt_pct, json_num
from .decisions import OVER_MIN_AGENTS, OVER_MIN_HOURS, decisions
from .headers import header
from .sections import (backtest_section, daily_table, duty_frame, forecast_section, grid_frame, holidays, messages,
                       people_frame, people_table, queue_table, roster_grids, sim_sheet_note, skill_mix_section,
                       solver_notes, team_table,
                       week_table, week_total)

REPORT_PAGES = ("report.html", "roster.html", "report.xlsx")


def _env() -> Environment:
    env = Environment(loader=PackageLoader("wfm.report", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(num=fmt_num, pct=fmt_pct, hm=fmt_hm, fact=fmt_fact, hod=fmt_hours_of_day,
                       day=lambda d: d.strftime("%a %d %b %Y") if finite(d) else "")
    return env


def _counts(roster: pd.DataFrame, unfilled: pd.DataFrame, cal: pd.DataFrame) -> dict:
    """Unfilled agent-shifts, and the shifts staffed and unfilled on public holidays."""
    return {"unfilled": int(unfilled["missing"].sum()) if len(unfilled) else 0,
            "hol_staffed": int(roster["date"].isin(set(cal.loc[cal["is_holiday"], "date"])).sum()),
            "hol_unfilled": int(unfilled.loc[unfilled["is_holiday"], "missing"].sum()) if len(unfilled) else 0}


def headline_figures(name: str, cfg: Config, costs: CostResult, service: ServiceProjection, counts: dict,
                     bt: dict, weeks: pd.DataFrame, week_all: dict) -> dict:
    """The figures summary.json records under ``report`` (without ``headline``): JSON-able numbers.
    ``weeks`` and ``week_all``: :func:`wfm.report.sections.week_table` and its horizon row."""
    cs, horizon, horizon_sim, sim = costs.summary, service.horizon, service.horizon_sim, service.sim or {}
    patience = service.patience
    return {
        "run": name,
        "currency": cfg.site.currency,
        "horizon_start": cs["horizon_start"].strftime("%Y-%m-%d") if cs["days"] else None,
        "horizon_end": cs["horizon_end"].strftime("%Y-%m-%d") if cs["days"] else None,
        "total_cost": cs["total_cost"],
        "weekly_cost": cs["weekly_cost"],
        "forecast_calls": cs["forecast_calls"],
        "cost_per_call": cs["cost_per_call"],
        "handled_calls": cs["handled_calls"],
        "abandoned_calls": horizon["abandoned"],
        "occupancy": week_all["occupancy"],
        "under_staffed_agent_h": week_all["under_agent_h"],
        "over_staffed_agent_h": week_all["over_agent_h"],
        "weeks": [{k: (f"{v:%Y-%m-%d}" if isinstance(v, pd.Timestamp) else json_num(v) if isinstance(v, float) else v)
                   for k, v in r.items()} for r in weeks.to_dict("records")],
        "cost_per_handled_call": cs["cost_per_handled_call"],
        "paid_hours": cs["paid_hours"],
        "requirement_cost": cs["requirement_cost"],
        "efficiency": cs["efficiency"],
        "expected_service_level": horizon["expected_sl"],
        "expected_asa_s": json_num(horizon["expected_asa_s"]),
        "expected_abandon_rate": horizon["expected_abandon"],
        "intervals_below_target": service.intervals_below_target,
        "service_projection": {"model": service.model["model"],
                               "patience_s": {q: json_num(p["patience_s"]) for q, p in patience.items()},
                               "patience_source": {q: p["source"] for q, p in patience.items()},
                               "max_abandon": {q: p["max_abandon"] for q, p in patience.items()}},
        "simulated_service_level": horizon_sim["sim_service_level"],
        "simulated_service_level_lo": horizon_sim["sim_sl_lo"],
        "simulated_service_level_hi": horizon_sim["sim_sl_hi"],
        "simulated_asa_s": horizon_sim["sim_asa_s"],
        "simulated_abandon_rate": horizon_sim["sim_abandon_rate"],
        "simulated_abandon_rate_lo": horizon_sim["sim_ab_lo"],
        "simulated_abandon_rate_hi": horizon_sim["sim_ab_hi"],
        "simulation": {"replications": service.replications, "level": service.level,
                       "queue_days": len(sim), "not_simulated": sum("error" in p for p in sim.values()),
                       "note": horizon_sim["sim_note"]},
        "sl_target": cfg.staffing.sl_target,
        "unfilled_shifts": counts["unfilled"],
        "holiday_shifts_staffed": counts["hol_staffed"],
        "holiday_shifts_unfilled": counts["hol_unfilled"],
        "forecast_backtest": ({"file": BACKTEST_FILE, "level": bt["level"], "origins": bt["origins"], "weeks": bt["weeks"],
                               "rows": [{k: json_num(r[k]) if isinstance(r[k], float) else r[k]
                                         for k in ("queue", "model", "role", "wape", "bias", "coverage", "intervals")}
                                        for r in bt["rows"]]}
                              if bt["found"] else None),
    }


def _weekly_sub(weeks: pd.DataFrame, cs: dict, money) -> str:
    """The weekly cost card's line: what the average is over, and the dearest full week when weeks differ."""
    sub = f"average over {cs['days']} days ({cs['weeks']:.3g} week{'' if cs['weeks'] == 1 else 's'})"
    full = weeks[weeks["days"] == 7]
    if len(full) > 1 and full["total_cost"].max() > 1.02 * full["total_cost"].min():
        top = full.loc[full["total_cost"].idxmax()]
        sub += f"; dearest: week of {top['week_start']:%a %d %b}, {money(top['total_cost'], 0)}"
    return sub


def headline_cards(figures: dict, cfg: Config, costs: CostResult, service: ServiceProjection,
                   weeks: pd.DataFrame) -> list[dict]:
    """The page's cards: ``key`` (of ``figures``), ``label``, ``value`` and ``sub`` (text), ``bad`` (shown
    in red) and ``raw`` (the number behind the value, for scripts reading the page). ``weeks``:
    :func:`wfm.report.sections.week_table`."""
    cs, horizon, st, cap, proj = costs.summary, service.horizon, cfg.staffing, service.cap, service.model
    cur = cfg.site.currency
    money = lambda v, d=2: f"{cur} {fmt_num(v, d)}"  # noqa: E731
    horizon_sl = horizon["expected_sl"]
    unfilled_n, hol_unfilled = figures["unfilled_shifts"], figures["holiday_shifts_unfilled"]
    cards = [
        {"key": "weekly_cost", "label": "Weekly cost", "value": money(cs["weekly_cost"], 0),
         "sub": _weekly_sub(weeks, cs, money)},
        {"key": "total_cost", "label": "Total cost", "value": money(cs["total_cost"], 0),
         "sub": f"premiums {money(sum(cs[c] for c in PREMIUM_COLUMNS), 0)}"},
        {"key": "forecast_calls", "label": "Forecast calls", "value": fmt_num(cs["forecast_calls"]), "sub": "offered, all queues"},
        {"key": "cost_per_call", "label": "Cost per forecast call", "value": money(cs["cost_per_call"]),
         "sub": "total cost / forecast calls"},
        {"key": "cost_per_handled_call", "label": "Cost per handled call", "value": money(cs["cost_per_handled_call"]),
         "sub": f"{fmt_num(cs['handled_calls'])} handled: forecast less {fmt_pct(horizon['expected_abandon'])} abandoning"},
        {"key": "paid_hours", "label": "Scheduled paid hours", "value": fmt_num(cs["paid_hours"], 1),
         "sub": f"required {fmt_num(cs['required_paid_hours'], 1)} h"},
        {"key": "expected_service_level", "label": "Expected service level", "value": fmt_pct(horizon_sl),
         "sub": f"target {fmt_pct(st.sl_target, 0)} in {st.sl_seconds:g} s ({proj['model_label']})",
         "bad": horizon_sl is not None and horizon_sl < st.sl_target},
        {"key": "expected_abandon_rate", "label": "Expected abandonment", "value": fmt_pct(horizon["expected_abandon"]),
         "sub": f"ASA {fmt_num(horizon['expected_asa_s'], 1)} s · " + (f"cap {fmt_pct(cap, 0)}" if cap is not None else proj["short"]),
         "bad": cap is not None and horizon["expected_abandon"] is not None and horizon["expected_abandon"] > cap + 1e-12},
        {"key": "occupancy", "label": "Occupancy", "value": fmt_pct(figures["occupancy"]),
         "sub": "time on calls / agents on the phone" + (f" (cap {fmt_pct(st.max_occupancy, 0)})" if st.max_occupancy < 1 else "")},
        {"key": "unfilled_shifts", "label": "Unfilled shifts", "value": fmt_num(unfilled_n),
         "sub": "agent-shifts without a named agent", "bad": unfilled_n > 0},
        {"key": "holiday_shifts_staffed", "label": "Holiday shifts staffed", "value": fmt_num(figures["holiday_shifts_staffed"]),
         "sub": f"{hol_unfilled} unfilled on holidays", "bad": hol_unfilled > 0},
        {"key": "efficiency", "label": "Cost vs requirement", "value": fmt_num(cs["efficiency"], 3) + "×" if cs["efficiency"] else "—",
         "sub": f"requirement at average rate {money(cs['requirement_cost'], 0)}"},
    ]
    for c in cards:
        c.setdefault("bad", False)
        v = figures[c["key"]]
        c["raw"] = "" if v is None or isinstance(v, str) else f"{v:.10g}"
    return cards


def _summary_rows(figures: dict, cfg: Config, name: str, costs: CostResult, service: ServiceProjection,
                  meta: dict, money_fmt: str) -> list[tuple[str, object, str | None]]:
    """The workbook's Summary sheet: (label, value, number format) rows."""
    cs, horizon, sim, st = costs.summary, service.horizon, service.horizon_sim, cfg.staffing
    sched_meta = meta.get("schedule") if isinstance(meta.get("schedule"), dict) else {}
    return [
        (f"{cfg.site.name} — workforce plan", None, None),
        ("Run", name, None),
        ("Horizon", f"{figures['horizon_start']} to {figures['horizon_end']} ({cs['days']} days)", None),
        ("Currency", cfg.site.currency, None),
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
        ("Expected service level", horizon["expected_sl"], "0.0%"),
        ("Expected ASA [s]", horizon["expected_asa_s"], "0.0"),
        ("Expected abandonment", horizon["expected_abandon"], "0.0%"),
        ("Intervals below target", service.intervals_below_target, "0"),
        ("Projection", service.model["text"], None),
        ("Simulated service level", sim["sim_service_level"] if not sim["sim_note"] else sim["sim_note"], "0.0%"),
        (f"  {service.level:.0%} confidence interval", f"{fmt_pct(sim['sim_sl_lo'])} to {fmt_pct(sim['sim_sl_hi'])}"
         if not sim["sim_note"] else None, None),
        ("Simulated abandonment", sim["sim_abandon_rate"] if not sim["sim_note"] else None, "0.0%"),
        ("Service level target", st.sl_target, "0.0%"),
        ("Abandonment cap (staffing.max_abandon)", service.cap, "0.0%"),
        ("Unfilled agent-shifts", figures["unfilled_shifts"], "0"),
        ("Holiday shifts staffed", figures["holiday_shifts_staffed"], "0"),
        ("Holiday agent-shifts unfilled", figures["holiday_shifts_unfilled"], "0"),
        ("Schedule status", sched_meta.get("status"), None),
        ("Notes", "Coverage: a blank asa_s means no finite wait (agents on the phone at or below the offered load)", None),
        ("", "Costs: one row per agent and calendar day worked; night shifts are split at midnight", None),
        ("", sim_sheet_note(service.patience, service.by_set is not None), None),
    ]


def _units(requirements: pd.DataFrame, service: ServiceProjection) -> list[str]:
    """What the shifts are for: the queues, or in a plan by skill set the skill sets."""
    if service.by_set is not None:
        return sorted(set(service.by_set["skill_set"].astype(str)))
    return sorted(set(requirements["queue"].astype(str)))


def _staff_agents(agents: pd.DataFrame, requirements: pd.DataFrame, service: ServiceProjection) -> pd.DataFrame:
    """The agents as the roster took them: in a plan by skill set, each may work the sets of her queues."""
    if service.by_set is None or "queues" not in agents:
        return agents
    from ..multiskill.plan import skill_set_agents

    return skill_set_agents(agents, sorted(set(requirements["queue"].astype(str))))[0]


def _page(cfg: Config, name: str, figures: dict, cards: list[dict], costs: CostResult, service: ServiceProjection,
          daily: pd.DataFrame, queues: pd.DataFrame, fc: dict, bt: dict, cal: pd.DataFrame, requirements: pd.DataFrame,
          roster: pd.DataFrame, unfilled: pd.DataFrame, agents: pd.DataFrame, meta: dict, people: list[dict],
          hol: list[dict], weeks: pd.DataFrame, week_all: dict, act: dict | None, mix: dict | None = None) -> str:
    """report.html's text: the template filled with the laid-out sections and the charts. ``people``:
    :func:`people_table`; ``hol``: :func:`holidays` (both shared with the roster page); ``weeks`` and
    ``week_all``: :func:`week_table` and its horizon row; ``act``: the forecast-against-actual figures or None;
    ``mix``: :func:`skill_mix_section`."""
    cs, horizon, frame, cur = costs.summary, service.horizon, service.frame, cfg.site.currency
    teams, teams_total = team_table(people)
    by_type = cs["by_day_type"].copy()
    by_type["label"] = by_type["day_type"].map(DAY_TYPE_LABEL).fillna(by_type["day_type"])
    ctx = {
        "site": cfg.site.name, "run": name, "currency": cur, "cfg": cfg, "figures": figures, "cards": cards,
        "start": cs["horizon_start"], "end": cs["horizon_end"], "days": cs["days"],
        "queues": sorted(set(requirements["queue"])), "units": _units(requirements, service),
        "by_set": service.by_set is not None,
        "coverage_charts": coverage_charts(frame, cal, cfg) if len(frame) else [],
        "gap_heatmaps": gap_heatmaps(frame, cal) if len(frame) else [],
        "cost_chart": cost_chart(cs["by_day"], cur) if len(cs["by_day"]) else None,
        "daily": daily.to_dict("records"), "queue_rows": queues.to_dict("records"),
        "daily_total": {"calls": daily["calls"].sum(), "handled_calls": horizon["handled"],
                        "required_agent_h": daily["required_agent_h"].sum(),
                        "rostered_agent_h": daily["rostered_agent_h"].sum(), "expected_sl": horizon["expected_sl"],
                        "expected_asa_s": horizon["expected_asa_s"], "expected_abandon": horizon["expected_abandon"],
                        "intervals_below_target": int(daily["intervals_below_target"].sum()),
                        **service.horizon_sim,
                        "paid_hours": daily["paid_hours"].sum(), "total_cost": daily["total_cost"].sum()},
        "by_type": by_type.to_dict("records"), "cs": cs,
        "by_week": costs.by_week.to_dict("records"), "by_team": costs.by_team.to_dict("records"), "forecast": fc,
        "day_type_label": DAY_TYPE_LABEL,
        "holidays": hol, "teams": teams, "teams_total": teams_total,
        "weeks": weeks.to_dict("records"), "week_all": week_all,
        "act": None if act is None else {**act, "days": act["days"].to_dict("records"), "queues": act["queues"].to_dict("records")},
        # a pay component no hour of the plan earns is left out of the cost tables (a column of zeros)
        "shown": {c for c in (*PREMIUM_COLUMNS, "on_cost") if cs[c]} | {c for c in ("overtime_hours", "rest_day_hours",
                                                                                    "holiday_hours", "night_hours")
                                                                          if by_type[c].sum()},
        "dec": decisions(frame, unfilled, roster, _staff_agents(agents, requirements, service), cfg.interval_minutes, float(cs["average_hourly_rate"] or 0.0),
                         (cfg.pay.night_start_h, cfg.pay.night_end_h), set_frame=service.by_set),
        "over_min": OVER_MIN_AGENTS, "over_hours": OVER_MIN_HOURS, "mix": mix,
        "notes": solver_notes(meta),
        "messages": messages(meta, unfilled), "unfilled": unfilled.to_dict("records"),
        "sl_target": cfg.staffing.sl_target, "pay": cfg.pay, "sim_replications": service.replications,
        "sim_level": service.level, "cap": service.cap, "proj": service.model, "backtest": bt, "horizon": horizon,
    }
    return _env().get_template("report.html.j2").render(**ctx)


def _roster_page(cfg: Config, name: str, costs: CostResult, people: list[dict], hol: list[dict],
                 weekend: frozenset[int], grids: list[dict], legend: list[dict], by_set: bool = False) -> str:
    """roster.html's text: people (fairness), holiday duty and the weekly roster grids, searchable.
    ``weekend``: the country's weekend days (0 = Monday); ``grids`` and ``legend``: :func:`roster_grids`."""
    cs = costs.summary
    night = f"{fmt_hours_of_day(cfg.pay.night_start_h)}–{fmt_hours_of_day(cfg.pay.night_end_h)}"
    ctx = {"site": cfg.site.name, "run": name, "start": cs["horizon_start"], "end": cs["horizon_end"], "days": cs["days"],
           "people": people, "holidays": hol, "grids": grids, "legend": legend, "night": night, "by_set": by_set,
           "weeks": cs["weeks"],
           "weekend": " or ".join((pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)).day_name() for d in sorted(weekend))}
    return _env().get_template("roster.html.j2").render(**ctx)


def render(out, *, cfg: Config, name: str, requirements: pd.DataFrame, coverage: pd.DataFrame, roster: pd.DataFrame,
           unfilled: pd.DataFrame, agents: pd.DataFrame, meta: dict, costs: CostResult, service: ServiceProjection,
           forecast: pd.DataFrame | None = None, forecast_note: str | None = None,
           backtest: pd.DataFrame | None = None, backtest_note: str | None = None,
           review: Review | None = None, actuals_source: str | None = None) -> dict:
    """Write ``report.html`` and ``report.xlsx`` of a finished plan into ``out`` (a folder, or a staged
    :class:`wfm.outputs.OutputSet`) and return the headline figures (:func:`headline_figures` plus
    ``headline``, label -> formatted text).

    The tables are the run's, typed as :func:`wfm.runs.read_run` gives them (requirements, coverage, roster,
    unfilled shifts, agents; ``meta``: summary.json). ``forecast``: the run's forecast (queue,
    interval_start, offered[, offered_lo, offered_hi]) or None (``forecast_note``: why); ``backtest``: the
    forecast backtest table (:data:`wfm.forecast.BACKTEST_COLUMNS`) or None (``backtest_note``: why).
    ``review``: the plan against the calls that came (:func:`wfm.actuals.review_plan`; None: not known yet;
    ``actuals_source``: the file's name).
    """
    cs, cur = costs.summary, cfg.site.currency
    cal = day_calendar(pd.date_range(cs["horizon_start"], cs["horizon_end"], freq="D"), cfg.site.country,
                       cfg.site.subdivision) if cs["days"] else day_calendar([], cfg.site.country)
    bt = backtest_section(backtest, backtest_note)
    weeks = week_table(service.frame, costs, cfg.interval_minutes, float(cs["average_hourly_rate"] or 0.0),
                       staffing=service.by_set)
    week_all = week_total(weeks, service)
    figures = headline_figures(name, cfg, costs, service, _counts(roster, unfilled, cal), bt, weeks, week_all)
    cards = headline_cards(figures, cfg, costs, service, weeks)
    figures["headline"] = {c["label"]: c["value"] for c in cards}
    act = None
    if review is not None:
        act = {"days": review_by_day(review), "queues": review_by_queue(review), "total": review_total(review),
               "notes": review.notes, "intervals": review.intervals, "source": actuals_source or "actuals",
               "level": review.level}
        figures["actuals"] = {"file": act["source"], **{k: json_num(v) if isinstance(v, float) else v for k, v in act["total"].items()}}

    mix = skill_mix_section(service, cfg.interval_minutes)
    if mix is not None:
        figures["skill_mix"] = ({"error": mix["error"]} if "error" in mix else
                                {"routing": mix["routing"], "replications": mix["replications"], "level": mix["level"],
                                 "rostered_agents_not_simulated": mix["left_out"],
                                 "queues": {r["queue"]: {k: json_num(v) for k, v in r.items()
                                                         if k not in ("queue", "is_total")}
                                            for r in mix["rows"] if not r["is_total"]},
                                 "all": {k: json_num(v) for k, v in mix["rows"][-1].items()
                                         if k not in ("queue", "is_total")},
                                 "skill_sets": mix["sets"],
                                 **({"by_skill_set": {r["name"]: {k: json_num(v) for k, v in r.items()
                                                                  if k not in ("name", "queues", "agents")}
                                                      for r in mix["set_rows"]}} if mix["by_set"] else {})})
    daily, queues = daily_table(service, costs, cfg), queue_table(service, costs)
    fc = forecast_section(forecast, forecast_note)
    if fc["found"]:
        fc["chart"] = forecast_chart(fc["hourly"], fc["has_bounds"], cal) if len(fc["hourly"]) else None
        fc["rows"] = fc["totals"].to_dict("records")
    # shared by the two pages: the per-team summary and the people table, the holiday head counts and duty
    weekend = weekend_days(cfg.site.country, cfg.site.subdivision)
    people = people_table(roster, agents, costs.costs, cal, cfg.pay.night_start_h, cfg.pay.night_end_h, weekend)
    hol = holidays(roster, unfilled, cal)
    grids, legend = roster_grids(roster, agents, _units(requirements, service), cal)
    html = _page(cfg, name, figures, cards, costs, service, daily, queues, fc, bt, cal, requirements, roster, unfilled,
                 agents, meta, people, hol, weeks, week_all, act, mix)
    write_text(html, output_path(out, "report.html"))
    write_text(_roster_page(cfg, name, costs, people, hol, weekend, grids, legend, service.by_set is not None),
               output_path(out, "roster.html"))

    money_fmt = '#,##0.00 "' + re.sub(r'["\\]', "", cur) + '"'
    xlsx.write_workbook(
        output_path(out, "report.xlsx"),
        [("Weeks", weeks), ("Daily", daily), ("Cost by queue", queues), ("Cost by day type", cs["by_day_type"]),
         ("Cost by week", costs.by_week), ("Cost by team", costs.by_team), ("People", people_frame(people)),
         ("Holiday duty", duty_frame(roster, cal)), ("Roster grid", grid_frame(grids)), ("Roster", roster),
         ("Costs", costs.costs), ("Coverage", service.frame), ("Requirements", requirements), ("Unfilled", unfilled),
         *([("Forecast", fc["intervals"]), ("Forecast by hour", fc["hourly"]), ("Forecast totals", fc["totals"])]
           if fc["found"] else []),
         *([("Backtest", bt["table"])] if bt["found"] else []),
         *([("Skill mix", pd.DataFrame([{**r, "queue": "(all queues)" if r["is_total"] else r["queue"]}
                                        for r in mix["rows"]]).drop(columns=["is_total", *(
                                            ["expected_sl", "alone_sl"] if mix.get("by_set") else [])]))]
           if mix and "rows" in mix else []),
         *([("Skill sets", service.by_set)] if service.by_set is not None else []),
         *([("Actual by day", act["days"]), ("Actual by queue", act["queues"]), ("Actual by interval", act["intervals"])]
           if act else [])],
        _summary_rows(figures, cfg, name, costs, service, meta, money_fmt),
        money_fmt,
        cs["horizon_start"] if cs["days"] else pd.Timestamp("2000-01-01"),
        header=lambda c: header(c, cur),
    )
    return figures

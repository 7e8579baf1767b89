"""The planning chain: a forecast and the agents in, a costed, named roster out.

:func:`plan` runs the stages after the forecast, each a library call with one result type, data moving one
way::

    forecast -> requirements (wfm.staffing) -> ScheduleResult (wfm.scheduling) -> RosterResult (wfm.roster)
             -> CostResult (wfm.costs) and ServiceProjection (wfm.service)

and returns them all in a :class:`Plan`, with what the run has to say (``messages``). ``wfm run``, ``wfm
demo``, ``wfm whatif`` and the notebooks call it; :func:`wfm.runs.write_run` turns a Plan into a run folder
and :mod:`wfm.report` renders it. Nothing here reads or writes a user's files (the tables the cost and
service stages take are typed through a scratch copy, :func:`wfm.tables.run_tables`), and nothing knows
whether the per-queue work runs serially or on a Dask cluster (``backend``, :mod:`wfm.parallel`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import parallel
from .config import Config
from .errors import ConfigError
from .costs import CostResult, cost_roster, priced_requirement, summarise_costs
from .roster import RosterResult, build_roster
from .scheduling import ScheduleResult, schedule
from .service import ServiceProjection, project_service, report_patience
from .staffing import max_agents_notes, staffing_kwargs
from .tables import SKILL_SET_REQUIREMENTS, RunData, run_tables

STAGES = ("staffing", "schedule", "roster", "costs and report")


@dataclass(frozen=True)
class Plan:
    """Every stage's result of one plan.

    ``forecast``: the forecast planned for (wfm.forecast format); ``agents``: the agents rostered;
    ``requirements``: agents needed per queue and interval (wfm.staffing); ``staffing``: how they were sized
    (model, patience used, notes; summary.json ``staffing``); ``schedule``, ``roster``, ``costs``,
    ``service``: the later stages' results; ``tables``: the
    requirements, coverage, roster, unfilled shifts and agents typed as the run folder reads them back
    (:func:`wfm.tables.run_tables`: what the cost and service stages and the report take); ``patience``: the callers' patience the service projection used
    where the config gives none (summary.json ``service_projection``; None: all configured); ``messages``:
    sentences the run prints (capped head counts, unmet holiday coverage, unfilled shifts ...);
    ``skill_sets``: a plan by skill set's :class:`wfm.multiskill.SkillSetPlan` (None: planned by queue; its
    scheduler requirement is ``tables.skill_sets``)."""

    cfg: Config
    forecast: pd.DataFrame
    agents: pd.DataFrame
    requirements: pd.DataFrame
    staffing: dict
    schedule: ScheduleResult
    roster: RosterResult
    tables: RunData
    costs: CostResult
    service: ServiceProjection
    patience: dict | None
    messages: tuple[str, ...] = ()
    skill_sets: object = None

    def summary(self) -> dict:
        """The plan's part of summary.json: ``staffing``, ``service_projection`` (when estimated),
        ``schedule`` and ``roster``."""
        return {"staffing": self.staffing,
                **({"service_projection": self.patience} if self.patience else {}),
                "schedule": self.schedule.summary, "roster": self.roster.summary}


@dataclass(frozen=True)
class Start:
    """A finished plan to start from when re-planning (``wfm whatif``): its shifts (shifts.csv) seed the
    schedule's MIP starts (None: none). The roster is solved afresh: seeded with the base roster, the
    demo's +10% what-if rostered slower (22 s against 9 s) and with more overtime (64.5 h against 55 h)."""

    shifts: pd.DataFrame | None = None


def plan(forecast: pd.DataFrame, agents: pd.DataFrame, cfg: Config, *, history=None, ledger: pd.DataFrame | None = None,
         patience: dict | None = None, start: Start | None = None, backend=None, progress=None) -> Plan:
    """Plan a forecast: requirements, shifts, a named roster, its costs and the service it gives.

    ``forecast``: ``queue, interval_start, offered, aht_s`` [calls, s] per interval (wfm.forecast);
    ``agents``: the agents file (:func:`wfm.agents.load_agents`); ``history``: needed only for patience
    estimated from abandoned calls (``staffing.patience_s: estimate``, and the service projection where no
    patience is configured); ``ledger``: earlier holiday duty per agent; ``patience``: the projection's
    patience when there is no history to estimate it from (a re-plan uses its base run's); ``start``: an
    earlier plan's shifts as the schedule's MIP starts; ``backend``: :func:`wfm.parallel.open_backend` (None:
    serial); ``progress(stage)`` is called as each stage of :data:`STAGES` starts.
    Raises ConfigError / InputError naming what is wrong, SolverError when no schedule is found."""
    tell = progress or (lambda _stage: None)
    start = start or Start()

    tell("staffing")
    staffing: dict = {}
    req = parallel.requirements(forecast, cfg, backend=backend,
                                **staffing_kwargs(cfg, history, forecast, info=staffing))
    capped = max_agents_notes(req, cfg.staffing.max_agents)  # said on screen, not only in a CSV column
    if capped:
        staffing["messages"] = list(capped)

    set_plan, set_req, staff_agents, sched_agents = None, None, agents, agents
    if cfg.staffing.multiskill.plan == "skill_set":
        set_plan, set_req, staff_agents, sched_agents = _by_skill_set(req, agents, cfg, staffing, backend)

    tell("schedule")
    warm = {"start": start.shifts} if start.shifts is not None else {}  # the base run's shifts as a MIP start
    sched = schedule(req if set_req is None else set_req, cfg, agents=sched_agents, backend=backend, **warm)

    tell("roster")
    ros = build_roster(sched.shifts, staff_agents, cfg, ledger=ledger)

    tell("costs and report")
    if history is not None:
        patience = report_patience(history, cfg)
    meta = {"staffing": staffing, **({"service_projection": patience} if patience else {})}
    t = run_tables(req, sched.coverage, ros.roster, ros.unfilled, agents, skill_sets=set_req)
    per_day = cost_roster(t.roster, t.agents, cfg)  # first: its errors name the roster's bad cells
    service = project_service(t.requirements, t.coverage, t.roster, cfg, meta=meta, agents=t.agents,
                              skill_sets=t.skill_sets)
    costs = summarise_costs(per_day, priced_requirement(t.requirements, t.skill_sets), cfg,
                            handled_calls=service.horizon["handled"])
    said = ([*sum(set_plan.lines(SKILL_SET_REQUIREMENTS), []), *staffing["skill_sets"]["warnings"]]
            if set_plan is not None else [])
    messages = (*capped, *said, *sched.summary.get("messages", []), *ros.summary.get("messages", []))
    return Plan(cfg=cfg, forecast=forecast, agents=agents, requirements=req, staffing=staffing, schedule=sched,
                roster=ros, tables=t, costs=costs, service=service, patience=patience, messages=tuple(messages),
                skill_sets=set_plan)


def _by_skill_set(req: pd.DataFrame, agents: pd.DataFrame, cfg: Config, staffing: dict, backend):
    """A plan by skill set's staffing (:func:`wfm.multiskill.skill_set_plan` on the per-queue requirement),
    the scheduler's requirement per skill set, the agents as the roster takes them (each may work any set of
    her queues) and as the scheduler counts them (each in her own set: a set's shifts are limited by its own
    agents' head count and hours); the figures go into ``staffing['skill_sets']`` (summary.json)."""
    from .multiskill import agent_skill_sets, skill_set_plan
    from .multiskill.plan import set_schedule_requirements, skill_set_agents

    est = staffing.get("patience_s") if isinstance(staffing.get("patience_s"), dict) else {}
    try:
        sp = skill_set_plan(req, agents, cfg, patience={q: v for q, v in est.items() if isinstance(v, (int, float))},
                            backend=backend, cap_heads=True)
    except ValueError as err:
        raise ConfigError(f"staffing.multiskill.plan: skill_set: {err}") from None
    set_req = set_schedule_requirements(sp.by_set, req)
    queues = sorted(map(str, req["queue"].unique()))
    staff_agents, _ = skill_set_agents(agents, queues)
    sched_agents, _ = skill_set_agents(agents, queues, own_only=True)
    _, set_of = agent_skill_sets(agents, queues)
    shrink = float(cfg.staffing.total_shrinkage)
    idle = []
    for s in sp.sets:  # shrinkage is taken per set and rounded down: a set too small never reaches the phone
        ids = sorted(set_of[set_of == s.name].index)
        if ids and sp.max_staff[s.name] == 0:
            idle.append(f"skill set '{s.name}' ({len(ids)} agent{'' if len(ids) == 1 else 's'}: "
                        f"{', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}) has no agent on the phone after "
                        f"{shrink:.0%} shrinkage, so it is staffed with none and its agents take no calls in the "
                        "simulation; check the order of their queues in the agents file")
    staffing["skill_sets"] = {"plan": "skill_set", **{k: v for k, v in sp.summary.items()},
                              "sets": {s.name: list(s.queues) for s in sp.sets}, "warnings": idle}
    return sp, set_req, staff_agents, sched_agents

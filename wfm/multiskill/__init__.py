"""Multi-skill centres: queues answered by agents in skill sets under a routing policy.

* :func:`simulate_centre` simulates a day of such a centre (several queues, skill sets, priority or
  first-come-first-served routing, abandonment per queue, call-backs at peaks, staff per skill set changing
  at interval boundaries) and estimates every queue's service with confidence bounds.
* :func:`staff_interval` finds, for one interval, the least-cost head count per skill set that meets every
  queue's goal in that simulation, starting from what pooled Erlang allows; :func:`skill_set_requirements`
  does it for every interval of a per-queue requirement, :func:`skill_set_plan` with a config's goals and
  an agents file's skill sets and pay (``wfm staff --by-skill-set``).
* :func:`callback_whatif` counts the agents call-backs save at the peaks of a day at the same service.
* :func:`skill_mix_service` simulates a plan's roster with its agents' skill sets: per-queue service as
  the ACD would route the rostered agents.
* :func:`skill_sets_from_agents` reads the skill sets of an agents table.
"""

from .roster import SkillMixService, skill_mix_service
from .simulation import (CallBack, CentreSimResult, SkillSet, agent_skill_sets, simulate_centre,
                         skill_sets_from_agents)
from .staffing import (MAX_REPLICATIONS, CallBackWhatIf, IntervalStaffing, SkillSetPlan, callback_whatif, skill_set_plan, QueueGoal, erlang_requirement, interval_replications, shortfall,
                       simulate_interval, skill_set_requirements, staff_interval)

__all__ = ["SkillMixService", "skill_mix_service", "CallBack", "CentreSimResult", "SkillSet", "simulate_centre", "skill_sets_from_agents",
           "agent_skill_sets",
           "IntervalStaffing", "QueueGoal", "erlang_requirement", "skill_set_requirements", "staff_interval",
           "simulate_interval", "interval_replications", "shortfall", "CallBackWhatIf",
           "callback_whatif", "SkillSetPlan", "skill_set_plan", "MAX_REPLICATIONS"]

"""Rostering: assign named agents to the scheduled shifts.

Parts: :mod:`.shifts` (the shift list checked and as arrays), :mod:`.people` (the agents as arrays:
limits, eligibility, preferences), :mod:`.model` (the weekly MIP, built as arrays for :mod:`wfm.mip`),
:mod:`.greedy` (the greedy MIP start and the start-time swaps), :mod:`.results` (roster rows, unfilled
shifts, agent summary, holiday ledger and figures) and :mod:`.build` (:func:`build_roster`, the chain).
The agents file, availability, leave and the holiday ledger are read by :mod:`wfm.agents`.

Input: the shift frame from the scheduler (one row per distinct shift with its head count), the agent list
(skills, contract, weekly hours and days) and an optional holiday ledger. Output: who works which shift,
what could not be staffed, a per-agent summary and the updated holiday ledger.

Model (one MIP per ISO week, Monday to Sunday, solved in date order with HiGHS through :mod:`wfm.mip`; CBC
if HiGHS is missing):

* ``x[a, g]`` binary: agent ``a`` works shift group ``g`` (a row of the shift frame). Created only when the
  agent is skilled for the shift's queue, is ``night_ok`` or the shift does not touch the night window
  (``pay.night_start_h``-``pay.night_end_h``), holds the template's contract (``schedule.templates[].contract``
  unless ``any``) and can hold the shift at all (paid hours <= weekly maximum, rest after the agent's last
  shift of the previous week respected).
* ``u[g]`` >= 0 unfilled heads with ``sum_a x[a, g] + u[g] = count_g``. On public holidays (``is_holiday``
  of :func:`wfm.calendar.day_calendar`) ``u`` is split into the part inside ``ceil(holiday_min_share *
  count)`` (very expensive) and the rest (ordinary cost).
* Hard rules: one shift per agent per calendar day (by start date); no overlap and at least
  ``roster.min_rest_h`` between an agent's consecutive shifts; at most ``max_consecutive_days`` worked days
  in any ``max_consecutive_days + 1`` consecutive days (days worked in earlier weeks count); worked days per
  ISO week <= ``min(max_days_week, 7 - min_days_off_per_week)``; paid hours per ISO week <=
  ``max_hours_week``.
* Rest and overlap conflicts are written as cliques, not pairs: for shifts on day d and a later day d'
  (d' - d days is as far as a shift plus the rest can reach), shift g1 on d conflicts with g2 on d' iff
  ``start(g2) < end(g1) + min_rest_h``. For a threshold t, every g1 with ``end + rest > t`` conflicts with
  every g2 with ``start <= t``, so ``sum x[a, A_t] + sum x[a, B_t] <= 1`` is valid; thresholds at the
  starts on d', keeping only the maximal (A_t, B_t), cover every conflicting pair with a handful of rows
  per agent and day pair.
* Soft rule: paid hours per ISO week >= ``min_hours_week`` x the week's share of working days
  (:func:`wfm.calendar.week_working_share`: public days off on weekdays are paid days off, so National Day
  week owes 3/5 of the hours) x days_in_horizon / 7 for a partial week at either end of the horizon; the
  shortfall is penalised and reported.

Availability and leave (agents file) remove the ``x`` an agent cannot take. Soft goals (``roster.weights``):
shifts on preferred days off, weekend fairness (the same convex device as holidays, over weekend shifts in
the horizon) and hours over ``pay.weekly_overtime_after_h`` are priced in the MIP; stable and preferred
start times are improved after it by same-day block swaps between agents (:func:`wfm.roster.greedy.stabilise`), which change
no count the MIP optimised and break no rule.

Holiday fairness. Each agent's holiday duty is ``ledger count + holiday shifts assigned in this horizon so
far``, counted relative to the least-loaded agent that can work a holiday shift that week. The objective
(1) minimises the maximum of that total over the agents eligible for at least one holiday shift of the week
and (2) adds a small convex term: the j-th holiday shift given to an agent this week costs ``base + j``, so
the total of the term is about half the sum of squares of the agents' totals. With the number of holiday
shifts fixed by coverage, minimising the sum of squares is minimising the spread (variance): duty goes to
the agents with the fewest past holidays first and is spread evenly (max - min <= 1 where skills and rules
allow). Both terms are weighted far below coverage, and below contracted hours as long as ledger
differences stay under a few dozen holidays (see the weights below).

Solving one week: (1) the LP relaxation (at most a quarter of ``roster.time_limit_s``); (2) a greedy
roster guided by the LP values, seat by seat with every hard rule checked, then a one-swap repair of the
seats left empty and a rebalancing of contracted hours; it is handed to HiGHS as a MIP start, so a time
limit never returns less than it; (3) the MIP for the rest of the time limit with ``roster.mip_gap``. The LP's coverage cost is a lower bound on
the coverage cost of any roster, and it is passed to HiGHS as an objective offset, so that the relative gap
is measured against the cost still in play: on an understaffed week a 1% gap on the whole objective would
otherwise let hundreds of contracted hours go short.

Week-by-week decomposition is a heuristic: a choice made in one week (for example who works Sunday night)
is fixed when the next week is solved. Each week's status is reported honestly in ``summary['weeks']``:
``proven_optimal`` is HiGHS's model status Optimal (optimal within the gap
above), ``status`` is HiGHS's own model status (e.g. "Time limit reached"), with the objective, best bound,
the usual relative gap and the gap HiGHS stopped on.
"""

from __future__ import annotations

# Re-exported for callers of the old single-module wfm.roster; new code imports them from wfm.agents.
from ..agents import (AGENT_COLUMNS, CONTRACTS, LEDGER_COLUMNS, OPTIONAL_AGENT_COLUMNS, agents_from_frame,
                      check_skills, ledger_from_frame, load_agents, parse_availability, parse_days, parse_leave,
                      parse_start, read_ledger, shifts_allowed)
from .build import build_roster
from .results import ROSTER_COLUMNS, SUMMARY_COLUMNS, UNFILLED_COLUMNS, RosterResult
from .shifts import SHIFT_COLUMNS

__all__ = [
    "build_roster", "RosterResult", "ROSTER_COLUMNS", "SUMMARY_COLUMNS", "UNFILLED_COLUMNS", "SHIFT_COLUMNS",
    "AGENT_COLUMNS", "CONTRACTS", "LEDGER_COLUMNS", "OPTIONAL_AGENT_COLUMNS", "agents_from_frame", "check_skills",
    "ledger_from_frame", "load_agents", "parse_availability", "parse_days", "parse_leave", "parse_start",
    "read_ledger", "shifts_allowed",
]

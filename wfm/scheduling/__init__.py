"""Shift scheduling: choose how many agents start each shift variant each day (or, with tours, each weekly
tour) to cover the requirement.

* :func:`schedule` turns the staffing requirement (``queue, interval_start, scheduled_required``) into shifts
  (``shifts``: one row per variant used, with its agent ``count``, per tour with ``tour_id`` when tours are
  on) and coverage per interval (``coverage``), plus a ``summary`` of what the solver did and proved.
* :func:`solve_covering` is the integer covering core it builds on: ``min cost·x`` subject to
  ``A·x + under >= demand``, ``x`` integer >= 0. Without penalties it is the textbook shift-design model
  (Dantzig 1954), so the published benchmarks (Union Airways, cyclic call-center days) run on it directly.
* :func:`coverage_from_shifts` recomputes agents on the phone per interval from shift rows; the coverage
  reported by :func:`schedule` comes from it, not from the solver's variable values.

Model (one integer program per queue; agents are per queue at this stage)
-------------------------------------------------------------------------
Shift catalog per day ``d`` of the horizon (every day from the queue's first to last requirement day): for
each template, every start time on the ``schedule.start_step_min`` grid within ``[start_min_h, start_max_h]``;
for a template with a break, one *variant per break start*: offsets from the shift start on the
``break_step_min`` grid within ``[earliest_start_h, latest_start_h]``. Variables: integer ``x[v] >= 0``
(agents starting variant ``v``), continuous ``under[t] >= 0`` per interval with a requirement (and
``over[t] >= 0`` when ``over_penalty > 0``). Constraint per interval ``t``:
``sum_v a[t,v]·x[v] + under[t] (- over[t]) >= (=) scheduled_required[t]``, where ``a[t,v] = 1`` when
variant ``v`` is on the phone for the whole interval ``t`` (started, not ended, not on its break).

Why explicit break placement: with one variant per break start the coverage of each variant is exact, so
the solver's coverage is the coverage agents deliver, and a break can never land on a peak by accident.
The implicit alternative (Bechtold & Jacobs 1990: shift variables plus break variables linked by
forward/backward constraints) is smaller but only equivalent under extraordinary-overlap conditions and is
harder to read. The cost is size: the demo's FT9 has 48 starts x 5 break starts = 240 variants a day, about
1,900 integer variables a week with PT4, which HiGHS solves to a 1% gap in 2-6 s (bench/schedule_speed.py).

Objective, in *base paid hours* (a shift of 8 paid hours on a workday costs 8):
``sum_v cost(v)·x[v] + under_penalty·sum_t under[t] + over_penalty·sum_t over[t]``. The cost of a variant
follows the pay rules of :func:`wfm.costs.cost_roster`: each paid hour at the multiplier of the *calendar
date it falls on* (a night shift is split at midnight; the unpaid part of the shift is taken out of its
break from the break start): ``pay.holiday_multiplier`` on statutory holidays (day type 'holiday' in
:func:`wfm.calendar.day_calendar`), ``pay.rest_day_multiplier`` on rest days when ``pay.rest_days ==
'calendar'``, 1 otherwise; plus ``pay.night_premium`` per paid hour inside the night window. Penalties are
in the same unit, per agent-interval. Overtime premiums are not in the objective (overtime depends on who
works the shift, decided by the roster); :mod:`wfm.costs` prices them afterwards.

Limits (hard, as side constraints): with an agent list, the contract capacity below; per queue
(``schedule.queues.<q>`` overrides the section's values) ``min/max_part_time_share``: per ISO week,
``lo·sum paid_h·x <= sum_{part_time} paid_h·x <= hi·sum paid_h·x`` (paid hours, templates with
``contract: part_time`` against all); ``max_starts_per_interval``: per interval, the agents starting a shift
in it (all templates and break variants) <= the cap.

Weekly tours (``schedule.tours.enabled``). A tour is (ISO week, template, start time, days-worked pattern):
its agents work that template at that start on the pattern's days of the week. Patterns: every choice of
``days_on`` of the 7 weekdays, less the split ones (days off not in one block; Sunday and the next Monday
count as one block only with ``wrap_days_off``) when ``consecutive_days_off == 'required'``; with
'preferred' a split pattern costs ``split_days_off_penalty`` per agent. A week only partly inside the horizon
uses the patterns restricted to its days. Model, in two steps:

1. The restricted model: integer ``y[k]`` per tour *and break offset* (the tour's agents take their break
   at that offset every working day), a column covering every working day of the tour, cost = the pay of its
   shifts + the pattern penalty. It is a covering model like the daily one (same ``under``/``over`` rows,
   limits rewritten for the tour columns, and with an agent list one tour per agent and week), solved in
   rolling ISO-week windows (no look-ahead: the next week's mornings are covered by the next week's tours and
   whatever night shifts run into them). Templates not in ``tours.templates`` stay daily shift columns.
2. Breaks day by day: with the tours fixed, the number ``N[d, template, start]`` of agents working each day is
   fixed; the break offsets are chosen again per day (integer ``z[d, variant] >= 0``, ``sum z = N``), the
   same explicit break variants as the daily model. The step 1 solution is feasible here, so the cost never
   rises (it is kept when the solver finds nothing better).

Why not one model with per-day break variables linked to tour variables (``sum_b z[d,k,b] = sum_{p works d}
y[k,p]``)? It is exact, but with the equality links HiGHS had no usable schedule after 60 s on one week of the
bench's center (its only incumbent left nearly everything uncovered), while the restricted model is a plain covering model HiGHS and CBC handle well. The bound and
gap reported are those of the restricted model (step 1: the solver's bound, or its whole-horizon LP
relaxation in a rolling solve); as step 2 only lowers the cost the gap is conservative for that model. It is
*not* a bound for tours whose breaks move day by day (that LP lay 2.1 % lower on the demo's first sales week).
Small queues have a weak LP bound with tours (a 1-agent night needs two 5-day tours where the LP takes 1.4),
so the proven gap there is larger than the true one.

Infeasible input. Without hard holiday rows every limit is met by scheduling nothing, so the model is always
feasible; with them, when hard coverage is infeasible, the LP relaxation is solved with each group of limits
(contract capacity, part-time share, starts cap; and for tours, isolated daily shifts instead of tours)
left out in turn; the groups whose removal makes it feasible are named in the run's messages and in
``holiday_conflicts``, with the intervals left short. Contradictory settings (a minimum part-time share with
no part-time template or no part-time agent, min above max) are refused before solving with the key named.

Holidays. With ``schedule.holiday_hard_coverage`` the intervals on holidays (column ``is_holiday`` if the
requirement has it, else any day off in the public calendar of ``site.country``) have no ``under``
variable: they must be covered. If that is infeasible (a holiday requirement at an hour no allowed shift
covers), the model (the window, in a rolling solve) is solved again with those intervals penalised at
100 x ``under_penalty``, and the summary lists the holiday intervals left short and by how much.

Rolling windows. One model over a 4-week horizon is slow to close to a 1% gap (the demo's sales queue:
9,500 variables, 42-49 s with HiGHS on a 2-core machine), so horizons longer than a week are solved in rolling 7-day windows
(``window_days='auto'``; ``None`` forces one model): window ``w`` has the variants starting on its days and
the requirement of its days less the coverage of earlier shifts that run past midnight into them, plus a
look-ahead: the requirement and the variants of the first hours of the next day, as far as the window's
latest shift can reach (08:30 for the demo), so that night shifts at the end of a window are chosen knowing
the morning they run into. Then the variants of the window's own days are fixed. The demo's sales queue
then takes about 25 s (service 12 s) and costs no more (7,296 against 7,304 base paid hours; measured with
bench/schedule_speed.py; MIP times vary by instance). The bound
reported for a rolling solve is the LP relaxation of the whole-horizon model, a valid lower bound, so the
gap stays honest. ``schedule.time_limit_s`` is the budget of one queue, shared by its windows.

Horizon edges. No shift starts before the queue's first day, so requirements in the first hours of the
first day are covered only by shifts starting that day (a night shift of the previous evening is not
available; this is accepted). Shifts starting on the last day may run past the horizon end; the
intervals after it are simply not counted.

Solver: HiGHS (``schedule.solver``; the model goes to highspy as arrays through :func:`wfm.mip.solve_arrays`),
or CBC (bundled with PuLP) when asked or when HiGHS is unavailable or fails; the summary says which.
``proven_optimal`` is True only when the solver proved the optimum (best bound equal to the objective within
1e-6 relative); ``within_gap``: the solver stopped because the gap fell below ``mip_gap`` (not on a time
limit), and for a rolling solve: the gap to the whole-horizon LP bound is at most ``mip_gap``. The best
bound comes from HiGHS's ``mip_dual_bound`` or from CBC's log. Same input gives the same output (fixed
seeds, sorted catalog, one CBC thread) unless a time limit stops the search.

Layout of the package: :mod:`.catalog` (shift variants, pay split), :mod:`.coverage` (agents on the phone
from shift rows), :mod:`.covering` (the covering model and :func:`solve_covering`), :mod:`.capacity`
(contract capacity and the other limits as side constraints), :mod:`.solve` (rolling windows, holiday
fallback, one queue's solve), :mod:`.tours` (weekly tours), :mod:`.queue` (one queue's model and shift
rows), :mod:`.scheduler` (:func:`schedule`).
"""

from .capacity import contract_capacity
from .catalog import shift_catalog
from .coverage import coverage_from_roster, coverage_from_shifts
from .covering import CoveringResult, solve_covering
from .scheduler import COVERAGE_COLUMNS, SHIFT_COLUMNS, ScheduleResult, check_requirements, schedule
from .tours import tour_patterns

__all__ = [
    "SHIFT_COLUMNS", "COVERAGE_COLUMNS", "ScheduleResult", "CoveringResult", "schedule", "solve_covering",
    "shift_catalog", "coverage_from_shifts", "coverage_from_roster", "contract_capacity", "tour_patterns", "check_requirements",
]

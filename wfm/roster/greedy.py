"""Heuristics around the weekly MIP: the greedy start handed to the solver (:func:`greedy_week`) and the
start-time swaps after it (:func:`stabilise`). Both keep every hard rule."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .model import Week, WeekModel
from .people import AgentArrays
from .shifts import Shifts


@dataclass(frozen=True)
class WeekRules:
    """What the greedy needs to know of one week besides the shifts and agents: the shifts each agent
    may take, the days each worked in earlier weeks, the holiday duty before the week and the longest
    run of consecutive days."""

    week: Week
    by_agent: list
    worked_days: list
    hol_load: dict
    max_run: int

    @classmethod
    def of(cls, wk: Week, model: WeekModel, worked_days: list, max_run: int) -> "WeekRules":
        return cls(week=wk, by_agent=model.by_agent, worked_days=worked_days, hol_load=model.hol_load,
                   max_run=max_run)


class _Partial:
    """A partial assignment of one week, with the hard rules checked on each addition."""

    def __init__(self, sh: Shifts, ags: AgentArrays, rules: WeekRules):
        self.sh, self.ags, self.rules = sh, ags, rules
        self.taken: dict[int, list[int]] = defaultdict(list)  # agent -> shifts
        self.days: dict[int, set[int]] = defaultdict(set)
        self.hours = defaultdict(float)
        self.hol = dict(rules.hol_load)
        self.out: set[tuple[int, int]] = set()

    def fits(self, a: int, g: int) -> bool:
        sh = self.sh
        d = int(sh.day_idx[g])
        days = self.days[a]
        if (d in days or len(days) >= self.ags.max_days[a] or self.hours[a] + sh.paid[g] > self.ags.max_h[a] + 1e-9
                or (a, g) in self.out):
            return False
        st, en, rest = sh.start_t, sh.end_t, sh.rest_t
        for h in self.taken[a]:
            if st[g] >= st[h]:
                if st[g] < en[h] + rest:
                    return False
            elif st[h] < en[g] + rest:
                return False
        run, k = 1, d - 1
        while k in days or k in self.rules.worked_days[a]:
            run += 1
            k -= 1
        k = d + 1
        while k in days:
            run += 1
            k += 1
        return run <= self.rules.max_run

    def add(self, a: int, g: int) -> None:
        self.out.add((a, g))
        self.taken[a].append(g)
        self.days[a].add(int(self.sh.day_idx[g]))
        self.hours[a] += self.sh.paid[g]
        if self.sh.is_hol[g]:
            self.hol[a] = self.hol.get(a, 0) + 1

    def remove(self, a: int, g: int) -> None:
        self.out.discard((a, g))
        self.taken[a].remove(g)
        self.days[a].discard(int(self.sh.day_idx[g]))
        self.hours[a] -= self.sh.paid[g]
        if self.sh.is_hol[g]:
            self.hol[a] -= 1


def _fill_seats(p: _Partial, elig: dict, pref) -> list[int]:
    """Seat by seat: guaranteed holiday seats first, then the rest; within each, the seats with the
    fewest eligible agents first. Returns the seats left empty."""
    sh, rules = p.sh, p.rules
    wk = rules.week
    need = wk.need
    seats = []
    for g in wk.rows:
        g = int(g)
        for k in range(int(sh.count[g])):
            seats.append((0 if k < sh.req_hol[g] else 1, len(elig[g]), int(sh.start_t[g]), g))
    seats.sort()
    empty = []
    for seat in seats:
        g = seat[3]
        best, best_key = None, None
        for a in elig[g]:
            if not p.fits(a, g):
                continue
            key = (pref(a, g), p.hol.get(a, 0) if sh.is_hol[g] else 0, -(need[a] - p.hours[a]), p.hours[a], a)
            if best_key is None or key < best_key:
                best, best_key = a, key
        if best is None:
            empty.append(g)
        else:
            p.add(best, g)
    return empty


def _repair(p: _Partial, empty: list[int], elig: dict, pref) -> None:
    """An empty seat g goes to an agent a who gives one of her shifts h to another agent b."""
    for g in empty:
        moved = False
        for a in sorted(elig[g], key=lambda a: (pref(a, g), a)):
            if (a, g) in p.out:
                continue
            for h in list(p.taken[a]):
                p.remove(a, h)
                if p.fits(a, g):
                    for b in elig[h]:
                        if b != a and p.fits(b, h):
                            p.add(a, g)
                            p.add(b, h)
                            moved = True
                            break
                if moved:
                    break
                p.add(a, h)
            if moved:
                break


def _rebalance(p: _Partial, passes: int = 3) -> None:
    """An agent short of her weekly minimum takes a shift from an agent who stays at or above hers (or,
    failing that, whenever the two agents' total shortfall drops). Each move keeps every hard rule and
    the coverage; it gives the MIP a start whose hours are right."""
    need, paid, hours = p.rules.week.need, p.sh.paid, p.hours
    holders: dict[int, list[int]] = defaultdict(list)
    for a, g in p.out:
        holders[g].append(a)
    for _ in range(passes):
        moved_any = False
        short = sorted((a for a in range(len(p.rules.by_agent)) if need[a] - hours[a] > 1e-9),
                       key=lambda a: (hours[a] - need[a], a))
        for a in short:
            for g in sorted(p.rules.by_agent[a], key=lambda g: (int(p.sh.start_t[g]), g)):
                if need[a] - hours[a] <= 1e-9:
                    break
                if (a, g) in p.out:
                    continue
                for b in sorted(holders[g], key=lambda b: (need[b] - hours[b], b)):
                    before = max(0.0, need[a] - hours[a]) + max(0.0, need[b] - hours[b])
                    after = max(0.0, need[a] - hours[a] - paid[g]) + max(0.0, need[b] - hours[b] + paid[g])
                    if after >= before - 1e-9:
                        continue
                    p.remove(b, g)
                    if p.fits(a, g):
                        p.add(a, g)
                        holders[g].remove(b)
                        holders[g].append(a)
                        moved_any = True
                        break
                    p.add(b, g)
        if not moved_any:
            break


def greedy_week(sh: Shifts, ags: AgentArrays, rules: WeekRules, lp: dict | None = None,
                initial=None) -> set[tuple[int, int]]:
    """A feasible assignment ``{(agent, shift)}`` for one week, built seat by seat; handed to the solver
    as its MIP start so that a time limit never returns a roster worse than this. ``lp``: the LP
    relaxation's x values, preferred first. With ``initial`` (a feasible assignment, the MIP's), no seat is
    filled afresh: only the repair of empty seats and the rebalancing of hours run on it.

    Each seat goes to the eligible agent who can take it without breaking a hard rule and has the
    highest LP value, then (holiday) the least holiday duty, then the most contracted hours still
    missing, then the fewest hours, then the first in the agent list.
    """
    elig: dict[int, list[int]] = defaultdict(list)
    for a, gs in enumerate(rules.by_agent):
        for g in gs:
            elig[g].append(a)

    def pref(a: int, g: int) -> float:
        return -round(lp.get((a, g), 0.0), 3) if lp is not None else 0.0

    p = _Partial(sh, ags, rules)
    if initial is None:
        empty = _fill_seats(p, elig, pref)
    else:
        for a, g in sorted(initial):
            p.add(a, g)
        held = defaultdict(int)
        for _, g in initial:
            held[g] += 1
        empty = [int(g) for g in rules.week.rows for _ in range(int(sh.count[g]) - held[int(g)])]
    _repair(p, empty, elig, pref)
    _rebalance(p)
    return p.out


def _runs(days: list[int]) -> list[list[int]]:
    """Consecutive runs of sorted day numbers."""
    runs, cur = [], [days[0]]
    for d in days[1:]:
        if d == cur[-1] + 1:
            cur.append(d)
        else:
            runs.append(cur)
            cur = [d]
    runs.append(cur)
    return runs


def stabilise(pairs, x, pref: list, sh: Shifts, w_stable: float,
              max_passes: int = 4) -> tuple[list[tuple[int, int]], int]:
    """Swap the shifts of two agents over a block of consecutive days on which both work, where that
    lowers their soft cost: ``w_stable`` per shift not at the agent's most common start time of the week,
    plus their preference costs (``pref``, per agent an array over the shifts or None). Blocks, not single
    days: moving from a late to an early start mid-week breaks the rest rule, so the swap that makes two
    agents' weeks stable is often "from Wednesday on". A swap is made only where each agent may hold the
    other's shifts (``(agent, shift)`` in ``x``, the week's variables: skills, contract, night,
    availability, leave, rest after last week), the paid hours of each day are equal, and the rest and
    overlap rules hold inside the new weeks; so coverage, hours, days worked, holiday and weekend counts
    are unchanged and every hard rule still holds. Returns the pairs and the number of swaps."""
    if not pairs or (w_stable <= 0 and all(p is None for p in pref)):
        return pairs, 0
    day_idx, paid, start_t, end_t, rest_t = sh.day_idx, sh.paid, sh.start_t, sh.end_t, sh.rest_t
    of: dict[int, dict[int, int]] = defaultdict(dict)  # agent -> day -> shift
    for a, g in pairs:
        of[a][int(day_idx[g])] = g
    sk = sh.start_key.tolist()
    prefs = {a: pref[a].tolist() for a in of if pref[a] is not None}

    def cost(a: int, week: dict[int, int]) -> float:
        gs = week.values()
        # shifts away from the agent's most common start time: zero exactly when the week has one start
        # time, and (unlike a count of distinct start times) lowered by each swap towards it
        counts: dict[int, int] = {}
        for g in gs:
            counts[sk[g]] = counts.get(sk[g], 0) + 1
        c = w_stable * (len(week) - max(counts.values(), default=0))
        p = prefs.get(a)
        return c + sum(p[g] for g in gs) if p is not None else c

    def rest_ok(week: dict[int, int]) -> bool:
        gs = [week[d] for d in sorted(week)]
        return all(start_t[g2] >= end_t[g1] + rest_t for g1, g2 in zip(gs, gs[1:]))

    def best_swap(a: int, b: int):
        common = sorted(set(of[a]) & set(of[b]))
        ok = [d for d in common if (a, of[b][d]) in x and (b, of[a][d]) in x
              and abs(paid[of[a][d]] - paid[of[b][d]]) < 1e-9]
        if not ok:
            return None
        base = cur[a] + cur[b]
        best = None
        for run in _runs(ok):
            for s_i in range(len(run)):
                for e_i in range(s_i, len(run)):
                    block = run[s_i:e_i + 1]
                    if a not in prefs and b not in prefs and all(sk[of[a][d]] == sk[of[b][d]] for d in block):
                        continue
                    na, nb = dict(of[a]), dict(of[b])
                    for d in block:
                        na[d], nb[d] = of[b][d], of[a][d]
                    gain = base - cost(a, na) - cost(b, nb)
                    if gain > 1e-9 and (best is None or gain > best[0] + 1e-12) and rest_ok(na) and rest_ok(nb):
                        best = (gain, na, nb)
        return best

    agents = sorted(of)
    cur = {a: cost(a, of[a]) for a in agents}  # each agent's soft cost now, kept up to date by the swaps
    swaps = 0
    for _ in range(max_passes):
        improved = False
        for i, a in enumerate(agents):
            for b in agents[i + 1:]:
                if cur[a] + cur[b] <= 1e-9:  # the weights are >= 0: no swap lowers a cost that is 0
                    continue
                best = best_swap(a, b)
                if best is not None:
                    of[a], of[b] = best[1], best[2]
                    cur[a], cur[b] = cost(a, of[a]), cost(b, of[b])
                    swaps += 1
                    improved = True
        if not improved:
            break
    return sorted((a, g) for a, week in of.items() for g in week.values()), swaps

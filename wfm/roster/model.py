"""The weekly roster MIP (see the package docstring), built as arrays and solved with :mod:`wfm.mip`.

Columns are ordered by their names (``x_{agent}_{shift}``, ``u_{shift}``, ...) and rows in the order they
are written, so the model HiGHS sees, and the roster it returns, do not depend on how it was built.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from .people import AgentArrays
from .shifts import Shifts

# --- Objective weights (all per unit named; the ratios are what matter) --------------------------------
# An empty seat on a public holiday (within holiday_min_share) costs more than anything else the model can
# trade against it: 100x an ordinary empty seat, so no combination of ordinary coverage, hours or fairness
# gains in one week can pay for leaving a guaranteed holiday seat empty.
W_HOLIDAY_UNFILLED_PER_H = 10_000.0
# An ordinary empty seat, per paid hour of the shift (so a long shift weighs more than a short one): 10x a
# contracted hour short, so coverage always comes before topping up an agent's hours.
W_UNFILLED_PER_H = 100.0
# One hour below an agent's contracted weekly minimum. A shift's worth (40-80 for 4-8 h) outweighs moving one
# holiday shift between agents (W_HOL_MAX + W_HOL_SPREAD * their load difference) unless the loads differ
# by several dozen holidays, so fairness does not cost contracted hours.
W_SHORTFALL_PER_H = 10.0
# One unit of the maximum holiday duty among eligible agents (ledger + this horizon): the main fairness term.
W_HOL_MAX = 3.0
# The convex spread term: the j-th holiday shift of an agent with base load b costs W_HOL_SPREAD * (b + j).
# Small, so it breaks ties left by the max term (who among the less-loaded agents takes the duty).
W_HOL_SPREAD = 1.0
# Among agents with equal holiday counts, the one who worked the most recent holiday pays this per holiday
# shift (scaled by recency in [0, 1]): below every other holiday term, it only breaks ties.
W_HOL_RECENT = 0.5

_INF = np.inf


@dataclass(frozen=True)
class Week:
    """One ISO week of the horizon: its shift rows, first day (days since the epoch), days inside the
    horizon and each agent's hours owed (contracted minimum x working share) [h]."""

    index: int
    start: pd.Timestamp
    rows: np.ndarray
    day0: int
    days_in: int
    need: np.ndarray


@dataclass
class Carry:
    """What one week leaves to the next (mutable on purpose: it is the state of the week-by-week loop).
    Times in seconds and days since the epoch."""

    last_end: np.ndarray
    worked_days: list
    hol_so_far: np.ndarray  # holiday shifts in this horizon so far
    wkd_so_far: np.ndarray  # weekend shifts in this horizon so far
    shortfall: np.ndarray  # contracted hours short [h]
    assigned: list = field(default_factory=list)  # (agent, shift)

    @classmethod
    def empty(cls, n_a: int) -> "Carry":
        return cls(last_end=np.full(n_a, np.iinfo(np.int64).min // 4, dtype=np.int64),
                   worked_days=[set() for _ in range(n_a)], hol_so_far=np.zeros(n_a, dtype=np.int64),
                   wkd_so_far=np.zeros(n_a, dtype=np.int64), shortfall=np.zeros(n_a, dtype=float))


@dataclass(frozen=True)
class WeekModel:
    """The week's MIP as arrays (``min c.x``, ``row_lo <= A.x <= row_hi``, column bounds, integrality),
    with ``x[(agent, shift)]`` the column of each assignment variable, ``by_agent`` the shifts each agent
    may take, ``cover_cost`` the objective of the empty-seat columns (for the LP bound) and ``hol_load``
    each agent's holiday duty before this week (ledger + earlier weeks)."""

    c: np.ndarray
    A: sparse.csc_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integer: np.ndarray
    x: dict
    by_agent: list
    cover_cols: np.ndarray
    cover_cost: np.ndarray
    hol_load: dict

    @property
    def n_vars(self) -> int:
        return len(self.c)

    @property
    def n_cons(self) -> int:
        return len(self.row_lo)


class _Builder:
    """Columns and rows as they are written; :meth:`done` orders the columns by name."""

    def __init__(self):
        self.names, self.lo, self.hi, self.int_, self.obj = [], [], [], [], []
        self.r_idx, self.c_idx, self.val, self.r_lo, self.r_hi = [], [], [], [], []

    def col(self, name: str, lo=None, hi=None, integer: bool = False) -> int:
        self.names.append(name)
        self.lo.append(-_INF if lo is None else float(lo))
        self.hi.append(_INF if hi is None else float(hi))
        self.int_.append(integer)
        self.obj.append(0.0)
        return len(self.names) - 1

    def cost(self, j: int, w: float) -> None:
        self.obj[j] += w  # summed in the order written, so the float sums do not depend on the build

    def row(self, terms, lo=None, hi=None) -> None:
        i = len(self.r_lo)
        for j, a in terms:
            if a != 0:
                self.r_idx.append(i)
                self.c_idx.append(j)
                self.val.append(float(a))
        self.r_lo.append(-_INF if lo is None else float(lo))
        self.r_hi.append(_INF if hi is None else float(hi))

    def done(self) -> tuple:
        order = sorted(range(len(self.names)), key=self.names.__getitem__)
        pos = np.empty(len(order), dtype=np.int64)
        pos[order] = np.arange(len(order))
        n = len(order)
        A = sparse.csc_matrix((np.array(self.val, dtype=float), (np.array(self.r_idx, dtype=np.int64),
                               pos[np.array(self.c_idx, dtype=np.int64)] if self.c_idx else np.zeros(0, np.int64))),
                              shape=(len(self.r_lo), n))
        A.sort_indices()
        take = np.array(order, dtype=np.int64)
        arr = [np.array(v)[take] if n else np.zeros(0) for v in (self.obj, self.lo, self.hi)]
        integer = np.array(self.int_, dtype=bool)[take] if n else np.zeros(0, bool)
        return arr[0], A, np.array(self.r_lo), np.array(self.r_hi), arr[1], arr[2], integer, pos


def class_cliques(sh: Shifts, ags: AgentArrays, w_set: np.ndarray) -> dict:
    """Per class of agents, the week's rest and overlap cliques (see :func:`cliques`)."""
    ends_rest = sh.end_t + sh.rest_t
    out: dict[tuple, list] = {}
    for key, m in ags.class_mask.items():
        per_day: dict[int, list[int]] = defaultdict(list)
        for g in np.flatnonzero(m & w_set):
            per_day[int(sh.day_idx[g])].append(int(g))
        cl = []
        for d1 in sorted(per_day):
            for k in range(1, sh.reach + 1):
                if d1 + k in per_day:
                    cl.extend(cliques(sh.start_t, ends_rest, per_day[d1], per_day[d1 + k]))
        out[key] = cl
    return out


def cliques(starts: np.ndarray, ends_rest: np.ndarray, day1: list[int], day2: list[int]) -> list[tuple[list[int], list[int]]]:
    """Maximal conflict cliques between shifts of an earlier day (``day1``) and a later day (``day2``).

    ``starts``/``ends_rest`` are seconds; g1 conflicts with g2 iff ``starts[g2] < ends_rest[g1]``.
    """
    if not day1 or not day2:
        return []
    d2 = sorted(day2, key=lambda g: (starts[g], g))
    thresholds = sorted({int(starts[g]) for g in d2})
    sets = [(t, tuple(g for g in day1 if ends_rest[g] > t)) for t in thresholds]
    out = []
    for i, (t, a) in enumerate(sets):
        if not a:
            continue
        if i + 1 < len(sets) and sets[i + 1][1] == a:
            continue  # the next threshold has the same A and a larger B
        out.append((list(a), [g for g in d2 if starts[g] <= t]))
    return out


def _assignment_columns(b: _Builder, sh: Shifts, ags: AgentArrays, wk: Week, carry: Carry, w_set) -> tuple:
    """The x columns: agent a may work shift g (skills, contract, night, availability, leave, paid hours
    within her weekly maximum, rest after her last shift of the previous week)."""
    x: dict[tuple[int, int], int] = {}
    by_agent: list[list[int]] = [[] for _ in range(ags.n)]
    by_shift: dict[int, list[int]] = defaultdict(list)
    for a in range(ags.n):
        if ags.max_days[a] <= 0:
            continue
        m = (ags.class_mask[ags.cls[a]] & w_set & (sh.paid <= ags.max_h[a] + 1e-9)
             & (sh.start_t >= carry.last_end[a] + sh.rest_t))
        if ags.allowed[a] is not None:
            m &= ags.allowed[a]
        for g in np.flatnonzero(m):
            g = int(g)
            x[(a, g)] = j = b.col(f"x_{a}_{g}", 0, 1, integer=True)
            by_agent[a].append(g)
            by_shift[g].append(j)
    return x, by_agent, by_shift


def _coverage_rows(b: _Builder, sh: Shifts, wk: Week, by_shift) -> tuple[list, list]:
    """sum_a x[a, g] + u[g] (+ uh[g] on holidays) = count[g]; returns the empty-seat columns and costs."""
    cols, costs = [], []
    for g in wk.rows:
        g = int(g)
        n, req = int(sh.count[g]), int(sh.req_hol[g])
        u = b.col(f"u_{g}", 0, n - req if req > 0 else n)
        terms = [(j, 1) for j in by_shift.get(g, [])] + [(u, 1)]
        cols.append(u)
        costs.append(W_UNFILLED_PER_H * sh.paid[g])
        if req > 0:
            uh = b.col(f"uh_{g}", 0, req)
            terms.append((uh, 1))
            cols.append(uh)
            costs.append(W_HOLIDAY_UNFILLED_PER_H * sh.paid[g])
        b.row(terms, n, n)
    for j, w in zip(cols, costs):
        b.cost(j, w)
    return cols, costs


def _fairness_columns(b: _Builder, a: int, xs: list, n_days: int, weight: float, rel: int, name: str) -> None:
    """Convex count term: z_1..z_n in [0, 1] with sum z = sum xs; z_j costs weight * (rel + j)."""
    zs = []
    for j in range(1, n_days + 1):
        z = b.col(f"{name}_{a}_{j}", 0, 1)
        b.cost(z, weight * (rel + j))
        zs.append((z, 1))
    b.row(zs + [(v, -1) for v in xs], 0, 0)


def _agent_rows(b: _Builder, a: int, gs: list, x: dict, sh: Shifts, ags: AgentArrays, wk: Week, carry: Carry,
                cfg, cl: list, wkd_rel: int, ahead: tuple | None = None) -> None:
    """Agent a's hours, soft goals, one shift a day, days per week, rest and consecutive days.
    ``ahead``: (days the agent must work next week, the days she can, paid hours of one such day) or None."""
    wts, M = cfg.roster.weights, int(cfg.roster.max_consecutive_days)
    paid, day_idx = sh.paid, sh.day_idx
    per_day: dict[int, list[int]] = defaultdict(list)
    for g in gs:
        per_day[int(day_idx[g])].append(g)
    hours = [(x[(a, g)], paid[g]) for g in gs]
    if sum(paid[g] for g in gs) > ags.max_h[a] + 1e-9:
        b.row(hours, None, float(ags.max_h[a]))
    need = wk.need[a]
    if need > 1e-9:
        sf = b.col(f"short_{a}", 0)
        b.cost(sf, W_SHORTFALL_PER_H)
        b.row(hours + [(sf, 1)], float(need), None)
    if ags.day_pref[a] is not None:
        for g in gs:
            if ags.day_pref[a][g] > 0:
                b.cost(x[(a, g)], float(ags.day_pref[a][g]))
    ot_after = cfg.pay.weekly_overtime_after_h
    if ot_after is not None and wts.overtime_per_h > 0:
        limit_ot = float(ot_after) * wk.days_in / 7.0
        if min(ags.max_h[a], sum(paid[g] for g in gs)) > limit_ot + 1e-9:
            ov = b.col(f"ot_{a}", 0)
            b.cost(ov, float(wts.overtime_per_h))
            b.row(hours + [(ov, -1)], None, limit_ot)
    wg = [g for g in gs if sh.weekend[g]]
    if wg and wts.weekend_fairness > 0:
        _fairness_columns(b, a, [x[(a, g)] for g in wg], len({int(day_idx[g]) for g in wg}),
                          float(wts.weekend_fairness), wkd_rel, "wz")
    for lst in per_day.values():
        if len(lst) > 1:
            b.row([(x[(a, g)], 1) for g in lst], None, 1)
    if len(per_day) > ags.max_days[a]:
        b.row([(x[(a, g)], 1) for g in gs], None, int(ags.max_days[a]))
    have = set(gs)
    for A, B in cl:
        aa = [g for g in A if g in have]
        bb = [g for g in B if g in have]
        if aa and bb:
            b.row([(x[(a, g)], 1) for g in aa + bb], None, 1)
    # consecutive days: windows [st, st + M] ending inside this week (days of earlier weeks count) and,
    # with a look-ahead, windows reaching into the next week, whose days the agent cannot avoid working
    # there to meet next week's contracted hours count as worked (soft: giving one up costs its hours).
    need_days, avail_next, h_day = ahead if ahead is not None else (0, frozenset(), 0.0)
    slack = None
    for st in range(wk.day0 - M, wk.day0 + 7 - (M if not need_days else 0)):
        window = range(st, st + M + 1)
        fixed = sum(1 for d in window if d < wk.day0 and d in carry.worked_days[a])
        var_days = [d for d in window if wk.day0 <= d < wk.day0 + 7 and d in per_day]
        forced = max(0, need_days - sum(1 for d in avail_next if d not in window))
        if fixed + forced + len(var_days) > M and var_days:
            terms = [(x[(a, g)], 1) for d in var_days for g in per_day[d]]
            if forced:
                if slack is None:
                    slack = b.col(f"ahead_{a}", 0, need_days)
                    b.cost(slack, W_SHORTFALL_PER_H * h_day)
                terms.append((slack, -1))
            b.row(terms, None, max(0, M - fixed - forced))


def later_holiday_days(ags: AgentArrays, a: int, sh: Shifts, later: np.ndarray) -> int:
    """How many distinct days of the shifts ``later`` (a mask) agent a could work (skills, contract,
    availability, leave, weekly maximum); 0 if none."""
    m = later & ags.class_mask[ags.cls[a]] & (sh.paid <= ags.max_h[a] + 1e-9)
    if ags.allowed[a] is not None:
        m &= ags.allowed[a]
    return len(np.unique(sh.day_idx[m])) if m.any() else 0


def _holiday_rows(b: _Builder, x: dict, by_agent: list, sh: Shifts, ags: AgentArrays, wk: Week,
                  hol_load: dict) -> None:
    """Holiday fairness: the maximum duty among eligible agents, the convex spread and the recency
    tie-break (see the package docstring)."""
    hol_rows = [int(g) for g in wk.rows if sh.is_hol[g]]
    eligible = [a for a in range(ags.n) if any(sh.is_hol[g] for g in by_agent[a])]
    if not hol_rows or not eligible:
        return
    b0 = min(hol_load[a] for a in eligible)
    hmax = b.col("hol_max", 0)
    b.cost(hmax, W_HOL_MAX)
    hol_days = {a: len({int(sh.day_idx[g]) for g in by_agent[a] if sh.is_hol[g]}) for a in eligible}
    # The spread is max - min: the lack of the least-loaded agent below ``top`` (a duty no agent can
    # exceed) is priced like the maximum, so raising the minimum pays as much as lowering the maximum.
    # An agent's final duty is at most her load + this week's + the holiday days she can still work in
    # later weeks: the agents with no later chance are the ones the minimum must be lifted for now.
    later = sh.is_hol & (sh.day_idx >= wk.day0 + 7)
    fut = {a: later_holiday_days(ags, a, sh, later) for a in eligible}
    top = max(hol_load[a] - b0 + hol_days[a] + fut[a] for a in eligible)
    lack = b.col("hol_lack", 0)
    b.cost(lack, W_HOL_MAX)
    for a in eligible:
        hg = [g for g in by_agent[a] if sh.is_hol[g]]
        y = [(x[(a, g)], 1) for g in hg]
        rel = hol_load[a] - b0
        b.row(y + [(hmax, -1)], None, -rel)
        b.row(y + [(lack, 1)], top - rel - fut[a], None)
        if ags.recency[a] > 0:
            for g in hg:
                b.cost(x[(a, g)], W_HOL_RECENT * float(ags.recency[a]))
        _fairness_columns(b, a, [j for j, _ in y], len({int(sh.day_idx[g]) for g in hg}), W_HOL_SPREAD, rel, "hz")


def look_ahead(sh: Shifts, ags: AgentArrays, nxt: Week | None) -> list:
    """Per agent, what the next week ``nxt`` asks of her: (days she must work to meet its contracted
    hours with her longest shift, the days she can work, that shift's paid hours [h]) or None."""
    out: list = [None] * ags.n
    if nxt is None:
        return out
    n_set = np.zeros(sh.n, dtype=bool)
    n_set[nxt.rows] = True
    for a in range(ags.n):
        if nxt.need[a] <= 1e-9 or ags.max_days[a] <= 0:
            continue
        m = ags.class_mask[ags.cls[a]] & n_set & (sh.paid <= ags.max_h[a] + 1e-9)
        if ags.allowed[a] is not None:
            m &= ags.allowed[a]
        gs = np.flatnonzero(m)
        if not len(gs):
            continue
        h_day = float(sh.paid[gs].max())
        days = frozenset(int(d) for d in sh.day_idx[gs])
        k = min(int(np.ceil(nxt.need[a] / h_day - 1e-9)), int(ags.max_days[a]), len(days))
        if k > 0:
            out[a] = (k, days, h_day)
    return out


def build_week_model(sh: Shifts, ags: AgentArrays, wk: Week, carry: Carry, cfg,
                     nxt: Week | None = None) -> WeekModel:
    """The MIP of one ISO week given what earlier weeks left (``carry``) and, if given, the next week
    ``nxt`` (see :func:`look_ahead`)."""
    w_set = np.zeros(sh.n, dtype=bool)
    w_set[wk.rows] = True
    ahead = look_ahead(sh, ags, nxt)
    cl = class_cliques(sh, ags, w_set)
    b = _Builder()
    x, by_agent, by_shift = _assignment_columns(b, sh, ags, wk, carry, w_set)
    cover_cols, cover_cost = _coverage_rows(b, sh, wk, by_shift)
    wkd_agents = [a for a in range(ags.n) if any(sh.weekend[g] for g in by_agent[a])]
    w0 = min((int(carry.wkd_so_far[a]) for a in wkd_agents), default=0)
    for a in range(ags.n):
        if by_agent[a]:
            rel = int(carry.wkd_so_far[a]) - w0 if a in wkd_agents else 0
            _agent_rows(b, a, by_agent[a], x, sh, ags, wk, carry, cfg, cl[ags.cls[a]], rel, ahead[a])
    hol_load = {a: int(ags.base_hol[a] + carry.hol_so_far[a]) for a in range(ags.n)}
    _holiday_rows(b, x, by_agent, sh, ags, wk, hol_load)
    c, A, r_lo, r_hi, c_lo, c_hi, integer, pos = b.done()
    return WeekModel(c=c, A=A, row_lo=r_lo, row_hi=r_hi, col_lo=c_lo, col_hi=c_hi, integer=integer,
                     x={k: int(pos[j]) for k, j in x.items()}, by_agent=by_agent,
                     cover_cols=pos[np.array(cover_cols, dtype=np.int64)] if cover_cols else np.zeros(0, np.int64),
                     cover_cost=np.array(cover_cost, dtype=float), hol_load=hol_load)

"""Weekly tours: days-worked patterns, the restricted tour model (one column per tour and break offset), the
day-by-day break placement once tours are fixed, and the split of each day's shifts among the tours."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.sparse import csc_matrix, csr_matrix, hstack

from .. import mip
from ..errors import SolverError
from .covering import OPT_TOL, SideConstraint, covering, schedule_objective
from .solve import QueueModel, QueueSolution, solve_queue

__all__ = ["WEEKDAYS", "TourModel", "tour_patterns", "tour_model", "tour_label", "split_tours", "solve_tours"]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _one_block(off: list[int], wrap: bool) -> bool:
    """True when the weekdays ``off`` (0 = Monday) form one run; with ``wrap`` Sunday runs into Monday."""
    if len(off) <= 1 or len(off) == 7:
        return True
    if not wrap:
        return off == list(range(off[0], off[0] + len(off)))
    return sum(1 for i in off if (i - 1) % 7 not in off) == 1


def tour_patterns(days_on: int, consecutive: str = "required", wrap: bool = False) -> list[tuple[int, bool]]:
    """Days-off patterns of a weekly tour: ``(mask, split)`` with bit i of ``mask`` set when weekday i
    (0 = Monday) is worked, exactly ``days_on`` bits set; ``split`` is True when the days off are not one
    block. ``consecutive``: 'required' (split patterns left out), 'preferred' or 'no' (all patterns)."""
    out = []
    for mask in range(128):
        if bin(mask).count("1") != days_on:
            continue
        split = not _one_block([i for i in range(7) if not mask >> i & 1], wrap)
        if split and consecutive == "required":
            continue
        out.append((mask, split))
    return out


@dataclass(frozen=True, eq=False)
class TourModel:
    """The tours of one queue: ``meta``, one row per tour (ISO ``week``, ``first_day`` of that week in the
    horizon, ``template``, ``start_min``, days-worked ``mask``, ``split`` days off, ``cost``: the split-days-off
    penalty); ``key_cols``: catalog rows of each (template, start) worked as tours, in break order;
    ``weekday`` per horizon day; ``week_days``: horizon days per week."""

    meta: pd.DataFrame
    key_cols: dict
    weekday: np.ndarray
    week_days: dict


def tour_model(catalog: pd.DataFrame, days, tc) -> TourModel:
    """The tours of one queue over ``days`` (module docstring of :mod:`wfm.scheduling`, "Weekly tours")."""
    names = set(tc.templates) if tc.templates else set(catalog["template"])
    cat_t = catalog["template"].to_numpy()
    cat_s = catalog["start_min"].to_numpy(np.int64)
    key_cols: dict[tuple[str, int], list] = {}
    for c in range(len(catalog)):
        if cat_t[c] in names:
            key_cols.setdefault((cat_t[c], int(cat_s[c])), []).append(c)
    keys = sorted(key_cols)
    key_cols = {k: np.asarray(key_cols[k], dtype=np.int64) for k in keys}
    patterns = tour_patterns(tc.days_on, tc.consecutive_days_off, tc.wrap_days_off)
    penalised = tc.consecutive_days_off == "preferred"
    iso = [d.isocalendar() for d in days]
    week_of_day = [f"{y}-W{w:02d}" for y, w, _ in iso]
    weekday = np.array([d.day_of_week for d in days])
    meta, week_days = [], {}
    for wk in dict.fromkeys(week_of_day):
        wd = [d for d in range(len(days)) if week_of_day[d] == wk]
        week_days[wk] = wd
        in_mask = sum(1 << int(weekday[d]) for d in wd)
        # Patterns restricted to the week's days inside the horizon (a partial week at either end).
        restricted: dict[int, bool] = {}
        for mask, split in patterns:
            r = mask & in_mask
            if r:
                restricted[r] = restricted.get(r, True) and split
        for key in keys:
            for r in sorted(restricted):
                split = restricted[r]
                meta.append((wk, wd[0], key[0], key[1], r, split, float(tc.split_days_off_penalty) if split and penalised else 0.0))
    meta = pd.DataFrame(meta, columns=["week", "first_day", "template", "start_min", "mask", "split", "cost"])
    return TourModel(meta=meta, key_cols=key_cols, weekday=weekday, week_days=week_days)


def split_tours(x_z, x_y, tm: TourModel, per_day: int) -> list[tuple[int, int, int]]:
    """Share each day's shifts of a (template, start) among the tours working that day: ``(shift column,
    tour, agents)``. The day's shifts number exactly the agents of the tours working it (the break placement
    keeps that sum); break variants are handed out in break order, tours in pattern order, so the split is
    deterministic."""
    meta, weekday = tm.meta, tm.weekday
    out = []
    for (wk, t, s0), g in meta.groupby(["week", "template", "start_min"], sort=False):
        tours = [(int(i), int(x_y[i]), int(m)) for i, m in zip(g.index, g["mask"]) if x_y[i] > 0]
        if not tours:
            continue
        for d in tm.week_days[wk]:
            zc = [int(d * per_day + c) for c in tm.key_cols[(t, int(s0))]]
            left = {c: int(x_z[c]) for c in zc if x_z[c] > 0}
            for i, n, m in tours:
                if not (m >> int(weekday[d]) & 1):
                    continue
                for c in zc:
                    if n == 0:
                        break
                    take = min(n, left.get(c, 0))
                    if take:
                        out.append((c, i, take))
                        left[c] -= take
                        n -= take
                if n:
                    raise SolverError(f"tour {wk} {t} at {s0 // 60:02d}:{s0 % 60:02d} has {n} agents without a shift on day {d + 1}")
            if any(v for v in left.values()):
                raise SolverError(f"shifts of {t} at {s0 // 60:02d}:{s0 % 60:02d} on day {d + 1} are in no tour")
    return out


def tour_label(mask: int, weekdays_in: list[int]) -> str:
    """'off-Sat-Sun' style label of a days-worked ``mask`` over the weekdays in the horizon."""
    off = [WEEKDAYS[w] for w in weekdays_in if not mask >> w & 1]
    return "off-" + ("-".join(off) if off else "none")


def _tour_capacity(cap, queue, contract_of, week_of, offset: int) -> list:
    """Per ISO week and contract: tours (agents) <= the agents holding that contract (one tour each).
    ``contract_of`` / ``week_of``: per tour column; the columns are numbered from ``offset``."""
    out = []
    for contract in ("full_time", "part_time"):
        for wk in dict.fromkeys(week_of):
            cols = np.flatnonzero((contract_of == contract) & (week_of == wk))
            if len(cols):
                n = cap.get((queue, contract), {"agents": 0})["agents"]
                out.append(SideConstraint(cols + offset, np.ones(len(cols)), float(n), "<=", "capacity"))
    return out


def _restricted_tours(tm: TourModel, per_day: int, n_z: int):
    """Columns of the restricted tour model, one per tour and break offset (a tour keeps its break offset
    all week): ``M`` (shift columns x restricted columns, 1 where the column works that shift) and
    ``link_of`` (the tour of each restricted column)."""
    meta, weekday = tm.meta, tm.weekday
    rows, cols, link_of = [], [], []
    for j, (wk, t, s0, mask) in enumerate(zip(meta["week"], meta["template"], meta["start_min"], meta["mask"])):
        work = [d for d in tm.week_days[wk] if mask >> int(weekday[d]) & 1]
        for c in tm.key_cols[(t, int(s0))]:
            b = len(link_of)
            link_of.append(j)
            rows += [d * per_day + int(c) for d in work]
            cols += [b] * len(work)
    M = csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_z, len(link_of)))
    return M, np.asarray(link_of, dtype=np.int64)


def _transform_side(side, n_z: int, keep: np.ndarray, M) -> list:
    """Side constraints over shift columns rewritten for the columns ``[shift columns keep] + [M's columns]``."""
    if not side:
        return []
    r, c, v = [], [], []
    for i, sc_ in enumerate(side):
        c.append(np.asarray(sc_[0], dtype=np.int64))
        v.append(np.asarray(sc_[1], dtype=float))
        r.append(np.full(len(sc_[0]), i, dtype=np.int64))
    S = csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(len(side), n_z))
    S1 = hstack([S[:, keep], S @ M], format="csr")
    S1.sort_indices()
    return [(S1.indices[S1.indptr[i]:S1.indptr[i + 1]].astype(np.int64), S1.data[S1.indptr[i]:S1.indptr[i + 1]],
             sc_[2]) + tuple(sc_[3:]) for i, sc_ in enumerate(side)]


def _place_breaks(queue, tm: TourModel, qm: QueueModel, z, y, keep, tour_cat, per_day, pen, sc, tell):
    """Step 2: with the tours fixed, the break offsets of each (day, template, start)'s agents chosen again.
    Returns (new shift agents or None, status text, seconds)."""
    A = qm.A
    groups, cols2 = [], []
    for wk, g in tm.meta.groupby("week", sort=False):
        for key, gk in g.groupby(["template", "start_min"], sort=False):
            for d in tm.week_days[wk]:
                n = int(sum(y[j] for j, m in zip(gk.index, gk["mask"]) if m >> int(tm.weekday[d]) & 1))
                if n:
                    cc = d * per_day + tm.key_cols[(key[0], int(key[1]))]
                    groups.append((np.arange(len(cols2), len(cols2) + len(cc)), n))
                    cols2.extend(cc.tolist())
    if not groups:
        return None, "not needed", 0.0
    cols2 = np.asarray(cols2, dtype=np.int64)
    tell(f"{queue}: placing breaks day by day ({len(cols2):,} break variants)")
    fixed_cov = A[:, keep] @ z[keep]
    side2 = [SideConstraint(g_cols, np.ones(len(g_cols)), float(n), "==") for g_cols, n in groups]
    res2 = covering(qm.demand - fixed_cov, A[:, cols2], qm.costs[cols2], solver=sc.solver, time_limit_s=sc.time_limit_s,
                    mip_gap=sc.mip_gap, under_penalty=pen, over_penalty=sc.over_penalty, side=side2,
                    start=z[cols2])
    if not res2.has_solution:
        return None, res2.status, res2.runtime_s + res2.build_s
    z2 = z.copy()
    z2[tour_cat[np.arange(len(z)) % per_day]] = 0
    z2[cols2] = res2.x
    return z2, res2.status, res2.runtime_s + res2.build_s


def solve_tours(queue, tm: TourModel, qm: QueueModel, per_day: int, cap, catalog, days, sc, tc, window_days, tell):
    """Weekly tours for one queue (module docstring of :mod:`wfm.scheduling`, "Weekly tours"), given its daily
    model ``qm`` over ``days``. Returns (solution facts, agents per shift column, agents per tour)."""
    A = qm.A.tocsc()
    n_z = A.shape[1]
    meta = tm.meta
    n_y = len(meta)
    tour_cat = np.zeros(per_day, dtype=bool)
    for kc in tm.key_cols.values():
        tour_cat[kc] = True
    keep = np.flatnonzero(~tour_cat[np.arange(n_z) % per_day])  # shifts of templates not worked as tours
    contract = {t.name: t.contract for t in catalog.attrs["templates"]}
    tour_con = meta["template"].map(contract).to_numpy()
    pen_tour = meta["cost"].to_numpy(float)

    # 1. Restricted model: one column per tour and break offset, a plain covering model; ISO-week windows.
    M, link_of = _restricted_tours(tm, per_day, n_z)
    side1 = _transform_side(qm.side, n_z, keep, M)
    if cap is not None:  # an agent holds one tour a week
        side1 += _tour_capacity(cap, queue, tour_con[link_of], meta["week"].to_numpy()[link_of], len(keep))
    tell(f"{queue}: {n_y:,} tours x break offsets = {len(link_of):,} tour columns ({tc.days_on} days on, "
         f"days off {tc.consecutive_days_off})")
    # No look-ahead into the next window: its mornings are covered by its own tours (spill 0).
    qm1 = replace(qm, A=hstack([A[:, keep], A @ M], format="csc"),
                  costs=np.concatenate([qm.costs[keep], M.T @ qm.costs + pen_tour[link_of]]),
                  day_idx=np.concatenate([qm.day_idx[keep], meta["first_day"].to_numpy(np.int64)[link_of]]),
                  vmin=np.concatenate([qm.vmin[keep], np.full(len(link_of), 10**9)]), spill_min=0, side=tuple(side1),
                  first_weekday=int(days[0].day_of_week), group=None)
    sol = solve_queue(queue, qm1, sc, window_days, tell)
    x1 = sol.x
    nk = len(keep)
    z = np.zeros(n_z, dtype=np.int64)
    z[keep] = x1[:nk]
    z += np.rint(M @ x1[nk:]).astype(np.int64)
    y = np.rint(np.bincount(link_of, weights=x1[nk:], minlength=n_y)).astype(np.int64)
    A_L = hstack([A, csc_matrix((A.shape[0], n_y))], format="csc")
    c_L = np.concatenate([qm.costs, pen_tour])
    obj1 = schedule_objective(np.concatenate([z, y]), A_L, c_L, qm.demand, sol.pen, sc.over_penalty)

    # 2. Breaks re-placed day by day with the tours fixed: per (day, template, start) the break offsets of its
    # N agents are free, sum = N. The restricted solution is feasible here, so this can only help.
    z2, stage2, t2 = _place_breaks(queue, tm, replace(qm, A=A), z, y, keep, tour_cat, per_day, sol.pen, sc, tell)
    if z2 is not None:
        obj2 = schedule_objective(np.concatenate([z2, y]), A_L, c_L, qm.demand, sol.pen, sc.over_penalty)
        if obj2 < obj1 - 1e-9:
            z, obj1 = z2, obj2
        else:
            stage2 += " (no better than keeping each tour's break offset)"

    # 3. Bound: that of the restricted model (the solver's, or the LP relaxation of the whole horizon for a
    # rolling solve). Re-placing breaks only lowers the cost, so the gap is conservative for that model.
    bound = None if sol.best_bound is None else min(sol.best_bound, obj1)
    gap = mip.relative_gap(obj1, bound)
    found = sol.conflicts
    if sol.holiday_mode.startswith("penalised"):
        # Would the holidays be coverable with isolated daily shifts (no tours) under the same limits?
        pen0 = np.full(len(qm.demand), float(sc.under_penalty))
        pen0[qm.hol] = np.inf
        daily = covering(qm.demand, A, qm.costs, solver=sc.solver, time_limit_s=sc.time_limit_s, under_penalty=pen0,
                         relax=True, side=qm.side)
        if daily.has_solution:
            found = tuple(sorted(set(found) | {"tours"}))
    sol = replace(
        sol, objective=obj1, best_bound=bound, gap=gap, conflicts=found,
        bound_source=f"{sol.bound_source} (tours keeping their break offset)",
        proven_optimal=gap is not None and gap <= OPT_TOL, within_gap=gap is not None and gap <= sc.mip_gap + 1e-12,
        status=f"tours: {sol.status}; breaks per day: {stage2}", runtime_s=sol.runtime_s + t2,
    )
    return sol, z, y

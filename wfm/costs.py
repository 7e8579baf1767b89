"""Labour cost of a roster: base pay, premiums for overtime, rest days, holidays and nights, on-cost.

The rules default to China's Labour Law, art. 44 (150% overtime, 200% rest day, 300% statutory holiday)
and are all read from ``cfg.pay``; see :func:`cost_roster` for the exact arithmetic. Money is in
``cfg.site.currency``; hours are paid hours [h].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .calendar import day_calendar
from .config import Config
from .errors import InputError
from .io import parse_number_column, write_csv
from .timestamps import parse_timestamps

COST_COLUMNS = [
    "agent_id", "name", "team", "queue", "date", "day_type", "paid_hours", "regular_hours", "overtime_hours",
    "rest_day_hours", "holiday_hours", "night_hours", "base_cost", "overtime_premium", "rest_day_premium",
    "holiday_premium", "night_premium", "on_cost", "total_cost",
]
HOUR_COLUMNS = ["paid_hours", "regular_hours", "overtime_hours", "rest_day_hours", "holiday_hours", "night_hours"]
PREMIUM_COLUMNS = ["overtime_premium", "rest_day_premium", "holiday_premium", "night_premium"]
MONEY_COLUMNS = ["base_cost", *PREMIUM_COLUMNS, "on_cost", "total_cost"]

_HOUR = pd.Timedelta(hours=1)
_DAY = pd.Timedelta(days=1)
_EPS = 1e-9


# ----------------------------------------------------------------------------------------------------------
# Hours on each calendar date
# ----------------------------------------------------------------------------------------------------------


def _night_windows(day: pd.Timestamp, start_h: float, end_h: float) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The night window's parts that fall on calendar date ``day`` (midnight Timestamp)."""
    if start_h == end_h:
        return []
    if start_h > end_h:  # wraps midnight: the early morning and the late evening of the same date
        return [(day, day + end_h * _HOUR), (day + start_h * _HOUR, day + _DAY)]
    return [(day + start_h * _HOUR, day + end_h * _HOUR)]


def _overlap_h(a0, a1, b0, b1) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)) / _HOUR)


def _paid_pieces(start, end, brk_start, brk_end, paid_h: float, night: tuple[float, float]):
    """Split one shift's paid time by calendar date.

    Returns ``[(date, piece_start, hours, night_hours), ...]`` in time order. The unpaid part of the shift,
    ``length - paid_h``, is taken out of the break interval from its start; whatever of it the break does
    not explain (no break given) is taken out of every piece in proportion, so the hours always sum to
    ``paid_h``.
    """
    length_h = (end - start) / _HOUR
    unpaid_h = length_h - paid_h
    segments = [(start, end)]
    if unpaid_h > _EPS and pd.notna(brk_start) and pd.notna(brk_end) and brk_end > brk_start:
        cut0 = max(brk_start, start)
        cut1 = min(brk_end, cut0 + unpaid_h * _HOUR, end)
        if cut1 > cut0:
            segments = [(a, b) for a, b in ((start, cut0), (cut1, end)) if b > a]
    pieces = []
    for a, b in segments:
        t = a
        while t < b:
            day = t.normalize()
            u = min(b, day + _DAY)
            nh = sum(_overlap_h(t, u, w0, w1) for w0, w1 in _night_windows(day, *night))
            pieces.append([day, t, (u - t) / _HOUR, nh])
            t = u
    total = sum(p[2] for p in pieces)
    if total > _EPS and abs(total - paid_h) > 1e-6:
        k = paid_h / total
        for p in pieces:
            p[2] *= k
            p[3] *= k
    return [tuple(p) for p in pieces]


def _times(df: pd.DataFrame, col: str, required: bool, source: str) -> pd.Series:
    """Column ``col`` as timestamps (:func:`wfm.timestamps.parse_timestamps`); an absent optional column is
    all NaT."""
    if col not in df:
        if required:
            raise InputError("missing column", file=source, column=col)
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    return parse_timestamps(df[col], source, col, required=required)


def _split_over(cum_after: np.ndarray, hours: np.ndarray, threshold: float | None) -> np.ndarray:
    """Hours of each piece past ``threshold`` given the running total after the piece."""
    if threshold is None:
        return np.zeros_like(hours)
    return np.clip(cum_after - threshold, 0.0, hours)


def _day_types(dates, cfg: Config) -> pd.DataFrame:
    cal = day_calendar(dates, cfg.site.country, cfg.site.subdivision)
    return cal.set_index("date")[["day_type", "holiday_name", "is_holiday"]]


def cost_roster(roster: pd.DataFrame, agents: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Cost every agent's paid hours: one row per agent, calendar date worked and queue (one row per agent
    and date unless the agent worked shifts of two queues touching that date).

    ``roster``: ``agent_id, name, team, queue, shift_start, shift_end, break_start, break_end, paid_hours``
    (timestamps or ``YYYY-MM-DD HH:MM:SS`` text; breaks may be empty). ``agents``: ``agent_id, hourly_rate``
    [currency per hour]. Returns the columns of :data:`COST_COLUMNS` (hours [h], money in
    ``cfg.site.currency``, not rounded: round only for display).

    Rules, all from ``cfg.pay``:

    1. Paid hours fall on the calendar date on which they are worked: a shift crossing midnight is split
       at midnight, so the hours after midnight of a night shift into a holiday are holiday hours.
    2. Unpaid break: ``unpaid = (shift_end - shift_start) - paid_hours`` [h] is removed from the break
       interval (from ``break_start``), on the date the break falls; a break is paid when ``paid_hours`` equals
       the shift length. (Unpaid time without a break interval is removed pro rata.)
    3. Each paid hour gets exactly one multiplier (premiums do not stack):
       on a statutory holiday (``day_type == 'holiday'``) ``holiday_multiplier``; on a rest day
       (``day_type == 'rest_day'``, only when ``pay.rest_days == 'calendar'``) ``rest_day_multiplier``;
       on a workday (or a rest day under ``rest_days: none``) the hours past ``daily_overtime_after_h`` in
       the day, then the hours past ``weekly_overtime_after_h`` in the ISO week counting only the workday
       hours not already daily overtime, get ``overtime_multiplier``; the rest are regular (1x). Overtime
       is taken from the latest hours (in time order).
    4. Night: paid hours inside ``night_start_h``-``night_end_h`` earn ``night_premium`` (a share of the
       hourly rate) on top of whatever multiplier the hour has.
    5. ``base_cost = paid_hours x rate``; ``<kind>_premium = <kind>_hours x (multiplier - 1) x rate``;
       ``night_premium = night_hours x pay.night_premium x rate``; ``on_cost = (base + premiums) x
       pay.on_cost``; ``total_cost = base + premiums + on_cost``.
    """
    pay = cfg.pay
    if len(roster) == 0:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in COST_COLUMNS})
    src = "roster"
    need = ["agent_id", "queue", "shift_start", "shift_end", "paid_hours"]
    missing = [c for c in need if c not in roster]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=src)
    r = roster.reset_index(drop=True)
    starts = _times(r, "shift_start", True, src)
    ends = _times(r, "shift_end", True, src)
    bstarts = _times(r, "break_start", False, src)
    bends = _times(r, "break_end", False, src)
    paid = parse_number_column(r["paid_hours"], src, "paid_hours")
    bad = np.flatnonzero((ends <= starts).to_numpy())
    if len(bad):
        raise InputError("shift_end is not after shift_start", file=src, row=int(bad[0]) + 2, column="shift_end")

    rates = _rates(agents)
    ids = r["agent_id"].astype(str)
    unknown = sorted(set(ids) - set(rates))
    if unknown:
        raise InputError(f"agent(s) {', '.join(unknown[:5])} are in the roster but not in the agent list "
                         "(no hourly_rate)", file=src, column="agent_id")

    names = r["name"].astype(str) if "name" in r else ids
    teams = r["team"].astype(str) if "team" in r else pd.Series([""] * len(r))
    night = (pay.night_start_h, pay.night_end_h)
    rows = []
    for i in range(len(r)):
        for day, t, h, nh in _paid_pieces(starts[i], ends[i], bstarts[i], bends[i], float(paid[i]), night):
            rows.append((ids[i], names[i], teams[i], str(r["queue"].iloc[i]), day, t, h, nh))
    p = pd.DataFrame(rows, columns=["agent_id", "name", "team", "queue", "date", "t", "hours", "night_hours"])
    p = p.sort_values(["agent_id", "t"], kind="stable").reset_index(drop=True)

    cal = _day_types(p["date"].unique(), cfg)
    p["day_type"] = p["date"].map(cal["day_type"])
    hol = (p["day_type"] == "holiday").to_numpy()
    rest = (p["day_type"] == "rest_day").to_numpy() & (pay.rest_days == "calendar")
    work = ~(hol | rest)
    h = p["hours"].to_numpy(float)
    wh = np.where(work, h, 0.0)

    # Daily overtime: the workday hours past the threshold, latest first (rows are in time order).
    cum_day = pd.Series(wh).groupby([p["agent_id"], p["date"]]).cumsum().to_numpy()
    daily_ot = _split_over(cum_day, wh, pay.daily_overtime_after_h)
    # Weekly overtime: the remaining workday hours past the weekly threshold in the ISO week.
    left = wh - daily_ot
    iso = p["date"].dt.isocalendar()
    cum_week = pd.Series(left).groupby([p["agent_id"], iso["year"].to_numpy(), iso["week"].to_numpy()]).cumsum().to_numpy()
    weekly_ot = _split_over(cum_week, left, pay.weekly_overtime_after_h)

    p["regular_hours"] = left - weekly_ot
    p["overtime_hours"] = daily_ot + weekly_ot
    p["rest_day_hours"] = np.where(rest, h, 0.0)
    p["holiday_hours"] = np.where(hol, h, 0.0)
    p["paid_hours"] = h

    keys = ["agent_id", "date", "queue"]
    out = p.groupby(keys, sort=True).agg(
        name=("name", "first"), team=("team", "first"), day_type=("day_type", "first"),
        **{c: (c, "sum") for c in HOUR_COLUMNS},
    ).reset_index()
    out[HOUR_COLUMNS] = out[HOUR_COLUMNS].round(9)  # drop float noise of the time arithmetic
    rate = out["agent_id"].map(rates).to_numpy(float)
    out["base_cost"] = out["paid_hours"] * rate
    out["overtime_premium"] = out["overtime_hours"] * (pay.overtime_multiplier - 1) * rate
    out["rest_day_premium"] = out["rest_day_hours"] * (pay.rest_day_multiplier - 1) * rate
    out["holiday_premium"] = out["holiday_hours"] * (pay.holiday_multiplier - 1) * rate
    out["night_premium"] = out["night_hours"] * pay.night_premium * rate
    gross = out["base_cost"] + out[PREMIUM_COLUMNS].sum(axis=1)
    out["on_cost"] = gross * pay.on_cost
    out["total_cost"] = gross + out["on_cost"]
    out = out.sort_values(["date", "agent_id", "queue"], kind="stable").reset_index(drop=True)
    return out[COST_COLUMNS]


def _dtype(col: str) -> str:
    if col == "date":
        return "datetime64[ns]"
    return "float64" if col in HOUR_COLUMNS or col in MONEY_COLUMNS else "object"


def _rates(agents: pd.DataFrame) -> dict[str, float]:
    for c in ("agent_id", "hourly_rate"):
        if c not in agents:
            raise InputError(f"missing column '{c}'", file="agents")
    rate = parse_number_column(agents["hourly_rate"], "agents", "hourly_rate")
    return dict(zip(agents["agent_id"].astype(str), rate))


# ----------------------------------------------------------------------------------------------------------
# Summary
# ----------------------------------------------------------------------------------------------------------


def _sum_frame(costs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    cols = [*HOUR_COLUMNS, *MONEY_COLUMNS]
    return costs.groupby(by, sort=True)[cols].sum().reset_index()


def _multipliers(day_type: pd.Series, cfg: Config) -> np.ndarray:
    pay = cfg.pay
    m = np.ones(len(day_type))
    m[(day_type == "holiday").to_numpy()] = pay.holiday_multiplier
    if pay.rest_days == "calendar":
        m[(day_type == "rest_day").to_numpy()] = pay.rest_day_multiplier
    return m


def _in_night(ts: pd.Series, cfg: Config) -> np.ndarray:
    ns, ne = cfg.pay.night_start_h, cfg.pay.night_end_h
    h = (ts - ts.dt.normalize()) / _HOUR
    if ns == ne:
        return np.zeros(len(ts), dtype=bool)
    if ns > ne:
        return ((h >= ns) | (h < ne)).to_numpy()
    return ((h >= ns) & (h < ne)).to_numpy()


def cost_summary(costs: pd.DataFrame, requirements: pd.DataFrame, cfg: Config,
                 handled_calls: float | None = None) -> dict:
    """Headline cost figures of a costed roster (the frame of :func:`cost_roster`) against the requirement.

    Returns a dict: ``currency``; ``total_cost, base_cost, overtime_premium, rest_day_premium,
    holiday_premium, night_premium, on_cost`` [currency]; ``paid_hours`` [h]; ``forecast_calls`` (sum of
    ``requirements.offered``); ``cost_per_call`` (None without calls); ``handled_calls`` (as given: forecast
    calls less those projected to abandon with the rostered staff, see :func:`wfm.service.project_service`;
    None: not known) and ``cost_per_handled_call = total_cost / handled_calls`` (None without them);
    ``horizon_start, horizon_end``
    (first and last date of the requirement), ``days``, ``weeks = days / 7``, ``weekly_cost = total_cost /
    weeks``; ``average_hourly_rate`` = base_cost / paid_hours of the roster (hours-weighted rate);
    ``required_paid_hours`` [h] = sum over intervals of ``scheduled_required x interval_minutes / 60``;
    ``requirement_cost`` = sum over intervals of ``scheduled_required x interval_h x average_hourly_rate
    x (m + n) x (1 + pay.on_cost)``, where ``m`` is the interval date's day-type multiplier (holiday, rest
    day under ``rest_days: calendar``, else 1; no overtime) and ``n`` is ``pay.night_premium`` for intervals
    starting inside the night window (else 0): what staffing exactly the requirement would cost at the
    roster's average rate. ``efficiency = total_cost / requirement_cost`` (1.0: no cost beyond the
    requirement; above 1: over-staffing, overtime, or hours outside the required intervals).
    Frames: ``by_day`` (every horizon date plus dates the roster's hours spill into), ``by_queue``,
    ``by_day_type`` (hours and money columns summed).
    """
    req = requirements
    ts = pd.to_datetime(req["interval_start"]) if len(req) else pd.Series(dtype="datetime64[ns]")
    if len(req):
        start, end = ts.min().normalize(), ts.max().normalize()
    elif len(costs):
        start, end = costs["date"].min(), costs["date"].max()
    else:
        start = end = None
    days = int((end - start).days) + 1 if start is not None else 0
    weeks = days / 7.0
    tot = {c: float(costs[c].sum()) for c in MONEY_COLUMNS}
    paid_h = round(float(costs["paid_hours"].sum()), 6)
    calls = float(pd.to_numeric(req["offered"]).sum()) if len(req) else 0.0

    horizon = pd.date_range(start, end, freq="D") if start is not None else pd.DatetimeIndex([])
    dates = horizon.union(pd.DatetimeIndex(costs["date"].unique()))
    cal = _day_types(dates, cfg) if len(dates) else pd.DataFrame(columns=["day_type", "holiday_name", "is_holiday"])
    by_day = _sum_frame(costs, ["date"]).set_index("date").reindex(dates, fill_value=0.0)
    by_day.index.name = "date"
    by_day = cal[["day_type", "holiday_name"]].join(by_day, how="right").reset_index()

    ih = cfg.interval_minutes / 60.0
    sched_req = pd.to_numeric(req["scheduled_required"]).to_numpy(float) if len(req) else np.zeros(0)
    req_hours = float(sched_req.sum() * ih)
    avg_rate = tot["base_cost"] / paid_h if paid_h > 0 else None
    req_cost = eff = None
    if avg_rate is not None and len(req):
        dt = ts.dt.normalize().map(cal["day_type"])
        mult = _multipliers(dt, cfg) + np.where(_in_night(ts + pd.Timedelta(minutes=cfg.interval_minutes / 2), cfg),
                                                cfg.pay.night_premium, 0.0)
        req_cost = float((sched_req * ih * avg_rate * mult).sum() * (1 + cfg.pay.on_cost))
        eff = tot["total_cost"] / req_cost if req_cost > 0 else None

    return {
        "currency": cfg.site.currency,
        **tot,
        "paid_hours": paid_h,
        "forecast_calls": calls,
        "cost_per_call": tot["total_cost"] / calls if calls > 0 else None,
        "handled_calls": None if handled_calls is None else float(handled_calls),
        "cost_per_handled_call": (tot["total_cost"] / float(handled_calls)
                                  if handled_calls is not None and handled_calls > 0 else None),
        "horizon_start": start,
        "horizon_end": end,
        "days": days,
        "weeks": weeks,
        "weekly_cost": tot["total_cost"] / weeks if weeks > 0 else None,
        "average_hourly_rate": avg_rate,
        "required_paid_hours": req_hours,
        "requirement_cost": req_cost,
        "efficiency": eff,
        "by_day": by_day,
        "by_queue": _sum_frame(costs, ["queue"]),
        "by_day_type": _sum_frame(costs, ["day_type"]),
    }


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
# The stage
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostResult:
    """The cost stage's result (:func:`cost_plan`): ``costs``, one row per agent, date worked and queue
    (:data:`COST_COLUMNS`, costs.csv); ``summary``, the headline figures and the ``by_day``, ``by_queue``
    and ``by_day_type`` frames of :func:`cost_summary`; ``by_week`` (:func:`cost_by_week`) and ``by_team``
    (:func:`cost_by_team`). Money in ``cfg.site.currency``, hours [h]."""

    costs: pd.DataFrame
    summary: dict
    by_week: pd.DataFrame
    by_team: pd.DataFrame

    @property
    def by_day(self) -> pd.DataFrame:
        return self.summary["by_day"]

    @property
    def by_day_type(self) -> pd.DataFrame:
        return self.summary["by_day_type"]

    @property
    def by_queue(self) -> pd.DataFrame:
        return self.summary["by_queue"]


def cost_plan(roster: pd.DataFrame, agents: pd.DataFrame, requirements: pd.DataFrame, cfg: Config,
              handled_calls: float | None = None) -> CostResult:
    """The cost stage: :func:`cost_roster` of the roster at the agents' rates, then :func:`summarise_costs`.
    ``handled_calls``: the forecast calls less those projected to abandon
    (:attr:`wfm.service.ServiceProjection.horizon` ``handled``; None: not known)."""
    return summarise_costs(cost_roster(roster, agents, cfg), requirements, cfg, handled_calls)


def priced_requirement(requirements: pd.DataFrame, skill_sets: pd.DataFrame | None = None) -> pd.DataFrame:
    """The requirement the costs are compared with (``interval_start, offered, scheduled_required``): the
    per-queue one, or in a plan by skill set the calls per queue and the agents per skill set (what the
    schedule was asked to cover)."""
    cols = ["interval_start", "offered", "scheduled_required"]
    if skill_sets is None:
        return requirements
    calls = requirements[["interval_start", "offered"]].assign(scheduled_required=0.0)
    agents = skill_sets[["interval_start", "scheduled_required"]].assign(offered=0.0)[cols]
    return pd.concat([calls[cols], agents], ignore_index=True)


def summarise_costs(costs: pd.DataFrame, requirements: pd.DataFrame, cfg: Config,
                    handled_calls: float | None = None) -> CostResult:
    """A costed roster (:func:`cost_roster`) as a :class:`CostResult`: summarised against the requirement
    (:func:`cost_summary`), by ISO week and by team."""
    return CostResult(costs=costs, summary=cost_summary(costs, requirements, cfg, handled_calls=handled_calls),
                      by_week=cost_by_week(costs), by_team=cost_by_team(costs))


def write_costs(result: CostResult, path: str | Path) -> Path:
    """Write ``result.costs`` as costs.csv at ``path`` (atomically, :func:`wfm.io.write_csv`)."""
    return write_csv(result.costs, path)

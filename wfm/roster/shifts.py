"""The shift list made ready for rostering: checked, typed, and turned into arrays the weekly model reads."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..calendar import day_calendar, weekend_days
from ..errors import InputError
from ..io import MAX_AGENTS, parse_number_column

SHIFT_COLUMNS = ("shift_id", "queue", "date", "template", "start", "end", "paid_hours", "count")


@dataclass(frozen=True)
class Shifts:
    """The shifts to staff, one row of ``frame`` per shift (index = row number everywhere below).

    Times are whole seconds since ``epoch`` (the first day, 00:00) so that comparisons are exact;
    ``day_idx`` days since ``epoch``; ``rest_t`` the minimum rest [s]; ``reach`` how many days after its
    start day a shift plus the rest can still conflict with another."""

    frame: pd.DataFrame  # with is_holiday, _night, _contract (template's contract or 'any'), _week (Monday)
    epoch: pd.Timestamp
    start_t: np.ndarray
    end_t: np.ndarray
    rest_t: int
    day_idx: np.ndarray
    paid: np.ndarray  # paid hours
    count: np.ndarray  # heads
    queue: np.ndarray
    night: np.ndarray  # touches the night window
    contract: np.ndarray  # 'full_time', 'part_time' or 'any'
    is_hol: np.ndarray
    req_hol: np.ndarray  # guaranteed heads on a public holiday (ceil(holiday_min_share * count))
    start_h: np.ndarray  # start time of day [h]
    start_key: np.ndarray  # start time of day [min]
    wday: np.ndarray  # Monday = 0
    weekend: np.ndarray
    reach: int

    @property
    def n(self) -> int:
        return len(self.frame)

    @property
    def first_day(self) -> pd.Timestamp | None:
        return self.frame["date"].min() if self.n else None

    @property
    def last_day(self) -> pd.Timestamp | None:
        return self.frame["date"].max() if self.n else None


def check_shifts(shifts: pd.DataFrame) -> pd.DataFrame:
    """Validate and type the shift frame (strings as read, or typed); drop shifts of count 0; sort by
    start, queue, shift_id. Raises InputError naming the row (header = row 1) and column."""
    src = shifts.attrs.get("source") or "shifts"  # the file's path when the frame was read by wfm.io
    missing = [c for c in SHIFT_COLUMNS if c not in shifts.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=src, row=1, column=missing[0])
    s = shifts.copy().reset_index(drop=True)
    s["_row"] = np.arange(len(s)) + 2
    for c in ("break_start", "break_end"):
        if c not in s:
            s[c] = pd.NaT
    for c in ("date", "start", "end", "break_start", "break_end"):
        raw = s[c]
        if not pd.api.types.is_datetime64_any_dtype(raw):
            blank = raw.isna() | (raw.astype(str).str.strip() == "")
            parsed = pd.to_datetime(raw.where(~blank), errors="coerce", format="mixed")
            bad = parsed.isna() & ~blank
            if c in ("date", "start", "end"):
                bad = bad | blank
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"'{raw.iloc[i]}' is not a date-time", file=src, row=i + 2, column=c)
            s[c] = parsed
        s[c] = s[c].astype("datetime64[ns]")
    s["paid_hours"] = parse_number_column(s["paid_hours"], src, "paid_hours", maximum=24)
    s["count"] = parse_number_column(s["count"], src, "count", integer=True, maximum=MAX_AGENTS, unit="agents")
    for c in ("shift_id", "queue", "template"):
        s[c] = s[c].astype(str)
    dup = s["shift_id"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"duplicate shift_id '{s['shift_id'].iloc[i]}'", file=src, row=i + 2, column="shift_id")
    bad = s["end"] <= s["start"]
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("the shift ends before it starts", file=src, row=i + 2, column="end")
    s["date"] = s["date"].dt.normalize()
    bad = s["start"].dt.normalize() != s["date"]
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("date is not the day the shift starts", file=src, row=i + 2, column="date")
    s = s.loc[s["count"] > 0]
    return s.sort_values(["start", "queue", "shift_id"], kind="stable").reset_index(drop=True)


def touches_night(start: pd.Series, end: pd.Series, night_start_h: float, night_end_h: float) -> np.ndarray:
    """True where [start, end) overlaps the night window [h of day] (which may wrap past midnight)."""
    if night_start_h == night_end_h:
        return np.zeros(len(start), dtype=bool)
    out = np.zeros(len(start), dtype=bool)
    day0 = start.dt.normalize()
    ns, ne = pd.Timedelta(hours=night_start_h), pd.Timedelta(hours=night_end_h)
    wrap = night_end_h < night_start_h
    span_days = int(((end - day0) / pd.Timedelta(days=1)).max()) + 1 if len(start) else 0
    for k in range(-1, span_days + 1):
        d = day0 + pd.Timedelta(days=k)
        w0 = d + ns
        w1 = d + pd.Timedelta(days=1) + ne if wrap else d + ne
        out |= ((start < w1) & (end > w0)).to_numpy()
    return out


def prepare_shifts(shifts: pd.DataFrame, cfg) -> Shifts:
    """Check the shift frame and derive what the roster needs: holidays (``site`` calendar), night
    (``pay.night_*``), the template's contract (``schedule.templates``), ISO weeks and times as arrays."""
    rcfg, pay = cfg.roster, cfg.pay
    s = check_shifts(shifts)
    n_s = len(s)
    if n_s:
        cal = day_calendar(pd.date_range(s["date"].min(), s["date"].max(), freq="D"),
                           cfg.site.country, cfg.site.subdivision)
        hol_dates = set(cal.loc[cal["is_holiday"], "date"])
    else:
        hol_dates = set()
    s["is_holiday"] = s["date"].isin(hol_dates).astype(bool)
    s["_night"] = touches_night(s["start"], s["end"], pay.night_start_h, pay.night_end_h)
    t_contract = {t.name: t.contract for t in cfg.require("schedule").templates}
    s["_contract"] = s["template"].map(t_contract).fillna("any")
    s["_week"] = s["date"] - pd.to_timedelta(s["date"].dt.day_of_week, unit="D")
    epoch = s["date"].min() if n_s else pd.Timestamp("2000-01-01")
    start_t = ((s["start"] - epoch) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
    end_t = ((s["end"] - epoch) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
    rest_t = int(round(pd.Timedelta(hours=float(rcfg.min_rest_h)) / pd.Timedelta(seconds=1)))
    day_idx = ((s["date"] - epoch) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    count = s["count"].to_numpy(dtype=np.int64)
    is_hol = s["is_holiday"].to_numpy(dtype=bool)
    reach = int(max(0, math.ceil((int((end_t - day_idx * 86400).max()) + rest_t) / 86400) - 1)) if n_s else 0
    start_h = ((s["start"] - s["date"]) / pd.Timedelta(hours=1)).to_numpy(dtype=float) if n_s else np.zeros(0)
    wday = s["date"].dt.day_of_week.to_numpy() if n_s else np.zeros(0, dtype=np.int64)
    return Shifts(
        frame=s, epoch=epoch, start_t=start_t, end_t=end_t, rest_t=rest_t, day_idx=day_idx,
        paid=s["paid_hours"].to_numpy(dtype=float), count=count, queue=s["queue"].to_numpy(dtype=object),
        night=s["_night"].to_numpy(dtype=bool), contract=s["_contract"].to_numpy(dtype=object), is_hol=is_hol,
        req_hol=np.where(is_hol, np.ceil(rcfg.holiday_min_share * count - 1e-9).astype(np.int64), 0),
        start_h=start_h, start_key=np.round(start_h * 60).astype(np.int64), wday=wday, weekend=np.isin(wday, sorted(weekend_days(cfg.site.country, cfg.site.subdivision))),
        reach=reach,
    )

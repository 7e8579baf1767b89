"""Seeded demo data: 15-minute call history of a 24/7 center with two voice queues, and its agent list.

The generator is a small causal model of a contact center, so the forecaster has something real to find:
- daily volume = base x growth trend x yearly season x weekday factor x holiday factor x AR(1) noise;
- an intraday double peak (late morning, mid afternoon) with a lunch dip and a quiet night; holidays
  and weekends have a flatter, later curve;
- public holidays from the `holidays` package for the configured country (for China: Spring Festival,
  National Day week, bridge days off and make-up working days);
- Poisson interval counts; handle time that varies by hour of day; abandonment that rises with load.
Same seed, same data, byte for byte.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import day_calendar

DEMO_START = "2024-01-01"
DEMO_END = "2026-09-27"  # a Sunday: the forecast starts Monday 2026-09-28 and spans National Day week
DEMO_SEED = 20261001

QUEUES = {
    # calls per ordinary Wednesday at the start of the history, base AHT [s]
    "sales": {"daily_calls": 700.0, "aht_s": 290.0, "growth_per_year": 0.10, "season_amp": 0.12},
    "service": {"daily_calls": 1300.0, "aht_s": 370.0, "growth_per_year": 0.05, "season_amp": 0.06},
}
WEEKDAY_FACTOR = np.array([1.18, 1.07, 1.00, 0.98, 0.95, 0.62, 0.50])  # Mon..Sun
# Volume on public days off relative to an ordinary day of the same weekday, by holiday family.
HOLIDAY_FACTOR = {
    "spring festival": 0.30,
    "new year's eve": 0.45,
    "national day": 0.45,
    "mid-autumn": 0.55,
    "labor": 0.55,
    "dragon boat": 0.60,
    "tomb-sweeping": 0.62,
    "new year's day": 0.60,
}
DEFAULT_HOLIDAY_FACTOR = 0.6


def _holiday_family(name: str) -> str:
    lower = name.lower()
    if "chinese new year" in lower and "eve" not in lower:
        return "spring festival"
    if "chinese new year's eve" in lower:
        return "new year's eve"
    for key in HOLIDAY_FACTOR:
        if key in lower:
            return key
    return ""


def _intraday_shape(n_slots: int, kind: str) -> np.ndarray:
    """Relative volume by time of day (sums to 1). kind: 'weekday' or 'offday'."""
    h = (np.arange(n_slots) + 0.5) * 24.0 / n_slots

    def bump(mu, sd, w):
        return w * np.exp(-0.5 * ((h - mu) / sd) ** 2)

    if kind == "weekday":
        shape = bump(10.5, 1.6, 1.0) + bump(15.0, 1.9, 0.85) + bump(20.0, 1.5, 0.35) - bump(12.6, 0.5, 0.18)
    else:
        shape = bump(11.5, 2.2, 0.8) + bump(16.0, 2.4, 0.7) + bump(20.5, 1.6, 0.35)
    night = 0.025 + 0.02 * np.exp(-0.5 * ((h - 23.0) / 1.5) ** 2)
    shape = np.maximum(shape, 0) + night
    return shape / shape.sum()


def demo_history(
    start: str = DEMO_START,
    end: str = DEMO_END,
    seed: int = DEMO_SEED,
    interval_minutes: int = 15,
    country: str = "CN",
    subdivision: str | None = None,
) -> pd.DataFrame:
    """Synthetic history: ``queue, interval_start, offered, handled, abandoned, aht_s``, every interval of
    every day from ``start`` to ``end`` (inclusive) for the queues 'sales' and 'service'."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D")
    cal = day_calendar(days, country, subdivision)
    n_slots = 1440 // interval_minutes
    slot_h = (np.arange(n_slots) + 0.5) * 24.0 / n_slots
    t_years = (days - days[0]).days.to_numpy() / 365.25
    doy = days.day_of_year.to_numpy()

    off = (cal["is_holiday"] | cal["is_rest_day"]).to_numpy()
    block = cal["holiday_block"].to_numpy()
    hol_factor = np.array([HOLIDAY_FACTOR.get(_holiday_family(b), DEFAULT_HOLIDAY_FACTOR) if b else 1.0 for b in block])
    # Weekend days inside a holiday block are quiet like the holiday, not like an ordinary weekend.
    in_block_weekend = (block != "") & (cal["weekday"].to_numpy() >= 5)
    weekday = cal["weekday"].to_numpy()
    # A make-up working day (a weekend day worked to pay back a bridge day) is busy like a Thursday.
    wd_factor = np.where(cal["is_makeup_workday"].to_numpy(), WEEKDAY_FACTOR[3], WEEKDAY_FACTOR[weekday])
    wd_factor = np.where(in_block_weekend, WEEKDAY_FACTOR[2], wd_factor)
    shape_week = _intraday_shape(n_slots, "weekday")
    shape_off = _intraday_shape(n_slots, "offday")
    # Handle time is longer at night (fewer, harder calls, tired agents) and a little shorter at the peaks.
    aht_hour = 1.0 + 0.12 * np.exp(-0.5 * ((slot_h - 3.0) / 3.0) ** 2) + 0.10 * np.exp(-0.5 * ((slot_h - 23.5) / 1.5) ** 2)
    aht_hour -= 0.04 * np.exp(-0.5 * ((slot_h - 10.5) / 1.5) ** 2)

    frames = []
    for q, p in QUEUES.items():
        season = 1.0 + p["season_amp"] * np.cos(2 * np.pi * (doy - 330) / 365.25)  # busiest in late November
        noise = np.empty(len(days))
        e = rng.normal(0, 0.045, len(days))
        noise[0] = e[0]
        for i in range(1, len(days)):
            noise[i] = 0.5 * noise[i - 1] + e[i]
        daily = p["daily_calls"] * (1 + p["growth_per_year"]) ** t_years * season * wd_factor * hol_factor * np.exp(noise)
        shapes = np.where(off[:, None], shape_off[None, :], shape_week[None, :])
        lam = daily[:, None] * shapes
        offered = rng.poisson(lam)
        # Abandonment rises with load (the busiest intervals wait longest).
        load_rel = lam / lam.max()
        p_ab = np.clip(0.02 + 0.06 * load_rel**2, 0, 0.5)
        abandoned = rng.binomial(offered, p_ab)
        handled = offered - abandoned
        aht_mean = p["aht_s"] * aht_hour[None, :] * np.ones((len(days), 1))
        # Interval AHT is a mean over handled calls: its noise shrinks with the number of calls.
        cv = 0.8 / np.sqrt(np.maximum(handled, 1))
        aht = aht_mean * np.exp(rng.normal(0, 1, offered.shape) * cv - 0.5 * cv**2)
        aht = np.where(handled > 0, np.round(aht, 1), np.nan)
        ts = (days.to_numpy()[:, None] + (np.arange(n_slots) * interval_minutes * 60 * 10**9).astype("timedelta64[ns]")[None, :]).ravel()
        frames.append(
            pd.DataFrame(
                {
                    "queue": q,
                    "interval_start": ts,
                    "offered": offered.ravel().astype(float),
                    "handled": handled.ravel().astype(float),
                    "abandoned": abandoned.ravel().astype(float),
                    "aht_s": aht.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


FIRST = ["Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Jie", "Tao", "Ming",
         "Chao", "Xiu", "Xia", "Ping", "Gang", "Hui", "Hong", "Bo", "Ying", "Dan", "Lin", "Hao", "Yu", "Rui", "Xin"]
LAST = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu",
        "Guo", "He", "Gao", "Lin", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng"]




def demo_agents(n_sales: int = 44, n_service: int = 72, n_both: int = 12, part_time_share: float = 0.2,
                seed: int = DEMO_SEED, leave_from: str = "2026-10-12") -> pd.DataFrame:
    """An agent list: ``agent_id, name, team, queues, contract, min_hours_week, max_hours_week,
    max_days_week, hourly_rate, night_ok, availability, leave, preferred_start, preferred_days_off,
    seniority``. Full-time: 32-40 h in at most 5 days; part-time: 8-20 h (China: part-time work is at most
    4 h a day and 24 h a week). Hourly rates in CNY; seniority in years; about 6% of agents take 3-5 days
    of leave starting within 10 days of ``leave_from``."""
    rng = np.random.default_rng(seed + 1)
    rows = []
    specs = [("sales", "Sales", n_sales), ("service", "Service", n_service), ("sales;service", "Blended", n_both)]
    k = 0
    used = set()
    for queues, team, n in specs:
        for i in range(n):
            k += 1
            while True:
                name = f"{LAST[rng.integers(len(LAST))]} {FIRST[rng.integers(len(FIRST))]}"
                if name not in used:
                    used.add(name)
                    break
            part = rng.random() < part_time_share and team != "Blended"
            grade_rate = float(rng.choice([32.0, 35.0, 38.0, 42.0], p=[0.35, 0.35, 0.2, 0.1]))
            rows.append(
                {
                    "agent_id": f"A{k:03d}",
                    "name": name,
                    "team": f"{team} {'AB'[i % 2]}" if team != "Blended" else team,
                    "queues": queues,
                    "contract": "part_time" if part else "full_time",
                    "min_hours_week": 8 if part else 32,
                    "max_hours_week": 20 if part else 40,
                    "max_days_week": 5,
                    "hourly_rate": grade_rate + (0 if part else 3.0) + (4.0 if team == "Blended" else 0.0),
                    "night_ok": "false" if (part or rng.random() < 0.15) else "true",
                }
            )
    # Availability, leave, preferences and seniority: drawn from a separate stream so that the columns above
    # stay as they were.
    rng2 = np.random.default_rng(seed + 2)
    leave_from = pd.Timestamp(leave_from)
    for r in rows:
        part = r["contract"] == "part_time"
        r["availability"] = ""
        if part and rng2.random() < 0.4:
            r["availability"] = str(rng2.choice(["Mon-Fri 07:00-22:00", "Mon-Sat 09:00-18:00"]))
        r["leave"] = ""
        if rng2.random() < 0.06:  # a few days of annual leave in the last two weeks of the demo horizon
            d0 = leave_from + pd.Timedelta(days=int(rng2.integers(0, 10)))
            r["leave"] = f"{d0.date()}..{(d0 + pd.Timedelta(days=int(rng2.integers(2, 5)))).date()}"
        r["preferred_start"] = ""
        if rng2.random() < 0.4:
            r["preferred_start"] = str(rng2.choice(["08:00", "09:00", "13:00"] if part or r["night_ok"] == "false"
                                                   else ["07:00", "08:00", "09:00", "12:00", "14:00", "22:00"]))
        r["preferred_days_off"] = ""
        if rng2.random() < 0.3:
            r["preferred_days_off"] = str(rng2.choice(["Sat;Sun", "Sun", "Sat", "Wed"]))
        r["seniority"] = int(min(15, rng2.geometric(0.25) - 1))
    return pd.DataFrame(rows)

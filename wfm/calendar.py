"""Public-holiday calendar: which days are working days, rest days and holidays, from the `holidays` package.

China's calendar moves days around: a holiday week is made of statutory holidays plus "bridge" days off
that are paid back by working on a weekend day (make-up working day, 调休). The three kinds matter
differently: volume drops on all days off, pay is 300% only on statutory days, 200% on other rest days.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays
import pandas as pd

from .errors import ConfigError

DAY_TYPES = ("workday", "rest_day", "holiday")


@lru_cache(maxsize=64)
def _calendar(country: str, subdivision: str | None, years: tuple[int, ...]):
    try:
        return holidays.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError:
        raise ConfigError(f"key 'site.country': no holiday calendar for country '{country}'") from None
    except (KeyError, ValueError) as err:
        raise ConfigError(f"key 'site.subdivision': {err}") from None


def _is_bridge(name: str) -> bool:
    # The holidays package names days off that are not statutory "Day off (substituted from …)" and
    # weekend-shifted ones "… (observed)"; in China neither carries the statutory 300% premium.
    lower = name.lower()
    return "substituted" in lower or "observed" in lower


def weekend_days(country: str = "CN", subdivision: str | None = None) -> frozenset[int]:
    """The country's weekend as weekday numbers (0 = Monday), from the `holidays` package: Saturday and
    Sunday in China and the US, Friday and Saturday in Israel."""
    return frozenset(int(d) for d in getattr(_calendar(country.upper(), subdivision, (2000,)), "weekend", {5, 6}))


def day_calendar(dates, country: str = "CN", subdivision: str | None = None) -> pd.DataFrame:
    """One row per date: ``date, weekday (0=Mon), holiday_name, is_holiday, is_statutory, is_makeup_workday,
    is_rest_day, day_type``.

    ``is_holiday``: any day off in the public calendar (statutory or bridge); staffing on these days is
    guaranteed by the scheduler and roster. ``is_statutory``: a statutory holiday (holiday pay).
    ``is_makeup_workday``: a weekend day that is a working day. ``day_type``: 'holiday' for statutory days,
    'rest_day' for other days off (the country's weekend, :func:`weekend_days`; bridge days), 'workday'
    otherwise. ``holiday_block``: for
    every day off in a run of days off that contains a holiday, the name of that holiday ('' elsewhere).
    ``is_eve``: the day just before a holiday, not in a holiday block itself (Erev Pesach, Christmas Eve):
    often a short day.
    """
    ds = pd.to_datetime(pd.Series(list(dates))).dt.normalize().drop_duplicates().sort_values()
    # every queue of a forecast asks for the same days: built once per set of days (copied: callers may edit it)
    return _day_calendar(tuple(ds), country, subdivision).copy()


@lru_cache(maxsize=32)
def _day_calendar(days: tuple[pd.Timestamp, ...], country: str, subdivision: str | None) -> pd.DataFrame:
    """:func:`day_calendar` of the sorted, distinct midnights ``days``."""
    ds = pd.Series(list(days), dtype="datetime64[ns]")
    # each day's eve status depends on the next day: work on the dates and the day after each
    wanted = set(ds)
    ds = pd.Series(sorted(wanted | set(ds + pd.Timedelta(days=1))), dtype="datetime64[ns]") if len(ds) else ds
    years = tuple(sorted({d.year for d in ds}))
    cal = _calendar(country.upper(), subdivision, years) if years else {}
    makeup = set(getattr(cal, "weekend_workdays", set()) or set())
    weekend_set = weekend_days(country, subdivision)
    rows = []
    for ts in ds:
        d: date = ts.date()
        name = cal.get(d) if cal else None
        is_hol = name is not None
        statutory = is_hol and not (country.upper() == "CN" and _is_bridge(name))
        is_makeup = d in makeup
        weekend = d.weekday() in weekend_set
        rest = (weekend and not is_makeup) or (is_hol and not statutory)
        day_type = "holiday" if statutory else ("rest_day" if rest else "workday")
        rows.append((ts, d.weekday(), name or "", is_hol, statutory, is_makeup, rest, day_type))
    cal = pd.DataFrame(
        rows,
        columns=["date", "weekday", "holiday_name", "is_holiday", "is_statutory", "is_makeup_workday", "is_rest_day", "day_type"],
    ).reset_index(drop=True)
    cal["holiday_block"] = _blocks(cal)
    # an eve: the working day just before a holiday (not before a weekend that a Monday holiday extends)
    nxt = cal["is_holiday"].shift(-1, fill_value=False).astype(bool)
    follows = cal["date"].shift(-1) - cal["date"] == pd.Timedelta(days=1)
    cal["is_eve"] = (cal["holiday_block"] == "") & nxt & follows.to_numpy()
    return cal[cal["date"].isin(wanted)].reset_index(drop=True)


def holiday_family(name: str) -> str:
    """A holiday's name without the package's qualifiers: 'National Day (observed)' -> 'National Day'."""
    return name.split(" (")[0].strip() if name else ""


def _blocks(cal: pd.DataFrame) -> list[str]:
    # A run of consecutive days off (weekend or holiday) that contains a holiday is one holiday block:
    # in China the weekend inside National Day week is as quiet as the holidays around it. The block is
    # named after its most frequent statutory holiday.
    off = (cal["is_holiday"] | cal["is_rest_day"]).to_numpy()
    consecutive = cal["date"].diff().dt.days.fillna(1).to_numpy() == 1
    names = [""] * len(cal)
    i = 0
    while i < len(cal):
        if not off[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(cal) and off[j + 1] and consecutive[j + 1]:
            j += 1
        stat = [holiday_family(n) for n, st in zip(cal["holiday_name"].iloc[i : j + 1], cal["is_statutory"].iloc[i : j + 1]) if st]
        anyhol = [holiday_family(n) for n in cal["holiday_name"].iloc[i : j + 1] if n]
        pool = stat or anyhol
        if pool:
            block = max(sorted(set(pool)), key=pool.count)
            names[i : j + 1] = [block] * (j + 1 - i)
        i = j + 1
    return names


def holiday_dates(start, end, country: str = "CN", subdivision: str | None = None) -> set[pd.Timestamp]:
    """Dates (midnight Timestamps) from start to end inclusive that are public holidays of any kind."""
    cal = day_calendar(pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D"), country, subdivision)
    return set(cal.loc[cal["is_holiday"], "date"])


def week_working_share(week_starts, country: str = "CN", subdivision: str | None = None) -> pd.Series:
    """Per ISO week (given by its Monday): working days in the public calendar / 5, at most 1.

    Public days off on weekdays are paid days off, so they reduce the hours an agent owes that week
    (China: National Day week 2026 has 3 working days, so a 40-hour contract owes 24 hours). Make-up
    working days count as working days.
    """
    mondays = pd.to_datetime(pd.Series(list(week_starts))).dt.normalize().drop_duplicates().sort_values()
    if mondays.empty:
        return pd.Series(dtype=float)
    days = pd.date_range(mondays.min(), mondays.max() + pd.Timedelta(days=6), freq="D")
    cal = day_calendar(days, country, subdivision)
    cal["monday"] = cal["date"] - pd.to_timedelta(cal["weekday"], unit="D")
    share = (cal["day_type"] == "workday").groupby(cal["monday"]).sum() / 5.0
    return share.clip(upper=1.0).reindex(mondays.to_numpy())

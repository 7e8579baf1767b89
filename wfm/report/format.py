"""Formatting of figures for the report's page and workbook."""

from __future__ import annotations

import math

import pandas as pd

DAY_TYPE_LABEL = {"workday": "Workday", "rest_day": "Rest day", "holiday": "Holiday"}


def finite(x) -> bool:
    """Not None, NaN, NaT or an infinite float."""
    return x is not None and not (isinstance(x, float) and not math.isfinite(x)) and not pd.isna(x)


def fmt_num(x, digits: int = 0) -> str:
    """``x`` with thousands separators and ``digits`` decimals; an em dash for a missing number."""
    return f"{x:,.{digits}f}" if finite(x) else "—"


def fmt_pct(x, digits: int = 1) -> str:
    """A share (0-1) as a percentage with ``digits`` decimals; an em dash for a missing number."""
    return f"{100 * x:.{digits}f}%" if finite(x) else "—"


def fmt_hm(ts: pd.Timestamp, day: pd.Timestamp | None = None) -> str:
    """``HH:MM``, with ``+1`` when the time is on the day after ``day``."""
    if not finite(ts):
        return ""
    text = ts.strftime("%H:%M")
    if day is not None:
        n = (ts.normalize() - day.normalize()).days
        if n:
            text += f"+{n}"
    return text


def fmt_hours_of_day(h: float) -> str:
    """Hours of the day as ``HH:MM`` (22.0 -> '22:00', 6.5 -> '06:30')."""
    m = int(round(h * 60))
    return f"{m // 60 % 24:02d}:{m % 60:02d}"


def fmt_fact(v) -> str:
    """A fact of summary.json for the page: yes / no / a dash; numbers of 1,000 or more with thousands
    separators, smaller floats to 4 significant digits."""
    if isinstance(v, bool) or v is None:
        return {True: "yes", False: "no", None: "—"}[v]
    if isinstance(v, (int, float)) and math.isfinite(v) and abs(v) >= 1000:
        return f"{v:,.0f}" if abs(v) >= 10_000 or float(v).is_integer() else f"{v:,.1f}"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def json_num(v):
    """A JSON-friendly number: inf -> 'inf', NaN -> None."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else (None if math.isnan(v) else ("inf" if v > 0 else "-inf"))

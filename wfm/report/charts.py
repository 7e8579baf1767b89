"""The report's charts: matplotlib figures as data URIs, SVG for lines and bars (sharp at any zoom, text drawn
as glyph outlines so no font is needed to read them) and PNG at twice the page's pixel density for the heatmaps.

Colours mean one thing each, on every chart and in the page: red is under-staffing only, amber marks public
holidays, grey rest days. No timestamps and no software name in the files, so the same run gives the same
bytes. matplotlib is imported inside the functions: it is heavy and only the report draws.
"""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pandas as pd

from ..config import Config
from ..text import chart_rc, chart_text

# text.parse_math off: a queue or holiday named "$x$" is drawn as typed, never as mathtext
_RC = {"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "wfm", "axes.spines.top": False,
       "axes.spines.right": False, "axes.edgecolor": "#9aa5b1", "axes.labelcolor": "#334155",
       "xtick.color": "#475569", "ytick.color": "#475569", "text.parse_math": False}


def _rc() -> dict:
    """:data:`_RC` with the chart font list (DejaVu Sans, then installed fonts for other scripts)."""
    return {**_RC, **chart_rc()}


C_REQ, C_SCHED, C_ROS, C_SHORT, C_HOL, C_REST = "#111827", "#475569", "#3b82f6", "#dc2626", "#fde68a", "#f1f5f9"
C_HOL_INK = "#b45309"  # holiday labels: the amber of the holiday shading, dark enough to read


def _png_uri(fig) -> str:
    """The figure as a PNG data URI at 200 dpi, twice the page's 100 px per inch, so it stays sharp on
    high-density screens (no metadata: the same figure gives the same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=200, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _svg_uri(fig) -> str:
    """The figure as an SVG data URI (no date or creator: the same figure gives the same bytes). Shown
    through ``<img>``, so the browser never runs anything inside it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    # coordinates to 0.01 pt (matplotlib writes 1e-6): a third of the size, nothing visible lost
    svg = _SVG_NUMBER.sub(lambda m: f"{float(m.group()):.2f}".rstrip("0").rstrip("."), buf.getvalue().decode("utf-8"))
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


_SVG_NUMBER = re.compile(r"(?<![\w#.])-?\d+\.\d{3,}")



def coverage_charts(service: pd.DataFrame, cal: pd.DataFrame, cfg: Config) -> list[dict]:
    """One chart per queue: required vs scheduled vs rostered agents per interval, one panel per ISO week
    (Monday to Sunday), day gridlines and ticks every 6 hours, holidays shaded amber and rest days grey,
    under-staffing in red, the requirement drawn on top. Returns ``[{queue, uri}]`` (SVG)."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.transforms import blended_transform_factory

    step = pd.Timedelta(minutes=cfg.interval_minutes)
    kind = cal.set_index("date")
    charts = []
    with matplotlib.rc_context(_rc()):
        for q, s in service.groupby("queue", sort=True):
            s = s.sort_values("interval_start")
            mondays = sorted(set(s["interval_start"].dt.normalize() - pd.to_timedelta(s["interval_start"].dt.day_of_week, unit="D")))
            fig = Figure(figsize=(11, 0.6 + 1.6 * len(mondays)), layout="constrained")
            axes = np.atleast_1d(fig.subplots(len(mondays), 1, sharey=True, squeeze=False)[:, 0])
            ymax = max(float(s[["required", "rostered"]].max().max()), float(s["scheduled"].max()) if s["scheduled"].notna().any() else 0, 1)
            for ax, mon in zip(axes, mondays):
                end = mon + pd.Timedelta(days=7)
                w = s[(s["interval_start"] >= mon) & (s["interval_start"] < end)]
                under_x = blended_transform_factory(ax.transData, ax.transAxes)
                for d in pd.date_range(mon, end - pd.Timedelta(days=1), freq="D"):
                    hol = d in kind.index and kind.loc[d, "day_type"] == "holiday"
                    if d in kind.index and kind.loc[d, "day_type"] != "workday":
                        ax.axvspan(d, d + pd.Timedelta(days=1), color=C_HOL if hol else C_REST, alpha=0.55 if hol else 1, lw=0, zorder=0)
                        if hol:
                            ax.text(d + pd.Timedelta(hours=1), ymax * 1.1, "★ " + chart_text(str(kind.loc[d, "holiday_name"])[:20]),
                                    fontsize=7, color=C_HOL_INK, va="top")
                    ax.text(d + pd.Timedelta(hours=12), -0.2, f"{d:%a %d %b}", transform=under_x, ha="center", va="top",
                            fontsize=8, color=C_HOL_INK if hol else "#334155", fontweight="bold" if hol else "normal")
                x = list(w["interval_start"]) + ([w["interval_start"].iloc[-1] + step] if len(w) else [])

                def stair(col):
                    v = w[col].to_numpy(float)
                    return np.append(v, v[-1]) if len(v) else v

                if len(w):
                    ros, req = stair("rostered"), stair("required")
                    ax.fill_between(x, ros, step="post", color=C_ROS, alpha=0.22, lw=0, zorder=1, label="rostered (named agents)")
                    ax.step(x, ros, where="post", color=C_ROS, lw=0.6, zorder=2)
                    ax.fill_between(x, ros, req, where=ros < req, step="post", color=C_SHORT, alpha=0.75, lw=0, zorder=3,
                                    label="rostered below required")
                    ax.step(x, stair("scheduled"), where="post", color=C_SCHED, lw=1.0, ls=(0, (3, 2)), zorder=4, label="scheduled shifts")
                    ax.step(x, req, where="post", color=C_REQ, lw=1.3, zorder=5, label="required")
                ax.set_xlim(mon, end)
                ax.set_ylim(0, ymax * 1.15)
                days = pd.date_range(mon, end, freq="D")
                ax.set_xticks(days, minor=False)
                ax.set_xticklabels([])
                hours = [d + pd.Timedelta(hours=h) for d in days[:-1] for h in (6, 12, 18)]
                ax.set_xticks(hours, minor=True)
                ax.set_xticklabels([f"{t.hour:02d}" for t in hours], minor=True, fontsize=6.5, color="#64748b")
                ax.tick_params(axis="x", which="minor", length=2, pad=1)
                ax.tick_params(axis="x", which="major", length=0)
                ax.grid(axis="x", which="major", color="#94a3b8", lw=0.8)
                ax.grid(axis="x", which="minor", color="#eef2f6", lw=0.5)
                ax.grid(axis="y", color="#e2e8f0", lw=0.5)
                ax.set_ylabel("agents")
                ax.set_axisbelow(True)
            handles, labels = axes[0].get_legend_handles_labels()
            uniq = dict(zip(labels, handles))
            if uniq:
                fig.legend(uniq.values(), uniq.keys(), loc="outside upper right", ncols=4, frameon=False, fontsize=8)
            fig.suptitle(f"Queue {chart_text(q)}", x=0.01, ha="left", fontsize=10, fontweight="bold")
            charts.append({"queue": q, "uri": _svg_uri(fig)})
    return charts


def gap_matrix(service: pd.DataFrame, queue: str) -> pd.DataFrame:
    """The coverage gap of one queue as days x time of day: rostered agents (on shift, not on break) minus
    required (after shrinkage), i.e. :func:`wfm.service.service_projection`'s ``gap``. Index: dates (midnight
    Timestamps), columns: ``HH:MM`` of the interval start, both sorted; NaN where there is no interval."""
    s = service[service["queue"] == queue]
    t = s["interval_start"]
    m = pd.DataFrame({"date": t.dt.normalize(), "slot": t.dt.strftime("%H:%M"), "gap": s["gap"].astype(float)})
    out = m.pivot_table(index="date", columns="slot", values="gap", aggfunc="sum", sort=True)
    out.columns.name, out.index.name = "slot", "date"
    return out


def gap_heatmaps(service: pd.DataFrame, cal: pd.DataFrame) -> list[dict]:
    """One heatmap per queue of :func:`gap_matrix`: days down, time of day across, red under and blue over
    the requirement (diverging, centred on 0), holidays marked on the day axis. Returns ``[{queue, uri}]``."""
    import matplotlib
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    kind = cal.set_index("date") if len(cal) else pd.DataFrame(columns=["day_type", "holiday_name"])
    out = []
    with matplotlib.rc_context(_rc()):
        for q in sorted(set(service["queue"])):
            g = gap_matrix(service, q)
            if g.empty:
                continue
            v = g.to_numpy(float)
            ok = v[np.isfinite(v)]
            # each side on its own scale: one agent short stays plainly red even when one day is far over
            lo = max(float(-ok.min()) if ok.size else 0.0, 2.0)
            over = ok[ok > 0]
            hi = max(float(np.quantile(over, 0.95)) if over.size else 0.0, 2.0)
            clipped = ok.size > 0 and float(ok.max()) > hi
            fig = Figure(figsize=(11, 1.4 + 0.24 * len(g)), layout="constrained")
            ax = fig.subplots()
            im = ax.imshow(np.ma.masked_invalid(v), aspect="auto", interpolation="nearest", cmap="RdBu",
                           norm=TwoSlopeNorm(vcenter=0.0, vmin=-lo, vmax=hi))
            labels, hol = [], []
            for d in g.index:
                h = d in kind.index and kind.loc[d, "day_type"] == "holiday"
                hol.append(h)
                labels.append(f"{d:%a %d %b}" + (f"  ★ {chart_text(str(kind.loc[d, 'holiday_name'])[:22])}" if h else ""))
            ax.set_yticks(np.arange(len(g)), labels, fontsize=7 if len(g) > 14 else 8)
            for lab, h in zip(ax.get_yticklabels(), hol):
                if h:
                    lab.set_color(C_HOL_INK)
                    lab.set_fontweight("bold")
            cols = list(g.columns)
            ticks = [i for i, c in enumerate(cols) if c.endswith(":00") and int(c[:2]) % 2 == 0] or list(range(len(cols)))
            ax.set_xticks(ticks, [cols[i] for i in ticks], fontsize=8)
            ax.set_xlabel("time of day (interval start)")
            ax.spines[["left", "bottom"]].set_visible(False)
            cb = fig.colorbar(im, ax=ax, shrink=0.9, pad=0.01, extend="max" if clipped else "neither")
            cb.set_label("rostered − required agents")
            fig.suptitle(f"Queue {chart_text(q)}: coverage gap (red: fewer agents than required, blue: more; ★ holiday)", x=0.01,
                         ha="left", fontsize=10, fontweight="bold")
            out.append({"queue": q, "uri": _png_uri(fig)})
    return out


# cost components in the order they are stacked, with their label and colour
# (red is kept for under-staffing and amber for holidays, so the holiday premium is in the holiday amber)
COST_PARTS = [("base_cost", "base pay", "#3b82f6"), ("overtime_premium", "overtime", "#8b5cf6"),
              ("rest_day_premium", "rest day", "#10b981"), ("holiday_premium", "holiday", "#d97706"),
              ("night_premium", "night", "#1e3a8a"), ("on_cost", "on-cost", "#94a3b8")]


def cost_chart(by_day: pd.DataFrame, currency: str) -> str:
    """Stacked bars of the cost per day by component."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(11, 3.0), layout="constrained")
        ax = fig.subplots()
        x = np.arange(len(by_day))
        bottom = np.zeros(len(by_day))
        for col, label, color in COST_PARTS:
            v = by_day[col].to_numpy(float)
            if v.any():
                ax.bar(x, v, bottom=bottom, color=color, width=0.8, label=label)
                bottom += v
        long = len(x) > 14  # day of month only, with the month on the first day and each 1st
        labels = [f"{d:%a}\n{d.day}" + (f"\n{d:%b}" if i == 0 or d.day == 1 else "") if long else f"{d:%a}\n{d:%d %b}"
                  for i, d in enumerate(by_day["date"])]
        ax.set_xticks(x, labels, fontsize=7 if long else 8)
        for i, t in enumerate(by_day["day_type"]):
            if t == "holiday":
                ax.get_xticklabels()[i].set_color(C_HOL_INK)
                ax.get_xticklabels()[i].set_fontweight("bold")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_ylabel(chart_text(currency))
        ax.grid(axis="y", color="#e2e8f0", lw=0.5)
        ax.set_axisbelow(True)
        ax.set_xlim(-0.6, len(x) - 0.4)
        if bottom.any():
            ax.legend(loc="upper left", ncols=6, frameon=False, fontsize=8, bbox_to_anchor=(0, 1.12))
        return _svg_uri(fig)


def forecast_chart(hourly: pd.DataFrame, has_bounds: bool, cal: pd.DataFrame | None = None) -> str:
    """Forecast calls per hour, one panel per queue, with the hourly sum of the intervals' bounds; public
    holidays of ``cal`` (:func:`wfm.calendar.day_calendar`) shaded amber. SVG data URI."""
    import matplotlib
    import matplotlib.dates
    from matplotlib.figure import Figure

    queues = sorted(set(hourly["queue"]))
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(11, 0.6 + 2.1 * max(len(queues), 1)), layout="constrained")
        axes = np.atleast_1d(fig.subplots(max(len(queues), 1), 1, sharex=True, squeeze=False)[:, 0])
        for ax, q in zip(axes, queues):
            h = hourly[hourly["queue"] == q].sort_values("hour")
            if has_bounds:
                ax.fill_between(h["hour"], h["offered_lo"], h["offered_hi"], step="post", color=C_ROS, alpha=0.22, lw=0,
                                label="prediction interval (sum of the intervals' bounds)")
            ax.step(h["hour"], h["offered"], where="post", color=C_REQ, lw=1.0, label="forecast calls")
            if cal is not None and len(cal):
                for d in cal.loc[cal["day_type"] == "holiday", "date"]:
                    ax.axvspan(d, d + pd.Timedelta(days=1), color=C_HOL, alpha=0.55, lw=0, zorder=0)
            span = (h["hour"].max() - h["hour"].min()) if len(h) else pd.Timedelta(0)
            if span > pd.Timedelta(days=10):  # a labelled tick each Monday, a small one each day
                ax.xaxis.set_major_locator(matplotlib.dates.WeekdayLocator(byweekday=0))
                ax.xaxis.set_minor_locator(matplotlib.dates.DayLocator())
            else:
                ax.xaxis.set_major_locator(matplotlib.dates.DayLocator())
            ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%a %d %b"))
            ax.set_ylabel("calls per hour")
            ax.set_title(f"Queue {chart_text(q)}", loc="left", fontsize=9, fontweight="bold")
            ax.grid(axis="y", color="#e2e8f0", lw=0.5)
            ax.set_ylim(bottom=0)
            ax.set_axisbelow(True)
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="outside upper right", ncols=2, frameon=False, fontsize=8)
        return _svg_uri(fig)

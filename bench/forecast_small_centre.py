"""Forecast accuracy on a small, noisy, holiday-rich centre, against the 4-week mean measured in the same run.

Data: ../shared/data/il_bank_1999h1_30min.csv (an Israeli bank, about 50 calls per 30 minutes at peak, Sun-Thu
07-24 and Fri to 14; Pesach, Independence Day and Shavuot inside). Weekly origins (Sundays) over the last 12
weeks of the file, one week ahead each, at 30 minutes. Prints, for ordinary and holiday weeks, the WAPE of
wfm's forecaster, of the 4-week mean (same interval, mean of the 4 most recent same weekdays before the origin
that were ordinary days) and of seasonal naive (the most recent one), their ratios, the Poisson noise floor (the WAPE a forecast equal to the true mean would have if
the counts were Poisson around it: sum sqrt(2 mu / pi) / sum mu, with mu the 4-week mean), and the 80%
interval's empirical coverage.

Targets (issue 14): ordinary weeks WAPE <= 0.90x the 4-week mean; holiday weeks <= 1.2x ordinary weeks; 80%
intervals cover 75-85%.

Run: .venv/bin/python bench/forecast_small_centre.py [FILE] [--model NAME ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.calendar import day_calendar
from wfm.forecast import forecast
from wfm.history import load_history, validate_history

ROOT = Path(__file__).resolve().parents[1]
IL = ROOT.parent / "shared" / "data" / "il_bank_1999h1_30min.csv"


def lagged(idx: pd.Series, targets: pd.DataFrame, origin: pd.Timestamp, weeks: int, ordinary: set) -> np.ndarray:
    """Per target row, the mean of the same queue and time on the ``weeks`` most recent same weekdays before
    ``origin`` that were ordinary days (``ordinary``: no holiday, eve or festival day), as a planner's
    "mean of the last 4 Sundays" skips Pesach."""
    out = np.full(len(targets), np.nan)
    day = targets["interval_start"].dt.normalize()
    for d in day.unique():
        d = pd.Timestamp(d)
        back, k = [], 1
        while len(back) < weeks and k < 30:
            c = d - pd.Timedelta(days=7 * k)
            if c < origin and c in ordinary:
                back.append(c)
            k += 1
        sel = (day == d).to_numpy()
        rows = targets.loc[sel]
        vals = [idx.reindex(list(zip(rows["queue"], rows["interval_start"] - (d - c)))).to_numpy(dtype=float)
                for c in back]
        if vals:
            out[sel] = np.nanmean(np.vstack(vals), axis=0)
    return out


def wape(f, a) -> float:
    return float(np.abs(np.asarray(f) - np.asarray(a)).sum() / np.asarray(a).sum())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=IL)
    ap.add_argument("--model", action="append", help="forecast model(s) (default: the config's default)")
    ap.add_argument("--weeks", type=int, default=12, help="weekly origins at the end of the file")
    a = ap.parse_args()
    if not a.file.exists():
        print(f"{a.file.name} not found beside the project; skipped")
        return 0
    frame = load_history(a.file).frame
    idx = frame.set_index(["queue", "interval_start"])["offered"]
    last = frame["interval_start"].max().normalize()
    sundays = [d for d in pd.date_range(frame["interval_start"].min().normalize() + pd.Timedelta(days=35), last,
                                        freq="W-SUN") if d + pd.Timedelta(days=7) <= last + pd.Timedelta(days=1)]
    origins = sundays[-a.weeks:]
    cal = day_calendar(pd.date_range(frame["interval_start"].min().normalize(), last), "IL").set_index("date")
    ordinary = set(cal.index[cal["holiday_block"].eq("") & ~cal["is_holiday"].astype(bool)])
    for model in a.model or [None]:
        rows, secs = [], []
        for o in origins:
            h = validate_history(frame[frame["interval_start"] < o], interval_minutes=30)
            t = time.perf_counter()
            fc = forecast(h, weeks=1, start=o, country="IL", default_aht_s=180, **({"model": model} if model else {}))
            secs.append(time.perf_counter() - t)
            fc["actual"] = idx.reindex(list(zip(fc["queue"], fc["interval_start"]))).to_numpy()
            fc = fc[fc["actual"].notna()].copy()
            fc["mean4"] = lagged(idx, fc, o, 4, ordinary)
            fc["naive"] = lagged(idx, fc, o, 1, ordinary)
            fc["origin"] = o
            days = fc["interval_start"].dt.normalize().unique()
            fc["holiday_week"] = bool(cal.reindex(days)["holiday_block"].fillna("").ne("").any())
            rows.append(fc)
        bt = pd.concat(rows, ignore_index=True).fillna({"mean4": 0.0, "naive": 0.0})
        print(f"[{model or 'default'}] {a.file.name}: {len(origins)} weekly origins {origins[0]:%Y-%m-%d}.."
              f"{origins[-1]:%Y-%m-%d}, one week ahead, 30 min; fit+forecast mean {np.mean(secs):.2f} s")
        per = {}
        for label, sel in (("ordinary weeks", ~bt["holiday_week"]), ("holiday weeks", bt["holiday_week"]),
                           ("all weeks", bt["holiday_week"] | ~bt["holiday_week"])):
            g = bt[sel]
            if not len(g):
                continue
            w, m4, nv = wape(g["offered"], g["actual"]), wape(g["mean4"], g["actual"]), wape(g["naive"], g["actual"])
            floor = float(np.sqrt(2 * g["mean4"].clip(lower=0) / np.pi).sum() / g["mean4"].sum())
            inside = float(((g["actual"] >= g["offered_lo"]) & (g["actual"] <= g["offered_hi"])).mean())
            per[label] = w
            print(f"  {label:<15} weeks={g['origin'].nunique():>2}  WAPE wfm={w:.4f}  4-week mean={m4:.4f} "
                  f"(ratio {w / m4:.3f}; target <= 0.90)  seasonal naive={nv:.4f}  noise floor~{floor:.4f}  "
                  f"80% coverage={inside:.3f}")
        if "holiday weeks" in per and "ordinary weeks" in per:
            print(f"  holiday / ordinary WAPE = {per['holiday weeks'] / per['ordinary weeks']:.2f} (target <= 1.2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

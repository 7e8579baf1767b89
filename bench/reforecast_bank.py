"""Intraday re-forecast against the morning-blind forecast, on real banks' calls.

For each weekly origin a week is forecast from the history before it (wfm's calendar model); then on each day
of that week the forecast is re-forecast at a time of day (10:00, 12:00, 15:00) from that day's calls so far,
with the carry-over learned from the same history, and without it (the day moves as one). Prints the WAPE of
the rest of the day and of the next open day, blind and re-forecast, their ratio, and the 80% interval's
coverage of the rest of the day.

Data: ../shared/data/bank_calls_5min.csv (US bank, 5 min, 8 weekly origins as bench/forecast_accuracy.py) and
../shared/data/il_bank_1999h1_30min.csv (Israeli bank, 30 min, Sunday origins over its last 12 weeks).

Run: .venv/bin/python bench/reforecast_bank.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.forecast import forecast, learn_carryover, reforecast
from wfm.history import load_history, validate_history

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CENTRES = [("US bank", "bank_calls_5min.csv", 5, "US", 0, 8), ("IL bank", "il_bank_1999h1_30min.csv", 30, "IL", 6, 12)]
CUTS = ("10:00", "12:00", "15:00")


def run(frame: pd.DataFrame, interval: int, country: str, origins: list[pd.Timestamp]) -> pd.DataFrame:
    act = frame.set_index(["queue", "interval_start"])["offered"]
    rows = []
    for o in origins:
        h = validate_history(frame[frame["interval_start"] < o], interval_minutes=interval)
        fc = forecast(h, weeks=1, start=o, country=country, default_aht_s=300)
        fc_days = sorted(fc["interval_start"].dt.normalize().unique())
        for cut in CUTS:
            t = time.perf_counter()
            co = learn_carryover(h, cut, country)
            learn_s = time.perf_counter() - t
            for j, d in enumerate(fc_days):
                as_of = d + pd.Timedelta(hours=int(cut[:2]), minutes=int(cut[3:]))
                calls = frame[(frame["interval_start"] >= d) & (frame["interval_start"] < as_of)]
                if calls.empty or not (fc["interval_start"] >= as_of).any():
                    continue
                t = time.perf_counter()
                versions = {"blind": fc[fc["interval_start"] >= as_of],
                            "re": reforecast(fc, calls, as_of, carryover=co, interval_minutes=interval),
                            "re, no history": reforecast(fc, calls, as_of, interval_minutes=interval)}
                re_s = (time.perf_counter() - t) / 2
                nxt = fc_days[j + 1] if j + 1 < len(fc_days) else None
                for name, f in versions.items():
                    a = act.reindex(list(zip(f["queue"], f["interval_start"]))).to_numpy()
                    day = f["interval_start"].dt.normalize().to_numpy()
                    for part, sel in (("rest of day", day == d), ("next day", day == nxt)):
                        sel = sel & np.isfinite(a)
                        if sel.any():
                            inside = (a[sel] >= f["offered_lo"].to_numpy()[sel]) & (a[sel] <= f["offered_hi"].to_numpy()[sel])
                            rows.append({"cut": cut, "version": name, "part": part, "origin": o,
                                         "err": float(np.abs(f["offered"].to_numpy()[sel] - a[sel]).sum()),
                                         "calls": float(a[sel].sum()), "inside": int(inside.sum()), "n": int(sel.sum()),
                                         "learn_s": learn_s, "reforecast_s": re_s})
    return pd.DataFrame(rows)


def main() -> int:
    for name, file, interval, country, first_weekday, n in CENTRES:
        path = DATA / file
        if not path.exists():
            print(f"{name}: {path.name} not found beside the project; skipped")
            continue
        frame = load_history(path).frame
        days = pd.DatetimeIndex(np.sort(frame["interval_start"].dt.normalize().unique()))
        origins = [d for d in days if d.day_of_week == first_weekday][-(n + 1):-1]
        r = run(frame, interval, country, origins)
        print(f"{name} ({interval}-min, {len(origins)} weekly origins, every day of each forecast week)")
        for (cut, part), g in sorted(r.groupby(["cut", "part"]), key=lambda kv: (kv[0][0], kv[0][1] != "rest of day")):
            s = g.groupby("version").agg(err=("err", "sum"), calls=("calls", "sum"), inside=("inside", "sum"), n=("n", "sum"))
            w = s["err"] / s["calls"]
            cov = s["inside"] / s["n"]
            print(f"  at {cut}, {part:<11}: WAPE blind {w['blind']:.4f}  re-forecast {w['re']:.4f} "
                  f"(ratio {w['re'] / w['blind']:.3f}; no history {w['re, no history']:.4f}, "
                  f"{w['re, no history'] / w['blind']:.3f})  80% coverage blind {cov['blind']:.3f} re {cov['re']:.3f}")
        print(f"  time: learning the carry-over {r['learn_s'].mean():.3f} s, one re-forecast {r['reforecast_s'].mean():.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

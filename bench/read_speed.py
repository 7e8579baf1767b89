"""Speed of reading a history file: wfm's one reader (encoding, row numbers, the number and timestamp
parsers, the interval checks) against plain ``pandas.read_csv`` + ``pd.to_datetime`` of the same file,
measured in the same run.

The file: the demo's history (2¾ years, 2 queues, 15-minute intervals, about 192,000 rows), written once as
CSV; ``--plain`` keeps it as written (the C-parser path), ``--quoted`` quotes every cell (the careful
path, which every file that is not plain takes). Prints the best of ``--repeat`` wall-clock times and the
ratio to the pandas baseline. The baseline checks nothing; the ratio is what the checks cost (row numbers,
ambiguous dates, the interval grid, duplicates, interval length, gaps).

Run: .venv/bin/python bench/read_speed.py [--repeat 5] [--quoted]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import pandas as pd

from wfm.demo import demo_history
from wfm.history import load_history


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quoted", action="store_true", help="quote every cell (the careful reader's path)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "calls.csv"
        frame = demo_history()
        frame.to_csv(path, index=False, quoting=csv.QUOTE_ALL if args.quoted else csv.QUOTE_MINIMAL)

        def baseline():
            df = pd.read_csv(path)
            df["interval_start"] = pd.to_datetime(df["interval_start"], format="%Y-%m-%d %H:%M:%S")
            return df

        base = best(baseline, args.repeat)
        wfm = best(lambda: load_history(path), args.repeat)
        size = path.stat().st_size
    print(f"history: {len(frame):,} rows, {size / 1e6:.1f} MB; "
          f"{'every cell quoted' if args.quoted else 'plain CSV'}")
    print(f"pandas read_csv + to_datetime   {base:6.3f} s")
    print(f"wfm load_history                {wfm:6.3f} s   ratio {wfm / base:.1f}x")


if __name__ == "__main__":
    main()

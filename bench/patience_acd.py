"""Caller patience on an ACD export with waiting times, by each method wfm has, against the exponential MLE.

Data: ../shared/data/il_bank_1999_janfeb_acd_30min.csv (an Israeli bank, January and February 1999, 30-minute
intervals with ``asa_s`` and ``abandon_wait_s``). The reference is the MLE computed here straight from the
columns: sum(handled * asa_s + abandoned * abandon_wait_s) / sum(abandoned). Prints, overall and by month, each
method's estimate [s], its 95% interval and its ratio to that MLE:

* ``waits``: wfm's waiting-time MLE (target: within 2%);
* ``asa``: the same file without ``abandon_wait_s`` (ASA and abandonment through Erlang A; target within 20%);
* ``assumed Erlang C staffing``: without any waiting time (today's fallback; an assumption).

Run: .venv/bin/python bench/patience_acd.py [FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from wfm.history import load_history
from wfm.patience import estimate_patience

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "il_bank_1999_janfeb_acd_30min.csv"


def mle(f: pd.DataFrame) -> float:
    waited = (f["handled"] * f["asa_s"].fillna(0.0)).sum() + (f["abandoned"] * f["abandon_wait_s"].fillna(0.0)).sum()
    return float(waited / f["abandoned"].sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    args = ap.parse_args()
    h = load_history(args.file)
    f, iv = h.frame, h.interval_minutes * 60
    month = f["interval_start"].dt.to_period("M")
    periods = [("overall", f)] + [(str(m), f[month == m]) for m in sorted(month.unique())]
    variants = (("waits", lambda g: g), ("asa", lambda g: g.drop(columns="abandon_wait_s")),
                ("staffing", lambda g: g.drop(columns=["abandon_wait_s", "asa_s"])))
    print(f"{'period':<9} {'method':<26} {'patience_s':>10} {'95% interval':>15} {'/ MLE':>7}")
    for name, g in periods:
        ref = mle(g)
        print(f"{name:<9} {'MLE from the columns':<26} {ref:>10.1f}")
        for _, cut in variants:
            r = estimate_patience(cut(g), iv, level=0.95).iloc[0]
            span = f"{r.patience_lo_s:.0f}-{r.patience_hi_s:.0f}" if r.identified else "not identified"
            print(f"{'':<9} {r.method:<26} {r.patience_s:>10.1f} {span:>15} {r.patience_s / ref:>7.3f}")


if __name__ == "__main__":
    main()

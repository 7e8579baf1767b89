"""Planning speed: ``wfm demo`` and a +10% volume ``wfm whatif`` of it, this checkout against an earlier
version of wfm measured in the same run, with the demo's figures side by side.

The earlier version is any git revision of this repository (default: ``--baseline HEAD~1``); it is checked
out into a temporary ``git worktree`` and run with the same Python, so both versions see the same
libraries and the same machine load. Each command runs as a whole process (start-up, imports and writing
the files included); the best of ``--repeat`` wall-clock times is printed, with the ratio new / baseline.

Targets (issue 13): demo <= 60 s, +10% what-if <= 30 s on a 2-core machine, and no figure of the demo
worse than the baseline's (cost, service level, unfilled shifts, holiday duty spread; the spread is also
given within each skill set and contract, among agents who can take each other's shifts).

Run: .venv/bin/python bench/replan_speed.py --baseline <rev> [--repeat 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent

# Runs wfm's CLI from a given source tree, ahead of whatever wfm the interpreter has installed.
LAUNCH = "import sys; sys.path.insert(0, sys.argv[1]); sys.argv = ['wfm'] + sys.argv[2:]; import wfm.cli; wfm.cli.main()"

FIGURES = [  # (label, key in summary.json "report", True when lower is better)
    ("weekly cost", "weekly_cost", True),
    ("total cost", "total_cost", True),
    ("scheduled paid hours", "paid_hours", True),
    ("expected service level", "expected_service_level", False),
    ("expected abandonment", "expected_abandon_rate", True),
    ("unfilled shifts", "unfilled_shifts", True),
    ("holiday shifts unfilled", "holiday_shifts_unfilled", True),
]


def timed(src: Path, args: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", LAUNCH, str(src), *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def figures(run: Path) -> dict:
    meta = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    fig = dict(meta.get("report") or {})
    fig["holiday_spread"] = (meta.get("roster") or {}).get("holiday_spread")
    # within a skill set and contract (agents who can take each other's shifts), from the run's own files
    summ = pd.read_csv(run / "agent_summary.csv").merge(pd.read_csv(run / "agents.csv"), on="agent_id",
                                                        suffixes=("", "_agent"))
    g = summ.loc[summ["shifts"] > 0].groupby(["queues", "contract"])["holiday_shifts"]
    fig["holiday_spread_in_group"] = int((g.max() - g.min()).max()) if len(summ) else None
    return fig


def measure(src: Path, work: Path, repeat: int) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    demo = min(timed(src, ["demo", "--out", ".", "--quiet"], work) for _ in range(repeat))
    run = work / "schedules" / "demo"
    whatif = min(timed(src, ["whatif", "--run", str(run), "--volume", "+10%", "--out", str(work / "w")], work)
                 for _ in range(repeat))
    return {"demo_s": demo, "whatif_s": whatif, "figures": figures(run),
            "whatif": json.loads((work / "w" / "summary.json").read_text(encoding="utf-8"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="HEAD~1", help="git revision to compare with (default HEAD~1)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command; the best time is kept")
    ap.add_argument("--keep", type=Path, help="keep both versions' outputs in this folder")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="wfm_replan_"))
    base_src = tmp / "baseline"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(base_src), a.baseline],
                   check=True)
    try:
        rev = subprocess.run(["git", "-C", str(base_src), "rev-parse", "--short", "HEAD"], check=True,
                             capture_output=True, text=True).stdout.strip()
        out = a.keep or tmp / "out"
        old = measure(base_src, out / "baseline", a.repeat)
        new = measure(REPO, out / "new", a.repeat)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base_src)], check=False)
        if a.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"baseline {rev} vs this checkout (best of {a.repeat}, whole process)")
    print(f"{'command':<22}{'baseline s':>12}{'new s':>10}{'new/base':>10}   target")
    for label, key, target in (("wfm demo", "demo_s", "<= 60 s"), ("wfm whatif +10%", "whatif_s", "<= 30 s")):
        print(f"{label:<22}{old[key]:>12.1f}{new[key]:>10.1f}{new[key] / old[key]:>10.2f}   {target}")
    print()
    print(f"{'demo figure':<26}{'baseline':>14}{'new':>14}   verdict")
    for label, key, lower in FIGURES + [("holiday duty spread", "holiday_spread", True),
                                        ("  within skills x contract", "holiday_spread_in_group", True)]:
        b, n = old["figures"].get(key), new["figures"].get(key)
        if b is None or n is None:
            print(f"{label:<26}{str(b):>14}{str(n):>14}")
            continue
        worse = (n > b + 1e-9) if lower else (n < b - 1e-9)
        print(f"{label:<26}{b:>14,.4f}{n:>14,.4f}   {'WORSE' if worse else 'same' if abs(n - b) < 1e-9 else 'better'}")


if __name__ == "__main__":
    main()

"""The whole pipeline: history -> forecast -> requirements -> shifts -> roster -> costs and report.

Outputs of a run named R under a base directory B:
``B/forecasts/R/``: forecast.csv, forecast.png;
``B/schedules/R/``: requirements.csv, shifts.csv, coverage.csv, roster.csv, unfilled_shifts.csv,
agent_summary.csv, holiday_ledger.csv, costs.csv, report.html, report.xlsx, agents.csv and config.yaml
(copies of the inputs used), summary.json.
Each output directory is built in a temporary directory beside it and swapped in only when complete,
so a failed run never leaves a half-written run and never damages the previous one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .config import Config
from .history import History
from .io import _umask, write_csv, write_text


@contextmanager
def staged_dir(final: Path):
    """Yield a temp directory; on success replace ``final`` with it, on failure remove it."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes the folder private; a run folder is an ordinary folder
    try:
        yield tmp
        old = None
        if final.exists():
            old = final.parent / f".{final.name}.old-{tmp.name}"
            final.rename(old)
        tmp.rename(final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _dump_json(obj, path: Path) -> None:
    write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", path)


def config_yaml(cfg: Config) -> str:
    """The config as YAML, keys in schema order (what the run used, defaults included)."""
    return yaml.safe_dump(cfg.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True)


@dataclass
class RunResult:
    """Where a run wrote its outputs and the headline figures it printed."""

    forecast_dir: Path
    run_dir: Path
    figures: dict = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def run_pipeline(
    history: History,
    agents: pd.DataFrame,
    cfg: Config,
    base: str | Path = ".",
    name: str = "run",
    ledger: pd.DataFrame | None = None,
    stage=None,
) -> RunResult:
    """Run every stage and write the run's files. ``stage(name)`` is called as each stage starts."""
    from . import forecast as fc_mod
    from .report import build_report
    from .roster import build_roster
    from .scheduling import schedule
    from .staffing import requirements

    def tell(msg: str) -> None:
        if stage:
            stage(msg)

    base = Path(base)
    fdir, sdir = base / "forecasts" / name, base / "schedules" / name
    messages = list(history.warnings)
    with staged_dir(fdir) as ftmp, staged_dir(sdir) as stmp:
        tell("forecast")
        fc = fc_mod.forecast_from_config(history, cfg)
        write_csv(fc, ftmp / "forecast.csv")
        fig = fc_mod.plot_forecast(history, fc)
        fig.savefig(ftmp / "forecast.png", dpi=110, metadata={"Software": None})
        import matplotlib.pyplot as plt

        plt.close(fig)

        tell("staffing")
        req = requirements(fc, cfg)
        write_csv(req, stmp / "requirements.csv")

        tell("schedule")
        sched = schedule(req, cfg, agents=agents)
        write_csv(sched.shifts, stmp / "shifts.csv")
        write_csv(sched.coverage, stmp / "coverage.csv")

        tell("roster")
        ros = build_roster(sched.shifts, agents, cfg, ledger=ledger)
        write_csv(ros.roster, stmp / "roster.csv")
        write_csv(ros.unfilled, stmp / "unfilled_shifts.csv")
        write_csv(ros.agent_summary, stmp / "agent_summary.csv")
        write_csv(ros.ledger, stmp / "holiday_ledger.csv")
        messages += list(ros.summary.get("messages", []))

        write_csv(agents, stmp / "agents.csv")
        write_text(config_yaml(cfg), stmp / "config.yaml")
        _dump_json(
            {
                "history": {"source": history.source, "start": history.start, "end": history.end,
                            "interval_minutes": history.interval_minutes, "queues": history.queues,
                            "gaps": int(len(history.gaps))},
                "forecast": {"file": str(fdir / "forecast.csv"), "start": fc["interval_start"].min(),
                             "end": fc["interval_start"].max(), "calls": float(fc["offered"].sum())},
                "schedule": sched.summary,
                "roster": ros.summary,
            },
            stmp / "summary.json",
        )

        tell("costs and report")
        rep = build_report(stmp, cfg, run_name=name)
    figures = dict(rep.summary) if hasattr(rep, "summary") else {}
    return RunResult(forecast_dir=fdir, run_dir=sdir, figures=figures, messages=messages)

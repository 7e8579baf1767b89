"""The commands' chains: ``wfm run`` / ``wfm demo`` (:func:`run_pipeline`) and ``wfm whatif`` (:func:`run_whatif`).

A run: history -> forecast (and its backtest) -> :func:`wfm.plan.plan` -> :func:`wfm.runs.write_plan`.
Outputs of a run named R under a base directory B:
``B/forecasts/R/``: forecast.csv, forecast.png;
``B/schedules/R/``: requirements.csv, shifts.csv, coverage.csv, roster.csv, unfilled_shifts.csv,
agent_summary.csv, holiday_ledger.csv, costs.csv, forecast_backtest.csv, report.html, roster.html, report.xlsx,
agents.csv, config.yaml and holiday_ledger_input.csv (copies of the inputs used), summary.json; a plan by skill
set (``staffing.multiskill.plan: skill_set``) adds skill_set_requirements.csv and skill_set_service.csv.
A what-if re-plans a finished run's forecast under changed assumptions, starting from its shifts,
into ``<run>-whatif``. Each output folder is built in a temporary folder beside it and swapped in only when
complete (wfm.outputs), all of a command's folders together, so a failed or interrupted run never leaves a
half-written run and never damages the previous one; an existing folder is replaced only if it is a run (or
forecast) folder wfm made.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import forecast as fc_mod
from . import parallel
from .agents import check_skills, load_agents
from .config import Config, load_config, parse_config
from .errors import InputError, OutputError
from .history import History
from .io import write_csv
from .outputs import check_replaceable, check_run_name, inside, output_set
from .plan import Plan, Start, plan
from .runs import build_report, write_plan
from .tables import read_frame, read_shifts

LEDGER_INPUT = "holiday_ledger_input.csv"  # the ledger a run was given, kept so that a what-if starts from it


def run_targets(base: str | Path, name: str, inputs=(), name_source: str | None = None) -> tuple[Path, Path]:
    """The folders a run named ``name`` writes under ``base``: (``base/forecasts/name``,
    ``base/schedules/name``). Raises OutputError if the name is not one folder name, a folder would lie
    outside ``base``, or an existing folder there is not a forecast / run folder wfm made or holds one of
    ``inputs``. ``name_source`` says where a name the user did not type came from."""
    check_run_name(name, name_source)
    base = Path(base)
    if base.exists() and not base.is_dir():
        raise OutputError(f"{base}: is a file, not a folder")
    fdir, sdir = base / "forecasts" / name, base / "schedules" / name
    for d, kind in ((fdir, "forecast"), (sdir, "run")):
        if not inside(d, base):
            raise OutputError(f"{d}: lies outside --out {base} (a symbolic link?); wfm writes only inside --out")
        check_replaceable(d, (kind,), inputs)
    return fdir, sdir


@dataclass(frozen=True)
class RunResult:
    """Where a run wrote its outputs, the headline figures it printed and the plan itself."""

    forecast_dir: Path
    run_dir: Path
    figures: dict = field(default_factory=dict)
    messages: tuple[str, ...] = ()
    plan: Plan | None = None


def run_pipeline(history: History, agents: pd.DataFrame, cfg: Config, base: str | Path = ".", name: str = "run",
                 ledger: pd.DataFrame | None = None, stage=None, backend=None, inputs=(), actuals=None) -> RunResult:
    """Forecast the history, plan it (:func:`wfm.plan.plan`) and write the run's two folders.
    ``stage(name)`` is called as each stage starts. ``backend`` (:func:`wfm.parallel.open_backend`; None:
    serial) runs forecasting, staffing and scheduling per queue. ``inputs``: the input files, which the run
    must not replace (see :func:`run_targets`, checked before any work). ``actuals``: the calls that came
    in the planned period (a History, :func:`wfm.runs.load_actuals`), for the report's forecast against
    actual. Both folders are swapped in together or not at all."""
    tell = stage or (lambda _name: None)
    fdir, sdir = run_targets(base, name, inputs)
    check_skills(history.queues, agents)
    with output_set(inputs=inputs) as out:
        ftmp = out.dir(fdir, kinds=("forecast",))
        stmp = out.dir(sdir, kinds=("run",))
        tell("forecast")
        settings = fc_mod.ForecastSettings.from_config(cfg)  # the events file read once, for both
        fc = parallel.forecast(history, settings, backend=backend)
        write_forecast(history, fc, ftmp)
        # the report shows the forecast's accuracy: a short backtest of the model used and of seasonal naive
        backtest = fc_mod.write_forecast_backtest(history, settings, fc, stmp)
        p = plan(fc, agents, cfg, history=history, ledger=ledger, backend=backend, progress=tell)
        if ledger is not None:
            write_csv(ledger, stmp / LEDGER_INPUT)
        facts = {
            "history": {"source": history.source, "start": history.start, "end": history.end,
                        "interval_minutes": history.interval_minutes, "queues": history.queues,
                        "gaps": int(len(history.gaps))},
            # relative to the run folder, so that the report finds it from any working folder
            "forecast": {"file": f"../../forecasts/{name}/forecast.csv", "start": fc["interval_start"].min(),
                         "end": fc["interval_start"].max(), "calls": float(fc["offered"].sum()),
                         "models": dict(fc.attrs.get("models") or {}), "backtest": backtest,
                         "unseen_holidays": dict(fc.attrs.get("unseen_holidays") or {})},
        }
        # the forecast this run made (its folder is not in place yet: never one of an earlier run)
        figures = write_plan(p, stmp, name=name, kind="run", facts=facts, forecast=ftmp / "forecast.csv", actuals=actuals)
    return RunResult(forecast_dir=fdir, run_dir=sdir, figures=figures,
                     messages=(*history.warnings, *fc_mod.unseen_holiday_notes(fc), *p.messages), plan=p)


def write_forecast(history: History, forecast: pd.DataFrame, folder: Path) -> None:
    """forecast.csv and forecast.png (history and forecast, the chart of wfm.forecast.plot_forecast)."""
    import matplotlib.pyplot as plt  # here: matplotlib is slow to import and only writing needs it

    write_csv(forecast, folder / "forecast.csv")
    fig = fc_mod.plot_forecast(history, forecast)
    fig.savefig(folder / "forecast.png", dpi=110, metadata={"Software": None})
    plt.close(fig)


@dataclass(frozen=True)
class WhatIfResult:
    """A scenario re-planned from a finished run: where it was written, the side-by-side comparison
    (``comparison``: ``metric, base, scenario, change, change_pct``) and the scenario's plan."""

    run_dir: Path
    comparison: pd.DataFrame
    messages: tuple[str, ...] = ()
    plan: Plan | None = None


def whatif_target(run_dir: str | Path, out_dir: str | Path | None = None) -> Path:
    """The folder a what-if of ``run_dir`` writes to (default ``<run>-whatif`` beside the run). Raises
    OutputError if it is the run, lies inside it or holds it, or exists as anything but a what-if folder
    wfm made (:func:`wfm.outputs.check_replaceable`)."""
    run_dir = Path(run_dir)
    out = Path(out_dir) if out_dir else run_dir.parent / f"{run_dir.name}-whatif"
    if inside(out, run_dir):
        why = "is the base run" if inside(run_dir, out) else "lies inside the base run"
        raise OutputError(f"--out {out}: {why} {run_dir}; a what-if never modifies its run: "
                          "write it to a folder beside the run")
    if inside(run_dir, out):
        raise OutputError(f"--out {out}: holds the base run {run_dir}; a what-if never replaces its run: "
                          "write it to a folder beside the run")
    check_replaceable(out, ("whatif",), (run_dir,))
    return out


def _read_summary(run_dir: Path) -> dict:
    """A finished run's summary.json as a dict; empty for an older or hand-made run without a usable one."""
    try:
        meta = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _check_against_summary(req: pd.DataFrame, meta: dict, run_dir: Path) -> None:
    """Refuse a requirements.csv whose horizon or call total differs from what the run's summary.json
    (``meta``) says it forecast: a file cut off or edited would otherwise re-plan a different problem
    without a word."""
    fc = meta.get("forecast")
    if not isinstance(fc, dict):
        return  # an older or hand-made run: nothing to check against
    src = str(run_dir / "requirements.csv")
    try:
        start, end = pd.Timestamp(fc["start"]), pd.Timestamp(fc["end"])
    except (KeyError, TypeError, ValueError):
        return
    have = (req["interval_start"].min(), req["interval_start"].max())
    if have != (start, end):
        raise InputError(f"covers {have[0]} to {have[1]} but the run forecast {start} to {end} (summary.json): "
                         "the file was cut off or edited; re-run the plan", file=src)
    calls = fc.get("calls")
    if isinstance(calls, (int, float)) and abs(float(req["offered"].sum()) - calls) > 0.5 + 1e-6 * abs(calls):
        raise InputError(f"holds {req['offered'].sum():,.1f} offered calls but the run forecast {calls:,.1f} "
                         "(summary.json): the file was cut off or edited; re-run the plan", file=src, column="offered")


WHATIF_METRICS = [
    ("forecast calls", "forecast_calls"),
    ("required agent-hours", None),
    ("scheduled paid hours", "paid_hours"),
    ("total cost", "total_cost"),
    ("weekly cost", "weekly_cost"),
    ("cost per forecast call", "cost_per_call"),
    ("cost per handled call", "cost_per_handled_call"),
    ("expected service level", "expected_service_level"),
    ("simulated service level", "simulated_service_level"),
    ("expected abandonment", "expected_abandon_rate"),
    ("unfilled shifts", "unfilled_shifts"),
]


def _headline_figures(run_dir: Path, cfg: Config, name: str, meta: dict) -> dict:
    """The report's figures for a finished run: those its summary.json (``meta``) recorded when the run was
    made, else (an older run) computed again in a scratch copy so the run is never touched."""
    rep = meta.get("report")
    if isinstance(rep, dict) and all(key in rep for _, key in WHATIF_METRICS if key is not None):
        return dict(rep)
    with tempfile.TemporaryDirectory(prefix="wfm_base_") as tmp:
        copy = Path(tmp) / name
        shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns(".*"))  # not staging debris
        return dict(build_report(copy, cfg, run_name=name).summary)


@dataclass(frozen=True)
class BaseRun:
    """What a what-if takes from a finished run folder: its config, agents, forecast (from
    requirements.csv), holiday ledger input, shifts (the re-plan's MIP starts), summary.json and
    the required agent-hours it planned for."""

    cfg: Config
    agents: pd.DataFrame
    forecast: pd.DataFrame
    ledger: pd.DataFrame | None
    start: Start
    meta: dict
    required_agent_h: float | None


def read_base_run(run_dir: Path) -> BaseRun:
    """Read a finished run folder for a what-if; InputError names a missing or bad file."""
    for need in ("config.yaml", "agents.csv", "requirements.csv"):
        if not (run_dir / need).is_file():
            raise InputError(f"{need} not found: a what-if starts from a finished run folder", file=str(run_dir))
    cfg = load_config(run_dir / "config.yaml")
    agents = load_agents(run_dir / "agents.csv")
    # a user may have edited the file: one line naming the file, row and column of a bad cell
    raw = read_frame(run_dir / "requirements.csv", ["queue", "interval_start", "offered", "aht_s"],
                     times=["interval_start"], numbers=["offered", "aht_s", "scheduled_required"],
                     bools=["is_holiday"])
    meta = _read_summary(run_dir)
    _check_against_summary(raw, meta, run_dir)
    fc = raw[["queue", "interval_start", "offered", "aht_s"]].copy()
    if "is_holiday" in raw:
        fc["is_holiday"] = raw["is_holiday"].astype(bool)
    ledger = None
    if (run_dir / LEDGER_INPUT).is_file():
        from .agents import read_ledger

        ledger = read_ledger(run_dir / LEDGER_INPUT)
    shifts = read_shifts(run_dir / "shifts.csv") if (run_dir / "shifts.csv").is_file() else None
    req_h = (float(raw["scheduled_required"].sum()) * cfg.interval_minutes / 60.0
             if "scheduled_required" in raw else None)
    return BaseRun(cfg=cfg, agents=agents, forecast=fc, ledger=ledger, start=Start(shifts=shifts),
                   meta=meta, required_agent_h=req_h)


def scenario_config(cfg: Config, sl: tuple[float, float] | None, shrinkage: float | None) -> Config:
    """``cfg`` with the service target (share, answer time [s]) and/or total shrinkage changed."""
    data = cfg.model_dump(mode="json", by_alias=True)
    if sl is not None:
        data["staffing"]["sl_target"], data["staffing"]["sl_seconds"] = sl
    if shrinkage is not None:
        data["staffing"]["shrinkage"] = shrinkage
    return parse_config(data, source="what-if")


def compare(base: dict, scenario: dict, base_req_h: float | None, scenario_req_h: float) -> pd.DataFrame:
    """The what-if table: one row per :data:`WHATIF_METRICS` with base, scenario, change and change_pct."""
    rows = []
    for label, key in WHATIF_METRICS:
        b = base_req_h if key is None else base.get(key)
        s = scenario_req_h if key is None else scenario.get(key)
        change = (s - b) if (b is not None and s is not None) else None
        pct = (change / b) if (change is not None and b) else None
        rows.append({"metric": label, "base": b, "scenario": s, "change": change, "change_pct": pct})
    return pd.DataFrame(rows)


def run_whatif(run_dir: str | Path, volume: float = 0.0, aht: float = 0.0, sl: tuple[float, float] | None = None,
               shrinkage: float | None = None, out_dir: str | Path | None = None, stage=None,
               backend=None) -> WhatIfResult:
    """Re-plan a finished run under changed assumptions and compare it with the run.

    ``volume`` and ``aht``: relative changes of forecast calls and handle time (0.10 = +10%); ``sl``:
    (target share, answer time [s]); ``shrinkage``: the new total shrinkage. The run's forecast (from its
    requirements.csv), config, agents and holiday ledger input are planned again (:func:`wfm.plan.plan`),
    starting from the run's shifts; the base figures are those the run's summary.json recorded.
    The scenario is written to ``out_dir`` (default: ``<run>-whatif`` beside the run); the run itself is
    never modified. ``backend`` as for :func:`run_pipeline`.
    """
    tell = stage or (lambda _name: None)
    run_dir = Path(run_dir)
    base = read_base_run(run_dir)
    out = whatif_target(run_dir, out_dir)
    cfg = scenario_config(base.cfg, sl, shrinkage)
    fc = base.forecast.assign(offered=base.forecast["offered"] * (1 + volume),
                              aht_s=base.forecast["aht_s"] * (1 + aht))
    tell("base figures")
    base_figures = _headline_figures(run_dir, base.cfg, run_dir.name, base.meta)
    patience = base.meta.get("service_projection") if isinstance(base.meta.get("service_projection"), dict) else None
    with output_set() as staged:
        tmp = staged.dir(out, kinds=("whatif",), protect=(run_dir,))
        p = plan(fc, base.agents, cfg, ledger=base.ledger, patience=patience, start=base.start, backend=backend,
                 progress=tell)
        scenario = {"volume": volume, "aht": aht, "sl": list(sl) if sl else None, "shrinkage": shrinkage,
                    "base_run": str(run_dir)}
        # the scenario's forecast is the base run's, scaled: shown as such, never looked up by name
        figures = write_plan(p, tmp, name=out.name, kind="whatif", facts={"whatif": scenario}, forecast=fc)
        interval_h = cfg.interval_minutes / 60.0
        comparison = compare(base_figures, figures, base.required_agent_h,
                             float(p.requirements["scheduled_required"].sum()) * interval_h)
        write_csv(comparison, tmp / "whatif.csv")
    return WhatIfResult(run_dir=out, comparison=comparison, messages=p.messages, plan=p)

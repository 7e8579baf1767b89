"""Run folders (``schedules/<run>/``): a :class:`wfm.plan.Plan` written as one, and its report rebuilt from one.

:func:`write_plan` writes every stage's files (the per-stage writers :func:`write_requirements`,
:func:`write_schedule`, :func:`write_roster` are those of the CLI's stage commands too), summary.json and the
report (:func:`wfm.report.render`). :func:`build_report` (``wfm report``) reads a folder's tables
(:func:`wfm.tables.read_run`), costs the roster (:mod:`wfm.costs`), projects the service
(:mod:`wfm.service`), finds the forecast and its backtest and renders the report, writing costs.csv,
report.html, roster.html and report.xlsx: all of them or none.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .actuals import review_plan
from .config import Config, config_yaml, load_config
from .costs import cost_roster, priced_requirement, summarise_costs, write_costs
from .errors import InputError
from .forecast import BACKTEST_COLUMNS, BACKTEST_FILE
from .io import parse_number_column, read_table, write_csv, write_json, write_text
from .outputs import output_path, output_set, run_marker
from .plan import Plan
from .report import render
from .roster import RosterResult
from .scheduling import ScheduleResult
from .service import project_service
from .tables import SKILL_SET_REQUIREMENTS, read_frame, read_run
from .timestamps import parse_timestamps

REPORT_FILES = ("costs.csv", "report.html", "roster.html", "report.xlsx")


@dataclass(frozen=True)
class ReportResult:
    """Paths written by :func:`build_report` and its headline figures (``summary``: JSON-able numbers and
    ``headline``, a dict of label -> formatted text for printing)."""

    html: Path
    xlsx: Path
    costs: Path
    summary: dict = field(default_factory=dict)


def folder_run_name(run_dir: Path) -> str:
    """The run's name from its folder: a staging folder ".<run>.<random>.tmp" (:mod:`wfm.outputs`) gives
    <run>, so that a run staged and one re-rendered in place give the same bytes."""
    m = re.fullmatch(r"\.(.+)\.[A-Za-z0-9_]+\.tmp", run_dir.name)
    return m.group(1) if m else run_dir.name


def find_forecast(run_dir: Path, meta: dict, name: str) -> Path | None:
    """The run's forecast.csv: ``summary.json`` ``forecast.file`` (absolute, or relative to the run folder or
    the working directory), else ``<run_dir>/../../forecasts/<run name>/forecast.csv``; None if none exists."""
    cands = []
    fc = meta.get("forecast") if isinstance(meta.get("forecast"), dict) else {}
    f = fc.get("file")
    if isinstance(f, str) and f.strip():
        p = Path(f)
        cands += [p] if p.is_absolute() else [run_dir / p, p]
    cands.append(run_dir / ".." / ".." / "forecasts" / name / "forecast.csv")
    for p in cands:
        try:
            if p.is_file():
                return p
        except OSError:
            continue
    return None


def read_forecast(source: Path | pd.DataFrame | None) -> tuple[pd.DataFrame | None, str | None]:
    """The run's forecast typed for the report (``interval_start`` timestamps, ``offered`` and, when both are
    there, ``offered_lo, offered_hi`` as numbers >= 0, ``queue`` text), from a forecast.csv or a frame in
    hand (a what-if's scaled forecast). Returns ``(frame, None)`` or ``(None, why not)``: a file that cannot
    be read is said, never raised."""
    if source is None:
        return None, None
    frame = source if isinstance(source, pd.DataFrame) else None
    path = Path("forecast") if frame is not None else Path(source)
    try:
        if frame is not None:
            df = frame.assign(interval_start=pd.to_datetime(frame["interval_start"]))
        else:
            df = read_table(path, required=["queue", "interval_start", "offered"])
        src = str(path)
        df["interval_start"] = parse_timestamps(df["interval_start"], src, "interval_start").astype("datetime64[ns]")
        df["offered"] = parse_number_column(df["offered"], src, "offered")
        if "offered_lo" in df and "offered_hi" in df:
            for c in ("offered_lo", "offered_hi"):
                df[c] = parse_number_column(df[c], src, c)
    except (InputError, OSError, ValueError) as err:
        return None, f"Forecast file {path.name} could not be read: {err}"
    df["queue"] = df["queue"].astype(str)
    return df, None


def _forecast_mismatch(forecast: pd.DataFrame, meta: dict, path) -> str | None:
    """Why a forecast found by lookup is not this run's (its span differs from summary.json's), else None."""
    m = meta.get("forecast") if isinstance(meta.get("forecast"), dict) else {}
    try:
        start, end = pd.Timestamp(m["start"]), pd.Timestamp(m["end"])
    except (KeyError, TypeError, ValueError):
        return None
    got_start, got_end = forecast["interval_start"].min(), forecast["interval_start"].max()
    if got_start == start and got_end == end:
        return None
    return (f"The forecast file found ({Path(path).name}) runs {got_start:%Y-%m-%d %H:%M} to {got_end:%Y-%m-%d %H:%M}, "
            f"not this run's {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}: it belongs to another run.")


def read_backtest(run_dir: Path, meta: dict) -> tuple[pd.DataFrame | None, str | None]:
    """The run's forecast backtest (:data:`wfm.forecast.BACKTEST_FILE`), typed: ``(table, None)`` or ``(None,
    why not)`` (no file: summary.json's ``forecast.backtest.note`` if any; a file that cannot be read is
    said, never raised)."""
    fc = meta.get("forecast") if isinstance(meta.get("forecast"), dict) else {}
    info = fc.get("backtest") if isinstance(fc.get("backtest"), dict) else {}
    path = run_dir / BACKTEST_FILE
    if not path.is_file():
        return None, str(info.get("note") or f"No forecast backtest ({BACKTEST_FILE}) in the run folder.")
    try:
        b = read_frame(path, BACKTEST_COLUMNS, times=["first_origin", "last_origin"],
                       required_times=["first_origin", "last_origin"],
                       numbers=["origins", "weeks", "intervals", "actual_calls", "forecast_calls", "level"],
                       bools=["used"])
        for c in ("wape", "bias", "coverage", "mape", "mase"):
            b[c] = pd.to_numeric(b[c], errors="coerce").astype(float)
        for c in ("first_origin", "last_origin"):
            b[c] = b[c].astype("datetime64[ns]")
        b["queue"] = b["queue"].astype(str)
    except (InputError, OSError, ValueError) as err:
        return None, f"{BACKTEST_FILE} could not be read: {err}"
    return b, None


def _forecast_for(run_dir: Path, meta: dict, name: str, forecast) -> tuple[pd.DataFrame | None, str | None]:
    """The forecast to show: the one given, else the one found (:func:`find_forecast`) if it spans this run."""
    if forecast is not None:
        return read_forecast(forecast)
    found = find_forecast(run_dir, meta, name)
    if found is None:
        return None, None
    frame, note = read_forecast(found)
    if frame is not None and (why := _forecast_mismatch(frame, meta, found)):
        return None, why
    return frame, note


def load_actuals(path: str | Path, cfg: Config):
    """An ACD interval export of the calls that came (the history format), validated with the config's
    date format and time zone: a :class:`wfm.history.History`. Its interval length is inferred; a file too
    short to infer it from (one interval per queue) is read at the plan's. Raises InputError naming the
    file, row and column of bad input."""
    from .history import load_history

    try:
        return load_history(path, date_format=cfg.site.date_format, timezone=cfg.site.timezone)
    except InputError as err:
        try:  # an export of a single interval: at the plan's interval, if it reads so
            return load_history(path, interval_minutes=cfg.interval_minutes, date_format=cfg.site.date_format,
                                timezone=cfg.site.timezone)
        except InputError:
            raise err from None


def new_actuals(run_dir: str | Path, actuals) -> bool:
    """Whether ``actuals`` (a path, a History or None) are new to the run folder ``run_dir``: given, and not the
    copy the folder keeps (:data:`wfm.actuals.ACTUALS_FILE`), so that the report writes that copy."""
    from .actuals import ACTUALS_FILE

    return actuals is not None and (hasattr(actuals, "frame")
                                    or Path(actuals).resolve() != (Path(run_dir) / ACTUALS_FILE).resolve())


def _review(hist, requirements: pd.DataFrame, service: pd.DataFrame, cfg: Config, forecast, out,
            keep: bool):
    """The plan against the actuals of ``hist`` (a History): aligned to the requirements' queues and
    intervals, kept as :data:`wfm.actuals.ACTUALS_FILE` in ``out`` (a folder or a staged set) when ``keep``,
    and reviewed against the service projection and the forecast. Returns (Review, the file's name)."""
    from .actuals import ACTUALS_FILE, align_actuals

    act, notes = align_actuals(hist.frame, hist.interval_minutes, requirements, cfg.interval_minutes,
                               source=hist.source)
    if keep:
        write_csv(act, output_path(out, ACTUALS_FILE))
    return review_plan(act, service, cfg, forecast, cfg.forecast.prediction_level, notes), Path(hist.source).name


def build_report(run_dir: str | Path, cfg: Config | None = None, run_name: str | None = None,
                 forecast: Path | pd.DataFrame | None = None, actuals=None) -> ReportResult:
    """Cost a run and write ``costs.csv``, ``report.html``, ``roster.html`` and ``report.xlsx`` into ``run_dir``, all
    or none (:mod:`wfm.outputs`: an error or a signal leaves the earlier report as it was).

    ``cfg``: the run's config (default: ``run_dir/config.yaml``, else the built-in demo config).
    ``run_name``: shown in the report header (default: the folder's name). ``forecast``: the run's
    forecast (a forecast.csv or a frame); default: found from ``summary.json`` (:func:`find_forecast`).
    ``actuals``: an interval export of the calls that came (a path, or a History from :func:`load_actuals`):
    the report adds forecast against actual, and the run folder keeps the aligned actuals
    (:data:`wfm.actuals.ACTUALS_FILE`) for later reports; default: that kept copy, if any.
    Returns the paths and the headline figures. Raises InputError naming the file, row and column of bad
    input, OutputError when the folder cannot be written.
    """
    from .actuals import ACTUALS_FILE

    run_dir = Path(run_dir)
    new = new_actuals(run_dir, actuals)
    files = REPORT_FILES + ((ACTUALS_FILE,) if new else ())
    inputs = [actuals] if new and not hasattr(actuals, "frame") else []
    with output_set(run_dir, files=files, inputs=inputs) as staged:
        if cfg is None:
            cfg = load_config(run_dir / "config.yaml") if (run_dir / "config.yaml").is_file() else load_config(None)
        name = run_name or folder_run_name(run_dir)
        run = read_run(run_dir)
        per_day = cost_roster(run.roster, run.agents, cfg)  # first: its errors name the roster's bad cells
        service = project_service(run.requirements, run.coverage, run.roster, cfg, meta=run.meta, agents=run.agents,
                                  skill_sets=run.skill_sets)
        costs = summarise_costs(per_day, priced_requirement(run.requirements, run.skill_sets), cfg,
                                handled_calls=service.horizon["handled"])
        write_costs(costs, staged.path("costs.csv"))
        fc, fc_note = _forecast_for(run_dir, run.meta, name, forecast)
        bt, bt_note = read_backtest(run_dir, run.meta)
        review, act_source = None, None
        if new:
            hist = actuals if hasattr(actuals, "frame") else load_actuals(actuals, cfg)
        else:  # the copy kept from an earlier --actuals, if any
            hist = load_actuals(run_dir / ACTUALS_FILE, cfg) if (run_dir / ACTUALS_FILE).is_file() else None
        if hist is not None:
            review, act_source = _review(hist, run.requirements, service.frame, cfg, fc, staged, keep=new)
        figures = render(staged, cfg=cfg, name=name, requirements=run.requirements, coverage=run.coverage,
                         roster=run.roster, unfilled=run.unfilled, agents=run.agents, meta=run.meta, costs=costs,
                         service=service, forecast=fc, forecast_note=fc_note, backtest=bt, backtest_note=bt_note,
                         review=review, actuals_source=act_source)
    return ReportResult(html=run_dir / "report.html", xlsx=run_dir / "report.xlsx", costs=run_dir / "costs.csv",
                        summary=figures)


# ----------------------------------------------------------------------------------------------------------
# Writing a plan
# ----------------------------------------------------------------------------------------------------------


def write_requirements(requirements: pd.DataFrame, out) -> None:
    """requirements.csv: agents needed per queue and interval (wfm.staffing). ``out``: a folder or a
    staged set of files."""
    write_csv(requirements, output_path(out, "requirements.csv"))


def write_schedule(result: ScheduleResult, out) -> None:
    """shifts.csv and coverage.csv of a schedule (wfm.scheduling)."""
    write_csv(result.shifts, output_path(out, "shifts.csv"))
    write_csv(result.coverage, output_path(out, "coverage.csv"))


ROSTER_FILES = ("roster.csv", "unfilled_shifts.csv", "agent_summary.csv", "holiday_ledger.csv")


def write_roster(result: RosterResult, out) -> None:
    """roster.csv, unfilled_shifts.csv, agent_summary.csv and holiday_ledger.csv of a roster (wfm.roster)."""
    for frame, name in zip((result.roster, result.unfilled, result.agent_summary, result.ledger), ROSTER_FILES):
        write_csv(frame, output_path(out, name))


def write_plan(plan: Plan, folder: Path, *, name: str, kind: str = "run", facts: dict | None = None,
               forecast: Path | pd.DataFrame | None = None, actuals=None) -> dict:
    """Write ``plan`` into the (staged) run folder ``folder``: every stage's files, agents.csv and config.yaml
    (the inputs used), costs.csv, report.html, roster.html, report.xlsx and summary.json. ``kind``: 'run' or 'whatif'
    (summary.json's ``wfm`` marker); ``facts``: more sections of summary.json (``history``, ``forecast``,
    ``whatif``); ``forecast``: the forecast the report shows (its forecast.csv, or the frame); ``actuals``:
    the calls that came (a History), aligned to the plan, kept as :data:`wfm.actuals.ACTUALS_FILE` and shown
    against the forecast.
    Returns the report's headline figures (also summary.json ``report``)."""
    write_requirements(plan.requirements, folder)
    if plan.skill_sets is not None:  # a plan by skill set: what the scheduler took, and the search's service
        write_csv(plan.tables.skill_sets, output_path(folder, SKILL_SET_REQUIREMENTS))
        write_csv(plan.skill_sets.by_queue, output_path(folder, "skill_set_service.csv"))
    write_schedule(plan.schedule, folder)
    write_roster(plan.roster, folder)
    write_csv(plan.agents, folder / "agents.csv")
    write_text(config_yaml(plan.cfg), folder / "config.yaml")
    meta = {"wfm": run_marker(kind), **(facts or {}), **plan.summary()}
    meta = json.loads(json.dumps(meta, default=str, sort_keys=True))  # as summary.json reads back
    write_costs(plan.costs, folder / "costs.csv")
    fc, fc_note = read_forecast(forecast)
    bt, bt_note = read_backtest(folder, meta)
    t = plan.tables
    review, act_source = None, None
    if actuals is not None:
        review, act_source = _review(actuals, t.requirements, plan.service.frame, plan.cfg, fc, folder, keep=True)
    figures = render(folder, cfg=plan.cfg, name=name, requirements=t.requirements, coverage=t.coverage,
                     roster=t.roster, unfilled=t.unfilled, agents=t.agents, meta=meta, costs=plan.costs,
                     service=plan.service, forecast=fc, forecast_note=fc_note, backtest=bt, backtest_note=bt_note,
                     review=review, actuals_source=act_source)
    write_json({**meta, "report": {k: v for k, v in figures.items() if k != "headline"}}, folder / "summary.json")
    return figures

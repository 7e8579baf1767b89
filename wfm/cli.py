"""Command line: ``wfm <command>``. Each command parses options, calls the library, writes files, prints.

Library errors (WfmError) become one line on stderr and exit code 2; nothing half-written is left behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Optional

# One BLAS thread per process, set before NumPy loads: wfm's linear algebra is small (ETS fits), where
# OpenBLAS's one thread per core only competes with the other workers and processes (a busy second core
# made the forecast 3x slower), and a single thread keeps the summation order fixed.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .agents import check_skills, load_agents, read_ledger
from .config import Config, SiteConfig, load_config, parse_config
from .errors import ConfigError, InputError, WfmError
from .history import infer_interval_minutes, load_history, validate_history
from .io import MAX_AGENTS, MAX_AHT_S, MAX_CALLS, parse_bool_column, parse_number_column, write_csv, write_json
from .outputs import OutputSet, check_outputs, command_scope, install_signal_handlers, same_file
from .tables import read_frame, read_shifts, refuse_duplicate_intervals
from .text import markup_safe as _esc
from .text import printable

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="wfm: forecast calls, size staff with Erlang C, schedule shifts, roster agents and cost it all.\n\n"
    "Start with `wfm demo`: the whole pipeline on built-in demo data.",
)
console = Console(stderr=True)
out = Console()

ConfigOpt = typer.Option(None, "--config", "-c", help="Config file (YAML or TOML); default: the built-in demo config.")
ActualsOpt = typer.Option(None, "--actuals", help="Interval export of the calls that came in the planned period (history format): "
                          "the report adds forecast against actual, per day and interval.")
QuietOpt = typer.Option(False, "--quiet", "-q", help="No progress output.")
WorkersOpt = typer.Option(
    None, "--workers", help="Forecast and staff the queues in parallel on a local Dask cluster of N worker processes "
    "(when there is more than one queue); results are identical to the serial run.")
SchedulerOpt = typer.Option(
    None, "--scheduler", help="Run the per-queue work on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 "
    "(its workers need the same wfm installed).")


def _backend(workers: Optional[int], scheduler: Optional[str], queues: int, quiet: bool = False):
    """The Dask or serial backend for per-queue work (a context manager); says which when it is Dask."""
    from contextlib import contextmanager

    from .parallel import open_backend

    @contextmanager
    def cm():
        with open_backend(workers, scheduler, queues=queues) as be:
            if be.split and not quiet:
                console.print(f"{queues} queues on {_esc(be.describe())}", highlight=False, soft_wrap=True)
            yield be

    return cm()


def _say(con: Console, label: str, style: str, msg) -> None:
    """One line ``label msg``; ``msg`` is data: shown as plain text (no markup, control codes escaped)."""
    line = Text.assemble((label, style), " ", printable(msg))
    try:
        con.print(line, highlight=False, soft_wrap=True)
    except Exception:  # a console that cannot encode the text must not hide the message itself
        stream = con.file
        stream.write((line.plain + "\n").encode("ascii", "backslashreplace").decode("ascii"))
        stream.flush()


def _cell(value) -> Text:
    """A Rich Table cell holding data (a str cell would be parsed as markup)."""
    return Text(printable(value))


def _note(msg, con: Console | None = None) -> None:
    _say(con or out, "note:", "yellow", msg)


def _warn(msg, con: Console | None = None) -> None:
    _say(con or console, "warning:", "yellow", msg)


def _fail(msg: str, code: int = 2) -> None:
    """``error: msg`` as one line on stderr (``msg`` is plain text, never markup), then exit ``code``."""
    _say(console, "error:", "bold red", msg)
    raise typer.Exit(code)


def _os_error(err: OSError) -> str:
    """'cannot write <path>: <reason>' (or read/open/access) for a failed file operation."""
    import errno

    reason = err.strerror or str(err) or type(err).__name__
    reason = reason[:1].lower() + reason[1:]
    if err.filename is None:
        if isinstance(err, (ConnectionError, TimeoutError)) or "connect" in reason.lower():
            return f"cannot connect: {reason}"
        return f"input/output error: {reason}"
    path = os.fsdecode(err.filename)
    target = os.fsdecode(err.filename2) if err.filename2 is not None else path  # rename(src, dst): dst
    writes = (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG, errno.EEXIST, errno.ENOTEMPTY, errno.EXDEV,
              errno.ENOTDIR)
    if err.errno in writes:
        return f"cannot write {target}: {reason}"
    if isinstance(err, PermissionError):
        unreadable = os.path.exists(path) and not os.path.isdir(path) and not os.access(path, os.R_OK)
        return f"cannot {'read' if unreadable else 'write'} {path if unreadable else target}: {reason}"
    if isinstance(err, (FileNotFoundError, IsADirectoryError)):
        return f"cannot open {path}: {reason}"
    return f"cannot access {path}: {reason}"


# Warnings that say nothing about the user's data: how a library wants to be called, font glyphs (the
# charts escape characters their fonts lack), statsmodels' remark that an index has no frequency.
_NOISE_CATEGORIES = ("DeprecationWarning", "PendingDeprecationWarning", "FutureWarning", "ResourceWarning",
                     "ImportWarning", "PerformanceWarning", "ValueWarning")


def _noise(category: type, message: str) -> bool:
    names = {c.__name__ for c in category.__mro__}
    return bool(names & set(_NOISE_CATEGORIES)) or message.startswith("Glyph ") and "missing from" in message


@contextlib.contextmanager
def _library_warnings(quiet: bool):
    """Collect Python warnings raised while a command runs: noise is dropped, the rest become ONE short
    deduplicated ``warning:`` line after the command succeeds (none with --quiet, none after an error, so an
    error stays one line). WFM_DEBUG=1 shows every warning as Python would."""
    import warnings

    if os.environ.get("WFM_DEBUG"):
        yield
        return
    seen: dict[tuple[str, str], int] = {}

    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message)
        if _noise(category, text):
            return
        key = (category.__name__, text)
        if key in seen or len(seen) < 100:
            seen[key] = seen.get(key, 0) + 1

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield
    if seen and not quiet:
        (cat, text), n = next(iter(seen)), len(seen)
        first = " ".join(text.split())
        first = first if len(first) <= 120 else first[:119] + "…"
        more = f"{n} different warnings from the libraries, first " if n > 1 else ""
        _warn(f"{more}{cat}: {first} (WFM_DEBUG=1 shows them all)")


def _guard(fn):
    """Turn library errors into one clean line and a non-zero exit (a traceback only with WFM_DEBUG=1):
    bad input and file-system errors exit 2, a bug exits 1; library warnings become one short line."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from . import errors

        debug = bool(os.environ.get("WFM_DEBUG"))
        with _library_warnings(bool(kwargs.get("quiet"))):
            try:
                return fn(*args, **kwargs)
            except WfmError as err:
                _fail(str(err))
            except typer.Exit:
                raise
            except KeyboardInterrupt:
                _fail("interrupted; no output was changed", 130)
            except RecursionError:
                if debug:
                    raise
                _fail("the input is nested too deeply to read (Python's recursion limit); simplify it")
            except MemoryError:
                if debug:
                    raise
                _fail("out of memory: the input or the requested horizon is too large for this machine")
            except OSError as err:
                if debug:
                    raise
                _fail(_os_error(err))
            except Exception as err:  # a bug, not bad input: say so plainly
                if debug:
                    raise
                _fail(f"internal error ({type(err).__name__}: {err}); run with WFM_DEBUG=1 for details", 1)
            except errors.Terminated:  # SIGTERM, raised once staged outputs are cleaned up
                _fail("terminated; no output was changed", 143)

    return wrapper


def _staged(fn):
    """Delete what a command staged and did not commit (wfm.outputs), however it ends: an error, Ctrl-C,
    SIGTERM. Goes below @_guard."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):

        with command_scope():
            return fn(*args, **kwargs)

    return wrapper


def _outputs(files, folder: Optional[Path] = None, inputs=()):
    """The command's output files as one staged set (wfm.outputs.OutputSet), checked now, before any work:
    write each to ``.path(name)``, then ``.commit()``."""

    return OutputSet(folder, files=files, inputs=inputs)


def _config(path: Optional[Path]):
    return load_config(path)


def _run_config(run_dir: Path, path: Optional[Path]):
    """``--config`` when given, else the run folder's config.yaml, else the built-in config."""
    if path:
        return _config(path)
    return load_config(run_dir / "config.yaml") if (run_dir / "config.yaml").exists() else _config(None)


def _stages(quiet: bool, names: list[str]):
    """A rich progress bar over named stages; returns (progress, callback)."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description:<18}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not console.is_terminal,  # no spinner frames in a log or a pipe
        transient=False,
    )
    task = progress.add_task("starting", total=len(names))
    state = {"n": -1}

    def stage(name: str) -> None:
        state["n"] += 1
        progress.update(task, description=name, completed=state["n"])

    def done() -> None:
        progress.update(task, description="done", completed=len(names))

    return progress, stage, done


def _history(path: Path, cfg, interval_minutes: Optional[int], fill_gaps: bool):
    """The history file read with the config's site.date_format and site.timezone; ``interval_minutes``
    None: inferred; ``fill_gaps``: missing intervals counted as zero calls."""

    return load_history(path, interval_minutes=interval_minutes, fill_gaps=fill_gaps,
                        date_format=cfg.site.date_format, timezone=cfg.site.timezone)


def _check_skills(queues, agents, path: Path) -> None:
    check_skills(queues, agents, str(path))


def _load_agents(path: Path):
    return load_agents(path)


def _print_actuals(fig: dict) -> None:
    """One line on the forecast against actual, when the report has actuals."""
    a = fig.get("actuals")
    if not a:
        return
    err = a.get("error")
    text = (f"Actuals: {a['days']} day{'' if a['days'] == 1 else 's'}, {a['actual']:,.0f} calls against {a['forecast']:,.0f} forecast"
            + (f" ({err:+.1%})" if err is not None else "")
            + (f", interval WAPE {a['wape']:.1%}" if a.get("wape") is not None else "")
            + (f"; service on the actual calls {a['actual_calls_sl']:.1%}" if a.get("actual_calls_sl") is not None else ""))
    out.print(_esc(text), soft_wrap=True)


def _print_summary(res, elapsed: float, as_json: bool) -> None:
    fig = res.figures
    if as_json:
        out.print_json(json.dumps({"run_dir": str(res.run_dir), "forecast_dir": str(res.forecast_dir),
                                   "seconds": round(elapsed, 1), **fig, "messages": list(res.messages)},
                                  default=str), ensure_ascii=True)
        return
    t = Table(title="Run summary", show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column(justify="right")
    for label, value in fig.get("headline", {}).items():
        t.add_row(Text(printable(label)), Text(printable(value)))  # Table cells given as str are markup
    out.print(t)
    for m in res.messages:
        _note(m)
    out.print(f"Report: [bold]{_esc(res.run_dir / 'report.html')}[/] (and report.xlsx); forecast in "
              f"{_esc(res.forecast_dir)}", soft_wrap=True)
    out.print(f"Finished in {elapsed:.0f} s.")


@app.command()
@_guard
def demo(
    out_dir: Path = typer.Option(Path("."), "--out", "-o", help="Base folder for forecasts/<name>/ and schedules/<name>/."),
    name: str = typer.Option("demo", help="Run name."),
    quiet: bool = QuietOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    workers: Optional[int] = WorkersOpt,
    scheduler: Optional[str] = SchedulerOpt,
):
    """Run the whole pipeline on the built-in demo data (two queues of a 24/7 center in China).

    Example: wfm demo --out . --name demo
    """
    from importlib import resources

    from .demo import demo_history
    from .pipeline import run_pipeline, run_targets

    run_targets(out_dir, name)  # before any work: a bad name or a folder wfm did not make
    t0 = time.perf_counter()
    cfg = load_config(None)
    progress, stage, done = _stages(quiet, ["history", "forecast", "staffing", "schedule", "roster", "costs and report"])
    with progress:
        stage("history")
        hist = validate_history(demo_history(country=cfg.site.country, subdivision=cfg.site.subdivision),
                                source="demo history", interval_minutes=cfg.interval_minutes)
        with resources.as_file(resources.files("wfm").joinpath("data", "demo_agents.csv")) as p:
            agents = _load_agents(p)
        with _backend(workers, scheduler, len(hist.queues), quiet) as be:
            res = run_pipeline(hist, agents, cfg, base=out_dir, name=name, stage=stage, backend=be)
        done()
    _print_summary(res, time.perf_counter() - t0, as_json)


@app.command()
@_guard
def run(
    history: Path = typer.Option(..., "--history", "-H", help="Interval history, CSV or Parquet (see docs/formats.md)."),
    agents: Path = typer.Option(..., "--agents", "-a", help="Agents CSV (see docs/formats.md)."),
    config: Optional[Path] = ConfigOpt,
    out_dir: Path = typer.Option(Path("."), "--out", "-o", help="Base folder for forecasts/<name>/ and schedules/<name>/."),
    name: Optional[str] = typer.Option(None, help="Run name; default: the history file's name."),
    ledger: Optional[Path] = typer.Option(None, help="Holiday ledger CSV from an earlier run (agent_id, holiday_shifts)."),
    fill_gaps: bool = typer.Option(False, "--fill-gaps", help="Count missing history intervals as zero calls."),
    quiet: bool = QuietOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    workers: Optional[int] = WorkersOpt,
    scheduler: Optional[str] = SchedulerOpt,
    actuals: Optional[Path] = ActualsOpt,
):
    """Run the whole pipeline on your data.

    Example: wfm run --config center.yaml --history calls.csv --agents agents.csv --out . --name 2026-w40
    """
    from .pipeline import run_pipeline, run_targets

    run_name = name if name is not None else history.stem
    inputs = [history, agents, config, ledger, actuals]
    run_targets(out_dir, run_name, inputs, name_source=None if name is not None else f"the history file's name {history.name}")
    t0 = time.perf_counter()
    cfg = _config(config)
    cfg.require("schedule")
    progress, stage, done = _stages(quiet, ["history", "forecast", "staffing", "schedule", "roster", "costs and report"])
    with progress:
        stage("history")
        hist = _history(history, cfg, cfg.interval_minutes, fill_gaps or cfg.forecast.fill_gaps)
        ag = _load_agents(agents)  # run_pipeline checks that every queue has a skilled agent
        led = _read_ledger(ledger) if ledger else None
        act = _actuals(actuals, cfg, hist) if actuals else None
        with _backend(workers, scheduler, len(hist.queues), quiet) as be:
            res = run_pipeline(hist, ag, cfg, base=out_dir, name=run_name, ledger=led, stage=stage,
                               backend=be, inputs=inputs, actuals=act)
        done()
    _print_summary(res, time.perf_counter() - t0, as_json)
    if not as_json:
        _print_actuals(res.figures)


def _actuals(path: Path, cfg, hist):
    """The actuals file read and checked against the history before any planning: it must hold calls of
    the history's queues after the history ends (the period the run plans)."""
    from .runs import load_actuals

    if not path.is_file():
        _fail(f"{path}: actuals file not found")
    act = load_actuals(path, cfg)
    f = act.frame
    mine = f[f["queue"].astype(str).isin(set(map(str, hist.queues)))]
    if mine.empty:
        _fail(f"{path}: no queue of the history ({', '.join(map(str, hist.queues))}) in the actuals")
    if mine["interval_start"].max() <= hist.end:
        _fail(f"{path}: every actual interval is inside the history (which ends {hist.end:%Y-%m-%d %H:%M}); actuals are "
              f"compared with the period the run plans, after the history")
    return act


def _read_ledger(path: Path) -> pd.DataFrame:
    return read_ledger(path)


@app.command("check-history")
@_guard
def check_history(
    history: Path = typer.Option(..., "--history", "-H", help="Interval history, CSV or Parquet."),
    interval: Optional[int] = typer.Option(None, help="Interval length [min]; default: inferred."),
    date_format: Optional[str] = typer.Option(None, "--date-format", help="dayfirst, monthfirst or a strptime format such as '%d/%m/%Y %H:%M' (site.date_format); default: detected."),
    timezone: Optional[str] = typer.Option(None, "--timezone", help="IANA zone, e.g. Asia/Jerusalem, that timestamps with a UTC offset are converted to (site.timezone)."),
):
    """Validate a history file and report its queues, span and gaps.

    Example: wfm check-history --history calls.csv
    """

    if date_format is not None or timezone is not None:  # the same checks as site.date_format / site.timezone
        from pydantic import ValidationError


        try:
            SiteConfig(date_format=date_format, timezone=timezone)
        except ValidationError as err:
            e = err.errors()[0]
            option = "--date-format" if e["loc"][0] == "date_format" else "--timezone"
            raise ConfigError(f"{option}: {e['msg'].removeprefix('Value error, ')}") from None
    h = load_history(history, interval_minutes=interval, date_format=date_format, timezone=timezone)
    out.print(_esc(repr(h)), highlight=False, soft_wrap=True)
    for w in h.warnings:
        _warn(w, out)


@app.command()
@_guard
@_staged
def forecast(
    history: Path = typer.Option(..., "--history", "-H", help="Interval history, CSV or Parquet."),
    out_file: Path = typer.Option(..., "--out", "-o", help="Forecast CSV to write (a chart is written beside it as .png)."),
    config: Optional[Path] = ConfigOpt,
    weeks: Optional[int] = typer.Option(None, help="Horizon in weeks (default: forecast.weeks in the config)."),
    start: Optional[str] = typer.Option(None, help="First forecast day YYYY-MM-DD (default: the day after history)."),
    fill_gaps: bool = typer.Option(False, "--fill-gaps", help="Count missing history intervals as zero calls."),
    aggregate: Optional[int] = typer.Option(None, help="Write longer intervals than the history's, e.g. 30 or 60 [min]."),
    workers: Optional[int] = WorkersOpt,
    scheduler: Optional[str] = SchedulerOpt,
):
    """Forecast offered calls and AHT per interval with a prediction interval.

    Example: wfm forecast --history calls.csv --weeks 4 --out forecasts/w40/forecast.csv
    """
    from .forecast import ForecastSettings, aggregate_forecast, plot_forecast, unseen_holiday_notes
    from .parallel import forecast as run_forecast

    cfg = _config(config)
    chart = out_file.with_suffix(".png")
    if out_file.suffix.lower() == ".png":
        _fail(f"--out {out_file}: the forecast CSV and its chart would be the same file; give a name ending in .csv")
    outs = _outputs([out_file, chart], inputs=[history, config, cfg.forecast.events_file])
    weeks = _option("forecast", "weeks", weeks, "--weeks")
    start = _option("forecast", "start", start, "--start")
    h = _history(history, cfg, None, fill_gaps or cfg.forecast.fill_gaps)
    _start_option(start, cfg, h)
    if aggregate is not None and (aggregate not in (10, 15, 30, 60) or aggregate % h.interval_minutes
                                  or aggregate <= h.interval_minutes):
        _fail(f"--aggregate {aggregate}: must be 10, 15, 30 or 60 and a multiple of the history's {h.interval_minutes} min")
    for w in h.warnings:
        _warn(w)
    settings = ForecastSettings.from_config(cfg, weeks=weeks, start=start)
    with _backend(workers, scheduler, len(h.queues)) as be:
        fc = run_forecast(h, settings, backend=be)  # opening hours applied
    for q, days in fc.attrs.get("outliers", {}).items():
        if days:
            _note(f"queue '{q}': outlier day(s) fitted as missing: {', '.join(days)}", console)
    for note in unseen_holiday_notes(fc):
        _note(note, console)
    if aggregate is not None:
        fc = aggregate_forecast(fc, aggregate)
    write_csv(fc, outs.path(out_file))
    fig = plot_forecast(h, fc)
    fig.savefig(outs.path(chart), format="png", dpi=110, metadata={"Software": None})
    outs.commit()  # the CSV and the chart together, once both are complete
    by_q = fc.groupby("queue")["offered"].sum()
    for q, v in by_q.items():
        out.print(f"{_esc(q)}: {v:,.0f} calls forecast from {fc['interval_start'].min():%Y-%m-%d} to "
                  f"{fc['interval_start'].max():%Y-%m-%d}", soft_wrap=True)
    out.print(f"Wrote {_esc(out_file)}", soft_wrap=True)


@app.command()
@_guard
@_staged
def reforecast(
    forecast_file: Path = typer.Option(..., "--forecast", "-f", help="Forecast CSV from `wfm forecast`, covering today."),
    calls: Path = typer.Option(..., "--calls", help="Today's calls so far per interval, in the history format."),
    out_file: Path = typer.Option(..., "--out", "-o", help="Forecast CSV to write: from --as-of on, the forecast format."),
    history: Optional[Path] = typer.Option(
        None, "--history", "-H", help="Interval history, to learn how much a morning says about the rest of the day "
        "and the next days (without it: the day moves as one, later days are kept)."),
    as_of: Optional[str] = typer.Option(
        None, "--as-of", help="Time of the update, 'YYYY-MM-DD HH:MM' (default: the end of the last interval in --calls)."),
    config: Optional[Path] = ConfigOpt,
):
    """Update the rest of today and the next days from today's calls so far.

    Example: wfm reforecast --forecast forecasts/w40/forecast.csv --calls today.csv --history calls.csv --out forecasts/w40/reforecast.csv
    """
    from .forecast import learn_carryover
    from .forecast import reforecast as run_reforecast
    from .timestamps import parse_timestamps

    cfg = _config(config)
    outs = _outputs([out_file], inputs=[forecast_file, calls, history, config])
    fc = _numbers(_read_frame(forecast_file, ["queue", "interval_start", "offered"], ["interval_start"]),
                  ["offered", "offered_lo", "offered_hi", "aht_s"], forecast_file)
    minutes = infer_interval_minutes(fc["interval_start"], fc["queue"])
    try:  # the calls' own interval first, to say plainly when it is not the forecast's
        today = _history(calls, cfg, None, fill_gaps=False)
    except InputError:
        today = _history(calls, cfg, minutes, fill_gaps=False)
    if today.interval_minutes != minutes:
        raise InputError(f"the calls are in {today.interval_minutes}-minute intervals and the forecast in "
                         f"{minutes}-minute ones: give today's calls at the forecast's interval", file=str(calls))
    when = None
    if as_of is not None:
        try:
            when = parse_timestamps(pd.Series([as_of]), None, "--as-of", required=True).iloc[0]
        except InputError:
            _fail(f"--as-of {printable(as_of)}: give the time of the update as YYYY-MM-DD HH:MM")
    co = None
    if history is not None:
        h = _history(history, cfg, minutes, fill_gaps=False)
        cut_at = when if when is not None else today.frame["interval_start"].max() + pd.Timedelta(minutes=minutes)
        before = dataclasses.replace(h, frame=h.frame[h.frame["interval_start"] < cut_at.normalize()])  # not today
        co = learn_carryover(before, cut_at - cut_at.normalize(), cfg.site.country, cfg.site.subdivision)
    rf = run_reforecast(fc, today.frame, when, level=cfg.forecast.prediction_level, carryover=co,
                        interval_minutes=minutes)
    write_csv(rf, outs.path(out_file))
    outs.commit()
    for q in rf.attrs.get("unknown_queues", []):
        _warn(f"--calls {calls}: queue '{q}' is not in the forecast; its calls were not used", console)
    for u in rf.attrs["reforecast"]:
        out.print(_esc(u.sentence()), highlight=False, soft_wrap=True)
    out.print(f"Wrote {_esc(out_file)}", soft_wrap=True)


@app.command()
@_guard
@_staged
def backtest(
    history: Path = typer.Option(..., "--history", "-H", help="Interval history, CSV or Parquet."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for backtest.csv, backtest_by_day.csv, backtest.png."),
    config: Optional[Path] = ConfigOpt,
    origins: int = typer.Option(4, help="Number of rolling weekly origins."),
    weeks: int = typer.Option(1, help="Weeks forecast from each origin."),
    fill_gaps: bool = typer.Option(False, "--fill-gaps", help="Count missing history intervals as zero calls."),
):
    """Rolling-origin backtest of every forecast model: WAPE, MAPE, MASE, bias and interval coverage.

    Example: wfm backtest --history calls.csv --origins 8 --weeks 1 --out forecasts/backtest
    """
    from .forecast import MODELS, ForecastSettings, plot_backtest
    from .forecast import backtest as run_backtest

    cfg = _config(config)
    outs = _outputs(["backtest.csv", "backtest_by_day.csv", "backtest.png"], out_dir,
                    inputs=[history, config, cfg.forecast.events_file])
    if not 1 <= origins <= MAX_ORIGINS:
        _fail(f"--origins {origins}: must be between 1 and {MAX_ORIGINS} weekly origins")
    _option("forecast", "weeks", weeks, "--weeks")
    h = _history(history, cfg, None, fill_gaps or cfg.forecast.fill_gaps)
    settings = ForecastSettings.from_config(cfg)
    bt = run_backtest(h, origins=origins, weeks=weeks, models=tuple(MODELS), settings=settings)
    write_csv(bt.metrics, outs.path("backtest.csv"))
    write_csv(bt.by_day, outs.path("backtest_by_day.csv"))
    fig = plot_backtest(bt)
    fig.savefig(outs.path("backtest.png"), format="png", dpi=110, metadata={"Software": None})
    outs.commit()
    t = Table(title=f"Backtest: {origins} origin(s) x {weeks} week(s)", title_justify="left")
    for c in ("model", "queue", "WAPE", "MAPE", "MASE", "bias", f"coverage ({settings.level:.0%} PI)"):
        t.add_column(c, justify="right" if c not in ("model", "queue") else "left")
    for r in bt.metrics.itertuples():
        t.add_row(_cell(r.model), _cell(r.queue), f"{r.wape:.3f}", f"{r.mape:.3f}", f"{r.mase:.3f}", f"{r.bias:+.3f}",
                  f"{r.coverage:.3f}")
    out.print(t)
    out.print(f"Wrote {_esc(out_dir / 'backtest.csv')}, {_esc(out_dir / 'backtest_by_day.csv')}, "
              f"{_esc(out_dir / 'backtest.png')}", soft_wrap=True)


def _change(text: Optional[str], option: str) -> float:
    """'+10%' -> 0.10, '-5%' -> -0.05, '0.1' -> 0.1."""
    if text is None:
        return 0.0
    t = text.strip()
    try:
        return float(t[:-1]) / 100.0 if t.endswith("%") else float(t)
    except ValueError:
        _fail(f"{option} {text!r}: expected a change such as +10% or -5%")


def _range_text(field) -> str:
    """'must be between 1 and 52', 'must be > 0 and < 1', ... from a pydantic field's bounds."""
    b = {op: getattr(m, op) for m in field.metadata for op in ("gt", "ge", "lt", "le") if getattr(m, op, None) is not None}
    if "ge" in b and "le" in b:
        return f"must be between {b['ge']:g} and {b['le']:g}"
    signs = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    return "must be " + " and ".join(f"{signs[op]} {v:g}" for op, v in b.items())


def _option(section: str, key: str, value, option: str, shown=None):
    """``value`` of command-line ``option``, which stands for the config key ``section.key``, checked by that
    key's own rules (the limits a config file gets); ConfigError naming the option and the key otherwise."""
    import math

    from pydantic import ValidationError

    if value is None:
        return None
    model = type(Config.model_fields[section].default)
    field = model.model_fields[key]
    head = f"{option} {value if shown is None else shown}"
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{head}: must be a finite number ({section}.{key})")
    try:
        model.model_validate({key: value})
    except ValidationError as err:
        e = err.errors()[0]
        bound = e["type"] in ("greater_than", "greater_than_equal", "less_than", "less_than_equal")
        msg = _range_text(field) if bound else e["msg"].removeprefix("Value error, ").split(", got ")[0]
        raise ConfigError(f"{head}: {msg} ({section}.{key})") from None
    return value


def _start_option(start: Optional[str], cfg, h, option: str = "--start") -> None:
    """The first forecast day must fall after the history and at most 52 weeks after it ends."""

    text = start if start is not None else cfg.forecast.start
    if text is None:
        return
    label = f"{option} {start}" if start is not None else f"{cfg._source}: key 'forecast.start' ({text})"
    day, last = pd.Timestamp(text).normalize(), h.end.normalize()
    if day <= last:
        raise ConfigError(f"{label}: must be after the history's last day ({last:%Y-%m-%d})")
    if day > last + pd.Timedelta(weeks=MAX_START_WEEKS):
        raise ConfigError(f"{label}: more than {MAX_START_WEEKS} weeks after the history's last day "
                          f"({last:%Y-%m-%d}); the forecast's trend would be extrapolated that far")


MAX_START_WEEKS = 52
MAX_ORIGINS = 104  # two years of weekly origins; each fits every model for every queue
MAX_CHANGE = 10.0  # what-if changes of volume or handle time up to +1000%


@app.command()
@_guard
def whatif(
    run_dir: Path = typer.Option(..., "--run", help="A finished run folder (schedules/<name>)."),
    volume: Optional[str] = typer.Option(None, help="Change of forecast calls, e.g. +10%."),
    aht: Optional[str] = typer.Option(None, help="Change of handle time, e.g. -5%."),
    sl: Optional[str] = typer.Option(None, help="Service-level target as SHARE/SECONDS, e.g. 0.9/20."),
    shrinkage: Optional[float] = typer.Option(None, help="Total shrinkage, e.g. 0.35."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Scenario folder (default: <run>-whatif beside the run)."),
    quiet: bool = QuietOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    workers: Optional[int] = WorkersOpt,
    scheduler: Optional[str] = SchedulerOpt,
):
    """Re-plan a finished run under changed volume, handle time, service target or shrinkage, and compare.

    Example: wfm whatif --run schedules/demo --volume +10% --aht -5% --sl 0.9/20 --shrinkage 0.35
    """
    from .pipeline import run_whatif

    target = None
    if sl:
        try:
            share, secs = sl.split("/")
            target = (float(share), float(secs))
        except ValueError:
            _fail(f"--sl {sl!r}: expected SHARE/SECONDS, e.g. 0.9/20")
    vol, ah = _change(volume, "--volume"), _change(aht, "--aht")
    for option, text, v in (("--volume", volume, vol), ("--aht", aht, ah)):
        if not -1 < v <= MAX_CHANGE:  # also refuses nan and inf
            raise ConfigError(f"{option} {text}: must be a change above -100% and at most +{MAX_CHANGE:.0%}")
    if target is not None:
        _option("staffing", "sl_target", target[0], "--sl", shown=sl)
        _option("staffing", "sl_seconds", target[1], "--sl", shown=sl)
    _option("staffing", "shrinkage", shrinkage, "--shrinkage")
    progress, stage, done = _stages(quiet, ["base figures", "staffing", "schedule", "roster", "costs and report"])
    with progress:
        queues = _requirement_queues(run_dir)
        with _backend(workers, scheduler, queues, quiet) as be:
            res = run_whatif(run_dir, volume=vol, aht=ah, sl=target, shrinkage=shrinkage, out_dir=out_dir, stage=stage,
                             backend=be)
        done()
    cmp_ = res.comparison
    if as_json:
        out.print_json(json.dumps({"run_dir": str(res.run_dir), "comparison": cmp_.to_dict("records"),
                                   "messages": list(res.messages)}, default=str), ensure_ascii=True)
        return
    t = Table(title=f"What-if against {_esc(run_dir)}", title_justify="left")
    for c in ("metric", "base", "scenario", "change"):
        t.add_column(c, justify="left" if c == "metric" else "right")

    def share(metric):  # figures that are shares print as percentages, their changes in points
        return "service level" in metric or "abandonment" in metric

    def f(v, metric):
        if v is None or (isinstance(v, float) and v != v):
            return "-"
        return f"{v:.1%}" if share(metric) else f"{v:,.2f}" if "cost" in metric else f"{v:,.0f}"

    for r in cmp_.itertuples():
        ch = "-" if r.change is None or r.change != r.change else (
            f"{r.change * 100:+.1f} pts" if share(r.metric) else
            (f"{r.change:+,.2f}" if "cost" in r.metric else f"{r.change:+,.0f}")
            + (f" ({r.change_pct:+.1%})" if r.change_pct == r.change_pct and r.change_pct is not None else ""))
        t.add_row(r.metric, f(r.base, r.metric), f(r.scenario, r.metric), ch)
    out.print(t)
    for m in res.messages:
        _note(m)
    out.print(f"Scenario written to {_esc(res.run_dir)} (report.html, whatif.csv)", soft_wrap=True)


def _requirement_queues(run_dir: Path) -> int:
    """How many queues a run folder planned (summary.json), for --workers; 2 when it does not say."""
    try:
        return len(json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))["history"]["queues"])
    except (OSError, ValueError, KeyError, TypeError):
        return 2


def _read_frame(path: Path, required: list[str], times: list[str]) -> pd.DataFrame:
    """Read one of wfm's own CSV outputs back (wfm.tables.read_frame): required columns, timestamps."""

    return read_frame(path, required, times=times)


def _number_limits() -> dict:
    calls = {"maximum": MAX_CALLS}
    return {"scheduled_required": {"integer": True, "maximum": MAX_AGENTS, "unit": "agents"},
            "count": {"integer": True, "maximum": MAX_AGENTS, "unit": "agents"},
            "offered": calls, "offered_lo": calls, "offered_hi": calls, "aht_s": {"maximum": MAX_AHT_S},
            "agents": {"maximum": MAX_AGENTS}, "paid_hours": {"maximum": 24}}


def _numbers(df: pd.DataFrame, cols: list[str], path: Path) -> pd.DataFrame:
    """Number columns with the shared parser and documented ceilings (docs/formats.md); booleans too."""

    limits = _number_limits()
    for c in cols:
        if c in df:
            df[c] = parse_number_column(df[c], str(path), c, **limits.get(c, {}))
    for c in ("is_holiday", "target_met"):
        if c in df:
            df[c] = parse_bool_column(df[c], str(path), c, default=False)
    return df


def _patience_value(text: Optional[str]):
    """--patience: a number of seconds > 0 or 'estimate'."""
    if text is None:
        return None
    if text.strip().lower() == "estimate":
        return "estimate"
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not v > 0 or v == float("inf"):
        _fail(f"--patience {text}: give the mean patience in seconds (> 0) or 'estimate'")
    return v


@app.command()
@_guard
@_staged
def staff(
    forecast_file: Path = typer.Option(..., "--forecast", "-f", help="Forecast CSV from `wfm forecast`."),
    out_file: Path = typer.Option(..., "--out", "-o", help="Requirements CSV to write."),
    config: Optional[Path] = ConfigOpt,
    model: Optional[str] = typer.Option(None, "--model", help="erlang_c (nobody abandons) or erlang_a; default: staffing.model."),
    patience: Optional[str] = typer.Option(
        None, "--patience", help="Callers' mean patience [s], or 'estimate' (from --history); default: staffing.patience_s."),
    max_abandon: Optional[float] = typer.Option(None, "--max-abandon", help="Cap on the abandoned share (erlang_a), e.g. 0.05."),
    shrinkage_file: Optional[Path] = typer.Option(
        None, "--shrinkage-file", help="Shrinkage by date and/or time of day, one column per part (docs/formats.md)."),
    history: Optional[Path] = typer.Option(None, "--history", "-H", help="Interval history with abandoned calls (for --patience estimate)."),
    agents: Optional[Path] = typer.Option(None, "--agents", "-a", help="Agents file (with --by-skill-set: its skill sets and hourly rates)."),
    by_skill_set: Optional[Path] = typer.Option(
        None, "--by-skill-set", help="Also staff by the agents' skill sets, checked by simulation: agents per skill set and "
        "interval to this CSV, the simulated service per queue to <name>_service.csv beside it."),
    workers: Optional[int] = WorkersOpt,
    scheduler: Optional[str] = SchedulerOpt,
):
    """Agents per interval for the service-level target (Erlang C, or Erlang A with abandonment), then shrinkage.

    Options given here override the config's staffing section. With --by-skill-set and --agents, agents trained
    on several queues are pooled: the least-cost head count per skill set that meets every queue's goal in a
    simulation of the routing (staffing.multiskill.routing).

    Example: wfm staff --forecast forecasts/w40/forecast.csv --model erlang_a --patience 120 --out schedules/w40/requirements.csv
    """
    from .parallel import requirements
    from .staffing import staffing_kwargs

    cfg = _config(config)
    if by_skill_set is not None and agents is None:
        _fail("--by-skill-set needs --agents (the agents file whose skill sets to staff)")
    mix_service = by_skill_set.with_name(by_skill_set.stem + "_service.csv") if by_skill_set is not None else None
    outs = _outputs([out_file, *([by_skill_set, mix_service] if by_skill_set is not None else [])],
                    inputs=[forecast_file, config, shrinkage_file, history, cfg.staffing.shrinkage_file, agents])
    over = {k: v for k, v in (("model", model), ("patience_s", _patience_value(patience)), ("max_abandon", max_abandon),
                              ("shrinkage_file", str(shrinkage_file) if shrinkage_file else None)) if v is not None}
    if over:
        data = cfg.model_dump(mode="json", by_alias=True)
        data["staffing"].update(over)
        cfg = parse_config(data, source=f"{config or 'built-in config'} with command-line options")
    wants = cfg.staffing.patience_s == "estimate" or any(
        q.patience_s == "estimate" for q in (cfg.staffing.queues or {}).values())
    if wants and history is None:
        what = "--patience estimate" if over.get("patience_s") == "estimate" else "staffing.patience_s 'estimate'"
        _fail(f"{what} needs --history (an interval history with abandoned calls)")
    hist = _history(history, cfg, cfg.interval_minutes, fill_gaps=False) if history else None
    fc = _numbers(_read_frame(forecast_file, ["queue", "interval_start", "offered", "aht_s"], ["interval_start"]),
                  ["offered", "offered_lo", "offered_hi", "aht_s"], forecast_file)
    refuse_duplicate_intervals(fc, forecast_file)
    try:
        step = infer_interval_minutes(fc["interval_start"], fc["queue"])
    except InputError:  # one interval a queue: nothing to compare
        step = cfg.interval_minutes
    if step != cfg.interval_minutes and config is None:
        # no config given: the built-in interval is only a default, the forecast's own is the one to staff
        data = cfg.model_dump(mode="json", by_alias=True)
        data["interval_minutes"] = int(step)
        cfg = parse_config(data, source=f"built-in config at the forecast's {step}-minute intervals")
    if step != cfg.interval_minutes:
        # rows staffed as intervals of another length would get the wrong number of agents, silently
        raise InputError(f"the forecast's intervals are {step} minutes and the config's interval_minutes is "
                         f"{cfg.interval_minutes}: set interval_minutes to the forecast's interval",
                         file=str(forecast_file), column="interval_start")
    info: dict = {}
    ag = None
    if by_skill_set is not None:
        ag = _load_agents(agents)
        check_skills(sorted(fc["queue"].astype(str).unique()), ag)
    plan_sets = None
    with _backend(workers, scheduler, int(fc["queue"].nunique())) as be:
        req = requirements(fc, cfg, backend=be, **staffing_kwargs(cfg, hist, fc, info=info))
        if ag is not None:
            from .multiskill import skill_set_plan

            est_p = info.get("patience_s") if isinstance(info.get("patience_s"), dict) else {}
            try:
                plan_sets = skill_set_plan(req, ag, cfg, patience={q: v for q, v in est_p.items()
                                                                    if isinstance(v, (int, float))}, backend=be)
            except ValueError as err:
                _fail(f"{forecast_file}: {err}" if "queue '" in str(err) and "staffing." not in str(err) else str(err))
    write_csv(req, outs.path(out_file))
    if plan_sets is not None:
        write_csv(plan_sets.by_set, outs.path(by_skill_set))
        write_csv(plan_sets.by_queue, outs.path(mix_service))
    outs.commit()
    st = cfg.staffing
    shrink = (f"shrinkage by interval from {st.shrinkage_file}" if st.shrinkage_file
              else f"shrinkage {st.total_shrinkage:.0%}")
    est = info.get("patience_s") if isinstance(info.get("patience_s"), dict) else {}
    for q, g in req.groupby("queue"):
        pat = est.get(q, st.patience_s)
        how = st.model.replace("_", " ").title() + (f", patience {pat:.0f} s" if isinstance(pat, (int, float)) else "")
        extra = ""
        if g["abandon_rate"].notna().any() and g["offered"].sum() > 0:
            ab = float((g["abandon_rate"].fillna(0) * g["offered"]).sum() / g["offered"].sum())
            extra = f", {ab:.1%} abandoned"
        out.print(f"{_esc(q)}: peak {g['scheduled_required'].max()} agents scheduled ({st.sl_target:.0%} in "
                  f"{st.sl_seconds:g} s, {how}, {_esc(shrink)}{extra})", highlight=False, soft_wrap=True)
    if est:
        methods = sorted({str(r.get("method", "")) for r in info.get("patience_estimate", [])} - {""})
        if any("assumed" in m for m in methods):
            out.print("Patience estimated from the history assuming each interval was staffed at the Erlang C "
                      "requirement (see `wfm patience`).", highlight=False)
        else:
            out.print(f"Patience estimated from the history ({', '.join(methods) or 'see `wfm patience`'}).",
                      highlight=False)
    from .staffing import max_agents_notes

    for m in max_agents_notes(req, st.max_agents):
        _note(m)
    if plan_sets is not None:
        figures, warnings = plan_sets.lines(str(by_skill_set))
        for line in figures:
            out.print(_esc(line), highlight=False, soft_wrap=True)
        for line in warnings:
            _note(line)
    wrote = [out_file, *([by_skill_set, mix_service] if plan_sets is not None else [])]
    out.print(f"Wrote {', '.join(_esc(p) for p in wrote)}", soft_wrap=True)


@app.command()
@_guard
@_staged
def patience(
    history: Path = typer.Option(..., "--history", "-H", help="Interval history with offered and abandoned calls."),
    config: Optional[Path] = ConfigOpt,
    out_file: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write the estimates as CSV."),
):
    """Estimate callers' mean patience per queue from the history (for Erlang A).

    Uses the best the columns allow: waiting times of abandoned and handled calls (abandon_wait_s and
    asa_s: exponential maximum likelihood), else ASA and abandonment through Erlang A, else the assumption
    that each interval was staffed at the Erlang C requirement.

    Example: wfm patience --history calls.csv --config center.yaml
    """
    from .patience import estimate_patience

    cfg = _config(config)
    outs = _outputs([out_file], inputs=[history, config]) if out_file else None
    h = _history(history, cfg, None, fill_gaps=False)
    if "abandoned" not in h.frame.columns or h.frame["abandoned"].isna().all():
        raise InputError("estimating patience needs an 'abandoned' column (calls abandoned per interval)",
                         file=str(history), column="abandoned")
    st = cfg.staffing
    level = 0.95
    est = estimate_patience(h.frame, h.interval_minutes * 60, st.sl_target, st.sl_seconds, st.max_occupancy,
                            default_aht_s=cfg.forecast.default_aht_s, level=level)
    if outs is not None:
        write_csv(est, outs.path(out_file))
        outs.commit()

    def sec(v) -> str:
        return "" if pd.isna(v) else ("inf" if v == float("inf") else f"{v:.0f}")

    t = Table(title="Mean patience per queue", title_justify="left")
    for c in ("queue", r"patience \[s]", rf"{level:.0%} interval \[s]", "method", "offered", "abandoned", "note"):
        t.add_column(c, justify="left" if c in ("queue", "method", "note") else "right")
    for r in est.itertuples():
        span = f"{sec(r.patience_lo_s)}-{sec(r.patience_hi_s)}" if r.identified else ""
        t.add_row(_cell(r.queue), sec(r.patience_s), span, _cell(r.method), f"{r.offered:,.0f}",
                  f"{r.abandoned:,.0f} ({r.abandon_rate:.1%})" if r.offered > 0 else "0", _cell(r.note))
    out.print(t)
    if (est["method"] == "waits").any():
        out.print("waits: total waiting time of all callers / abandons (exponential patience, maximum likelihood); "
                  "interval exact for a Poisson count of abandons.", highlight=False)
    if (est["method"] == "asa").any():
        out.print("asa: agents on the phone inferred per interval from ASA and abandonment through Erlang A; the "
                  "interval covers the noise in the abandoned count only.", highlight=False)
    if (est["method"] == "assumed Erlang C staffing").any():
        out.print(f"Assumption: the history has no waiting times, so each interval is taken as staffed at the "
                  f"Erlang C requirement for {st.sl_target:.0%} answered in {st.sl_seconds:g} s (occupancy at most "
                  f"{st.max_occupancy:.0%}); a center that ran short of that shows as impatient callers, so the "
                  "estimate is then too short. Export asa_s and abandon_wait_s to measure patience instead.",
                  highlight=False)
    if out_file:
        out.print(f"Wrote {_esc(out_file)}", soft_wrap=True)


@app.command()
@_guard
@_staged
def tradeoff(
    calls: float = typer.Option(..., "--calls", help="Calls offered in the interval."),
    aht: float = typer.Option(..., "--aht", help="Mean handle time [s]."),
    agents: str = typer.Option(..., "--agents", help="Agent counts to tabulate, LO:HI (both included)."),
    out_file: Path = typer.Option(..., "--out", "-o", help="File to write: .csv (the table) or .png (the chart)."),
    interval_min: float = typer.Option(15, "--interval-min", help="Interval length [min]."),
    sl_seconds: float = typer.Option(20, "--sl-seconds", help="Answer-time target [s]."),
    hourly_cost: float = typer.Option(0.0, "--hourly-cost", help="Cost of one agent for one hour."),
    patience_s: Optional[float] = typer.Option(None, "--patience", help="Mean patience [s] for Erlang A; default: Erlang C."),
):
    """Service level, ASA, occupancy, abandonment and cost for each agent count of one interval.

    Example: wfm tradeoff --calls 120 --aht 300 --agents 40:55 --hourly-cost 60 --patience 120 --out tradeoff.png
    """
    import re

    from .staffing import plot_tradeoff
    from .staffing import tradeoff as run_tradeoff

    m = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", agents)
    if not m or int(m.group(1)) > int(m.group(2)):
        _fail(f"--agents {agents}: give a range LO:HI of whole numbers with LO <= HI, e.g. 40:55")
    lo, hi = int(m.group(1)), int(m.group(2))
    if hi - lo > 10000:
        _fail(f"--agents {agents}: at most 10,001 agent counts")
    suffix = out_file.suffix.lower()
    if suffix not in (".csv", ".png"):
        _fail(f"--out {out_file}: the file must end in .csv (table) or .png (chart)")
    for name, v in (("--calls", calls), ("--aht", aht), ("--sl-seconds", sl_seconds), ("--hourly-cost", hourly_cost)):
        if not (v >= 0 and v != float("inf")):
            _fail(f"{name} {v:g}: must be a finite number >= 0")
    if not interval_min > 0:
        _fail(f"--interval-min {interval_min:g}: must be > 0")
    if patience_s is not None and not patience_s > 0:
        _fail(f"--patience {patience_s:g}: must be > 0 seconds")
    outs = _outputs([out_file])
    df = run_tradeoff(calls, aht, interval_min * 60, sl_seconds, range(lo, hi + 1), hourly_cost, patience_s)
    if suffix == ".csv":
        write_csv(df, outs.path(out_file))
    else:
        import matplotlib.pyplot as plt

        fig = plot_tradeoff(df)
        fig.savefig(outs.path(out_file), format="png", dpi=110, metadata={"Software": None})
        plt.close(fig)
    outs.commit()
    model = f"Erlang A, patience {patience_s:g} s" if patience_s is not None else "Erlang C"
    t = Table(title=f"{calls:g} calls, AHT {aht:g} s, {interval_min:g}-min interval ({model})", title_justify="left")
    for c in ("agents", f"answered in {sl_seconds:g} s", r"ASA \[s]", "occupancy", "abandoned", "cost per hour"):
        t.add_column(c, justify="right")
    for r in df.itertuples():
        t.add_row(str(r.agents), f"{r.service_level:.1%}", "inf" if r.asa_s == float("inf") else f"{r.asa_s:.1f}",
                  f"{r.occupancy:.1%}", "" if pd.isna(r.abandon_rate) else f"{r.abandon_rate:.1%}",
                  f"{r.cost_per_hour:,.2f}")
    out.print(t)
    out.print(f"Wrote {_esc(out_file)}", soft_wrap=True)


@app.command()
@_guard
@_staged
def schedule(
    requirements_file: Path = typer.Option(..., "--requirements", "-r", help="Requirements CSV from `wfm staff`."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for shifts.csv, coverage.csv, schedule_summary.json."),
    config: Optional[Path] = ConfigOpt,
):
    """Choose shifts (start, template, break) per day to cover the requirement at least cost.

    Example: wfm schedule --requirements schedules/w40/requirements.csv --out schedules/w40
    """
    from .runs import write_schedule
    from .scheduling import schedule as run_schedule

    cfg = _config(config)
    # schedule does not write requirements.csv: --requirements X/requirements.csv --out X is fine
    outs = _outputs(["shifts.csv", "coverage.csv", "schedule_summary.json"], out_dir, inputs=[requirements_file, config])
    cfg.require("schedule")
    req = _numbers(_read_frame(requirements_file, ["queue", "interval_start", "scheduled_required"], ["interval_start"]),
                   ["scheduled_required", "offered", "aht_s", "agents"], requirements_file)
    res = run_schedule(req, cfg)
    write_schedule(res, outs)
    write_json(res.summary, outs.path("schedule_summary.json"))
    outs.commit()
    s = res.summary
    out.print(json.dumps({k: s[k] for k in s if not isinstance(s[k], (dict, list))}, default=str, indent=1),
              markup=False, highlight=False)
    for m in s.get("messages", []):  # e.g. hard holiday coverage that could not be met (exit 0, but said)
        _note(m)
    out.print(f"Wrote {_esc(out_dir / 'shifts.csv')} and {_esc(out_dir / 'coverage.csv')}", soft_wrap=True)


def _read_shifts(path: Path) -> pd.DataFrame:
    return read_shifts(path)


@app.command()
@_guard
@_staged
def roster(
    shifts_file: Path = typer.Option(..., "--shifts", "-s", help="shifts.csv from `wfm schedule`."),
    agents: Path = typer.Option(..., "--agents", "-a", help="Agents CSV."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for roster.csv and friends."),
    config: Optional[Path] = ConfigOpt,
    ledger: Optional[Path] = typer.Option(None, help="Holiday ledger CSV (agent_id, holiday_shifts[, last_holiday])."),
):
    """Assign named agents to the shifts under contracts, rest rules and fair holiday duty.

    Example: wfm roster --shifts schedules/w40/shifts.csv --agents agents.csv --out schedules/w40
    """
    from .runs import ROSTER_FILES, write_roster
    from .roster import build_roster

    cfg = _config(config)
    # --agents X/agents.csv --out X (re-rostering a run): that file already is the copy of the agents used,
    # left byte for byte as it is; any other output that is an input is refused
    copy_agents = not same_file(agents, out_dir / "agents.csv")
    outs = _outputs([*ROSTER_FILES, *(["agents.csv"] if copy_agents else [])], out_dir, inputs=[shifts_file, agents, config, ledger])
    cfg.require("schedule")
    sh = _read_shifts(shifts_file)
    ag = _load_agents(agents)
    _check_skills(sh["queue"].unique(), ag, agents)
    res = build_roster(sh, ag, cfg, ledger=_read_ledger(ledger) if ledger else None)
    write_roster(res, outs)
    if copy_agents:
        write_csv(ag, outs.path("agents.csv"))
    outs.commit()
    for m in res.summary.get("messages", []):
        _note(m)
    sm = res.summary
    fair = []
    if sm.get("holiday_spread") is not None:
        fair.append(f"holiday shifts spread {sm['holiday_spread']} among {sm['holiday_eligible_agents']} eligible agents")
    if sm.get("weekend_spread") is not None:
        fair.append(f"weekend shifts spread {sm['weekend_spread']}")
    if sm.get("preferred_days_off_worked") is not None:
        fair.append(f"{sm['preferred_days_off_worked']} shifts on a preferred day off")
    if fair:
        out.print(_esc("Fairness: " + "; ".join(fair) + "."), highlight=False, soft_wrap=True)
    out.print(f"{len(res.roster)} shifts assigned, {int(res.unfilled['missing'].sum()) if len(res.unfilled) else 0} unfilled. "
              f"Wrote {_esc(out_dir / 'roster.csv')}", soft_wrap=True)


@app.command()
@_guard
def report(
    run_dir: Path = typer.Option(..., "--run", help="Run folder holding requirements.csv, shifts.csv, coverage.csv, roster.csv, agents.csv."),
    config: Optional[Path] = ConfigOpt,
    actuals: Optional[Path] = ActualsOpt,
):
    """Cost the roster and write costs.csv, report.html, roster.html and report.xlsx into the run folder.

    Example: wfm report --run schedules/demo --actuals acd_export.csv
    """
    from .actuals import ACTUALS_FILE
    from .runs import REPORT_FILES, build_report, new_actuals

    if not run_dir.is_dir():
        _fail(f"{run_dir}: run folder not found")
    if actuals is not None and not actuals.is_file():
        _fail(f"{actuals}: actuals file not found")
    check_outputs([run_dir / f for f in REPORT_FILES], inputs=[config, actuals])
    cfg = _run_config(run_dir, config)
    rep = build_report(run_dir, cfg, actuals=actuals)
    for label, value in rep.summary.get("headline", {}).items():
        out.print(f"{_esc(label)}: {_esc(value)}", soft_wrap=True)
    _print_actuals(rep.summary)
    kept = f", {_esc(run_dir / ACTUALS_FILE)}" if new_actuals(run_dir, actuals) and rep.summary.get("actuals") else ""
    out.print(f"Wrote {_esc(run_dir / 'report.html')}, {_esc(run_dir / 'roster.html')}, {_esc(run_dir / 'report.xlsx')}, "
              f"{_esc(run_dir / 'costs.csv')}{kept}",
              soft_wrap=True)


@app.command()
@_guard
def callback(
    run_dir: Path = typer.Option(..., "--run", help="A finished run folder (requirements.csv, roster.csv, agents.csv, config.yaml)."),
    out_file: Path = typer.Option(..., "--out", "-o", help="CSV to write: one row per day."),
    threshold: float = typer.Option(60.0, "--threshold", help="Offer a call-back when the announced wait exceeds this [s]."),
    take: float = typer.Option(0.5, "--take", help="Share of the callers offered a call-back who accept it, 0-1."),
    window: float = typer.Option(30.0, "--window", help="A call-back is in time when returned within this [min]."),
    peaks: int = typer.Option(8, "--peaks", help="Busiest intervals of each day to try to take agents off."),
    days: Optional[int] = typer.Option(None, "--days", help="Only the first N days of the plan (default: all)."),
    config: Optional[Path] = ConfigOpt,
):
    """What call-backs at peaks would save: agents off each day's busiest intervals at no worse service.

    The plan's roster is simulated day by day as the ACD routes it (skill sets from the agents file). A caller
    who finds no agent free and hears a wait above --threshold is offered a call-back; --take of them accept
    and are called back in the quieter minutes after the peak. Agents are then taken off the --peaks busiest
    intervals while no queue and interval serves worse than today; the same search without call-backs shows
    what the peaks could lose anyway, and the difference is what call-backs save.

    Example: wfm callback --run schedules/demo --threshold 30 --take 0.7 --days 1 --out callback.csv
    """
    from .multiskill import CallBack, QueueGoal
    from .multiskill.roster import callback_run
    from .runs import read_run
    from .service import project_service

    if not run_dir.is_dir():
        _fail(f"{run_dir}: run folder not found")
    if days is not None and days < 1:
        _fail(f"--days must be a whole number of days >= 1, got {days}")
    if peaks < 1:
        _fail(f"--peaks must be >= 1, got {peaks}")
    if not (threshold >= 0 and threshold < float("inf")):
        _fail(f"--threshold must be a number of seconds >= 0, got {threshold:g}")
    if not 0 <= take <= 1:
        _fail(f"--take must be a share in [0, 1], got {take:g}")
    if not (window > 0 and window < float("inf")):
        _fail(f"--window must be a number of minutes > 0, got {window:g}")
    cb = CallBack(threshold_s=float(threshold), take_share=float(take), window_s=float(window) * 60.0)
    cfg = _run_config(run_dir, config)
    outs = _outputs([out_file], inputs=[config, *(run_dir / f for f in ("requirements.csv", "roster.csv", "agents.csv",
                                                                          "coverage.csv", "config.yaml"))])
    run = read_run(run_dir)
    sp = project_service(run.requirements, run.coverage, run.roster, cfg, meta=run.meta, simulate=False)
    st = cfg.staffing
    goals = {}
    for q in sp.patience:
        cap = sp.patience[q].get("max_abandon")
        goals[q] = QueueGoal(float(st.sl_target), float(st.sl_seconds), cap if cap is not None and cap == cap else None)
    rate = pd.to_numeric(run.agents.get("hourly_rate"), errors="coerce").mean() if "hourly_rate" in run.agents else 0.0
    rate = float(rate) if rate == rate else 0.0
    dates = sorted(sp.frame["interval_start"].dt.normalize().unique())
    dates = dates[:days] if days else dates
    res = callback_run(sp.frame, run.roster, run.agents, cb, goals, interval_minutes=cfg.interval_minutes,
                       shrinkage=float(st.total_shrinkage), hourly_rate=rate, routing=st.multiskill.routing,
                       peaks=peaks, dates=dates)
    write_csv(res, outs.path(out_file))
    outs.commit()
    cur = _esc(cfg.site.currency)
    for r in res.itertuples():
        out.print(f"{r.date:%a %d %b %Y}: {r.saved_by_callbacks} agent-intervals saved by call-backs "
                  f"({r.removed_agent_intervals} off the peaks with them, {r.removed_without_callbacks} without), "
                  f"{r.paid_agent_h_saved:.1f} paid agent-h = {cur} {r.cost_saved:,.0f}; call-backs {r.callback_share:.1%} of "
                  f"calls; SL {r.service_level_before:.1%} -> {r.service_level_after:.1%}", highlight=False, soft_wrap=True)
    if len(res) > 1:
        out.print(f"All {len(res)} days: {int(res['saved_by_callbacks'].sum())} agent-intervals, "
                  f"{res['paid_agent_h_saved'].sum():.1f} paid agent-hours, {cur} {res['cost_saved'].sum():,.0f} at "
                  f"the agents' mean {cur} {rate:.2f} an hour", highlight=False, soft_wrap=True)
    out.print(f"Wrote {_esc(out_file)}", soft_wrap=True)


def _skill_sets_beside(roster_file: Path, agents) -> dict | None:
    """A plan by skill set's sets and their queues, when the roster's folder is such a run: as its
    summary.json recorded them (``staffing.skill_sets.sets``); else, beside a skill_set_requirements.csv,
    from the agents and requirements.csv; None for a plan by queue."""
    from .tables import SKILL_SET_REQUIREMENTS, read_summary

    d = roster_file.parent
    meta = read_summary(d)
    sets = ((meta.get("staffing") or {}).get("skill_sets") or {}).get("sets")
    if isinstance(sets, dict) and all(isinstance(v, list) for v in sets.values()):
        return {str(k): tuple(map(str, v)) for k, v in sets.items()}
    if not (d / SKILL_SET_REQUIREMENTS).is_file():
        return None
    if not (d / "requirements.csv").is_file():
        _fail(f"{d / SKILL_SET_REQUIREMENTS}: a plan by skill set, but neither summary.json nor requirements.csv "
              "beside it says which queues its skill sets take")
    from .multiskill import agent_skill_sets

    queues = sorted(set(_read_frame(d / "requirements.csv", ["queue"], [])["queue"].astype(str)))
    return {s.name: s.queues for s in agent_skill_sets(agents, queues)[0]}


@app.command()
@_guard
def validate(
    roster_file: Path = typer.Option(..., "--roster", "-r", help="roster.csv to check."),
    agents: Path = typer.Option(..., "--agents", "-a", help="Agents CSV."),
    config: Optional[Path] = ConfigOpt,
    shifts_file: Optional[Path] = typer.Option(None, "--shifts", help="shifts.csv (default: beside the roster, if present) for holiday coverage."),
):
    """Re-check every roster rule from the files alone; list each violation; exit 1 if any.

    Example: wfm validate --roster schedules/demo/roster.csv --agents schedules/demo/agents.csv
    """
    from .validate import read_roster, validate_roster

    cfg = _config(config)
    cfg.require("schedule")
    ros = read_roster(roster_file)
    ag = _load_agents(agents)
    shifts_file = shifts_file or (roster_file.parent / "shifts.csv")
    sh = _read_shifts(shifts_file) if shifts_file.exists() else None
    found = validate_roster(ros, ag, cfg, shifts=sh, skill_sets=_skill_sets_beside(roster_file, ag))
    if not found:
        out.print(f"OK: {len(ros)} shifts of {ros['agent_id'].nunique()} agents break no rule.")
        return
    t = Table(title=f"{len(found)} violation(s)", title_justify="left")
    for c in ("rule", "agent", "date", "detail"):
        t.add_column(c)
    for v in found:
        t.add_row(_cell(v.rule), _cell(v.agent_id), str(v.date)[:10] if v.date is not None else "", _cell(v.detail))
    out.print(t)
    raise typer.Exit(1)


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")  # the command line only writes image files; never open a window
    if not os.environ.get("WFM_DEBUG"):
        # Dask worker processes inherit this: their library warnings would reach the terminal raw
        os.environ.setdefault("PYTHONWARNINGS", "ignore")

    install_signal_handlers()
    import importlib

    # typer carries its own copy of click: its exceptions live beside typer.BadParameter
    click_errors = importlib.import_module(typer.BadParameter.__module__)
    try:
        rc = app(standalone_mode=False)
    except click_errors.NoArgsIsHelpError as err:  # plain `wfm` or `wfm CMD`: the help, as before
        out.print(err.ctx.get_help(), markup=False, highlight=False)
        sys.exit(2)
    except click_errors.UsageError as err:  # a mistyped option or value: one line, like every other error
        where = err.ctx.command_path if err.ctx is not None else "wfm"
        _say(console, "error:", "bold red", f"{err.format_message()} (see '{where} --help')")
        sys.exit(2)
    except typer.Abort:
        _say(console, "error:", "bold red", "interrupted; no output was changed")
        sys.exit(130)
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()

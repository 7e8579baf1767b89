"""The whole pipeline: history -> forecast -> requirements -> shifts -> roster -> costs and report.

Outputs of a run named R under a base directory B:
``B/forecasts/R/``: forecast.csv, forecast.png;
``B/schedules/R/``: requirements.csv, shifts.csv, coverage.csv, roster.csv, unfilled_shifts.csv,
agent_summary.csv, holiday_ledger.csv, costs.csv, report.html, report.xlsx, agents.csv and config.yaml
(copies of the inputs used), summary.json.
Each output directory is built in a temporary directory beside it and both are swapped in together only
when complete (wfm.outputs), so a failed or interrupted run never leaves a half-written run and never
damages the previous one; an existing folder is replaced only if it is a run (or forecast) folder wfm made.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .config import Config
from .history import History
from .io import write_csv, write_text


@contextmanager
def staged_dir(final: Path, kinds: tuple[str, ...] = ("run", "whatif", "forecast"), protect=()):
    """Yield a temp directory; on success replace ``final`` with it, on failure (or a signal) remove it.

    ``final`` may exist only as a folder wfm made of one of ``kinds`` that holds none of ``protect``
    (:func:`wfm.outputs.check_replaceable`); anything else raises OutputError before work starts."""
    from .outputs import output_set

    with output_set() as st:
        yield st.dir(final, kinds=kinds, protect=protect)


def _dump_json(obj, path: Path) -> None:
    write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", path)


def config_yaml(cfg: Config) -> str:
    """The config as YAML, keys in schema order (what the run used, defaults included)."""
    return yaml.safe_dump(cfg.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True)


def read_shrinkage_file(path: str | Path) -> pd.DataFrame:
    """Read a shrinkage file (docs/formats.md): key columns ``date`` (YYYY-MM-DD) and/or ``time`` (HH:MM)
    and one column per part with shares in [0, 1); empty cells fall through to less specific rows.
    Raises InputError naming the file, row and column of a bad cell."""
    import numpy as np

    from .errors import InputError
    from .io import parse_number_column, read_table, row_numbers

    df = read_table(path)
    rows = row_numbers(df)
    if "date" not in df.columns and "time" not in df.columns:
        raise InputError("a shrinkage file needs a 'date' and/or a 'time' column", file=str(path))
    parts = [c for c in df.columns if c not in ("date", "time")]
    if not parts:
        raise InputError("a shrinkage file needs one column per part (breaks, training, ...)", file=str(path))
    out = pd.DataFrame(index=df.index)
    if "date" in df.columns:
        raw = df["date"].astype(str).str.strip()
        d = pd.to_datetime(raw.where(raw != ""), errors="coerce", format="%Y-%m-%d")
        for i in np.flatnonzero((d.isna() & (raw != "")).to_numpy()):
            raise InputError(f"'{raw.iloc[i]}' is not a date (YYYY-MM-DD)", file=str(path), row=int(rows[i]), column="date")
        out["date"] = d
    if "time" in df.columns:
        raw = df["time"].astype(str).str.strip()
        ok = raw.str.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d(:00)?") | (raw == "")
        for i in np.flatnonzero((~ok).to_numpy()):
            raise InputError(f"'{raw.iloc[i]}' is not a time of day (HH:MM)", file=str(path), row=int(rows[i]), column="time")
        out["time"] = raw.where(raw != "")
    for c in parts:
        v = parse_number_column(df[c], str(path), c, allow_empty=True)
        for i in np.flatnonzero((v >= 1).to_numpy()):
            raise InputError(f"'{df[c].iloc[i]}' is not a share in [0, 1)", file=str(path), row=int(rows[i]), column=c)
        out[c] = v.astype(float)
    return out


def _plain(v):
    """A JSON-friendly scalar: NaN -> None, inf -> 'inf', numpy scalars -> Python ones."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def staffing_kwargs(cfg: Config, history=None, forecast: pd.DataFrame | None = None,
                    info: dict | None = None) -> dict:
    """Keyword arguments of :func:`wfm.staffing.requirements` from ``cfg.staffing``:
    ``requirements(forecast, cfg, **staffing_kwargs(cfg, history, forecast))``.

    ``history`` (a History or its frame) is needed only for ``patience_s: estimate``; ``forecast`` only
    for a ``shrinkage_file`` (shrinkage per forecast row) and to check that every forecast queue has an
    estimated patience. ``info``, if given, is filled with what the run should report: the model, the
    patience used and, when estimated, the estimate per queue (``patience_estimate``).
    Raises ConfigError naming the key when the config cannot be applied.
    """
    from .errors import ConfigError
    from .staffing import estimate_patience, shrinkage_series

    st = cfg.staffing
    info = info if info is not None else {}
    info.update(model=st.model, patience_s=st.patience_s, max_abandon=st.max_abandon)
    kw: dict = {"model": st.model, "max_abandon": st.max_abandon}

    # shrinkage: parts and/or a file; the flat `shrinkage` key when neither is given (requirements' default)
    if st.shrinkage_file:
        if forecast is None:
            raise ConfigError("staffing.shrinkage_file: needs the forecast to give shrinkage per interval")
        table = read_shrinkage_file(st.shrinkage_file)
        parts = dict(st.shrinkage_parts) if st.shrinkage_parts else float(st.shrinkage)
        try:
            kw["shrinkage"] = shrinkage_series(forecast["interval_start"].reset_index(drop=True), parts, table)
        except ValueError as err:
            raise ConfigError(f"staffing.shrinkage_file: {st.shrinkage_file}: {err}") from None
        info["shrinkage_file"] = str(st.shrinkage_file)
    elif st.shrinkage_parts:
        kw["shrinkage"] = st.total_shrinkage
    if st.shrinkage_parts:
        info["shrinkage_parts"] = dict(st.shrinkage_parts)

    names = set(st.queues or {})
    estimates: dict[str, float] = {}
    wants_estimate = st.patience_s == "estimate" or any(q.patience_s == "estimate" for q in (st.queues or {}).values())
    if wants_estimate:
        frame = getattr(history, "frame", history)
        if frame is None:
            raise ConfigError("staffing.patience_s: 'estimate' needs the history (with an 'abandoned' column); "
                              "give a number of seconds or pass the history")
        if "abandoned" not in frame.columns or frame["abandoned"].isna().all():
            raise ConfigError("staffing.patience_s: 'estimate' needs an 'abandoned' column in the history")
        iv = history.interval_minutes * 60 if hasattr(history, "interval_minutes") else cfg.interval_s
        est = estimate_patience(frame, iv, st.sl_target, st.sl_seconds, st.max_occupancy,
                                default_aht_s=cfg.forecast.default_aht_s)
        info["patience_estimate"] = [{k: _plain(v) for k, v in r.items()} for r in est.to_dict("records")]
        for r in est.itertuples():
            if not (r.patience_s > 0):  # 0 (more abandonment than the assumed staff explain) or NaN (no calls)
                raise ConfigError(f"staffing.patience_s: 'estimate' for queue '{r.queue}' gives no usable "
                                  f"patience: {r.note or 'not identified'}")
            estimates[str(r.queue)] = float(r.patience_s)
        queues = set(estimates) | names
        if forecast is not None:
            queues |= set(map(str, forecast["queue"].unique()))
        for q in sorted(queues):
            pat = (st.queues or {}).get(q)
            needs = (pat.patience_s if pat is not None and pat.patience_s is not None else st.patience_s) == "estimate"
            if needs and q not in estimates:
                raise ConfigError(f"staffing.patience_s: 'estimate' found no history for queue '{q}'")
        names = queues
        # every queue gets its own options below; the section-wide ones then only need to pass the check
        if st.patience_s == "estimate":
            kw.update(model="erlang_c", max_abandon=None)
    elif st.patience_s is not None:
        kw["patience_s"] = float(st.patience_s)

    if names:
        opts = {}
        for q in sorted(names):
            try:
                opts[q] = st.queue_options(q if q in (st.queues or {}) else None, estimates.get(q))
            except ValueError as err:
                raise ConfigError(str(err)) from None
        kw["queue_options"] = opts
    if estimates:
        info["patience_s"] = {q: _plain(v) for q, v in estimates.items()}
    return kw


def run_targets(base: str | Path, name: str, inputs=(), name_source: str | None = None) -> tuple[Path, Path]:
    """The folders a run named ``name`` writes under ``base``: (``base/forecasts/name``,
    ``base/schedules/name``). Raises OutputError if the name is not one folder name, a folder would lie
    outside ``base``, or an existing folder there is not a forecast / run folder wfm made or holds one of
    ``inputs``. ``name_source`` says where a name the user did not type came from."""
    from .errors import OutputError
    from .outputs import check_replaceable, check_run_name, inside

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
    backend=None,
    inputs=(),
) -> RunResult:
    """Run every stage and write the run's files. ``stage(name)`` is called as each stage starts.
    ``backend`` (from :func:`wfm.parallel.open_backend`; None: serial) runs forecasting, staffing and
    scheduling per queue. ``inputs``: the input files, which the run must not replace (see
    :func:`run_targets`, checked before any work). Both folders are swapped in together or not at all."""
    from . import forecast as fc_mod
    from . import parallel
    from .report import build_report, report_patience, write_forecast_backtest
    from .roster import build_roster
    from .scheduling import schedule
    from .staffing import max_agents_notes

    def tell(msg: str) -> None:
        if stage:
            stage(msg)

    from .outputs import output_set, run_marker

    from .agents import check_skills

    fdir, sdir = run_targets(base, name, inputs)
    check_skills(history.queues, agents)
    messages = list(history.warnings)
    with output_set(inputs=inputs) as out:
        ftmp = out.dir(fdir, kinds=("forecast",))
        stmp = out.dir(sdir, kinds=("run",))
        tell("forecast")
        fc = parallel.forecast_from_config(history, cfg, backend=backend)
        write_csv(fc, ftmp / "forecast.csv")
        fig = fc_mod.plot_forecast(history, fc)
        fig.savefig(ftmp / "forecast.png", dpi=110, metadata={"Software": None})
        import matplotlib.pyplot as plt

        plt.close(fig)
        # the report shows the forecast's accuracy: a short backtest of the model used and of seasonal naive
        backtest_info = write_forecast_backtest(history, cfg, fc, stmp)

        tell("staffing")
        staffing_info: dict = {}
        req = parallel.requirements(fc, cfg, backend=backend, **staffing_kwargs(cfg, history, fc, info=staffing_info))
        write_csv(req, stmp / "requirements.csv")
        capped = max_agents_notes(req, cfg.staffing.max_agents)  # said on screen, not only in a CSV column
        if capped:
            staffing_info["messages"] = capped
        messages += capped

        tell("schedule")
        sched = schedule(req, cfg, agents=agents, backend=backend)
        write_csv(sched.shifts, stmp / "shifts.csv")
        write_csv(sched.coverage, stmp / "coverage.csv")
        messages += list(sched.summary.get("messages", []))  # e.g. hard holiday coverage that cannot be met

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
                "wfm": run_marker("run"),
                # relative to the run folder, so that the report finds it from any working folder
                "forecast": {"file": f"../../forecasts/{name}/forecast.csv", "start": fc["interval_start"].min(),
                             "end": fc["interval_start"].max(), "calls": float(fc["offered"].sum()),
                             "models": dict(fc.attrs.get("models") or {}), "backtest": backtest_info},
                "staffing": staffing_info,
                # patience for the report's abandonment projection where the config gives none
                **({"service_projection": proj} if (proj := report_patience(history, cfg)) else {}),
                "schedule": sched.summary,
                "roster": ros.summary,
            },
            stmp / "summary.json",
        )

        tell("costs and report")
        # the forecast this run made (its folder is not in place yet: never one of an earlier run)
        rep = build_report(stmp, cfg, run_name=name, forecast=ftmp / "forecast.csv")
        meta = json.loads((stmp / "summary.json").read_text(encoding="utf-8"))
        meta["report"] = {k: v for k, v in rep.summary.items() if k != "headline"}
        _dump_json(meta, stmp / "summary.json")
    figures = dict(rep.summary) if hasattr(rep, "summary") else {}
    return RunResult(forecast_dir=fdir, run_dir=sdir, figures=figures, messages=messages)


@dataclass
class WhatIfResult:
    """A scenario re-planned from a finished run: where it was written and the side-by-side comparison
    (``comparison``: ``metric, base, scenario, change, change_pct``)."""

    run_dir: Path
    comparison: pd.DataFrame
    messages: list[str] = field(default_factory=list)


def whatif_target(run_dir: str | Path, out_dir: str | Path | None = None) -> Path:
    """The folder a what-if of ``run_dir`` writes to (default ``<run>-whatif`` beside the run). Raises
    OutputError if it is the run, lies inside it or holds it, or exists as anything but a what-if folder
    wfm made (:func:`wfm.outputs.check_replaceable`)."""
    from .errors import OutputError
    from .outputs import check_replaceable, inside

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
    from .errors import InputError

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


def _headline_figures(run_dir: Path, cfg: Config, name: str, meta: dict) -> dict:
    """The report's figures for a finished run: those its summary.json (``meta``) recorded when the run was
    made, else (an older run) computed again in a scratch copy so the run is never touched."""
    from .report import build_report

    rep = meta.get("report")
    if isinstance(rep, dict) and all(key in rep for _, key in WHATIF_METRICS if key is not None):
        return dict(rep)
    with tempfile.TemporaryDirectory(prefix="wfm_base_") as tmp:
        copy = Path(tmp) / name
        shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns(".*"))  # not staging debris
        return dict(build_report(copy, cfg, run_name=name).summary)


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


def run_whatif(
    run_dir: str | Path,
    volume: float = 0.0,
    aht: float = 0.0,
    sl: tuple[float, float] | None = None,
    shrinkage: float | None = None,
    out_dir: str | Path | None = None,
    stage=None,
) -> WhatIfResult:
    """Re-plan a finished run under changed assumptions and compare it with the run.

    ``volume`` and ``aht``: relative changes of forecast calls and handle time (0.10 = +10%); ``sl``:
    (target share, answer time [s]); ``shrinkage``: the new total shrinkage. Staffing, scheduling, rostering
    and costing are run again with the run's config, agents and forecast (taken from its requirements.csv);
    the scenario is written to ``out_dir`` (default: ``<run>-whatif`` beside the run). The run itself is
    never modified.
    """
    from .config import load_config, parse_config
    from .errors import InputError
    from .tables import read_frame
    from .outputs import run_marker
    from .report import build_report
    from .agents import load_agents
    from .scheduling import schedule
    from .staffing import max_agents_notes, requirements

    def tell(msg: str) -> None:
        if stage:
            stage(msg)

    run_dir = Path(run_dir)
    for need in ("config.yaml", "agents.csv", "requirements.csv"):
        if not (run_dir / need).is_file():
            raise InputError(f"{need} not found: a what-if starts from a finished run folder", file=str(run_dir))
    out = whatif_target(run_dir, out_dir)
    base_cfg = load_config(run_dir / "config.yaml")
    data = base_cfg.model_dump(mode="json", by_alias=True)
    if sl is not None:
        data["staffing"]["sl_target"], data["staffing"]["sl_seconds"] = sl
    if shrinkage is not None:
        data["staffing"]["shrinkage"] = shrinkage
    cfg = parse_config(data, source="what-if")
    agents = load_agents(run_dir / "agents.csv")
    # a user may have edited the file: one line naming the file, row and column of a bad cell
    raw = read_frame(run_dir / "requirements.csv", ["queue", "interval_start", "offered", "aht_s"],
                     times=["interval_start"], numbers=["offered", "aht_s", "scheduled_required"],
                     bools=["is_holiday"])
    fc = pd.DataFrame({
        "queue": raw["queue"],
        "interval_start": raw["interval_start"],
        "offered": raw["offered"] * (1 + volume),
        "aht_s": raw["aht_s"] * (1 + aht),
    })
    if "is_holiday" in raw:
        fc["is_holiday"] = raw["is_holiday"].astype(bool)
    base_meta = _read_summary(run_dir)
    _check_against_summary(raw, base_meta, run_dir)

    tell("base figures")
    base = _headline_figures(run_dir, base_cfg, run_dir.name, base_meta)
    with staged_dir(out, kinds=("whatif",), protect=(run_dir,)) as tmp:
        tell("staffing")
        info: dict = {}
        req = requirements(fc, cfg, **staffing_kwargs(cfg, None, fc, info=info))
        write_csv(req, tmp / "requirements.csv")
        notes = max_agents_notes(req, cfg.staffing.max_agents)
        if notes:
            info["messages"] = list(notes)
        tell("schedule")
        sched = schedule(req, cfg, agents=agents)
        write_csv(sched.shifts, tmp / "shifts.csv")
        write_csv(sched.coverage, tmp / "coverage.csv")
        notes += list(sched.summary.get("messages", []))
        tell("roster")
        ros = build_roster_for_whatif(sched.shifts, agents, cfg)
        write_csv(ros.roster, tmp / "roster.csv")
        write_csv(ros.unfilled, tmp / "unfilled_shifts.csv")
        write_csv(ros.agent_summary, tmp / "agent_summary.csv")
        write_csv(agents, tmp / "agents.csv")
        write_text(config_yaml(cfg), tmp / "config.yaml")
        scenario = {"volume": volume, "aht": aht, "sl": list(sl) if sl else None, "shrinkage": shrinkage,
                    "base_run": str(run_dir)}
        keep = {k: base_meta[k] for k in ("service_projection",) if isinstance(base_meta.get(k), dict)}  # same patience
        _dump_json({"wfm": run_marker("whatif"), "whatif": scenario, "schedule": sched.summary, "roster": ros.summary, "staffing": info, **keep},
                   tmp / "summary.json")
        tell("costs and report")
        # the scenario's forecast is the base run's, scaled: shown as such, never looked up by name
        new = dict(build_report(tmp, cfg, run_name=out.name, forecast=fc).summary)
        interval_h = base_cfg.interval_minutes / 60.0
        base_req_h = float(raw["scheduled_required"].sum()) * interval_h if "scheduled_required" in raw else None
        rows = []
        for label, key in WHATIF_METRICS:
            b = base_req_h if key is None else base.get(key)
            s = float(req["scheduled_required"].sum()) * interval_h if key is None else new.get(key)
            change = (s - b) if (b is not None and s is not None) else None
            pct = (change / b) if (change is not None and b) else None
            rows.append({"metric": label, "base": b, "scenario": s, "change": change, "change_pct": pct})
        comparison = pd.DataFrame(rows)
        write_csv(comparison, tmp / "whatif.csv")
    return WhatIfResult(run_dir=out, comparison=comparison, messages=notes + list(ros.summary.get("messages", [])))


def build_roster_for_whatif(shifts, agents, cfg):
    from .roster import build_roster

    # The base run's input ledger is not kept, so the scenario shares holiday duty from a clean slate.
    return build_roster(shifts, agents, cfg, ledger=None)

from importlib import resources
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from wfm.demo import demo_history

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared (reference data) is not beside the project")
    return SHARED


@pytest.fixture(scope="session")
def demo_history_csv(tmp_path_factory):
    """``make(start, end)``: the path of the demo history for those days as CSV (written once per span;
    tests read it, never write beside it)."""
    made: dict[tuple[str, str], Path] = {}

    def make(start: str, end: str) -> Path:
        if (start, end) not in made:
            p = tmp_path_factory.mktemp("hist") / "calls.csv"
            demo_history(start=start, end=end).to_csv(p, index=False)
            made[start, end] = p
        return made[start, end]

    return make


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo, run once for the whole session exactly as ``wfm demo --help``'s example says
    (``wfm demo --out . --name demo``) in a fresh folder: ``(folder, printed output)``. Tests read it, never
    write into it (a test that needs to change a run copies it, or uses ``small_centre``)."""
    from wfm.cli import app

    base = tmp_path_factory.mktemp("demo")
    r = CliRunner().invoke(app, ["demo", "--out", str(base), "--name", "demo"], terminal_width=200)
    assert r.exit_code == 0, r.output
    return base, r.output


@pytest.fixture(scope="session")
def small_centre(tmp_path_factory):
    """A small centre as the CLI's examples name its files: calls.csv (the demo's 'service' queue in half-hours,
    17 weeks without a public holiday ahead), today.csv (the next morning's calls), acd_export.csv (the planned week's calls as
    they came), center.yaml (the demo config, planning one week), agents.csv (the demo agents skilled for
    'service', without a contracted minimum), and a finished run of it named 'demo' (schedules/demo, forecasts/demo), which the examples
    of report, validate and whatif start from."""
    from wfm.cli import app

    d = tmp_path_factory.mktemp("centre")
    h = demo_history(start="2026-03-02", end="2026-06-28")
    h = h[h["queue"] == "service"].copy()
    h["work"] = h["aht_s"].fillna(0) * h["handled"]
    h = h.groupby(["queue", h["interval_start"].dt.floor("30min")])[["offered", "handled", "abandoned", "work"]].sum()
    h = h.reset_index()
    h["aht_s"] = (h.pop("work") / h["handled"]).where(h["handled"] > 0).round(1)  # handled-weighted mean
    h.to_csv(d / "calls.csv", index=False)
    # today.csv: the morning after the history (to 11:00), as `wfm reforecast --help`'s example reads it
    t = demo_history(start="2026-06-29", end="2026-06-29")
    t = t[(t["queue"] == "service") & (t["interval_start"] < "2026-06-29 11:00")]
    t = t.groupby(["queue", t["interval_start"].dt.floor("30min")])["offered"].sum().reset_index()
    t.to_csv(d / "today.csv", index=False)
    # acd_export.csv: the planned week as it happened (15-minute rows), as `wfm report --help`'s example reads it
    w = demo_history(start="2026-06-29", end="2026-07-05")
    w[w["queue"] == "service"].to_csv(d / "acd_export.csv", index=False)
    with resources.as_file(resources.files("wfm").joinpath("data", "demo.yaml")) as p:
        cfg = yaml.safe_load(p.read_text(encoding="utf-8"))
    cfg["interval_minutes"] = 30  # half-hours: half the rows of the demo's quarter-hours, for speed
    cfg["forecast"]["weeks"] = 1  # plans of one week, except where a command says --weeks
    (d / "center.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    with resources.as_file(resources.files("wfm").joinpath("data", "demo_agents.csv")) as p:
        ag = pd.read_csv(p, dtype=str, keep_default_na=False)
    # more agents than one queue's work keeps busy: no contracted minimum hours, so a plan can break no rule
    ag[ag["queues"].str.contains("service")].assign(min_hours_week="0").to_csv(d / "agents.csv", index=False)
    r = CliRunner().invoke(app, ["run", "--config", str(d / "center.yaml"), "--history", str(d / "calls.csv"),
                                 "--agents", str(d / "agents.csv"), "--out", str(d), "--name", "demo", "--quiet"],
                           terminal_width=200)
    assert r.exit_code == 0, r.output
    return d


def sheet_frame(path, title: str, currency: str = "CNY"):
    """A sheet of report.xlsx as a frame with the columns' machine names (the workbook shows words)."""
    import openpyxl
    import pandas as pd

    from wfm.report.headers import column_names

    rows = list(openpyxl.load_workbook(path, read_only=True)[title].values)
    return pd.DataFrame(rows[1:], columns=column_names(rows[0], currency)) if rows else pd.DataFrame()

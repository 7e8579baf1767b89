"""The command line as a user meets it: help, clean errors, no half-written outputs."""

import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from wfm.cli import app
from wfm.demo import demo_history

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

runner = CliRunner()
COMMANDS = ["demo", "run", "check-history", "backtest", "forecast", "staff", "patience", "tradeoff", "schedule", "roster", "whatif",
            "report", "validate"]


def test_root_cli_py_help():
    r = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--help"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0
    for c in COMMANDS:
        assert c in r.stdout


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_help_with_example(cmd):
    r = runner.invoke(app, [cmd, "--help"], terminal_width=200)
    assert r.exit_code == 0 and "Example:" in r.output


@pytest.fixture(scope="module")
def small_history(demo_history_csv):
    return demo_history_csv("2026-06-01", "2026-08-30")


def test_forecast_command_writes_csv_and_chart(small_history, tmp_path):
    out = tmp_path / "fc" / "forecast.csv"
    r = runner.invoke(app, ["forecast", "--history", str(small_history), "--weeks", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    fc = pd.read_csv(out, parse_dates=["interval_start"])
    assert list(fc.columns) == ["queue", "interval_start", "offered", "offered_lo", "offered_hi", "aht_s", "is_holiday"]
    assert fc["interval_start"].min() == pd.Timestamp("2026-08-31") and len(fc) == 2 * 7 * 96
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_history_clean_error_and_existing_output_kept(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("queue,interval_start,offered\nq,2026-03-02 08:00,1\nq,2026-03-02 08:15,-2\n")
    out = tmp_path / "forecast.csv"
    out.write_text("previous good forecast\n")
    r = runner.invoke(app, ["forecast", "--history", str(bad), "--out", str(out)])
    assert r.exit_code == 2
    assert "row 3" in r.output and "column 'offered'" in r.output and "Traceback" not in r.output
    assert out.read_text() == "previous good forecast\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_bad_config_names_key(small_history, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("schedule: {templates: [{name: D, length_h: 8}]}\nstaffing: {shrinkage: 1.2}\n")
    r = runner.invoke(app, ["forecast", "--history", str(small_history), "--config", str(cfg), "--out", str(tmp_path / "f.csv")])
    assert r.exit_code == 2 and "staffing.shrinkage" in r.output and not (tmp_path / "f.csv").exists()


def test_missing_input_file(tmp_path):
    r = runner.invoke(app, ["check-history", "--history", str(tmp_path / "none.csv")])
    assert r.exit_code == 2 and "file not found" in r.output


def test_check_history_reports_gaps(tmp_path):
    d = demo_history(start="2026-06-01", end="2026-06-03")
    d = d.drop(index=[10, 11])
    p = tmp_path / "h.csv"
    d.to_csv(p, index=False)
    r = runner.invoke(app, ["check-history", "--history", str(p)], terminal_width=300)
    assert r.exit_code == 0 and "gaps=2" in r.output and "missing interval" in r.output


def test_roster_bad_leave_cell_is_a_clean_error_and_writes_nothing(tmp_path):
    from importlib import resources

    src = resources.files("wfm").joinpath("data", "demo_agents.csv").read_text(encoding="utf-8").splitlines()
    header = src[0].split(",")
    row = src[3].split(",")
    row[header.index("leave")] = "2026-10-40"
    src[3] = ",".join(row)
    agents = tmp_path / "agents.csv"
    agents.write_text("\n".join(src) + "\n", encoding="utf-8")
    before = agents.read_bytes()
    shifts = tmp_path / "shifts.csv"
    shifts.write_text("shift_id,queue,date,template,start,end,paid_hours,count\n"
                      "s1,sales,2026-10-12,FT9,2026-10-12 08:00,2026-10-12 17:00,8,1\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    r = runner.invoke(app, ["roster", "--shifts", str(shifts), "--agents", str(agents), "--out", str(out_dir)],
                      terminal_width=300)
    assert r.exit_code != 0
    assert "row 4" in r.output and "leave" in r.output and "2026-10-40" in r.output
    assert "Traceback" not in r.output
    assert not (out_dir / "roster.csv").exists()
    assert agents.read_bytes() == before

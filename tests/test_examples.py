"""Every ``Example:`` line of the CLI's ``--help`` and the README's command block run as written, on a small
centre (conftest.small_centre: one queue, 17 weeks of history, a 4-week plan), each building on the files
the earlier ones wrote:
help text that a user copies must work. ``wfm demo``'s own example is run by the session's demo fixture
(conftest.py), which runs exactly that line."""

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfm.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

# the order in which a planner's commands build on each other's files (demo: see conftest.demo_run)
ORDER = ["check-history", "forecast", "reforecast", "backtest", "staff", "patience", "tradeoff", "schedule", "roster",
         "run", "report", "validate", "whatif", "callback"]


def docstrings() -> dict[str, str]:
    """Each command's help text (its docstring, which ``--help`` shows wrapped to the terminal)."""
    out = {}
    for c in app.registered_commands:
        out[c.name or c.callback.__name__.replace("_", "-")] = c.callback.__doc__ or ""
    return out


def example(command: str) -> str:
    r = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert r.exit_code == 0 and "Example:" in r.output, f"`wfm {command} --help` should show its Example line"
    lines = [ln.strip() for ln in docstrings()[command].splitlines() if "Example:" in ln]
    assert len(lines) == 1, f"`wfm {command}`'s help should have one Example line"
    return lines[0].split("Example:", 1)[1].strip()


def invoke(line: str):
    args = shlex.split(line)
    assert args[0] == "wfm", line
    r = runner.invoke(app, args[1:], terminal_width=200)
    assert r.exit_code == 0, f"{line}\n{r.output}"
    return r


@pytest.fixture(scope="module")
def centre(small_centre):
    return small_centre


def test_every_command_has_one_example_and_all_are_run():
    assert set(docstrings()) == set(ORDER) | {"demo"}, "a new command needs its place in ORDER (and an Example line)"
    assert example("demo") == "wfm demo --out . --name demo"  # what conftest.demo_run runs


def test_help_examples_run_in_order(centre, monkeypatch):
    monkeypatch.chdir(centre)
    outputs = {}
    for command in ORDER:
        line = example(command)
        outputs[command] = invoke(line).output
    # each example left what it says it writes
    assert (centre / "forecasts" / "w40" / "forecast.csv").is_file()
    assert (centre / "forecasts" / "w40" / "reforecast.csv").is_file()
    assert "rest of today" in outputs["reforecast"], outputs["reforecast"]
    assert (centre / "schedules" / "w40" / "requirements.csv").is_file()
    assert (centre / "schedules" / "w40" / "roster.csv").is_file()
    assert (centre / "schedules" / "2026-w40" / "report.html").is_file()
    assert (centre / "schedules" / "demo-whatif" / "whatif.csv").is_file()
    assert (centre / "tradeoff.png").is_file()
    assert outputs["validate"].startswith("OK:"), outputs["validate"]


def readme_block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = "|".join(sorted(set(ORDER) | {"demo"}))
    lines = re.findall(rf"^(wfm (?:{commands}) .*)$", text, flags=re.M)
    assert len(lines) >= 8, "the README's command block"
    return lines


def test_readme_command_block_runs_as_written(centre, monkeypatch):
    monkeypatch.chdir(centre)
    for line in readme_block():
        r = invoke(line)
        if line.startswith("wfm validate"):
            assert r.output.startswith("OK:"), r.output
    assert (centre / "schedules" / "w40" / "report.html").is_file()

"""Outputs that cannot destroy anything (issue 12, items 2 and 5).

Each hostile case: exit code 2 (130/143 for SIGINT/SIGTERM), one line of error output, every input and every
earlier output byte for byte as before, and no hidden debris (staging files or folders) anywhere.
"""

import errno
import json
import os
import re
import signal
import subprocess
import sys
import threading
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from wfm.cli import app
from wfm.demo import demo_history

from hostile import hidden, tree

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def lines(r) -> list[str]:
    return [ln for ln in r.output.splitlines() if ln.strip()]


def refused(r, *words):
    """Exit 2, one line of output, naming what is wrong."""
    assert r.exit_code == 2, r.output
    ls = lines(r)
    assert len(ls) == 1, r.output
    assert "Traceback" not in r.output
    for w in words:
        assert w in ls[0], ls[0]
    return ls[0]


def refused_in(folder: Path, args, *words) -> str:
    """Run ``wfm args``; assert the one-line refusal and that nothing under ``folder`` changed."""
    before = tree(folder)
    line = refused(runner.invoke(app, [str(a) for a in args]), *words)
    assert tree(folder) == before
    return line


@pytest.fixture(scope="module")
def history_csv(demo_history_csv):
    return demo_history_csv("2026-06-01", "2026-07-12")


def demo_agents_text() -> str:
    return resources.files("wfm").joinpath("data", "demo_agents.csv").read_text(encoding="utf-8")


def fake_run(d: Path, marker=True) -> Path:
    """An earlier run folder as wfm leaves it (only the files the checks look at, plus one more)."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "requirements.csv").write_text("queue,interval_start,offered,aht_s,scheduled_required\n")
    (d / "config.yaml").write_text("site: {name: earlier}\n")
    (d / "agents.csv").write_text(demo_agents_text())
    meta = {"schedule": {"status": "optimal"}}
    if marker:
        meta["wfm"] = {"kind": "run", "version": "0"}
    (d / "summary.json").write_text(json.dumps(meta))
    (d / "report.html").write_text("<p>earlier report</p>")
    return d


@pytest.fixture
def site(tmp_path, history_csv):
    """A working folder: inputs, and a base folder with an earlier run and a sibling."""
    (tmp_path / "calls.csv").write_bytes(history_csv.read_bytes())
    (tmp_path / "agents.csv").write_text(demo_agents_text())
    base = tmp_path / "base"
    fake_run(base / "schedules" / "prev")
    fake_run(base / "schedules" / "sibling")
    (base / "forecasts" / "prev").mkdir(parents=True)
    (base / "forecasts" / "prev" / "forecast.csv").write_text("queue,interval_start,offered\n")
    return tmp_path


# ------------------------------------------------------------------------------------------------------
# run names
# ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,why", [
    (".", "'.' or '..'"), ("..", "'.' or '..'"), ("../../x", "path separators"), ("a/b", "path separators"),
    ("a\\b", "path separators"), ("a\x1b[31mb", "control characters"), ("a\nb", "control characters"),
    ("", "empty"), (".hidden", "start with '.'"), ("x" * 300, "at most"),
])
def test_run_name_is_one_folder(site, monkeypatch, name, why):
    monkeypatch.chdir(site)
    before = tree(site)
    r = runner.invoke(app, ["run", "-H", "calls.csv", "-a", "agents.csv", "--out", "base", "--name", name, "-q"])
    line = refused(r, "--name", why)
    assert "\x1b" not in line  # the name is quoted back escaped, never as raw control codes
    assert tree(site) == before


def test_demo_name_dotdot_refused_before_any_work(site, monkeypatch):
    monkeypatch.chdir(site)
    refused_in(site, ["demo", "--out", "base", "--name", "..", "-q"], "--name '..'")


def test_history_called_dotdot_csv_needs_a_name(site, monkeypatch):
    monkeypatch.chdir(site)
    (site / "..csv").write_bytes((site / "calls.csv").read_bytes())
    refused_in(site, ["run", "-H", "..csv", "-a", "agents.csv", "--out", "base", "-q"], "'.'", "..csv", "--name")


def test_run_never_replaces_a_folder_wfm_did_not_make(site, monkeypatch):
    monkeypatch.chdir(site)
    mine = site / "base" / "schedules" / "mine"
    mine.mkdir()
    (mine / "budget.xlsx").write_bytes(b"planner's own file")
    refused_in(site, ["run", "-H", "calls.csv", "-a", "agents.csv", "--out", "base", "--name", "mine", "-q"], "mine", "not a run folder made by wfm")


def test_run_never_replaces_a_forecast_folder_holding_other_files(site, monkeypatch):
    monkeypatch.chdir(site)
    (site / "base" / "forecasts" / "prev" / "notes.txt").write_text("mine")
    refused_in(site, ["run", "-H", "calls.csv", "-a", "agents.csv", "--out", "base", "--name", "prev", "-q"], "forecasts", "not a forecast folder made by wfm")


def test_run_never_replaces_the_folder_holding_its_input(site, monkeypatch):
    monkeypatch.chdir(site)
    hist = site / "base" / "schedules" / "prev" / "calls.csv"
    hist.write_bytes((site / "calls.csv").read_bytes())
    refused_in(site, ["run", "-H", str(hist), "-a", "agents.csv", "--out", "base", "--name", "prev", "-q"], "an input of this command")


def test_run_out_that_is_a_file(site, monkeypatch):
    monkeypatch.chdir(site)
    (site / "plan.txt").write_text("a file")
    refused_in(site, ["run", "-H", "calls.csv", "-a", "agents.csv", "--out", "plan.txt", "--name", "r", "-q"], "plan.txt", "is a file")


# ------------------------------------------------------------------------------------------------------
# whatif --out
# ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("out,why", [
    ("base/schedules", "holds the base run"),
    ("base/schedules/prev", "is the base run"),
    ("./base/schedules/../schedules/prev", "is the base run"),
    ("base/schedules/prev/scenario", "inside the base run"),
    ("base", "holds the base run"),
    ("notes", "not a what-if folder made by wfm"),
    ("base/schedules/sibling", "not a what-if folder made by wfm"),
    ("plan.txt", "is a file"),
])
def test_whatif_out_never_replaces_what_is_not_its_own(site, monkeypatch, out, why):
    monkeypatch.chdir(site)
    (site / "notes").mkdir()
    (site / "notes" / "a.txt").write_text("mine")
    (site / "plan.txt").write_text("a file")
    refused_in(site, ["whatif", "--run", "base/schedules/prev", "--volume", "+10%", "--out", out, "-q"], why)


def test_whatif_corrupt_requirements_names_file_row_column(tmp_path, monkeypatch):
    from wfm.config import load_config
    from wfm.config import config_yaml

    monkeypatch.chdir(tmp_path)
    run = tmp_path / "schedules" / "r"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text(config_yaml(load_config(None)), encoding="utf-8")
    (run / "agents.csv").write_text(demo_agents_text(), encoding="utf-8")
    (run / "requirements.csv").write_text(
        "queue,interval_start,offered,aht_s,scheduled_required\n"
        "sales,2026-07-13 00:00:00,3.5,300,2\n"
        "sales,2026-07-13 00:15:00,lots,300,2\n")
    refused_in(tmp_path, ["whatif", "--run", str(run), "--volume", "+10%", "-q"], "requirements.csv", "row 3", "offered")


# ------------------------------------------------------------------------------------------------------
# one command's outputs vs its inputs
# ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("out", ["calls.csv", "./calls.csv", "sub/../calls.csv", "link.csv"])
def test_forecast_out_is_the_history(site, monkeypatch, out):
    monkeypatch.chdir(site)
    (site / "link.csv").symlink_to("calls.csv")
    refused_in(site, ["forecast", "-H", "calls.csv", "--weeks", "1", "-o", out], "is also an input")


@pytest.mark.parametrize("out", ["fc.png", "fc.PNG"])
def test_forecast_csv_and_chart_would_be_one_file(site, monkeypatch, out):
    monkeypatch.chdir(site)
    refused_in(site, ["forecast", "-H", "calls.csv", "--weeks", "1", "-o", out], "same file", ".csv")


def test_forecast_out_is_a_folder(site, monkeypatch):
    monkeypatch.chdir(site)
    refused_in(site, ["forecast", "-H", "calls.csv", "--weeks", "1", "-o", "base"], "is a folder")


def test_forecast_out_under_a_regular_file(site, monkeypatch):
    # a missing parent that cannot be created (works for root too, unlike chmod)
    monkeypatch.chdir(site)
    (site / "plan.txt").write_text("a file")
    refused_in(site, ["forecast", "-H", "calls.csv", "--weeks", "1", "-o", "plan.txt/w40/fc.csv"], "plan.txt", "is a file")


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs")
def test_forecast_out_in_a_folder_nobody_may_write(site, monkeypatch):
    # sysfs refuses new files even to root: a read-only folder that holds for the CI's root user
    monkeypatch.chdir(site)
    refused_in(site, ["forecast", "-H", "calls.csv", "--weeks", "1", "-o", "/sys/kernel/fc.csv"], "/sys/kernel", "cannot write")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_schedule_out_read_only_folder(tmp_path):
    req = tmp_path / "requirements.csv"
    req.write_text("queue,interval_start,offered,aht_s,scheduled_required\nsales,2026-07-13 08:00,3,300,2\n")
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        before = tree(tmp_path)
        r = runner.invoke(app, ["schedule", "-r", str(req), "-o", str(out)])
        refused(r, "ro", "cannot write")
        assert tree(tmp_path) == before
    finally:
        out.chmod(0o755)


def test_staff_out_is_the_forecast(tmp_path):
    fc = tmp_path / "fc.csv"
    fc.write_text("queue,interval_start,offered,aht_s\nsales,2026-07-13 08:00,3,300\n")
    refused_in(tmp_path, ["staff", "-f", str(fc), "-o", str(fc)], "is also an input")


def test_backtest_out_is_a_file(site, monkeypatch):
    monkeypatch.chdir(site)
    (site / "plan.txt").write_text("a file")
    refused_in(site, ["backtest", "-H", "calls.csv", "-o", "plan.txt"], "plan.txt", "is a file")


def test_tradeoff_out_is_a_folder(tmp_path):
    (tmp_path / "t.csv").mkdir()
    refused_in(tmp_path, ["tradeoff", "--calls", "100", "--aht", "300", "--agents", "30:35", "-o", str(tmp_path / "t.csv")], "is a folder")


SHIFTS = ("shift_id,queue,date,template,start,end,paid_hours,count\n"
          "s1,sales,2026-10-12,FT9,2026-10-12 08:00,2026-10-12 17:00,8,1\n")


def test_schedule_out_would_overwrite_its_input(tmp_path):
    x = tmp_path / "X"
    x.mkdir()
    (x / "shifts.csv").write_text("queue,interval_start,offered,aht_s,scheduled_required\nsales,2026-07-13 08:00,3,300,2\n")
    refused_in(tmp_path, ["schedule", "-r", str(x / "shifts.csv"), "-o", str(x)], "shifts.csv", "is also an input")


def test_roster_ledger_in_the_out_folder_is_refused(tmp_path):
    sched = tmp_path / "sched"
    sched.mkdir()
    (sched / "shifts.csv").write_text(SHIFTS)
    (sched / "agents.csv").write_text(demo_agents_text())
    (sched / "holiday_ledger.csv").write_text("agent_id,holiday_shifts\nA001,2\n")
    before = tree(tmp_path)
    r = runner.invoke(app, ["roster", "-s", str(sched / "shifts.csv"), "-a", str(sched / "agents.csv"),
                            "-o", str(sched), "--ledger", str(sched / "holiday_ledger.csv")])
    refused(r, "holiday_ledger.csv", "is also an input")
    assert tree(tmp_path) == before


def test_roster_agents_in_the_out_folder_is_kept_as_it_is(tmp_path):
    # re-rostering a run folder: its agents.csv already is the copy of the agents used, so it is left byte
    # for byte (an agent's 35.0 hours is not rewritten as 35); the other outputs are written
    sched = tmp_path / "sched"
    sched.mkdir()
    (sched / "shifts.csv").write_text(SHIFTS)
    text = demo_agents_text().replace(",32,40,5,38.0,", ",32.0,40.0,5,38.00,", 1)
    (sched / "agents.csv").write_text(text)
    before = (sched / "agents.csv").read_bytes()
    r = runner.invoke(app, ["roster", "-s", str(sched / "shifts.csv"), "-a", str(sched / "agents.csv"), "-o", str(sched)])
    assert r.exit_code == 0, r.output
    assert (sched / "agents.csv").read_bytes() == before
    assert pd.read_csv(sched / "roster.csv")["shift_id"].tolist() == ["s1"]
    assert hidden(tmp_path) == []


# ------------------------------------------------------------------------------------------------------
# all or nothing
# ------------------------------------------------------------------------------------------------------


class _Canned:
    def __init__(self):
        self.shifts = pd.DataFrame({"shift_id": ["n1"], "queue": ["sales"], "date": ["2026-07-13"], "template": ["FT9"],
                                    "start": ["2026-07-13 08:00:00"], "end": ["2026-07-13 17:00:00"],
                                    "paid_hours": [8.0], "count": [1]})
        self.coverage = pd.DataFrame({"queue": ["sales"], "interval_start": ["2026-07-13 08:00:00"], "required": [2],
                                      "scheduled": [1], "gap": [-1]})
        self.summary = {"status": "optimal", "messages": []}


@pytest.fixture
def earlier_schedule(tmp_path, monkeypatch):
    """A folder X with requirements.csv and an earlier schedule's three files; the solver replaced by a canned
    answer (the outputs are what is tested here, not the optimiser)."""
    import wfm.scheduling

    monkeypatch.setattr(wfm.scheduling, "schedule", lambda req, cfg, **kw: _Canned())
    x = tmp_path / "X"
    x.mkdir()
    (x / "requirements.csv").write_text("queue,interval_start,offered,aht_s,scheduled_required\n"
                                        "sales,2026-07-13 08:00,3,300,2\n")
    for f in ("shifts.csv", "coverage.csv", "schedule_summary.json"):
        (x / f).write_text(f"earlier {f}\n")
    return x


def test_schedule_reads_requirements_from_its_out_folder(earlier_schedule):
    x = earlier_schedule
    req = (x / "requirements.csv").read_bytes()
    r = runner.invoke(app, ["schedule", "-r", str(x / "requirements.csv"), "-o", str(x)])
    assert r.exit_code == 0, r.output
    assert (x / "requirements.csv").read_bytes() == req
    assert pd.read_csv(x / "shifts.csv")["shift_id"].tolist() == ["n1"]
    assert json.loads((x / "schedule_summary.json").read_text())["status"] == "optimal"
    assert hidden(x.parent) == []


def disk_full_on_second_csv(monkeypatch) -> list:
    """Make the second CSV a command writes fail as on a full disk; returns the paths written to."""
    import wfm.io
    import wfm.runs

    real, calls = wfm.io.write_csv, []

    def full_disk(df, path, **kw):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(df, path, **kw)

    for module in (wfm.io, wfm.runs):  # the file layer, and the run folder's writers that use it
        monkeypatch.setattr(module, "write_csv", full_disk)
    return calls


def test_schedule_failing_on_its_second_file_leaves_the_first_untouched(earlier_schedule, monkeypatch):
    x = earlier_schedule
    calls = disk_full_on_second_csv(monkeypatch)
    before = tree(x.parent)
    r = runner.invoke(app, ["schedule", "-r", str(x / "requirements.csv"), "-o", str(x)])
    refused(r, "space")
    assert len(calls) == 2  # the first file was written (staged) before the second failed
    assert tree(x.parent) == before


def test_a_rename_failing_midway_restores_the_files_already_replaced(earlier_schedule, monkeypatch):
    import wfm.outputs

    x = earlier_schedule
    real = os.replace

    def flaky(src, dst, *a, **kw):
        if Path(dst).name == "coverage.csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))
        return real(src, dst, *a, **kw)

    monkeypatch.setattr(wfm.outputs.os, "replace", flaky)
    before = tree(x.parent)
    r = runner.invoke(app, ["schedule", "-r", str(x / "requirements.csv"), "-o", str(x)])
    refused(r, "coverage.csv", "no output was changed")
    assert tree(x.parent) == before  # shifts.csv, renamed first, is back as it was


def test_roster_failing_on_its_second_file_leaves_the_first_untouched(tmp_path, monkeypatch):
    (tmp_path / "shifts.csv").write_text(SHIFTS)
    (tmp_path / "agents.csv").write_text(demo_agents_text())
    out = tmp_path / "out"
    out.mkdir()
    for f in ("roster.csv", "unfilled_shifts.csv", "agents.csv"):
        (out / f).write_text(f"earlier {f}\n")
    disk_full_on_second_csv(monkeypatch)
    refused_in(tmp_path, ["roster", "-s", str(tmp_path / "shifts.csv"), "-a", str(tmp_path / "agents.csv"), "-o", str(out)], "space")


def test_forecast_into_a_new_folder_that_fails_leaves_no_folder(site, monkeypatch):
    monkeypatch.chdir(site)
    bad = site / "bad.csv"
    bad.write_text("queue,interval_start,offered\nq,2026-03-02 08:00,1\nq,2026-03-02 08:15,-2\n")
    before = tree(site)
    r = runner.invoke(app, ["forecast", "-H", "bad.csv", "-o", "new/deeper/fc.csv"])
    refused(r, "bad.csv")
    assert tree(site) == before  # the folders made for the output are gone again


def test_report_failing_on_the_workbook_keeps_the_earlier_report(tmp_path, monkeypatch):
    import wfm.report.xlsx
    from test_report import make_run_dir

    d = make_run_dir(tmp_path / "schedules" / "r")
    for f in ("costs.csv", "report.html", "report.xlsx"):
        (d / f).write_text(f"earlier {f}\n")

    def broken(path, *a, **kw):
        Path(path).write_bytes(b"half a workbook")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(wfm.report.xlsx, "write_workbook", broken)
    refused_in(tmp_path, ["report", "--run", str(d)], "space")


# ------------------------------------------------------------------------------------------------------
# signals
# ------------------------------------------------------------------------------------------------------

# wfm with write_csv slowed down after it has staged its file: the signal arrives while the CSV is staged
# and the chart not yet drawn, the worst moment for earlier outputs
WRAPPER = r"""
import sys, time
import wfm.io
real = wfm.io.write_csv
def slow(df, path, **kw):
    r = real(df, path, **kw)
    sys.stderr.write("STAGED\n"); sys.stderr.flush()
    time.sleep(60)
    return r
wfm.io.write_csv = slow
import wfm.cli
sys.argv = ["wfm"] + sys.argv[1:]
wfm.cli.main()
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("sig,code,word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_signal_mid_command_leaves_earlier_outputs_and_no_debris(site, sig, code, word):
    out = site / "fc"
    out.mkdir()
    (out / "f.csv").write_text("earlier forecast\n")
    (out / "f.png").write_bytes(b"earlier chart")
    before = tree(site)
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, "forecast", "-H", "calls.csv", "--weeks", "1", "-o", "fc/f.csv"],
                            cwd=site, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"},
                            # a suite started in the background by a shell inherits SIGINT ignored, and so
                            # would the command: give it the disposition a user's terminal gives
                            preexec_fn=lambda: signal.signal(sig, signal.SIG_DFL))
    killer = threading.Timer(120, proc.kill)
    killer.start()
    try:
        line = proc.stderr.readline()
        assert line.strip() == "STAGED", line + proc.stderr.read()
        assert hidden(out), "the signal should arrive while a file is staged"
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        killer.cancel()
    assert proc.returncode == code, stderr
    err = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and word in err[0] and "Traceback" not in stderr, stderr
    assert tree(site) == before


# ------------------------------------------------------------------------------------------------------
# the report reads the run it belongs to (issue item 5)
# ------------------------------------------------------------------------------------------------------


def _forecast_rows(html: str) -> list[tuple[str, str, str]]:
    part = html[html.index('<section id="forecast">'): html.index('<h3 id="backtest">')]
    assert "forecast-missing" not in part, part
    return re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", part)


def test_report_forecast_is_this_runs_on_a_first_run_and_a_shorter_rerun(tmp_path):
    from wfm.config import load_config, parse_config
    from wfm.history import validate_history
    from wfm.pipeline import run_pipeline
    from wfm.agents import load_agents

    h = demo_history(start="2026-06-01", end="2026-07-12")
    hist = validate_history(h[h["queue"] == "sales"], source="t", interval_minutes=15)
    agents_csv = tmp_path / "agents.csv"
    agents_csv.write_text(demo_agents_text())
    ag = load_agents(agents_csv)
    ag = ag[ag["queues"].str.contains("sales")].head(22).reset_index(drop=True)
    base = tmp_path / "out"
    for weeks in (2, 1):  # the re-run, same name, with a shorter horizon
        data = load_config(None).model_dump(mode="json", by_alias=True)
        data["forecast"]["weeks"] = weeks
        data["schedule"]["templates"] = data["schedule"]["templates"][:1]
        data["schedule"]["time_limit_s"] = 20
        data["roster"]["time_limit_s"] = 10
        res = run_pipeline(hist, ag, parse_config(data), base=base, name="r")
        req = pd.read_csv(res.run_dir / "requirements.csv", parse_dates=["interval_start"])
        fc = pd.read_csv(res.forecast_dir / "forecast.csv", parse_dates=["interval_start"])
        first, last = req["interval_start"].min(), req["interval_start"].max()
        assert (last.normalize() - first.normalize()).days == 7 * weeks - 1
        assert (fc["interval_start"].min(), fc["interval_start"].max()) == (first, last)
        rows = _forecast_rows((res.run_dir / "report.html").read_text(encoding="utf-8"))
        assert rows == [("sales", f"{first:%a %d %b %Y}", f"{last:%a %d %b %Y}")]
        meta = json.loads((res.run_dir / "summary.json").read_text())
        assert meta["wfm"]["kind"] == "run"
    assert hidden(tmp_path) == []


def test_report_refuses_a_forecast_of_another_run(tmp_path):
    """`wfm report --run R` looks the forecast up; one whose span is not the run's is not shown as its own."""
    from test_report import make_run_dir
    from test_report_extras import write_forecast
    from wfm.runs import build_report

    d = make_run_dir(tmp_path / "schedules" / "fc1")
    write_forecast(tmp_path / "forecasts" / "fc1" / "forecast.csv")  # 2026-09-28 .. 2026-10-04 23:30
    meta = json.loads((d / "summary.json").read_text())
    meta["forecast"].update(start="2026-09-21 00:00:00", end="2026-09-27 23:30:00")
    (d / "summary.json").write_text(json.dumps(meta))
    html = build_report(d).html.read_text(encoding="utf-8")
    part = html[html.index('<section id="forecast">'): html.index('<h3 id="backtest">')]
    assert 'id="forecast-missing"' in part and "another run" in part

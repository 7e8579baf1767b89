"""What a user types at the command line, as the installed command meets it (issue 12): option typos,
a malformed scheduler address, a plan for queues nobody is skilled for, a run folder cut off by a bad copy.

Each refusal: exit code 2, one line on stderr, the file (and row) where that applies, inputs and earlier
outputs byte for byte as before.
"""

import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from wfm.demo import demo_history

from hostile import tree

ROOT = Path(__file__).resolve().parents[1]


def wfm(*args, cwd=None):
    """The command as a user runs it (the real entry point, not CliRunner): stderr not a terminal."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


def refused(r, *words) -> str:
    assert r.returncode == 2, (r.stdout, r.stderr)
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(err) == 1, r.stderr
    assert err[0].startswith("error:") and "Traceback" not in r.stderr
    for w in words:
        assert w in err[0], err[0]
    return err[0]


@pytest.fixture(scope="module")
def history_csv(demo_history_csv):
    return demo_history_csv("2026-06-01", "2026-06-28")


def agents_text() -> str:
    return resources.files("wfm").joinpath("data", "demo_agents.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("args,words", [
    (["forecast", "-H", "calls.csv", "-o", "fc.csv", "--weeks", "abc"], ["--weeks", "forecast --help"]),
    (["forecast", "-H", "calls.csv", "-o", "fc.csv", "--wekks", "2"], ["--wekks", "--weeks"]),
    (["forecast", "-o", "fc.csv"], ["--history"]),
    (["tradeoff", "--calls", "ten", "--aht", "300", "--agents", "1:3", "-o", "t.csv"], ["--calls"]),
    (["nosuchcommand"], ["nosuchcommand"]),
])
def test_usage_mistakes_are_one_line(tmp_path, args, words):
    r = wfm(*args, cwd=tmp_path)
    refused(r, *words)
    assert "Usage:" not in r.stderr and "╭" not in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_plain_wfm_still_shows_the_help(tmp_path):
    r = wfm(cwd=tmp_path)
    assert r.returncode == 2 and "forecast" in r.stdout and "Usage" in r.stdout


@pytest.mark.parametrize("address", ["not a url", "tcp://", "tcp://host:99999", "http//x:1"])
def test_malformed_scheduler_address_is_one_line(tmp_path, history_csv, address):
    r = wfm("forecast", "-H", history_csv, "-o", tmp_path / "fc.csv", "--weeks", "1", "--scheduler", address)
    refused(r, "--scheduler", "tcp://HOST:PORT")
    assert list(tmp_path.iterdir()) == []


def test_no_spinner_frames_before_an_error_in_a_log(tmp_path):
    r = wfm("whatif", "--run", tmp_path / "nope", "--volume", "+10%", cwd=tmp_path)
    refused(r, "nope")


@pytest.mark.parametrize("option,value", [("--date-format", "%Q"), ("--date-format", "european"),
                                          ("--timezone", "Mars/Base")])
def test_check_history_options_checked_even_for_iso_files(history_csv, option, value):
    before = history_csv.read_bytes()
    refused(wfm("check-history", "-H", history_csv, option, value), option)
    assert history_csv.read_bytes() == before


def test_a_plan_for_queues_nobody_is_skilled_for_is_refused(tmp_path, history_csv):
    agents = tmp_path / "agents.csv"
    agents.write_text(agents_text().replace(",sales,", ",salez,").replace(",service,", ",servize,")
                      .replace("sales;service", "salez;servize"), encoding="utf-8")
    (tmp_path / "calls.csv").write_bytes(history_csv.read_bytes())
    before = tree(tmp_path)
    line = refused(wfm("run", "-H", "calls.csv", "-a", "agents.csv", "-o", "out", "--name", "n", "-q", cwd=tmp_path),
                   "agents.csv", "no agent is skilled for queue 'sales'", "salez")
    assert "column 'queues'" in line
    assert tree(tmp_path) == before


def test_check_skills_names_every_queue_without_agents():
    import pandas as pd

    from wfm.errors import InputError
    from wfm.agents import check_skills

    ag = pd.DataFrame({"queues": ["a;b", "b"]})
    check_skills(["a", "b"], ag)  # every queue has someone
    with pytest.raises(InputError, match=r"queue 'c' \(nor 'd'\)"):
        check_skills(["a", "c", "d"], ag, "agents.csv")


def test_short_rows_are_never_filled_in(tmp_path):
    from wfm.errors import InputError
    from wfm.io import read_table

    p = tmp_path / "t.csv"
    p.write_text("queue,interval_start,offered\nsales,2026-06-01 00:00:00,3\nsales,2026-06-01 00:1\n")
    with pytest.raises(InputError, match="cut off") as err:
        read_table(p)
    assert err.value.row == 3 and err.value.file == str(p)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A real run of one queue over one week (about ten seconds), made once for the cut-off cases."""
    from wfm.config import load_config, parse_config
    from wfm.history import validate_history
    from wfm.pipeline import run_pipeline
    from wfm.agents import load_agents

    tmp = tmp_path_factory.mktemp("tiny")
    h = demo_history(start="2026-06-01", end="2026-07-12")
    hist = validate_history(h[h["queue"] == "sales"], source="t", interval_minutes=15)
    (tmp / "agents.csv").write_text(agents_text(), encoding="utf-8")
    ag = load_agents(tmp / "agents.csv")
    ag = ag[ag["queues"].str.contains("sales")].head(22).reset_index(drop=True)
    data = load_config(None).model_dump(mode="json", by_alias=True)
    data["forecast"]["weeks"] = 1
    data["schedule"]["templates"] = data["schedule"]["templates"][:1]
    data["schedule"]["time_limit_s"] = 20
    data["roster"]["time_limit_s"] = 10
    return run_pipeline(hist, ag, parse_config(data), base=tmp / "out", name="r").run_dir


@pytest.mark.parametrize("cut,words", [
    ("rows", ["requirements.csv", "cut off", "summary.json"]),        # whole rows lost: the horizon is shorter
    ("bytes", ["requirements.csv", "row", "cut off"]),                # the last line stops mid-cell
    ("calls", ["requirements.csv", "offered", "summary.json"]),       # a figure edited by hand
])
def test_whatif_refuses_a_run_whose_requirements_were_cut_off(tmp_path, tiny_run, cut, words):
    run = tmp_path / "schedules" / "r"
    shutil.copytree(tiny_run, run)
    req = run / "requirements.csv"
    text = req.read_text(encoding="utf-8")
    if cut == "rows":
        req.write_text("\n".join(text.splitlines()[:-5]) + "\n", encoding="utf-8")
    elif cut == "bytes":
        last = text.rstrip("\n").rsplit("\n", 1)[1]
        req.write_text(text[: len(text) - len(last) // 2 - 1], encoding="utf-8")
    else:
        lines = text.splitlines()
        cells = lines[40].split(",")
        cells[2] = str(float(cells[2]) + 50)
        lines[40] = ",".join(cells)
        req.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = tree(tmp_path)
    refused(wfm("whatif", "--run", run, "--volume", "+10%", "-q", cwd=tmp_path), *words)
    assert tree(tmp_path) == before


def test_whatif_base_figures_from_summary_equal_a_fresh_report(tmp_path, tiny_run):
    # The what-if takes the base run's figures from summary.json; rebuilding the report from the run's
    # files (what an older run without them gets) must give the same figures.
    from wfm.config import load_config
    from wfm.pipeline import WHATIF_METRICS, _headline_figures, _read_summary

    run = tmp_path / "schedules" / "r"
    shutil.copytree(tiny_run, run)
    cfg = load_config(run / "config.yaml")
    meta = _read_summary(run)
    recorded = _headline_figures(run, cfg, "r", meta)
    rebuilt = _headline_figures(run, cfg, "r", {k: v for k, v in meta.items() if k != "report"})
    for _, key in WHATIF_METRICS:
        if key is not None:
            assert rebuilt[key] == pytest.approx(recorded[key], rel=1e-9, nan_ok=True), key

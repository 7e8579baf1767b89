"""Names are data: queue and agent names, paths and messages never act as Rich markup, terminal control codes,
mathtext or spreadsheet formulas; every error is one plain line; warnings never reach the screen raw; and
outcomes that used to be silent (capped staffing, unmet holiday coverage) are said."""

import re
import warnings
import zipfile

import pandas as pd
import pytest
import typer
import yaml
from rich.console import Console
from typer.testing import CliRunner

from wfm import cli
from wfm.cli import app
from wfm.config import load_config
from wfm.demo import demo_history
from wfm.errors import InputError
from wfm.text import chart_text, markup_safe, printable

openpyxl = pytest.importorskip("openpyxl")

runner = CliRunner()

MARKUP = ["[/bold]", "[red]x[/red]"]
FORMULAS = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1", "@SUM(A1)", "-2+3", "\tx"]
MATH = r"$\foo{x}$"
CJK = "客服中心"


def err_lines(r) -> list[str]:
    return [line for line in r.stderr.splitlines() if line.strip()]


def assert_one_error(r, code: int) -> str:
    """Exit ``code``, exactly one non-empty line on stderr starting 'error:', no traceback; returns it."""
    lines = err_lines(r)
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in r.output and "MarkupError" not in r.output
    return lines[0]


def history_file(tmp_path, names: dict[str, str], name: str = "calls.csv"):
    """Six weeks of demo history with the queues 'sales' and 'service' renamed."""
    h = demo_history(start="2026-06-01", end="2026-07-12")
    h["queue"] = h["queue"].map(names)
    p = tmp_path / name
    h.to_csv(p, index=False)
    return p


# ---------------------------------------------------------------------------------------------------------
# printable / markup_safe / chart_text
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, shown", [
    ("a\x1b[31mb", r"a\x1b[31mb"), ("bell\x07", r"bell\x07"), ("two\nlines\r", r"two\nlines\r"),
    ("\u202eevil", r"\u202eevil"), ("c1\x9b2J", r"c1\x9b2J"), ("bad\udcffbyte", r"bad\udcffbyte"),
    (CJK + " ok", CJK + " ok"),
])
def test_printable_shows_control_codes_as_escapes(raw, shown):
    assert printable(raw) == shown


@pytest.mark.parametrize("name", MARKUP + [MATH, "x\\", "[bold red]", "[link=http://x]y[/link]"])
def test_markup_safe_prints_the_name_literally(name):
    con = Console(record=True, width=200)
    con.print(f"[bold]queue:[/] {markup_safe(name)}")
    assert con.export_text().rstrip("\n") == f"queue: {name}"


def test_chart_text_escapes_what_no_chart_font_can_draw():
    assert chart_text(MATH) == MATH  # plain characters the fonts have stay as typed
    assert "\\x1b" in chart_text("a\x1bb")
    out = chart_text("\U000e0001tag")  # a tag character: no font draws it
    assert out.startswith("\\U000e0001")


# ---------------------------------------------------------------------------------------------------------
# names on the terminal
# ---------------------------------------------------------------------------------------------------------


def test_check_history_prints_markup_and_control_names_literally(tmp_path):
    p = history_file(tmp_path, {"sales": "[/bold]", "service": "a\x1b[31mb\u202e"})
    r = runner.invoke(app, ["check-history", "-H", str(p)])
    assert r.exit_code == 0, r.output
    assert "[/bold]" in r.stdout and "\x1b" not in r.output and "\u202e" not in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize("names", [(MARKUP[0], MATH), (CJK, FORMULAS[0]), (MARKUP[1], FORMULAS[3])])
def test_forecast_prints_each_queue_literally_and_warns_nothing(tmp_path, names):
    p = history_file(tmp_path, {"sales": names[0], "service": names[1]})
    out = tmp_path / "fc.csv"
    r = runner.invoke(app, ["forecast", "-H", str(p), "--weeks", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    for n in names:
        assert any(line.startswith(f"{n}: ") and "calls forecast" in line for line in r.stdout.splitlines()), r.stdout
    assert r.stderr == ""  # no MarkupError, no mathtext error, no missing-glyph warning
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_bad_cell_with_markup_is_one_plain_error_line(tmp_path):
    p = tmp_path / "calls.csv"
    p.write_text("queue,interval_start,offered\nq,2026-03-02 08:00,1\nq,2026-03-02 08:15,[/bold]\n")
    line = assert_one_error(runner.invoke(app, ["check-history", "-H", str(p)]), 2)
    assert "[/bold]" in line and "row 3" in line and "offered" in line


def test_bad_cell_with_control_codes_and_newline_stays_one_line(tmp_path):
    p = tmp_path / "calls.csv"
    p.write_text('queue,interval_start,offered\nq,2026-03-02 08:00,1\nq,2026-03-02 08:15,"1\x1b[2J\n2"\n')
    line = assert_one_error(runner.invoke(app, ["check-history", "-H", str(p)]), 2)
    assert "\x1b" not in line and "\\x1b[2J" in line


def test_missing_file_whose_path_looks_like_markup(tmp_path):
    missing = tmp_path / "h[" / "]x" / "[red]calls.csv"
    line = assert_one_error(runner.invoke(app, ["check-history", "-H", str(missing)]), 2)
    assert str(missing) in line


def test_report_run_folder_named_like_markup(tmp_path):
    from test_report import XSS, make_run_dir

    run = tmp_path / "h[" / "]x"  # the path reads 'h[/]x', Rich's closing tag
    make_run_dir(run)
    r = runner.invoke(app, ["report", "--run", str(run)])
    assert r.exit_code == 0, r.output
    assert f"Wrote {run / 'report.html'}" in r.stdout and "internal error" not in r.output
    html = (run / "report.html").read_text(encoding="utf-8")
    assert XSS not in html and "&lt;script&gt;" in html  # the report's HTML escapes names (jinja autoescape)


def test_report_missing_run_folder_named_like_markup(tmp_path):
    run = tmp_path / "h[" / "]x"
    line = assert_one_error(runner.invoke(app, ["report", "--run", str(run)]), 2)
    assert str(run) in line


# ---------------------------------------------------------------------------------------------------------
# _guard: every error one line, file-system and resource errors exit 2
# ---------------------------------------------------------------------------------------------------------

TRADEOFF = ["tradeoff", "--calls", "100", "--aht", "300", "--agents", "30:32"]


@pytest.mark.parametrize("exc, code, says", [
    (PermissionError(13, "Permission denied", "/srv/out/t.csv"), 2, "cannot write /srv/out/t.csv: permission denied"),
    (OSError(28, "No space left on device", "/srv/out/t.csv"), 2, "cannot write /srv/out/t.csv: no space left"),
    (RecursionError("maximum recursion depth exceeded"), 2, "nested too deeply"),
    (MemoryError(), 2, "out of memory"),
    (ValueError("bad [/bold] \x1b[2J\nnext"), 1, "internal error (ValueError: bad [/bold] \\x1b[2J\\nnext)"),
])
def test_guard_turns_each_failure_into_one_line(tmp_path, monkeypatch, exc, code, says):
    import wfm.staffing

    def boom(*a, **k):
        raise exc

    monkeypatch.delenv("WFM_DEBUG", raising=False)
    monkeypatch.setattr(wfm.staffing, "tradeoff", boom)
    line = assert_one_error(runner.invoke(app, TRADEOFF + ["-o", str(tmp_path / "t.csv")]), code)
    assert says in line
    if code == 2:
        assert "internal error" not in line


def test_guard_terminated_exits_143(tmp_path, monkeypatch):
    import wfm.staffing
    from wfm.errors import Terminated

    def boom(*a, **k):
        raise Terminated()

    monkeypatch.setattr(wfm.staffing, "tradeoff", boom)
    line = assert_one_error(runner.invoke(app, TRADEOFF + ["-o", str(tmp_path / "t.csv")]), 143)
    assert "terminated" in line


@pytest.mark.parametrize("kind", ["under_a_file", "is_a_folder"])
def test_output_path_the_file_system_refuses_is_one_line_exit_2(tmp_path, kind):
    blocker = tmp_path / "taken"
    if kind == "under_a_file":
        blocker.write_text("a file, not a folder\n")
        target = blocker / "t.csv"
    else:
        blocker.mkdir()
        target = tmp_path / "t.csv"
        target.mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    line = assert_one_error(runner.invoke(app, TRADEOFF + ["-o", str(target)]), 2)
    assert "internal error" not in line and str(target if kind == "is_a_folder" else blocker) in line
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_os_error_wording():
    assert cli._os_error(FileNotFoundError(2, "No such file or directory", "x.csv")) == \
        "cannot open x.csv: no such file or directory"
    assert cli._os_error(FileExistsError(17, "File exists", "out")).startswith("cannot write out: ")
    assert cli._os_error(OSError(18, "Invalid cross-device link", "a.tmp", None, "b.csv")).startswith("cannot write b.csv")
    assert cli._os_error(ConnectionRefusedError(111, "Connection refused")).startswith("cannot connect")


# ---------------------------------------------------------------------------------------------------------
# warnings: one short line, none with -q, none after an error
# ---------------------------------------------------------------------------------------------------------


class ConvergenceWarning(UserWarning):  # statsmodels' name, so the category shows as it would
    pass


def warning_app():
    a = typer.Typer()

    @a.command()
    @cli._guard
    def go(quiet: bool = typer.Option(False, "--quiet", "-q"), noise: bool = False, fail: bool = False):
        if noise:
            warnings.warn("Glyph 23458 (\\N{CJK UNIFIED IDEOGRAPH-5BA2}) missing from font(s) DejaVu Sans.")
            warnings.warn("the default will change", FutureWarning)
        else:
            for _ in range(3):
                warnings.warn("Maximum Likelihood optimization failed [/bold]\nto converge", ConvergenceWarning)
            warnings.warn("overflow encountered in exp", RuntimeWarning)
        if fail:
            raise InputError("bad cell", file=f"{CJK}.csv", row=2, column="offered")
        typer.echo("done")

    return a


def test_library_warnings_become_one_short_line(monkeypatch):
    monkeypatch.delenv("WFM_DEBUG", raising=False)
    r = runner.invoke(warning_app(), [])
    assert r.exit_code == 0 and r.stdout == "done\n"
    lines = err_lines(r)
    assert len(lines) == 1 and lines[0].startswith("warning: 2 different warnings"), lines
    assert "ConvergenceWarning: Maximum Likelihood optimization failed [/bold] to converge" in lines[0]


def test_quiet_prints_nothing_on_stderr_even_with_warnings(monkeypatch):
    monkeypatch.delenv("WFM_DEBUG", raising=False)
    r = runner.invoke(warning_app(), ["-q"])
    assert r.exit_code == 0 and r.stdout == "done\n" and r.stderr == ""


def test_noise_warnings_are_silenced(monkeypatch):
    monkeypatch.delenv("WFM_DEBUG", raising=False)
    r = runner.invoke(warning_app(), ["--noise"])
    assert r.exit_code == 0 and r.stderr == ""


def test_an_error_after_warnings_is_still_one_line(monkeypatch):
    monkeypatch.delenv("WFM_DEBUG", raising=False)
    line = assert_one_error(runner.invoke(warning_app(), ["--fail"]), 2)
    assert line == f"error: {CJK}.csv, row 2, column 'offered': bad cell"


# ---------------------------------------------------------------------------------------------------------
# charts: plain text, no missing-glyph warning, byte-deterministic
# ---------------------------------------------------------------------------------------------------------


def small_forecast(names):
    from wfm.forecast import forecast
    from wfm.history import validate_history

    h = demo_history(start="2026-06-01", end="2026-07-12")
    h["queue"] = h["queue"].map(dict(zip(["sales", "service"], names)))
    hist = validate_history(h, source="test", interval_minutes=15)
    return hist, forecast(hist, weeks=1, model="calendar")


def png_bytes(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50, metadata={"Software": None})
    return buf.getvalue()


def test_forecast_chart_draws_names_as_plain_text_without_warnings():
    import matplotlib.pyplot as plt

    from wfm.forecast import plot_forecast

    hist, fc = small_forecast([MATH, CJK + "\x1b"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = plot_forecast(hist, fc)
        first = png_bytes(fig)
    assert [str(w.message) for w in caught] == []
    titles = [ax.title if ax.get_title() else ax._left_title for ax in fig.axes]
    shown = sorted(t.get_text() for t in titles)
    assert shown == sorted([f"{MATH}: calls per hour", f"{chart_text(CJK)}\\x1b: calls per hour"])
    assert all(not t.get_parse_math() for t in titles)
    assert png_bytes(plot_forecast(hist, fc)) == first  # same bytes every time
    plt.close("all")


def test_tradeoff_chart_text_is_never_mathtext():
    import matplotlib.pyplot as plt

    from wfm.staffing import plot_tradeoff, tradeoff

    fig = plot_tradeoff(tradeoff(100, 300, 900, 20, range(30, 33), 50.0), sl_target=0.8)
    texts = [t for ax in fig.axes for t in (ax._left_title, ax.xaxis.label, ax.yaxis.label)]
    assert texts and all(not t.get_parse_math() for t in texts)
    plt.close(fig)


def test_report_charts_take_hostile_queue_names(tmp_path):
    from test_report import fixture_config, make_run_dir

    from wfm.runs import build_report

    run = tmp_path / "run"
    make_run_dir(run)
    for p in run.glob("*.csv"):  # rename the queues everywhere they appear (ids include them too)
        p.write_text(p.read_text(encoding="utf-8").replace("sales", "$\\foo{x}$").replace("service", CJK),
                     encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = build_report(run, fixture_config())
    assert [str(w.message) for w in caught if "Glyph" in str(w.message) or "mathtext" in str(w.message)] == []
    html = res.html.read_text(encoding="utf-8")
    assert "$\\foo{x}$" in html and CJK in html


# ---------------------------------------------------------------------------------------------------------
# xlsx: formula-like text shown unchanged, stored as text with quotePrefix
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    from wfm.report import write_workbook

    names = FORMULAS + ["Li Na", CJK, MARKUP[0]]
    df = pd.DataFrame({"name": names, "hours": [8.0] * len(names)})
    p = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    write_workbook(p, [("Roster", df)], [("Run", FORMULAS[1], None), ("=label", 3.0, "0.0")], "#,##0.00",
                   "2026-01-05")
    return p, names


@pytest.mark.parametrize("i", range(len(FORMULAS)))
def test_xlsx_formula_like_name_is_text_shown_unchanged(workbook, i):
    p, names = workbook
    ws = openpyxl.load_workbook(p)["Roster"]
    cell = ws.cell(row=2 + i, column=1)
    assert cell.value == names[i] and cell.data_type == "s" and cell.quotePrefix


def test_xlsx_plain_names_have_no_prefix_and_sheets_no_formula(workbook):
    p, names = workbook
    wb = openpyxl.load_workbook(p)
    ws = wb["Roster"]
    for i in range(len(FORMULAS), len(names)):
        cell = ws.cell(row=2 + i, column=1)
        assert cell.value == names[i] and not cell.quotePrefix
    summary = wb["Summary"]
    assert summary["B1"].value == FORMULAS[1] and summary["B1"].quotePrefix and summary["A2"].quotePrefix
    with zipfile.ZipFile(p) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 2
        for n in sheets:
            assert not re.search(r"<f[ >]", z.read(n).decode("utf-8"))


# ---------------------------------------------------------------------------------------------------------
# silent outcomes made visible
# ---------------------------------------------------------------------------------------------------------


def config_file(tmp_path, change) -> str:
    data = load_config(None).model_dump(mode="json", by_alias=True)
    change(data)
    p = tmp_path / "cfg.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(p)


def test_staff_says_when_max_agents_caps_a_queue(tmp_path):
    fc = tmp_path / "fc.csv"
    t = pd.date_range("2026-07-13", periods=8, freq="15min")
    pd.DataFrame({"queue": [CJK] * 4 + ["small"] * 4, "interval_start": list(t[:4]) * 2,
                  "offered": [10.0, 400.0, 500.0, 12.0, 1.0, 1.0, 1.0, 1.0], "aht_s": 300.0}).to_csv(fc, index=False)
    cfg = config_file(tmp_path, lambda d: d["staffing"].update(max_agents=60))
    out = tmp_path / "req.csv"
    r = runner.invoke(app, ["staff", "-f", str(fc), "-o", str(out), "-c", cfg])
    assert r.exit_code == 0, r.output
    req = pd.read_csv(out)
    capped = req[~req["target_met"]]
    assert set(capped["queue"]) == {CJK} and len(capped) == 2
    notes = [line for line in r.stdout.splitlines() if line.startswith("note:")]
    assert notes == [f"note: queue '{CJK}' needs more than staffing.max_agents = 60 agents in 2 interval(s) "
                     "(first 2026-07-13 00:15); staffed at the cap, service target not met there"]


def test_schedule_says_when_hard_holiday_coverage_cannot_be_met(tmp_path):
    def only_day_shifts(d):
        d["schedule"]["templates"] = [t for t in d["schedule"]["templates"] if t["name"] == "FT9"]
        d["schedule"]["templates"][0].update(start_min_h=8.0, start_max_h=10.0)

    cfg = config_file(tmp_path, only_day_shifts)
    t = pd.date_range("2026-10-01", periods=96, freq="15min")  # National Day, a holiday
    req = tmp_path / "req.csv"
    pd.DataFrame({"queue": MARKUP[0], "interval_start": t, "scheduled_required": 2, "offered": 5.0, "aht_s": 200.0,
                  "agents": 1, "is_holiday": True}).to_csv(req, index=False)
    r = runner.invoke(app, ["schedule", "-r", str(req), "-o", str(tmp_path / "out"), "-c", cfg])
    assert r.exit_code == 0, r.output
    notes = [line for line in r.stdout.splitlines() if line.startswith("note:")]
    assert any(f"Queue '{MARKUP[0]}', holiday 2026-10-01" in n and "could not be fully covered" in n for n in notes), notes


def test_run_summary_prints_headline_notes_and_paths_literally(tmp_path, capsys):
    import json

    from wfm.pipeline import RunResult

    run = tmp_path / "schedules" / "h[" / "]x"
    res = RunResult(forecast_dir=tmp_path / "forecasts" / "[red]f", run_dir=run,
                    figures={"headline": {"[bold]calls": "1,234 [/]", "queue \x1b[31m": CJK}},
                    messages=[f"queue '{MARKUP[0]}' needs more than staffing.max_agents = 5 agents\nsomewhere"])
    cli._print_summary(res, 1.0, as_json=False)
    got = capsys.readouterr()
    assert got.err == ""
    assert "[bold]calls" in got.out and "1,234 [/]" in got.out and "queue \\x1b[31m" in got.out and "\x1b" not in got.out
    assert f"note: queue '{MARKUP[0]}' needs more than staffing.max_agents = 5 agents\\nsomewhere" in got.out.splitlines()
    assert f"Report: {run / 'report.html'} (and report.xlsx); forecast in {tmp_path / 'forecasts' / '[red]f'}" in got.out
    cli._print_summary(res, 1.0, as_json=True)
    data = json.loads(capsys.readouterr().out)
    assert data["run_dir"] == str(run) and data["messages"] == res.messages and data["headline"]["queue \x1b[31m"] == CJK

"""Hostile input files: encodings, broken CSV shapes, numbers and booleans that must not be misread, formula
neutralisation and full float precision of what wfm writes. Every refusal is one line, exit code 2, naming the
file (and the row and column where they apply), with the inputs and earlier outputs byte-for-byte unchanged."""

import csv
import hashlib
import io
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from wfm.agents import load_agents
from wfm.cli import app
from wfm.errors import InputError
from wfm.io import parse_bool_column, parse_number_column, read_table, write_csv
from wfm.tables import read_frame
from wfm.runs import read_run
from wfm.validate import read_roster

runner = CliRunner()

HISTORY = "queue,interval_start,offered\nsales,2026-06-01 08:00,3\nsales,2026-06-01 08:15,4\n"
REQ_HEAD = "queue,interval_start,offered,aht_s,scheduled_required,is_holiday\n"
REQ_ROW = "sales,2026-06-01 08:{m:02d}:00,3,240,{n},False\n"
SHIFT_HEAD = "shift_id,queue,date,template,start,end,break_start,break_end,paid_hours,count\n"
SHIFT_ROW = "S{i},sales,2026-06-01,day,2026-06-01 08:00:00,2026-06-01 16:00:00,,,8,{n}\n"
AGENT_HEAD = "agent_id,name,team,queues,contract,min_hours_week,max_hours_week,max_days_week,hourly_rate,night_ok\n"
AGENT_ROW = "A{i},Ann,T1,sales,full_time,0,40,5,{rate},{night}\n"
ROSTER_HEAD = "agent_id,name,team,queue,date,shift_id,template,shift_start,shift_end,break_start,break_end,paid_hours,is_holiday\n"
ROSTER_ROW = "A1,Ann,T1,sales,2026-06-01,S1,day,2026-06-01 08:00:00,2026-06-01 16:00:00,,,{h},{hol}\n"
FORECAST_HEAD = "queue,interval_start,offered,offered_lo,offered_hi,aht_s,is_holiday\n"
FORECAST_ROW = "sales,2026-06-01 08:00:00,{o},1,3,{a},False\n"


def digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(tmp_path, args, *words):
    """Run the command; assert exit 2, one non-empty line naming the words, and every file unchanged."""
    before = digest(tmp_path)
    r = runner.invoke(app, args)
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert r.exit_code == 2, r.output
    assert len(lines) == 1, r.output
    assert "Traceback" not in r.output
    for w in words:
        assert w in lines[0], lines[0]
    assert digest(tmp_path) == before
    return lines[0]


def put(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


def earlier_output(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "shifts.csv").write_text("earlier run\n")
    (out / "roster.csv").write_text("earlier run\n")
    return out


# ----------------------------------------------------------------------------------------------------------
# Encodings and file shapes (check-history, schedule, validate)
# ----------------------------------------------------------------------------------------------------------


def test_cp1252_history_names_file_row_column_and_encoding(tmp_path):
    p = put(tmp_path, "calls.csv", (HISTORY + "Kundenbüro,2026-06-01 08:30,5\n").encode("cp1252"))
    line = refused(tmp_path, ["check-history", "-H", str(p)], str(p), "row 4", "column 'queue'", "Windows-1252",
                   "UTF-8")
    assert "Kundenbüro" in line


def test_utf16_history_is_refused_with_row_and_advice(tmp_path):
    p = put(tmp_path, "calls.csv", HISTORY.encode("utf-16"))
    refused(tmp_path, ["check-history", "-H", str(p)], str(p), "row 1", "UTF-16", "UTF-8")


def test_utf16_without_bom_is_recognised(tmp_path):
    p = put(tmp_path, "calls.csv", HISTORY.encode("utf-16-le"))
    refused(tmp_path, ["check-history", "-H", str(p)], str(p), "UTF-16")


def test_utf8_bom_history_is_read(tmp_path):
    p = put(tmp_path, "calls.csv", HISTORY.encode("utf-8-sig"))
    r = runner.invoke(app, ["check-history", "-H", str(p)])
    assert r.exit_code == 0, r.output
    assert list(read_table(p).columns) == ["queue", "interval_start", "offered"]


def test_binary_file_with_nul_bytes(tmp_path):
    p = put(tmp_path, "calls.csv", HISTORY.encode() + b"\x00\x01\x02garbage")
    refused(tmp_path, ["check-history", "-H", str(p)], str(p), "row 4", "binary")


def test_xlsx_renamed_to_csv(tmp_path):
    p = put(tmp_path, "calls.csv", b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(1, 200)))
    refused(tmp_path, ["check-history", "-H", str(p)], str(p), "CSV UTF-8")


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
def test_empty_file(tmp_path, data):
    p = put(tmp_path, "calls.csv", data)
    refused(tmp_path, ["check-history", "-H", str(p)], str(p), "empty")


def test_ragged_row_names_its_line(tmp_path):
    p = put(tmp_path, "calls.csv", HISTORY + "sales,2026-06-01 08:30,5,oops\n")
    refused(tmp_path, ["check-history", "-H", str(p)], str(p), "row 4", "4 cells", "header has 3")


def test_unpaired_quote_names_its_line(tmp_path):
    p = put(tmp_path, "calls.csv", HISTORY + '"sales,2026-06-01 08:30,5\n')
    refused(tmp_path, ["check-history", "-H", str(p)], str(p), "row 4", "quotes")


def test_duplicate_column_name(tmp_path):
    p = put(tmp_path, "calls.csv", "queue,interval_start,offered, offered\nsales,2026-06-01 08:00,3,4\n")
    refused(tmp_path, ["check-history", "-H", str(p)], str(p), "column 'offered'", "twice")


def test_cp1252_requirements_under_schedule(tmp_path):
    out = earlier_output(tmp_path)
    p = put(tmp_path, "requirements.csv", (REQ_HEAD + "Bürgerbüro,2026-06-01 08:00:00,3,240,2,False\n").encode("cp1252"))
    refused(tmp_path, ["schedule", "-r", str(p), "-o", str(out)], str(p), "row 2", "column 'queue'", "UTF-8")


def test_utf16_roster_under_validate(tmp_path):
    ag = put(tmp_path, "agents.csv", AGENT_HEAD + AGENT_ROW.format(i=1, rate=35, night="true"))
    p = put(tmp_path, "roster.csv", (ROSTER_HEAD + ROSTER_ROW.format(h=8, hol="False")).encode("utf-16"))
    refused(tmp_path, ["validate", "-r", str(p), "-a", str(ag)], str(p), "row 1", "UTF-16")


# ----------------------------------------------------------------------------------------------------------
# Numbers: quoted as typed, never truncated, never overflowing
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell, words", [
    ("2.9", ["'2.9'", "whole number of agents"]),
    ("inf", ["'inf'", "not a number"]),
    ("-inf", ["'-inf'", "not a number"]),
    ("nan", ["'nan'", "not a number"]),
    ("1e30", ["'1e30'", "maximum"]),
    ("1e309", ["'1e309'", "too large"]),
    ("", ["empty"]),
    ("-1", ["'-1'", "negative"]),
    ("1,5", ["'1,5'", "decimal point"]),
])
def test_schedule_refuses_bad_scheduled_required(tmp_path, cell, words):
    out = earlier_output(tmp_path)
    text = REQ_HEAD + REQ_ROW.format(m=0, n=2) + (REQ_ROW.format(m=15, n=cell) if "," not in cell else
                                                   REQ_ROW.format(m=15, n=f'"{cell}"'))
    p = put(tmp_path, "requirements.csv", text)
    line = refused(tmp_path, ["schedule", "-r", str(p), "-o", str(out)], str(p), "row 3",
                   "column 'scheduled_required'", *words)
    assert "-9223372036854775808" not in line and "(empty)" not in line


def test_schedule_row_numbers_count_blank_lines(tmp_path):
    out = earlier_output(tmp_path)
    p = put(tmp_path, "requirements.csv", REQ_HEAD + REQ_ROW.format(m=0, n=2) + "\n" + REQ_ROW.format(m=15, n="x"))
    refused(tmp_path, ["schedule", "-r", str(p), "-o", str(out)], str(p), "row 4", "'x'")


def test_schedule_bad_boolean_names_the_cell(tmp_path):
    out = earlier_output(tmp_path)
    p = put(tmp_path, "requirements.csv", REQ_HEAD + REQ_ROW.format(m=0, n=2).replace("False", "perhaps"))
    refused(tmp_path, ["schedule", "-r", str(p), "-o", str(out)], str(p), "row 2", "column 'is_holiday'",
            "'perhaps'", "true/false")


def test_schedule_library_check_names_the_file_not_a_label(tmp_path):
    out = earlier_output(tmp_path)
    p = put(tmp_path, "requirements.csv", REQ_HEAD + REQ_ROW.format(m=0, n=2) + REQ_ROW.format(m=0, n=2))
    line = refused(tmp_path, ["schedule", "-r", str(p), "-o", str(out)], str(p), "row 3", "twice")
    assert not line.startswith("error: requirements,")


@pytest.mark.parametrize("cell, words", [("2.5", ["'2.5'", "whole number of agents"]), ("inf", ["'inf'"]),
                                         ("1e30", ["'1e30'", "maximum"])])
def test_roster_refuses_bad_shift_counts(tmp_path, cell, words):
    out = earlier_output(tmp_path)
    sh = put(tmp_path, "shifts.csv", SHIFT_HEAD + SHIFT_ROW.format(i=1, n=1) + SHIFT_ROW.format(i=2, n=cell))
    ag = put(tmp_path, "agents.csv", AGENT_HEAD + AGENT_ROW.format(i=1, rate=35, night="true"))
    refused(tmp_path, ["roster", "-s", str(sh), "-a", str(ag), "-o", str(out)], str(sh), "row 3", "column 'count'",
            *words)


def test_roster_library_check_names_the_shifts_file(tmp_path):
    out = earlier_output(tmp_path)
    sh = put(tmp_path, "shifts.csv", SHIFT_HEAD + SHIFT_ROW.format(i=1, n=1) + SHIFT_ROW.format(i=1, n=1))
    ag = put(tmp_path, "agents.csv", AGENT_HEAD + AGENT_ROW.format(i=1, rate=35, night="true"))
    refused(tmp_path, ["roster", "-s", str(sh), "-a", str(ag), "-o", str(out)], str(sh), "row 3", "duplicate shift_id")


@pytest.mark.parametrize("rate, night, column, words", [
    ("1e309", "true", "hourly_rate", ["'1e309'", "too large"]),
    ("nan", "true", "hourly_rate", ["'nan'", "not a number"]),
    ("35", "maybe", "night_ok", ["'maybe'"]),
])
def test_roster_refuses_bad_agent_cells(tmp_path, rate, night, column, words):
    out = earlier_output(tmp_path)
    sh = put(tmp_path, "shifts.csv", SHIFT_HEAD + SHIFT_ROW.format(i=1, n=1))
    ag = put(tmp_path, "agents.csv", AGENT_HEAD + AGENT_ROW.format(i=1, rate=35, night="true")
             + AGENT_ROW.format(i=2, rate=rate, night=night))
    refused(tmp_path, ["roster", "-s", str(sh), "-a", str(ag), "-o", str(out)], str(ag), "row 3",
            f"column '{column}'", *words)


def test_roster_cp1252_agents_file(tmp_path):
    out = earlier_output(tmp_path)
    sh = put(tmp_path, "shifts.csv", SHIFT_HEAD + SHIFT_ROW.format(i=1, n=1))
    ag = put(tmp_path, "agents.csv", (AGENT_HEAD + AGENT_ROW.format(i=1, rate=35, night="true").replace("Ann", "Zoë"))
             .encode("cp1252"))
    refused(tmp_path, ["roster", "-s", str(sh), "-a", str(ag), "-o", str(out)], str(ag), "row 2", "column 'name'",
            "Zoë")


@pytest.mark.parametrize("hours, hol, column, words", [
    ("nan", "False", "paid_hours", ["'nan'"]),
    ("1e309", "False", "paid_hours", ["'1e309'"]),
    ("8", "perhaps", "is_holiday", ["'perhaps'"]),
])
def test_validate_refuses_bad_roster_cells(tmp_path, hours, hol, column, words):
    ag = put(tmp_path, "agents.csv", AGENT_HEAD + AGENT_ROW.format(i=1, rate=35, night="true"))
    p = put(tmp_path, "roster.csv", ROSTER_HEAD + ROSTER_ROW.format(h=hours, hol=hol))
    refused(tmp_path, ["validate", "-r", str(p), "-a", str(ag)], str(p), "row 2", f"column '{column}'", *words)


@pytest.mark.parametrize("offered, aht, column, words", [
    ("1e309", "240", "offered", ["'1e309'"]),
    ("2", "inf", "aht_s", ["'inf'"]),
    ("2", "1e308", "aht_s", ["'1e308'", "maximum"]),
    ('"1,234"', "240", "offered", ["'1,234'", "thousands"]),
])
def test_staff_refuses_bad_forecast_cells(tmp_path, offered, aht, column, words):
    p = put(tmp_path, "forecast.csv", FORECAST_HEAD + FORECAST_ROW.format(o=offered, a=aht))
    out = put(tmp_path, "req.csv", "earlier requirement\n")
    refused(tmp_path, ["staff", "-f", str(p), "-o", str(out)], str(p), "row 2", f"column '{column}'", *words)


def _run_folder(d, req_cell="2", target="True"):
    d.mkdir()
    put(d, "requirements.csv", "queue,interval_start,offered,aht_s,scheduled_required,is_holiday,target_met\n"
        f"sales,2026-06-01 08:00:00,3,240,{req_cell},False,{target}\n")
    put(d, "coverage.csv", "queue,interval_start,required,scheduled,gap\nsales,2026-06-01 08:00:00,2,2,0\n")
    put(d, "roster.csv", ROSTER_HEAD + ROSTER_ROW.format(h=8, hol="False"))
    put(d, "agents.csv", AGENT_HEAD + AGENT_ROW.format(i=1, rate=35, night="true"))
    return d


def test_report_refuses_fractional_requirement_naming_the_file(tmp_path):
    d = _run_folder(tmp_path / "run", req_cell="2.5")
    refused(tmp_path, ["report", "--run", str(d)], str(d / "requirements.csv"), "row 2",
            "column 'scheduled_required'", "'2.5'", "whole number")


def test_read_run_shared_boolean_vocabulary(tmp_path):
    run = read_run(_run_folder(tmp_path / "ok", target="yes"))
    assert run.requirements["target_met"].tolist() == [True]
    with pytest.raises(InputError) as e:
        read_run(_run_folder(tmp_path / "bad", target="sometimes"))
    assert (e.value.file, e.value.row, e.value.column) == (str(tmp_path / "bad" / "requirements.csv"), 2, "target_met")
    assert "'sometimes'" in str(e.value)


# ----------------------------------------------------------------------------------------------------------
# The shared parsers directly
# ----------------------------------------------------------------------------------------------------------


def test_bool_parser_vocabulary_and_default():
    s = pd.Series(["TRUE", "no", "Y", "f", "1", "0", "", " Yes "])
    assert parse_bool_column(s, "f.csv", "c", default=True).tolist() == [True, False, True, False, True, False,
                                                                           True, True]
    with pytest.raises(InputError, match="row 3, column 'c': the cell is empty"):
        parse_bool_column(pd.Series(["true", ""]), "f.csv", "c")


def test_number_parser_integer_keeps_whole_values_and_refuses_fractions():
    assert parse_number_column(pd.Series(["3", " 4 ", "5.0", "1e2"]), "f.csv", "n", integer=True).tolist() == [3, 4, 5, 100]
    with pytest.raises(InputError, match="'2.9' must be a whole number of agents"):
        parse_number_column(pd.Series(["2.9"]), "f.csv", "n", integer=True, unit="agents")


def test_number_parser_refuses_typed_infinity_quoting_the_value():
    with pytest.raises(InputError, match=r"row 3, column 'x': 'inf' is not a finite number"):
        parse_number_column(pd.Series([1.0, math.inf]), "f.csv", "x")


# ----------------------------------------------------------------------------------------------------------
# What wfm writes: formula neutralisation and full precision
# ----------------------------------------------------------------------------------------------------------

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "=cmd|' /C calc'!A0", "+1", "-x", "@SUM(A1)", "\tz", "\rq", "plain",
           "'quoted"]


def test_write_csv_neutralises_text_cells_and_reads_them_back_unchanged(tmp_path):
    df = pd.DataFrame({"name": HOSTILE, "hours": [-1.5, 2.0, 3.0, -4.0, 5.0, 6.0, 7.0, 8.0, 9.0]})
    p = write_csv(df, tmp_path / "roster.csv")
    cells = list(csv.reader(io.StringIO(p.read_bytes().decode("utf-8"), newline="")))[1:]
    assert [c[0] for c in cells] == ["'" + t if t[0] in "=+-@\t\r" else t for t in HOSTILE]
    assert [c[1] for c in cells][:4] == ["-1.5", "2.0", "3.0", "-4.0"]  # numbers are never touched
    back = read_frame(p, ["name"], signed=["hours"])
    assert back["name"].tolist() == HOSTILE
    assert back["hours"].tolist() == df["hours"].tolist()


def test_raw_csv_bytes_start_the_cell_with_an_apostrophe(tmp_path):
    df = pd.DataFrame({"agent_id": ["=cmd|' /C calc'!A0", "@SUM(A1)", "-x"], "hours": [-1.5, 2.0, 3.0]})
    raw = write_csv(df, tmp_path / "costs.csv").read_bytes()
    assert raw.splitlines()[1:] == [b"'=cmd|' /C calc'!A0,-1.5", b"'@SUM(A1),2.0", b"'-x,3.0"]
    pd.testing.assert_frame_equal(read_frame(tmp_path / "costs.csv", ["agent_id"], signed=["hours"]), df,
                                  check_dtype=False)


def test_formula_named_agent_still_matches_between_roster_and_agents(tmp_path):
    ag_src = put(tmp_path, "agents_in.csv", AGENT_HEAD + AGENT_ROW.format(i=1, rate=35, night="true")
                 .replace("A1,Ann", '"=A1+A2","=HYPERLINK(""x"")"'))
    ag = load_agents(ag_src)
    assert ag["agent_id"].tolist() == ["=A1+A2"]
    write_csv(ag, tmp_path / "agents.csv")
    ros = pd.DataFrame({"agent_id": ["=A1+A2"], "name": ag["name"], "team": ["T1"], "queue": ["sales"],
                        "date": [pd.Timestamp("2026-06-01")], "shift_id": ["S1"], "template": ["day"],
                        "shift_start": [pd.Timestamp("2026-06-01 08:00")], "shift_end": [pd.Timestamp("2026-06-01 16:00")],
                        "break_start": [pd.NaT], "break_end": [pd.NaT], "paid_hours": [8.0], "is_holiday": [False]})
    write_csv(ros, tmp_path / "roster.csv")
    assert (tmp_path / "roster.csv").read_text().splitlines()[1].startswith("'=A1+A2,\"'=HYPERLINK(")
    assert read_roster(tmp_path / "roster.csv")["agent_id"].tolist() == load_agents(tmp_path / "agents.csv")["agent_id"].tolist()
    pd.testing.assert_frame_equal(load_agents(tmp_path / "agents.csv"), ag)


def test_precision_of_known_troublemakers(tmp_path):
    values = [1234567.891, 0.1 + 0.2, 62942.123456789, 1e-300, 123456789012.25, -0.0]
    p = write_csv(pd.DataFrame({"v": values}), tmp_path / "v.csv")
    assert "1.23457e+06" not in p.read_text()
    assert read_frame(p, ["v"], signed=["v"])["v"].tolist() == values


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20),
       st.lists(st.text(min_size=1, max_size=8).map(lambda s: s.strip()).filter(
           lambda s: s and "\x00" not in s and not s.startswith("'") and s.isprintable()), min_size=1, max_size=20))
def test_round_trip_of_floats_and_text_through_write_csv(tmp_path_factory, floats, texts):
    n = min(len(floats), len(texts))
    df = pd.DataFrame({"name": texts[:n], "v": floats[:n]})
    p = write_csv(df, tmp_path_factory.mktemp("rt") / "t.csv")
    back = read_frame(p, ["name", "v"], signed=["v"])
    assert back["name"].tolist() == df["name"].tolist()
    assert np.array_equal(back["v"].to_numpy(), df["v"].to_numpy())


# ------------------------------------------------------------------------------------------ the fast reader


def _both_readers(text: str, tmp_path):
    """(frame read as wfm reads it, frame read by the careful reader alone); InputError texts if refused."""
    import wfm.io as wio

    p = tmp_path / "t.csv"
    p.write_bytes(text.encode("utf-8"))

    def read():
        try:
            df = wio.read_table(p)
            return df, df.attrs.get("lines")
        except InputError as err:
            return str(err), None

    fast = read()
    real = wio._parse_regular_csv
    wio._parse_regular_csv = lambda text: None
    try:
        slow = read()
    finally:
        wio._parse_regular_csv = real
    return fast, slow


@pytest.mark.parametrize("text", [
    "queue,interval_start,offered\nsales,2026-06-01 00:00:00,3\nservice,2026-06-01 00:00:00,4.5\n",
    "queue, interval_start ,offered\nsales, 2026-06-01 00:00:00,3\n",          # spaces around cells
    "queue,interval_start,offered\nsales ,2026-06-01 00:00:00,3\n",           # a cell ending in a space
    "queue,interval_start,offered\n\nsales,2026-06-01 00:00:00,3\n",          # a blank line
    "queue,interval_start,offered\n,,\nsales,2026-06-01 00:00:00,3\n",        # an empty-celled line
    "queue,interval_start,offered\nsales,2026-06-01 00:00:00\n",              # a short row
    "queue,interval_start,offered\nsales,2026-06-01 00:00:00,3,4\nx,y\n",     # long and short rows
    "queue,interval_start,offered\n'=x,2026-06-01 00:00:00,3\n",              # a neutralised cell
    "queue,interval_start,offered,\nsales,2026-06-01 00:00:00,3,\n",          # trailing comma
    "queue,queue,offered\na,b,1\n",                                           # a name twice
    "queue,interval_start,offered\nsales,2026-06-01 00:00:00,\u00a03\n",      # no-break space
    "queue,interval_start,offered\nsales,2026-06-01 00:00:00,\t3\n",          # tab
    'queue,interval_start,offered\n"sales, east",2026-06-01 00:00:00,3\n',    # quotes
    "queue,interval_start,offered\nsales,2026-06-01 00:00:00,3",              # no final newline
    "queue,interval_start,offered\n",                                         # header only
])
def test_fast_reader_gives_what_the_careful_reader_gives(tmp_path, text):
    fast, slow = _both_readers(text, tmp_path)
    assert isinstance(fast[0], str) == isinstance(slow[0], str), (fast, slow)
    if isinstance(slow[0], str):
        assert fast[0] == slow[0]
    else:
        pd.testing.assert_frame_equal(fast[0], slow[0])
        assert (fast[1] is None and slow[1] is None) or list(fast[1]) == list(slow[1])


def test_fast_reader_reads_a_plain_history_and_agrees(tmp_path):
    from wfm.demo import demo_history
    import wfm.io as wio

    d = demo_history(start="2026-06-01", end="2026-06-14")
    text = d.to_csv(index=False, lineterminator="\n")
    assert wio._parse_regular_csv(text) is not None  # the plain file takes the fast path
    fast, slow = _both_readers(text, tmp_path)
    pd.testing.assert_frame_equal(fast[0], slow[0])


@pytest.mark.parametrize("cells", [
    ["12", " 12 ", "-0.5", "1e3", ".5", "5.", "+3", "0", "3\x1f", "\t7"],
    ["12", "nan"], ["12", "inf"], ["12", "1,234"], ["12", ""], ["12", "1e309"], ["12", "0x10"],
    ["12", "1_000"], ["12", "1e"], ["12", "e5"], ["12", "-1"], ["12", "2.5"],
])
def test_number_parser_c_path_agrees_with_python_path(monkeypatch, cells):
    import wfm.io as wio

    def parse():
        try:
            return wio.parse_number_column(pd.Series(cells, dtype=object), "f.csv", "n", integer=cells[-1] == "2.5")
        except InputError as err:
            return str(err)

    fast = parse()
    monkeypatch.setattr(wio, "_ascii_text", lambda raw: None)
    slow = parse()
    assert type(fast) is type(slow)
    if isinstance(slow, str):
        assert fast == slow
    else:
        pd.testing.assert_series_equal(fast, slow)

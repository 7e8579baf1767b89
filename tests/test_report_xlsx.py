"""report.xlsx is written column by column (wfm.report.xlsx) for speed: it must give the very bytes of the
plain cell-by-cell openpyxl build, which is spelled out here as the reference."""

import datetime
import io
import zipfile
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from wfm.report.headers import header
from wfm.report.xlsx import column_format, put, write_workbook

MONEY = '#,##0.00 "CNY"'


def reference_workbook(path, sheets, summary_rows, money_fmt, stamp, header=str):
    """The workbook built one openpyxl cell at a time (the writer before the column-wise one)."""
    def sheet(wb, title, df, start_row=1):
        ws = wb.create_sheet(title)
        for j, c in enumerate(df.columns, start=1):
            cell = put(ws, start_row, j, header(str(c)))
            cell.font, cell.fill = Font(bold=True, color="1F2937"), PatternFill("solid", fgColor="E5E7EB")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        fmts = [column_format(str(c), df[c], money_fmt) for c in df.columns]
        for i, row in enumerate(df.itertuples(index=False), start=start_row + 1):
            for j, v in enumerate(row, start=1):
                cell = put(ws, i, j, v)
                if fmts[j - 1] and cell.value is not None and not isinstance(cell.value, (str, bool)):
                    cell.number_format = fmts[j - 1]
        for j, c in enumerate(df.columns, start=1):
            sample = [min(len(header(str(c))), 24)] + [len(str(v)) for v in df[c].head(200)]
            f = fmts[j - 1] or ""
            width = max(sample) if "yyyy" not in f else (11 if f == "yyyy-mm-dd" else 17)
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = min(max(width + 2, 9), 42)
        ws.freeze_panes = ws.cell(row=start_row + 1, column=1)
        if len(df.columns):
            ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(df.columns))}{start_row + max(len(df), 1)}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        if len(df.columns):
            ws.print_title_rows = "1:1"

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.column_dimensions["A"].width = 38
    ws.column_dimensions["B"].width = 30
    for i, (label, value, f) in enumerate(summary_rows, start=1):
        a, b = put(ws, i, 1, label), put(ws, i, 2, value)
        if i == 1:
            a.font = Font(bold=True, size=13)
        if f and b.value is not None and not isinstance(b.value, str):
            b.number_format = f
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for title, df in sheets:
        sheet(wb, title, df)
    ts = pd.Timestamp(stamp).to_pydatetime()
    wb.properties.created = wb.properties.modified = ts
    wb.properties.creator = "wfm"
    buf = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(max(ts.year, 1980), ts.month, ts.day, 0, 0, 0))
            zi.compress_type, zi.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            dst.writestr(zi, src.read(info.filename))
    path.write_bytes(out.getvalue())


def tricky():
    """Columns whose styles first appear in a different order by column than by row, every cell type the
    report meets (and some openpyxl handles itself: Decimal, date, time), text XML must escape or keep
    padded, formula-like text, empty cells of every kind."""
    n = 12
    mixed = [None, "x", 2.5, pd.Timestamp("2026-03-01 10:15"), "=SUM(A1)", Decimal("1.25"), datetime.date(2026, 1, 2),
             7, True, float("inf"), "  padded ", ""]
    return pd.DataFrame({
        "label": [None, "a&<b>", " ", "-1", "@x", "\ttab", "bad\x01char", "plain", "李娜", "$x$", "é", "\n"],
        "paid_hours": [1.0, np.nan, 3.5, 1e-7, 1e17, -0.0, 2.0, np.inf, 4.25, 5.0, 6.0, 7.0],
        "date": pd.to_datetime(["2026-09-28", None, "1900-01-15", "2026-09-30", "2026-10-01", "2026-10-02",
                                "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07", "2026-10-08"]),
        "shift_start": pd.to_datetime([f"2026-09-28 {h:02d}:{m:02d}:07.25" for h, m in zip(range(n), range(0, 60, 5))]),
        "is_holiday": [True, False] * 6,
        "count": np.arange(n, dtype="int64") - 3,
        "service_level": [0.5] * (n - 1) + [None],
        "mixed": mixed,
        "when": [datetime.time(8, 30)] + [None] * (n - 1),
    })


@pytest.mark.parametrize("case", ["tricky", "empty", "no_columns"])
def test_workbook_bytes_equal_the_cell_by_cell_build(tmp_path, case):
    df = tricky()
    if case == "empty":
        df = df.iloc[0:0]
    elif case == "no_columns":
        df = pd.DataFrame(index=range(3))
    flipped = df[df.columns[::-1]]
    # one style first met in column a by the column-wise pass, but in column c by the row-wise one
    order = pd.DataFrame({"a_hours": pd.Series([None] * 5 + [1.5], dtype=object),
                          "n": [np.nan, np.nan, np.nan, 3.0, np.nan, np.nan],
                          "c_hours": pd.Series([0.5] + [None] * 5, dtype=object)})
    sheets = [("Order", order), ("Roster", df), ("Flipped", flipped), ("Costs", df.iloc[::-1].reset_index(drop=True))]
    summary = [("Site — plan", None, None), ("Run", "=cmd", None), ("Total cost", 12.5, MONEY), ("When", pd.Timestamp("2026-09-28"), None),
               ("Share", 0.25, "0.0%"), ("", float("nan"), "0.0%"), ("Flag", True, None)]
    sheets += [("Weeks", pd.DataFrame({"week": ["2026-W40"], "total_cost": [3.0], "paid_hours": [2.5]})), ("Tail", flipped.tail(2))]
    words = lambda c: header(c, "CNY")  # noqa: E731
    fast, ref = tmp_path / "fast.xlsx", tmp_path / "ref.xlsx"
    write_workbook(fast, sheets, summary, MONEY, "2026-09-28", header=words)
    reference_workbook(ref, sheets, summary, MONEY, "2026-09-28", header=words)
    a, b = zipfile.ZipFile(fast), zipfile.ZipFile(ref)
    assert a.namelist() == b.namelist()
    for name in b.namelist():
        assert a.read(name) == b.read(name), name
    assert fast.read_bytes() == ref.read_bytes()


def test_workbook_reads_back_as_written(tmp_path):
    df = tricky()
    p = tmp_path / "r.xlsx"
    write_workbook(p, [("Roster", df)], [("Run", "demo", None)], MONEY, "2026-09-28")
    ws = openpyxl.load_workbook(p)["Roster"]
    col = {c.value: c.column for c in ws[1]}
    assert ws.cell(row=3, column=col["label"]).value == "a&<b>"
    assert ws.cell(row=8, column=col["label"]).value == "badchar"
    assert ws.cell(row=5, column=col["label"]).quotePrefix and ws.cell(row=5, column=col["label"]).value == "-1"
    assert ws.cell(row=3, column=col["paid_hours"]).value is None  # NaN: an empty cell
    assert ws.cell(row=2, column=col["date"]).value == datetime.datetime(2026, 9, 28)
    assert ws.cell(row=2, column=col["date"]).number_format == "yyyy-mm-dd"
    assert ws.cell(row=4, column=col["shift_start"]).value == datetime.datetime(2026, 9, 28, 2, 10, 7, 250000)
    assert ws.cell(row=2, column=col["is_holiday"]).value is True
    assert ws.cell(row=2, column=col["count"]).value == -3
    assert ws.cell(row=2, column=col["service_level"]).number_format == "0.0%"
    assert ws.cell(row=6, column=col["mixed"]).value == "=SUM(A1)" and ws.cell(row=6, column=col["mixed"]).data_type == "s"
    assert ws.cell(row=12, column=col["mixed"]).value == "  padded "
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}"


def test_roster_flags_are_real_booleans_in_the_workbook(demo_run):
    """is_overtime and is_holiday are booleans in the Roster sheet (is_overtime was text 'True'/'False')."""
    import openpyxl

    base, _ = demo_run
    wb = openpyxl.load_workbook(base / "schedules" / "demo" / "report.xlsx", read_only=True)
    rows = list(wb["Roster"].iter_rows(values_only=True))
    head = rows[0]
    for col in ("Overtime shift", "Public holiday"):
        vals = {r[head.index(col)] for r in rows[1:]}
        assert vals <= {True, False} and all(isinstance(v, bool) for v in vals), (col, vals)
    assert True in {r[head.index("Overtime shift")] for r in rows[1:]}  # the demo has overtime shifts


def test_demo_workbook_is_for_people(demo_run):
    """Read back as a planner meets it: one table per sheet under a header row in words with units, set up
    to print, and the new sheets (roster grid, people, holiday duty, weeks) agreeing with the run's CSVs."""
    import openpyxl

    base, _ = demo_run
    d = base / "schedules" / "demo"
    wb = openpyxl.load_workbook(d / "report.xlsx")
    for ws in wb.worksheets[1:]:
        rows = list(ws.iter_rows(values_only=True))
        head = rows[0]
        assert all(isinstance(h, str) and "_" not in h for h in head), (ws.title, head)
        assert len(set(head)) == len(head), ws.title
        # one table: no blank row inside it, nothing below it
        assert all(any(v is not None for v in r) for r in rows[1:]) or ws.title == "Unfilled", ws.title
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$1"
    costs = [c.value for c in wb["Costs"][1]]
    assert "Total cost (CNY)" in costs and "Paid hours (h)" in costs and "Night premium (CNY)" in costs
    assert "Handle time (s)" in [c.value for c in wb["Coverage"][1]]

    roster = pd.read_csv(d / "roster.csv", dtype={"agent_id": str}, parse_dates=["date", "shift_start", "shift_end"])
    grid = pd.DataFrame(list(wb["Roster grid"].values)[1:], columns=[c.value for c in wb["Roster grid"][1]])
    grid = grid.set_index("Agent ID")
    assert set(grid.index) >= set(roster["agent_id"])
    for r in roster.sample(200, random_state=1).itertuples():
        col = next(c for c in grid.columns if c.startswith(f"{r.date:%a %d %b}"))
        assert f"{r.shift_start:%H:%M}–" in (grid.loc[r.agent_id, col] or "") and r.queue in grid.loc[r.agent_id, col]
    worked = roster.groupby("agent_id").size()
    days = [c for c in grid.columns if c not in ("Agent", "Team")]
    got = grid[days].apply(lambda row: sum(len(v.split("; ")) for v in row if isinstance(v, str) and v not in ("", "leave")), axis=1)
    assert (got.loc[worked.index] == worked).all()  # every shift is in the grid, no more

    summ = pd.read_csv(d / "agent_summary.csv", dtype={"agent_id": str}).set_index("agent_id")
    people = pd.DataFrame(list(wb["People"].values)[1:], columns=[c.value for c in wb["People"][1]]).set_index("Agent ID")
    for col, name in (("Shifts", "shifts"), ("Night shifts", "nights"), ("Holiday shifts", "holiday_shifts"),
                      ("Distinct start times", "start_times")):
        assert (people.loc[summ.index, col].to_numpy() == summ[name].to_numpy()).all(), col
    duty = list(wb["Holiday duty"].values)[1:]
    meta = __import__("json").loads((d / "summary.json").read_text())["report"]
    assert len(duty) == meta["holiday_shifts_staffed"] > 0
    weeks = list(wb["Weeks"].values)
    total = [c for c in weeks[0]].index("Total cost (CNY)")
    assert sum(r[total] for r in weeks[1:]) == pytest.approx(meta["total_cost"], abs=0.01)

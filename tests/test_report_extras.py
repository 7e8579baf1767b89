"""Report extras: cost by ISO week and by team, the coverage-gap heatmap, the forecast section."""

import pandas as pd
import pytest

from test_report import make_run_dir
from wfm.report import build_report

openpyxl = pytest.importorskip("openpyxl")

PARTS = ["paid_hours", "base_cost", "overtime_premium", "rest_day_premium", "holiday_premium", "night_premium",
         "on_cost", "total_cost"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    # schedules/<run> under a folder of its own, so that ../../forecasts/<run> is this test's alone
    d = make_run_dir(tmp_path_factory.mktemp("extras") / "schedules" / "ex1")
    res = build_report(d)
    return d, res, res.html.read_text(encoding="utf-8")


def sheet_tables(ws):
    """Tables of a sheet stacked vertically, separated by blank rows: a list of frames."""
    rows = list(ws.values)
    out, cur = [], []
    for r in rows + [None]:
        if r is None or all(v is None for v in r):
            if cur:
                head = [c for c in cur[0] if c is not None]
                out.append(pd.DataFrame([x[:len(head)] for x in cur[1:]], columns=head))
                cur = []
        else:
            cur.append(r)
    return out


def excel_text(v):
    """A text cell as written by excel_safe, back to the original ('@team' is stored as "'@team")."""
    return v[1:] if isinstance(v, str) and v[:2] in ("'=", "'+", "'-", "'@") else v


def find_table(tables, first_col):
    hits = [t for t in tables if len(t.columns) and t.columns[0] == first_col]
    assert len(hits) == 1, [list(t.columns) for t in tables]
    return hits[0]


def test_cost_by_week_and_team_match_costs_csv(built):
    d, res, html = built
    costs = pd.read_csv(d / "costs.csv", parse_dates=["date"])
    total = costs["total_cost"].sum()
    iso = costs["date"].dt.isocalendar()
    costs["week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    want_week = costs.groupby("week")[PARTS].sum()
    want_team = costs.groupby("team")[PARTS].sum()
    assert len(want_week) == 2  # Mon-Sun horizon plus the last night shifts spilling into Monday
    assert len(want_team) == 3  # "Team sales", "Team service", "@team"

    tables = sheet_tables(openpyxl.load_workbook(res.xlsx, read_only=True)["Cost by queue"])
    for got, want in ((find_table(tables, "week").set_index("week"), want_week),
                      (find_table(tables, "team").set_index("team"), want_team)):
        got.index = [excel_text(v) for v in got.index]
        got = got.sort_index()
        assert list(got.index) == list(want.index)
        for c in PARTS:
            assert got[c].astype(float).to_numpy() == pytest.approx(want[c].to_numpy(), abs=1e-6), c
        prem = want[["overtime_premium", "rest_day_premium", "holiday_premium", "night_premium"]].sum(axis=1)
        assert got["premiums"].astype(float).to_numpy() == pytest.approx(prem.to_numpy(), abs=1e-6)
        assert got["total_cost"].astype(float).sum() == pytest.approx(total, abs=1e-6)

    costs_html = html[html.index('<section id="costs">'): html.index('<section id="holidays">')]
    assert "By ISO week" in costs_html and "By team" in costs_html
    for w in want_week.index:
        assert w in costs_html
    assert "Team sales" in costs_html and "Team service" in costs_html and "@team" in costs_html
    assert costs_html.count(f"{total:,.2f}") >= 3  # total rows: by queue, by week, by team

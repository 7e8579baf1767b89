"""Report extras: cost by ISO week and by team, the coverage-gap heatmap, the forecast section."""

import pandas as pd
import pytest

from conftest import sheet_frame
from test_report import check_image, embedded_images, make_run_dir
from wfm.runs import build_report

openpyxl = pytest.importorskip("openpyxl")

PARTS = ["paid_hours", "base_cost", "overtime_premium", "rest_day_premium", "holiday_premium", "night_premium",
         "on_cost", "total_cost"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    # schedules/<run> under a folder of its own, so that ../../forecasts/<run> is this test's alone
    d = make_run_dir(tmp_path_factory.mktemp("extras") / "schedules" / "ex1")
    res = build_report(d)
    return d, res, res.html.read_text(encoding="utf-8")


def csv_text(v):
    """A text cell of wfm's CSVs back to the original ('@team' is written as "'@team"; the xlsx keeps it
    unchanged, with the quotePrefix style)."""
    return v[1:] if isinstance(v, str) and v[:2] in ("'=", "'+", "'-", "'@") else v


def test_cost_by_week_and_team_match_costs_csv(built):
    d, res, html = built
    costs = pd.read_csv(d / "costs.csv", parse_dates=["date"])
    costs["team"] = costs["team"].map(csv_text)
    total = costs["total_cost"].sum()
    iso = costs["date"].dt.isocalendar()
    costs["week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    want_week = costs.groupby("week")[PARTS].sum()
    want_team = costs.groupby("team")[PARTS].sum()
    assert len(want_week) == 2  # Mon-Sun horizon plus the last night shifts spilling into Monday
    assert len(want_team) == 3  # "Team sales", "Team service", "@team"

    for got, want in ((sheet_frame(res.xlsx, "Cost by week").set_index("week"), want_week),
                      (sheet_frame(res.xlsx, "Cost by team").set_index("team"), want_team)):
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


def write_forecast(path, queues=("sales", "service")):
    iv = pd.date_range("2026-09-28", periods=7 * 48, freq="30min")
    rows = [dict(queue=q, interval_start=t, offered=2.0 + i % 5 + k, offered_lo=1.0 + i % 5 + k, offered_hi=4.0 + i % 5 + k,
                 aht_s=240.0, is_holiday=False)
            for k, q in enumerate(queues) for i, t in enumerate(iv)]
    df = pd.DataFrame(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)
    return df


def forecast_part(html):
    return html[html.index('<section id="forecast">'): html.index('<section id="holidays">')]


def test_no_forecast_file_is_one_line(built):
    _, res, html = built
    part = forecast_part(html)
    assert 'id="forecast-missing"' in part and "No forecast file found" in part
    assert "data:image/" not in part
    assert "Forecast" not in openpyxl.load_workbook(res.xlsx, read_only=True).sheetnames


@pytest.mark.parametrize("where", ["summary", "beside"])
def test_forecast_section(tmp_path, where):
    import json

    d = make_run_dir(tmp_path / "schedules" / "fc1")
    if where == "summary":  # forecast.file in summary.json, relative to the run folder
        fc = write_forecast(tmp_path / "elsewhere" / "forecast.csv")
        meta = json.loads((d / "summary.json").read_text())
        meta["forecast"]["file"] = "../../elsewhere/forecast.csv"
        (d / "summary.json").write_text(json.dumps(meta))
    else:  # <run_dir>/../../forecasts/<run>/forecast.csv
        fc = write_forecast(tmp_path / "forecasts" / "fc1" / "forecast.csv")
    res = build_report(d)
    part = forecast_part(res.html.read_text(encoding="utf-8"))
    assert "forecast-missing" not in part
    imgs = embedded_images(part)
    assert [k for k, _ in imgs] == ["image/svg+xml"]
    check_image(*imgs[0])
    assert "sum of per-interval bounds" in part
    tot = fc.groupby("queue")[["offered", "offered_lo", "offered_hi"]].sum()
    for q, r in tot.iterrows():
        assert f"<td>{q}</td>" in part
        for v in r:
            assert f"{v:,.0f}" in part
    got = sheet_frame(res.xlsx, "Forecast totals").set_index("queue")
    assert list(sheet_frame(res.xlsx, "Forecast by hour").columns) == ["queue", "hour", "offered", "offered_lo", "offered_hi"]
    assert len(sheet_frame(res.xlsx, "Forecast")) == len(fc)  # the forecast itself, one row per queue-interval
    for c in tot.columns:
        assert got[c].astype(float).to_numpy() == pytest.approx(tot[c].to_numpy())


def test_gap_matrix_and_heatmap(built):
    import base64
    import io

    from PIL import Image

    from wfm.calendar import day_calendar
    from wfm.report import gap_heatmaps, gap_matrix
    from wfm.runs import read_run
    from wfm.service import service_projection
    from test_report import fixture_config

    d, _, _ = built
    run = read_run(d)
    service = service_projection(run.requirements, run.coverage, run.roster, fixture_config())
    for q in ("sales", "service"):
        s = service[service["queue"] == q]
        want = pd.pivot(s.assign(date=s["interval_start"].dt.normalize(), slot=s["interval_start"].dt.strftime("%H:%M"),
                                 v=s["rostered"] - s["required"]), index="date", columns="slot", values="v")
        got = gap_matrix(service, q)
        assert got.shape == (7, 48)
        pd.testing.assert_frame_equal(got, want, check_names=False, check_dtype=False)
        assert (got < 0).any().any()  # the fixture is short of agents at times
    cal = day_calendar(pd.date_range("2026-09-28", periods=7), "CN")
    maps = gap_heatmaps(service, cal)
    assert [m["queue"] for m in maps] == ["sales", "service"]
    for m in maps:
        data = base64.b64decode(m["uri"].split(",", 1)[1], validate=True)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        Image.open(io.BytesIO(data)).verify()
    assert gap_heatmaps(service, cal) == maps  # byte-deterministic


def test_gap_heatmap_section_in_html(tmp_path):
    import base64

    from test_report import make_run_dir

    from wfm.runs import build_report

    d = make_run_dir(tmp_path / "demo")
    html = build_report(d).html.read_text(encoding="utf-8")
    sec = html[html.index('<section id="gaps">'):]
    sec = sec[: sec.index("</section>")]
    uris = [u.split('"')[0] for u in sec.split('src="data:image/png;base64,')[1:]]
    assert len(uris) == 2  # one per queue of the fixture
    for u in uris:
        assert base64.b64decode(u)[:8] == b"\x89PNG\r\n\x1a\n"

"""build_report on a small hand-made run folder: files, escaping, figures recomputed from the CSVs, images,
workbook contents and formula safety, byte-for-byte determinism."""

import base64
import io
import json
import math
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import sheet_frame
from wfm import erlang
from wfm.calendar import day_calendar
from wfm.config import load_config, parse_config
from wfm.errors import InputError
from wfm.io import write_csv, write_text
from wfm.report import excel_safe
from wfm.runs import build_report
from wfm.scheduling import coverage_from_shifts

openpyxl = pytest.importorskip("openpyxl")

XSS = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","click")'
START, DAYS = pd.Timestamp("2026-09-28"), 7  # Mon 28 Sep .. Sun 4 Oct 2026: 3 workdays, National Day 1-3 Oct, a rest day
SHIFT_TYPES = {  # name: (start h, length h, break offset h)
    "E": (7, 9, 4), "L": (14, 9, 4), "N": (22, 9, 4),
}
HEADS = {"sales": {"E": 2, "L": 2, "N": 2}, "service": {"E": 2, "L": 1, "N": 1}}  # sales nights short-staffed
SHEETS = ["Summary", "Weeks", "Daily", "Cost by queue", "Cost by day type", "Cost by week", "Cost by team", "People",
          "Holiday duty", "Roster grid", "Roster", "Costs", "Coverage", "Requirements", "Unfilled"]


def fixture_config():
    data = load_config(None).model_dump(mode="json", by_alias=True)
    data["interval_minutes"] = 30
    data["site"]["name"] = "Test Centre <b>"
    data["pay"].update(night_premium=0.1, on_cost=0.2)
    return parse_config(data)


def make_run_dir(d):
    """A tiny consistent run folder: 2 queues, 7 days with National Day, 24 h with night shifts, 16 agents
    (each works one shift type on 5 of 7 days), a few shifts left unfilled."""
    d.mkdir(parents=True, exist_ok=True)
    cfg = fixture_config()
    write_text(yaml.safe_dump(cfg.model_dump(mode="json", by_alias=True), sort_keys=False), d / "config.yaml")
    cal = day_calendar(pd.date_range(START, periods=DAYS), "CN").set_index("date")
    step = pd.Timedelta(minutes=cfg.interval_minutes)

    iv = pd.date_range(START, periods=DAYS * 48, freq=step)
    req = []
    for qi, q in enumerate(HEADS):
        aht = 240.0 + 60 * qi
        for t in iv:
            h = t.hour + t.minute / 60
            level = 1 + 10 * math.exp(-((h - 13) / 4.5) ** 2)
            hol = cal.loc[t.normalize(), "is_holiday"]
            offered = round(level * (0.5 if hol else 1.0) * (1 + 0.3 * qi), 3)
            agents = math.ceil(offered * aht / 1800) + 1
            req.append(dict(queue=q, interval_start=t, offered=offered, aht_s=aht, agents=agents,
                            scheduled_required=math.ceil(agents / 0.7), service_level=0.8, asa_s=12.0, occupancy=0.7,
                            target_met=True, is_holiday=bool(hol)))
    req = pd.DataFrame(req)
    write_csv(req, d / "requirements.csv")

    shifts = []
    for q, heads in HEADS.items():
        for day in pd.date_range(START, periods=DAYS):
            for s, n in heads.items():
                h0, length, boff = SHIFT_TYPES[s]
                st = day + pd.Timedelta(hours=h0)
                shifts.append(dict(shift_id=f"{q}-{day:%m%d}-{s}", queue=q, date=day, template="FT9", start=st,
                                   end=st + pd.Timedelta(hours=length), break_start=st + pd.Timedelta(hours=boff),
                                   break_end=st + pd.Timedelta(hours=boff + 1), paid_hours=8.0, count=n))
    shifts = pd.DataFrame(shifts)
    write_csv(shifts, d / "shifts.csv")
    cov = req[["queue", "interval_start"]].copy()
    cov["required"] = req["scheduled_required"]
    cov["scheduled"] = coverage_from_shifts(shifts, cov, cfg.interval_minutes)
    cov["gap"] = cov["scheduled"] - cov["required"]
    write_csv(cov, d / "coverage.csv")

    agents = []
    k = 0
    for q in HEADS:
        for s, n in (("E", 3), ("L", 3), ("N", 2)):
            for _ in range(n):
                k += 1
                agents.append(dict(agent_id=f"A{k:02d}", name=f"Agent {k:02d}", team=f"Team {q}", queues=q,
                                   contract="full_time", min_hours_week=32, max_hours_week=40, max_days_week=5,
                                   hourly_rate=30.0 + k, night_ok=s == "N", _type=s))
    agents[0]["name"] = XSS
    agents[1]["name"] = FORMULA
    agents[2]["team"] = "@team"
    ag = pd.DataFrame(agents)
    roster, unfilled = [], []
    for i, sh in shifts.iterrows():
        day_idx = (sh["date"] - START).days
        pool = [a for j, a in enumerate(agents) if a["queues"] == sh["queue"] and a["_type"] == sh["shift_id"][-1]
                and day_idx not in ((j % 7), ((j + 3) % 7))]  # two days off per agent
        take = pool[: sh["count"]]
        for a in take:
            roster.append(dict(agent_id=a["agent_id"], name=a["name"], team=a["team"], queue=sh["queue"], date=sh["date"],
                               shift_id=sh["shift_id"], template=sh["template"], shift_start=sh["start"],
                               shift_end=sh["end"], break_start=sh["break_start"], break_end=sh["break_end"],
                               paid_hours=sh["paid_hours"], is_holiday=bool(cal.loc[sh["date"], "is_holiday"])))
        if len(take) < sh["count"]:
            unfilled.append(dict(shift_id=sh["shift_id"], queue=sh["queue"], date=sh["date"], shift_start=sh["start"],
                                 shift_end=sh["end"], missing=sh["count"] - len(take),
                                 is_holiday=bool(cal.loc[sh["date"], "is_holiday"])))
    roster = pd.DataFrame(roster)
    write_csv(roster, d / "roster.csv")
    write_csv(pd.DataFrame(unfilled, columns=["shift_id", "queue", "date", "shift_start", "shift_end", "missing", "is_holiday"]),
              d / "unfilled_shifts.csv")
    write_csv(ag.drop(columns="_type"), d / "agents.csv")
    g = roster.groupby("agent_id")
    summ = ag[["agent_id", "name", "team"]].join(g.size().rename("shifts"), on="agent_id").fillna({"shifts": 0})
    write_csv(summ, d / "agent_summary.csv")
    meta = {"schedule": {"status": "optimal", "proven_optimal": True, "gap": 0.004, "objective": 2345.5, "seconds": 1.2},
            "roster": {"status": "feasible", "proven_optimal": False, "unfilled_shifts": int(sum(u["missing"] for u in unfilled)),
                       "weeks": [{"week_start": "2026-09-28", "status": "Optimal", "proven_optimal": False, "gap": 0.02}],
                       "messages": [f"note about {XSS}"]},
            "forecast": {"calls": float(req["offered"].sum())}}
    write_text(json.dumps(meta, indent=2), d / "summary.json")
    return d


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = make_run_dir(tmp_path_factory.mktemp("run") / "demo")
    res = build_report(d)
    return d, res, (d / "report.html").read_text(encoding="utf-8")


def card_value(html, key):
    m = re.search(rf'data-key="{key}" data-value="([^"]*)"', html)
    assert m, key
    return float(m.group(1))


def worked_minutes(row):
    """Set of paid minutes (as Timestamps floored to the minute) of a roster row: shift minus break."""
    mins = pd.date_range(row["shift_start"], row["shift_end"], freq="min", inclusive="left")
    if pd.notna(row["break_start"]):
        mins = mins[(mins < row["break_start"]) | (mins >= row["break_end"])]
    return mins


def test_files_exist(built):
    d, res, _ = built
    for p in (res.html, res.xlsx, res.costs):
        assert p.is_file() and p.stat().st_size > 0 and p.parent == d
    assert not list(d.glob(".*.tmp"))  # no temp files left behind


def test_names_from_input_are_escaped(built):
    d, _, html = built
    roster = (d / "roster.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    # the roster page's one script is its own search box; the input's script is text
    assert roster.lower().count("<script") == 1 and "document.getElementById(\"find\")" in roster
    for page in (html, roster):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "Test Centre &lt;b&gt;" in page
    assert "http://evil.example" in roster  # shown as text ...
    assert "<a href=\"http://evil" not in html + roster  # ... never as a link


def test_html_is_self_contained(built):
    d, _, html = built
    roster = (d / "roster.html").read_text(encoding="utf-8")
    # the two pages link to each other and to their own sections only: no server, no external asset
    assert not re.search(r'(src|href)="(?!data:|#|roster\.html(#[\w-]+)?")', html)
    assert not re.search(r'(src|href)="(?!data:|#|report\.html")', roster)
    for page in (html, roster):
        assert "@import" not in page and "url(" not in page


def test_summary_figures_match_the_csvs(built):
    d, res, html = built
    req = pd.read_csv(d / "requirements.csv")
    costs = pd.read_csv(d / "costs.csv")
    calls = req["offered"].sum()
    total = costs["total_cost"].sum()
    assert card_value(html, "forecast_calls") == pytest.approx(calls, rel=1e-9)
    assert card_value(html, "total_cost") == pytest.approx(total, abs=0.01)
    assert f"CNY {total:,.0f}" in html  # whole units in the headline; cents in the tables
    assert card_value(html, "weekly_cost") == pytest.approx(total / (DAYS / 7), abs=0.01)
    assert card_value(html, "cost_per_call") == pytest.approx(total / calls)
    unf = pd.read_csv(d / "unfilled_shifts.csv")
    assert card_value(html, "unfilled_shifts") == unf["missing"].sum() > 0
    assert res.summary["total_cost"] == pytest.approx(total, abs=0.01)
    assert res.summary["headline"]["Total cost"] == f"CNY {total:,.0f}"


def test_cost_components_recomputed_minute_by_minute(built):
    # Independent of wfm.costs: expand every roster row into paid minutes and price them by calendar day.
    d, _, html = built
    ros = pd.read_csv(d / "roster.csv", parse_dates=["shift_start", "shift_end", "break_start", "break_end"])
    rate = pd.read_csv(d / "agents.csv").set_index("agent_id")["hourly_rate"]
    cfg = fixture_config()
    hol_days = {pd.Timestamp(x) for x in ("2026-10-01", "2026-10-02", "2026-10-03")}
    rest_days = {pd.Timestamp("2026-10-04"), pd.Timestamp("2026-10-05")}  # Sunday; 5 Oct is a bridge day off
    base = hol = rest = night = 0.0
    for _, r in ros.iterrows():
        m = worked_minutes(r)
        assert len(m) == 8 * 60  # 9 h shifts with a 1 h unpaid break
        days = m.normalize()
        rt = rate[r["agent_id"]] / 60
        base += len(m) * rt
        hol += days.isin(hol_days).sum() * rt * (cfg.pay.holiday_multiplier - 1)
        rest += days.isin(rest_days).sum() * rt * (cfg.pay.rest_day_multiplier - 1)
        night += ((m.hour >= 22) | (m.hour < 6)).sum() * rt * cfg.pay.night_premium
    costs = pd.read_csv(d / "costs.csv")
    assert costs["base_cost"].sum() == pytest.approx(base, abs=0.05)
    assert costs["holiday_premium"].sum() == pytest.approx(hol, abs=0.05)
    assert costs["rest_day_premium"].sum() == pytest.approx(rest, abs=0.05)
    assert costs["night_premium"].sum() == pytest.approx(night, abs=0.05)
    assert costs["overtime_premium"].sum() == 0  # 5 x 8 h per ISO week at most
    total = (base + hol + rest + night) * (1 + cfg.pay.on_cost)
    assert card_value(html, "total_cost") == pytest.approx(total, abs=0.5)


def test_rostered_coverage_and_service_level(built):
    d, res, html = built
    cov = sheet_frame(res.xlsx, "Coverage")
    ros = pd.read_csv(d / "roster.csv", parse_dates=["shift_start", "shift_end", "break_start", "break_end"])
    # Rostered agents on shift and not on break, counted by hand at a few instants.
    for q, t in [("sales", "2026-09-29 08:00"), ("sales", "2026-10-01 02:00"), ("service", "2026-10-01 23:30"),
                 ("service", "2026-09-30 11:00")]:
        t = pd.Timestamp(t)
        on = ((ros["queue"] == q) & (ros["shift_start"] <= t) & (ros["shift_end"] > t)
              & ~((ros["break_start"] <= t) & (ros["break_end"] > t))).sum()
        row = cov[(cov["queue"] == q) & (cov["interval_start"] == t.to_pydatetime())].iloc[0]
        assert row["rostered"] == on
        # Erlang C service level at agents on phone = rostered x (1 - shrinkage), interpolated between whole agents.
        n = on * (1 - 0.3)
        lo, hi = math.floor(n + 1e-9), math.ceil(n - 1e-9)
        sl = lambda k: float(erlang.service_level(row["offered"], row["aht_s"], k, 1800, 20))  # noqa: E731
        want = sl(lo) if lo == hi else (hi - n) * sl(lo) + (n - lo) * sl(hi)
        assert row["service_level"] == pytest.approx(want, abs=1e-9)
    sl_all = (cov["service_level"] * cov["offered"]).sum() / cov["offered"].sum()
    assert card_value(html, "expected_service_level") == pytest.approx(sl_all, abs=1e-9)


def embedded_images(html: str) -> list[tuple[str, bytes]]:
    """The page's ``<img>`` data URIs as (media type, decoded bytes)."""
    return [(m.group(1), base64.b64decode(m.group(2), validate=True))
            for m in re.finditer(r'src="data:(image/png|image/svg\+xml);base64,([A-Za-z0-9+/=]+)"', html)]


def check_image(kind: str, data: bytes) -> None:
    """A PNG drawn at twice the page's density, or an SVG with no script, no link out and its text as
    outlines (no font needed, nothing to run)."""
    import xml.etree.ElementTree as ET

    from PIL import Image

    if kind == "image/png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        img = Image.open(io.BytesIO(data))
        img.verify()
        assert img.size[0] >= 2000  # 11 in at 200 dpi: sharp on a 2x screen
        return
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    tags = {el.tag.split("}")[-1] for el in root.iter()}
    assert "script" not in tags and "foreignObject" not in tags and "text" not in tags
    assert not any(v.startswith(("http:", "https:", "file:")) for el in root.iter() for k, v in el.attrib.items()
                   if k.endswith("href"))
    assert "path" in tags and float(root.attrib["width"].removesuffix("pt")) >= 700


def test_embedded_images(built):
    _, _, html = built
    imgs = embedded_images(html)
    # per queue a coverage chart (SVG) and a gap heatmap (PNG), and the cost chart (SVG)
    assert sorted(k for k, _ in imgs) == ["image/png"] * 2 + ["image/svg+xml"] * 3
    for kind, data in imgs:
        check_image(kind, data)


def test_sections_present(built):
    d, _, html = built
    roster = (d / "roster.html").read_text(encoding="utf-8")
    for sid in ("summary", "coverage", "daily", "costs", "holidays", "roster", "notes"):
        assert f'<section id="{sid}">' in html
    assert '<section id="decisions"' in html
    for sid in ("people", "holiday-duty", "grid"):
        assert f'<section id="{sid}">' in roster
    hol = html[html.index('<section id="holidays">'): html.index('<section id="roster">')]
    assert "National Day" in hol and "Agent 05" not in hol  # head counts on the main page, names on the roster page
    duty = roster[roster.index('<section id="holiday-duty">'): roster.index('<section id="grid">')]
    assert "National Day" in duty and "Agent 05" in duty  # an early-shift agent of sales working 1 October
    assert "22:00–07:00+1" in roster  # night shifts in the roster grid end the next day
    assert '<th class="day holiday">Thu 01 Oct<small>National Day</small></th>' in roster
    notes = html[html.index('<section id="notes">'):]
    assert "optimal" in notes and "0.40%" in notes and "Optimality gap" in notes and "note about &lt;script&gt;" in notes
    assert "proven_optimal" not in notes and "Proven optimal" in notes  # keys in words, not snake_case


def test_daily_table_flags_service_below_target(built):
    _, res, html = built
    daily = sheet_frame(res.xlsx, "Daily")
    below = daily["expected_sl"].notna() & (daily["expected_sl"] < 0.8)
    table = html[html.index('<section id="daily">'): html.index('<section id="costs">')]
    assert table.count('class="num bad"') == below.sum() + int(card_value(html, "expected_service_level") < 0.8)
    assert below.any() and (~below).any()  # the fixture has days on both sides of the target


def test_workbook_sheets_formats_and_totals(built):
    d, res, _ = built
    wb = openpyxl.load_workbook(res.xlsx)
    assert wb.sheetnames == SHEETS
    ws = wb["Costs"]
    header = [c.value for c in ws[1]]
    j = header.index("Total cost (CNY)") + 1
    total = sum(ws.cell(row=i, column=j).value for i in range(2, ws.max_row + 1))
    assert total == pytest.approx(pd.read_csv(d / "costs.csv")["total_cost"].sum(), abs=1e-6)
    assert ws.freeze_panes == "A2"
    assert "CNY" in ws.cell(row=2, column=j).number_format
    r = wb["Roster"]
    assert r.cell(row=2, column=[c.value for c in r[1]].index("Shift start") + 1).number_format == "yyyy-mm-dd hh:mm"
    for s in wb.worksheets:
        for row in s.iter_rows():
            for c in row:
                assert c.data_type != "f", (s.title, c.coordinate, c.value)
    col = {c.value: c.column_letter for c in r[1]}
    # formula-like text is shown unchanged: a string cell with the quotePrefix style, no visible apostrophe
    hits = [c for c in r[col["Agent"]] if c.value == FORMULA]
    assert hits and all(c.data_type == "s" and c.quotePrefix for c in hits)
    assert "'" + FORMULA not in [c.value for c in r[col["Agent"]]]
    teams = [c for c in r[col["Team"]] if c.value == "@team"]
    assert teams and all(c.quotePrefix for c in teams)
    plain = [c for c in r[col["Agent"]][1:] if isinstance(c.value, str) and not c.value.startswith(("=", "+", "-", "@"))]
    assert plain and not any(c.quotePrefix for c in plain)
    assert pd.Timestamp(wb.properties.created) == pd.Timestamp("2026-09-28")


def test_excel_safe():
    # text is kept as typed (the quotePrefix style, set where the cell is written, keeps it from running)
    assert excel_safe("=1+2") == "=1+2" and excel_safe("+86 21 5555") == "+86 21 5555"
    assert excel_safe("Li Na") == "Li Na" and excel_safe("a=b") == "a=b"
    assert excel_safe("bad\x01char") == "badchar"
    assert excel_safe(float("inf")) is None and excel_safe(np.int64(3)) == 3 and excel_safe(-2.5) == -2.5
    assert excel_safe(pd.NaT) is None


def test_two_builds_are_byte_identical(built, tmp_path):
    d, res, _ = built
    first = {p: (d / p).read_bytes() for p in ("report.html", "report.xlsx", "costs.csv")}
    # Same inputs in a staging folder named as the pipeline names it: the report shows the run's final name.
    stage = tmp_path / ".demo.k3j_x9ab.tmp"
    shutil.copytree(d, stage)
    for p in first:
        (stage / p).unlink()
    build_report(stage)
    build_report(d)
    for p, data in first.items():
        assert (d / p).read_bytes() == data, p
        assert (stage / p).read_bytes() == data, p


def test_empty_unfilled_file_and_no_summary_json(tmp_path):
    d = make_run_dir(tmp_path / "r")
    (d / "unfilled_shifts.csv").write_text("")
    (d / "summary.json").unlink()
    res = build_report(d)
    html = res.html.read_text(encoding="utf-8")
    assert card_value(html, "unfilled_shifts") == 0
    assert "No solver summary" in html
    assert openpyxl.load_workbook(res.xlsx)["Unfilled"].max_row == 1


def test_bad_roster_timestamp_is_a_clear_error_and_writes_nothing(tmp_path):
    d = make_run_dir(tmp_path / "r")
    text = (d / "roster.csv").read_text().splitlines()
    assert "2026-09-28 07:00:00" in text[2]
    text[2] = text[2].replace("2026-09-28 07:00:00", "28/09 seven", 1)
    (d / "roster.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(InputError, match=r"roster\.csv, row 3, column 'shift_start'"):
        build_report(d)
    assert not (d / "report.html").exists() and not (d / "costs.csv").exists()


def test_missing_file_is_named(tmp_path):
    d = make_run_dir(tmp_path / "r")
    (d / "requirements.csv").unlink()
    with pytest.raises(InputError, match=r"requirements\.csv: file not found"):
        build_report(d)


def test_empty_roster_still_reports(tmp_path, recwarn):
    d = make_run_dir(tmp_path / "r")
    header = (d / "roster.csv").read_text().splitlines()[0]
    (d / "roster.csv").write_text(header + "\n")
    res = build_report(d)
    html = res.html.read_text(encoding="utf-8")
    assert card_value(html, "total_cost") == 0 and card_value(html, "paid_hours") == 0
    assert card_value(html, "expected_service_level") == 0  # nobody on the phone while calls are forecast
    assert pd.read_csv(d / "costs.csv").empty
    assert not [w for w in recwarn if "legend" in str(w.message)]


def test_solve_times_do_not_change_the_page(tmp_path):
    # The same plan solved faster or slower must give the same report bytes (times stay in summary.json).
    pages = []
    for secs in (1.25, 97.5):
        d = tmp_path / f"run{len(pages)}" / "run"
        d.mkdir(parents=True)
        make_run_dir(d)
        meta = json.loads((d / "summary.json").read_text())
        meta["schedule"].update(seconds=secs, runtime_s=secs)
        meta["roster"] = {"status": "optimal", "weeks": [{"week_start": "2026-10-05", "seconds": secs, "gap": 0.0}]}
        (d / "summary.json").write_text(json.dumps(meta))
        pages.append(build_report(d, fixture_config()).html.read_bytes())
    assert pages[0] == pages[1]
    assert b"Week start" in pages[0]  # the per-week table is still shown

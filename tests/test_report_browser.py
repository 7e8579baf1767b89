"""The report as a manager sees it: rendered by headless Chromium, with its charts drawn.

Skipped where no Chromium is installed (Debian package `chromium`); the HTML itself is tested in
tests/test_report.py on every machine.
"""

import html
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from wfm.runs import build_report

from test_report import fixture_config, make_run_dir

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
if CHROMIUM is None and os.environ.get("WFM_REQUIRE_BROWSER"):
    raise RuntimeError("WFM_REQUIRE_BROWSER is set (.ci/run) but no Chromium is installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_report_renders_with_charts(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    make_run_dir(run)
    rep = build_report(run, fixture_config())
    shot = tmp_path / "page.png"
    r = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,2400",
         rep.html.resolve().as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert shot.is_file(), r.stderr[-2000:]
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)[..., :3]
    assert img.shape[0] == 2400 and img.shape[1] == 1280
    # The page is not blank: text, cards and charts draw many distinct colours over a large area.
    not_white = (img < 0.95).any(axis=2)
    assert not_white.mean() > 0.10
    colours = np.unique((img * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 500  # anti-aliased chart lines and fills, not only flat page colours
    # The dark header band is at the top, as the stylesheet says: the page's CSS was applied.
    assert img[:40].mean() < 0.4

    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom", rep.html.resolve().as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert dom.count("<img") >= 3 and "data:image/png;base64," in dom


def _measure(page, width: int, tmp_path) -> dict:
    """Lay ``page`` out at ``width`` CSS px in headless Chromium (inside an iframe of that width, so that a
    phone's width is honoured) and read back the document's height and widths and the decisions panel's text."""
    wrap = tmp_path / f"wrap{width}.html"
    wrap.write_text(
        f'<!doctype html><html><body style="margin:0"><iframe id="f" src="{page.resolve().as_uri()}" '
        f'style="width:{width}px;height:900px;border:0"></iframe><script>'
        "document.getElementById('f').addEventListener('load',function(){var doc=this.contentDocument,"
        "d=doc.documentElement,p=doc.getElementById('decisions');"
        "var o={height:d.scrollHeight,scroll:d.scrollWidth,client:d.clientWidth,panel:p?p.innerText:null,"
        "panelTop:p?p.getBoundingClientRect().top:null};"
        "var pre=document.createElement('pre');pre.id='out';pre.textContent=JSON.stringify(o);document.body.appendChild(pre);});"
        "</script></body></html>", encoding="utf-8")
    r = subprocess.run([CHROMIUM, *FLAGS, "--allow-file-access-from-files", "--virtual-time-budget=15000",
                        f"--user-data-dir={tmp_path / f'profile{width}'}", "--window-size=1600,1000", "--dump-dom",
                        wrap.as_uri()], capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="out">(.*?)</pre>', r.stdout, re.S)
    assert m, r.stderr[-2000:]
    return json.loads(html.unescape(m.group(1)))


MAIN_PAGE_MAX_PX = 10_000  # issue 15: the demo's main page at 1400 px, roster on its own page


def test_demo_report_is_short_readable_on_a_phone_and_opens_on_its_decisions(demo_run, tmp_path):
    base, _ = demo_run
    run = base / "schedules" / "demo"
    desk = _measure(run / "report.html", 1400, tmp_path)
    assert desk["height"] <= MAIN_PAGE_MAX_PX, desk["height"]
    # the decisions panel is the first thing under the header, and says what the demo's plan needs
    assert desk["panelTop"] is not None and desk["panelTop"] < 300
    cov = pd.read_csv(run / "coverage.csv")
    unfilled = pd.read_csv(run / "unfilled_shifts.csv")
    short = (cov["scheduled"] < cov["required"]).any()
    if unfilled.empty and not short:
        assert "The plan meets its targets" in desk["panel"]
    else:
        assert "Unfilled shifts" in desk["panel"] or "Under-staffed" in desk["panel"]
    assert "agent-hours on the phone above the requirement" in desk["panel"]
    phone = _measure(run / "report.html", 390, tmp_path)
    assert phone["scroll"] <= phone["client"], phone  # no sideways scrolling of the page on a phone
    ros = _measure(run / "roster.html", 390, tmp_path)
    assert ros["scroll"] <= ros["client"], ros  # wide grids scroll inside their own box


def test_decisions_panel_on_a_plan_with_problems(tmp_path):
    """A plan short of agents: the panel, read from the laid-out page, names each unfilled shift (date and
    time, as unfilled_shifts.csv has it) and an under-staffed window of the queue whose nights are short."""
    run = tmp_path / "run"
    make_run_dir(run)
    build_report(run, fixture_config())
    desk = _measure(run / "report.html", 1400, tmp_path)
    panel = desk["panel"]
    assert "The plan meets its targets" not in panel and "Under-staffed" in panel and "Unfilled shifts" in panel
    unfilled = pd.read_csv(run / "unfilled_shifts.csv", parse_dates=["date", "shift_start", "shift_end"])
    assert len(unfilled) > 0
    for u in unfilled.itertuples():
        assert f"{u.date:%a %d %b %Y}" in panel and f"{u.shift_start:%H:%M}–{u.shift_end:%H:%M}" in panel
    assert "sales" in panel and desk["panelTop"] < 300

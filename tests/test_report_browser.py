"""The report as a manager sees it: rendered by headless Chromium, with its charts drawn.

Skipped where no Chromium is installed (Debian package `chromium`); the HTML itself is tested in
tests/test_report.py on every machine.
"""

import os
import shutil
import subprocess

import numpy as np
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

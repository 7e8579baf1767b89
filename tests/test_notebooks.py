"""Every notebook in notebooks/ runs top to bottom (so it cannot rot), is committed without outputs, draws its
charts and shows real results: each notebook's last cell names the figures it drew, and the numbers checked
below come from independent references (simulation against formula, Poisson noise floor, the pay rules)."""

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHARED = ROOT.parent / "shared"
HAS_BANK = (SHARED / "data" / "bank_calls_5min.csv").is_file()

# figures each notebook's final cell must name (the bank's only when ../shared is there)
FIGURES = {
    "02_forecast_accuracy.ipynb": ["demo WAPE by model", "demo WAPE by horizon day", "demo backtest, forecast vs actual",
                                   *(["bank WAPE by model", "bank backtest, forecast vs actual"] if HAS_BANK else [])],
    "03_staffing_tradeoffs.ipynb": ["trade-off of one interval (Erlang A)", "Erlang C vs Erlang A vs simulation",
                                    "service level versus cost curve"],
    "04_schedule_and_cost.ipynb": ["coverage, required vs scheduled", "cost by day with holiday premiums"],
}


def _run(path: Path, tmp_path: Path, monkeypatch) -> nbformat.NotebookNode:
    if SHARED.is_dir():
        monkeypatch.setenv("WFM_SHARED", str(SHARED))  # the kernel inherits it; it runs in tmp_path, not beside shared/
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit notebooks with outputs stripped"
    assert all(c.get("execution_count") is None for c in nb.cells if c.cell_type == "code"), "strip execution counts"
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


def _stdout(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                   if o.output_type == "stream" and o.get("name") == "stdout")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nb = _run(path, tmp_path, monkeypatch)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, "the notebook should show its charts"
    text = _stdout(nb)
    if path.name in FIGURES:
        last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
        assert last.startswith("figures:"), "the last cell lists the figures drawn"
        named = [f.strip() for f in last.removeprefix("figures:").split(";")]
        assert named == FIGURES[path.name]
        assert len(images) >= len(named)
    if path.name == "01_history_and_forecast.ipynb":
        if HAS_BANK:
            m = re.search(r"bank: forecast calls on closed intervals: ([\d.]+) of (\d+) in the week; open (\S+)-(\S+)", text)
            assert float(m.group(1)) == 0 and int(m.group(2)) > 1000  # closed means zero, open means calls
            assert m.group(3) == "07:00" and m.group(4) >= "21:00"  # the opening hours learned from the file
        else:
            assert "bank part is skipped" in text
    if path.name == "02_forecast_accuracy.ipynb":
        best = re.search(r"lowest mean WAPE on the demo data: (\w+)", text).group(1)
        assert best != "seasonal_naive"  # the models must beat repeating last week on a calendar with holidays
        if HAS_BANK:
            m = re.search(r"bank: best 30-min WAPE ([\d.]+), seasonal naive ([\d.]+), Poisson floor ([\d.]+)", text)
            best30, naive30, floor = map(float, m.groups())
            # no model beats pure Poisson noise (that would be leakage), and the best beats the naive baseline
            assert floor < best30 < naive30
        else:
            assert "bank part is skipped" in text
    if path.name == "03_staffing_tradeoffs.ipynb":
        m = re.search(r"formula inside the simulation's 99% interval: (\d+) of (\d+)", text)
        inside, total = int(m.group(1)), int(m.group(2))
        assert total == 16 and inside >= 15  # Erlang C and A formulas agree with the discrete-event simulation
        m = re.search(r"80% -> 90%: \+([\d.]+)% cost; 80% -> 95%: \+([\d.]+)%", text)
        assert 0 < float(m.group(1)) < float(m.group(2))  # dearer with every point of service level
    if path.name == "04_schedule_and_cost.ipynb":
        m = re.search(r"holiday premium ([\d,]+) \(", text)
        assert float(m.group(1).replace(",", "")) > 0  # 1 October is worked at the holiday rate
        m = re.search(r"efficiency ([\d.]+); under-covered", text)
        assert 1.0 <= float(m.group(1)) < 1.5


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert {"01_history_and_forecast.ipynb", *FIGURES} <= names

from pathlib import Path

import matplotlib
import pytest

from wfm.demo import demo_history

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared (reference data) is not beside the project")
    return SHARED


@pytest.fixture(scope="session")
def demo_history_csv(tmp_path_factory):
    """``make(start, end)``: the path of the demo history for those days as CSV (written once per span;
    tests read it, never write beside it)."""
    made: dict[tuple[str, str], Path] = {}

    def make(start: str, end: str) -> Path:
        if (start, end) not in made:
            p = tmp_path_factory.mktemp("hist") / "calls.csv"
            demo_history(start=start, end=end).to_csv(p, index=False)
            made[start, end] = p
        return made[start, end]

    return make

import pandas as pd
import pytest

from wfm.errors import InputError
from wfm.history import load_history, validate_history


def write(tmp_path, text, name="h.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


GOOD = "queue,interval_start,offered,handled,abandoned,aht_s\n" + "".join(
    f"sales,2026-03-02 {h:02d}:{m:02d}:00,{10 + h},{9 + h},1,300\n" for h in range(8, 10) for m in (0, 15, 30, 45)
)


def test_reads_good_file_and_infers_interval(tmp_path):
    h = load_history(write(tmp_path, GOOD))
    assert h.interval_minutes == 15
    assert list(h.frame.columns) == ["queue", "interval_start", "offered", "handled", "abandoned", "aht_s"]
    assert len(h.frame) == 8 and h.frame["offered"].sum() == sum(10 + h for h in range(8, 10) for _ in range(4))
    assert len(h.gaps) == 0


@pytest.mark.parametrize(
    "text, row, column, words",
    [
        ("queue,interval_start\nq,2026-03-02 08:00\n", None, None, "missing column(s) offered"),
        ("queue,interval_start,offered\nq,2026-03-02 08:00,1\nq,yesterday,2\n", 3, "interval_start", "not a date-time"),
        ("queue,interval_start,offered\nq,2026-03-02 08:00,1\nq,2026-03-02 08:15,-4\n", 3, "offered", "negative"),
        ("queue,interval_start,offered\nq,2026-03-02 08:00,1\nq,2026-03-02 08:15,x\n", 3, "offered", "not a number"),
        ("queue,interval_start,offered\nq,2026-03-02 08:00,1\nq,2026-03-02 08:15,2\nq,2026-03-02 08:20,2\n", 4, "interval_start", "15-minute grid"),
        ("queue,interval_start,offered\nq,2026-03-02 08:00,1\nq,2026-03-02 08:15,2\nq,2026-03-02 08:15,3\n", 4, "interval_start", "twice (rows 3 and 4)"),
        ("queue,interval_start,offered\n,2026-03-02 08:00,1\n", 2, "queue", "empty"),
        ("queue,interval_start,offered,aht_s\nq,2026-03-02 08:00,1,abc\nq,2026-03-02 08:15,1,200\n", 2, "aht_s", "not a number"),
    ],
)
def test_bad_input_names_file_row_column(tmp_path, text, row, column, words):
    p = write(tmp_path, text)
    with pytest.raises(InputError) as e:
        load_history(p, interval_minutes=15 if "08:20" in text else None)
    msg = str(e.value)
    assert str(p) in msg and words in msg
    if row is not None:
        assert f"row {row}" in msg and e.value.row == row
    if column is not None:
        assert f"column '{column}'" in msg


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_history(tmp_path / "nope.csv")


def test_gaps_reported_and_filled_only_on_request(tmp_path):
    rows = [f"q,2026-03-0{d} {h:02d}:00:00,5" for d in (2, 3, 4) for h in range(8, 12)]
    rows.remove("q,2026-03-03 10:00:00,5")
    p = write(tmp_path, "queue,interval_start,offered\n" + "\n".join(rows) + "\n")
    h = load_history(p)
    assert h.interval_minutes == 60
    assert list(h.gaps["interval_start"]) == [pd.Timestamp("2026-03-03 10:00")]
    assert len(h.frame) == 11 and any("missing interval" in w for w in h.warnings)
    filled = load_history(p, fill_gaps=True)
    assert len(filled.frame) == 12
    assert filled.frame.loc[filled.frame["interval_start"] == pd.Timestamp("2026-03-03 10:00"), "offered"].item() == 0


def test_aliases_and_parquet(tmp_path):
    df = pd.DataFrame(
        {"skill": ["a", "a"], "Interval": pd.to_datetime(["2026-03-02 08:00", "2026-03-02 08:30"]), "calls_offered": [3, 4], "AHT": [200.0, 210.0]}
    )
    p = tmp_path / "h.parquet"
    df.to_parquet(p)
    h = load_history(p)
    assert h.interval_minutes == 30 and list(h.frame["offered"]) == [3.0, 4.0] and list(h.frame["aht_s"]) == [200.0, 210.0]


def test_input_file_never_modified(tmp_path):
    p = write(tmp_path, GOOD)
    before = p.read_bytes()
    load_history(p, fill_gaps=True)
    assert p.read_bytes() == before


def test_bank_data_reads_as_is(shared_dir):
    h = load_history(shared_dir / "data" / "bank_calls_5min.csv")
    assert h.interval_minutes == 5 and h.queues == ["bank"]
    # 169 intervals a day, 07:00 to 21:00 starts, weekdays only (source: shared/README.md)
    per_day = h.frame.groupby(h.frame["interval_start"].dt.normalize()).size()
    assert (per_day == 169).all() and len(h.gaps) == 0
    assert h.frame["interval_start"].dt.day_of_week.max() <= 4


def test_validate_history_on_frame_sorts_and_types():
    df = pd.DataFrame({"queue": ["b", "a"], "interval_start": ["2026-03-02 08:15", "2026-03-02 08:00"], "offered": ["1", "2"]})
    h = validate_history(df, interval_minutes=15)
    assert list(h.frame["queue"]) == ["a", "b"] and h.frame["offered"].dtype == float

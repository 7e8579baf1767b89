"""Property tests of the history reader: whatever a valid history looks like on disk, it reads back as written;
ambiguous day/month columns and any junk cell are refused with the right row."""

import csv
import os
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wfm.errors import InputError
from wfm.history import load_history
from wfm.timestamps import parse_timestamps

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

QUEUES = st.lists(st.sampled_from(["sales", "service", "billing", "Ventes été", "q 1"]), min_size=1, max_size=3,
                  unique=True)
INTERVALS = st.sampled_from([5, 10, 15, 30, 60])
OFFSETS = st.sampled_from(["+00:00", "+01:00", "-05:00", "+05:30", "+09:45", "-03:30", "+14:00"])


# One folder for every example (hypothesis cannot use the function-scoped tmp_path); removed at exit.
_TMP = tempfile.TemporaryDirectory(prefix="wfm_hist_")


def _write(rows: list[dict]) -> Path:
    fd, name = tempfile.mkstemp(suffix=".csv", dir=_TMP.name)
    os.close(fd)
    p = Path(name)
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return p


@st.composite
def histories(draw, first_day=st.dates(date(1990, 1, 1), date(2060, 12, 31))):
    """(tidy expected frame, interval [min]): queues x consecutive intervals from a random start on the grid."""
    queues = draw(QUEUES)
    step = draw(INTERVALS)
    day = draw(first_day)
    start = datetime(day.year, day.month, day.day) + timedelta(minutes=step * draw(st.integers(0, 24 * 60 // step - 1)))
    rows = []
    for q in queues:
        n = draw(st.integers(1, 30))
        counts = draw(st.lists(st.integers(0, 5000), min_size=n, max_size=n))
        rows += [{"queue": q, "interval_start": start + timedelta(minutes=step * i), "offered": float(c)}
                 for i, c in enumerate(counts)]
    return pd.DataFrame(rows), step


def _expected(frame: pd.DataFrame) -> pd.DataFrame:
    e = frame.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    return e.astype({"interval_start": "datetime64[ns]"})


def _read(path: Path, step: int, **kw) -> pd.DataFrame:
    h = load_history(path, interval_minutes=step, **kw)
    assert h.interval_minutes == step
    return h.frame[["queue", "interval_start", "offered"]]


def _reads_back_as_written(hist, fmt: str, rnd) -> None:
    """Write ``hist`` with timestamps in ``fmt``, rows shuffled; reading it back gives the history."""
    frame, step = hist
    rows = [{"queue": r.queue, "interval_start": r.interval_start.strftime(fmt), "offered": f"{r.offered:g}"}
            for r in frame.itertuples()]
    rnd.shuffle(rows)
    pd.testing.assert_frame_equal(_read(_write(rows), step), _expected(frame))


@SETTINGS
@given(histories(), st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"]),
       st.randoms(use_true_random=False))
def test_iso_history_reads_back_as_written(hist, fmt, rnd):
    _reads_back_as_written(hist, fmt, rnd)


@SETTINGS
@given(histories(first_day=st.dates(date(1990, 1, 13), date(2060, 12, 28)).filter(lambda d: d.day >= 13)),
       st.sampled_from(["%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d-%m-%Y %H:%M"]), st.randoms(use_true_random=False))
def test_dayfirst_history_with_a_day_above_12_reads_back(hist, fmt, rnd):
    _reads_back_as_written(hist, fmt, rnd)


@SETTINGS
@given(histories(), OFFSETS)
def test_fixed_offset_history_reads_as_local_time_written(hist, offset):
    frame, step = hist
    rows = [{"queue": r.queue, "interval_start": r.interval_start.strftime("%Y-%m-%dT%H:%M:%S") + offset,
             "offered": f"{r.offered:g}"} for r in frame.itertuples()]
    pd.testing.assert_frame_equal(_read(_write(rows), step), _expected(frame))


@SETTINGS
@given(histories(first_day=st.dates(date(2000, 1, 2), date(2030, 12, 30))), OFFSETS,
       st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Jerusalem", "Australia/Sydney", "UTC"]))
def test_offsets_converted_to_the_site_time_zone(hist, offset, zone):
    frame, step = hist
    text = [r.interval_start.strftime("%Y-%m-%d %H:%M") + offset for r in frame.itertuples()]
    got = parse_timestamps(pd.Series(text), "h.csv", "interval_start", timezone=zone)
    # Independent of the reader: Python's own ISO parser, then pandas' zone conversion, one cell at a time.
    want = [pd.Timestamp(datetime.fromisoformat(t)).tz_convert(zone).tz_localize(None) for t in text]
    assert list(got) == want


@st.composite
def day_month_dates(draw, ambiguous: bool):
    """Datetimes (minute resolution); every day <= 12 when ``ambiguous``, else at least one day > 12."""
    n = draw(st.integers(1, 12))
    days = st.integers(1, 12) if ambiguous else st.integers(1, 28)
    out = [datetime(draw(st.integers(1800, 2200)), draw(st.integers(1, 12)), draw(days), draw(st.integers(0, 23)),
                    draw(st.integers(0, 59))) for _ in range(n)]
    if not ambiguous:
        assume(any(t.day > 12 for t in out))
    return out


@SETTINGS
@given(day_month_dates(ambiguous=False), st.booleans(), st.sampled_from(["/", ".", "-"]), st.booleans())
def test_unambiguous_day_month_columns_parse_right(times, day_first, sep, pad):
    d, m = ("%d", "%m") if pad else ("%-d", "%-m")
    fmt = f"{d}{sep}{m}{sep}%Y %H:%M" if day_first else f"{m}{sep}{d}{sep}%Y %H:%M"
    got = parse_timestamps(pd.Series([t.strftime(fmt) for t in times]), "h.csv", "interval_start")
    assert list(got) == [pd.Timestamp(t) for t in times]


@SETTINGS
@given(day_month_dates(ambiguous=True), st.sampled_from(["/", ".", "-"]))
def test_ambiguous_day_month_columns_are_refused(times, sep):
    text = [t.strftime(f"%d{sep}%m{sep}%Y %H:%M") for t in times]
    with pytest.raises(InputError) as e:
        parse_timestamps(pd.Series(text), "h.csv", "interval_start")
    assert e.value.row == 2 and e.value.column == "interval_start"
    assert "could be dd/mm/yyyy or mm/dd/yyyy" in str(e.value) and text[0] in str(e.value)
    # Stating the order reads every cell, and each order gives its own answer.
    assert list(parse_timestamps(pd.Series(text), "h.csv", "interval_start", fmt="dayfirst")) == \
        [pd.Timestamp(t) for t in times]


JUNK = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), min_size=1, max_size=20).filter(
        lambda s: not any(c.isdigit() for c in s)),
    st.builds(lambda y, m, d: f"{y}-{m:02d}-{d:02d} 08:00", st.integers(2000, 2030), st.integers(13, 99),
              st.integers(1, 28)),
    st.builds(lambda y, d: f"{y}-02-{d} 08:00", st.integers(2001, 2099).filter(lambda y: y % 4), st.integers(29, 31)),
    st.builds(lambda v: f"{v}", st.floats(0, 2e9, allow_nan=False)),
    st.builds(lambda h, m: f"2026-03-02 {h}:{m:02d}", st.integers(24, 99), st.integers(0, 99)),
    st.sampled_from(["9999-01-01 00:00", "1000-06-01 08:00", "2026-03-02 08:00Z", "01/02/26 08:00", "tomorrow",
                     "2026-03-02 08:00 +25:00", "0000-00-00 00:00", "13/13/2026", "30/02/2026 08:00"]),
)


@SETTINGS
@given(histories(), JUNK, st.data())
def test_any_junk_interval_start_is_refused_at_its_row(hist, junk, data):
    frame, step = hist
    rows = [{"queue": r.queue, "interval_start": r.interval_start.strftime("%Y-%m-%d %H:%M"),
             "offered": f"{r.offered:g}"} for r in frame.itertuples()]
    k = data.draw(st.integers(0, len(rows) - 1))
    rows[k]["interval_start"] = junk
    with pytest.raises(InputError) as e:
        load_history(_write(rows), interval_minutes=step)
    assert e.value.row == k + 2 and e.value.column == "interval_start", str(e.value)

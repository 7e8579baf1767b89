"""Hostile history files through the command line: timestamps, time zones, interval lengths and values.

Each refusal: exit code 2, one non-empty line naming the file, row and column, inputs and earlier outputs
byte-for-byte unchanged. Each acceptance: the dates a user meant (March stays March).
"""

from datetime import datetime, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from wfm.cli import app

from hostile import digest, refused_cli


runner = CliRunner()


def _refused(args, inputs=(), outputs=()):
    return refused_cli(args, inputs, outputs, width=200)


def _csv(tmp_path, rows, header="queue,interval_start,offered", name="calls.csv"):
    p = tmp_path / name
    p.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return p


def _days(first: str, n_days: int, step: int = 15, fmt: str = "%Y-%m-%d %H:%M", queue: str = "q",
          hours=(8, 12), extra: str = ",5") -> list[str]:
    """Rows of ``queue`` for ``n_days`` days from ``first``, ``hours`` open, every ``step`` minutes."""
    start = datetime.fromisoformat(first)
    rows = []
    for d in range(n_days):
        t = start + timedelta(days=d, hours=hours[0])
        while t.hour < hours[1]:
            rows.append(f"{queue},{t.strftime(fmt)}{extra}")
            t += timedelta(minutes=step)
    return rows


def _check_refused(path, *extra, row=None, words=()):
    line = _refused(["check-history", "-H", path, *extra], inputs=[path])
    assert str(path) in line and "column 'interval_start'" in line, line
    if row is not None:
        assert f"row {row}," in line, line
    for w in words:
        assert w in line, line
    return line


def _forecast_refused(path, tmp_path, *extra, row=None, words=()):
    out = tmp_path / "fc.csv"
    out.write_text("earlier forecast\n")
    line = _refused(["forecast", "-H", path, "-o", out, "--weeks", "1", *extra], inputs=[path], outputs=[out])
    assert not out.with_suffix(".png").exists()
    assert str(path) in line, line
    if row is not None:
        assert f"row {row}," in line, line
    for w in words:
        assert w in line, line
    return line


def _accepted(args, inputs=()):
    before = digest(*inputs)
    r = runner.invoke(app, [str(a) for a in args], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert digest(*inputs) == before
    return r.output


# --- day/month order -------------------------------------------------------------------------------------------

def test_daymonth_with_every_day_below_13_is_refused_as_ambiguous(tmp_path):
    p = _csv(tmp_path, _days("2026-03-01", 12, fmt="%d/%m/%Y %H:%M"))
    _check_refused(p, row=2, words=["'01/03/2026 08:00' could be dd/mm/yyyy or mm/dd/yyyy",
                                    "site.date_format: dayfirst", "YYYY-MM-DD HH:MM"])


def test_forecast_refuses_the_ambiguous_file_and_keeps_the_earlier_forecast(tmp_path):
    p = _csv(tmp_path, _days("2026-03-01", 12, fmt="%d/%m/%Y %H:%M"))
    _forecast_refused(p, tmp_path, row=2, words=["could be dd/mm/yyyy or mm/dd/yyyy"])


def test_daymonth_with_a_day_above_12_keeps_march_in_march(tmp_path):
    p = _csv(tmp_path, _days("2026-03-01", 31, fmt="%d/%m/%Y %H:%M"))
    out = _accepted(["check-history", "-H", p], inputs=[p])
    assert "2026-03-01 to 2026-03-31" in out and "rows=496" in out


def test_monthfirst_with_a_day_above_12_reads_month_first(tmp_path):
    p = _csv(tmp_path, _days("2026-03-01", 31, fmt="%m/%d/%Y %I:%M %p"))
    assert "2026-03-01 to 2026-03-31" in _accepted(["check-history", "-H", p], inputs=[p])


@pytest.mark.parametrize("fmt, span", [("dayfirst", "2026-03-01 to 2026-03-12"),
                                       ("%d/%m/%Y %H:%M", "2026-03-01 to 2026-03-12"),
                                       ("monthfirst", "2026-01-03 to 2026-12-03")])
def test_stated_date_format_reads_the_ambiguous_file(tmp_path, fmt, span):
    p = _csv(tmp_path, _days("2026-03-01", 12, fmt="%d/%m/%Y %H:%M"))
    assert span in _accepted(["check-history", "-H", p, "--date-format", fmt], inputs=[p])


def test_forecast_reads_dayfirst_from_the_config(tmp_path):
    p = _csv(tmp_path, _days("2026-03-02", 28, step=60, fmt="%d/%m/%Y %H:%M", hours=(8, 18)))
    cfg = tmp_path / "c.yaml"
    cfg.write_text("site:\n  date_format: dayfirst\ninterval_minutes: 60\nforecast:\n  default_aht_s: 180\n")
    out = tmp_path / "fc.csv"
    _accepted(["forecast", "-H", p, "-c", cfg, "--weeks", "1", "-o", out], inputs=[p, cfg])
    fc = pd.read_csv(out, parse_dates=["interval_start"])
    # The day after the last history day (2026-03-29), opening at 08:00 as the history does.
    assert fc["interval_start"].min() == pd.Timestamp("2026-03-30 08:00")
    assert fc["interval_start"].dt.month.isin([3, 4]).all()


def test_explicit_format_that_does_not_match_names_the_row(tmp_path):
    p = _csv(tmp_path, _days("2026-03-01", 2, fmt="%d/%m/%Y %H:%M") + ["q,03/03/2026 8.00,5"])
    _check_refused(p, "--date-format", "%d/%m/%Y %H:%M", row=34, words=["does not match the date format"])


def test_daymonth_column_with_both_orders_is_refused(tmp_path):
    p = _csv(tmp_path, ["q,13/03/2026 08:00,5", "q,13/03/2026 08:15,5", "q,03/14/2026 08:00,5"])
    _check_refused(p, row=4, words=["is month first", "is day first"])


def test_two_digit_year_is_refused(tmp_path):
    p = _csv(tmp_path, _days("2026-03-13", 1, fmt="%d/%m/%y %H:%M"))
    _check_refused(p, row=2, words=["two-digit year"])


def test_mixed_iso_and_slash_rows_name_the_first_odd_row(tmp_path):
    rows = _days("2026-03-01", 2)
    rows[5] = "q,01/03/2026 09:15,5"
    _check_refused(_csv(tmp_path, rows), row=7, words=["another format than row 2"])


# --- impossible and out-of-range dates, numbers --------------------------------------------------------------

@pytest.mark.parametrize("cell, words", [
    ("9999-12-31 08:00", ["year 9999 is outside the range wfm can hold"]),
    ("1500-03-02 08:00", ["year 1500 is outside the range"]),
    ("2026-02-30 08:00", ["not a date: February 2026 has 28 days"]),
    ("2026-13-01 08:00", ["there is no month 13"]),
    ("2026-03-02 24:00", ["not a time of day"]),
    ("46083.35", ["is a number, not a date-time", "Excel"]),
    ("1772438400", ["is a number, not a date-time", "epoch"]),
    ("", ["empty cell"]),
])
def test_bad_timestamp_cell_is_refused_at_its_row(tmp_path, cell, words):
    rows = _days("2026-03-02", 1)
    rows[3] = f"q,{cell},5"
    _check_refused(_csv(tmp_path, rows), row=5, words=[repr(cell)[1:-1] if cell else "", *words])


def test_forecast_refuses_year_9999(tmp_path):
    rows = _days("2026-03-02", 3)
    rows[-1] = "q,9999-03-04 11:45,5"
    _forecast_refused(_csv(tmp_path, rows), tmp_path, row=len(rows) + 1, words=["year 9999"])


# --- time zones --------------------------------------------------------------------------------------------------

def _berlin_autumn(tmp_path, naive=False):
    """15-minute rows 2025-10-25 .. 2025-10-27 local Berlin time, written with their UTC offsets."""
    utc = pd.date_range("2025-10-24 22:00", "2025-10-27 23:00", freq="15min", tz="UTC", inclusive="left")
    local = utc.tz_convert("Europe/Berlin")
    cells = local.strftime("%Y-%m-%d %H:%M") if naive else [t.isoformat() for t in local]
    return _csv(tmp_path, [f"q,{c},10,8,{100 + i % 3}" for i, c in enumerate(cells)],
                header="queue,interval_start,offered,handled,aht_s")


def test_offsets_changing_at_dst_are_refused_without_a_timezone(tmp_path):
    p = _berlin_autumn(tmp_path)
    # 2025-10-26 03:00 CEST becomes 02:00 CET: the first +01:00 row is 01:00 UTC, the 109th interval.
    _check_refused(p, row=110, words=["UTC offsets that change (+02:00 at row 2, +01:00 here", "set site.timezone"])


def test_forecast_refuses_changing_offsets_without_a_timezone(tmp_path):
    _forecast_refused(_berlin_autumn(tmp_path), tmp_path, row=110, words=["site.timezone"])


def test_offsets_converted_with_timezone_and_repeated_hour_merged(tmp_path):
    p = _berlin_autumn(tmp_path)
    out = _accepted(["check-history", "-H", p, "--timezone", "Europe/Berlin"], inputs=[p])
    # 3 days + 1 hour of UTC intervals; the repeated local hour's 4 intervals merged into 4.
    n_utc = (3 * 24 + 1) * 4
    assert f"rows={n_utc - 4}" in out and "2025-10-25 to 2025-10-27" in out
    assert "clocks went back (2025-10-26)" in out


def test_naive_repeated_hour_is_refused_with_a_hint_and_merged_with_timezone(tmp_path):
    p = _berlin_autumn(tmp_path, naive=True)
    line = _check_refused(p, row=110, words=["twice", "set site.timezone"])
    assert "interval 2025-10-26 02:00:00" in line
    out = _accepted(["check-history", "-H", p, "--timezone", "Europe/Berlin"], inputs=[p])
    assert "clocks went back (2025-10-26)" in out


def test_naive_and_offset_aware_cells_mixed_are_refused(tmp_path):
    rows = _days("2026-03-02", 1, fmt="%Y-%m-%dT%H:%M:%S+02:00")
    rows[9] = "q,2026-03-02 10:15,5"
    _check_refused(_csv(tmp_path, rows), row=11, words=["has no UTC offset but", "+02:00' has one"])


def test_utc_z_needs_a_timezone_and_converts_with_one(tmp_path):
    p = _csv(tmp_path, _days("2026-03-02", 2, fmt="%Y-%m-%dT%H:%M:%SZ"))
    _check_refused(p, row=2, words=["is in UTC", "site.timezone"])
    out = _accepted(["check-history", "-H", p, "--timezone", "Asia/Shanghai"], inputs=[p])
    assert "2026-03-02 to 2026-03-03" in out  # 08:00Z is 16:00 in Shanghai, same days


def test_unknown_timezone_is_one_line(tmp_path):
    p = _csv(tmp_path, _days("2026-03-02", 1))
    line = _refused(["check-history", "-H", p, "--timezone", "Mars/Olympus"], inputs=[p])
    assert "--timezone" in line and "'Mars/Olympus' is not an IANA time-zone name" in line


# --- interval lengths --------------------------------------------------------------------------------------------

def test_switch_from_30_to_15_minutes_is_refused_at_the_change(tmp_path):
    rows = _days("2026-03-02", 7, step=30, hours=(8, 18)) + _days("2026-03-09", 7, step=15, hours=(8, 18))
    p = _csv(tmp_path, rows)
    # 7 days x 20 rows at 30 minutes, then 2026-03-09 08:00, 08:15: the first 15-minute step is row 143.
    _check_refused(p, row=143, words=["queue 'q' changes from 30-minute to 15-minute intervals on 2026-03-09",
                                     "one interval length per file"])


def test_forecast_refuses_the_mixed_interval_file(tmp_path):
    rows = _days("2026-03-02", 7, step=15, hours=(8, 18)) + _days("2026-03-09", 7, step=30, hours=(8, 18))
    _forecast_refused(_csv(tmp_path, rows), tmp_path, words=["changes from 15-minute to 30-minute"])


def test_queues_with_different_interval_lengths_are_refused(tmp_path):
    rows = (_days("2026-03-02", 3, step=15, queue="a", hours=(8, 18))
            + _days("2026-03-02", 3, step=30, queue="b", hours=(8, 18)))
    _check_refused(_csv(tmp_path, rows), row=122, words=["queue 'b' has 30-minute intervals but queue 'a' has 15"])


@pytest.mark.parametrize("hours", [(8, 18), (8, 10)])
def test_interval_option_that_differs_from_the_file_is_refused(tmp_path, hours):
    p = _csv(tmp_path, _days("2026-03-02", 3, step=30, hours=hours))
    _check_refused(p, "--interval", "15", words=["the file has 30-minute intervals but 15-minute"])


def test_closed_nights_and_a_missing_interval_are_not_a_length_change(tmp_path):
    rows = _days("2026-03-02", 5, step=15, hours=(7, 21))
    del rows[100]
    out = _accepted(["check-history", "-H", _csv(tmp_path, rows)])
    assert "15-min intervals" in out and "1 missing interval" in out


# --- values ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("header, cell, column, words", [
    ("queue,interval_start,offered,aht_s", "5,1e308", "aht_s", ["'1e308'", "maximum 86,400"]),
    ("queue,interval_start,offered,aht_s", "5,90000", "aht_s", ["'90000'", "maximum"]),
    ("queue,interval_start,offered", "1e400", "offered", ["'1e400'"]),
    ("queue,interval_start,offered", "1e300", "offered", ["'1e300'", "maximum"]),
])
def test_implausible_values_are_refused_as_typed(tmp_path, header, cell, column, words):
    extra = ",5,180" if "aht_s" in header else ",5"
    rows = _days("2026-03-02", 1, extra=extra)
    rows[2] = rows[2].rsplit(",", 2 if "aht_s" in header else 1)[0] + "," + cell
    p = _csv(tmp_path, rows, header=header)
    line = _refused(["check-history", "-H", p], inputs=[p])
    assert str(p) in line and "row 4," in line and f"column '{column}'" in line, line
    for w in words:
        assert w in line, line

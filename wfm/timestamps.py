"""Timestamp columns of input files: one parser for every file wfm reads.

Read without a stated format: ISO 8601 (``2026-03-02 08:15``, ``2026-03-02T08:15:00.5+02:00``), year-first
with ``/`` or ``.`` (``2026/03/02 08:15``), and day/month forms (``02/03/2026 08:15``, ``02.03.2026``,
``3/2/2026 8:15 AM``). Whether a day/month column is day-first or month-first is decided from the whole column
(a first field above 12 somewhere means day-first, a second field above 12 means month-first); a column where
every date could be either is refused, never guessed. Rules and time zones: docs/formats.md, "Timestamps".
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime

import numpy as np
import pandas as pd

from .errors import InputError
from .io import row_numbers

# Whole years that datetime64[ns] can hold (its range is 1677-09-21 to 2262-04-11).
YEARS = (1678, 2261)

_BLANK = ("", "nan", "NaN", "NaT", "None", "NA", "<NA>")
_ISO_HINT = "expected e.g. 2026-03-02 08:15"
_STATE = ("set site.date_format: dayfirst (or monthfirst, or a format such as %d/%m/%Y %H:%M) in the config "
          "(--date-format for check-history), or re-save as YYYY-MM-DD HH:MM")

# RE2 syntax (pyarrow's extract_regex runs it in C++: a 200,000-row column in a fraction of a second).
_DT = (r"^(?:(?P<y>\d{4})(?P<ys>[-/.])(?P<ym>\d{1,2})(?P<ys2>[-/.])(?P<yd>\d{1,2})"
       r"|(?P<a>\d{1,2})(?P<s>[-/.])(?P<b>\d{1,2})(?P<s2>[-/.])(?P<c>\d{2}(?:\d{2})?))"
       r"(?:(?:T|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>[.,]\d{1,9})?)?"
       r"(?:\s*(?P<ap>[AaPp])\.?[Mm]\.?)?\s*(?P<off>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?$")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_TRAILING_OFFSET = re.compile(r"\s*(Z|[+-]\d{2}:?\d{2})$")


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone (e.g. ``Asia/Jerusalem``), else InputError."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise InputError(f"'{name}' is not an IANA time-zone name such as 'Asia/Shanghai' or 'Europe/London'") from None
    return str(name)


def _offset_text(minutes: float) -> str:
    m = int(minutes)
    sign = "-" if m < 0 else "+"
    return f"{sign}{abs(m) // 60:02d}:{abs(m) % 60:02d}"


class _Cells:
    """The distinct non-empty cells of a column, with the file row where each first appears."""

    def __init__(self, raw: pd.Series, file: str | None, column: str, required: bool):
        self.file, self.column, self.n = file, column, len(raw)
        lines = row_numbers(raw)
        text = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
        blank = text.isin(_BLANK).to_numpy()
        if required and blank.any():
            raise InputError("empty cell; a date-time is required", file=file, row=int(lines[blank.argmax()]),
                             column=column)
        self.pos = np.flatnonzero(~blank)
        codes, uniq = pd.factorize(text.to_numpy()[self.pos])
        self.codes = codes
        self.uniq = pd.Series(np.asarray(uniq, dtype=object), dtype=object)
        # factorize numbers the cells in order of first appearance, so a lower code is an earlier row.
        self.first_pos = self.pos[np.unique(codes, return_index=True)[1]]
        self.first = lines[self.first_pos]

    def fail(self, i: int, message: str):
        raise InputError(message, file=self.file, row=int(self.first[i]), column=self.column)

    def first_where(self, mask) -> int | None:
        mask = np.asarray(mask, dtype=bool)
        return int(mask.argmax()) if mask.any() else None

    def spread(self, values: np.ndarray) -> np.ndarray:
        """Per-cell values back to the full column (NaT where the cell is empty), datetime64[ns]."""
        out = np.full(self.n, np.datetime64("NaT"), dtype="datetime64[ns]")
        out[self.pos] = values[self.codes]
        return out


class _Match:
    """The groups of ``_DT`` for each cell ("" where a group or the whole pattern did not match)."""

    def __init__(self, cells: pd.Series):
        import pyarrow as pa
        import pyarrow.compute as pc

        self._pc = pc
        st = pc.extract_regex(pa.array(cells.to_numpy(dtype=object), type=pa.string()), _DT)
        self._f = {f.name: pc.fill_null(st.field(i), "") for i, f in enumerate(st.type)}
        ok = st.is_valid().to_numpy(zero_copy_only=False)
        # RE2 has no backreferences: a date's two separators must agree (2026-03/02 is no date).
        same = (pc.equal(self._f["ys"], self._f["ys2"]).to_numpy(zero_copy_only=False)
                & pc.equal(self._f["s"], self._f["s2"]).to_numpy(zero_copy_only=False))
        self.matched = ok & same

    def has(self, name: str) -> np.ndarray:
        return self.matched & self._pc.not_equal(self._f[name], "").to_numpy(zero_copy_only=False)

    def text(self, name: str) -> np.ndarray:
        return self._f[name].to_numpy(zero_copy_only=False)

    def num(self, name: str, default: int = 0) -> np.ndarray:
        pc = self._pc
        v = self._f[name]
        if name == "f":  # ".5" -> 500000000 ns
            v = pc.utf8_rpad(pc.utf8_slice_codeunits(v, 1), 9, "0")
        v = pc.if_else(pc.equal(v, ""), str(default), v)
        return pc.cast(v, "int64").to_numpy()

    def length(self, name: str) -> np.ndarray:
        return self._pc.utf8_length(self._f[name]).to_numpy()


def parse_timestamps(raw: pd.Series, file: str | None, column: str, required: bool = True,
                     fmt: str | None = None, timezone: str | None = None) -> pd.Series:
    """Column of text (or datetimes) as naive local ``datetime64[ns]``; empty cells NaT unless ``required``.

    ``fmt``: None (detect), ``"dayfirst"``/``"monthfirst"`` (day/month order of d/m/y cells), or an explicit
    strptime format such as ``"%d/%m/%Y %H:%M"`` (a column entirely in ISO form is read as ISO whatever ``fmt``
    says). ``timezone``: IANA name that offset-aware values are converted to. Raises InputError naming
    ``file``, the row (header = row 1) and ``column``.
    """
    if timezone:
        check_timezone(timezone)
    order = None
    if fmt is not None:
        fmt = str(fmt).strip()
        if fmt.lower() in ("dayfirst", "monthfirst"):
            order, fmt = fmt.lower(), None
        elif not fmt:
            fmt = None
    if isinstance(raw.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(raw):
        return _from_datetimes(raw, file, column, required, timezone)
    cells = _Cells(raw, file, column, required)
    if len(cells.uniq) == 0:
        return pd.Series(cells.spread(np.array([], dtype="datetime64[ns]")), index=raw.index)
    m = _Match(cells.uniq)
    if fmt is not None and not m.has("y").all():
        local, offset, utc_word = _explicit(cells, fmt)
    else:
        local, offset, utc_word = _detected(cells, m, order)
    values = _to_local(cells, local, offset, utc_word, timezone)
    return pd.Series(cells.spread(values), index=raw.index)


def _from_datetimes(raw: pd.Series, file, column, required, timezone) -> pd.Series:
    lines = row_numbers(raw)
    if required and raw.isna().any():
        i = int(raw.isna().to_numpy().argmax())
        raise InputError("empty cell; a date-time is required", file=file, row=int(lines[i]), column=column)
    s = raw
    tz = getattr(s.dt, "tz", None)
    if tz is not None:
        if timezone:
            s = s.dt.tz_convert(timezone)
        elif str(tz) == "UTC":
            raise InputError("timestamps are in UTC: set site.timezone (e.g. Europe/London, or UTC if the site keeps "
                             "UTC) so they can be converted to local time", file=file, column=column)
        s = s.dt.tz_localize(None)
    years = s.dt.year
    bad = ((years < YEARS[0]) | (years > YEARS[1])).to_numpy()
    if bad.any():
        i = int(bad.argmax())
        raise InputError(f"{s.iloc[i]}: year {years.iloc[i]} is outside the range wfm can hold "
                         f"({YEARS[0]} to {YEARS[1]})", file=file, row=int(lines[i]), column=column)
    return s.astype("datetime64[ns]")


def _not_a_datetime(cells: _Cells, i: int):
    cell = cells.uniq.iloc[i]
    if _NUMBER.match(cell):
        cells.fail(i, f"'{cell}' is a number, not a date-time (an Excel serial date or a Unix epoch is not read: "
                      "re-save the column as YYYY-MM-DD HH:MM)")
    cells.fail(i, f"'{cell}' is not a date-time ({_ISO_HINT})")


def _detected(cells: _Cells, m: _Match, order: str | None):
    """Local wall times [datetime64[ns]], offsets [min] (NaN where none) and the 'Z'/'UTC' flag, per cell.

    A cell that is wrong on its own (no such date in any reading, no such time) is reported before a cell
    that only differs from the rest of the column (another format, an offset where the others have none).
    """
    cell = cells.uniq
    ymd, dm = m.has("y"), m.has("a")
    i = cells.first_where(~(ymd | dm))
    if i is not None:
        _not_a_datetime(cells, i)

    i = cells.first_where(dm & (m.length("c") == 2))
    if i is not None:
        cells.fail(i, f"'{cell.iloc[i]}' has a two-digit year; write the year with four digits, or set "
                      "site.date_format to a format such as %d/%m/%y %H:%M")
    year = np.where(ymd, m.num("y"), m.num("c"))
    a, b = np.where(ymd, m.num("yd"), m.num("a")), np.where(ymd, m.num("ym"), m.num("b"))  # ymd: a day, b month
    as_dayfirst, as_monthfirst = _date_errors(year, b, a), _date_errors(year, a, b)
    bad = np.where(ymd, as_dayfirst != 0, (as_dayfirst != 0) & (as_monthfirst != 0))
    i = cells.first_where(bad)
    if i is not None:
        if ymd[i] or as_dayfirst[i] == 1:
            _fail_date(cells, i, as_dayfirst[i], year[i], b[i], a[i])
        if a[i] > 12 and b[i] > 12:
            cells.fail(i, f"'{cell.iloc[i]}' is not a date: neither {a[i]} nor {b[i]} can be a month")
        cells.fail(i, f"'{cell.iloc[i]}' is not a date, read day first or month first")

    hour, minute, second, frac = (m.num(c) for c in ("H", "M", "S", "f"))
    ampm = m.has("ap")
    i = cells.first_where(ampm & ((hour < 1) | (hour > 12)))
    if i is not None:
        cells.fail(i, f"'{cell.iloc[i]}' is not a time of day (hours 1-12 with AM/PM)")
    i = cells.first_where((hour > 23) | (minute > 59) | (second > 59))
    if i is not None:
        cells.fail(i, f"'{cell.iloc[i]}' is not a time of day (hours 0-23, minutes and seconds 0-59)")
    aware = m.has("off")
    offset = np.full(len(cell), np.nan)
    utc_word = np.zeros(len(cell), dtype=bool)
    if aware.any():
        offset, utc_word = _offsets(cells, pd.Series(m.text("off"), dtype=object))

    # One family, separator and clock per column: a mix is how exports from two systems get pasted together.
    kind = (pd.Series(np.where(ymd, "ymd", "dm")) + (m.text("ys") + m.text("s"))
            + np.where(ampm, "p", "")).to_numpy(dtype=object)
    i = _odd_one(cells, kind)
    if i is not None:
        j = cells.first_where(kind != kind[i])
        cells.fail(i, f"'{cell.iloc[i]}' is written in another format than row {cells.first[j]} "
                      f"('{cell.iloc[j]}'); write every date-time of a column in one format")
    i = _odd_one(cells, aware)
    if i is not None:
        j = cells.first_where(aware != aware[i])
        has, lacks = (i, j) if aware[i] else (j, i)
        cells.fail(i, f"'{cell.iloc[lacks]}' has no UTC offset but '{cell.iloc[has]}' has one; write every "
                      "date-time with its offset or none")

    if ymd[0]:
        day, month = a, b
    else:
        if order is None:
            d1, m1 = cells.first_where(a > 12), cells.first_where(b > 12)
            if d1 is not None and m1 is not None:
                late, early = max(d1, m1), min(d1, m1)
                cells.fail(late, f"'{cell.iloc[m1]}' is month first but '{cell.iloc[d1]}' (row "
                                 f"{cells.first[early]}) is day first; write every date of a column in one format")
            if d1 is None and m1 is None:
                cells.fail(0, f"'{cell.iloc[0]}' could be dd/mm/yyyy or mm/dd/yyyy (no date in the column has a "
                              f"day above 12): {_STATE}")
            order = "dayfirst" if d1 is not None else "monthfirst"
        day, month = (a, b) if order == "dayfirst" else (b, a)
        code = _date_errors(year, month, day)
        i = cells.first_where(code != 0)
        if i is not None:
            _fail_date(cells, i, code[i], year[i], month[i], day[i], f" (read {order.replace('first', ' first')})")
    if ampm[0]:
        pm = np.char.lower(m.text("ap").astype(str)) == "p"
        hour = np.where(pm, hour % 12 + 12, hour % 12)
    months = ((year - 1970) * 12 + (month - 1)).astype("timedelta64[M]")
    days = (np.datetime64("1970-01", "M") + months).astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    ns = ((hour * 60 + minute) * 60 + second).astype(np.int64) * 1_000_000_000 + frac
    return days.astype("datetime64[ns]") + ns.astype("timedelta64[ns]"), offset, utc_word


def _odd_one(cells: _Cells, key: np.ndarray) -> int | None:
    """The first cell whose ``key`` differs from the one most rows share (ties: the first row's), or None."""
    if (key == key[0]).all():
        return None
    per_row = pd.Series(key[cells.codes])
    counts = per_row.value_counts(sort=False)
    norm = key[0] if counts[key[0]] == counts.max() else counts.idxmax()
    return cells.first_where(key != norm)


_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _date_errors(year, month, day) -> np.ndarray:
    """Per cell: 0 a real date, 1 year outside YEARS, 2 no such month, 3 no such day in the month."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    mo = np.clip(month, 1, 12)
    dim = _DAYS[mo - 1] + ((mo == 2) & leap)
    code = np.where((day < 1) | (day > dim), 3, 0)
    code = np.where((month < 1) | (month > 12), 2, code)
    return np.where((year < YEARS[0]) | (year > YEARS[1]), 1, code)


def _fail_date(cells: _Cells, i: int, code: int, year: int, month: int, day: int, how: str = ""):
    cell = cells.uniq.iloc[i]
    if code == 1:
        cells.fail(i, f"'{cell}': year {year} is outside the range wfm can hold ({YEARS[0]} to {YEARS[1]})")
    if code == 2:
        cells.fail(i, f"'{cell}' is not a date{how}: there is no month {month}")
    dim = _DAYS[month - 1] + (month == 2 and calendar.isleap(year))
    cells.fail(i, f"'{cell}' is not a date{how}: {calendar.month_name[month]} {year} has {dim} days")


def _offsets(cells: _Cells, off: pd.Series):
    """UTC offsets [min] (NaN where none) and whether it was spelled Z/UTC/GMT, per cell."""
    present = off != ""
    word = off.isin(["Z", "UTC", "GMT"]).to_numpy()
    digits = off.where(present & ~off.isin(["Z", "UTC", "GMT"]), "+00:00").str.replace(":", "", regex=False)
    hh = digits.str.slice(1, 3).astype(int).to_numpy()
    mm = digits.str.slice(3, 5).replace("", "0").astype(int).to_numpy()
    i = cells.first_where((hh > 14) | (mm > 59))
    if i is not None:
        cells.fail(i, f"'{cells.uniq.iloc[i]}' has an impossible UTC offset '{off.iloc[i]}'")
    sign = np.where(digits.str.slice(0, 1).to_numpy() == "-", -1, 1)
    minutes = (sign * (hh * 60 + mm)).astype(float)
    return np.where(present.to_numpy(), minutes, np.nan), word


def _explicit(cells: _Cells, fmt: str):
    """Cells read with a strptime format: local wall times, offsets [min] (NaN where none), 'Z' flag."""
    cell = cells.uniq
    base_fmt, text = fmt, cell
    offset = np.full(len(cell), np.nan)
    utc_word = np.zeros(len(cell), dtype=bool)
    if "%z" in fmt:
        if not fmt.rstrip().endswith("%z"):
            raise InputError(f"date format '{fmt}': %z (the UTC offset) must come last", file=cells.file,
                             column=cells.column)
        base_fmt = fmt.rstrip()[:-2].rstrip()
        off = cell.str.extract(_TRAILING_OFFSET)[0]
        i = cells.first_where(off.isna())
        if i is not None:
            cells.fail(i, f"'{cell.iloc[i]}' has no UTC offset but the date format '{fmt}' expects one")
        offset, utc_word = _offsets(cells, off)
        text = cell.str.replace(_TRAILING_OFFSET, "", regex=True)
    try:
        parsed = pd.to_datetime(text, format=base_fmt, errors="coerce")
    except ValueError as err:  # a bad directive such as %Q
        raise InputError(f"date format '{fmt}' is not a valid strptime format ({err})", file=cells.file,
                         column=cells.column) from None
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(bad.argmax())
        try:
            when = datetime.strptime(text.iloc[i], base_fmt)
        except ValueError:
            if _NUMBER.match(cell.iloc[i]):
                _not_a_datetime(cells, i)
            cells.fail(i, f"'{cell.iloc[i]}' does not match the date format '{fmt}' (site.date_format, or --date-format)")
        cells.fail(i, f"'{cell.iloc[i]}': year {when.year} is outside the range wfm can hold ({YEARS[0]} to {YEARS[1]})")
    years = parsed.dt.year.to_numpy()
    i = cells.first_where((years < YEARS[0]) | (years > YEARS[1]))
    if i is not None:
        cells.fail(i, f"'{cell.iloc[i]}': year {years[i]} is outside the range wfm can hold ({YEARS[0]} to {YEARS[1]})")
    return parsed.to_numpy().astype("datetime64[ns]"), offset, utc_word


def _to_local(cells: _Cells, local: np.ndarray, offset: np.ndarray, utc_word: np.ndarray,
              timezone: str | None) -> np.ndarray:
    """Naive local wall time: offset-aware cells converted to ``timezone``, or their own offset kept."""
    aware = ~np.isnan(offset)
    if not aware.any():
        return local
    if timezone:
        utc = local - (offset * 60_000_000_000).astype(np.int64).astype("timedelta64[ns]")
        conv = pd.Series(utc).dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
        return conv.to_numpy().astype("datetime64[ns]")
    i = cells.first_where(utc_word)
    if i is not None:
        cells.fail(i, f"'{cells.uniq.iloc[i]}' is in UTC: set site.timezone (e.g. Europe/London, or UTC if the site "
                      "keeps UTC) so it can be converted to local time")
    i = cells.first_where(offset != offset[0])
    if i is not None:
        cells.fail(i, f"timestamps carry UTC offsets that change ({_offset_text(offset[0])} at row "
                      f"{cells.first[0]}, {_offset_text(offset[i])} here, e.g. at a daylight-saving change): set "
                      "site.timezone (e.g. Europe/Berlin) so they can be converted to local time")
    return local

"""The file-format layer shared by every stage: atomic writes (temp file, then rename), CSV writing with
full float precision and formula neutralisation, and one reader for every input file (encoding, one number
parser, one boolean vocabulary; timestamps in :mod:`wfm.timestamps`). See docs/formats.md."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError


def current_umask() -> int:
    """The process's file-creation mask (read without changing it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; on success rename it over ``path``, on error delete it.

    A crash or a bad input never leaves a half-written output, and an existing output is replaced only
    by a complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp makes the file private (0600); an output should get the usual permissions for new files.
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------------------------------------
# CSV text: encoding, formula neutralisation
# ----------------------------------------------------------------------------------------------------------

#: A text cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection"); writers put
#: a ``'`` before it and ``read_table`` takes exactly that ``'`` off again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralise_text(v):
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) cannot run as spreadsheet formulas: a leading
    ``= + - @``, tab or CR gets a ``'`` before it. Numbers, timestamps and booleans are never touched."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            out[c] = s.map(_neutralise_text, na_action="ignore")
    out.columns = [_neutralise_text(c) for c in out.columns]
    return out


def _unneutralise(text: str) -> str:
    return text[1:] if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_START) else text


def _decode(data: bytes, path: Path) -> str:
    """The file's bytes as text: UTF-8 with or without a BOM; anything else one InputError naming the row."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (b"\x00" in data[:200] and _looks_utf16(data[:200])):
        raise InputError("the file is UTF-16 text, not UTF-8: re-save it as UTF-8 (in Excel: 'CSV UTF-8')",
                         file=str(path), row=1)
    if data[:4] == b"PK\x03\x04":
        raise InputError("this is a zip file (an Excel workbook?), not a CSV: save the sheet as 'CSV UTF-8'",
                         file=str(path))
    if b"\x00" in data:
        row = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError("the file is binary (it holds NUL bytes), not CSV text", file=str(path), row=row)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line_start = data.rfind(b"\n", 0, err.start) + 1
        row = data[: err.start].count(b"\n") + 1
        line_end = data.find(b"\n", err.start)
        line = data[line_start: line_end if line_end >= 0 else len(data)]
        try:
            shown = line.decode("cp1252").strip()
            guess = "it looks like Windows-1252/Latin-1"
        except UnicodeDecodeError:
            shown = line.decode("latin-1").strip()
            guess = "it is in a legacy encoding"
        column = None
        header_end = data.find(b"\n")
        if row > 1 and header_end > 0:
            header = next(csv.reader([data[:header_end].decode("utf-8-sig", "replace")], skipinitialspace=True), [])
            prefix = next(csv.reader([data[line_start: err.start].decode("latin-1") + "x"]), [])
            cells = next(csv.reader([shown], skipinitialspace=True), [])
            if 0 < len(prefix) <= len(header):
                column = header[len(prefix) - 1].strip()
                if len(prefix) <= len(cells):
                    shown = cells[len(prefix) - 1].strip()
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise InputError(f"not UTF-8 text (byte 0x{data[err.start]:02X}; {guess}: {shown!r}): re-save the "
                         "file as UTF-8 (in Excel: 'CSV UTF-8')", file=str(path), row=row, column=column) from None


def _looks_utf16(head: bytes) -> bool:
    # UTF-16 without a BOM: ASCII text has every other byte NUL.
    return len(head) >= 4 and (head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4)


# What only the careful reader handles: quotes, CR, any whitespace but a plain space (str.strip() takes it
# off a cell, pandas does not) and a cell ending in a space. Substring tests: a large file in milliseconds.
_ODD_CHARS = ('"', "\r", "\t", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u1680",
              *(chr(c) for c in range(0x2000, 0x200B)), "\u2028", "\u2029", "\u202f", "\u205f", "\u3000")


def _parse_regular_csv(text: str) -> pd.DataFrame | None:
    """The frame of a plain CSV by pandas' C parser, or None when the text is not plain: quotes, CR, blank
    lines, cells ending in spaces, or a line with another number of cells than the header. Only plain text
    is read here (a large history in a fraction of the time); everything else, and every error message,
    goes through :func:`_parse_csv`, which gives the same frame."""
    body = text[:-1] if text.endswith("\n") else text
    if not body or body.endswith(" ") or " ," in body or " \n" in body or any(ch in body for ch in _ODD_CHARS):
        return None
    first = body.find("\n")
    if first < 0:
        return None
    header = body[:first].split(",")
    names = [h.strip() for h in header]
    if any(not h or h.startswith("'") for h in names) or len(set(names)) != len(names):
        return None  # empty, neutralised or repeated names: the careful reader explains
    b = np.frombuffer(body.encode("utf-8"), dtype=np.uint8)
    newlines = np.flatnonzero(b == 10)
    per_line = np.bincount(np.searchsorted(newlines, np.flatnonzero(b == 44)), minlength=len(newlines) + 1)
    if (per_line != len(header) - 1).any():
        return None  # a line with more or fewer cells than the header: the careful reader names it
    n_rows = len(newlines)
    try:
        df = pd.read_csv(io.StringIO(body), dtype=str, na_filter=False, skipinitialspace=True,
                         skip_blank_lines=False, engine="c")
    except (pd.errors.ParserError, ValueError):
        return None
    if len(df) != n_rows or list(df.columns) != names or (df == "").all(axis=1).any():
        return None  # a blank or empty-celled line, which the careful reader skips
    return df


def _parse_csv(text: str, path: Path) -> pd.DataFrame:
    """Rows of CSV ``text`` as a frame of stripped strings; blank lines skipped; the line each row starts
    on is kept in ``attrs['lines']`` when it differs from position + 2 (a blank line or a multi-line cell)."""
    fast = _parse_regular_csv(text)
    if fast is not None:
        return _unneutralise_frame(fast)
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    header, rows, lines, start = None, [], [], 1
    try:
        for rec in reader:
            line, start = start, reader.line_num + 1
            if not rec or all(not c.strip() for c in rec):
                continue
            if header is None:
                header = [_unneutralise(c.strip()) for c in rec]
                continue
            rows.append(rec)
            lines.append(line)
    except csv.Error as err:
        raise InputError(f"the quotes do not pair up ({err})", file=str(path), row=start) from None
    if header is None:
        raise InputError("the file is empty (no header row)", file=str(path))
    n = len(header)
    keep = list(range(n))
    # A header ending in empty names is a spreadsheet's trailing commas: drop such columns when they hold nothing.
    for j in range(n):
        if header[j] == "":
            used = any(j < len(r) and r[j].strip() for r in rows)
            if used:
                raise InputError(f"column {j + 1} has data but no name in the header", file=str(path), row=1)
            keep.remove(j)
    seen = set()
    for j in keep:
        if header[j] in seen:
            raise InputError(f"column '{header[j]}' appears twice in the header", file=str(path), row=1,
                             column=header[j])
        seen.add(header[j])
    for rec, line in zip(rows, lines):
        if len(rec) > n and any(c.strip() for c in rec[n:]):
            raise InputError(f"{len(rec)} cells but the header has {n} (a cell holding a comma needs quotes)",
                             file=str(path), row=line)
        if len(rec) < len(keep):
            # a short row is most often a file cut off (a copy or a save that stopped): never fill it in
            raise InputError(f"{len(rec)} cell(s) but the header has {n}; the file may be cut off or a "
                             "separator is missing", file=str(path), row=line)
    data = [[(rec[j].strip() if j < len(rec) else "") for j in keep] for rec in rows]
    df = _unneutralise_frame(pd.DataFrame(data, columns=[header[j] for j in keep], dtype=str))
    if lines != list(range(2, len(lines) + 2)):
        df.attrs["lines"] = np.asarray(lines, dtype=np.int64)
    return df


def _unneutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        s = df[c]
        quoted = s.str.startswith("'")
        if quoted.any():
            df[c] = s.where(~quoted, s.map(_unneutralise))
    return df


# ----------------------------------------------------------------------------------------------------------
# Cells: one number parser, one boolean vocabulary
# ----------------------------------------------------------------------------------------------------------

#: Documented ceilings (docs/formats.md): agents in one interval or on one shift row, calls offered in one
#: interval, a handle time [s].
MAX_AGENTS = 100_000
MAX_CALLS = 10_000_000
MAX_AHT_S = 86_400

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
TRUE_WORDS = ("true", "yes", "y", "t", "1")
FALSE_WORDS = ("false", "no", "n", "f", "0")


def row_numbers(raw: pd.Series | pd.DataFrame) -> np.ndarray:
    """The row of each position as a spreadsheet shows it (header = row 1): the file's own lines when
    ``read_table`` recorded them, else position + 2."""
    lines = raw.attrs.get("lines")
    if lines is not None and len(lines) == len(raw):
        return np.asarray(lines)
    return np.arange(len(raw)) + 2


def _first(mask, raw: pd.Series) -> tuple[int, int]:
    i = int(np.flatnonzero(np.asarray(mask))[0])
    return i, int(row_numbers(raw)[i])


def _shown(v) -> str:
    """A cell as the user typed it, for a message."""
    if isinstance(v, str):
        return v
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    return repr(float(v)) if isinstance(v, (float, np.floating)) else str(v)


# What str.strip() takes off an ASCII cell.
_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _ascii_text(raw: pd.Series):
    """The column as a pyarrow string array when every cell is ASCII text (what the C path reads exactly
    as Python's str.strip and re would), else None."""
    if pd.api.types.infer_dtype(raw, skipna=False) != "string":
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(raw.to_numpy(dtype=object), type=pa.string())
    return arr if pc.all(pc.string_is_ascii(arr)).as_py() is not False else None


def parse_number_column(raw: pd.Series, file: str | None, column: str, minimum: float | None = 0.0,
                        maximum: float | None = None, allow_empty: bool = False, integer: bool = False,
                        unit: str | None = None) -> pd.Series:
    """Cells of one column as numbers: float64, or int64 when ``integer`` (float64 with NaN for empty cells
    when ``allow_empty``). Plain decimals only (``12``, ``-0.5``, ``1e3``): no ``nan``/``inf`` text, nothing
    that overflows, nothing below ``minimum`` (None: no floor) or above ``maximum``; an ``integer`` column
    must hold whole numbers (``unit`` names them: "a whole number of agents"). InputError quotes the first
    bad cell as typed and names ``file``, row (header = row 1) and ``column``."""
    idx = raw.index
    if pd.api.types.is_bool_dtype(raw.dtype):
        raw = raw.astype(str)
    if pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype=float, na_value=np.nan)
        text = None
        empty = np.isnan(values)
        bad_text = np.zeros(len(raw), dtype=bool)
    else:
        text = raw.map(_shown).astype(object) if (fast := _ascii_text(raw)) is None else raw.astype(object)
        if fast is not None:  # the same tests in C (pyarrow): a large history's columns in milliseconds
            import pyarrow.compute as pc

            stripped_arr = pc.utf8_trim(fast, _ASCII_SPACE)
            stripped = pd.Series(stripped_arr.to_numpy(zero_copy_only=False), index=idx, dtype=object)
            empty = pc.equal(stripped_arr, "").to_numpy(zero_copy_only=False)
            ok = pc.match_substring_regex(stripped_arr, f"^(?:{_NUMBER})$").to_numpy(zero_copy_only=False)
        else:
            stripped = text.str.strip()
            empty = (stripped == "").to_numpy()
            ok = stripped.str.fullmatch(_NUMBER).fillna(False).to_numpy(dtype=bool)
        bad_text = ~ok & ~empty
        values = pd.to_numeric(stripped.where(ok, None), errors="coerce").to_numpy(dtype=float)

    def fail(mask, why):
        i, row = _first(mask, raw)
        cell = text.iloc[i] if text is not None else _shown(raw.iloc[i])
        raise InputError(why(cell), file=file, row=row, column=column)

    if bad_text.any():
        def why(cell):
            low = cell.strip().lower()
            if low.lstrip("+-") in ("nan", "inf", "infinity", "na", "n/a", "none", "null"):
                return f"'{cell}' is not a number"
            if "," in cell:
                return f"'{cell}' is not a number (write it without thousands separators, with a '.' decimal point)"
            return f"'{cell}' is not a number"
        fail(bad_text, why)
    if empty.any() and not allow_empty:
        fail(empty, lambda cell: "the cell is empty, not a number" if text is not None
             else "the value is missing (NaN), not a number")
    finite = np.isfinite(values) | empty
    if not finite.all():
        fail(~finite, lambda cell: f"'{cell}' is too large to be a number (it overflows)" if text is not None
             and not cell.strip().lower().lstrip("+-").startswith(("inf", "nan")) else f"'{cell}' is not a finite number")
    with np.errstate(invalid="ignore"):
        if minimum is not None:
            low = values < minimum
            if low.any():
                fail(low, lambda cell: f"'{cell}' is negative; the column holds values >= 0" if minimum == 0
                     else f"'{cell}' is below the minimum {minimum:g}")
        if integer:
            frac = ~empty & (np.abs(values - np.round(values)) > 1e-9)
            if frac.any():
                fail(frac, lambda cell: f"'{cell}' must be a whole number" + (f" of {unit}" if unit else ""))
            top = maximum if maximum is not None else 2.0 ** 53
        else:
            top = maximum
        if top is not None:
            high = values > top
            if high.any():
                fail(high, lambda cell: f"'{cell}' is above the maximum {top:,.0f}" if top >= 1000
                     else f"'{cell}' is above the maximum {top:g}")
    if integer and not empty.any():
        return pd.Series(np.round(values).astype(np.int64), index=idx, name=raw.name)
    return pd.Series(values, index=idx, name=raw.name, dtype=float)


def parse_number_cell(text, file: str | None, row: int | None, column: str, **rules) -> float:
    """One cell by the rules of :func:`parse_number_column` (same keyword arguments); ``row`` as the file
    shows it. NaN for an empty cell when ``allow_empty``."""
    cell = pd.Series([text], dtype=object)
    if row is not None:
        cell.attrs["lines"] = np.asarray([row])
    return parse_number_column(cell, file, column, **rules).iloc[0]


def parse_bool_column(raw: pd.Series, file: str | None, column: str, default: bool | None = None) -> pd.Series:
    """Cells of one column as booleans: true/false, yes/no, y/n, t/f, 1/0 in any case; an empty cell is
    ``default`` (None: an error). InputError quotes the first other cell and names file, row and column."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype(bool)
    text = raw.map(_shown).astype(object)
    low = text.str.strip().str.lower()
    true, false = low.isin(TRUE_WORDS).to_numpy(), low.isin(FALSE_WORDS).to_numpy()
    empty = (low == "").to_numpy()
    bad = ~(true | false | (empty & (default is not None)))
    if bad.any():
        i, row = _first(bad, raw)
        cell = text.iloc[i]
        why = "the cell is empty" if cell.strip() == "" else f"'{cell}'"
        raise InputError(f"{why}: expected true/false (yes/no, y/n, t/f, 1/0)", file=file, row=row, column=column)
    return pd.Series(true | (empty & bool(default)), index=raw.index, name=raw.name, dtype=bool)


def write_csv(df: pd.DataFrame, path: str | Path, **kwargs) -> Path:
    """Write a frame as UTF-8 CSV atomically. Floats at full precision (the shortest text that reads back
    as the same float), timestamps as ``YYYY-MM-DD HH:MM:SS``, text cells neutralised against spreadsheet
    formulas (:func:`neutralise_formulas`; ``read_table`` undoes it)."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("date_format", "%Y-%m-%d %H:%M:%S")
    safe = neutralise_formulas(df)
    if _has_cr(safe):
        # Python's csv writer quotes a cell holding "\n" but not one holding a bare "\r" when lines end in
        # "\n"; such a cell would split its row on reading. Quoting every cell keeps it whole.
        kwargs.setdefault("quoting", csv.QUOTE_ALL)
    with atomic_path(path) as tmp:
        safe.to_csv(tmp, lineterminator="\n", **kwargs)
    return Path(path)


def _has_cr(df: pd.DataFrame) -> bool:
    if any("\r" in str(c) for c in df.columns):
        return True
    for c in df.columns:
        s = df[c]
        if (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)) and \
                s.map(lambda v: isinstance(v, str) and "\r" in v, na_action="ignore").fillna(False).astype(bool).any():
            return True
    return False


def write_text(text: str, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)


def write_json(obj, path: str | Path) -> Path:
    """Write ``obj`` as indented JSON with sorted keys (atomically); values JSON cannot hold as text."""
    return write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", path)


def write_bytes(data: bytes, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)




# ----------------------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------------------


def read_table(path: str | Path, required: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV (UTF-8, with or without a BOM) or Parquet file as strings-as-read (cells stripped, the
    ``'`` of a neutralised formula removed); check that the required columns are present.

    ``attrs['source']`` holds the path (library checks name the file with it) and ``attrs['lines']`` the
    file line of each row when a blank line or a multi-line cell shifts them. Raises InputError naming the
    file (and row) when it is missing, empty, binary, not UTF-8, ragged, has a column twice or lacks one.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", file=str(p))
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            try:
                df = pd.read_parquet(p)
            except Exception as err:  # pyarrow raises many types for a file that is not Parquet
                raise InputError(f"cannot read the Parquet file: {err}", file=str(p)) from None
            df.columns = [str(c).strip() for c in df.columns]
            dup = df.columns[df.columns.duplicated()]
            if len(dup):
                raise InputError(f"column '{dup[0]}' appears twice", file=str(p), column=dup[0])
        else:
            data = p.read_bytes()
            df = _parse_csv(_decode(data, p), p)
    except OSError as err:
        raise InputError(f"cannot read the file: {err.strerror or err}", file=str(p)) from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns)) or 'none'}",
            file=str(p))
    df.attrs["source"] = str(p)
    return df

"""report.xlsx: a Summary sheet, then one table per sheet, headers in words with units, set up to print
(landscape, one page wide, header row repeated), written byte-deterministically (fixed workbook metadata
and zip timestamps)."""

from __future__ import annotations

import datetime
import io
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from et_xmlfile import xmlfile
from openpyxl import Workbook
from openpyxl.cell._writer import write_cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from ..costs import MONEY_COLUMNS
from ..io import FORMULA_START, atomic_path

_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def excel_safe(value):
    """A value safe to write into a spreadsheet cell (with :func:`put`, which keeps text text).

    Text is kept as it is, except characters XML cannot hold, which are dropped. Non-finite floats and NaT
    become empty cells; numpy scalars and Timestamps become Python values.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is pd.NaT or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    return value


_SHARE_COLS = {"service_level", "expected_sl", "occupancy", "sim_service_level", "sim_sl_lo", "sim_sl_hi", "abandon_rate",
               "expected_abandon", "sim_abandon_rate", "sim_ab_lo", "sim_ab_hi", "wape", "bias", "coverage", "level", "mape",
               "error", "inside", "planned_sl", "actual_calls_sl", "planned_abandon", "actual_calls_abandon",
               "measured_abandon"}


def column_format(name: str, s: pd.Series, money_fmt: str) -> str | None:
    """The number format of column ``name`` (values ``s``) in the workbook: dates, shares as percentages,
    money in ``money_fmt``, hours and calls with two decimals, whole numbers without; None: General."""
    if pd.api.types.is_datetime64_any_dtype(s):
        ok = s.dropna()
        return "yyyy-mm-dd" if len(ok) == 0 or (ok == ok.dt.normalize()).all() else "yyyy-mm-dd hh:mm"
    if name in _SHARE_COLS:
        return "0.0%"
    if name in MONEY_COLUMNS or name.endswith(("_cost", "_premium")) or name in ("cost_per_call", "cost_per_handled_call",
                                                                                  "hourly_rate"):
        return money_fmt
    if name.endswith(("_hours", "_h", "_calls")) or name in ("offered", "calls", "agents_on_phone", "asa_s", "aht_s", "sim_asa_s",
                                                              "expected_asa_s", "handled", "abandoned", "patience_s",
                                                              "forecast", "forecast_lo", "forecast_hi", "actual",
                                                              "aht_forecast_s", "aht_actual_s", "measured_asa_s"):
        return "#,##0.00"
    if pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_integer_dtype(s):
        return "0"
    if pd.api.types.is_float_dtype(s):
        v = s[np.isfinite(s)]
        return "0" if (v == v.round()).all() else "0.00"
    return None


def put(ws, row: int, column: int, value):
    """Write ``excel_safe(value)`` into a cell; text that Excel or LibreOffice would run as a formula (it
    starts with ``= + - @``, tab or CR) is stored as a string with the quotePrefix style, so the cell shows
    the text unchanged and never evaluates it (formula injection)."""
    v = excel_safe(value)
    cell = ws.cell(row=row, column=column, value=v)
    if isinstance(v, str) and v.startswith(FORMULA_START):
        cell.data_type = "s"  # openpyxl types any text starting with '=' as a formula
        cell.quotePrefix = True
    return cell


_HEAD_FONT, _HEAD_FILL = Font(bold=True, color="1F2937"), PatternFill("solid", fgColor="E5E7EB")
_HEAD_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_DATETIME_FMT = "yyyy-mm-dd h:mm:ss"  # what openpyxl gives a datetime cell without a number format
_EPOCH = np.datetime64("1899-12-30", "ns")  # openpyxl's WINDOWS_EPOCH
_SHEET_DATA = re.compile(rb"<sheetData>.*</sheetData>|<sheetData />", re.S)


def _text_tail(v: str) -> str:
    """The rest of a text cell's XML after ``<c r=".." [s=".."]``, as openpyxl serialises it."""
    if v == "":
        return ' t="inlineStr" />'
    esc = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    stripped = v.strip()
    space = ' xml:space="preserve"' if stripped and stripped != v else ""
    return f' t="inlineStr"><is><t{space}>{esc}</t></is></c>'


def _excel_days(ts: np.ndarray) -> np.ndarray:
    """openpyxl's ``to_excel`` of naive datetimes (datetime64[ns]), vectorised with the same float steps:
    whole days since 1899-12-30 (less one before 1900-03-01), plus seconds of the day / 86400."""
    ns = (ts - _EPOCH).astype("int64")
    days = ns // 86_400_000_000_000
    days = np.where((days > 0) & (days <= 60), days - 1, days)
    us = (ns % 86_400_000_000_000) // 1000
    secs = us // 1_000_000
    return days.astype(float) + (secs.astype(float) + (us % 1_000_000) / 10**6) / 86400


class _SheetXml:
    """A sheet's cells as openpyxl would serialise them, built column by column (openpyxl's own cell objects
    cost ~30 µs a cell). The first cell of each style, and cells of types left to openpyxl, also go into the
    openpyxl worksheet (its "skeleton") in the order a cell-by-cell build writes them, so that openpyxl
    registers number formats and cell styles in the same order and the style ids come out the same; the
    skeleton's own ``<sheetData>`` is then replaced by :meth:`xml`."""

    def __init__(self, ws):
        self.ws = ws
        self.rows: dict[int, list[tuple[int, object, list]]] = {}  # first row -> [(col, key(s), tails)]
        self.present: set[int] = set()  # rows openpyxl writes (they hold a cell, maybe empty)
        self.firsts: dict[tuple, tuple] = {}  # style key -> ((row, col), value, format) of its first cell
        self.skeleton: dict[tuple[int, int], tuple] = {}  # (row, col) -> (value, number format, header)
        self.max_row = self.max_col = 0

    def _first(self, key, pos, value, fmt) -> None:
        if key not in self.firsts or pos < self.firsts[key][0]:
            self.firsts[key] = (pos, value, fmt)

    def header(self, row: int, columns) -> None:
        """The header row: bold on grey, centred, wrapped."""
        keys, tails = [], []
        for j, c in enumerate(columns, start=1):
            v = excel_safe(c)
            keys.append(("header", v.startswith(FORMULA_START)))
            tails.append(_text_tail(v))
            self.skeleton[(row, j)] = (c, None, True)
        self.rows.setdefault(row, []).extend((j, k, [t]) for j, (k, t) in enumerate(zip(keys, tails), start=1))
        if columns:
            self.present.add(row)
            self.max_row, self.max_col = max(self.max_row, row), max(self.max_col, len(columns))

    def column(self, row0: int, col: int, s: pd.Series, fmt: str | None) -> None:
        """Cells ``row0, row0 + 1, ...`` of column ``col``: the values of ``s``, numbers in ``fmt``."""
        n = len(s)
        if n:
            self.max_row, self.max_col = max(self.max_row, row0 + n - 1), max(self.max_col, col)
        self.present.update(range(row0, row0 + n))
        kind = "O" if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) else s.dtype.kind
        if kind == "M":
            ok = s.notna().to_numpy()
            days = _excel_days(s.to_numpy("datetime64[ns]"))
            key = ("data", fmt or _DATETIME_FMT, False, "dt")
            tails = [f' t="n"><v>{"%.16g" % d}</v></c>' if k else None for d, k in zip(days.tolist(), ok.tolist())]
        elif kind == "b":
            key = ("data", None, False)
            tails = [' t="b"><v>1</v></c>' if v else ' t="b"><v>0</v></c>' for v in s.tolist()]
        elif kind in "iuf":
            key = ("data", fmt, False)
            a = s.to_numpy().tolist()
            tails = ([f' t="n"><v>{"%.16g" % v}</v></c>' if math.isfinite(v) else None for v in a] if kind == "f"
                     else [f' t="n"><v>{"%.16g" % v}</v></c>' for v in a])
        else:
            keys, tails = [], []
            for i, v in enumerate(s, start=row0):
                k, t = self._classify(v, fmt)
                if k is None and t is not None:  # left to openpyxl
                    self.skeleton[(i, col)] = (v, fmt, False)
                elif t is not None:
                    self._first(k, (i, col), v, fmt)
                keys.append(k)
                tails.append(t)
            self.rows.setdefault(row0, []).append((col, keys, tails))
            return
        first = next((i for i, t in enumerate(tails) if t is not None), None)
        if first is not None:
            self._first(key, (row0 + first, col), s.iloc[first], fmt)
        self.rows.setdefault(row0, []).append((col, key, tails))

    @staticmethod
    def _classify(value, fmt):
        """(style key, XML tail) of one cell as :func:`put` and openpyxl store it: key None, a type left to
        openpyxl (tail "openpyxl": the cell goes into the skeleton); tail None: an empty cell (not written)."""
        v = excel_safe(value)
        if v is None:
            return None, None
        if isinstance(v, str):
            return ("data", None, v.startswith(FORMULA_START)), _text_tail(v)
        if isinstance(v, bool):
            return ("data", None, False), ' t="b"><v>1</v></c>' if v else ' t="b"><v>0</v></c>'
        if isinstance(v, (int, float)):
            return ("data", fmt, False), f' t="n"><v>{"%.16g" % v}</v></c>'
        if type(v) is datetime.datetime and v.tzinfo is None:
            d = _excel_days(np.array([np.datetime64(v, "ns")]))[0]
            return ("data", fmt or _DATETIME_FMT, False, "dt"), f' t="n"><v>{"%.16g" % d}</v></c>'
        return None, "openpyxl"

    def build_skeleton(self, style_ids: dict) -> None:
        """Put the skeleton cells into the worksheet in the order a cell-by-cell build creates them, then
        read their style ids in the order its writer meets them (``style_ids``: style key -> id, shared by
        the workbook's sheets)."""
        for pos, value, fmt in self.firsts.values():
            self.skeleton[pos] = (value, fmt, False)
        cells = {}
        for (i, j), (value, fmt, header) in sorted(self.skeleton.items()):
            cell = put(self.ws, i, j, value)
            if header:
                cell.font, cell.fill, cell.alignment = _HEAD_FONT, _HEAD_FILL, _HEAD_ALIGN
            elif fmt and cell.value is not None and not isinstance(cell.value, (str, bool)):
                cell.number_format = fmt
            cells[(i, j)] = cell
        if self.max_row and self.max_col:
            self.ws.cell(row=self.max_row, column=self.max_col)  # the sheet's dimension, as the full build
        firsts = {first[0]: key for key, first in self.firsts.items()}
        self.other = {}
        for pos, cell in cells.items():
            sid = cell.style_id if cell.has_style else 0
            if pos in firsts:
                style_ids.setdefault(firsts[pos], sid)
            elif self.skeleton[pos][2]:
                style_ids.setdefault(("header", bool(cell.quotePrefix)), sid)
            elif cell.value is not None:
                self.other[pos] = _openpyxl_cell(self.ws, cell)
        self.style_ids = style_ids

    def xml(self) -> bytes:
        """The ``<sheetData>`` element."""
        ids, text = self.style_ids, {}
        for row0, cols in self.rows.items():
            n = max((len(t) for _, _, t in cols), default=0)
            parts = [[] for _ in range(n)]
            for j, key, tails in cols:
                letter = get_column_letter(j)
                const = None if isinstance(key, list) else ids.get(key, 0)
                for r, t in enumerate(tails):
                    if t is None:
                        continue
                    i = row0 + r
                    if t == "openpyxl":
                        parts[r].append(self.other[(i, j)])
                        continue
                    sid = const if const is not None else ids[key[r]]
                    parts[r].append(f'<c r="{letter}{i}" s="{sid}"{t}' if sid else f'<c r="{letter}{i}"{t}')
            for r, p in enumerate(parts):
                text[row0 + r] = "".join(p)
        rows = [f'<row r="{i}">{text.get(i, "")}</row>' for i in sorted(self.present)]
        return ("<sheetData>" + "".join(rows) + "</sheetData>").encode("utf-8")


def _openpyxl_cell(ws, cell) -> str:
    """One cell serialised by openpyxl itself (types the fast path leaves to it)."""
    buf = io.BytesIO()
    with xmlfile(buf) as xf:
        write_cell(xf, ws, cell, cell.has_style)
    return buf.getvalue().decode("utf-8")


def print_setup(ws, columns: int) -> None:
    """Print a table sheet landscape, one page wide, with its header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if columns:
        ws.print_title_rows = "1:1"


def _sheet(wb, sheets: dict, title: str, df: pd.DataFrame, money_fmt: str, header=str):
    """Lay ``df`` out on sheet ``title``: a header row (``header(column name)``: the text shown), one row per
    record, number formats by column name (:func:`column_format`), column widths, the header frozen with
    filters, and :func:`print_setup`."""
    ws = wb.create_sheet(title)
    sx = sheets.setdefault(title, _SheetXml(ws))
    heads = [header(str(c)) for c in df.columns]
    sx.header(1, heads)
    fmts = [column_format(str(c), df[c], money_fmt) for c in df.columns]
    for j in range(1, len(df.columns) + 1):
        sx.column(2, j, df.iloc[:, j - 1], fmts[j - 1])
    for j, c in enumerate(df.columns, start=1):
        sample = [min(len(heads[j - 1]), 24)] + [len(str(v)) for v in df[c].head(200)]  # long headers wrap
        f = fmts[j - 1] or ""
        width = max(sample) if "yyyy" not in f else (11 if f == "yyyy-mm-dd" else 17)
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 9), 42)
    sx.present.add(2)  # openpyxl makes the pane's cell: its row is written, maybe empty
    sx.skeleton.setdefault((2, 1), (None, None, False))
    sx.max_row, sx.max_col = max(sx.max_row, 2), max(sx.max_col, 1)
    ws.freeze_panes = "A2"
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{1 + max(len(df), 1)}"
    print_setup(ws, len(df.columns))
    return ws


def _deterministic_zip(data: bytes, when, sheet_data: dict[str, bytes]) -> bytes:
    """Re-pack a zip with every member's timestamp set to ``when`` (openpyxl stamps the current time) and
    the ``<sheetData>`` of the members named in ``sheet_data`` replaced."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename in sheet_data:
                body = _SHEET_DATA.sub(lambda _: sheet_data[info.filename], body, count=1)
            dst.writestr(zi, body)
    return out.getvalue()


def write_workbook(path: Path, sheets: list[tuple[str, pd.DataFrame]], summary_rows: list[tuple[str, object, str | None]],
                   money_fmt: str, stamp, header=str) -> Path:
    """Write ``report.xlsx`` atomically: a Summary sheet of (label, value, number format) rows, then one sheet
    per frame, one table each (header row frozen, filters, formats by column, print setup). ``header``:
    column name -> the header text shown (:func:`wfm.report.headers.header`)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.column_dimensions["A"].width = 38
    ws.column_dimensions["B"].width = 30
    for i, (label, value, f) in enumerate(summary_rows, start=1):
        a, b = put(ws, i, 1, label), put(ws, i, 2, value)
        if i == 1:
            a.font = Font(bold=True, size=13)
        if f and b.value is not None and not isinstance(b.value, str):
            b.number_format = f
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    style_ids: dict = {}
    for cell in (c for row in ws.iter_rows() for c in row):  # the Summary's styles come first, as written
        if cell.has_style:
            cell.style_id  # noqa: B018 (registers the style: ids in the order the writer meets them)
    fast: dict[str, _SheetXml] = {}
    for title, df in sheets:
        _sheet(wb, fast, title, df, money_fmt, header)
        fast[title].build_skeleton(style_ids)
    ts = pd.Timestamp(stamp).to_pydatetime()
    wb.properties.created = wb.properties.modified = ts
    wb.properties.creator = "wfm"
    # Workbook.save() stamps properties.modified with the current time; ExcelWriter keeps ours.
    buf = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    data = _deterministic_zip(buf.getvalue(), ts, {f"xl/worksheets/sheet{k}.xml": fast[w.title].xml()
                                                   for k, w in enumerate(wb.worksheets, start=1) if w.title in fast})
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)

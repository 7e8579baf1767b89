"""wfm's own CSV outputs read back as typed tables: the file layer (:mod:`wfm.io`) for cells and numbers,
:mod:`wfm.timestamps` for times. One place, so that a user's edit of an output is checked the same way
wherever it is read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .io import parse_bool_column, parse_number_column, read_table
from .timestamps import parse_timestamps


def read_frame(path: str | Path, required: list[str] | tuple[str, ...], times: list[str] | tuple[str, ...] = (),
               numbers: list[str] | tuple[str, ...] = (), integers: list[str] | tuple[str, ...] = (),
               bools: list[str] | tuple[str, ...] = (), signed: list[str] | tuple[str, ...] = (),
               empty_ok: list[str] | tuple[str, ...] = (), maximum: dict[str, float] | None = None,
               units: dict[str, str] | None = None, required_times: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Read one of wfm's own CSV outputs (or a user's edit of one): required columns checked, ``times`` as
    timestamps (empty cells NaT unless also in ``required_times``), ``numbers`` as finite floats >= 0
    (``signed``: any sign), ``integers`` as whole numbers >= 0 (``units`` names them in messages),
    ``maximum`` a ceiling per column, ``empty_ok`` number columns whose empty cells are NaN, ``bools`` with
    the boolean vocabulary (empty = false). Columns that are absent are skipped. InputError names the file,
    row and column of the first bad cell."""
    df = read_table(path, required)
    src = str(path)
    maximum, units = maximum or {}, units or {}
    for c in times:
        if c in df:
            df[c] = parse_timestamps(df[c], src, c, required=c in required_times)
    for c in (*numbers, *signed, *integers):
        if c in df:
            df[c] = parse_number_column(df[c], src, c, minimum=None if c in signed else 0.0,
                                        maximum=maximum.get(c), allow_empty=c in empty_ok,
                                        integer=c in integers, unit=units.get(c))
    for c in bools:
        if c in df:
            df[c] = parse_bool_column(df[c], src, c, default=False)
    return df

"""The events file: special days (a promotion, a mailing, paydays) with a given or a learned effect on calls."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import parse_number_column, read_table, row_numbers
from ..timestamps import parse_timestamps


def load_events(path) -> pd.DataFrame:
    """Read a user events file: ``date`` (YYYY-MM-DD), ``name``, ``effect`` (a multiplier on that day's
    calls, e.g. 1.3 for +30%; empty or 'learn' to learn it from past days with the same name).
    Returns ``date, name, effect`` with NaN effect for learned events."""
    df = read_table(path, ["date", "name", "effect"])
    rows = row_numbers(df)
    dates = parse_timestamps(df["date"], str(path), "date", required=True)
    name = df["name"].astype(str).str.strip()
    for i in np.flatnonzero((name == "").to_numpy()):
        raise InputError("event name is empty", file=str(path), row=int(rows[i]), column="name")
    raw = df["effect"].astype(str).str.strip().str.lower()
    learn = raw.isin(["", "learn", "learned"])
    eff = parse_number_column(df["effect"].where(~learn, ""), str(path), "effect", minimum=None, maximum=100,
                              allow_empty=True)
    for i in np.flatnonzero(((~learn) & (eff <= 0)).to_numpy()):
        raise InputError(f"effect '{df['effect'].iloc[i]}' must be a positive multiplier or 'learn'", file=str(path),
                         row=int(rows[i]), column="effect")
    return pd.DataFrame({"date": dates.dt.normalize(), "name": name, "effect": eff.astype(float)})

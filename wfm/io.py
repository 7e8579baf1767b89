"""File helpers shared by every stage: atomic writes (temp file, then rename) and table reading."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .errors import InputError


def _umask() -> int:
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
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(df: pd.DataFrame, path: str | Path, **kwargs) -> Path:
    """Write a frame as CSV atomically; timestamps as ``YYYY-MM-DD HH:MM:SS``, floats to 6 decimals."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("date_format", "%Y-%m-%d %H:%M:%S")
    kwargs.setdefault("float_format", "%.6g")
    with atomic_path(path) as tmp:
        df.to_csv(tmp, lineterminator="\n", **kwargs)
    return Path(path)


def write_text(text: str, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(data: bytes, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)


def read_table(path: str | Path, required: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV or Parquet file as strings-as-read; check that the required columns are present.

    Raises InputError naming the file when it is missing, unreadable or lacks a column.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", file=str(p))
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(p)
        else:
            df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as err:  # pandas raises many types for unreadable files
        raise InputError(f"cannot read the file: {err}", file=str(p)) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(df.columns) or 'none'}", file=str(p)
        )
    return df

"""Errors raised by the library. The CLI turns every WfmError into one line and a non-zero exit."""

from __future__ import annotations


class WfmError(Exception):
    """Base class for every error a user can fix (bad input, bad config, infeasible request)."""


class InputError(WfmError):
    """A data file is wrong. Carries the file, 1-based data row (header is row 1) and column when known."""

    def __init__(self, message: str, file: str | None = None, row: int | None = None, column: str | None = None):
        self.file, self.row, self.column = file, row, column
        where = []
        if file:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column '{column}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ConfigError(WfmError):
    """The configuration file is wrong; the message names the key."""


class SolverError(WfmError):
    """The optimiser could not produce a usable answer; the message says why in plain words."""


class OutputError(WfmError):
    """An output cannot be written where asked (a folder that is a file, no permission, an output that is
    also an input, a folder wfm did not make); the message names the path."""


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException like KeyboardInterrupt, so that every staged output is cleaned up
    on the way out and the command ends with exit code 143."""

"""Per-queue work in this process or on a Dask cluster, with the same results.

Forecasting and staffing are independent from one queue to the next. This module runs the library's own
functions (:func:`wfm.forecast.forecast`, :func:`wfm.staffing.requirements`) on one queue's data at a time,
either here or on the workers of a ``dask.distributed`` cluster, and joins the pieces exactly as the serial
call would have: same rows, same order, same columns and dtypes, same values to the last bit. What is
computed never knows where: the per-queue functions are the public ones, unchanged; only the mapping
differs.

* :func:`open_backend` (a context manager) gives a :class:`SerialBackend` (no Dask: the library function is
  called once on all queues, the reference path), a :class:`DaskBackend` on a ``LocalCluster`` of worker
  processes on 127.0.0.1 (``workers=N`` and more than one queue), or a :class:`DaskBackend` on an existing
  scheduler (``scheduler='tcp://HOST:PORT'``; its workers need the same wfm version installed).
* :func:`forecast`, :func:`forecast_from_config` and :func:`requirements` take the arguments of the library
  functions plus ``backend``.

Data travels to the workers, never file paths: an events file is read here, into the
:class:`wfm.forecast.ForecastSettings` the workers get, so a remote cluster needs no shared disk.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from .errors import InputError, WfmError
from .forecast import FORECAST_COLUMNS, ForecastSettings, default_start, settings_with
from .forecast import forecast as forecast_all
from .history import History, split_history

__all__ = [
    "SerialBackend", "DaskBackend", "open_backend", "split_history", "forecast", "forecast_from_config",
    "requirements",
]


class SerialBackend:
    """No parallelism. ``split=False`` (default): the library functions run once on every queue together,
    exactly as without this module. ``split=True`` maps the per-queue calls in a loop here (the Dask code path
    without Dask; used to check that splitting and joining change nothing)."""

    def __init__(self, split: bool = False):
        self.split = split
        self.workers = 1

    def map(self, fn: Callable, items: Sequence[tuple], kwargs: dict | None = None, labels=None,
            progress=None) -> list:
        """``[fn(*item, **kwargs) for item in items]``, telling ``progress(label)`` before each call."""
        out = []
        for i, item in enumerate(items):
            if progress and labels is not None:
                progress(labels[i])
            try:
                out.append(fn(*item, **(kwargs or {})))
            except Exception as err:
                err.wfm_task_failed = True
                raise
        return out

    def describe(self) -> str:
        return "serial, in this process"

    def __repr__(self) -> str:
        return f"SerialBackend(split={self.split})"


class DaskBackend:
    """Maps calls onto a ``dask.distributed`` Client's workers, one task per item (a queue, or a batch of
    queues); ``client`` may be shared with other work, ``where`` is what :meth:`describe` names."""

    split = True

    def __init__(self, client, where: str):
        self.client = client
        self.where = where

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def map(self, fn: Callable, items: Sequence[tuple], kwargs: dict | None = None, labels=None,
            progress=None) -> list:
        """``fn(*item, **kwargs)`` for each item on the workers; results in the order of ``items``.
        ``progress(label)`` is told as each task finishes. A task's exception is raised here (the others
        are cancelled)."""
        from distributed import as_completed

        kwargs = kwargs or {}
        tag = uuid.uuid4().hex[:8]
        name = getattr(fn, "__name__", "task")
        # pure=False: no hashing of the (large) arguments; every call is its own task
        futures = [self.client.submit(fn, *item, key=f"wfm-{name}-{i}-{tag}", pure=False, **kwargs)
                   for i, item in enumerate(items)]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                if fut.status == "error":
                    err = fut.exception()
                    err.wfm_task_failed = True  # a task's own error, not the cluster's
                    raise err
                if progress and labels is not None:
                    progress(labels[index[fut.key]])
            return [f.result() for f in futures]
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def describe(self) -> str:
        n = self.workers
        return f"Dask {self.where}, {n} worker{'s' if n != 1 else ''}"

    def __repr__(self) -> str:
        return f"DaskBackend({self.where!r}, workers={self.workers})"


@contextmanager
def open_backend(workers: int | None = None, scheduler: str | None = None, queues: int = 2,
                 silence_logs: int = logging.ERROR) -> Iterator[SerialBackend | DaskBackend]:
    """The backend for a run; closes what it started on exit.

    ``scheduler``: address of a running Dask scheduler (``tcp://HOST:PORT``); ``workers``: start a
    ``LocalCluster`` of that many single-threaded worker processes on 127.0.0.1, only when ``queues`` > 1
    (one queue gains nothing from it); neither: serial. Raises InputError for ``workers`` < 1, both
    options at once, or a scheduler that cannot be reached.
    """
    if workers is not None and scheduler:
        raise InputError("give --workers (a local cluster) or --scheduler (an existing one), not both")
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers}: give at least 1 worker process")
    if not scheduler and (workers is None or queues < 2):
        yield SerialBackend()
        return
    from distributed import Client, LocalCluster

    if scheduler:
        import re

        # Checked before connecting: distributed takes a malformed address for a host name and then times
        # out (and its half-made Client complains again when garbage-collected).
        m = re.fullmatch(r"(?:(tcp|tls|ws|wss|inproc|ucx)://)?([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})", scheduler.strip())
        if not m or not 0 < int(m.group(3)) < 65536:
            raise InputError(f"--scheduler {scheduler!r}: give the scheduler's address as tcp://HOST:PORT, "
                             "e.g. tcp://10.0.0.5:8786")
        try:
            client = Client(scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise InputError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({err})") from None
        try:
            _warm(client, f"--scheduler {scheduler}")
            yield DaskBackend(client, f"scheduler {scheduler}")
        finally:
            client.close()
        return
    # One thread per worker: the per-queue work is numpy/statsmodels code that holds the GIL much of the
    # time, so processes (not threads) are what runs queues side by side.
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=silence_logs)
    try:
        client = Client(cluster, set_as_default=False)
        try:
            _warm(client, "--workers")
            yield DaskBackend(client, "LocalCluster on 127.0.0.1")
        finally:
            client.close()
    finally:
        cluster.close()


@contextmanager
def _worded_as_serial(serial: Callable):
    """A task's bad-input error is raised as the serial call words it (e.g. the row number in the whole
    forecast, not in one queue's part): ``serial()`` is run to raise it. Errors of the cluster itself pass."""
    try:
        yield
    except (WfmError, ValueError) as err:
        if not getattr(err, "wfm_task_failed", False):
            raise
        serial()
        raise


def _import_stages() -> str:
    import wfm
    import wfm.forecast
    import wfm.staffing  # noqa: F401

    return wfm.__version__


def _warm(client, option: str) -> None:
    """Import the stage modules on every worker now (seconds each), so the first tasks do not pay for it and
    a worker without wfm, or with another version, fails here with a clear message, not mid-run."""
    from . import __version__

    try:
        versions = client.run(_import_stages)
    except ImportError as err:
        raise InputError(f"{option}: the Dask workers cannot import wfm ({err}); install the same wfm there") from None
    other = {w: v for w, v in versions.items() if v != __version__}
    if other:
        raise InputError(f"{option}: worker(s) {', '.join(sorted(other))} run wfm {', '.join(sorted(set(other.values())))}, "
                         f"this is wfm {__version__}; install the same version there")


def forecast(history: History, settings: ForecastSettings | None = None, *, backend=None, progress=None,
             **overrides) -> pd.DataFrame:
    """:func:`wfm.forecast.forecast` (same arguments, same result), one task per queue on ``backend`` (None:
    serial). Each queue is forecast from the same first day (the day after the last day of the whole
    history unless ``settings.start`` is given), as in the serial call."""
    s = settings_with(settings, overrides)
    if backend is None or not backend.split or len(history.queues) < 2:
        return forecast_all(history, s, progress=progress)
    per_queue = s if s.start is not None else s.replace(start=default_start(history))
    parts = split_history(history)
    with _worded_as_serial(lambda: forecast_all(history, s)):
        res = backend.map(forecast_all, [(p, per_queue) for p in parts],
                          labels=[f"forecast {q}" for q in history.queues], progress=progress)
    out = pd.concat(res, ignore_index=True)[FORECAST_COLUMNS]
    out = out.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    out.attrs = {"models": {k: v for r in res for k, v in r.attrs["models"].items()},
                 "outliers": {k: v for r in res for k, v in r.attrs["outliers"].items()},
                 "unseen_holidays": {k: v for r in res for k, v in r.attrs.get("unseen_holidays", {}).items()}}
    return out


def forecast_from_config(history: History, cfg, backend=None, progress=None) -> pd.DataFrame:
    """:func:`wfm.forecast.forecast_from_config` (settings from ``cfg``, opening hours applied) on ``backend``."""
    return forecast(history, ForecastSettings.from_config(cfg), backend=backend, progress=progress)


STAFFING_TASKS_PER_WORKER = 4


def requirements(forecast: pd.DataFrame, cfg, backend=None, **kwargs) -> pd.DataFrame:
    """:func:`wfm.staffing.requirements` (same keyword arguments, same result) on ``backend`` (None: serial).

    Staffing a queue is vectorised arithmetic (milliseconds a queue), so the queues go out in
    ``STAFFING_TASKS_PER_WORKER`` batches per worker, each batch whole queues in sorted order, rather than
    one task per queue, which would spend more on messages than on Erlang. A per-row ``shrinkage`` is split
    with the rows."""
    from . import staffing

    def serial():
        return staffing.requirements(forecast, cfg, **kwargs)

    if backend is None or not backend.split or "queue" not in forecast.columns:
        return serial()
    df = forecast.reset_index(drop=True)
    if df["queue"].isna().any() or df["queue"].nunique() < 2:
        return serial()
    shrinkage = kwargs.get("shrinkage")
    per_row = shrinkage is not None and np.ndim(shrinkage) > 0
    if per_row:
        shrink = np.asarray(shrinkage.to_numpy() if isinstance(shrinkage, pd.Series) else shrinkage, dtype=float)
        if shrink.shape != (len(df),):
            return serial()  # raises the serial call's error
    # queues in the order the serial call sorts them (pandas' sort, also right for numeric queue names)
    queues = pd.unique(df["queue"].sort_values(kind="mergesort"))
    rows = df.groupby("queue", sort=False).indices
    n = min(len(queues), max(1, backend.workers) * STAFFING_TASKS_PER_WORKER)
    batches = [list(queues[b]) for b in np.array_split(np.arange(len(queues)), n)]
    # each batch's rows in their original order (the serial call's stable sort then orders them the same way)
    positions = [np.sort(np.concatenate([rows[q] for q in b])) for b in batches]
    items = []
    for pos in positions:
        kw = {"shrinkage": shrink[pos]} if per_row else {}
        items.append((df.iloc[pos], kw))
    common = {k: v for k, v in kwargs.items() if k != "shrinkage" or not per_row}
    with _worded_as_serial(serial):
        parts = backend.map(_requirements_part, [(part, cfg, kw) for part, kw in items], common,
                            labels=[f"staffing {b[0]}" + (f" to {b[-1]}" if len(b) > 1 else "") for b in batches])
    # The serial call adds a 'shrinkage' column when shrinkage varies over all rows: a batch with one
    # constant share has no such column of its own, so it is filled with that share here.
    varies = per_row and shrink.size > 0 and float(np.ptp(shrink)) > 0
    if varies:
        for i, (p, pos) in enumerate(zip(parts, positions)):
            if "shrinkage" not in p.columns and len(pos):
                parts[i] = p.assign(shrinkage=np.full(len(p), shrink[pos[0]]))
    out = pd.concat(parts, ignore_index=True)
    order = [*staffing.REQUIREMENT_COLUMNS, "is_holiday", "abandon_rate", "backlog", "shrinkage"]
    return out[[c for c in order if c in out.columns]]


def _requirements_part(part: pd.DataFrame, cfg, own: dict, **common) -> pd.DataFrame:
    # a batch of whole queues; ``own`` holds its slice of a per-row shrinkage
    from .staffing import requirements as req

    return req(part, cfg, **common, **own)

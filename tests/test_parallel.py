"""Per-queue work on a real Dask cluster (worker processes on 127.0.0.1) gives the serial run's frames exactly.

The reference is always the library function called once on every queue (no wfm.parallel code involved);
the cluster path splits by queue, runs the same public functions on the workers and joins the pieces.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from wfm import parallel
from wfm.config import load_config
from wfm.demo import demo_history
from wfm.errors import InputError
from wfm.forecast import forecast
from wfm.history import validate_history
from wfm.staffing import StaffingOptions, requirements

pytest.importorskip("distributed")


def _history():
    """Four queues, eight weeks of 30-minute history; one queue's data stops two days early (so each queue
    must be forecast from the whole history's next day, not its own)."""
    a = demo_history(start="2026-08-03", end="2026-09-27", seed=11, interval_minutes=30)
    b = demo_history(start="2026-08-03", end="2026-09-27", seed=12, interval_minutes=30)
    b["queue"] = b["queue"] + "_north"
    df = pd.concat([a, b], ignore_index=True)
    df = df[~((df["queue"] == "sales_north") & (df["interval_start"] >= "2026-09-26"))]
    return validate_history(df, source="synthetic", interval_minutes=30)


@pytest.fixture(scope="module")
def hist():
    return _history()


@pytest.fixture(scope="module")
def cfg():
    return load_config(None).model_copy(update={"interval_minutes": 30})


@pytest.fixture(scope="module")
def cluster():
    with parallel.open_backend(workers=2, queues=4) as be:
        yield be


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert list(a.dtypes) == list(b.dtypes)
    assert a.to_csv(index=False) == b.to_csv(index=False)  # the bytes a run would write
    assert pd.util.hash_pandas_object(a).equals(pd.util.hash_pandas_object(b))


def test_cluster_is_real_worker_processes_on_loopback(cluster):
    assert isinstance(cluster, parallel.DaskBackend) and cluster.split
    info = cluster.client.scheduler_info(n_workers=-1)["workers"]
    assert len(info) == 2
    assert all(addr.startswith("tcp://127.0.0.1:") for addr in info)
    pids = cluster.client.run(os.getpid)
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()


@pytest.mark.parametrize("model", ["calendar", "ets"])
def test_forecast_on_cluster_is_identical_to_serial(hist, cluster, model):
    from distributed import get_task_stream

    serial = forecast(hist, weeks=2, model=model)
    told = []
    with get_task_stream(client=cluster.client) as ts:
        dist = parallel.forecast(hist, backend=cluster, progress=told.append, weeks=2, model=model)
    _same(serial, dist)
    assert serial.attrs == dist.attrs
    # one task per queue, run on the workers, and a progress line for each queue
    keys = [t["key"] for t in ts.data]
    assert sum(str(k).startswith("wfm-forecast-") for k in keys) == 4
    assert sorted(told) == [f"forecast {q}" for q in hist.queues]
    # the early-ending queue is forecast from the common first day, as in the serial run
    first = dist.groupby("queue")["interval_start"].min()
    assert (first == pd.Timestamp("2026-09-28")).all()


def _staffing_case(fc: pd.DataFrame):
    """Per-row shrinkage that varies in two queues and is one constant in the two sales queues, and per-queue
    options: Erlang A for one queue, deferred work for another (so the joined frame needs the backlog and
    shrinkage columns that some parts lack)."""
    hour = fc["interval_start"].dt.hour.to_numpy()
    shrink = np.where(hour < 8, 0.38, 0.30)
    shrink[fc["queue"].isin(["sales", "sales_north"]).to_numpy()] = 0.33
    opts = {"sales": StaffingOptions(model="erlang_a", patience_s=90.0),
            "service_north": StaffingOptions(channel="deferred", response_window_h=4.0)}
    return {"shrinkage": shrink, "queue_options": opts}


@pytest.mark.parametrize("per_worker", [4, 1], ids=["one queue a task", "two queues a task"])
def test_requirements_on_cluster_are_identical_to_serial(hist, cfg, cluster, per_worker, monkeypatch):
    monkeypatch.setattr(parallel, "STAFFING_TASKS_PER_WORKER", per_worker)
    fc = forecast(hist, weeks=1, model="seasonal_naive")
    fc = fc.sample(frac=1.0, random_state=3).reset_index(drop=True)  # rows in no particular order
    kw = _staffing_case(fc)
    serial = requirements(fc, cfg, **kw)
    dist = parallel.requirements(fc, cfg, backend=cluster, **kw)
    assert {"backlog", "shrinkage", "abandon_rate"} <= set(serial.columns)
    _same(serial, dist)
    # and with the plain config (no per-row columns)
    _same(requirements(fc, cfg), parallel.requirements(fc, cfg, backend=cluster))


def test_bad_row_error_is_worded_as_in_the_serial_run(hist, cfg, cluster):
    fc = forecast(hist, weeks=1, model="seasonal_naive")
    fc.loc[700, "offered"] = -3.0
    with pytest.raises(InputError) as serial:
        requirements(fc, cfg)
    with pytest.raises(InputError) as dist:
        parallel.requirements(fc, cfg, backend=cluster)
    assert str(dist.value) == str(serial.value)
    assert "row 702" in str(dist.value)


def test_split_and_join_in_process_changes_nothing(hist, cfg):
    be = parallel.SerialBackend(split=True)
    fc = forecast(hist, weeks=1, model="seasonal_naive")
    got = parallel.forecast(hist, backend=be, weeks=1, model="seasonal_naive")
    _same(fc, got)
    kw = _staffing_case(fc)
    _same(requirements(fc, cfg, **kw), parallel.requirements(fc, cfg, backend=be, **kw))
    parts = parallel.split_history(hist)
    assert [p.queues for p in parts] == [[q] for q in hist.queues]
    assert sum(len(p.frame) for p in parts) == len(hist.frame)


def test_serial_unless_asked_and_clear_option_errors():
    with parallel.open_backend() as be:
        assert isinstance(be, parallel.SerialBackend) and not be.split
    with parallel.open_backend(workers=2, queues=1) as be:  # one queue: no cluster is started
        assert isinstance(be, parallel.SerialBackend)
    with pytest.raises(InputError, match="at least 1"):
        with parallel.open_backend(workers=0, queues=3):
            pass
    with pytest.raises(InputError, match="not both"):
        with parallel.open_backend(workers=2, scheduler="tcp://127.0.0.1:8786", queues=3):
            pass


def test_existing_scheduler_is_used_as_is(hist, cluster):
    addr = cluster.client.scheduler.address
    with parallel.open_backend(scheduler=addr, queues=4) as be:
        assert isinstance(be, parallel.DaskBackend) and be.workers == 2
        assert addr in be.describe()
        _same(forecast(hist, weeks=1, model="seasonal_naive"),
              parallel.forecast(hist, backend=be, weeks=1, model="seasonal_naive"))
    assert cluster.client.scheduler_info(n_workers=-1)["workers"]  # the cluster outlives the run using it


def test_cli_forecast_and_staff_with_scheduler_write_the_serial_bytes(hist, cfg, cluster, tmp_path):
    from typer.testing import CliRunner

    from wfm.cli import app
    from wfm.config import config_yaml

    src = tmp_path / "history.csv"
    hist.frame.to_csv(src, index=False)
    conf = tmp_path / "center.yaml"
    conf.write_text(config_yaml(cfg), encoding="utf-8")  # the demo config with 30-minute intervals
    addr = cluster.client.scheduler.address
    runner = CliRunner()
    for name, extra in (("serial", ["-c", str(conf)]), ("dask", ["-c", str(conf), "--scheduler", addr])):
        r = runner.invoke(app, ["forecast", "-H", str(src), "-o", str(tmp_path / name / "fc.csv"), "--weeks", "1", *extra])
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["staff", "-f", str(tmp_path / "serial" / "fc.csv"), "-o", str(tmp_path / name / "req.csv"),
                                *extra])
        assert r.exit_code == 0, r.output
    for f in ("fc.csv", "req.csv"):
        assert (tmp_path / "serial" / f).read_bytes() == (tmp_path / "dask" / f).read_bytes()
    r = runner.invoke(app, ["forecast", "-H", str(src), "-o", str(tmp_path / "x.csv"), "--workers", "0"])
    assert r.exit_code == 2 and "at least 1 worker" in r.output and not (tmp_path / "x.csv").exists()


def test_schedule_on_cluster_is_identical_to_serial(hist, cfg, cluster):
    # Two days of four queues: small models that HiGHS solves to optimality, so the answer does not hang on
    # a time limit; the serial reference is the plain library call.
    from wfm.scheduling import schedule

    fc = forecast(hist, weeks=1, model="seasonal_naive")
    fc = fc[fc["interval_start"] < fc["interval_start"].min() + pd.Timedelta(days=2)].reset_index(drop=True)
    req = requirements(fc, cfg)
    serial = schedule(req, cfg)
    dist = schedule(req, cfg, backend=cluster)
    assert sorted(serial.shifts["queue"].unique()) == sorted(hist.queues)
    _same(serial.shifts, dist.shifts)
    _same(serial.coverage, dist.coverage)
    timing = {"runtime_s", "build_s", "seconds"}
    strip = lambda qs: [{k: v for k, v in q.items() if k not in timing} for q in qs]  # noqa: E731
    assert strip(serial.summary["queues"]) == strip(dist.summary["queues"])
    assert all(q["proven_optimal"] or q["within_gap"] for q in serial.summary["queues"])

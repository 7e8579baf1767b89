"""The staffing section of the config (Erlang A, patience, shrinkage parts and file, per-queue options),
the pipeline helper that turns it into requirements' options, and the staff / patience / tradeoff commands."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from wfm import erlang
from wfm.cli import app
from wfm.config import load_config, parse_config
from wfm.errors import ConfigError
from wfm.staffing import staffing_kwargs
from wfm.staffing import requirements

runner = CliRunner()


def _cfg(**staffing):
    data = load_config(None).model_dump(mode="json", by_alias=True)
    data["staffing"].update(staffing)
    return parse_config(data, source="test.yaml")


def _forecast(days: int = 2) -> pd.DataFrame:
    """Two queues, 15-minute intervals, a smooth daily curve of 0 to ~120 calls per interval."""
    ts = pd.date_range("2026-09-07", periods=96 * days, freq="15min")
    hour = (ts.hour + ts.minute / 60).to_numpy()
    base = np.clip(np.sin((hour - 7) / 14 * np.pi), 0, None)
    rows = []
    for q, scale, aht in (("sales", 40.0, 240.0), ("service", 120.0, 300.0)):
        rows.append(pd.DataFrame({"queue": q, "interval_start": ts, "offered": np.round(scale * base, 1),
                                  "aht_s": aht}))
    return pd.concat(rows, ignore_index=True)


# ----------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("staffing", "key", "words"),
    [
        ({"model": "erlang_b"}, "staffing.model", "erlang_c"),
        ({"max_abandon": 0.05}, "staffing.max_abandon", "erlang_a"),
        ({"model": "erlang_a", "patience_s": 120, "max_abandon": 1.5}, "staffing.max_abandon", "less than or equal to 1"),
        ({"model": "erlang_a"}, "staffing.patience_s", "needs patience_s"),
        ({"patience_s": -5}, "staffing.patience_s", "> 0"),
        ({"patience_s": "guess"}, "staffing.patience_s", "estimate"),
        ({"shrinkage_parts": {"breaks": 0.1, "absence": 1.0}}, "staffing.shrinkage_parts", "'absence'"),
        ({"queues": {"chat": {"channel": "chat", "concurency": 3}}}, "staffing.queues.chat.concurency", "unknown key"),
        ({"queues": {"chat": {"channel": "voice", "concurrency": 3}}}, "staffing.queues.chat.concurrency",
         "channel='chat'"),
        ({"queues": {"mail": {"channel": "deferred"}}}, "staffing.queues.mail.response_window_h", "response_window_h"),
        ({"queues": {"vip": {"model": "erlang_a"}}}, "staffing.queues.vip.patience_s", "patience"),
        ({"queues": {"vip": {"max_abandon": 0.1}}}, "staffing.queues.vip.max_abandon", "erlang_a"),
    ],
)
def test_bad_staffing_config_names_the_key(staffing, key, words):
    with pytest.raises(ConfigError) as err:
        _cfg(**staffing)
    msg = str(err.value)
    assert f"key '{key}'" in msg and words in msg, msg


def test_defaults_keep_todays_behaviour():
    cfg = load_config(None)
    st = cfg.staffing
    assert (st.model, st.patience_s, st.max_abandon, st.shrinkage_parts, st.shrinkage_file, st.queues) == (
        "erlang_c", None, None, None, None, None)
    assert staffing_kwargs(cfg) == {"model": "erlang_c", "max_abandon": None}
    fc = _forecast()
    pd.testing.assert_frame_equal(requirements(fc, cfg, **staffing_kwargs(cfg, None, fc)), requirements(fc, cfg))


def test_good_queue_options_map_to_staffing_options():
    cfg = _cfg(model="erlang_a", patience_s=90, max_abandon=0.1,
               queues={"chat": {"channel": "chat", "concurrency": 3, "model": "erlang_c"},
                       "mail": {"channel": "deferred", "response_window_h": 8}})
    kw = staffing_kwargs(cfg)
    chat, mail = kw["queue_options"]["chat"], kw["queue_options"]["mail"]
    assert (chat.channel, chat.concurrency, chat.model, chat.max_abandon) == ("chat", 3, "erlang_c", None)
    assert (mail.channel, mail.response_window_h, mail.model, mail.patience_s) == ("deferred", 8, "erlang_a", 90)
    assert (kw["model"], kw["patience_s"], kw["max_abandon"]) == ("erlang_a", 90.0, 0.1)


# ----------------------------------------------------------------------------------------- shrinkage


def test_shrinkage_parts_equal_their_combined_total():
    parts = {"breaks": 0.10, "training": 0.05, "absence": 0.07}
    total = 1 - (1 - 0.10) * (1 - 0.05) * (1 - 0.07)
    by_parts, by_total = _cfg(shrinkage_parts=parts), _cfg(shrinkage=total)
    assert by_parts.staffing.total_shrinkage == pytest.approx(total, abs=1e-15)
    fc = _forecast()
    a = requirements(fc, by_parts, **staffing_kwargs(by_parts, None, fc))
    b = requirements(fc, by_total, **staffing_kwargs(by_total, None, fc))
    pd.testing.assert_frame_equal(a, b)
    # and not the plain sum of the parts, which schedules more at the peak
    summed = _cfg(shrinkage=sum(parts.values()))
    c = requirements(fc, summed)
    assert (c["scheduled_required"] >= a["scheduled_required"]).all()
    assert (c["scheduled_required"] > a["scheduled_required"]).any()


def test_shrinkage_file_varies_by_time_and_date(tmp_path):
    f = tmp_path / "shrinkage.csv"
    f.write_text("date,time,breaks,training\n,12:00,0.25,\n2026-09-08,,,0.5\n")
    cfg = _cfg(shrinkage_parts={"breaks": 0.1}, shrinkage_file=str(f))
    fc = _forecast()
    req = requirements(fc, cfg, **staffing_kwargs(cfg, None, fc))
    s = req.set_index(["queue", "interval_start"])["shrinkage"]
    assert s[("sales", pd.Timestamp("2026-09-07 11:45"))] == pytest.approx(0.1)
    assert s[("sales", pd.Timestamp("2026-09-07 12:00"))] == pytest.approx(0.25)
    assert s[("sales", pd.Timestamp("2026-09-08 11:45"))] == pytest.approx(1 - 0.9 * 0.5)
    assert s[("sales", pd.Timestamp("2026-09-08 12:00"))] == pytest.approx(1 - 0.75 * 0.5)
    expect = np.ceil(np.round(req["agents"] / (1 - req["shrinkage"]), 9))
    assert (req["scheduled_required"] == expect).all()


def test_bad_shrinkage_file_names_file_row_and_column(tmp_path):
    f = tmp_path / "shrinkage.csv"
    f.write_text("time,breaks\n12:00,0.2\n13:00,1.2\n")
    cfg = _cfg(shrinkage_file=str(f))
    with pytest.raises(Exception) as err:
        staffing_kwargs(cfg, None, _forecast())
    assert "row 3" in str(err.value) and "breaks" in str(err.value)


# ----------------------------------------------------------------------------------------- Erlang A


def test_erlang_a_config_fills_abandon_rate_at_the_agents():
    fc = _forecast()
    cfg = _cfg(model="erlang_a", patience_s=120)
    req = requirements(fc, cfg, **staffing_kwargs(cfg, None, fc))
    ab = req["abandon_rate"].to_numpy()
    assert np.isfinite(ab).all() and ((ab >= 0) & (ab <= 1)).all()
    expect = erlang.abandon_rate_a(req["offered"].to_numpy(), req["aht_s"].to_numpy(), req["agents"].to_numpy(),
                                   cfg.interval_s, 120.0)
    np.testing.assert_allclose(ab, expect, rtol=1e-12, atol=1e-15)
    # the service level reported meets the target wherever there are calls
    busy = req["offered"] > 0
    assert (req.loc[busy, "service_level"] >= cfg.staffing.sl_target - 1e-12).all()
    # with impatient callers (who leave the queue) no interval needs more agents than Erlang C (docs/staffing.md)
    c = requirements(fc, _cfg())
    assert (req["agents"].to_numpy() <= c["agents"].to_numpy()).all()
    # Erlang C (the default) leaves abandon_rate empty without a patience
    assert c["abandon_rate"].isna().all()


def test_max_abandon_caps_the_abandon_share():
    fc = _forecast()
    cfg = _cfg(model="erlang_a", patience_s=60, max_abandon=0.02)
    req = requirements(fc, cfg, **staffing_kwargs(cfg, None, fc))
    assert (req["abandon_rate"] <= 0.02 + 1e-12).all()


def _history_with_abandons(tmp_path, abandoned=True):
    from wfm.demo import demo_history

    d = demo_history(start="2026-06-01", end="2026-07-12")
    if not abandoned:
        d = d.drop(columns=["abandoned"])
    p = tmp_path / ("calls.csv" if abandoned else "calls_no_abandoned.csv")
    d.to_csv(p, index=False)
    return p


def test_estimated_patience_needs_abandoned_and_is_reported(tmp_path):
    from wfm.history import load_history

    cfg = _cfg(model="erlang_a", patience_s="estimate")
    without = load_history(_history_with_abandons(tmp_path, abandoned=False))
    with pytest.raises(ConfigError, match="staffing.patience_s: 'estimate' needs an 'abandoned' column"):
        staffing_kwargs(cfg, without)
    h = load_history(_history_with_abandons(tmp_path))
    info: dict = {}
    kw = staffing_kwargs(cfg, h, info=info)
    est = info["patience_s"]
    assert set(est) == {"sales", "service"} and all(0 < v < 3600 for v in est.values())
    assert {o.patience_s for o in kw["queue_options"].values()} == set(est.values())
    assert [r["queue"] for r in info["patience_estimate"]] == ["sales", "service"]
    json.dumps(info)  # what run_pipeline writes to summary.json


# ----------------------------------------------------------------------------------------- command line


@pytest.mark.parametrize("cmd", ["staff", "patience", "tradeoff"])
def test_new_commands_have_help_with_example(cmd):
    r = runner.invoke(app, [cmd, "--help"], terminal_width=200)
    assert r.exit_code == 0 and "Example:" in r.output


def test_staff_command_with_erlang_a_and_patience(tmp_path):
    fc_file = tmp_path / "forecast.csv"
    _forecast(1).to_csv(fc_file, index=False)
    out = tmp_path / "req" / "requirements.csv"
    r = runner.invoke(app, ["staff", "--forecast", str(fc_file), "--out", str(out), "--model", "erlang_a",
                            "--patience", "120"], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "Erlang A, patience 120 s" in r.output
    req = pd.read_csv(out)
    assert req["abandon_rate"].notna().all() and req["abandon_rate"].between(0, 1).all()
    c = tmp_path / "c.csv"
    assert runner.invoke(app, ["staff", "--forecast", str(fc_file), "--out", str(c)]).exit_code == 0
    assert (req["agents"] <= pd.read_csv(c)["agents"]).all()


def test_staff_command_errors_are_one_clean_line(tmp_path):
    fc_file = tmp_path / "forecast.csv"
    _forecast(1).to_csv(fc_file, index=False)
    out = tmp_path / "requirements.csv"
    for args, words in (
        (["--patience", "estimate", "--model", "erlang_a"], "--patience estimate needs --history"),
        (["--max-abandon", "0.1"], "staffing.max_abandon"),
        (["--model", "erlang_x"], "staffing.model"),
        (["--patience", "-3"], "--patience -3"),
    ):
        r = runner.invoke(app, ["staff", "--forecast", str(fc_file), "--out", str(out), *args], terminal_width=200)
        assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output, (args, r.output)
        assert not out.exists()


def test_tradeoff_command_writes_csv_with_rising_service(tmp_path):
    out = tmp_path / "t" / "tradeoff.csv"
    r = runner.invoke(app, ["tradeoff", "--calls", "120", "--aht", "300", "--agents", "42:55", "--hourly-cost", "50",
                            "--out", str(out)], terminal_width=200)
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert df["agents"].tolist() == list(range(42, 56))
    assert (np.diff(df["service_level"]) > 0).all()
    assert (df["cost_per_hour"] == 50 * df["agents"]).all()
    assert "answered in 20 s" in r.output
    png = tmp_path / "tradeoff.png"
    r = runner.invoke(app, ["tradeoff", "--calls", "120", "--aht", "300", "--agents", "35:50", "--patience", "90",
                            "--out", str(png)])
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = runner.invoke(app, ["tradeoff", "--calls", "1", "--aht", "300", "--agents", "9:3", "--out", str(out)])
    assert bad.exit_code == 2 and "LO:HI" in bad.output


def test_patience_command(tmp_path):
    r = runner.invoke(app, ["patience", "--history", str(_history_with_abandons(tmp_path))], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "sales" in r.output and "service" in r.output and "Assumption:" in r.output
    r = runner.invoke(app, ["patience", "--history", str(_history_with_abandons(tmp_path, abandoned=False))],
                      terminal_width=200)
    assert r.exit_code == 2 and "'abandoned' column" in r.output and "Traceback" not in r.output

"""Intraday re-forecast: today's calls so far update the rest of the day (checked by simulation of the model it
assumes), what the history says about carry-over (checked on histories built with known carry-over), the US
bank's afternoons, and the command."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri
from typer.testing import CliRunner

from wfm.cli import app
from wfm.errors import InputError
from wfm.forecast import FORECAST_COLUMNS, forecast, learn_carryover, reforecast
from wfm.history import load_history, validate_history

runner = CliRunner()
DAY = pd.Timestamp("2024-03-05")  # a Tuesday
Z80 = float(ndtri(0.9))


def day_forecast(per_interval: float, day_cv: float, intervals: int = 28, days: int = 2) -> pd.DataFrame:
    """A forecast of half-hours from 08:00 averaging ``per_interval`` calls (a day's shape: busier late morning),
    whose 80% intervals hold a day-level coefficient of variation ``day_cv`` and Poisson noise (the calendar
    model's construction)."""
    shape = 1 + 0.5 * np.sin(np.linspace(0, np.pi, intervals))
    mu = per_interval * shape / shape.mean()
    rows = []
    for d in range(days):
        t = DAY + pd.Timedelta(days=d, hours=8) + pd.to_timedelta(np.arange(intervals) * 30, unit="min")
        sd = np.sqrt(mu**2 * day_cv**2 + mu)
        rows.append(pd.DataFrame({"queue": "q", "interval_start": t, "offered": mu,
                                  "offered_lo": np.maximum(mu - Z80 * sd, 0.0), "offered_hi": mu + Z80 * sd,
                                  "aht_s": 240.0, "is_holiday": False}))
    return pd.concat(rows, ignore_index=True)


def simulate(per_interval, day_cv, days=400, cut=10, seed=1):
    """Days drawn from the model the update assumes (one log-normal level for the whole day, Poisson counts):
    the rest of each day as forecast blind and re-forecast after ``cut`` intervals, with its actual calls."""
    rng = np.random.default_rng(seed)
    fc = day_forecast(per_interval, day_cv, days=1)
    as_of = fc["interval_start"].iloc[cut]
    mu = fc["offered"].to_numpy()
    blind, re, act, lo, hi, raw = [], [], [], [], [], []
    for _ in range(days):
        level = np.exp(rng.normal(-0.5 * day_cv**2, day_cv))
        counts = rng.poisson(mu * level)
        calls = fc[["queue", "interval_start"]].iloc[:cut].assign(offered=counts[:cut])
        r = reforecast(fc, calls, as_of, interval_minutes=30)
        blind.append(mu[cut:])
        re.append(r["offered"].to_numpy())
        lo.append(r["offered_lo"].to_numpy())
        hi.append(r["offered_hi"].to_numpy())
        act.append(counts[cut:])
        raw.append(mu[cut:] * counts[:cut].sum() / mu[:cut].sum())  # the morning's ratio, unshrunk
    return tuple(np.array(a) for a in (blind, re, act, lo, hi, raw))


def test_the_rest_of_a_day_is_scaled_by_its_morning_when_volumes_are_large():
    fc = day_forecast(200.0, 0.2)
    calls = fc[["queue", "interval_start"]].iloc[:10].assign(offered=1.3 * fc["offered"].iloc[:10])  # 30% above
    r = reforecast(fc, calls, interval_minutes=30)
    u = r.attrs["reforecast"][0]
    assert r["interval_start"].min() == fc["interval_start"].iloc[10]  # the forecast from the end of the calls on
    assert list(r.columns) == FORECAST_COLUMNS
    old = fc.set_index("interval_start").loc[r["interval_start"]].reset_index()
    today = (r["interval_start"].dt.normalize() == DAY).to_numpy()
    # about 2,000 calls of signal against a prior cv of 20%: almost the whole 30% carries to the afternoon
    scale = r["offered"].to_numpy() / old["offered"].to_numpy()
    assert np.allclose(scale[today], u.ratio) and 1.27 < u.ratio < 1.30
    assert u.observed == pytest.approx(1.3 * u.forecast) and u.intervals == 10
    # no history: the next day is left as forecast, and its interval too
    assert (scale[~today] == 1).all() and (r["offered_hi"].to_numpy()[~today] == old["offered_hi"].to_numpy()[~today]).all()
    # the rest of today's interval is narrower, relative to its mean: most of the day's uncertainty is resolved
    width = (r["offered_hi"] - r["offered_lo"]) / r["offered"]
    assert (width.to_numpy()[today] < ((old["offered_hi"] - old["offered_lo"]) / old["offered"]).to_numpy()[today]).all()


def test_on_its_own_model_the_update_beats_the_blind_forecast_and_the_raw_ratio():
    # few calls and a confident forecast: the morning's ratio is mostly noise, and must be shrunk
    blind, re, act, lo, hi, raw = simulate(per_interval=3.0, day_cv=0.1)

    def mse(f):
        return float(np.mean((f.sum(axis=1) - act.sum(axis=1)) ** 2))

    assert mse(re) < mse(blind) < mse(raw)
    # many calls and an unsure forecast: the morning is signal, and the update cuts the error by more than half
    blind, re, act, lo, hi, raw = simulate(per_interval=150.0, day_cv=0.2)
    assert mse(re) < 0.5 * mse(blind)
    # its 80% intervals for the rest of the day hold their coverage
    inside = ((act >= lo) & (act <= hi)).mean()
    assert 0.74 < inside < 0.86, inside


def history(days_level, morning_level=None, start="2023-01-02", per_hour=60.0, seed=0) -> pd.DataFrame:
    """Hourly calls 08:00-20:00 for each day, Poisson around ``per_hour x level``; ``morning_level`` (if given)
    multiplies 08:00-12:00 instead of the day's level."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, lv in enumerate(days_level):
        d = pd.Timestamp(start) + pd.Timedelta(days=i)
        for hour in range(8, 20):
            m = morning_level[i] if morning_level is not None and hour < 12 else lv
            rows.append({"queue": "q", "interval_start": d + pd.Timedelta(hours=hour),
                         "offered": rng.poisson(per_hour * m)})
    return pd.DataFrame(rows)


def test_carryover_is_learned_from_how_the_history_behaved():
    rng = np.random.default_rng(7)
    n = 240
    one = np.exp(rng.normal(0, 0.2, n))  # independent days, the whole day moving as one
    co = learn_carryover(validate_history(history(one), interval_minutes=60), "12:00", country="US")["q"]
    assert co.days > 150 and co.within_day > 0.8 and max(co.later_days) < 0.2
    # morning and afternoon independent: the morning says nothing about the rest
    co = learn_carryover(validate_history(history(one, np.exp(rng.normal(0, 0.2, n))), interval_minutes=60),
                         "12:00", country="US")["q"]
    assert co.within_day < 0.2
    # days that follow each other (AR(1), 0.7 a day): a morning's surprise carries into the next days, fading
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.7 * e[i - 1] + rng.normal(0, 0.15)
    co = learn_carryover(validate_history(history(np.exp(e)), interval_minutes=60), "12:00", country="US")["q"]
    assert 0.35 < co.later_days[0] < 0.9 and co.later_days[3] < co.later_days[0]


def test_re_forecasting_the_us_bank_at_noon_cuts_the_afternoon_error(shared_dir):
    bank = load_history(shared_dir / "data" / "bank_calls_5min.csv").frame
    act = bank.set_index("interval_start")["offered"]
    err = {"blind": 0.0, "re": 0.0}
    total = 0.0
    days = bank["interval_start"].dt.normalize().unique()
    for origin in [d for d in days if d.day_of_week == 0][-9:-1]:  # bench/reforecast_bank.py's 8 weekly origins
        h = validate_history(bank[bank["interval_start"] < origin], interval_minutes=5)
        fc = forecast(h, weeks=1, start=origin, country="US", default_aht_s=300)
        co = learn_carryover(h, "12:00", country="US")
        for d in fc["interval_start"].dt.normalize().unique():
            noon = d + pd.Timedelta(hours=12)
            calls = bank[(bank["interval_start"] >= d) & (bank["interval_start"] < noon)]
            if calls.empty:
                continue  # a day the bank's file does not hold
            r = reforecast(fc, calls, noon, carryover=co, interval_minutes=5)
            r = r[r["interval_start"].dt.normalize() == d]
            a = act.reindex(r["interval_start"]).to_numpy()
            b = fc.set_index("interval_start")["offered"].reindex(r["interval_start"]).to_numpy()
            err["blind"] += np.abs(b - a).sum()
            err["re"] += np.abs(r["offered"].to_numpy() - a).sum()
            total += a.sum()
    assert err["re"] < 0.95 * err["blind"], {k: v / total for k, v in err.items()}


def test_a_forecast_that_does_not_cover_today_is_refused():
    fc = day_forecast(10.0, 0.1)
    calls = pd.DataFrame({"queue": ["q"], "interval_start": [DAY + pd.Timedelta(days=9, hours=8)], "offered": [5]})
    with pytest.raises(InputError, match="no intervals on 2024-03-14"):
        reforecast(fc, calls, interval_minutes=30)


@pytest.fixture(scope="module")
def centre_forecast(small_centre, tmp_path_factory):
    """The small centre's one-week forecast by `wfm forecast`: (its file, the frame, its first day, that day's
    intervals before 11:00)."""
    fc_file = tmp_path_factory.mktemp("reforecast") / "forecast.csv"
    r = runner.invoke(app, ["forecast", "-H", str(small_centre / "calls.csv"), "-c", str(small_centre / "center.yaml"),
                            "--weeks", "1", "-o", str(fc_file)])
    assert r.exit_code == 0, r.output
    fc = pd.read_csv(fc_file, parse_dates=["interval_start"])
    day = fc["interval_start"].dt.normalize().min()
    return fc_file, fc, day, fc[(fc["interval_start"] >= day) & (fc["interval_start"] < day + pd.Timedelta(hours=11))]


def test_the_command_writes_a_forecast_staffing_runs_on(small_centre, centre_forecast, tmp_path, monkeypatch):
    monkeypatch.chdir(small_centre)
    fc_file, fc, day, today = centre_forecast
    calls = today[["queue", "interval_start"]].assign(offered=(today["offered"] * 1.2).round())
    calls.to_csv(tmp_path / "today.csv", index=False)
    out = tmp_path / "re.csv"
    args = ["reforecast", "-f", str(fc_file), "--calls", str(tmp_path / "today.csv"), "-H", "calls.csv",
            "-c", "center.yaml", "-o", str(out)]
    r = runner.invoke(app, args, terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "rest of today" in r.output and "learned from" in r.output
    re = pd.read_csv(out, parse_dates=["interval_start"])
    assert list(re.columns) == FORECAST_COLUMNS
    assert re["interval_start"].min() == day + pd.Timedelta(hours=11)
    same = fc.set_index("interval_start")["offered"].reindex(re["interval_start"]).to_numpy()
    first = re["interval_start"].dt.normalize() == day
    assert (re["offered"].to_numpy()[first] > same[first]).all()  # a busy morning raises the afternoon
    r = runner.invoke(app, ["staff", "-f", str(out), "-c", "center.yaml", "-o", str(tmp_path / "req.csv")])
    assert r.exit_code == 0, r.output
    # a bad --as-of: one line, exit 2, the earlier output untouched
    before = out.read_bytes()
    r = runner.invoke(app, [*args, "--as-of", "noon"], terminal_width=200)
    assert r.exit_code == 2 and "--as-of noon" in r.output and len(r.output.strip().splitlines()) == 1
    assert out.read_bytes() == before


def test_calls_at_another_interval_or_of_other_queues_are_one_clear_line(small_centre, centre_forecast, tmp_path,
                                                                          monkeypatch):
    monkeypatch.chdir(small_centre)
    fc_file, _, _, morning = centre_forecast
    hourly = morning.groupby(["queue", morning["interval_start"].dt.floor("60min")])["offered"].sum().reset_index()
    hourly.to_csv(tmp_path / "hourly.csv", index=False)
    morning[["queue", "interval_start", "offered"]].assign(queue="chat").to_csv(tmp_path / "chat.csv", index=False)
    for name, says in (("hourly.csv", "60-minute intervals and the forecast in 30-minute"),
                       ("chat.csv", "no queue of the calls ('chat') is in the forecast")):
        out = tmp_path / f"re-{name}"
        r = runner.invoke(app, ["reforecast", "-f", str(fc_file), "--calls", str(tmp_path / name), "-c", "center.yaml",
                                "-o", str(out)], terminal_width=200)
        assert r.exit_code == 2 and says in r.output and len(r.output.strip().splitlines()) == 1, r.output
        assert not out.exists()

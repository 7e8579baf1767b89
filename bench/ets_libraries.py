"""ETS libraries side by side: statsforecast's AutoETS against the statsmodels ETSModel that wfm's 'ets' model uses.

What wfm does (wfm.forecast.daily.EtsDailyModel.fit): the daily totals of the open weekdays only, holiday /
make-up / missing days replaced by their "ordinary" estimate, on the log1p scale, fitted by statsmodels'
``ETSModel(error="add", trend="add", damped_trend=True, seasonal="add", seasonal_periods=P).fit(maxiter=200)``
with P = the number of open weekdays (5 for the US bank, 6 for the Israeli bank, 7 for a 7-day centre); holiday
factors and the intraday split are applied around it. In ETS notation that is A,Ad,A: statsforecast
``AutoETS(model="AAA", damped=True, season_length=P)``. This bench swaps the fitting library *inside* wfm's own
pipeline (a stand-in for ``ETSModel`` is put into statsmodels' module for the duration of a fit, so the very
same series is fitted and the same holiday factors and intraday profiles are used), and compares:

1. Accuracy, rolling origin as bench/forecast_accuracy.py (bank: 8 Monday origins) and
   bench/forecast_small_centre.py (Israeli bank: 12 Sunday origins), one week ahead each: WAPE of daily totals
   and of intervals for wfm-ets with statsmodels (the baseline), with statsforecast A,Ad,A, with statsforecast
   AutoETS (automatic choice of form, AICc), and seasonal naive (same weekday / interval one week earlier;
   2 or 3 weeks when that day is missing). Ratios are against the statsmodels column of the same run.
2. Speed per series: the ETS fit + forecast alone (on the exact series wfm fitted), and wfm's whole per-queue
   fit + forecast with each library; 200 synthetic queues (bench/many_queues.py's ``synthetic_history``, daily
   totals prepared by wfm's EtsDailyModel, 28 days ahead) in a loop and through the batch API
   ``StatsForecast(models=[...], freq="D", n_jobs=1 / 2)``. statsforecast's import and first call (its
   ETS is C++; numba is only a dependency) are timed apart from the per-series figures.
3. How far the point forecasts differ: mean absolute % difference of the two libraries' forecasts of the
   same form (daily calls), on the real series and the synthetic ones; and the in-sample SSE of each fit (same
   form, additive errors: the lower one's optimiser got closer to the maximum likelihood).

Timings are taken with BLAS limited to one thread (threadpoolctl, a statsforecast dependency), plus rows with
the default threads as wfm runs them: statsmodels' ETS fit is NumPy/SciPy-bound, and with OpenBLAS's default
of one thread per core it was seen to run several times slower whenever the other core was busy. The header
prints the load average and what two processes gain on this machine, to read the figures by.

Data: ../shared/data/bank_calls_5min.csv and ../shared/data/il_bank_1999h1_30min.csv (see shared/README.md).
Needs statsforecast (not a wfm dependency): .venv/bin/pip install statsforecast -c constraints.txt
Run: .venv/bin/python bench/ets_libraries.py   (about 2-3 minutes on 2 cores)
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
BANK = DATA / "bank_calls_5min.csv"
IL = DATA / "il_bank_1999h1_30min.csv"
Z80 = 1.2815515655446004  # normal quantile of 0.9: the 80% interval statsforecast returns, turned into an sd
SYNTH_QUEUES = 200
SYNTH_H = 28  # many_queues.py forecasts 4 weeks
SYNTH_FEW = 50  # AutoETS (ZZZ, many candidate forms) and default-BLAS statsmodels: timed on the first 50 series
SYNTH_WHOLE = 20  # queues run through wfm's whole forecast with each library

FITS: list[dict] = []  # every series wfm's EtsDailyModel handed to the ETS library in this run
AUTO_FORMS: list[str] = []  # the form AutoETS chose, per fit
_REAL_ETS: list = []  # statsmodels' ETSModel while ets_library has put a stand-in in its place


class _SmRecorder:
    """statsmodels' own ETSModel, recording the series wfm fits (for the per-series timings)."""

    def __new__(cls, endog, **kw):
        FITS.append({"y": np.asarray(endog, float), "m": int(kw.get("seasonal_periods") or 1)})
        return _REAL_ETS[0](endog, **kw)


class _SfEts:
    """Stands in for statsmodels' ETSModel inside EtsDailyModel.fit: the same series and form, fitted by
    statsforecast; ``get_prediction`` gives the mean and variance EtsDailyModel.predict reads."""

    auto = False

    def __init__(self, endog, error="add", trend=None, damped_trend=False, seasonal=None, seasonal_periods=None, **kw):
        self.y = np.asarray(endog, float)
        self.m = int(seasonal_periods or 1)
        letter = {None: "N", "add": "A", "mul": "M"}
        self.form = letter[error] + letter[trend] + letter[seasonal]
        self.damped = bool(damped_trend)

    def fit(self, **kw):
        from statsforecast.models import AutoETS

        if self.auto:
            model = AutoETS(season_length=self.m).fit(self.y)
            AUTO_FORMS.append(model.model_["method"])
        else:
            model = AutoETS(season_length=self.m, model=self.form, damped=self.damped).fit(self.y)
        return _SfResult(model)


class _SfAuto(_SfEts):
    auto = True


class _SfResult:
    def __init__(self, model):
        self.model = model

    def get_prediction(self, start, end):
        p = self.model.predict(end - start + 1, level=[80])
        sd = (p["hi-80"] - p["lo-80"]) / (2 * Z80)
        return SimpleNamespace(predicted_mean=p["mean"], forecast_variance=sd**2)


class _RecordOnly:
    """Records the series and fits nothing (to collect the synthetic queues' series as wfm prepares them)."""

    def __init__(self, endog, **kw):
        FITS.append({"y": np.asarray(endog, float), "m": int(kw.get("seasonal_periods") or 1)})

    def fit(self, **kw):
        return None


@contextmanager
def ets_library(cls):
    """While inside, ``from statsmodels.tsa.exponential_smoothing.ets import ETSModel`` (done inside
    EtsDailyModel.fit) gives ``cls``."""
    import statsmodels.tsa.exponential_smoothing.ets as ets_mod

    real = ets_mod.ETSModel
    _REAL_ETS[:] = [real]
    ets_mod.ETSModel = cls
    try:
        yield
    finally:
        ets_mod.ETSModel = real


ENGINES = {"statsmodels": _SmRecorder, "sf A,Ad,A": _SfEts, "sf AutoETS": _SfAuto}


# --- the ETS fit + forecast alone, as wfm calls each library -------------------------------------------------

def sm_fit_forecast(y: np.ndarray, m: int, h: int) -> np.ndarray:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    model = ETSModel(pd.Series(y), error="add", trend="add", damped_trend=True,
                     seasonal="add" if m > 1 else None, seasonal_periods=m if m > 1 else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(disp=False, maxiter=200)
        pr = res.get_prediction(start=len(y), end=len(y) + h - 1)
        mean, _ = np.asarray(pr.predicted_mean, float), np.asarray(pr.forecast_variance, float)
    return mean, float(np.sum(np.asarray(res.resid) ** 2))


def sf_fit_forecast(y: np.ndarray, m: int, h: int, auto: bool = False) -> np.ndarray:
    from statsforecast.models import AutoETS

    model = AutoETS(season_length=m) if auto else AutoETS(season_length=m, model="AAA" if m > 1 else "AAN", damped=True)
    mean = model.fit(y).predict(h, level=[80])["mean"]
    return mean, float(np.sum((y - model.model_["fitted"]) ** 2))


def timed(fn, series: list[dict], h: int, **kw) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Seconds per series, the forecasts (log1p calls) and the in-sample sums of squared errors."""
    secs, out, sse = [], [], []
    for s in series:
        t = time.perf_counter()
        mean, e = fn(s["y"], s["m"], h, **kw)
        secs.append(time.perf_counter() - t)
        out.append(mean)
        sse.append(e)
    return np.array(secs), out, np.array(sse)


def _burn(n: int) -> int:
    s = 0
    for i in range(n):
        s += i * i
    return s


def two_process_speedup(n: int = 6_000_000) -> float:
    """What two processes give on this machine: the same pure-Python work serially and in a Pool(2)."""
    from multiprocessing import Pool

    t = time.perf_counter()
    _burn(n), _burn(n)
    serial = time.perf_counter() - t
    with Pool(2) as pool:
        pool.map(_burn, [10], 2)  # start the workers before timing
        t = time.perf_counter()
        pool.map(_burn, [n, n], 1)
        par = time.perf_counter() - t
    return serial / par


def pct_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """Mean absolute % difference of calls per day (the series are log1p calls)."""
    x, y = np.expm1(np.concatenate(a)), np.expm1(np.concatenate(b))
    return float(np.mean(np.abs(y - x) / np.maximum(np.abs(x), 1e-9)) * 100)


# --- accuracy on the real series ------------------------------------------------------------------------------

def lag_fill(s: pd.Series, idx: pd.DatetimeIndex) -> np.ndarray:
    """Value one week earlier, else two, else three weeks earlier (0 if none)."""
    out = np.full(len(idx), np.nan)
    for w in (7, 14, 21):
        v = s.reindex(idx - pd.Timedelta(days=w)).to_numpy(float)
        out = np.where(np.isnan(out), v, out)
    return np.nan_to_num(out)


def wape(f, a) -> float:
    return float(np.abs(np.asarray(f) - np.asarray(a)).sum() / np.asarray(a).sum())


def backtest(frame: pd.DataFrame, interval: int, origins: list[pd.Timestamp], country: str, aht: float) -> dict:
    from wfm.forecast import ForecastSettings, fit_predict
    from wfm.history import validate_history

    settings = ForecastSettings(country=country, default_aht_s=aht)
    act = frame.set_index("interval_start")["offered"].astype(float)
    day_act = act.groupby(act.index.normalize()).sum()
    out = {name: {"day": [], "iv": [], "secs": []} for name in ENGINES}
    out["naive"] = {"day": [], "iv": []}
    out["actual"] = {"day": [], "iv": []}
    for o in origins:
        end = o + pd.Timedelta(days=7)
        h = validate_history(frame[frame["interval_start"] < o], interval_minutes=interval)
        iv_idx = act.index[(act.index >= o) & (act.index < end)]
        d_idx = day_act.index[(day_act.index >= o) & (day_act.index < end)]
        out["actual"]["iv"].append(act.reindex(iv_idx).to_numpy())
        out["actual"]["day"].append(day_act.reindex(d_idx).to_numpy())
        out["naive"]["iv"].append(lag_fill(act, iv_idx))
        out["naive"]["day"].append(lag_fill(day_act, d_idx))
        for name, cls in ENGINES.items():
            with ets_library(cls):
                t = time.perf_counter()
                fc, _ = fit_predict("ets", h, o, 7, settings)
                out[name]["secs"].append(time.perf_counter() - t)
            f = fc.groupby("interval_start")["offered"].sum()
            out[name]["iv"].append(f.reindex(iv_idx).fillna(0.0).to_numpy())
            out[name]["day"].append(f.groupby(f.index.normalize()).sum().reindex(d_idx).fillna(0.0).to_numpy())
    return {k: {kk: (np.concatenate(vv) if kk != "secs" else np.array(vv)) for kk, vv in v.items()} for k, v in out.items()}


def origins_bank(frame: pd.DataFrame) -> list[pd.Timestamp]:
    days = np.sort(frame["interval_start"].dt.normalize().unique())
    mondays = [pd.Timestamp(d) for d in days if pd.Timestamp(d).day_of_week == 0]
    return mondays[-9:-1]  # as bench/forecast_accuracy.py


def origins_il(frame: pd.DataFrame) -> list[pd.Timestamp]:
    last = frame["interval_start"].max().normalize()
    sundays = [d for d in pd.date_range(frame["interval_start"].min().normalize() + pd.Timedelta(days=35), last,
                                        freq="W-SUN") if d + pd.Timedelta(days=7) <= last + pd.Timedelta(days=1)]
    return sundays[-12:]  # as bench/forecast_small_centre.py


@contextmanager
def blas_threads(n: int | None):
    """BLAS (OpenBLAS) limited to ``n`` threads inside; None: as the process has it (wfm sets nothing)."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n, user_api="blas"):
        yield


def main() -> int:
    if importlib.util.find_spec("statsforecast") is None:
        sys.exit("statsforecast is not installed (it is not a wfm dependency); to run this bench: "
                 ".venv/bin/pip install statsforecast -c constraints.txt")
    missing = [p.name for p in (BANK, IL) if not p.exists()]
    if missing:
        sys.exit(f"data not found beside the project: {', '.join(missing)} (expected in {DATA})")

    import numba
    import statsmodels
    from threadpoolctl import threadpool_info  # a statsforecast dependency

    from wfm.history import load_history

    t = time.perf_counter()
    import statsforecast
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS
    t_import = time.perf_counter() - t
    y0 = np.log1p(1000 * np.tile([1.1, 1.0, 1.0, 0.95, 0.9], 24) * np.exp(np.random.default_rng(1).normal(0, 0.05, 120)))
    t = time.perf_counter()
    AutoETS(season_length=5, model="AAA", damped=True).fit(y0).predict(5, level=[80])
    t_first = time.perf_counter() - t
    t = time.perf_counter()
    AutoETS(season_length=5, model="AAA", damped=True).fit(y0).predict(5, level=[80])
    t_second = time.perf_counter() - t
    tiny = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 120), "ds": np.tile(pd.date_range("2024-01-01", periods=120), 2),
                         "y": np.tile(y0, 2)})
    t = time.perf_counter()
    StatsForecast(models=[AutoETS(season_length=5, model="AAA", damped=True)], freq="D", n_jobs=1).forecast(df=tiny, h=5)
    t_batch_first = time.perf_counter() - t
    blas = ", ".join(f"{i['internal_api']} {i['num_threads']} threads" for i in threadpool_info() if i["user_api"] == "blas")
    print(f"statsforecast {statsforecast.__version__} (numba {numba.__version__}) vs statsmodels "
          f"{statsmodels.__version__}; numpy {np.__version__}, pandas {pd.__version__}; {os.cpu_count()} CPU(s), BLAS: {blas}")
    print(f"this machine now: load average {os.getloadavg()[0]:.2f}; two pure-Python processes run "
          f"{two_process_speedup():.2f}x as fast as one (2.0 = two free cores)")
    print(f"statsforecast one-off costs: import {t_import:.2f} s; first A,Ad,A fit+forecast {t_first * 1e3:.1f} ms, "
          f"second {t_second * 1e3:.1f} ms (first-call overhead {max(t_first - t_second, 0) * 1e3:.1f} ms: its ETS is "
          f"C++, no numba JIT on this path); first StatsForecast.forecast call (2 series) {t_batch_first * 1e3:.0f} ms")
    print("Timings with BLAS limited to 1 thread unless marked 'default BLAS' (wfm sets no limit; see the rows).")

    # 1. accuracy and whole-pipeline time on the two real series
    sets = [("US bank, 5-min, 8 Monday origins", load_history(BANK).frame, 5, origins_bank, "US", 300.0),
            ("IL bank, 30-min, 12 Sunday origins", load_history(IL).frame, 30, origins_il, "IL", 180.0)]
    real_fits = []
    print("\n1. Accuracy, one week ahead, rolling origin; wfm's 'ets' pipeline with each ETS library")
    head = f"{'':38}{'statsmodels':>12}{'sf A,Ad,A':>12}{'sf AutoETS':>12}{'naive':>10}"
    cols = ["statsmodels", "sf A,Ad,A", "sf AutoETS", "naive"]
    for label, frame, interval, origins_of, country, aht in sets:
        FITS.clear()
        AUTO_FORMS.clear()
        with blas_threads(1):
            r = backtest(frame, interval, origins_of(frame), country, aht)
        real_fits.extend(FITS)
        ps = sorted({f["m"] for f in FITS})
        print(f"{label} (ETS season length {', '.join(map(str, ps))}; {len(FITS)} fits):")
        print(head)
        for lvl, name in (("day", "daily totals"), ("iv", f"{interval}-min intervals")):
            w = {c: wape(r[c][lvl], r["actual"][lvl]) for c in cols}
            print(f"  {'WAPE ' + name:36}" + "".join(f"{w[c]:>12.4f}" for c in cols[:3]) + f"{w['naive']:>10.4f}")
            print(f"  {'  ratio to statsmodels':36}" + "".join(f"{w[c] / w['statsmodels']:>12.3f}" for c in cols[:3])
                  + f"{w['naive'] / w['statsmodels']:>10.3f}")
        s = {c: r[c]["secs"].mean() for c in cols[:3]}
        print(f"  {'wfm fit+forecast per queue [s]':36}" + "".join(f"{s[c]:>12.3f}" for c in cols[:3]))
        print(f"  {'  ratio to statsmodels':36}" + "".join(f"{s[c] / s['statsmodels']:>12.3f}" for c in cols[:3]))
        d = {c: float(np.mean(np.abs(r[c]["day"] - r["statsmodels"]["day"]) / r["statsmodels"]["day"].clip(min=1)) * 100)
             for c in cols[1:3]}
        print(f"  daily forecast vs statsmodels, mean |diff|: sf A,Ad,A {d['sf A,Ad,A']:.2f}%, sf AutoETS "
              f"{d['sf AutoETS']:.2f}%")
        forms = pd.Series(AUTO_FORMS).value_counts()
        print("  AutoETS chose: " + ", ".join(f"{k} x{v}" for k, v in forms.items()))

    # 2. + 3. the ETS fit + forecast alone, on the series wfm fitted
    print(f"\n2. Speed of the ETS fit + forecast alone (7 days ahead), per series; the {len(real_fits)} real series "
          "wfm fitted above")
    with blas_threads(1):
        sm_s, sm_f, sm_e = timed(sm_fit_forecast, real_fits, 7)
        sf_s, sf_f, sf_e = timed(sf_fit_forecast, real_fits, 7)
        au_s, _, _ = timed(sf_fit_forecast, real_fits, 7, auto=True)
    smd_s, _, _ = timed(sm_fit_forecast, real_fits, 7)
    print(f"{'':38}{'median [ms]':>12}{'mean [ms]':>12}{'speed-up':>10}")
    for name, s in (("statsmodels ETSModel A,Ad,A", sm_s), ("  the same, default BLAS", smd_s),
                    ("statsforecast AutoETS A,Ad,A", sf_s), ("statsforecast AutoETS ZZZ", au_s)):
        print(f"  {name:36}{np.median(s) * 1e3:>12.1f}{s.mean() * 1e3:>12.1f}{sm_s.mean() / s.mean():>9.1f}x")
    print(f"  default BLAS / 1 thread, statsmodels: {smd_s.mean() / sm_s.mean():.2f}x (a figure well above 1 means "
          "OpenBLAS threads were competing with a busy core)")
    print(f"  point forecasts, statsforecast vs statsmodels (A,Ad,A), mean |diff| of daily calls: {pct_diff(sm_f, sf_f):.2f}%")
    print(f"  in-sample SSE of the fit (same form; lower = the optimiser got further), statsforecast / statsmodels: "
          f"median {np.median(sf_e / sm_e):.4f}, max {np.max(sf_e / sm_e):.4f}")

    # synthetic queues
    sys.path.insert(0, str(ROOT / "bench"))
    from many_queues import synthetic_history

    from wfm.forecast import EtsDailyModel

    t = time.perf_counter()
    hist = synthetic_history(SYNTH_QUEUES)
    day = hist.groupby(["queue", hist["interval_start"].dt.normalize()])["offered"].sum()
    few = hist[hist["queue"].isin(sorted(hist["queue"].unique())[:SYNTH_WHOLE])].reset_index(drop=True)
    del hist
    FITS.clear()
    dates = []
    with ets_library(_RecordOnly):
        for q in sorted(day.index.get_level_values(0).unique()):
            s = day.xs(q)
            s = s.reindex(pd.date_range(s.index[0], s.index[-1], freq="D"))
            dates.append(EtsDailyModel("CN").fit(s).series_dates_)
    synth = list(FITS)
    prep = time.perf_counter() - t
    ms = sorted({f["m"] for f in synth})
    print(f"\n{SYNTH_QUEUES} synthetic queues (bench/many_queues.py, CN, {len(synth[0]['y'])} days, season length "
          f"{', '.join(map(str, ms))}; made and prepared by wfm's EtsDailyModel in {prep:.1f} s), {SYNTH_H} days ahead")
    with blas_threads(1):
        sm_s, sm_f, sm_e = timed(sm_fit_forecast, synth, SYNTH_H)
        sf_s, sf_f, sf_e = timed(sf_fit_forecast, synth, SYNTH_H)
        au_s, _, _ = timed(sf_fit_forecast, synth[:SYNTH_FEW], SYNTH_H, auto=True)
    smd_s, _, _ = timed(sm_fit_forecast, synth[:SYNTH_FEW], SYNTH_H)
    df = pd.concat([pd.DataFrame({"unique_id": f"q{i:03d}", "ds": d, "y": f["y"]}) for i, (f, d) in enumerate(zip(synth, dates))],
                   ignore_index=True)
    if ms != [7]:
        df["ds"] = df.groupby("unique_id").cumcount()  # open weekdays only: an integer step, freq=1
    batch = {}
    for n_jobs in (1, 2):
        sf = StatsForecast(models=[AutoETS(season_length=ms[0], model="AAA", damped=True, alias="ets")],
                           freq="D" if ms == [7] else 1, n_jobs=n_jobs)
        t = time.perf_counter()
        res = sf.forecast(df=df, h=SYNTH_H)
        batch[n_jobs] = time.perf_counter() - t
    same = np.allclose(res.sort_values(["unique_id", "ds"])["ets"].to_numpy(), np.concatenate(sf_f), rtol=1e-9)
    print(f"{'':38}{'per series [ms]':>16}{'200 series [s]':>16}{'speed-up':>10}")
    total = sm_s.sum()
    rows = [("statsmodels ETSModel A,Ad,A, loop", sm_s.mean()),
            (f"  the same, default BLAS ({SYNTH_FEW})", smd_s.mean()),
            ("statsforecast A,Ad,A, loop", sf_s.mean()),
            ("statsforecast A,Ad,A, batch n_jobs=1", batch[1] / SYNTH_QUEUES),
            ("statsforecast A,Ad,A, batch n_jobs=2", batch[2] / SYNTH_QUEUES),
            (f"statsforecast AutoETS ZZZ, loop ({SYNTH_FEW})", au_s.mean())]
    for name, per in rows:
        print(f"  {name:36}{per * 1e3:>16.1f}{per * SYNTH_QUEUES:>16.2f}{total / (per * SYNTH_QUEUES):>9.1f}x")
    print(f"  (rows marked ({SYNTH_FEW}): timed on the first {SYNTH_FEW} series, the 200-series figure extrapolated; "
          "batch n_jobs=2 includes starting its 2 worker processes)")
    print(f"  point forecasts, statsforecast vs statsmodels (A,Ad,A), mean |diff| of daily calls: "
          f"{pct_diff(sm_f, sf_f):.2f}%; batch = loop: {'yes' if same else 'NO'}; in-sample SSE statsforecast / "
          f"statsmodels: median {np.median(sf_e / sm_e):.4f}, max {np.max(sf_e / sm_e):.4f}")

    # wfm's whole forecast per queue (wfm.forecast.forecast, model 'ets', 4 weeks) with each library
    from wfm.forecast import forecast
    from wfm.history import validate_history

    h20 = validate_history(few, source="synthetic", interval_minutes=30)
    secs, out = {}, {}
    for name, lib, threads in (("statsmodels", "statsmodels", 1), ("statsmodels, default BLAS", "statsmodels", None),
                               ("statsforecast A,Ad,A", "sf A,Ad,A", 1)):
        with ets_library(ENGINES[lib]), blas_threads(threads):
            t = time.perf_counter()
            out[name] = forecast(h20, weeks=4, country="CN", model="ets")
            secs[name] = (time.perf_counter() - t) / SYNTH_WHOLE
    a, b = out["statsmodels"]["offered"].to_numpy(), out["statsforecast A,Ad,A"]["offered"].to_numpy()
    print(f"\nwfm.forecast.forecast(model='ets', weeks=4) on {SYNTH_WHOLE} of the synthetic queues, whole forecast:")
    print(f"{'':38}{'per queue [s]':>14}{'1,000 queues [min]':>20}{'ratio':>8}")
    for name, v in secs.items():
        print(f"  {name:36}{v:>14.3f}{v * 1000 / 60:>20.1f}{v / secs['statsmodels']:>8.2f}")
    print(f"  interval forecasts, statsforecast vs statsmodels: sum |diff| / sum = {np.abs(b - a).sum() / a.sum() * 100:.2f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Hostile configs and command-line options: one clear line, exit 2, nothing read or written changed."""

import matplotlib.colors as mcolors
import pandas as pd
import pytest
from typer.testing import CliRunner

from wfm.cli import app
from wfm.config import load_config, parse_config
from wfm.errors import ConfigError, WfmError

from hostile import refused_cli

runner = CliRunner()


def _refused(args, inputs=(), outputs=()):
    return refused_cli(args, inputs, outputs, width=100)


@pytest.fixture(scope="module")
def history(demo_history_csv):
    return demo_history_csv("2026-06-01", "2026-07-26")


def _forecast_with(cfg_path, history, tmp_path, *extra):
    """``wfm forecast`` refusing its config or options, with an earlier forecast in place."""
    out = tmp_path / "fc.csv"
    out.write_text("earlier forecast\n")
    line = _refused(["forecast", "-H", history, "-o", out, *(["-c", cfg_path] if cfg_path else []), *extra],
                    inputs=[history, *([cfg_path] if cfg_path else [])], outputs=[out])
    assert not out.with_suffix(".png").exists()
    return line


# (config text, words the one line must hold)
BAD_CONFIGS = {
    "duplicate_top_key": ("site:\n  name: a\nforecast:\n  weeks: 2\nsite:\n  name: b\n",
                          ["line 5: key 'site' appears twice (first on line 1)"]),
    "duplicate_nested_key": ("site:\n  name: a\nforecast:\n  weeks: 2\n  model: calendar\n  weeks: 3\n",
                             ["line 6: key 'weeks' appears twice (first on line 4)"]),
    "duplicate_in_flow_mapping": ("forecast: {weeks: 1, weeks: 2}\n", ["line 1: key 'weeks' appears twice"]),
    "section_is_list": ("site:\n  name: a\nforecast:\n  - weeks\n  - 2\n",
                        ["line 3: section 'forecast' must be a mapping of keys, found a list"]),
    "section_is_string": ("forecast: four weeks\n", ["line 1: section 'forecast' must be a mapping of keys, found a string"]),
    "nested_section_is_list": ("staffing:\n  queues:\n    chat: [chat, 3]\n",
                               ["line 3: section 'staffing.queues.chat' must be a mapping of keys, found a list"]),
    "top_level_list": ("- forecast\n- site\n", ["line 1", "mapping of keys", "found a list"]),
    "yaml_syntax": ("forecast:\n  weeks: [1, 2\nsite: {}\n", ["not valid YAML", "line 3, column", "flow sequence on line 2"]),
    "python_tag": ("site: !!python/object/apply:os.system ['echo owned']\n", ["line 1, column 7", "python/object", "refused"]),
    "impossible_start": ("forecast:\n  start: 2026-13-45\n", ["line 2: key 'forecast.start'", "YYYY-MM-DD", "2026-13-45"]),
    "unknown_model": ("forecast:\n  model: prophet\n",
                      ["key 'forecast.model'", "'prophet' must be one of calendar, ets, mstl, seasonal_naive, auto"]),
    "timezone_mars": ("site:\n  timezone: Mars/Base\n", ["line 2: key 'site.timezone'", "Mars/Base"]),
    "date_format_no_day": ("site:\n  date_format: '%m/%Y %H:%M'\n", ["key 'site.date_format'", "%d"]),
    "date_format_word": ("site:\n  date_format: european\n", ["key 'site.date_format'", "dayfirst"]),
    "empty_file": ("# nothing here yet\n", ["empty"]),
    "control_characters_in_key": ('site:\n  "na\\nme\\x1b[31m": x\n', ["line 2: key 'site.na\\nme\\x1b[31m': unknown key"]),
    "several_problems": ("forecast:\n  weeks: 99\nstaffing:\n  sl_target: 2\n",
                         ["line 2: key 'forecast.weeks'", "and 1 more problem"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_one_line_with_line_number(case, history, tmp_path):
    text, words = BAD_CONFIGS[case]
    cfg = tmp_path / "center.yaml"
    cfg.write_text(text, encoding="utf-8")
    line = _forecast_with(cfg, history, tmp_path)
    assert str(cfg) in line
    for w in words:
        assert w in line, line
    assert not any(ln.strip().startswith("^") for ln in line.splitlines())


def test_toml_syntax_error_one_line(history, tmp_path):
    cfg = tmp_path / "center.toml"
    cfg.write_text('[forecast]\nweeks = 2\nmodel = \n')
    line = _forecast_with(cfg, history, tmp_path)
    assert f"{cfg}, line 3, column" in line and "not valid TOML" in line


def test_cp1252_config_names_line_and_utf8(history, tmp_path):
    cfg = tmp_path / "center.yaml"
    cfg.write_bytes("site:\n  name: Café Centrale\n".encode("cp1252"))
    line = _forecast_with(cfg, history, tmp_path)
    assert f"{cfg}, line 2" in line and "UTF-8" in line and "re-save" in line


def test_utf8_bom_config_accepted(tmp_path):
    cfg = tmp_path / "center.yaml"
    cfg.write_bytes(b"\xef\xbb\xbf" + "site:\n  name: Café\nforecast:\n  weeks: 3\n".encode())
    c = load_config(cfg)
    assert c.site.name == "Café" and c.forecast.weeks == 3


def test_deep_nesting_is_one_config_error(history, tmp_path):
    cfg = tmp_path / "deep.yaml"
    cfg.write_text("forecast: " + "[" * 20000 + "\n")
    line = _forecast_with(cfg, history, tmp_path)
    assert "nested too deeply" in line


def test_deep_nesting_toml(tmp_path):
    cfg = tmp_path / "deep.toml"
    cfg.write_text("a = " + "[" * 20000 + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_config(cfg)


def test_alias_bomb_refused_cleanly(tmp_path):
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    cfg = tmp_path / "bomb.yaml"
    cfg.write_text("\n".join(rows) + "\nforecast:\n  opening_hours: *i\nschedule:\n  tours:\n    templates: *i\n")
    with pytest.raises(ConfigError) as e:
        load_config(cfg)
    msg = str(e.value)
    assert "\n" not in msg and str(cfg) in msg and "more problems" in msg


def test_folder_as_config(history, tmp_path):
    folder = tmp_path / "conf"
    folder.mkdir()
    out = tmp_path / "fc.csv"
    line = _refused(["forecast", "-H", history, "-o", out, "-c", folder], inputs=[history])
    assert str(folder) in line and "folder" in line and not out.exists()


def test_yaml_merge_keys_may_override(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("forecast:\n  <<: {weeks: 2, profile_weeks: 4}\n  weeks: 3\n")
    c = load_config(cfg)
    assert c.forecast.weeks == 3 and c.forecast.profile_weeks == 4


@pytest.mark.parametrize("model", ["ets", "mstl", "seasonal_naive", "auto"])
def test_registry_models_accepted(model, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"forecast:\n  model: {model}\n")
    assert load_config(cfg).forecast.model == model


@pytest.mark.parametrize("fmt", ["dayfirst", "monthfirst", "%d/%m/%Y %H:%M", "%m-%d-%y %I:%M %p"])
def test_date_format_accepted(fmt, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"site:\n  date_format: '{fmt}'\n  timezone: Asia/Shanghai\n")
    c = load_config(cfg)
    assert c.site.date_format == fmt and c.site.timezone == "Asia/Shanghai"


def test_unquoted_date_and_empty_section(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("site:\nforecast:\n  start: 2026-08-03\n")
    c = load_config(cfg)
    assert c.forecast.start == "2026-08-03" and c.site.country == "CN" and c.schedule is None


def test_require_names_the_file_and_section():
    c = parse_config({"forecast": {"weeks": 2}}, source="center.yaml")
    assert c.schedule is None
    with pytest.raises(ConfigError, match=r"^center.yaml: this command needs a 'schedule' section"):
        c.require("schedule")
    assert c.require("forecast").weeks == 2


def test_forecast_only_config_runs_forecast_with_ets(history, tmp_path):
    cfg = tmp_path / "fc_only.yaml"
    cfg.write_text("site:\n  country: CN\nforecast:\n  weeks: 1\n  model: ets\n")
    out = tmp_path / "out" / "fc.csv"
    r = runner.invoke(app, ["forecast", "-H", str(history), "-c", str(cfg), "-o", str(out)])
    assert r.exit_code == 0, r.output
    fc = pd.read_csv(out, parse_dates=["interval_start"])
    assert fc["interval_start"].min().normalize() == pd.Timestamp("2026-07-27")
    assert fc["interval_start"].max() < pd.Timestamp("2026-08-03") and set(fc["queue"]) == {"sales", "service"}


@pytest.mark.parametrize("command", ["schedule", "roster", "validate"])
def test_forecast_only_config_refused_where_schedule_is_needed(command, tmp_path):
    cfg = tmp_path / "fc_only.yaml"
    cfg.write_text("site:\n  country: CN\nforecast:\n  weeks: 1\n")
    req = tmp_path / "in.csv"
    req.write_text("queue,interval_start,scheduled_required\nq,2026-08-03 08:00,2\n")
    out = tmp_path / "sched"
    args = {"schedule": ["-r", req, "-o", out], "roster": ["-s", req, "-a", req, "-o", out],
            "validate": ["-r", req, "-a", req]}[command]
    line = _refused([command, *args, "-c", cfg], inputs=[cfg, req])
    assert f"{cfg}: this command needs a 'schedule' section (see docs/config.md)" in line and not out.exists()


@pytest.mark.parametrize("weeks", ["0", "-2", "260", "5000"])
def test_forecast_weeks_checked_like_the_config(weeks, history, tmp_path):
    line = _forecast_with(None, history, tmp_path, f"--weeks={weeks}")
    assert line.endswith(f"--weeks {weeks}: must be between 1 and 52 (forecast.weeks)")


@pytest.mark.parametrize("start, words", [
    ("2026-02-30", "--start 2026-02-30: must be a real date written YYYY-MM-DD (forecast.start)"),
    ("2026-07-20", "--start 2026-07-20: must be after the history's last day (2026-07-26)"),
    ("2028-01-03", "--start 2028-01-03: more than 52 weeks after the history's last day (2026-07-26)"),
])
def test_forecast_start_checked(start, words, history, tmp_path):
    assert words in _forecast_with(None, history, tmp_path, "--start", start)


@pytest.mark.parametrize("minutes", ["0", "45", "-30"])
def test_forecast_aggregate_checked(minutes, history, tmp_path):
    line = _forecast_with(None, history, tmp_path, f"--aggregate={minutes}")
    assert f"--aggregate {minutes}: must be 10, 15, 30 or 60" in line


@pytest.mark.parametrize("args, words", [
    (["--origins", "0"], "--origins 0: must be between 1 and"),
    (["--origins", "100000"], "--origins 100000: must be between 1 and"),
    (["--weeks", "0"], "--weeks 0: must be between 1 and 52 (forecast.weeks)"),
    (["--weeks", "53"], "--weeks 53: must be between 1 and 52 (forecast.weeks)"),
])
def test_backtest_options_checked(args, words, history, tmp_path):
    out = tmp_path / "bt"
    assert words in _refused(["backtest", "-H", history, "-o", out, *args], inputs=[history])
    assert not out.exists()


def test_backtest_passes_events_and_outlier_setting(history, tmp_path, monkeypatch):
    import wfm.forecast

    events = tmp_path / "events.csv"
    events.write_text("date,name,effect\n2026-07-01,promo,1.5\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"forecast:\n  events_file: {events}\n  clean_outliers: false\n")
    seen = {}

    def fake_backtest(h, **kw):
        seen.update(kw)
        raise WfmError("stop here")

    monkeypatch.setattr(wfm.forecast, "backtest", fake_backtest)
    _refused(["backtest", "-H", history, "-c", cfg, "-o", tmp_path / "bt"], inputs=[history, cfg, events])
    settings = seen["settings"]  # one ForecastSettings carries the config's forecast settings
    assert settings.clean_outliers is False
    assert list(settings.events["name"]) == ["promo"] and settings.events["effect"].iloc[0] == 1.5


@pytest.mark.parametrize("args, words", [
    (["--volume=-150%"], "--volume -150%: must be a change above -100%"),
    (["--aht=-100%"], "--aht -100%: must be a change above -100%"),
    (["--volume=nan%"], "--volume nan%: must be a change above -100%"),
    (["--sl", "1.5/20"], "--sl 1.5/20: must be > 0 and < 1 (staffing.sl_target)"),
    (["--sl", "0.9/-5"], "--sl 0.9/-5: must be >= 0 (staffing.sl_seconds)"),
    (["--shrinkage", "1"], "must be >= 0 and < 1 (staffing.shrinkage)"),
])
def test_whatif_options_checked(args, words, tmp_path):
    run = tmp_path / "schedules" / "base"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text("forecast: {weeks: 1}\n")
    line = _refused(["whatif", "--run", run, *args], inputs=[run / "config.yaml"])
    assert words in line
    assert sorted(p.name for p in tmp_path.joinpath("schedules").iterdir()) == ["base"]


def test_plot_backtest_draws_every_model_in_its_own_colour():
    import matplotlib.pyplot as plt

    from wfm.forecast import MODELS, BacktestResult, plot_backtest

    t = pd.date_range("2026-07-20", periods=96, freq="15min")
    parts = []
    for k, name in enumerate(sorted(MODELS)):
        for q in ("sales", "service"):
            parts.append(pd.DataFrame({"model": name, "queue": q, "origin": t[0], "interval_start": t,
                                       "offered": 5.0 + k, "offered_lo": 4.0, "offered_hi": 9.0, "actual": 5.0,
                                       "horizon_day": 1}))
    fig = plot_backtest(BacktestResult(intervals=pd.concat(parts, ignore_index=True), metrics=pd.DataFrame(),
                                       by_day=pd.DataFrame()))
    try:
        for ax in fig.axes:
            lines = {ln.get_label(): ln for ln in ax.get_lines()}
            assert set(lines) == {"actual", *MODELS}
            colours = {mcolors.to_hex(ln.get_color()) for name, ln in lines.items() if name != "actual"}
            assert len(colours) == len(MODELS)
            assert lines["seasonal_naive"].get_linestyle() == "--"
    finally:
        plt.close(fig)

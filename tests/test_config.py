import pytest

from wfm.config import load_config
from wfm.errors import ConfigError


def test_demo_config_loads():
    cfg = load_config(None)
    assert cfg.site.country == "CN" and cfg.interval_minutes == 15
    ft = cfg.schedule.templates[0]
    assert ft.paid_h == pytest.approx(8.0)  # 9 h with a 1 h unpaid meal break


@pytest.mark.parametrize(
    "text, key",
    [
        ("interval_minutes: 7\nschedule: {templates: [{name: a, length_h: 8}]}\n", "interval_minutes"),
        ("schedule: {templates: [{name: a, length_h: 8}]}\nstaffing: {sl_target: 1.5}\n", "staffing.sl_target"),
        ("schedule: {templates: [{name: a, length_h: 8}]}\nstafing: {}\n", "stafing"),
        ("schedule: {templates: []}\n", "schedule.templates"),
        ("schedule: {templates: [{name: a, length_h: 4, break: {minutes: 60, earliest_start_h: 3, latest_start_h: 3.5}}]}\n", "schedule.templates.0"),
        ("schedule: {start_step_min: 7, templates: [{name: a, length_h: 8}]}\n", "schedule.start_step_min"),
    ],
)
def test_bad_config_names_the_key(tmp_path, text, key):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert f"key '{key}'" in str(e.value) and str(p) in str(e.value)


def test_bad_yaml_and_missing_file(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("schedule: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(p)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "none.yaml")


def test_toml_config(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('interval_minutes = 30\n[site]\ncountry = "GB"\n[[schedule.templates]]\nname = "D8"\nlength_h = 8\n')
    cfg = load_config(p)
    assert cfg.interval_minutes == 30 and cfg.site.country == "GB" and cfg.schedule.templates[0].paid_h == 8

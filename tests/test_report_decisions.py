"""The report's decisions panel (wfm.report.decisions): under-staffed windows, unfilled shifts with who could
take them, over-staffing that could be released; checked on hand-made interval frames and on the fixture run,
against the run's own CSVs read independently."""

import numpy as np
import pandas as pd
import pytest

from wfm.report.decisions import OVER_MIN_AGENTS, candidates, over_staffed, under_staffed, windows
from wfm.runs import build_report

from test_report import make_run_dir

T0 = pd.Timestamp("2026-10-05")


def frame(required, rostered, below=None, offered=None, sl=None, queue="q"):
    n = len(required)
    return pd.DataFrame({
        "queue": queue, "interval_start": T0 + pd.to_timedelta(np.arange(n) * 15, unit="min"),
        "required": np.asarray(required, float), "rostered": np.asarray(rostered, float),
        "below_target": np.zeros(n, bool) if below is None else np.asarray(below, bool),
        "offered": np.full(n, 10.0) if offered is None else np.asarray(offered, float),
        "service_level": np.full(n, 0.9) if sl is None else np.asarray(sl, float)})


def test_windows_are_runs_of_consecutive_flagged_intervals_per_queue():
    a = frame([1] * 8, [1] * 8)
    b = frame([1] * 8, [1] * 8, queue="r")
    f = pd.concat([a, b], ignore_index=True)
    mask = np.array([0, 1, 1, 0, 1, 0, 0, 1] + [1, 1, 1, 1, 0, 0, 0, 0], bool)
    got = [(w["queue"], w["start"], w["end"], len(w["rows"])) for w in windows(f, mask, 15)]
    m = pd.Timedelta(minutes=15)
    assert got == [("q", T0 + m, T0 + 3 * m, 2), ("q", T0 + 4 * m, T0 + 5 * m, 1), ("q", T0 + 7 * m, T0 + 8 * m, 1),
                   ("r", T0, T0 + 4 * m, 4)]


def test_under_staffed_window_counts_agents_short_and_weights_service_by_calls():
    # 3 intervals short by 1, 2, 1 agents, with 10, 30, 10 calls at 50%, 70%, 60% service
    f = frame([5, 5, 5, 5, 5], [5, 4, 3, 4, 5], offered=[10, 10, 30, 10, 10], sl=[0.9, 0.5, 0.7, 0.6, 0.9])
    (w,) = under_staffed(f, 15)
    assert (w["start"], w["end"]) == (T0 + pd.Timedelta(minutes=15), T0 + pd.Timedelta(minutes=60))
    assert w["short"] == 2 and w["short_h"] == pytest.approx(4 * 0.25)
    assert w["service"] == pytest.approx((10 * 0.5 + 30 * 0.7 + 10 * 0.6) / 50)
    # a window below the service target with enough agents on the roster is listed too (0 agents short)
    (w,) = under_staffed(frame([5] * 4, [5] * 4, below=[0, 0, 1, 1]), 15)
    assert w["short"] == 0 and w["start"] == T0 + pd.Timedelta(minutes=30)
    assert under_staffed(frame([5] * 4, [6] * 4), 15) == []


def test_over_staffing_needs_enough_agents_for_long_enough_and_is_priced_at_the_rate():
    over = [0, 3, 3, 4, 2, 0, 5, 5, 5, 0]  # a 1 h run (4 intervals), then a 45-min run: too short
    f = frame([5] * 10, [5 + o for o in over])
    got, total_h = over_staffed(f, 15, hourly_rate=40.0)
    assert len(got) == 1
    (w,) = got
    assert w["over"] == 4 and w["over_h"] == pytest.approx((3 + 3 + 4 + 2) * 0.25)
    assert w["cost"] == pytest.approx(w["over_h"] * 40.0)
    assert total_h == pytest.approx(sum(over) * 0.25)
    # one agent above the requirement never makes a window
    assert over_staffed(frame([5] * 8, [5 + OVER_MIN_AGENTS - 1] * 8), 15, 40.0)[0] == []


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    d = make_run_dir(tmp_path_factory.mktemp("dec") / "demo")
    build_report(d)
    return d, (d / "report.html").read_text(encoding="utf-8")


def test_panel_lists_every_unfilled_shift_with_agents_who_could_take_it(fixture_run):
    d, html = fixture_run
    panel = html[html.index('<section id="decisions"'): html.index('<section id="summary">')]
    unfilled = pd.read_csv(d / "unfilled_shifts.csv", parse_dates=["date", "shift_start", "shift_end"])
    assert len(unfilled) and 'class="attention"' in panel and "meets its targets" not in panel
    assert f"Unfilled shifts: {int(unfilled['missing'].sum())} agent-shift" in panel
    roster = pd.read_csv(d / "roster.csv", parse_dates=["date", "shift_start", "shift_end"])
    agents = pd.read_csv(d / "agents.csv", dtype=str, keep_default_na=False)
    for _, u in unfilled.iterrows():
        assert f"{u['shift_start']:%H:%M}–" in panel and f"{u['date']:%a %d %b %Y}" in panel
        names = candidates(u, roster, agents)
        busy = set(roster.loc[roster["date"] == u["date"], "agent_id"])
        skilled = agents[agents["queues"].str.split(";").apply(lambda qs: u["queue"] in qs)]
        # independent: the skilled agents free that day (the fixture has no availability limits or leave),
        # allowed nights where the shift has any time in 22:00-06:00 (the config's night)
        h0 = (u["shift_start"] - u["date"]) / pd.Timedelta(hours=1)
        h1 = (u["shift_end"] - u["date"]) / pd.Timedelta(hours=1)
        night = h0 < 6 or h1 > 22
        free = skilled[~skilled["agent_id"].isin(busy) & (~night | skilled["night_ok"].str.lower().eq("true"))]
        assert sorted(free["name"]) == names


def test_a_night_shift_is_offered_only_to_agents_allowed_nights():
    d = pd.Timestamp("2026-10-07")
    shift = pd.Series({"queue": "q", "date": d, "shift_start": d + pd.Timedelta(hours=22), "shift_end": d + pd.Timedelta(hours=30)})
    ag = pd.DataFrame({"agent_id": ["A1", "A2"], "name": ["Day Only", "Night Owl"], "queues": ["q", "q"],
                       "night_ok": ["False", "True"], "availability": ["", ""], "leave": ["", ""]})
    ros = pd.DataFrame(columns=["agent_id", "date"])
    assert candidates(shift, ros, ag, (22.0, 6.0)) == ["Night Owl"]
    assert candidates(shift, ros, ag) == ["Day Only", "Night Owl"]  # no night window given: not checked
    day = shift.copy()
    day["shift_start"], day["shift_end"] = d + pd.Timedelta(hours=9), d + pd.Timedelta(hours=17)
    assert candidates(day, ros, ag, (22.0, 6.0)) == ["Day Only", "Night Owl"]


def test_a_plan_that_meets_its_targets_says_so():
    from wfm.report.decisions import decisions

    f = frame([5] * 8, [5] * 8)
    unf = pd.DataFrame(columns=["shift_id", "queue", "date", "shift_start", "shift_end", "missing", "is_holiday"])
    got = decisions(f, unf, pd.DataFrame(columns=["agent_id", "date"]), pd.DataFrame(columns=["agent_id", "name", "queues"]), 15, 30.0)
    assert got["ok"] and got["short"] == [] and got["over"] == [] and got["over_h"] == 0


def test_people_table_agrees_with_the_roster_stage_s_agent_summary(demo_run):
    """The roster page's per-agent figures are computed from the run's CSVs; the roster stage computed the same
    ones its own way (agent_summary.csv): both must agree agent by agent."""
    from wfm.calendar import day_calendar, weekend_days
    from wfm.config import load_config
    from wfm.costs import cost_roster
    from wfm.report.sections import people_table
    from wfm.runs import read_run

    base, _ = demo_run
    d = base / "schedules" / "demo"
    run, cfg = read_run(d), load_config(d / "config.yaml")
    cal = day_calendar(pd.date_range(run.roster["date"].min(), run.roster["date"].max()), cfg.site.country)
    people = pd.DataFrame(people_table(run.roster, run.agents, cost_roster(run.roster, run.agents, cfg), cal,
                                       cfg.pay.night_start_h, cfg.pay.night_end_h, weekend_days(cfg.site.country)))
    summ = pd.read_csv(d / "agent_summary.csv", dtype={"agent_id": str}).set_index("agent_id")
    people = people.set_index("agent_id").loc[summ.index]
    for col in ("shifts", "nights", "weekend_shifts", "holiday_shifts", "start_times"):
        assert (people[col].to_numpy() == summ[col].to_numpy()).all(), col
    assert np.allclose(people["paid_hours"], summ["paid_hours"]) and np.allclose(people["overtime_hours"], summ["overtime_hours"])
    assert summ["nights"].sum() > 0 and summ["weekend_shifts"].sum() > 0  # the check is not on zeros


def test_weekend_shifts_follow_the_country_s_weekend():
    """A Friday shift is a weekend shift in Israel (Friday-Saturday), a Sunday one in China."""
    from wfm.report.sections import people_table

    days = pd.to_datetime(["2026-10-09", "2026-10-11"])  # Friday, Sunday
    ros = pd.DataFrame({"agent_id": "A1", "name": "N", "team": "T", "queue": "q", "date": days,
                        "shift_start": days + pd.Timedelta(hours=9), "shift_end": days + pd.Timedelta(hours=17),
                        "paid_hours": 8.0, "is_holiday": False})
    ag = pd.DataFrame({"agent_id": ["A1"], "name": ["N"], "team": ["T"], "queues": ["q"]})
    cal = pd.DataFrame({"date": days, "is_holiday": False})
    for weekend, want in ((frozenset({4, 5}), 1), (frozenset({5, 6}), 1), (frozenset(), 0)):
        (row,) = people_table(ros, ag, pd.DataFrame(), cal, 22.0, 6.0, weekend)
        assert row["weekend_shifts"] == want
    (row,) = people_table(ros.iloc[[1]], ag, pd.DataFrame(), cal, 22.0, 6.0, frozenset({4, 5}))
    assert row["weekend_shifts"] == 0  # Sunday is a working day in Israel

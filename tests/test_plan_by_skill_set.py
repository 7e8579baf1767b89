"""Planning by skill set (staffing.multiskill.plan: skill_set): schedule and roster per skill set, service per
queue from the rostered skill mix. Checked against closed forms (pooled and disjoint Erlang C), against
the per-queue plan of the same days, and by recounting the run folder's files in plain Python."""

import shutil
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from wfm import erlang
from wfm.agents import agents_from_frame
from wfm.cli import app
from wfm.config import parse_config
from wfm.demo import demo_agents, demo_history
from wfm.errors import ConfigError
from wfm.multiskill import agent_skill_sets, simulate_centre
from wfm.multiskill.plan import set_schedule_requirements, skill_set_agents, skill_set_service
from wfm.plan import plan
from wfm.runs import write_plan
from wfm.tables import read_run


def _demo_cfg(mode):
    with resources.as_file(resources.files("wfm").joinpath("data", "demo.yaml")) as p:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    data["staffing"]["multiskill"] = {"plan": mode}
    return parse_config(data)


def _two_days():
    h = demo_history(start="2026-06-29", end="2026-06-30")
    fc = h[["queue", "interval_start", "offered", "aht_s"]].copy()
    fc["aht_s"] = fc["aht_s"].fillna(fc["aht_s"].mean())
    return fc


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """The demo's agents planned on two days of the demo's calls, by skill set and by queue; the first
    written as a run folder named 't'."""
    fc, ag = _two_days(), agents_from_frame(demo_agents())
    by_set = plan(fc, ag, _demo_cfg("skill_set"))
    by_queue = plan(fc, ag, _demo_cfg("queue"))
    d = tmp_path_factory.mktemp("byset") / "t"
    d.mkdir()
    write_plan(by_set, d, name="t")
    return by_set, by_queue, d


def test_the_schedule_covers_the_skill_sets_requirement(plans):
    p, _, d = plans
    sets = pd.read_csv(d / "skill_set_requirements.csv", parse_dates=["interval_start"])
    cov = pd.read_csv(d / "coverage.csv", parse_dates=["interval_start"])
    names = {"sales", "service", "sales+service"}
    assert set(sets["queue"]) == names and set(cov["queue"]) == names
    m = cov.merge(sets, on=["queue", "interval_start"], validate="one_to_one")
    assert (m["required"] == m["scheduled_required"]).all()  # the scheduler was given the sets' head counts
    assert (sets["scheduled_required"] >= np.ceil(sets["required_agents"] / 0.7 - 1e-9)).all()
    # the cross-trained set is covered, although only its 12 agents can work it
    flex = m[m["queue"] == "sales+service"]
    assert flex["scheduled"].sum() >= 0.95 * flex["scheduled_required"].sum()
    # every rostered agent is trained on all the queues of her shift's skill set
    ros = pd.read_csv(d / "roster.csv")
    skills = pd.read_csv(d / "agents.csv").set_index("agent_id")["queues"].map(lambda c: set(c.split(";")))
    for aid, q in zip(ros["agent_id"], ros["queue"]):
        assert set(q.split("+")) <= skills[aid], (aid, q)
    assert (ros["queue"] == "sales+service").any()


def test_per_queue_tables_add_up_to_the_skill_sets(plans):
    p, _, d = plans
    f = p.service.frame
    by_set = p.service.by_set
    per_iv = f.groupby("interval_start")[["required", "rostered", "scheduled"]].sum()
    sets_iv = by_set.groupby("interval_start")[["required", "rostered", "scheduled"]].sum()
    assert np.allclose(per_iv.to_numpy(), sets_iv.reindex(per_iv.index).to_numpy())
    # rostered per set recounted from roster.csv in plain Python: on shift and not on break
    ros = pd.read_csv(d / "roster.csv", parse_dates=["shift_start", "shift_end", "break_start", "break_end"])
    t = pd.Timestamp("2026-06-29 10:00")
    on = ros[(ros["shift_start"] <= t) & (ros["shift_end"] > t)
             & ~((ros["break_start"] <= t) & (ros["break_end"] > t))]
    counted = on.groupby("queue").size()
    row = by_set[by_set["interval_start"] == t].set_index("skill_set")["rostered"]
    assert row.to_dict() == {k: float(counted.get(k, 0)) for k in row.index}
    # a set of one queue counts wholly for it: the queue's share is its own set's plus part of the mixed set
    s = f[f["interval_start"] == t].set_index("queue")
    assert row["sales"] <= s.at["sales", "rostered"] <= row["sales"] + row["sales+service"]
    assert row["service"] <= s.at["service", "rostered"] <= row["service"] + row["sales+service"]


def test_plan_by_skill_set_is_cheaper_and_meets_every_goal_in_an_independent_simulation(plans):
    p, q, d = plans
    paid = lambda x: float(x.tables.roster["paid_hours"].sum())  # noqa: E731
    assert paid(p) < paid(q)  # the pooling the per-queue plan leaves out
    assert p.tables.skill_sets["scheduled_required"].sum() < q.requirements["scheduled_required"].sum()
    # every queue meets its goal when the roster is simulated again with other seeds
    queues = ["sales", "service"]
    sets, set_of = agent_skill_sets(p.agents, queues)
    ros = p.tables.roster
    fc = p.forecast.sort_values("interval_start")
    day = pd.Timestamp("2026-06-29")
    grid = pd.date_range(day, periods=96, freq="15min")
    staff = {}
    for s in sets:
        ids = set(set_of[set_of == s.name].index)
        r = ros[ros["agent_id"].isin(ids)]
        n = np.array([((r["shift_start"] <= t) & (r["shift_end"] > t)
                       & ~((r["break_start"] <= t) & (r["break_end"] > t))).sum() for t in grid], float)
        staff[s.name] = np.floor(np.round(n * 0.7, 9))
    calls = {qq: fc[fc["queue"] == qq].set_index("interval_start")["offered"].reindex(grid).fillna(0).to_numpy()
             for qq in queues}
    aht = {qq: fc[fc["queue"] == qq].set_index("interval_start")["aht_s"].reindex(grid).fillna(300).to_numpy()
           for qq in queues}
    res = simulate_centre(calls, aht, sets, staff, 900.0, 20.0, seed=20261203, replications=30, level=0.99)
    for qq in queues:
        assert res.summary(qq)["service_level_hi"] >= 0.8, qq


def test_report_and_summary_of_a_plan_by_skill_set(plans, tmp_path):
    p, _, d = plans
    import json

    def strict(name):
        raise AssertionError(f"summary.json holds {name}: not JSON")

    meta = json.loads((d / "summary.json").read_text(), parse_constant=strict)
    st = meta["staffing"]["skill_sets"]
    assert st["warnings"] == []  # every set puts an agent on the phone
    assert st["plan"] == "skill_set" and st["sets"] == {"sales": ["sales"], "sales+service": ["sales", "service"],
                                                        "service": ["service"]}
    mix = meta["report"]["skill_mix"]
    assert set(mix["by_skill_set"]) == {"sales", "sales+service", "service"}
    ih = 0.25
    sets = pd.read_csv(d / "skill_set_requirements.csv")
    for name, g in sets.groupby("queue"):
        assert mix["by_skill_set"][name]["required_h"] == pytest.approx(g["scheduled_required"].sum() * ih)
    html = (d / "report.html").read_text()
    assert 'id="by-skill-set"' in html and "shifts by skill set: sales, sales+service, service" in html
    assert "simulation with the skill mix" in html
    # the roster's team table: the total row has a cell per header, also when no overtime column is shown
    import re

    sec = html[html.index('<section id="roster">'):]
    sec = sec[:sec.index("</table>")]
    total = sec[sec.rindex('<tr class="total">'):]
    assert len(re.findall(r"<th[\s>]", sec)) == len(re.findall(r"<td[\s>]", total)) == 6
    # the headline service is the simulated skill mix, as the skill-mix table says
    rep = meta["report"]
    assert rep["simulated_service_level"] == pytest.approx(mix["all"]["mix_sl"])
    assert mix["all"]["mix_lo"] <= rep["expected_service_level"] <= mix["all"]["mix_hi"]
    # wfm report re-renders the folder to the same bytes
    copy = tmp_path / "t"
    shutil.copytree(d, copy)
    r = CliRunner().invoke(app, ["report", "--run", str(copy)], terminal_width=200)
    assert r.exit_code == 0, r.output
    for f in ("report.html", "roster.html"):
        assert (copy / f).read_bytes() == (d / f).read_bytes(), f
    assert read_run(copy).skill_sets is not None
    # Cost by queue: each set's cost shared over its queues, nothing lost or counted twice
    from openpyxl import load_workbook

    wb = load_workbook(d / "report.xlsx", read_only=True)
    rows = list(wb["Cost by queue"].values)
    head = rows[0]
    body = [dict(zip(head, r)) for r in rows[1:] if r[0] is not None]
    qcol = head[0]
    assert sorted(str(r[qcol]) for r in body) == ["sales", "service"]
    tcol = [h for h in head if h and "otal cost" in str(h)][0]
    assert sum(float(r[tcol]) for r in body) == pytest.approx(p.costs.summary["total_cost"], rel=1e-9)
    assert "Skill sets" in wb.sheetnames


def test_validate_accepts_the_roster_and_rejects_a_specialist_on_a_mixed_shift(plans, tmp_path):
    _, _, d = plans
    r = CliRunner().invoke(app, ["validate", "--roster", str(d / "roster.csv"), "--agents", str(d / "agents.csv"),
                                 "--config", str(d / "config.yaml")], terminal_width=200)
    assert r.exit_code == 0, r.output
    bad = tmp_path / "bad"
    shutil.copytree(d, bad)
    ros = pd.read_csv(bad / "roster.csv")
    ag = pd.read_csv(bad / "agents.csv")
    sales_only = ag.loc[ag["queues"] == "sales", "agent_id"]
    i = ros.index[ros["agent_id"].isin(sales_only)][0]
    ros.loc[i, "queue"] = "sales+service"
    ros.to_csv(bad / "roster.csv", index=False)
    r = CliRunner().invoke(app, ["validate", "--roster", str(bad / "roster.csv"), "--agents", str(bad / "agents.csv"),
                                 "--config", str(bad / "config.yaml")], terminal_width=200)
    assert r.exit_code == 1 and "skill" in r.output and "sales+service" in r.output


def test_skill_set_agents_may_work_every_set_of_their_queues():
    ag = pd.DataFrame({"agent_id": ["A", "B", "C", "D"], "queues": ["a", "b;a", "a;b;c", "x"]})
    out, sets = skill_set_agents(ag, ["a", "b", "c"])
    assert [s.name for s in sets] == ["a", "a+b+c", "b+a"]
    cells = dict(zip(out["agent_id"], out["queues"]))
    assert cells["A"] == "a"
    assert cells["B"].split(";") == ["b+a", "a"]
    assert cells["C"].split(";")[0] == "a+b+c" and set(cells["C"].split(";")) == {"a+b+c", "a", "b+a"}
    assert cells["D"] == "x"  # trained on none of the plan's queues: no shift of the plan
    own, _ = skill_set_agents(ag, ["a", "b", "c"], own_only=True)
    assert dict(zip(own["agent_id"], own["queues"]))["C"] == "a+b+c"


def _day(calls, aht=180.0, interval="30min"):
    times = pd.date_range("2026-10-05", periods=48, freq=interval)
    return pd.DataFrame([{"queue": q, "interval_start": t, "offered": c, "aht_s": aht}
                         for q, c in calls.items() for t in times]), times


def _roster(ids, queue):
    day = pd.Timestamp("2026-10-05")
    return pd.DataFrame({"agent_id": ids, "queue": queue, "shift_start": day, "shift_end": day + pd.Timedelta(days=1),
                         "break_start": pd.NaT, "break_end": pd.NaT})


def _service(req, agents, roster, sets_req):
    cov = sets_req[["queue", "interval_start"]].assign(scheduled=sets_req["scheduled_required"])
    pat = {q: {"patience_s": np.inf, "max_abandon": None} for q in req["queue"].unique()}
    return skill_set_service(req, sets_req, cov, roster, agents, interval_minutes=30, sl_seconds=20, sl_target=0.8,
                             shrinkage=0.0, patience=pat, routing="longest_wait", replications=40, level=0.99)


def test_skill_set_service_of_one_pooled_set_is_erlang_c_shared_by_load():
    # 23 agents trained on both queues all day, first come first served: M/M/23 with 200 calls a half hour
    req, times = _day({"a": 120.0, "b": 80.0})
    ids = [f"X{i:02d}" for i in range(23)]
    agents = pd.DataFrame({"agent_id": ids, "queues": "a;b"})
    sets_req = pd.DataFrame({"queue": "a+b", "interval_start": times, "scheduled_required": 23})
    res = _service(req, agents, _roster(ids, "a+b"), sets_req)
    f = res.frame
    ref = erlang.service_level(200, 180, 23, 1800, 20)
    mix = res.mix.total
    assert mix["service_level_lo"] <= ref <= mix["service_level_hi"]
    # each queue waits as the pooled queue does
    for q in ("a", "b"):
        lo, hi = res.mix.by_queue.loc[q, ["service_level_lo", "service_level_hi"]]
        assert lo <= ref <= hi, q
    # the set's agents are shared by handle time: 60% of the load is queue a's
    a = f[f["queue"] == "a"]
    assert a["required"].sum() / (23 * 48) == pytest.approx(0.6, abs=0.02)
    assert np.allclose(f.groupby("interval_start")["required"].sum(), 23)
    assert np.allclose(f.groupby("interval_start")["rostered"].sum(), 23)


def test_skill_set_service_of_disjoint_sets_is_erlang_c_per_queue():
    req, times = _day({"a": 100.0, "b": 40.0})

    def run(n_a, n_b):
        ids_a, ids_b = [f"A{i}" for i in range(n_a)], [f"B{i}" for i in range(n_b)]
        agents = pd.DataFrame({"agent_id": ids_a + ids_b, "queues": ["a"] * n_a + ["b"] * n_b})
        roster = pd.concat([_roster(ids_a, "a"), _roster(ids_b, "b")], ignore_index=True)
        sets_req = pd.concat([pd.DataFrame({"queue": "a", "interval_start": times, "scheduled_required": n_a}),
                              pd.DataFrame({"queue": "b", "interval_start": times, "scheduled_required": n_b})])
        return _service(req, agents, roster, sets_req)

    res = run(14, 7)
    f = res.frame.set_index(["queue", "interval_start"])
    assert (f.loc["a", "required"] == 14).all() and (f.loc["b", "rostered"] == 7).all()
    for q, calls, n in (("a", 100, 14), ("b", 40, 7)):
        lo, hi = res.mix.by_queue.loc[q, ["service_level_lo", "service_level_hi"]]
        assert lo <= erlang.service_level(calls, 180, n, 1800, 20) <= hi, q
    # Erlang C gives 88.8% and 90.3%: no interval is under the 80% target beyond the simulation's noise ...
    assert not res.frame["below_target"].any()
    # ... while 12 agents on a (Erlang C 64%) put most of a's intervals under it, and b's 7 stay above
    short = run(12, 7).frame
    assert short.loc[short["queue"] == "a", "below_target"].mean() > 0.75  # the first starts empty
    assert not short.loc[short["queue"] == "b", "below_target"].any()


def test_plan_key_is_checked():
    with pytest.raises(ConfigError, match="multiskill"):
        _demo_cfg("skills")


def test_set_schedule_requirements_marks_holidays_from_the_queues():
    t = pd.date_range("2026-10-01", periods=2, freq="15min")
    req = pd.DataFrame({"queue": ["a", "a"], "interval_start": t, "is_holiday": [True, False]})
    by_set = pd.DataFrame({"skill_set": ["a", "a"], "interval_start": t, "agents": [3, 4], "scheduled_required": [5, 6],
                           "erlang_per_queue": [3, 4], "erlang_pooled": [3, 4], "met": [True, True], "note": ["", ""]})
    out = set_schedule_requirements(by_set, req)
    assert out["is_holiday"].tolist() == [True, False]
    assert out["scheduled_required"].tolist() == [5, 6] and out["queue"].tolist() == ["a", "a"]


def test_decisions_count_agents_short_per_skill_set_and_service_per_queue():
    from wfm.report.decisions import decisions

    t = pd.date_range("2026-10-05 09:00", periods=4, freq="15min")
    # per queue: shares of the sets' agents (fractional); the set frame is short 2 agents at 09:15 only
    frame = pd.DataFrame({"queue": "a", "interval_start": t, "offered": 20.0, "required": [4.5, 5.5, 4.5, 4.5],
                          "rostered": [4.5, 4.6, 4.5, 4.5], "service_level": [0.9, 0.6, 0.9, 0.85],
                          "below_target": [False, True, False, False]})
    frame["gap"] = frame["rostered"] - frame["required"]
    sets = pd.DataFrame({"skill_set": "a+b", "interval_start": t, "required": [6.0, 8.0, 6.0, 6.0],
                         "rostered": [6.0, 6.0, 6.0, 6.0]})
    empty = pd.DataFrame(columns=["shift_id", "queue", "date", "shift_start", "shift_end", "missing", "is_holiday"])
    roster = pd.DataFrame(columns=["agent_id", "date"])
    d = decisions(frame, empty, roster, pd.DataFrame(columns=["agent_id", "queues", "name"]), 15, 30.0,
                  set_frame=sets)
    rows = {(w["queue"], w["start"]): w for w in d["short"]}
    assert set(rows) == {("a+b", t[1]), ("a", t[1])}
    s = rows[("a+b", t[1])]
    assert s["short"] == 2.0 and s["short_h"] == 0.5 and s["calls"] is None and s["service"] is None
    q = rows[("a", t[1])]
    assert q["short"] == 0.0 and q["service"] == pytest.approx(0.6) and q["calls"] == 20.0


@pytest.mark.parametrize("damage", ["deleted", "duplicate row", "set dropped", "set renamed"])
def test_wfm_report_refuses_a_damaged_skill_set_requirement(plans, tmp_path, damage):
    _, _, d = plans
    copy = tmp_path / "t"
    shutil.copytree(d, copy)
    f = copy / "skill_set_requirements.csv"
    lines = f.read_text().splitlines(keepends=True)
    if damage == "deleted":
        f.unlink()
    elif damage == "duplicate row":
        f.write_text("".join([*lines, lines[5]]))
    elif damage == "set dropped":
        f.write_text("".join(line for line in lines if not line.startswith("sales+service,")))
    else:
        f.write_text("".join(line.replace("sales+service,", "sales+billing,", 1) for line in lines))
    before = {p.name: p.read_bytes() for p in copy.iterdir() if p.is_file()}
    r = CliRunner().invoke(app, ["report", "--run", str(copy)], terminal_width=200)
    assert r.exit_code == 2, r.output
    assert "skill_set_requirements.csv" in r.output and "Traceback" not in r.output
    assert {p.name: p.read_bytes() for p in copy.iterdir() if p.is_file()} == before  # nothing rewritten


def test_a_skill_set_too_small_to_reach_the_phone_is_named():
    from wfm import staffing
    from wfm.plan import _by_skill_set

    fc = _two_days()
    fc = fc[fc["interval_start"] < fc["interval_start"].min() + pd.Timedelta(hours=1)]
    ag = demo_agents()
    ag.loc[0, "queues"] = "service;sales"  # one agent's queues in another order: a set of her own
    ag = agents_from_frame(ag)
    cfg = _demo_cfg("skill_set")
    req = staffing.requirements(fc, cfg, **staffing.staffing_kwargs(cfg, None, fc))
    info: dict = {}
    sp, set_req, _, _ = _by_skill_set(req, ag, cfg, info, None)
    (w,) = info["skill_sets"]["warnings"]
    assert "'service+sales' (1 agent: " + str(ag.loc[0, "agent_id"]) + ")" in w and "30%" in w
    assert (set_req.loc[set_req["queue"] == "service+sales", "required_agents"] == 0).all()


def test_a_goal_out_of_reach_does_not_inflate_the_other_sets():
    from wfm.multiskill import QueueGoal, SkillSet, erlang_requirement, staff_interval

    sets = [SkillSet("a", ("a",)), SkillSet("a+b", ("a", "b")), SkillSet("b", ("b",))]
    calls, aht = {"a": 40.0, "b": 60.0}, {"a": 180.0, "b": 180.0}
    # b needs about 9 agents but may have 3, and nobody cross-trained: b cannot meet its goal
    res = staff_interval(calls, aht, sets, 1800.0, QueueGoal(0.8, 20), None, max_staff={"a+b": 0, "b": 3}, seed=1)
    assert not res.met
    alone = erlang_requirement(40.0, 180.0, 1800.0, QueueGoal(0.8, 20))
    assert res.staff["b"] == 3 and res.staff["a+b"] == 0
    assert res.staff["a"] <= alone  # a's specialists only as many as a needs

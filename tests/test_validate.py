"""validate_roster: each hand-built roster breaks exactly one rule; load_agents / read_roster errors."""

from __future__ import annotations

import pandas as pd
import pytest

from wfm.agents import agents_from_frame, load_agents
from wfm.config import load_config
from wfm.errors import InputError
from wfm.io import write_csv
from wfm.validate import Violation, read_roster, validate_roster

CFG = load_config(None)  # rest 11 h, 6 consecutive days, 2 days off, night 22-06, FT9 full_time, PT4 part_time

AGENTS = agents_from_frame(pd.DataFrame([
    # agent_id, queues, contract, min_h, max_h, max_days, night_ok
    dict(agent_id="F1", name="Full One", team="T", queues="sales", contract="full_time", min_hours_week=0,
         max_hours_week=40, max_days_week=5, hourly_rate=30, night_ok="true"),
    dict(agent_id="F2", name="Full Two", team="T", queues="sales;service", contract="full_time", min_hours_week=0,
         max_hours_week=40, max_days_week=5, hourly_rate=30, night_ok="false"),
    dict(agent_id="P1", name="Part One", team="T", queues="service", contract="part_time", min_hours_week=0,
         max_hours_week=20, max_days_week=5, hourly_rate=25, night_ok="false"),
]))

# A Monday with no public holiday nearby (CN calendar).
MON = pd.Timestamp("2026-09-07")


def row(agent: str, queue: str, day: int, hour: float, length: float = 9, template: str = "FT9",
        paid: float | None = None, shift_id: str | None = None) -> dict:
    start = MON + pd.Timedelta(days=day, hours=hour)
    end = start + pd.Timedelta(hours=length)
    return dict(agent_id=agent, name=agent, team="T", queue=queue, date=start.normalize(),
                shift_id=shift_id or f"{queue}-{start:%m%d-%H%M}-{template}", template=template,
                shift_start=start, shift_end=end, break_start=pd.NaT, break_end=pd.NaT,
                paid_hours=float(paid if paid is not None else (length - 1 if length >= 6 else length)),
                is_holiday=False)


def clean_rows() -> list[dict]:
    # F1: Mon-Fri days 08-17; F2: Mon-Wed 09-18 on service; P1: Tue and Thu PT4 on service.
    rows = [row("F1", "sales", d, 8) for d in range(5)]
    rows += [row("F2", "service", d, 9) for d in range(3)]
    rows += [row("P1", "service", d, 13, 4, "PT4") for d in (1, 3)]
    return rows


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def rules(found: list[Violation]) -> list[str]:
    return [v.rule for v in found]


def test_clean_roster_has_no_violation():
    assert validate_roster(frame(clean_rows()), AGENTS, CFG) == []


def _overlap(rows):
    # F1's Thursday becomes a night shift 22:00-07:00 and Friday starts at 06:00: one overlapping pair.
    rows = [r for r in rows if not (r["agent_id"] == "F1" and r["date"] >= MON + pd.Timedelta(days=3))]
    return rows + [row("F1", "sales", 3, 22), row("F1", "sales", 4, 6)]


CASES = {
    "unknown agent": lambda rows: rows + [row("ZZ", "sales", 5, 8)],
    "skill": lambda rows: rows + [row("P1", "sales", 5, 8, 4, "PT4")],
    "contract": lambda rows: rows + [row("P1", "service", 5, 8)],  # FT9 is a full_time template
    "night": lambda rows: rows + [row("F2", "sales", 5, 21)],  # 21:00-06:00 touches 22-06
    "overlap": _overlap,
    "rest": lambda rows: rows + [row("F2", "service", 5, 12), row("F2", "service", 6, 7)],  # 10 h of rest
    # 3 x 8 h + 2 x 12 h = 48 h > 40 h (template X12 is not in the config, so any contract may work it)
    "max hours": lambda rows: rows + [row("F2", "service", d, 9, 12, "X12", paid=12) for d in (3, 4)],
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_alone(rule):
    found = validate_roster(frame(CASES[rule](clean_rows())), AGENTS, CFG)
    assert rules(found) == [rule], found
    assert found[0].detail


def test_two_shifts_same_day_without_overlap():
    # Two part-time shifts on one day; rest 0 so that only the same-day rule can fire.
    cfg = CFG.model_copy(update={"roster": CFG.roster.model_copy(update={"min_rest_h": 0})})
    extra = [row("P1", "service", 5, 8, 4, "PT4"), row("P1", "service", 5, 14, 4, "PT4")]
    found = validate_roster(frame(clean_rows() + extra), AGENTS, cfg)
    assert rules(found) == ["same day"]
    assert found[0].agent_id == "P1" and found[0].date == MON + pd.Timedelta(days=5)


def test_consecutive_days_across_a_week_boundary():
    # P1 works Thu..next Wed: 7 days in a row (max 6) but only 4 and 3 days in each ISO week.
    rows = [row("P1", "service", d, 9, 4, "PT4") for d in range(3, 10)]
    found = validate_roster(frame(rows), AGENTS, CFG)
    assert rules(found) == ["consecutive days"]
    assert found[0].date == MON + pd.Timedelta(days=3 + 6)


def test_days_per_week():
    # Six 3-hour shifts Mon-Sat: 18 h (max 20), 6 days in a row (max 6) but 6 days in the week (limit 5).
    rows = [row("P1", "service", d, 9, 3, "PT4", paid=3) for d in range(6)]
    found = validate_roster(frame(rows), AGENTS, CFG)
    assert rules(found) == ["days per week"]
    assert found[0].date == MON


def test_days_per_week_uses_min_days_off():
    cfg = CFG.model_copy(update={"roster": CFG.roster.model_copy(update={"min_days_off_per_week": 3})})
    rows = [row("F1", "sales", d, 8, 5, "FT9", paid=5) for d in range(5)]
    assert rules(validate_roster(frame(rows), AGENTS, cfg)) == ["days per week"]
    assert validate_roster(frame(rows), AGENTS, CFG) == []


def test_min_hours_only_in_full_weeks():
    ag = AGENTS.copy()
    ag.loc[ag["agent_id"] == "F2", "min_hours_week"] = 32.0
    rows = clean_rows()  # F2 has 3 x 8 = 24 h in the week
    # Horizon Mon..Fri only: not a full week, nothing to report.
    assert validate_roster(frame(rows), ag, CFG) == []
    # Extend the horizon to Sunday with another agent's shift: the week is full, F2 is 8 h short.
    rows.append(row("P1", "service", 6, 9, 4, "PT4"))
    found = validate_roster(frame(rows), ag, CFG)
    assert rules(found) == ["min hours"]
    assert found[0].agent_id == "F2" and "24" in found[0].detail


def test_min_hours_reduced_in_a_week_with_public_days_off():
    # Sep 28 - Oct 4 2026: three working days (Oct 1-3 are National Day), so 32 h x 3/5 = 19.2 h are owed.
    ag = AGENTS.copy()
    ag.loc[ag["agent_id"] == "F1", "min_hours_week"] = 32.0
    base = pd.Timestamp("2026-09-28") - MON

    def on(day, hour):
        r = row("F1", "sales", 0, hour)
        for c in ("date", "shift_start", "shift_end"):
            r[c] = r[c] + base + pd.Timedelta(days=day)
        r["shift_id"] = f"s{day}"
        return r

    sunday = row("P1", "service", 6, 9, 4, "PT4")
    for c in ("date", "shift_start", "shift_end"):
        sunday[c] = sunday[c] + base
    rows = [on(0, 8), on(1, 8), on(2, 8), sunday]  # F1: 24 h
    assert validate_roster(frame(rows), ag, CFG) == []
    found = validate_roster(frame([rows[0], rows[1], rows[3]]), ag, CFG)  # F1: 16 h
    assert rules(found) == ["min hours"] and "19.2" in found[0].detail


def shifts_for(rows: list[dict], counts: dict[str, int] | None = None) -> pd.DataFrame:
    ros = frame(rows)
    g = ros.groupby("shift_id").agg(queue=("queue", "first"), date=("date", "first"), template=("template", "first"),
                                    start=("shift_start", "first"), end=("shift_end", "first"),
                                    paid_hours=("paid_hours", "first"), count=("agent_id", "size")).reset_index()
    for k, v in (counts or {}).items():
        g.loc[g["shift_id"] == k, "count"] = v
    return g


def test_shift_level_rules_clean():
    rows = clean_rows()
    assert validate_roster(frame(rows), AGENTS, CFG, shifts=shifts_for(rows)) == []


def test_over_count():
    rows = clean_rows() + [row("F2", "sales", 4, 8)]  # joins F1 on the Friday sales shift
    sh = shifts_for(rows, {"sales-0911-0800-FT9": 1})
    found = validate_roster(frame(rows), AGENTS, CFG, shifts=sh)
    assert rules(found) == ["over count"]
    assert found[0].agent_id is None and "2 agents" in found[0].detail


def test_unknown_shift():
    rows = clean_rows()
    sh = shifts_for(rows)
    sh = sh.loc[sh["shift_id"] != "service-0908-1300-PT4"]
    assert rules(validate_roster(frame(rows), AGENTS, CFG, shifts=sh)) == ["unknown shift"]


def test_holiday_coverage():
    # 2026-10-01 is National Day in CN: a holiday shift with count 2 staffed by one agent.
    start = pd.Timestamp("2026-10-01 08:00")
    r = row("F1", "sales", 0, 8)
    r.update(date=start.normalize(), shift_start=start, shift_end=start + pd.Timedelta(hours=9),
             shift_id="hol", is_holiday=True)
    sh = shifts_for([r], {"hol": 2})
    found = validate_roster(frame([r]), AGENTS, CFG, shifts=sh)
    assert rules(found) == ["holiday coverage"]
    assert "1 of the 2" in found[0].detail
    assert validate_roster(frame([r]), AGENTS, CFG, shifts=shifts_for([r])) == []
    # With holiday_min_share 0.5, one of two is enough.
    cfg = CFG.model_copy(update={"roster": CFG.roster.model_copy(update={"holiday_min_share": 0.5})})
    assert validate_roster(frame([r]), AGENTS, cfg, shifts=sh) == []


def test_night_window_edges():
    # A shift ending exactly at 22:00 or starting exactly at 06:00 does not touch the night.
    rows = [row("F2", "service", 0, 13, 9), row("F2", "service", 2, 6, 9)]
    assert validate_roster(frame(rows), AGENTS, CFG) == []
    rows = [row("F2", "service", 0, 13.25, 9)]
    assert rules(validate_roster(frame(rows), AGENTS, CFG)) == ["night"]


# --- read_roster ---------------------------------------------------------------------------------------


def test_read_roster_round_trip(tmp_path):
    ros = frame(clean_rows())
    ros.loc[0, "break_start"] = ros.loc[0, "shift_start"] + pd.Timedelta(hours=4)
    ros.loc[0, "break_end"] = ros.loc[0, "shift_start"] + pd.Timedelta(hours=5)
    ros.loc[1, "is_holiday"] = True
    p = write_csv(ros, tmp_path / "roster.csv")
    back = read_roster(p)
    for c in ("date", "shift_start", "shift_end", "break_start", "break_end"):
        ros[c] = ros[c].astype("datetime64[ns]")
    assert list(back.columns) == list(ros.columns)
    pd.testing.assert_frame_equal(back, ros, check_dtype=False)
    assert back["is_holiday"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(back["shift_start"])
    assert validate_roster(back, AGENTS, CFG) == []


def test_read_roster_bad_timestamp(tmp_path):
    p = write_csv(frame(clean_rows()), tmp_path / "roster.csv")
    lines = p.read_text().splitlines()
    lines[3] = lines[3].replace("2026-09-09 08:00:00", "2026-09-09 8 o'clock", 1)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        read_roster(p)
    assert e.value.row == 4 and e.value.column == "shift_start" and e.value.file == str(p)
    assert "row 4" in str(e.value)


# --- load_agents -------------------------------------------------------------------------------------------

HEADER = "agent_id,name,team,queues,contract,min_hours_week,max_hours_week,max_days_week,hourly_rate,night_ok"
GOOD = [
    "A1,Li Wei,Sales A,sales,full_time,32,40,5,35,true",
    "A2,Wang Fang,Blended,sales; service,part_time,8,20,4,30,False",
]


def write_agents(tmp_path, rows: list[str], header: str = HEADER):
    p = tmp_path / "agents.csv"
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return p


def test_load_agents_good(tmp_path):
    ag = load_agents(write_agents(tmp_path, GOOD))
    assert ag["agent_id"].tolist() == ["A1", "A2"]
    assert ag["queues"].tolist() == ["sales", "sales;service"]
    assert ag["night_ok"].tolist() == [True, False]
    assert ag["max_days_week"].tolist() == [5, 4]
    assert ag["min_hours_week"].dtype == float
    # the loaded frame written back (as a run does) loads again unchanged
    p2 = write_csv(ag, tmp_path / "again.csv")
    pd.testing.assert_frame_equal(load_agents(p2), ag)


@pytest.mark.parametrize(
    "bad_row, column, words",
    [
        ("A3,X,T,sales,full_time,abc,40,5,35,true", "min_hours_week", "not a number"),
        ("A3,X,T,sales,full_time,32,-1,5,35,true", "max_hours_week", "negative"),
        ("A3,X,T,sales,full_time,32,30,5,35,true", "min_hours_week", "more than max_hours_week"),
        ("A3,X,T,sales,full_time,32,40,0,35,true", "max_days_week", "1 to 7"),
        ("A3,X,T,sales,full_time,32,40,8,35,true", "max_days_week", "1 to 7"),
        ("A3,X,T,sales,full_time,32,40,4.5,35,true", "max_days_week", "1 to 7"),
        ("A3,X,T,sales,contractor,32,40,5,35,true", "contract", "unknown contract"),
        ("A3,X,T,sales,full_time,32,40,5,35,maybe", "night_ok", "not a boolean"),
        ("A3,X,T, ; ,full_time,32,40,5,35,true", "queues", "no queue"),
        ("A3,X,T,sales,full_time,32,40,5,,true", "hourly_rate", "not a number"),
        ("A1,X,T,sales,full_time,32,40,5,35,true", "agent_id", "duplicate agent_id 'A1' (first on row 2)"),
    ],
)
def test_load_agents_errors_name_file_row_column(tmp_path, bad_row, column, words):
    p = write_agents(tmp_path, GOOD + [bad_row])
    with pytest.raises(InputError) as e:
        load_agents(p)
    err = e.value
    assert (err.file, err.row, err.column) == (str(p), 4, column)
    assert words in str(err) and "row 4" in str(err) and str(p) in str(err)


def test_load_agents_row_numbers_count_blank_lines(tmp_path):
    p = write_agents(tmp_path, [GOOD[0], "", GOOD[1], "A3,X,T,sales,full_time,32,40,5,35,perhaps"])
    with pytest.raises(InputError) as e:
        load_agents(p)
    assert e.value.row == 5 and e.value.column == "night_ok"


def test_load_agents_missing_column(tmp_path):
    header = HEADER.replace(",night_ok", "")
    p = write_agents(tmp_path, [r.rsplit(",", 1)[0] for r in GOOD], header=header)
    with pytest.raises(InputError) as e:
        load_agents(p)
    assert (e.value.file, e.value.row, e.value.column) == (str(p), 1, "night_ok")
    assert "missing column" in str(e.value)


def test_load_agents_missing_file(tmp_path):
    with pytest.raises(InputError) as e:
        load_agents(tmp_path / "nope.csv")
    assert "not found" in str(e.value)


def test_agents_from_frame_rows_are_positions_plus_two():
    df = pd.DataFrame([r.split(",") for r in GOOD + ["A3,X,T,sales,full_time,32,40,9,35,true"]],
                      columns=HEADER.split(","))
    with pytest.raises(InputError) as e:
        agents_from_frame(df, source="agents frame")
    assert (e.value.file, e.value.row, e.value.column) == ("agents frame", 4, "max_days_week")

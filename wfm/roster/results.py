"""The roster's outputs: roster rows, unfilled shifts, the per-agent summary, the updated holiday
ledger, and the summary sentences and figures."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..agents import LEDGER_COLUMNS, parse_days, parse_start
from ..calendar import weekend_days
# The roster flags overtime by the pay rules the cost stage applies, so that the two never disagree; the
# dependency is one way (costs reads config and the calendar, never the roster).
from ..costs import cost_roster

ROSTER_COLUMNS = [
    "agent_id", "name", "team", "queue", "date", "shift_id", "template", "shift_start", "shift_end",
    "break_start", "break_end", "paid_hours", "is_holiday", "is_overtime",
]
UNFILLED_COLUMNS = ["shift_id", "queue", "date", "shift_start", "shift_end", "missing", "is_holiday"]
SUMMARY_COLUMNS = [
    "agent_id", "name", "team", "shifts", "paid_hours", "overtime_hours", "nights", "weekend_shifts",
    "holiday_shifts", "min_hours_shortfall", "preferred_days_off_worked", "mean_start_deviation_h", "start_times",
]
MAX_MESSAGES = 20  # unfilled-shift sentences listed before a summary sentence


@dataclass(frozen=True)
class RosterResult:
    """Result of :func:`build_roster`. ``summary`` holds ``messages`` (sentences), per-week solver
    statuses (``weeks``) and headline counts."""

    roster: pd.DataFrame
    unfilled: pd.DataFrame
    agent_summary: pd.DataFrame
    summary: dict = field(default_factory=dict)
    ledger: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LEDGER_COLUMNS))


def _hhmm(ts: pd.Timestamp) -> str:
    return ts.strftime("%H:%M")


def _message(row) -> str:
    n = int(row["missing"])
    agents = "1 more agent" if n == 1 else f"{n} more agents"
    verb = "is" if n == 1 else "are"
    end = _hhmm(row["shift_end"])
    days = (row["shift_end"].normalize() - row["date"]).days
    if days == 1:
        end += " the next day"
    elif days > 1:
        end += f" on {row['shift_end'].date()}"
    text = (f"{agents} skilled for '{row['queue']}' {verb} needed on {row['date'].date()} "
            f"from {_hhmm(row['shift_start'])} to {end}")
    if row["is_holiday"]:
        text += " (a public holiday)"
    return text


def _overtime_by_row(ros: pd.DataFrame, ag: pd.DataFrame, cfg) -> np.ndarray:
    """Overtime hours of each roster row, by the same rules as the cost report (:func:`wfm.costs.cost_roster`,
    which splits the hours by day; each row is keyed apart so that its hours are not merged)."""
    if not len(ros):
        return np.zeros(0)
    keyed = ros.assign(queue=np.arange(len(ros)).astype(str))
    c = cost_roster(keyed, ag, cfg)
    ot = c.groupby(c["queue"].astype(int))["overtime_hours"].sum()
    return ot.reindex(range(len(ros)), fill_value=0.0).to_numpy(dtype=float)


def _spreads(summ: pd.DataFrame, ag: pd.DataFrame, led: pd.DataFrame, hol_ok, wkd_ok=None) -> dict:
    """Fairness figures: spread (max - min) of holiday shifts among the agents eligible for at least one
    holiday shift of the horizon, in this horizon and with the ledger's past duty added (also by contract, and
    by skill set and contract: the agents who can take each other's shifts); spread of weekend
    shifts among the agents eligible for a weekend shift who work any shift."""
    out = {"holiday_eligible_agents": 0, "holiday_spread": None, "holiday_spread_with_ledger": None,
           "holiday_spread_by_contract": {}, "holiday_spread_by_group": {}, "weekend_spread": None}
    by_id = summ.set_index("agent_id")
    if hol_ok is not None and np.any(hol_ok):
        ids = ag["agent_id"].to_numpy()[np.asarray(hol_ok, dtype=bool)]
        now = by_id.loc[ids, "holiday_shifts"].to_numpy(dtype=int)
        past = np.array([int(v) for v in pd.Series(dict(zip(led["agent_id"], led["holiday_shifts"]))).reindex(ids).fillna(0)])
        out.update(holiday_eligible_agents=int(len(ids)), holiday_spread=int(now.max() - now.min()),
                   holiday_spread_with_ledger=int((now + past).max() - (now + past).min()))
        # by contract: full- and part-time agents hold different shifts, so their counts need not match
        con = ag.set_index("agent_id").loc[ids, "contract"].to_numpy()
        out["holiday_spread_by_contract"] = {
            str(c): int(now[con == c].max() - now[con == c].min()) for c in sorted(set(con))}
        # by skill set and contract: agents of different skill sets cannot take each other's holiday shifts,
        # so across groups the spread follows the schedule's holiday shifts per group, not the roster
        skills = ag.set_index("agent_id").loc[ids, "queues"].astype(str).to_numpy()
        keys = np.array([f"{q} / {c}" for q, c in zip(skills, con)], dtype=object)
        out["holiday_spread_by_group"] = {
            k: int(now[keys == k].max() - now[keys == k].min()) for k in sorted(set(keys))}
    sel = by_id["shifts"] > 0
    if wkd_ok is not None:
        sel &= pd.Series(np.asarray(wkd_ok, dtype=bool), index=ag["agent_id"].to_numpy()).reindex(by_id.index).fillna(False)
    working = by_id.loc[sel, "weekend_shifts"]
    if len(working):
        out["weekend_spread"] = int(working.max() - working.min())
    return out



def _roster_frame(s: pd.DataFrame, ag: pd.DataFrame, a_idx: np.ndarray, g_idx: np.ndarray, cfg) -> pd.DataFrame:
    """The assigned (agent, shift) rows as the roster, sorted, with the helper columns the agent summary
    reads (``_night``, ``_ot`` overtime hours, ``_dev`` start deviation, ``_off`` preferred day off,
    ``_start`` start minute)."""
    empty = np.array([], dtype=object)
    ros = pd.DataFrame({c: ag[c].to_numpy()[a_idx] if len(a_idx) else empty for c in ("agent_id", "name", "team")})
    sub = s.iloc[g_idx].reset_index(drop=True) if len(s) else s.iloc[[]]
    for out, col in (("queue", "queue"), ("date", "date"), ("shift_id", "shift_id"), ("template", "template"),
                     ("shift_start", "start"), ("shift_end", "end"), ("break_start", "break_start"),
                     ("break_end", "break_end")):
        ros[out] = sub[col].to_numpy()
    ros["paid_hours"] = sub["paid_hours"].to_numpy(dtype=float)
    ros["is_holiday"] = sub["is_holiday"].to_numpy(dtype=bool)
    ros["_night"] = sub["_night"].to_numpy(dtype=bool)
    for c in ("agent_id", "name", "team", "queue", "shift_id", "template"):
        ros[c] = ros[c].astype(str)
    for c in ("date", "shift_start", "shift_end", "break_start", "break_end"):
        ros[c] = pd.to_datetime(ros[c]).astype("datetime64[ns]")
    ros = ros.sort_values(["date", "shift_start", "agent_id", "shift_id"], kind="stable").reset_index(drop=True)
    ot_h = _overtime_by_row(ros, ag, cfg)
    ros["is_overtime"] = ot_h > 1e-9
    ros["_ot"] = ot_h
    start_h = ((ros["shift_start"] - ros["date"]) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
    pref_start = {a: parse_start(t) for a, t in zip(ag["agent_id"], ag["preferred_start"])}
    pref_off = {a: parse_days(t) for a, t in zip(ag["agent_id"], ag["preferred_days_off"])}
    ps = ros["agent_id"].map(pref_start).astype(float).to_numpy()
    dev = np.abs(start_h - ps) % 24.0
    ros["_dev"] = np.minimum(dev, 24.0 - dev)  # NaN where no preference
    wd = ros["date"].dt.day_of_week.to_numpy()
    ros["_off"] = [int(d) in pref_off[a] for a, d in zip(ros["agent_id"], wd)]
    ros["_start"] = np.round(start_h * 60).astype(np.int64)
    return ros


def _unfilled(s: pd.DataFrame, filled: np.ndarray) -> pd.DataFrame:
    miss = s["count"].to_numpy(dtype=np.int64) - filled
    unf = s.loc[miss > 0, ["shift_id", "queue", "date", "start", "end", "is_holiday"]].copy()
    unf.insert(5, "missing", miss[miss > 0].astype(int))
    unf = unf.rename(columns={"start": "shift_start", "end": "shift_end"})[UNFILLED_COLUMNS]
    unf["is_holiday"] = unf["is_holiday"].astype(bool)
    return unf.sort_values(["date", "shift_start", "queue", "shift_id"], kind="stable").reset_index(drop=True)


def _agent_summary(ros: pd.DataFrame, ag: pd.DataFrame, shortfall: np.ndarray, weekend: frozenset) -> pd.DataFrame:
    g = ros.assign(_weekend=ros["date"].dt.day_of_week.isin(sorted(weekend))).groupby("agent_id", sort=True)
    per = pd.DataFrame({
        "shifts": g.size(),
        "paid_hours": g["paid_hours"].sum(),
        "nights": g["_night"].sum(),
        "weekend_shifts": g["_weekend"].sum(),
        "holiday_shifts": g["is_holiday"].sum(),
        "overtime_hours": g["_ot"].sum(),
        "preferred_days_off_worked": g["_off"].sum(),
        "mean_start_deviation_h": g["_dev"].mean(),
        "start_times": g["_start"].nunique(),
    })
    summ = ag[["agent_id", "name", "team"]].copy()
    summ = summ.join(per, on="agent_id")
    for c in ("shifts", "nights", "weekend_shifts", "holiday_shifts", "preferred_days_off_worked", "start_times"):
        summ[c] = summ[c].fillna(0).astype(int)
    summ["overtime_hours"] = summ["overtime_hours"].fillna(0.0).astype(float).round(6)
    summ["mean_start_deviation_h"] = summ["mean_start_deviation_h"].astype(float).round(3)
    summ["paid_hours"] = summ["paid_hours"].fillna(0.0).astype(float).round(6)
    summ["min_hours_shortfall"] = np.round(shortfall, 6)
    return summ[SUMMARY_COLUMNS].sort_values("agent_id", kind="stable").reset_index(drop=True)


def _new_ledger(ros: pd.DataFrame, summ: pd.DataFrame, led: pd.DataFrame) -> pd.DataFrame:
    """The ledger plus this horizon's holiday shifts, and each agent's latest holiday worked."""
    new = dict(zip(summ["agent_id"], summ["holiday_shifts"]))
    old = dict(zip(led["agent_id"], led["holiday_shifts"]))
    last = {a: d for a, d in zip(led["agent_id"], led["last_holiday"]) if pd.notna(d)}
    hol_rows = ros[ros["is_holiday"]]
    for a, d in hol_rows.groupby("agent_id")["date"].max().items():
        last[a] = max(d, last[a]) if a in last else d
    ids = sorted(set(old) | set(new))
    return pd.DataFrame({"agent_id": pd.Series(ids, dtype=str),
                         "holiday_shifts": pd.Series([int(old.get(i, 0)) + int(new.get(i, 0)) for i in ids], dtype=int),
                         "last_holiday": pd.Series([last.get(i, pd.NaT) for i in ids], dtype="datetime64[ns]")})


def _messages(unf: pd.DataFrame, summ: pd.DataFrame, hol_short: int, weeks_info: list, rcfg) -> list[str]:
    msgs = []
    order = unf.sort_values(["is_holiday", "date", "shift_start"], ascending=[False, True, True], kind="stable")
    for _, row in order.head(MAX_MESSAGES).iterrows():
        msgs.append(_message(row))
    if len(unf) > MAX_MESSAGES:
        rest_n = int(unf["missing"].iloc[:].sum() - order.head(MAX_MESSAGES)["missing"].sum())
        msgs.append(f"{len(unf) - MAX_MESSAGES} more shifts lack {rest_n} agents in all; see unfilled_shifts.csv")
    if hol_short:
        msgs.append(f"{hol_short} agent-shifts on public holidays are below the guaranteed share "
                    f"({rcfg.holiday_min_share:.0%} of each holiday shift)")
    short = summ.loc[summ["min_hours_shortfall"] > 1e-6]
    if len(short):
        msgs.append(f"{len(short)} agents get fewer than their contracted minimum hours, "
                    f"{short['min_hours_shortfall'].sum():.1f} h short in all; see agent_summary.csv")
    for w in weeks_info:
        if not w["proven_optimal"]:
            gap = f", gap {w['gap']:.1%}" if w.get("gap") is not None else ""
            msgs.append(f"The roster for the week from {w['week_start']} is the best found in the time limit, "
                        f"not proven optimal ({w['status']}{gap}); it depends on the machine's speed (raise "
                        "roster.time_limit_s for one that is the same everywhere)")
    return msgs


def roster_result(s: pd.DataFrame, ag: pd.DataFrame, led: pd.DataFrame, assigned: list, shortfall: np.ndarray,
                  weeks_info: list, cfg, hol_ok=None, wkd_ok=None) -> RosterResult:
    """The outputs of a finished roster: ``s`` the prepared shifts, ``ag`` the typed agents, ``led`` the
    ledger before, ``assigned`` (agent, shift) index pairs, ``shortfall`` contracted hours short per agent
    [h], ``weeks_info`` the solver's report per week, ``hol_ok``/``wkd_ok`` per agent: may work a holiday /
    weekend shift (the fairness spreads count those agents)."""
    rcfg = cfg.roster
    n_s = len(s)
    a_idx = np.array([a for a, _ in assigned], dtype=np.int64)
    g_idx = np.array([g for _, g in assigned], dtype=np.int64)
    ros = _roster_frame(s, ag, a_idx, g_idx, cfg)
    filled = np.bincount(g_idx, minlength=n_s) if n_s else np.zeros(0, dtype=np.int64)
    unf = _unfilled(s, filled)
    req = np.where(s["is_holiday"].to_numpy(bool), np.ceil(rcfg.holiday_min_share * s["count"].to_numpy() - 1e-9), 0)
    hol_short = int(np.maximum(req - filled, 0).sum()) if n_s else 0
    summ = _agent_summary(ros, ag, shortfall, weekend_days(cfg.site.country, cfg.site.subdivision))
    dev_mean = round(float(ros["_dev"].mean()), 3) if ros["_dev"].notna().any() else None
    ros = ros[ROSTER_COLUMNS]
    ledger = _new_ledger(ros, summ, led)
    msgs = _messages(unf, summ, hol_short, weeks_info, rcfg)
    short = summ.loc[summ["min_hours_shortfall"] > 1e-6]
    summary = {
        "status": "optimal" if weeks_info and all(w["proven_optimal"] for w in weeks_info)
        else ("feasible" if weeks_info else "empty"),
        "proven_optimal": bool(weeks_info) and all(w["proven_optimal"] for w in weeks_info),
        "time_limit_decided": [str(w["week_start"]) for w in weeks_info if not w["proven_optimal"]],
        "weeks": [{k: v for k, v in w.items() if k != "has_solution"} for w in weeks_info],
        "seconds": round(sum(w["seconds"] for w in weeks_info), 2),
        "assigned_shifts": int(len(ros)),
        "required_shifts": int(s["count"].sum()) if n_s else 0,
        "unfilled_shifts": int(unf["missing"].sum()) if len(unf) else 0,
        "holiday_unfilled_below_share": hol_short,
        "agents_short_of_min_hours": int(len(short)),
        "min_hours_shortfall_h": round(float(summ["min_hours_shortfall"].sum()), 3),
        "overtime_hours": round(float(summ["overtime_hours"].sum()), 3),
        "preferred_days_off_worked": int(summ["preferred_days_off_worked"].sum()),
        "mean_start_deviation_h": dev_mean,
        **_spreads(summ, ag, led, hol_ok, wkd_ok),
        "messages": msgs,
    }
    return RosterResult(roster=ros, unfilled=unf, agent_summary=summ, summary=summary, ledger=ledger)

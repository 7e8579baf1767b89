"""Column headers of report.xlsx in words with their units, for the people who re-work the numbers.

The CSVs keep their machine names (``paid_hours``); the workbook shows ``Paid hours (h)``. Every header is
distinct, so a script can map a sheet back to the names. A column missing here is shown with its
underscores as spaces, so a new column is never hidden, only less well named.
"""

from __future__ import annotations

# name -> (words, unit); unit "money" is replaced by the run's currency, None: no unit (dates, text, shares
# shown as percentages by their number format)
HEADERS: dict[str, tuple[str, str | None]] = {
    # who and when
    "agent_id": ("Agent ID", None), "name": ("Agent", None), "team": ("Team", None), "queue": ("Queue", None),
    "skills": ("Skills", None), "contract": ("Contract", None), "date": ("Date", None), "day_type": ("Day type", None),
    "holiday_name": ("Holiday", None), "week": ("ISO week", None), "week_start": ("Week from (Monday)", None),
    "days": ("Days", None), "interval_start": ("Interval start", None), "start": ("First interval", None),
    "end": ("Last interval", None), "hour": ("Hour", None), "shift_id": ("Shift ID", None), "template": ("Shift template", None),
    "shift": ("Shift", None), "shift_start": ("Shift start", None), "shift_end": ("Shift end", None),
    "break_start": ("Break start", None), "break_end": ("Break end", None), "is_holiday": ("Public holiday", None),
    "is_overtime": ("Overtime shift", None), "missing": ("Agents missing", "agents"), "intervals": ("Intervals", None),
    # calls and service
    "calls": ("Forecast calls", "calls"), "offered": ("Calls offered (forecast)", "calls"),
    "offered_lo": ("Calls offered, low bound", "calls"), "offered_hi": ("Calls offered, high bound", "calls"), "handled_calls": ("Handled calls", "calls"),
    "handled": ("Calls handled", "calls"), "abandoned": ("Abandoned calls", "calls"), "aht_s": ("Handle time", "s"),
    "required": ("Agents required", "agents"), "scheduled": ("Agents scheduled", "agents"), "rostered": ("Agents rostered", "agents"),
    "gap": ("Rostered minus required", "agents"), "agents": ("Agents on the phone needed", "agents"),
    "scheduled_required": ("Agents required after shrinkage", "agents"), "agents_on_phone": ("Agents on the phone", "agents"),
    "service_level": ("Service level", None), "expected_sl": ("Expected service level", None), "asa_s": ("Average speed of answer", "s"),
    "expected_asa_s": ("Expected average speed of answer", "s"), "abandon_rate": ("Abandonment", None),
    "expected_abandon": ("Expected abandonment", None), "occupancy": ("Occupancy", None), "patience_s": ("Mean patience", "s"),
    "target_met": ("Target met", None), "below_target": ("Below target", None),
    "intervals_below_target": ("Intervals below target", None),
    "alone_sl": ("Simulated service level, queue alone", None),
    "mix_sl": ("Simulated service level, rostered skill mix", None),
    "mix_lo": ("Skill-mix service level, low bound", None), "mix_hi": ("Skill-mix service level, high bound", None),
    "mix_abandon": ("Skill-mix abandonment", None), "mix_asa_s": ("Skill-mix average speed of answer", "s"),
    "sim_service_level": ("Simulated service level", None), "sim_sl_lo": ("Simulated service level, low bound", None),
    "sim_sl_hi": ("Simulated service level, high bound", None), "sim_asa_s": ("Simulated average speed of answer", "s"),
    "sim_abandon_rate": ("Simulated abandonment", None), "sim_ab_lo": ("Simulated abandonment, low bound", None),
    "sim_ab_hi": ("Simulated abandonment, high bound", None), "sim_note": ("Simulation note", None),
    # hours
    "required_agent_h": ("Required agent-hours", "h"), "rostered_agent_h": ("Rostered agent-hours", "h"),
    "under_agent_h": ("Agent-hours short", "h"), "over_agent_h": ("Agent-hours over", "h"),
    "paid_hours": ("Paid hours", "h"), "regular_hours": ("Regular hours", "h"), "overtime_hours": ("Overtime hours", "h"),
    "rest_day_hours": ("Rest-day hours", "h"), "holiday_hours": ("Holiday hours", "h"), "night_hours": ("Night hours", "h"),
    "paid_hours_per_week": ("Paid hours per week", "h"), "contract_hours": ("Contract hours per week", "h"),
    # money
    "base_cost": ("Base pay", "money"), "overtime_premium": ("Overtime premium", "money"),
    "rest_day_premium": ("Rest-day premium", "money"), "holiday_premium": ("Holiday premium", "money"),
    "night_premium": ("Night premium", "money"), "premiums": ("Premiums", "money"), "on_cost": ("On-cost", "money"),
    "total_cost": ("Total cost", "money"), "cost_per_call": ("Cost per forecast call", "money"),
    "cost_per_handled_call": ("Cost per handled call", "money"), "under_cost": ("Cost to fill the shortfall", "money"),
    "over_cost": ("Cost of the hours over", "money"), "hourly_rate": ("Hourly rate", "money"),
    # people (fairness)
    "shifts": ("Shifts", None), "nights": ("Night shifts", None), "weekend_shifts": ("Weekend shifts", None),
    "holiday_shifts": ("Holiday shifts", None), "start_times": ("Distinct start times", None), "leave_days": ("Leave days", None),
    # forecast backtest
    "model": ("Model", None), "used": ("Used for the forecast", None), "role": ("Role", None), "origins": ("Origins", None),
    "first_origin": ("First origin", None), "last_origin": ("Last origin", None), "weeks": ("Weeks ahead", None),
    "actual_calls": ("Backtest actual calls", "calls"), "forecast_calls": ("Backtest forecast calls", "calls"),
    "wape": ("WAPE (weighted absolute % error)", None), "bias": ("Bias (forecast / actual − 1)", None),
    # forecast against actual
    "forecast": ("Calls forecast (plan)", "calls"), "forecast_lo": ("Calls forecast, low bound", "calls"),
    "forecast_hi": ("Calls forecast, high bound", "calls"), "actual": ("Actual calls", "calls"),
    "error": ("Forecast error (forecast / actual − 1)", None), "inside": ("Intervals inside the forecast's interval", None),
    "aht_forecast_s": ("Handle time forecast", "s"), "aht_actual_s": ("Handle time actual", "s"),
    "planned_sl": ("Service level planned", None), "actual_calls_sl": ("Service level on the actual calls", None),
    "planned_abandon": ("Abandonment planned", None), "actual_calls_abandon": ("Abandonment on the actual calls", None),
    "measured_abandon": ("Abandonment measured", None), "measured_asa_s": ("Average speed of answer measured", "s"),
    "coverage": ("Interval coverage", None), "level": ("Interval level", None), "mape": ("MAPE", None), "mase": ("MASE", None),
    # forecast against actual
}


def header(name: str, currency: str) -> str:
    """The workbook header of column ``name``: words, then the unit in brackets (money in ``currency``)."""
    if name not in HEADERS:  # a column this table has not named: at least no underscores
        text = name.replace("_", " ")
        return text[:1].upper() + text[1:]
    words, unit = HEADERS[name]
    if unit is None or unit in words.lower().replace(",", " ").split():  # "Forecast calls", not "Forecast calls (calls)"
        return words
    return f"{words} ({currency if unit == 'money' else unit})"


def column_names(headers, currency: str) -> list[str]:
    """The machine names behind workbook headers (the inverse of :func:`header`): ``Paid hours (h)`` ->
    ``paid_hours``; a header this table does not know comes back as it is."""
    back = {header(n, currency): n for n in HEADERS}
    return [back.get(h, h) for h in headers]

"""Configuration: one YAML (or TOML) file validated by pydantic.

Every stage reads its own section. Unknown keys are rejected so that a typo never passes silently.
The demo's configuration ships in the package (``wfm/data/demo.yaml``); ``load_config(None)`` returns it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .text import printable  # control characters escaped: an error stays one line


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteConfig(_Strict):
    name: str = "Contact center"
    country: str = Field("CN", description="ISO 3166 country code for the `holidays` calendar")
    subdivision: str | None = Field(None, description="state/province code for regional holidays")
    currency: str = "CNY"
    date_format: str | None = Field(
        None, description="how history timestamps are written: 'dayfirst', 'monthfirst' or a strptime format such as "
        "'%d/%m/%Y %H:%M'; default: detected, and refused when ambiguous")
    timezone: str | None = Field(
        None, description="IANA zone of the site, e.g. 'Asia/Shanghai': timestamps with an offset are converted to it")

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v):
        if v is None or v in ("dayfirst", "monthfirst"):
            return v
        codes = set(re.findall(r"%(.)", v.replace("%%", "")))
        if not {"d", "m"} <= codes or not codes & {"Y", "y"}:
            raise ValueError(f"'{v}' must be 'dayfirst', 'monthfirst' or a strptime format with %d, %m and %Y (or %y), "
                             "e.g. '%d/%m/%Y %H:%M'")
        from datetime import datetime

        probe = datetime(2026, 3, 14, 9, 30, 15)
        try:
            ok = datetime.strptime(probe.strftime(v), v).date() == probe.date()
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"'{v}' is not a strptime format that reads its own dates back (see docs/config.md)")
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v):
        if v is None:
            return v
        from .errors import InputError
        from .timestamps import check_timezone

        try:
            return check_timezone(v)
        except InputError as err:
            raise ValueError(str(err)) from None


def _model_names() -> list[str]:
    """Forecast models the config accepts: the forecasters' registry, then 'auto'."""
    from .forecast import MODELS  # here, not at the top: wfm.forecast is heavy and must stay free to import wfm.config

    return [*sorted(MODELS), "auto"]


class ForecastConfig(_Strict):
    weeks: int = Field(4, ge=1, le=52, description="horizon in weeks")
    start: str | None = Field(None, description="first forecast day (YYYY-MM-DD); default: the day after history ends")

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v):
        import datetime as dt

        if v is None or isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return None if v is None else v.isoformat()  # YAML and TOML read an unquoted date as a date
        text = str(v).strip()
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"must be a real date written YYYY-MM-DD, got '{v}'") from None

    prediction_level: float = Field(0.8, gt=0, lt=1, description="coverage of the prediction interval")
    profile_weeks: int = Field(8, ge=1, le=52, description="recent weeks used for intraday and AHT profiles")
    fill_gaps: bool = Field(False, description="count missing history intervals as zero calls")
    default_aht_s: float | None = Field(None, gt=0, description="handle time [s] to use when history has no aht_s")
    model: str = Field(
        "calendar", description="forecast model (wfm.forecast.MODELS) or 'auto', which picks per queue by "
        "rolling-origin backtest"
    )

    @field_validator("model")
    @classmethod
    def _model(cls, v: str) -> str:
        names = _model_names()
        if v not in names:
            raise ValueError(f"'{v}' must be one of {', '.join(names)}")
        return v
    events_file: str | None = Field(None, description="CSV of special days: date, name, effect (multiplier or 'learn')")
    opening_hours: dict[str, str] | None = Field(
        None,
        description="open hours by day: keys mon..sun and optionally holiday; values 'HH:MM-HH:MM' or 'closed'; "
        "default: learned from history",
    )

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, v):
        if v is None:
            return v
        import re

        allowed = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"}
        for key, val in v.items():
            if key not in allowed:
                raise ValueError(f"unknown day '{key}' (use mon, tue, wed, thu, fri, sat, sun, holiday)")
            text = str(val).strip().lower()
            if text == "closed":
                continue
            m = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", text)
            if not m:
                raise ValueError(f"'{val}' for '{key}' is not 'HH:MM-HH:MM' or 'closed'")
            h1, m1, h2, m2 = map(int, m.groups())
            if not (0 <= h1 < 24 and m1 < 60 and 0 <= h2 <= 24 and m2 < 60 and h1 * 60 + m1 < h2 * 60 + m2 <= 1440):
                raise ValueError(f"'{val}' for '{key}' is not a valid opening range within one day")
        return v
    clean_outliers: bool = Field(True, description="flag outlier days and fit them as missing")


PatienceValue = float | Literal["estimate"] | None

@dataclass(frozen=True)
class StaffingOptions:
    """Staffing options beyond ``cfg.staffing`` (to become config fields): the keyword arguments of
    :func:`requirements`, usable as ``requirements(fc, cfg, **dataclasses.asdict(opts))`` or per queue
    through its ``queue_options``.

    ``model``: ``'erlang_c'`` (nobody abandons) or ``'erlang_a'`` (exponential patience); ``patience_s``:
    mean patience [s], needed by Erlang A and used for the ``abandon_rate`` column; ``channel``:
    ``'voice'``, ``'chat'`` (an agent handles ``concurrency`` chats at once) or ``'deferred'`` (e-mail,
    tickets: each item answered within ``response_window_h`` hours); ``max_abandon``: optional cap on the
    abandonment share (Erlang A only).
    """

    model: Literal["erlang_c", "erlang_a"] = "erlang_c"
    patience_s: float | None = None
    channel: Literal["voice", "chat", "deferred"] = "voice"
    concurrency: int = 1
    response_window_h: float | None = None
    max_abandon: float | None = None

    def check(self) -> StaffingOptions:
        """Raise ValueError naming the option when it is out of range or contradicts another; return self."""
        if self.model not in ("erlang_c", "erlang_a"):
            raise ValueError(f"model must be 'erlang_c' or 'erlang_a', got {self.model!r}")
        if self.channel not in ("voice", "chat", "deferred"):
            raise ValueError(f"channel must be 'voice', 'chat' or 'deferred', got {self.channel!r}")
        if self.patience_s is not None and not self.patience_s > 0:
            raise ValueError(f"patience_s must be > 0 seconds (or None), got {self.patience_s!r}")
        if self.model == "erlang_a" and self.patience_s is None and self.channel != "deferred":
            raise ValueError("model='erlang_a' needs patience_s (mean patience in seconds); "
                             "estimate_patience() can infer it from history with abandoned calls")
        if int(self.concurrency) != self.concurrency or self.concurrency < 1:
            raise ValueError(f"concurrency must be a whole number >= 1, got {self.concurrency!r}")
        if self.channel != "chat" and self.concurrency != 1:
            raise ValueError("concurrency applies to channel='chat' only")
        if self.channel == "deferred":
            if self.response_window_h is None or not self.response_window_h >= 0:
                raise ValueError("channel='deferred' needs response_window_h >= 0 (hours to answer each item)")
        elif self.response_window_h is not None:
            raise ValueError("response_window_h applies to channel='deferred' only")
        if self.max_abandon is not None:
            if not 0 <= self.max_abandon <= 1:
                raise ValueError(f"max_abandon must be a share in [0, 1], got {self.max_abandon!r}")
            if self.model != "erlang_a":
                raise ValueError("max_abandon needs model='erlang_a' (Erlang C assumes nobody abandons)")
        return self



# Which option an error of StaffingOptions.check() is about (first matching start of its message).
_CHECK_KEYS = (
    ("model='erlang_a' needs patience_s", "patience_s"),
    ("channel='deferred' needs", "response_window_h"),
    ("model", "model"), ("channel", "channel"), ("patience_s", "patience_s"), ("concurrency", "concurrency"),
    ("response_window_h", "response_window_h"), ("max_abandon", "max_abandon"),
)


def _check_key(msg: str) -> str:
    for start, key in _CHECK_KEYS:
        if msg.startswith(start):
            return key
    return next((k for _, k in _CHECK_KEYS if k in msg), "")


def _positive_patience(v):
    """patience_s: empty, 'estimate' or a number of seconds > 0 (one clear message instead of the union's two)."""
    if v is None or v == "estimate":
        return v
    try:
        x = float(v) if not isinstance(v, bool) else float("nan")
    except (TypeError, ValueError):
        x = float("nan")
    if not x > 0:
        raise ValueError(f"must be the mean patience in seconds (> 0), 'estimate' or empty, got {v!r}")
    return x


class QueueStaffing(_Strict):
    """Options of one queue under ``staffing.queues``; empty ``model``, ``patience_s`` and ``max_abandon``
    take the ``staffing`` section's values."""

    channel: Literal["voice", "chat", "deferred"] = Field("voice", description="voice, chat or deferred work")
    concurrency: int = Field(1, ge=1, description="chats one agent handles at once (chat only)")
    response_window_h: float | None = Field(None, ge=0, description="hours to answer each item (deferred only)")
    model: Literal["erlang_c", "erlang_a"] | None = Field(None, description="default: staffing.model")
    patience_s: PatienceValue = Field(None, description="mean patience [s] or 'estimate'; default: staffing.patience_s")
    max_abandon: float | None = Field(None, ge=0, le=1, description="cap on the abandon share (erlang_a); default: staffing.max_abandon")

    _patience = field_validator("patience_s", mode="before")(_positive_patience)


class MultiSkillConfig(_Strict):
    """``staffing.multiskill``: how agents trained on several queues are routed when the roster is
    simulated with its skill mix (:mod:`wfm.multiskill`)."""

    check: bool = Field(True, description="simulate the roster with its agents' skill sets in the report")
    routing: Literal["priority", "longest_wait"] = Field(
        "priority", description="priority: a free agent takes the first queue of its agents-file order that has a "
        "caller waiting; longest_wait: the caller who has waited longest among its queues")
    plan: Literal["queue", "skill_set"] = Field(
        "queue", description="queue: shifts and roster per queue, each sized alone (Erlang); skill_set: per "
        "skill set of the agents file, sized together by simulation (wfm.multiskill.skill_set_plan)")


class StaffingConfig(_Strict):
    sl_target: float = Field(0.8, gt=0, lt=1, description="share of calls answered within sl_seconds")
    sl_seconds: float = Field(20, ge=0, description="service-level answer time [s]")
    max_occupancy: float = Field(0.85, gt=0, le=1, description="cap on agent occupancy")
    shrinkage: float = Field(0.30, ge=0, lt=1, description="share of paid time not available for calls")
    max_agents: int = Field(2000, ge=1, description="cap on agents per interval per queue")
    model: Literal["erlang_c", "erlang_a"] = Field("erlang_c", description="erlang_c (nobody abandons) or erlang_a")
    patience_s: PatienceValue = Field(
        None, description="callers' mean patience [s], or 'estimate' (from the history's abandoned calls)"
    )
    max_abandon: float | None = Field(None, ge=0, le=1, description="cap on the abandon share (erlang_a only)")
    shrinkage_parts: dict[str, float] | None = Field(
        None, description="shrinkage by part (breaks, training, ...); total 1 - prod(1 - part) replaces shrinkage"
    )
    shrinkage_file: str | None = Field(
        None, description="CSV of shrinkage by date and/or time of day, one column per part (docs/formats.md)"
    )
    queues: dict[str, QueueStaffing] | None = Field(None, description="per-queue channel and options")
    multiskill: MultiSkillConfig = Field(default_factory=MultiSkillConfig,
                                         description="routing of cross-trained agents in the skill-mix check")

    _patience = field_validator("patience_s", mode="before")(_positive_patience)

    @field_validator("shrinkage_parts")
    @classmethod
    def _parts(cls, v):
        if v is None:
            return v
        for name, share in v.items():
            if name == "shrinkage":
                raise ValueError("name the parts (breaks, training, ...); 'shrinkage' is their total")
            if not 0 <= share < 1:
                raise ValueError(f"part '{name}' must be a share in [0, 1), got {share:g}")
        return v

    @property
    def total_shrinkage(self) -> float:
        """The flat shrinkage share: 1 - prod(1 - part) of ``shrinkage_parts`` when given, else ``shrinkage``."""
        if not self.shrinkage_parts:
            return float(self.shrinkage)
        keep = 1.0
        for share in self.shrinkage_parts.values():
            keep *= 1.0 - float(share)
        return 1.0 - keep

    def queue_options(self, name: str | None = None, patience_s: float | None = None):
        """``StaffingOptions`` of queue ``name`` (None: the section's defaults), checked; ``patience_s``
        stands in for 'estimate'. Raises ValueError starting with the key of the offending option."""
        q = (self.queues or {}).get(name) if name is not None else None
        prefix = f"staffing.queues.{name}." if q is not None else "staffing."
        pat = q.patience_s if q is not None and q.patience_s is not None else self.patience_s
        if pat == "estimate":
            pat = patience_s if patience_s is not None else 1.0  # a placeholder while checking the config
        model = q.model if q is not None and q.model is not None else self.model
        # the section's max_abandon carries over to a queue only where that queue is staffed with Erlang A
        cap = (q.max_abandon if q is not None and q.max_abandon is not None
               else self.max_abandon if q is None or model == "erlang_a" else None)
        opts = StaffingOptions(
            model=model,
            patience_s=pat,
            channel=q.channel if q is not None else "voice",
            concurrency=q.concurrency if q is not None else 1,
            response_window_h=q.response_window_h if q is not None else None,
            max_abandon=cap,
        )
        try:
            return opts.check()
        except ValueError as err:
            raise ValueError(f"{prefix}{_check_key(str(err))}: {err}") from None

    @model_validator(mode="after")
    def _options(self):
        if self.model == "erlang_c" and self.patience_s is None and self.max_abandon is None and not self.queues:
            return self  # today's defaults: nothing to check
        self.queue_options(None)
        for name in self.queues or {}:
            self.queue_options(name)
        return self


class BreakConfig(_Strict):
    minutes: int = Field(60, ge=0, description="break length [min]; 0 means no break")
    paid: bool = Field(False, description="whether the break is paid time")
    earliest_start_h: float = Field(3.0, ge=0, description="earliest break start after shift start [h]")
    latest_start_h: float = Field(5.0, ge=0, description="latest break start after shift start [h]")

    @model_validator(mode="after")
    def _window(self):
        if self.latest_start_h < self.earliest_start_h:
            raise ValueError("latest_start_h must be >= earliest_start_h")
        return self


class ShiftTemplate(_Strict):
    name: str
    length_h: float = Field(gt=0, le=16, description="shift length from start to end, breaks included [h]")
    brk: BreakConfig | None = Field(None, alias="break", description="the break inside the shift, if any")
    start_min_h: float = Field(0.0, ge=0, lt=24, description="earliest start hour of day")
    start_max_h: float = Field(23.75, ge=0, lt=24, description="latest start hour of day")
    contract: Literal["full_time", "part_time", "any"] = "any"

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def paid_h(self) -> float:
        """Paid hours of the shift [h]: its length less an unpaid break."""
        if self.brk is None or self.brk.paid:
            return self.length_h
        return self.length_h - self.brk.minutes / 60.0

    @model_validator(mode="after")
    def _fits(self):
        if self.brk is not None and self.brk.minutes > 0:
            if self.brk.latest_start_h * 60 + self.brk.minutes > self.length_h * 60:
                raise ValueError(f"break window of template '{self.name}' ends after the shift")
        if self.start_max_h < self.start_min_h:
            raise ValueError(f"template '{self.name}': start_max_h must be >= start_min_h")
        return self


class TourConfig(_Strict):
    """Weekly tours: agents work the same shift (template and start time) on ``days_on`` days of an ISO week."""

    enabled: bool = Field(False, description="schedule weekly tours with days off instead of isolated daily shifts")
    days_on: int = Field(5, ge=1, le=7, description="working days per tour and ISO week")
    consecutive_days_off: Literal["required", "preferred", "no"] = Field(
        "required", description="days off in one block: required, preferred (split blocks cost split_days_off_penalty) or no"
    )
    wrap_days_off: bool = Field(
        False, description="Sunday and Monday count as consecutive days off (the tour repeats every week)"
    )
    split_days_off_penalty: float = Field(
        4.0, ge=0, description="cost of one agent's tour with split days off when preferred [base paid hours]"
    )
    templates: list[str] | None = Field(None, description="templates worked as tours; default all, others day by day")

    @field_validator("consecutive_days_off", mode="before")
    @classmethod
    def _bool_consecutive(cls, v):
        if v is True:
            return "required"
        if v is False:
            return "no"
        return v


class QueueScheduleLimits(_Strict):
    """Per-queue overrides of the part-time share and the starts cap under ``schedule.queues``."""

    min_part_time_share: float | None = Field(None, ge=0, le=1, description="default: schedule.min_part_time_share")
    max_part_time_share: float | None = Field(None, ge=0, le=1, description="default: schedule.max_part_time_share")
    max_starts_per_interval: int | None = Field(None, ge=1, description="default: schedule.max_starts_per_interval")


class ScheduleConfig(_Strict):
    start_step_min: int = Field(30, description="shift start-time grid [min]")
    break_step_min: int = Field(30, description="grid of break start offsets inside their window [min]")
    templates: list[ShiftTemplate] = Field(min_length=1)
    under_penalty: float = Field(
        1000.0, ge=0, description="cost of one agent-interval below the requirement [base paid hours per agent-interval]"
    )
    over_penalty: float = Field(0.0, ge=0, description="extra cost of one agent-interval above the requirement [base paid hours]")
    holiday_hard_coverage: bool = Field(True, description="public-holiday intervals must be fully covered")
    solver: Literal["highs", "cbc"] = "highs"
    time_limit_s: float = Field(60, gt=0)
    mip_gap: float = Field(0.01, ge=0, lt=1)
    min_part_time_share: float | None = Field(
        None, ge=0, le=1, description="least share of paid hours on part_time templates, per queue and ISO week"
    )
    max_part_time_share: float | None = Field(
        None, ge=0, le=1, description="largest share of paid hours on part_time templates, per queue and ISO week"
    )
    max_starts_per_interval: int | None = Field(None, ge=1, description="most agents starting a shift in one interval, per queue")
    queues: dict[str, QueueScheduleLimits] | None = Field(None, description="per-queue part-time share and starts cap")
    tours: TourConfig = TourConfig()

    @field_validator("start_step_min", "break_step_min")
    @classmethod
    def _divides_day(cls, v: int) -> int:
        if v <= 0 or 1440 % v:
            raise ValueError("must be a positive number of minutes dividing 1440")
        return v

    def limits(self, queue: str) -> tuple[float | None, float | None, int | None]:
        """(min part-time share, max part-time share, max starts per interval) of ``queue``, overrides applied."""
        q = (self.queues or {}).get(queue)
        pick = lambda key: getattr(q, key) if q is not None and getattr(q, key) is not None else getattr(self, key)  # noqa: E731
        return pick("min_part_time_share"), pick("max_part_time_share"), pick("max_starts_per_interval")

    @model_validator(mode="after")
    def _limits(self):
        contracts = {t.contract for t in self.templates}
        names = {t.name for t in self.templates}
        for key in [None, *(self.queues or {})]:
            lo, hi, _ = self.limits(key) if key is not None else (self.min_part_time_share, self.max_part_time_share, None)
            where = f"schedule.queues.{key}." if key is not None else "schedule."
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{where}min_part_time_share: {lo:g} is above max_part_time_share ({hi:g})")
            if lo and "part_time" not in contracts:
                raise ValueError(f"{where}min_part_time_share: {lo:g} but no template has contract: part_time")
            if hi is not None and hi < 1 and contracts == {"part_time"}:
                raise ValueError(f"{where}max_part_time_share: {hi:g} but every template is part_time: "
                                 "no shift could be scheduled")
        for name in self.tours.templates or []:
            if name not in names:
                raise ValueError(f"schedule.tours.templates: '{name}' is not the name of a template in schedule.templates")
        return self


class RosterWeights(_Strict):
    """Weights of the roster's soft goals, in the roster objective's units: an hour of an agent's contracted
    minimum left unworked costs 10, an empty seat 100 per paid hour, one more holiday shift for the most
    loaded agent 3. Keep them small beside those so that no soft goal costs coverage, contracted hours or
    holiday fairness."""

    preferred_start_per_h: float = Field(
        0.1, ge=0, description="per shift, per hour between its start and the agent's preferred_start")
    preferred_day_off: float = Field(0.5, ge=0, description="per shift on one of the agent's preferred_days_off")
    seniority_boost: float = Field(
        1.0, ge=0, description="preference weights of the most senior agent are (1 + this) times those of the least")
    stable_start: float = Field(
        0.3, ge=0, description="per shift not at the agent's most common start time of the week (same-day swaps)")
    weekend_fairness: float = Field(
        0.2, ge=0, description="the j-th weekend shift of an agent who already has b in the horizon costs this x (b + j)")
    overtime_per_h: float = Field(1.0, ge=0, description="per paid hour over pay.weekly_overtime_after_h in a week")


class RosterConfig(_Strict):
    min_rest_h: float = Field(11, ge=0, description="minimum rest between two shifts of one agent [h]")
    max_consecutive_days: int = Field(6, ge=1, le=14)
    min_days_off_per_week: int = Field(2, ge=0, le=7)
    holiday_min_share: float = Field(
        1.0, ge=0, le=1, description="share of scheduled holiday shifts that must be staffed by named agents"
    )
    time_limit_s: float = Field(60, gt=0, description="solver time limit per week [s]")
    mip_gap: float = Field(0.01, ge=0, lt=1)
    weights: RosterWeights = RosterWeights()


class PayConfig(_Strict):
    overtime_multiplier: float = Field(1.5, ge=1, description="pay multiple for hours over the thresholds")
    rest_day_multiplier: float = Field(2.0, ge=1, description="pay multiple for work on a rest day")
    holiday_multiplier: float = Field(3.0, ge=1, description="pay multiple for work on a statutory holiday")
    daily_overtime_after_h: float | None = Field(8.0, gt=0, description="paid hours per day before overtime")
    weekly_overtime_after_h: float | None = Field(40.0, gt=0, description="paid hours per ISO week before overtime")
    rest_days: Literal["calendar", "none"] = Field(
        "calendar",
        description="'calendar': weekends (less make-up working days) and bridge days off are rest days; "
        "'none': only holidays carry a premium (comprehensive working-hours systems)",
    )
    night_start_h: float = Field(22.0, ge=0, lt=24)
    night_end_h: float = Field(6.0, ge=0, lt=24)
    night_premium: float = Field(0.0, ge=0, description="extra share of base pay for hours in the night window")
    on_cost: float = Field(0.0, ge=0, description="employer on-cost as a share of gross pay")


class Config(_Strict):
    site: SiteConfig = SiteConfig()
    interval_minutes: int = Field(15, description="interval length [min]: 5, 15, 30 or 60")
    forecast: ForecastConfig = ForecastConfig()
    staffing: StaffingConfig = StaffingConfig()
    schedule: ScheduleConfig | None = Field(
        None, description="shift templates and solver; needed only by the commands that schedule (see require)")
    roster: RosterConfig = RosterConfig()
    pay: PayConfig = PayConfig()
    _source: str = PrivateAttr("config")

    def require(self, section: str):
        """The ``section`` model of a command that cannot run without it; ConfigError naming the file if absent."""
        value = getattr(self, section)
        if value is None:
            raise ConfigError(f"{self._source}: this command needs a '{section}' section (see docs/config.md)")
        return value

    @field_validator("interval_minutes")
    @classmethod
    def _interval(cls, v: int) -> int:
        if v not in (5, 10, 15, 30, 60):
            raise ValueError("must be one of 5, 10, 15, 30, 60")
        return v

    @model_validator(mode="after")
    def _grids(self):
        if self.schedule is None:
            return self
        for key in ("start_step_min", "break_step_min"):
            step = getattr(self.schedule, key)
            if step % self.interval_minutes:
                raise ValueError(f"schedule.{key} ({step}) must be a multiple of interval_minutes ({self.interval_minutes})")
        return self

    @property
    def interval_s(self) -> int:
        """Interval length [s]."""
        return self.interval_minutes * 60


DEMO_CONFIG = "demo.yaml"


SECTIONS = ("site", "forecast", "staffing", "schedule", "roster", "pay")


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key, line: int, first: int):
        super().__init__(f"line {line}: key '{key}' appears twice (first on line {first})")


class _Loader(yaml.SafeLoader):
    """SafeLoader (tags such as !!python stay refused) that also refuses a key given twice in one mapping
    (plain YAML keeps the last one silently) and keeps an impossible date such as 2026-13-45 as text, so
    that the key's own check reports it."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key_node, _ in node.value:
                # keys brought in by a merge (<<: *anchor) may be overridden; only keys written here count
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node)
                try:
                    seen = first.get(key)
                except TypeError:
                    continue
                if seen is not None:
                    raise _DuplicateKey(key, key_node.start_mark.line + 1, seen)
                first[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _kind(v) -> str:
    """'a list', 'a string', ... for messages about a value of the wrong shape."""
    import datetime as dt

    if v is None:
        return "an empty value"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, (dt.date, dt.time)):
        return "a date or time"
    return {list: "a list", tuple: "a list", str: "a string", dict: "a mapping"}.get(type(v), type(v).__name__)


def _line_of(node, loc) -> int | None:
    """1-based line of the YAML key at ``loc`` (or of its nearest parent present in the file)."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                    nxt, line = v, k.start_mark.line + 1
            if nxt is None:
                break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _format_errors(err: ValidationError, source: str, node=None) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        # a cross-key check names the exact key itself: "staffing.queues.chat.concurrency: ..."
        named = re.match(r"([A-Za-z_][^\s:]*(?:\.[^\s:]+)+): (.*)", msg, re.S)
        if named and named.group(1).startswith(key + ".") and e["type"] == "value_error":
            key, msg = named.groups()
        line = _line_of(node, e["loc"]) if node is not None else None
        where = f"{source}, line {line}" if line else source
        if e["type"] in ("model_type", "model_attributes_type", "dict_type"):
            lines.append((line or 0, f"{where}: section '{key}' must be a mapping of keys, found {_kind(e.get('input'))}"))
            continue
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see docs/config.md)"
        lines.append((line or 0, f"{where}: key '{key}': {' '.join(msg.split())}"))
    # one line: the first problem in the file, and how many follow it
    lines.sort(key=lambda t: t[0])
    more = f" (and {len(lines) - 1} more problem{'s' if len(lines) > 2 else ''})" if len(lines) > 1 else ""
    return lines[0][1] + more


def parse_config(data: dict, source: str = "config", node=None) -> Config:
    """Validate a config mapping; raise ConfigError naming each bad key. ``node``: the YAML node tree the
    mapping was read from, for line numbers in the messages."""
    if not isinstance(data, dict):
        where = f"{source}, line {node.start_mark.line + 1}" if node is not None else source
        raise ConfigError(f"{where}: the file must hold a mapping of keys (key: value lines), found {_kind(data)}")
    # an empty section (`forecast:` with nothing under it) means its defaults; for schedule: no section
    data = {k: v for k, v in data.items() if not (k in SECTIONS and v is None)}
    try:
        cfg = Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(printable(_format_errors(err, source, node))) from None
    except (RecursionError, MemoryError):
        raise ConfigError(f"{source}: nested too deeply to read (a config needs only a few levels)") from None
    cfg._source = source
    return cfg


def _decode(raw: bytes, p: Path) -> str:
    """UTF-8 text of a config file (a UTF-8 byte-order mark is fine); ConfigError naming the first bad line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise ConfigError(f"{p}, line {line}: not UTF-8 text (byte 0x{raw[err.start]:02x}); "
                          "re-save the file as UTF-8 (in most editors: Save as, encoding UTF-8)") from None


def _yaml_error(err: yaml.YAMLError, text: str, p: Path) -> str:
    """One line for a YAML error: file, line, column and the parser's problem, without its caret block."""
    if isinstance(err, _DuplicateKey):
        return f"{p}, {err}"
    if isinstance(err, yaml.reader.ReaderError):
        line = text[:err.position].count("\n") + 1
        ch = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "\0")
        return f"{p}, line {line}: not valid YAML: character #x{ch:04x} is not allowed in YAML text"
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        problem = " ".join(str(err.problem or err.context or "syntax error").split())
        ctx = ""
        if err.problem and err.context and err.context_mark is not None:
            ctx = f" ({' '.join(err.context.split())} on line {err.context_mark.line + 1})"
        at = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        if isinstance(err, yaml.constructor.ConstructorError) and "constructor for the tag" in problem:
            return f"{p}{at}: {problem}: a config holds plain values only (tags such as !!python are refused)"
        return f"{p}{at}: not valid YAML: {problem}{ctx}"
    return f"{p}: not valid YAML: {' '.join(str(err).split())}"


def _toml_error(err: Exception, p: Path) -> str:
    msg = " ".join(str(err).split())
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", msg)
    if m:
        return f"{p}, line {m.group(1)}, column {m.group(2)}: not valid TOML: {msg[:m.start()]}"
    return f"{p}: not valid TOML: {msg}"


def load_config(path: str | Path | None = None) -> Config:
    """Load a YAML or TOML config file; with no path, the demo config shipped in the package.

    Every problem is one ConfigError line naming the file (and the line where known): text that is not
    UTF-8, a syntax error, a key given twice, a section that is not a mapping, a bad value."""
    try:
        return _load(path)
    except ConfigError as err:
        raise ConfigError(printable(str(err))) from None


def _load(path: str | Path | None) -> Config:
    if path is None:
        text = resources.files("wfm").joinpath("data", DEMO_CONFIG).read_text(encoding="utf-8")
        return parse_config(yaml.load(text, Loader=_Loader), source=f"(built-in {DEMO_CONFIG})")
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{p}: is a folder, not a config file")
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    try:
        raw = p.read_bytes()
    except OSError as err:
        raise ConfigError(f"{p}: cannot read the config file ({err.strerror or err})") from None
    text = _decode(raw, p)
    toml = p.suffix.lower() == ".toml"
    node = None
    try:
        if toml:
            data = tomllib.loads(text)
        else:
            loader = _Loader(text)
            try:
                node = loader.get_single_node()
                data = loader.construct_document(node) if node is not None else None
            finally:
                loader.dispose()
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(_toml_error(err, p)) from None
    except yaml.YAMLError as err:
        raise ConfigError(_yaml_error(err, text, p)) from None
    except (RecursionError, MemoryError):
        raise ConfigError(f"{p}: nested too deeply to read (a config needs only a few levels; "
                          "look for unclosed or repeated brackets)") from None
    if data is None or data == {}:
        raise ConfigError(f"{p}: the config file is empty (see docs/config.md for its sections)")
    return parse_config(data, source=str(p), node=node)


def config_yaml(cfg: Config) -> str:
    """The config as YAML, keys in schema order (what the run used, defaults included)."""
    return yaml.safe_dump(cfg.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True)

"""The shift catalog: every shift variant (template, start, break start) allowed on a day, with its pay split
by calendar date and night window."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError

__all__ = ["shift_catalog", "pay_split", "CatalogArrays"]


def _grid(lo_min: float, hi_min: float, step: int) -> list[int]:
    """Multiples of ``step`` within [lo_min, hi_min]."""
    first = math.ceil(round(lo_min, 6) / step) * step
    return list(range(int(first), int(math.floor(round(hi_min, 6))) + 1, step))


def pay_split(cat: pd.DataFrame, pay) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paid hours of each catalog variant on its start day and on the next day, and its paid hours inside the
    night window ``pay.night_start_h``-``night_end_h``, by the rules of :func:`wfm.costs.cost_roster`: the
    unpaid time (length - paid hours) is taken out of the break from its start."""
    n = len(cat)
    day0, day1, night = np.zeros(n), np.zeros(n), np.zeros(n)
    if n == 0:
        return day0, day1, night
    ns, ne = round(pay.night_start_h * 60), round(pay.night_end_h * 60)
    for i, (s0, ln, boff, paid_h) in enumerate(zip(cat["start_min"], cat["length_min"], cat["break_offset_min"],
                                                   cat["paid_hours"])):
        minute = np.arange(int(s0), int(s0) + int(ln))
        paid = np.ones(len(minute), dtype=bool)
        unpaid = int(round(ln - paid_h * 60))
        if unpaid > 0 and boff >= 0:
            paid[int(boff):int(boff) + unpaid] = False
        mod = minute % 1440
        in_night = ((mod >= ns) & (mod < ne)) if ns < ne else ((mod >= ns) | (mod < ne)) if ns > ne else np.zeros(len(mod), bool)
        day0[i] = np.count_nonzero(paid & (minute < 1440)) / 60.0
        day1[i] = np.count_nonzero(paid & (minute >= 1440)) / 60.0
        night[i] = np.count_nonzero(paid & in_night) / 60.0
    return day0, day1, night


def _template_variants(t, key: str, im: int, sc) -> list[tuple]:
    """Catalog rows of one template; raises ConfigError (naming ``key``) when it is off the grid."""
    length = t.length_h * 60
    if abs(length - round(length)) > 1e-6 or round(length) % im:
        raise ConfigError(f"key '{key}.length_h': {t.length_h:g} h is not a whole number of {im}-minute intervals")
    length = int(round(length))
    starts = _grid(t.start_min_h * 60, t.start_max_h * 60, sc.start_step_min)
    if not starts:
        raise ConfigError(f"key '{key}': no start time on the {sc.start_step_min}-minute grid between "
                          f"start_min_h {t.start_min_h:g} and start_max_h {t.start_max_h:g}")
    if t.brk is not None and t.brk.minutes > 0:
        if t.brk.minutes % im:
            raise ConfigError(f"key '{key}.break.minutes': {t.brk.minutes} is not a multiple of interval_minutes ({im})")
        offsets = _grid(t.brk.earliest_start_h * 60, t.brk.latest_start_h * 60, sc.break_step_min)
        if not offsets:
            raise ConfigError(f"key '{key}.break': no break start on the {sc.break_step_min}-minute grid between "
                              f"{t.brk.earliest_start_h:g} h and {t.brk.latest_start_h:g} h after the shift start")
        bmin = t.brk.minutes
    else:
        offsets, bmin = [-1], 0
    return [(t.name, s, length, b, bmin, float(t.paid_h), t.contract) for s in starts for b in offsets]


def shift_catalog(cfg) -> pd.DataFrame:
    """The shift variants allowed on any day: ``template, start_min`` (minutes after midnight),
    ``length_min``, ``break_offset_min`` (minutes after shift start; -1 when none), ``break_min``,
    ``paid_hours``, ``contract``; and for the pay rules ``paid_h_day0`` / ``paid_h_day1`` (paid hours on the
    start day and the next day) and ``night_paid_h`` (paid hours in the night window). Raises ConfigError
    when a template is off the interval grid or allows no start."""
    sc = cfg.require("schedule")
    im = cfg.interval_minutes
    names = [t.name for t in sc.templates]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"key 'schedule.templates': template name '{dup[0]}' is used twice; names must be unique")
    rows = []
    for i, t in enumerate(sc.templates):
        rows += _template_variants(t, f"schedule.templates.{i}", im, sc)
    cat = pd.DataFrame(rows, columns=["template", "start_min", "length_min", "break_offset_min", "break_min", "paid_hours",
                                      "contract"])
    cat["paid_h_day0"], cat["paid_h_day1"], cat["night_paid_h"] = pay_split(cat, cfg.pay)
    return cat


@dataclass(frozen=True, eq=False)
class CatalogArrays:
    """The catalog's columns as arrays, per variant of one day: start and length [min after midnight / min],
    break offset [min after the start; -1 without a break] and length [min], paid hours [h] in all, on the
    start day and the next day, and inside the night window; ``shift_key`` numbers the (template, start)
    pairs, so the break variants of one shift share it."""

    start: np.ndarray
    length: np.ndarray
    break_offset: np.ndarray
    break_min: np.ndarray
    paid: np.ndarray
    paid_day0: np.ndarray
    paid_day1: np.ndarray
    night: np.ndarray
    shift_key: np.ndarray

    @classmethod
    def of(cls, catalog: pd.DataFrame) -> "CatalogArrays":
        """The arrays of a :func:`shift_catalog` frame."""
        return cls(
            start=catalog["start_min"].to_numpy(np.int64), length=catalog["length_min"].to_numpy(np.int64),
            break_offset=catalog["break_offset_min"].to_numpy(np.int64), break_min=catalog["break_min"].to_numpy(np.int64),
            paid=catalog["paid_hours"].to_numpy(float), paid_day0=catalog["paid_h_day0"].to_numpy(float),
            paid_day1=catalog["paid_h_day1"].to_numpy(float), night=catalog["night_paid_h"].to_numpy(float),
            shift_key=catalog.groupby(["template", "start_min"], sort=True).ngroup().to_numpy(np.int64),
        )

    @property
    def per_day(self) -> int:
        """Variants per day."""
        return len(self.start)

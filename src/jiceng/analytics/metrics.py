"""The indicators of the dashboards, reports and scorecards, defined once.

Every indicator of a period is about the events reported in that period (its cohort), as they stand now;
the counters are those of ``rollups.cohort_counts``:

- 应结案数 (``due``): events taken on to be handled (立案: neither waiting for acceptance, rejected nor
  merged); 缓办数: those of them suspended now.
- 按期结案率 = 按期结案数 ÷ (应结案数 − 缓办数); on time = handled no later than the handling deadline
  (extensions included).
- 结案率 = 结案数 ÷ (应结案数 − 缓办数).
- 返工率 = 返工数 ÷ (应结案数 − 缓办数); reworked = failed a verification or reopened at least once.
- 延期率 = 延期数 ÷ (应结案数 − 缓办数); extended = at least one extension approved.
- 满意率 = (满意 + 基本满意) ÷ evaluations.

A rate without a base (nothing due, no evaluation) is ``None``, shown as "—", never as 0 % or 100 %.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Counts = Mapping[str, int]


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 0 else numerator / denominator


def due(c: Counts) -> int:
    """应结案数 − 缓办数: the base of the closure rates."""
    return c.get("accepted", 0) - c.get("suspended", 0)


def evaluations(c: Counts) -> int:
    return c.get("eval_satisfied", 0) + c.get("eval_basic", 0) + c.get("eval_dissatisfied", 0)


def on_time_rate(c: Counts) -> float | None:
    return ratio(c.get("closed_on_time", 0), due(c))


def close_rate(c: Counts) -> float | None:
    return ratio(c.get("closed", 0), due(c))


def rework_rate(c: Counts) -> float | None:
    return ratio(c.get("reworked", 0), due(c))


def extension_rate(c: Counts) -> float | None:
    return ratio(c.get("extended", 0), due(c))


def satisfaction(c: Counts) -> float | None:
    return ratio(c.get("eval_satisfied", 0) + c.get("eval_basic", 0), evaluations(c))


def average_close_hours(c: Counts) -> float | None:
    closed = c.get("closed", 0)
    return None if not closed else c.get("close_seconds", 0) / closed / 3600


@dataclass(frozen=True)
class Rate:
    name: str
    label: str | Promise
    compute: Callable[[Counts], float | None]
    higher_is_better: bool = True


RATES: dict[str, Rate] = {
    r.name: r
    for r in (
        Rate("on_time_rate", _("On-time closure rate"), on_time_rate),
        Rate("close_rate", _("Closure rate"), close_rate),
        Rate("rework_rate", _("Rework rate"), rework_rate, higher_is_better=False),
        Rate("extension_rate", _("Extension rate"), extension_rate, higher_is_better=False),
        Rate("satisfaction", _("Satisfaction"), satisfaction),
    )
}


def indicators(c: Counts) -> dict[str, float | None]:
    """Every rate of ``c``, rounded to 4 places."""
    out: dict[str, float | None] = {}
    for name, rate in RATES.items():
        value = rate.compute(c)
        out[name] = None if value is None else round(value, 4)
    hours = average_close_hours(c)
    out["average_close_hours"] = None if hours is None else round(hours, 1)
    return out


def add(total: dict[str, int], c: Counts) -> dict[str, int]:
    for name, value in c.items():
        total[name] = total.get(name, 0) + value
    return total

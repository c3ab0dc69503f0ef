"""Demo: the county's 考核细则 (scoring rules) and the scorecards of the last month and quarter.

Runs after every module's history (events, work tools, applications), so the scores stand on that data.
"""

from __future__ import annotations

from jiceng.analytics import actions, scoring
from jiceng.analytics.models import PeriodKind
from jiceng.demo.steps import DemoContext, demo_step

# (name, subject, metric, weight, target, deduction per failure): a county's typical monthly rules.
RULES = [
    ("事件上报", "grid_worker", "reports", "25", "15", "0"),
    ("巡查天数", "grid_worker", "patrol_days", "25", "20", "0"),
    ("走访入户", "grid_worker", "visits", "20", "20", "0"),
    ("核查任务", "grid_worker", "verifications", "15", "5", "0"),
    ("上报不予受理", "grid_worker", "rejected_reports", "15", None, "3"),
    ("按期办结率", "unit", "on_time_rate", "35", "0.9", "0"),
    ("群众满意率", "unit", "satisfaction", "20", "0.9", "0"),
    ("超期事件", "unit", "overdue", "15", None, "3"),
    ("无故退回", "unit", "returns", "15", None, "2"),
    ("核查不通过", "unit", "failed_verifications", "15", None, "5"),
    ("结案率", "village", "close_rate", "40", "0.95", "0"),
    ("满意率", "village", "satisfaction", "30", "0.9", "0"),
    ("返工率", "village", "rework_rate", "30", "0.05", "0"),
    ("按期结案率", "township", "on_time_rate", "40", "0.9", "0"),
    ("结案率", "township", "close_rate", "30", "0.95", "0"),
    ("延期率", "township", "extension_rate", "15", "0.1", "0"),
    ("满意率", "township", "satisfaction", "15", "0.9", "0"),
]


@demo_step(order=900, name="analytics.scorecards")
def scorecards(ctx: DemoContext) -> None:
    for sort, (name, subject, metric, weight, target, deduction) in enumerate(RULES):
        actions.create_rule(
            ctx.actor,
            name=name,
            subject_type=subject,
            metric=metric,
            weight=weight,
            target=target,
            deduction=deduction,
            sort=sort,
        )
    for kind in (PeriodKind.MONTH, PeriodKind.QUARTER):
        card = scoring.compute_scorecard(None, kind, scoring.last_period(kind), system=True)
        ctx.log(f"scorecard {scoring.period_label(kind, card.period_start)}: {card.rows.count()} subjects")

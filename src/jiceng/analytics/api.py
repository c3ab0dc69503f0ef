"""JSON of the dashboards, early warnings and scorecards under /api/v1/analytics/."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import BaseModel, ConfigDict, Field

from jiceng.analytics import queries, scoring
from jiceng.analytics.models import EarlyWarning, PeriodKind, ScoreItem, ScoreRow, ScoringRule, SubjectType
from jiceng.core.api import responses

router = Router(tags=["analytics"])


class Plain(BaseModel):
    """Validated by pydantic alone, without ninja's per-attribute ORM getter: the dashboard answer has
    thousands of fields, and the getter was a quarter of its time."""

    model_config = ConfigDict(from_attributes=True)


class PlaceOut(Plain):
    code: str
    name: str
    level: str


class CardsOut(Plain):
    new_today: int = Field(description="Events reported today")
    open: int = Field(description="Open now")
    overdue: int = Field(description="Open and past a deadline now")
    yellow: int
    to_accept: int
    to_dispatch: int
    in_handling: int
    to_verify: int
    suspended_now: int
    reported: int = Field(description="Reported in the period")
    accepted: int = Field(description="应结案数: of them, taken on to be handled")
    closed: int
    closed_on_time: int
    suspended: int = Field(description="缓办数: of them, suspended now")
    reworked: int
    extended: int
    evaluations: int
    on_time_rate: float | None = Field(description="按期结案率 = 按期结案数 ÷ (应结案数 − 缓办数)")
    close_rate: float | None = Field(description="结案率 = 结案数 ÷ (应结案数 − 缓办数)")
    rework_rate: float | None = Field(description="返工率 = 返工数 ÷ (应结案数 − 缓办数)")
    extension_rate: float | None = Field(description="延期率 = 延期数 ÷ (应结案数 − 缓办数)")
    satisfaction: float | None = Field(description="(满意 + 基本满意) ÷ evaluations")
    average_close_hours: float | None


class TrendPointOut(Plain):
    day: date
    reported: int
    closed: int = Field(description="Closed that day")


class RatesOut(Plain):
    reported: int
    accepted: int
    closed: int
    overdue: int = Field(description="Of the period's events: closed late, or open and past a deadline")
    on_time_rate: float | None
    close_rate: float | None
    rework_rate: float | None
    extension_rate: float | None
    satisfaction: float | None
    average_close_hours: float | None


class BreakdownOut(RatesOut):
    key: str
    code: str
    name: str


class RankOut(RatesOut):
    code: str = Field(description="Region code, or the unit's id for units")
    name: str
    level: str
    open: int = Field(description="Open now")
    overdue_now: int = Field(description="Open and past a deadline now (the cards' overdue)")


class RecurringOut(Plain):
    region_code: str
    region_name: str
    category_code: str
    category_name: str
    count: int


class HotspotLeafOut(Plain):
    code: str
    name: str
    value: int


class HotspotOut(HotspotLeafOut):
    children: list[HotspotLeafOut]


class WarningOut(Schema):
    id: int
    day: date
    region_code: str
    region_name: str
    category_code: str
    category_name: str
    count: int
    baseline_mean: float
    baseline_std: float
    threshold: float
    created_at: datetime

    @staticmethod
    def resolve_category_code(obj: EarlyWarning) -> str:
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj: EarlyWarning) -> str:
        return obj.category.name


class ApplicationCardsOut(Plain):
    total: int = Field(description="办件 submitted in the period")
    open: int
    concluded: int
    overdue: int
    online: int
    agency: int = Field(description="Through a village agent (代办)")
    rated: int
    bad_ratings: int
    open_rectifications: int
    on_time_rate: float | None
    satisfaction_rate: float | None = Field(description="好差评: not 不满意 or 非常不满意, of those rated")


class DashboardOut(Plain):
    node: PlaceOut
    parent: PlaceOut | None
    level: str
    days: int
    period_start: date
    today: date
    cards: CardsOut
    trend: list[TrendPointOut] = Field(description="The last 90 days")
    by_category: list[BreakdownOut] = Field(description="Top-level categories")
    top_subcategories: list[BreakdownOut]
    by_source: list[BreakdownOut]
    by_platform: list[BreakdownOut]
    children: list[RankOut] = Field(description="The regions one level down, best on-time rate first")
    units: list[RankOut] = Field(description="Lead units")
    grids: list[RankOut]
    recurring: list[RecurringOut]
    hotspot: list[HotspotOut]
    warnings: list[WarningOut]
    applications: ApplicationCardsOut = Field(description="Service applications (办件) of the period")


class DashboardIn(Schema):
    days: int = Field(queries.DEFAULT_DAYS, ge=1, le=queries.MAX_DAYS, description="Length of the period")


@router.get(
    "/analytics/dashboard",
    response=responses(DashboardOut),
    summary="Dashboard of your own jurisdiction",
)
def own_dashboard(request: HttpRequest, params: Query[DashboardIn]) -> Any:
    return queries.dashboard(request.user, None, days=params.days)


@router.get(
    "/analytics/regions/{code}/dashboard",
    response=responses(DashboardOut),
    summary="Dashboard of one region of your jurisdiction (county, township, village or grid)",
)
def region_dashboard(request: HttpRequest, code: str, params: Query[DashboardIn]) -> Any:
    return queries.dashboard(request.user, code, days=params.days)


class WarningsIn(Schema):
    since: date | None = None
    limit: int = Field(100, ge=1, le=500)


@router.get("/analytics/warnings", response=responses(list[WarningOut]), summary="Early warnings (spikes)")
def list_warnings(request: HttpRequest, params: Query[WarningsIn]) -> Any:
    queries.node_for(request.user)  # refuses users without a jurisdiction
    return list(queries.warning_list(request.user, params.since)[: params.limit])


class RuleOut(Schema):
    id: int
    name: str
    subject_type: SubjectType
    metric: str
    weight: float
    target: float | None
    deduction: float
    is_active: bool


@router.get("/analytics/scoring-rules", response=responses(list[RuleOut]), summary="Scoring rules (量化考核)")
def list_rules(request: HttpRequest) -> Any:
    queries.node_for(request.user)
    return list(ScoringRule.objects.all())


class ScoreItemOut(Schema):
    id: int
    rule_name: str
    metric: str
    weight: float
    target: float | None
    deduction: float
    value: float | None
    numerator: int
    denominator: int
    failures: int
    points: float


class ScoreRowOut(Schema):
    id: int
    subject_type: SubjectType
    subject_code: str
    subject_name: str
    region_code: str
    total: float
    full_marks: float
    rank: int
    items: list[ScoreItemOut]

    @staticmethod
    def resolve_items(obj: ScoreRow) -> list[ScoreItem]:
        return list(obj.items.all())


class ScorecardIn(Schema):
    kind: PeriodKind = PeriodKind.MONTH
    start: date | None = Field(None, description="First day of the month or quarter; default: the last one")
    subject_type: SubjectType | None = None


class ScorecardOut(Schema):
    kind: PeriodKind
    start: date
    end: date
    computed_at: datetime | None
    rows: list[ScoreRowOut]


@router.get(
    "/analytics/scorecards",
    response=responses(ScorecardOut),
    summary="Scores of one month or quarter for the subjects in your jurisdiction",
)
def get_scorecard(request: HttpRequest, params: Query[ScorecardIn]) -> Any:
    return scoring.scorecard_view(request.user, params.kind, params.start, params.subject_type)


class EventRefOut(Schema):
    id: int
    ref: str
    title: str
    state: str
    region_code: str
    reported_at: datetime
    hit: bool = Field(description="Counted in the numerator, or as a failure")


class FlowRefOut(Schema):
    id: int
    event_id: int
    action: str
    at: datetime
    actor: str


class PatrolRefOut(Schema):
    id: int
    started_at: datetime
    ended_at: datetime | None
    distance_m: int
    region_code: str


class VisitRefOut(Schema):
    id: int
    visited_at: datetime
    subject: str
    region_code: str


class ScoreItemDetailOut(ScoreItemOut):
    subject_type: SubjectType
    subject_code: str
    subject_name: str
    period_kind: PeriodKind
    period_start: date
    events: list[EventRefOut]
    flows: list[FlowRefOut]
    patrols: list[PatrolRefOut]
    visits: list[VisitRefOut]
    hidden: int = Field(description="Records outside your jurisdiction, not listed")


@router.get(
    "/analytics/score-items/{item_id}",
    response=responses(ScoreItemDetailOut),
    summary="One score with the exact records behind it",
)
def get_score_item(request: HttpRequest, item_id: int) -> Any:
    return scoring.item_detail(request.user, item_id)

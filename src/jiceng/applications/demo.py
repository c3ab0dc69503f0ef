"""Demo 办件: the catalog, a service center with a comprehensive window at the county and in every township,
and a few hundred applications of the last two months run through the real actions — every channel and
state, fees paid, supplements, ratings and the rectification of bad ones (JICENG_DEMO_APPLICATIONS)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Final

from django.utils import timezone

from jiceng.accounts.actions import create_user
from jiceng.accounts.roles import Role
from jiceng.applications import actions, seed
from jiceng.applications.models import (
    BAD_RATINGS,
    Application,
    ApplicationState,
    Delivery,
    ItemLevel,
    RatingLevel,
    ServiceItem,
    ServiceWindow,
)
from jiceng.applications.tasks import check_deadlines
from jiceng.core.errors import DomainError
from jiceng.core.workdays import default_calendar
from jiceng.demo.county import AREA_CODE, COUNTY, DEMO_PASSWORD
from jiceng.demo.steps import DemoContext, demo_step
from jiceng.org.actions import create_unit
from jiceng.org.models import RegionLevel, Unit, UnitKind
from jiceng.registry.models import Person

if TYPE_CHECKING:
    from jiceng.accounts.models import User

ENV: Final = "JICENG_DEMO_APPLICATIONS"
DEMO_COUNT: Final = 3000
TEST_COUNT: Final = 60
DAYS: Final = 60
S = ApplicationState

# Where the demo applications end up (weights); fee items pass through payment on the way.
OUTCOMES: Final = (
    ("submitted", 4),
    ("supplement", 5),
    ("reviewing", 14),
    ("payment", 2),
    ("approved", 8),
    ("denied", 4),
    ("delivered", 55),
    ("refused", 5),
    ("withdrawn", 3),
)
RATING_WEIGHTS: Final = (
    (RatingLevel.VERY_SATISFIED, 55),
    (RatingLevel.SATISFIED, 25),
    (RatingLevel.BASICALLY_SATISFIED, 10),
    (RatingLevel.DISSATISFIED, 7),
    (RatingLevel.VERY_DISSATISFIED, 3),
)
GOOD_TAGS: Final = ("办事快捷", "态度热情", "一次办好", "指引清晰", "材料精简")
BAD_TAGS: Final = ("等待时间长", "多次跑腿", "态度生硬", "告知不清", "材料繁琐")
OPINIONS: Final = (
    "材料齐全，符合条件，同意。",
    "经核查情况属实，拟同意。",
    "符合规定，予以办理。",
    "经审核无误。",
)
DENIALS: Final = (
    "经核对，家庭财产状况超过规定标准。",
    "申请人不符合户籍条件。",
    "所提交证明材料与实际情况不符。",
)
REFUSALS: Final = ("该事项不属于本窗口受理范围，已告知到对应部门办理。", "申请人未能提供身份证明。")
REPLIES: Final = (
    "已对窗口人员进行批评教育，优化了办理流程，并向申请人致歉。",
    "已梳理材料清单，一次性告知内容更加清楚，并电话向群众说明。",
)
VISITS: Final = ("电话回访，群众对整改结果表示满意。", "上门回访，群众表示基本认可。")


def count_to_load() -> int:
    raw = os.environ.get(ENV, "").strip()
    if raw:
        return max(0, int(raw))
    return TEST_COUNT if "PYTEST_VERSION" in os.environ else DEMO_COUNT


@dataclass
class Staff:
    """Who acts in the demo: the windows' staff, village agents, and reviewers by unit."""

    windows: dict[str, User] = field(default_factory=dict)  # township code prefix (9) or county code → user
    agents: dict[str, User] = field(default_factory=dict)  # township prefix → village cadre
    reviewers: dict[int, User] = field(default_factory=dict)  # unit id → a user of the unit


def _window(
    ctx: DemoContext, code: str, name: str, region_code: str, level: str, username: str, seq: int
) -> User:
    unit = Unit.objects.filter(code=code).first() or create_unit(
        ctx.actor,
        code=code,
        name=name,
        kind=UnitKind.TOWNSHIP_STATION if level == ItemLevel.TOWNSHIP else UnitKind.OTHER,
        region_code=region_code,
        # Service-center hotlines: a number block the county plan's offices (71xxxxx-73xxxxx) do not use.
        phone=f"{AREA_CODE}-{7_400_000 + seq}",
    )
    ServiceWindow.objects.get_or_create(
        unit=unit, defaults={"name": f"{name}综合窗口", "level": level, "region_code": region_code}
    )
    user = ctx.users.get(username)
    if user is None:
        user = create_user(
            ctx.actor,
            username=username,
            password=DEMO_PASSWORD,
            unit_code=unit.code,
            roles=[Role.HANDLER],
            full_name=f"{name}窗口人员",
        )
        ctx.users[username] = user
        ctx.add_account(user, [Role.HANDLER])
    return user


def _staff(ctx: DemoContext) -> Staff:
    staff = Staff()
    county = COUNTY[0]
    staff.windows[county] = _window(
        ctx, f"{county}-ZWFW", f"{COUNTY[1]}政务服务中心", county, ItemLevel.COUNTY, "county_window", 1
    )
    for seq, plan in enumerate(ctx.plan.at_level(RegionLevel.TOWNSHIP), start=2):
        staff.windows[plan.code[:9]] = _window(
            ctx,
            f"{plan.code[:9]}-BMFW",
            f"{plan.name}便民服务中心",
            plan.code,
            ItemLevel.TOWNSHIP,
            f"{plan.key}_window",
            seq,
        )
        cadre = ctx.users.get(f"{plan.key}_cadre")
        if cadre is not None:
            staff.agents[plan.code[:9]] = cadre
    for user in ctx.users.values():
        if user.unit_id is not None and user.has_role(Role.HANDLER, Role.LEADER):
            staff.reviewers.setdefault(user.unit_id, user)
    return staff


def _people(ctx: DemoContext) -> dict[str, list[Person]]:
    """Residents of the registry per township (a handful each is enough)."""
    by_township: dict[str, list[Person]] = {}
    for person in Person.objects.alive().exclude(phone="").order_by("pk")[:4000]:
        bucket = by_township.setdefault(person.region_code[:9], [])
        if len(bucket) < 40:
            bucket.append(person)
    return by_township


def _form_data(item: ServiceItem, rng: Any) -> dict[str, Any]:
    """Plausible answers to the item's form, from its JSON Schema."""
    data: dict[str, Any] = {}
    for name, prop in (item.form_schema or {}).get("properties", {}).items():
        if "enum" in prop:
            data[name] = rng.choice(prop["enum"])
        elif prop.get("type") == "integer":
            data[name] = rng.randint(
                prop.get("minimum", 1), min(prop.get("maximum", 9), prop.get("minimum", 1) + 5)
            )
        elif prop.get("type") == "number":
            low = prop.get("minimum", 0)
            data[name] = round(rng.uniform(low, min(prop.get("maximum", 1000), low + 3000)), 2)
        elif prop.get("format") == "date":
            data[name] = (date.today() + timedelta(days=rng.randint(30, 200))).isoformat()
        else:
            data[name] = rng.choice(("因家庭困难申请办理。", "本人申请，情况属实。", "请予办理。"))[
                : prop.get("maxLength", 100)
            ]
    return data


class Clock:
    """Moments inside working hours, moving forward a few working hours per step."""

    def __init__(self, start: datetime, rng: Any) -> None:
        self.now, self.rng = start, rng

    def step(self, low: float = 0.5, high: float = 12.0) -> datetime:
        self.now = default_calendar().add_work_hours(self.now, self.rng.uniform(low, high))
        return self.now


@dataclass
class Run:
    ctx: DemoContext
    staff: Staff
    rng: Any
    horizon: datetime
    done: Counter[str] = field(default_factory=Counter)

    def act(
        self, user: User, app: Application, action: str, clock: Clock, **fields: Any
    ) -> Application | None:
        at = clock.step()
        if at >= self.horizon:
            return None
        try:
            result = actions.perform(user, app.pk, action, now=at, **fields)
        except DomainError:
            return None
        self.done[action] += 1
        return result

    def rate(self, app: Application, clock: Clock, **fields: Any) -> Application | None:
        """The applicant rates: with their account if they have one, else through the rating link."""
        at = clock.step()
        if at >= self.horizon:
            return None
        try:
            if app.applicant_user is not None:
                result = actions.perform(app.applicant_user, app.pk, "rate", now=at, **fields)
            else:
                result = actions.rate_by_link(actions.rating_token(app), now=at, **fields)
        except DomainError:
            return None
        self.done["rate"] += 1
        return result

    def reviewer(self, app: Application) -> User:
        return self.staff.reviewers.get(app.current_unit_id or 0, self.ctx.actor)


def _one(run: Run, item: ServiceItem, person: Person, start: datetime, goal: str) -> Application | None:
    rng, t9 = run.rng, person.region_code[:9]
    window = run.staff.windows.get(t9)
    if ItemLevel.TOWNSHIP not in item.accept_levels or window is None:
        window = run.staff.windows[COUNTY[0]]
    channel = rng.choices(("window", "agency", "online"), (60, 22, 18))[0]
    agent = run.staff.agents.get(t9)
    if channel == "agency" and (
        agent is None
        or ItemLevel.VILLAGE not in item.accept_levels
        or not person.region_code.startswith(agent.jurisdiction_prefix or "-")
    ):
        channel = "window"
    if channel == "online" and not item.online:
        channel = "window"
    materials = list(item.materials.values_list("pk", "required"))
    short = goal == "supplement" or rng.random() < 0.08
    provided = [pk for pk, required in materials if not (short and required and rng.random() < 0.4)]
    delivery = rng.choice(item.deliveries)
    common: dict[str, Any] = {
        "item": item.code,
        "form_data": _form_data(item, rng),
        "provided": provided,
        "delivery": delivery,
        "delivery_address": person.address or "青溪县",
        "now": start,
    }
    try:
        if channel == "online":
            resident = run.ctx.users.get(f"resident{rng.randint(1, 4)}") or run.ctx.actor
            app, _created = actions.submit_application(
                resident,
                channel="online",
                applicant_name=person.name,
                applicant_id_number=person.id_number,
                applicant_phone=person.phone,
                region_code=person.region_code,
                **common,
            )
        else:
            actor = agent if channel == "agency" and agent is not None else window
            app, _created = actions.submit_application(actor, person=person.pk, **common)
    except DomainError:
        return None
    run.done["submit"] += 1
    clock = Clock(start, rng)
    holder = window
    if goal == "submitted":
        return app
    if goal == "refused":
        run.act(holder, app, "refuse", clock, comment=rng.choice(REFUSALS))
        return app
    if app.materials.filter(required=True, provided=False).exists():
        app = run.act(holder, app, "request_supplement", clock) or app
        if goal == "supplement" or app.state != S.SUPPLEMENT:
            return app
        missing = list(app.materials.filter(provided=False).values_list("pk", flat=True))
        clock.step(8, 30)  # the applicant takes a day or a few to bring them
        supplier = agent if app.agent_id and agent is not None else holder
        app = run.act(supplier, app, "supplement", clock, provided=missing) or app
    if goal == "withdrawn":
        run.act(holder, app, "withdraw", clock, comment="申请人主动撤回申请")
        return app
    accepted = run.act(holder, app, "accept", clock)
    if accepted is None:
        return app
    app = accepted
    steps = app.item.steps.count()
    for index in range(steps):
        if goal == "reviewing" and rng.random() < 0.5 + index * 0.3:
            return app
        if index == steps - 1 and goal == "denied":
            run.act(run.reviewer(app), app, "deny", clock, comment=rng.choice(DENIALS))
            return app
        if index > 0 and rng.random() < 0.05:
            app = (
                run.act(run.reviewer(app), app, "send_back", clock, comment="请补充核查记录后重新报送。")
                or app
            )
            app = run.act(run.reviewer(app), app, "approve", clock, comment="已补充核查记录。") or app
        nxt = run.act(run.reviewer(app), app, "approve", clock, comment=rng.choice(OPINIONS))
        if nxt is None:
            return app
        app = nxt
    if app.state == S.PAYMENT:
        if goal == "payment":
            return app
        app = run.act(holder, app, "pay", clock) or app
    if goal in ("approved", "reviewing", "payment") or app.state not in (S.APPROVED, S.DENIED):
        return app
    app = (
        run.act(
            holder,
            app,
            "deliver",
            clock,
            tracking_no="EMS" + str(rng.randint(10**9, 10**10)) if app.delivery == Delivery.MAIL else None,
        )
        or app
    )
    if rng.random() < 0.75:
        level = rng.choices([lv for lv, _w in RATING_WEIGHTS], [w for _lv, w in RATING_WEIGHTS])[0]
        tags = rng.sample(BAD_TAGS if level in BAD_RATINGS else GOOD_TAGS, rng.randint(0, 2))
        rated = run.rate(app, clock, rating=level, tags=tags, comment="")
        if rated is not None and level in BAD_RATINGS and rng.random() < 0.7:
            unit = app.rectification.unit if hasattr(app, "rectification") else None
            replier = run.staff.reviewers.get(unit.pk if unit else 0, run.ctx.actor)
            if (
                run.act(replier, app, "reply_rectification", clock, comment=rng.choice(REPLIES))
                and rng.random() < 0.7
            ):
                run.act(
                    holder, app, "follow_up", clock, comment=rng.choice(VISITS), satisfied=rng.random() < 0.8
                )
    return app


@demo_step(order=600, name="applications.history")
def create_applications(ctx: DemoContext) -> None:
    """The service item catalog, service windows, and applications of the last two months."""
    created = seed.seed_items(ctx.actor)
    staff = _staff(ctx)
    ctx.log(f"  {len(created)} 事项; {len(staff.windows)} 综合窗口")
    count = count_to_load()
    people = _people(ctx)
    if count == 0 or not people:
        ctx.log(f"  no applications ({ENV}=0 or no residents in the registry)")
        return
    rng = ctx.rng
    items = list(ServiceItem.objects.filter(is_active=True).prefetch_related("steps"))
    horizon = timezone.now()
    today = timezone.localdate()
    run = Run(ctx, staff, rng, horizon)
    townships = sorted(people)
    for _ in range(count):
        person = rng.choice(people[rng.choice(townships)])
        item = rng.choice(items)
        goal = rng.choices([g for g, _w in OUTCOMES], [w for _g, w in OUTCOMES])[0]
        # Applications still running are mostly recent; concluded ones spread over the two months.
        recent = goal in ("submitted", "supplement", "reviewing", "payment") and rng.random() < 0.8
        first, span = (
            (today - timedelta(days=14), 9) if recent else (today - timedelta(days=DAYS + 7), DAYS * 5 // 7)
        )
        day = default_calendar().add_workdays(first, rng.randint(0, span))
        start = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 16), rng.randint(31, 59))))
        if start >= horizon:
            continue
        _one(run, item, person, start, goal)
    states = Counter(Application.objects.values_list("state", flat=True))
    warned = check_deadlines(horizon)
    ctx.log(
        f"  {sum(states.values())} 办件, {sum(run.done.values())} 步; "
        + ", ".join(f"{S(s).label}: {n}" for s, n in sorted(states.items(), key=lambda kv: -kv[1]))
        + f"; deadline check: {warned}"
    )

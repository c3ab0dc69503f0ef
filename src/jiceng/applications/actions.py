"""Every write to applications: intake from the window, online and village agencies (submit_application),
the workflow (perform, with fees, ratings and rectification), and the audited view of the applicant."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import jsonschema
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.accounts.roles import STAFF_ROLES, Role
from jiceng.applications import deadlines, payments
from jiceng.applications.models import (
    BAD_RATINGS,
    CLOSED_STATES,
    CONCLUDED_STATES,
    RATING_SCORE,
    Application,
    ApplicationFlow,
    ApplicationMaterial,
    ApplicationState,
    Channel,
    Delivery,
    ItemLevel,
    Outcome,
    Payment,
    Rating,
    RatingChannel,
    RatingLevel,
    Rectification,
    RectificationState,
    ReviewStep,
    ServiceItem,
    ServiceWindow,
    UnitScope,
    Warning,
)
from jiceng.applications.workflow import (
    ACCEPTING_WINDOW,
    NEXT,
    SELF,
    TRANSITIONS,
    Transition,
    can,
    extra_condition,
    is_window_for,
    may_see_applicant,
    relation_holds,
    window_of,
)
from jiceng.audit.actions import record, record_sensitive_view
from jiceng.core import schema_errors
from jiceng.core.crypto import blind_index
from jiceng.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
    field_error,
)
from jiceng.core.scope import covers, get_in_scope
from jiceng.core.validators import InvalidValue, parse_id_number, parse_phone
from jiceng.org.models import Region, RegionLevel, Unit
from jiceng.registry.models import Person

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


class ActionNotAvailable(DomainError):
    status = 409
    code = "action_not_available"


MAX_TAGS = 5
RATING_TAGS = (
    "办事快捷",
    "态度热情",
    "一次办好",
    "指引清晰",
    "材料精简",
    "等待时间长",
    "多次跑腿",
    "态度生硬",
    "告知不清",
    "材料繁琐",
)


def _acting_user(actor: User | AnonymousUser | None) -> User:
    if actor is None or not actor.is_authenticated:
        raise NotAuthenticated()
    return actor


def _flow(
    application: Application,
    actor: User | None,
    action: str,
    from_state: str,
    to_state: str,
    *,
    comment: str = "",
    step_name: str = "",
    data: dict[str, Any] | None = None,
    at: datetime,
    actor_name: str = "",
) -> ApplicationFlow:
    return ApplicationFlow.objects.create(
        application=application,
        at=at,
        actor=actor,
        actor_name=(actor.full_name or actor.username) if actor else actor_name,
        unit=actor.unit if actor else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        step_name=step_name,
        comment=comment,
        data=data or {},
    )


# --- units that act --------------------------------------------------------------------------------------


def find_unit(
    scope: str, kind: str, keyword: str, region_code: str, window: ServiceWindow | None
) -> Unit | None:
    """The unit of ``kind`` whose name contains ``keyword``, in the window, the township or the county."""
    if scope == UnitScope.WINDOW:
        return window.unit if window is not None else None
    qs = Unit.objects.filter(is_active=True)
    if scope == UnitScope.TOWNSHIP:
        qs = qs.filter(region__level=RegionLevel.TOWNSHIP, region__code__startswith=region_code[:9])
    else:
        qs = qs.filter(region__level=RegionLevel.COUNTY, region__code=region_code[:6])
    if kind:
        qs = qs.filter(kind=kind)
    if keyword:
        qs = qs.filter(name__contains=keyword)
    return qs.order_by("code").first()


def _step_unit(application: Application, step: ReviewStep) -> Unit:
    unit = find_unit(
        step.scope, step.unit_kind, step.unit_keyword, application.region_code, application.window
    )
    if unit is None:
        raise InvalidInput(
            _("No unit is set up for the review step “%(step)s” here; ask the administrator.")
            % {"step": step.name},
            code="no_acting_unit",
        )
    return unit


def responsible_unit(application: Application) -> Unit | None:
    """Who answers for the item here: its implementing department, else the last unit that reviewed it."""
    item = application.item
    unit = find_unit(
        item.department_scope,
        item.department_kind,
        item.department_keyword,
        application.region_code,
        application.window,
    )
    if unit is not None:
        return unit
    last = application.flows.filter(action__in=["approve", "deny"]).order_by("-id").first()
    if last is not None and last.unit is not None:
        return last.unit
    return application.window.unit if application.window else None


# --- intake ----------------------------------------------------------------------------------------------

_validators: dict[str, Any] = {}


def _validator(schema: dict[str, Any]) -> Any:
    key = json.dumps(schema, sort_keys=True)
    if key not in _validators:
        _validators[key] = jsonschema.validators.validator_for(schema)(schema)
    return _validators[key]


def check_form(item: ServiceItem, form_data: dict[str, Any]) -> dict[str, Any]:
    """The application form, validated against the item's JSON Schema on the server."""
    if not item.form_schema:
        return {}
    details = schema_errors.form_errors(_validator(item.form_schema), item.form_schema, form_data)
    if details:
        raise InvalidInput(next(iter(details.values()))[0], code="invalid_form_data", details=details)
    return form_data


def _item(code: str) -> ServiceItem:
    item = ServiceItem.objects.filter(code=code, is_active=True).first()
    if item is None:
        raise field_error("item", _("Unknown service item."), "invalid_item")
    return item


def _phone(value: str, field: str = "applicant_phone") -> str:
    try:
        return parse_phone(value)
    except InvalidValue as exc:
        raise field_error(field, exc.message, exc.code) from exc


def _pick_channel(user: User, channel: str | None) -> str:
    window = window_of(user) if user.has_role(Role.HANDLER) else None
    is_agent = user.has_role(Role.VILLAGE_CADRE) and user.unit is not None
    if channel is None:
        return Channel.WINDOW if window else Channel.AGENCY if is_agent else Channel.ONLINE
    if channel not in Channel.values:
        raise field_error("channel", _("Unknown channel."), "invalid_channel")
    if channel == Channel.WINDOW and window is None:
        raise PermissionDenied(_("Only staff of a service window take applications at the window."))
    if channel == Channel.AGENCY and not is_agent:
        raise PermissionDenied(_("Only village agents submit applications on behalf of residents."))
    return channel


@dataclass
class Applicant:
    name: str
    id_number: str
    phone: str
    region: Region
    person: Person | None = None


def _applicant_from_registry(user: User, person_id: int | None, phone: str) -> Applicant:
    if person_id is None:
        raise field_error("person", _("Find the applicant in the population registry."), "required")
    try:
        person = get_in_scope(Person.objects.alive().select_related("region"), user, pk=person_id)
    except DomainError as exc:
        raise field_error(
            "person", _("Unknown person, or outside your jurisdiction."), "invalid_person"
        ) from exc
    number = _phone(phone) if phone else person.phone
    if not number:
        raise field_error(
            "applicant_phone", _("A phone number is needed to follow the application."), "required"
        )
    return Applicant(person.name, person.id_number, number, person.region, person)


def _applicant_online(
    user: User, name: str, id_number: str, phone: str, region_code: str | None
) -> Applicant:
    name = (name or user.full_name).strip()
    if not name:
        raise field_error("applicant_name", _("The applicant's name is required."), "required")
    number = _phone(phone) if phone else user.phone
    if not number:
        raise field_error(
            "applicant_phone", _("A phone number is needed to follow the application."), "required"
        )
    id_number = id_number or user.id_number
    if id_number:
        try:
            id_number = parse_id_number(id_number).number
        except InvalidValue as exc:
            raise field_error("applicant_id_number", exc.message, exc.code) from exc
    region = Region.objects.filter(code=region_code or "", is_active=True).first()
    if region is None or region.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE, RegionLevel.GRID):
        raise field_error("region_code", _("Give the township or village where you live."), "invalid_region")
    return Applicant(name[:60], id_number, number, region)


def submit_application(
    actor: User | AnonymousUser | None,
    *,
    item: str,
    channel: str | None = None,
    person: int | None = None,
    applicant_name: str = "",
    applicant_id_number: str = "",
    applicant_phone: str = "",
    region_code: str | None = None,
    form_data: dict[str, Any] | None = None,
    provided: list[int] | None = None,
    delivery: str = Delivery.WINDOW,
    delivery_address: str = "",
    idempotency_key: str = "",
    now: datetime | None = None,
) -> tuple[Application, bool]:
    """Take in an application. At the window staff find the applicant in the registry; a village agent
    (代办) does the same and is recorded; online the applicant is the user. Returns (application, created);
    a repeat of the same Idempotency-Key returns the first one."""
    user = _acting_user(actor)
    channel = _pick_channel(user, channel)
    service = _item(item)
    idempotency_key = idempotency_key.strip()[:64]
    window = window_of(user) if channel == Channel.WINDOW else None
    if channel == Channel.ONLINE and not service.online:
        raise field_error("item", _("This item cannot be applied for online."), "not_online")
    if channel == Channel.AGENCY and ItemLevel.VILLAGE not in service.accept_levels:
        raise field_error("item", _("Village agencies do not take this item."), "not_at_agency")
    if window is not None and window.level not in service.accept_levels:
        raise field_error("item", _("This window does not take this item."), "not_at_window")
    if channel == Channel.ONLINE:
        applicant = _applicant_online(user, applicant_name, applicant_id_number, applicant_phone, region_code)
    else:
        applicant = _applicant_from_registry(user, person, applicant_phone)
    if window is not None and not covers(user, applicant.region.code):
        raise field_error("person", _("The applicant lives outside this window's area."), "outside_window")
    if delivery not in service.deliveries:
        raise field_error("delivery", _("This item is not delivered that way."), "invalid_delivery")
    if delivery == Delivery.MAIL and not delivery_address.strip():
        raise field_error("delivery_address", _("Give the address to mail the result to."), "required")
    form = check_form(service, form_data or {})
    materials = list(service.materials.all())
    given = set(provided or [])
    unknown = given - {m.pk for m in materials}
    if unknown:
        raise field_error("provided", _("Unknown material."), "invalid_material")
    now = now or timezone.now()
    try:
        with transaction.atomic():
            application = Application.objects.create(
                item=service,
                channel=channel,
                state=ApplicationState.SUBMITTED,
                region=applicant.region,
                region_code=applicant.region.code,
                applicant_person=applicant.person,
                applicant_user=user if channel == Channel.ONLINE else None,
                applicant_name=applicant.name,
                applicant_id_number=applicant.id_number,
                applicant_phone=applicant.phone,
                applicant_phone_index=blind_index(applicant.phone),
                agent=user if channel == Channel.AGENCY else None,
                window=window,
                created_by=user,
                idempotency_key=idempotency_key,
                form_data=form,
                delivery=delivery,
                delivery_address=delivery_address.strip()[:200],
                submitted_at=now,
                stage_started_at=now,
                due_at=deadlines.accept_due(now),
            )
            ApplicationMaterial.objects.bulk_create(
                ApplicationMaterial(
                    application=application,
                    material=m,
                    name=m.name,
                    required=m.required,
                    provided=m.pk in given,
                    provided_at=now if m.pk in given else None,
                )
                for m in materials
            )
            _flow(
                application,
                user,
                "submit",
                "",
                ApplicationState.SUBMITTED,
                at=now,
                data={
                    "channel": channel,
                    "provided": [m.name for m in materials if m.pk in given],
                    **({"agent": user.full_name or user.username} if channel == Channel.AGENCY else {}),
                },
            )
            record(
                "application.submit",
                actor=user,
                obj=application,
                changes={"item": service.code, "channel": channel, "region": applicant.region.code},
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        existing = Application.objects.filter(created_by=user, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    return application, True


# --- the workflow ----------------------------------------------------------------------------------------

Effects = dict[str, Any]


@dataclass
class Context:
    application: Application
    user: User | None  # None: the applicant through a rating link
    now: datetime
    fields: dict[str, Any]
    steps: list[ReviewStep]


def _enter_step(ctx: Context, index: int) -> Effects:
    step = ctx.steps[index]
    unit = _step_unit(ctx.application, step)
    return {
        "step_index": index,
        "current_unit": unit,
        "current_role": step.role,
        "_data": {"step": step.name, "unit": unit.name},
    }


def _conclude(ctx: Context, outcome: str, state: str) -> Effects:
    app = ctx.application
    late = app.due_at is not None and ctx.now > app.due_at
    return {
        "state": state,
        "outcome": outcome,
        "concluded_at": ctx.now,
        "current_unit": None,
        "current_role": "",
        "was_overdue": app.was_overdue or late,
    }


def _accept(ctx: Context) -> Effects:
    app = ctx.application
    missing = [m.name for m in app.materials.all() if m.required and not m.provided]
    if missing:
        raise InvalidInput(
            _("Required materials are missing: %(names)s. Request them in one notice instead.")
            % {"names": "、".join(missing)},
            code="materials_missing",
        )
    if not ctx.steps:
        raise InvalidInput(_("The item has no review steps; ask the administrator."), code="no_review_steps")
    window = (window_of(ctx.user) if ctx.user else None) or app.window
    app.window = window
    due = deadlines.promised_due(app.item.promised_days, ctx.now)
    effects: Effects = {
        "window": window,
        "accepted_at": ctx.now,
        "stage_started_at": ctx.now,
        "due_at": due,
        "fee_cents": app.item.fee_cents,
        "warning": Warning.NONE,
    }
    step = _enter_step(ctx, 0)
    effects.update(step)
    effects["_data"] = {**step["_data"], "due_at": due.isoformat()}
    return effects


def _refuse(ctx: Context) -> Effects:
    return {"concluded_at": ctx.now, "current_unit": None, "current_role": ""}


def _request_supplement(ctx: Context) -> Effects:
    """一次性告知: every material to supplement in one notice: those named, and every required one missing."""
    app = ctx.application
    rows = list(app.materials.all())
    named = {int(pk) for pk in ctx.fields.get("materials") or []}
    if named - {m.pk for m in rows}:
        raise field_error("materials", _("Unknown material."), "invalid_material")
    listed = [m for m in rows if m.pk in named or (m.required and not m.provided)]
    extra = [line.strip() for line in (ctx.fields.get("other") or []) if line and line.strip()]
    if not listed and not extra:
        raise field_error("materials", _("Name the materials to supplement."), "nothing_missing")
    ApplicationMaterial.objects.filter(pk__in=[m.pk for m in listed]).update(provided=False, provided_at=None)
    extra_rows = ApplicationMaterial.objects.bulk_create(
        ApplicationMaterial(application=app, name=name[:100], required=True, provided=False) for name in extra
    )
    names = [m.name for m in listed] + [m.name for m in extra_rows]
    return {
        "supplement_from": app.state,
        "supplement_items": names,
        "paused_at": ctx.now,
        "warning": Warning.NONE,
        "_data": {"missing": names},
    }


def _supplement(ctx: Context) -> Effects:
    app = ctx.application
    wanted = {m.pk: m for m in app.materials.filter(provided=False)}
    given = {int(pk) for pk in ctx.fields.get("provided") or []}
    still = [m.name for pk, m in wanted.items() if pk not in given and m.name in app.supplement_items]
    if still:
        raise field_error(
            "provided",
            _("Still missing: %(names)s.") % {"names": "、".join(still)},
            "materials_missing",
        )
    ApplicationMaterial.objects.filter(pk__in=given & set(wanted)).update(provided=True, provided_at=ctx.now)
    paused = deadlines.work_seconds(app.paused_at, ctx.now) if app.paused_at else 0.0
    return {
        "state": app.supplement_from or ApplicationState.SUBMITTED,
        "supplement_from": "",
        "supplement_items": [],
        "paused_at": None,
        "paused_seconds": app.paused_seconds + (paused if app.accepted_at else 0.0),
        "due_at": deadlines.shift(app.due_at, paused) if app.due_at else None,
        "_data": {
            "provided": [wanted[pk].name for pk in given & set(wanted)],
            "paused_seconds": round(paused),
        },
    }


def _approve(ctx: Context) -> Effects:
    app = ctx.application
    step_name = ctx.steps[app.step_index].name if app.step_index < len(ctx.steps) else ""
    following = app.step_index + 1
    if following < len(ctx.steps):
        effects = _enter_step(ctx, following)
        effects["state"] = ApplicationState.REVIEWING
        effects["_data"] = {"approved_step": step_name, **effects["_data"]}
        return effects
    if app.fee_cents:
        return {
            "state": ApplicationState.PAYMENT,
            "current_unit": None,
            "current_role": "",
            "_data": {"approved_step": step_name, "fee_cents": app.fee_cents},
        }
    return {
        **_conclude(ctx, Outcome.APPROVED, ApplicationState.APPROVED),
        "_data": {"approved_step": step_name},
    }


def _send_back(ctx: Context) -> Effects:
    return _enter_step(ctx, ctx.application.step_index - 1)


def _deny(ctx: Context) -> Effects:
    return _conclude(ctx, Outcome.DENIED, ApplicationState.DENIED)


def _pay(ctx: Context) -> Effects:
    app = ctx.application
    assert ctx.user is not None  # only a rating acts without an account
    if Payment.objects.filter(application=app).exists():
        raise ActionNotAvailable(_("The fee is already paid."), code="already_paid")
    gateway = payments.gateway()
    charge = gateway.charge(app.ref, app.fee_cents, app.item.name)
    try:
        with transaction.atomic():
            Payment.objects.create(
                application=app,
                amount_cents=charge.amount_cents,
                gateway=gateway.name,
                transaction_id=charge.transaction_id,
                paid_at=ctx.now,
                paid_by=ctx.user,
            )
    except IntegrityError as exc:
        raise ActionNotAvailable(_("The fee is already paid."), code="already_paid") from exc
    return {
        **_conclude(ctx, Outcome.APPROVED, ApplicationState.APPROVED),
        "paid_at": ctx.now,
        "_data": {"transaction_id": charge.transaction_id, "amount_cents": charge.amount_cents},
    }


def _deliver(ctx: Context) -> Effects:
    tracking = str(ctx.fields.get("tracking_no") or "")[:40]
    return {
        "delivered_at": ctx.now,
        "_data": {"delivery": ctx.application.delivery, **({"tracking_no": tracking} if tracking else {})},
    }


def _withdraw(ctx: Context) -> Effects:
    return {"current_unit": None, "current_role": "", "concluded_at": ctx.now}


def _rate(ctx: Context) -> Effects:
    app = ctx.application
    level = ctx.fields["rating"]
    if level not in RatingLevel.values:
        raise field_error("rating", _("Choose one of the five levels."), "invalid_rating")
    tags = [str(t).strip()[:20] for t in ctx.fields.get("tags") or [] if str(t).strip()]
    if len(tags) > MAX_TAGS:
        raise field_error("tags", _("At most five tags."), "too_many_tags")
    try:
        with transaction.atomic():
            rating = _create_rating(ctx, level, tags)
    except IntegrityError as exc:  # rated at the same moment by someone else
        raise Conflict() from exc
    data: dict[str, Any] = {"rating": level, "tags": rating.tags}
    if level in BAD_RATINGS:
        if rating.department is None:
            raise InvalidInput(_("No unit is responsible for this item here."), code="no_acting_unit")
        rectification = Rectification.objects.create(
            application=app,
            rating=rating,
            unit=rating.department,
            opened_at=ctx.now,
            due_at=deadlines.rectify_due(ctx.now),
            region_code=app.region_code,
        )
        data.update(rectification_unit=rectification.unit.name, rectify_due=rectification.due_at.isoformat())
        _notify_unit(app, rectification.unit, "", kind="rectification_opened")
    return {"_data": data}


def _create_rating(ctx: Context, level: str, tags: list[str]) -> Rating:
    app = ctx.application
    return Rating.objects.create(
        application=app,
        level=level,
        score=RATING_SCORE[RatingLevel(level)],
        tags=list(dict.fromkeys(tags)),
        comment=str(ctx.fields.get("comment") or "")[:500],
        rated_at=ctx.now,
        rated_by=ctx.user,
        channel=RatingChannel.LINK if ctx.user is None else RatingChannel.ONLINE,
        item=app.item,
        window=app.window,
        department=responsible_unit(app),
        region_code=app.region_code,
    )


def _reply_rectification(ctx: Context) -> Effects:
    updated = Rectification.objects.filter(application=ctx.application, state=RectificationState.OPEN).update(
        state=RectificationState.REPLIED,
        reply=ctx.fields["comment"],
        replied_at=ctx.now,
        replied_by=ctx.user,
    )
    if updated != 1:
        raise Conflict()
    return {}


def _follow_up(ctx: Context) -> Effects:
    satisfied = ctx.fields["satisfied"]
    if not isinstance(satisfied, bool):
        raise field_error("satisfied", _("Say whether the applicant is now satisfied."), "invalid_input")
    updated = Rectification.objects.filter(
        application=ctx.application, state=RectificationState.REPLIED
    ).update(
        state=RectificationState.CLOSED,
        visit_result=ctx.fields["comment"],
        visit_satisfied=satisfied,
        visited_at=ctx.now,
        visited_by=ctx.user,
    )
    if updated != 1:
        raise Conflict()
    return {"_data": {"satisfied": satisfied}}


EFFECTS: dict[str, Callable[[Context], Effects]] = {
    "accept": _accept,
    "refuse": _refuse,
    "request_supplement": _request_supplement,
    "supplement": _supplement,
    "approve": _approve,
    "send_back": _send_back,
    "deny": _deny,
    "pay": _pay,
    "deliver": _deliver,
    "withdraw": _withdraw,
    "rate": _rate,
    "reply_rectification": _reply_rectification,
    "follow_up": _follow_up,
}


def _require(transition: Transition, fields: dict[str, Any]) -> None:
    missing = {
        name: [_("This field is required.")]
        for name in transition.required
        if fields.get(name) in (None, "", [], ())
    }
    if missing:
        raise InvalidInput(_("Some required fields are missing."), code="invalid_input", details=missing)


def perform(
    actor: User | AnonymousUser | None,
    application_id: int,
    action: str,
    *,
    version: int | None = None,
    comment: str = "",
    now: datetime | None = None,
    **fields: Any,
) -> Application:
    """Apply one workflow action: scope, permission, required fields, compare-and-set on (state, version),
    the timeline record and audit, all in one transaction."""
    user = _acting_user(actor)
    now = now or timezone.now()
    with transaction.atomic():
        application = get_in_scope(
            Application.objects.select_related("item", "window__unit", "current_unit"),
            user,
            pk=application_id,
        )
        transition = TRANSITIONS.get(action)
        if transition is None:
            raise InvalidInput(_("Unknown action."), code="unknown_action")
        if version is not None and version != application.version:
            raise Conflict()
        if not can(user, application, action):
            if application.state not in transition.sources or not extra_condition(application, action):
                raise ActionNotAvailable(
                    _("This action is not available in the application's current state.")
                )
            raise PermissionDenied()
        return _apply(application, transition, user, now, {"comment": comment.strip(), **fields})


def _apply(
    application: Application,
    transition: Transition,
    user: User | None,
    now: datetime,
    values: dict[str, Any],
) -> Application:
    """The checked action's effects, its timeline record and audit entry (inside the caller's transaction).
    ``user`` None: the applicant through a rating link."""
    action = transition.action
    _require(transition, values)
    ctx = Context(application, user, now, values, list(application.item.steps.all()))
    step_name = (
        ctx.steps[application.step_index].name
        if application.state == ApplicationState.REVIEWING and application.step_index < len(ctx.steps)
        else ""
    )
    effects = EFFECTS[action](ctx)
    data = effects.pop("_data", {})
    new_state = effects.pop("state", None) or (
        transition.target if transition.target not in (None, NEXT) else application.state
    )
    changes: dict[str, Any] = {"state": new_state, **effects}
    if new_state in CLOSED_STATES and new_state != application.state:
        changes.update(due_at=None, warning=Warning.NONE)
    updated = Application.objects.filter(
        pk=application.pk, version=application.version, state=application.state
    ).update(version=F("version") + 1, updated_at=now, **changes)
    if updated != 1:
        raise Conflict()
    with translation.override(settings.LANGUAGE_CODE):
        by_link = str(APPLICANT_BY_LINK) if user is None else ""
    _flow(
        application,
        user,
        action,
        application.state,
        new_state,
        comment=values["comment"],
        step_name=step_name,
        data=data,
        at=now,
        actor_name=by_link,
    )
    record(
        f"application.{action}",
        actor=user,
        username=by_link,
        obj=application,
        changes={
            "state": {"before": application.state, "after": new_state},
            **({"data": data} if data else {}),
        },
    )
    if "current_unit" in changes and changes["current_unit"] is not None:
        _notify_unit(application, changes["current_unit"], changes.get("current_role", ""))
    if new_state in CONCLUDED_STATES and application.state not in CONCLUDED_STATES:
        _invite_rating(application)
    for name, value in changes.items():
        setattr(application, name, value)
    application.version += 1
    application.updated_at = now
    return application


# --- 好差评 through a link: the applicant without an account (SMS, or the QR code at the window) -----------

APPLICANT_BY_LINK = gettext_lazy("Applicant (rating link)")
RATING_SALT = "jiceng.applications.rating"
RATING_LINK_DAYS = 30


class RatingLinkInvalid(DomainError):
    status = 404
    code = "rating_link_invalid"
    default_message = gettext_lazy("This rating link is not valid. Check that it was copied whole.")


class RatingLinkExpired(DomainError):
    status = 410
    code = "rating_link_expired"
    default_message = gettext_lazy("This rating link has expired.")


class AlreadyRated(Conflict):
    status = 409
    code = "already_rated"
    default_message = gettext_lazy("This application has been rated already. Thank you.")


STAFF_DO_NOT_RATE = gettext_lazy("Staff do not rate for the applicant.")


def _is_applicant(user: User | AnonymousUser | None, application: Application) -> bool:
    return user is not None and user.is_authenticated and relation_holds(user, application, SELF)


def staff_not_applicant(user: User | AnonymousUser | None, application: Application) -> bool:
    """Signed in as staff (a unit, or a staff role) other than the applicant: may not rate."""
    if user is None or not user.is_authenticated or _is_applicant(user, application):
        return False
    return user.unit_id is not None or user.is_superuser or bool(user.role_codes & STAFF_ROLES)


def rating_token(application: Application) -> str:
    """The signed key of ``application``'s rating link (it names no one; valid RATING_LINK_DAYS)."""
    return signing.dumps(application.pk, salt=RATING_SALT)


def rating_path(application: Application) -> str:
    return reverse("applications:rate", args=[rating_token(application)])


def open_rating_path(application: Application) -> str:
    """The rating link's path while ``application`` awaits its rating, else ""."""
    if application.state not in CONCLUDED_STATES or hasattr(application, "rating"):
        return ""
    return rating_path(application)


def window_rating_path(user: User, application: Application) -> str:
    """At the window: the rating link to show as a QR code for the applicant's phone, for staff of a
    window serving the application, while it awaits its rating."""
    if not (is_window_for(user, application) or relation_holds(user, application, ACCEPTING_WINDOW)):
        return ""
    return open_rating_path(application)


def application_for_rating(token: str) -> Application:
    """The application a rating link is for; RatingLinkInvalid / RatingLinkExpired otherwise."""
    try:
        application_id = signing.loads(token, salt=RATING_SALT, max_age=timedelta(days=RATING_LINK_DAYS))
    except signing.SignatureExpired as exc:
        raise RatingLinkExpired() from exc
    except signing.BadSignature as exc:
        raise RatingLinkInvalid() from exc
    application = (
        Application.objects.select_related("item", "window__unit", "current_unit", "rating")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise RatingLinkInvalid()
    return application


def rate_by_link(
    token: str,
    *,
    rating: str,
    tags: Iterable[str] = (),
    comment: str = "",
    by: User | AnonymousUser | None = None,
    now: datetime | None = None,
) -> Application:
    """The applicant's 好差评 through the rating link: the signed link is the authority, no account needed.
    Once only: a second rating answers AlreadyRated. ``by``: whoever opened the link; the applicant's own
    account (online applications) is recorded as the rater, anyone else's not."""
    now = now or timezone.now()
    with transaction.atomic():
        application = application_for_rating(token)
        if hasattr(application, "rating"):
            raise AlreadyRated()
        if application.state not in CONCLUDED_STATES:
            raise ActionNotAvailable(_("This action is not available in the application's current state."))
        if staff_not_applicant(by, application):
            raise PermissionDenied(STAFF_DO_NOT_RATE)
        own = by if _is_applicant(by, application) else None
        values = {"comment": comment.strip(), "rating": rating, "tags": list(tags)}
        try:
            return _apply(application, TRANSITIONS["rate"], own, now, values)  # type: ignore[arg-type]
        except Conflict as exc:  # rated or changed at the same moment
            if Rating.objects.filter(application=application).exists():
                raise AlreadyRated() from exc
            raise


def _invite_rating(application: Application) -> None:
    """SMS the applicant the rating link once it concludes (needs JICENG_PUBLIC_URL for the address)."""
    from jiceng.notifications.actions import send_sms

    phone = application.applicant_phone
    if not phone or not settings.PUBLIC_URL:
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = str(RATING_INVITATION) % {
            "item": application.item.name,
            "ref": application.ref,
            "url": settings.PUBLIC_URL + rating_path(application),
        }
    transaction.on_commit(lambda: send_sms(phone, text))


RATING_INVITATION = gettext_lazy(
    "Your application %(ref)s (%(item)s) is concluded. Please rate our service: %(url)s"
)


NOTIFICATION_TITLES = {
    "application_arrived": gettext_lazy("An application to handle: %(item)s"),
    "rectification_opened": gettext_lazy("A bad rating to rectify: %(item)s"),
}


def _notify_unit(
    application: Application, unit: Unit, role: str, *, kind: str = "application_arrived"
) -> None:
    """Tell the unit's staff (those of ``role``, or all) that an application needs them, after the commit."""
    from jiceng.accounts.models import User
    from jiceng.notifications.actions import notify

    users = User.objects.filter(unit=unit, is_active=True)
    if role:
        users = users.filter(roles__role=role)
    recipients = list(users.distinct())
    # Stored text: in the platform's language, whoever's request caused it.
    with translation.override(settings.LANGUAGE_CODE):
        title = str(NOTIFICATION_TITLES[kind]) % {"item": application.item.name}
    ref = application.ref
    transaction.on_commit(lambda: notify(recipients, kind, title, ref))


def reveal_applicant(actor: User | AnonymousUser | None, application_id: int) -> Application:
    """The applicant's ID number and phone in full, for those who work on it; every call is audited."""
    user = _acting_user(actor)
    application = get_in_scope(
        Application.objects.select_related("item", "window__unit"), user, pk=application_id
    )
    if not may_see_applicant(user, application):
        raise PermissionDenied()
    record_sensitive_view(
        user, application, ["applicant_id_number", "applicant_phone"], action="application.applicant.view"
    )
    return application

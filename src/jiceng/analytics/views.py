"""Pages of analytics: dashboards per level (drill down by region), the big screen, early warnings,
scorecards with their drill-down and exports, and the scoring rules. Thin: parse, call, render; charts are
drawn by analytics/static/analytics/*.js from the JSON the page carries (no inline script)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiceng.analytics import actions, exports, queries, scoring
from jiceng.analytics.api import DashboardOut
from jiceng.analytics.forms import DAY_CHOICES, PeriodForm, RuleForm
from jiceng.analytics.models import PeriodKind, ScoringRule, SubjectType
from jiceng.analytics.rollups import local_day
from jiceng.core.errors import Conflict, DomainError, NotFound
from jiceng.org.models import RegionLevel
from jiceng.web.forms import run_action

if TYPE_CHECKING:
    from jiceng.accounts.models import User


def _days(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", queries.DEFAULT_DAYS))
    except ValueError:
        return queries.DEFAULT_DAYS
    return days if days in {d for d, _label in DAY_CHOICES} else queries.DEFAULT_DAYS


def _labels() -> dict[str, str]:
    return {
        "reported": _("Reported"),
        "closed": _("Closed"),
        "events": _("Events"),
        "none": _("No data"),
        "on_time_rate": _("On-time closure rate"),
        "updated": _("Updated"),
        "nothing": _("Nothing at present"),
        # The screen's clock and stamps: the platform's time, whatever the wall display's own zone.
        "time_zone": settings.TIME_ZONE,
    }


def _level_labels(data: dict[str, Any]) -> dict[str, Any]:
    levels = dict(RegionLevel.choices)
    # Without regions below (a grid), the level they would be at: the screen's ranking is then empty.
    child_level = (
        data["children"][0]["level"] if data["children"] else queries.CHILD_LEVEL.get(data["level"], "")
    )
    return {"level_label": levels.get(data["level"], ""), "child_level_label": levels.get(child_level, "")}


def _region_url_template() -> str:
    return reverse("analytics:region", kwargs={"code": "000000"}).replace("000000", "{code}")


@login_required
@require_GET
def dashboard(request: HttpRequest, code: str | None = None) -> HttpResponse:
    days = _days(request)
    data = queries.dashboard(request.user, code, days=days)
    chart_data = DashboardOut.model_validate(data).model_dump(mode="json")
    return render(
        request,
        "analytics/dashboard.html",
        {
            "d": data,
            "chart_data": chart_data,
            "days": days,
            "day_choices": DAY_CHOICES,
            "region_url": _region_url_template(),
            "can_compute": scoring.can_compute(request.user),
            "labels": _labels(),
            **_level_labels(data),
        },
    )


@login_required
@require_GET
def screen(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """大屏: dark, full screen, refreshes itself from the JSON API every minute."""
    data = queries.dashboard(request.user, code, days=queries.DEFAULT_DAYS)
    node = data["node"]
    api_url = (
        reverse("api:region_dashboard", kwargs={"code": node.code})
        if node.code
        else reverse("api:own_dashboard")
    )
    return render(
        request,
        "analytics/screen.html",
        {
            "d": data,
            "chart_data": DashboardOut.model_validate(data).model_dump(mode="json"),
            "api_url": api_url,
            "refresh_seconds": 60,
            "labels": _labels(),
            **_level_labels(data),
        },
    )


@login_required
@require_GET
def warning_list(request: HttpRequest) -> HttpResponse:
    queries.node_for(request.user)
    rows = list(queries.warning_list(request.user)[:200])
    return render(request, "analytics/warnings.html", {"warnings": rows})


# --- scorecards ------------------------------------------------------------------------------------------


@login_required
@require_GET
def scorecards(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PeriodForm(request.GET or None)
    kind, start, subject_type = form.kind_value(), form.start(), form.subject_type()
    view = scoring.scorecard_view(user, kind, start, subject_type or None)
    rows = view["rows"]
    groups: list[dict[str, Any]] = []
    labels = dict(SubjectType.choices)
    for row in rows:
        if not groups or groups[-1]["type"] != row.subject_type:
            groups.append(
                {"type": row.subject_type, "label": labels.get(row.subject_type), "rows": [], "rules": []}
            )
        group = groups[-1]
        items = list(row.items.all())
        for it in items:
            if it.rule_name not in group["rules"]:
                group["rules"].append(it.rule_name)
        group["rows"].append({"row": row, "items": {it.rule_name: it for it in items}})
    for group in groups:
        for entry in group["rows"]:
            entry["cells"] = [entry["items"].get(name) for name in group["rules"]]
    return render(
        request,
        "analytics/scorecards.html",
        {
            "form": form,
            "view": view,
            "kind": kind,
            "label": scoring.period_label(kind, view["start"]),
            "groups": groups,
            "can_compute": scoring.can_compute(user),
            "can_edit_rules": actions.can_edit_rules(user),
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.POST)
    kind, start = form.kind_value(), form.start()
    try:
        scoring.compute_scorecard(request.user, kind, start, replace=request.POST.get("replace") == "1")
    except Conflict as exc:
        messages.error(request, str(exc.message))
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The scorecard was computed."))
    url = reverse("analytics:scorecards") + f"?kind={kind}&period={scoring.period_label(kind, start)}"
    return redirect(url)


@login_required
@require_GET
def score_item(request: HttpRequest, item_id: int) -> HttpResponse:
    detail = scoring.item_detail(request.user, item_id)
    metric = scoring.METRICS.get(detail["metric"])
    return render(request, "analytics/score_item.html", {"i": detail, "metric": metric})


@login_required
@require_GET
def scorecard_export(request: HttpRequest) -> FileResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PeriodForm(request.GET or None)
    kind, start = form.kind_value(), form.start()
    card = scoring.scorecard_for(kind, start)
    if card is None:
        raise NotFound(_("This period has no scorecard yet."))
    spool = exports.scorecard_file(user, card, form.subject_type() or None)
    prefix = _("scorecard")
    name = f"{prefix}-{scoring.period_label(kind, start)}.xlsx"
    return FileResponse(spool, as_attachment=True, filename=name, content_type=exports.CONTENT_TYPE)


@login_required
@require_GET
def monthly_report(request: HttpRequest) -> FileResponse:
    """统计月报 (Excel) of the user's jurisdiction, or of ``region`` in it, for ``month`` (YYYY-MM)."""
    today = local_day(timezone.now())
    try:
        year, month = (int(p) for p in request.GET.get("month", "").split("-", 1))
        first = date(year, month, 1)
    except (TypeError, ValueError):
        first = date(today.year, today.month, 1)
    code = request.GET.get("region") or None
    spool = exports.monthly_report_file(request.user, code, first)
    prefix = _("monthly-report")
    name = f"{prefix}-{first:%Y-%m}.xlsx"
    return FileResponse(spool, as_attachment=True, filename=name, content_type=exports.CONTENT_TYPE)


# --- scoring rules -----------------------------------------------------------------------------------------


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    actions.require_rule_admin(request.user)
    rules = list(ScoringRule.objects.all())
    metric_labels = {code: m.label for code, m in scoring.METRICS.items()}
    return render(
        request,
        "analytics/rule_list.html",
        {
            "rules": [(r, metric_labels.get(r.metric, r.metric)) for r in rules],
            "metrics": list(scoring.METRICS.values()),
            "subject_labels": dict(SubjectType.choices),
            "kinds": PeriodKind.choices,
        },
    )


@login_required
def rule_create(request: HttpRequest) -> HttpResponse:
    actions.require_rule_admin(request.user)
    form = RuleForm(request.POST or None, initial={"is_active": True, "deduction": 0, "sort": 0})
    if request.method == "POST" and form.is_valid():
        rule = run_action(form, actions.create_rule, request.user, **form.action_values())
        if rule is not None:
            messages.success(request, _("The scoring rule was created."))
            return redirect("analytics:rules")
    return render(request, "analytics/rule_form.html", {"form": form, "rule": None})


@login_required
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    actions.require_rule_admin(request.user)
    rule = ScoringRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound()
    form = RuleForm(request.POST or None, initial=RuleForm.initial_from(rule))
    if request.method == "POST" and form.is_valid():
        done = run_action(
            form,
            actions.update_rule,
            request.user,
            rule,
            expected_version=form.cleaned_data.get("version"),
            **form.action_values(),
        )
        if done is not None:
            messages.success(request, _("The scoring rule was saved."))
            return redirect("analytics:rules")
    return render(request, "analytics/rule_form.html", {"form": form, "rule": rule})

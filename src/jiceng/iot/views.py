"""IoT pages: device list with status counts, device detail with a chart, alarms, rules. Thin."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core.errors import PermissionDenied
from jiceng.iot import actions, conf, queries
from jiceng.iot.forms import DeviceForm, RuleForm
from jiceng.iot.ingest import rules_for
from jiceng.iot.labels import metric_label
from jiceng.iot.models import AlarmState, DeviceStatus, DeviceType
from jiceng.web.forms import run_action

if TYPE_CHECKING:
    from jiceng.accounts.models import User


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _staff(request: HttpRequest) -> User:
    user = _user(request)
    if user.unit_id is None and not user.is_superuser:
        raise PermissionDenied()
    return user


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    g = request.GET
    f = queries.DeviceFilter(
        device_type=g.get("type", ""),
        status=g.get("status", "") if g.get("status", "") in DeviceStatus.values else "",
        region=g.get("region", "").strip()[:18],
        q=g.get("q", "").strip()[:60],
        alarming=g.get("alarming") == "1",
    )
    qs = queries.devices(user, f)
    page = Paginator(qs.order_by("region_code", "code"), 50).get_page(g.get("page"))
    context = {
        "page": page,
        "f": f,
        "counts": queries.status_counts(queries.devices(user)),
        "filtered_counts": queries.status_counts(qs),
        "types": DeviceType.objects.all(),
        "regions": queries.region_choices(user),
        "statuses": DeviceStatus.choices,
        "active_alarms": queries.alarms(user, state=AlarmState.ACTIVE).count(),
        "may_edit": actions.may_edit(user),
    }
    return render(request, "iot/devices.html", context)


def _connection(request: HttpRequest, device: Any) -> dict[str, Any]:
    """Where the device (or its gateway) sends its messages, and an example body from its own metrics."""
    url = request.build_absolute_uri
    topic = f"{conf.topic_prefix().rstrip('/')}/{device.code}"
    example = {m["key"]: m["min"] for m in device.device_type.metrics[:3]}
    return {
        "http_telemetry": url(reverse("api:post_telemetry", args=[device.code])),
        "http_alarm": url(reverse("api:post_alarm", args=[device.code])),
        "mqtt_telemetry": f"{topic}/telemetry",
        "mqtt_alarm": f"{topic}/alarm",
        "example": json.dumps({"values": example}, ensure_ascii=False) if example else "",
    }


def _secret_page(request: HttpRequest, user: User, code: str, secret: str) -> HttpResponse:
    """The device page with its new secret, shown this once: never kept in a cache or the browser's."""
    context = _detail_context(request, user, code)
    context["secret"] = secret
    response = render(request, "iot/device_detail.html", context)
    add_never_cache_headers(response)
    return response


def _detail_context(request: HttpRequest, user: User, code: str) -> dict[str, Any]:
    device = queries.device(user, code)
    rows = queries.readings(user, code, days=3)
    metrics = {m["key"]: m for m in device.device_type.metrics}
    latest = [
        {
            "name": metric_label(k, device.device_type),
            "unit": metrics.get(k, {}).get("unit", ""),
            "value": v,
        }
        for k, v in device.latest.items()
    ]
    return {
        "device": device,
        "latest": latest,
        "chart": queries.chart(device, rows),
        "alarms": list(queries.alarms(user, device_code=code)[:20]),
        "rules": rules_for(device),
        "may_edit": actions.may_edit(user),
        "connection": _connection(request, device),
    }


@login_required
def device_detail(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "iot/device_detail.html", _detail_context(request, _staff(request), code))


@login_required
@require_POST
def device_secret(request: HttpRequest, code: str) -> HttpResponse:
    user = _staff(request)
    queries.device(user, code)  # outside the jurisdiction: 404 first
    _device, secret = actions.rotate_secret(user, code)
    return _secret_page(request, user, code, secret)


@login_required
def device_new(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if not actions.may_edit(user):
        raise PermissionDenied()
    form = DeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = run_action(form, actions.create_device, user, **form.cleaned_data)
        if created is not None:
            device, secret = created
            return _secret_page(request, user, device.code, secret)
    return render(request, "iot/device_form.html", {"form": form, "device": None})


@login_required
def device_edit(request: HttpRequest, code: str) -> HttpResponse:
    user = _staff(request)
    device = queries.device(user, code)
    if not actions.may_edit(user):
        raise PermissionDenied()
    initial = {
        "name": device.name,
        "device_type": device.device_type.code,
        "vendor": device.vendor,
        "lng": device.lng,
        "lat": device.lat,
        "address": device.address,
        "unit": device.unit.code if device.unit else "",
        "is_active": device.is_active,
    }
    form = DeviceForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_action(form, actions.update_device, user, code, **data) is not None:
            flash.success(request, _("Saved."))
            return redirect("iot:device_detail", code=code)
    return render(request, "iot/device_form.html", {"form": form, "device": device})


@login_required
def alarm_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    state = request.GET.get("state", "")
    state = state if state in AlarmState.values else ""
    qs = queries.alarms(user, state=state, device_code=request.GET.get("device", "").strip()[:64])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "iot/alarms.html", {"page": page, "state": state, "states": AlarmState.choices})


@login_required
def event_device(request: HttpRequest, event_id: int) -> HttpResponse:
    """From an event an alarm opened to its device's page (latest values, charts, alarms)."""
    alarm = queries.alarm_of_event(_staff(request), event_id)
    return redirect("iot:device_detail", code=alarm.device.code)


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    may_edit = actions.may_edit(user)
    may_edit_county = actions.may_edit_county(user)
    form = RuleForm(request.POST or None, county_wide=may_edit_county) if may_edit else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied()
        if form.is_valid():
            data = {
                k: v
                for k, v in form.cleaned_data.items()
                if k not in ("device_type", "name", "category_code")
            }
            data["device"] = data.get("device") or None
            rule = run_action(
                form,
                actions.create_rule,
                user,
                device_type=form.cleaned_data["device_type"],
                name=form.cleaned_data["name"],
                category_code=form.cleaned_data["category_code"],
                **data,
            )
            if rule is not None:
                flash.success(request, _("Saved."))
                return redirect("iot:rules")
    return render(
        request,
        "iot/rules.html",
        {
            "rules": queries.rules(user),
            "form": form,
            "may_edit": may_edit,
            "may_edit_county": may_edit_county,
        },
    )


@login_required
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    user = _staff(request)
    rule = queries.rule(user, rule_id)
    if not actions.may_edit(user) or (rule.device_id is None and not actions.may_edit_county(user)):
        raise PermissionDenied()  # before the form is filled in, not after
    initial = {f: getattr(rule, f) for f in actions.RULE_FIELDS}
    form = RuleForm(request.POST or None, initial=initial, editing=True)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_action(form, actions.update_rule, user, rule_id, **form.cleaned_data) is not None
    ):
        flash.success(request, _("Saved."))
        return redirect("iot:rules")
    return render(request, "iot/rule_form.html", {"form": form, "rule": rule})

"""Ingestion of device messages (MQTT or HTTP) and the alarm engine that opens events.

Message format (UTF-8 JSON object, at most 16 KB), on topic ``<prefix>/<device code>/telemetry`` or
``…/alarm`` (prefix ``jiceng/devices``), or POSTed to ``/api/v1/iot/devices/<code>/telemetry|alarm``:

telemetry: ``{"ts": "2026-11-26T08:00:00+08:00", "values": {"smoke": 0.4, "battery": 87}}``
alarm:     ``{"ts": 1764115200, "code": "smoke", "state": "raised", "message": "烟雾报警", "values": {…}}``

``ts`` is ISO 8601 (without an offset: China time) or Unix seconds (or milliseconds); missing: the time of
receipt. Every key of ``values`` must be a metric of the device's type and lie within its [min, max].
``state`` is ``raised`` (default) or ``cleared``. An alarm code ``fault`` also marks the device faulty.
Rejected messages raise ``IngestError`` with a stable code; nothing of them is stored.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.audit.actions import record
from jiceng.core.errors import DomainError
from jiceng.events.actions import report_event
from jiceng.events.models import OPEN_STATES, Event, Source
from jiceng.iot import conf
from jiceng.iot.actions import check_secret, system_user
from jiceng.iot.labels import alarm_code_label
from jiceng.iot.models import (
    Alarm,
    AlarmRule,
    AlarmState,
    Comparison,
    Device,
    DeviceStatus,
    Reading,
    RuleKind,
    RuleStreak,
)

logger = logging.getLogger(__name__)

TELEMETRY, ALARM = "telemetry", "alarm"
KINDS = (TELEMETRY, ALARM)
MAX_BYTES = 16 * 1024
MAX_VALUES = 50
CLOCK_SLACK = timedelta(minutes=5)
FAULT = "fault"


class IngestError(DomainError):
    status = 422
    code = "invalid_message"
    default_message = gettext_lazy("The device message is invalid.")


def _reject(code: str, message: Any, status: int = 422) -> IngestError:
    error = IngestError(message, code=code)
    error.status = status
    return error


def auth_failed() -> IngestError:
    # The same answer for an unknown device and a wrong secret: nobody learns which codes exist.
    return _reject("device_auth_failed", _("Device authentication failed."), 401)


@dataclass
class Message:
    kind: str
    at: datetime
    values: dict[str, float] = field(default_factory=dict)
    code: str = ""
    text: str = ""
    cleared: bool = False


@dataclass
class Outcome:
    device: str
    kind: str
    stored: bool = False  # kept in the history
    opened: list[int] = field(default_factory=list)  # alarm ids that opened an event
    repeated: list[int] = field(default_factory=list)  # alarm ids a repeat was counted on
    cleared: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)


def _time(raw: Any, now: datetime) -> datetime:
    if raw is None:
        return now
    try:
        if isinstance(raw, bool):
            raise TypeError
        if isinstance(raw, int | float):
            seconds = raw / 1000 if raw > 1e11 else raw
            at = datetime.fromtimestamp(seconds, tz=UTC)
        elif isinstance(raw, str):
            at = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
        else:
            raise TypeError
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise _reject("invalid_time", _("The time is not ISO 8601 or Unix seconds.")) from exc
    if at > now + CLOCK_SLACK:
        raise _reject("invalid_time", _("The time is in the future."))
    if at < now - timedelta(days=conf.history_days()):
        raise _reject("invalid_time", _("The time is too old."))
    return at


def parse(kind: str, raw: bytes | str | dict[str, Any], now: datetime | None = None) -> Message:
    """A message from its JSON text (or already decoded object); IngestError if it is not well formed."""
    now = now or timezone.now()
    if kind not in KINDS:
        raise _reject("unknown_topic", _("Unknown message kind (telemetry or alarm)."), 404)
    if isinstance(raw, bytes | str):
        if len(raw) > MAX_BYTES:
            raise _reject("payload_too_large", _("The message is too large."), 413)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _reject("malformed_json", _("The message is not valid JSON."), 400) from exc
    else:
        body = raw
    if not isinstance(body, dict):
        raise _reject("malformed_json", _("The message must be a JSON object."), 400)
    values = body.get("values", {})
    if values is None:
        values = {}
    if not isinstance(values, dict) or len(values) > MAX_VALUES:
        raise _reject("invalid_values", _("'values' must be an object of metric: number."))
    checked: dict[str, float] = {}
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise _reject("invalid_value", _("The value of %(metric)s is not a number.") % {"metric": key})
        checked[str(key)] = float(value)
    message = Message(kind=kind, at=_time(body.get("ts"), now), values=checked)
    if kind == TELEMETRY:
        if not checked:
            raise _reject("no_values", _("The message has no values."))
        return message
    code = body.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 40:
        raise _reject("invalid_alarm_code", _("An alarm needs a 'code' (up to 40 characters)."))
    state = body.get("state", "raised")
    if state not in ("raised", "cleared"):
        raise _reject("invalid_alarm_state", _("'state' must be raised or cleared."))
    text = body.get("message", "")
    message.code, message.cleared = code.strip(), state == "cleared"
    message.text = text.strip()[:200] if isinstance(text, str) else ""
    return message


def _check_values(device: Device, values: dict[str, float]) -> None:
    for key, value in values.items():
        metric = device.device_type.metric(key)
        if metric is None:
            raise _reject(
                "unknown_metric", _("The device type does not report %(metric)s.") % {"metric": key}
            )
        if not metric["min"] <= value <= metric["max"]:
            raise _reject(
                "out_of_range",
                _("%(metric)s = %(value)s is outside %(min)s–%(max)s.")
                % {"metric": key, "value": value, "min": metric["min"], "max": metric["max"]},
            )


def ingest(
    device_code: str,
    kind: str,
    raw: bytes | str | dict[str, Any],
    *,
    secret: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Take in one device message. ``secret`` (HTTP) must match the device's; MQTT messages are
    authenticated by the broker (each device's own credentials and topic ACL)."""
    now = now or timezone.now()
    if secret is not None:
        device = Device.objects.filter(code=device_code, is_active=True).first()
        if device is None or not check_secret(device, secret):
            raise auth_failed()
    message = parse(kind, raw, now)
    with transaction.atomic():
        device = (
            Device.objects.select_for_update(of=("self",))
            .select_related("device_type")
            .filter(code=device_code, is_active=True)
            .first()
        )
        if device is None:
            raise _reject("unknown_device", _("Unknown device."), 404)
        _check_values(device, message.values)
        outcome = Outcome(device=device.code, kind=kind)
        late = device.latest_at is not None and message.at < device.latest_at
        _update_device(device, message, now, outcome)
        if not (late and kind == TELEMETRY):  # a late reading does not change what is alarming now
            _evaluate(device, message, now, outcome)
    return outcome


def _update_device(device: Device, message: Message, now: datetime, outcome: Outcome) -> None:
    if message.values and (device.latest_at is None or message.at >= device.latest_at):
        device.latest = {**device.latest, **message.values}
        device.latest_at = message.at
    if message.values:
        interval = timedelta(seconds=conf.history_interval_seconds())
        if device.history_at is None or message.at >= device.history_at + interval:
            Reading.objects.create(device=device, at=message.at, values=message.values)
            device.history_at = message.at
            outcome.stored = True
        elif (
            message.at < device.history_at - interval
            and not Reading.objects.filter(
                device=device, at__gt=message.at - interval, at__lt=message.at + interval
            ).exists()
        ):  # sent late (a gateway's buffer): kept if nothing near it is
            Reading.objects.create(device=device, at=message.at, values=message.values)
            outcome.stored = True
    device.last_seen_at = now
    if message.kind == ALARM and message.code == FAULT:
        device.status = DeviceStatus.ONLINE if message.cleared else DeviceStatus.FAULT
    elif device.status == DeviceStatus.OFFLINE:
        device.status = DeviceStatus.ONLINE
    device.save(update_fields=["latest", "latest_at", "history_at", "last_seen_at", "status", "updated_at"])


def rules_for(device: Device) -> list[AlarmRule]:
    """Active rules of the device's type; a rule of the device itself replaces the type's rule of the
    same kind and metric."""
    rules = list(
        AlarmRule.objects.select_related("device_type")
        .filter(is_active=True, device_type_id=device.device_type_id)
        .filter(Q(device__isnull=True) | Q(device=device))
        .order_by("id")
    )
    own = {(r.kind, r.metric) for r in rules if r.device_id is not None}
    return [r for r in rules if r.device_id is not None or (r.kind, r.metric) not in own]


COMPARE = {
    Comparison.GT: lambda v, t: v > t,
    Comparison.GE: lambda v, t: v >= t,
    Comparison.LT: lambda v, t: v < t,
    Comparison.LE: lambda v, t: v <= t,
    Comparison.EQ: lambda v, t: v == t,
    Comparison.NE: lambda v, t: v != t,
}


def _evaluate(device: Device, message: Message, now: datetime, outcome: Outcome) -> None:
    rules = rules_for(device)
    if message.kind == ALARM:
        matching = [r for r in rules if r.kind == RuleKind.DEVICE and r.metric in (message.code, "")]
        matching.sort(key=lambda r: r.metric == "")  # the exact code first
        if not matching:
            logger.warning("iot: alarm %s of device %s matches no rule", message.code, device.code)
            return
        rule = matching[0]
        value = next(iter(message.values.values()), None)
        if message.cleared:
            _clear(device, rule, value, message.at, outcome)
        else:
            active = Alarm.objects.filter(device=device, rule=rule, state=AlarmState.ACTIVE).first()
            _fire(device, rule, value, message, now, outcome, active=active)
        return
    for rule in rules:
        if rule.kind != RuleKind.THRESHOLD or rule.metric not in message.values:
            continue
        value = message.values[rule.metric]
        if not COMPARE[Comparison(rule.comparison)](value, rule.threshold):
            RuleStreak.objects.filter(device=device, rule=rule).delete()
            _clear(device, rule, value, message.at, outcome)
            continue
        streak, created = RuleStreak.objects.get_or_create(
            device=device, rule=rule, defaults={"count": 1, "started_at": message.at}
        )
        if not created:
            streak.count += 1
            streak.save(update_fields=["count"])
        active = Alarm.objects.filter(device=device, rule=rule, state=AlarmState.ACTIVE).first()
        if active is not None:  # still over the threshold: the same alarm goes on
            active.last_value, active.last_at = value, message.at
            active.save(update_fields=["last_value", "last_at"])
            continue
        held = (message.at - streak.started_at).total_seconds()
        if streak.count >= rule.consecutive and held >= rule.hold_seconds:
            _fire(device, rule, value, message, now, outcome)


def _fire(
    device: Device,
    rule: AlarmRule,
    value: float | None,
    message: Message,
    now: datetime,
    outcome: Outcome,
    *,
    active: Alarm | None = None,
) -> None:
    """The rule fired: count it on the device's last alarm of this rule if that one's event is still open
    (or it was seen within the cooldown), else open a new alarm and event."""
    last = (
        active
        or Alarm.objects.filter(device=device, rule=rule).select_related("event").order_by("-id").first()
    )
    if last is not None:
        event_open = last.event is not None and last.event.state in OPEN_STATES
        cooling = message.at - last.last_at < timedelta(minutes=rule.cooldown_minutes)
        if last.state == AlarmState.ACTIVE or event_open or cooling:
            last.count += 1
            last.last_value, last.last_at = value, max(last.last_at, message.at)
            last.state, last.cleared_at, last.clear_value = AlarmState.ACTIVE, None, None
            last.save()
            outcome.repeated.append(last.pk)
            return
    alarm = Alarm.objects.create(
        device=device,
        rule=rule,
        region_code=device.region_code,
        code=message.code or rule.metric,
        message=message.text,
        first_value=value,
        last_value=value,
        raised_at=message.at,
        last_at=message.at,
    )
    alarm.event = _open_event(device, rule, alarm, value, message, now)
    if alarm.event is not None:
        alarm.save(update_fields=["event"])
        outcome.events.append(alarm.event.pk)
    outcome.opened.append(alarm.pk)
    record(
        "iot.alarm.raise",
        actor=system_user(),
        obj=alarm,
        changes={
            "device": device.code,
            "rule": rule.pk,
            "value": value,
            "event": alarm.event.pk if alarm.event else None,
        },
    )


def _open_event(
    device: Device, rule: AlarmRule, alarm: Alarm, value: float | None, message: Message, now: datetime
) -> Event | None:
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the platform's language
        return _report(device, rule, alarm, value, message, now)


def _report(
    device: Device, rule: AlarmRule, alarm: Alarm, value: float | None, message: Message, now: datetime
) -> Event | None:
    rule.device_type = device.device_type  # the labels read the type's metrics
    if rule.kind == RuleKind.THRESHOLD and value is not None:
        reading = f"{rule.metric_label} {value:g} {rule.unit}".strip()
        condition = rule.condition_label
    else:
        reading, condition = message.text or alarm_code_label(message.code), rule.condition_label
    description = _(
        "Device %(code)s (%(type)s, %(address)s) raised the alarm “%(rule)s”: %(reading)s "
        "(rule: %(condition)s)."
    ) % {
        "code": device.code,
        "type": device.device_type.name,
        "address": device.address or "—",
        "rule": rule.name,
        "reading": reading,
        "condition": condition,
    }
    form = {rule.form_field: round(value)} if rule.form_field and value is not None else None
    try:
        with transaction.atomic():
            event, _created = report_event(
                system_user(),
                category=rule.category_code,
                title=_("%(rule)s: %(device)s") % {"rule": rule.name, "device": device.name},
                description=description,
                urgency=rule.urgency,
                source=Source.IOT,
                source_ref=f"iot-alarm-{alarm.pk}",
                lng=device.lng,
                lat=device.lat,
                region_code=device.region_code,
                address=device.address,
                occurred_at=min(message.at, now),
                form_data=form,
                now=now,
            )
    except DomainError as exc:
        # A retired category or a form the rule cannot fill: the alarm stays, without an event.
        logger.error(
            "iot: alarm %s of device %s opened no event: %s %s", alarm.pk, device.code, exc.code, exc
        )
        return None
    return event


def _clear(device: Device, rule: AlarmRule, value: float | None, at: datetime, outcome: Outcome) -> None:
    alarm = Alarm.objects.filter(device=device, rule=rule, state=AlarmState.ACTIVE).first()
    if alarm is None:
        return
    alarm.state, alarm.cleared_at, alarm.clear_value = AlarmState.CLEARED, at, value
    alarm.save(update_fields=["state", "cleared_at", "clear_value"])
    outcome.cleared.append(alarm.pk)
    record(
        "iot.alarm.clear",
        actor=system_user(),
        obj=alarm,
        changes={"device": device.code, "rule": rule.pk, "value": value},
    )

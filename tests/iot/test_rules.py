"""The alarm engine: thresholds, consecutive readings, hold time, repeats on the open event, cooldown,
clearing, device-side alarms, per-device rules; and the offline check and history bounds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jiceng.events.models import Event, EventCategory, EventState, Source
from jiceng.iot import actions, tasks
from jiceng.iot.ingest import ALARM, TELEMETRY, IngestError, ingest
from jiceng.iot.models import Alarm, AlarmState, Device, DeviceStatus, Reading
from tests.conftest import Org
from tests.iot.conftest import Iot

pytestmark = pytest.mark.django_db


def send(device: str, at: Any, now: Any = None, kind: str = TELEMETRY, **body: Any) -> Any:
    return ingest(device, kind, {"ts": at.isoformat(), **body}, now=now or at)


def test_two_readings_in_a_row_over_the_threshold_open_one_event(iot: Iot, org: Org) -> None:
    t0 = timezone.now() - timedelta(hours=1)
    assert send("BIN-A", t0, values={"fill": 95}).opened == []
    assert send("BIN-A", t0 + timedelta(minutes=1), values={"fill": 50}).opened == []  # resets the streak
    assert send("BIN-A", t0 + timedelta(minutes=2), values={"fill": 92}).opened == []
    outcome = send("BIN-A", t0 + timedelta(minutes=3), values={"fill": 97})
    assert len(outcome.opened) == 1 and len(outcome.events) == 1
    alarm = Alarm.objects.get()
    event = Event.objects.get(pk=outcome.events[0])
    assert alarm.event == event and alarm.first_value == 97 and alarm.state == AlarmState.ACTIVE
    assert event.source == Source.IOT and event.category.code == "0301"
    assert event.region_code == org.regions["grid_a"].code and event.lng == iot.a.lng
    assert event.created_by is not None and event.created_by.username == actions.SYSTEM_USERNAME
    assert "BIN-A" in event.description and "97" in event.description
    assert event.source_ref == f"iot-alarm-{alarm.pk}"


def test_repeats_attach_to_the_open_event_and_clearing_is_recorded(iot: Iot) -> None:
    t0 = timezone.now() - timedelta(hours=3)
    for minute, fill in enumerate((91, 93, 99)):
        send("BIN-A", t0 + timedelta(minutes=minute), values={"fill": fill})
    alarm = Alarm.objects.get()
    assert alarm.count == 1 and alarm.last_value == 99  # still over: the same alarm goes on
    cleared = send("BIN-A", t0 + timedelta(minutes=5), values={"fill": 10})
    alarm.refresh_from_db()
    assert cleared.cleared == [alarm.pk] and alarm.state == AlarmState.CLEARED and alarm.clear_value == 10
    assert alarm.cleared_at == t0 + timedelta(minutes=5)
    # Full again two hours later (past the cooldown) while the event is still open: counted on it.
    later = t0 + timedelta(hours=2)
    send("BIN-A", later, values={"fill": 95})
    outcome = send("BIN-A", later + timedelta(minutes=1), values={"fill": 96})
    assert outcome.repeated == [alarm.pk] and outcome.events == []
    alarm.refresh_from_db()
    assert alarm.count == 2 and alarm.last_value == 96 and alarm.state == AlarmState.ACTIVE
    assert alarm.cleared_at is None and Event.objects.count() == 1


def test_a_closed_event_and_a_passed_cooldown_open_a_new_one(iot: Iot) -> None:
    t0 = timezone.now() - timedelta(hours=3)
    send("BIN-A", t0, values={"fill": 95})
    send("BIN-A", t0 + timedelta(minutes=1), values={"fill": 95})
    send("BIN-A", t0 + timedelta(minutes=2), values={"fill": 5})
    Event.objects.update(state=EventState.CLOSED)
    # Within the cooldown (30 minutes after the last alarm): still the same alarm.
    send("BIN-A", t0 + timedelta(minutes=10), values={"fill": 95})
    within = send("BIN-A", t0 + timedelta(minutes=11), values={"fill": 95})
    assert within.repeated and within.events == []
    send("BIN-A", t0 + timedelta(minutes=12), values={"fill": 5})
    # After it: a new alarm and event.
    send("BIN-A", t0 + timedelta(hours=1), values={"fill": 95})
    after = send("BIN-A", t0 + timedelta(hours=1, minutes=1), values={"fill": 95})
    assert len(after.events) == 1 and Alarm.objects.count() == 2 and Event.objects.count() == 2


def test_hold_time(iot: Iot) -> None:
    actions.update_rule(iot_root(iot), iot.rule.pk, consecutive=1, hold_seconds=600)
    t0 = timezone.now() - timedelta(hours=1)
    assert not send("BIN-A", t0, values={"fill": 95}).opened
    assert not send("BIN-A", t0 + timedelta(minutes=5), values={"fill": 95}).opened
    assert send("BIN-A", t0 + timedelta(minutes=11), values={"fill": 95}).opened


def iot_root(iot: Iot) -> Any:
    from jiceng.accounts.models import User

    return User.objects.get(username="root")


def test_a_device_rule_replaces_the_type_rule(iot: Iot) -> None:
    actions.create_rule(
        iot_root(iot),
        device_type="bin",
        device="BIN-A",
        name="A桶满溢（阈值 80）",
        category_code="0301",
        metric="fill",
        comparison="gt",
        threshold=80,
        consecutive=1,
    )
    t0 = timezone.now() - timedelta(hours=1)
    assert send("BIN-A", t0, values={"fill": 85}).opened  # its own rule: one reading over 80
    assert not send("BIN-B", t0, values={"fill": 85}).opened
    assert not send("BIN-B", t0 + timedelta(minutes=1), values={"fill": 85}).opened  # the type's: 90


def test_device_alarms_open_events_count_repeats_and_clear(iot: Iot, org: Org) -> None:
    root = iot_root(iot)
    actions.create_rule(
        root,
        device_type="bin",
        kind="device",
        metric="fire",
        name="桶内起火",
        category_code="0301",
        urgency="urgent",
    )
    actions.create_rule(
        root, device_type="bin", kind="device", metric="fault", name="设备故障", category_code="0301"
    )
    t0 = timezone.now() - timedelta(minutes=30)
    first = send("BIN-A", t0, kind=ALARM, code="fire", message="温度骤升")
    assert len(first.events) == 1
    event = Event.objects.get(pk=first.events[0])
    assert event.urgency == "urgent" and "温度骤升" in event.description
    again = send("BIN-A", t0 + timedelta(minutes=1), kind=ALARM, code="fire")
    alarm = Alarm.objects.get(code="fire")
    assert again.repeated == [alarm.pk] and alarm.count == 2
    send("BIN-A", t0 + timedelta(minutes=2), kind=ALARM, code="fire", state="cleared")
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.CLEARED
    send("BIN-A", t0 + timedelta(minutes=3), kind=ALARM, code="fault")
    assert Device.objects.get(code="BIN-A").status == DeviceStatus.FAULT
    send("BIN-A", t0 + timedelta(minutes=4), kind=ALARM, code="fault", state="cleared")
    assert Device.objects.get(code="BIN-A").status == DeviceStatus.ONLINE
    # A code no rule knows: accepted, nothing opened.
    assert send("BIN-A", t0 + timedelta(minutes=5), kind=ALARM, code="lid_open").opened == []


def test_a_retired_category_leaves_the_alarm_without_an_event(iot: Iot) -> None:
    EventCategory.objects.filter(code="0301").update(is_active=False)
    from jiceng.events import category_cache

    category_cache.reset()
    t0 = timezone.now() - timedelta(minutes=30)
    send("BIN-A", t0, values={"fill": 95})
    outcome = send("BIN-A", t0 + timedelta(minutes=1), values={"fill": 95})
    assert outcome.opened and outcome.events == []
    assert Alarm.objects.get().event is None and Event.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"values": {"fill": 101}}, "out_of_range"),
        ({"values": {"fill": -1}}, "out_of_range"),
        ({"values": {"depth": 3}}, "unknown_metric"),
        ({"values": {"fill": "full"}}, "invalid_value"),
        ({"values": {}}, "no_values"),
        ({"values": {"fill": 3}, "ts": "yesterday"}, "invalid_time"),
        ({"values": {"fill": 3}, "ts": "2099-01-01T00:00:00+08:00"}, "invalid_time"),
    ],
)
def test_implausible_messages_are_rejected_and_nothing_is_kept(iot: Iot, body: Any, code: str) -> None:
    with pytest.raises(IngestError) as caught:
        ingest("BIN-A", TELEMETRY, body)
    assert caught.value.code == code
    device = Device.objects.get(code="BIN-A")
    assert device.last_seen_at is None and device.latest == {} and not Reading.objects.exists()


def test_unknown_devices_and_bad_json_are_rejected(iot: Iot) -> None:
    for code, raw, expected in (
        ("NOPE", b'{"values": {"fill": 1}}', "unknown_device"),
        ("BIN-A", b"{x", "malformed_json"),
    ):
        with pytest.raises(IngestError) as caught:
            ingest(code, TELEMETRY, raw)
        assert caught.value.code == expected


def test_history_is_kept_once_per_interval_and_pruned(iot: Iot, settings: Any) -> None:
    settings.JICENG_IOT_HISTORY_INTERVAL = 300
    now = timezone.now()
    t0 = now - timedelta(hours=1)
    assert send("BIN-A", t0, now=now, values={"fill": 10}).stored
    assert not send("BIN-A", t0 + timedelta(minutes=2), now=now, values={"fill": 12}).stored
    assert send("BIN-A", t0 + timedelta(minutes=5), now=now, values={"fill": 14}).stored
    device = Device.objects.get(code="BIN-A")
    assert device.latest == {"fill": 14} and Reading.objects.count() == 2
    # Sent late (from a gateway's buffer): kept unless a kept reading is near it; the latest stays.
    assert send("BIN-A", t0 - timedelta(minutes=30), now=now, values={"fill": 3}).stored
    assert not send("BIN-A", t0 - timedelta(minutes=28), now=now, values={"fill": 4}).stored
    late = [send("BIN-A", t0 - timedelta(minutes=m), now=now, values={"fill": 99}) for m in (29, 27)]
    assert not late[1].opened and not Alarm.objects.exists()  # late readings do not raise alarms
    device = Device.objects.get(code="BIN-A")
    assert device.latest == {"fill": 14} and Reading.objects.count() == 3
    assert device.status == DeviceStatus.ONLINE and device.last_seen_at == now
    Reading.objects.create(device=device, at=now - timedelta(days=8), values={"fill": 1})
    assert tasks.prune_history(now) == 1 and Reading.objects.count() == 3


def test_silent_devices_go_offline(iot: Iot) -> None:
    now = timezone.now()
    send("BIN-A", now - timedelta(minutes=40), now=now - timedelta(minutes=40), values={"fill": 1})
    send("BIN-B", now - timedelta(minutes=5), now=now - timedelta(minutes=5), values={"fill": 1})
    assert tasks.check_devices(now) == {"offline": 1, "pruned": 0}
    assert Device.objects.get(code="BIN-A").status == DeviceStatus.OFFLINE
    assert Device.objects.get(code="BIN-B").status == DeviceStatus.ONLINE
    assert tasks.check_devices(now)["offline"] == 0  # idempotent
    send("BIN-A", now, values={"fill": 2})
    assert Device.objects.get(code="BIN-A").status == DeviceStatus.ONLINE


def test_the_catalog_seeds_types_and_rules(org: Org) -> None:
    from jiceng.events.seed import seed_categories
    from jiceng.iot.models import AlarmRule, DeviceType

    root = org.user("root", "superuser")
    seed_categories(root)
    assert actions.seed_device_types(root) == 6
    assert DeviceType.objects.count() == 6 and AlarmRule.objects.count() == 12
    assert actions.seed_device_types(root) == 0

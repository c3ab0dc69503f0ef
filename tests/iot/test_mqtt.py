"""Through the real Mosquitto broker (127.0.0.1:1883, started by .ci/run): paho publishes telemetry, the
subscriber receives it from the broker and an event is opened; bad messages are counted, not fatal.

The subscriber's network loop is stepped in the test's own thread, so that what it writes is inside the
test's transaction (and visible to the assertions) on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from jiceng.events.models import Event
from jiceng.iot.models import Alarm, Device
from jiceng.iot.mqtt import Subscriber
from tests.iot.conftest import Iot

pytestmark = pytest.mark.django_db
HOST, PORT = "127.0.0.1", 1883


def broker_up() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def broker() -> None:
    if not broker_up():
        if os.environ.get("CI"):
            pytest.fail("Mosquitto is not running on 127.0.0.1:1883 (.ci/run starts it)")
        pytest.skip("no MQTT broker on 127.0.0.1:1883")


@pytest.fixture
def subscriber(broker: None, settings: Any) -> Iterator[Subscriber]:
    settings.JICENG_MQTT_URL = f"mqtt://{HOST}:{PORT}"
    prefix = f"jiceng-test/{uuid.uuid4().hex[:8]}/devices"
    sub = Subscriber(client_id=f"jiceng-test-{uuid.uuid4().hex[:8]}", prefix=prefix)
    sub.connect()
    step_until(sub, sub.subscribed.is_set)
    yield sub
    sub.stop()


@pytest.fixture
def publisher(broker: None) -> Iterator[mqtt.Client]:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"device-{uuid.uuid4().hex[:8]}")
    client.connect(HOST, PORT)
    client.loop_start()
    yield client
    client.loop_stop()
    client.disconnect()


def step_until(sub: Subscriber, done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out waiting for the broker"
        sub.client.loop(timeout=0.1)


def publish(client: mqtt.Client, topic: str, payload: Any) -> None:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    client.publish(topic, data, qos=1).wait_for_publish(timeout=5)


def test_telemetry_through_the_broker_opens_an_event(
    iot: Iot, subscriber: Subscriber, publisher: mqtt.Client
) -> None:
    topic = f"{subscriber.prefix}/BIN-A/telemetry"
    publish(publisher, topic, {"values": {"fill": 93}})
    publish(publisher, f"{subscriber.prefix}/NOPE/telemetry", {"values": {"fill": 93}})
    publish(publisher, topic, b"{not json")
    publish(publisher, topic, {"values": {"fill": 250}})
    publish(publisher, f"{subscriber.prefix}/BIN-A/status", {"values": {}})  # not subscribed
    publish(publisher, topic, {"values": {"fill": 97, "battery": 66}})
    step_until(subscriber, lambda: subscriber.accepted + sum(subscriber.rejected.values()) >= 5)
    assert subscriber.accepted == 2
    assert subscriber.rejected == {"unknown_device": 1, "malformed_json": 1, "out_of_range": 1}
    alarm = Alarm.objects.get()
    assert alarm.event is not None and alarm.last_value == 97
    assert Event.objects.get().source == "iot"
    assert Device.objects.get(code="BIN-A").latest == {"fill": 97, "battery": 66}
    # The subscriber carries on after the rejects: a device alarm comes through too.
    publish(publisher, f"{subscriber.prefix}/BIN-A/alarm", {"code": "lid_open"})
    step_until(subscriber, lambda: subscriber.accepted == 3)


def test_a_wrong_topic_is_rejected(subscriber: Subscriber) -> None:
    assert subscriber.handle("other/BIN-A/telemetry", b"{}") is None
    assert subscriber.handle(f"{subscriber.prefix}/BIN-A/x/telemetry", b"{}") is None
    assert subscriber.rejected["unknown_topic"] == 2


@pytest.mark.django_db(transaction=True)
def test_the_subscriber_in_its_own_thread(
    org: Any, categories: Any, broker: None, settings: Any, publisher: mqtt.Client
) -> None:
    """As `jiceng iot` runs it: paho's network thread calls the subscriber, with its own connection."""
    from tests.iot.conftest import make_iot

    make_iot(org)
    settings.JICENG_MQTT_URL = f"mqtt://{HOST}:{PORT}"
    prefix = f"jiceng-test/{uuid.uuid4().hex[:8]}/devices"
    sub = Subscriber(client_id=f"jiceng-test-{uuid.uuid4().hex[:8]}", prefix=prefix)
    sub.connect()
    sub.client.loop_start()
    try:
        assert sub.subscribed.wait(10)
        for fill in (92, 99):
            publish(publisher, f"{prefix}/BIN-B/telemetry", {"values": {"fill": fill}})
        deadline = time.monotonic() + 10
        while sub.accepted < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sub.client.loop_stop()
        sub.stop()
    assert sub.accepted == 2 and not sub.rejected
    event = Event.objects.get()
    assert event.region_code == org.regions["grid_b"].code and Alarm.objects.get().event == event

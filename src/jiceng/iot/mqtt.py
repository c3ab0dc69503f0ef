"""The MQTT subscriber (`jiceng iot`): device messages from the broker into ``ingest``.

Topics ``<prefix>/<device code>/telemetry`` and ``<prefix>/<device code>/alarm`` (prefix
``JICENG_MQTT_TOPIC_PREFIX``, default ``jiceng/devices``), QoS 1, payload format in ``jiceng.iot.ingest``.
Devices are authenticated by the broker: give each device its own Mosquitto account and let the ACL
(``pattern write jiceng/devices/%u/#``) allow it to publish only under its own code; the platform reads
with the account in ``JICENG_MQTT_URL``. A rejected message (unknown device, bad JSON, out-of-range
value …) is logged and counted by reason; nothing a device sends stops the subscriber.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import Counter
from typing import Any

import paho.mqtt.client as mqtt
from django.db import connection

from jiceng.core.connections import refresh_connections
from jiceng.core.errors import DomainError
from jiceng.iot import conf, ingest

logger = logging.getLogger(__name__)

STATS_EVERY_SECONDS = 300.0


class Subscriber:
    def __init__(self, *, client_id: str = "jiceng-iot", prefix: str | None = None) -> None:
        self.prefix = (prefix or conf.topic_prefix()).rstrip("/")
        self.accepted = 0
        self.rejected: Counter[str] = Counter()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self._stats_at = time.monotonic()
        # A persistent session (clean_start False, fixed client id): QoS 1 messages sent while the
        # subscriber was down are delivered when it reconnects.
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        broker = conf.broker()
        if broker.username:
            self.client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self.client.tls_set()
        self.broker = broker
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.reconnect_delay_set(min_delay=1, max_delay=60)

    def topics(self) -> list[tuple[str, int]]:
        return [(f"{self.prefix}/+/{kind}", 1) for kind in ingest.KINDS]

    def connect(self, *, wait: bool = True) -> None:
        """Connect now (``wait``, raises if the broker is down) or in the loop, retrying until it is up."""
        properties = mqtt.Properties(mqtt.PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600
        connect = self.client.connect if wait else self.client.connect_async
        connect(self.broker.host, self.broker.port, keepalive=30, clean_start=False, properties=properties)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            logger.error("iot: broker refused the connection: %s", reason)
            return
        client.subscribe(self.topics())
        self.connected.set()
        logger.info(
            "iot: subscribed to %s on %s:%s",
            [t for t, _q in self.topics()],
            self.broker.host,
            self.broker.port,
        )

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        if any(r.is_failure for r in reasons):
            logger.error("iot: the broker refused a subscription: %s", reasons)
            return
        self.subscribed.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self.connected.clear()
        self.subscribed.clear()
        if reason.is_failure:
            logger.warning("iot: disconnected from the broker (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.handle(msg.topic, bytes(msg.payload))

    def handle(self, topic: str, payload: bytes) -> ingest.Outcome | None:
        """One message; never raises."""
        if not connection.in_atomic_block:  # a long-running process: drop a broken or stale connection
            refresh_connections()
        parts = topic[len(self.prefix) + 1 :].split("/") if topic.startswith(self.prefix + "/") else []
        try:
            if len(parts) != 2 or not parts[0]:
                raise ingest.IngestError(code="unknown_topic")
            outcome = ingest.ingest(parts[0], parts[1], payload)
        except DomainError as exc:
            self.rejected[exc.code] += 1
            logger.warning("iot: rejected %s: %s %s", topic, exc.code, exc.message)
            return None
        except Exception:
            self.rejected["internal_error"] += 1
            logger.exception("iot: failed on a message of %s", topic)
            return None
        finally:
            self._log_stats()
        self.accepted += 1
        if outcome.opened or outcome.cleared:
            logger.info(
                "iot: %s: alarms opened %s, cleared %s, events %s",
                outcome.device,
                outcome.opened,
                outcome.cleared,
                outcome.events,
            )
        return outcome

    def _log_stats(self) -> None:
        if time.monotonic() - self._stats_at < STATS_EVERY_SECONDS:
            return
        self._stats_at = time.monotonic()
        logger.info("iot: %s messages accepted, rejected %s", self.accepted, dict(self.rejected))

    def run_forever(self) -> None:
        self.connect(wait=False)
        self.client.loop_forever(retry_first_connection=True)

    def stop(self) -> None:
        self.client.disconnect()


def main(argv: list[str]) -> None:
    """`jiceng iot`: subscribe until SIGTERM/SIGINT."""
    import argparse

    parser = argparse.ArgumentParser(prog="jiceng iot", description=__doc__.splitlines()[0])
    parser.add_argument("--client-id", default="jiceng-iot", help="MQTT client id (one per subscriber)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO) if not logging.getLogger().handlers else None
    subscriber = Subscriber(client_id=args.client_id)

    def stop(signum: int, frame: Any) -> None:
        logger.info(
            "iot: stopping (%s accepted, rejected %s)", subscriber.accepted, dict(subscriber.rejected)
        )
        subscriber.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    broker = conf.broker()
    print(f"jiceng iot: subscribing on {broker.host}:{broker.port} to {subscriber.prefix}/+/telemetry|alarm")
    subscriber.run_forever()

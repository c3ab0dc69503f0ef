from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.core.servers.basehttp import run
from django.core.wsgi import get_wsgi_application

from jiceng.core.connections import refresh_connections
from jiceng.federation import delivery, messaging
from jiceng.federation.sync import queue_registry_changes

logger = logging.getLogger(__name__)


def work(interval: float, sync_every: float, stop: threading.Event) -> None:
    """Deliver the outbox and (on a county) queue base-data changes, forever."""
    last_sync = 0.0
    while not stop.is_set():
        refresh_connections()
        try:
            if settings.PLATFORM_ROLE == "county" and time.monotonic() - last_sync >= sync_every:
                queue_registry_changes()
                last_sync = time.monotonic()
            delivery.deliver_due()
        except Exception:
            logger.exception("federation worker round failed")
        stop.wait(interval)


class Command(BaseCommand):
    help = "Run one federation node's outbox worker (and, with --serve, its threaded WSGI server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--serve", action="store_true", help="also serve HTTP (development server)")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--interval", type=float, default=0.2, help="seconds between delivery runs")
        parser.add_argument("--sync-every", type=float, default=1.0, help="seconds between base-data scans")
        parser.add_argument("--max-backoff", type=float, default=600, help="cap of the retry backoff (s)")
        parser.add_argument(
            "--max-attempts", type=int, default=delivery.MAX_ATTEMPTS, help="then: dead letter"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        messaging.MAX_BACKOFF_SECONDS = options["max_backoff"]
        delivery.MAX_ATTEMPTS = options["max_attempts"]
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if not options["serve"]:
            work(options["interval"], options["sync_every"], stop)
            return
        worker = threading.Thread(
            target=work, args=(options["interval"], options["sync_every"], stop), daemon=True
        )
        worker.start()
        try:
            run(options["host"], options["port"], get_wsgi_application(), threading=True)
        finally:
            stop.set()

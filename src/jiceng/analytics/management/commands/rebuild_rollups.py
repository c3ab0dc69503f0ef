"""Recompute the event rollups of the dashboards from the events (or, with --verify, only compare)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.analytics import rollups


class Command(BaseCommand):
    help = (
        "Recompute every dashboard rollup from the events, in one transaction (event changes wait for it on "
        "PostgreSQL). --verify compares the stored rollups with a computation from scratch instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--verify", action="store_true", help="only compare; exit 1 if they differ")
        parser.add_argument("--chunk", type=int, default=rollups.REBUILD_CHUNK, help="events read at a time")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["verify"]:
            differ = rollups.verify()
            self.stdout.write(f"rows that differ: daily {differ['daily']:,}, current {differ['current']:,}")
            if any(differ.values()):
                raise CommandError("the rollups differ from the events: run rebuild_rollups")
            return

        def progress(message: str) -> None:
            if options["verbosity"] >= 1:
                self.stdout.write(f"  {message} ({time.perf_counter() - started:.0f} s)")

        counts = rollups.rebuild(progress, chunk=options["chunk"])
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"rebuilt from {counts['events']:,} events: {counts['daily_rows']:,} daily rows, "
                f"{counts['current_rows']:,} current rows in {time.perf_counter() - started:.1f} s"
            )

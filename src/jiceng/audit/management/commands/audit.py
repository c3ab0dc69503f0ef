from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.audit.queries import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` checks the whole hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.checked} entries checked"))
            return
        raise CommandError(
            f"audit chain broken at entry {report.first_bad_id}: {report.problem} "
            f"({report.checked} entries before it are intact)"
        )

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiceng.audit.actions import record
from jiceng.registry import schema
from jiceng.registry.rebuild import rebuild


class Command(BaseCommand):
    help = (
        "Recompute search_text (and names' pinyin and initials) of existing registry records after a change "
        "of what search indexes. Batched, only changed rows are written; safe to interrupt and run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kinds", nargs="*", choices=[[], *schema.KINDS], help="default: every kind")
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        counts: dict[str, dict[str, int]] = {}
        for kind in options["kinds"] or schema.KINDS:

            def progress(checked: int, rewritten: int, kind: str = kind) -> None:
                self.stdout.write(f"  {kind}: {checked} checked, {rewritten} rewritten")

            checked, rewritten = rebuild(kind, batch=options["batch"], progress=progress)
            counts[kind] = {"rows": checked, "rewritten": rewritten}
            self.stdout.write(f"{kind}: {checked} rows, {rewritten} rewritten")
        record("registry.rebuild_search_text", actor=None, username="system", changes=counts)
        self.stdout.write(self.style.SUCCESS("Done."))

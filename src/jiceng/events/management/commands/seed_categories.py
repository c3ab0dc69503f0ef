from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.accounts.models import User
from jiceng.core.errors import DomainError
from jiceng.events.seed import DATA_FILE, apply_seed


class Command(BaseCommand):
    help = (
        "Create or update the event category tree from events/data/categories.json (idempotent): "
        "城市管理事件 (GB/T 30428.2), 矛盾纠纷 (GB/T 31000-2015) and the four platforms' business modules."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only-missing",
            action="store_true",
            help="Only create missing categories; keep administrators' changes to existing ones.",
        )
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="Record the changes as this user (a county administrator).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["username"]:
            actor = User.objects.filter(username=options["username"]).first()
            if actor is None:
                raise CommandError(f"no user {options['username']}")
        try:
            result = apply_seed(actor, overwrite=not options["only_missing"])
        except DomainError as exc:
            details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.details.items())
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"event categories from {DATA_FILE.name}: {len(result.created)} created, "
                f"{len(result.updated)} updated, {result.unchanged} unchanged"
            )
        )

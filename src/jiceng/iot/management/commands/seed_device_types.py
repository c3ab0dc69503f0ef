from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.accounts.models import User
from jiceng.core.errors import DomainError
from jiceng.iot.actions import seed_device_types
from jiceng.iot.models import AlarmRule, DeviceType


class Command(BaseCommand):
    help = (
        "Create the usual IoT device types and their alarm rules where missing (jiceng/iot/catalog.py); "
        "run after seed_categories. Existing types and rules are left as administrators set them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="Record the changes as this county administrator (default: the first superuser).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = User.objects.filter(is_active=True)
        actor = (
            users.filter(username=options["username"]).first()
            if options["username"]
            else users.filter(is_superuser=True).order_by("id").first()
        )
        if actor is None:
            raise CommandError("no such user (create an administrator first: jiceng createadmin NAME)")
        try:
            added = seed_device_types(actor)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"IoT: {added} device types added; {DeviceType.objects.count()} types, "
                f"{AlarmRule.objects.count()} rules"
            )
        )

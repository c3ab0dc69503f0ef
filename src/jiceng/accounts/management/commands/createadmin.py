from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.accounts.actions import create_superuser
from jiceng.core.errors import InvalidInput


class Command(BaseCommand):
    help = "Create a superuser (the first administrator). Password: JICENG_ADMIN_PASSWORD or a prompt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        password = os.environ.get("JICENG_ADMIN_PASSWORD") or getpass.getpass("Password: ")
        try:
            create_superuser(
                username, password, full_name=options["full_name"], email=options["email"], via="createadmin"
            )
        except InvalidInput as exc:
            messages = [m for field in exc.details.values() for m in field] or [str(exc.message)]
            raise CommandError("; ".join(messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"superuser {username} created"))

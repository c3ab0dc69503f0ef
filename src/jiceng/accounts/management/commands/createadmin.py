from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from jiceng.accounts.actions import _check_password
from jiceng.accounts.models import User
from jiceng.audit.actions import record
from jiceng.core.errors import InvalidInput


class Command(BaseCommand):
    help = "Create a superuser (the first administrator). Password: JICENG_ADMIN_PASSWORD or a prompt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username} exists already")
        password = os.environ.get("JICENG_ADMIN_PASSWORD") or getpass.getpass("Password: ")
        user = User(
            username=username,
            full_name=options["full_name"],
            email=options["email"],
            is_superuser=True,
            is_staff=True,
        )
        try:
            _check_password(password, user)
        except InvalidInput as exc:
            raise CommandError("; ".join(exc.details.get("password", [str(exc.message)]))) from exc
        with transaction.atomic():
            user.set_password(password)
            user.save()
            record(
                "user.create",
                actor=None,
                obj=user,
                username="(createadmin)",
                changes={"username": username, "is_superuser": True},
            )
        self.stdout.write(self.style.SUCCESS(f"superuser {username} created"))

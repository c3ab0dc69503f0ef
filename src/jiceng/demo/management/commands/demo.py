"""``manage.py demo``: load the demo county into an empty database and list the demo accounts."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jiceng.demo.loader import (
    accounts_file,
    demo_url,
    load_demo,
    loaded_accounts,
    read_accounts_file,
    system_user,
    write_accounts_file,
)
from jiceng.demo.steps import DemoAccount
from jiceng.org.models import Region


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def accounts_table(accounts: list[DemoAccount]) -> str:
    header = ("username", "password", "roles", "unit", "region")
    rows = [
        (a.username, a.password, ",".join(a.roles), a.unit_name or "-", a.region_name or "-")
        for a in accounts
    ]
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, tuple("-" * w for w in widths), *rows]
    ]
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Load the demo county (青溪县) into an empty database and write var/demo-accounts.json; "
        "if it is loaded already, reuse it. Needs demo mode (JICENG_DEMO=1)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "Demo mode is off: the demo creates accounts whose password is published. "
                "Run it only on a throw-away database, with JICENG_DEMO=1 (or `jiceng demo`)."
            )
        path = accounts_file()
        if not Region.objects.exists():
            ctx = load_demo(self.stdout)
            accounts = ctx.accounts
            write_accounts_file(ctx.actor, accounts, path)
            self.stdout.write(f"Wrote {path}")
        else:
            actor = system_user()
            if actor is None:
                raise CommandError(
                    "The database holds regions that are not the demo county: "
                    "`demo` loads only into an empty database."
                )
            existing = read_accounts_file(path)
            if existing is None:
                accounts = loaded_accounts()
                write_accounts_file(actor, accounts, path)
                self.stdout.write(f"The demo county is loaded already; issued fresh tokens and wrote {path}")
            else:
                accounts = existing
                self.stdout.write(f"The demo county is loaded already; accounts and tokens are in {path}")
        self.stdout.write("")
        self.stdout.write(accounts_table(accounts))
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Open {demo_url()} and log in with any account above."))

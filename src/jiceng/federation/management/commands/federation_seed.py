from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from jiceng.federation.seed import register_peers, seed


class Command(BaseCommand):
    help = "Create the minimal data of a federation node (regions, units, users, categories, API tokens)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--tokens", required=True, help="JSON file the API tokens are written to")
        parser.add_argument("--peers", default="[]", help="JSON list of peer systems to register")

    def handle(self, *args: Any, **options: Any) -> None:
        tokens = seed(
            settings.PLATFORM_ROLE,
            settings.PLATFORM_CODE,
            options["name"],
            options["password"],
            Path(options["tokens"]),
        )
        register_peers(json.loads(options["peers"]))
        self.stdout.write(f"{settings.PLATFORM_ROLE} {settings.PLATFORM_CODE}: users {', '.join(tokens)}")

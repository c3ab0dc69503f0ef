from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiceng.federation.seed import register_peers


class Command(BaseCommand):
    help = (
        "Register peer systems from a JSON list (code, name, kind, inbox_url, data_url, key, categories, …)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("peers", help="JSON list of systems")

    def handle(self, *args: Any, **options: Any) -> None:
        for code in register_peers(json.loads(options["peers"])):
            self.stdout.write(f"registered {code}")

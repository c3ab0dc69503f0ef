from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jiceng.applications.seed import ITEMS, seed_items


class Command(BaseCommand):
    help = (
        "Create the service item catalog (about thirty 事项 with materials, forms and review steps) where "
        "items are missing; existing items and administrators' changes are kept (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_items()
        self.stdout.write(
            f"{len(created)} of {len(ITEMS)} service items created: {', '.join(created) or '—'}"
        )

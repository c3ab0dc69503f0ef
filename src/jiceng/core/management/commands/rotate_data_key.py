from typing import Any

from django.core.management.base import BaseCommand

from jiceng.audit.actions import record
from jiceng.core.rotation import rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt all personal data under JICENG_DATA_KEY and recompute the blind indexes. "
        "Set the old key in JICENG_DATA_KEY_PREVIOUS while this runs; safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reports = rotate_all(progress=lambda label, n: self.stdout.write(f"  {label}: {n} rows checked"))
        for r in reports:
            self.stdout.write(f"{r.model}: {r.rows} rows, {r.rewritten} re-encrypted")
        record(
            "data_key.rotate",
            actor=None,
            username="system",
            changes={r.model: {"rows": r.rows, "rewritten": r.rewritten} for r in reports},
        )
        self.stdout.write(self.style.SUCCESS("Done."))

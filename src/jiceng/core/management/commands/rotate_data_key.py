from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand

from jiceng.audit.actions import record
from jiceng.core.rotation import rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt all personal data under JICENG_DATA_KEY and recompute the blind indexes (and people's "
        "尾号 search words). "
        "Set the old key in JICENG_DATA_KEY_PREVIOUS while this runs; safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reports = rotate_all(progress=lambda label, n: self.stdout.write(f"  {label}: {n} rows checked"))
        for r in reports:
            self.stdout.write(f"{r.model}: {r.rows} rows, {r.rewritten} re-encrypted")
        if apps.is_installed("jiceng.registry"):
            # People's 尾号 tokens in search_text are keyed hashes too: rehash them under the new key.
            from jiceng.registry.rebuild import rebuild

            rows, rewritten = rebuild("person")
            self.stdout.write(f"registry.Person search words: {rows} rows, {rewritten} rewritten")
        record(
            "data_key.rotate",
            actor=None,
            username="system",
            changes={r.model: {"rows": r.rows, "rewritten": r.rewritten} for r in reports},
        )
        self.stdout.write(self.style.SUCCESS("Done."))

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiceng.gis.actions import BATCH_SIZE, reassign_grids
from jiceng.org.models import Region


class Command(BaseCommand):
    help = (
        "After grid boundaries change: put every event and registry record that has coordinates into the "
        "grid (or village) its point now lies in, and report what moved. --dry-run only reports."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report the moves without writing")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--open-events-only",
            action="store_true",
            help="leave closed, rejected and merged events in the region they were counted in",
        )
        parser.add_argument("--pairs", type=int, default=50, help="how many from → to pairs to list")

    def handle(self, *args: Any, **options: Any) -> None:
        report = reassign_grids(
            dry_run=options["dry_run"],
            batch_size=options["batch_size"],
            open_events_only=options["open_events_only"],
            progress=(lambda label, n: self.stdout.write(f"  {label}: {n} checked"))
            if options["verbosity"] > 1
            else None,
        )
        for m in report.models:
            self.stdout.write(
                f"{m.model}: {m.scanned} located, {m.moved} moved, {m.unplaced} outside every region"
            )
        if report.special_group_records:
            self.stdout.write(
                f"registry.specialgrouprecord: {report.special_group_records} followed their person"
            )
        if report.moves:
            names = dict(
                Region.objects.filter(
                    code__in={code for _m, old, new in report.moves for code in (old, new)}
                ).values_list("code", "name")
            )
            self.stdout.write("Moves (model: from → to: records):")
            for (model, old, new), n in report.moves.most_common(options["pairs"]):
                self.stdout.write(f"  {model}: {old} {names.get(old, '')} → {new} {names.get(new, '')}: {n}")
            if len(report.moves) > options["pairs"]:
                self.stdout.write(f"  … and {len(report.moves) - options['pairs']} more pairs")
        verb = "would move" if report.dry_run else "moved"
        self.stdout.write(self.style.SUCCESS(f"Done: {verb} {report.moved} records."))

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from jiceng.accounts.models import User
from jiceng.core.validators import make_id_number
from jiceng.events.actions import perform, report_event
from jiceng.federation.county import escalate_to_hub
from jiceng.registry import actions as registry_actions

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
TITLES = {
    "0": ("东门村违法建设线索", "村民反映东门村三组有人在基本农田上搭建钢棚，涉及规划和国土两个部门。"),
    "D": ("跨县河道水污染纠纷", "上游企业排污致下游鱼塘死鱼，涉及两县，需生态环境部门协调。"),
}
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


class Command(BaseCommand):
    help = "County: report and escalate N events to the hub and register M residents (demo and fault tests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, default=0)
        parser.add_argument("--people", type=int, default=0)
        parser.add_argument("--category", default="0501")
        parser.add_argument("--start", type=int, default=0, help="first serial (to run it several times)")

    def handle(self, *args: Any, **options: Any) -> None:
        code = settings.PLATFORM_CODE
        center = User.objects.get(username=f"center_{code}")
        admin = User.objects.get(username=f"admin_{code}")
        village = f"{code}001001"
        start = options["start"]
        for n in range(start, start + options["events"]):
            event, _created = report_event(
                center,
                category=options["category"],
                title=f"{TITLES.get(options['category'][:1], TITLES['0'])[0]} 第{n + 1}号",
                description=TITLES.get(options["category"][:1], TITLES["0"])[1],
                source="hotline",
                source_ref=f"12345-{code}-{n:06d}",
                region_code=code,
            )
            event = perform(center, event.pk, "accept")
            escalate_to_hub(center, event.pk, comment="涉及省级部门职责，县级无法办结，提请协同平台协调。")
        for n in range(start, start + options["people"]):
            name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)]
            registry_actions.create(
                admin,
                "person",
                {
                    "region": village,
                    "address": f"东门村{n % 50 + 1}号",
                    "name": name,
                    "id_number": make_id_number(code, date(1960 + n % 40, n % 12 + 1, n % 28 + 1), n % 1000),
                    "phone": f"139{n:08d}",
                    "population_type": "registered",
                },
            )
        self.stdout.write(f"{options['events']} events escalated, {options['people']} residents registered")

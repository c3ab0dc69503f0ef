"""Demo data of the work tools for the demo county, written through the actions: duties, patrols with
tracks (one still running), check-ins, visits, work logs, leader assignments, messages and files.

Kept small (two townships) so that it loads in a few seconds; the parts that need the registry or the
event categories are skipped when those steps did not run."""

from __future__ import annotations

import io
import os
import random
from datetime import datetime, timedelta
from typing import Any

import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from shapely.geometry import shape

from jiceng.accounts.models import User
from jiceng.accounts.roles import Role
from jiceng.core.workdays import default_calendar
from jiceng.demo.steps import DemoContext, demo_step
from jiceng.events.models import EventCategory
from jiceng.org.models import Region, RegionLevel, Unit, UnitKind
from jiceng.registry.models import House, KeyPlace, Person
from jiceng.worktools import (
    assignment_actions,
    file_actions,
    message_actions,
    patrol_actions,
    visit_actions,
)
from jiceng.worktools.models import DutyKind

TOWNSHIPS = 2
POINTS_PER_PATROL = 40
HISTORY_DAYS = 45  # of patrols and visits by every grid worker (fewer under pytest)

FINDINGS = [
    ("独居老人关爱走访", "老人身体状况良好，家中生活用品齐全，已提醒冬季用电安全。", ""),
    ("出租房屋安全检查", "出租屋内电动车室内充电，已当场劝导并宣传消防知识。", "一周后复查电动车充电情况"),
    ("矛盾纠纷回访", "邻里噪音纠纷经调解后双方关系缓和，无新的矛盾。", ""),
    ("困难家庭走访", "家庭主要劳动力因病住院，生活困难，建议申请临时救助。", "协助申请临时救助"),
    ("流动人口信息核实", "新入住租户2人，已登记信息并提醒办理居住证。", "督促办理居住证"),
]
LOGS = [
    (
        "上午巡查网格一遍，发现路边垃圾堆放一处，已上报；下午走访独居老人2户。",
        "村民反映路灯损坏，希望尽快修复。",
    ),
    ("参加镇里网格员例会；走访出租房屋3户，检查消防安全。", "有租户反映快递柜位置不便。"),
    ("协助社区开展反诈宣传，发放宣传资料60份；核实流动人口信息5条。", ""),
    ("巡查重点场所2处，检查灭火器有效期；调解邻里纠纷1起。", "居民希望增加垃圾分类投放点。"),
]
TASKS = [
    ("清理主干道两侧暴露垃圾", "近期群众反映主干道两侧垃圾堆积，请于期限内清理并建立长效保洁机制。"),
    ("排查辖区出租房屋消防隐患", "结合冬季消防安全，请对辖区出租房屋开展一次全面排查，形成台账上报。"),
]


def _track(region: Region, rng: random.Random, n: int) -> list[tuple[float, float]]:
    """A walk round the inside of the grid: its boundary shrunk towards the middle, with a little jitter."""
    polygon = shape(region.boundary)
    ring = shapely.affinity.scale(polygon, 0.6, 0.6, origin="centroid").exterior
    points = []
    for i in range(n):
        p = ring.interpolate(i / (n - 1), normalized=True)
        points.append((p.x + rng.uniform(-0.00005, 0.00005), p.y + rng.uniform(-0.00005, 0.00005)))
    return points


def _patrol(
    ctx: DemoContext,
    worker: Any,
    grid: Region,
    start: datetime,
    minutes: int,
    *,
    end: bool = True,
    points_per_patrol: int = POINTS_PER_PATROL,
) -> Any:
    patrol, _created = patrol_actions.start_patrol(worker, now=start)
    step = timedelta(minutes=minutes) / points_per_patrol
    track = _track(grid, ctx.rng, points_per_patrol)
    points = [
        patrol_actions.PointIn(seq=i, lng=lng, lat=lat, recorded_at=start + step * i, accuracy_m=8)
        for i, (lng, lat) in enumerate(track)
    ]
    last = start + step * (len(points) - 1)
    # Sent in batches of ten, as the phone does.
    for i in range(0, len(points), 10):
        patrol_actions.add_points(worker, patrol.pk, points[i : i + 10], now=last)
    if end:
        patrol = patrol_actions.stop_patrol(worker, patrol.pk, now=last + timedelta(minutes=1))
    return patrol


def _pdf(title: str) -> bytes:
    body = f"BT /F1 18 Tf 50 750 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(body)).encode() + b" >>\nstream\n" + body + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _png() -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (320, 200), "#f5f7fa")
    draw = ImageDraw.Draw(picture)
    draw.rectangle((20, 20, 300, 180), outline="#b71c1c", width=4)
    draw.line((20, 100, 300, 100), fill="#b71c1c", width=2)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def history_days() -> int:
    return 5 if "PYTEST_VERSION" in os.environ else HISTORY_DAYS


@demo_step(order=640, name="worktools.history")
def history(ctx: DemoContext) -> None:
    """Every grid worker of the county patrols most working days and visits a few households a week, so
    that last month's scorecards (patrol days, visits) stand on real records."""
    now = timezone.now()
    counts = {"patrols": 0, "visits": 0}
    calendar = default_calendar()
    workers = User.objects.filter(roles__role=Role.GRID_WORKER, unit__isnull=False, is_active=True)
    for worker in workers.select_related("unit__region").order_by("username"):
        village = worker.unit.region
        grids = list(
            Region.objects.filter(parent=village, level=RegionLevel.GRID, boundary__isnull=False)[:3]
        )
        people = list(Person.objects.alive().filter(region_code__startswith=village.code[:12])[:40])
        if not grids:
            continue
        for back in range(history_days(), 2, -1):
            day = timezone.localtime(now - timedelta(days=back))
            if not calendar.is_workday(day.date()):
                continue
            if ctx.rng.random() < 0.8:
                start = day.replace(hour=ctx.rng.randint(8, 10), minute=ctx.rng.randint(0, 59))
                _patrol(
                    ctx, worker, ctx.rng.choice(grids), start, ctx.rng.randint(40, 90), points_per_patrol=12
                )
                counts["patrols"] += 1
            if people and ctx.rng.random() < 0.45:
                person = ctx.rng.choice(people)
                purpose, findings, _follow_up = FINDINGS[ctx.rng.randrange(len(FINDINGS))]
                visit_actions.record_visit(
                    worker,
                    subject_kind="person",
                    subject_key=str(person.pk),
                    purpose=purpose,
                    findings=findings,
                    follow_up="",
                    visited_at=day.replace(hour=15, minute=ctx.rng.randint(0, 59)),
                    now=now,
                )
                counts["visits"] += 1
    ctx.log(f"  {counts['patrols']} patrols, {counts['visits']} visits by every grid worker")


@demo_step(order=650, name="worktools.demo")
def worktools_demo(ctx: DemoContext) -> None:
    """Patrol duties, patrols with tracks (one running), check-ins, visits, work logs, leader assignments,
    messages and the file library, in the first two townships."""
    now = timezone.now()
    townships = sorted(
        {u.username.split("_")[0] for u in ctx.plan.users if u.username.endswith("_dispatcher")}
    )[:TOWNSHIPS]
    counts = {
        "patrols": 0,
        "checkins": 0,
        "visits": 0,
        "logs": 0,
        "assignments": 0,
        "messages": 0,
        "files": 0,
    }
    category = EventCategory.objects.filter(
        is_active=True, children__isnull=True, parent__isnull=False
    ).first()
    for index, key in enumerate(townships):
        users = {
            role: ctx.users.get(f"{key}_{role}")
            for role in ("grid", "grid2", "dispatcher", "leader", "handler")
        }
        dispatcher, leader = users["dispatcher"], users["leader"]
        if dispatcher is None or dispatcher.unit is None:
            continue
        township = dispatcher.unit.region
        patrol_actions.add_duty(ctx.actor, kind=DutyKind.GRID, region_code=township.code)
        patrol_actions.add_duty(ctx.actor, kind=DutyKind.PLACE, region_code=township.code)
        workers = [u for u in (users["grid"], users["grid2"]) if u is not None and u.unit is not None]
        for w, worker in enumerate(workers):
            village = worker.unit.region  # type: ignore[union-attr]
            grids = list(
                Region.objects.filter(parent=village, level=RegionLevel.GRID, boundary__isnull=False)[:2]
            )
            for day in (2, 1):
                for g, grid in enumerate(grids):
                    start = timezone.localtime(now - timedelta(days=day)).replace(
                        hour=9 + 5 * g, minute=ctx.rng.randint(0, 30)
                    )
                    _patrol(ctx, worker, grid, start, ctx.rng.randint(50, 90))
                    counts["patrols"] += 1
            places = list(
                KeyPlace.objects.alive()
                .filter(region_code__startswith=village.code[:12])
                .exclude(lng=None)[:3]
            )
            for p, place in enumerate(places):
                far = p == 2 and w == 0  # one check-in from too far away, to show the flag
                patrol_actions.check_in(
                    worker,
                    place_code=place.code,
                    lng=place.lng + (0.004 if far else ctx.rng.uniform(-0.0002, 0.0002)),
                    lat=place.lat,
                    note="消防器材检查正常" if not far else "",
                    now=now - timedelta(days=1, hours=p),
                )
                counts["checkins"] += 1
            people = list(Person.objects.alive().filter(region_code__startswith=village.code[:12])[:4])
            houses = list(House.objects.alive().filter(region_code__startswith=village.code[:12])[:2])
            subjects = [("person", str(p.pk)) for p in people] + [("house", h.code) for h in houses]
            for v, (kind, subject_key) in enumerate(subjects):
                purpose, findings, follow_up = FINDINGS[v % len(FINDINGS)]
                visit_actions.record_visit(
                    worker,
                    subject_kind=kind,
                    subject_key=subject_key,
                    purpose=purpose,
                    findings=findings,
                    follow_up=follow_up,
                    follow_up_due=(now + timedelta(days=2 + v)).date() if follow_up else None,
                    visited_at=now - timedelta(days=v % 5, hours=2),
                    now=now,
                )
                counts["visits"] += 1
            for d in range(1, 5):
                content, issues = LOGS[(d + w) % len(LOGS)]
                visit_actions.save_work_log(
                    worker, day=(now - timedelta(days=d)).date(), content=content, issues=issues, now=now
                )
                counts["logs"] += 1
            if index == 0 and w == 0 and grids:
                _patrol(ctx, worker, grids[0], now - timedelta(minutes=35), 30, end=False)  # on patrol now
                counts["patrols"] += 1
            if w == 0:
                conversation = message_actions.open_direct(dispatcher, worker.username)
                for sender, text in (
                    (dispatcher, "今天下午请重点巡查一下辖区内的建筑工地。"),
                    (worker, "收到，下午两点过去。"),
                    (worker, "已巡查，工地围挡完好，未发现安全隐患。"),
                ):
                    message_actions.send(sender, conversation.pk, text)
                    counts["messages"] += 1
        unit_group = message_actions.open_unit(dispatcher)
        message_actions.send(dispatcher, unit_group.pk, "明天上午九点召开网格员例会，请准时参加。")
        counts["messages"] += 1
        station = Unit.objects.filter(
            region=township, kind__in=(UnitKind.TOWNSHIP_STATION, UnitKind.DISPATCHED_AGENCY), is_active=True
        ).first()
        if leader is not None and station is not None and category is not None:
            title, description = TASKS[index % len(TASKS)]
            assignment_actions.assign(
                leader,
                unit_code=station.code,
                title=title,
                description=description,
                category=category.code,
                deadline=(now + timedelta(days=7 + index)).date(),
            )
            counts["assignments"] += 1
        folder = file_actions.create_folder(dispatcher, name="工作制度")
        file_actions.upload(
            dispatcher, folder.pk, SimpleUploadedFile("网格员工作职责.pdf", _pdf("Grid worker duties"))
        )
        file_actions.upload(
            dispatcher,
            folder.pk,
            SimpleUploadedFile("网格员工作职责.pdf", _pdf("Grid worker duties v2")),
            comment="修订",
        )
        file_actions.upload(dispatcher, folder.pk, SimpleUploadedFile("网格划分示意图.png", _png()))
        counts["files"] += 2
    ctx.log("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))

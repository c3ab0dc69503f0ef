"""Deterministic CSV files of people for import tests and the benchmark, written row by row."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from jiceng.core.validators import make_id_number
from jiceng.registry.imports import label_of

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯"
    "邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅鹏飞雪琳晨宇浩然子涵欣怡思远嘉俊佳琪"
ROAD_NAMES = "解放人民中山建设和平新华文化胜利青年朝阳滨江环城学院工业光明幸福长安东风振兴府前"
ROADS = [ROAD_NAMES[i : i + 2] + "路" for i in range(0, len(ROAD_NAMES), 2)]
COLUMNS = ("name", "id_number", "ethnicity", "phone", "address", "occupation", "region")
OCCUPATIONS = ("个体经营", "农民", "教师", "退休", "学生", "工人", "司机", "")
# The bad rows: every 100th row, with these reasons in turn (expected column and code).
BAD_REASONS = (
    ("id_number", "invalid_id_number"),  # wrong check character
    ("name", "required"),  # no name
    ("ethnicity", "unknown_code"),  # an ethnicity that is not in GB/T 3304
    ("region", "unknown_region"),  # a grid of the other township
    ("id_number", "duplicate_in_file"),  # the ID number of a row 50 rows earlier
)
FIRST_BIRTH = date(1940, 1, 1)
BIRTH_DAYS = 25_000


def id_number(i: int) -> str:
    return make_id_number("330199", FIRST_BIRTH + timedelta(days=i % BIRTH_DAYS), i // BIRTH_DAYS)


def person_row(i: int, region: str) -> dict[str, str]:
    name = (
        SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 311) % len(GIVEN)][: i % 3]
    )
    return {
        "name": name,
        "id_number": id_number(i),
        "ethnicity": "汉族" if i % 10 else "01",
        "phone": f"13{i % 10}{i:08d}"[:11] if i % 2 else "",
        "address": f"青溪县城关镇{ROADS[i % len(ROADS)]}{(i // 20) % 999 + 1}号",
        "occupation": OCCUPATIONS[i % len(OCCUPATIONS)],
        "region": region,
    }


@dataclass
class Expected:
    rows: int = 0
    bad: dict[int, tuple[str, str]] = field(default_factory=dict)  # file row number → (column, code)


def people(
    count: int, region: str, outside_region: str, bad_every: int = 100
) -> Iterator[tuple[int, dict[str, str], tuple[str, str] | None]]:
    """(index, row, (column, code) if the row is bad) for ``count`` people, 1 in ``bad_every`` bad."""
    for i in range(count):
        row = person_row(i, region)
        reason = None
        if bad_every and i % bad_every == bad_every // 2:
            reason = BAD_REASONS[(i // bad_every) % len(BAD_REASONS)]
            column, _code = reason
            if column == "id_number" and reason[1] == "invalid_id_number":
                number = row["id_number"]
                row["id_number"] = number[:17] + ("0" if number[17] != "0" else "1")
            elif column == "name":
                row["name"] = ""
            elif column == "ethnicity":
                row["ethnicity"] = "火星族"
            elif column == "region":
                row["region"] = outside_region
            else:
                row["id_number"] = id_number(i - 50)
        yield i, row, reason


def write_people_csv(
    path: Path,
    count: int,
    region: str,
    outside_region: str,
    *,
    bad_every: int = 100,
    encoding: str = "utf-8-sig",
) -> Expected:
    expected = Expected()
    with path.open("w", encoding=encoding, newline="") as out:
        write_people(out, count, region, outside_region, bad_every=bad_every, expected=expected)
    return expected


def write_people(
    out: IO[str], count: int, region: str, outside_region: str, *, bad_every: int = 100, expected: Expected
) -> None:
    writer = csv.writer(out)
    writer.writerow([label_of("person", c) for c in COLUMNS])
    for i, row, reason in people(count, region, outside_region, bad_every):
        writer.writerow([row[c] for c in COLUMNS])
        expected.rows += 1
        if reason is not None:
            expected.bad[i + 2] = reason

"""Tests for jiceng.core.workdays against the real official holiday schedules.

Facts used (State Council announcements, as shipped in chinesecalendar):
- 2024 National Day: 10-01..10-07 off; Sunday 09-29 and Saturday 10-12 are make-up workdays.
- 2025 Spring Festival: 01-28..02-04 off; Sunday 01-26 and Saturday 02-08 are make-up workdays.
- 2026 Spring Festival: 02-15..02-23 off; Saturdays 02-14 and 02-28 are make-up workdays;
  Sunday 2026-01-04 is a make-up workday for New Year.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.core.workdays import (
    SHANGHAI,
    HolidayDataError,
    WorkCalendar,
    default_calendar,
    load_holiday_file,
)

FIXTURES = Path(__file__).parent / "data"
UNKNOWN_YEAR = 2200  # 2200-01-01 is a Wednesday


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(use_settings=False)


def write_year(directory: Path, year: int, **content: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{year}.json"
    path.write_text(json.dumps({"year": year, **content}, ensure_ascii=False), encoding="utf-8")
    return path


# ============================================================================ the real calendar


def test_package_years_are_known(cal: WorkCalendar) -> None:
    assert set(range(2004, 2027)) <= cal.known_years()
    assert cal.has_schedule(2026)
    assert not cal.has_schedule(UNKNOWN_YEAR)


def test_2024_national_day(cal: WorkCalendar) -> None:
    for day in days(date(2024, 10, 1), date(2024, 10, 7)):
        assert not cal.is_workday(day), day
        assert cal.is_holiday(day)
        assert cal.day_detail(day) == (False, "国庆节")
    assert cal.is_workday(date(2024, 9, 29))  # Sunday
    assert cal.is_workday(date(2024, 10, 12))  # Saturday
    assert cal.day_detail(date(2024, 10, 12)) == (True, "国庆节调休")
    assert not cal.is_workday(date(2024, 9, 28))  # an ordinary Saturday
    assert cal.is_workday(date(2024, 9, 30))
    assert cal.is_workday(date(2024, 10, 8))
    assert cal.day_detail(date(2024, 10, 9)) == (True, None)
    assert cal.day_detail(date(2024, 10, 13)) == (False, None)  # an ordinary Sunday


def test_2025_spring_festival(cal: WorkCalendar) -> None:
    for day in days(date(2025, 1, 28), date(2025, 2, 4)):
        assert not cal.is_workday(day), day
        assert cal.day_detail(day)[1] == "春节"
    assert cal.is_workday(date(2025, 1, 26))  # Sunday
    assert cal.is_workday(date(2025, 2, 8))  # Saturday
    assert cal.is_workday(date(2025, 1, 27))
    assert cal.is_workday(date(2025, 2, 5))


def test_2026_schedule(cal: WorkCalendar) -> None:
    assert cal.is_workday(date(2026, 1, 4))  # Sunday, New Year make-up
    assert not cal.is_workday(date(2026, 1, 2))  # Friday, New Year holiday
    for day in days(date(2026, 2, 15), date(2026, 2, 23)):
        assert not cal.is_workday(day), day
    assert cal.is_workday(date(2026, 2, 14))
    assert cal.is_workday(date(2026, 2, 28))
    for day in days(date(2026, 10, 1), date(2026, 10, 7)):
        assert not cal.is_workday(day), day
    assert cal.is_workday(date(2026, 9, 20))  # Sunday
    assert cal.is_workday(date(2026, 10, 10))  # Saturday


def test_datetimes_count_by_their_shanghai_date(cal: WorkCalendar) -> None:
    # 2024-09-30 20:00 UTC is already 2024-10-01 04:00 in Shanghai: National Day.
    assert not cal.is_workday(datetime(2024, 9, 30, 20, 0, tzinfo=UTC))
    assert cal.is_workday(datetime(2024, 9, 30, 15, 0, tzinfo=UTC))
    assert cal.is_workday(datetime(2024, 9, 30, 20, 0))  # naive: Shanghai wall time


# ============================================================================ add_workdays / workdays_between


def test_add_workdays_over_national_day(cal: WorkCalendar) -> None:
    # Received on Friday 2024-09-27: day 1 is Sunday 09-29 (make-up), day 2 Monday 09-30,
    # then the seven-day holiday, so day 3 is Tuesday 10-08.
    assert cal.add_workdays(date(2024, 9, 27), 1) == date(2024, 9, 29)
    assert cal.add_workdays(date(2024, 9, 27), 2) == date(2024, 9, 30)
    assert cal.add_workdays(date(2024, 9, 27), 3) == date(2024, 10, 8)
    assert cal.add_workdays(date(2024, 9, 27), 7) == date(2024, 10, 12)  # Saturday make-up
    assert cal.add_workdays(date(2024, 9, 27), 0) == date(2024, 9, 27)
    assert cal.add_workdays(date(2024, 10, 3), 1) == date(2024, 10, 8)  # received during the holiday


def test_add_workdays_over_spring_festival(cal: WorkCalendar) -> None:
    assert cal.add_workdays(date(2025, 1, 27), 1) == date(2025, 2, 5)
    assert cal.add_workdays(date(2025, 1, 24), 1) == date(2025, 1, 26)  # Friday -> Sunday make-up
    assert cal.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)
    # 15 working days (a common statutory limit) from 2026-02-10
    # 02-11, 12, 13, Saturday 14 (make-up), 24..27, Saturday 28 (make-up), 03-02..06, 03-09
    assert cal.add_workdays(date(2026, 2, 10), 15) == date(2026, 3, 9)


def test_add_workdays_keeps_the_time_of_day(cal: WorkCalendar) -> None:
    assert cal.add_workdays(datetime(2024, 9, 27, 15, 20), 3) == datetime(2024, 10, 8, 15, 20)
    due = cal.add_workdays(datetime(2024, 9, 27, 15, 20, tzinfo=SHANGHAI), 3)
    assert due == datetime(2024, 10, 8, 15, 20, tzinfo=SHANGHAI)
    assert due.tzinfo is SHANGHAI


def test_add_workdays_uses_shanghai_day_boundaries(cal: WorkCalendar) -> None:
    # 2024-09-26 20:00 UTC is Friday 09-27 04:00 in Shanghai; three working days later is 10-08 04:00 there.
    due = cal.add_workdays(datetime(2024, 9, 26, 20, 0, tzinfo=UTC), 3)
    assert due == datetime(2024, 10, 7, 20, 0, tzinfo=UTC)
    assert due.tzinfo is UTC
    new_york = ZoneInfo("America/New_York")
    due_ny = cal.add_workdays(datetime(2024, 9, 26, 16, 0, tzinfo=new_york), 3)  # 09-27 04:00 Shanghai
    assert due_ny.tzinfo is new_york
    assert due_ny.astimezone(SHANGHAI) == datetime(2024, 10, 8, 4, 0, tzinfo=SHANGHAI)


def test_add_workdays_rejects_negative(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_workdays(date(2024, 9, 27), -1)


def test_workdays_between(cal: WorkCalendar) -> None:
    assert cal.workdays_between(date(2024, 9, 27), date(2024, 10, 8)) == 3
    assert cal.workdays_between(date(2024, 10, 8), date(2024, 9, 27)) == -3
    assert cal.workdays_between(date(2024, 9, 27), date(2024, 9, 27)) == 0
    assert cal.workdays_between(date(2024, 9, 30), date(2024, 10, 7)) == 0
    # the whole of October 2024: 23 weekdays, minus 5 holiday weekdays, plus Saturday 10-12
    assert cal.workdays_between(date(2024, 9, 30), date(2024, 10, 31)) == 19


@settings(deadline=None)
@given(start=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 10, 31)), n=st.integers(0, 40))
def test_workdays_between_inverts_add_workdays(cal: WorkCalendar, start: date, n: int) -> None:
    due = cal.add_workdays(start, n)
    assert cal.workdays_between(start, due) == n
    if n:
        assert cal.is_workday(due)
        assert cal.workdays_between(start, due - timedelta(days=1)) == n - 1


# ======================================================================= add_work_hours, work_seconds_between

# 2024-11-15 is an ordinary Friday, 11-18 an ordinary Monday.


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (datetime(2024, 11, 18, 9, 0), 2, datetime(2024, 11, 18, 11, 0)),
        (datetime(2024, 11, 18, 11, 0), 2, datetime(2024, 11, 18, 14, 30)),  # across lunch
        (datetime(2024, 11, 18, 12, 30), 1, datetime(2024, 11, 18, 14, 30)),  # starts during lunch
        (datetime(2024, 11, 18, 16, 30), 1, datetime(2024, 11, 18, 17, 30)),  # ends exactly at closing
        (datetime(2024, 11, 18, 17, 30), 1, datetime(2024, 11, 19, 9, 30)),
        (datetime(2024, 11, 18, 20, 0), 1, datetime(2024, 11, 19, 9, 30)),  # evening
        (datetime(2024, 11, 18, 7, 0), 1, datetime(2024, 11, 18, 9, 30)),  # before opening
        (datetime(2024, 11, 15, 16, 30), 2, datetime(2024, 11, 18, 9, 30)),  # over the weekend
        (datetime(2024, 11, 16, 10, 0), 1, datetime(2024, 11, 18, 9, 30)),  # starts on Saturday
        (datetime(2024, 11, 18, 9, 0), 7.5, datetime(2024, 11, 19, 9, 0)),  # one full working day
        (datetime(2024, 11, 18, 9, 0), 0.25, datetime(2024, 11, 18, 9, 15)),
        # 7 h on Monday, 7.5 on Tuesday and Wednesday, 2 on Thursday
        (datetime(2024, 11, 18, 9, 0), 24, datetime(2024, 11, 21, 10, 30)),
        # Friday 2024-09-27 17:00: half an hour left; Saturday is off but Sunday 09-29 is a make-up workday.
        (datetime(2024, 9, 27, 17, 0), 1, datetime(2024, 9, 29, 9, 0)),
        # Monday 2024-09-30 17:00: the rest comes after the National Day holiday.
        (datetime(2024, 9, 30, 17, 0), 1, datetime(2024, 10, 8, 9, 0)),
        (datetime(2024, 11, 18, 20, 0), 0, datetime(2024, 11, 18, 20, 0)),  # zero hours: unchanged
    ],
)
def test_add_work_hours(cal: WorkCalendar, start: datetime, hours: float, expected: datetime) -> None:
    assert cal.add_work_hours(start, hours) == expected


def test_add_work_hours_with_custom_hours(cal: WorkCalendar) -> None:
    # summer hours without a lunch break
    summer: dict[str, Any] = {"day_start": time(9, 0), "day_end": time(17, 0), "lunch": None}
    assert cal.add_work_hours(datetime(2024, 11, 18, 11, 0), 2, **summer) == datetime(2024, 11, 18, 13, 0)
    assert cal.add_work_hours(datetime(2024, 11, 18, 16, 0), 2, **summer) == datetime(2024, 11, 19, 10, 0)
    afternoon = (time(12, 0), time(14, 30))
    assert cal.add_work_hours(datetime(2024, 11, 18, 11, 0), 2, lunch=afternoon) == datetime(
        2024, 11, 18, 15, 30
    )


def test_add_work_hours_with_timezones(cal: WorkCalendar) -> None:
    # 09:00 UTC is 17:00 in Shanghai on Friday 2024-09-27; one hour of work ends Sunday 09-29 09:00 there.
    due = cal.add_work_hours(datetime(2024, 9, 27, 9, 0, tzinfo=UTC), 1)
    assert due == datetime(2024, 9, 29, 1, 0, tzinfo=UTC)
    assert due.tzinfo is UTC
    due_sh = cal.add_work_hours(datetime(2024, 9, 27, 17, 0, tzinfo=SHANGHAI), 1)
    assert due_sh == datetime(2024, 9, 29, 9, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("hours", [-1, float("nan"), float("inf")])
def test_add_work_hours_rejects_bad_hours(cal: WorkCalendar, hours: float) -> None:
    with pytest.raises(ValueError):
        cal.add_work_hours(datetime(2024, 11, 18, 9, 0), hours)


@pytest.mark.parametrize(
    "config",
    [
        {"day_start": time(17, 0), "day_end": time(9, 0)},
        {"lunch": (time(13, 30), time(12, 0))},
        {"lunch": (time(7, 0), time(8, 0))},
        {"day_start": time(8, 30, tzinfo=UTC)},
    ],
)
def test_bad_working_hours_are_rejected(cal: WorkCalendar, config: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        cal.add_work_hours(datetime(2024, 11, 18, 9, 0), 1, **config)


def test_add_work_hours_needs_a_datetime(cal: WorkCalendar) -> None:
    with pytest.raises(TypeError):
        cal.add_work_hours(date(2024, 11, 18), 1)  # type: ignore[arg-type]


def test_work_seconds_between(cal: WorkCalendar) -> None:
    monday = date(2024, 11, 18)
    assert cal.work_seconds_between(datetime(2024, 11, 18, 8), datetime(2024, 11, 18, 18)) == 7.5 * 3600
    assert cal.work_seconds_between(datetime(2024, 11, 18, 11), datetime(2024, 11, 18, 14)) == 1.5 * 3600
    assert cal.work_seconds_between(datetime(2024, 11, 15, 16, 30), datetime(2024, 11, 18, 9, 30)) == 7200
    assert cal.work_seconds_between(datetime(2024, 11, 18, 14), datetime(2024, 11, 18, 11)) == -1.5 * 3600
    assert cal.work_seconds_between(datetime(2024, 11, 16, 9), datetime(2024, 11, 17, 17)) == 0  # weekend
    assert cal.work_seconds_between(datetime(2024, 9, 30, 17), datetime(2024, 10, 8, 9)) == 3600
    week = cal.work_seconds_between(
        datetime.combine(monday, time.min), datetime.combine(monday, time.min) + timedelta(days=7)
    )
    assert week == 5 * 7.5 * 3600
    no_lunch = cal.work_seconds_between(datetime(2024, 11, 18, 8), datetime(2024, 11, 18, 18), lunch=None)
    assert no_lunch == 9 * 3600


def test_work_seconds_between_with_timezones(cal: WorkCalendar) -> None:
    # 2024-11-18 00:30 UTC .. 09:30 UTC = 08:30 .. 17:30 Shanghai: a full working day
    a = datetime(2024, 11, 18, 0, 30, tzinfo=UTC)
    b = datetime(2024, 11, 18, 9, 30, tzinfo=UTC)
    assert cal.work_seconds_between(a, b) == 7.5 * 3600
    assert cal.work_seconds_between(a, b.astimezone(SHANGHAI)) == 7.5 * 3600
    with pytest.raises(TypeError):
        cal.work_seconds_between(a, datetime(2024, 11, 18, 17, 30))


@settings(deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2023, 12, 1), max_value=datetime(2026, 9, 30)),
    minutes=st.integers(min_value=1, max_value=60 * 40),
)
def test_work_seconds_between_inverts_add_work_hours(
    cal: WorkCalendar, start: datetime, minutes: int
) -> None:
    end = cal.add_work_hours(start, minutes / 60)
    assert end > start
    assert cal.work_seconds_between(start, end) == pytest.approx(minutes * 60, abs=1e-3)
    assert cal.is_workday(end)
    assert time(8, 30) < end.time() <= time(17, 30)
    assert not time(12, 0) < end.time() <= time(13, 30)


# ============================================================================ data files and fallback


def test_fixture_year_from_an_extra_directory() -> None:
    cal = WorkCalendar([FIXTURES], use_settings=False)
    assert cal.has_schedule(2099)
    assert not cal.is_workday(date(2099, 1, 1))  # Thursday, holiday
    assert cal.day_detail(date(2099, 1, 2)) == (False, "元旦")
    assert cal.day_detail(date(2099, 1, 4)) == (True, "元旦调休")  # Sunday, make-up workday
    assert not cal.is_workday(date(2099, 1, 3))  # an ordinary Saturday
    assert cal.is_workday(date(2099, 1, 5))
    # entries may fall in the neighbouring year
    assert not cal.is_workday(date(2098, 12, 31))  # Wednesday
    assert cal.add_workdays(date(2098, 12, 30), 1) == date(2099, 1, 4)


def test_without_the_extra_directory_2099_is_plain_weekdays() -> None:
    cal = WorkCalendar(use_settings=False)
    assert not cal.has_schedule(2099)
    assert cal.is_workday(date(2099, 1, 1))
    assert not cal.is_workday(date(2099, 1, 4))


def test_files_override_the_package_date_by_date(tmp_path: Path) -> None:
    write_year(
        tmp_path,
        2024,
        holidays={"2024-11-15": "测试假日", "2024-10-12": "测试取消调休"},
        workdays={"2024-10-07": "测试调休"},
    )
    cal = WorkCalendar([tmp_path], use_settings=False)
    assert cal.day_detail(date(2024, 11, 15)) == (False, "测试假日")  # was an ordinary Friday
    assert cal.day_detail(date(2024, 10, 7)) == (True, "测试调休")  # was a package holiday
    assert cal.day_detail(date(2024, 10, 12)) == (False, "测试取消调休")  # was a package make-up workday
    assert not cal.is_workday(date(2024, 10, 6))  # the rest of the package's schedule remains
    assert cal.is_workday(date(2024, 9, 29))


def test_a_later_directory_replaces_the_same_years_file(tmp_path: Path) -> None:
    write_year(tmp_path / "a", 2099, holidays={"2099-03-02": "甲", "2099-03-03": "甲"})
    write_year(tmp_path / "b", 2099, holidays={"2099-03-03": "乙"})
    cal = WorkCalendar([tmp_path / "a", tmp_path / "b"], use_settings=False)
    assert cal.is_workday(date(2099, 3, 2))
    assert cal.day_detail(date(2099, 3, 3)) == (False, "乙")


def test_package_can_be_left_out() -> None:
    cal = WorkCalendar(use_package=False, use_settings=False)
    assert not cal.has_schedule(2024)
    assert cal.is_workday(date(2024, 10, 1))  # a Tuesday, once the holiday data is gone


@pytest.mark.parametrize(
    ("content", "name", "fragment"),
    [
        ('{"year": 2099, "holiday": {}}', "2099.json", "unknown keys"),
        ('{"year": 2098}', "2099.json", "file name"),
        ('{"year": "2099"}', "2099.json", "integer"),
        ('{"year": 2099, "holidays": {"2099-1-1": "元旦"}}', "2099.json", "YYYY-MM-DD"),
        ('{"year": 2099, "holidays": {"2099-02-30": "元旦"}}', "2099.json", "YYYY-MM-DD"),
        ('{"year": 2099, "holidays": {"2199-01-01": "元旦"}}', "2099.json", "too far"),
        ('{"year": 2099, "holidays": {"2099-01-01": ""}}', "2099.json", "name"),
        ('{"year": 2099, "holidays": ["2099-01-01"]}', "2099.json", "object"),
        (
            '{"year": 2099, "holidays": {"2099-01-01": "元旦"}, "workdays": {"2099-01-01": "调休"}}',
            "2099.json",
            "both",
        ),
        ('{"year": 2099,', "2099.json", "cannot read"),
        ("[2099]", "2099.json", "object"),
        ('{"year": 2099}', "notes.json", "file name"),
    ],
)
def test_malformed_files_fail_loudly(tmp_path: Path, content: str, name: str, fragment: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(HolidayDataError, match=fragment):
        load_holiday_file(tmp_path / name)
    cal = WorkCalendar([tmp_path], use_settings=False)
    with pytest.raises(HolidayDataError):
        cal.is_workday(date(2099, 1, 1))


def test_missing_configured_directory_fails_loudly(tmp_path: Path) -> None:
    cal = WorkCalendar([tmp_path / "nope"], use_settings=False)
    with pytest.raises(HolidayDataError, match="does not exist"):
        cal.is_workday(date(2024, 1, 2))


def test_shipped_data_files_are_valid() -> None:
    from jiceng.core.workdays import BUILTIN_HOLIDAY_DIR

    for path in sorted(BUILTIN_HOLIDAY_DIR.glob("*.json")):
        assert load_holiday_file(path).year == int(path.stem)
    assert load_holiday_file(FIXTURES / "2099.json").source


def test_unknown_year_falls_back_to_weekdays_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkCalendar(use_settings=False)
    with caplog.at_level(logging.WARNING, logger="jiceng.core.workdays"):
        assert cal.is_workday(date(UNKNOWN_YEAR, 1, 1))  # Wednesday
        assert cal.is_workday(date(UNKNOWN_YEAR, 1, 3))  # Friday
        assert not cal.is_workday(date(UNKNOWN_YEAR, 1, 4))  # Saturday
        assert cal.add_workdays(date(UNKNOWN_YEAR, 1, 3), 1) == date(UNKNOWN_YEAR, 1, 6)
        assert cal.add_work_hours(datetime(UNKNOWN_YEAR, 1, 3, 17, 0), 1) == datetime(
            UNKNOWN_YEAR, 1, 6, 9, 0
        )
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(UNKNOWN_YEAR) in warnings[0].getMessage()

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="jiceng.core.workdays"):
        cal.is_workday(date(UNKNOWN_YEAR + 1, 1, 1))
        cal.is_workday(date(2003, 1, 1))  # before the package's first year
        cal.is_workday(date(2024, 1, 2))  # known: no warning
    warned = sorted(
        year
        for r in caplog.records
        for year in ("2003", "2024", str(UNKNOWN_YEAR + 1))
        if year in r.getMessage()
    )
    assert warned == ["2003", str(UNKNOWN_YEAR + 1)]


def test_deadlines_run_from_a_known_into_an_unknown_year(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkCalendar([FIXTURES], use_package=False, use_settings=False)
    # 2099 is known from the fixture, 2100 is not: 2099-12-31 is a Thursday.
    with caplog.at_level(logging.WARNING, logger="jiceng.core.workdays"):
        assert cal.add_workdays(date(2099, 12, 31), 2) == date(2100, 1, 4)
    assert any("2100" in r.getMessage() for r in caplog.records)


# ============================================================================ settings hook


@pytest.fixture
def django_settings() -> Any:
    from django.conf import settings as django_settings

    if not django_settings.configured:
        django_settings.configure()
    return django_settings


def test_settings_directory_is_used(django_settings: Any, tmp_path: Path) -> None:
    from django.test import override_settings

    default_calendar.cache_clear()
    with override_settings(JICENG_HOLIDAY_DIR=str(FIXTURES)):
        assert default_calendar().has_schedule(2099)
        assert default_calendar().is_workday(date(2099, 1, 4))
        assert WorkCalendar(use_settings=False).is_workday(date(2099, 1, 4)) is False
    # leaving override_settings sends setting_changed, which resets the shared calendar
    assert not default_calendar().has_schedule(2099)

    write_year(tmp_path, 2098, holidays={"2098-06-02": "测试"})  # a Monday
    with override_settings(JICENG_HOLIDAY_DIR=[FIXTURES, tmp_path]):
        assert default_calendar().known_years() >= {2098, 2099}
        assert not default_calendar().is_workday(date(2098, 6, 2))
    with override_settings(JICENG_HOLIDAY_DIR=""):
        assert not default_calendar().has_schedule(2099)
    default_calendar.cache_clear()


def test_default_calendar_is_shared() -> None:
    assert default_calendar() is default_calendar()
    calendar = WorkCalendar(use_settings=False)
    assert calendar.is_workday(date(2024, 9, 29))
    calendar.reload()
    assert calendar.is_workday(date(2024, 9, 29))

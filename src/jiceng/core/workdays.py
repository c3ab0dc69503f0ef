"""China's official working-day calendar (法定工作日), for deadlines and overdue computations.

Which days are working days comes from, lowest precedence first:

1. the ``chinesecalendar`` package (version 1.11.0 knows 2004 to 2026);
2. JSON files shipped in ``jiceng/core/data/holidays/`` (see the README there);
3. JSON files in the directory (or directories) named by the Django setting ``JICENG_HOLIDAY_DIR``;
4. JSON files in ``extra_dirs`` given to :class:`WorkCalendar`.

A file is named after the year whose State Council announcement it transcribes (``2027.json``)::

    {"year": 2027,
     "source": "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕N号）",
     "holidays": {"2027-01-01": "元旦"},
     "workdays": {"2027-02-07": "春节调休"}}

Entries override lower layers date by date (so a file can also correct the package); a file for the same
year in a higher layer replaces the lower layer's file for that year. Dates may fall in the year before or
after (announcements sometimes move a late-December day). A day listed nowhere is a working day if it is
Monday to Friday.

For a year no source covers, the calendar falls back to Monday to Friday and logs one warning per year:
deadlines are still computed, just without holidays. Malformed data files raise
:class:`HolidayDataError` on first use, because silently wrong deadlines are worse than an error.

Day boundaries are those of Asia/Shanghai. Timezone-aware datetimes are converted for the computation
and results are returned in the caller's timezone; naive datetimes are taken as Shanghai wall time.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final, overload
from zoneinfo import ZoneInfo

import chinese_calendar
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = [
    "BUILTIN_HOLIDAY_DIR",
    "DEFAULT_DAY_END",
    "DEFAULT_DAY_START",
    "DEFAULT_LUNCH",
    "SHANGHAI",
    "HolidayDataError",
    "HolidayFile",
    "WorkCalendar",
    "default_calendar",
    "load_holiday_file",
]

logger = logging.getLogger(__name__)

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
BUILTIN_HOLIDAY_DIR: Final = Path(__file__).resolve().parent / "data" / "holidays"
SETTING_NAME: Final = "JICENG_HOLIDAY_DIR"

DEFAULT_DAY_START: Final = time(8, 30)
DEFAULT_DAY_END: Final = time(17, 30)
DEFAULT_LUNCH: Final = (time(12, 0), time(13, 30))

_ALLOWED_KEYS: Final = frozenset({"year", "holidays", "workdays", "source", "note"})

# chinesecalendar labels days with English holiday names; show Chinese ones.
_PACKAGE_NAMES: Final[dict[str, str]] = {h.value: h.chinese for h in chinese_calendar.Holiday}


class HolidayDataError(ValueError):
    """A holiday data file or directory is missing or malformed."""


@dataclass(frozen=True)
class HolidayFile:
    """One parsed ``YYYY.json`` schedule file."""

    year: int
    holidays: Mapping[date, str]
    workdays: Mapping[date, str]
    source: str | None
    path: Path


def _parse_entries(path: Path, year: int, key: str, raw: Any) -> dict[date, str]:
    if not isinstance(raw, dict):
        raise HolidayDataError(f"{path}: {key!r} must be an object mapping YYYY-MM-DD to a name")
    entries: dict[date, str] = {}
    for text, name in raw.items():
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise HolidayDataError(f"{path}: {key}: {text!r} is not a YYYY-MM-DD date") from None
        if len(text) != 10:
            raise HolidayDataError(f"{path}: {key}: {text!r} is not a YYYY-MM-DD date")
        if abs(day.year - year) > 1:
            raise HolidayDataError(f"{path}: {key}: {text} is too far from the file's year {year}")
        if not isinstance(name, str) or not name.strip():
            raise HolidayDataError(f"{path}: {key}: {text} needs a non-empty name")
        entries[day] = name.strip()
    return entries


def load_holiday_file(path: str | os.PathLike[str]) -> HolidayFile:
    """Read and validate one schedule file; raise :class:`HolidayDataError` on any problem."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HolidayDataError(f"{path}: cannot read holiday data: {exc}") from exc
    if not isinstance(raw, dict):
        raise HolidayDataError(f"{path}: the top level must be a JSON object")
    unknown = set(raw) - _ALLOWED_KEYS
    if unknown:
        raise HolidayDataError(f"{path}: unknown keys {sorted(unknown)}; allowed: {sorted(_ALLOWED_KEYS)}")
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise HolidayDataError(f"{path}: 'year' must be an integer")
    if path.stem != str(year):
        raise HolidayDataError(f"{path}: the file name must be {year}.json to match 'year'")
    holidays = _parse_entries(path, year, "holidays", raw.get("holidays", {}))
    workdays = _parse_entries(path, year, "workdays", raw.get("workdays", {}))
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise HolidayDataError(f"{path}: listed as both holiday and workday: {[d.isoformat() for d in both]}")
    source = raw.get("source")
    if source is not None and not isinstance(source, str):
        raise HolidayDataError(f"{path}: 'source' must be a string")
    return HolidayFile(year=year, holidays=holidays, workdays=workdays, source=source, path=path)


def _settings_holiday_dirs() -> list[Path]:
    """Directories named by settings.JICENG_HOLIDAY_DIR (a path, or a list of paths); [] without Django."""
    from django.conf import settings

    try:
        raw = getattr(settings, SETTING_NAME, None)
    except ImproperlyConfigured:
        return []
    if not raw:
        return []
    items: Iterable[Any] = [raw] if isinstance(raw, str | os.PathLike) else raw
    return [Path(item) for item in items if item]


@dataclass
class _Data:
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)
    years: set[int] = field(default_factory=set)


def _package_data() -> _Data:
    data = _Data()
    for day, english in chinese_calendar.holidays.items():
        data.holidays[day] = _PACKAGE_NAMES.get(english, english)
    for day, english in chinese_calendar.workdays.items():
        data.workdays[day] = _PACKAGE_NAMES.get(english, english) + "调休"
    first, last = min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year
    data.years.update(range(first, last + 1))
    return data


# ---------------------------------------------------------------------------------------------- time helpers


def _is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.tzinfo.utcoffset(moment) is not None


def _to_local(moment: datetime) -> datetime:
    """Naive Shanghai wall time for a datetime (naive input is taken to be Shanghai wall time already)."""
    if not _is_aware(moment):
        return moment
    return moment.astimezone(SHANGHAI).replace(tzinfo=None)


def _from_local(local: datetime, like: datetime) -> datetime:
    """Inverse of _to_local: back into the timezone of ``like`` (or naive if ``like`` is naive)."""
    if not _is_aware(like):
        return local
    return local.replace(tzinfo=SHANGHAI).astimezone(like.tzinfo)


def _local_date(day: date) -> date:
    if isinstance(day, datetime):
        return _to_local(day).date()
    return day


def _windows(
    day_start: time, day_end: time, lunch: tuple[time, time] | None
) -> tuple[tuple[time, time], ...]:
    if any(t.tzinfo is not None for t in (day_start, day_end, *(lunch or ()))):
        raise ValueError("working hours must be naive times (they are Asia/Shanghai wall-clock times)")
    if not day_start < day_end:
        raise ValueError(f"day_start {day_start} must be before day_end {day_end}")
    if lunch is None:
        return ((day_start, day_end),)
    lunch_start, lunch_end = lunch
    if not day_start <= lunch_start <= lunch_end <= day_end:
        raise ValueError(f"lunch {lunch_start}-{lunch_end} must lie within {day_start}-{day_end}")
    return tuple((s, e) for s, e in ((day_start, lunch_start), (lunch_end, day_end)) if s < e)


# ---------------------------------------------------------------------------------------------- the calendar


class WorkCalendar:
    """Working days and working hours under China's official holiday schedule.

    Data is loaded on first use and cached in the instance; :meth:`reload` drops it.
    Instances are safe to share between threads.
    """

    def __init__(
        self,
        extra_dirs: Sequence[str | os.PathLike[str]] = (),
        *,
        use_package: bool = True,
        use_builtin_dir: bool = True,
        use_settings: bool = True,
    ) -> None:
        self._extra_dirs = [Path(d) for d in extra_dirs]
        self._use_package = use_package
        self._use_builtin_dir = use_builtin_dir
        self._use_settings = use_settings
        self._lock = threading.Lock()
        self._data: _Data | None = None
        self._warned_years: set[int] = set()

    # ------------------------------------------------------------------ data

    def _load(self) -> _Data:
        data = _package_data() if self._use_package else _Data()
        dirs: list[Path] = []
        if self._use_builtin_dir and BUILTIN_HOLIDAY_DIR.is_dir():
            dirs.append(BUILTIN_HOLIDAY_DIR)
        configured = (_settings_holiday_dirs() if self._use_settings else []) + self._extra_dirs
        for directory in configured:
            if not directory.is_dir():
                raise HolidayDataError(f"holiday data directory does not exist: {directory}")
            dirs.append(directory)

        files: dict[int, HolidayFile] = {}
        for directory in dirs:
            for path in sorted(directory.glob("*.json")):
                loaded = load_holiday_file(path)
                files[loaded.year] = loaded  # a later directory replaces an earlier one's file
        for year in sorted(files):
            loaded = files[year]
            for day, name in loaded.holidays.items():
                data.workdays.pop(day, None)
                data.holidays[day] = name
            for day, name in loaded.workdays.items():
                data.holidays.pop(day, None)
                data.workdays[day] = name
            data.years.add(year)
            logger.info("Loaded the %s holiday schedule from %s", year, loaded.path)
        return data

    def _loaded(self) -> _Data:
        data = self._data
        if data is None:
            with self._lock:
                if self._data is None:
                    self._data = self._load()
                data = self._data
        return data

    def reload(self) -> None:
        """Forget loaded data (and which years were warned about); it is read again on next use."""
        with self._lock:
            self._data = None
            self._warned_years.clear()

    def known_years(self) -> frozenset[int]:
        """Years with an official schedule (from the package or a data file)."""
        return frozenset(self._loaded().years)

    def has_schedule(self, year: int) -> bool:
        return year in self._loaded().years

    def _warn_unknown(self, year: int) -> None:
        if year in self._warned_years:
            return
        with self._lock:
            if year in self._warned_years:
                return
            self._warned_years.add(year)
        logger.warning(
            "No official holiday schedule for %s; treating Monday to Friday as working days. "
            "Add %s.json to a holiday data directory (setting %s) or upgrade chinesecalendar.",
            year,
            year,
            SETTING_NAME,
        )

    # ------------------------------------------------------------------ days

    def day_detail(self, day: date) -> tuple[bool, str | None]:
        """(is it a working day, the holiday or make-up-workday name if the schedule names the day)."""
        local = _local_date(day)
        data = self._loaded()
        if local in data.workdays:
            return True, data.workdays[local]
        if local in data.holidays:
            return False, data.holidays[local]
        if local.year not in data.years:
            self._warn_unknown(local.year)
        return local.weekday() < 5, None

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` (a date, or the Shanghai date of a datetime) is an official working day."""
        return self.day_detail(day)[0]

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a rest day (statutory holiday or weekend that is not a make-up workday)."""
        return not self.is_workday(day)

    def _advance(self, day: date, n: int) -> date:
        while n > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    @overload
    def add_workdays(self, start: datetime, n: int) -> datetime: ...
    @overload
    def add_workdays(self, start: date, n: int) -> date: ...

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``; counting starts on the next working day.

        Something received on Friday 2024-09-27 with 3 working days is due on 2024-10-08
        (Sunday 09-29 and Monday 09-30 are days 1 and 2; the National Day holiday follows).
        For a datetime the (Shanghai) time of day is kept. ``n = 0`` returns ``start`` unchanged.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if isinstance(start, datetime):
            local = _to_local(start)
            due = self._advance(local.date(), n)
            return _from_local(datetime.combine(due, local.time()), start)
        return self._advance(start, n)

    def workdays_between(self, a: date, b: date) -> int:
        """Number of working days ``d`` with ``a < d <= b`` (negative if ``b`` is before ``a``).

        The inverse of :meth:`add_workdays`: ``workdays_between(s, add_workdays(s, n)) == n``.
        Datetimes count by their Shanghai date.
        """
        start, end = _local_date(a), _local_date(b)
        if end < start:
            return -self.workdays_between(b, a)
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    # ------------------------------------------------------------------ hours

    def add_work_hours(
        self,
        start: datetime,
        hours: float,
        day_start: time = DEFAULT_DAY_START,
        day_end: time = DEFAULT_DAY_END,
        lunch: tuple[time, time] | None = DEFAULT_LUNCH,
    ) -> datetime:
        """The moment when ``hours`` of working time have passed since ``start``.

        Working time is ``day_start``-``day_end`` on working days minus ``lunch`` (None: no lunch break),
        all Shanghai wall-clock times. Time outside working time does not count, so 1 hour from Friday
        17:00 ends at 09:00 on the next working day. A deadline falling exactly at the end of a working
        period is that end (17:30), not the next morning. ``hours = 0`` returns ``start`` unchanged.
        """
        if not isinstance(start, datetime):
            raise TypeError(f"start must be a datetime, got {type(start).__name__}")
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite number >= 0, got {hours}")
        windows = _windows(day_start, day_end, lunch)
        remaining = timedelta(hours=hours)
        if not remaining:
            return start

        cursor = _to_local(start)
        day = cursor.date()
        while True:
            if self.is_workday(day):
                for window_start, window_end in windows:
                    begin = max(cursor, datetime.combine(day, window_start))
                    end = datetime.combine(day, window_end)
                    if begin < end:
                        if remaining <= end - begin:
                            return _from_local(begin + remaining, start)
                        remaining -= end - begin
            day += timedelta(days=1)
            cursor = datetime.combine(day, time.min)

    def work_seconds_between(
        self,
        a: datetime,
        b: datetime,
        day_start: time = DEFAULT_DAY_START,
        day_end: time = DEFAULT_DAY_END,
        lunch: tuple[time, time] | None = DEFAULT_LUNCH,
    ) -> float:
        """Seconds of working time between ``a`` and ``b`` (negative if ``b`` is before ``a``).

        The inverse of :meth:`add_work_hours`. Both must be naive or both aware.
        """
        if _is_aware(a) != _is_aware(b):
            raise TypeError("cannot mix naive and timezone-aware datetimes")
        windows = _windows(day_start, day_end, lunch)
        first, last = _to_local(a), _to_local(b)
        if last < first:
            return -self.work_seconds_between(b, a, day_start, day_end, lunch)
        total = timedelta(0)
        day = first.date()
        while day <= last.date():
            if self.is_workday(day):
                for window_start, window_end in windows:
                    begin = max(first, datetime.combine(day, window_start))
                    end = min(last, datetime.combine(day, window_end))
                    if begin < end:
                        total += end - begin
            day += timedelta(days=1)
        return total.total_seconds()


@cache
def default_calendar() -> WorkCalendar:
    """The shared calendar: package data, built-in data files and settings.JICENG_HOLIDAY_DIR."""
    return WorkCalendar()


@receiver(setting_changed)
def _reset_default_calendar(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING_NAME:
        default_calendar.cache_clear()

"""Date pickers hold ISO values in every language: ``<input type="date">`` shows an empty box for any other
format, and with Chinese active Django's default rendering is ``2026/11/28``."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

from django.utils import translation

from jiceng.accounts.roles import Role
from jiceng.portal.forms import ActivityForm
from jiceng.worktools.views import WorkLogForm

SRC = Path(__file__).resolve().parents[2] / "src" / "jiceng"


def test_a_date_picker_renders_an_iso_value_in_chinese() -> None:
    with translation.override("zh-hans"):
        html = str(WorkLogForm(initial={"day": datetime.date(2026, 11, 28)})["day"])
    assert 'type="date"' in html and 'value="2026-11-28"' in html


def test_a_datetime_picker_renders_an_iso_local_value_in_chinese(settings: Any) -> None:
    moment = datetime.datetime(2026, 11, 28, 9, 30, tzinfo=datetime.UTC)  # 17:30 in Beijing
    with translation.override("zh-hans"):
        html = str(ActivityForm(initial={"starts_at": moment}, regions=[])["starts_at"])
    assert 'type="datetime-local"' in html and 'value="2026-11-28T17:30"' in html


def test_the_work_log_page_prefills_a_date_the_browser_can_show(org: Any, page_as: Any) -> None:
    response = page_as(org.users[("a", Role.GRID_WORKER)]).get(
        "/worktools/logs/?day=2026-11-28", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    assert re.search(r'<input type="date" name="day" value="2026-11-28"', response.content.decode())


def test_no_form_builds_a_date_picker_by_hand() -> None:
    """Every date/datetime picker goes through jiceng.web.forms.DateInput / DateTimeInput."""
    pattern = re.compile(r"""["']type["']\s*:\s*["'](date|datetime-local)["']""")
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []

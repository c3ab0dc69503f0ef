"""The Content-Security-Policy allows no inline styles: a ``style`` attribute is blocked (a console error
and a layout that differs from what was meant). Styles live in the CSS files."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from tests.conftest import Org

SRC = Path(__file__).resolve().parents[2] / "src" / "jiceng"
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*\sstyle=")


def test_no_template_has_a_style_attribute() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("templates/**/*.html")
        if STYLE_ATTRIBUTE.search(p.read_text())
    ]
    assert offenders == []


def test_the_unlock_form_of_a_locked_account_has_no_inline_style(org: Org, page_as: Any) -> None:
    target = org.user("a", "grid_worker")
    target.locked_until = timezone.now() + timedelta(minutes=15)
    target.save(update_fields=["locked_until"])
    html = page_as(org.user("county", "admin")).get(f"/accounts/users/{target.username}/").content.decode()
    assert f'action="/accounts/users/{target.username}/unlock/"' in html
    assert not STYLE_ATTRIBUTE.search(html)

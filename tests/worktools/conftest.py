"""Work-tools fixtures: registry records (a key place, a house …) in each township, and helpers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import chromium, open_page  # noqa: F401  (fixtures)
from tests.registry.conftest import registry_records  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def points(
    start: datetime, seqs: range | list[int], lng0: float = 120.01, lat0: float = 30.01
) -> list[dict[str, Any]]:
    """Track points walking east ~96 m per step (0.001° of longitude at 30°N), 10 s apart."""
    return [
        {
            "seq": s,
            "lng": round(lng0 + 0.001 * s, 6),
            "lat": lat0,
            "accuracy": 8,
            "at": (start + timedelta(seconds=10 * s)).isoformat(),
        }
        for s in seqs
    ]


def png_bytes() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(out, "PNG")
    return out.getvalue()


def now() -> datetime:
    return timezone.now()


@pytest.fixture
def places(registry_records: Any) -> dict[str, Any]:  # noqa: F811
    """The key place of each township, at a known position."""
    from jiceng.registry.models import KeyPlace

    found = {}
    for where, lng in (("a", 120.01), ("b", 120.11)):
        place = registry_records[where]["place"]
        KeyPlace.objects.filter(pk=place.pk).update(lng=lng, lat=30.01)
        place.refresh_from_db()
        found[where] = place
    return found

from __future__ import annotations

from typing import Any

from django.db.models import Count

from jiceng.accounts.models import User
from jiceng.core.scope import scoped
from jiceng.org.models import Region, RegionLevel, Unit


def home_summary(user: User) -> dict[str, Any]:
    """What the home page shows: the user's jurisdiction and its size."""
    region = user.unit.region if user.unit_id else None  # type: ignore[union-attr]
    regions = scoped(Region, user)
    levels = (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE, RegionLevel.GRID)
    counts: dict[str, int] = dict.fromkeys(levels, 0)
    for row in regions.filter(level__in=levels).values("level").annotate(n=Count("id")).order_by():
        counts[row["level"]] = row["n"]
    return {
        "region": region,
        "township_count": counts[RegionLevel.TOWNSHIP],
        "village_count": counts[RegionLevel.VILLAGE],
        "grid_count": counts[RegionLevel.GRID],
        "unit_count": scoped(Unit, user).count(),
        "user_count": scoped(User, user).count(),
    }
